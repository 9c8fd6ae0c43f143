/**
 * The event log (src/events/eventLog.ts): the bus's envelopes written to the store in batches,
 * redacted and capped, with the bus never waiting for it; a slow or failing store costs the bus
 * nothing, a failed batch is tried once more, the queue is bounded, close() writes what is left.
 */
import { EventBus } from "../../src/events/bus.js";
import type { AnyEventEnvelope } from "../../src/events/catalog.js";
import { EventLog, eventLogRow, type EventLogRow, type EventLogSink } from "../../src/events/eventLog.js";
import type { EventHistory } from "../../src/dashboard/history.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { FAKE } from "../analysis/fakeSecrets.js";

/** A sink that records each write's rows; `gate` (when set) holds every write until released. */
function recordingSink() {
  const writes: EventLogRow[][] = [];
  let fail = 0;
  let gate: Promise<void> | undefined;
  const sink: EventLogSink & { writes: EventLogRow[][]; failNext(n: number): void; hold(): () => void } = {
    writes,
    failNext: (n) => void (fail = n),
    hold: () => {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
    async appendEvents(rows) {
      if (gate) await gate;
      if (fail > 0) {
        fail--;
        throw new Error("database is locked");
      }
      writes.push(rows);
    },
  };
  return sink;
}

/** A bus stand-in whose one listener the test calls directly, with envelopes the real bus would not build. */
function fakeBus() {
  let handler: ((e: AnyEventEnvelope) => unknown) | undefined;
  return {
    on: ((_type: string, h: (e: AnyEventEnvelope) => unknown) => ((handler = h), () => void (handler = undefined))) as EventBus["on"],
    send: (e: AnyEventEnvelope) => handler?.(e),
    get attached() {
      return handler !== undefined;
    },
  };
}

const env = (id: string, data: Record<string, unknown> = {}): AnyEventEnvelope => ({
  id,
  event_type: "test",
  timestamp: "2026-01-02T03:04:05.000Z",
  data,
});
const logs = () => {
  const lines: { obj: object; msg?: string }[] = [];
  return { lines, log: { warn: (obj: object, msg?: string) => void lines.push({ obj, msg }) } };
};

describe("EventLog", () => {
  it("writes many events per write, at most batchSize, in the bus's order, and flushes on a timer", async () => {
    const sink = recordingSink();
    const bus = new EventBus();
    const eventLog = new EventLog(sink, { flushMs: 20, batchSize: 200 });
    eventLog.attach(bus);
    const ids = Array.from({ length: 450 }, (_, i) => bus.emit({ type: "test", data: { repo: "Octo-Org/Shop", n: i } }).id);
    await bus.settled(); // the bus hands them over after emit has returned
    await eventLog.flush();
    expect(sink.writes.map((w) => w.length)).toEqual([200, 200, 50]);
    expect(sink.writes.flat().map((r) => r.id)).toEqual(ids);
    expect(sink.writes[0][0]).toMatchObject({ eventType: "test", repo: "octo-org/shop" });
    // A few events: written together once the interval has passed, without a flush.
    bus.emit({ type: "test", data: { n: 1 } });
    bus.emit({ type: "test", data: { n: 2 } });
    await new Promise((r) => setTimeout(r, 80));
    expect(sink.writes.map((w) => w.length)).toEqual([200, 200, 50, 2]);
    await eventLog.close();
    expect(eventLog.stats).toMatchObject({ written: 452, dropped: 0, lost: 0, failedWrites: 0 });
  });

  it("redacts every envelope before it is stored, also one the bus did not build", async () => {
    const sink = recordingSink();
    const bus = fakeBus();
    const eventLog = new EventLog(sink, { flushMs: 10_000 });
    eventLog.attach(bus);
    bus.send(env("e1", { repo: "o/r", note: `deploy with ${FAKE.github}`, nested: { list: [FAKE.slack] } }));
    await eventLog.close();
    const [[row]] = sink.writes;
    expect(row.envelope).not.toContain(FAKE.github.slice(4, 12));
    expect(row.envelope).not.toContain(FAKE.slack.slice(4, 12));
    expect(JSON.parse(row.envelope)).toMatchObject({
      id: "e1",
      data: { note: "deploy with [REDACTED:github-token]", nested: { list: ["[REDACTED:slack-token]"] } },
    });
    expect(row.timestamp).toBe(Date.parse("2026-01-02T03:04:05.000Z"));
  });

  it("never makes the bus wait: emitting and settling stay fast while the store is slow", async () => {
    const sink = recordingSink();
    const release = sink.hold();
    const bus = new EventBus();
    const eventLog = new EventLog(sink, { flushMs: 5 });
    eventLog.attach(bus);
    const started = performance.now();
    for (let i = 0; i < 1000; i++) bus.emit({ type: "test", data: { repo: "o/r", i } });
    await bus.settled({ timeoutMs: 1000 });
    expect(performance.now() - started).toBeLessThan(500);
    expect(bus.pending).toBe(0); // the listener returned no promise: the bus tracks nothing of it
    await new Promise((r) => setTimeout(r, 30));
    expect(sink.writes).toHaveLength(0); // the store still hangs on its first write
    release();
    await eventLog.close();
    expect(sink.writes.flat()).toHaveLength(1000);
  });

  it("a failing store throws nothing into the bus: the write is logged without its payload and its events tried once more with the next batch", async () => {
    const sink = recordingSink();
    const { lines, log } = logs();
    const busErrors: unknown[] = [];
    const bus = new EventBus({ logger: { error: (o) => void busErrors.push(o) } });
    const eventLog = new EventLog(sink, { flushMs: 10_000, log });
    eventLog.attach(bus);
    sink.failNext(1);
    bus.emit({ type: "test", data: { marker: "PAYLOAD-A" } });
    await bus.settled();
    await eventLog.flush(); // fails: kept for one more try
    expect(sink.writes).toHaveLength(0);
    bus.emit({ type: "test", data: { marker: "PAYLOAD-B" } });
    await bus.settled();
    await eventLog.flush();
    expect(sink.writes.map((w) => w.map((r) => JSON.parse(r.envelope).data.marker))).toEqual([["PAYLOAD-A", "PAYLOAD-B"]]);
    expect(lines).toHaveLength(1);
    expect(lines[0].msg).toBe("event log: writing events failed; they are tried once more with the next batch");
    expect(JSON.stringify(lines[0].obj)).not.toContain("PAYLOAD");
    expect(lines[0].obj).toMatchObject({ err: "database is locked", events: 1, lost: 0 });
    // Failing twice: dropped and counted, and the next batch goes on.
    sink.failNext(2);
    bus.emit({ type: "test", data: { marker: "C" } });
    await bus.settled();
    await eventLog.flush();
    bus.emit({ type: "test", data: { marker: "D" } });
    await bus.settled();
    await eventLog.flush();
    bus.emit({ type: "test", data: { marker: "E" } });
    await bus.settled();
    await eventLog.close();
    expect(sink.writes.at(-1)!.map((r) => JSON.parse(r.envelope).data.marker)).toEqual(["D", "E"]);
    expect(eventLog.stats).toMatchObject({ lost: 1, failedWrites: 3 });
    await bus.settled();
    expect(busErrors).toEqual([]);
  });

  it("is bounded: while the store hangs, the oldest events are dropped and counted, with one warning", async () => {
    const sink = recordingSink();
    const release = sink.hold();
    const { lines, log } = logs();
    const bus = fakeBus();
    const eventLog = new EventLog(sink, { flushMs: 1, batchSize: 10, maxPending: 100, log });
    eventLog.attach(bus);
    bus.send(env("first"));
    await new Promise((r) => setTimeout(r, 20)); // the first write has started, and hangs
    for (let i = 0; i < 250; i++) bus.send(env(`e${i}`));
    expect(eventLog.pending).toBe(100);
    expect(eventLog.stats.dropped).toBe(150);
    expect(lines.map((l) => l.msg)).toEqual(["event log: the store is not keeping up; the oldest events were dropped"]);
    release();
    await eventLog.close();
    expect(sink.writes.flat().map((r) => r.id)).toEqual(["first", ...Array.from({ length: 100 }, (_, i) => `e${150 + i}`)]);
  });

  it("writes what is pending on close, and stops listening", async () => {
    const sink = recordingSink();
    const bus = fakeBus();
    const eventLog = new EventLog(sink, { flushMs: 60_000 });
    eventLog.attach(bus);
    for (let i = 0; i < 3; i++) bus.send(env(`e${i}`));
    expect(sink.writes).toHaveLength(0);
    await eventLog.close();
    expect(sink.writes.flat().map((r) => r.id)).toEqual(["e0", "e1", "e2"]);
    expect(bus.attached).toBe(false);
  });

  it("gives up at close after its timeout when the store hangs, and counts what was left", async () => {
    const sink = recordingSink();
    sink.hold(); // never released
    const { lines, log } = logs();
    const bus = fakeBus();
    const eventLog = new EventLog(sink, { flushMs: 60_000, log });
    eventLog.attach(bus);
    for (let i = 0; i < 3; i++) bus.send(env(`e${i}`));
    const started = performance.now();
    await eventLog.close({ timeoutMs: 50 });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(lines.map((l) => l.msg)).toEqual(["event log: the store did not answer in time at close; the events left were not written"]);
    expect(lines[0].obj).toEqual({ left: 3 }); // the three of the write that hangs
    expect(eventLog.stats).toMatchObject({ written: 0, lost: 3 });
  });

  it("stores a 5 MB envelope with its data replaced by a note that keeps its short fields; one that is not JSON likewise", () => {
    const huge = env("big", {
      repo: "Octo-Org/Shop",
      pr_number: 12,
      user_id: "alice",
      diff: "x".repeat(5 * 1024 * 1024),
      nested: { a: 1 },
    });
    const started = performance.now();
    const row = eventLogRow(huge)!;
    expect(performance.now() - started).toBeLessThan(1000);
    expect(Buffer.byteLength(row.envelope)).toBeLessThan(64 * 1024);
    expect(row.repo).toBe("octo-org/shop");
    const stored = JSON.parse(row.envelope);
    expect(stored).toMatchObject({ id: "big", event_type: "test", data: { repo: "Octo-Org/Shop", pr_number: 12, user_id: "alice" } });
    expect(stored.data.diff).toBeUndefined();
    expect(stored.data._note).toMatch(/over 64 KB \(\d+ bytes\)/);
    // Just under the cap: stored whole.
    expect(JSON.parse(eventLogRow(env("fits", { text: "y".repeat(60_000) }))!.envelope).data.text).toHaveLength(60_000);
    const notJson = eventLogRow(env("bigint", { repo: "o/r", n: 10n as unknown as number }))!;
    expect(JSON.parse(notJson.envelope).data).toMatchObject({ repo: "o/r", _note: expect.stringContaining("cannot be written as JSON") });
    expect(eventLogRow(env("x".repeat(500)))).toBeUndefined(); // an id no store should index
  });

  it("records the bus's events in the store, which serves the dashboard's history", async () => {
    const store = new SqliteStore(":memory:");
    const sink: EventLogSink = store; // the store is the sink as it is
    const history: EventHistory = store; // and the dashboard's history
    const bus = new EventBus();
    const eventLog = new EventLog(sink, { flushMs: 5 });
    eventLog.attach(bus);
    const first = bus.emit({ type: "test", data: { repo: "o/r", n: 1 } });
    bus.emit({ type: "test", data: { repo: "o/r", n: 2 } });
    bus.publish(first); // sent again under its id: recorded once
    const big = bus.emit({ type: "test", data: { repo: "o/r", n: 3, diff: "z".repeat(5 * 1024 * 1024) } });
    await bus.settled();
    await eventLog.close();
    const page = await history.listEvents({ repos: ["o/r"], includeUnscoped: false, limit: 10 });
    expect(page.events.map((e) => e.data.n)).toEqual([3, 2, 1]);
    expect(page.events[0].data).toMatchObject({ repo: "o/r", n: 3, _note: expect.stringMatching(/^data not stored/) });
    const [{ bytes }] = store.db.prepare("SELECT length(envelope) AS bytes FROM events WHERE id = ?").all(big.id) as { bytes: number }[];
    expect(bytes).toBeLessThan(64 * 1024);
    expect((await history.eventsAfter!(first.id, { limit: 10 }))!.map((e) => e.data.n)).toEqual([2, 3]);
    await store.close();
  });
});
