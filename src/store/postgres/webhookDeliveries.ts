/**
 * The webhook deliveries on PostgreSQL once in the outbox (the rest of WebhookStore, its retention
 * and replays): claimed in one statement with FOR UPDATE SKIP LOCKED and leases as for jobs
 * (owner + expiry, renewed by the heartbeat, only expired ones taken back, never by their own
 * instance), released, read with their events' envelopes, replayed, killed, and pruned in short
 * batches.
 */
import { toAttempt, type AttemptRow } from "../rows.js";
import type { Lease, WebhookAttemptQuery, WebhookAttemptRecord, WebhookDeliveryRecord, WebhookDeliveryStatus } from "../store.js";
import { DEFAULT_LEASE_MS } from "../store.js";
import { pgText, yieldToEventLoop, type PostgresPart, type Queryable } from "./base.js";

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

const byDue = (a: WebhookDeliveryRecord, b: WebhookDeliveryRecord) =>
  a.nextAttemptAt - b.nextAttemptAt || a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function PostgresWebhookDeliveries<B extends PostgresPart>(Base: B) {
  return class PostgresWebhookDeliveries extends Base {
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
