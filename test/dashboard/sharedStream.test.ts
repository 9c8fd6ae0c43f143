/**
 * The live stream across instances (shared mode of src/dashboard/eventStream.ts): two app-side
 * instances, each with its own bus, event log and EventStream on a real loopback server, sharing
 * one store (two SQLite stores on one file; two pools on one throwaway PostgreSQL database). A
 * viewer on B sees A's events within about a second, once each, in the store's order (the same on
 * both instances); Last-Event-ID resumes on the other instance, from the store, without sending
 * again what the poll then reads; a resume that would miss more than the replay buffer says
 * `reset`. On SQLite also: no store read while no viewer is connected, one poll per instance
 * however many viewers, pages bounded, and a failing store logged and retried with a growing
 * wait, the events it held then sent once.
 */
import { jest } from "@jest/globals";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { EventStream, type StreamFilter, type StreamOptions } from "../../src/dashboard/eventStream.js";
import { EventBus } from "../../src/events/bus.js";
import type { AnyEventEnvelope } from "../../src/events/catalog.js";
import { EventLog } from "../../src/events/eventLog.js";
import type { Store } from "../../src/store/store.js";
import { storeBackends, type StorePair } from "../store/contractBackends.js";
import { postgresForSuite } from "../store/postgresSuite.js";
import { memoryLog, serve, sessionCookie } from "./harness.js";
import { openStream, type SseClient } from "./sseClient.js";

jest.setTimeout(60_000);

const server = postgresForSuite();

/** What every viewer here may see: octo/app only. */
const FILTER: StreamFilter = { login: "viewer", allowed: new Set(["octo/app"]), unscoped: false, repos: null, types: null };

interface Instance {
  name: string;
  bus: EventBus;
  eventLog: EventLog;
  stream: EventStream;
  url: string;
  logs: string[];
  close(): Promise<void>;
}

/** The store's reads as the stream gets them, counted, and failing while `failing` is set. */
function tap(store: Store) {
  const t = { reads: 0, limits: [] as number[], sizes: [] as number[], failing: false };
  const check = () => {
    if (t.failing) throw new Error("connect ECONNREFUSED 127.0.0.1:5432 (the test's store is down)");
  };
  const history: NonNullable<StreamOptions["history"]> = {
    eventsAfter: async (id, o) => (check(), store.eventsAfter(id, o)),
    eventsAfterSeq: async (seq, o) => {
      t.reads++;
      t.limits.push(o.limit);
      check();
      const rows = await store.eventsAfterSeq(seq, o);
      t.sizes.push(rows.length);
      return rows;
    },
    eventSeq: async (id) => (check(), store.eventSeq(id)),
    newestEventSeq: async () => {
      t.reads++;
      check();
      return store.newestEventSeq();
    },
    onEventsAppended: (listener) => store.onEventsAppended(listener),
  };
  return Object.assign(t, { history });
}

const running: Instance[] = [];
const clients: SseClient[] = [];

async function instance(name: string, store: Store, options: StreamOptions = {}, logFlushMs = 20): Promise<Instance> {
  const bus = new EventBus();
  const eventLog = new EventLog(store, { flushMs: logFlushMs });
  eventLog.attach(bus);
  const logs: string[] = [];
  const stream = new EventStream(bus, { history: store, log: memoryLog(logs), keepAliveMs: 60_000, ...options });
  stream.start();
  const http: Server = createServer((req, res) => {
    void stream.connect(req, res, FILTER, Date.now() + 60_000).then((taken) => taken || res.writeHead(503).end());
  });
  await new Promise<void>((ok) => http.listen(0, "127.0.0.1", ok));
  const i: Instance = {
    name,
    bus,
    eventLog,
    stream,
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/`,
    logs,
    close: async () => {
      stream.stop();
      await eventLog.close();
      http.closeAllConnections();
      await new Promise((ok) => http.close(ok));
    },
  };
  running.push(i);
  return i;
}

async function viewer(i: Instance, lastEventId?: string): Promise<SseClient> {
  const c = await openStream(i.url, lastEventId ? { "last-event-id": lastEventId } : {});
  clients.push(c);
  await c.waitFor((m) => m.comment === "connected");
  return c;
}

/** The ids of the events a viewer got, in order. */
const idsOf = (c: SseClient) => c.messages.filter((m) => m.id).map((m) => m.id);

const emit = (i: Instance, n: number | string, repo = "octo/app"): AnyEventEnvelope =>
  i.bus.emit({ type: "test", data: { repo, n, on: i.name } });

/** The store's order of the events a viewer may see (what every instance's viewers must get). */
async function storeOrder(store: Store, after = 0): Promise<string[]> {
  return (await store.eventsAfterSeq(after, { limit: 1000 })).filter((r) => r.envelope.data.repo === "octo/app").map((r) => r.envelope.id);
}

/** The instance's emitted events are in the store (the bus hands them to the log on a microtask). */
async function recordedAll(...instances: Instance[]): Promise<void> {
  for (const i of instances) {
    await i.bus.flush();
    await i.eventLog.flush();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(10);
  }
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const i of running.splice(0)) await i.close();
});

describe.each(storeBackends(() => server))("the live stream across instances: %s", (_name, open) => {
  let s: StorePair;
  beforeEach(async () => {
    s = await open();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const i of running.splice(0)) await i.close();
    await s.close();
  });

  it("shows a viewer on B the events emitted on A within about a second, once each, in the same order as on A", async () => {
    // The defaults: the event log writes every 100 ms, the stream polls every second.
    const a = await instance("a", s.a, {}, 100);
    const b = await instance("b", s.b, {}, 100);
    expect(b.stream.shared).toBe(true);
    const onA = await viewer(a);
    const onB = await viewer(b);
    const started = Date.now();
    const first = emit(a, 1);
    await onB.waitFor((m) => m.id === first.id, 5000);
    const latency = Date.now() - started;
    expect(latency).toBeLessThan(2000); // the log's write (100 ms) and at most one poll (1 s)

    const hidden = emit(a, "hidden", "other/private");
    const sent = [emit(b, 2), emit(a, 3), emit(a, 4), emit(b, 5), emit(a, 6)];
    const last = sent[sent.length - 1];
    await onA.waitFor((m) => m.id === last.id, 5000);
    await onB.waitFor((m) => m.id === last.id, 5000);
    await sleep(1200); // one more poll: nothing is sent twice
    const order = await storeOrder(s.a);
    expect(order).toHaveLength(6);
    expect(idsOf(onB)).toEqual(order);
    expect(idsOf(onA)).toEqual(order);
    expect(idsOf(onB)).not.toContain(hidden.id);
  });

  it("resumes after Last-Event-ID on the other instance from the store: the rest once each, then live events", async () => {
    const a = await instance("a", s.a, { pollMs: 100 });
    const b = await instance("b", s.b, { pollMs: 100 });
    const onA = await viewer(a);
    const early = [emit(a, 1), emit(a, 2), emit(a, 3)];
    await onA.waitFor((m) => m.id === early[2].id);
    onA.close();
    // While nobody watches B (B reads nothing), more events on both instances.
    const missed = [emit(b, 4), emit(a, 5)];
    await recordedAll(a, b);
    expect(b.stream.pollStats.polls).toBe(0);

    // The viewer saw up to early[1] (its browser sends that id): it gets early[2] and the missed ones.
    const resumed = await viewer(b, early[1].id);
    await resumed.waitFor((m) => m.id === missed[1].id);
    const later = [emit(a, 6), emit(b, 7)];
    await resumed.waitFor((m) => m.id === later[1].id);
    // And a resume from an id B's own ring holds (B has polled since): from the ring, the same order.
    const again = await viewer(b, missed[0].id);
    await again.waitFor((m) => m.id === later[1].id);
    await sleep(300);
    const order = await storeOrder(s.b);
    expect(order.slice(0, 3)).toEqual(early.map((e) => e.id));
    expect(idsOf(resumed)).toEqual(order.slice(2));
    expect(idsOf(again)).toEqual(order.slice(order.indexOf(missed[0].id) + 1));
    expect(resumed.messages.some((m) => m.event === "reset")).toBe(false);
  });

  it("does not send again what a resume read from the store when the poll reads it after", async () => {
    const a = await instance("a", s.a, { pollMs: 100 });
    // B polls once a minute: only its own writes make it read sooner.
    const b = await instance("b", s.b, { pollMs: 60_000 });
    const x = emit(a, "x");
    await recordedAll(a);
    const watching = await viewer(b); // B's first read: the newest seq, x's
    const stored = [emit(a, 1), emit(a, 2)];
    await recordedAll(a);
    // Not in B's ring (B has not read since): from the store, and the stream notes how far.
    const resumed = await viewer(b, x.id);
    await resumed.waitFor((m) => m.id === stored[1].id);
    const local = emit(b, 3); // B records it, then reads the store: stored[0], stored[1], local
    await watching.waitFor((m) => m.id === local.id);
    await resumed.waitFor((m) => m.id === local.id);
    await sleep(100);
    expect(idsOf(watching)).toEqual([stored[0].id, stored[1].id, local.id]);
    expect(idsOf(resumed)).toEqual([stored[0].id, stored[1].id, local.id]);
  });

  it("says reset when a resume would miss more than the replay buffer, or names an unknown id; then goes on live", async () => {
    const a = await instance("a", s.a, { pollMs: 100 });
    const b = await instance("b", s.b, { pollMs: 100, replay: 10 });
    const x = emit(a, "x");
    const ten = Array.from({ length: 10 }, (_, n) => emit(a, n));
    await recordedAll(a);
    const full = await viewer(b, x.id); // exactly the buffer: all of it
    await full.waitFor((m) => m.id === ten[9].id);
    expect(idsOf(full)).toEqual(ten.map((e) => e.id));
    expect(full.messages.some((m) => m.event === "reset")).toBe(false);

    const eleventh = emit(a, 10);
    await recordedAll(a);
    const tooFar = await viewer(b, x.id);
    const unknown = await viewer(b, "never-recorded");
    const live = emit(a, "live");
    for (const c of [tooFar, unknown]) {
      await c.waitFor((m) => m.id === live.id);
      // Reset first (the page reloads its history), then what B reads from then on: none of the ten.
      const got = c.messages.filter((m) => m.event === "reset" || m.id).map((m) => m.id ?? m.event);
      expect(got[0]).toBe("reset");
      expect(got.filter((g) => ten.some((e) => e.id === g))).toEqual([]);
      expect(new Set(got).size).toBe(got.length);
    }
    await full.waitFor((m) => m.id === live.id);
    expect(idsOf(full).slice(-2)).toEqual([eleventh.id, live.id]);
  });
});

describe("the live stream's store reads (SQLite)", () => {
  let s: StorePair;
  beforeEach(async () => {
    s = await storeBackends(() => server)[0][1]();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const i of running.splice(0)) await i.close();
    await s.close();
  });

  it("reads nothing while no viewer is connected, and once a poll interval per instance however many are", async () => {
    const a = await instance("a", s.a, { pollMs: 100 });
    const t = tap(s.b);
    const b = await instance("b", s.b, { pollMs: 100, history: t.history });
    for (let n = 0; n < 10; n++) {
      emit(a, n);
      emit(b, n); // B records its own events too: no viewer, no read for them either
      await sleep(50);
    }
    await recordedAll(b);
    expect(t.reads).toBe(0);
    expect(b.stream.pollStats.polls).toBe(0);

    const viewers = await Promise.all([viewer(b), viewer(b), viewer(b)]);
    const before = t.reads;
    await sleep(1000);
    const polls = t.reads - before;
    expect(polls).toBeGreaterThanOrEqual(5); // one a 100 ms...
    expect(polls).toBeLessThanOrEqual(13); // ...for the instance, not one per viewer (that would be ~30)

    for (const c of viewers) c.close();
    await waitUntil(() => b.stream.size === 0);
    await sleep(150); // a read under way ends
    const stopped = t.reads;
    emit(a, "after");
    emit(b, "after");
    await sleep(500);
    expect(t.reads).toBe(stopped);
  });

  it("reads a page of at most pollLimit events at a time, the next at once while pages come back full", async () => {
    const a = await instance("a", s.a, { pollMs: 100 });
    const t = tap(s.b);
    const b = await instance("b", s.b, { pollMs: 60_000, pollLimit: 5, history: t.history });
    const onB = await viewer(b);
    const sent = Array.from({ length: 42 }, (_, n) => emit(a, n));
    await recordedAll(a);
    // B polls once a minute: one of its own writes starts the reading, which goes on page after page.
    const local = emit(b, "local");
    await onB.waitFor((m) => m.id === local.id);
    expect(idsOf(onB)).toEqual([...sent.map((e) => e.id), local.id]);
    expect(Math.max(...t.limits)).toBe(5);
    expect(Math.max(...t.sizes)).toBe(5);
    expect(t.sizes.filter((n) => n === 5).length).toBeGreaterThanOrEqual(8);
    // pollLimit is held to half the replay buffer: one read never pushes a viewer that keeps up out of it.
    const c = await instance("c", s.b, { replay: 8, pollLimit: 1000, history: tap(s.b).history });
    expect((c.stream as unknown as { pollLimit: number }).pollLimit).toBe(4);
  });

  it("logs a failing store and reads again less and less often, never crashing; the events come once it is back", async () => {
    const a = await instance("a", s.a, { pollMs: 100 });
    const t = tap(s.b);
    const b = await instance("b", s.b, { pollMs: 100, maxBackoffMs: 800, history: t.history });
    const onB = await viewer(b);
    await sleep(150);
    t.failing = true;
    const held = [emit(a, 1), emit(a, 2), emit(a, 3)];
    await recordedAll(a);
    const before = t.reads;
    await sleep(1600);
    // Without the growing wait: ~16 reads; with it (200, 400, 800, 800 ms): at most 5.
    expect(t.reads - before).toBeGreaterThanOrEqual(2);
    expect(t.reads - before).toBeLessThanOrEqual(5);
    expect(b.stream.pollStats.failures).toBeGreaterThanOrEqual(2);
    const warned = b.logs.filter((l) => l.startsWith("warn dashboard: reading new events from the store failed"));
    expect(warned.length).toBeGreaterThanOrEqual(2);
    expect(warned[0]).toContain("ECONNREFUSED");
    expect(warned[0]).toContain('"retryInMs":200');
    expect(idsOf(onB)).toEqual([]);
    // A resume while the store is down cannot be known: reset, then live events.
    const resumed = await viewer(b, held[0].id);
    await resumed.waitFor((m) => m.event === "reset");

    t.failing = false;
    await onB.waitFor((m) => m.id === held[2].id, 3000);
    const after = emit(a, 4);
    await onB.waitFor((m) => m.id === after.id);
    await resumed.waitFor((m) => m.id === after.id);
    await sleep(200);
    expect(idsOf(onB)).toEqual([...held, after].map((e) => e.id));
  });

  it("is what the dashboard's route serves when given the store as its history (as src/app.ts does)", async () => {
    const a = await instance("a", s.a, { pollMs: 100 });
    const h = await serve({ history: s.b, stream: { pollMs: 100 } });
    try {
      h.clock.now = Date.now();
      expect(h.handler.stream!.shared).toBe(true);
      const c = await openStream(`${h.url}/dashboard/events/stream`, { cookie: sessionCookie({ now: h.clock.now }) });
      clients.push(c);
      await c.waitFor((m) => m.comment === "connected");
      const fromA = emit(a, 1);
      await c.waitFor((m) => m.id === fromA.id);
    } finally {
      await h.close();
    }
  });

  it("without the reads to tail the store (this instance's bus only), a resume from the store also says reset beyond the buffer", async () => {
    const a = await instance("a", s.a, { pollMs: 100 });
    const only = { eventsAfter: s.b.eventsAfter.bind(s.b) };
    const b = await instance("b", s.b, { replay: 10, history: only });
    expect(b.stream.shared).toBe(false);
    const x = emit(a, "x");
    const ten = Array.from({ length: 10 }, (_, n) => emit(a, n));
    await recordedAll(a);
    const full = await viewer(b, x.id);
    expect(idsOf(full)).toEqual(ten.map((e) => e.id));
    emit(a, 10);
    await recordedAll(a);
    const tooFar = await viewer(b, x.id);
    await tooFar.waitFor((m) => m.event === "reset");
    expect(idsOf(tooFar)).toEqual([]); // not the first ten of eleven, silently
  });

  it("lets a viewer in while the store's first read fails, and ends its stream when the store is back (its browser resumes)", async () => {
    const t = tap(s.b);
    t.failing = true;
    const b = await instance("b", s.b, { pollMs: 100, maxBackoffMs: 200, history: t.history });
    const early = await viewer(b); // not held until the store answers
    expect(b.stream.size).toBe(1);
    t.failing = false;
    await early.ended;
    const later = await viewer(b);
    const e = emit(b, 1);
    await later.waitFor((m) => m.id === e.id);
  });
});
