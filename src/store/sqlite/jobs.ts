/**
 * The job queue on SQLite (JobStore, the job half of OperatorStore, pruneJobs). A claim is one
 * UPDATE … RETURNING under SQLite's write lock; leases as on PostgreSQL (owner + expiry, renewed
 * by the holder's heartbeat, only expired ones taken back, never by their own instance).
 */
import { toJob, type JobRow } from "../jobRow.js";
import type { JobRecord, JobStatus, Lease, NewJob } from "../store.js";
import { DEFAULT_LEASE_MS, jobSubjectKey } from "../store.js";
import type { SqlitePart } from "./base.js";

/** `AND <owner check>`: with an owner, only a running job it holds. */
const HELD = "(? IS NULL OR (status = 'running' AND lease_owner = ?))";

export function SqliteJobs<B extends SqlitePart>(Base: B) {
  return class SqliteJobs extends Base {
    async enqueueJob(job: NewJob): Promise<number | null> {
      const now = Date.now();
      const info = this.stmt(
        `INSERT INTO jobs (type, payload, dedupe_key, run_at, created_at, updated_at, subject)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING`,
      ).run(job.type, JSON.stringify(job.payload), job.dedupeKey ?? null, job.runAt ?? now, now, now, jobSubjectKey(job.payload));
      return info.changes === 1 ? Number(info.lastInsertRowid) : null;
    }

    async claimJob(now: number, lease?: Lease): Promise<JobRecord | null> {
      const row = this.stmt(
        `UPDATE jobs SET status = 'running', attempts = attempts + 1, updated_at = ?, lease_owner = ?, lease_expires_at = ?
         WHERE id = (SELECT id FROM jobs q WHERE status = 'queued' AND run_at <= ?
                       AND (subject IS NULL OR NOT EXISTS (SELECT 1 FROM jobs r WHERE r.status = 'running' AND r.subject = q.subject))
                     ORDER BY run_at, id LIMIT 1)
         RETURNING *`,
      ).get(now, lease?.owner ?? null, lease?.expiresAt ?? now + DEFAULT_LEASE_MS, now) as JobRow | undefined;
      return row ? toJob(row) : null;
    }

    async completeJob(id: number, owner?: string): Promise<boolean> {
      return (
        this.stmt(
          `UPDATE jobs SET status = 'done', last_error = NULL, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND ${HELD}`,
        ).run(Date.now(), id, owner ?? null, owner ?? null).changes === 1
      );
    }

    async retryJob(id: number, runAt: number, error: string, owner?: string): Promise<boolean> {
      return (
        this.stmt(
          `UPDATE jobs SET status = 'queued', run_at = ?, last_error = ?, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND ${HELD}`,
        ).run(runAt, error, Date.now(), id, owner ?? null, owner ?? null).changes === 1
      );
    }

    async killJob(id: number, error: string, owner?: string): Promise<boolean> {
      return (
        this.stmt(
          `UPDATE jobs SET status = 'dead', last_error = ?, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND ${HELD}`,
        ).run(error, Date.now(), id, owner ?? null, owner ?? null).changes === 1
      );
    }

    async renewJobLeases(owner: string, expiresAt: number): Promise<number[]> {
      return (
        this.stmt("UPDATE jobs SET lease_expires_at = ? WHERE status = 'running' AND lease_owner = ? RETURNING id").all(
          expiresAt,
          owner,
        ) as { id: number }[]
      ).map((r) => r.id);
    }

    async reclaimExpiredJobs(
      now: number,
      maxAttempts = Number.MAX_SAFE_INTEGER,
      except: string | null = null,
    ): Promise<{ requeued: number; dead: JobRecord[] }> {
      // Two single statements, each taking only rows whose lease is over: safe beside live instances.
      // `except`: the caller's own instance, alive by definition (its heartbeat is only late).
      const dead = this.stmt(
        `UPDATE jobs SET status = 'dead', updated_at = ?, lease_owner = NULL, lease_expires_at = NULL,
           last_error = 'the process stopped while running this job on each of its ' || attempts || ' attempts (a crash or a kill); last error: ' || COALESCE(last_error, 'none')
         WHERE status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at <= ?) AND attempts >= ?
           AND (? IS NULL OR lease_owner IS NULL OR lease_owner <> ?)
         RETURNING *`,
      ).all(now, now, maxAttempts, except, except) as JobRow[];
      const requeued = this.stmt(
        `UPDATE jobs SET status = 'queued', updated_at = ?, lease_owner = NULL, lease_expires_at = NULL
         WHERE status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at <= ?)
           AND (? IS NULL OR lease_owner IS NULL OR lease_owner <> ?)`,
      ).run(now, now, except, except).changes;
      return { requeued, dead: dead.map(toJob) };
    }

    async nextJobRunAt(): Promise<number | null> {
      // Not a job waiting for another of its pull request to end: the worker would wake for nothing.
      const row = this.stmt(
        `SELECT MIN(run_at) AS t FROM jobs q WHERE status = 'queued'
           AND (subject IS NULL OR NOT EXISTS (SELECT 1 FROM jobs r WHERE r.status = 'running' AND r.subject = q.subject))`,
      ).get() as { t: number | null };
      return row.t;
    }

    async countJobs(): Promise<Record<JobStatus, number>> {
      const counts: Record<JobStatus, number> = { queued: 0, running: 0, done: 0, dead: 0 };
      for (const r of this.stmt("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status").all() as { status: JobStatus; n: number }[]) {
        counts[r.status] = r.n;
      }
      return counts;
    }

    async listJobs(status: JobStatus, limit = 100, order: "oldest" | "newest" = "oldest"): Promise<JobRecord[]> {
      const sql =
        order === "newest"
          ? "SELECT * FROM jobs WHERE status = ? ORDER BY updated_at DESC, id DESC LIMIT ?"
          : "SELECT * FROM jobs WHERE status = ? ORDER BY id LIMIT ?";
      return (this.stmt(sql).all(status, limit) as JobRow[]).map(toJob);
    }

    // --- operator commands (see OperatorStore) ---

    async getJob(id: number): Promise<JobRecord | undefined> {
      const row = this.stmt("SELECT * FROM jobs WHERE id = ?").get(id) as JobRow | undefined;
      return row ? toJob(row) : undefined;
    }

    /** The text is one of eight (each filter present or not), each prepared once. */
    async listRecentJobs(query: { status?: JobStatus; type?: string; since?: number; limit?: number }): Promise<JobRecord[]> {
      const where: string[] = [];
      const args: unknown[] = [];
      if (query.status) {
        where.push("status = ?");
        args.push(query.status);
      }
      if (query.type) {
        where.push("type = ?");
        args.push(query.type);
      }
      if (query.since !== undefined) {
        where.push("updated_at >= ?");
        args.push(query.since);
      }
      const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY updated_at DESC, id DESC LIMIT ?`;
      return (this.stmt(sql).all(...args, query.limit ?? 100) as JobRow[]).map(toJob);
    }

    /** The text is one of four (ids and since each given or not), each prepared once; the ids go in as one JSON array. */
    async replayDeadJobs(query: { ids?: number[]; since?: number }, now: number): Promise<number[]> {
      const where = ["status = 'dead'"];
      const args: unknown[] = [];
      if (query.ids) {
        where.push("id IN (SELECT value FROM json_each(?))");
        args.push(JSON.stringify(query.ids));
      }
      if (query.since !== undefined) {
        where.push("updated_at >= ?");
        args.push(query.since);
      }
      const rows = this.stmt(
        `UPDATE jobs SET status = 'queued', attempts = 0, run_at = ?, updated_at = ? WHERE ${where.join(" AND ")} RETURNING id`,
      ).all(now, now, ...args) as { id: number }[];
      return rows.map((r) => r.id).sort((a, b) => a - b);
    }

    // --- retention (batch deletes; see RetentionStore) ---

    async pruneJobs(before: number, limit: number): Promise<number> {
      // Only finished jobs: queued and running ones are work still to do, whatever their age.
      return this.stmt(
        `DELETE FROM jobs WHERE id IN
           (SELECT id FROM jobs WHERE status IN ('done', 'dead') AND updated_at < ? ORDER BY updated_at LIMIT ?)`,
      ).run(before, limit).changes;
    }
  };
}
