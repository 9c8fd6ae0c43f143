/** Events by type, counted by a listener on a real EventBus; the registry stays bounded whatever types are emitted. */
import { EventBus } from "../../src/events/bus.js";
import { OTHER } from "../../src/metrics/labels.js";
import { AppMetrics, MAX_EXTRA_EVENT_TYPES } from "../../src/metrics/metrics.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { samplesOf, valueOf } from "./exposition.js";

function setup() {
  const bus = new EventBus();
  const metrics = new AppMetrics({ store: new SqliteStore(":memory:"), processMetrics: false });
  metrics.attach(bus);
  return { bus, metrics };
}

const body = async (metrics: AppMetrics) => (await metrics.exposition()).body;

describe("AppMetrics: events by type", () => {
  it("counts each envelope the bus carries by its type", async () => {
    const { bus, metrics } = setup();
    for (let i = 0; i < 3; i++) bus.emit({ type: "test", data: { i } });
    bus.emit({ type: "error", data: { error_type: "x", error_message: "y", context: {} } });
    bus.emit({ type: "my_custom_event", data: {} });
    await bus.settled();
    const text = await body(metrics);
    expect(valueOf(text, "empathy_events_total", { event_type: "test" })).toBe(3);
    expect(valueOf(text, "empathy_events_total", { event_type: "error" })).toBe(1);
    expect(valueOf(text, "empathy_events_total", { event_type: "my_custom_event" })).toBe(1);
  });

  it("stops counting once closed", async () => {
    const { bus, metrics } = setup();
    bus.emit({ type: "test", data: {} });
    await bus.settled();
    metrics.close();
    bus.emit({ type: "test", data: {} });
    await bus.settled();
    expect(valueOf(await body(metrics), "empathy_events_total", { event_type: "test" })).toBe(1);
    expect(bus.handlers["*"]).toBeUndefined();
  });

  it("a flood of distinct event types does not grow the registry: past the ceiling they are counted as other", async () => {
    const { bus, metrics } = setup();
    const catalogType = "level_4_prediction";
    const flood = 20_000;
    for (let i = 0; i < flood; i++) bus.emit({ type: `hostile_${i}_${"x".repeat(i % 500)}`, data: {} });
    bus.emit({ type: "test", data: {} });
    await bus.settled();
    // A catalog type never falls under the ceiling, however late it comes.
    bus.emit({ type: catalogType, data: {} as never });
    await bus.settled();
    const text = await body(metrics);
    const series = samplesOf(text, "empathy_events_total");
    // The extra types that got a series, "other", and the catalog's "test" and level_4_prediction.
    expect(series.length).toBe(MAX_EXTRA_EVENT_TYPES + 3);
    expect(series.every((s) => s.labels.event_type.length <= 100)).toBe(true);
    expect(valueOf(text, "empathy_events_total", { event_type: OTHER })).toBe(flood - MAX_EXTRA_EVENT_TYPES);
    expect(valueOf(text, "empathy_events_total", { event_type: catalogType })).toBe(1);
    expect(series.reduce((n, s) => n + s.value, 0)).toBe(flood + 2);
    expect(text.length).toBeLessThan(50_000);
  });

  it("costs the bus little: a synchronous counter, no promise tracked", async () => {
    const { bus } = setup();
    bus.emit({ type: "test", data: {} });
    expect(bus.pending).toBe(1);
    await Promise.resolve();
    // Ran in the drain microtask and left nothing in flight.
    expect(bus.pending).toBe(0);
  });
});
