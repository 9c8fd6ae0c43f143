/**
 * Live events over Server-Sent Events. Frames go into a bounded ring, serialised and redacted once
 * when a viewer first needs them, which is both the replay buffer (for `Last-Event-ID`) and every
 * viewer's queue: a viewer is a cursor in the ring, written to while its socket takes data and
 * resumed on 'drain'. A viewer that falls further behind than the ring holds is dropped (its
 * browser reconnects and resumes by id), so a slow viewer costs the others nothing and memory
 * stays bounded. The ring is fed in one of two ways:
 *
 * - **The store (shared mode)**, when the history can be tailed (eventsAfterSeq, eventSeq,
 *   newestEventSeq): every instance records every envelope of its bus in the store's events
 *   table (src/events/eventLog.ts), so every instance's stream reads them all from there, in the
 *   store's order (seq), and a viewer behind a load balancer sees each event of every instance
 *   once, in the same order on every instance. That is what makes `Last-Event-ID` exact across
 *   instances: "after this id" means the same thing everywhere. One poll per instance, never per
 *   viewer, and only while a viewer is connected (none connected: no store read at all): every
 *   `pollMs` (1 s), at once after this instance recorded events (onEventsAppended; at most one
 *   poll per `flushMs`), at once again while a page comes back full; `pollLimit` events a page.
 *   A store error is logged and retried with a growing wait (up to `maxBackoffMs`), never thrown.
 *   Exactly once needs no memory of ids: the poll reads after the last seq it took, and the store
 *   makes rows visible in seq order (see src/store/postgres/events.ts).
 * - **This instance's bus**, without such a history (tests, the bench): one bus listener for all
 *   viewers, which only appends the envelope to a list and schedules a flush (at most every
 *   `flushMs`, 100 ms: one socket write per viewer per flush, not per event, which is what 100
 *   viewers at 1,000 events/s cost — see `npm run bench:dashboard`).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { redactDeep } from "../analysis/secrets.js";
import type { EventBus } from "../events/bus.js";
import type { AnyEventEnvelope } from "../events/catalog.js";
import { repoOf } from "../events/repo.js";
import type { Log } from "../logging/log.js";
import { errorMessage } from "../text/errorMessage.js";
import { truncate } from "../text/truncate.js";
import type { EventHistory, SequencedEvent } from "./history.js";
import { SECURITY_HEADERS } from "./http.js";

export interface StreamOptions {
  /** Events kept for resume (default 1000). */
  replay?: number;
  /** Comment lines that keep proxies from closing an idle stream (default 15 s). */
  keepAliveMs?: number;
  /** Longest wait between an event and its write to the viewers (default 100 ms; 0: the next turn). */
  flushMs?: number;
  /** Bytes written to a socket in one go (default 64 KB). */
  chunkBytes?: number;
  /** Streams per process (default 500) and per viewer (default 8). */
  maxClients?: number;
  maxPerViewer?: number;
  /** Shared mode: how often the store is read while a viewer is connected (default 1 s). */
  pollMs?: number;
  /** Shared mode: most events one store read takes (default 250; at most half the replay buffer). */
  pollLimit?: number;
  /** Shared mode: longest wait between store reads after errors (default 30 s). */
  maxBackoffMs?: number;
  /** The store's events: a resume older than the replay buffer, and (with all its reads) the shared mode. */
  history?: Pick<EventHistory, "eventsAfter" | "eventsAfterSeq" | "eventSeq" | "newestEventSeq" | "onEventsAppended">;
  log?: Pick<Log, "debug" | "warn">;
  now?: () => number;
}

/** What one viewer may see and asked to see. */
export interface StreamFilter {
  login: string;
  /** Repositories the viewer may see (lower-cased "owner/name"). */
  allowed: ReadonlySet<string>;
  /** Events naming no repository: admins only. */
  unscoped: boolean;
  /** Narrowed to these repositories / types; null: all allowed. */
  repos: ReadonlySet<string> | null;
  types: ReadonlySet<string> | null;
}

interface Frame {
  seq: number;
  env: AnyEventEnvelope;
  type: string;
  repo: string | null;
  /** Serialised (and redacted) when a viewer first needs it: no viewer, no cost. */
  text?: string;
  /** Shared mode: the event's seq in the store (0 otherwise). */
  storeSeq: number;
}

/** The store's reads that shared mode needs. */
type StoreTail = Required<Pick<EventHistory, "eventsAfterSeq" | "eventSeq" | "newestEventSeq">> & Pick<EventHistory, "onEventsAppended">;

const RESET = "event: reset\ndata: {}\n\n";

interface Client {
  res: ServerResponse;
  filter: StreamFilter;
  endsAt: number;
  /** The seq of the next frame to consider for this client. */
  cursor: number;
  /** Shared mode: frames of a store seq up to this one were sent by its resume. */
  after: number;
  /** The socket asked us to wait for 'drain'. */
  waiting: boolean;
}

/** The repository an envelope concerns: one function with the event log's (src/events/repo.ts). */
export { repoOf };

export function visible(filter: StreamFilter, type: string, repo: string | null): boolean {
  if (filter.types && !filter.types.has(type)) return false;
  if (repo === null) return filter.unscoped && filter.repos === null;
  return filter.allowed.has(repo) && (filter.repos === null || filter.repos.has(repo));
}

export class EventStream {
  private readonly clients = new Set<Client>();
  private readonly perViewer = new Map<string, number>();
  private incoming: AnyEventEnvelope[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private flushingSoon = false;
  private readonly ring: (Frame | undefined)[];
  private readonly bySeqId = new Map<string, number>();
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private unsubscribe: (() => void) | undefined;
  private readonly o: Required<Omit<StreamOptions, "history" | "log">> & Pick<StreamOptions, "history" | "log">;
  /** Clients dropped for being too slow, since start (for tests and metrics). */
  dropped = 0;

  // Shared mode (see the top of this file).
  private readonly tail: StoreTail | undefined;
  private readonly pollLimit: number;
  /** The last store seq the ring took; undefined until the store answered once. */
  private storeSeq: number | undefined;
  /** The ring holds every stored event with a seq in (base, storeSeq]. */
  private base = 0;
  /** The ring's first frame seq since it was last cleared, and how many times it was. */
  private ringStart = 1;
  private ringEpoch = 0;
  private polling = false;
  /** Counts starts and stops of the polling: a read begun before one is not taken after it. */
  private pollGen = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private pollDue = Infinity;
  private pollInFlight = false;
  /** This instance recorded events while a read was under way: read again once it ends. */
  private pollAgain = false;
  private lastPollAt = -Infinity;
  /** After polling (re)starts, the store's newest seq is read first (events stored meanwhile are not replayed live). */
  private needsSync = true;
  private failures = 0;
  private syncWaiters: (() => void)[] = [];
  /** Streams between their first check and their joining the clients (polling keeps on for them). */
  private connecting = 0;
  private stopAppended: (() => void) | undefined;
  /** Shared mode: store reads by the poll since start, and the ones that failed (for tests and metrics). */
  readonly pollStats = { polls: 0, failures: 0 };

  constructor(
    private readonly bus: Pick<EventBus, "on">,
    options: StreamOptions = {},
  ) {
    this.o = {
      replay: 1000,
      keepAliveMs: 15_000,
      flushMs: 100,
      chunkBytes: 64 * 1024,
      maxClients: 500,
      maxPerViewer: 8,
      pollMs: 1000,
      pollLimit: 250,
      maxBackoffMs: 30_000,
      now: Date.now,
      ...options,
    };
    this.ring = new Array(this.o.replay);
    const h = this.o.history;
    this.tail = h?.eventsAfterSeq && h.eventSeq && h.newestEventSeq ? (h as StoreTail) : undefined;
    // A page never fills more than half the ring: a viewer that keeps up is never dropped by one read.
    this.pollLimit = Math.max(1, Math.min(Math.floor(this.o.pollLimit), Math.floor(this.o.replay / 2))) || 1;
  }

  /** True when the stream carries every instance's events from the store, false when only this instance's bus. */
  get shared(): boolean {
    return this.tail !== undefined;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    if (this.tail) this.stopAppended = this.tail.onEventsAppended?.(this.onAppended);
    else this.unsubscribe = this.bus.on("*", this.onEvent);
    this.timer = setInterval(() => this.tick(), this.o.keepAliveMs);
    this.timer.unref();
  }

  stop(): void {
    this.started = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.stopAppended?.();
    this.stopAppended = undefined;
    this.stopPolling();
    clearInterval(this.timer);
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushingSoon = false;
    for (const c of [...this.clients]) c.res.end();
  }

  get size(): number {
    return this.clients.size;
  }

  /** The bus listener: O(1), no I/O. More events than the buffer holds in one turn: the oldest go. */
  private readonly onEvent = (env: AnyEventEnvelope): void => {
    this.incoming.push(env);
    if (this.incoming.length > this.o.replay * 2) this.incoming = this.incoming.slice(-this.o.replay);
    // A burst is written at once, before it could outrun the ring; otherwise at most every flushMs.
    if (this.incoming.length >= this.o.replay / 4 && !this.flushingSoon) {
      clearTimeout(this.flushTimer);
      this.flushingSoon = true;
      this.flushTimer = setTimeout(this.flush, 0);
    } else this.flushTimer ??= setTimeout(this.flush, this.o.flushMs);
  };

  private readonly flush = (): void => {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushingSoon = false;
    const batch = this.incoming;
    this.incoming = [];
    for (const env of batch) this.remember(env);
    for (const c of [...this.clients]) this.pump(c);
  };

  /** Writes the client's frames from its cursor while its socket takes them. */
  private pump(c: Client): void {
    // Waiting for 'drain' while the ring moved past its next frame: more than the whole ring behind.
    if (c.cursor <= this.seq - this.o.replay) return this.drop(c);
    while (!c.waiting && c.cursor <= this.seq) {
      if (c.res.destroyed || c.res.writableEnded) return this.remove(c);
      let out = "";
      while (c.cursor <= this.seq && out.length < this.o.chunkBytes) {
        const f = this.ring[c.cursor % this.o.replay];
        // Its frame was overwritten: this client is more than the whole ring behind.
        if (!f || f.seq !== c.cursor) return this.drop(c);
        c.cursor++;
        if ((c.after === 0 || f.storeSeq > c.after) && visible(c.filter, f.type, f.repo)) out += f.text ??= frameText(f.env);
      }
      if (out && !c.res.write(out)) {
        c.waiting = true;
        c.res.once("drain", () => {
          c.waiting = false;
          this.pump(c);
        });
      }
    }
  }

  private remember(env: AnyEventEnvelope, storeSeq = 0): Frame {
    const seq = ++this.seq;
    const slot = seq % this.o.replay;
    const old = this.ring[slot];
    if (old) {
      // An id sent again (bus.publish) maps to its latest frame: only forget the mapping that is this one's.
      if (this.bySeqId.get(old.env.id) === old.seq) this.bySeqId.delete(old.env.id);
      if (old.storeSeq > this.base) this.base = old.storeSeq;
    }
    const frame: Frame = { seq, env, type: env.event_type, repo: repoOf(env), storeSeq };
    this.ring[slot] = frame;
    this.bySeqId.set(env.id, seq);
    return frame;
  }

  /**
   * Takes over the response as an event stream; false (nothing written) when the limits refuse
   * it, for the caller to answer 503. The stream ends at `endsAt`: the browser reconnects, and
   * its session (and repository list) is checked again then.
   */
  async connect(req: IncomingMessage, res: ServerResponse, filter: StreamFilter, endsAt: number): Promise<boolean> {
    const mine = this.perViewer.get(filter.login) ?? 0;
    if (this.clients.size + this.connecting >= this.o.maxClients || mine >= this.o.maxPerViewer) return false;
    // Events still waiting for their flush get their ids now, so a Last-Event-ID naming one resumes from it.
    if (this.incoming.length > 0) this.flush();
    this.perViewer.set(filter.login, mine + 1); // reserved now: a resume from the store awaits below
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    let first = "retry: 3000\n: connected\n\n";
    const last = lastEventId(req);
    this.connecting++;
    let client: Client;
    try {
      if (this.tail) {
        this.startPolling();
        await this.synced();
      }
      client = { res, filter, endsAt, cursor: this.seq + 1, after: 0, waiting: false };
      const from = last === undefined ? undefined : this.bySeqId.get(last);
      if (from !== undefined) client.cursor = from + 1;
      else if (last !== undefined)
        first += this.tail ? await this.resumeShared(last, filter, client) : await this.resumeFromStore(last, filter);
      // Added only now, so that no live frame is written before the preamble and the stored ones.
      this.clients.add(client);
    } finally {
      this.connecting--;
    }
    const remove = () => this.remove(client);
    res.on("error", remove); // a reset connection is the client leaving, never a crash
    res.on("close", remove);
    req.on("close", remove);
    if (res.destroyed) {
      this.remove(client);
      return true;
    }
    res.write(first);
    this.pump(client);
    return true;
  }

  /** The stored events after `last` the filter lets through; an `event: reset` when they cannot be known (or are more than the replay buffer). */
  private async resumeFromStore(last: string, filter: StreamFilter): Promise<string> {
    try {
      const stored = await this.o.history?.eventsAfter?.(last, { limit: this.o.replay + 1 });
      if (stored && stored.length <= this.o.replay)
        return stored
          .filter((e) => visible(filter, e.event_type, repoOf(e)))
          .map(frameText)
          .join("");
    } catch (err) {
      this.warn(err, "dashboard: reading stored events for a resume failed");
    }
    return RESET;
  }

  /**
   * Shared mode: a resume from an id the ring no longer (or never) held. The stored events after it
   * are sent, then the ring's frames after the last of them: none twice, none missed. More than
   * the replay buffer after it, an unknown id, or a store that does not answer: `event: reset`
   * (the page reloads its history), then live events.
   */
  private async resumeShared(last: string, filter: StreamFilter, client: Client): Promise<string> {
    const tail = this.tail!;
    const epoch = this.ringEpoch;
    try {
      const from = await tail.eventSeq(last);
      if (from === undefined) return RESET;
      const rows = await tail.eventsAfterSeq(from, { limit: this.o.replay + 1 });
      if (rows.length > this.o.replay) return RESET;
      const after = rows.length > 0 ? rows[rows.length - 1].seq : from;
      // The ring must hold every event after those read: not so if it was cleared or moved past them meanwhile.
      if (epoch !== this.ringEpoch || this.storeSeq === undefined || after < this.base) return RESET;
      let out = "";
      for (const r of rows)
        if (usable(r.envelope) && visible(filter, r.envelope.event_type, repoOf(r.envelope))) out += frameText(r.envelope);
      client.after = after;
      client.cursor = Math.max(this.ringStart, this.seq - this.o.replay + 1);
      return out;
    } catch (err) {
      this.warn(err, "dashboard: reading stored events for a resume failed");
      return RESET;
    }
  }

  /** Shared mode: polling starts with the first stream (its first read: the store's newest seq). */
  private startPolling(): void {
    if (!this.tail || this.polling || !this.started) return;
    this.polling = true;
    this.pollGen++;
    this.needsSync = true;
    this.failures = 0; // a new start reads at once, whatever the last one met
    this.schedulePoll(0);
  }

  /** No stream left: no more store reads until the next one. */
  private stopPollingIfIdle(): void {
    if (this.clients.size === 0 && this.connecting === 0) this.stopPolling();
  }

  private stopPolling(): void {
    if (!this.polling) return;
    this.polling = false;
    this.pollGen++;
    clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    this.pollDue = Infinity;
    this.releaseSyncWaiters();
  }

  /** Resolves once the store's newest seq was read (or could not be) since polling started. */
  private synced(): Promise<void> {
    if (!this.polling || !this.needsSync) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  private releaseSyncWaiters(): void {
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const w of waiters) w();
  }

  /** The next read in `delayMs` (sooner if one is due sooner); none while one is under way (its end schedules the next). */
  private schedulePoll(delayMs: number): void {
    if (!this.polling || this.pollInFlight) return;
    const due = Date.now() + delayMs;
    if (this.pollTimer && this.pollDue <= due) return;
    clearTimeout(this.pollTimer);
    this.pollDue = due;
    this.pollTimer = setTimeout(this.poll, delayMs);
    this.pollTimer.unref();
  }

  /** This instance recorded events: read them now, not at the next poll (not while backing off from errors). */
  private readonly onAppended = (): void => {
    if (!this.polling || this.failures > 0) return;
    if (this.pollInFlight) this.pollAgain = true;
    else this.schedulePoll(Math.max(0, this.lastPollAt + this.o.flushMs - Date.now()));
  };

  private readonly poll = (): void => {
    void this.pollOnce();
  };

  /** One store read: the newest seq after a (re)start, else the next page of events. Never throws. */
  private async pollOnce(): Promise<void> {
    this.pollTimer = undefined;
    this.pollDue = Infinity;
    const tail = this.tail;
    if (!tail || !this.polling || this.pollInFlight) return;
    const gen = this.pollGen;
    this.pollInFlight = true;
    this.pollAgain = false;
    this.lastPollAt = Date.now();
    this.pollStats.polls++;
    let delay = this.o.pollMs;
    try {
      if (this.needsSync || this.storeSeq === undefined) {
        const newest = await tail.newestEventSeq();
        if (gen === this.pollGen) this.sync(newest);
      } else {
        const rows = await tail.eventsAfterSeq(this.storeSeq, { limit: this.pollLimit });
        if (gen === this.pollGen) {
          this.take(rows);
          if (rows.length >= this.pollLimit) delay = 0; // more are waiting
        }
      }
      this.failures = 0;
    } catch (err) {
      this.failures++;
      this.pollStats.failures++;
      delay = Math.min(this.o.maxBackoffMs, this.o.pollMs * 2 ** Math.min(this.failures, 20));
      this.warn(err, "dashboard: reading new events from the store failed; the live stream tries again later", {
        failures: this.failures,
        retryInMs: delay,
      });
    } finally {
      this.pollInFlight = false;
    }
    // The streams waiting for the first read go on, whether it worked or not (a resume then says reset).
    if (gen === this.pollGen) this.releaseSyncWaiters();
    if (this.pollAgain && this.failures === 0) delay = Math.min(delay, Math.max(0, this.lastPollAt + this.o.flushMs - Date.now()));
    if (gen !== this.pollGen) delay = 0; // restarted meanwhile: its first read is due now
    this.schedulePoll(delay);
  }

  /**
   * The store's newest seq after polling (re)started. Unchanged: the ring goes on. Moved: the
   * events stored meanwhile are not sent as live ones; the ring restarts there, and the streams
   * that were kept on through a failed first read end (their browsers resume by id, from the store).
   */
  private sync(newest: number): void {
    this.needsSync = false;
    if (newest === this.storeSeq) return;
    this.ring.fill(undefined);
    this.bySeqId.clear();
    this.ringStart = this.seq + 1;
    this.ringEpoch++;
    this.storeSeq = newest;
    this.base = newest;
    for (const c of [...this.clients]) {
      this.remove(c);
      c.res.end();
    }
  }

  /** A page of stored events into the ring, then to the streams. */
  private take(rows: SequencedEvent[]): void {
    for (const r of rows) {
      if (this.storeSeq !== undefined && r.seq <= this.storeSeq) continue;
      this.storeSeq = r.seq;
      if (usable(r.envelope)) this.remember(r.envelope, r.seq);
    }
    if (rows.length > 0) for (const c of [...this.clients]) this.pump(c);
  }

  private warn(err: unknown, msg: string, extra: Record<string, unknown> = {}): void {
    try {
      this.o.log?.warn({ err: truncate(errorMessage(err), 300), ...extra }, msg);
    } catch {
      // A broken logger must not break the stream.
    }
  }

  /** Too slow: more than the ring behind, its queue would grow without bound. The browser reconnects and resumes. */
  private drop(c: Client): void {
    this.dropped++;
    this.o.log?.debug({ login: c.filter.login }, "dashboard: a slow event stream was dropped");
    this.remove(c);
    c.res.destroy();
  }

  private remove(c: Client): void {
    if (!this.clients.delete(c)) return;
    const n = (this.perViewer.get(c.filter.login) ?? 1) - 1;
    if (n <= 0) this.perViewer.delete(c.filter.login);
    else this.perViewer.set(c.filter.login, n);
    this.stopPollingIfIdle();
  }

  private tick(): void {
    const now = this.o.now();
    for (const c of [...this.clients]) {
      if (now >= c.endsAt) {
        this.remove(c);
        c.res.end();
      } else if (!c.waiting && !c.res.destroyed) c.res.write(": keep-alive\n\n");
    }
  }
}

/** One SSE message: `id:` for resume, the redacted envelope as one `data:` line (JSON has no raw newline). */
function frameText(env: AnyEventEnvelope): string {
  return `id: ${env.id.replace(/[\r\n\0]/g, "")}\ndata: ${JSON.stringify(redactDeep(env))}\n\n`;
}

/** A stored envelope the stream can send (the event log writes only such; a hand-edited row is skipped). */
function usable(env: AnyEventEnvelope): boolean {
  return env !== null && typeof env === "object" && typeof env.id === "string" && typeof env.event_type === "string";
}

function lastEventId(req: IncomingMessage): string | undefined {
  const v = req.headers["last-event-id"];
  return typeof v === "string" && /^[A-Za-z0-9._:-]{1,100}$/.test(v) ? v : undefined;
}
