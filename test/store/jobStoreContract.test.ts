/**
 * One contract for the job store, run against SQLite (two store instances on one file) and
 * against a real PostgreSQL server started for this suite and thrown away (two PostgresStore
 * pools on one database): claims are taken once however many instances claim together, leases
 * hold while renewed and only expired ones are taken back, outcomes are written only by the
 * holder, jobs of one pull request run one at a time, and two job queues on top run a burst each
 * once. If PostgreSQL cannot start, the suite fails. (The rest of the Store: storeContract.test.ts.)
 */
import { jest } from "@jest/globals";
import pg from "pg";
import { InputError } from "../../src/cli/common.js";
import { openOperatorStore } from "../../src/cli/store.js";
import { JobQueue } from "../../src/jobs/queue.js";
import { openStore } from "../../src/store/open.js";
import { PostgresStore, postgresMigrations, postgresPoolConfig } from "../../src/store/postgres/index.js";
import type { JobRecord } from "../../src/store/store.js";
import { storeBackends, type StorePair } from "./contractBackends.js";
import { postgresForSuite } from "./postgresSuite.js";

jest.setTimeout(60_000);

const server = postgresForSuite();

const backends = storeBackends(() => server);

describe.each(backends)("job store contract: %s", (_name, open) => {
  let s: StorePair;
  beforeEach(async () => {
    s = await open();
  });
  afterEach(async () => {
    await s.close();
  });
  const lease = (owner: string, expiresAt: number) => ({ owner, expiresAt });

  it("dedupes by key and claims due jobs in order", async () => {
    const { a, b } = s;
    const first = await a.enqueueJob({ type: "t", payload: { n: 1 }, dedupeKey: "delivery:1", runAt: 100 });
    expect(first).not.toBeNull();
    expect(await b.enqueueJob({ type: "t", payload: { n: 2 }, dedupeKey: "delivery:1", runAt: 100 })).toBeNull();
    await b.enqueueJob({ type: "t", payload: { n: 3 }, runAt: 5000 });
    expect(await b.nextJobRunAt()).toBe(100);
    expect(await b.claimJob(1000, lease("B", 9000))).toMatchObject({ id: first, payload: { n: 1 }, status: "running", attempts: 1 });
    expect(await a.claimJob(1000, lease("A", 9000))).toBeNull(); // the other is not due
    expect(await s.leaseOf("jobs", first!)).toEqual({ owner: "B", expiresAt: 9000 });
    expect(await a.countJobs()).toEqual({ queued: 1, running: 1, done: 0, dead: 0 });
  });

  it("gives each job to one instance when both claim at once", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 30; i++) ids.push((await s.a.enqueueJob({ type: "t", payload: { i }, runAt: 100 }))!);
    const claims = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? s.a : s.b).claimJob(1000, lease(i % 2 ? "A" : "B", 9000))),
    );
    const got = claims.filter((j): j is JobRecord => j !== null).map((j) => j.id);
    expect(got.sort((x, y) => x - y)).toEqual(ids);
  });

  it("takes back only expired leases; outcomes and renewals only by the holder", async () => {
    const { a, b } = s;
    const first = (await a.enqueueJob({ type: "t", payload: 1, runAt: 100 }))!;
    const second = (await a.enqueueJob({ type: "t", payload: 2, runAt: 100 }))!;
    await a.claimJob(1000, lease("A", 5000));
    await b.claimJob(1000, lease("B", 5000));
    expect(await b.renewJobLeases("B", 9000)).toEqual([second]);
    expect(await b.reclaimExpiredJobs(4000, 5)).toEqual({ requeued: 0, dead: [] });
    expect(await b.reclaimExpiredJobs(6000, 5)).toEqual({ requeued: 1, dead: [] });
    expect(await s.leaseOf("jobs", first)).toEqual({ owner: null, expiresAt: null });
    expect(await a.completeJob(first, "A")).toBe(false);
    expect(await a.renewJobLeases("A", 20_000)).toEqual([]);
    expect(await b.claimJob(6000, lease("B", 12_000))).toMatchObject({ id: first, attempts: 2 });
    expect(await a.retryJob(first, 7000, "late", "A")).toBe(false);
    expect(await b.completeJob(first, "B")).toBe(true);
    expect(await a.getJob(first)).toMatchObject({ status: "done", lastError: null });
    expect(await b.killJob(second, "boom", "B")).toBe(true);
    expect(await a.getJob(second)).toMatchObject({ status: "dead", lastError: "boom" });
  });

  it("dead-letters an expired job that has used its attempts", async () => {
    const id = (await s.a.enqueueJob({ type: "poison", payload: {}, runAt: 100 }))!;
    for (let attempt = 1; attempt <= 3; attempt++) {
      await s.a.claimJob(1000, lease("A", 2000));
      const { dead } = await s.b.reclaimExpiredJobs(2000, 3);
      expect(dead.map((j) => j.id)).toEqual(attempt === 3 ? [id] : []);
    }
    const dead = await s.b.getJob(id);
    expect(dead).toMatchObject({ status: "dead", attempts: 3 });
    expect(dead!.lastError).toMatch(/^the process stopped while running this job on each of its 3 attempts/);
  });

  it("runs jobs of one pull request one at a time, also when two instances claim them at once", async () => {
    const pr = { owner: "o", repo: "r", pullNumber: 7 };
    for (let i = 0; i < 3; i++) await s.a.enqueueJob({ type: "review", payload: { ...pr, i }, runAt: 100 });
    const claims = await Promise.all([s.a.claimJob(1000, lease("A", 9000)), s.b.claimJob(1000, lease("B", 9000))]);
    expect(claims.filter((j) => j !== null)).toHaveLength(1);
    expect(await s.a.nextJobRunAt()).toBeNull();
    const held = claims.find((j) => j !== null)!;
    await (held === claims[0] ? s.a : s.b).completeJob(held.id, held === claims[0] ? "A" : "B");
    expect(await s.b.claimJob(1000, lease("B", 9000))).not.toBeNull();
  });

  it("two job queues on the store run a burst of jobs each once", async () => {
    const runs = new Map<number, number>();
    const quiet = { info: () => {}, warn: () => {}, error: () => {} };
    const queues = ["A", "B"].map((id, i) => {
      const q = new JobQueue({ store: i ? s.b : s.a, log: quiet, instanceId: id, concurrency: 2, pollIntervalMs: 20 });
      q.register("t", async (_p, job) => void runs.set(job.id, (runs.get(job.id) ?? 0) + 1));
      return q;
    });
    for (let i = 0; i < 40; i++) await queues[i % 2].enqueue({ type: "t", payload: { i } });
    await Promise.all(queues.map((q) => q.start()));
    for (let i = 0; i < 1000 && (await s.a.countJobs()).done < 40; i++) await new Promise((r) => setTimeout(r, 10));
    await Promise.all(queues.map((q) => q.stop()));
    expect(runs.size).toBe(40);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
  });
});

describe("PostgreSQL store", () => {
  it("runs its migrations once when instances open a new database together (advisory lock)", async () => {
    const url = await server.createDatabase("migrate_together");
    const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresStore.open({ connectionString: url, poolSize: 2 })));
    try {
      const { rows } = await stores[0].pool.query("SELECT version FROM schema_migrations ORDER BY version");
      expect(rows.map((r: { version: number }) => r.version)).toEqual(postgresMigrations.map((m) => m.version));
      for (const store of stores) expect(await store.schemaVersion()).toBe(postgresMigrations[postgresMigrations.length - 1].version);
      // Opened again later: nothing to apply, nothing applied twice.
      const again = await PostgresStore.open({ connectionString: url, poolSize: 1 });
      expect((await again.pool.query("SELECT COUNT(*) AS n FROM schema_migrations")).rows[0].n).toBe(postgresMigrations.length);
      await again.close();
    } finally {
      await Promise.all(stores.map((st) => st.close()));
    }
  });

  it("two stores (two pools) racing for the same jobs never both get one", async () => {
    const url = await server.createDatabase("race_jobs");
    const [a, b] = await Promise.all([
      PostgresStore.open({ connectionString: url, poolSize: 8 }),
      PostgresStore.open({ connectionString: url, poolSize: 8 }),
    ]);
    try {
      const ids: number[] = [];
      for (let i = 0; i < 200; i++) ids.push((await a.enqueueJob({ type: "t", payload: { i }, runAt: 100 }))!);
      // Both keep claiming until the queue is empty, 8 claims in flight on each.
      const claimer = async (store: PostgresStore, owner: string) => {
        const got: number[] = [];
        const worker = async () => {
          for (
            let job = await store.claimJob(1000, { owner, expiresAt: 9000 });
            job;
            job = await store.claimJob(1000, { owner, expiresAt: 9000 })
          )
            got.push(job.id);
        };
        await Promise.all(Array.from({ length: 8 }, worker));
        return got;
      };
      const [byA, byB] = await Promise.all([claimer(a, "A"), claimer(b, "B")]);
      expect(byA.length).toBeGreaterThan(0);
      expect(byB.length).toBeGreaterThan(0);
      expect([...byA, ...byB].sort((x, y) => x - y)).toEqual(ids);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("is what openStore opens for a postgres:// or postgresql:// DATABASE_URL, with the pool size given", async () => {
    const url = await server.createDatabase("opened");
    for (const spelled of [url, url.replace(/^postgres:/, "postgresql:"), `${url}?sslmode=disable`]) {
      const store = await openStore(spelled, { poolSize: 3 });
      try {
        expect(store).toBeInstanceOf(PostgresStore);
        expect((store as PostgresStore).pool.options.max).toBe(3);
        expect(await store.enqueueJob({ type: "t", payload: {} })).not.toBeNull();
      } finally {
        await store.close();
      }
    }
    // A server that is not there: opening fails (no store half open).
    await expect(openStore(`postgres://postgres@127.0.0.1:${server.port + 1}/nowhere`)).rejects.toThrow(/ECONNREFUSED/);
  });

  it("is what the operator commands open for a postgres:// DATABASE_URL or --database, shown without its password", async () => {
    const url = (await server.createDatabase("operator")).replace("postgres@", "postgres:secret@");
    const seeded = await openStore(url);
    await seeded.enqueueJob({ type: "t", payload: {} });
    await seeded.close();
    const io = { stdout: () => {}, stderr: () => {}, readStdin: () => "", cwd: process.cwd(), env: { DATABASE_URL: url } };
    const opened = await openOperatorStore(io, undefined);
    expect(opened.shown).toBe(url.replace(":secret", ""));
    try {
      expect((await opened.store.countJobs()).queued).toBe(1);
      expect((await opened.store.listRecentJobs({})).map((j) => j.type)).toEqual(["t"]);
    } finally {
      await opened.store.close();
    }
    const failure = await openOperatorStore(
      { ...io, env: {} },
      `postgres://postgres:secret@127.0.0.1:${server.port}/no_such_database`,
    ).catch((e: Error) => e);
    expect(failure).toBeInstanceOf(InputError);
    expect((failure as Error).message).toMatch(
      new RegExp(
        `^postgres://postgres@127\\.0\\.0\\.1:${server.port}/no_such_database \\(--database\\) could not be opened as a store: .*no_such_database`,
      ),
    );
    expect((failure as Error).message).not.toContain("secret");
    await expect(openOperatorStore(io, "postgres://h/db?sslmode=sometimes")).rejects.toThrow(InputError);
  });

  it("reads sslmode and the pool size from the settings", () => {
    const plain = postgresPoolConfig({ connectionString: "postgres://u:p@db.example:5432/empathy", poolSize: 7 });
    expect(plain).toMatchObject({ connectionString: "postgres://u:p@db.example:5432/empathy", max: 7, ssl: undefined });
    expect(postgresPoolConfig({ connectionString: "postgresql://u@db/e?sslmode=require" })).toMatchObject({
      ssl: { rejectUnauthorized: false },
      max: 10,
    });
    expect(postgresPoolConfig({ connectionString: "postgresql://u@db/e?sslmode=verify-full" }).ssl).toEqual({ rejectUnauthorized: true });
    expect(postgresPoolConfig({ connectionString: "postgresql://u@db/e?sslmode=disable" }).ssl).toBeUndefined();
    expect(() => postgresPoolConfig({ connectionString: "postgresql://u@db/e?sslmode=sometimes" })).toThrow(/sslmode "sometimes"/);
    expect(() => postgresPoolConfig({ connectionString: "postgres://[broken" })).toThrow(/DATABASE_URL is not a valid PostgreSQL URL/);
  });

  it("the server the suite started answers", async () => {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    const { rows } = await client.query("SHOW server_version_num");
    await client.end();
    expect(Number(rows[0].server_version_num)).toBeGreaterThanOrEqual(150000);
  });
});
