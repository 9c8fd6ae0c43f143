/**
 * The dashboard's insight reads on PostgreSQL (DashboardReadStore), the same semantics as the
 * SQLite part: the stored spellings of the viewer's repositories first (a loose index scan of
 * each table's leading `repo` column), then reads by them through the (repo, …) keys, every
 * list with a LIMIT. Repository lists are one text[] parameter.
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
import type { PostgresPart } from "./base.js";

const SPELLINGS = `WITH RECURSIVE ${SPELLING_TABLES.map(looseRepoScan).join(",\n")}
SELECT DISTINCT repo FROM (${SPELLING_TABLES.map((t) => `SELECT repo FROM r_${t}`).join(" UNION ALL ")} UNION ALL SELECT repo FROM issue_policies) names
WHERE repo IS NOT NULL AND lower(repo) = ANY($1::text[])`;

const IS_PREDICTION = "(s.item::jsonb ->> 'prediction') IS NOT NULL";
/** $2: cursor time (NULL: the first page), $3 repo, $4 third key. */
const BEFORE = (at: string, repo: string, third: string, cast: string) =>
  `($2::bigint IS NULL OR (${at}, ${repo}, ${third}) < ($2::bigint, $3::text COLLATE "C", $4::${cast}))`;

const PREDICTIONS = `WITH
shown AS (
  SELECT s.repo, s.fingerprint, s.pr_number, s.item, s.created_at AS at FROM shown_items s
  WHERE s.repo = ANY($1::text[]) AND ${IS_PREDICTION} AND ${BEFORE("s.created_at", "s.repo", "s.fingerprint", 'text COLLATE "C"')}
  ORDER BY s.created_at DESC, s.repo DESC, s.fingerprint DESC LIMIT $5),
orphan AS (
  SELECT p.repo, p.fingerprint, NULL::integer AS pr_number, NULL::text AS item, p.created_at AS at FROM prediction_issues p
  WHERE p.repo = ANY($1::text[]) AND ${BEFORE("p.created_at", "p.repo", "p.fingerprint", 'text COLLATE "C"')}
    AND NOT EXISTS (SELECT 1 FROM shown_items s WHERE s.repo = p.repo AND s.fingerprint = p.fingerprint)
  ORDER BY p.created_at DESC, p.repo DESC, p.fingerprint DESC LIMIT $5),
page AS (SELECT * FROM (SELECT * FROM shown UNION ALL SELECT * FROM orphan) u ORDER BY at DESC, repo DESC, fingerprint DESC LIMIT $5)
SELECT page.repo, page.fingerprint, page.pr_number, page.item, page.at,
  p.issue_number, p.url AS issue_url, p.title AS issue_title, p.confidence AS issue_confidence,
  fi.outcome AS issue_outcome, fi.created_at AS issue_outcome_at, ff.outcome AS item_outcome, ff.created_at AS item_outcome_at
FROM page
LEFT JOIN prediction_issues p ON p.repo = page.repo AND p.fingerprint = page.fingerprint
LEFT JOIN feedback_log fi ON fi.repo = page.repo AND fi.key = 'issue:' || p.issue_number
LEFT JOIN feedback_log ff ON ff.repo = page.repo AND ff.key = 'finding:' || page.pr_number || ':' || page.fingerprint
ORDER BY page.at DESC, page.repo DESC, page.fingerprint DESC`;

const RESOLVED = `SELECT f.repo, f.outcome, f.created_at AS at,
  COALESCE(p.confidence, (si.item::jsonb ->> 'confidence')::double precision, (s.item::jsonb ->> 'confidence')::double precision) AS confidence
FROM feedback_log f
LEFT JOIN prediction_issues p ON p.repo = f.repo
  AND p.issue_number = CASE WHEN f.key ~ '^issue:[0-9]{1,15}$' THEN substr(f.key, 7)::bigint END
LEFT JOIN shown_items si ON si.repo = p.repo AND si.fingerprint = p.fingerprint
LEFT JOIN shown_items s ON f.key LIKE 'finding:%' AND s.repo = f.repo AND s.fingerprint = split_part(f.key, ':', 3)
  AND f.key = 'finding:' || s.pr_number || ':' || s.fingerprint AND ${IS_PREDICTION}
WHERE f.repo = ANY($1::text[]) AND (p.fingerprint IS NOT NULL OR s.fingerprint IS NOT NULL)
ORDER BY f.created_at DESC LIMIT $2`;

const REVIEWS = `SELECT page.*,
  (SELECT MAX(j.created_at) FROM jobs j WHERE j.status = 'done' AND j.subject = page.subject AND j.type = 'review_pull_request'
     AND (j.payload::jsonb ->> 'headSha') = page.head_sha AND j.created_at <= page.reviewed_at) AS queued_at
FROM (SELECT repo, pr_number, head_sha, level, confidence, finding_counts, summary_url, reviewed_at, (lower(repo || '#' || pr_number) COLLATE "default") AS subject
  FROM review_results WHERE repo = ANY($1::text[]) AND ${BEFORE("reviewed_at", "repo", "pr_number", "integer")}
  ORDER BY reviewed_at DESC, repo DESC, pr_number DESC LIMIT $5) page
ORDER BY page.reviewed_at DESC, page.repo DESC, page.pr_number DESC`;

export function PostgresDashboardReads<B extends PostgresPart>(Base: B) {
  return class PostgresDashboardReads extends Base {
    /** The stored spellings of these repositories (lower case in, as stored out). */
    private async spellings(repos: string[]): Promise<string[]> {
      const wanted = dashboardRepos(repos);
      if (wanted.length === 0) return [];
      return (await this.rows<{ repo: string }>(SPELLINGS, [wanted])).map((r) => r.repo);
    }

    async listDashboardPredictions(q: { repos: string[]; before?: PredictionCursor; limit: number }): Promise<DashboardPrediction[]> {
      const names = await this.spellings(q.repos);
      if (names.length === 0) return [];
      const b = q.before;
      const rows = await this.rows<PredictionRow>(PREDICTIONS, [
        names,
        b?.at ?? null,
        b?.repo ?? null,
        b?.fingerprint ?? null,
        pageLimit(q.limit),
      ]);
      return rows.map(toDashboardPrediction);
    }

    async listResolvedPredictions(q: { repos: string[]; limit: number }): Promise<ResolvedPrediction[]> {
      const names = await this.spellings(q.repos);
      if (names.length === 0) return [];
      return toResolved(await this.rows<ResolvedRow>(RESOLVED, [names, scanLimit(q.limit)]));
    }

    async getDashboardPattern(q: { repos: string[]; id: string }): Promise<PatternRecord | undefined> {
      if (!PATTERN_ID.test(q.id)) return undefined;
      const names = await this.spellings(q.repos);
      if (names.length === 0) return undefined;
      const rows = await this.rows<{ record: string }>(
        "SELECT record FROM patterns WHERE repo = ANY($1::text[]) AND (record::jsonb ->> 'id') = $2 LIMIT 1",
        [names, q.id],
      );
      return rows[0] ? (JSON.parse(rows[0].record) as PatternRecord) : undefined;
    }

    async listDashboardTrust(q: { repos: string[]; limit: number }): Promise<TrustRecord[]> {
      const names = await this.spellings(q.repos);
      if (names.length === 0) return [];
      const rows = await this.rows<{ record: string }>(
        "SELECT record FROM trust WHERE repo = ANY($1::text[]) ORDER BY repo, user_id LIMIT $2",
        [names, scanLimit(q.limit)],
      );
      return rows.map((r) => JSON.parse(r.record) as TrustRecord);
    }

    async listDashboardFeedback(q: { repos: string[]; since: number; limit: number }): Promise<DashboardFeedback[]> {
      const names = await this.spellings(q.repos);
      if (names.length === 0) return [];
      const rows = await this.rows<{ repo: string; user_id: string; outcome: string; created_at: number }>(
        `SELECT repo, user_id, outcome, created_at FROM feedback_log WHERE repo = ANY($1::text[]) AND created_at >= $2
         ORDER BY created_at, seq LIMIT $3`,
        [names, q.since, scanLimit(q.limit)],
      );
      return rows.map((r) => ({
        repo: r.repo,
        userId: r.user_id,
        outcome: r.outcome === "rejected" ? "rejected" : "accepted",
        createdAt: Number(r.created_at),
      }));
    }

    async listDashboardReviews(q: { repos: string[]; before?: ReviewCursor; limit: number }): Promise<DashboardReview[]> {
      const names = await this.spellings(q.repos);
      if (names.length === 0) return [];
      const b = q.before;
      const rows = await this.rows<ReviewRow & { queued_at: number | null }>(REVIEWS, [
        names,
        b?.reviewedAt ?? null,
        b?.repo ?? null,
        b?.prNumber ?? null,
        pageLimit(q.limit),
      ]);
      return rows.map((r) => toDashboardReview(r, r.queued_at === null ? null : Number(r.queued_at)));
    }
  };
}
