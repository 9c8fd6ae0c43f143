/** A real HTTP receiver on loopback and a WebhookManager wired to an in-memory store, for the delivery tests. */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { EventBus } from "../../src/events/bus.js";
import { WebhookManager, type WebhookManagerOptions } from "../../src/delivery/manager.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** performance.now() when the request arrived. */
  at: number;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
}

/** Answers each request with `reply(request, index)`; 200 "ok" by default. */
export class Receiver {
  readonly requests: Received[] = [];
  reply: (req: Received, index: number) => Reply = () => ({});
  private server: Server | null = null;
  port = 0;

  async listen(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const received: Received = {
          method: req.method ?? "",
          path: req.url ?? "",
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          at: performance.now(),
        };
        const index = this.requests.push(received) - 1;
        const r = this.reply(received, index);
        const send = () => {
          if (res.destroyed) return;
          res.writeHead(r.status ?? 200, { "content-type": "text/plain", ...r.headers });
          res.end(r.body ?? "ok");
        };
        if (r.delayMs) setTimeout(send, r.delayMs).unref();
        else send();
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(port, "127.0.0.1", () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  url(path = "/hook"): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  ids(): string[] {
    return this.requests.map((r) => String(r.headers["webhook-id"]));
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export interface CapturedLog {
  level: string;
  obj: object;
  msg?: string;
}

export function captureLog() {
  const lines: CapturedLog[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, log: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") }, text: () => JSON.stringify(lines) };
}

export interface Setup {
  bus: EventBus;
  store: SqliteStore;
  manager: WebhookManager;
  logs: ReturnType<typeof captureLog>;
}

/** Short delays so retries happen within a test; loopback allowed. */
export function setup(options: Partial<WebhookManagerOptions> & { store?: SqliteStore; bus?: EventBus } = {}): Setup {
  const bus = options.bus ?? new EventBus();
  const store = options.store ?? new SqliteStore(":memory:");
  const logs = captureLog();
  const manager = new WebhookManager(bus, {
    log: logs.log,
    network: { allowPrivate: ["127.0.0.0/8"] },
    baseDelayMs: 20,
    pollIntervalMs: 50,
    breakerCooloffMs: 200,
    stopTimeoutMs: 200,
    random: () => 0.5,
    ...options,
    store,
  });
  return { bus, store, manager, logs };
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000, message = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${message}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A level_4_prediction event's data, as the engine emits it (dedupe key: repository + fingerprint). */
export const prediction = (fingerprint: string, repo = "o/r") => ({
  prediction_id: `pred-${fingerprint}`,
  prediction: "Dropping users.email breaks the mobile client",
  confidence: 0.9,
  severity: "high" as const,
  tags: ["database"],
  recommendation: "Expand, then contract",
  user_id: "alice",
  timestamp: "2026-11-27T10:00:00.000Z",
  repo,
  pr_number: 7,
  url: null,
  kind: "migration-drop-column",
  impact: "crash",
  fingerprint,
  evidence: { path: "db/1.sql", line: 3, side: "RIGHT" as const },
});
