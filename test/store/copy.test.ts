/**
 * `empathy store copy`: a SQLite store seeded with data of every kind through the Store API is
 * copied (through runCli, as an operator runs it) into a fresh database of a real PostgreSQL
 * started for this suite, and read back through the Store API: the same, leases dropped, running
 * work requeued, ids continuing after the copied ones. The refusals (a target with data, one
 * that cannot be reached, a source that is not the app's SQLite store or is in use) copy
 * nothing. And the copy knows every table and column of both schemas: a migration that adds one
 * fails here until the copy handles it. If PostgreSQL cannot start, the suite fails.
 */
import { jest } from "@jest/globals";
import Database from "better-sqlite3";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, type CliIo } from "../../src/cli.js";
import { COPIED_TABLES, NOT_COPIED, postgresColumnTypes } from "../../src/store/copy.js";
import { migrations } from "../../src/store/migrations.js";
import { PostgresStore } from "../../src/store/postgres/index.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import type { JobRecord, Store } from "../../src/store/store.js";
import { postgresForSuite } from "./postgresSuite.js";
import { readEverything, SEED_TIME, seedEveryKind } from "./storeFixtures.js";

jest.setTimeout(120_000);

const server = postgresForSuite();
let databases = 0;

/** A new empty database; its URL, and the same URL with a password (the test server trusts any). */
async function newDatabase(): Promise<{ url: string; withPassword: string }> {
  const url = await server.createDatabase(`copy_${process.pid}_${++databases}`);
  return { url, withPassword: url.replace("postgres://postgres@", `postgres://postgres:${PASSWORD}@`) };
}

const PASSWORD = "Zq8-secret-Kp4W";

async function run(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), readStdin: () => "", cwd, env };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

/** Extra queued jobs in the seed: several pages of the copy's batched inserts. */
const MORE_JOBS = 1200;

describe("empathy store copy", () => {
  let dir: string;
  let dbPath: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "empathy-copy-"));
    mkdirSync(join(dir, "data"));
    dbPath = join(dir, "data", "empathy.sqlite");
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** The app's default store, seeded; `after` runs on it before it is closed (as the app is stopped). */
  async function seeded(after?: (store: SqliteStore) => Promise<void>): Promise<void> {
    const store = new SqliteStore(dbPath);
    try {
      await seedEveryKind(store, { jobs: MORE_JOBS });
      await after?.(store);
    } finally {
      await store.close();
    }
  }

  async function readSqlite(): Promise<Awaited<ReturnType<typeof readEverything>>> {
    const store = new SqliteStore(dbPath);
    try {
      return await readEverything(store);
    } finally {
      await store.close();
    }
  }

  async function withPostgres<T>(url: string, fn: (store: Store) => Promise<T>): Promise<T> {
    const store = await PostgresStore.open({ connectionString: url, poolSize: 2 });
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  }

  it("copies everything, reads back the same through the Store API, running work requeued, and new ids after the copied ones", async () => {
    let deletedJob = 0;
    await seeded(async (store) => {
      // Retention deleted the newest job: its id is never given again (SQLite's AUTOINCREMENT).
      deletedJob = (await store.enqueueJob({ type: "review", payload: {} }))!;
      store.db.prepare("DELETE FROM jobs WHERE id = ?").run(deletedJob);
    });
    const before = await readSqlite();
    const target = await newDatabase();
    const started = Date.now();
    // The source is the app's: DATABASE_URL from .env, as openOperatorStore finds it.
    writeFileSync(join(dir, ".env"), "DATABASE_URL=sqlite:./data/empathy.sqlite\n");
    const r = await run(["store", "copy", "--to", target.withPassword], dir);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toContain(`Copied data/empathy.sqlite to ${target.url}, in one transaction:`);
    expect(r.stdout).toMatch(/^jobs +1205$/m);
    expect(r.stdout).toMatch(/^webhook_attempts +4$/m);
    expect(r.stdout).toMatch(/^rate_slots +2$/m);
    expect(r.stdout).toContain("1 job still marked running put back in the queue, 1 webhook delivery in flight back to pending");
    expect(r.stdout).toContain("Next: set DATABASE_URL to this database");
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    for (const t of COPIED_TABLES) expect(r.stdout).toMatch(new RegExp(`^${t.table} +\\d+$`, "m"));

    // The SQLite file is left as it was.
    expect(await readSqlite()).toEqual(before);

    const after = await withPostgres(target.url, readEverything);
    const running = before.jobs.running;
    expect(running).toHaveLength(1);
    const requeued = (j: JobRecord) => ({ ...j, status: "queued", updatedAt: expect.any(Number) });
    const flight = before.deliveries.find((d) => d.status === "in_flight")!;
    const expected = {
      ...before,
      jobCounts: { ...before.jobCounts, queued: before.jobCounts.queued + 1, running: 0 },
      jobs: { ...before.jobs, running: [], queued: [...before.jobs.queued, ...running.map(requeued)].sort((x, y) => x.id - y.id) },
      nextJobRunAt: Math.min(before.nextJobRunAt!, running[0].runAt),
      deliveryCounts: { ...before.deliveryCounts, in_flight: 0, pending: before.deliveryCounts.pending + 1 },
      deliveries: before.deliveries.map((d) =>
        d.id === flight.id
          ? { ...d, status: "pending", attempts: d.attempts - 1, totalAttempts: d.totalAttempts - 1, updatedAt: expect.any(Number) }
          : { ...d, lastError: d.lastError?.replace("\u0000", "\uFFFD") ?? null },
      ),
      // PostgreSQL refuses NUL in TEXT: the PostgreSQL store writes U+FFFD, and so does the copy.
      attempts: before.attempts.map((a) => ({ ...a, error: a.error?.replace("\u0000", "\uFFFD") ?? null })),
    };
    expect(after).toEqual(expected);
    expect(after.attempts.some((a) => a.error === "HTTP 404 \uFFFD")).toBe(true);
    const copiedRunning = after.jobs.queued.find((j) => j.id === running[0].id)!;
    expect(copiedRunning.updatedAt).toBeGreaterThanOrEqual(started);
    expect(copiedRunning.attempts).toBe(1);
    expect(after.feedback["octo-org/shop"].map((f) => f.key)).toEqual(["issue:14", "issue:12", "finding:7:fp-1"]);
    expect(after.jobs.queued.find((j) => (j.payload as { note?: string }).note !== undefined)?.payload).toEqual({
      owner: "octo-org",
      repo: "shop",
      issue: 7,
      note: "nul \u0000 inside",
    });

    await withPostgres(target.url, async (pg) => {
      // New ids continue after the largest SQLite gave, the deleted job's included.
      const maxId = Math.max(
        ...Object.values(before.jobs)
          .flat()
          .map((j) => j.id),
      );
      expect(deletedJob).toBeGreaterThan(maxId);
      expect(await pg.enqueueJob({ type: "review", payload: {} })).toBe(deletedJob + 1);
      expect(await pg.enqueueJob({ type: "review", payload: reviewOf(1), dedupeKey: "delivery-1" })).toBeNull(); // dedupe keys copied
      await pg.enqueueWebhookEvent(
        {
          events: [{ id: "e-new", eventType: "test", envelope: "{}" }],
          deliveries: [],
          batchItems: [{ registrationId: "wh_batch", eventId: "e-new", eventType: "test" }],
        },
        SEED_TIME,
      );
      const seqs = (await pg.listWebhookBatchItems("wh_batch", 10)).map((b) => b.seq);
      expect(seqs[seqs.length - 1]).toBeGreaterThan(Math.max(...before.batchItems.map((b) => b.seq)));
      // A registration's dedupe keys came along: the same prediction is not written again.
      await pg.enqueueWebhookEvent(
        {
          events: [{ id: "e-again", eventType: "test", envelope: "{}" }],
          deliveries: [
            {
              id: "msg_again",
              registrationId: "wh_a",
              eventType: "test",
              eventIds: ["e-again"],
              body: null,
              status: "pending",
              nextAttemptAt: 0,
              dedupeKey: "prediction:fp-3",
            },
          ],
          batchItems: [],
        },
        SEED_TIME,
      );
      expect(await pg.getWebhookDelivery("msg_again")).toBeUndefined();
      // Rate slots came along: the slot is still taken.
      expect(await pg.claimRateSlot("octo-org/shop#12", "comment:9", SEED_TIME + 1000, 5 * 60_000)).toEqual({
        ok: false,
        lastAt: SEED_TIME,
        nextAt: SEED_TIME + 5 * 60_000,
      });
      // The requeued job and the released delivery are taken by the new instances, under their own lease.
      const claimed = await pg.claimJob(SEED_TIME + 10 * 60_000, { owner: "new-instance", expiresAt: Date.now() + 60_000 });
      expect(claimed).toMatchObject({ id: running[0].id, status: "running", attempts: 2 });
      expect(
        (await pg.claimWebhookDeliveries(["wh_b"], Date.now(), 10, { owner: "new-instance", expiresAt: Date.now() + 60_000 })).map(
          (d) => d.id,
        ),
      ).toEqual(expect.arrayContaining([flight.id]));
      // A new attempt gets a new id after the copied ones (listed newest first).
      await pg.recordWebhookAttempt({
        deliveryId: flight.id,
        leaseOwner: "new-instance",
        status: "delivered",
        statusCode: 200,
        durationMs: 1,
        error: null,
        responseExcerpt: null,
        nextAttemptAt: null,
        attemptedAt: SEED_TIME + 170,
      });
      const attempts = await pg.listWebhookAttempts({ since: SEED_TIME + 170 });
      expect(attempts.map((a) => a.deliveryId)).toEqual([flight.id, "msg_retry"]);
      // The kept secret came along (the dashboard's sessions stay valid); a new event is recorded after the copied ones.
      expect(after.secret).toBe("kept-session-key-\u00e9");
      await pg.appendEvents([{ id: "ev-new", eventType: "test", repo: null, timestamp: SEED_TIME, envelope: '{"id":"ev-new"}' }]);
      expect((await pg.listEvents({ repos: ["octo-org/shop"], includeUnscoped: true, limit: 2 })).events.map((e) => e.id)).toEqual([
        "ev-new",
        "ev-2",
      ]);
      expect((await pg.eventsAfter("ev-3", { limit: 5 }))!.map((e) => e.id)).toEqual(["ev-new"]);
    });
  });

  it("refuses a target that already holds data, and copies nothing", async () => {
    await seeded();
    const target = await newDatabase();
    expect((await run(["store", "copy", "--to", target.url], dir)).code).toBe(0);
    await withPostgres(target.url, (pg) => pg.enqueueJob({ type: "later", payload: {} }));
    const again = await run(["store", "copy", "--to", target.withPassword, "--from", dbPath], dir);
    expect(again.code).toBe(2);
    expect(again.stdout).toBe("");
    expect(again.stderr).toMatch(
      /^empathy: the PostgreSQL database already holds data \(jobs: 1206 rows, reviews: 3 rows, .*\): the copy goes into an empty database only, never merged; create a new database for it\. Nothing was copied\.\n$/,
    );
    expect(again.stderr).not.toContain(PASSWORD);
    expect((await withPostgres(target.url, (pg) => pg.countJobs())).queued).toBe(MORE_JOBS + 4);

    // A database with one row anywhere is refused as well.
    const other = await newDatabase();
    await withPostgres(other.url, (pg) => pg.suppressFinding("o/r", "fp", "alice"));
    const refused = await run(["store", "copy", "--to", other.url], dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("already holds data (suppressed_findings: 1 row)");
    expect(await withPostgres(other.url, (pg) => pg.countJobs())).toEqual({ queued: 0, running: 0, done: 0, dead: 0 });
  });

  it("refuses a target it cannot reach, without its password, and leaves the source usable", async () => {
    await seeded();
    const r = await run(["store", "copy", "--to", `postgres://empathy:${PASSWORD}@127.0.0.1:1/empathy`], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^empathy: postgres:\/\/empathy@127\.0\.0\.1:1\/empathy \(--to\) could not be opened as a store: .*ECONNREFUSED/,
    );
    expect(r.stderr).not.toContain(PASSWORD);
    const bad = await run(["store", "copy", "--to", "postgres://u@127.0.0.1:5432/db?sslmode=sometimes"], dir);
    expect(bad).toMatchObject({ code: 2, stderr: 'empathy: DATABASE_URL: unknown sslmode "sometimes" (--to)\n' });
    // The lock is gone: the app can open its store again.
    const store = new SqliteStore(dbPath);
    expect((await store.countJobs()).queued).toBe(MORE_JOBS + 2);
    await store.close();
  });

  it("refuses a source that is not the app's SQLite store, or that a running app has open", async () => {
    const target = await newDatabase();
    const copy = (...args: string[]) => run(["store", "copy", "--to", target.url, ...args], dir);
    // No store where DATABASE_URL points: never created.
    expect((await copy()).stderr).toMatch(
      /^empathy: no store at .*data\/empathy\.sqlite \(the app's default, DATABASE_URL being unset\): .* give --from PATH\n$/,
    );
    writeFileSync(join(dir, "notes.txt"), "not a database, but long enough to be read as a header of one. ".repeat(20));
    expect(await copy("--from", "notes.txt")).toMatchObject({
      code: 2,
      stderr: "empathy: notes.txt is not a SQLite database. Nothing was copied.\n",
    });
    const foreign = new Database(join(dir, "other.sqlite"));
    foreign.exec("CREATE TABLE things (id INTEGER PRIMARY KEY)");
    foreign.close();
    expect((await copy("--from", "sqlite:other.sqlite")).stderr).toBe(
      "empathy: other.sqlite is a SQLite database but not the app's store (it has no jobs or schema_migrations table). Nothing was copied.\n",
    );
    expect((await copy("--from", target.url)).stderr).toMatch(
      /^empathy: the source \(--from\) is a PostgreSQL database: store copy copies the app's SQLite store into PostgreSQL/,
    );
    expect((await run(["store", "copy", "--to", target.url], dir, { DATABASE_URL: target.url })).stderr).toMatch(
      /^empathy: the source \(DATABASE_URL\) is a PostgreSQL database/,
    );

    // The app running on the file (it keeps it open): refused, nothing copied.
    await seeded();
    const app = new SqliteStore(dbPath);
    try {
      const r = await copy();
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        "empathy: data/empathy.sqlite is open in another process: stop the app (every instance using this file, and any empathy command on it) before copying its store. Nothing was copied.\n",
      );
      expect((await app.countJobs()).queued).toBe(MORE_JOBS + 2); // and the app goes on
    } finally {
      await app.close();
    }
    expect(await withPostgres(target.url, (pg) => pg.countJobs())).toEqual({ queued: 0, running: 0, done: 0, dead: 0 });
    // Stopped: the copy goes through.
    expect((await copy()).code).toBe(0);
  });

  it("warns when an instance still held a live lease (killed moments ago, or running elsewhere on the file)", async () => {
    await seeded(async (store) => {
      await store.enqueueJob({ type: "review", payload: reviewOf(50), runAt: 0 });
      await store.claimJob(Date.now(), { owner: "just-killed", expiresAt: Date.now() + 60 * 60_000 });
    });
    const target = await newDatabase();
    const r = await run(["store", "copy", "--to", target.url, "--json"], dir);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      from: "data/empathy.sqlite",
      to: target.url,
      migrated_from_schema: null,
      rows: expect.any(Number),
      requeued_jobs: 2,
      released_deliveries: 1,
    });
    expect(JSON.parse(r.stdout).tables).toMatchObject({ jobs: MORE_JOBS + 6, webhook_deliveries: 6, feedback_log: 3 });
    expect(r.stderr).toMatch(
      /^empathy: warning: 1 job and 0 webhook deliveries were leased to an instance until \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ: it stopped without releasing them/,
    );
  });

  it("migrates a file written by an older version first, as the app would at start", async () => {
    const old = new Database(dbPath);
    old.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
    for (const m of migrations.slice(0, -1)) {
      old.exec(m.sql);
      old.prepare("INSERT INTO schema_migrations VALUES (?, ?, ?)").run(m.version, m.name, 0);
    }
    old
      .prepare("INSERT INTO jobs (type, payload, status, run_at, created_at, updated_at) VALUES ('review', '{}', 'running', 1, 1, 1)")
      .run();
    old.close();
    const target = await newDatabase();
    const r = await run(["store", "copy", "--to", target.url], dir);
    expect(r.code).toBe(0);
    const latest = migrations[migrations.length - 1].version;
    expect(r.stdout).toContain(
      `data/empathy.sqlite was written by an older version: migrated it first (schema ${latest - 1} to ${latest}).`,
    );
    expect(await withPostgres(target.url, (pg) => pg.listJobs("queued"))).toMatchObject([{ id: 1, type: "review", status: "queued" }]);
  });

  it("is a usage error without --to, with a --to that is not PostgreSQL, or without the subcommand", async () => {
    expect(await run(["store", "copy"], dir)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(
        /^empathy: store copy needs --to postgres:\/\/USER:PASSWORD@HOST:5432\/DATABASE\n\nUsage: empathy store copy/,
      ),
    });
    expect((await run(["store", "copy", "--to", "sqlite:other.sqlite"], dir)).stderr).toMatch(/^empathy: --to is a PostgreSQL URL/);
    expect((await run(["store"], dir)).stderr).toMatch(/^empathy: store needs a subcommand: copy/);
    expect((await run(["store", "move", "--to", "postgres://x"], dir)).stderr).toMatch(
      /^empathy: unknown store subcommand "move": the only one is copy/,
    );
    expect((await run(["store", "copy", "--to", "postgres://x", "--database", "x"], dir)).stderr).toMatch(
      /^empathy: unknown option --database/,
    );
    const help = await run(["store", "--help"], dir);
    expect(help).toMatchObject({ code: 0, stderr: "" });
    expect(help.stdout).toMatch(/^Usage: empathy store copy --to postgres:/);
    expect(help.stdout).toContain("Stop the app first");
  });
});

describe("the copy knows every table and column", () => {
  const known = COPIED_TABLES.map((t) => t.table).sort();

  it("of SQLite's schema (src/store/migrations.ts)", () => {
    const store = new SqliteStore(":memory:");
    try {
      const tables = (
        store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]
      ).map((r) => r.name);
      expect(tables.filter((t) => !(NOT_COPIED as readonly string[]).includes(t)).sort()).toEqual(known);
      for (const t of COPIED_TABLES) {
        const columns = (store.db.prepare(`PRAGMA table_info(${t.table})`).all() as { name: string }[]).map((c) => c.name);
        expect({ table: t.table, columns: [...columns].sort() }).toEqual({ table: t.table, columns: [...t.columns].sort() });
      }
    } finally {
      void store.close();
    }
  });

  it("of PostgreSQL's schema (src/store/postgres/migrations.ts)", async () => {
    const { url } = await newDatabase();
    await withPostgresStore(url, async (store) => {
      const types = await postgresColumnTypes(store.pool);
      expect([...types.keys()].filter((t) => !(NOT_COPIED as readonly string[]).includes(t)).sort()).toEqual(known);
      for (const t of COPIED_TABLES) {
        expect({ table: t.table, columns: [...types.get(t.table)!.keys()].sort() }).toEqual({
          table: t.table,
          columns: [...t.columns, ...(t.postgresOnly ?? [])].sort(),
        });
      }
    });
  });

  it("of a file whose tables it does not know: refused, nothing copied", async () => {
    const dir = mkdtempSync(join(tmpdir(), "empathy-copy-unknown-"));
    try {
      const path = join(dir, "empathy.sqlite");
      const store = new SqliteStore(path);
      store.db.exec("CREATE TABLE added_later (id INTEGER PRIMARY KEY)");
      await store.close();
      const { url } = await newDatabase();
      const r = await run(["store", "copy", "--to", url, "--from", path], dir);
      expect(r).toMatchObject({
        code: 2,
        stderr: `empathy: the copy does not know the table(s) added_later of empathy.sqlite. Nothing was copied.\n`,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function withPostgresStore<T>(url: string, fn: (store: PostgresStore) => Promise<T>): Promise<T> {
  const store = await PostgresStore.open({ connectionString: url, poolSize: 2 });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function reviewOf(n: number) {
  return { installationId: 1, owner: "octo-org", repo: "shop", pullNumber: n, headSha: `sha${n}` };
}
