/** Rows both stores read the same way (SQLite and PostgreSQL), and the records they become. */
import type { OpenPullResources, ShownItem, WebhookAttemptRecord } from "./store.js";

export interface AttemptRow {
  delivery_id: string;
  registration_id: string;
  event_type: string;
  attempt: number;
  status: WebhookAttemptRecord["status"];
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  response_excerpt: string | null;
  next_attempt_at: number | null;
  attempted_at: number;
}

export function toAttempt(row: AttemptRow): WebhookAttemptRecord {
  return {
    deliveryId: row.delivery_id,
    registrationId: row.registration_id,
    eventType: row.event_type,
    attempt: row.attempt,
    status: row.status,
    statusCode: row.status_code,
    durationMs: row.duration_ms,
    error: row.error,
    responseExcerpt: row.response_excerpt,
    nextAttemptAt: row.next_attempt_at,
    attemptedAt: row.attempted_at,
  };
}

export interface ShownRow {
  fingerprint: string;
  pr_number: number;
  author: string;
  item: string;
}

export function toShown(row: ShownRow): ShownItem {
  return { fingerprint: row.fingerprint, prNumber: row.pr_number, author: row.author, item: JSON.parse(row.item) as Record<string, unknown> };
}

export interface OpenPullRow {
  pr_number: number;
  author: string;
  head_sha: string;
  url: string;
  title: string;
  resources: string;
}

export function toOpenPull(row: OpenPullRow): OpenPullResources {
  return { prNumber: row.pr_number, author: row.author, headSha: row.head_sha, url: row.url, title: row.title, resources: JSON.parse(row.resources) as unknown[] };
}
