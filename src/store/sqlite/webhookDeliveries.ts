/**
 * The webhook deliveries on SQLite once in the outbox (the rest of WebhookStore, its retention
 * and replays): claimed with leases as jobs are (owner + expiry, renewed by the heartbeat, only
 * expired ones taken back, never by their own instance), released, read with their events'
 * envelopes, replayed, killed, and pruned in short batches.
 */
import type Database from "better-sqlite3";
import { toAttempt, type AttemptRow } from "../rows.js";
import type { Lease, WebhookAttemptQuery, WebhookAttemptRecord, WebhookDeliveryRecord, WebhookDeliveryStatus } from "../store.js";
import { DEFAULT_LEASE_MS } from "../store.js";
import { yieldToEventLoop, type SqlitePart } from "./base.js";

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

/** Rows per delete in pruneWebhookHistory: short statements, so a review's writes wait little. */
const PRUNE_BATCH = 500;

export function SqliteWebhookDeliveries<B extends SqlitePart>(Base: B) {
  return class SqliteWebhookDeliveries extends Base {
    /** The envelopes of a delivery's events, as a JSON array text. */
    private envelopesOf(row: { event_ids: string }): string {
      const get = this.stmt("SELECT envelope FROM webhook_events WHERE id = ?");
      const ids = JSON.parse(row.event_ids) as string[];
      return `[${ids.map((id) => (get.get(id) as { envelope: string } | undefined)?.envelope ?? "null").join(",")}]`;
    }

    private delivery(row: DeliveryRow): WebhookDeliveryRecord {
      return toDelivery(row, this.envelopesOf(row));
    }

    // --- claims and leases ---

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
      const claimed = this.tx(this.claimTx)(
        claim,
        registrationIds,
        now,
        limit,
        lease?.owner ?? null,
        lease?.expiresAt ?? now + DEFAULT_LEASE_MS,
      );
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
        this.stmt("UPDATE webhook_deliveries SET lease_expires_at = ? WHERE status = 'in_flight' AND lease_owner = ? RETURNING id").all(
          expiresAt,
          owner,
        ) as {
          id: string;
        }[]
      ).map((r) => r.id);
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

    // --- reads (the text of a list is one per combination of its filters, each prepared once) ---

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
      if (query.status) {
        where.push("status = ?");
        args.push(query.status);
      }
      if (query.registrationId) {
        where.push("registration_id = ?");
        args.push(query.registrationId);
      }
      if (query.since !== undefined) {
        where.push("updated_at >= ?");
        args.push(query.since);
      }
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
      if (query.eventType) {
        where.push("event_type = ?");
        args.push(query.eventType);
      }
      if (query.status) {
        where.push("status = ?");
        args.push(query.status);
      }
      if (query.deliveryId) {
        where.push("delivery_id = ?");
        args.push(query.deliveryId);
      }
      if (query.since !== undefined) {
        where.push("attempted_at >= ?");
        args.push(query.since);
      }
      const sql = `SELECT * FROM webhook_attempts ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY attempted_at DESC, id DESC LIMIT ?`;
      return (this.stmt(sql).all(...args, query.limit ?? 100) as AttemptRow[]).map(toAttempt);
    }

    // --- replays and dead letters (id lists go in as one JSON array; one text per combination of filters) ---

    async replayWebhookDeliveries(query: { ids?: string[]; since?: number; registrationIds?: string[] }, now: number): Promise<string[]> {
      const where = ["status = 'dead'"];
      const args: unknown[] = [];
      if (query.ids) {
        where.push("id IN (SELECT value FROM json_each(?))");
        args.push(JSON.stringify(query.ids));
      }
      if (query.since !== undefined) {
        where.push("finished_at >= ?");
        args.push(query.since);
      }
      if (query.registrationIds) {
        where.push("registration_id IN (SELECT value FROM json_each(?))");
        args.push(JSON.stringify(query.registrationIds));
      }
      const rows = this.stmt(
        `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ?, finished_at = NULL
         WHERE ${where.join(" AND ")} RETURNING id`,
      ).all(now, now, ...args) as { id: string }[];
      return rows.map((r) => r.id);
    }

    async replayDeadWebhookDeliveries(
      query: { ids?: string[]; since?: number; registrationId?: string },
      now: number,
    ): Promise<{ replayed: string[]; disabled: { id: string; registrationId: string; reason: string | null }[] }> {
      const where = ["status = 'dead'"];
      const args: unknown[] = [];
      if (query.ids) {
        where.push("id IN (SELECT value FROM json_each(?))");
        args.push(JSON.stringify(query.ids));
      }
      if (query.since !== undefined) {
        where.push("finished_at >= ?");
        args.push(query.since);
      }
      if (query.registrationId !== undefined) {
        where.push("registration_id = ?");
        args.push(query.registrationId);
      }
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

    async killWebhookDeliveries(registrationId: string, error: string, now: number): Promise<number> {
      return this.stmt(
        `UPDATE webhook_deliveries SET status = 'dead', last_error = ?, updated_at = ?, finished_at = ?
         WHERE registration_id = ? AND status = 'pending'`,
      ).run(error, now, now, registrationId).changes;
    }

    // --- retention (batch deletes; see RetentionStore) ---

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
  };
}
