/**
 * The outgoing webhooks' outbox on PostgreSQL (WebhookStore, its retention and replays):
 * events stored once, deliveries once per webhook-id, a registration's dedupe keys once; claims
 * in one statement with FOR UPDATE SKIP LOCKED and leases as for jobs (owner + expiry, renewed by
 * the heartbeat, only expired ones taken back, never by their own instance); an attempt's outcome
 * written only by the lease's holder; a batch flushed once.
 */
import { toAttempt, type AttemptRow } from "../rows.js";
import type {
  Lease,
  NewWebhookBatchItem,
  NewWebhookDelivery,
  NewWebhookEvent,
  WebhookAttemptQuery,
  WebhookAttemptRecord,
  WebhookAttemptResult,
  WebhookBatchItem,
  WebhookCircuitState,
  WebhookDeliveryRecord,
  WebhookDeliveryStatus,
  WebhookRegistrationState,
} from "../store.js";
import { DEFAULT_LEASE_MS } from "../store.js";
import { pgText, type PostgresPart, type Queryable } from "./base.js";

interface DeliveryRow {
  id: string;
  registration_id: string;
  event_type: string;
  event_ids: string[];
  envelopes: string;
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

function toDelivery(row: DeliveryRow): WebhookDeliveryRecord {
  return {
    id: row.id,
    registrationId: row.registration_id,
    eventType: row.event_type,
    eventIds: row.event_ids,
    envelopes: row.envelopes,
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

/** A delivery's columns with its events' envelopes as a JSON array text, in event_ids order ("null" for an event gone). */
const DELIVERY = `d.id, d.registration_id, d.event_type, d.event_ids, d.body, d.status, d.attempts, d.total_attempts, d.next_attempt_at,
  d.last_status_code, d.last_error, d.created_at, d.updated_at, d.finished_at,
  (SELECT '[' || COALESCE(string_agg(COALESCE(e.envelope, 'null'), ',' ORDER BY o.n), '') || ']'
   FROM unnest(d.event_ids) WITH ORDINALITY AS o(id, n) LEFT JOIN webhook_events e ON e.id = o.id) AS envelopes`;

/** Rows per delete in pruneWebhookHistory: short statements, so a review's writes wait little. */
const PRUNE_BATCH = 500;

/** Lets webhooks and jobs run between two batches of a long prune. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

type EnqueueInput = { events: NewWebhookEvent[]; deliveries: NewWebhookDelivery[]; batchItems: NewWebhookBatchItem[] };

const byDue = (a: WebhookDeliveryRecord, b: WebhookDeliveryRecord) =>
  a.nextAttemptAt - b.nextAttemptAt || a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

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

    async claimWebhookDeliveries(registrationIds: string[], now: number, limit: number, lease?: Lease): Promise<WebhookDeliveryRecord[]> {
      if (registrationIds.length === 0 || limit <= 0) return [];
      // One statement: the due deliveries no other instance is claiming (SKIP LOCKED), oldest first.
      const rows = await this.rows<DeliveryRow>(
        `UPDATE webhook_deliveries d SET status = 'in_flight', attempts = attempts + 1, total_attempts = total_attempts + 1, updated_at = $1,
           lease_owner = $2, lease_expires_at = $3
         WHERE d.id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND registration_id = ANY($4::text[]) AND next_attempt_at <= $1
                        ORDER BY next_attempt_at, created_at, id LIMIT $5 FOR UPDATE SKIP LOCKED)
         RETURNING ${DELIVERY}`,
        [now, lease?.owner ?? null, lease?.expiresAt ?? now + DEFAULT_LEASE_MS, registrationIds, limit],
      );
      return rows.map(toDelivery).sort(byDue);
    }

    async renewWebhookDeliveryLeases(owner: string, expiresAt: number): Promise<string[]> {
      const rows = await this.rows<{ id: string }>(
        "UPDATE webhook_deliveries SET lease_expires_at = $2 WHERE status = 'in_flight' AND lease_owner = $1 RETURNING id",
        [owner, expiresAt],
      );
      return rows.map((r) => r.id).sort();
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

    async releaseWebhookDelivery(id: string, now: number, owner?: string): Promise<void> {
      await this.pool.query(
        `UPDATE webhook_deliveries SET status = 'pending', attempts = GREATEST(0, attempts - 1), total_attempts = GREATEST(0, total_attempts - 1),
           updated_at = $2, lease_owner = NULL, lease_expires_at = NULL WHERE id = $1 AND status = 'in_flight' AND ($3::text IS NULL OR lease_owner = $3)`,
        [id, now, owner ?? null],
      );
    }

    /**
     * Deliveries whose instance died with them in flight (their lease expired) go back to pending,
     * their interrupted attempt not counted (as when a stop releases one). One statement; live
     * leases and the caller's own are left alone.
     */
    async reclaimExpiredWebhookDeliveries(now: number, except: string | null = null): Promise<number> {
      return this.changes(
        `UPDATE webhook_deliveries SET status = 'pending', attempts = GREATEST(0, attempts - 1), total_attempts = GREATEST(0, total_attempts - 1),
           next_attempt_at = LEAST(next_attempt_at, $1), updated_at = $1, lease_owner = NULL, lease_expires_at = NULL
         WHERE status = 'in_flight' AND (lease_expires_at IS NULL OR lease_expires_at <= $1)
           AND ($2::text IS NULL OR lease_owner IS NULL OR lease_owner <> $2)`,
        [now, except],
      );
    }

    async nextWebhookDeliveryAt(registrationIds: string[]): Promise<number | null> {
      if (registrationIds.length === 0) return null;
      const [row] = await this.rows<{ t: number | null }>(
        "SELECT MIN(next_attempt_at) AS t FROM webhook_deliveries WHERE status = 'pending' AND registration_id = ANY($1::text[])",
        [registrationIds],
      );
      return row.t;
    }

    async getWebhookDelivery(id: string): Promise<WebhookDeliveryRecord | undefined> {
      const [row] = await this.rows<DeliveryRow>(`SELECT ${DELIVERY} FROM webhook_deliveries d WHERE d.id = $1`, [id]);
      return row ? toDelivery(row) : undefined;
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
      const arg = (value: unknown) => `$${args.push(value)}`;
      if (query.status) where.push(`d.status = ${arg(query.status)}`);
      if (query.registrationId) where.push(`d.registration_id = ${arg(query.registrationId)}`);
      if (query.since !== undefined) where.push(`d.updated_at >= ${arg(query.since)}`);
      const order = query.order === "newest" ? "d.updated_at DESC, d.id DESC" : "d.created_at, d.id";
      const sql = `SELECT ${DELIVERY} FROM webhook_deliveries d ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY ${order} LIMIT ${arg(query.limit ?? 1000)}`;
      return (await this.rows<DeliveryRow>(sql, args)).map(toDelivery);
    }

    async countWebhookDeliveries(): Promise<Record<WebhookDeliveryStatus, number>> {
      const counts: Record<WebhookDeliveryStatus, number> = { pending: 0, in_flight: 0, delivered: 0, dead: 0 };
      for (const r of await this.rows<{ status: WebhookDeliveryStatus; n: number }>(
        "SELECT status, COUNT(*) AS n FROM webhook_deliveries GROUP BY status",
      )) {
        counts[r.status] = r.n;
      }
      return counts;
    }

    async listWebhookAttempts(query: WebhookAttemptQuery): Promise<WebhookAttemptRecord[]> {
      const where: string[] = [];
      const args: unknown[] = [];
      const arg = (value: unknown) => `$${args.push(value)}`;
      if (query.eventType) where.push(`event_type = ${arg(query.eventType)}`);
      if (query.status) where.push(`status = ${arg(query.status)}`);
      if (query.deliveryId) where.push(`delivery_id = ${arg(query.deliveryId)}`);
      if (query.since !== undefined) where.push(`attempted_at >= ${arg(query.since)}`);
      const sql = `SELECT * FROM webhook_attempts ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY attempted_at DESC, id DESC LIMIT ${arg(query.limit ?? 100)}`;
      return (await this.rows<AttemptRow>(sql, args)).map(toAttempt);
    }

    /** The conditions on dead letters of a replay query (columns of the alias `d`), their values added to `args`. */
    private deadLetters(query: { ids?: string[]; since?: number; registrationIds?: string[] }, args: unknown[]): string {
      const arg = (value: unknown) => `$${args.push(value)}`;
      const where = ["d.status = 'dead'"];
      if (query.ids) where.push(`d.id = ANY(${arg(query.ids)}::text[])`);
      if (query.since !== undefined) where.push(`d.finished_at >= ${arg(query.since)}`);
      if (query.registrationIds) where.push(`d.registration_id = ANY(${arg(query.registrationIds)}::text[])`);
      return where.join(" AND ");
    }

    async replayWebhookDeliveries(
      query: { ids?: string[]; since?: number; registrationIds?: string[] },
      now: number,
      db: Queryable = this.pool,
    ): Promise<string[]> {
      const args: unknown[] = [now];
      const rows = await this.rows<{ id: string }>(
        `UPDATE webhook_deliveries d SET status = 'pending', attempts = 0, next_attempt_at = $1, updated_at = $1, finished_at = NULL
         WHERE ${this.deadLetters(query, args)} RETURNING d.id`,
        args,
        db,
      );
      return rows.map((r) => r.id);
    }

    async replayDeadWebhookDeliveries(
      query: { ids?: string[]; since?: number; registrationId?: string },
      now: number,
    ): Promise<{ replayed: string[]; disabled: { id: string; registrationId: string; reason: string | null }[] }> {
      const matching = {
        ids: query.ids,
        since: query.since,
        registrationIds: query.registrationId === undefined ? undefined : [query.registrationId],
      };
      return this.tx(async (client) => {
        const args: unknown[] = [];
        const disabled = (
          await this.rows<{ id: string; registration_id: string; disabled_reason: string | null }>(
            `SELECT d.id, d.registration_id, r.disabled_reason FROM webhook_deliveries d JOIN webhook_registrations r ON r.id = d.registration_id
             WHERE ${this.deadLetters(matching, args)} AND r.disabled_at IS NOT NULL ORDER BY d.created_at, d.id`,
            args,
            client,
          )
        ).map((r) => ({ id: r.id, registrationId: r.registration_id, reason: r.disabled_reason }));
        const enabled = await this.rows<{ id: string }>(
          `SELECT d.id FROM webhook_deliveries d WHERE ${this.deadLetters(matching, ((args.length = 0), args))}
             AND d.registration_id NOT IN (SELECT id FROM webhook_registrations WHERE disabled_at IS NOT NULL)`,
          args,
          client,
        );
        const replayed = enabled.length === 0 ? [] : await this.replayWebhookDeliveries({ ids: enabled.map((r) => r.id) }, now, client);
        return { replayed: replayed.sort(), disabled };
      });
    }

    async killWebhookDeliveries(registrationId: string, error: string, now: number): Promise<number> {
      return this.changes(
        "UPDATE webhook_deliveries SET status = 'dead', last_error = $2, updated_at = $3, finished_at = $3 WHERE registration_id = $1 AND status = 'pending'",
        [registrationId, pgText(error), now],
      );
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

    // --- retention ---

    async pruneWebhookHistory(before: number): Promise<number> {
      let pruned = 0;
      for (;;) {
        const n = await this.deleteFinishedDeliveries(["delivered"], before, PRUNE_BATCH);
        pruned += n;
        if (n < PRUNE_BATCH) break;
        await yieldToEventLoop();
      }
      while ((await this.pruneWebhookEvents(before, PRUNE_BATCH)) === PRUNE_BATCH) await yieldToEventLoop();
      return pruned;
    }

    async pruneWebhookDeliveries(before: number, limit: number): Promise<number> {
      return this.deleteFinishedDeliveries(["delivered", "dead"], before, limit);
    }

    async pruneWebhookAttempts(before: number, limit: number): Promise<number> {
      // A pending delivery or a dead letter keeps its whole log (it is what explains it); the
      // delivery's own prune takes the log with it.
      return this.changes(
        `DELETE FROM webhook_attempts WHERE id IN
           (SELECT a.id FROM webhook_attempts a LEFT JOIN webhook_deliveries d ON d.id = a.delivery_id
            WHERE a.attempted_at < $1 AND (d.id IS NULL OR d.status = 'delivered') ORDER BY a.attempted_at LIMIT $2)`,
        [before, limit],
      );
    }

    /** Events stored before a time that no delivery or batch item needs (a dead letter is rendered again from its events). */
    async pruneWebhookEvents(before: number, limit: number): Promise<number> {
      return this.changes(
        `DELETE FROM webhook_events WHERE id IN
           (SELECT e.id FROM webhook_events e WHERE e.created_at < $1
              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_ids @> ARRAY[e.id])
              AND NOT EXISTS (SELECT 1 FROM webhook_batch_items b WHERE b.event_id = e.id)
            ORDER BY e.created_at LIMIT $2)`,
        [before, limit],
      );
    }

    /** Up to `limit` deliveries in these finished statuses, finished before a time, with their attempts, in one statement. */
    private async deleteFinishedDeliveries(statuses: ("delivered" | "dead")[], before: number, limit: number): Promise<number> {
      const [row] = await this.rows<{ n: number }>(
        `WITH gone AS (
           DELETE FROM webhook_deliveries WHERE id IN
             (SELECT id FROM webhook_deliveries WHERE status = ANY($1::text[]) AND finished_at < $2 ORDER BY finished_at LIMIT $3)
           RETURNING id),
         logs AS (DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM gone))
         SELECT COUNT(*) AS n FROM gone`,
        [statuses, before, limit],
      );
      return row.n;
    }
  };
}
