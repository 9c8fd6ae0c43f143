/**
 * The outgoing webhooks' outbox on PostgreSQL, what is written into it (WebhookStore): events
 * stored once, deliveries once per webhook-id, a registration's dedupe keys once; an attempt's
 * outcome written only by the lease's holder, with its log row, in one statement; a batch flushed
 * once; the registrations' disabled state and the endpoints' circuits. Claiming, reading,
 * replaying and pruning the deliveries is webhookDeliveries.ts.
 */
import type {
  NewWebhookBatchItem,
  NewWebhookDelivery,
  NewWebhookEvent,
  WebhookAttemptRecord,
  WebhookAttemptResult,
  WebhookBatchItem,
  WebhookCircuitState,
  WebhookDeliveryStatus,
  WebhookRegistrationState,
} from "../store.js";
import { pgText, type PostgresPart, type Queryable } from "./base.js";

type EnqueueInput = { events: NewWebhookEvent[]; deliveries: NewWebhookDelivery[]; batchItems: NewWebhookBatchItem[] };

export function PostgresWebhooks<B extends PostgresPart>(Base: B) {
  return class PostgresWebhooks extends Base {
    /** Inserts a delivery (nothing when its id exists); one dead on arrival gets its error as attempt 1. */
    private async insertDelivery(d: NewWebhookDelivery, now: number, db: Queryable): Promise<void> {
      const dead = d.status === "dead";
      const inserted = await this.changes(
        `INSERT INTO webhook_deliveries (id, registration_id, event_type, event_ids, body, status,
           attempts, total_attempts, next_attempt_at, last_error, created_at, updated_at, finished_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $10, $11) ON CONFLICT DO NOTHING`,
        [
          d.id,
          d.registrationId,
          d.eventType,
          d.eventIds,
          d.body,
          d.status,
          dead ? 1 : 0,
          d.nextAttemptAt,
          pgText(d.error ?? null),
          now,
          dead ? now : null,
        ],
        db,
      );
      if (inserted === 1 && dead) {
        await this.insertAttempt(
          {
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
          },
          db,
        );
      }
    }

    private async insertAttempt(a: WebhookAttemptRecord, db: Queryable): Promise<void> {
      await db.query(
        `INSERT INTO webhook_attempts (delivery_id, registration_id, event_type, attempt, status, status_code, duration_ms,
           error, response_excerpt, next_attempt_at, attempted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          a.deliveryId,
          a.registrationId,
          a.eventType,
          a.attempt,
          a.status,
          a.statusCode,
          Math.round(a.durationMs),
          pgText(a.error),
          pgText(a.responseExcerpt),
          a.nextAttemptAt,
          a.attemptedAt,
        ],
      );
    }

    async enqueueWebhookEvent(input: EnqueueInput, now: number): Promise<void> {
      if (input.deliveries.length + input.batchItems.length === 0) return;
      await this.tx(async (client) => {
        // An event sent again under its id (owed feedback events, see EmpathyOS.recordFeedback)
        // was kept, with its deliveries, the first time: nothing of it is written twice.
        if (input.events.length > 0) {
          const written = await this.rows<{ id: string }>(
            `INSERT INTO webhook_events (id, event_type, envelope, created_at)
             SELECT e.id, e.event_type, e.envelope, $4::bigint FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS e(id, event_type, envelope, n)
             ORDER BY e.n ON CONFLICT (id) DO NOTHING RETURNING id`,
            [input.events.map((e) => e.id), input.events.map((e) => e.eventType), input.events.map((e) => e.envelope), now],
            client,
          );
          const fresh = new Set(written.map((r) => r.id));
          const kept = new Set(input.events.map((e) => e.id).filter((id) => !fresh.has(id)));
          if (kept.size > 0) {
            input = {
              ...input,
              deliveries: input.deliveries.filter((d) => !d.eventIds.some((id) => kept.has(id))),
              batchItems: input.batchItems.filter((b) => !kept.has(b.eventId)),
            };
          }
        }
        input = await this.withoutDuplicates(input, now, client);
        const pending = input.deliveries.filter((d) => d.status !== "dead");
        if (pending.length > 0) {
          // Pending deliveries, the bulk (ten registrations make ten per event), in one statement;
          // event_ids travel as JSON texts (an array of arrays cannot be ragged).
          await client.query(
            `INSERT INTO webhook_deliveries (id, registration_id, event_type, event_ids, body, status,
               attempts, total_attempts, next_attempt_at, last_error, created_at, updated_at, finished_at)
             SELECT d.id, d.registration_id, d.event_type, ARRAY(SELECT json_array_elements_text(d.event_ids::json)), d.body, 'pending',
               0, 0, d.next_attempt_at, NULL, $7::bigint, $7::bigint, NULL
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[]) WITH ORDINALITY
               AS d(id, registration_id, event_type, event_ids, body, next_attempt_at, n)
             ORDER BY d.n
             ON CONFLICT DO NOTHING`,
            [
              pending.map((d) => d.id),
              pending.map((d) => d.registrationId),
              pending.map((d) => d.eventType),
              pending.map((d) => JSON.stringify(d.eventIds)),
              pending.map((d) => d.body),
              pending.map((d) => d.nextAttemptAt),
              now,
            ],
          );
        }
        for (const d of input.deliveries) if (d.status === "dead") await this.insertDelivery(d, now, client);
        if (input.batchItems.length > 0) {
          await client.query(
            `INSERT INTO webhook_batch_items (registration_id, event_id, event_type, created_at)
             SELECT b.registration_id, b.event_id, b.event_type, $4::bigint FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS b(registration_id, event_id, event_type, n)
             ORDER BY b.n ON CONFLICT (registration_id, event_id) DO NOTHING`,
            [
              input.batchItems.map((b) => b.registrationId),
              input.batchItems.map((b) => b.eventId),
              input.batchItems.map((b) => b.eventType),
              now,
            ],
          );
        }
      });
    }

    /** Drops deliveries and batch items whose dedupe key their registration already had, and records the new keys. */
    private async withoutDuplicates(input: EnqueueInput, now: number, db: Queryable): Promise<EnqueueInput> {
      const keyed = [...input.deliveries, ...input.batchItems].filter((x) => x.dedupeKey !== undefined);
      if (keyed.length === 0) return input;
      const pair = (registrationId: string, key: string) => JSON.stringify([registrationId, key]);
      const written = await this.rows<{ registration_id: string; dedupe_key: string }>(
        `INSERT INTO webhook_dedupe (registration_id, dedupe_key, created_at)
         SELECT k.registration_id, k.dedupe_key, $3::bigint FROM unnest($1::text[], $2::text[]) AS k(registration_id, dedupe_key)
         ON CONFLICT DO NOTHING RETURNING registration_id, dedupe_key`,
        [keyed.map((x) => x.registrationId), keyed.map((x) => x.dedupeKey!), now],
        db,
      );
      // New keys, each let through once (the first item that carries it).
      const fresh = new Set(written.map((r) => pair(r.registration_id, r.dedupe_key)));
      const firstTime = (item: { registrationId: string; dedupeKey?: string }) =>
        item.dedupeKey === undefined || fresh.delete(pair(item.registrationId, item.dedupeKey));
      return { ...input, deliveries: input.deliveries.filter(firstTime), batchItems: input.batchItems.filter(firstTime) };
    }

    /** One statement moves the delivery (only while `leaseOwner` holds it) and logs the attempt. */
    private async record(r: WebhookAttemptResult, db: Queryable): Promise<void> {
      const status: WebhookDeliveryStatus = r.status === "failed" ? "pending" : r.status;
      const next = r.status === "failed" ? r.nextAttemptAt : null;
      await db.query(
        `WITH moved AS (
           UPDATE webhook_deliveries SET status = $1, next_attempt_at = COALESCE($2, next_attempt_at), last_status_code = $3, last_error = $4,
             updated_at = $5, finished_at = $6, lease_owner = NULL, lease_expires_at = NULL
           WHERE id = $7 AND ($8::text IS NULL OR (status = 'in_flight' AND lease_owner = $8))
           RETURNING id, registration_id, event_type, total_attempts)
         INSERT INTO webhook_attempts (delivery_id, registration_id, event_type, attempt, status, status_code, duration_ms,
           error, response_excerpt, next_attempt_at, attempted_at)
         SELECT id, registration_id, event_type, total_attempts, $9::text, $3::int, $10::bigint, $4::text, $11::text, $2::bigint, $5::bigint FROM moved`,
        [
          status,
          next,
          r.statusCode,
          pgText(r.error),
          r.attemptedAt,
          status === "pending" ? null : r.attemptedAt,
          r.deliveryId,
          r.leaseOwner ?? null,
          r.status,
          Math.round(r.durationMs),
          pgText(r.responseExcerpt),
        ],
      );
    }

    async recordWebhookAttempt(result: WebhookAttemptResult): Promise<void> {
      await this.record(result, this.pool);
    }

    async recordWebhookAttempts(results: WebhookAttemptResult[]): Promise<void> {
      if (results.length === 0) return;
      await this.tx(async (client) => {
        for (const r of results) await this.record(r, client);
      });
    }

    // --- batches ---

    async webhookBatchStats(): Promise<{ registrationId: string; count: number; oldestAt: number }[]> {
      const rows = await this.rows<{ registration_id: string; n: number; oldest: number }>(
        "SELECT registration_id, COUNT(*) AS n, MIN(created_at) AS oldest FROM webhook_batch_items GROUP BY registration_id ORDER BY registration_id",
      );
      return rows.map((r) => ({ registrationId: r.registration_id, count: r.n, oldestAt: r.oldest }));
    }

    async listWebhookBatchItems(registrationId: string, limit: number): Promise<WebhookBatchItem[]> {
      const rows = await this.rows<{
        seq: number;
        registration_id: string;
        event_id: string;
        event_type: string;
        envelope: string;
        created_at: number;
      }>(
        `SELECT b.seq, b.registration_id, b.event_id, b.event_type, b.created_at, e.envelope
         FROM webhook_batch_items b JOIN webhook_events e ON e.id = b.event_id
         WHERE b.registration_id = $1 ORDER BY b.seq LIMIT $2`,
        [registrationId, limit],
      );
      return rows.map((r) => ({
        seq: r.seq,
        registrationId: r.registration_id,
        eventId: r.event_id,
        eventType: r.event_type,
        envelope: r.envelope,
        createdAt: r.created_at,
      }));
    }

    async flushWebhookBatch(items: WebhookBatchItem[], delivery: NewWebhookDelivery, now: number): Promise<boolean> {
      const taken = new Error("batch items already flushed");
      try {
        // The deletes are the claim: another instance flushing the same items waits on their rows,
        // then finds them gone, and its whole transaction rolls back: no event goes out twice.
        await this.tx(async (client) => {
          const seqs = [...new Set(items.map((i) => i.seq))];
          const removed = await this.changes("DELETE FROM webhook_batch_items WHERE seq = ANY($1::bigint[])", [seqs], client);
          if (removed !== items.length) throw taken;
          await this.insertDelivery(delivery, now, client);
        });
        return true;
      } catch (err) {
        if (err === taken) return false;
        throw err;
      }
    }

    // --- registrations and circuits ---

    async getWebhookRegistrationState(id: string): Promise<WebhookRegistrationState | undefined> {
      const [row] = await this.rows<{ id: string; disabled_at: number | null; disabled_reason: string | null }>(
        "SELECT id, disabled_at, disabled_reason FROM webhook_registrations WHERE id = $1",
        [id],
      );
      return row ? { id: row.id, disabledAt: row.disabled_at, disabledReason: row.disabled_reason } : undefined;
    }

    async setWebhookRegistrationDisabled(id: string, reason: string | null, now: number): Promise<void> {
      await this.pool.query(
        `INSERT INTO webhook_registrations (id, disabled_at, disabled_reason, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET disabled_at = excluded.disabled_at, disabled_reason = excluded.disabled_reason, updated_at = excluded.updated_at`,
        [id, reason === null ? null : now, pgText(reason), now],
      );
    }

    async listWebhookCircuits(): Promise<WebhookCircuitState[]> {
      const rows = await this.rows<{ endpoint_key: string; consecutive_failures: number; open_until: number | null }>(
        "SELECT endpoint_key, consecutive_failures, open_until FROM webhook_circuits ORDER BY endpoint_key",
      );
      return rows.map((r) => ({ endpointKey: r.endpoint_key, consecutiveFailures: r.consecutive_failures, openUntil: r.open_until }));
    }

    async saveWebhookCircuit(state: WebhookCircuitState, now: number): Promise<void> {
      await this.pool.query(
        `INSERT INTO webhook_circuits (endpoint_key, consecutive_failures, open_until, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (endpoint_key) DO UPDATE SET consecutive_failures = excluded.consecutive_failures,
           open_until = excluded.open_until, updated_at = excluded.updated_at`,
        [state.endpointKey, state.consecutiveFailures, state.openUntil, now],
      );
    }
  };
}
