/** Tells the job queue which GitHub API failures are worth retrying, and when. */
import type { ErrorClassifier } from "../../jobs/queue.js";

interface HttpLikeError {
  status?: number;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
  message?: string;
}

/** The HTTP status of a failed GitHub call (Octokit's RequestError), or undefined for any other error. */
export function httpStatus(error: unknown): number | undefined {
  const status = (error as HttpLikeError | null | undefined)?.status;
  return typeof status === "number" ? status : undefined;
}

function headerSeconds(headers: Record<string, string | number | undefined> | undefined, name: string): number | undefined {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

export const classifyGitHubError: ErrorClassifier = (error) => {
  const e = (error ?? {}) as HttpLikeError;
  const status = typeof e.status === "number" ? e.status : undefined;
  if (status === undefined) return { retryable: true }; // network failure, timeout, our own bug: try again, then dead-letter
  const headers = e.response?.headers;
  const retryAfter = headerSeconds(headers, "retry-after");
  if (retryAfter !== undefined) return { retryable: true, retryAfterMs: retryAfter * 1000 };
  if (status === 429) return { retryable: true };
  if (status === 403) {
    // Primary rate limit: wait until the reset; secondary rate limit: GitHub asks for at least a minute.
    if (headers?.["x-ratelimit-remaining"] === "0" || headers?.["x-ratelimit-remaining"] === 0) {
      const reset = headerSeconds(headers, "x-ratelimit-reset");
      return { retryable: true, retryAfterMs: reset ? Math.max(1000, reset * 1000 - Date.now()) : 60_000 };
    }
    if (/secondary rate limit|abuse/i.test(e.message ?? "")) return { retryable: true, retryAfterMs: 60_000 };
    return { retryable: false };
  }
  if (status >= 500 || status === 408) return { retryable: true };
  return { retryable: false };
};
