/**
 * Live events over Server-Sent Events. One bus listener for all viewers, which only appends the
 * envelope to a list and schedules a flush: the bus never waits for a viewer. The flush (at most
 * every `flushMs`, 100 ms by default: one socket write per viewer per flush, not per event, which
 * is what 100 viewers at 1,000 events/s cost — see `npm run bench:dashboard`) serialises and redacts each event once into a bounded ring of frames, which is
 * both the replay buffer (for `Last-Event-ID`) and every viewer's queue: a viewer is a cursor in
 * the ring, written to while its socket takes data and resumed on 'drain'. A viewer that falls
 * further behind than the ring holds is dropped (its browser reconnects and resumes by id), so a
 * slow viewer costs the others nothing and memory stays bounded.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { redactDeep } from "../analysis/secrets.js";
import type { EventBus } from "../events/bus.js";
import type { AnyEventEnvelope } from "../events/catalog.js";
import { repoOf } from "../events/repo.js";
import type { Log } from "../logging/log.js";
import type { EventHistory } from "./history.js";
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
  /** The store's events, for a resume older than the replay buffer. */
  history?: Pick<EventHistory, "eventsAfter">;
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
}

interface Client {
  res: ServerResponse;
  filter: StreamFilter;
  endsAt: number;
  /** The seq of the next frame to consider for this client. */
  cursor: number;
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
  private unsubscribe: (() => void) | undefined;
  private readonly o: Required<Omit<StreamOptions, "history" | "log">> & Pick<StreamOptions, "history" | "log">;
  /** Clients dropped for being too slow, since start (for tests and metrics). */
  dropped = 0;

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
      now: Date.now,
      ...options,
    };
    this.ring = new Array(this.o.replay);
  }

  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.bus.on("*", this.onEvent);
    this.timer = setInterval(() => this.tick(), this.o.keepAliveMs);
    this.timer.unref();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
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
        if (visible(c.filter, f.type, f.repo)) out += f.text ??= frameText(f.env);
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

  private remember(env: AnyEventEnvelope): Frame {
    const seq = ++this.seq;
    const slot = seq % this.o.replay;
    const old = this.ring[slot];
    // An id sent again (bus.publish) maps to its latest frame: only forget the mapping that is this one's.
    if (old && this.bySeqId.get(old.env.id) === old.seq) this.bySeqId.delete(old.env.id);
    const frame: Frame = { seq, env, type: env.event_type, repo: repoOf(env) };
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
    if (this.clients.size >= this.o.maxClients || mine >= this.o.maxPerViewer) return false;
    // Events still waiting for their flush get their ids now, so a Last-Event-ID naming one resumes from it.
    if (this.incoming.length > 0) this.flush();
    const client: Client = { res, filter, endsAt, cursor: this.seq + 1, waiting: false };
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
    const from = last === undefined ? undefined : this.bySeqId.get(last);
    if (from !== undefined) client.cursor = from + 1;
    else if (last !== undefined) first += await this.resumeFromStore(last, filter);
    // Added only now, so that no live frame is written before the preamble and the stored ones.
    this.clients.add(client);
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

  /** The stored events after `last` the filter lets through; an `event: reset` when they cannot be known. */
  private async resumeFromStore(last: string, filter: StreamFilter): Promise<string> {
    try {
      const stored = await this.o.history?.eventsAfter?.(last, { limit: this.o.replay });
      if (stored)
        return stored
          .filter((e) => visible(filter, e.event_type, repoOf(e)))
          .map(frameText)
          .join("");
    } catch (err) {
      this.o.log?.warn({ err }, "dashboard: reading stored events for a resume failed");
    }
    return "event: reset\ndata: {}\n\n";
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

function lastEventId(req: IncomingMessage): string | undefined {
  const v = req.headers["last-event-id"];
  return typeof v === "string" && /^[A-Za-z0-9._:-]{1,100}$/.test(v) ? v : undefined;
}
