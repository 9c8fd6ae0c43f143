/** The retention loop: batches with yields between them, a timer that never holds the process, a clean stop. */
import { Retention } from "../../src/jobs/retention.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import type { RetentionStore } from "../../src/store/store.js";

const DAY = 24 * 60 * 60_000;

function oldDoneJobs(s: SqliteStore, n: number, at: number): void {
  const insert = s.db.prepare(
    "INSERT INTO jobs (type, payload, status, run_at, created_at, updated_at) VALUES ('t', '{}', 'done', 0, ?, ?)",
  );
  s.db.transaction(() => {
    for (let i = 0; i < n; i++) insert.run(at, at);
  })();
}

const waitFor = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe("Retention", () => {
  let s: SqliteStore;
  beforeEach(() => {
    s = new SqliteStore(":memory:");
  });
  afterEach(() => s.close());

  it("prunes every table in batches, yielding to the event loop between batches, and keeps what is needed", async () => {
    oldDoneJobs(s, 1234, Date.now() - 40 * DAY);
    const queued = await s.enqueueJob({ type: "t", payload: {} });
    s.db.prepare("UPDATE jobs SET created_at = 0, updated_at = 0 WHERE id = ?").run(queued);
    oldDoneJobs(s, 3, Date.now() - 5 * DAY); // within the period
    // The bus's recorded events (the dashboard's history): 700 past the period, 2 within it.
    const recorded = (n: number, at: number, tag: string) =>
      Array.from({ length: n }, (_, i) => ({ id: `${tag}-${i}`, eventType: "test", repo: null, timestamp: at, envelope: "{}" }));
    await s.appendEvents([...recorded(700, Date.now() - 40 * DAY, "old"), ...recorded(2, Date.now() - DAY, "new")]);

    const trace: string[] = [];
    const store = new Proxy(s, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof prop === "string" && prop.startsWith("prune") && typeof value === "function") {
          return async (...args: [number, number]) => {
            // Something else wanting the event loop: it must run between two batches.
            setImmediate(() => trace.push("other work"));
            const n = await value.apply(target, args);
            trace.push(`${prop} ${n}`);
            return n;
          };
        }
        return value;
      },
    }) as RetentionStore;
    const retention = new Retention({ store, retentionDays: 30, batchSize: 500 });
    expect(await retention.runOnce()).toEqual({ jobs: 1234, deliveries: 0, attempts: 0, events: 0, shownItems: 0, recordedEvents: 700 });
    expect(trace.filter((t) => t.startsWith("pruneEvents"))).toEqual(["pruneEvents 500", "pruneEvents 200"]);
    expect((await s.listEvents({ repos: [], includeUnscoped: true, limit: 10 })).events).toHaveLength(2);
    const jobBatches = trace.filter((t) => t.startsWith("pruneJobs"));
    expect(jobBatches).toEqual(["pruneJobs 500", "pruneJobs 500", "pruneJobs 234"]);
    // Each full batch is followed by other work before the next batch.
    const first = trace.indexOf("pruneJobs 500");
    const second = trace.indexOf("pruneJobs 500", first + 1);
    expect(trace.slice(first + 1, second)).toContain("other work");
    expect(await s.countJobs()).toEqual({ queued: 1, running: 0, done: 3, dead: 0 });
  });

  it("runs on an unref'd timer, again each interval, and stops", async () => {
    const calls: number[] = [];
    const store: RetentionStore = {
      pruneJobs: async (before) => (calls.push(before), 0),
      pruneWebhookDeliveries: async () => 0,
      pruneWebhookAttempts: async () => 0,
      pruneWebhookEvents: async () => 0,
      pruneShownItems: async () => 0,
      pruneEvents: async () => 0,
    };
    let now = 100 * DAY;
    const retention = new Retention({ store, retentionDays: 30, intervalMs: 20, firstRunDelayMs: 0, now: () => now });
    retention.start();
    const timer = (retention as unknown as { timer: NodeJS.Timeout }).timer;
    expect(timer.hasRef()).toBe(false); // never keeps the process alive on its own
    await waitFor(() => calls.length >= 1);
    expect(calls[0]).toBe(70 * DAY);
    now += DAY;
    await waitFor(() => calls.length >= 2);
    await retention.stop();
    const seen = calls.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(calls.length).toBe(seen);
  });

  it("stop() ends a pass under way at its next batch", async () => {
    let batches = 0;
    const endless: RetentionStore = {
      pruneJobs: async (_before, limit) => (batches++, limit), // always a full batch
      pruneWebhookDeliveries: async () => 0,
      pruneWebhookAttempts: async () => 0,
      pruneWebhookEvents: async () => 0,
      pruneShownItems: async () => 0,
      pruneEvents: async () => 0,
    };
    const retention = new Retention({ store: endless, batchSize: 10 });
    const pass = retention.runOnce();
    await waitFor(() => batches >= 5);
    await retention.stop();
    const counts = await pass;
    expect(counts.jobs).toBe(batches * 10);
    const after = batches;
    await new Promise((r) => setTimeout(r, 20));
    expect(batches).toBe(after);
  });

  it("a failing prune is logged and tried again at the next interval", async () => {
    let attempts = 0;
    const warnings: string[] = [];
    const flaky: RetentionStore = {
      pruneJobs: async () => {
        if (++attempts === 1) throw new Error("database is locked");
        return 0;
      },
      pruneWebhookDeliveries: async () => 0,
      pruneWebhookAttempts: async () => 0,
      pruneWebhookEvents: async () => 0,
      pruneShownItems: async () => 0,
      pruneEvents: async () => 0,
    };
    const retention = new Retention({
      store: flaky,
      intervalMs: 10,
      firstRunDelayMs: 0,
      log: { info: () => {}, warn: (_o, m) => void warnings.push(String(m)) },
    });
    retention.start();
    await waitFor(() => attempts >= 2);
    await retention.stop();
    expect(warnings).toEqual(["retention prune failed; tried again next time"]);
  });

  it("with 0 days keeps everything and starts no timer", async () => {
    oldDoneJobs(s, 10, 0);
    const retention = new Retention({ store: s, retentionDays: 0, firstRunDelayMs: 0 });
    retention.start();
    expect((retention as unknown as { timer: NodeJS.Timeout | null }).timer).toBeNull();
    expect((await retention.runOnce()).jobs).toBe(0);
    expect((await s.countJobs()).done).toBe(10);
    await retention.stop();
  });
});
