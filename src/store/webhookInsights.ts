/**
 * What the dashboard's webhooks page reads from the outbox, and the endpoints an operator paused.
 * Every read is bounded: a window's figures from per-minute and per-hour sums kept by triggers
 * (webhook_attempt_buckets, migration 12 / PostgreSQL's 5) plus the attempts of its first,
 * partial minute; a LIMIT over an index; or a status prefix of the deliveries' (status,
 * registration_id, …) index; never every attempt in a window, nor every attempt ever made.
 *
 * The sums are exact: attempts and succeeded add up; "distinct deliveries attempted at or after
 * minute B" is the sum of entering - leaving from B on (see the migration); the partial minute
 * adds its deliveries not attempted again from B on. A deleted attempt takes back its own part,
 * so erased deliveries leave no trace; an attempt pruned before a later one of its delivery
 * (retention, oldest first) leaves figures exact for windows starting after it. The newest
 * attempt / error of a bucket is a maximum a deletion cannot lower: readers check that the row is
 * still there, else read the window's attempts of that registration.
 */
import type { WebhookAttemptRecord } from "./store.js";

/** One registration's attempts in a window. */
export interface WebhookWindowStats {
  registrationId: string;
  attempts: number;
  /** Attempts that delivered (2xx, "accepted" included). */
  succeeded: number;
  /** Distinct deliveries attempted. */
  deliveries: number;
  lastAttemptAt: number;
}

/** A registration's newest error: of an attempt in the window, or of its newest dead letter. */
export interface WebhookLastError {
  registrationId: string;
  error: string;
  statusCode: number | null;
  at: number;
}

/** Deliveries waiting (pending), being sent (in_flight) and dead letters, per registration. */
export interface WebhookQueueCounts {
  registrationId: string;
  pending: number;
  inFlight: number;
  dead: number;
}

/** A registration's attempt with its row id (the log's page cursor). */
export interface WebhookAttemptRow extends WebhookAttemptRecord {
  seq: number;
}

/** A dead letter, without its events or body. */
export interface WebhookDeadLetter {
  id: string;
  registrationId: string;
  eventType: string;
  totalAttempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: number;
  finishedAt: number;
}

/** An endpoint (the circuit breaker's key: a hash of the URL) an operator paused. */
export interface WebhookEndpointPause {
  endpointKey: string;
  pausedAt: number;
  /** Who paused it (a dashboard login, or "cli"…). */
  pausedBy: string;
}

/** Stored pauses live in webhook_registrations under this id prefix (the registration state table; no registration id has it). */
export const PAUSE_ID_PREFIX = "endpoint-paused:";
export const PAUSED_BY_PREFIX = "paused by ";

export interface WebhookInsightStore {
  /** Per registration, the attempts made at or after `since`. */
  webhookWindowStats(since: number): Promise<WebhookWindowStats[]>;
  /** Durations of the newest attempts at or after `since` (at most `limit`), for latency percentiles. */
  webhookDurationSample(since: number, limit: number): Promise<{ registrationId: string; durationMs: number }[]>;
  /** Per registration, its newest failed attempt at or after `since`, else the error of its newest dead letter. */
  webhookLastErrors(since: number): Promise<WebhookLastError[]>;
  webhookQueueCounts(): Promise<WebhookQueueCounts[]>;
  /** A registration's attempts, newest first, those with a row id below `before` (the previous page's last). */
  listWebhookRegistrationAttempts(query: { registrationId: string; before?: number; limit: number }): Promise<WebhookAttemptRow[]>;
  /** A registration's dead letters, newest first; `before`: the previous page's last (finishedAt, id). */
  listWebhookDeadLetters(query: {
    registrationId: string;
    before?: { finishedAt: number; id: string };
    limit: number;
  }): Promise<WebhookDeadLetter[]>;
  listWebhookPauses(): Promise<WebhookEndpointPause[]>;
  /** Pauses the endpoint (by: who), or resumes it (by null). */
  setWebhookPause(endpointKey: string, by: string | null, now: number): Promise<void>;
}

/** The first id after every id starting with PAUSE_ID_PREFIX (a range scan of the primary key). */
export const PAUSE_ID_END = PAUSE_ID_PREFIX.slice(0, -1) + String.fromCharCode(PAUSE_ID_PREFIX.charCodeAt(PAUSE_ID_PREFIX.length - 1) + 1);

// --- rows both stores read the same way ---

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;

/** The first minute and the first hour starting at or after `since`: the window's buckets are
 *  the minutes in [minute, hour) and the hours from `hour` on; [since, minute) is read raw. */
export function windowBounds(since: number): { minute: number; hour: number } {
  const minute = Math.ceil(since / MINUTE_MS) * MINUTE_MS;
  return { minute, hour: Math.ceil(minute / HOUR_MS) * HOUR_MS };
}

/** A registration's figures from the buckets, or from the partial minute's attempts. */
export interface WindowSumRow {
  registration_id: string;
  attempts: number;
  succeeded: number;
  deliveries: number;
  last_at: number | null;
  last_error_at: number | null;
}

/** Buckets and partial minute added up per registration; registrations without attempts left out. */
export function mergeWindowSums(parts: WindowSumRow[]): WindowSumRow[] {
  const out = new Map<string, WindowSumRow>();
  const max = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));
  for (const r of parts) {
    const row = {
      registration_id: r.registration_id,
      attempts: Number(r.attempts),
      succeeded: Number(r.succeeded),
      deliveries: Number(r.deliveries),
      last_at: r.last_at === null ? null : Number(r.last_at),
      last_error_at: r.last_error_at === null ? null : Number(r.last_error_at),
    };
    const seen = out.get(r.registration_id);
    if (!seen) out.set(r.registration_id, row);
    else
      out.set(r.registration_id, {
        registration_id: r.registration_id,
        attempts: seen.attempts + row.attempts,
        succeeded: seen.succeeded + row.succeeded,
        deliveries: seen.deliveries + row.deliveries,
        last_at: max(seen.last_at, row.last_at),
        last_error_at: max(seen.last_error_at, row.last_error_at),
      });
  }
  return [...out.values()].filter((r) => r.attempts > 0);
}

export interface DeadLetterRow {
  id: string;
  registration_id: string;
  event_type: string;
  total_attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  finished_at: number;
}

export interface ErrorRow {
  registration_id: string;
  error: string;
  status_code: number | null;
  at: number;
}

/** Per registration, the newest of its errors. */
export function newestErrors(rows: ErrorRow[]): WebhookLastError[] {
  const out = new Map<string, WebhookLastError>();
  for (const r of rows) {
    const at = Number(r.at);
    const seen = out.get(r.registration_id);
    if (!seen || seen.at < at)
      out.set(r.registration_id, { registrationId: r.registration_id, error: r.error, statusCode: r.status_code, at });
  }
  return [...out.values()];
}

export function queueCounts(rows: { registration_id: string; status: string; n: number }[]): WebhookQueueCounts[] {
  const out = new Map<string, WebhookQueueCounts>();
  for (const r of rows) {
    const c = out.get(r.registration_id) ?? { registrationId: r.registration_id, pending: 0, inFlight: 0, dead: 0 };
    if (r.status === "pending") c.pending += Number(r.n);
    else if (r.status === "in_flight") c.inFlight += Number(r.n);
    else if (r.status === "dead") c.dead += Number(r.n);
    out.set(r.registration_id, c);
  }
  return [...out.values()];
}

export function toDeadLetter(r: DeadLetterRow): WebhookDeadLetter {
  return {
    id: r.id,
    registrationId: r.registration_id,
    eventType: r.event_type,
    totalAttempts: r.total_attempts,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    createdAt: r.created_at,
    finishedAt: Number(r.finished_at),
  };
}

export function toPause(r: { id: string; disabled_at: number; disabled_reason: string | null }): WebhookEndpointPause {
  const reason = r.disabled_reason ?? "";
  return {
    endpointKey: r.id.slice(PAUSE_ID_PREFIX.length),
    pausedAt: Number(r.disabled_at),
    pausedBy: reason.startsWith(PAUSED_BY_PREFIX) ? reason.slice(PAUSED_BY_PREFIX.length) : reason,
  };
}
