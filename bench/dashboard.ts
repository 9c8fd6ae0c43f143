/**
 * `npm run bench:dashboard`: the web dashboard's cost (issue 15, item 10), each figure beside its
 * target or a baseline measured in the same run.
 *
 * 1. Page data queries, on both stores (SQLite in a temp file; PostgreSQL on a throwaway server
 *    started as test/store/postgresServer.ts does, skipped with the reason when it cannot be),
 *    with 1,000,000 stored delivery attempts (200,000 deliveries over 20 registrations, the
 *    busiest ~15× the quietest, 60% delivered at once, 20% after 6 failures, 19% dead letters
 *    after 15 attempts, 1% still retrying; over the last 7 days) and 100,000 recorded events
 *    (over 300 repositories, a few big and many small, 5% naming none; same 7 days). The schema
 *    is made by opening the real store (its migrations); the rows are written in bulk, not
 *    through the app, but into its tables, whose triggers keep the per-minute and per-hour sums
 *    the webhooks page reads (webhook_attempt_buckets): the load time includes that upkeep, as
 *    recording attempts does. Each store method the pages call is timed as the page calls it:
 *    the median of 5 runs after one warm-up. Target: < 100 ms each. The SQLite store runs no
 *    ANALYZE (the app never does); PostgreSQL is analysed after the load, as autovacuum would.
 * 2. Live stream fan-out: interact() calls per second on a real EmpathyOS (SQLite state), back to
 *    back, while the dashboard's EventStream carries 1,000 events/s (envelopes as interact emits
 *    them, in its bursts), with no client and then with 100 clients connected over real HTTP on
 *    127.0.0.1. The clients run in a process of their own (bench/dashboardClients.ts), so their
 *    parsing is not charged to the app's. The engine emits on a bus of its own: the stream then
 *    carries exactly the 1,000 events/s asked, and the clients' cost is what they take from
 *    interact() on the shared event loop. As in the app, the stream's events are recorded in a
 *    SQLite store (the event log) and the stream reads them back from it (one poll per instance
 *    while a viewer is connected, and after each batch the log writes), so the figure includes
 *    the shared mode's store reads. Median of 5 rounds each, interleaved. Target: with clients
 *    >= 0.90 of without.
 *
 * BENCH_SCALE shrinks the stored rows (e.g. 0.05 while developing); BENCH_ONLY=queries or
 * BENCH_ONLY=stream runs one part; BENCH_SSE_SECONDS sets a round's length (default 3).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EventStream, type StreamFilter } from "../src/dashboard/eventStream.js";
import { DURATION_SAMPLE } from "../src/delivery/insights.js";
import { EmpathyOS } from "../src/engine/empathyOS.js";
import { EventBus } from "../src/events/bus.js";
import { EventLog } from "../src/events/eventLog.js";
import { PostgresStore } from "../src/store/postgres/index.js";
import { SqliteStore } from "../src/store/sqlite/index.js";
import type { Store } from "../src/store/store.js";
import { analysis, finding, prediction } from "../test/engine/fixtures.js";

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const ONLY = process.env.BENCH_ONLY ?? "";
const SSE_SECONDS = Number(process.env.BENCH_SSE_SECONDS ?? 3);
const DELIVERIES = Math.round(200_000 * SCALE);
const EVENTS = Math.round(100_000 * SCALE);
const REGISTRATIONS = 20;
const REPOS = 300;
const DAY = 24 * 60 * 60_000;
const SPAN = 7 * DAY;
const RUNS = 5;
const TARGET_MS = 100;
/** The webhooks page's windows (src/dashboard/webhooksPage.ts WINDOWS). */
const WINDOWS: [string, number][] = [
  ["15m", 15 * 60_000],
  ["1h", 60 * 60_000],
  ["24h", DAY],
];
/** The events page's history page (src/dashboard/eventsPage.ts HISTORY_PAGE). */
const HISTORY_PAGE = 50;
const NOW = Date.now();
const projectRoot = fileURLToPath(new URL("..", import.meta.url));
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ---------------------------------------------------------------------------------------------
// The stored rows: one deterministic generator for both stores, so they hold the same data.

/** A small seeded generator (mulberry32): the same rows on every run and in both stores. */
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

/** Picks 0..n-1 with weight 1/(i+1)^s (a few big, many small). */
function zipf(n: number, s: number): (u: number) => number {
  const cum: number[] = [];
  let sum = 0;
  for (let i = 0; i < n; i++) cum.push((sum += 1 / Math.pow(i + 1, s)));
  return (u) => {
    const x = u * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const registrationIds = Array.from({ length: REGISTRATIONS }, (_, i) =>
  i % 5 === 4 ? `integration:${["slack", "datadog", "jira", "teams"][(i - 4) / 5]}:*` : `hook-${String(i).padStart(2, "0")}`,
);
/** Registered, never attempted (an endpoint added a minute ago): its log page must not read every attempt to say so. */
const EMPTY_REGISTRATION = "hook-new";
const repoName = (rank: number) => `org-${rank % 12}/repo-${rank}`;
const ENGINE_TYPES = [
  "interaction_started",
  "level_3_proactive_suggestion",
  "level_4_prediction",
  "pattern_applied",
  "trust_increased",
  "interaction_completed",
  "level_transition",
];

interface DeliveryRow {
  id: string;
  registrationId: string;
  eventType: string;
  eventId: string;
  status: "delivered" | "dead" | "pending";
  attempts: number;
  nextAttemptAt: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

interface AttemptRow {
  deliveryId: string;
  registrationId: string;
  eventType: string;
  attempt: number;
  status: "delivered" | "failed" | "dead";
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseExcerpt: string | null;
  nextAttemptAt: number | null;
  attemptedAt: number;
}

interface EventRow {
  id: string;
  eventType: string;
  repo: string | null;
  timestamp: number;
  envelope: string;
}

const RETRY_MS = 30_000;
const ERROR_PAGE = `<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503</h1></center><hr><center>nginx</center></body></html>`;

/** Each delivery with its attempts: 60% delivered at once, 20% after 6 failures, 19% dead after 15, 1% pending after 15 (mean 5). */
function* deliveries(): Generator<{ delivery: DeliveryRow; attempts: AttemptRow[] }> {
  const rnd = random(1);
  const pick = zipf(REGISTRATIONS, 0.9);
  for (let d = 0; d < DELIVERIES; d++) {
    const cls = d % 100;
    const n = cls < 60 ? 1 : cls < 80 ? 7 : 15;
    const outcome = cls < 80 ? "delivered" : cls < 99 ? "dead" : "pending";
    const createdAt = NOW - SPAN + Math.floor((d * SPAN) / DELIVERIES);
    const registrationId = registrationIds[pick(rnd())];
    const eventType = ENGINE_TYPES[d % ENGINE_TYPES.length];
    const id = `msg_${d.toString(36).padStart(8, "0")}`;
    const attempts: AttemptRow[] = [];
    let at = createdAt;
    for (let k = 1; k <= n; k++) {
      at = Math.min(createdAt + (k - 1) * RETRY_MS, NOW - 1000);
      const last = k === n;
      const status = !last || outcome === "pending" ? "failed" : outcome;
      const ok = status === "delivered";
      const timeout = !ok && k % 3 === 0;
      attempts.push({
        deliveryId: id,
        registrationId,
        eventType,
        attempt: k,
        status,
        statusCode: ok ? 200 : timeout ? null : 503,
        durationMs: ok ? 20 + Math.floor(rnd() * rnd() * 800) : timeout ? 10_000 : 5 + Math.floor(rnd() * 60),
        error: ok ? null : timeout ? "timed out after 10000 ms" : "HTTP 503",
        responseExcerpt: ok ? '{"ok":true}' : timeout ? null : ERROR_PAGE,
        nextAttemptAt: status === "failed" ? at + RETRY_MS : null,
        attemptedAt: at,
      });
    }
    const lastAttempt = attempts[attempts.length - 1];
    yield {
      delivery: {
        id,
        registrationId,
        eventType,
        eventId: `wev_${Math.floor(d / 4)}`,
        status: outcome,
        attempts: n,
        nextAttemptAt: outcome === "pending" ? at + RETRY_MS : at,
        lastStatusCode: lastAttempt.statusCode,
        lastError: lastAttempt.error,
        createdAt,
        updatedAt: at,
        finishedAt: outcome === "pending" ? null : at,
      },
      attempts,
    };
  }
}

/** The outbox's stored events (one per four deliveries: an event goes to several registrations). */
function* webhookEvents(): Generator<{ id: string; eventType: string; envelope: string; createdAt: number }> {
  for (let e = 0; e * 4 < DELIVERIES; e++) {
    const createdAt = NOW - SPAN + Math.floor((e * 4 * SPAN) / DELIVERIES);
    const eventType = ENGINE_TYPES[(e * 4) % ENGINE_TYPES.length];
    yield { id: `wev_${e}`, eventType, envelope: envelopeText(`wev_${e}`, eventType, createdAt, repoName(e % REPOS), e), createdAt };
  }
}

function envelopeText(id: string, type: string, at: number, repo: string | null, n: number): string {
  return JSON.stringify({
    id,
    event_type: type,
    timestamp: new Date(at).toISOString(),
    data: {
      ...(repo ? { repo } : {}),
      pr_number: 1 + (n % 900),
      user_id: `user${n % 97}`,
      level: 1 + (n % 5),
      confidence: Math.round((0.5 + (n % 50) / 100) * 100) / 100,
      summary: "Adds an export of orders as CSV; the query is built from request parameters.",
    },
  });
}

/** The bus's recorded events: 300 repositories (a few big, many small), 5% naming none; a rare type 1%. */
function* storedEvents(): Generator<EventRow> {
  const rnd = random(2);
  const pick = zipf(REPOS, 1);
  for (let i = 0; i < EVENTS; i++) {
    const repo = rnd() < 0.05 ? null : repoName(pick(rnd()));
    const eventType = i % 100 === 7 ? "prediction_failure" : ENGINE_TYPES[i % ENGINE_TYPES.length];
    const timestamp = NOW - SPAN + Math.floor((i * SPAN) / EVENTS);
    const id = `evt_${i.toString(16).padStart(12, "0")}`;
    yield { id, eventType, repo, timestamp, envelope: envelopeText(id, eventType, timestamp, repo, i) };
  }
}

function* chunks<T>(rows: Iterable<T>, size: number): Generator<T[]> {
  let chunk: T[] = [];
  for (const row of rows) {
    chunk.push(row);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

// ---------------------------------------------------------------------------------------------
// Bulk loads, one per store (the schema is the real store's: opened first, migrations run).

function fillSqlite(store: SqliteStore): number {
  const db = store.db;
  const delivery = db.prepare(
    `INSERT INTO webhook_deliveries (id, registration_id, event_type, event_ids, body, status, attempts, total_attempts, next_attempt_at,
       last_status_code, last_error, created_at, updated_at, finished_at) VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const attempt = db.prepare(
    `INSERT INTO webhook_attempts (delivery_id, registration_id, event_type, attempt, status, status_code, duration_ms, error,
       response_excerpt, next_attempt_at, attempted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const wevent = db.prepare("INSERT INTO webhook_events (id, event_type, envelope, created_at) VALUES (?, ?, ?, ?)");
  const event = db.prepare("INSERT INTO events (id, event_type, repo, timestamp, envelope) VALUES (?, ?, ?, ?, ?)");
  let attempts = 0;
  const load = db.transaction((batch: { delivery: DeliveryRow; attempts: AttemptRow[] }[]) => {
    for (const { delivery: d, attempts: as } of batch) {
      delivery.run(
        d.id,
        d.registrationId,
        d.eventType,
        JSON.stringify([d.eventId]),
        d.status,
        d.attempts,
        d.attempts,
        d.nextAttemptAt,
        d.lastStatusCode,
        d.lastError,
        d.createdAt,
        d.updatedAt,
        d.finishedAt,
      );
      for (const a of as) {
        attempt.run(
          a.deliveryId,
          a.registrationId,
          a.eventType,
          a.attempt,
          a.status,
          a.statusCode,
          a.durationMs,
          a.error,
          a.responseExcerpt,
          a.nextAttemptAt,
          a.attemptedAt,
        );
        attempts++;
      }
    }
  });
  for (const batch of chunks(deliveries(), 10_000)) load(batch);
  db.transaction(() => {
    for (const e of webhookEvents()) wevent.run(e.id, e.eventType, e.envelope, e.createdAt);
    for (const e of storedEvents()) event.run(e.id, e.eventType, e.repo, e.timestamp, e.envelope);
  })();
  return attempts;
}

async function fillPostgres(store: PostgresStore): Promise<number> {
  const pool = store.pool;
  let attempts = 0;
  for (const batch of chunks(deliveries(), 4_000)) {
    const ds = batch.map((b) => b.delivery);
    const as = batch.flatMap((b) => b.attempts);
    attempts += as.length;
    await pool.query(
      `INSERT INTO webhook_deliveries (id, registration_id, event_type, event_ids, status, attempts, total_attempts, next_attempt_at,
         last_status_code, last_error, created_at, updated_at, finished_at)
       SELECT id, reg, et, ARRAY[ev], st, n, n, nxt, code, err, c, u, f
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[], $8::int[], $9::text[],
                     $10::bigint[], $11::bigint[], $12::bigint[]) AS d(id, reg, et, ev, st, n, nxt, code, err, c, u, f)`,
      [
        ds.map((d) => d.id),
        ds.map((d) => d.registrationId),
        ds.map((d) => d.eventType),
        ds.map((d) => d.eventId),
        ds.map((d) => d.status),
        ds.map((d) => d.attempts),
        ds.map((d) => d.nextAttemptAt),
        ds.map((d) => d.lastStatusCode),
        ds.map((d) => d.lastError),
        ds.map((d) => d.createdAt),
        ds.map((d) => d.updatedAt),
        ds.map((d) => d.finishedAt),
      ],
    );
    await pool.query(
      `INSERT INTO webhook_attempts (delivery_id, registration_id, event_type, attempt, status, status_code, duration_ms, error,
         response_excerpt, next_attempt_at, attempted_at)
       SELECT d, r, e, k, s, c, ms, err, ex, nxt, at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::int[], $7::bigint[], $8::text[], $9::text[],
                     $10::bigint[], $11::bigint[]) WITH ORDINALITY AS a(d, r, e, k, s, c, ms, err, ex, nxt, at, n)
        ORDER BY n`,
      [
        as.map((a) => a.deliveryId),
        as.map((a) => a.registrationId),
        as.map((a) => a.eventType),
        as.map((a) => a.attempt),
        as.map((a) => a.status),
        as.map((a) => a.statusCode),
        as.map((a) => a.durationMs),
        as.map((a) => a.error),
        as.map((a) => a.responseExcerpt),
        as.map((a) => a.nextAttemptAt),
        as.map((a) => a.attemptedAt),
      ],
    );
  }
  for (const batch of chunks(webhookEvents(), 10_000)) {
    await pool.query(
      "INSERT INTO webhook_events (id, event_type, envelope, created_at) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])",
      [batch.map((e) => e.id), batch.map((e) => e.eventType), batch.map((e) => e.envelope), batch.map((e) => e.createdAt)],
    );
  }
  for (const batch of chunks(storedEvents(), 10_000)) {
    await pool.query(
      `INSERT INTO events (id, event_type, repo, timestamp, envelope)
       SELECT id, t, r, ts, env FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[]) WITH ORDINALITY AS e(id, t, r, ts, env, n)
       ORDER BY n`,
      [
        batch.map((e) => e.id),
        batch.map((e) => e.eventType),
        batch.map((e) => e.repo),
        batch.map((e) => e.timestamp),
        batch.map((e) => e.envelope),
      ],
    );
  }
  await pool.query("ANALYZE");
  return attempts;
}

// ---------------------------------------------------------------------------------------------
// 1. The pages' queries

interface QueryRow {
  page: string;
  query: string;
  store: string;
  ms: number;
  rows: number;
}

const queryRows: QueryRow[] = [];
const notes: string[] = [];

/** The queries each page makes, as it makes them. */
function pageQueries(store: Store): { page: string; query: string; run: () => Promise<number> }[] {
  const q: { page: string; query: string; run: () => Promise<number> }[] = [];
  const add = (page: string, query: string, run: () => Promise<unknown[] | unknown>) =>
    q.push({
      page,
      query,
      run: async () => {
        const out = await run();
        if (Array.isArray(out)) return out.length;
        if (out && typeof out === "object" && "events" in out) return (out as { events: unknown[] }).events.length;
        if (out && typeof out === "object") return Object.keys(out).length;
        return out === undefined ? 0 : 1;
      },
    });

  // The events page: the viewer's repositories (a small one; 50 of all sizes; 5,000: every stored one and 4,700 more, an admin).
  const one = [repoName(150)];
  const fifty = Array.from({ length: 50 }, (_, i) => repoName(i * 6));
  const many = [
    ...Array.from({ length: REPOS }, (_, i) => repoName(i)),
    ...Array.from({ length: 5000 - REPOS }, (_, i) => `other-${i}/repo`),
  ];
  const deep = String(Math.floor(EVENTS / 10)); // a cursor 90% of the way back
  for (const [label, repos, admin] of [
    ["1 repository", one, false],
    ["50 repositories", fifty, false],
    ["5,000 repositories (admin)", many, true],
  ] as const) {
    const query = { repos: [...repos], includeUnscoped: admin, limit: HISTORY_PAGE };
    add("events", `listEvents, ${label}, first page`, () => store.listEvents(query));
    add("events", `listEvents, ${label}, deep page (before)`, () => store.listEvents({ ...query, before: deep }));
  }
  add("events", "listEvents, 50 repositories, a rare type (1%)", () =>
    store.listEvents({ repos: fifty, includeUnscoped: false, types: ["prediction_failure"], limit: HISTORY_PAGE }),
  );
  add("events", "listEvents, 5,000 repositories, a rare type (1%)", () =>
    store.listEvents({ repos: many, includeUnscoped: true, types: ["prediction_failure"], limit: HISTORY_PAGE }),
  );
  const recentId = `evt_${(EVENTS - 500).toString(16).padStart(12, "0")}`;
  const oldId = `evt_${Math.floor(EVENTS / 10)
    .toString(16)
    .padStart(12, "0")}`;
  add("events (resume)", "eventsAfter, 500 events back, limit 1,000", () => store.eventsAfter(recentId, { limit: 1000 }));
  add("events (resume)", "eventsAfter, an old id, limit 1,000", () => store.eventsAfter(oldId, { limit: 1000 }));

  // The webhooks page: the overview's figures (six queries at once, as WebhookInsights.overview makes them).
  if (typeof store.webhookWindowStats === "function") {
    const overview = (windowMs: number) => {
      const since = NOW - windowMs;
      return Promise.all([
        store.webhookWindowStats(since),
        store.webhookDurationSample(since, DURATION_SAMPLE),
        store.webhookLastErrors(since),
        store.webhookQueueCounts(),
        store.listWebhookCircuits(),
        store.listWebhookPauses(),
      ]).then((parts) => parts[0]);
    };
    for (const [label, ms] of WINDOWS) add("webhooks", `overview figures, window ${label} (6 queries)`, () => overview(ms));
    const since = NOW - DAY;
    add("webhooks", "  webhookWindowStats, 24h", () => store.webhookWindowStats(since));
    add("webhooks", `  webhookDurationSample, 24h, ${fmt(DURATION_SAMPLE)}`, () => store.webhookDurationSample(since, DURATION_SAMPLE));
    add("webhooks", "  webhookLastErrors, 24h", () => store.webhookLastErrors(since));
    add("webhooks", "  webhookQueueCounts", () => store.webhookQueueCounts());
    add("webhooks", "overview figures, 7 days: every attempt (context)", () => overview(SPAN + DAY));
    const busiest = registrationIds[0];
    const quietest = registrationIds[REGISTRATIONS - 1];
    for (const [label, id] of [
      ["busiest", busiest],
      ["quietest", quietest],
      ["never attempted", EMPTY_REGISTRATION],
    ] as const) {
      add("webhooks (registration)", `listWebhookRegistrationAttempts, ${label}, first page`, () =>
        store.listWebhookRegistrationAttempts({ registrationId: id, limit: 51 }),
      );
      add("webhooks (registration)", `listWebhookDeadLetters, ${label}, first page`, () =>
        store.listWebhookDeadLetters({ registrationId: id, limit: 51 }),
      );
    }
    add("webhooks (registration)", "listWebhookRegistrationAttempts, quietest, deep page", () =>
      store.listWebhookRegistrationAttempts({ registrationId: quietest, before: Math.floor((DELIVERIES * 5) / 2), limit: 51 }),
    );
  } else {
    notes.push("the store has no webhookWindowStats (WebhookInsightStore): the webhooks page's figures were not timed");
  }

  // Deliveries and attempts (the operator's listings; getDeliveryLogs).
  const someDead = `msg_${(DELIVERIES - 1000 + 85).toString(36).padStart(8, "0")}`;
  add("deliveries", "listWebhookDeliveries, dead, newest 50", () =>
    store.listWebhookDeliveries({ status: "dead", order: "newest", limit: 50 }),
  );
  add("deliveries", "listWebhookDeliveries, quietest registration, newest 50", () =>
    store.listWebhookDeliveries({ registrationId: registrationIds[REGISTRATIONS - 1], order: "newest", limit: 50 }),
  );
  add("deliveries", "listWebhookDeliveries, since 1h, newest 50", () =>
    store.listWebhookDeliveries({ since: NOW - 60 * 60_000, order: "newest", limit: 50 }),
  );
  add("deliveries", "listWebhookDeliveries, oldest 50", () => store.listWebhookDeliveries({ limit: 50 }));
  add("deliveries", "countWebhookDeliveries", () => store.countWebhookDeliveries());
  add("deliveries", "listWebhookAttempts, by delivery", () => store.listWebhookAttempts({ deliveryId: someDead, limit: 1000 }));
  add("deliveries", "listWebhookAttempts, status dead, 100", () => store.listWebhookAttempts({ status: "dead", limit: 100 }));
  add("deliveries", "listWebhookAttempts, status failed, 100", () => store.listWebhookAttempts({ status: "failed", limit: 100 }));
  add("deliveries", "listWebhookAttempts, since 1h, 100", () => store.listWebhookAttempts({ since: NOW - 60 * 60_000, limit: 100 }));
  add("deliveries", "listWebhookAttempts, since 24h, status dead, 100", () =>
    store.listWebhookAttempts({ since: NOW - DAY, status: "dead", limit: 100 }),
  );
  return q;
}

async function timeQueries(label: string, store: Store): Promise<void> {
  for (const { page, query, run } of pageQueries(store)) {
    let rows = await run(); // warm-up (statements prepared, pages cached)
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      rows = await run();
      times.push(performance.now() - t0);
    }
    queryRows.push({ page, query, store: label, ms: median(times), rows });
  }
}

/** Debian's PostgreSQL server binaries, or PATH's (test/store/postgresServer.ts looks in the same places). */
function findInitdb(): string | null {
  let versions: string[] = [];
  try {
    versions = readdirSync("/usr/lib/postgresql");
  } catch {
    // not from Debian's packages
  }
  const dirs = [...versions.map((v) => `/usr/lib/postgresql/${v}/bin`), ...(process.env.PATH ?? "").split(":").filter(Boolean)];
  return dirs.map((d) => join(d, "initdb")).find((p) => existsSync(p)) ?? null;
}

async function benchQueries(dir: string): Promise<void> {
  const expected = `${fmt(DELIVERIES * 5)} attempts, ${fmt(DELIVERIES)} deliveries over ${REGISTRATIONS} registrations, ${fmt(EVENTS)} events over ${REPOS} repositories`;
  console.log(`Stored rows: ${expected}, over the last 7 days.`);

  const sqlite = new SqliteStore(join(dir, "dashboard.sqlite"));
  try {
    let t0 = performance.now();
    const attempts = fillSqlite(sqlite);
    console.log(`SQLite: ${fmt(attempts)} attempts loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    t0 = performance.now();
    await timeQueries("SQLite", sqlite);
    console.log(`SQLite: queries timed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    await sqlite.close();
  }

  if (!findInitdb()) {
    notes.push(
      "PostgreSQL skipped: initdb was found neither in /usr/lib/postgresql/*/bin nor on PATH (install Debian's postgresql package)",
    );
    return;
  }
  const { startPostgres } = await import("../test/store/postgresServer.js");
  let server: Awaited<ReturnType<typeof startPostgres>>;
  try {
    server = await startPostgres();
  } catch (err) {
    notes.push(`PostgreSQL skipped: the throwaway server did not start (${(err as Error).message.split("\n")[0]})`);
    return;
  }
  try {
    const url = await server.createDatabase("bench_dashboard");
    const pgStore = await PostgresStore.open({ connectionString: url });
    try {
      let t0 = performance.now();
      const attempts = await fillPostgres(pgStore);
      console.log(`PostgreSQL: ${fmt(attempts)} attempts loaded (and ANALYZE) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      t0 = performance.now();
      await timeQueries("PostgreSQL", pgStore);
      console.log(`PostgreSQL: queries timed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } finally {
      await pgStore.close();
    }
  } finally {
    await server.stop();
  }
}

function printQueries(): void {
  const header = ["page", "query", "store", "median ms", "rows", "target", ""];
  const table = [
    header,
    ...queryRows.map((r) => {
      const context = r.query.includes("(context)");
      return [
        r.page,
        r.query,
        r.store,
        r.ms.toFixed(1),
        String(r.rows),
        context ? "(context)" : `< ${TARGET_MS} ms`,
        context ? "" : r.ms < TARGET_MS ? "ok" : "OVER",
      ];
    }),
  ];
  printTable(table);
}

// ---------------------------------------------------------------------------------------------
// 2. The live stream's fan-out against interact()

interface StreamRow {
  what: string;
  ours: string;
  baseline: string;
  ratio: string;
  target: string;
  ok: boolean;
}
const streamRows: StreamRow[] = [];

const CLIENTS = 100;
const RATE = 1000;

/** PR_CYCLE pull requests per repository: the patterns' pull request lists stop growing once each was seen (see the warm-up). */
const PR_CYCLE = 100;

function interactArgs(n: number) {
  return {
    userId: `user${n % 7}`,
    input: "Add order export\n\nExports orders as CSV.",
    context: {
      repo: `o/r${n % 20}`,
      pr_number: 1 + (Math.floor(n / 20) % PR_CYCLE),
      title: "Add order export",
      description: "Exports orders as CSV for the finance team.",
      files_changed: 4,
      tests_changed: false,
      analysis: analysis(
        [finding("js/sql-injection", { line: 10 }), finding("js/eval", { line: 20, category: "code-injection" })],
        [prediction("migration-drops-column"), prediction("api-breaking-change", { tags: ["api"] })],
      ),
    },
  };
}

class Clients {
  private readonly child: ChildProcess;
  private waiting: ((m: Record<string, number>) => void)[] = [];

  constructor() {
    this.child = spawn(process.execPath, ["--import", "tsx", join(projectRoot, "bench/dashboardClients.ts")], {
      cwd: projectRoot,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.child.on("message", (m: Record<string, number>) => this.waiting.shift()?.(m));
  }

  private ask(message: unknown): Promise<Record<string, number>> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (message !== null) this.child.send(message as object);
    });
  }

  ready(): Promise<Record<string, number>> {
    return this.ask(null);
  }
  connect(url: string, count: number) {
    return this.ask({ cmd: "connect", url, count });
  }
  stats() {
    return this.ask({ cmd: "stats" });
  }
  close() {
    return this.ask({ cmd: "close" });
  }
  exit(): void {
    this.child.send({ cmd: "exit" });
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

async function benchStream(dir: string): Promise<void> {
  const engineStore = new SqliteStore(join(dir, "engine.sqlite"));
  const engineBus = new EventBus();
  const engine = new EmpathyOS({ eventBus: engineBus, state: engineStore });
  let engineEvents = 0;
  engineBus.on("*", () => void engineEvents++);

  // Every (repository, pull request) once: a pattern's list of pull requests grows with each new
  // one (engine/patterns.ts), so interact() would get slower as the run goes on and the rounds
  // measured later would pay for it.
  for (let n = 1; n <= 20 * PR_CYCLE; n++) await engine.interact(interactArgs(n));
  await engineBus.settled();
  // What one interact() emits once warm, replayed on the stream's bus (with the repositories cycled).
  const sample: { type: string; data: Record<string, unknown> }[] = [];
  const off = engineBus.on("*", (e) => void sample.push({ type: e.event_type, data: e.data as Record<string, unknown> }));
  await engine.interact(interactArgs(1));
  await engineBus.settled();
  off();
  const repos = Array.from({ length: 20 }, (_, i) => `o/r${i}`);

  const streamBus = new EventBus();
  // As the app wires them: every envelope recorded, the live stream read back from the store.
  const streamStore = new SqliteStore(join(dir, "stream.sqlite"));
  const eventLog = new EventLog(streamStore);
  eventLog.attach(streamBus);
  const stream = new EventStream(streamBus, { maxClients: 1000, history: streamStore });
  stream.start();
  const allowed = new Set(repos);
  const server: Server = createServer((req, res) => {
    const viewer = new URL(req.url ?? "/", "http://x").searchParams.get("viewer") ?? "0";
    // Every viewer an admin seeing every repository: each event goes to each client.
    const filter: StreamFilter = { login: `viewer-${viewer}`, allowed, unscoped: true, repos: null, types: null };
    void stream.connect(req, res, filter, Date.now() + 60 * 60_000);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dashboard/events/stream`;
  const clients = new Clients();
  await clients.ready();

  // 1,000 events/s on the stream's bus, in bursts of `burst` every `burst` ms (catching up if a tick is late).
  let emitted = 0;
  let generator: NodeJS.Timeout | undefined;
  const startGenerator = (burst: number) => {
    const t0 = performance.now();
    const base = emitted;
    generator = setInterval(() => {
      const due = base + Math.floor(((performance.now() - t0) * RATE) / 1000 / burst) * burst;
      while (emitted < due) {
        const s = sample[emitted % sample.length];
        streamBus.emit({ type: s.type, data: { ...s.data, repo: repos[Math.floor(emitted / sample.length) % repos.length] } } as never);
        emitted++;
      }
    }, burst);
  };

  let counter = 20 * PR_CYCLE + 1;
  const round = async (n: number) => {
    if (n > 0) {
      await clients.connect(url, n);
      await until(() => stream.size === n, `${n} streams`);
    }
    const before = await clients.stats();
    const e0 = emitted;
    const dropped0 = stream.dropped;
    const times: number[] = [];
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const end = t0 + SSE_SECONDS * 1000;
    while (performance.now() < end) {
      const a = performance.now();
      await engine.interact(interactArgs(counter++));
      times.push(performance.now() - a);
      // Let the bus, the stream and the generator run between interactions, as between reviews.
      await new Promise((r) => setImmediate(r));
    }
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const e1 = emitted;
    await new Promise((r) => setTimeout(r, 50)); // the last frames reach the clients
    const after = await clients.stats();
    if (n > 0) {
      await clients.close();
      await until(() => stream.size === 0, "the streams to close");
    }
    return {
      perSecond: (times.length / ms) * 1000,
      medianMs: median(times),
      eventsPerSecond: ((e1 - e0) / ms) * 1000,
      framesPerClientPerSecond: n > 0 ? ((after.frames - before.frames) / n / ms) * 1000 : 0,
      dropped: stream.dropped - dropped0,
      cpuPerCall: (cpu.user + cpu.system) / 1000 / times.length,
    };
  };

  const measure = async (burst: number, label: string, target: boolean) => {
    startGenerator(burst);
    await round(0); // warm-up
    await round(CLIENTS);
    const none: Awaited<ReturnType<typeof round>>[] = [];
    const some: Awaited<ReturnType<typeof round>>[] = [];
    for (let i = 0; i < RUNS; i++) {
      none.push(await round(0));
      some.push(await round(CLIENTS));
    }
    clearInterval(generator);
    const m = (rs: typeof none, f: (r: (typeof none)[number]) => number) => median(rs.map(f));
    const a = m(some, (r) => r.perSecond);
    const b = m(none, (r) => r.perSecond);
    streamRows.push({
      what: `interact() calls/s, ${CLIENTS} SSE clients vs none, ${label}`,
      ours: fmt(a),
      baseline: `${fmt(b)} (no clients)`,
      ratio: (a / b).toFixed(3),
      target: target ? ">= 0.90" : "(context)",
      ok: !target || a / b >= 0.9,
    });
    const la = m(some, (r) => r.medianMs);
    const lb = m(none, (r) => r.medianMs);
    streamRows.push({
      what: `  interact() median ms`,
      ours: la.toFixed(3),
      baseline: `${lb.toFixed(3)} (no clients)`,
      ratio: (la / lb).toFixed(3),
      target: "(context)",
      ok: true,
    });
    const ca = m(some, (r) => r.cpuPerCall);
    const cb = m(none, (r) => r.cpuPerCall);
    streamRows.push({
      what: `  CPU ms of this process per interact() (the stream's work included)`,
      ours: ca.toFixed(3),
      baseline: `${cb.toFixed(3)} (no clients)`,
      ratio: (ca / cb).toFixed(3),
      target: "(context)",
      ok: true,
    });
    const ev = m(some, (r) => r.eventsPerSecond);
    const fr = m(some, (r) => r.framesPerClientPerSecond);
    const dropped = some.reduce((n, r) => n + r.dropped, 0);
    streamRows.push({
      what: `  events/s on the stream; frames/s each client read`,
      ours: `${fmt(ev)}; ${fmt(fr)}`,
      baseline: `${fmt(m(none, (r) => r.eventsPerSecond))} (no clients)`,
      ratio: "",
      target: `${fmt(RATE)}/s; all${dropped ? ` (${dropped} dropped)` : ""}`,
      ok: fr >= ev * 0.95 && dropped === 0,
    });
  };

  try {
    await measure(sample.length, `events in bursts of ${sample.length} (one interact()'s)`, true);
    await measure(1, "one event per 1 ms tick (context)", false);
    console.log(
      `interact(): ${fmt(counter)} calls, ${(engineEvents / counter).toFixed(1)} events each (on the engine's own bus); the stream's bus replaying one warm interact()'s ${sample.length} events; ${CLIENTS} clients in a child process`,
    );
  } finally {
    clearInterval(generator);
    stream.stop();
    clients.exit();
    server.closeAllConnections();
    server.close();
    await engineBus.settled();
    await engineStore.close();
    await eventLog.close({ timeoutMs: 5000 });
    await streamStore.close();
  }
}

function printTable(table: string[][]): void {
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  for (const [i, row] of table.entries()) {
    console.log(
      row
        .map((cell, j) => cell.padEnd(widths[j]))
        .join("  ")
        .trimEnd(),
    );
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
}

const dir = mkdtempSync(join(tmpdir(), "empathy-bench-dashboard-"));
try {
  if (ONLY !== "stream") await benchQueries(dir);
  if (ONLY !== "queries") await benchStream(dir);
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  console.log(`\nnode ${process.version}, ${cpus().length} CPUs, load average ${load}${SCALE !== 1 ? `, BENCH_SCALE=${SCALE}` : ""}\n`);
  if (queryRows.length > 0) {
    printQueries();
    console.log("");
  }
  if (streamRows.length > 0) {
    printTable([
      ["measure", "ours", "baseline", "ratio", "target", ""],
      ...streamRows.map((r) => [r.what, r.ours, r.baseline, r.ratio, r.target, r.ok ? "ok" : "MISSED"]),
    ]);
  }
  for (const note of notes) console.log(`\nNote: ${note}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
