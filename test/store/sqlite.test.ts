import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { readSettings } from "../../src/config/env.js";
import { isPostgresUrl, openStore, sqlitePathFromUrl, DEFAULT_DATABASE_PATH } from "../../src/store/open.js";
import { migrations } from "../../src/store/migrations.js";

describe("SqliteStore", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "empathy-store-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("creates the file, applies every migration once, and keeps data across reopen", async () => {
    const path = join(dir, "nested", "db.sqlite");
    const a = new SqliteStore(path);
    expect(a.schemaVersion()).toBe(migrations[migrations.length - 1].version);
    await a.enqueueJob({ type: "t", payload: { x: 1 }, dedupeKey: "k" });
    await a.close();
    const b = new SqliteStore(path);
    expect(b.schemaVersion()).toBe(migrations[migrations.length - 1].version);
    expect((await b.countJobs()).queued).toBe(1);
    await b.close();
  });

  it("dedupes jobs by key and claims each job once, in due order", async () => {
    const s = new SqliteStore(":memory:");
    expect(await s.enqueueJob({ type: "t", payload: 1, dedupeKey: "d1" })).not.toBeNull();
    expect(await s.enqueueJob({ type: "t", payload: 2, dedupeKey: "d1" })).toBeNull();
    await s.enqueueJob({ type: "t", payload: 3, runAt: Date.now() + 60_000 });
    const job = await s.claimJob(Date.now());
    expect(job).toMatchObject({ payload: 1, status: "running", attempts: 1 });
    expect(await s.claimJob(Date.now())).toBeNull(); // the other one is not due yet
    // Its lease (a minute by default) expires: the job goes back to the queue.
    expect(await s.reclaimExpiredJobs(Date.now())).toEqual({ requeued: 0, dead: [] });
    expect(await s.reclaimExpiredJobs(Date.now() + 61_000)).toEqual({ requeued: 1, dead: [] });
    expect((await s.claimJob(Date.now()))?.attempts).toBe(2);
    await s.killJob(job!.id, "boom");
    expect((await s.listJobs("dead"))[0]).toMatchObject({ id: job!.id, lastError: "boom" });
  });

  it("lists jobs oldest first, or newest first by last update", async () => {
    const s = new SqliteStore(":memory:");
    for (let i = 1; i <= 4; i++) await s.enqueueJob({ type: "t", payload: i });
    for (let i = 0; i < 4; i++) await s.completeJob((await s.claimJob(Date.now()))!.id);
    expect((await s.listJobs("done", 2)).map((j) => j.payload)).toEqual([1, 2]);
    expect((await s.listJobs("done", 2, "newest")).map((j) => j.payload)).toEqual([4, 3]);
  });

  it("stores reviews, posted findings, summaries, prediction issues, trust and patterns", async () => {
    const s = new SqliteStore(":memory:");
    await s.saveReview("o/r", 1, "sha", 9);
    expect(await s.getReview("o/r", 1, "sha")).toEqual({ reviewId: 9 });
    expect(await s.getReview("o/r", 1, "other")).toBeUndefined();
    await s.savePostedFindings("o/r", 1, [{ fingerprint: "f", path: "a.js", line: 3, commitSha: "sha" }]);
    await s.savePostedFindings("o/r", 1, [{ fingerprint: "f", path: "a.js", line: 4, commitSha: "sha2" }]);
    expect(await s.listPostedFindings("o/r", 1)).toEqual([{ fingerprint: "f", path: "a.js", line: 3, commitSha: "sha" }]);
    await s.saveSummary("o/r", 1, { commentId: 5, lastFingerprints: ["f"], lastSha: "sha" });
    expect(await s.getSummary("o/r", 1)).toEqual({ commentId: 5, lastFingerprints: ["f"], lastSha: "sha" });
    await s.savePredictionIssue("o/r", "fp", 42);
    expect(await s.getPredictionIssue("o/r", "fp")).toBe(42);
    await s.saveTrust({ userId: "u", repo: "o/r", trust: 0.6, milestones: [], recentRejections: [] });
    expect((await s.getTrust("u", "o/r"))?.trust).toBe(0.6);
    const pattern = {
      id: "p",
      repo: "o/r",
      key: "js/sql-injection",
      name: "n",
      occurrences: 1,
      successes: 0,
      failures: 0,
      confidence: 0.5,
      learned: false,
      prNumbers: [1],
    };
    await s.savePattern(pattern);
    expect(await s.getPattern("o/r", "js/sql-injection")).toEqual(pattern);
    expect(await s.listPatterns("o/r")).toHaveLength(1);
  });

  it("reads DATABASE_URL as a path or sqlite:PATH; a postgres:// or postgresql:// URL is PostgreSQL's", async () => {
    expect(sqlitePathFromUrl(undefined)).toBe(DEFAULT_DATABASE_PATH);
    expect(sqlitePathFromUrl("sqlite:/tmp/x.db")).toBe("/tmp/x.db");
    expect(sqlitePathFromUrl("sqlite:///tmp/x.db")).toBe("/tmp/x.db");
    expect(sqlitePathFromUrl("./a.sqlite")).toBe("./a.sqlite");
    for (const url of ["postgres://h/db", "postgresql://u:p@h:5432/db?sslmode=require", " POSTGRES://h/db"])
      expect(isPostgresUrl(url)).toBe(true);
    for (const url of [undefined, "", "./postgres.sqlite", "sqlite:postgres://x"]) expect(isPostgresUrl(url)).toBe(false);
    expect(() => sqlitePathFromUrl("postgres://h/db")).toThrow(/names a PostgreSQL database/);
    // SQLite stays the embedded default; a PostgreSQL URL is opened as PostgreSQL (storeContract.test.ts runs one).
    const sqlite = await openStore(`sqlite:${join(dir, "opened.sqlite")}`);
    expect(sqlite).toBeInstanceOf(SqliteStore);
    await sqlite.close();
    await expect(openStore("postgres://h/db?sslmode=sometimes")).rejects.toThrow(/unknown sslmode "sometimes"/);
  });

  it("reads the PostgreSQL pool size from EMPATHY_DATABASE_POOL_SIZE (default 10), with a clear error", () => {
    expect(readSettings({}).databasePoolSize).toBe(10);
    expect(readSettings({ EMPATHY_DATABASE_POOL_SIZE: "25" }).databasePoolSize).toBe(25);
    expect(() => readSettings({ EMPATHY_DATABASE_POOL_SIZE: "0" })).toThrow(
      'EMPATHY_DATABASE_POOL_SIZE must be an integer from 1 to 1000, got "0"',
    );
    expect(() => readSettings({ EMPATHY_DATABASE_POOL_SIZE: "ten" })).toThrow(/EMPATHY_DATABASE_POOL_SIZE/);
  });
});
