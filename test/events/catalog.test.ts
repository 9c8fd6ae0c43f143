import { EVENT_TYPES, isEventType } from "../../src/events/catalog.js";
import { createEnvelope } from "../../src/events/envelope.js";

describe("event catalog", () => {
  it("lists the twenty events of the design, snake_case", () => {
    expect(EVENT_TYPES).toHaveLength(20);
    expect(new Set(EVENT_TYPES).size).toBe(20);
    for (const t of EVENT_TYPES) expect(t).toMatch(/^[a-z0-9]+(_[a-z0-9]+)*$/);
    expect(isEventType("level_4_prediction")).toBe(true);
    expect(isEventType("nope")).toBe(false);
  });

  it("builds deep-frozen envelopes", () => {
    const env = createEnvelope("error", { error_type: "x", error_message: "y", context: { a: [1] } });
    expect(Object.isFrozen(env)).toBe(true);
    expect(Object.isFrozen(env.data.context)).toBe(true);
    expect(Object.keys(env).sort()).toEqual(["data", "event_type", "id", "timestamp"]);
  });
});
