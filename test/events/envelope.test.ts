import { createEnvelope, isoNow, newEventId } from "../../src/events/envelope.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("event ids", () => {
  it("are version 4 UUIDs, unique, across counter blocks", () => {
    const ids = Array.from({ length: 10_000 }, () => newEventId());
    for (const id of [ids[0], ids[4095], ids[4096], ids[9999]]) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("isoNow is the current time in ISO 8601", () => {
    const before = Date.now();
    const t = Date.parse(isoNow());
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
    expect(isoNow()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe("createEnvelope snapshot", () => {
  it("copies and deep-freezes plain data, arrays included", () => {
    const data = { a: { b: [1, { c: 2 }] }, s: "x", n: null, u: undefined };
    const env = createEnvelope("test", data);
    const copy = env.data as typeof data;
    expect(copy).toEqual(data);
    expect(copy).not.toBe(data);
    expect(Object.isFrozen(env)).toBe(true);
    expect(Object.isFrozen(copy.a)).toBe(true);
    expect(Object.isFrozen(copy.a.b)).toBe(true);
    expect(Object.isFrozen(copy.a.b[1])).toBe(true);
    expect(Object.isFrozen(data.a)).toBe(false); // the emitter's object is left alone
    (data.a.b[1] as { c: number }).c = 3;
    expect(copy.a.b[1]).toEqual({ c: 2 });
    expect("u" in env.data).toBe(true);
  });

  it("keeps structuredClone's semantics for what is not plain: Dates, Maps, class instances, cycles", () => {
    class Point {
      constructor(
        public x: number,
        public y: number,
      ) {}
    }
    const when = new Date("2024-05-01T10:00:00Z");
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    const env = createEnvelope("test", { when, map: new Map([["k", 1]]), point: new Point(1, 2), cyclic });
    // structuredClone makes its copies in Node's realm, not the test's: judged by tag, not instanceof.
    const tag = (v: unknown) => Object.prototype.toString.call(v);
    expect(tag(env.data.when)).toBe("[object Date]");
    expect((env.data.when as Date).getTime()).toBe(when.getTime());
    expect(tag(env.data.map)).toBe("[object Map]");
    expect(env.data.point).toEqual({ x: 1, y: 2 });
    expect((env.data.point as object).constructor.name).toBe("Object");
    const copy = env.data.cyclic as Record<string, unknown>;
    expect(copy).not.toBe(cyclic);
    expect(copy.self).toBe(copy);
    expect(Object.isFrozen(copy)).toBe(true);
  });

  it("copies own enumerable keys only, an own __proto__ key as data", () => {
    const data = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as Record<string, unknown>;
    Object.defineProperty(data, "hidden", { value: 1, enumerable: false });
    const env = createEnvelope("test", data);
    expect(Object.getPrototypeOf(env.data)).toBe(Object.prototype);
    expect(Object.keys(env.data).sort()).toEqual(["__proto__", "ok"]);
    expect((env.data as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(env.data)).toBe(JSON.stringify(data));
  });

  it("rejects functions and symbols anywhere as not serialisable", () => {
    expect(() => createEnvelope("test", { deep: [{ f: () => 1 }] })).toThrow(/not serialisable/);
    expect(() => createEnvelope("test", { s: Symbol("x") })).toThrow(/not serialisable/);
    expect(() => createEnvelope("test", { p: Promise.resolve(1) })).toThrow(/not serialisable/);
  });

  it("copies very deep data too", () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 200; i++) deep = { next: deep };
    const env = createEnvelope("test", deep);
    expect(JSON.stringify(env.data)).toBe(JSON.stringify(deep));
  });
});

describe("createEnvelope redaction", () => {
  it("redacts every string of the data, keys and non-plain values too, before anything sees the event", async () => {
    const { FAKE } = await import("../analysis/fakeSecrets.js");
    const { withKnownSecrets } = await import("../../src/analysis/secrets.js");
    const found = "Qm4pL8sTz0vWkR2n";
    const e = withKnownSecrets([found], () =>
      createEnvelope("custom", {
        user_input: `please merge, token ${FAKE.github}`,
        list: [FAKE.stripe],
        [FAKE.npm]: 1,
        map: new Map([["k", `pw ${found}`]]),
        short: "ok",
      }),
    );
    const text = JSON.stringify(e) + JSON.stringify([...(e.data.map as Map<string, string>)]);
    for (const v of [FAKE.github, FAKE.stripe, FAKE.npm, found]) expect(text).not.toContain(v.slice(4, 12));
    expect(e.data.short).toBe("ok");
    expect(Object.isFrozen(e.data.list)).toBe(true);
  });
});
