/**
 * What reviews concluded, on SQLite: each pull request's last review result, prediction issues
 * listed newest first, and the repositories' issue policies (ReviewStore, FeedbackStore).
 */
import {
  REVIEW_RESULT_COLUMNS,
  reviewResultValues,
  toPredictionIssue,
  toReviewResult,
  type PredictionIssueRow,
  type ReviewResultRow,
} from "../rows.js";
import type { IssuePolicyRecord, PredictionIssueRecord, ReviewResult } from "../store.js";
import type { SqlitePart } from "./base.js";

const SAVE_RESULT = `INSERT INTO review_results (repo, pr_number, ${REVIEW_RESULT_COLUMNS.join(", ")})
  VALUES (?, ?, ${REVIEW_RESULT_COLUMNS.map(() => "?").join(", ")})
  ON CONFLICT (repo, pr_number) DO UPDATE SET ${REVIEW_RESULT_COLUMNS.map((c) => `${c} = excluded.${c}`).join(", ")}`;

const ISSUE_COLUMNS = "repo, fingerprint, issue_number, title, confidence, url, created_at";

export function SqliteResults<B extends SqlitePart>(Base: B) {
  return class SqliteResults extends Base {
    async saveReviewResult(repo: string, prNumber: number, result: ReviewResult): Promise<void> {
      this.stmt(SAVE_RESULT).run(repo, prNumber, ...reviewResultValues(result));
    }

    async getReviewResult(repo: string, prNumber: number): Promise<ReviewResult | undefined> {
      const row = this.stmt("SELECT * FROM review_results WHERE repo = ? AND pr_number = ?").get(repo, prNumber) as
        ReviewResultRow | undefined;
      return row && toReviewResult(row);
    }

    async listPredictionIssues(query: { repo?: string; limit: number }): Promise<PredictionIssueRecord[]> {
      // Ties in time broken by the key, so a listing is stable; each form reads its index backwards, no sort.
      const rows =
        query.repo === undefined
          ? this.stmt(`SELECT ${ISSUE_COLUMNS} FROM prediction_issues ORDER BY created_at DESC, repo DESC, fingerprint DESC LIMIT ?`).all(
              query.limit,
            )
          : this.stmt(
              `SELECT ${ISSUE_COLUMNS} FROM prediction_issues WHERE repo = ? ORDER BY created_at DESC, fingerprint DESC LIMIT ?`,
            ).all(query.repo, query.limit);
      return (rows as PredictionIssueRow[]).map(toPredictionIssue);
    }

    async saveIssuePolicy(repo: string, policy: IssuePolicyRecord): Promise<void> {
      this.stmt(
        `INSERT INTO issue_policies (repo, enabled, installation_id, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (repo) DO UPDATE SET enabled = excluded.enabled, installation_id = excluded.installation_id, updated_at = excluded.updated_at`,
      ).run(repo, policy.enabled ? 1 : 0, policy.installationId, Date.now());
    }

    async getIssuePolicy(repo: string): Promise<IssuePolicyRecord | undefined> {
      const row = this.stmt("SELECT enabled, installation_id FROM issue_policies WHERE repo = ?").get(repo) as
        { enabled: number; installation_id: number } | undefined;
      return row && { enabled: row.enabled === 1, installationId: row.installation_id };
    }
  };
}
