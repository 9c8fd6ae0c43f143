/**
 * GET /health: liveness plus the review jobs' and webhook deliveries' counts, the analysis
 * pool, whether GitHub answers (status "degraded" when its calls keep failing), and the most
 * recent dead letters (which repository and pull request, and why), for operators and load
 * balancers.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AnalysisPoolStats } from "../analysis/pool/pool.js";
import type { GitHubHealth } from "../github/githubCalls.js";
import { redactSecrets } from "../analysis/secrets.js";
import { jobSubject } from "../jobs/queue.js";
import type { JobStore, WebhookStore } from "../store/store.js";

const RECENT_DEAD_LETTERS = 5;

export interface HealthSources {
  pool?: () => AnalysisPoolStats;
  /** Whether GitHub has been answering the app's calls (see github/githubCalls.ts). */
  github?: () => GitHubHealth;
}

export function healthHandler(store: JobStore & Pick<WebhookStore, "countWebhookDeliveries">, sources: HealthSources = {}) {
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
    const github = sources.github?.();
    // Degraded, not down: this process works and keeps jobs for later; GitHub does not answer it.
    const status = github?.status === "degraded" ? "degraded" : "ok";
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ status, jobs, dead_letters: deadLetters, webhooks, ...(github ? { github } : {}), ...(sources.pool ? { analysis_pool: sources.pool() } : {}) }));
    return true;
  };
}
