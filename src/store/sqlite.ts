/** The embedded default store: one SQLite file (WAL), created and migrated on open. */
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { PatternRecord, TrustRecord } from "../engine/state.js";
import { migrations } from "./migrations.js";
import type { JobRecord, JobStatus, NewJob, PostedFinding, Store, SummaryState } from "./store.js";

interface JobRow {
  id: number;
  type: string;
  payload: string;
  dedupe_key: string | null;
  status: JobStatus;
  attempts: number;
  run_at: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

function toJob(row: JobRow): JobRecord {
  return {
    id: row.id,
    type: row.type,
    payload: JSON.parse(row.payload),
    dedupeKey: row.dedupe_key,
    status: row.status,
    attempts: row.attempts,
    runAt: row.run_at,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class SqliteStore implements Store {
  readonly db: Database.Database;

  /** `path` is a file path or ":memory:". */
  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    this.migrate();
  }

  private migrate(): void {
    this.db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
    const applied = new Set(
      (this.db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map((r) => r.version),
    );
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      this.db.transaction(() => {
        this.db.exec(m.sql);
        this.db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(m.version, m.name, Date.now());
      })();
    }
  }

  schemaVersion(): number {
    const row = this.db.prepare("SELECT MAX(version) AS v FROM schema_migrations").get() as { v: number | null };
    return row.v ?? 0;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  // --- jobs ---

  async enqueueJob(job: NewJob): Promise<number | null> {
    const now = Date.now();
    const info = this.db
      .prepare(
        `INSERT INTO jobs (type, payload, dedupe_key, run_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING`,
      )
      .run(job.type, JSON.stringify(job.payload), job.dedupeKey ?? null, job.runAt ?? now, now, now);
    return info.changes === 1 ? Number(info.lastInsertRowid) : null;
  }

  async claimJob(now: number): Promise<JobRecord | null> {
    const row = this.db
      .prepare(
        `UPDATE jobs SET status = 'running', attempts = attempts + 1, updated_at = ?
         WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND run_at <= ? ORDER BY run_at, id LIMIT 1)
         RETURNING *`,
      )
      .get(now, now) as JobRow | undefined;
    return row ? toJob(row) : null;
  }

  async completeJob(id: number): Promise<void> {
    this.db.prepare("UPDATE jobs SET status = 'done', last_error = NULL, updated_at = ? WHERE id = ?").run(Date.now(), id);
  }

  async retryJob(id: number, runAt: number, error: string): Promise<void> {
    this.db
      .prepare("UPDATE jobs SET status = 'queued', run_at = ?, last_error = ?, updated_at = ? WHERE id = ?")
      .run(runAt, error, Date.now(), id);
  }

  async killJob(id: number, error: string): Promise<void> {
    this.db.prepare("UPDATE jobs SET status = 'dead', last_error = ?, updated_at = ? WHERE id = ?").run(error, Date.now(), id);
  }

  async requeueRunningJobs(): Promise<number> {
    return this.db.prepare("UPDATE jobs SET status = 'queued', updated_at = ? WHERE status = 'running'").run(Date.now()).changes;
  }

  async nextJobRunAt(): Promise<number | null> {
    const row = this.db.prepare("SELECT MIN(run_at) AS t FROM jobs WHERE status = 'queued'").get() as { t: number | null };
    return row.t;
  }

  async countJobs(): Promise<Record<JobStatus, number>> {
    const counts: Record<JobStatus, number> = { queued: 0, running: 0, done: 0, dead: 0 };
    for (const r of this.db.prepare("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status").all() as { status: JobStatus; n: number }[]) {
      counts[r.status] = r.n;
    }
    return counts;
  }

  async listJobs(status: JobStatus, limit = 100): Promise<JobRecord[]> {
    return (this.db.prepare("SELECT * FROM jobs WHERE status = ? ORDER BY id LIMIT ?").all(status, limit) as JobRow[]).map(toJob);
  }

  // --- reviews ---

  async getReview(repo: string, prNumber: number, commitSha: string) {
    const row = this.db
      .prepare("SELECT review_id FROM reviews WHERE repo = ? AND pr_number = ? AND commit_sha = ?")
      .get(repo, prNumber, commitSha) as { review_id: number | null } | undefined;
    return row ? { reviewId: row.review_id } : undefined;
  }

  async saveReview(repo: string, prNumber: number, commitSha: string, reviewId: number | null): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO reviews (repo, pr_number, commit_sha, review_id, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (repo, pr_number, commit_sha) DO UPDATE SET review_id = excluded.review_id`,
      )
      .run(repo, prNumber, commitSha, reviewId, Date.now());
  }

  async listPostedFindings(repo: string, prNumber: number): Promise<PostedFinding[]> {
    return (
      this.db
        .prepare("SELECT fingerprint, path, line, commit_sha FROM posted_findings WHERE repo = ? AND pr_number = ?")
        .all(repo, prNumber) as { fingerprint: string; path: string; line: number; commit_sha: string }[]
    ).map((r) => ({ fingerprint: r.fingerprint, path: r.path, line: r.line, commitSha: r.commit_sha }));
  }

  async savePostedFindings(repo: string, prNumber: number, findings: PostedFinding[]): Promise<void> {
    const insert = this.db.prepare(
      `INSERT INTO posted_findings (repo, pr_number, fingerprint, path, line, commit_sha) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (repo, pr_number, fingerprint) DO NOTHING`,
    );
    this.db.transaction(() => {
      for (const f of findings) insert.run(repo, prNumber, f.fingerprint, f.path, f.line, f.commitSha);
    })();
  }

  async getSummary(repo: string, prNumber: number): Promise<SummaryState | undefined> {
    const row = this.db
      .prepare("SELECT comment_id, last_fingerprints, last_sha FROM summaries WHERE repo = ? AND pr_number = ?")
      .get(repo, prNumber) as { comment_id: number | null; last_fingerprints: string; last_sha: string | null } | undefined;
    return row ? { commentId: row.comment_id, lastFingerprints: JSON.parse(row.last_fingerprints), lastSha: row.last_sha } : undefined;
  }

  async saveSummary(repo: string, prNumber: number, state: SummaryState): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO summaries (repo, pr_number, comment_id, last_fingerprints, last_sha) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (repo, pr_number) DO UPDATE SET comment_id = excluded.comment_id,
           last_fingerprints = excluded.last_fingerprints, last_sha = excluded.last_sha`,
      )
      .run(repo, prNumber, state.commentId, JSON.stringify(state.lastFingerprints), state.lastSha);
  }

  async getPredictionIssue(repo: string, fingerprint: string): Promise<number | undefined> {
    const row = this.db
      .prepare("SELECT issue_number FROM prediction_issues WHERE repo = ? AND fingerprint = ?")
      .get(repo, fingerprint) as { issue_number: number } | undefined;
    return row?.issue_number;
  }

  async savePredictionIssue(repo: string, fingerprint: string, issueNumber: number): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO prediction_issues (repo, fingerprint, issue_number, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (repo, fingerprint) DO UPDATE SET issue_number = excluded.issue_number`,
      )
      .run(repo, fingerprint, issueNumber, Date.now());
  }

  // --- engine state ---

  async getTrust(userId: string, repo: string): Promise<TrustRecord | undefined> {
    const row = this.db.prepare("SELECT record FROM trust WHERE repo = ? AND user_id = ?").get(repo, userId) as
      | { record: string }
      | undefined;
    return row ? JSON.parse(row.record) : undefined;
  }

  async saveTrust(record: TrustRecord): Promise<void> {
    this.db
      .prepare("INSERT INTO trust (repo, user_id, record) VALUES (?, ?, ?) ON CONFLICT (repo, user_id) DO UPDATE SET record = excluded.record")
      .run(record.repo, record.userId, JSON.stringify(record));
  }

  async getPattern(repo: string, key: string): Promise<PatternRecord | undefined> {
    const row = this.db.prepare("SELECT record FROM patterns WHERE repo = ? AND key = ?").get(repo, key) as
      | { record: string }
      | undefined;
    return row ? JSON.parse(row.record) : undefined;
  }

  async savePattern(record: PatternRecord): Promise<void> {
    this.db
      .prepare("INSERT INTO patterns (repo, key, record) VALUES (?, ?, ?) ON CONFLICT (repo, key) DO UPDATE SET record = excluded.record")
      .run(record.repo, record.key, JSON.stringify(record));
  }

  async listPatterns(repo: string): Promise<PatternRecord[]> {
    return (this.db.prepare("SELECT record FROM patterns WHERE repo = ? ORDER BY key").all(repo) as { record: string }[]).map((r) =>
      JSON.parse(r.record),
    );
  }
}
