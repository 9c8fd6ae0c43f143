/**
 * The dashboard's reads of the webhook outbox on PostgreSQL (WebhookInsightStore), and the
 * endpoints an operator paused, kept in webhook_registrations under PAUSE_ID_PREFIX (no schema
 * change). The same semantics as the SQLite part.
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
import { pgText, type PostgresPart } from "./base.js";

export function PostgresWebhookInsights<B extends PostgresPart>(Base: B) {
  return class PostgresWebhookInsights extends Base {
    async webhookWindowStats(since: number): Promise<WebhookWindowStats[]> {
      const rows = await this.rows<{ registration_id: string; attempts: number; succeeded: number; deliveries: number; last_at: number }>(
        `SELECT registration_id, COUNT(*) AS attempts, COUNT(*) FILTER (WHERE status = 'delivered') AS succeeded,
           COUNT(DISTINCT delivery_id) AS deliveries, MAX(attempted_at) AS last_at
         FROM webhook_attempts WHERE attempted_at >= $1 GROUP BY registration_id`,
        [since],
      );
      return rows.map((r) => ({
        registrationId: r.registration_id,
        attempts: r.attempts,
        succeeded: r.succeeded,
        deliveries: r.deliveries,
        lastAttemptAt: r.last_at,
      }));
    }

    async webhookDurationSample(since: number, limit: number): Promise<{ registrationId: string; durationMs: number }[]> {
      const rows = await this.rows<{ registration_id: string; duration_ms: number }>(
        "SELECT registration_id, duration_ms FROM webhook_attempts WHERE attempted_at >= $1 ORDER BY attempted_at DESC LIMIT $2",
        [since, limit],
      );
      return rows.map((r) => ({ registrationId: r.registration_id, durationMs: r.duration_ms }));
    }

    async webhookLastErrors(since: number): Promise<WebhookLastError[]> {
      const recent = await this.rows<ErrorRow>(
        `SELECT DISTINCT ON (registration_id) registration_id, error, status_code, attempted_at AS at FROM webhook_attempts
         WHERE attempted_at >= $1 AND status <> 'delivered' AND error IS NOT NULL ORDER BY registration_id, attempted_at DESC`,
        [since],
      );
      const dead = await this.rows<ErrorRow>(
        `SELECT DISTINCT ON (registration_id) registration_id, last_error AS error, last_status_code AS status_code,
           COALESCE(finished_at, updated_at) AS at
         FROM webhook_deliveries WHERE status = 'dead' AND last_error IS NOT NULL
         ORDER BY registration_id, COALESCE(finished_at, updated_at) DESC`,
      );
      return newestErrors([...recent, ...dead]);
    }

    async webhookQueueCounts(): Promise<WebhookQueueCounts[]> {
      const rows = await this.rows<{ registration_id: string; status: string; n: number }>(
        `SELECT registration_id, status, COUNT(*) AS n FROM webhook_deliveries
         WHERE status IN ('pending', 'in_flight', 'dead') GROUP BY status, registration_id`,
      );
      return queueCounts(rows);
    }

    async listWebhookRegistrationAttempts(query: { registrationId: string; before?: number; limit: number }): Promise<WebhookAttemptRow[]> {
      const rows = await this.rows<AttemptRow & { seq: number }>(
        `SELECT id AS seq, delivery_id, registration_id, event_type, attempt, status, status_code, duration_ms, error,
           response_excerpt, next_attempt_at, attempted_at
         FROM webhook_attempts WHERE registration_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`,
        [query.registrationId, query.before ?? Number.MAX_SAFE_INTEGER, query.limit],
      );
      return rows.map((r) => ({ ...toAttempt(r), seq: r.seq }));
    }

    async listWebhookDeadLetters(query: {
      registrationId: string;
      before?: { finishedAt: number; id: string };
      limit: number;
    }): Promise<WebhookDeadLetter[]> {
      const b = query.before ?? { finishedAt: Number.MAX_SAFE_INTEGER, id: "" };
      const rows = await this.rows<DeadLetterRow>(
        `SELECT id, registration_id, event_type, total_attempts, last_status_code, last_error, created_at,
           COALESCE(finished_at, updated_at) AS finished_at
         FROM webhook_deliveries WHERE status = 'dead' AND registration_id = $1
           AND (COALESCE(finished_at, updated_at) < $2 OR (COALESCE(finished_at, updated_at) = $2 AND id < $3))
         ORDER BY 8 DESC, id DESC LIMIT $4`,
        [query.registrationId, b.finishedAt, pgText(b.id), query.limit],
      );
      return rows.map(toDeadLetter);
    }

    async listWebhookPauses(): Promise<WebhookEndpointPause[]> {
      const rows = await this.rows<{ id: string; disabled_at: number; disabled_reason: string | null }>(
        "SELECT id, disabled_at, disabled_reason FROM webhook_registrations WHERE id >= $1 AND id < $2 AND disabled_at IS NOT NULL",
        [PAUSE_ID_PREFIX, PAUSE_ID_END],
      );
      return rows.map(toPause);
    }

    async setWebhookPause(endpointKey: string, by: string | null, now: number): Promise<void> {
      const id = PAUSE_ID_PREFIX + endpointKey;
      if (by === null) {
        await this.pool.query("DELETE FROM webhook_registrations WHERE id = $1", [id]);
        return;
      }
      await this.pool.query(
        `INSERT INTO webhook_registrations (id, disabled_at, disabled_reason, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET disabled_at = excluded.disabled_at, disabled_reason = excluded.disabled_reason, updated_at = excluded.updated_at`,
        [id, now, pgText(PAUSED_BY_PREFIX + by), now],
      );
    }
  };
}
