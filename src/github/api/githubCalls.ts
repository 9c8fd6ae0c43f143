/**
 * Every GitHub API call the app makes from a job goes through here: at most one attempt per
 * call (the job queue retries the job, with its own backoff and dead letters, so retries are
 * never hidden inside retries), a time limit per call, and a running account of whether GitHub
 * answers, which `/health` reports as degraded after consecutive failures. It also keeps the
 * rate-limit headers of the last answer per installation and resource, for the metrics.
 */
import { redactSecrets } from "../../analysis/secrets.js";
import type { Octokit } from "./types.js";
import { errorMessage } from "../../text/errorMessage.js";

/** One call waits at most this long for GitHub (a host that accepts connections and never answers). */
export const GITHUB_CALL_TIMEOUT_MS = 30_000;
/** Failed calls in a row (network errors, 5xx, timeouts) after which GitHub counts as failing. */
export const DEGRADED_AFTER_FAILURES = 3;

export interface GitHubHealth {
  status: "ok" | "degraded";
  consecutive_failures: number;
  /** ISO time of the first failure of the current run of failures. */
  failing_since: string | null;
  last_error: string | null;
  last_success: string | null;
}

/** Installation and resource pairs whose rate limit is kept; the least recently seen is dropped first (bounded cardinality). */
export const MAX_RATE_LIMIT_SAMPLES = 200;

/** GitHub's rate-limit buckets (`x-ratelimit-resource`); any other value is kept as "other". */
const RESOURCES = new Set([
  "core",
  "search",
  "code_search",
  "graphql",
  "integration_manifest",
  "source_import",
  "code_scanning_upload",
  "code_scanning_autofix",
  "actions_runner_registration",
  "scim",
  "dependency_snapshots",
  "dependency_sbom",
  "audit_log",
  "audit_log_streaming",
]);

/** The last rate-limit headers GitHub sent for one installation and resource. */
export interface RateLimitSample {
  /** The installation id, or "app" for the app's own (JWT) calls. */
  installation: string;
  resource: string;
  remaining: number;
  limit: number;
  /** When the window resets, in ms since the epoch (from `x-ratelimit-reset`). */
  resetAt: number;
}

export interface BindOptions {
  timeoutMs?: number;
  /** Whose token the octokit holds, for the rate-limit samples; without it, "app". */
  installationId?: number;
}

/** Whether GitHub answers: the outcome of each call, kept in this process (a report, not a decision). */
export class GitHubCalls {
  /** Insertion order is recency order: a sample is deleted and set again on each update. */
  private readonly limits = new Map<string, RateLimitSample>();
  private failures = 0;
  private failingSince: number | null = null;
  private lastError: string | null = null;
  private lastSuccess: number | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  /** The octokit with the rules above applied to every request it makes (a number: the time limit). */
  bound<T extends Octokit>(octokit: T, options: BindOptions | number = {}): T {
    const { timeoutMs = GITHUB_CALL_TIMEOUT_MS, installationId } = typeof options === "number" ? { timeoutMs: options } : options;
    const installation = installationId === undefined ? "app" : String(installationId);
    octokit.hook.wrap("request", async (request, options) => {
      const given = options.request?.signal as AbortSignal | undefined;
      const limit = AbortSignal.timeout(timeoutMs);
      options.request = { ...options.request, retries: 0, signal: given ? AbortSignal.any([given, limit]) : limit };
      try {
        const response = await request(options);
        this.succeeded();
        this.sawRateLimit(installation, response.headers);
        return response;
      } catch (err) {
        this.failed(err);
        this.sawRateLimit(installation, (err as { response?: { headers?: unknown } })?.response?.headers);
        throw err;
      }
    });
    return octokit;
  }

  health(): GitHubHealth {
    return {
      status: this.failures >= DEGRADED_AFTER_FAILURES ? "degraded" : "ok",
      consecutive_failures: this.failures,
      failing_since: this.failingSince === null ? null : new Date(this.failingSince).toISOString(),
      last_error: this.lastError,
      last_success: this.lastSuccess === null ? null : new Date(this.lastSuccess).toISOString(),
    };
  }

  /**
   * The last rate limit seen per installation and resource. A sample whose window has reset
   * reads as the full limit: GitHub restores the whole quota at `x-ratelimit-reset`.
   */
  rateLimits(): RateLimitSample[] {
    const now = this.now();
    return [...this.limits.values()].map((s) => (s.resetAt <= now ? { ...s, remaining: s.limit } : { ...s }));
  }

  private sawRateLimit(installation: string, headers: unknown): void {
    if (typeof headers !== "object" || headers === null) return;
    const h = headers as Record<string, unknown>;
    const remaining = Number(h["x-ratelimit-remaining"]);
    const limit = Number(h["x-ratelimit-limit"]);
    const reset = Number(h["x-ratelimit-reset"]);
    if (h["x-ratelimit-remaining"] === undefined || !Number.isFinite(remaining) || !Number.isFinite(limit)) return;
    const named = String(h["x-ratelimit-resource"] ?? "core");
    const resource = RESOURCES.has(named) ? named : "other";
    const key = `${installation} ${resource}`;
    this.limits.delete(key);
    this.limits.set(key, { installation, resource, remaining, limit, resetAt: Number.isFinite(reset) ? reset * 1000 : Infinity });
    if (this.limits.size > MAX_RATE_LIMIT_SAMPLES) this.limits.delete(this.limits.keys().next().value!);
  }

  private succeeded(): void {
    this.failures = 0;
    this.failingSince = null;
    this.lastSuccess = this.now();
  }

  private failed(err: unknown): void {
    const status = (err as { status?: unknown })?.status;
    // A 4xx is GitHub answering (not found, no permission, validation): not an outage.
    if (typeof status === "number" && status >= 400 && status < 500 && status !== 408 && status !== 429) return this.succeeded();
    this.failures++;
    this.failingSince ??= this.now();
    const message = errorMessage(err);
    this.lastError = redactSecrets(`${typeof status === "number" ? `HTTP ${status}: ` : ""}${message}`).slice(0, 200);
  }
}
