/**
 * Every GitHub API call the app makes from a job goes through here: at most one attempt per
 * call (the job queue retries the job, with its own backoff and dead letters, so retries are
 * never hidden inside retries), a time limit per call, and a running account of whether GitHub
 * answers, which `/health` reports as degraded after consecutive failures.
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

/** Whether GitHub answers: the outcome of each call, kept in this process (a report, not a decision). */
export class GitHubCalls {
  private failures = 0;
  private failingSince: number | null = null;
  private lastError: string | null = null;
  private lastSuccess: number | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  /** The octokit with the rules above applied to every request it makes. */
  bound<T extends Octokit>(octokit: T, timeoutMs = GITHUB_CALL_TIMEOUT_MS): T {
    octokit.hook.wrap("request", async (request, options) => {
      const given = options.request?.signal as AbortSignal | undefined;
      const limit = AbortSignal.timeout(timeoutMs);
      options.request = { ...options.request, retries: 0, signal: given ? AbortSignal.any([given, limit]) : limit };
      try {
        const response = await request(options);
        this.succeeded();
        return response;
      } catch (err) {
        this.failed(err);
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
