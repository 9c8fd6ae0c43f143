/**
 * The dashboard's reads of the webhook outbox on SQLite (WebhookInsightStore): a window's figures
 * from the buckets the triggers of migration 12 keep (../webhookInsights.ts says how), and the
 * endpoints an operator paused, kept in webhook_registrations under PAUSE_ID_PREFIX.
 */
import { toAttempt, type AttemptRow } from "../rows.js";
import {
  HOUR_MS,
  mergeWindowSums,
  MINUTE_MS,
  newestErrors,
  PAUSE_ID_END,
  PAUSE_ID_PREFIX,
  PAUSED_BY_PREFIX,
  queueCounts,
  toDeadLetter,
  toPause,
  type DeadLetterRow,
  type ErrorRow,
  type WebhookAttemptRow,
  type WebhookDeadLetter,
  type WebhookEndpointPause,
  type WebhookLastError,
  type WebhookQueueCounts,
  type WebhookWindowStats,
  type WindowSumRow,
  windowBounds,
} from "../webhookInsights.js";
import type { SqlitePart } from "./base.js";

export function SqliteWebhookInsights<B extends SqlitePart>(Base: B) {
  return class SqliteWebhookInsights extends Base {
    /** Per registration, the window's sums (buckets, then the partial first minute raw). */
    private windowSums(since: number): WindowSumRow[] {
      const { minute, hour } = windowBounds(since);
      const buckets = this.stmt(
        `SELECT registration_id, SUM(attempts) AS attempts, SUM(succeeded) AS succeeded, SUM(entering - leaving) AS deliveries,
           MAX(last_at) AS last_at, MAX(last_error_at) AS last_error_at
         FROM (SELECT * FROM webhook_attempt_buckets WHERE span = ? AND bucket >= ? AND bucket < ?
               UNION ALL SELECT * FROM webhook_attempt_buckets WHERE span = ? AND bucket >= ?)
         GROUP BY registration_id`,
      ).all(MINUTE_MS, minute, hour, HOUR_MS, hour) as WindowSumRow[];
      // The partial minute: its deliveries not attempted again from `minute` on (those the buckets count).
      const edge = this.stmt(
        `SELECT registration_id, COUNT(*) AS attempts, SUM(status = 'delivered') AS succeeded,
           COUNT(DISTINCT CASE WHEN NOT EXISTS (SELECT 1 FROM webhook_attempts b WHERE b.delivery_id = a.delivery_id AND b.attempted_at >= ?)
             THEN delivery_id END) AS deliveries,
           MAX(attempted_at) AS last_at, MAX(CASE WHEN status <> 'delivered' AND error IS NOT NULL THEN attempted_at END) AS last_error_at
         FROM webhook_attempts a WHERE attempted_at >= ? AND attempted_at < ? GROUP BY registration_id`,
      ).all(minute, since, minute) as WindowSumRow[];
      return mergeWindowSums([...buckets, ...edge]);
    }

    async webhookWindowStats(since: number): Promise<WebhookWindowStats[]> {
      const exists = this.stmt("SELECT 1 FROM webhook_attempts WHERE attempted_at = ? AND registration_id = ? LIMIT 1");
      const newest = this.stmt("SELECT MAX(attempted_at) AS at FROM webhook_attempts WHERE attempted_at >= ? AND registration_id = ?");
      return this.windowSums(since).map((r) => ({
        registrationId: r.registration_id,
        attempts: r.attempts,
        succeeded: r.succeeded,
        deliveries: r.deliveries,
        // A bucket's newest attempt deleted since: read the window's own.
        lastAttemptAt: exists.get(r.last_at, r.registration_id) ? r.last_at! : (newest.get(since, r.registration_id) as { at: number }).at,
      }));
    }

    async webhookDurationSample(since: number, limit: number): Promise<{ registrationId: string; durationMs: number }[]> {
      const rows = this.stmt(
        "SELECT registration_id, duration_ms FROM webhook_attempts WHERE attempted_at >= ? ORDER BY attempted_at DESC LIMIT ?",
      ).all(since, limit) as { registration_id: string; duration_ms: number }[];
      return rows.map((r) => ({ registrationId: r.registration_id, durationMs: r.duration_ms }));
    }

    async webhookLastErrors(since: number): Promise<WebhookLastError[]> {
      const failed = `registration_id = ? AND status <> 'delivered' AND error IS NOT NULL`;
      const at = this.stmt(
        `SELECT registration_id, error, status_code, attempted_at AS at FROM webhook_attempts WHERE attempted_at = ? AND ${failed} ORDER BY id DESC LIMIT 1`,
      );
      // The bucket's newest error deleted since: the window's newest, found newest first.
      const newest = this.stmt(
        `SELECT registration_id, error, status_code, attempted_at AS at FROM webhook_attempts WHERE attempted_at >= ? AND ${failed}
         ORDER BY attempted_at DESC, id DESC LIMIT 1`,
      );
      const recent: ErrorRow[] = [];
      for (const r of this.windowSums(since)) {
        if (r.last_error_at === null) continue;
        const row = (at.get(r.last_error_at, r.registration_id) ?? newest.get(since, r.registration_id)) as ErrorRow | undefined;
        if (row) recent.push(row);
      }
      // Each registration with dead letters (a skip scan of the (status, registration_id) index), then its newest.
      const dead = this.stmt(
        `WITH RECURSIVE r(id) AS (
           SELECT (SELECT MIN(registration_id) FROM webhook_deliveries WHERE status = 'dead')
           UNION ALL SELECT (SELECT MIN(registration_id) FROM webhook_deliveries WHERE status = 'dead' AND registration_id > r.id) FROM r WHERE r.id IS NOT NULL)
         SELECT d.registration_id, d.last_error AS error, d.last_status_code AS status_code, COALESCE(d.finished_at, d.updated_at) AS at
         FROM r JOIN webhook_deliveries d ON d.rowid = (SELECT rowid FROM webhook_deliveries WHERE status = 'dead' AND registration_id = r.id
           AND last_error IS NOT NULL ORDER BY COALESCE(finished_at, updated_at) DESC, id DESC LIMIT 1)`,
      ).all() as ErrorRow[];
      return newestErrors([...recent, ...dead]);
    }

    async webhookQueueCounts(): Promise<WebhookQueueCounts[]> {
      const rows = this.stmt(
        `SELECT registration_id, status, COUNT(*) AS n FROM webhook_deliveries
         WHERE status IN ('pending', 'in_flight', 'dead') GROUP BY status, registration_id`,
      ).all() as { registration_id: string; status: string; n: number }[];
      return queueCounts(rows);
    }

    async listWebhookRegistrationAttempts(query: { registrationId: string; before?: number; limit: number }): Promise<WebhookAttemptRow[]> {
      const rows = this.stmt(
        `SELECT id AS seq, delivery_id, registration_id, event_type, attempt, status, status_code, duration_ms, error,
           response_excerpt, next_attempt_at, attempted_at
         FROM webhook_attempts WHERE registration_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
      ).all(query.registrationId, query.before ?? Number.MAX_SAFE_INTEGER, query.limit) as (AttemptRow & { seq: number })[];
      return rows.map((r) => ({ ...toAttempt(r), seq: r.seq }));
    }

    async listWebhookDeadLetters(query: {
      registrationId: string;
      before?: { finishedAt: number; id: string };
      limit: number;
    }): Promise<WebhookDeadLetter[]> {
      const b = query.before ?? { finishedAt: Number.MAX_SAFE_INTEGER, id: "" };
      const rows = this.stmt(
        `SELECT id, registration_id, event_type, total_attempts, last_status_code, last_error, created_at,
           COALESCE(finished_at, updated_at) AS finished_at
         FROM webhook_deliveries WHERE status = 'dead' AND registration_id = ?
           AND (COALESCE(finished_at, updated_at) < ? OR (COALESCE(finished_at, updated_at) = ? AND id < ?))
         ORDER BY 8 DESC, id DESC LIMIT ?`,
      ).all(query.registrationId, b.finishedAt, b.finishedAt, b.id, query.limit) as DeadLetterRow[];
      return rows.map(toDeadLetter);
    }

    async listWebhookPauses(): Promise<WebhookEndpointPause[]> {
      const rows = this.stmt(
        "SELECT id, disabled_at, disabled_reason FROM webhook_registrations WHERE id >= ? AND id < ? AND disabled_at IS NOT NULL",
      ).all(PAUSE_ID_PREFIX, PAUSE_ID_END) as { id: string; disabled_at: number; disabled_reason: string | null }[];
      return rows.map(toPause);
    }

    async setWebhookPause(endpointKey: string, by: string | null, now: number): Promise<void> {
      const id = PAUSE_ID_PREFIX + endpointKey;
      if (by === null) {
        this.stmt("DELETE FROM webhook_registrations WHERE id = ?").run(id);
        return;
      }
      this.stmt(
        `INSERT INTO webhook_registrations (id, disabled_at, disabled_reason, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET disabled_at = excluded.disabled_at, disabled_reason = excluded.disabled_reason, updated_at = excluded.updated_at`,
      ).run(id, now, PAUSED_BY_PREFIX + by, now);
    }
  };
}
