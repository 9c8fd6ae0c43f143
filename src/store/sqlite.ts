/** The embedded default store: one SQLite file (WAL), created and migrated on open. */
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { KeyedFeedback, PatternRecord, TrustRecord } from "../engine/state.js";
import type { AnyEventEnvelope } from "../events/catalog.js";
import { addCount, DELETE_BATCH, DELETED_USER, namesPerson, namesRepository, parseLogin, parseRepositoryName, repoMention, REPOSITORY_TABLES } from "./deletionMatch.js";
import { toJob, type JobRow } from "./jobRow.js";
import { migrations } from "./migrations.js";
import { toAttempt, toOpenPull, toShown, type AttemptRow, type OpenPullRow, type ShownRow } from "./rows.js";
import { DEFAULT_LEASE_MS, jobSubjectKey } from "./store.js";
import type {
  DeletionCount,
  Lease,
  FeedbackEntry,
  RateSlotClaim,
  JobRecord,
  JobStatus,
  NewJob,
  NewWebhookBatchItem,
  NewWebhookDelivery,
  NewWebhookEvent,
  OpenPullResources,
  PostedFinding,
  ShownItem,
  Store,
  SummaryState,
  WebhookAttemptQuery,
  WebhookAttemptRecord,
  WebhookAttemptResult,
  WebhookBatchItem,
  WebhookCircuitState,
  WebhookDeliveryRecord,
  WebhookDeliveryStatus,
  WebhookRegistrationState,
} from "./store.js";


interface DeliveryRow {
  id: string;
  registration_id: string;
  event_type: string;
  event_ids: string;
  body: string | null;
  status: WebhookDeliveryStatus;
  attempts: number;
  total_attempts: number;
  next_attempt_at: number;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

function toDelivery(row: DeliveryRow, envelopes: string): WebhookDeliveryRecord {
  return {
    id: row.id,
    registrationId: row.registration_id,
    eventType: row.event_type,
    eventIds: JSON.parse(row.event_ids),
    envelopes,
    body: row.body,
    status: row.status,
    attempts: row.attempts,
    totalAttempts: row.total_attempts,
    nextAttemptAt: row.next_attempt_at,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

/** `event_ids` as stored: a JSON array (one id, the common case, without building an array text generically). */
function eventIdsText(ids: string[]): string {
  return ids.length === 1 ? `[${JSON.stringify(ids[0])}]` : JSON.stringify(ids);
}

/** Rows per delete in pruneWebhookHistory: short statements, so a review's writes wait little. */
const PRUNE_BATCH = 500;

/** Lets webhooks and jobs run between two batches of a long prune. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The deliveries and batch items that carry none of these events. */
function withoutEvents<T extends { deliveries: NewWebhookDelivery[]; batchItems: NewWebhookBatchItem[] }>(input: T, ids: Set<string>): T {
  return {
    ...input,
    deliveries: input.deliveries.filter((d) => !d.eventIds.some((id) => ids.has(id))),
    batchItems: input.batchItems.filter((b) => !ids.has(b.eventId)),
  };
}

const UPSERT_TRUST = "INSERT INTO trust (repo, user_id, record) VALUES (?, ?, ?) ON CONFLICT (repo, user_id) DO UPDATE SET record = excluded.record";
const UPSERT_PATTERN = "INSERT INTO patterns (repo, key, record) VALUES (?, ?, ?) ON CONFLICT (repo, key) DO UPDATE SET record = excluded.record";

const DELIVERY_ROWS_PER_INSERT = 16;
const INSERT_PENDING_DELIVERIES = `INSERT INTO webhook_deliveries (id, registration_id, event_type, event_ids, body, status,
   attempts, total_attempts, next_attempt_at, last_error, created_at, updated_at, finished_at)
 VALUES ${Array.from({ length: DELIVERY_ROWS_PER_INSERT }, () => "(?, ?, ?, ?, ?, 'pending', 0, 0, ?, NULL, ?, ?, NULL)").join(", ")}
 ON CONFLICT DO NOTHING`;

/**
 * Applies the migrations `db` has not had yet (schema_migrations must exist), in the caller's
 * transaction: the store at open, `empathy store copy` on the file it copies.
 */
export function applySqliteMigrations(db: Database.Database): void {
  const applied = new Set((db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map((r) => r.version));
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    db.exec(m.sql);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(m.version, m.name, Date.now());
  }
}

export class SqliteStore implements Store {
  readonly db: Database.Database;
  /** Prepared statements of the hot webhook paths, compiled once. */
  private readonly statements = new Map<string, Database.Statement>();

  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Transaction wrappers of the hot webhook paths, made once (better-sqlite3 builds several functions per wrapper). */
  private readonly transactions = new Map<(...args: never[]) => unknown, Database.Transaction>();

  private tx<F extends (...args: never[]) => unknown>(fn: F): Database.Transaction<F> {
    let wrapped = this.transactions.get(fn);
    if (!wrapped) {
      wrapped = this.db.transaction(fn);
      this.transactions.set(fn, wrapped);
    }
    return wrapped as Database.Transaction<F>;
  }

  /** `path` is a file path or ":memory:". */
  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    // First, so that a second process opening the file meanwhile waits instead of failing.
    this.db.pragma("busy_timeout = 5000");
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.migrate();
  }

  private migrate(): void {
    this.db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
    // Under the write lock (BEGIN IMMEDIATE), the applied versions read inside it: processes
    // opening one file together apply each migration once, the others wait and find it done.
    this.db.transaction(() => applySqliteMigrations(this.db)).immediate();
  }

  schemaVersion(): number {
    const row = this.db.prepare("SELECT MAX(version) AS v FROM schema_migrations").get() as { v: number | null };
    return row.v ?? 0;
  }

  async ping(): Promise<void> {
    this.stmt("SELECT 1").get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  // --- jobs ---

  async enqueueJob(job: NewJob): Promise<number | null> {
    const now = Date.now();
    const info = this.db
      .prepare(
        `INSERT INTO jobs (type, payload, dedupe_key, run_at, created_at, updated_at, subject)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING`,
      )
      .run(job.type, JSON.stringify(job.payload), job.dedupeKey ?? null, job.runAt ?? now, now, now, jobSubjectKey(job.payload));
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

  /** `AND <owner check>`: with an owner, only a running job it holds. */
  private static readonly HELD = "(? IS NULL OR (status = 'running' AND lease_owner = ?))";

  async completeJob(id: number, owner?: string): Promise<boolean> {
    return (
      this.stmt(`UPDATE jobs SET status = 'done', last_error = NULL, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND ${SqliteStore.HELD}`).run(
        Date.now(),
        id,
        owner ?? null,
        owner ?? null,
      ).changes === 1
    );
  }

  async retryJob(id: number, runAt: number, error: string, owner?: string): Promise<boolean> {
    return (
      this.stmt(
        `UPDATE jobs SET status = 'queued', run_at = ?, last_error = ?, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND ${SqliteStore.HELD}`,
      ).run(runAt, error, Date.now(), id, owner ?? null, owner ?? null).changes === 1
    );
  }

  async killJob(id: number, error: string, owner?: string): Promise<boolean> {
    return (
      this.stmt(`UPDATE jobs SET status = 'dead', last_error = ?, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND ${SqliteStore.HELD}`).run(
        error,
        Date.now(),
        id,
        owner ?? null,
        owner ?? null,
      ).changes === 1
    );
  }

  async renewJobLeases(owner: string, expiresAt: number): Promise<number[]> {
    return (this.stmt("UPDATE jobs SET lease_expires_at = ? WHERE status = 'running' AND lease_owner = ? RETURNING id").all(expiresAt, owner) as { id: number }[]).map(
      (r) => r.id,
    );
  }

  async reclaimExpiredJobs(now: number, maxAttempts = Number.MAX_SAFE_INTEGER, except: string | null = null): Promise<{ requeued: number; dead: JobRecord[] }> {
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
    const sql = order === "newest" ? "SELECT * FROM jobs WHERE status = ? ORDER BY updated_at DESC, id DESC LIMIT ?" : "SELECT * FROM jobs WHERE status = ? ORDER BY id LIMIT ?";
    return (this.stmt(sql).all(status, limit) as JobRow[]).map(toJob);
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
    const insert = this.stmt(
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

  // --- feedback ---

  /** created_at is when the item was last shown: retention counts from there. */
  async saveShownItems(repo: string, items: ShownItem[]): Promise<void> {
    const insert = this.stmt(
      `INSERT INTO shown_items (repo, fingerprint, pr_number, author, item, created_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (repo, fingerprint) DO UPDATE SET pr_number = excluded.pr_number, author = excluded.author, item = excluded.item,
         created_at = excluded.created_at`,
    );
    const now = Date.now();
    this.db.transaction(() => {
      for (const i of items) insert.run(repo, i.fingerprint, i.prNumber, i.author, JSON.stringify(i.item), now);
    })();
  }

  async getShownItem(repo: string, fingerprint: string): Promise<ShownItem | undefined> {
    const row = this.stmt("SELECT * FROM shown_items WHERE repo = ? AND fingerprint = ?").get(repo, fingerprint) as ShownRow | undefined;
    return row ? toShown(row) : undefined;
  }

  async findShownItems(repo: string, prefix: string, limit = 10): Promise<ShownItem[]> {
    const escaped = prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
    return (
      this.db
        .prepare("SELECT * FROM shown_items WHERE repo = ? AND fingerprint LIKE ? ESCAPE '\\' ORDER BY fingerprint LIMIT ?")
        .all(repo, `${escaped}%`, limit) as ShownRow[]
    ).map(toShown);
  }

  async listFeedback(repo: string, since: number): Promise<FeedbackEntry[]> {
    return (
      this.db
        .prepare("SELECT key, outcome, user_id, created_at FROM feedback_log WHERE repo = ? AND created_at >= ? ORDER BY created_at, rowid")
        .all(repo, since) as { key: string; outcome: "accepted" | "rejected"; user_id: string; created_at: number }[]
    ).map((r) => ({ key: r.key, outcome: r.outcome, userId: r.user_id, createdAt: r.created_at }));
  }

  async suppressFinding(repo: string, fingerprint: string, userId: string): Promise<void> {
    this.db
      .prepare("INSERT INTO suppressed_findings (repo, fingerprint, user_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (repo, fingerprint) DO NOTHING")
      .run(repo, fingerprint, userId, Date.now());
  }

  async listSuppressed(repo: string): Promise<string[]> {
    return (this.stmt("SELECT fingerprint FROM suppressed_findings WHERE repo = ? ORDER BY fingerprint").all(repo) as { fingerprint: string }[]).map(
      (r) => r.fingerprint,
    );
  }

  async getTransformationIssue(repo: string, patternKey: string): Promise<number | undefined> {
    const row = this.db
      .prepare("SELECT issue_number FROM transformation_issues WHERE repo = ? AND pattern_key = ?")
      .get(repo, patternKey) as { issue_number: number } | undefined;
    return row?.issue_number;
  }

  async saveTransformationIssue(repo: string, patternKey: string, issueNumber: number): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO transformation_issues (repo, pattern_key, issue_number, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (repo, pattern_key) DO UPDATE SET issue_number = excluded.issue_number`,
      )
      .run(repo, patternKey, issueNumber, Date.now());
  }

  // --- engine state ---

  async getTrust(userId: string, repo: string): Promise<TrustRecord | undefined> {
    const row = this.stmt("SELECT record FROM trust WHERE repo = ? AND user_id = ?").get(repo, userId) as
      | { record: string }
      | undefined;
    return row ? JSON.parse(row.record) : undefined;
  }

  async saveTrust(record: TrustRecord): Promise<void> {
    this.stmt(UPSERT_TRUST).run(record.repo, record.userId, JSON.stringify(record));
  }

  async getPattern(repo: string, key: string): Promise<PatternRecord | undefined> {
    const row = this.stmt("SELECT record FROM patterns WHERE repo = ? AND key = ?").get(repo, key) as
      | { record: string }
      | undefined;
    return row ? JSON.parse(row.record) : undefined;
  }

  async savePattern(record: PatternRecord): Promise<void> {
    this.stmt(UPSERT_PATTERN).run(record.repo, record.key, JSON.stringify(record));
  }

  async saveFeedback(f: KeyedFeedback): Promise<boolean> {
    return this.tx(this.saveFeedbackTx)(f);
  }

  private readonly saveFeedbackTx = (f: KeyedFeedback): boolean => {
    const inserted = this.stmt(
      "INSERT INTO feedback_log (repo, key, outcome, user_id, created_at, owed_events) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (repo, key) DO NOTHING",
    ).run(f.repo, f.key, f.outcome, f.userId, f.createdAt, JSON.stringify(f.events));
    if (inserted.changes === 0) return false;
    this.stmt(UPSERT_TRUST).run(f.trust.repo, f.trust.userId, JSON.stringify(f.trust));
    if (f.pattern) this.stmt(UPSERT_PATTERN).run(f.pattern.repo, f.pattern.key, JSON.stringify(f.pattern));
    return true;
  };

  async owedFeedbackEvents(repo: string, key: string): Promise<AnyEventEnvelope[] | undefined> {
    const row = this.stmt("SELECT owed_events FROM feedback_log WHERE repo = ? AND key = ?").get(repo, key) as { owed_events: string | null } | undefined;
    if (!row) return undefined;
    return row.owed_events === null ? [] : (JSON.parse(row.owed_events) as AnyEventEnvelope[]);
  }

  async settleFeedback(repo: string, key: string): Promise<void> {
    this.stmt("UPDATE feedback_log SET owed_events = NULL WHERE repo = ? AND key = ?").run(repo, key);
  }

  async listPatterns(repo: string): Promise<PatternRecord[]> {
    return (this.stmt("SELECT record FROM patterns WHERE repo = ? ORDER BY key").all(repo) as { record: string }[]).map((r) =>
      JSON.parse(r.record),
    );
  }

  // --- webhooks ---

  private insertDelivery(d: NewWebhookDelivery, now: number): boolean {
    const dead = d.status === "dead";
    const info = this.stmt(
      `INSERT INTO webhook_deliveries (id, registration_id, event_type, event_ids, body, status,
         attempts, total_attempts, next_attempt_at, last_error, created_at, updated_at, finished_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    ).run(
      d.id,
      d.registrationId,
      d.eventType,
      eventIdsText(d.eventIds),
      d.body,
      d.status,
      dead ? 1 : 0,
      dead ? 1 : 0,
      d.nextAttemptAt,
      d.error ?? null,
      now,
      now,
      dead ? now : null,
    );
    if (info.changes === 1 && dead) {
      this.insertAttempt({
        deliveryId: d.id,
        registrationId: d.registrationId,
        eventType: d.eventType,
        attempt: 1,
        status: "dead",
        statusCode: null,
        durationMs: 0,
        error: d.error ?? "dead letter",
        responseExcerpt: null,
        nextAttemptAt: null,
        attemptedAt: now,
      });
    }
    return info.changes === 1;
  }

  /** The envelopes of a delivery's events, as a JSON array text. */
  private envelopesOf(row: { event_ids: string }): string {
    const get = this.stmt("SELECT envelope FROM webhook_events WHERE id = ?");
    const ids = JSON.parse(row.event_ids) as string[];
    return `[${ids.map((id) => (get.get(id) as { envelope: string } | undefined)?.envelope ?? "null").join(",")}]`;
  }

  private delivery(row: DeliveryRow): WebhookDeliveryRecord {
    return toDelivery(row, this.envelopesOf(row));
  }

  private insertAttempt(a: WebhookAttemptRecord): void {
    this.stmt(
      `INSERT INTO webhook_attempts (delivery_id, registration_id, event_type, attempt, status, status_code, duration_ms,
         error, response_excerpt, next_attempt_at, attempted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      a.deliveryId,
      a.registrationId,
      a.eventType,
      a.attempt,
      a.status,
      a.statusCode,
      Math.round(a.durationMs),
      a.error,
      a.responseExcerpt,
      a.nextAttemptAt,
      a.attemptedAt,
    );
  }

  private readonly enqueueTx = (
    input: { events: NewWebhookEvent[]; deliveries: NewWebhookDelivery[]; batchItems: NewWebhookBatchItem[] },
    now: number,
  ) => {
    const insertEvent = this.stmt(
      "INSERT INTO webhook_events (id, event_type, envelope, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
    );
    // An event sent again under its id (owed feedback events, see EmpathyOS.recordFeedback) was
    // kept, with its deliveries, the first time: nothing of it is written twice.
    let kept: Set<string> | undefined;
    for (const e of input.events) {
      if (insertEvent.run(e.id, e.eventType, e.envelope, now).changes === 0) (kept ??= new Set()).add(e.id);
    }
    if (kept) input = withoutEvents(input, kept);
    input = this.withoutDuplicates(input, now);
    // Pending deliveries, the bulk (ten registrations make ten per event), go in several rows per
    // statement; dead-on-arrival ones one at a time, since each gets its attempt row.
    const pending = input.deliveries.filter((d) => d.status !== "dead");
    const insertMany = this.stmt(INSERT_PENDING_DELIVERIES);
    const args: unknown[] = [];
    let i = 0;
    for (; i + DELIVERY_ROWS_PER_INSERT <= pending.length; i += DELIVERY_ROWS_PER_INSERT) {
      args.length = 0;
      for (let j = i; j < i + DELIVERY_ROWS_PER_INSERT; j++) {
        const d = pending[j];
        args.push(d.id, d.registrationId, d.eventType, eventIdsText(d.eventIds), d.body, d.nextAttemptAt, now, now);
      }
      insertMany.run(...args);
    }
    for (; i < pending.length; i++) this.insertDelivery(pending[i], now);
    for (const d of input.deliveries) if (d.status === "dead") this.insertDelivery(d, now);
    const insertItem = input.batchItems.length
      ? this.stmt(
          `INSERT INTO webhook_batch_items (registration_id, event_id, event_type, created_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (registration_id, event_id) DO NOTHING`,
        )
      : null;
    for (const item of input.batchItems) insertItem!.run(item.registrationId, item.eventId, item.eventType, now);
  };
  /** Drops deliveries and batch items whose dedupe key their registration already had, and records the new keys. */
  private withoutDuplicates<T extends { deliveries: NewWebhookDelivery[]; batchItems: NewWebhookBatchItem[] }>(input: T, now: number): T {
    if (!input.deliveries.some((d) => d.dedupeKey) && !input.batchItems.some((b) => b.dedupeKey)) return input;
    const remember = this.stmt("INSERT INTO webhook_dedupe (registration_id, dedupe_key, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING");
    const firstTime = (item: { registrationId: string; dedupeKey?: string }) =>
      item.dedupeKey === undefined || remember.run(item.registrationId, item.dedupeKey, now).changes === 1;
    return { ...input, deliveries: input.deliveries.filter(firstTime), batchItems: input.batchItems.filter(firstTime) };
  }

  async enqueueWebhookEvent(
    input: { events: NewWebhookEvent[]; deliveries: NewWebhookDelivery[]; batchItems: NewWebhookBatchItem[] },
    now: number,
  ): Promise<void> {
    if (input.deliveries.length + input.batchItems.length === 0) return;
    this.tx(this.enqueueTx)(input, now);
  }

  async claimWebhookDeliveries(registrationIds: string[], now: number, limit: number, lease?: Lease): Promise<WebhookDeliveryRecord[]> {
    if (registrationIds.length === 0 || limit <= 0) return [];
    // One registration at a time, so each claim walks the (status, registration_id, next_attempt_at)
    // index in order and stops at `limit`, however long the backlog.
    const claim = this.stmt(
      `UPDATE webhook_deliveries SET status = 'in_flight', attempts = attempts + 1, total_attempts = total_attempts + 1, updated_at = ?,
         lease_owner = ?, lease_expires_at = ?
       WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND registration_id = ? AND next_attempt_at <= ?
                    ORDER BY next_attempt_at LIMIT ?)
       RETURNING *`,
    );
    const claimed = this.tx(this.claimTx)(claim, registrationIds, now, limit, lease?.owner ?? null, lease?.expiresAt ?? now + DEFAULT_LEASE_MS);
    return claimed.sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.createdAt - b.createdAt);
  }

  private readonly claimTx = (
    claim: Database.Statement,
    registrationIds: string[],
    now: number,
    limit: number,
    owner: string | null,
    expiresAt: number,
  ): WebhookDeliveryRecord[] => {
    const out: WebhookDeliveryRecord[] = [];
    for (const id of registrationIds) {
      if (out.length >= limit) break;
      for (const row of claim.all(now, owner, expiresAt, id, now, limit - out.length) as DeliveryRow[]) out.push(this.delivery(row));
    }
    return out;
  };

  async renewWebhookDeliveryLeases(owner: string, expiresAt: number): Promise<string[]> {
    return (
      this.stmt("UPDATE webhook_deliveries SET lease_expires_at = ? WHERE status = 'in_flight' AND lease_owner = ? RETURNING id").all(expiresAt, owner) as {
        id: string;
      }[]
    ).map((r) => r.id);
  }

  /** One statement moves the delivery and returns what the attempt row needs; then the attempt is logged. */
  private readonly recordTx = (r: WebhookAttemptResult) => {
    const status: WebhookDeliveryStatus = r.status === "failed" ? "pending" : r.status;
    const row = this.stmt(
      `UPDATE webhook_deliveries SET status = ?, next_attempt_at = COALESCE(?, next_attempt_at), last_status_code = ?, last_error = ?,
         updated_at = ?, finished_at = ?, lease_owner = NULL, lease_expires_at = NULL
       WHERE id = ? AND (? IS NULL OR (status = 'in_flight' AND lease_owner = ?)) RETURNING registration_id, event_type, total_attempts`,
    ).get(
      status,
      r.status === "failed" ? r.nextAttemptAt : null,
      r.statusCode,
      r.error,
      r.attemptedAt,
      status === "pending" ? null : r.attemptedAt,
      r.deliveryId,
      r.leaseOwner ?? null,
      r.leaseOwner ?? null,
    ) as { registration_id: string; event_type: string; total_attempts: number } | undefined;
    if (!row) return;
    this.insertAttempt({
      deliveryId: r.deliveryId,
      registrationId: row.registration_id,
      eventType: row.event_type,
      attempt: row.total_attempts,
      status: r.status,
      statusCode: r.statusCode,
      durationMs: r.durationMs,
      error: r.error,
      responseExcerpt: r.responseExcerpt,
      nextAttemptAt: r.status === "failed" ? r.nextAttemptAt : null,
      attemptedAt: r.attemptedAt,
    });
  };

  private readonly recordManyTx = (results: WebhookAttemptResult[]) => {
    for (const r of results) this.recordTx(r);
  };

  async recordWebhookAttempt(result: WebhookAttemptResult): Promise<void> {
    this.tx(this.recordTx)(result);
  }

  async recordWebhookAttempts(results: WebhookAttemptResult[]): Promise<void> {
    if (results.length === 0) return;
    this.tx(this.recordManyTx)(results);
  }

  async releaseWebhookDelivery(id: string, now: number, owner?: string): Promise<void> {
    this.stmt(
      `UPDATE webhook_deliveries SET status = 'pending', attempts = MAX(0, attempts - 1), total_attempts = MAX(0, total_attempts - 1),
         updated_at = ?, lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND status = 'in_flight' AND (? IS NULL OR lease_owner = ?)`,
    ).run(now, id, owner ?? null, owner ?? null);
  }

  /**
   * Deliveries whose instance died with them in flight (their lease expired) go back to pending,
   * their interrupted attempt not counted (as when a stop releases one): it never got a result,
   * and the delivery loop claims a few deliveries ahead of sending them, which a crash must not
   * charge to their retry budget. One statement; live leases are left alone.
   */
  async reclaimExpiredWebhookDeliveries(now: number, except: string | null = null): Promise<number> {
    return this.stmt(
      `UPDATE webhook_deliveries SET status = 'pending', attempts = MAX(0, attempts - 1), total_attempts = MAX(0, total_attempts - 1),
         next_attempt_at = MIN(next_attempt_at, ?), updated_at = ?, lease_owner = NULL, lease_expires_at = NULL
       WHERE status = 'in_flight' AND (lease_expires_at IS NULL OR lease_expires_at <= ?)
         AND (? IS NULL OR lease_owner IS NULL OR lease_owner <> ?)`,
    ).run(now, now, now, except, except).changes;
  }

  async nextWebhookDeliveryAt(registrationIds: string[]): Promise<number | null> {
    const next = this.stmt(
      "SELECT next_attempt_at AS t FROM webhook_deliveries WHERE status = 'pending' AND registration_id = ? ORDER BY next_attempt_at LIMIT 1",
    );
    let min: number | null = null;
    for (const id of registrationIds) {
      const row = next.get(id) as { t: number } | undefined;
      if (row && (min === null || row.t < min)) min = row.t;
    }
    return min;
  }

  async getWebhookDelivery(id: string): Promise<WebhookDeliveryRecord | undefined> {
    const row = this.stmt("SELECT * FROM webhook_deliveries WHERE id = ?").get(id) as DeliveryRow | undefined;
    return row ? this.delivery(row) : undefined;
  }

  async listWebhookDeliveries(query: {
    status?: WebhookDeliveryStatus;
    registrationId?: string;
    since?: number;
    limit?: number;
    order?: "oldest" | "newest";
  }): Promise<WebhookDeliveryRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.status) (where.push("status = ?"), args.push(query.status));
    if (query.registrationId) (where.push("registration_id = ?"), args.push(query.registrationId));
    if (query.since !== undefined) (where.push("updated_at >= ?"), args.push(query.since));
    const order = query.order === "newest" ? "updated_at DESC, id DESC" : "created_at, id";
    const sql = `SELECT * FROM webhook_deliveries ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY ${order} LIMIT ?`;
    return (this.stmt(sql).all(...args, query.limit ?? 1000) as DeliveryRow[]).map((row) => this.delivery(row));
  }

  async countWebhookDeliveries(): Promise<Record<WebhookDeliveryStatus, number>> {
    const counts: Record<WebhookDeliveryStatus, number> = { pending: 0, in_flight: 0, delivered: 0, dead: 0 };
    for (const r of this.stmt("SELECT status, COUNT(*) AS n FROM webhook_deliveries GROUP BY status").all() as {
      status: WebhookDeliveryStatus;
      n: number;
    }[]) {
      counts[r.status] = r.n;
    }
    return counts;
  }

  async listWebhookAttempts(query: WebhookAttemptQuery): Promise<WebhookAttemptRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.eventType) (where.push("event_type = ?"), args.push(query.eventType));
    if (query.status) (where.push("status = ?"), args.push(query.status));
    if (query.deliveryId) (where.push("delivery_id = ?"), args.push(query.deliveryId));
    if (query.since !== undefined) (where.push("attempted_at >= ?"), args.push(query.since));
    const sql = `SELECT * FROM webhook_attempts ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY attempted_at DESC, id DESC LIMIT ?`;
    return (this.stmt(sql).all(...args, query.limit ?? 100) as AttemptRow[]).map(toAttempt);
  }

  async replayWebhookDeliveries(query: { ids?: string[]; since?: number; registrationIds?: string[] }, now: number): Promise<string[]> {
    const where = ["status = 'dead'"];
    const args: unknown[] = [];
    if (query.ids) (where.push("id IN (SELECT value FROM json_each(?))"), args.push(JSON.stringify(query.ids)));
    if (query.since !== undefined) (where.push("finished_at >= ?"), args.push(query.since));
    if (query.registrationIds) (where.push("registration_id IN (SELECT value FROM json_each(?))"), args.push(JSON.stringify(query.registrationIds)));
    const rows = this.db
      .prepare(
        `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ?, finished_at = NULL
         WHERE ${where.join(" AND ")} RETURNING id`,
      )
      .all(now, now, ...args) as { id: string }[];
    return rows.map((r) => r.id);
  }

  async killWebhookDeliveries(registrationId: string, error: string, now: number): Promise<number> {
    return this.db
      .prepare(
        `UPDATE webhook_deliveries SET status = 'dead', last_error = ?, updated_at = ?, finished_at = ?
         WHERE registration_id = ? AND status = 'pending'`,
      )
      .run(error, now, now, registrationId).changes;
  }

  async webhookBatchStats(): Promise<{ registrationId: string; count: number; oldestAt: number }[]> {
    return (
      this.stmt("SELECT registration_id, COUNT(*) AS n, MIN(created_at) AS oldest FROM webhook_batch_items GROUP BY registration_id").all() as {
        registration_id: string;
        n: number;
        oldest: number;
      }[]
    ).map((r) => ({ registrationId: r.registration_id, count: r.n, oldestAt: r.oldest }));
  }

  async listWebhookBatchItems(registrationId: string, limit: number): Promise<WebhookBatchItem[]> {
    return (
      this.stmt(
        `SELECT b.seq, b.registration_id, b.event_id, b.event_type, b.created_at, e.envelope
         FROM webhook_batch_items b JOIN webhook_events e ON e.id = b.event_id
         WHERE b.registration_id = ? ORDER BY b.seq LIMIT ?`,
      ).all(registrationId, limit) as {
        seq: number;
        registration_id: string;
        event_id: string;
        event_type: string;
        envelope: string;
        created_at: number;
      }[]
    ).map((r) => ({
      seq: r.seq,
      registrationId: r.registration_id,
      eventId: r.event_id,
      eventType: r.event_type,
      envelope: r.envelope,
      createdAt: r.created_at,
    }));
  }

  async flushWebhookBatch(items: WebhookBatchItem[], delivery: NewWebhookDelivery, now: number): Promise<boolean> {
    const remove = this.stmt("DELETE FROM webhook_batch_items WHERE seq = ?");
    const taken = new Error("batch items already flushed");
    try {
      // The deletes are the claim: an item another instance flushed first is gone, and the whole
      // transaction rolls back, so no event goes out in two batches.
      this.db.transaction(() => {
        for (const item of items) if (remove.run(item.seq).changes !== 1) throw taken;
        this.insertDelivery(delivery, now);
      })();
      return true;
    } catch (err) {
      if (err === taken) return false;
      throw err;
    }
  }

  async getWebhookRegistrationState(id: string): Promise<WebhookRegistrationState | undefined> {
    const row = this.stmt("SELECT id, disabled_at, disabled_reason FROM webhook_registrations WHERE id = ?").get(id) as
      | { id: string; disabled_at: number | null; disabled_reason: string | null }
      | undefined;
    return row ? { id: row.id, disabledAt: row.disabled_at, disabledReason: row.disabled_reason } : undefined;
  }

  async setWebhookRegistrationDisabled(id: string, reason: string | null, now: number): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO webhook_registrations (id, disabled_at, disabled_reason, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET disabled_at = excluded.disabled_at, disabled_reason = excluded.disabled_reason,
           updated_at = excluded.updated_at`,
      )
      .run(id, reason === null ? null : now, reason, now);
  }

  async listWebhookCircuits(): Promise<WebhookCircuitState[]> {
    return (
      this.stmt("SELECT endpoint_key, consecutive_failures, open_until FROM webhook_circuits").all() as {
        endpoint_key: string;
        consecutive_failures: number;
        open_until: number | null;
      }[]
    ).map((r) => ({ endpointKey: r.endpoint_key, consecutiveFailures: r.consecutive_failures, openUntil: r.open_until }));
  }

  async saveWebhookCircuit(state: WebhookCircuitState, now: number): Promise<void> {
    this.stmt(
      `INSERT INTO webhook_circuits (endpoint_key, consecutive_failures, open_until, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (endpoint_key) DO UPDATE SET consecutive_failures = excluded.consecutive_failures,
         open_until = excluded.open_until, updated_at = excluded.updated_at`,
    ).run(state.endpointKey, state.consecutiveFailures, state.openUntil, now);
  }

  async pruneWebhookHistory(before: number): Promise<number> {
    let pruned = 0;
    for (;;) {
      const n = this.deleteFinishedDeliveries(["delivered"], before, PRUNE_BATCH);
      pruned += n;
      if (n < PRUNE_BATCH) break;
      await yieldToEventLoop();
    }
    while (this.deleteUnreferencedEvents(before, PRUNE_BATCH) === PRUNE_BATCH) await yieldToEventLoop();
    return pruned;
  }

  // --- retention (batch deletes; see RetentionStore) ---

  async pruneJobs(before: number, limit: number): Promise<number> {
    // Only finished jobs: queued and running ones are work still to do, whatever their age.
    return this.stmt(
      `DELETE FROM jobs WHERE id IN
         (SELECT id FROM jobs WHERE status IN ('done', 'dead') AND updated_at < ? ORDER BY updated_at LIMIT ?)`,
    ).run(before, limit).changes;
  }

  async pruneWebhookDeliveries(before: number, limit: number): Promise<number> {
    return this.deleteFinishedDeliveries(["delivered", "dead"], before, limit);
  }

  async pruneWebhookAttempts(before: number, limit: number): Promise<number> {
    // A pending delivery or a dead letter keeps its whole log (it is what explains it); the
    // delivery's own prune takes the log with it.
    return this.stmt(
      `DELETE FROM webhook_attempts WHERE id IN
         (SELECT a.id FROM webhook_attempts a LEFT JOIN webhook_deliveries d ON d.id = a.delivery_id
          WHERE a.attempted_at < ? AND (d.id IS NULL OR d.status = 'delivered') ORDER BY a.attempted_at LIMIT ?)`,
    ).run(before, limit).changes;
  }

  async pruneWebhookEvents(before: number, limit: number): Promise<number> {
    return this.deleteUnreferencedEvents(before, limit);
  }

  async pruneShownItems(before: number, limit: number): Promise<number> {
    // An open pull request (coordination keeps a row for each one reviewed, dropped on close)
    // keeps its items: explain, dismiss and feedback still look them up.
    return this.stmt(
      `DELETE FROM shown_items WHERE rowid IN
         (SELECT s.rowid FROM shown_items s WHERE s.created_at < ?
            AND NOT EXISTS (SELECT 1 FROM open_pull_resources o WHERE o.repo = s.repo AND o.pr_number = s.pr_number)
          ORDER BY s.created_at LIMIT ?)`,
    ).run(before, limit).changes;
  }

  /** Up to `limit` deliveries in these finished statuses, finished before a time, with their attempts, in one transaction. */
  private deleteFinishedDeliveries(statuses: ("delivered" | "dead")[], before: number, limit: number): number {
    return this.tx(this.deleteDeliveriesTx)(JSON.stringify(statuses), before, limit);
  }

  private readonly deleteDeliveriesTx = (statuses: string, before: number, limit: number): number => {
    const ids = (
      this.stmt(
        `SELECT id FROM webhook_deliveries WHERE status IN (SELECT value FROM json_each(?)) AND finished_at < ? ORDER BY finished_at LIMIT ?`,
      ).all(statuses, before, limit) as { id: string }[]
    ).map((r) => r.id);
    if (ids.length === 0) return 0;
    const list = JSON.stringify(ids);
    this.stmt("DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT value FROM json_each(?))").run(list);
    return this.stmt("DELETE FROM webhook_deliveries WHERE id IN (SELECT value FROM json_each(?))").run(list).changes;
  };

  /** Up to `limit` events stored before a time that no delivery or batch item needs (a dead letter is rendered again from its events). */
  private deleteUnreferencedEvents(before: number, limit: number): number {
    return this.stmt(
      `DELETE FROM webhook_events WHERE id IN
         (SELECT e.id FROM webhook_events e WHERE e.created_at < ?
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE json_extract(d.event_ids, '$[0]') = +e.id)
            AND e.id NOT IN (SELECT j.value FROM webhook_deliveries d, json_each(d.event_ids) j WHERE json_array_length(d.event_ids) > 1)
            AND e.id NOT IN (SELECT event_id FROM webhook_batch_items)
          ORDER BY e.created_at LIMIT ?)`,
    ).run(before, limit).changes;
  }

  // --- coordination ---

  async saveOpenPullResources(repo: string, r: OpenPullResources): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO open_pull_resources (repo, pr_number, author, head_sha, url, title, resources, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (repo, pr_number) DO UPDATE SET author = excluded.author, head_sha = excluded.head_sha, url = excluded.url,
           title = excluded.title, resources = excluded.resources, updated_at = excluded.updated_at`,
      )
      .run(repo, r.prNumber, r.author, r.headSha, r.url, r.title, JSON.stringify(r.resources), Date.now());
  }

  async getOpenPullResources(repo: string, prNumber: number): Promise<OpenPullResources | undefined> {
    const row = this.stmt("SELECT * FROM open_pull_resources WHERE repo = ? AND pr_number = ?").get(repo, prNumber) as OpenPullRow | undefined;
    return row && toOpenPull(row);
  }

  async listOpenPullResources(repo: string): Promise<OpenPullResources[]> {
    return (this.stmt("SELECT * FROM open_pull_resources WHERE repo = ? ORDER BY pr_number").all(repo) as OpenPullRow[]).map(toOpenPull);
  }

  async deleteOpenPullResources(repo: string, prNumber: number): Promise<void> {
    this.stmt("DELETE FROM open_pull_resources WHERE repo = ? AND pr_number = ?").run(repo, prNumber);
  }

  async markCoordinationDone(repo: string, key: string): Promise<boolean> {
    const info = this.db
      .prepare("INSERT INTO coordination_done (repo, done_key, created_at) VALUES (?, ?, ?) ON CONFLICT (repo, done_key) DO NOTHING")
      .run(repo, key, Date.now());
    return info.changes === 1;
  }

  async isCoordinationDone(repo: string, key: string): Promise<boolean> {
    return this.stmt("SELECT 1 FROM coordination_done WHERE repo = ? AND done_key = ?").get(repo, key) !== undefined;
  }

  // --- rate slots ---

  async claimRateSlot(slot: string, claimant: string, now: number, intervalMs: number): Promise<RateSlotClaim> {
    // One statement decides and reports: a free slot (none yet, or taken at least intervalMs
    // ago) is taken; a taken one is left as it is (SET expressions read the old row) and
    // returned, so whoever holds it is known without a second read another process could race.
    const row = this.stmt(
      `INSERT INTO rate_slots (slot, claimant, last_at) VALUES (?, ?, ?)
       ON CONFLICT (slot) DO UPDATE SET
         claimant = CASE WHEN rate_slots.last_at <= ? THEN excluded.claimant ELSE rate_slots.claimant END,
         last_at = CASE WHEN rate_slots.last_at <= ? THEN excluded.last_at ELSE rate_slots.last_at END
       RETURNING claimant, last_at`,
    ).get(slot, claimant, now, now - intervalMs, now - intervalMs) as { claimant: string; last_at: number };
    if (row.claimant === claimant) return { ok: true };
    return { ok: false, lastAt: row.last_at, nextAt: row.last_at + intervalMs };
  }

  // --- operator commands (see OperatorStore) ---

  async getJob(id: number): Promise<JobRecord | undefined> {
    const row = this.stmt("SELECT * FROM jobs WHERE id = ?").get(id) as JobRow | undefined;
    return row ? toJob(row) : undefined;
  }

  async listRecentJobs(query: { status?: JobStatus; type?: string; since?: number; limit?: number }): Promise<JobRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.status) (where.push("status = ?"), args.push(query.status));
    if (query.type) (where.push("type = ?"), args.push(query.type));
    if (query.since !== undefined) (where.push("updated_at >= ?"), args.push(query.since));
    const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY updated_at DESC, id DESC LIMIT ?`;
    return (this.stmt(sql).all(...args, query.limit ?? 100) as JobRow[]).map(toJob);
  }

  async replayDeadJobs(query: { ids?: number[]; since?: number }, now: number): Promise<number[]> {
    const where = ["status = 'dead'"];
    const args: unknown[] = [];
    if (query.ids) (where.push("id IN (SELECT value FROM json_each(?))"), args.push(JSON.stringify(query.ids)));
    if (query.since !== undefined) (where.push("updated_at >= ?"), args.push(query.since));
    const rows = this.stmt(`UPDATE jobs SET status = 'queued', attempts = 0, run_at = ?, updated_at = ? WHERE ${where.join(" AND ")} RETURNING id`).all(
      now,
      now,
      ...args,
    ) as { id: number }[];
    return rows.map((r) => r.id).sort((a, b) => a - b);
  }

  async replayDeadWebhookDeliveries(
    query: { ids?: string[]; since?: number; registrationId?: string },
    now: number,
  ): Promise<{ replayed: string[]; disabled: { id: string; registrationId: string; reason: string | null }[] }> {
    const where = ["status = 'dead'"];
    const args: unknown[] = [];
    if (query.ids) (where.push("id IN (SELECT value FROM json_each(?))"), args.push(JSON.stringify(query.ids)));
    if (query.since !== undefined) (where.push("finished_at >= ?"), args.push(query.since));
    if (query.registrationId !== undefined) (where.push("registration_id = ?"), args.push(query.registrationId));
    const matching = where.join(" AND ");
    return this.db.transaction(() => {
      const disabled = (
        this.stmt(
          `SELECT d.id, d.registration_id, r.disabled_reason FROM (SELECT id, registration_id, created_at FROM webhook_deliveries WHERE ${matching}) d
           JOIN webhook_registrations r ON r.id = d.registration_id WHERE r.disabled_at IS NOT NULL ORDER BY d.created_at, d.id`,
        ).all(...args) as { id: string; registration_id: string; disabled_reason: string | null }[]
      ).map((r) => ({ id: r.id, registrationId: r.registration_id, reason: r.disabled_reason }));
      const replayed = (
        this.stmt(
          `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ?, finished_at = NULL
           WHERE ${matching} AND registration_id NOT IN (SELECT id FROM webhook_registrations WHERE disabled_at IS NOT NULL) RETURNING id`,
        ).all(now, now, ...args) as { id: string }[]
      ).map((r) => r.id);
      return { replayed: replayed.sort(), disabled };
    })();
  }

  // --- data deletion (see DataDeletionStore) ---

  async deleteRepositoryData(repo: string, options: { dryRun?: boolean } = {}): Promise<DeletionCount[]> {
    const { full, owner, name } = parseRepositoryName(repo);
    const mentions = repoMention(full);
    const refersToRepo = (value: unknown) => namesRepository(value, owner, name, mentions);
    return this.deleteData(options.dryRun === true, async (run) => {
      // Rows keyed by the repository.
      for (const [table, what] of REPOSITORY_TABLES) await run.delete(table, what, this.rowids(`SELECT rowid AS rowid FROM ${table} WHERE lower(repo) = ?`, full));
      const slots = this.matchingRowids("rate_slots", "slot", full, (slot) => mentions.test(slot.toLowerCase()));
      await run.delete("rate_slots", "rate slots (/empathy review, help)", slots);
      await run.delete("jobs", "jobs and their payloads (any status)", this.matchingRowids("jobs", "payload", name, (text) => refersToRepo(JSON.parse(text))));
      const events = this.matchingRows("webhook_events", "id", "envelope", name, (text) => refersToRepo((JSON.parse(text) as { data?: unknown }).data));
      await this.deleteEventsAndDeliveries(run, events, (body) => mentions.test(body.toLowerCase()), name);
      await run.delete(
        "webhook_dedupe",
        "webhook dedupe keys",
        this.matchingRowids("webhook_dedupe", "dedupe_key", full, (key) => mentions.test(key.toLowerCase())),
      );
    });
  }

  async deleteUserData(login: string, options: { dryRun?: boolean } = {}): Promise<DeletionCount[]> {
    const who = parseLogin(login);
    const refersToUser = (value: unknown) => namesPerson(value, who);
    return this.deleteData(options.dryRun === true, async (run) => {
      await run.delete("trust", "trust scores", this.rowids("SELECT rowid AS rowid FROM trust WHERE lower(user_id) = ?", who));
      const feedback = this.rowids("SELECT rowid AS rowid FROM feedback_log WHERE lower(user_id) = ?", who);
      await run.delete("feedback_log", "feedback on their pull requests", feedback);
      const shown = this.rowids("SELECT rowid AS rowid FROM shown_items WHERE lower(author) = ?", who);
      await run.delete("shown_items", "findings and predictions shown on their pull requests", shown);
      await run.delete(
        "open_pull_resources",
        "their open pull requests' coordination records",
        this.rowids("SELECT rowid AS rowid FROM open_pull_resources WHERE lower(author) = ?", who),
      );
      await run.anonymise(
        "suppressed_findings",
        "findings they dismissed (kept for the repository, their name removed)",
        this.rowids("SELECT rowid AS rowid FROM suppressed_findings WHERE lower(user_id) = ?", who),
        "user_id",
      );
      await run.delete(
        "rate_slots",
        "rate slots (help per person)",
        this.matchingRowids("rate_slots", "slot", who, (slot) => slot.slice(slot.lastIndexOf(":") + 1).toLowerCase() === who),
      );
      const jobs = this.matchingRowids("jobs", "payload", who, (text) => refersToUser(JSON.parse(text)));
      await run.delete("jobs", "jobs and their payloads that name them (any status)", jobs);
      const events = this.matchingRows("webhook_events", "id", "envelope", who, (text) => refersToUser((JSON.parse(text) as { data?: unknown }).data));
      await this.deleteEventsAndDeliveries(run, events, () => false, who);
    });
  }

  /** Runs the steps with secure_delete on (deleted rows are overwritten), then asks for a checkpoint; in dry-run mode only counts. */
  private async deleteData(dryRun: boolean, steps: (run: DeletionRun) => Promise<void>): Promise<DeletionCount[]> {
    const counts: DeletionCount[] = [];
    const add = (table: string, what: string, count: number, action: DeletionCount["action"]) => addCount(counts, table, what, count, action);
    const run: DeletionRun = {
      delete: async (table, what, rowids) => {
        const sql = `DELETE FROM ${table} WHERE rowid IN (SELECT value FROM json_each(?))`;
        add(table, what, dryRun ? rowids.length : await this.inBatches(rowids, (list) => this.db.prepare(sql).run(list).changes), "deleted");
      },
      anonymise: async (table, what, rowids, column) => {
        const sql = `UPDATE ${table} SET ${column} = '${DELETED_USER}' WHERE rowid IN (SELECT value FROM json_each(?))`;
        add(table, what, dryRun ? rowids.length : await this.inBatches(rowids, (list) => this.db.prepare(sql).run(list).changes), "anonymised");
      },
    };
    const previous = this.db.pragma("secure_delete", { simple: true });
    if (!dryRun) this.db.pragma("secure_delete = ON");
    try {
      await steps(run);
    } finally {
      if (!dryRun) this.db.pragma(`secure_delete = ${Number(previous) ? "ON" : "OFF"}`);
    }
    // The overwritten pages into the database file, and the write-ahead log (which holds older
    // copies of them) emptied: waiting at most a moment for the app's readers and writers; when
    // they are busy, the log's old frames are overwritten as the app goes on.
    if (!dryRun) {
      const timeout = this.db.pragma("busy_timeout", { simple: true });
      this.db.pragma("busy_timeout = 200");
      try {
        this.db.pragma("wal_checkpoint(TRUNCATE)");
      } catch {
        // busy: see above
      } finally {
        this.db.pragma(`busy_timeout = ${Number(timeout)}`);
      }
    }
    return counts;
  }

  /** Webhook events (rowid, id) and what carries them: deliveries (and their attempts), batch items. */
  private async deleteEventsAndDeliveries(
    run: DeletionRun,
    events: { rowid: number; key: string }[],
    bodyNames: (body: string) => boolean,
    needle: string,
  ): Promise<void> {
    const eventIds = new Set(events.map((e) => e.key));
    const deliveries = new Map<number, string>();
    const ids = [...eventIds];
    for (let i = 0; i < ids.length; i += DELETE_BATCH) {
      const rows = this.db
        .prepare(
          `SELECT DISTINCT d.rowid AS rowid, d.id AS id FROM webhook_deliveries d, json_each(d.event_ids) j
           WHERE j.value IN (SELECT value FROM json_each(?))`,
        )
        .all(JSON.stringify(ids.slice(i, i + DELETE_BATCH))) as { rowid: number; id: string }[];
      for (const r of rows) deliveries.set(r.rowid, r.id);
    }
    // A rendered body (a payload template) that names it, whatever its events.
    for (const r of this.matchingRows("webhook_deliveries", "id", "body", needle, bodyNames)) deliveries.set(r.rowid, r.key);
    const deliveryIds = JSON.stringify([...deliveries.values()]);
    const attempts = this.rowids("SELECT rowid AS rowid FROM webhook_attempts WHERE delivery_id IN (SELECT value FROM json_each(?))", deliveryIds);
    await run.delete("webhook_attempts", "webhook delivery attempts (logs)", attempts);
    await run.delete("webhook_deliveries", "webhook deliveries (any status, dead letters too)", [...deliveries.keys()]);
    await run.delete(
      "webhook_batch_items",
      "webhook events waiting for a batch",
      this.rowids("SELECT rowid AS rowid FROM webhook_batch_items WHERE event_id IN (SELECT value FROM json_each(?))", JSON.stringify(ids)),
    );
    await run.delete("webhook_events", "stored webhook events", events.map((e) => e.rowid));
  }

  private rowids(sql: string, ...args: unknown[]): number[] {
    return (this.db.prepare(sql).all(...args) as { rowid: number }[]).map((r) => r.rowid);
  }

  /** Rowids of rows whose `column` contains `needle` (a cheap filter, lower case) and passes `test`, read a page at a time. */
  private matchingRowids(table: string, column: string, needle: string, test: (text: string) => boolean): number[] {
    return this.matchingRows(table, "rowid", column, needle, test).map((r) => r.rowid);
  }

  private matchingRows(table: string, keyColumn: string, column: string, needle: string, test: (text: string) => boolean): { rowid: number; key: string }[] {
    const page = this.db.prepare(
      `SELECT rowid AS rowid, ${keyColumn} AS key, ${column} AS text FROM ${table}
       WHERE rowid > ? AND instr(lower(${column}), ?) > 0 ORDER BY rowid LIMIT ${DELETE_BATCH}`,
    );
    const out: { rowid: number; key: string }[] = [];
    for (let after = 0; ; ) {
      const rows = page.all(after, needle) as { rowid: number; key: string; text: string }[];
      for (const r of rows) {
        let hit = false;
        try {
          hit = test(r.text);
        } catch {
          hit = false; // not JSON: not ours to judge
        }
        if (hit) out.push({ rowid: r.rowid, key: r.key });
      }
      if (rows.length < DELETE_BATCH) return out;
      after = rows[rows.length - 1].rowid;
    }
  }

  /** Runs `fn` on the rowids a batch at a time, each batch in its own transaction, yielding between them. */
  private async inBatches(rowids: number[], fn: (list: string) => number): Promise<number> {
    let done = 0;
    for (let i = 0; i < rowids.length; i += DELETE_BATCH) {
      if (i > 0) await yieldToEventLoop();
      done += this.db.transaction(() => fn(JSON.stringify(rowids.slice(i, i + DELETE_BATCH))))();
    }
    return done;
  }
}

interface DeletionRun {
  delete(table: string, what: string, rowids: number[]): Promise<void>;
  anonymise(table: string, what: string, rowids: number[], column: string): Promise<void>;
}
