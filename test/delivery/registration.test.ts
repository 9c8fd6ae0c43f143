/**
 * Conditions as registrations hold them: CEL strings compiled by the one compiler
 * (src/delivery/condition.ts, also the operator config's): bounded (RE2 regexes, nesting limits,
 * a time budget), a run cut short counting as false and logged once per registration, naming the
 * registration and never the event data; and the same through the WebhookManager.
 */
import { jest } from "@jest/globals";
import { compileCondition } from "../../src/delivery/condition.js";
import { buildRegistration, WebhookRegistrationError } from "../../src/delivery/registration.js";
import { captureLog, Receiver, setup, sleep, waitFor, type Setup } from "./helpers.js";

const envelope = { id: "evt_1", event_type: "level_4_prediction", timestamp: "2026-01-01T00:00:00.000Z" };
const SECRETISH = "CARD_TOKEN_4242_DO_NOT_LOG";
/** A million RE2 scans of 100 KB unbounded: minutes. */
const HEAVY = 'ids.all(a, ids.all(b, !prediction.matches("x+y")))';
const heavyData = () => ({ ids: Array.from({ length: 1_000 }, (_, i) => i), prediction: `${SECRETISH} ${"x".repeat(100_000)}` });

describe("compileCondition (registrations)", () => {
  it("runs the ReDoS pattern on RE2, sees the envelope's fields, and lets data fields win but event_type", () => {
    const started = Date.now();
    const redos = compileCondition('prediction.matches("^(a+)+$")');
    expect(redos({ prediction: "a".repeat(29) + "!" }, envelope)).toBe(false);
    expect(redos({ prediction: "a".repeat(29) }, envelope)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(compileCondition('event_type == "level_4_prediction" && id == "evt_1"')({}, envelope)).toBe(true);
    expect(compileCondition('id == "mine"')({ id: "mine" }, envelope)).toBe(true);
    // The envelope's event_type is the event's identity: a data field of that name does not win.
    expect(compileCondition('event_type == "level_4_prediction"')({ event_type: "test" }, envelope)).toBe(true);
    expect(compileCondition('event_type == "test"')({ event_type: "test" }, envelope)).toBe(false);
  });

  it("counts evaluation errors and bounds as false", () => {
    expect(compileCondition("missing_field > 1")({}, envelope)).toBe(false);
    expect(compileCondition("size(ids) > 0")({ ids: Array(2_000).fill(0) }, envelope)).toBe(false);
  });

  it("refuses what the bounds refuse, as a WebhookRegistrationError naming the condition", () => {
    const register = (condition: string) => () => buildRegistration({ eventType: "test", url: "https://x.test/h" }, condition);
    expect(register('p.matches("(a)\\\\1")')).toThrow(WebhookRegistrationError);
    expect(register('p.matches("(a)\\\\1")')).toThrow(/^condition: matches\(\): .* is not an RE2 pattern/);
    expect(register("l.all(a, l.all(b, l.all(c, true)))")).toThrow(/^condition: comprehensions .* nest at most 2 deep/);
    expect(register("confidence >")).toThrow(/^condition: invalid CEL expression/);
  });
});

describe("buildRegistration: a condition cut short", () => {
  const options = { eventType: "level_4_prediction", url: "https://hooks.example.test/T000/secret-path?token=abc" };

  it("counts as false and is logged once per registration, naming it, without the event data", () => {
    const logs = captureLog();
    const reg = buildRegistration(options, HEAVY, { log: logs.log });
    const started = Date.now();
    expect(reg.condition!(heavyData(), envelope)).toBe(false);
    expect(reg.condition!(heavyData(), envelope)).toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(logs.lines).toHaveLength(1);
    expect(logs.lines[0]).toEqual({
      level: "warn",
      obj: { registration_id: reg.id, event_type: "level_4_prediction", origin: "https://hooks.example.test", reason: "time_budget" },
      msg: `webhook condition of ${reg.id} (level_4_prediction to https://hooks.example.test) was stopped after its 100 ms time budget, twice in a row; it counts as false (logged once for this registration)`,
    });
    expect(logs.text()).not.toContain(SECRETISH);
    expect(logs.text()).not.toContain("secret-path");
    // Another registration with the same condition logs its own warning.
    const other = buildRegistration({ ...options, url: "https://other.example.test/h" }, HEAVY, { log: logs.log });
    expect(other.condition!(heavyData(), envelope)).toBe(false);
    expect(logs.lines).toHaveLength(2);
    // Data over the limits is its own reason, logged once as well.
    expect(reg.condition!({ ids: Array(2_000).fill(0) }, envelope)).toBe(false);
    expect(reg.condition!({ ids: Array(3_000).fill(0) }, envelope)).toBe(false);
    expect(logs.lines.map((l) => (l.obj as { reason: string }).reason)).toEqual(["time_budget", "time_budget", "data_limit"]);
  });

  it("reports conditions compiled beforehand (the operator config's) the same way", () => {
    const logs = captureLog();
    const reg = buildRegistration(options, compileCondition(HEAVY), { log: logs.log });
    expect(reg.condition!(heavyData(), envelope)).toBe(false);
    expect(reg.condition!(heavyData(), envelope)).toBe(false);
    expect(logs.lines.map((l) => l.level)).toEqual(["warn"]);
    expect(logs.text()).not.toContain(SECRETISH);
  });

  it("without a logger, warns through process.emitWarning, once", () => {
    const emitWarning = jest.spyOn(process, "emitWarning").mockImplementation(() => {});
    try {
      const reg = buildRegistration(options, HEAVY);
      expect(reg.condition!(heavyData(), envelope)).toBe(false);
      expect(reg.condition!(heavyData(), envelope)).toBe(false);
      expect(emitWarning).toHaveBeenCalledTimes(1);
      expect(emitWarning.mock.calls[0]).toEqual([
        expect.stringContaining(`webhook condition of ${reg.id}`),
        { code: "EMPATHY_CONDITION_SKIPPED" },
      ]);
      expect(JSON.stringify(emitWarning.mock.calls)).not.toContain(SECRETISH);
    } finally {
      emitWarning.mockRestore();
    }
  });

  it("passes plain function conditions through, untouched by the bounds", () => {
    const seen: unknown[] = [];
    const reg = buildRegistration(options, (data) => (seen.push(data), true));
    expect(reg.condition!({ a: 1 }, envelope)).toBe(true);
    expect(seen).toEqual([{ a: 1 }]);
  });
});

describe("WebhookManager with hostile conditions", () => {
  let rx: Receiver;
  const setups: Setup[] = [];
  beforeEach(async () => {
    rx = await new Receiver().listen();
  });
  afterEach(async () => {
    for (const s of setups.splice(0)) await s.manager.stop();
    await rx.close();
  });

  it("delivers on a ReDoS-prone pattern at once, and skips an overrunning condition without delaying the others", async () => {
    const s = setup();
    setups.push(s);
    const emitWarning = jest.spyOn(process, "emitWarning").mockImplementation(() => {});
    try {
      s.manager.registerConditional({ eventType: "test", url: rx.url("/redos"), condition: 'prediction.matches("^(a+)+$") == false' });
      s.manager.registerConditional({ eventType: "test", url: rx.url("/heavy"), condition: HEAVY });
      s.manager.registerConditional({ eventType: "test", url: rx.url("/plain"), condition: "size(ids) > 0" });
      await s.manager.start();
      const started = Date.now();
      s.bus.emit({ type: "test", data: { ...heavyData(), prediction: "a".repeat(29) + "!" } });
      s.bus.emit({ type: "test", data: heavyData() });
      await waitFor(() => rx.requests.length === 4, 5_000, "two deliveries each to /redos and /plain");
      await sleep(100);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(rx.requests.map((r) => r.path).sort()).toEqual(["/plain", "/plain", "/redos", "/redos"]);
      // Logged once for /heavy, whichever logger the manager hands the registration.
      const warned = [
        ...s.logs.lines.filter((l) => l.level === "warn" && /webhook condition of/.test(l.msg ?? "")).map((l) => l.msg),
        ...emitWarning.mock.calls.map((c) => String(c[0])),
      ];
      expect(warned).toHaveLength(1);
      expect(warned[0]).toMatch(/time budget/);
      expect(JSON.stringify(warned) + s.logs.text()).not.toContain(SECRETISH);
    } finally {
      emitWarning.mockRestore();
    }
  });
});
