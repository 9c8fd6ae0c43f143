/**
 * Health endpoints, for load balancers, orchestrators (Kubernetes probes) and operators:
 *
 * - `GET /health/live`: liveness. 200 while the process runs and answers HTTP; it reads nothing
 *   else, so a slow or unreachable database never gets a working process restarted.
 * - `GET /health/ready`: readiness. 200 only when start-up has finished (the store is open and
 *   migrated, the job worker runs), the process is not stopping, and the store answers a cheap
 *   query within a short time limit; otherwise 503 with a JSON `reason`, so a load balancer sends
 *   this instance no webhooks until it can take them.
 * - `GET /health`: unchanged, the detailed status: the review jobs' and webhook deliveries'
 *   counts, the analysis pool, whether GitHub answers (status "degraded" when its calls keep
 *   failing), and the most recent dead letters (which repository and pull request, and why).
 *   Answered 200 whenever the store answers (as before the split).
 *
 * HEAD is answered like GET on all three, without a body.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AnalysisPoolStats } from "../analysis/pool/pool.js";
import type { GitHubHealth } from "../github/api/githubCalls.js";
import { redactSecrets } from "../analysis/secrets.js";
import { jobSubject } from "../jobs/queue.js";
import type { JobStore, Store, WebhookStore } from "../store/store.js";
import { errorMessage } from "../text/errorMessage.js";

const RECENT_DEAD_LETTERS = 5;

/** Default time limit of the readiness probe's store query. */
export const READY_STORE_TIMEOUT_MS = 2000;

/** Where this process is in its life, as the app knows it (see app.ts). */
export interface Lifecycle {
  /** Start-up finished: the store was opened (its migrations applied) and the worker started. */
  started: boolean;
  /** The job worker is taking jobs. */
  workerRunning: boolean;
  /** A stop (SIGTERM, Ctrl-C) has begun. */
  stopping: boolean;
}

export interface HealthSources {
  pool?: () => AnalysisPoolStats;
  /** Whether GitHub has been answering the app's calls (see github/api/githubCalls.ts). */
  github?: () => GitHubHealth;
  /** For /health/ready; without it, readiness is the store's answer alone. */
  lifecycle?: () => Lifecycle;
  /** Time limit of the readiness probe's store query (default READY_STORE_TIMEOUT_MS). */
  storeTimeoutMs?: number;
}

/** What the handler reads: the store's `ping()` (a `SELECT 1`) is the readiness probe. */
export type HealthStore = JobStore & Pick<WebhookStore, "countWebhookDeliveries"> & Pick<Store, "ping">;

export interface Readiness {
  ready: boolean;
  /** Why not, for people and logs (absent when ready). */
  reason?: string;
  checks: {
    startup: "done" | "pending" | "stopping" | "not tracked";
    worker: "running" | "stopped" | "not tracked";
    store: "ok" | "failed" | "not checked";
  };
}

/** Readiness of this process now (see the module comment). */
export async function readiness(store: HealthStore, sources: HealthSources = {}): Promise<Readiness> {
  const life = sources.lifecycle?.();
  const checks: Readiness["checks"] = {
    startup: life ? (life.stopping ? "stopping" : life.started ? "done" : "pending") : "not tracked",
    worker: life ? (life.workerRunning ? "running" : "stopped") : "not tracked",
    store: "not checked",
  };
  if (life?.stopping) return { ready: false, reason: "stopping: this instance takes no new work", checks };
  if (life && !life.started) return { ready: false, reason: "starting: the store and the job worker are not ready yet", checks };
  if (life && !life.workerRunning) return { ready: false, reason: "the job worker is not running", checks };
  const timeoutMs = sources.storeTimeoutMs ?? READY_STORE_TIMEOUT_MS;
  try {
    await withTimeLimit(() => store.ping(), timeoutMs);
    checks.store = "ok";
    return { ready: true, checks };
  } catch (err) {
    checks.store = "failed";
    const message = redactSecrets(errorMessage(err)).replace(/\s+/g, " ").slice(0, 300);
    return { ready: false, reason: `the store did not answer: ${message}`, checks };
  }
}

async function withTimeLimit<T>(work: () => Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    const running = Promise.resolve().then(work);
    running.catch(() => undefined); // once timed out, its own outcome no longer matters
    return await Promise.race([running, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): true {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", "content-length": Buffer.byteLength(text) });
  res.end(req.method === "HEAD" ? undefined : text);
  return true;
}

export function healthHandler(store: HealthStore, sources: HealthSources = {}) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const path = (req.url ?? "").split("?")[0];
    if (path === "/health/live") return send(req, res, 200, { status: "ok" });
    if (path === "/health/ready") {
      const r = await readiness(store, sources);
      return send(
        req,
        res,
        r.ready ? 200 : 503,
        r.ready ? { status: "ready", checks: r.checks } : { status: "not_ready", reason: r.reason, checks: r.checks },
      );
    }
    if (path !== "/health") return false;
    const [jobs, webhooks, dead] = await Promise.all([
      store.countJobs(),
      store.countWebhookDeliveries(),
      store.listJobs("dead", RECENT_DEAD_LETTERS, "newest"),
    ]);
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
    return send(req, res, 200, {
      status,
      jobs,
      dead_letters: deadLetters,
      webhooks,
      ...(github ? { github } : {}),
      ...(sources.pool ? { analysis_pool: sources.pool() } : {}),
    });
  };
}
