/**
 * The job queue on PostgreSQL (JobStore, the job half of OperatorStore, pruneJobs). Claims are
 * single statements with FOR UPDATE SKIP LOCKED, so instances never wait on each other's rows;
 * leases as on SQLite (owner + expiry, renewed by the holder's heartbeat, only expired ones taken
 * back, never by their own instance).
 */
import { toJob, type JobRow } from "../jobRow.js";
import type { JobRecord, JobStatus, Lease, NewJob } from "../store.js";
import { DEFAULT_LEASE_MS, jobSubjectKey } from "../store.js";
import { pgText, type PostgresPart } from "./base.js";

/** `AND <owner check>` with the owner as $2: with an owner, only a running job it holds. */
const HELD = "($2::text IS NULL OR (status = 'running' AND lease_owner = $2))";

/** A job about a pull request with another job of it running waits (see jobSubjectKey). */
const SUBJECT_FREE = "(subject IS NULL OR NOT EXISTS (SELECT 1 FROM jobs r WHERE r.status = 'running' AND r.subject = q.subject))";

const MAX_INT = 2 ** 31 - 1;

export function PostgresJobs<B extends PostgresPart>(Base: B) {
  return class PostgresJobs extends Base {
    async enqueueJob(job: NewJob): Promise<number | null> {
      const now = Date.now();
      const [row] = await this.rows<{ id: number }>(
        `INSERT INTO jobs (type, payload, dedupe_key, run_at, created_at, updated_at, subject)
         VALUES ($1, $2, $3, $4, $5, $5, $6) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
        [job.type, JSON.stringify(job.payload), job.dedupeKey ?? null, job.runAt ?? now, now, jobSubjectKey(job.payload)],
      );
      return row?.id ?? null;
    }

    async claimJob(now: number, lease?: Lease): Promise<JobRecord | null> {
      // Rows another instance is claiming are skipped, not waited for. Two claims of jobs of one
      // pull request may still race past the NOT EXISTS: the unique index stops the second, which
      // claims again.
      for (let tries = 0; tries < 5; tries++) {
        try {
          const [row] = await this.rows<JobRow>(
            `UPDATE jobs SET status = 'running', attempts = attempts + 1, updated_at = $1, lease_owner = $2, lease_expires_at = $3
             WHERE id = (SELECT id FROM jobs q WHERE status = 'queued' AND run_at <= $1 AND ${SUBJECT_FREE}
                         ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
             RETURNING *`,
            [now, lease?.owner ?? null, lease?.expiresAt ?? now + DEFAULT_LEASE_MS],
          );
          return row ? toJob(row) : null;
        } catch (err) {
          if ((err as { code?: string }).code !== "23505") throw err;
        }
      }
      return null;
    }

    async completeJob(id: number, owner?: string): Promise<boolean> {
      return (
        (await this.changes(
          `UPDATE jobs SET status = 'done', last_error = NULL, updated_at = $3, lease_owner = NULL, lease_expires_at = NULL WHERE id = $1 AND ${HELD}`,
          [id, owner ?? null, Date.now()],
        )) === 1
      );
    }

    async retryJob(id: number, runAt: number, error: string, owner?: string): Promise<boolean> {
      return (
        (await this.changes(
          `UPDATE jobs SET status = 'queued', run_at = $3, last_error = $4, updated_at = $5, lease_owner = NULL, lease_expires_at = NULL WHERE id = $1 AND ${HELD}`,
          [id, owner ?? null, runAt, pgText(error), Date.now()],
        )) === 1
      );
    }

    async killJob(id: number, error: string, owner?: string): Promise<boolean> {
      return (
        (await this.changes(
          `UPDATE jobs SET status = 'dead', last_error = $3, updated_at = $4, lease_owner = NULL, lease_expires_at = NULL WHERE id = $1 AND ${HELD}`,
          [id, owner ?? null, pgText(error), Date.now()],
        )) === 1
      );
    }

    async renewJobLeases(owner: string, expiresAt: number): Promise<number[]> {
      const rows = await this.rows<{ id: number }>(
        "UPDATE jobs SET lease_expires_at = $2 WHERE status = 'running' AND lease_owner = $1 RETURNING id",
        [owner, expiresAt],
      );
      return rows.map((r) => r.id).sort((a, b) => a - b);
    }

    async reclaimExpiredJobs(
      now: number,
      maxAttempts = Number.MAX_SAFE_INTEGER,
      except: string | null = null,
    ): Promise<{ requeued: number; dead: JobRecord[] }> {
      // Two single statements, each taking only rows whose lease is over: safe beside live instances.
      // `except`: the caller's own instance, alive by definition (its heartbeat is only late).
      const dead = await this.rows<JobRow>(
        `UPDATE jobs SET status = 'dead', updated_at = $1, lease_owner = NULL, lease_expires_at = NULL,
           last_error = 'the process stopped while running this job on each of its ' || attempts || ' attempts (a crash or a kill); last error: ' || COALESCE(last_error, 'none')
         WHERE status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at <= $1) AND attempts >= $2
           AND ($3::text IS NULL OR lease_owner IS NULL OR lease_owner <> $3)
         RETURNING *`,
        [now, Math.min(maxAttempts, MAX_INT), except],
      );
      const requeued = await this.changes(
        `UPDATE jobs SET status = 'queued', updated_at = $1, lease_owner = NULL, lease_expires_at = NULL
         WHERE status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at <= $1)
           AND ($2::text IS NULL OR lease_owner IS NULL OR lease_owner <> $2)`,
        [now, except],
      );
      return { requeued, dead: dead.map(toJob).sort((a, b) => a.id - b.id) };
    }

    async nextJobRunAt(): Promise<number | null> {
      const [row] = await this.rows<{ t: number | null }>(
        `SELECT MIN(run_at) AS t FROM jobs q WHERE status = 'queued' AND ${SUBJECT_FREE}`,
      );
      return row.t;
    }

    async countJobs(): Promise<Record<JobStatus, number>> {
      const counts: Record<JobStatus, number> = { queued: 0, running: 0, done: 0, dead: 0 };
      for (const r of await this.rows<{ status: JobStatus; n: number }>("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status"))
        counts[r.status] = r.n;
      return counts;
    }

    async listJobs(status: JobStatus, limit = 100, order: "oldest" | "newest" = "oldest"): Promise<JobRecord[]> {
      const sql =
        order === "newest"
          ? "SELECT * FROM jobs WHERE status = $1 ORDER BY updated_at DESC, id DESC LIMIT $2"
          : "SELECT * FROM jobs WHERE status = $1 ORDER BY id LIMIT $2";
      return (await this.rows<JobRow>(sql, [status, limit])).map(toJob);
    }

    // --- operator commands (see OperatorStore) ---

    async getJob(id: number): Promise<JobRecord | undefined> {
      const [row] = await this.rows<JobRow>("SELECT * FROM jobs WHERE id = $1", [id]);
      return row ? toJob(row) : undefined;
    }

    async listRecentJobs(query: { status?: JobStatus; type?: string; since?: number; limit?: number }): Promise<JobRecord[]> {
      const where: string[] = [];
      const args: unknown[] = [];
      const arg = (value: unknown) => `$${args.push(value)}`;
      if (query.status) where.push(`status = ${arg(query.status)}`);
      if (query.type) where.push(`type = ${arg(query.type)}`);
      if (query.since !== undefined) where.push(`updated_at >= ${arg(query.since)}`);
      const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY updated_at DESC, id DESC LIMIT ${arg(query.limit ?? 100)}`;
      return (await this.rows<JobRow>(sql, args)).map(toJob);
    }

    async replayDeadJobs(query: { ids?: number[]; since?: number }, now: number): Promise<number[]> {
      const args: unknown[] = [now];
      const arg = (value: unknown) => `$${args.push(value)}`;
      const where = ["status = 'dead'"];
      if (query.ids) where.push(`id = ANY(${arg(query.ids.filter((id) => Number.isSafeInteger(id)))}::bigint[])`);
      if (query.since !== undefined) where.push(`updated_at >= ${arg(query.since)}`);
      const rows = await this.rows<{ id: number }>(
        `UPDATE jobs SET status = 'queued', attempts = 0, run_at = $1, updated_at = $1 WHERE ${where.join(" AND ")} RETURNING id`,
        args,
      );
      return rows.map((r) => r.id).sort((a, b) => a - b);
    }

    // --- retention (see RetentionStore) ---

    async pruneJobs(before: number, limit: number): Promise<number> {
      // Only finished jobs: queued and running ones are work still to do, whatever their age.
      return this.changes(
        `DELETE FROM jobs WHERE id IN
           (SELECT id FROM jobs WHERE status IN ('done', 'dead') AND updated_at < $1 ORDER BY updated_at LIMIT $2)`,
        [before, limit],
      );
    }
  };
}
