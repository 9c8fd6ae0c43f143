/**
 * Delivery tuning: the knobs of the delivery loop (delays, concurrency, breaker, outbox writes)
 * and their defaults. The environment sets some of them (EMPATHY_WEBHOOK_*, read by
 * src/config/env.ts; operators rarely need them, tests shorten the delays). Per-registration
 * options live in options.ts.
 */

export interface WebhookTuning {
  /** First retry delay (doubled each retry, with jitter). Default 2,000 ms. */
  baseDelayMs?: number;
  /** Longest backoff delay. Default 1 h. */
  maxDelayMs?: number;
  /** A Retry-After longer than this dead-letters the delivery. Default 24 h. */
  maxRetryAfterMs?: number;
  /** Requests in flight at once, all endpoints. Default 16. */
  concurrency?: number;
  /** Requests in flight at once to one endpoint. Default 8. */
  perEndpointConcurrency?: number;
  /** Consecutive failures that open an endpoint's circuit. Default 5. */
  breakerThreshold?: number;
  /** How long an open circuit leaves its endpoint alone before one probe. Default 60 s. */
  breakerCooloffMs?: number;
  /** Longest sleep of the delivery loop between checks. Default 1,000 ms. */
  pollIntervalMs?: number;
  /** How long stop() lets requests in flight finish before aborting them. Default 5,000 ms. */
  stopTimeoutMs?: number;
  /** Delivered deliveries (and their attempts) older than this are pruned at start. Default 14 days. */
  retentionMs?: number;
  /**
   * Events are written to the outbox together, in one transaction, at most this long after the
   * first of them (0: at the end of the event-loop turn). Default 5 ms: a burst of reviews costs
   * a few commits instead of one each, and the write does not land between every two of them.
   */
  outboxLingerMs?: number;
  /** A failed outbox write is tried again this many times before the emitting jobs are failed. Default 3. */
  outboxWriteRetries?: number;
  /** Delay before the first of those retries, doubled for each next one. Default 100 ms. */
  outboxRetryDelayMs?: number;
}

export type Tuning = Required<WebhookTuning>;

export const TUNING_DEFAULTS: Tuning = Object.freeze({
  baseDelayMs: 2000,
  maxDelayMs: 60 * 60_000,
  maxRetryAfterMs: 24 * 60 * 60_000,
  concurrency: 16,
  perEndpointConcurrency: 8,
  breakerThreshold: 5,
  breakerCooloffMs: 60_000,
  pollIntervalMs: 1000,
  stopTimeoutMs: 5000,
  retentionMs: 14 * 24 * 60 * 60_000,
  outboxLingerMs: 5,
  outboxWriteRetries: 3,
  outboxRetryDelayMs: 100,
});

/** The tuning keys of `options` that are set, over the defaults (other keys of `options` are ignored). */
export function resolveTuning(options: object): Tuning {
  const set = Object.entries(options).filter(([k, v]) => k in TUNING_DEFAULTS && v !== undefined);
  return { ...TUNING_DEFAULTS, ...Object.fromEntries(set) };
}
