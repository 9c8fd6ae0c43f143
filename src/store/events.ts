/**
 * What the store keeps for the dashboard (SecretStore, EventLogStore in store.ts): secrets the app
 * makes itself, and every envelope the bus carried, in order, with the helpers both stores share
 * to read a listEvents query the same way.
 */

/**
 * Secrets the app makes itself and must keep across restarts and instances (the dashboard's
 * session key when EMPATHY_SESSION_SECRET is unset). Never logged; copied by `empathy store copy`.
 */
export interface SecretStore {
  /**
   * The value kept under `name`; the first caller's `create()` when there is none. Inserted only
   * if absent, then read back: instances starting together all get the one value that was kept.
   */
  getOrCreateSecret(name: string, create: () => string): Promise<string>;
}

/** An event envelope as recorded (redacted): the bus's AnyEventEnvelope shape. */
export type StoredEnvelope = { id: string; event_type: string; timestamp: string; data: Record<string, unknown> };

/** One envelope to record, prepared (redacted, capped, serialised) by its writer (src/events/eventLog.ts). */
export interface NewStoredEvent {
  /** The envelope's id: recorded once (an envelope sent again under its id is not recorded twice). */
  id: string;
  eventType: string;
  /** Lower-cased "owner/name" the envelope names, or null. */
  repo: string | null;
  /** The envelope's time, ms since the epoch. */
  timestamp: number;
  /** The redacted envelope's JSON text. */
  envelope: string;
}

/** listEvents' query (the dashboard's StoredEventQuery). */
export interface StoredEventQuery {
  /** Lower-cased "owner/name": only events of these repositories (at most MAX_EVENT_QUERY_REPOS). */
  repos: string[];
  /** Also events naming no repository. */
  includeUnscoped: boolean;
  /** Only these event types; absent: all. */
  types?: string[];
  /** The `next` of the previous page (a seq); absent: the newest events. */
  before?: string;
  /** Clamped to 1..MAX_EVENT_PAGE. */
  limit: number;
}

export interface StoredEventPage {
  /** Newest first. */
  events: StoredEnvelope[];
  /** Cursor of the next (older) page; absent: no more. */
  next?: string;
}

/** A recorded envelope and its place in the order every instance reads (its seq). */
export interface SequencedEnvelope {
  seq: number;
  envelope: StoredEnvelope;
}

/** Most events one listEvents page returns, and one eventsAfter or eventsAfterSeq call. */
export const MAX_EVENT_PAGE = 500;
/** One more than the live stream's replay buffer (1,000): a resume that would miss more than the buffer holds can tell. */
export const MAX_EVENTS_AFTER = 1001;
/** Most repositories one listEvents query takes (more: refused). */
export const MAX_EVENT_QUERY_REPOS = 5000;

/**
 * Every envelope the bus carried, in order (`seq`), for the dashboard's history and for a live
 * stream resumed on another instance. Written in batches by the event log (src/events/eventLog.ts).
 */
export interface EventLogStore {
  /** Records the events in the order given, in one statement or transaction; an id already recorded is skipped. */
  appendEvents(events: NewStoredEvent[]): Promise<void>;
  /** Newest first, a page at a time (`before`/`next`: a seq as a string; one that is not: an empty page). */
  listEvents(query: StoredEventQuery): Promise<StoredEventPage>;
  /** The events recorded after the one with this envelope id, oldest first; undefined when that id is not recorded. */
  eventsAfter(id: string, options: { limit: number }): Promise<StoredEnvelope[] | undefined>;
  /**
   * The events recorded after `seq`, oldest first, at most `limit`: how every instance's live stream
   * tails the log. Reading after the last seq read sees each event once: events become visible in
   * seq order (SQLite has one writer; PostgreSQL appends under a lock, see its appendEvents).
   */
  eventsAfterSeq(seq: number, options: { limit: number }): Promise<SequencedEnvelope[]>;
  /** The seq of the event with this envelope id; undefined when it is not recorded. */
  eventSeq(id: string): Promise<number | undefined>;
  /** The seq of the newest recorded event; 0 when none is. */
  newestEventSeq(): Promise<number>;
  /**
   * Calls `listener` after each appendEvents of this store instance committed (in-process: this
   * instance's live stream reads its own events at once; other instances' come with its poll).
   * Returns a function that stops calling it.
   */
  onEventsAppended(listener: () => void): () => void;
}

/** listEvents' limit, clamped; a page size that is not a number is the largest page. */
export function eventPageLimit(limit: number, max = MAX_EVENT_PAGE): number {
  return Number.isFinite(limit) ? Math.min(max, Math.max(1, Math.floor(limit))) : max;
}

/** A `before` cursor as a seq; null for one that is not a seq (the page is then empty). */
export function eventCursor(before: string | undefined): number | null | undefined {
  if (before === undefined) return undefined;
  return /^[1-9]\d{0,15}$/.test(before) && Number.isSafeInteger(Number(before)) ? Number(before) : null;
}

/** An eventsAfterSeq position: a seq, or 0 for the start. */
export function checkEventSeq(seq: number): number {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`eventsAfterSeq: a seq is a non-negative integer (got ${String(seq)})`);
  return seq;
}

/** A listener set for onEventsAppended: a listener that throws never breaks the write or the others. */
export class AppendListeners {
  private readonly listeners = new Set<() => void>();

  add(listener: () => void): () => void {
    // Wrapped: the same function added twice is called twice and removed one at a time.
    const entry = () => listener();
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }

  notify(): void {
    for (const listener of this.listeners)
      try {
        listener();
      } catch {
        // The events are recorded: a listener's failure is its own.
      }
  }
}

/** Checks the repositories of a listEvents query. */
export function checkEventQuery(query: StoredEventQuery): void {
  if (query.repos.length > MAX_EVENT_QUERY_REPOS)
    throw new RangeError(`listEvents: at most ${MAX_EVENT_QUERY_REPOS} repositories per query (got ${query.repos.length})`);
}

/** A recorded envelope's JSON text as an envelope (written by the event log: always an object). */
export function parseStoredEnvelope(text: string): StoredEnvelope {
  return JSON.parse(text) as StoredEnvelope;
}

/** A page of rows read with one more than the limit: the page, and the cursor of the next one when there is more. */
export function eventPage(rows: { seq: number | string; envelope: string }[], limit: number): StoredEventPage {
  const page = rows.slice(0, limit);
  const events = page.map((r) => parseStoredEnvelope(r.envelope));
  return rows.length > limit ? { events, next: String(page[page.length - 1].seq) } : { events };
}

/** A secret's name and its new value, checked (an empty value would be kept for ever). */
export function checkSecretName(name: string): void {
  if (typeof name !== "string" || name.length === 0 || name.length > 200)
    throw new TypeError("a secret's name must be 1 to 200 characters");
}

export function checkSecretValue(value: unknown): string {
  if (typeof value !== "string" || value.length === 0) throw new TypeError("a secret's create() must return a non-empty string");
  return value;
}
