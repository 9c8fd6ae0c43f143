import { EmpathyOS } from "../../src/engine/empathyOS.js";
import { MemoryEngineState } from "../../src/engine/state.js";
import { patternId } from "../../src/engine/patterns.js";
import { EventBus } from "../../src/events/bus.js";
import type { AnyEventEnvelope } from "../../src/events/catalog.js";
import type { InteractionContext } from "../../src/engine/types.js";
import { analysis, finding, LONG_DESCRIPTION, prediction } from "./fixtures.js";

const REPO = "octo/shop";
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function setup(opts: { targetLevel?: number } = {}) {
  const bus = new EventBus();
  const events: AnyEventEnvelope[] = [];
  bus.on("*", (e) => {
    events.push(e);
  });
  const engine = new EmpathyOS({ eventBus: bus, ...opts });
  const settle = async () => {
    await bus.settled();
    return events.splice(0);
  };
  return { bus, engine, settle };
}

function pr(n: number, extra: Partial<InteractionContext> = {}): InteractionContext {
  return {
    repo: REPO,
    pr_number: n,
    url: `https://github.com/${REPO}/pull/${n}`,
    commit_sha: "a".repeat(40),
    installation_id: 42,
    description: LONG_DESCRIPTION,
    title: "Add user export endpoint",
    files_changed: 2,
    tests_changed: true,
    ...extra,
  };
}

const types = (events: AnyEventEnvelope[]) => events.map((e) => e.event_type);
const ofType = (events: AnyEventEnvelope[], t: string) => events.filter((e) => e.event_type === t);

describe("EmpathyOS.interact", () => {
  it("emits the full sequence for a pull request with findings and predictions", async () => {
    const { engine, settle } = setup();
    const a = analysis(
      [finding("js/sql-injection", { confidence: 0.7 })],
      [prediction("migration-drop-column", { confidence: 0.85 }), prediction("api-removed-field", { confidence: 0.6 })],
    );
    const result = await engine.interact({ userId: "alice", input: "Add user export endpoint", context: pr(7, { analysis: a }) });
    const events = await settle();

    expect(types(events)).toEqual([
      "interaction_started",
      "level_1_response",
      "level_3_proactive_suggestion",
      "level_4_prediction",
      "level_4_prediction",
      "interaction_completed",
    ]);
    expect(result).toMatchObject({ level: 4, confidence: 0.85, trust: 0.5, clarifications: [], patternsApplied: [] });
    expect(result.findings).toHaveLength(1);
    expect(result.predictions).toHaveLength(2);
    expect(result.suggestions[0]).toContain("src/db.ts:12");
    expect(result.response).toContain("Predicted 2 future failure(s)");

    const [started] = events;
    expect(started.data).toMatchObject({ user_id: "alice", user_input: "Add user export endpoint", repo: REPO, pr_number: 7 });
    expect(started.data.timestamp).toMatch(ISO);

    const suggestion = ofType(events, "level_3_proactive_suggestion")[0].data;
    expect(suggestion).toMatchObject({ user_id: "alice", repo: REPO, pr_number: 7 });
    expect(suggestion.suggestions).toEqual([
      expect.objectContaining({
        rule: "js/sql-injection",
        category: "sql-injection",
        path: "src/db.ts",
        line: 12,
        severity: "high",
        confidence: 0.7,
      }),
    ]);

    const p4 = ofType(events, "level_4_prediction")[0].data;
    expect(p4).toEqual({
      prediction_id: "pred-migration-drop-column",
      prediction: expect.stringContaining("Dropping column"),
      confidence: 0.85,
      severity: "high",
      tags: ["migration", "breaking-change"],
      recommendation: expect.any(String),
      user_id: "alice",
      timestamp: expect.stringMatching(ISO),
      repo: REPO,
      pr_number: 7,
      url: `https://github.com/${REPO}/pull/7`,
      kind: "migration-drop-column",
      impact: "Mobile users cannot log in.",
      fingerprint: "fp-migration-drop-column",
      evidence: { path: "db/migrations/001.sql", line: 3, side: "RIGHT" },
      commit_sha: "a".repeat(40),
      installation_id: 42,
    });

    const done = ofType(events, "interaction_completed")[0].data;
    expect(done).toMatchObject({ user_id: "alice", level: 4, confidence: 0.85, response: result.response });
    expect(done.duration_ms).toBeGreaterThanOrEqual(0);
  });

  it("asks clarifying questions (level 2) for a bare pull request without tests", async () => {
    const { engine, settle } = setup();
    const result = await engine.interact({
      userId: "bob",
      input: "update",
      context: { repo: REPO, pr_number: 1, files_changed: 3, tests_changed: false, analysis: analysis() },
    });
    const events = await settle();
    expect(result.level).toBe(2);
    expect(result.clarifications).toHaveLength(3); // empty description, no tests, unclear title
    expect(types(events)).toEqual(["interaction_started", "level_1_response", "level_2_clarification", "interaction_completed"]);
    expect(ofType(events, "level_2_clarification")[0].data.questions).toEqual(result.clarifications);
  });

  it("takes the PR body from the input when no description is given", async () => {
    const { engine } = setup();
    const r = await engine.interact({ userId: "u", input: `Add export\n\n${LONG_DESCRIPTION}`, context: { repo: REPO, pr_number: 2 } });
    expect(r.clarifications).toEqual([]);
    expect(r.level).toBe(1);
    expect(r.confidence).toBe(0.9);
  });

  it("answers a plain question at level 1", async () => {
    const { engine, settle } = setup();
    const r = await engine.interact({ userId: "u", input: "What does this bot do?", context: { repo: REPO } });
    expect(r).toMatchObject({ level: 1, findings: [], predictions: [], clarifications: [] });
    const events = await settle();
    expect(ofType(events, "level_1_response")[0].data).toMatchObject({
      pr_number: null,
      response: expect.stringContaining("What does this bot do?"),
    });
  });

  it("caps by targetLevel: no predictions above 3, nothing but the summary at 1", async () => {
    const a = analysis([finding("r1")], [prediction("k1")]);
    const three = setup({ targetLevel: 3 });
    const r3 = await three.engine.interact({ userId: "u", input: "t", context: pr(1, { analysis: a }) });
    expect(r3).toMatchObject({ level: 3, predictions: [] });
    expect(r3.findings).toHaveLength(1);
    expect(types(await three.settle())).not.toContain("level_4_prediction");

    const one = setup({ targetLevel: 1 });
    const r1 = await one.engine.interact({ userId: "u", input: "t", context: pr(1, { analysis: a, description: "" }) });
    expect(r1).toMatchObject({ level: 1, predictions: [], findings: [], clarifications: [], suggestions: [] });

    // a per-call target level (the repository's config) overrides the constructor's
    const r2 = await three.engine.interact({ userId: "u", input: "t", context: pr(2, { analysis: a }), targetLevel: 2 });
    expect(r2.level).toBe(2);
    expect(r2.findings).toEqual([]);
  });

  it("caps at 3 when the user's trust is low", async () => {
    const { engine, settle } = setup();
    for (let i = 0; i < 3; i++) await engine.recordFeedback({ userId: "carol", repo: REPO, outcome: "rejected" });
    expect(await engine.getTrust("carol", REPO)).toBeCloseTo(0.14, 6);
    await settle();
    const r = await engine.interact({
      userId: "carol",
      input: "t",
      context: pr(1, { analysis: analysis([finding("r1")], [prediction("k1")]) }),
    });
    expect(r.level).toBe(3);
    expect(r.trust).toBeCloseTo(0.14, 6);
    expect(r.predictions).toEqual([]);
    expect(r.findings).toHaveLength(1);
    expect(types(await settle())).not.toContain("level_4_prediction");
    // another user in the same repository is unaffected
    expect(
      (await engine.interact({ userId: "dave", input: "t", context: pr(2, { analysis: analysis([], [prediction("k1")]) }) })).level,
    ).toBe(4);
  });

  it("emits level_transition when a user's level changes between interactions", async () => {
    const { engine, settle } = setup();
    await engine.interact({ userId: "u", input: "t", context: pr(1, { analysis: analysis([], [prediction("k")]) }) });
    await engine.interact({ userId: "u", input: "t", context: pr(2, { analysis: analysis([], [prediction("k2")]) }) });
    expect(types(await settle())).not.toContain("level_transition");
    await engine.interact({ userId: "u", input: "t", context: pr(3, { analysis: analysis() }) });
    const events = await settle();
    expect(types(events).slice(0, 2)).toEqual(["interaction_started", "level_transition"]);
    expect(ofType(events, "level_transition")[0].data).toEqual({
      user_id: "u",
      from_level: 4,
      to_level: 1,
      reason: expect.stringContaining("reactive"),
      repo: REPO,
    });
  });

  it("learns a pattern at the second PR, applies it afterwards, and fires level 5 once at the third", async () => {
    const { engine, settle } = setup();
    const a = analysis([finding("js/sql-injection")]);
    const id = patternId(REPO, "js/sql-injection");

    await engine.interact({ userId: "u", input: "t", context: pr(1, { analysis: a }) });
    expect(ofType(await settle(), "pattern_learned")).toHaveLength(0);

    await engine.interact({ userId: "u", input: "t", context: pr(2, { analysis: a }) });
    let events = await settle();
    expect(ofType(events, "pattern_learned").map((e) => e.data)).toEqual([
      { pattern_id: id, pattern_name: "js/sql-injection", confidence: 0.5, user_id: "u", repo: REPO },
    ]);
    expect(ofType(events, "pattern_applied")).toHaveLength(0);

    // a new push to the same PR: no new sighting, the learned pattern now applies
    const again = await engine.interact({ userId: "u", input: "t", context: pr(2, { analysis: a }) });
    events = await settle();
    expect(ofType(events, "pattern_learned")).toHaveLength(0);
    expect(ofType(events, "pattern_applied").map((e) => e.data)).toEqual([
      { pattern_id: id, pattern_name: "js/sql-injection", confidence: 0.5, success: true, repo: REPO, user_id: "u" },
    ]);
    expect(again.patternsApplied).toEqual([id]);
    expect(again.level).toBe(3);

    const third = await engine.interact({ userId: "u", input: "t", context: pr(3, { analysis: a }) });
    events = await settle();
    expect(third.level).toBe(5);
    expect(types(events)).toEqual([
      "interaction_started",
      "pattern_applied",
      "level_transition",
      "level_1_response",
      "level_3_proactive_suggestion",
      "level_5_transformation",
      "interaction_completed",
    ]);
    expect(ofType(events, "level_5_transformation")[0].data).toEqual({
      user_id: "u",
      repo: REPO,
      pr_number: 3,
      url: `https://github.com/${REPO}/pull/3`,
      pattern_id: id,
      pattern_name: "js/sql-injection",
      occurrences: 3,
      pr_numbers: [1, 2, 3],
      confidence: 0.5,
      proposal: expect.stringContaining("parameterised queries"),
    });
    expect(third.suggestions.at(-1)).toContain("#1, #2, #3");

    // still level 5 afterwards, but the transformation is not proposed again
    const fourth = await engine.interact({ userId: "u", input: "t", context: pr(4, { analysis: a }) });
    expect(fourth.level).toBe(5);
    expect(ofType(await settle(), "level_5_transformation")).toHaveLength(0);
  });

  it("holds the transformation back while the level is capped, and fires it once allowed", async () => {
    const { engine, settle } = setup({ targetLevel: 4 });
    const a = analysis([], [prediction("migration-drop-column")]);
    for (const n of [1, 2, 3]) await engine.interact({ userId: "u", input: "t", context: pr(n, { analysis: a }) });
    expect(ofType(await settle(), "level_5_transformation")).toHaveLength(0);
    const r = await engine.interact({ userId: "u", input: "t", context: pr(4, { analysis: a }), targetLevel: 5 });
    expect(r.level).toBe(5);
    const t = ofType(await settle(), "level_5_transformation");
    expect(t).toHaveLength(1);
    expect(t[0].data.pr_numbers).toEqual([1, 2, 3, 4]);
  });

  it("counts concurrent interactions on one repository consistently", async () => {
    const { engine, settle } = setup();
    const a = analysis([finding("r")]);
    await Promise.all([1, 2, 3].map((n) => engine.interact({ userId: "u", input: "t", context: pr(n, { analysis: a }) })));
    const events = await settle();
    expect(ofType(events, "pattern_learned")).toHaveLength(1);
    expect(ofType(events, "level_5_transformation")).toHaveLength(1);
  });

  it("lets feedback on a pattern move the confidence of later results", async () => {
    const { engine, settle } = setup();
    const a = analysis([finding("noisy/rule", { confidence: 0.9 })]);
    await engine.interact({ userId: "u", input: "t", context: pr(1, { analysis: a }) });
    await engine.interact({ userId: "u", input: "t", context: pr(2, { analysis: a }) });
    for (let i = 0; i < 10; i++) await engine.recordFeedback({ userId: "u", repo: REPO, outcome: "rejected", patternKey: "noisy/rule" });
    await settle();
    const r = await engine.interact({ userId: "u", input: "t", context: pr(3, { analysis: a }) });
    expect(r.findings[0].confidence).toBeLessThan(0.5);
    expect(r.confidence).toBe(r.findings[0].confidence);
    expect(a.findings[0].confidence).toBe(0.9); // the caller's analysis is not modified
    expect(ofType(await settle(), "pattern_applied")[0].data.confidence).toBeCloseTo(1 / 12, 6);
  });

  it("redacts and bounds the input carried by interaction_started", async () => {
    const { engine, settle } = setup();
    const token = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"; // realistic: placeholders like xxxx are not redacted
    await engine.interact({ userId: "u", input: `Rotate token ${token}\n` + "y".repeat(5000), context: { repo: REPO } });
    const started = (await settle())[0].data.user_input as string;
    expect(started).not.toContain(token);
    expect(started).toContain("[REDACTED");
    expect(started.length).toBeLessThanOrEqual(2000);
  });

  it("is not slowed or broken by failing or hanging listeners", async () => {
    const { bus, engine } = setup();
    bus.on("level_4_prediction", () => new Promise(() => {}));
    bus.on("interaction_started", () => {
      throw new Error("listener down");
    });
    const r = await engine.interact({ userId: "u", input: "t", context: pr(1, { analysis: analysis([], [prediction("k")]) }) });
    expect(r.level).toBe(4);
  });

  it("emits interaction_error and rethrows on failure", async () => {
    const state = new MemoryEngineState();
    state.getPattern = async () => {
      throw new Error("store down");
    };
    const bus = new EventBus();
    const errors: AnyEventEnvelope[] = [];
    bus.on("error", (e) => {
      errors.push(e);
    });
    const engine = new EmpathyOS({ eventBus: bus, state });
    await expect(engine.interact({ userId: "u", input: "t", context: pr(5, { analysis: analysis([finding("r")]) }) })).rejects.toThrow(
      "store down",
    );
    await expect(engine.interact({ userId: "u", input: "t", context: {} as InteractionContext })).rejects.toThrow(TypeError);
    await bus.settled();
    expect(errors.map((e) => e.data)).toEqual([
      { error_type: "interaction_error", error_message: "store down", context: { user_id: "u", repo: REPO, pr_number: 5 } },
      {
        error_type: "interaction_error",
        error_message: expect.stringContaining("context.repo"),
        context: { user_id: "u", repo: null, pr_number: null },
      },
    ]);
  });

  // Integrations are attached by the composition root (test/integrations/app.test.ts), not the engine.
  it("validates targetLevel", () => {
    expect(() => new EmpathyOS({ targetLevel: 6 })).toThrow(RangeError);
  });

  it("uses the injected clock for duration_ms", async () => {
    let t = 1_000;
    const bus = new EventBus();
    const engine = new EmpathyOS({ eventBus: bus, now: () => (t += 25) });
    const done: AnyEventEnvelope[] = [];
    bus.on("interaction_completed", (e) => {
      done.push(e);
    });
    await engine.interact({ userId: "u", input: "t", context: { repo: REPO } });
    await bus.settled();
    expect(done[0].data.duration_ms).toBe(25);
  });
});

describe("EmpathyOS.recordFeedback", () => {
  it("raises trust and fires the 0.75 milestone once", async () => {
    const { engine, settle } = setup();
    let last;
    for (let i = 0; i < 5; i++) last = await engine.recordFeedback({ userId: "u", repo: REPO, outcome: "accepted" });
    expect(last).toMatchObject({ trust: 0.75, delta: 0.05, milestones: [0.75] });
    const events = await settle();
    expect(ofType(events, "trust_increased")).toHaveLength(5);
    expect(ofType(events, "trust_increased")[0].data).toEqual({ user_id: "u", old_trust: 0.5, new_trust: 0.55, delta: 0.05, repo: REPO });
    expect(ofType(events, "trust_milestone").map((e) => e.data)).toEqual([
      { user_id: "u", trust_level: 0.75, milestone: 0.75, repo: REPO },
    ]);
    await engine.recordFeedback({ userId: "u", repo: REPO, outcome: "rejected" });
    await engine.recordFeedback({ userId: "u", repo: REPO, outcome: "accepted" });
    await engine.recordFeedback({ userId: "u", repo: REPO, outcome: "accepted" });
    await engine.recordFeedback({ userId: "u", repo: REPO, outcome: "accepted" });
    expect(ofType(await settle(), "trust_milestone")).toHaveLength(0);
  });

  it("lowers trust faster, updates the pattern and reports a rejected prediction", async () => {
    const { engine, settle } = setup();
    const r = await engine.recordFeedback({
      userId: "u",
      repo: REPO,
      outcome: "rejected",
      patternKey: "migration-drop-column",
      predictionId: "pred-1",
      reason: "the column is unused",
      confidence: 0.8,
    });
    expect(r).toMatchObject({ trust: 0.38, delta: -0.12, milestones: [] });
    expect(r.patternConfidence).toBeCloseTo(1 / 3, 6);
    const events = await settle();
    expect(types(events)).toEqual(["trust_decreased", "pattern_updated", "prediction_failure"]);
    expect(events[0].data).toEqual({ user_id: "u", old_trust: 0.5, new_trust: 0.38, delta: -0.12, repo: REPO });
    expect(events[1].data).toMatchObject({ pattern_id: patternId(REPO, "migration-drop-column"), old_confidence: 0.5 });
    expect(events[1].data.new_confidence).toBeCloseTo(1 / 3, 6);
    expect(events[2].data).toMatchObject({ prediction_id: "pred-1", reason: "the column is unused", confidence: 0.8 });
  });

  it("reports no prediction_failure for an accepted prediction, and rejects bad input", async () => {
    const { engine, settle } = setup();
    await engine.recordFeedback({ userId: "u", repo: REPO, outcome: "accepted", predictionId: "pred-1" });
    expect(types(await settle())).toEqual(["trust_increased"]);
    await expect(engine.recordFeedback({ userId: "u", repo: REPO, outcome: "maybe" as "accepted" })).rejects.toThrow(TypeError);
    expect(ofType(await settle(), "error")[0].data.error_type).toBe("feedback_error");
  });

  it("counts a keyed feedback once: a second call with the key moves nothing and emits nothing", async () => {
    const { engine, settle } = setup();
    const args = { userId: "u", repo: REPO, outcome: "rejected" as const, patternKey: "js/sql", key: "issue:3" };
    const first = await engine.recordFeedback(args);
    expect(first).toMatchObject({ counted: true, trust: 0.38, delta: -0.12 });
    expect(types(await settle())).toEqual(["trust_decreased", "pattern_updated"]);
    const second = await engine.recordFeedback(args);
    expect(second).toEqual({ counted: false, trust: 0.38, delta: 0, milestones: [] });
    expect(await settle()).toEqual([]);
    expect(await engine.getTrust("u", REPO)).toBe(0.38);
    expect((await engine.state.getPattern(REPO, "js/sql"))!.failures).toBe(1);
    // Without a key every call counts (the in-process API).
    expect((await engine.recordFeedback({ userId: "u", repo: REPO, outcome: "rejected" })).counted).toBe(true);
  });

  it("keeps trust per user and repository", async () => {
    const { engine } = setup();
    await engine.recordFeedback({ userId: "u", repo: REPO, outcome: "rejected" });
    expect(await engine.getTrust("u", REPO)).toBe(0.38);
    expect(await engine.getTrust("u", "octo/other")).toBe(0.5);
    expect(await engine.getTrust("v", REPO)).toBe(0.5);
  });
});
