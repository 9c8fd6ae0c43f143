import {
  blendConfidence,
  isTransformative,
  newPattern,
  patternConfidence,
  patternId,
  recordOccurrence,
  recordPatternOutcome,
} from "../../src/engine/patterns.js";
import type { PatternRecord } from "../../src/engine/state.js";

describe("patterns", () => {
  it("ids are stable per repo and key", () => {
    expect(patternId("o/r", "js/sql-injection")).toBe(patternId("o/r", "js/sql-injection"));
    expect(patternId("o/r", "js/sql-injection")).not.toBe(patternId("o/other", "js/sql-injection"));
    expect(patternId("o/r", "k")).toMatch(/^pat-[0-9a-f]{12}$/);
  });

  it("counts a pull request once and is learned at the second distinct one", () => {
    let p = newPattern("o/r", "js/sql-injection");
    expect(p).toMatchObject({ occurrences: 0, learned: false, confidence: 0.5 });
    let r = recordOccurrence(p, 1);
    expect(r.newlyLearned).toBe(false);
    p = r.record;
    r = recordOccurrence(p, 1);
    expect(r.record.occurrences).toBe(1);
    r = recordOccurrence(p, 2);
    expect(r.newlyLearned).toBe(true);
    expect(r.record).toMatchObject({ occurrences: 2, learned: true, prNumbers: [1, 2] });
    expect(isTransformative(r.record)).toBe(false);
    r = recordOccurrence(r.record, 3);
    expect(r.newlyLearned).toBe(false);
    expect(isTransformative(r.record)).toBe(true);
  });

  it("confidence stays near the prior with few outcomes and tracks the success rate with many", () => {
    expect(patternConfidence(0, 0)).toBe(0.5);
    expect(patternConfidence(1, 0)).toBeCloseTo(0.667, 3);
    let p: PatternRecord = newPattern("o/r", "k");
    for (let i = 0; i < 1000; i++) p = recordPatternOutcome(p, i % 10 < 8).record; // 80% accepted
    expect(p.successes).toBe(800);
    expect(Math.abs(p.confidence - 0.8)).toBeLessThan(0.005);
  });

  it("reports old and new confidence on an outcome", () => {
    const r = recordPatternOutcome(newPattern("o/r", "k"), false);
    expect(r.oldConfidence).toBe(0.5);
    expect(r.newConfidence).toBeCloseTo(1 / 3, 5);
  });

  it("blends an item's confidence with its pattern's, by the pattern's number of outcomes", () => {
    const fresh = newPattern("o/r", "k");
    expect(blendConfidence(0.8, fresh)).toBe(0.8);
    let p = fresh;
    for (let i = 0; i < 20; i++) p = recordPatternOutcome(p, false).record;
    const blended = blendConfidence(0.8, p);
    expect(blended).toBeLessThan(0.3);
    expect(blended).toBeGreaterThan(p.confidence);
  });
});
