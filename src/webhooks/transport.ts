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
  excerpt: string;
}

const MAX_AGENTS = 64;

export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`timed out after ${ms / 1000} s`);
    this.name = "TimeoutError";
  }
}

export class WebhookTransport {
  private readonly agents = new Map<string, Agent>();
  private readonly fetchImpl: FetchLike;

  constructor(
    private readonly guard: SsrfGuard,
    fetchImpl?: FetchLike,
  ) {
    this.fetchImpl = fetchImpl ?? (undiciFetch as unknown as FetchLike);
  }

  /** Throws SsrfError for a refused address, or the network error / timeout of the attempt. */
  async send(request: HttpRequest): Promise<HttpResult> {
    const vetted = await this.guard.vet(request.url);
    // One controller per request (cheaper than AbortSignal.timeout + AbortSignal.any, whose
    // dependents pile up on a long-lived signal in Node 20).
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TimeoutError(request.timeoutMs)), request.timeoutMs);
    const onStop = () => controller.abort(request.signal?.reason);
    request.signal?.addEventListener("abort", onStop, { once: true });
    try {
      if (request.signal?.aborted) onStop();
      const res = await this.fetchImpl(request.url.href, {
        method: "POST",
        headers: request.headers,
        body: request.body,
        redirect: "manual",
        signal: controller.signal,
        dispatcher: this.agentFor(vetted, request.verifySsl),
      });
      const excerpt = await readExcerpt(res);
      return { status: res.status, retryAfter: res.headers.get("retry-after"), excerpt };
    } catch (err) {
      // fetch rejects with the abort reason; make sure a timeout reads as one.
      if (controller.signal.aborted && controller.signal.reason instanceof TimeoutError) throw controller.signal.reason;
      throw err;
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener("abort", onStop);
    }
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
  const bytes = Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES);
  return new TextDecoder("utf-8", { fatal: false }).decode(bytes);
}
