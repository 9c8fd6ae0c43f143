/**
 * What reviews concluded, as the store keeps it for readers (ReviewStore, FeedbackStore in
 * store.ts): each pull request's last review result, prediction issues with what listings show,
 * and each repository's issue policy.
 */

/** A finding of a stored review result, as listings show it (the full finding stays in shown_items). */
export interface StoredFinding {
  category: string;
  severity: string;
  path: string;
  line: number;
  /** The finding's message in one line, redacted. */
  title: string;
}

/** A prediction of a stored review result. */
export interface StoredPrediction {
  /** The prediction in one line, redacted. */
  title: string;
  confidence: number;
  severity: string;
  path: string;
  line: number;
}

/**
 * What the last review of a pull request concluded, as structured data: what Slack and other
 * readers show, instead of parsing the summary comment's Markdown. One per pull request (the
 * latest head reviewed); every text in it is redacted before it is stored.
 */
export interface ReviewResult {
  headSha: string;
  /** 1..5 (the name is engine/levels.ts LEVEL_NAMES's: one definition). */
  level: number;
  confidence: number;
  /** The engine's summary of the change, in one line (the summary comment's opening text). */
  summary: string;
  /** Why the review held back (the trust breaker's cautious mode), or null. */
  notice: string | null;
  /** Findings per severity (every finding, not only the top ones), e.g. { high: 2, low: 1 }. */
  findingCounts: Record<string, number>;
  /** The most severe findings, most severe first (at most a few). */
  topFindings: StoredFinding[];
  /** The predictions shown, most confident first (at most a few). */
  predictions: StoredPrediction[];
  summaryCommentId: number | null;
  summaryUrl: string | null;
  /** ms since the epoch. */
  reviewedAt: number;
}

/** What a prediction issue is recorded with, for listings ("recent predictions"). */
export interface PredictionIssueDetails {
  /** The prediction in one line, redacted. */
  title: string;
  confidence: number;
  /** The issue's web address (github.com or GitHub Enterprise). */
  url: string | null;
}

export interface PredictionIssueRecord {
  repo: string;
  fingerprint: string;
  issueNumber: number;
  /** null for an issue recorded before its details were kept (schema 10 / PostgreSQL 3). */
  title: string | null;
  confidence: number | null;
  url: string | null;
  /** When the link was first recorded (ms). */
  createdAt: number;
}

/**
 * Whether the app may open issues in a repository (its config's `issues.enabled`, and the trust
 * breaker closed), and the installation to open them through, as its last review found them.
 * Kept in the store, not in memory: every instance reads it, after a restart too.
 */
export interface IssuePolicyRecord {
  enabled: boolean;
  installationId: number;
}
