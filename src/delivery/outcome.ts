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

/** What a registration's `interpretResponse` hook sees of an answer. */
export interface ResponseInfo {
  status: number;
  /** Lower-case names; the headers the transport keeps: `retry-after` and the rate-limit ones (`x-ratelimit-*`, `ratelimit-*`). */
  headers: Record<string, string>;
  /** At most the first 4 KB of the body, as text. */
  body: string;
  /** The delivery's attempt this answers (1 for the first); absent for a direct call. */
  attempt?: number;
}

/** A failure the service reported in its own way (Slack's `ok: false` in a 200, Discord's 429 JSON). */
export interface InterpretedFailure {
  ok: false;
  retryable: boolean;
  /** The wait the service asked for, in ms (still capped by the manager's maxRetryAfterMs). */
  retryAfterMs?: number;
  /** Short and free of secrets: it is logged and stored with the attempt. */
  error: string;
}

/** undefined: judge the answer by its status as usual. */
export type ResponseInterpreter = (response: ResponseInfo) => InterpretedFailure | undefined;

/**
 * Applies a registration's interpreter over the usual classification. A reported failure in a
 * 2xx leaves the endpoint's circuit "alive" (it answered); a 410 still disables the registration;
 * an interpreter that throws or answers nonsense is ignored.
 */
export function interpretOutcome(base: Classified, response: ResponseInfo, interpret: ResponseInterpreter): Classified {
  if (base.kind === "gone") return base;
  let verdict: InterpretedFailure | undefined;
  try {
    verdict = interpret(response);
  } catch {
    return base;
  }
  if (verdict === undefined || verdict === null || typeof verdict !== "object" || verdict.ok !== false) return base;
  const wait = verdict.retryAfterMs;
  const retryAfterMs = typeof wait === "number" && Number.isFinite(wait) && wait >= 0 ? Math.ceil(wait) : null;
  const answered = response.status >= 200 && response.status < 300;
  return {
    kind: verdict.retryable ? "retry" : "dead",
    retryAfterMs: verdict.retryable ? (retryAfterMs ?? base.retryAfterMs) : null,
    circuit: answered ? "alive" : base.circuit,
    error: `HTTP ${response.status}: ${typeof verdict.error === "string" && verdict.error !== "" ? verdict.error : "failure reported by the service"}`,
  };
}
