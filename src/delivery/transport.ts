/**
 * One HTTP attempt of a webhook delivery: vet the address (SSRF guard), POST through a
 * dispatcher pinned to that address, with a timeout and without following redirects, and read
 * at most 4 KB of the answer.
 */
import { Agent, fetch as undiciFetch } from "undici";
import { pinnedLookup, type ResolvedAddress, type SsrfGuard } from "./ssrf.js";

export const RESPONSE_EXCERPT_BYTES = 4096;

/** A fetch-compatible function; `dispatcher` is undici's extension of RequestInit. */
export type FetchLike = (url: string, init: RequestInit & { dispatcher?: unknown }) => Promise<Response>;

export interface HttpRequest {
  url: URL;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  verifySsl: boolean;
  /** Aborts the request when the manager stops. */
  signal?: AbortSignal;
}

export interface HttpResult {
  status: number;
  retryAfter: string | null;
  /** Lower-case names: `retry-after` and the rate-limit headers (`x-ratelimit-*`, `ratelimit-*`), the ones services pace by. */
  headers: Record<string, string>;
  excerpt: string;
}

/** The answer headers a delivery keeps: what services say about waiting. */
export function keptHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    const key = name.toLowerCase();
    if (key === "retry-after" || key.startsWith("x-ratelimit-") || key.startsWith("ratelimit-")) out[key] = value.slice(0, 200);
  });
  return out;
}

const MAX_AGENTS = 64;
/** Timeouts fire up to this much late: requests whose deadlines fall in one such slot share one timer and one AbortSignal. */
export const TIMEOUT_GRANULARITY_MS = 10;
/**
 * Requests sharing one signal, at most (fetch adds an abort listener per request and raises the
 * signal's listener limit to 1,500 itself; its check throws, slowly, when the limit is 0 =
 * unlimited, so the limit is left alone and a full slot simply starts another signal).
 */
const MAX_DEADLINE_USERS = 1000;

export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`timed out after ${ms / 1000} s`);
    this.name = "TimeoutError";
  }
}

/** Requests with the same timeout, stop signal and deadline slot: one timer, one controller, one stop listener. */
interface Deadline {
  key: string;
  controller: AbortController;
  timer: NodeJS.Timeout;
  /** Requests using it and not finished. */
  users: number;
  /** Requests that have used it. */
  started: number;
  stop?: AbortSignal;
  onStop?: () => void;
}

export class WebhookTransport {
  private readonly agents = new Map<string, Agent>();
  private readonly fetchImpl: FetchLike;
  private readonly deadlines = new Map<string, Deadline>();
  /** A key per stop signal, for the deadline keys. */
  private readonly signalKeys = new WeakMap<AbortSignal, number>();
  private nextSignalKey = 1;

  constructor(
    private readonly guard: SsrfGuard,
    fetchImpl?: FetchLike,
  ) {
    this.fetchImpl = fetchImpl ?? (undiciFetch as unknown as FetchLike);
  }

  /** Throws SsrfError for a refused address, or the network error / timeout of the attempt. */
  async send(request: HttpRequest): Promise<HttpResult> {
    const vetted = await this.guard.vet(request.url);
    // No AbortController per request (in Node 20 each costs tens of microseconds, and
    // AbortSignal.timeout + AbortSignal.any pile dependents up on a long-lived signal): requests
    // whose deadlines fall in the same slot share one, aborted by one timer or by the stop signal.
    const deadline = this.acquireDeadline(request.timeoutMs, request.signal);
    const signal = deadline.controller.signal;
    try {
      const res = await this.fetchImpl(request.url.href, {
        method: "POST",
        headers: request.headers,
        body: request.body,
        redirect: "manual",
        signal,
        dispatcher: this.agentFor(vetted, request.verifySsl),
      });
      const excerpt = await readExcerpt(res);
      return { status: res.status, retryAfter: res.headers.get("retry-after"), headers: keptHeaders(res.headers), excerpt };
    } catch (err) {
      // fetch rejects with the abort reason; make sure a timeout reads as one.
      if (signal.aborted && signal.reason instanceof TimeoutError) throw signal.reason;
      throw err;
    } finally {
      this.releaseDeadline(deadline);
    }
  }

  /** The shared deadline for a request starting now: it fires between timeoutMs and timeoutMs + TIMEOUT_GRANULARITY_MS from now. */
  private acquireDeadline(timeoutMs: number, stop: AbortSignal | undefined): Deadline {
    const now = Date.now();
    const slot = Math.ceil((now + timeoutMs) / TIMEOUT_GRANULARITY_MS);
    const key = `${timeoutMs}|${slot}|${stop ? this.signalKey(stop) : 0}`;
    const deadline = this.deadlines.get(key);
    if (deadline && !deadline.controller.signal.aborted) {
      deadline.users++;
      // Full: it stays armed for its requests, and the next request of the slot starts another.
      if (++deadline.started >= MAX_DEADLINE_USERS) this.deadlines.delete(key);
      return deadline;
    }
    const controller = new AbortController();
    const timer = setTimeout(
      () => {
        this.dropDeadline(created);
        controller.abort(new TimeoutError(timeoutMs));
      },
      slot * TIMEOUT_GRANULARITY_MS - now,
    );
    const created: Deadline = { key, controller, timer, users: 1, started: 1 };
    if (stop) {
      const onStop = () => {
        this.dropDeadline(created);
        controller.abort(stop.reason);
      };
      if (stop.aborted) onStop();
      else {
        stop.addEventListener("abort", onStop, { once: true });
        created.stop = stop;
        created.onStop = onStop;
      }
    }
    if (!controller.signal.aborted) this.deadlines.set(key, created);
    return created;
  }

  private releaseDeadline(deadline: Deadline): void {
    if (--deadline.users === 0) this.dropDeadline(deadline);
  }

  private dropDeadline(deadline: Deadline): void {
    clearTimeout(deadline.timer);
    if (deadline.onStop) deadline.stop?.removeEventListener("abort", deadline.onStop);
    deadline.onStop = undefined;
    if (this.deadlines.get(deadline.key) === deadline) this.deadlines.delete(deadline.key);
  }

  private signalKey(signal: AbortSignal): number {
    let key = this.signalKeys.get(signal);
    if (key === undefined) {
      key = this.nextSignalKey++;
      this.signalKeys.set(signal, key);
    }
    return key;
  }

  async close(): Promise<void> {
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.allSettled(agents.map((a) => a.close()));
  }

  /**
   * One keep-alive agent per vetted address (and TLS mode): its sockets connect to that address
   * whatever name the URL holds, so pooled connections never reach an address that was not vetted.
   */
  private agentFor(vetted: ResolvedAddress, verifySsl: boolean): Agent {
    const key = `${vetted.address}|${verifySsl}`;
    let agent = this.agents.get(key);
    if (agent) {
      // Most recently used last, for the eviction below.
      this.agents.delete(key);
      this.agents.set(key, agent);
      return agent;
    }
    agent = new Agent({
      connect: { lookup: pinnedLookup(vetted) as never, rejectUnauthorized: verifySsl },
      keepAliveTimeout: 10_000,
      connections: 32,
    });
    this.agents.set(key, agent);
    if (this.agents.size > MAX_AGENTS) {
      const [oldestKey, oldest] = this.agents.entries().next().value as [string, Agent];
      this.agents.delete(oldestKey);
      void oldest.close().catch(() => undefined);
    }
    return agent;
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

/** At most 4 KB of the body as text; the rest is discarded without being read. */
async function readExcerpt(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    if (size >= RESPONSE_EXCERPT_BYTES) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  return utf8.decode(bytes.subarray(0, RESPONSE_EXCERPT_BYTES));
}
