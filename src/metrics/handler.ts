/**
 * `GET /metrics` (and HEAD), the Prometheus text exposition, for Probot's `addHandler`:
 *
 * - off (404) while no token is configured (EMPATHY_METRICS_TOKEN): queue depths, job types and
 *   registration ids are not for anyone who can reach the port;
 * - 401 without `Authorization: Bearer <token>` or with another token, compared in constant time
 *   (both sides hashed first, so their lengths leak nothing either); the token is never logged;
 * - 200 with every metric otherwise.
 *
 * The request and response are typed by what the handler uses, so this folder needs no HTTP
 * module: Node's IncomingMessage and ServerResponse fit.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { AppMetrics } from "./metrics.js";
import type { Log } from "../logging/log.js";
import { errorMessage } from "../text/errorMessage.js";

export const METRICS_PATH = "/metrics";

export interface MetricsRequest {
  method?: string;
  url?: string;
  headers: { authorization?: string };
}

export interface MetricsResponse {
  writeHead(status: number, headers: Record<string, string | number>): unknown;
  end(body?: string): unknown;
}

export interface MetricsHandlerOptions {
  /** The bearer token scrapers send; unset or empty: /metrics is off. */
  token: string | undefined;
  /** The app's metrics (the app builds them only when the token is set). */
  metrics: Pick<AppMetrics, "exposition"> | undefined;
  log?: Pick<Log, "error">;
}

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

export function metricsHandler(options: MetricsHandlerOptions) {
  const { metrics, log } = options;
  const expected = options.token ? digest(options.token) : null;
  return async (req: MetricsRequest, res: MetricsResponse): Promise<boolean> => {
    if ((req.url ?? "").split("?")[0] !== METRICS_PATH) return false;
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    if (expected === null || metrics === undefined) {
      return send(req, res, 404, "Not Found: /metrics is off; set EMPATHY_METRICS_TOKEN to turn it on.\n");
    }
    if (!authorized(req.headers.authorization, expected)) {
      return send(req, res, 401, "Unauthorized: send Authorization: Bearer <EMPATHY_METRICS_TOKEN>.\n", {
        "www-authenticate": 'Bearer realm="metrics"',
      });
    }
    try {
      const { contentType, body } = await metrics.exposition();
      return send(req, res, 200, body, { "content-type": contentType });
    } catch (err) {
      log?.error({ err: errorMessage(err) }, "metrics: the exposition failed");
      return send(req, res, 500, "The metrics could not be collected.\n");
    }
  };
}

/** Whether the header carries the token; the same work whatever it holds. */
function authorized(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "");
  // A missing or malformed header is still hashed and compared, like a wrong token.
  const given = digest(match ? match[1] : "");
  return timingSafeEqual(given, expected) && match !== null;
}

function send(req: MetricsRequest, res: MetricsResponse, status: number, body: string, headers: Record<string, string> = {}): true {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "cache-control": "no-store",
    ...headers,
    "content-length": Buffer.byteLength(body),
  });
  res.end(req.method === "HEAD" ? undefined : body);
  return true;
}
