/**
 * What reviews concluded, on PostgreSQL: each pull request's last review result, prediction
 * issues listed newest first, and the repositories' issue policies (ReviewStore, FeedbackStore).
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
import { pgText, type PostgresPart } from "./base.js";

const SAVE_RESULT = `INSERT INTO review_results (repo, pr_number, ${REVIEW_RESULT_COLUMNS.join(", ")})
  VALUES ($1, $2, ${REVIEW_RESULT_COLUMNS.map((_, i) => `$${i + 3}`).join(", ")})
  ON CONFLICT (repo, pr_number) DO UPDATE SET ${REVIEW_RESULT_COLUMNS.map((c) => `${c} = excluded.${c}`).join(", ")}`;

const ISSUE_COLUMNS = "repo, fingerprint, issue_number, title, confidence, url, created_at";

export function PostgresResults<B extends PostgresPart>(Base: B) {
  return class PostgresResults extends Base {
    async saveReviewResult(repo: string, prNumber: number, result: ReviewResult): Promise<void> {
      // Texts from pull requests: PostgreSQL refuses NUL in TEXT.
      const values = reviewResultValues(result).map((v) => (typeof v === "string" ? pgText(v) : v));
      await this.pool.query(SAVE_RESULT, [repo, prNumber, ...values]);
    }

    async getReviewResult(repo: string, prNumber: number): Promise<ReviewResult | undefined> {
      const [row] = await this.rows<ReviewResultRow>("SELECT * FROM review_results WHERE repo = $1 AND pr_number = $2", [repo, prNumber]);
      return row && toReviewResult(row);
    }

    async listPredictionIssues(query: { repo?: string; limit: number }): Promise<PredictionIssueRecord[]> {
      const rows =
        query.repo === undefined
          ? await this.rows<PredictionIssueRow>(
              `SELECT ${ISSUE_COLUMNS} FROM prediction_issues ORDER BY created_at DESC, repo DESC, fingerprint DESC LIMIT $1`,
              [query.limit],
            )
          : await this.rows<PredictionIssueRow>(
              `SELECT ${ISSUE_COLUMNS} FROM prediction_issues WHERE repo = $1 ORDER BY created_at DESC, fingerprint DESC LIMIT $2`,
              [query.repo, query.limit],
            );
      return rows.map(toPredictionIssue);
    }

    async saveIssuePolicy(repo: string, policy: IssuePolicyRecord): Promise<void> {
      await this.pool.query(
        `INSERT INTO issue_policies (repo, enabled, installation_id, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (repo) DO UPDATE SET enabled = excluded.enabled, installation_id = excluded.installation_id, updated_at = excluded.updated_at`,
        [repo, policy.enabled, policy.installationId, Date.now()],
      );
    }

    async getIssuePolicy(repo: string): Promise<IssuePolicyRecord | undefined> {
      const [row] = await this.rows<{ enabled: boolean; installation_id: number }>(
        "SELECT enabled, installation_id FROM issue_policies WHERE repo = $1",
        [repo],
      );
      return row && { enabled: row.enabled, installationId: row.installation_id };
    }
  };
}
