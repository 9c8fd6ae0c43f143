/**
 * What the insight pages (predictions, patterns, trust, reviews) need, declared here because the
 * dashboard imports neither the store nor the engine: the store matches `InsightReads` as it is
 * (src/store/dashboardReads.ts), and the composition root passes the engine's rules (the trust
 * step, the breaker, pattern ids, level names) so the pages never restate them.
 * Repository names go in lower case; rows come back with the names as stored.
 */

export type PredictionOutcome = "confirmed" | "rejected" | "open";

export interface PredictionRow {
  repo: string;
  fingerprint: string;
  predictionId: string | null;
  kind: string | null;
  title: string | null;
  confidence: number | null;
  prNumber: number | null;
  issueNumber: number | null;
  issueUrl: string | null;
  outcome: PredictionOutcome;
  outcomeAt: number | null;
  at: number;
}

export interface ResolvedPrediction {
  repo: string;
  confidence: number;
  outcome: "confirmed" | "rejected";
  at: number;
}

export interface PatternView {
  id: string;
  repo: string;
  key: string;
  name: string;
  occurrences: number;
  successes: number;
  failures: number;
  confidence: number;
  learned: boolean;
  prNumbers: number[];
  transformed?: boolean;
}

export interface TrustView {
  userId: string;
  repo: string;
  trust: number;
}

export interface FeedbackRow {
  repo: string;
  userId: string;
  outcome: "accepted" | "rejected";
  createdAt: number;
}

export interface ReviewRow {
  repo: string;
  prNumber: number;
  headSha: string;
  level: number;
  confidence: number;
  findingCounts: Record<string, number>;
  summaryUrl: string | null;
  reviewedAt: number;
  queuedAt: number | null;
}

export interface InsightReads {
  listDashboardPredictions(query: {
    repos: string[];
    before?: { at: number; repo: string; fingerprint: string };
    limit: number;
  }): Promise<PredictionRow[]>;
  listResolvedPredictions(query: { repos: string[]; limit: number }): Promise<ResolvedPrediction[]>;
  getDashboardPattern(query: { repos: string[]; id: string }): Promise<PatternView | undefined>;
  listDashboardTrust(query: { repos: string[]; limit: number }): Promise<TrustView[]>;
  listDashboardFeedback(query: { repos: string[]; since: number; limit: number }): Promise<FeedbackRow[]>;
  listDashboardReviews(query: {
    repos: string[];
    before?: { reviewedAt: number; repo: string; prNumber: number };
    limit: number;
  }): Promise<ReviewRow[]>;
}

/** The trust circuit breaker's state of a repository (github/feedback/feedbackBreaker.ts). */
export interface BreakerView {
  open: boolean;
  openedAt: number | null;
  recentRejections: number;
  acceptancesToRecover: number;
}

export interface InsightsSource {
  reads: InsightReads;
  /** The engine's trust rule (engine/trust.ts): the starting value and one step. Absent: no trust history is drawn. */
  trust?: { initial: number; after(trust: number, outcome: "accepted" | "rejected"): number };
  /** The breaker over a repository's feedback since now - lookbackMs. Absent: its state is not shown. */
  breaker?: { lookbackMs: number; state(entries: FeedbackRow[], now: number): BreakerView };
  /** The engine's pattern id of a repository (as stored) and key (engine/patterns.ts patternId): links a prediction's kind to its pattern. */
  patternId?: (repo: string, key: string) => string;
  /** A level's name (engine/levels.ts LEVEL_NAMES). */
  levelName?: (level: number) => string | undefined;
}
