/** Rows both stores read the same way (SQLite and PostgreSQL), and the records they become. */
import type { OpenPullResources, PredictionIssueRecord, ReviewResult, ShownItem, WebhookAttemptRecord } from "./store.js";

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
  return {
    fingerprint: row.fingerprint,
    prNumber: row.pr_number,
    author: row.author,
    item: JSON.parse(row.item) as Record<string, unknown>,
  };
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
  return {
    prNumber: row.pr_number,
    author: row.author,
    headSha: row.head_sha,
    url: row.url,
    title: row.title,
    resources: JSON.parse(row.resources) as unknown[],
  };
}

/** review_results' columns after repo and pr_number, in this order (both stores write them so). */
export const REVIEW_RESULT_COLUMNS = [
  "head_sha",
  "level",
  "confidence",
  "summary",
  "notice",
  "finding_counts",
  "top_findings",
  "predictions",
  "summary_comment_id",
  "summary_url",
  "reviewed_at",
] as const;

export interface ReviewResultRow {
  head_sha: string;
  level: number;
  confidence: number;
  summary: string;
  notice: string | null;
  finding_counts: string;
  top_findings: string;
  predictions: string;
  summary_comment_id: number | null;
  summary_url: string | null;
  reviewed_at: number;
}

/** The values of REVIEW_RESULT_COLUMNS for a result, lists as JSON. */
export function reviewResultValues(r: ReviewResult): unknown[] {
  return [
    r.headSha,
    r.level,
    r.confidence,
    r.summary,
    r.notice,
    JSON.stringify(r.findingCounts),
    JSON.stringify(r.topFindings),
    JSON.stringify(r.predictions),
    r.summaryCommentId,
    r.summaryUrl,
    r.reviewedAt,
  ];
}

export function toReviewResult(row: ReviewResultRow): ReviewResult {
  return {
    headSha: row.head_sha,
    level: row.level,
    confidence: row.confidence,
    summary: row.summary,
    notice: row.notice,
    findingCounts: JSON.parse(row.finding_counts) as ReviewResult["findingCounts"],
    topFindings: JSON.parse(row.top_findings) as ReviewResult["topFindings"],
    predictions: JSON.parse(row.predictions) as ReviewResult["predictions"],
    summaryCommentId: row.summary_comment_id,
    summaryUrl: row.summary_url,
    reviewedAt: row.reviewed_at,
  };
}

export interface PredictionIssueRow {
  repo: string;
  fingerprint: string;
  issue_number: number;
  title: string | null;
  confidence: number | null;
  url: string | null;
  created_at: number;
}

export function toPredictionIssue(row: PredictionIssueRow): PredictionIssueRecord {
  return {
    repo: row.repo,
    fingerprint: row.fingerprint,
    issueNumber: row.issue_number,
    title: row.title,
    confidence: row.confidence,
    url: row.url,
    createdAt: row.created_at,
  };
}
