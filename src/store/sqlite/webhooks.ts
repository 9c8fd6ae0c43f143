/**
 * The outgoing webhooks' outbox on SQLite, what is written into it (WebhookStore): events stored
 * once, deliveries once per webhook-id, a registration's dedupe keys once; an attempt's outcome
 * written only by the lease's holder, with its log row; batches flushed once; the registrations'
 * disabled state and the endpoints' circuits. Claiming, reading, replaying and pruning the
 * deliveries is webhookDeliveries.ts.
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
import type { SqlitePart } from "./base.js";

/** `event_ids` as stored: a JSON array (one id, the common case, without building an array text generically). */
function eventIdsText(ids: string[]): string {
  return ids.length === 1 ? `[${JSON.stringify(ids[0])}]` : JSON.stringify(ids);
}

/** The deliveries and batch items that carry none of these events. */
function withoutEvents<T extends { deliveries: NewWebhookDelivery[]; batchItems: NewWebhookBatchItem[] }>(input: T, ids: Set<string>): T {
  return {
    ...input,
    deliveries: input.deliveries.filter((d) => !d.eventIds.some((id) => ids.has(id))),
    batchItems: input.batchItems.filter((b) => !ids.has(b.eventId)),
  };
}

const DELIVERY_ROWS_PER_INSERT = 16;
const INSERT_PENDING_DELIVERIES = `INSERT INTO webhook_deliveries (id, registration_id, event_type, event_ids, body, status,
   attempts, total_attempts, next_attempt_at, last_error, created_at, updated_at, finished_at)
 VALUES ${Array.from({ length: DELIVERY_ROWS_PER_INSERT }, () => "(?, ?, ?, ?, ?, 'pending', 0, 0, ?, NULL, ?, ?, NULL)").join(", ")}
 ON CONFLICT DO NOTHING`;

type WebhookEnqueue = { events: NewWebhookEvent[]; deliveries: NewWebhookDelivery[]; batchItems: NewWebhookBatchItem[] };

export function SqliteWebhooks<B extends SqlitePart>(Base: B) {
  return class SqliteWebhooks extends Base {
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

    private readonly enqueueTx = (input: WebhookEnqueue, now: number) => {
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
      const remember = this.stmt(
        "INSERT INTO webhook_dedupe (registration_id, dedupe_key, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      );
      const firstTime = (item: { registrationId: string; dedupeKey?: string }) =>
        item.dedupeKey === undefined || remember.run(item.registrationId, item.dedupeKey, now).changes === 1;
      return { ...input, deliveries: input.deliveries.filter(firstTime), batchItems: input.batchItems.filter(firstTime) };
    }

    async enqueueWebhookEvent(input: WebhookEnqueue, now: number): Promise<void> {
      if (input.deliveries.length + input.batchItems.length === 0) return;
      this.tx(this.enqueueTx)(input, now);
    }

    // --- attempts ---

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

    // --- batches ---

    async webhookBatchStats(): Promise<{ registrationId: string; count: number; oldestAt: number }[]> {
      return (
        this.stmt(
          "SELECT registration_id, COUNT(*) AS n, MIN(created_at) AS oldest FROM webhook_batch_items GROUP BY registration_id",
        ).all() as {
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

    // --- registrations and circuits ---

    async getWebhookRegistrationState(id: string): Promise<WebhookRegistrationState | undefined> {
      const row = this.stmt("SELECT id, disabled_at, disabled_reason FROM webhook_registrations WHERE id = ?").get(id) as
        { id: string; disabled_at: number | null; disabled_reason: string | null } | undefined;
      return row ? { id: row.id, disabledAt: row.disabled_at, disabledReason: row.disabled_reason } : undefined;
    }

    async setWebhookRegistrationDisabled(id: string, reason: string | null, now: number): Promise<void> {
      this.stmt(
        `INSERT INTO webhook_registrations (id, disabled_at, disabled_reason, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET disabled_at = excluded.disabled_at, disabled_reason = excluded.disabled_reason,
           updated_at = excluded.updated_at`,
      ).run(id, reason === null ? null : now, reason, now);
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
  };
}
