/**
 * GET /health: liveness plus the review jobs' and webhook deliveries' counts, the analysis
 * pool, and the most recent dead letters (which repository and pull request, and why), for
 * operators and load balancers.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AnalysisPoolStats } from "../analysis/pool/pool.js";
import { redactSecrets } from "../analysis/secrets.js";
import { jobSubject } from "../jobs/queue.js";
import type { JobStore, WebhookStore } from "../store/store.js";

const RECENT_DEAD_LETTERS = 5;

export function healthHandler(store: JobStore & Pick<WebhookStore, "countWebhookDeliveries">, pool?: () => AnalysisPoolStats) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/health") return false;
    const [jobs, webhooks, dead] = await Promise.all([store.countJobs(), store.countWebhookDeliveries(), store.listJobs("dead", RECENT_DEAD_LETTERS, "newest")]);
    const deadLetters = dead.map((job) => ({
      id: job.id,
      type: job.type,
      ...jobSubject(job.payload),
      attempts: job.attempts,
      error: redactSecrets(job.lastError ?? "").slice(0, 300),
      at: new Date(job.updatedAt).toISOString(),
    }));
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: "ok", jobs, dead_letters: deadLetters, webhooks, ...(pool ? { analysis_pool: pool() } : {}) }));
    return true;
  };
}
