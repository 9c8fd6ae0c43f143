/**
 * PostgreSQL, first part: the job queue's store (JobStore) on the `pg` driver with a connection
 * pool. Claims are single statements with FOR UPDATE SKIP LOCKED, so instances never wait on
 * each other's rows; leases as on SQLite (owner + expiry, renewed by the holder's heartbeat,
 * only expired ones taken back). Migrations are versioned and run at open under an advisory
 * lock, so instances starting together apply each once.
 *
 * Not yet the whole Store: reviews, webhooks, feedback and the rest are still to port, so
 * openStore does not select it yet (see open.ts).
 */
import pg from "pg";
import { toJob, type JobRow } from "./jobRow.js";
import type { JobRecord, JobStatus, JobStore, Lease, NewJob } from "./store.js";
import { DEFAULT_LEASE_MS, jobSubjectKey } from "./store.js";

export interface PostgresMigration {
  version: number;
  name: string;
  sql: string;
}

export const postgresMigrations: PostgresMigration[] = [
  {
    version: 1,
    name: "jobs with leases",
    sql: `
      CREATE TABLE jobs (
        id BIGSERIAL PRIMARY KEY,
        type TEXT NOT NULL,
        payload TEXT NOT NULL,
        dedupe_key TEXT UNIQUE,
        status TEXT NOT NULL DEFAULT 'queued',
        attempts INTEGER NOT NULL DEFAULT 0,
        run_at BIGINT NOT NULL,
        last_error TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        lease_owner TEXT,
        lease_expires_at BIGINT,
        subject TEXT
      );
      CREATE INDEX jobs_due ON jobs (status, run_at, id);
      CREATE INDEX jobs_finished ON jobs (status, updated_at);
      CREATE INDEX jobs_leases ON jobs (status, lease_expires_at);
      -- One running job per pull request, across instances: two claims racing for jobs of one
      -- pull request cannot both commit (the loser claims again).
      CREATE UNIQUE INDEX jobs_one_running_per_subject ON jobs (subject) WHERE status = 'running';
    `,
  },
];

/** The advisory lock key of the migrations (any constant shared by every instance). */
const MIGRATION_LOCK = 7_239_114_021;

/** BIGINT (int8) columns as numbers: ms timestamps and ids fit in 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as "text")) as pg.CustomTypesConfig["getTypeParser"],
};

export interface PostgresOptions {
  connectionString: string;
  /** Connections in the pool (EMPATHY_DATABASE_POOL_SIZE; default 10). */
  poolSize?: number;
}

/** pg's connection settings from a postgres:// or postgresql:// URL; `sslmode` is honoured (disable, require, verify-ca, verify-full…). */
export function postgresPoolConfig(options: PostgresOptions): pg.PoolConfig {
  const url = new URL(options.connectionString);
  const sslmode = url.searchParams.get("sslmode");
  url.searchParams.delete("sslmode");
  let ssl: pg.PoolConfig["ssl"];
  if (sslmode === "require" || sslmode === "prefer" || sslmode === "allow") ssl = { rejectUnauthorized: false };
  else if (sslmode === "verify-ca" || sslmode === "verify-full") ssl = { rejectUnauthorized: true };
  else if (sslmode !== null && sslmode !== "disable") throw new Error(`DATABASE_URL: unknown sslmode "${sslmode}"`);
  return { connectionString: url.toString(), ssl, max: options.poolSize ?? 10, types };
}


const HELD = "($2::text IS NULL OR (status = 'running' AND lease_owner = $2))";

export class PostgresJobStore implements JobStore {
  readonly pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  /** Connects and runs the migrations not applied yet, under the advisory lock. */
  static async open(options: PostgresOptions): Promise<PostgresJobStore> {
    const pool = new pg.Pool(postgresPoolConfig(options));
    const store = new PostgresJobStore(pool);
    try {
      await store.migrate();
    } catch (err) {
      await pool.end();
      throw err;
    }
    return store;
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
      try {
        await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
        const applied = new Set((await client.query<{ version: number }>("SELECT version FROM schema_migrations")).rows.map((r) => r.version));
        for (const m of postgresMigrations) {
          if (applied.has(m.version)) continue;
          await client.query("BEGIN");
          try {
            await client.query(m.sql);
            await client.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [m.version, m.name, Date.now()]);
            await client.query("COMMIT");
          } catch (err) {
            await client.query("ROLLBACK");
            throw err;
          }
        }
      } finally {
        await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]);
      }
    } finally {
      client.release();
    }
  }

  async schemaVersion(): Promise<number> {
    const { rows } = await this.pool.query<{ v: number | null }>("SELECT MAX(version) AS v FROM schema_migrations");
    return rows[0].v ?? 0;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async enqueueJob(job: NewJob): Promise<number | null> {
    const now = Date.now();
    const { rows } = await this.pool.query<{ id: number }>(
      `INSERT INTO jobs (type, payload, dedupe_key, run_at, created_at, updated_at, subject)
       VALUES ($1, $2, $3, $4, $5, $5, $6) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
      [job.type, JSON.stringify(job.payload), job.dedupeKey ?? null, job.runAt ?? now, now, jobSubjectKey(job.payload)],
    );
    return rows[0]?.id ?? null;
  }

  async claimJob(now: number, lease?: Lease): Promise<JobRecord | null> {
    // Rows another instance is claiming are skipped, not waited for. Two claims of jobs of one
    // pull request may still race past the NOT EXISTS: the unique index stops the second, which
    // claims again.
    for (let tries = 0; tries < 5; tries++) {
      try {
        const { rows } = await this.pool.query<JobRow>(
          `UPDATE jobs SET status = 'running', attempts = attempts + 1, updated_at = $1, lease_owner = $2, lease_expires_at = $3
           WHERE id = (SELECT id FROM jobs q WHERE status = 'queued' AND run_at <= $1
                         AND (subject IS NULL OR NOT EXISTS (SELECT 1 FROM jobs r WHERE r.status = 'running' AND r.subject = q.subject))
                       ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
           RETURNING *`,
          [now, lease?.owner ?? null, lease?.expiresAt ?? now + DEFAULT_LEASE_MS],
        );
        return rows[0] ? toJob(rows[0]) : null;
      } catch (err) {
        if ((err as { code?: string }).code !== "23505") throw err;
      }
    }
    return null;
  }

  async completeJob(id: number, owner?: string): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE jobs SET status = 'done', last_error = NULL, updated_at = $3, lease_owner = NULL, lease_expires_at = NULL WHERE id = $1 AND ${HELD}`,
      [id, owner ?? null, Date.now()],
    );
    return r.rowCount === 1;
  }

  async retryJob(id: number, runAt: number, error: string, owner?: string): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE jobs SET status = 'queued', run_at = $3, last_error = $4, updated_at = $5, lease_owner = NULL, lease_expires_at = NULL WHERE id = $1 AND ${HELD}`,
      [id, owner ?? null, runAt, error, Date.now()],
    );
    return r.rowCount === 1;
  }

  async killJob(id: number, error: string, owner?: string): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE jobs SET status = 'dead', last_error = $3, updated_at = $4, lease_owner = NULL, lease_expires_at = NULL WHERE id = $1 AND ${HELD}`,
      [id, owner ?? null, error, Date.now()],
    );
    return r.rowCount === 1;
  }

  async renewJobLeases(owner: string, expiresAt: number): Promise<number[]> {
    const { rows } = await this.pool.query<{ id: number }>(
      "UPDATE jobs SET lease_expires_at = $2 WHERE status = 'running' AND lease_owner = $1 RETURNING id",
      [owner, expiresAt],
    );
    return rows.map((r) => r.id);
  }

  async reclaimExpiredJobs(now: number, maxAttempts = Number.MAX_SAFE_INTEGER, except: string | null = null): Promise<{ requeued: number; dead: JobRecord[] }> {
    const dead = await this.pool.query<JobRow>(
      `UPDATE jobs SET status = 'dead', updated_at = $1, lease_owner = NULL, lease_expires_at = NULL,
         last_error = 'the process stopped while running this job on each of its ' || attempts || ' attempts (a crash or a kill); last error: ' || COALESCE(last_error, 'none')
       WHERE status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at <= $1) AND attempts >= $2
         AND ($3::text IS NULL OR lease_owner IS NULL OR lease_owner <> $3)
       RETURNING *`,
      [now, Math.min(maxAttempts, 2 ** 31 - 1), except],
    );
    const requeued = await this.pool.query(
      `UPDATE jobs SET status = 'queued', updated_at = $1, lease_owner = NULL, lease_expires_at = NULL
       WHERE status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at <= $1)
         AND ($2::text IS NULL OR lease_owner IS NULL OR lease_owner <> $2)`,
      [now, except],
    );
    return { requeued: requeued.rowCount ?? 0, dead: dead.rows.map(toJob) };
  }

  async nextJobRunAt(): Promise<number | null> {
    const { rows } = await this.pool.query<{ t: number | null }>(
      `SELECT MIN(run_at) AS t FROM jobs q WHERE status = 'queued'
         AND (subject IS NULL OR NOT EXISTS (SELECT 1 FROM jobs r WHERE r.status = 'running' AND r.subject = q.subject))`,
    );
    return rows[0].t;
  }

  async countJobs(): Promise<Record<JobStatus, number>> {
    const counts: Record<JobStatus, number> = { queued: 0, running: 0, done: 0, dead: 0 };
    const { rows } = await this.pool.query<{ status: JobStatus; n: number }>("SELECT status, COUNT(*)::int AS n FROM jobs GROUP BY status");
    for (const r of rows) counts[r.status] = r.n;
    return counts;
  }

  async listJobs(status: JobStatus, limit = 100, order: "oldest" | "newest" = "oldest"): Promise<JobRecord[]> {
    const sql =
      order === "newest"
        ? "SELECT * FROM jobs WHERE status = $1 ORDER BY updated_at DESC, id DESC LIMIT $2"
        : "SELECT * FROM jobs WHERE status = $1 ORDER BY id LIMIT $2";
    return (await this.pool.query<JobRow>(sql, [status, limit])).rows.map(toJob);
  }

  async getJob(id: number): Promise<JobRecord | undefined> {
    const { rows } = await this.pool.query<JobRow>("SELECT * FROM jobs WHERE id = $1", [id]);
    return rows[0] ? toJob(rows[0]) : undefined;
  }
}
