/**
 * The dashboard's reads of the webhook outbox on SQLite (WebhookInsightStore), and the endpoints
 * an operator paused, kept in webhook_registrations under PAUSE_ID_PREFIX (no schema change).
 */
import { toAttempt, type AttemptRow } from "../rows.js";
import {
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
} from "../webhookInsights.js";
import type { SqlitePart } from "./base.js";

export function SqliteWebhookInsights<B extends SqlitePart>(Base: B) {
  return class SqliteWebhookInsights extends Base {
    async webhookWindowStats(since: number): Promise<WebhookWindowStats[]> {
      const rows = this.stmt(
        `SELECT registration_id, COUNT(*) AS attempts, SUM(status = 'delivered') AS succeeded,
           COUNT(DISTINCT delivery_id) AS deliveries, MAX(attempted_at) AS last_at
         FROM webhook_attempts WHERE attempted_at >= ? GROUP BY registration_id`,
      ).all(since) as { registration_id: string; attempts: number; succeeded: number; deliveries: number; last_at: number }[];
      return rows.map((r) => ({
        registrationId: r.registration_id,
        attempts: r.attempts,
        succeeded: r.succeeded,
        deliveries: r.deliveries,
        lastAttemptAt: r.last_at,
      }));
    }

    async webhookDurationSample(since: number, limit: number): Promise<{ registrationId: string; durationMs: number }[]> {
      const rows = this.stmt(
        "SELECT registration_id, duration_ms FROM webhook_attempts WHERE attempted_at >= ? ORDER BY attempted_at DESC LIMIT ?",
      ).all(since, limit) as { registration_id: string; duration_ms: number }[];
      return rows.map((r) => ({ registrationId: r.registration_id, durationMs: r.duration_ms }));
    }

    async webhookLastErrors(since: number): Promise<WebhookLastError[]> {
      // SQLite: with MAX(), the other columns come from the row that has the maximum.
      const recent = this.stmt(
        `SELECT registration_id, error, status_code, MAX(attempted_at) AS at FROM webhook_attempts
         WHERE attempted_at >= ? AND status <> 'delivered' AND error IS NOT NULL GROUP BY registration_id`,
      ).all(since) as ErrorRow[];
      const dead = this.stmt(
        `SELECT registration_id, last_error AS error, last_status_code AS status_code, MAX(COALESCE(finished_at, updated_at)) AS at
         FROM webhook_deliveries WHERE status = 'dead' AND last_error IS NOT NULL GROUP BY registration_id`,
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
