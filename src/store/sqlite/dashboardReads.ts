/**
 * The dashboard's insight reads on SQLite (DashboardReadStore): predictions with their outcome,
 * accuracy and calibration inputs, a pattern by id, trust records and feedback, review results.
 * Each read first finds the stored spellings of the viewer's repositories (a loose index scan of
 * each table's leading `repo` column: one index probe per stored repository, never a table
 * scan), then reads by them, so the rows come through the (repo, …) keys; lists are one JSON
 * array bound as one parameter (json_each), so each statement's text is fixed.
 */
import type { PatternRecord, TrustRecord } from "../../engine/state.js";
import {
  dashboardRepos,
  looseRepoScan,
  SPELLING_TABLES,
  PATTERN_ID,
  pageLimit,
  scanLimit,
  toDashboardPrediction,
  toDashboardReview,
  toResolved,
  type DashboardFeedback,
  type DashboardPrediction,
  type DashboardReview,
  type PredictionCursor,
  type PredictionRow,
  type ResolvedPrediction,
  type ResolvedRow,
  type ReviewCursor,
  type ReviewRow,
} from "../dashboardReads.js";
import type { SqlitePart } from "./base.js";

const SPELLINGS = `WITH RECURSIVE ${SPELLING_TABLES.map(looseRepoScan).join(",\n")}
SELECT DISTINCT repo FROM (${SPELLING_TABLES.map((t) => `SELECT repo FROM r_${t}`).join(" UNION ALL ")} UNION ALL SELECT repo FROM issue_policies)
WHERE repo IS NOT NULL AND lower(repo) IN (SELECT value FROM json_each(?))`;

const IS_PREDICTION = "json_extract(s.item, '$.prediction') IS NOT NULL";
const NAMES = "(SELECT value FROM json_each(@names))";
const BEFORE = (at: string, repo: string, fp: string) => `(@at IS NULL OR (${at}, ${repo}, ${fp}) < (@at, @repo, @fp))`;

const PREDICTIONS = `WITH
shown AS (
  SELECT * FROM (SELECT s.repo, s.fingerprint, s.pr_number, s.item, s.created_at AS at FROM shown_items s
    WHERE s.repo IN ${NAMES} AND ${IS_PREDICTION} AND ${BEFORE("s.created_at", "s.repo", "s.fingerprint")}
    ORDER BY s.created_at DESC, s.repo DESC, s.fingerprint DESC LIMIT @limit)),
orphan AS (
  SELECT * FROM (SELECT p.repo, p.fingerprint, NULL AS pr_number, NULL AS item, p.created_at AS at FROM prediction_issues p
    WHERE p.repo IN ${NAMES} AND ${BEFORE("p.created_at", "p.repo", "p.fingerprint")}
      AND NOT EXISTS (SELECT 1 FROM shown_items s WHERE s.repo = p.repo AND s.fingerprint = p.fingerprint)
    ORDER BY p.created_at DESC, p.repo DESC, p.fingerprint DESC LIMIT @limit)),
page AS (SELECT * FROM (SELECT * FROM shown UNION ALL SELECT * FROM orphan) ORDER BY at DESC, repo DESC, fingerprint DESC LIMIT @limit)
SELECT page.repo, page.fingerprint, page.pr_number, page.item, page.at,
  p.issue_number, p.url AS issue_url, p.title AS issue_title, p.confidence AS issue_confidence,
  fi.outcome AS issue_outcome, fi.created_at AS issue_outcome_at, ff.outcome AS item_outcome, ff.created_at AS item_outcome_at
FROM page
LEFT JOIN prediction_issues p ON p.repo = page.repo AND p.fingerprint = page.fingerprint
LEFT JOIN feedback_log fi ON fi.repo = page.repo AND fi.key = 'issue:' || p.issue_number
LEFT JOIN feedback_log ff ON ff.repo = page.repo AND ff.key = 'finding:' || page.pr_number || ':' || page.fingerprint
ORDER BY page.at DESC, page.repo DESC, page.fingerprint DESC`;

/** The fingerprint of a "finding:PR:fingerprint" key. */
const KEY_FINGERPRINT = "substr(f.key, 9 + instr(substr(f.key, 9), ':'))";

const RESOLVED = `SELECT f.repo, f.outcome, f.created_at AS at,
  COALESCE(p.confidence, json_extract(si.item, '$.confidence'), json_extract(s.item, '$.confidence')) AS confidence
FROM feedback_log f
LEFT JOIN prediction_issues p ON f.key GLOB 'issue:[0-9]*' AND p.repo = f.repo AND p.issue_number = CAST(substr(f.key, 7) AS INTEGER)
LEFT JOIN shown_items si ON si.repo = p.repo AND si.fingerprint = p.fingerprint
LEFT JOIN shown_items s ON f.key GLOB 'finding:*' AND s.repo = f.repo AND s.fingerprint = ${KEY_FINGERPRINT}
  AND f.key = 'finding:' || s.pr_number || ':' || s.fingerprint AND ${IS_PREDICTION}
WHERE f.repo IN ${NAMES} AND (p.fingerprint IS NOT NULL OR s.fingerprint IS NOT NULL)
ORDER BY f.created_at DESC LIMIT @limit`;

const REVIEWS = `SELECT page.*,
  (SELECT MAX(j.created_at) FROM jobs j WHERE j.status = 'done' AND j.subject = page.subject AND j.type = 'review_pull_request'
     AND json_extract(j.payload, '$.headSha') = page.head_sha AND j.created_at <= page.reviewed_at) AS queued_at
FROM (SELECT repo, pr_number, head_sha, level, confidence, finding_counts, summary_url, reviewed_at, lower(repo || '#' || pr_number) AS subject
  FROM review_results WHERE repo IN ${NAMES} AND ${BEFORE("reviewed_at", "repo", "pr_number")}
  ORDER BY reviewed_at DESC, repo DESC, pr_number DESC LIMIT @limit) page
ORDER BY page.reviewed_at DESC, page.repo DESC, page.pr_number DESC`;

export function SqliteDashboardReads<B extends SqlitePart>(Base: B) {
  return class SqliteDashboardReads extends Base {
    /** The stored spellings of these repositories (lower case in, as stored out), as one JSON array. */
    private spellings(repos: string[]): string | undefined {
      const wanted = dashboardRepos(repos);
      if (wanted.length === 0) return undefined;
      const rows = this.stmt(SPELLINGS).all(JSON.stringify(wanted)) as { repo: string }[];
      return rows.length === 0 ? undefined : JSON.stringify(rows.map((r) => r.repo));
    }

    async listDashboardPredictions(q: { repos: string[]; before?: PredictionCursor; limit: number }): Promise<DashboardPrediction[]> {
      const names = this.spellings(q.repos);
      if (!names) return [];
      const rows = this.stmt(PREDICTIONS).all({
        names,
        limit: pageLimit(q.limit),
        at: q.before?.at ?? null,
        repo: q.before?.repo ?? null,
        fp: q.before?.fingerprint ?? null,
      }) as PredictionRow[];
      return rows.map(toDashboardPrediction);
    }

    async listResolvedPredictions(q: { repos: string[]; limit: number }): Promise<ResolvedPrediction[]> {
      const names = this.spellings(q.repos);
      if (!names) return [];
      return toResolved(this.stmt(RESOLVED).all({ names, limit: scanLimit(q.limit) }) as ResolvedRow[]);
    }

    async getDashboardPattern(q: { repos: string[]; id: string }): Promise<PatternRecord | undefined> {
      if (!PATTERN_ID.test(q.id)) return undefined;
      const names = this.spellings(q.repos);
      if (!names) return undefined;
      const row = this.stmt(`SELECT record FROM patterns WHERE repo IN ${NAMES} AND json_extract(record, '$.id') = @id LIMIT 1`).get({
        names,
        id: q.id,
      }) as { record: string } | undefined;
      return row ? (JSON.parse(row.record) as PatternRecord) : undefined;
    }

    async listDashboardTrust(q: { repos: string[]; limit: number }): Promise<TrustRecord[]> {
      const names = this.spellings(q.repos);
      if (!names) return [];
      const rows = this.stmt(`SELECT record FROM trust WHERE repo IN ${NAMES} ORDER BY repo, user_id LIMIT @limit`).all({
        names,
        limit: scanLimit(q.limit),
      }) as { record: string }[];
      return rows.map((r) => JSON.parse(r.record) as TrustRecord);
    }

    async listDashboardFeedback(q: { repos: string[]; since: number; limit: number }): Promise<DashboardFeedback[]> {
      const names = this.spellings(q.repos);
      if (!names) return [];
      const rows = this.stmt(
        `SELECT repo, user_id, outcome, created_at FROM feedback_log WHERE repo IN ${NAMES} AND created_at >= @since
         ORDER BY created_at, repo, key LIMIT @limit`,
      ).all({ names, since: q.since, limit: scanLimit(q.limit) }) as {
        repo: string;
        user_id: string;
        outcome: string;
        created_at: number;
      }[];
      return rows.map((r) => ({
        repo: r.repo,
        userId: r.user_id,
        outcome: r.outcome === "rejected" ? "rejected" : "accepted",
        createdAt: Number(r.created_at),
      }));
    }

    async listDashboardReviews(q: { repos: string[]; before?: ReviewCursor; limit: number }): Promise<DashboardReview[]> {
      const names = this.spellings(q.repos);
      if (!names) return [];
      const rows = this.stmt(REVIEWS).all({
        names,
        limit: pageLimit(q.limit),
        at: q.before?.reviewedAt ?? null,
        repo: q.before?.repo ?? null,
        fp: q.before?.prNumber ?? null,
      }) as (ReviewRow & { queued_at: number | null })[];
      return rows.map((r) => toDashboardReview(r, r.queued_at === null ? null : Number(r.queued_at)));
    }
  };
}
