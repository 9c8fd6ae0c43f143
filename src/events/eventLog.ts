/**
 * The event log: every envelope the bus carries, recorded in the store (the dashboard's history,
 * and a live stream resumed on another instance), without the bus ever waiting for it.
 *
 * - The bus listener only appends the envelope to a queue: O(1), no I/O, no promise returned, so
 *   the bus neither waits for it nor tracks it (1,000 events/s cost it nothing).
 * - A timer writes the queue in batches, one write at a time, many events per statement: every
 *   `flushMs` (100 ms), or at once (next turn of the event loop) when `batchSize` (200) wait.
 * - Each envelope is redacted (redactDeep) and serialised in the write, off the bus. One whose
 *   JSON is over `maxEnvelopeBytes` (64 KB), or that cannot be serialised, is stored with its data
 *   replaced by a note that keeps its short top-level fields (repo, pr_number, user_id…): it is
 *   still scoped to its repository, listed, and found by data deletion.
 * - Bounded: at most `maxPending` (10,000: ten seconds at 1,000 events/s) envelopes wait. When
 *   the store is down or slow for longer, the OLDEST are dropped and counted, with a warning at
 *   most once a minute.
 * - A failed write is logged (its error message and a count, never a payload) and its events are
 *   tried once more with the next batch; failing again, they are dropped and counted.
 * - `close()` stops listening and writes what is pending (call it after the bus settled, before
 *   the store closes).
 */
import { redactDeep } from "../analysis/secrets.js";
import type { Log } from "../logging/log.js";
import { errorMessage } from "../text/errorMessage.js";
import { truncate } from "../text/truncate.js";
import type { EventBus } from "./bus.js";
import type { AnyEventEnvelope } from "./catalog.js";
import { repoOf } from "./repo.js";

/** One envelope as the store records it (the store's NewStoredEvent). */
export interface EventLogRow {
  id: string;
  eventType: string;
  /** Lower-cased "owner/name" (repoOf), or null. */
  repo: string | null;
  /** The envelope's time, ms since the epoch. */
  timestamp: number;
  /** The redacted (and capped) envelope's JSON. */
  envelope: string;
}

/** What the log needs of the store: the store (EventLogStore) is injected, never imported. */
export interface EventLogSink {
  appendEvents(events: EventLogRow[]): Promise<void>;
}

export interface EventLogOptions {
  flushMs?: number;
  batchSize?: number;
  maxPending?: number;
  maxEnvelopeBytes?: number;
  log?: Pick<Log, "warn">;
  now?: () => number;
}

export const DEFAULT_MAX_ENVELOPE_BYTES = 64 * 1024;
/** A note keeps at most this many short top-level fields of a capped envelope's data. */
const NOTE_FIELDS = 32;
const NOTE_STRING = 256;
const MAX_ID = 200;
const DROP_WARNING_MS = 60_000;

export class EventLog {
  private queue: AnyEventEnvelope[] = [];
  private head = 0;
  /** Rows of the last failed write: tried once more with the next batch. */
  private retry: EventLogRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Infinity;
  private writing: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private closed = false;
  /** Rows of the write under way. */
  private inFlight = 0;
  /** close() gave up waiting: no further write is started. */
  private abandoned = false;
  private lastDropWarning = -Infinity;
  private droppedSinceWarning = 0;
  private readonly o: Required<Omit<EventLogOptions, "log">> & Pick<EventLogOptions, "log">;
  /** Since start: rows written, envelopes dropped (queue full or unusable), rows lost (a write failed twice), failed writes. */
  readonly stats = { written: 0, dropped: 0, lost: 0, failedWrites: 0 };

  constructor(
    private readonly sink: EventLogSink,
    options: EventLogOptions = {},
  ) {
    this.o = { flushMs: 100, batchSize: 200, maxPending: 10_000, maxEnvelopeBytes: DEFAULT_MAX_ENVELOPE_BYTES, now: Date.now, ...options };
  }

  /** Envelopes waiting to be written. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Listens to every event of the bus; returns a function that stops listening. */
  attach(bus: Pick<EventBus, "on">): () => void {
    this.unsubscribe?.();
    this.unsubscribe = bus.on("*", this.onEvent);
    return () => this.detach();
  }

  detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Writes everything pending now (a write under way first); never throws: failures are logged and counted. */
  async flush(): Promise<void> {
    this.clearTimer();
    while (this.writing) await this.writing;
    while (this.pending > 0 && !this.abandoned) await this.run();
  }

  /**
   * Stops listening, writes what is pending and gives failed rows their one more try, for at most
   * `timeoutMs` (default 5 s): a store that hangs cannot hold the shutdown; what is left is counted.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.closed = true;
    this.detach();
    const done = (async () => {
      await this.flush();
      if (this.retry.length > 0 && !this.abandoned) await this.run();
      return true;
    })();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), options.timeoutMs ?? 5000);
      timer.unref();
    });
    const finished = await Promise.race([done, timeout]);
    clearTimeout(timer);
    this.clearTimer();
    if (this.droppedSinceWarning > 0)
      this.o.log?.warn(
        { dropped: this.droppedSinceWarning, droppedTotal: this.stats.dropped },
        "event log: more of the oldest events were dropped since the last warning",
      );
    this.droppedSinceWarning = 0;
    if (finished) return;
    this.abandoned = true;
    const left = this.pending + this.retry.length + this.inFlight;
    this.stats.lost += left;
    this.o.log?.warn({ left }, "event log: the store did not answer in time at close; the events left were not written");
  }

  /** The bus listener. */
  private readonly onEvent = (env: AnyEventEnvelope): void => {
    this.queue.push(env);
    if (this.pending > this.o.maxPending) this.dropOldest();
    this.schedule(this.pending >= this.o.batchSize ? 0 : this.o.flushMs);
  };

  /** The oldest `n` waiting envelopes, removed from the queue (compacted now and then: amortised O(1) each). */
  private take(n: number): AnyEventEnvelope[] {
    const end = Math.min(this.queue.length, this.head + n);
    const out = this.queue.slice(this.head, end) as AnyEventEnvelope[];
    this.head = end;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  private dropOldest(): void {
    this.take(1);
    this.stats.dropped++;
    this.droppedSinceWarning++;
    const now = this.o.now();
    if (now - this.lastDropWarning >= DROP_WARNING_MS) {
      this.o.log?.warn(
        { dropped: this.droppedSinceWarning, droppedTotal: this.stats.dropped, maxPending: this.o.maxPending },
        "event log: the store is not keeping up; the oldest events were dropped",
      );
      this.lastDropWarning = now;
      this.droppedSinceWarning = 0;
    }
  }

  /** A write in `delayMs` (sooner if one is already due sooner); none while one is under way (its end schedules the next). */
  private schedule(delayMs: number): void {
    if (this.writing || this.closed) return;
    const due = this.o.now() + delayMs;
    if (this.timer && this.timerDue <= due) return;
    this.clearTimer();
    this.timerDue = due;
    this.timer = setTimeout(this.tick, delayMs);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Infinity;
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    this.timerDue = Infinity;
    if (this.writing || (this.pending === 0 && this.retry.length === 0)) return;
    void this.run().then((ok) => {
      // After a failure, wait a whole interval: a store that is down is not hammered.
      if (this.pending > 0 || this.retry.length > 0) this.schedule(ok && this.pending >= this.o.batchSize ? 0 : this.o.flushMs);
    });
  };

  /** One write (of the next batch with the rows to retry); true if it succeeded. */
  private run(): Promise<boolean> {
    const write = this.writeBatch();
    this.writing = write.then(() => undefined);
    return write.finally(() => (this.writing = undefined));
  }

  private async writeBatch(): Promise<boolean> {
    const retried = this.retry;
    const fresh: EventLogRow[] = [];
    for (const env of this.take(this.o.batchSize)) {
      let row: EventLogRow | undefined;
      try {
        row = eventLogRow(env, this.o.maxEnvelopeBytes, this.o.now);
      } catch {
        row = undefined; // hostile data (a throwing getter): dropped, counted
      }
      if (row) fresh.push(row);
      else this.stats.dropped++;
    }
    this.retry = [];
    const rows = retried.length > 0 ? [...retried, ...fresh] : fresh;
    if (rows.length === 0) return true;
    this.inFlight = rows.length;
    try {
      await this.sink.appendEvents(rows);
      this.stats.written += rows.length;
      return true;
    } catch (err) {
      this.stats.failedWrites++;
      // The retried rows had their second chance; the fresh ones get theirs with the next batch.
      this.stats.lost += retried.length;
      this.retry = fresh;
      try {
        this.o.log?.warn(
          { err: truncate(errorMessage(err), 300), events: rows.length, lost: retried.length },
          "event log: writing events failed; they are tried once more with the next batch",
        );
      } catch {
        // A broken logger must not break the log.
      }
      return false;
    } finally {
      this.inFlight = 0;
    }
  }
}

/**
 * An envelope as recorded: redacted, its JSON at most `maxBytes` (else its data replaced by a note
 * keeping its short top-level fields); undefined for one without a usable id.
 */
export function eventLogRow(
  env: AnyEventEnvelope,
  maxBytes = DEFAULT_MAX_ENVELOPE_BYTES,
  now: () => number = Date.now,
): EventLogRow | undefined {
  if (typeof env?.id !== "string" || env.id.length === 0 || env.id.length > MAX_ID || typeof env.event_type !== "string") return undefined;
  let envelope: string | undefined;
  let note: string;
  try {
    // Measured before the redaction, so an oversized envelope is never redacted whole.
    const bytes = jsonBytes(JSON.stringify(env), maxBytes);
    if (bytes <= maxBytes) {
      envelope = JSON.stringify(redactDeep(env));
      if (jsonBytes(envelope, maxBytes) > maxBytes) envelope = undefined;
    }
    note = `data not stored: its envelope is over ${Math.round(maxBytes / 1024)} KB${bytes <= maxBytes ? " once redacted" : ` (${bytes} bytes)`}; its short fields are kept`;
  } catch {
    note = "data not stored: it cannot be written as JSON; its short fields are kept";
  }
  envelope ??= JSON.stringify(redactDeep(noted(env, note)));
  const time = Date.parse(env.timestamp);
  return {
    id: env.id,
    eventType: truncate(env.event_type, MAX_ID),
    repo: repoOf(env),
    timestamp: Number.isFinite(time) ? time : now(),
    envelope,
  };
}

/** The UTF-8 size of a JSON text; under a third of the limit in characters, under it in bytes (not counted exactly). */
function jsonBytes(text: string, maxBytes: number): number {
  return text.length * 3 <= maxBytes ? text.length : Buffer.byteLength(text);
}

/** The envelope with its data replaced by the note and the data's short top-level fields. */
function noted(env: AnyEventEnvelope, note: string): AnyEventEnvelope {
  const kept: Record<string, unknown> = {};
  let n = 0;
  const data = env.data !== null && typeof env.data === "object" ? env.data : {};
  for (const key of Object.keys(data)) {
    if (n >= NOTE_FIELDS) break;
    const v = (data as Record<string, unknown>)[key];
    const short = typeof v === "string" ? v.length <= NOTE_STRING : typeof v === "number" || typeof v === "boolean" || v === null;
    if (!short || key.length > 64 || key === "_note") continue;
    kept[key] = typeof v === "number" && !Number.isFinite(v) ? null : v;
    n++;
  }
  return { id: env.id, event_type: env.event_type, timestamp: String(env.timestamp), data: { ...kept, _note: note } };
}
