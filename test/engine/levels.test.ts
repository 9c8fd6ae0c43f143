import { clarifyingQuestions, isUnclearTitle } from "../../src/engine/clarify.js";
import { decideLevel, levelCap, normalizeLevel, warrantedLevel } from "../../src/engine/levels.js";

const none = { questions: 0, findings: 0, predictions: 0, recurringPatterns: 0 };

describe("levels", () => {
  it("warrants the highest level the interaction supports", () => {
    expect(warrantedLevel(none)).toBe(1);
    expect(warrantedLevel({ ...none, questions: 1 })).toBe(2);
    expect(warrantedLevel({ ...none, questions: 1, findings: 2 })).toBe(3);
    expect(warrantedLevel({ ...none, predictions: 1 })).toBe(4);
    expect(warrantedLevel({ ...none, findings: 1, recurringPatterns: 1 })).toBe(5);
  });

  it("is capped by the target level", () => {
    const all = { questions: 1, findings: 1, predictions: 1, recurringPatterns: 1 };
    expect(decideLevel(all, 5, 0.5).level).toBe(5);
    const d = decideLevel(all, 3, 0.5);
    expect(d).toMatchObject({ level: 3, warranted: 5, cap: 3 });
    expect(d.reason).toContain("target level 3");
    expect(decideLevel(all, 1, 0.9).level).toBe(1);
    expect(decideLevel({ ...none, questions: 1 }, 4, 0.5).level).toBe(2);
  });

  it("is capped at 3 by low trust (< 0.25)", () => {
    const d = decideLevel({ ...none, findings: 1, predictions: 1 }, 5, 0.2);
    expect(d).toMatchObject({ level: 3, cap: 3 });
    expect(d.reason).toContain("low trust (0.20)");
    expect(decideLevel({ ...none, predictions: 1 }, 5, 0.25).level).toBe(4);
    expect(levelCap(2, 0.1)).toBe(2);
    expect(levelCap(5, 0)).toBe(3);
  });

  it("normalises odd target levels", () => {
    expect(normalizeLevel(9)).toBe(5);
    expect(normalizeLevel(0)).toBe(1);
    expect(normalizeLevel(3.7)).toBe(3);
    expect(normalizeLevel("x")).toBe(5);
  });
});

describe("clarifying questions", () => {
  const pr = { isPullRequest: true, title: "Add user export endpoint", description: "Adds the export endpoint for support requests." };

  it("asks nothing of a well-described pull request with tests", () => {
    expect(clarifyingQuestions({ ...pr, filesChanged: 3, testsChanged: true })).toEqual([]);
  });

  it("asks about an empty or very short description", () => {
    expect(clarifyingQuestions({ ...pr, description: "" })[0]).toMatch(/empty/);
    expect(clarifyingQuestions({ ...pr, description: "fixes it" })[0]).toMatch(/very short/);
  });

  it("asks about code changed without tests", () => {
    expect(clarifyingQuestions({ ...pr, filesChanged: 2, testsChanged: false })).toEqual([expect.stringMatching(/no tests/)]);
    expect(clarifyingQuestions({ ...pr, filesChanged: 2 })).toEqual([]); // unknown: don't guess
  });

  it("asks about an unclear title", () => {
    expect(clarifyingQuestions({ ...pr, title: "fix" })).toEqual([expect.stringMatching(/title "fix"/)]);
    for (const t of ["wip", "update", "changes", "asdf", "..."]) expect(isUnclearTitle(t)).toBe(true);
    for (const t of ["Fix typo", "WIP: add retry to webhook delivery"]) expect(isUnclearTitle(t)).toBe(false);
  });

  it("asks no PR questions outside a pull request", () => {
    expect(clarifyingQuestions({ isPullRequest: false, description: "", testsChanged: false, filesChanged: 3 })).toEqual([]);
  });
});
