/**
 * `npm run bench:events`: the event bus and outgoing webhooks, each beside a baseline measured
 * in the same run.
 *
 * 1. Dispatch: events/s through EventBus (envelope, isolation, async dispatch) to one
 *    synchronous handler, against Node's EventEmitter handing the same envelope to the same
 *    handler (see below why). Target: >= 1/2.
 * 2. Delivery: signed, durable deliveries/s (bus -> SQLite outbox -> delivery loop -> HTTP) to a
 *    local receiver, against a bare fetch loop posting the same bodies to the same receiver
 *    with the same concurrency. Target: >= 1,000/s and >= 1/2 of bare.
 * 3. interact() latency with ten registrations pointing at a dead endpoint, against none.
 *    Target: within 10%.
 */
import { EventEmitter } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, fetch as undiciFetch } from "undici";
import { EmpathyOS } from "../src/engine/empathyOS.js";
import { EventBus } from "../src/events/bus.js";
import { createEnvelope, isoNow, newEventId } from "../src/events/envelope.js";
import { SqliteStore } from "../src/store/sqlite/index.js";
import { WebhookManager } from "../src/delivery/manager.js";
import { analysis, finding, prediction } from "../test/engine/fixtures.js";
import { freePort } from "../test/process/appProcess.js";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const dir = mkdtempSync(join(tmpdir(), "empathy-bench-events-"));
const rows: { what: string; ours: string; baseline: string; ratio: string; target: string; ok: boolean }[] = [];
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

// ---------------------------------------------------------------------------------------------
// 1. Dispatch rate
//
// Like with like: the bus's contract is an envelope per event ({ id, event_type, timestamp, data },
// a unique id, the data snapshotted and frozen) handed to handlers after emit has returned. The
// target compares it with an EventEmitter handing the very same envelope (createEnvelope, per
// event) to the same synchronous handler, so the ratio measures the bus's dispatch (deferral,
// isolation, wildcard and once handling), not the cost of building an envelope that a bare
// EventEmitter never builds. Both loops emit in bursts of BURST events and then yield once (as
// any emitter does between requests; interact() emits ~11): a bus that dispatches after emit
// returns holds every event of a burst until it yields, and with one 200,000-event burst the
// measure is the garbage collector promoting 200,000 held envelopes, not dispatch. The rows
// marked (context) show that case, and the plain EventEmitter baselines, in the same run.

async function benchDispatch(): Promise<void> {
  const N = 200_000;
  const BURST = 1000;
  const data = { user_id: "u", level: 3, confidence: 0.8, repo: "o/r" };
  let count = 0;
  const handler = () => void count++;

  // `emitOne(i)` emits event i; after every `burst` events the loop yields once (a microtask).
  const rate = async (emitOne: (i: number) => void, burst: number, after: () => Promise<void>) => {
    count = 0;
    const t0 = performance.now();
    for (let i = 0; i < N; i++) {
      emitOne(i);
      if (i % burst === burst - 1) await null;
    }
    await after();
    const ms = performance.now() - t0;
    if (count !== N) throw new Error(`lost events: ${count} of ${N}`);
    return (N / ms) * 1000;
  };
  const emitter = () => {
    const e = new EventEmitter();
    e.on("test", handler);
    return e;
  };
  const nothing = async () => {};
  const variants = {
    // An EventEmitter passing one existing object: no envelope at all.
    emitterRaw: (burst: number) => {
      const e = emitter();
      return rate(() => e.emit("test", data), burst, nothing);
    },
    // An EventEmitter passing a plain envelope (same id and timestamp helpers; data neither copied nor frozen).
    emitterPlain: (burst: number) => {
      const e = emitter();
      return rate(() => e.emit("test", { id: newEventId(), event_type: "test", timestamp: isoNow(), data }), burst, nothing);
    },
    // An EventEmitter passing exactly what the bus passes.
    emitterEnvelope: (burst: number) => {
      const e = emitter();
      return rate(() => e.emit("test", createEnvelope("test", data)), burst, nothing);
    },
    bus: (burst: number) => {
      const bus = new EventBus();
      bus.on("test", handler);
      return rate(
        () => bus.emit({ type: "test", data }),
        burst,
        () => bus.settled(),
      );
    },
  };
  type Variant = keyof typeof variants;
  const runs: [Variant, number][] = [
    ["emitterEnvelope", BURST],
    ["bus", BURST],
    ["emitterEnvelope", N],
    ["bus", N],
    ["emitterPlain", BURST],
    ["emitterRaw", BURST],
  ];
  const best = new Map<string, number>();
  // Warm-up, then best of three each (interleaved).
  for (const [v, burst] of runs) await variants[v](burst);
  for (let i = 0; i < 3; i++) {
    for (const [v, burst] of runs) {
      const key = `${v}/${burst}`;
      best.set(key, Math.max(best.get(key) ?? 0, await variants[v](burst)));
    }
  }
  const bus = best.get(`bus/${BURST}`)!;
  const row = (what: string, ours: number, baseline: number, label: string, target: boolean) =>
    rows.push({
      what,
      ours: fmt(ours),
      baseline: `${fmt(baseline)} (${label})`,
      ratio: (ours / baseline).toFixed(3),
      target: target ? ">= 0.5" : "(context)",
      ok: target ? ours / baseline >= 0.5 : true,
    });
  row(
    `dispatch, sync handler, same envelope, bursts of ${fmt(BURST)} (events/s)`,
    bus,
    best.get(`emitterEnvelope/${BURST}`)!,
    "EventEmitter + createEnvelope",
    true,
  );
  row(
    `  the same in one burst of ${fmt(N)}`,
    best.get(`bus/${N}`)!,
    best.get(`emitterEnvelope/${N}`)!,
    "EventEmitter + createEnvelope",
    false,
  );
  row(
    `  against a plain envelope (no snapshot, no freeze)`,
    bus,
    best.get(`emitterPlain/${BURST}`)!,
    "EventEmitter + { id, event_type, timestamp, data }",
    false,
  );
  row(`  against no envelope at all`, bus, best.get(`emitterRaw/${BURST}`)!, "EventEmitter, one object", false);
}

// ---------------------------------------------------------------------------------------------
// 2. Delivery throughput

async function benchDelivery(): Promise<void> {
  const N = 5000;
  const CONCURRENCY = 8;
  let received = 0;
  let onCount: (() => void) | null = null;
  let target = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
      received++;
      if (received === target) onCount?.();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?token=t`;
  const arrived = (n: number) =>
    new Promise<void>((resolve) => {
      received = 0;
      target = n;
      onCount = resolve;
    });
  const sample = JSON.stringify(createEnvelope("test", { user_id: "u", level: 3, confidence: 0.8, repo: "o/r", n: 0 }));

  const bare = async (n: number) => {
    const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 32 });
    const done = arrived(n);
    let next = 0;
    const t0 = performance.now();
    const worker = async () => {
      while (next < n) {
        next++;
        const res = await undiciFetch(url, { method: "POST", body: sample, headers: { "content-type": "application/json" }, dispatcher });
        await res.text();
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    await done;
    const ms = performance.now() - t0;
    await dispatcher.close();
    return (n / ms) * 1000;
  };

  const ours = async (n: number, run: number) => {
    const store = new SqliteStore(join(dir, `delivery-${run}.sqlite`));
    const bus = new EventBus();
    const manager = new WebhookManager(bus, {
      store,
      log: quiet,
      network: { allowPrivate: ["127.0.0.0/8"] },
      concurrency: 16,
      perEndpointConcurrency: CONCURRENCY,
    });
    manager.register({ eventType: "*", url, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" });
    await manager.start();
    const done = arrived(n);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) bus.emit({ type: "test", data: { user_id: "u", level: 3, confidence: 0.8, repo: "o/r", n: i } });
    await done;
    const ms = performance.now() - t0;
    const counts = await waitCounts(store, n);
    await manager.stop();
    await store.close();
    if (counts.delivered !== n) throw new Error(`only ${counts.delivered} of ${n} recorded delivered`);
    return (n / ms) * 1000;
  };

  await bare(500);
  await ours(500, 0);
  const best = { bare: 0, ours: 0 };
  for (let i = 1; i <= 3; i++) {
    best.bare = Math.max(best.bare, await bare(N));
    best.ours = Math.max(best.ours, await ours(N, i));
  }
  server.closeAllConnections();
  server.close();
  rows.push({
    what: `signed durable deliveries/s (${N}, concurrency ${CONCURRENCY})`,
    ours: fmt(best.ours),
    baseline: `${fmt(best.bare)} (bare fetch loop)`,
    ratio: (best.ours / best.bare).toFixed(3),
    target: ">= 1,000/s and >= 0.5",
    ok: best.ours >= 1000 && best.ours / best.bare >= 0.5,
  });
}

async function waitCounts(store: SqliteStore, n: number) {
  for (let i = 0; i < 200; i++) {
    const counts = await store.countWebhookDeliveries();
    if (counts.delivered === n) return counts;
    await new Promise((r) => setTimeout(r, 10));
  }
  return store.countWebhookDeliveries();
}

// ---------------------------------------------------------------------------------------------
// 3. interact() latency

async function benchInteract(): Promise<void> {
  const deadPort = await freePort(); // nothing listens: connections are refused
  const ROUNDS = 6;
  const PER_ROUND = 150;
  const context = (i: number) => ({
    repo: `o/r${i % 20}`,
    pr_number: i + 1,
    title: "Add order export",
    description: "Exports orders as CSV for the finance team.",
    files_changed: 4,
    tests_changed: false,
    analysis: analysis(
      [finding("js/sql-injection", { line: 10 }), finding("js/eval", { line: 20, category: "code-injection" })],
      [prediction("migration-drops-column"), prediction("api-breaking-change", { tags: ["api"] })],
    ),
  });

  const make = async (registrations: number, run: string) => {
    const store = new SqliteStore(join(dir, `interact-${run}.sqlite`));
    const bus = new EventBus();
    let manager: WebhookManager | null = null;
    if (registrations > 0) {
      manager = new WebhookManager(bus, { store, log: quiet, network: { allowPrivate: ["127.0.0.0/8"] } });
      for (let i = 0; i < registrations; i++) {
        manager.register({ eventType: "*", url: `http://127.0.0.1:${deadPort}/hook/${i}`, secret: "s3cret" });
      }
      await manager.start();
    }
    const engine = new EmpathyOS({ eventBus: bus, state: store });
    let events = 0;
    bus.on("*", () => void events++);
    return { store, bus, engine, manager, events: () => events };
  };
  const none = await make(0, "none");
  const ten = await make(10, "ten");

  let counter = 0;
  const round = async (setup: Awaited<ReturnType<typeof make>>) => {
    const times: number[] = [];
    for (let i = 0; i < PER_ROUND; i++) {
      const n = counter++;
      const t0 = performance.now();
      await setup.engine.interact({ userId: `user${n % 7}`, input: "Add order export\n\nExports orders as CSV.", context: context(n) });
      times.push(performance.now() - t0);
      // Let the bus and the delivery loop run between interactions, as between reviews.
      await new Promise((r) => setImmediate(r));
    }
    return times;
  };
  await round(none);
  await round(ten);
  const all = { none: [] as number[], ten: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    all.none.push(...(await round(none)));
    all.ten.push(...(await round(ten)));
  }
  await none.bus.settled();
  await ten.bus.settled();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const logs = await ten.manager!.getDeliveryLogs({ limit: 1 });
  const counts = await ten.store.countWebhookDeliveries();
  const eventsPer = ten.events() / (counter / 2);
  for (const [label, f] of [
    ["median", median],
    ["mean", mean],
  ] as const) {
    const a = f(all.ten);
    const b = f(all.none);
    rows.push({
      what: `interact() ${label} ms, 10 dead registrations vs none`,
      ours: a.toFixed(3),
      baseline: `${b.toFixed(3)} (no webhooks)`,
      ratio: (a / b).toFixed(3),
      target: "<= 1.10",
      ok: a / b <= 1.1,
    });
  }
  console.log(
    `interact(): ${counter} calls, ~${eventsPer.toFixed(1)} events each; outbox of the dead endpoint: ${JSON.stringify(counts)}; last attempt: ${logs[0]?.error ?? "none"}`,
  );
  await ten.manager!.stop();
  await none.store.close();
  await ten.store.close();
}

try {
  await benchDispatch();
  await benchDelivery();
  await benchInteract();
  console.log(`\nnode ${process.version}, ${(await import("node:os")).cpus().length} CPUs\n`);
  const header = ["measure", "ours", "baseline", "ratio", "target", ""];
  const table = [header, ...rows.map((r) => [r.what, r.ours, r.baseline, r.ratio, r.target, r.ok ? "ok" : "MISSED"])];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  for (const [i, row] of table.entries()) {
    console.log(row.map((cell, j) => cell.padEnd(widths[j])).join("  "));
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
