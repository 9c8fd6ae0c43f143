/**
 * What the dashboard's insight pages (predictions, patterns, trust, reviews) read, for one
 * viewer's repositories only. Repository names come in lower case (as the dashboard keeps them)
 * and are matched to the spellings stored (GitHub's, e.g. "Octo/App") before any other read, so
 * every query below uses its table's (repo, …) key. Every read is bounded: at most
 * MAX_DASHBOARD_REPOS repositories, and a LIMIT (capped by the store) on every list.
 */
import type { PatternRecord, TrustRecord } from "../engine/state.js";

/** Repositories one read covers (a viewer with more sees the first ones, sorted). */
export const MAX_DASHBOARD_REPOS = 500;
/** Rows of one page of a listing. */
export const MAX_DASHBOARD_PAGE = 200;
/** Rows an aggregate (accuracy, calibration, trust history) reads at most. */
export const MAX_DASHBOARD_SCAN = 5000;

/**
 * A prediction's outcome, from the feedback the engine recorded on it (feedback_log): its issue
 * closed as completed ("issue:N" accepted) is confirmed, closed as not planned is rejected; a
 * prediction dismissed ("finding:PR:fingerprint" rejected) is rejected, one whose flagged line was
 * changed ("finding:…" accepted) is confirmed, as the engine counts them. The issue's outcome wins.
 */
export type PredictionOutcome = "confirmed" | "rejected" | "open";

export interface DashboardPrediction {
  /** As stored. */
  repo: string;
  fingerprint: string;
  /** "pred-…", when the shown item is kept. */
  predictionId: string | null;
  kind: string | null;
  /** The prediction in one line (redacted when stored). */
  title: string | null;
  confidence: number | null;
  /** The pull request it was shown on; null when only its issue is kept (the shown item was pruned). */
  prNumber: number | null;
  issueNumber: number | null;
  issueUrl: string | null;
  outcome: PredictionOutcome;
  /** When the outcome was recorded. */
  outcomeAt: number | null;
  /** When it was last shown (or its issue recorded): the listing's order, newest first. */
  at: number;
}

/** The listing's cursor: the last row of the previous page. */
export interface PredictionCursor {
  at: number;
  repo: string;
  fingerprint: string;
}

/** A prediction with an outcome, for accuracy and calibration. */
export interface ResolvedPrediction {
  repo: string;
  confidence: number;
  outcome: "confirmed" | "rejected";
  at: number;
}

/** A piece of feedback with its repository (the trust history and the breaker). */
export interface DashboardFeedback {
  repo: string;
  userId: string;
  outcome: "accepted" | "rejected";
  createdAt: number;
}

export interface DashboardReview {
  repo: string;
  prNumber: number;
  headSha: string;
  level: number;
  confidence: number;
  findingCounts: Record<string, number>;
  summaryUrl: string | null;
  reviewedAt: number;
  /**
   * When the review job of this head was queued (the webhook's arrival): the newest done review
   * job of the pull request and head created before the result, while the job is kept (retention).
   */
  queuedAt: number | null;
}

export interface ReviewCursor {
  reviewedAt: number;
  repo: string;
  prNumber: number;
}

export interface DashboardReadStore {
  /** Predictions shown (and prediction issues whose shown item is gone), newest first. */
  listDashboardPredictions(query: { repos: string[]; before?: PredictionCursor; limit: number }): Promise<DashboardPrediction[]>;
  /** Predictions with an outcome and a known confidence, newest outcome first. */
  listResolvedPredictions(query: { repos: string[]; limit: number }): Promise<ResolvedPrediction[]>;
  /** The pattern with this id ("pat-…"), only when it belongs to one of these repositories. */
  getDashboardPattern(query: { repos: string[]; id: string }): Promise<PatternRecord | undefined>;
  /** Trust records, by repository then user. */
  listDashboardTrust(query: { repos: string[]; limit: number }): Promise<TrustRecord[]>;
  /** Feedback recorded at or after `since`, oldest first. */
  listDashboardFeedback(query: { repos: string[]; since: number; limit: number }): Promise<DashboardFeedback[]>;
  /** The last review result of each pull request, newest first. */
  listDashboardReviews(query: { repos: string[]; before?: ReviewCursor; limit: number }): Promise<DashboardReview[]>;
}

// --- shared by both stores ---

/** The names a read covers, lower case, at most MAX_DASHBOARD_REPOS. */
export function dashboardRepos(repos: string[]): string[] {
  return [...new Set(repos.map((r) => r.toLowerCase()))].sort().slice(0, MAX_DASHBOARD_REPOS);
}

export const pageLimit = (limit: number) => Math.max(1, Math.min(MAX_DASHBOARD_PAGE, Math.floor(limit) || 1));
export const scanLimit = (limit: number) => Math.max(1, Math.min(MAX_DASHBOARD_SCAN, Math.floor(limit) || 1));

/** A pattern id as the engine makes them (engine/patterns.ts patternId). */
export const PATTERN_ID = /^pat-[0-9a-f]{12}$/;

export interface PredictionRow {
  repo: string;
  fingerprint: string;
  pr_number: number | null;
  item: string | null;
  at: number;
  issue_number: number | null;
  issue_url: string | null;
  issue_title: string | null;
  issue_confidence: number | null;
  issue_outcome: string | null;
  issue_outcome_at: number | null;
  item_outcome: string | null;
  item_outcome_at: number | null;
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);

export function outcomeOf(feedback: string | null): PredictionOutcome | null {
  return feedback === "accepted" ? "confirmed" : feedback === "rejected" ? "rejected" : null;
}

export function toDashboardPrediction(r: PredictionRow): DashboardPrediction {
  let item: Record<string, unknown> = {};
  try {
    item = r.item ? (JSON.parse(r.item) as Record<string, unknown>) : {};
  } catch {
    item = {};
  }
  const issueOutcome = outcomeOf(r.issue_outcome);
  const itemOutcome = outcomeOf(r.item_outcome);
  const text = str(item.prediction);
  return {
    repo: r.repo,
    fingerprint: r.fingerprint,
    predictionId: str(item.id),
    kind: str(item.kind),
    title: r.issue_title ?? (text ? text.split(/(?<=[.!?])\s/)[0].slice(0, 300) : null),
    confidence: num(item.confidence) ?? (r.issue_confidence === null ? null : Number(r.issue_confidence)),
    prNumber: r.pr_number === null ? null : Number(r.pr_number),
    issueNumber: r.issue_number === null ? null : Number(r.issue_number),
    issueUrl: r.issue_url,
    outcome: issueOutcome ?? itemOutcome ?? "open",
    outcomeAt: issueOutcome ? Number(r.issue_outcome_at) : itemOutcome ? Number(r.item_outcome_at) : null,
    at: Number(r.at),
  };
}

export interface ResolvedRow {
  repo: string;
  outcome: string;
  at: number;
  confidence: number | string | null;
}

export function toResolved(rows: ResolvedRow[]): ResolvedPrediction[] {
  const out: ResolvedPrediction[] = [];
  for (const r of rows) {
    const confidence = r.confidence === null ? NaN : Number(r.confidence);
    const outcome = outcomeOf(r.outcome);
    if (!Number.isFinite(confidence) || confidence < 0 || confidence > 1 || outcome === null || outcome === "open") continue;
    out.push({ repo: r.repo, confidence, outcome, at: Number(r.at) });
  }
  return out;
}

export interface ReviewRow {
  repo: string;
  pr_number: number;
  head_sha: string;
  level: number;
  confidence: number;
  finding_counts: string;
  summary_url: string | null;
  reviewed_at: number;
}

export function toDashboardReview(r: ReviewRow, queuedAt: number | null): DashboardReview {
  let counts: Record<string, number> = {};
  try {
    counts = JSON.parse(r.finding_counts) as Record<string, number>;
  } catch {
    counts = {};
  }
  return {
    repo: r.repo,
    prNumber: Number(r.pr_number),
    headSha: r.head_sha,
    level: Number(r.level),
    confidence: Number(r.confidence),
    findingCounts: counts,
    summaryUrl: r.summary_url,
    reviewedAt: Number(r.reviewed_at),
    queuedAt,
  };
}

/** The job subject of a pull request (store.ts jobSubjectKey): "owner/repo#n", lower case. */
export const subjectOf = (repo: string, prNumber: number) => `${repo}#${prNumber}`.toLowerCase();

/** The tables whose stored repository spellings a viewer's lower-case names are matched against (both stores). */
export const SPELLING_TABLES = ["trust", "patterns", "shown_items", "prediction_issues", "feedback_log", "review_results"];

/** A recursive CTE `r_<table>(repo)` walking the distinct values of a table's leading `repo` column: one index probe per value. */
export const looseRepoScan = (t: string) =>
  `r_${t}(repo) AS (SELECT MIN(repo) FROM ${t} UNION ALL SELECT (SELECT MIN(repo) FROM ${t} WHERE repo > r_${t}.repo) FROM r_${t} WHERE r_${t}.repo IS NOT NULL)`;
