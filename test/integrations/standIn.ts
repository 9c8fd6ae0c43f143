/**
 * A loopback stand-in for a service that enforces a rate limit the way the service documents it,
 * and counts what happened at its end: requests, 429s it had to send, requests it received while
 * it was still refusing (what a client that honours the limit never sends), and how many requests
 * were in flight at once. Pacing tests assert on these counters and on the order of arrivals,
 * never on elapsed times.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface StandInRequest {
  index: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
}

export interface StandInReply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Answer this much later (keeps the request in flight). */
  delayMs?: number;
}

export class StandIn {
  readonly requests: StandInRequest[] = [];
  /** Labels in arrival order (what `label` returns for each request). */
  readonly order: string[] = [];
  /** 429s (or other refusals) the stand-in sent. */
  refused = 0;
  /** Requests that arrived while the client had already been told to wait: an honouring client sends none. */
  violations = 0;
  maxInFlight = 0;
  private inFlight = 0;
  private server: Server | null = null;
  port = 0;

  constructor(
    private readonly handle: (req: StandInRequest, at: number, stand: StandIn) => StandInReply,
    private readonly label: (req: StandInRequest) => string = (req) => req.path,
  ) {}

  async listen(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        let json: unknown = null;
        try {
          json = JSON.parse(body);
        } catch {
          json = null;
        }
        const request: StandInRequest = {
          index: this.requests.length,
          method: req.method ?? "",
          path: req.url ?? "",
          headers: req.headers,
          body,
          json,
        };
        this.requests.push(request);
        this.order.push(this.label(request));
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        const reply = this.handle(request, performance.now(), this);
        const send = () => {
          this.inFlight--;
          if (res.destroyed) return;
          const payload = reply.body === undefined ? "" : typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
          res.writeHead(reply.status ?? 200, {
            "content-type": typeof reply.body === "string" || reply.body === undefined ? "text/plain" : "application/json",
            ...reply.headers,
          });
          res.end(payload);
        };
        if (reply.delayMs) setTimeout(send, reply.delayMs).unref();
        else send();
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(0, "127.0.0.1", () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  url(path = "/"): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * A fixed window per key, anchored at the key's first request: `limit` requests per `windowMs`.
 * `used` pre-fills a key's first window (another client sharing the limit).
 */
export class WindowLimit {
  private readonly windows = new Map<string, { start: number; count: number; refusedAt: number | null }>();
  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly used: Record<string, number> = {},
  ) {}

  /** Counts a request at `at`: whether it is within the limit, what is left, and the ms until the window resets. */
  take(key: string, at: number): { ok: boolean; remaining: number; resetMs: number; afterRefusal: boolean } {
    let w = this.windows.get(key);
    if (!w || at >= w.start + this.windowMs) {
      w = { start: at, count: w ? 0 : (this.used[key] ?? 0), refusedAt: null };
      this.windows.set(key, w);
    }
    const resetMs = w.start + this.windowMs - at;
    if (w.count >= this.limit) {
      const afterRefusal = w.refusedAt !== null;
      w.refusedAt ??= at;
      return { ok: false, remaining: 0, resetMs, afterRefusal };
    }
    w.count++;
    return { ok: true, remaining: this.limit - w.count, resetMs, afterRefusal: false };
  }
}

/** A token bucket per key: `burst` requests at once, one more every `intervalMs` (Slack's "one a second, short bursts"). */
export class TokenBucket {
  private readonly buckets = new Map<string, { tokens: number; at: number; refused: boolean }>();
  constructor(
    readonly burst: number,
    readonly intervalMs: number,
    /** Tokens a key starts with (default: a full bucket); 0: someone else just used them. */
    private readonly initial: Record<string, number> = {},
  ) {}

  take(key: string, at: number): { ok: boolean; afterRefusal: boolean } {
    const b = this.buckets.get(key) ?? { tokens: this.initial[key] ?? this.burst, at, refused: false };
    b.tokens = Math.min(this.burst, b.tokens + (at - b.at) / this.intervalMs);
    b.at = at;
    this.buckets.set(key, b);
    if (b.tokens < 1) {
      const afterRefusal = b.refused;
      b.refused = true;
      return { ok: false, afterRefusal };
    }
    b.tokens -= 1;
    b.refused = false;
    return { ok: true, afterRefusal: false };
  }
}
