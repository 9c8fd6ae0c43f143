/** What an HTTP answer means for a delivery, and when to try again. */

export type OutcomeKind =
  /** 2xx */
  | "delivered"
  /** Try again later (5xx, 3xx, 408/425/429, network error, timeout), unless the budget is spent. */
  | "retry"
  /** Never retried: other 4xx, a refused address, a body that cannot be rendered. */
  | "dead"
  /** 410 Gone: the registration is disabled. */
  | "gone";

export interface Classified {
  kind: OutcomeKind;
  /** The wait the server asked for (Retry-After on 429 and 503), in ms. */
  retryAfterMs: number | null;
  /**
   * What it says about the endpoint, for its circuit breaker: failing (5xx, 3xx, 408/425/429,
   * network error, timeout), alive (any other answer), or nothing (the request was never sent).
   */
  circuit: "failure" | "alive" | "none";
  error: string | null;
}

const RETRYABLE_4XX = new Set([408, 425, 429]);

export function classifyStatus(status: number, retryAfter: string | null, now: number): Classified {
  if (status >= 200 && status < 300) return { kind: "delivered", retryAfterMs: null, circuit: "alive", error: null };
  if (status === 410) {
    return { kind: "gone", retryAfterMs: null, circuit: "alive", error: "410 Gone: the endpoint asked to stop; registration disabled" };
  }
  const honoured = status === 429 || status === 503 ? parseRetryAfter(retryAfter, now) : null;
  if (status >= 300 && status < 400) {
    return { kind: "retry", retryAfterMs: null, circuit: "failure", error: `HTTP ${status}: redirects are not followed` };
  }
  if (status >= 400 && status < 500 && !RETRYABLE_4XX.has(status)) {
    return { kind: "dead", retryAfterMs: null, circuit: "alive", error: `HTTP ${status}: not retried` };
  }
  return { kind: "retry", retryAfterMs: honoured, circuit: "failure", error: `HTTP ${status}` };
}

/** `Retry-After`: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

/** Exponential backoff with "equal jitter": half fixed, half random, capped. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}
