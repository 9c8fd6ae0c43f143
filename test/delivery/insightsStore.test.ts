/**
 * The webhooks page's store reads (WebhookInsightStore) and the stored pauses, the same on
 * SQLite and on a real PostgreSQL. The window figures come from per-minute and per-hour sums
 * (webhook_attempt_buckets): a run of retries across minutes and hours is checked against the
 * same figures counted from every attempt, for windows starting anywhere, after deletions too.
 */
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrations } from "../../src/store/migrations.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import type { Store, WebhookAttemptRecord, WebhookAttemptResult } from "../../src/store/store.js";
import { HOUR_MS, MINUTE_MS } from "../../src/store/webhookInsights.js";
import { storeBackends, type StorePair } from "../store/contractBackends.js";
import { postgresForSuite } from "../store/postgresSuite.js";
import { delivery, enqueue, result } from "../store/storeFixtures.js";

/** A small seeded generator: the same run every time. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const T0 = 10 * HOUR_MS + 17_345;
const REGS = ["r1", "r2", "r3"];

/** 60 deliveries over 3 registrations, retried (seconds to 50 minutes apart) over 5 hours until delivered or dead. */
async function retries(store: Store): Promise<void> {
  const rnd = random(7);
  const ds = Array.from({ length: 60 }, (_, i) =>
    delivery(`d${i}`, { registrationId: REGS[i % 3], nextAttemptAt: T0 + Math.floor(rnd() * 3 * HOUR_MS) }),
  );
  await enqueue(store, ds, T0 - 1000);
  let n = 0;
  for (let t = T0; t < T0 + 5 * HOUR_MS; t += 5_000 + Math.floor(rnd() * 400_000)) {
    const claimed = await store.claimWebhookDeliveries(REGS, t, 100);
    const results: WebhookAttemptResult[] = claimed.map((d) => {
      const u = rnd();
      // Unique times (one error per time); now and then a little behind the previous attempt (another instance's clock).
      const attemptedAt = t + (rnd() < 0.1 ? -20_000 : 0) + n++;
      if (u < 0.4) return result(d.id, { attemptedAt, durationMs: 10 + n });
      if (u < 0.85)
        return result(d.id, {
          status: "failed",
          statusCode: 500,
          error: `HTTP 500 #${n}`,
          attemptedAt,
          nextAttemptAt: t + 5_000 + Math.floor(rnd() * 50 * MINUTE_MS),
        });
      return result(d.id, { status: "dead", statusCode: 503, error: `gave up #${n}`, attemptedAt });
    });
    await store.recordWebhookAttempts(results);
  }
}

/** The window's figures and last errors counted from every attempt (and every dead letter). */
async function counted(store: Store, since: number) {
  const all: WebhookAttemptRecord[] = await store.listWebhookAttempts({ limit: 100_000 });
  const inWindow = all.filter((a) => a.attemptedAt >= since);
  const stats = REGS.map((id) => {
    const mine = inWindow.filter((a) => a.registrationId === id);
    return {
      registrationId: id,
      attempts: mine.length,
      succeeded: mine.filter((a) => a.status === "delivered").length,
      deliveries: new Set(mine.map((a) => a.deliveryId)).size,
      lastAttemptAt: Math.max(...mine.map((a) => a.attemptedAt)),
    };
  }).filter((s) => s.attempts > 0);
  const dead = await store.listWebhookDeliveries({ status: "dead", limit: 1000 });
  const errors = REGS.map((id) => {
    const candidates = [
      ...inWindow.filter((a) => a.registrationId === id && a.status !== "delivered" && a.error !== null),
      // A dead letter's error, as of its last attempt (recorded with it).
      ...all.filter((a) => a.registrationId === id && a.status === "dead" && dead.some((d) => d.id === a.deliveryId)),
    ].sort((x, y) => y.attemptedAt - x.attemptedAt);
    const e = candidates[0];
    return e && { registrationId: id, error: e.error, statusCode: e.statusCode, at: e.attemptedAt };
  }).filter((e) => e !== undefined);
  return { stats, errors };
}

const byId = <T extends { registrationId: string }>(xs: T[]) => [...xs].sort((x, y) => x.registrationId.localeCompare(y.registrationId));

/** Window starts: before everything, on and beside minute and hour boundaries, in the partial first minute, after everything. */
const SINCES = [
  0,
  T0 - 1,
  T0 + 1,
  11 * HOUR_MS,
  11 * HOUR_MS - 1,
  11 * HOUR_MS + 1,
  11 * HOUR_MS + 30 * MINUTE_MS,
  11 * HOUR_MS + 30 * MINUTE_MS + 59_999,
  12 * HOUR_MS + 7 * MINUTE_MS + 12_345,
  13 * HOUR_MS + 59 * MINUTE_MS + 59_999,
  14 * HOUR_MS + 41 * MINUTE_MS,
  16 * HOUR_MS + 3 * MINUTE_MS + 1,
  T0 + 6 * HOUR_MS,
];

async function expectCounted(store: Store, since: number): Promise<void> {
  const want = await counted(store, since);
  expect({ since, stats: byId(await store.webhookWindowStats(since)) }).toEqual({ since, stats: byId(want.stats) });
  expect({ since, errors: byId(await store.webhookLastErrors(since)) }).toEqual({ since, errors: byId(want.errors) });
}

const server = postgresForSuite();

describe.each(storeBackends(() => server))("webhook insight reads: %s", (_name, open) => {
  let s: StorePair;
  beforeEach(async () => {
    s = await open();
  });
  afterEach(async () => s.close());

  it("figures over a window, last errors, queue counts, attempts and dead letters a page at a time", async () => {
    const { a, b } = s;
    await enqueue(a, [delivery("d1"), delivery("d2"), delivery("d3"), delivery("x1", { registrationId: "r2" })]);
    await a.claimWebhookDeliveries(["r1", "r2"], 1000, 10);
    await a.recordWebhookAttempts([
      result("d1", { status: "failed", statusCode: 500, error: "HTTP 500", durationMs: 30, nextAttemptAt: 1500, attemptedAt: 900 }),
      result("d2", { durationMs: 10, attemptedAt: 1100 }),
      result("d3", { status: "dead", statusCode: 503, error: "HTTP 503; gave up", durationMs: 20, attemptedAt: 1200 }),
      result("x1", { durationMs: 5, attemptedAt: 1300 }),
    ]);
    await a.claimWebhookDeliveries(["r1"], 2000, 10);
    await a.recordWebhookAttempts([result("d1", { durationMs: 40, attemptedAt: 2000 })]);

    const stats = (await b.webhookWindowStats(1000)).sort((x, y) => x.registrationId.localeCompare(y.registrationId));
    expect(stats).toEqual([
      { registrationId: "r1", attempts: 3, succeeded: 2, deliveries: 3, lastAttemptAt: 2000 },
      { registrationId: "r2", attempts: 1, succeeded: 1, deliveries: 1, lastAttemptAt: 1300 },
    ]);
    expect((await b.webhookDurationSample(1000, 2)).map((d) => d.durationMs)).toEqual([40, 5]);
    expect(await b.webhookLastErrors(1000)).toEqual([{ registrationId: "r1", error: "HTTP 503; gave up", statusCode: 503, at: 1200 }]);
    await enqueue(a, [delivery("d4")], 2100);
    expect(await b.webhookQueueCounts()).toEqual([{ registrationId: "r1", pending: 1, inFlight: 0, dead: 1 }]);

    const first = await b.listWebhookRegistrationAttempts({ registrationId: "r1", limit: 2 });
    expect(first.map((x) => [x.deliveryId, x.attempt, x.status])).toEqual([
      ["d1", 2, "delivered"],
      ["d3", 1, "dead"],
    ]);
    const next = await b.listWebhookRegistrationAttempts({ registrationId: "r1", limit: 2, before: first[1].seq });
    expect(next.map((x) => x.deliveryId)).toEqual(["d2", "d1"]);
    expect(next[1]).toMatchObject({ statusCode: 500, nextAttemptAt: 1500, error: "HTTP 500" });

    await enqueue(a, [delivery("d5", { status: "dead", error: "template error" }), delivery("d6", { status: "dead", error: "bad" })], 1200);
    const dead = await b.listWebhookDeadLetters({ registrationId: "r1", limit: 2 });
    expect(dead).toHaveLength(2);
    const rest = await b.listWebhookDeadLetters({ registrationId: "r1", limit: 2, before: dead[1] });
    expect([...dead, ...rest].map((x) => x.id).sort()).toEqual(["d3", "d5", "d6"]);
    expect(dead[0]).toMatchObject({ registrationId: "r1", eventType: "test" });
  });

  it("figures of a window starting anywhere: as counted from every attempt, after pruning and after deleting deliveries too", async () => {
    const { a, b } = s;
    await retries(a);
    const all = await b.listWebhookAttempts({ limit: 100_000 });
    // The run crosses minutes and hours, retries a delivery in the same minute, the next, or much later.
    expect(all.length).toBeGreaterThan(100);
    expect(new Set(all.map((x) => Math.floor(x.attemptedAt / HOUR_MS))).size).toBeGreaterThanOrEqual(5);
    for (const since of SINCES) await expectCounted(b, since);

    // Retention: the attempts of delivered deliveries before a time go (oldest first); windows starting after it are exact.
    const before = 12 * HOUR_MS + 20 * MINUTE_MS + 5;
    expect(await a.pruneWebhookAttempts(before, 10_000)).toBeGreaterThan(0);
    for (const since of SINCES.filter((x) => x >= before)) await expectCounted(b, since);

    // Whole deliveries deleted (newest attempts of their buckets included): every window is exact again.
    expect(await a.pruneWebhookDeliveries(T0 + 10 * HOUR_MS, 10_000)).toBeGreaterThan(0);
    for (const since of SINCES) await expectCounted(b, since);
    const left = await b.listWebhookAttempts({ limit: 100_000 });
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((x) => x.status === "failed")).toBe(true); // only the still pending ones remain
  });

  it("a registration's newest attempt and newest error deleted: the figures show the ones left, not the deleted ones", async () => {
    const { a, b } = s;
    const t = 3 * HOUR_MS + 5 * MINUTE_MS;
    await enqueue(a, [delivery("old", { nextAttemptAt: t }), delivery("new", { nextAttemptAt: t })], t - 1000);
    await a.claimWebhookDeliveries(["r1"], t, 10);
    await a.recordWebhookAttempts([
      result("old", { status: "failed", statusCode: 500, error: "HTTP 500", attemptedAt: t + 1000, nextAttemptAt: t + HOUR_MS }),
      result("new", { status: "dead", statusCode: 410, error: "secret reason", attemptedAt: t + 2000 }),
    ]);
    expect(await b.webhookWindowStats(t)).toEqual([
      { registrationId: "r1", attempts: 2, succeeded: 0, deliveries: 2, lastAttemptAt: t + 2000 },
    ]);
    expect(await b.pruneWebhookDeliveries(t + 3000, 10)).toBe(1); // the dead letter, with its attempt
    for (const since of [t, t - 30 * MINUTE_MS, t - 2 * HOUR_MS]) {
      expect(await b.webhookWindowStats(since)).toEqual([
        { registrationId: "r1", attempts: 1, succeeded: 0, deliveries: 1, lastAttemptAt: t + 1000 },
      ]);
      expect(await b.webhookLastErrors(since)).toEqual([{ registrationId: "r1", error: "HTTP 500", statusCode: 500, at: t + 1000 }]);
    }
  });

  it("a registration never attempted: no figures, an empty log", async () => {
    const { a, b } = s;
    await retries(a);
    expect((await b.webhookWindowStats(0)).map((x) => x.registrationId)).not.toContain("never");
    expect(await b.listWebhookRegistrationAttempts({ registrationId: "never", limit: 51 })).toEqual([]);
    expect(await b.webhookWindowStats(T0 + 7 * HOUR_MS)).toEqual([]);
  });

  it("keeps pauses per endpoint, beside (never as) a registration's disabled state", async () => {
    const { a, b } = s;
    await a.setWebhookRegistrationDisabled("r1", "410 Gone", 5);
    await a.setWebhookPause("key-1", "alice", 10);
    await a.setWebhookPause("key-2", "bob", 11);
    await a.setWebhookPause("key-1", "carol", 12);
    expect((await b.listWebhookPauses()).sort((x, y) => x.endpointKey.localeCompare(y.endpointKey))).toEqual([
      { endpointKey: "key-1", pausedAt: 12, pausedBy: "carol" },
      { endpointKey: "key-2", pausedAt: 11, pausedBy: "bob" },
    ]);
    await b.setWebhookPause("key-1", null, 13);
    expect(await a.listWebhookPauses()).toEqual([{ endpointKey: "key-2", pausedAt: 11, pausedBy: "bob" }]);
    expect(await a.getWebhookRegistrationState("r1")).toMatchObject({ disabledReason: "410 Gone" });
  });
});

describe("webhook attempt buckets on a SQLite file written before them (migration 12)", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "empathy-buckets-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("are filled from the attempts already there, then kept by the triggers", async () => {
    // The run written by today's store, its attempts copied into a file at migration 11 (no buckets).
    const source = new SqliteStore(join(dir, "source.sqlite"));
    await retries(source);
    const path = join(dir, "empathy.sqlite");
    const old = new Database(path);
    old.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
    for (const m of migrations.filter((m) => m.version < 12)) {
      old.exec(m.sql);
      old.prepare("INSERT INTO schema_migrations VALUES (?, ?, ?)").run(m.version, m.name, 0);
    }
    old.exec(`ATTACH DATABASE '${join(dir, "source.sqlite")}' AS src`);
    for (const table of ["webhook_events", "webhook_deliveries"]) old.exec(`INSERT INTO ${table} SELECT * FROM src.${table}`);
    old.exec(
      `INSERT INTO webhook_attempts SELECT id, delivery_id, registration_id, event_type, attempt, status, status_code, duration_ms, error,
         response_excerpt, next_attempt_at, attempted_at FROM src.webhook_attempts ORDER BY id`,
    );
    old.close();

    const store = new SqliteStore(path);
    try {
      expect(store.db.prepare("SELECT COUNT(*) AS n FROM webhook_attempt_buckets").get()).not.toEqual({ n: 0 });
      for (const since of SINCES) {
        await expectCounted(store, since);
        expect(await store.webhookWindowStats(since)).toEqual(await source.webhookWindowStats(since));
      }
      // New attempts after the upgrade add to the same sums.
      await enqueue(store, [delivery("late", { registrationId: "r2", nextAttemptAt: T0 + 7 * HOUR_MS })]);
      await store.claimWebhookDeliveries(["r2"], T0 + 7 * HOUR_MS, 1);
      await store.recordWebhookAttempts([result("late", { attemptedAt: T0 + 7 * HOUR_MS })]);
      for (const since of SINCES) await expectCounted(store, since);
    } finally {
      await store.close();
      await source.close();
    }
  });
});
