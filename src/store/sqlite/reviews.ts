/**
 * Reviews on SQLite: what was posted on each pull request (ReviewStore), the open pull requests'
 * coordination records (CoordinationStore) and rate slots (RateSlotStore). The idempotency keys
 * are primary keys: a review per head commit, an inline comment per fingerprint, a prediction
 * issue per repository and fingerprint, a coordination step per key.
 */
import { toOpenPull, type OpenPullRow } from "../rows.js";
import type { OpenPullResources, PostedFinding, PredictionIssueDetails, RateSlotClaim, SummaryState } from "../store.js";
import type { SqlitePart } from "./base.js";

export function SqliteReviews<B extends SqlitePart>(Base: B) {
  return class SqliteReviews extends Base {
    async getReview(repo: string, prNumber: number, commitSha: string): Promise<{ reviewId: number | null } | undefined> {
      const row = this.stmt("SELECT review_id FROM reviews WHERE repo = ? AND pr_number = ? AND commit_sha = ?").get(
        repo,
        prNumber,
        commitSha,
      ) as { review_id: number | null } | undefined;
      return row ? { reviewId: row.review_id } : undefined;
    }

    async saveReview(repo: string, prNumber: number, commitSha: string, reviewId: number | null): Promise<void> {
      this.stmt(
        `INSERT INTO reviews (repo, pr_number, commit_sha, review_id, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (repo, pr_number, commit_sha) DO UPDATE SET review_id = excluded.review_id`,
      ).run(repo, prNumber, commitSha, reviewId, Date.now());
    }

    async listPostedFindings(repo: string, prNumber: number): Promise<PostedFinding[]> {
      return (
        this.stmt("SELECT fingerprint, path, line, commit_sha FROM posted_findings WHERE repo = ? AND pr_number = ?").all(
          repo,
          prNumber,
        ) as {
          fingerprint: string;
          path: string;
          line: number;
          commit_sha: string;
        }[]
      ).map((r) => ({ fingerprint: r.fingerprint, path: r.path, line: r.line, commitSha: r.commit_sha }));
    }

    async savePostedFindings(repo: string, prNumber: number, findings: PostedFinding[]): Promise<void> {
      const insert = this.stmt(
        `INSERT INTO posted_findings (repo, pr_number, fingerprint, path, line, commit_sha) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (repo, pr_number, fingerprint) DO NOTHING`,
      );
      this.db.transaction(() => {
        for (const f of findings) insert.run(repo, prNumber, f.fingerprint, f.path, f.line, f.commitSha);
      })();
    }

    async getSummary(repo: string, prNumber: number): Promise<SummaryState | undefined> {
      const row = this.stmt("SELECT comment_id, last_fingerprints, last_sha FROM summaries WHERE repo = ? AND pr_number = ?").get(
        repo,
        prNumber,
      ) as { comment_id: number | null; last_fingerprints: string; last_sha: string | null } | undefined;
      return row ? { commentId: row.comment_id, lastFingerprints: JSON.parse(row.last_fingerprints), lastSha: row.last_sha } : undefined;
    }

    async saveSummary(repo: string, prNumber: number, state: SummaryState): Promise<void> {
      this.stmt(
        `INSERT INTO summaries (repo, pr_number, comment_id, last_fingerprints, last_sha) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (repo, pr_number) DO UPDATE SET comment_id = excluded.comment_id,
           last_fingerprints = excluded.last_fingerprints, last_sha = excluded.last_sha`,
      ).run(repo, prNumber, state.commentId, JSON.stringify(state.lastFingerprints), state.lastSha);
    }

    async getPredictionIssue(repo: string, fingerprint: string): Promise<number | undefined> {
      const row = this.stmt("SELECT issue_number FROM prediction_issues WHERE repo = ? AND fingerprint = ?").get(repo, fingerprint) as
        { issue_number: number } | undefined;
      return row?.issue_number;
    }

    async savePredictionIssue(repo: string, fingerprint: string, issueNumber: number, details?: PredictionIssueDetails): Promise<void> {
      // Details given once are kept when a later save has none (COALESCE).
      this.stmt(
        `INSERT INTO prediction_issues (repo, fingerprint, issue_number, title, confidence, url, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (repo, fingerprint) DO UPDATE SET issue_number = excluded.issue_number, title = COALESCE(excluded.title, prediction_issues.title),
           confidence = COALESCE(excluded.confidence, prediction_issues.confidence), url = COALESCE(excluded.url, prediction_issues.url)`,
      ).run(repo, fingerprint, issueNumber, details?.title ?? null, details?.confidence ?? null, details?.url ?? null, Date.now());
    }

    // --- coordination ---

    async saveOpenPullResources(repo: string, r: OpenPullResources): Promise<void> {
      this.stmt(
        `INSERT INTO open_pull_resources (repo, pr_number, author, head_sha, url, title, resources, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (repo, pr_number) DO UPDATE SET author = excluded.author, head_sha = excluded.head_sha, url = excluded.url,
           title = excluded.title, resources = excluded.resources, updated_at = excluded.updated_at`,
      ).run(repo, r.prNumber, r.author, r.headSha, r.url, r.title, JSON.stringify(r.resources), Date.now());
    }

    async getOpenPullResources(repo: string, prNumber: number): Promise<OpenPullResources | undefined> {
      const row = this.stmt("SELECT * FROM open_pull_resources WHERE repo = ? AND pr_number = ?").get(repo, prNumber) as
        OpenPullRow | undefined;
      return row && toOpenPull(row);
    }

    async listOpenPullResources(repo: string): Promise<OpenPullResources[]> {
      return (this.stmt("SELECT * FROM open_pull_resources WHERE repo = ? ORDER BY pr_number").all(repo) as OpenPullRow[]).map(toOpenPull);
    }

    async deleteOpenPullResources(repo: string, prNumber: number): Promise<void> {
      this.stmt("DELETE FROM open_pull_resources WHERE repo = ? AND pr_number = ?").run(repo, prNumber);
    }

    async markCoordinationDone(repo: string, key: string): Promise<boolean> {
      const info = this.stmt(
        "INSERT INTO coordination_done (repo, done_key, created_at) VALUES (?, ?, ?) ON CONFLICT (repo, done_key) DO NOTHING",
      ).run(repo, key, Date.now());
      return info.changes === 1;
    }

    async isCoordinationDone(repo: string, key: string): Promise<boolean> {
      return this.stmt("SELECT 1 FROM coordination_done WHERE repo = ? AND done_key = ?").get(repo, key) !== undefined;
    }

    // --- rate slots ---

    async claimRateSlot(slot: string, claimant: string, now: number, intervalMs: number): Promise<RateSlotClaim> {
      // One statement decides and reports: a free slot (none yet, or taken at least intervalMs
      // ago) is taken; a taken one is left as it is (SET expressions read the old row) and
      // returned, so whoever holds it is known without a second read another process could race.
      const row = this.stmt(
        `INSERT INTO rate_slots (slot, claimant, last_at) VALUES (?, ?, ?)
         ON CONFLICT (slot) DO UPDATE SET
           claimant = CASE WHEN rate_slots.last_at <= ? THEN excluded.claimant ELSE rate_slots.claimant END,
           last_at = CASE WHEN rate_slots.last_at <= ? THEN excluded.last_at ELSE rate_slots.last_at END
         RETURNING claimant, last_at`,
      ).get(slot, claimant, now, now - intervalMs, now - intervalMs) as { claimant: string; last_at: number };
      if (row.claimant === claimant) return { ok: true };
      return { ok: false, lastAt: row.last_at, nextAt: row.last_at + intervalMs };
    }

    // --- the language model's token spend ---

    async reserveLlmTokens(key: string, tokens: number, limit: number, now: number): Promise<boolean> {
      if (tokens > limit) return false; // a new key's first reservation must fit too
      // One statement: a known key takes the tokens only while its total stays within the limit (no row back: refused).
      const row = this.stmt(
        `INSERT INTO llm_token_spend (budget_key, spent, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (budget_key) DO UPDATE SET spent = llm_token_spend.spent + excluded.spent, updated_at = excluded.updated_at
         WHERE llm_token_spend.spent + excluded.spent <= ?
         RETURNING spent`,
      ).get(key, tokens, now, limit);
      return row !== undefined;
    }

    async adjustLlmTokens(key: string, delta: number, now: number): Promise<void> {
      this.stmt("UPDATE llm_token_spend SET spent = MAX(0, spent + ?), updated_at = ? WHERE budget_key = ?").run(delta, now, key);
    }
  };
}
