/**
 * Reviews on PostgreSQL: what was posted on each pull request (ReviewStore), the open pull
 * requests' coordination records (CoordinationStore) and rate slots (RateSlotStore). The
 * idempotency keys are primary keys: a review per head commit, an inline comment per
 * fingerprint, a prediction issue per repository and fingerprint, a coordination step per key.
 */
import { toOpenPull, type OpenPullRow } from "../rows.js";
import type { OpenPullResources, PostedFinding, PredictionIssueDetails, RateSlotClaim, SummaryState } from "../store.js";
import { pgText, type PostgresPart } from "./base.js";

export function PostgresReviews<B extends PostgresPart>(Base: B) {
  return class PostgresReviews extends Base {
    async getReview(repo: string, prNumber: number, commitSha: string): Promise<{ reviewId: number | null } | undefined> {
      const [row] = await this.rows<{ review_id: number | null }>(
        "SELECT review_id FROM reviews WHERE repo = $1 AND pr_number = $2 AND commit_sha = $3",
        [repo, prNumber, commitSha],
      );
      return row ? { reviewId: row.review_id } : undefined;
    }

    async saveReview(repo: string, prNumber: number, commitSha: string, reviewId: number | null): Promise<void> {
      await this.pool.query(
        `INSERT INTO reviews (repo, pr_number, commit_sha, review_id, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (repo, pr_number, commit_sha) DO UPDATE SET review_id = excluded.review_id`,
        [repo, prNumber, commitSha, reviewId, Date.now()],
      );
    }

    async listPostedFindings(repo: string, prNumber: number): Promise<PostedFinding[]> {
      const rows = await this.rows<{ fingerprint: string; path: string; line: number; commit_sha: string }>(
        "SELECT fingerprint, path, line, commit_sha FROM posted_findings WHERE repo = $1 AND pr_number = $2 ORDER BY fingerprint",
        [repo, prNumber],
      );
      return rows.map((r) => ({ fingerprint: r.fingerprint, path: r.path, line: r.line, commitSha: r.commit_sha }));
    }

    async savePostedFindings(repo: string, prNumber: number, findings: PostedFinding[]): Promise<void> {
      if (findings.length === 0) return;
      // One statement for all of them (all or none); the first of a fingerprint stays.
      await this.pool.query(
        `INSERT INTO posted_findings (repo, pr_number, fingerprint, path, line, commit_sha)
         SELECT $1::text, $2::int, f.fingerprint, f.path, f.line, f.commit_sha
         FROM unnest($3::text[], $4::text[], $5::int[], $6::text[]) WITH ORDINALITY AS f(fingerprint, path, line, commit_sha, n)
         ORDER BY f.n
         ON CONFLICT (repo, pr_number, fingerprint) DO NOTHING`,
        [
          repo,
          prNumber,
          findings.map((f) => f.fingerprint),
          findings.map((f) => f.path),
          findings.map((f) => f.line),
          findings.map((f) => f.commitSha),
        ],
      );
    }

    async getSummary(repo: string, prNumber: number): Promise<SummaryState | undefined> {
      const [row] = await this.rows<{ comment_id: number | null; last_fingerprints: string; last_sha: string | null }>(
        "SELECT comment_id, last_fingerprints, last_sha FROM summaries WHERE repo = $1 AND pr_number = $2",
        [repo, prNumber],
      );
      return row ? { commentId: row.comment_id, lastFingerprints: JSON.parse(row.last_fingerprints), lastSha: row.last_sha } : undefined;
    }

    async saveSummary(repo: string, prNumber: number, state: SummaryState): Promise<void> {
      await this.pool.query(
        `INSERT INTO summaries (repo, pr_number, comment_id, last_fingerprints, last_sha) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (repo, pr_number) DO UPDATE SET comment_id = excluded.comment_id,
           last_fingerprints = excluded.last_fingerprints, last_sha = excluded.last_sha`,
        [repo, prNumber, state.commentId, JSON.stringify(state.lastFingerprints), state.lastSha],
      );
    }

    async getPredictionIssue(repo: string, fingerprint: string): Promise<number | undefined> {
      const [row] = await this.rows<{ issue_number: number }>(
        "SELECT issue_number FROM prediction_issues WHERE repo = $1 AND fingerprint = $2",
        [repo, fingerprint],
      );
      return row?.issue_number;
    }

    async savePredictionIssue(repo: string, fingerprint: string, issueNumber: number, details?: PredictionIssueDetails): Promise<void> {
      // Details given once are kept when a later save has none (COALESCE).
      await this.pool.query(
        `INSERT INTO prediction_issues (repo, fingerprint, issue_number, title, confidence, url, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (repo, fingerprint) DO UPDATE SET issue_number = excluded.issue_number, title = COALESCE(excluded.title, prediction_issues.title),
           confidence = COALESCE(excluded.confidence, prediction_issues.confidence), url = COALESCE(excluded.url, prediction_issues.url)`,
        [
          repo,
          fingerprint,
          issueNumber,
          pgText(details?.title ?? null),
          details?.confidence ?? null,
          pgText(details?.url ?? null),
          Date.now(),
        ],
      );
    }

    // --- coordination ---

    async saveOpenPullResources(repo: string, r: OpenPullResources): Promise<void> {
      await this.pool.query(
        `INSERT INTO open_pull_resources (repo, pr_number, author, head_sha, url, title, resources, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (repo, pr_number) DO UPDATE SET author = excluded.author, head_sha = excluded.head_sha, url = excluded.url,
           title = excluded.title, resources = excluded.resources, updated_at = excluded.updated_at`,
        [repo, r.prNumber, r.author, r.headSha, r.url, r.title, JSON.stringify(r.resources), Date.now()],
      );
    }

    async getOpenPullResources(repo: string, prNumber: number): Promise<OpenPullResources | undefined> {
      const [row] = await this.rows<OpenPullRow>("SELECT * FROM open_pull_resources WHERE repo = $1 AND pr_number = $2", [repo, prNumber]);
      return row && toOpenPull(row);
    }

    async listOpenPullResources(repo: string): Promise<OpenPullResources[]> {
      return (await this.rows<OpenPullRow>("SELECT * FROM open_pull_resources WHERE repo = $1 ORDER BY pr_number", [repo])).map(toOpenPull);
    }

    async deleteOpenPullResources(repo: string, prNumber: number): Promise<void> {
      await this.pool.query("DELETE FROM open_pull_resources WHERE repo = $1 AND pr_number = $2", [repo, prNumber]);
    }

    async markCoordinationDone(repo: string, key: string): Promise<boolean> {
      return (
        (await this.changes(
          "INSERT INTO coordination_done (repo, done_key, created_at) VALUES ($1, $2, $3) ON CONFLICT (repo, done_key) DO NOTHING",
          [repo, key, Date.now()],
        )) === 1
      );
    }

    async isCoordinationDone(repo: string, key: string): Promise<boolean> {
      return (await this.rows("SELECT 1 FROM coordination_done WHERE repo = $1 AND done_key = $2", [repo, key])).length > 0;
    }

    // --- rate slots ---

    async claimRateSlot(slot: string, claimant: string, now: number, intervalMs: number): Promise<RateSlotClaim> {
      // One statement decides and reports, as on SQLite: a free slot (none yet, or taken at least
      // intervalMs ago) is taken; a taken one is left as it is and returned. Concurrent claims of
      // one slot are serialised on its row by ON CONFLICT.
      const [row] = await this.rows<{ claimant: string; last_at: number }>(
        `INSERT INTO rate_slots (slot, claimant, last_at) VALUES ($1, $2, $3)
         ON CONFLICT (slot) DO UPDATE SET
           claimant = CASE WHEN rate_slots.last_at <= $4 THEN excluded.claimant ELSE rate_slots.claimant END,
           last_at = CASE WHEN rate_slots.last_at <= $4 THEN excluded.last_at ELSE rate_slots.last_at END
         RETURNING claimant, last_at`,
        [slot, claimant, now, now - intervalMs],
      );
      if (row.claimant === claimant) return { ok: true };
      return { ok: false, lastAt: row.last_at, nextAt: row.last_at + intervalMs };
    }

    // --- the language model's token spend ---

    async reserveLlmTokens(key: string, tokens: number, limit: number, now: number): Promise<boolean> {
      if (tokens > limit) return false; // a new key's first reservation must fit too
      // As on SQLite; concurrent reservations of one key are serialised on its row by ON CONFLICT.
      const rows = await this.rows<{ spent: string }>(
        `INSERT INTO llm_token_spend (budget_key, spent, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (budget_key) DO UPDATE SET spent = llm_token_spend.spent + excluded.spent, updated_at = excluded.updated_at
         WHERE llm_token_spend.spent + excluded.spent <= $4
         RETURNING spent`,
        [key, tokens, now, limit],
      );
      return rows.length === 1;
    }

    async adjustLlmTokens(key: string, delta: number, now: number): Promise<void> {
      await this.changes("UPDATE llm_token_spend SET spent = GREATEST(0, spent + $1), updated_at = $2 WHERE budget_key = $3", [
        delta,
        now,
        key,
      ]);
    }
  };
}
