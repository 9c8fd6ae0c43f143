/**
 * The dashboard's part of the PostgreSQL store: secrets the app keeps (SecretStore) and every
 * envelope the bus carried (EventLogStore), paged newest first by seq, pruned by age. seq comes
 * from a sequence, and a sequence alone would let a row commit after one with a higher seq (two
 * instances writing at once): a reader tailing by seq would skip it for good. So appends take a
 * transaction-scoped advisory lock before drawing their seqs; the lock is released after the
 * commit is visible, so rows become visible in seq order and eventsAfterSeq misses none.
 */
import {
  AppendListeners,
  checkEventQuery,
  checkEventSeq,
  checkSecretName,
  checkSecretValue,
  eventCursor,
  eventPage,
  eventPageLimit,
  MAX_EVENTS_AFTER,
  parseStoredEnvelope,
  type NewStoredEvent,
  type SequencedEnvelope,
  type StoredEnvelope,
  type StoredEventPage,
  type StoredEventQuery,
} from "../events.js";
import { pgText, type PostgresPart } from "./base.js";

/** One statement for any batch: the columns as arrays, unnested in the order given (seq follows it). */
const APPEND = `INSERT INTO events (id, event_type, repo, timestamp, envelope)
  SELECT id, event_type, repo, timestamp, envelope
    FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[]) WITH ORDINALITY AS e(id, event_type, repo, timestamp, envelope, n)
   ORDER BY n
  ON CONFLICT (id) DO NOTHING`;

/** The advisory lock that orders appends (any constant every instance shares; the migrations' is 7_239_114_021). */
const EVENT_APPEND_LOCK = 7_239_114_022;

const LIST = `SELECT seq, envelope FROM events
  WHERE (repo = ANY($1::text[]) OR ($2 AND repo IS NULL))
    AND ($3::text[] IS NULL OR event_type = ANY($3::text[]))
    AND ($4::bigint IS NULL OR seq < $4::bigint)
  ORDER BY seq DESC LIMIT $5`;

export function PostgresEvents<B extends PostgresPart>(Base: B) {
  return class PostgresEvents extends Base {
    async getOrCreateSecret(name: string, create: () => string): Promise<string> {
      checkSecretName(name);
      const read = async () => (await this.rows<{ value: string }>("SELECT value FROM app_secrets WHERE name = $1", [name]))[0]?.value;
      const kept = await read();
      if (kept !== undefined) return kept;
      // Insert if absent (a concurrent insert of the same name waits for the other's commit), then read the one kept.
      await this.pool.query("INSERT INTO app_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING", [
        name,
        pgText(checkSecretValue(create())),
        Date.now(),
      ]);
      const value = await read();
      if (value === undefined) throw new Error(`the secret "${name}" could not be kept`);
      return value;
    }

    private readonly appended = new AppendListeners();

    async appendEvents(events: NewStoredEvent[]): Promise<void> {
      if (events.length === 0) return;
      await this.tx(async (client) => {
        // Held to the commit: the next append draws its seqs only once these rows are visible.
        await client.query("SELECT pg_advisory_xact_lock($1)", [EVENT_APPEND_LOCK]);
        await client.query(APPEND, [
          events.map((e) => pgText(e.id)),
          events.map((e) => pgText(e.eventType)),
          events.map((e) => pgText(e.repo)),
          events.map((e) => e.timestamp),
          events.map((e) => pgText(e.envelope)),
        ]);
      });
      this.appended.notify();
    }

    onEventsAppended(listener: () => void): () => void {
      return this.appended.add(listener);
    }

    async listEvents(query: StoredEventQuery): Promise<StoredEventPage> {
      checkEventQuery(query);
      const limit = eventPageLimit(query.limit);
      const before = eventCursor(query.before);
      if (before === null) return { events: [] };
      const rows = await this.rows<{ seq: number; envelope: string }>(LIST, [
        query.repos,
        query.includeUnscoped,
        query.types ?? null,
        before ?? null,
        limit + 1,
      ]);
      return eventPage(rows, limit);
    }

    async eventsAfter(id: string, options: { limit: number }): Promise<StoredEnvelope[] | undefined> {
      const [from] = await this.rows<{ seq: number }>("SELECT seq FROM events WHERE id = $1", [pgText(id)]);
      if (!from) return undefined;
      const rows = await this.rows<{ envelope: string }>("SELECT envelope FROM events WHERE seq > $1 ORDER BY seq LIMIT $2", [
        from.seq,
        eventPageLimit(options.limit, MAX_EVENTS_AFTER),
      ]);
      return rows.map((r) => parseStoredEnvelope(r.envelope));
    }

    async eventsAfterSeq(seq: number, options: { limit: number }): Promise<SequencedEnvelope[]> {
      const rows = await this.rows<{ seq: number; envelope: string }>(
        "SELECT seq, envelope FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
        [checkEventSeq(seq), eventPageLimit(options.limit, MAX_EVENTS_AFTER)],
      );
      return rows.map((r) => ({ seq: r.seq, envelope: parseStoredEnvelope(r.envelope) }));
    }

    async eventSeq(id: string): Promise<number | undefined> {
      return (await this.rows<{ seq: number }>("SELECT seq FROM events WHERE id = $1", [pgText(id)]))[0]?.seq;
    }

    async newestEventSeq(): Promise<number> {
      return (await this.rows<{ seq: number }>("SELECT COALESCE(MAX(seq), 0)::bigint AS seq FROM events"))[0].seq;
    }

    async pruneEvents(before: number, limit: number): Promise<number> {
      return this.changes("DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE timestamp < $1 ORDER BY timestamp LIMIT $2)", [
        before,
        limit,
      ]);
    }
  };
}
