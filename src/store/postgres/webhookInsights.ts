/**
 * The dashboard's reads of the webhook outbox on PostgreSQL (WebhookInsightStore): a window's
 * figures from the buckets the triggers of migration 5 keep (../webhookInsights.ts says how),
 * and the endpoints an operator paused, kept in webhook_registrations under PAUSE_ID_PREFIX.
 * The same semantics as the SQLite part.
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
import { pgText, type PostgresPart } from "./base.js";

export function PostgresWebhookInsights<B extends PostgresPart>(Base: B) {
  return class PostgresWebhookInsights extends Base {
    /** Per registration, the window's sums (buckets, then the partial first minute raw). */
    private async windowSums(since: number): Promise<WindowSumRow[]> {
      const { minute, hour } = windowBounds(since);
      const [buckets, edge] = await Promise.all([
        this.rows<WindowSumRow>(
          `SELECT registration_id, SUM(attempts)::bigint AS attempts, SUM(succeeded)::bigint AS succeeded,
             SUM(entering - leaving)::bigint AS deliveries, MAX(last_at) AS last_at, MAX(last_error_at) AS last_error_at
           FROM (SELECT * FROM webhook_attempt_buckets WHERE span = $1 AND bucket >= $2 AND bucket < $3
                 UNION ALL SELECT * FROM webhook_attempt_buckets WHERE span = $4 AND bucket >= $3) AS b
           GROUP BY registration_id`,
          [MINUTE_MS, minute, hour, HOUR_MS],
        ),
        // The partial minute: its deliveries not attempted again from $1 on (those the buckets count).
        this.rows<WindowSumRow>(
          `SELECT registration_id, COUNT(*) AS attempts, COUNT(*) FILTER (WHERE status = 'delivered') AS succeeded,
             COUNT(DISTINCT delivery_id) FILTER (WHERE NOT EXISTS
               (SELECT 1 FROM webhook_attempts b WHERE b.delivery_id = a.delivery_id AND b.attempted_at >= $1)) AS deliveries,
             MAX(attempted_at) AS last_at, MAX(attempted_at) FILTER (WHERE status <> 'delivered' AND error IS NOT NULL) AS last_error_at
           FROM webhook_attempts a WHERE attempted_at >= $2 AND attempted_at < $1 GROUP BY registration_id`,
          [minute, since],
        ),
      ]);
      return mergeWindowSums([...buckets, ...edge]);
    }

    async webhookWindowStats(since: number): Promise<WebhookWindowStats[]> {
      const sums = await this.windowSums(since);
      // A bucket's newest attempt deleted since: the window's own.
      const checked = await this.rows<{ registration_id: string; last_at: number }>(
        `SELECT s.registration_id, CASE WHEN EXISTS (SELECT 1 FROM webhook_attempts WHERE attempted_at = s.last_at AND registration_id = s.registration_id)
             THEN s.last_at
             ELSE (SELECT MAX(attempted_at) FROM webhook_attempts WHERE attempted_at >= $3 AND registration_id = s.registration_id) END AS last_at
         FROM unnest($1::text[], $2::bigint[]) AS s(registration_id, last_at)`,
        [sums.map((r) => r.registration_id), sums.map((r) => r.last_at), since],
      );
      const lastOf = new Map(checked.map((r) => [r.registration_id, Number(r.last_at)]));
      return sums.map((r) => ({
        registrationId: r.registration_id,
        attempts: r.attempts,
        succeeded: r.succeeded,
        deliveries: r.deliveries,
        lastAttemptAt: lastOf.get(r.registration_id)!,
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
      const sums = (await this.windowSums(since)).filter((r) => r.last_error_at !== null);
      const failed = "registration_id = s.registration_id AND status <> 'delivered' AND error IS NOT NULL";
      const recent = await this.rows<ErrorRow>(
        `SELECT e.* FROM unnest($1::text[], $2::bigint[]) AS s(registration_id, at),
           LATERAL (SELECT registration_id, error, status_code, attempted_at AS at FROM webhook_attempts
                    WHERE attempted_at = s.at AND ${failed} ORDER BY id DESC LIMIT 1) AS e`,
        [sums.map((r) => r.registration_id), sums.map((r) => r.last_error_at)],
      );
      // The bucket's newest error deleted since: the window's newest, found newest first.
      const found = new Set(recent.map((r) => r.registration_id));
      const gone = sums.filter((r) => !found.has(r.registration_id)).map((r) => r.registration_id);
      if (gone.length > 0)
        recent.push(
          ...(await this.rows<ErrorRow>(
            `SELECT e.* FROM unnest($1::text[]) AS s(registration_id),
               LATERAL (SELECT registration_id, error, status_code, attempted_at AS at FROM webhook_attempts
                        WHERE attempted_at >= $2 AND ${failed} ORDER BY attempted_at DESC, id DESC LIMIT 1) AS e`,
            [gone, since],
          )),
        );
      // Each registration with dead letters (a skip scan of the (status, registration_id) index), then its newest.
      const dead = await this.rows<ErrorRow>(
        `WITH RECURSIVE r(id) AS (
           SELECT (SELECT MIN(registration_id) FROM webhook_deliveries WHERE status = 'dead')
           UNION ALL SELECT (SELECT MIN(registration_id) FROM webhook_deliveries WHERE status = 'dead' AND registration_id > r.id) FROM r WHERE r.id IS NOT NULL)
         SELECT d.* FROM r, LATERAL (
           SELECT registration_id, last_error AS error, last_status_code AS status_code, COALESCE(finished_at, updated_at) AS at
           FROM webhook_deliveries WHERE status = 'dead' AND registration_id = r.id AND last_error IS NOT NULL
           ORDER BY COALESCE(finished_at, updated_at) DESC, id DESC LIMIT 1) AS d`,
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
