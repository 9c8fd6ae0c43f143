/**
 * A healthy outgoing-webhook endpoint on loopback for process tests and benches: it verifies each
 * request's Standard Webhooks signature, keeps what it received by `webhook-id` (the delivery id,
 * the same on every attempt: what a receiver dedupes by), and answers 200. `hold()` makes it keep
 * requests unanswered until `release()` (a slow endpoint, so a process killed meanwhile dies with
 * requests on the wire). No jest globals.
 */
import { writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export interface HookRequest {
  webhookId: string;
  /** The envelope (`{ id, event_type, timestamp, data }`), or null if the body was not one. */
  envelope: { id: string; event_type: string; data: any } | null;
  headers: IncomingHttpHeaders;
  path: string;
  /** performance.now() when it arrived. */
  at: number;
  /** The status it was answered (or, held, will be answered) with. */
  status: number;
}

export class HookReceiver {
  readonly requests: HookRequest[] = [];
  /** Requests whose signature did not verify (answered 401). */
  badSignatures = 0;
  /** The answer to a verified request: 200, or e.g. 400 to have every delivery dead-lettered at once. */
  status = 200;
  port = 0;
  private server: Server | null = null;
  private holding = false;
  private held: ServerResponse[] = [];
  private readonly verifier: Webhook;

  /** `secret`: the registration's `whsec_…` secret. */
  constructor(secret: string) {
    this.verifier = new Webhook(secret);
  }

  async listen(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        try {
          this.verifier.verify(body, req.headers as Record<string, string>);
        } catch {
          this.badSignatures++;
          res.writeHead(401).end();
          return;
        }
        let envelope: HookRequest["envelope"] = null;
        try {
          envelope = JSON.parse(body);
        } catch {
          // not an envelope: kept with envelope null
        }
        const status = this.status;
        this.requests.push({
          webhookId: String(req.headers["webhook-id"]),
          envelope,
          headers: req.headers,
          path: req.url ?? "",
          at: performance.now(),
          status,
        });
        if (this.holding) this.held.push(res);
        else res.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "ok" : "not now");
      });
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(0, "127.0.0.1", () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  url(path = "/hook"): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** From now on, requests are received (and counted) but not answered until release(). */
  hold(): void {
    this.holding = true;
  }

  /** Answers every held request (those whose sender is gone are dropped) and answers at once again. */
  release(): void {
    this.holding = false;
    for (const res of this.held.splice(0)) if (!res.destroyed) res.writeHead(200, { "content-type": "text/plain" }).end("ok");
  }

  /** Requests received so far by webhook-id (those answered `status`, if given). */
  counts(status?: number): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.requests)
      if (status === undefined || r.status === status) counts.set(r.webhookId, (counts.get(r.webhookId) ?? 0) + 1);
    return counts;
  }

  /** Distinct webhook-ids received. */
  ids(): Set<string> {
    return new Set(this.requests.map((r) => r.webhookId));
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    this.release();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A `whsec_` secret (32 bytes, base64) for a signed registration. */
export function hookSecret(seed = "process test hook key, 32 bytes!"): string {
  return `whsec_${Buffer.from(seed.padEnd(32, "!").slice(0, 32)).toString("base64")}`;
}

/**
 * Writes an operator config (EMPATHY_CONFIG) with one signed webhook for every event type to
 * `url`, loopback allowed by the SSRF guard; the secret comes from `${HOOK_SECRET}`.
 * `timeoutSeconds` (default 60, at most 300): how long a request may wait for its answer.
 */
export function writeHookConfig(file: string, url: string, { timeoutSeconds = 60 }: { timeoutSeconds?: number } = {}): void {
  writeFileSync(
    file,
    [
      "webhooks:",
      '  - event_type: "*"',
      `    url: ${url}`,
      "    secret: ${HOOK_SECRET}",
      `    timeout_seconds: ${timeoutSeconds}`,
      "    retry_count: 5",
      "network:",
      '  allow_private: ["127.0.0.0/8"]',
      "",
    ].join("\n"),
  );
}
