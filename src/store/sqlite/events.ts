/**
 * The dashboard's part of the SQLite store: secrets the app keeps (SecretStore) and every
 * envelope the bus carried (EventLogStore), paged newest first by seq, pruned by age.
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
import type { SqlitePart } from "./base.js";

export function SqliteEvents<B extends SqlitePart>(Base: B) {
  return class SqliteEvents extends Base {
    async getOrCreateSecret(name: string, create: () => string): Promise<string> {
      checkSecretName(name);
      const get = this.stmt("SELECT value FROM app_secrets WHERE name = ?");
      const kept = get.get(name) as { value: string } | undefined;
      if (kept) return kept.value;
      // Insert if absent, then read: whoever inserted first, every caller returns the kept value.
      this.stmt("INSERT INTO app_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING").run(
        name,
        checkSecretValue(create()),
        Date.now(),
      );
      return (get.get(name) as { value: string }).value;
    }

    private readonly appended = new AppendListeners();

    async appendEvents(events: NewStoredEvent[]): Promise<void> {
      if (events.length === 0) return;
      // One writer at a time (the database's lock): rows commit in seq order, as eventsAfterSeq needs.
      this.tx(this.appendTx)(events);
      this.appended.notify();
    }

    onEventsAppended(listener: () => void): () => void {
      return this.appended.add(listener);
    }

    private readonly appendTx = (events: NewStoredEvent[]): void => {
      const insert = this.stmt(
        "INSERT INTO events (id, event_type, repo, timestamp, envelope) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
      );
      for (const e of events) insert.run(e.id, e.eventType, e.repo, e.timestamp, e.envelope);
    };

    async listEvents(query: StoredEventQuery): Promise<StoredEventPage> {
      checkEventQuery(query);
      const limit = eventPageLimit(query.limit);
      const before = eventCursor(query.before);
      if (before === null) return { events: [] };
      // One of four texts (types and before each given or not), each prepared once; lists go in as JSON arrays.
      const where = ["(repo IN (SELECT value FROM json_each(?)) OR (? = 1 AND repo IS NULL))"];
      const args: unknown[] = [JSON.stringify(query.repos), query.includeUnscoped ? 1 : 0];
      if (query.types !== undefined) {
        where.push("event_type IN (SELECT value FROM json_each(?))");
        args.push(JSON.stringify(query.types));
      }
      if (before !== undefined) {
        where.push("seq < ?");
        args.push(before);
      }
      const rows = this.stmt(`SELECT seq, envelope FROM events WHERE ${where.join(" AND ")} ORDER BY seq DESC LIMIT ?`).all(
        ...args,
        limit + 1,
      );
      return eventPage(rows as { seq: number; envelope: string }[], limit);
    }

    async eventsAfter(id: string, options: { limit: number }): Promise<StoredEnvelope[] | undefined> {
      const from = this.stmt("SELECT seq FROM events WHERE id = ?").get(id) as { seq: number } | undefined;
      if (!from) return undefined;
      const rows = this.stmt("SELECT envelope FROM events WHERE seq > ? ORDER BY seq LIMIT ?").all(
        from.seq,
        eventPageLimit(options.limit, MAX_EVENTS_AFTER),
      );
      return (rows as { envelope: string }[]).map((r) => parseStoredEnvelope(r.envelope));
    }

    async eventsAfterSeq(seq: number, options: { limit: number }): Promise<SequencedEnvelope[]> {
      const rows = this.stmt("SELECT seq, envelope FROM events WHERE seq > ? ORDER BY seq LIMIT ?").all(
        checkEventSeq(seq),
        eventPageLimit(options.limit, MAX_EVENTS_AFTER),
      ) as { seq: number; envelope: string }[];
      return rows.map((r) => ({ seq: r.seq, envelope: parseStoredEnvelope(r.envelope) }));
    }

    async eventSeq(id: string): Promise<number | undefined> {
      return (this.stmt("SELECT seq FROM events WHERE id = ?").get(id) as { seq: number } | undefined)?.seq;
    }

    async newestEventSeq(): Promise<number> {
      return (this.stmt("SELECT COALESCE(MAX(seq), 0) AS seq FROM events").get() as { seq: number }).seq;
    }

    async pruneEvents(before: number, limit: number): Promise<number> {
      return this.stmt("DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE timestamp < ? ORDER BY timestamp LIMIT ?)").run(
        before,
        limit,
      ).changes;
    }
  };
}
