/**
 * What the engine remembers (EngineState: trust, patterns, feedback once per key with the events
 * it owes) and what feedback looks up (FeedbackStore: shown items, suppressions, transformation
 * issues) on PostgreSQL, with the shown items' retention.
 */
import type { KeyedFeedback, PatternRecord, TrustRecord } from "../../engine/state.js";
import type { AnyEventEnvelope } from "../../events/catalog.js";
import { toShown, type ShownRow } from "../rows.js";
import type { FeedbackEntry, ShownItem } from "../store.js";
import type { PostgresPart, Queryable } from "./base.js";

const UPSERT_TRUST =
  "INSERT INTO trust (repo, user_id, record) VALUES ($1, $2, $3) ON CONFLICT (repo, user_id) DO UPDATE SET record = excluded.record";
const UPSERT_PATTERN =
  "INSERT INTO patterns (repo, key, record) VALUES ($1, $2, $3) ON CONFLICT (repo, key) DO UPDATE SET record = excluded.record";

export function PostgresFeedback<B extends PostgresPart>(Base: B) {
  return class PostgresFeedback extends Base {
    // --- engine state ---

    async getTrust(userId: string, repo: string): Promise<TrustRecord | undefined> {
      const [row] = await this.rows<{ record: string }>("SELECT record FROM trust WHERE repo = $1 AND user_id = $2", [repo, userId]);
      return row ? JSON.parse(row.record) : undefined;
    }

    async saveTrust(record: TrustRecord, db: Queryable = this.pool): Promise<void> {
      await db.query(UPSERT_TRUST, [record.repo, record.userId, JSON.stringify(record)]);
    }

    async getPattern(repo: string, key: string): Promise<PatternRecord | undefined> {
      const [row] = await this.rows<{ record: string }>("SELECT record FROM patterns WHERE repo = $1 AND key = $2", [repo, key]);
      return row ? JSON.parse(row.record) : undefined;
    }

    async savePattern(record: PatternRecord, db: Queryable = this.pool): Promise<void> {
      await db.query(UPSERT_PATTERN, [record.repo, record.key, JSON.stringify(record)]);
    }

    async listPatterns(repo: string): Promise<PatternRecord[]> {
      return (await this.rows<{ record: string }>("SELECT record FROM patterns WHERE repo = $1 ORDER BY key", [repo])).map((r) =>
        JSON.parse(r.record),
      );
    }

    async saveFeedback(f: KeyedFeedback): Promise<boolean> {
      // The key's row is the claim: a second transaction with the same key waits on it, then
      // finds it and changes nothing.
      return this.tx(async (client) => {
        const inserted = await this.changes(
          "INSERT INTO feedback_log (repo, key, outcome, user_id, created_at, owed_events) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (repo, key) DO NOTHING",
          [f.repo, f.key, f.outcome, f.userId, f.createdAt, JSON.stringify(f.events)],
          client,
        );
        if (inserted === 0) return false;
        await this.saveTrust(f.trust, client);
        if (f.pattern) await this.savePattern(f.pattern, client);
        return true;
      });
    }

    async owedFeedbackEvents(repo: string, key: string): Promise<AnyEventEnvelope[] | undefined> {
      const [row] = await this.rows<{ owed_events: string | null }>("SELECT owed_events FROM feedback_log WHERE repo = $1 AND key = $2", [
        repo,
        key,
      ]);
      if (!row) return undefined;
      return row.owed_events === null ? [] : (JSON.parse(row.owed_events) as AnyEventEnvelope[]);
    }

    async settleFeedback(repo: string, key: string): Promise<void> {
      await this.pool.query("UPDATE feedback_log SET owed_events = NULL WHERE repo = $1 AND key = $2", [repo, key]);
    }

    // --- feedback ---

    /** created_at is when the item was last shown: retention counts from there. */
    async saveShownItems(repo: string, items: ShownItem[]): Promise<void> {
      if (items.length === 0) return;
      // Deduplicated by fingerprint first (the last one wins, as one upsert after another would):
      // one statement cannot update a row twice.
      const last = new Map(items.map((i) => [i.fingerprint, i]));
      const list = [...last.values()];
      await this.pool.query(
        `INSERT INTO shown_items (repo, fingerprint, pr_number, author, item, created_at)
         SELECT $1::text, i.fingerprint, i.pr_number, i.author, i.item, $6::bigint
         FROM unnest($2::text[], $3::int[], $4::text[], $5::text[]) AS i(fingerprint, pr_number, author, item)
         ON CONFLICT (repo, fingerprint) DO UPDATE SET pr_number = excluded.pr_number, author = excluded.author, item = excluded.item,
           created_at = excluded.created_at`,
        [
          repo,
          list.map((i) => i.fingerprint),
          list.map((i) => i.prNumber),
          list.map((i) => i.author),
          list.map((i) => JSON.stringify(i.item)),
          Date.now(),
        ],
      );
    }

    async getShownItem(repo: string, fingerprint: string): Promise<ShownItem | undefined> {
      const [row] = await this.rows<ShownRow>("SELECT * FROM shown_items WHERE repo = $1 AND fingerprint = $2", [repo, fingerprint]);
      return row ? toShown(row) : undefined;
    }

    async findShownItems(repo: string, prefix: string, limit = 10): Promise<ShownItem[]> {
      const escaped = prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
      return (
        await this.rows<ShownRow>(
          "SELECT * FROM shown_items WHERE repo = $1 AND fingerprint LIKE $2 ESCAPE '\\' ORDER BY fingerprint LIMIT $3",
          [repo, `${escaped}%`, limit],
        )
      ).map(toShown);
    }

    async listFeedback(repo: string, since: number): Promise<FeedbackEntry[]> {
      const rows = await this.rows<{ key: string; outcome: "accepted" | "rejected"; user_id: string; created_at: number }>(
        "SELECT key, outcome, user_id, created_at FROM feedback_log WHERE repo = $1 AND created_at >= $2 ORDER BY created_at, seq",
        [repo, since],
      );
      return rows.map((r) => ({ key: r.key, outcome: r.outcome, userId: r.user_id, createdAt: r.created_at }));
    }

    async suppressFinding(repo: string, fingerprint: string, userId: string): Promise<void> {
      await this.pool.query(
        "INSERT INTO suppressed_findings (repo, fingerprint, user_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (repo, fingerprint) DO NOTHING",
        [repo, fingerprint, userId, Date.now()],
      );
    }

    async listSuppressed(repo: string): Promise<string[]> {
      return (
        await this.rows<{ fingerprint: string }>("SELECT fingerprint FROM suppressed_findings WHERE repo = $1 ORDER BY fingerprint", [repo])
      ).map((r) => r.fingerprint);
    }

    async getTransformationIssue(repo: string, patternKey: string): Promise<number | undefined> {
      const [row] = await this.rows<{ issue_number: number }>(
        "SELECT issue_number FROM transformation_issues WHERE repo = $1 AND pattern_key = $2",
        [repo, patternKey],
      );
      return row?.issue_number;
    }

    async saveTransformationIssue(repo: string, patternKey: string, issueNumber: number): Promise<void> {
      await this.pool.query(
        `INSERT INTO transformation_issues (repo, pattern_key, issue_number, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (repo, pattern_key) DO UPDATE SET issue_number = excluded.issue_number`,
        [repo, patternKey, issueNumber, Date.now()],
      );
    }

    // --- retention (see RetentionStore) ---

    async pruneShownItems(before: number, limit: number): Promise<number> {
      // An open pull request (coordination keeps a row for each one reviewed, dropped on close)
      // keeps its items: explain, dismiss and feedback still look them up.
      return this.changes(
        `DELETE FROM shown_items WHERE (repo, fingerprint) IN
           (SELECT s.repo, s.fingerprint FROM shown_items s WHERE s.created_at < $1
              AND NOT EXISTS (SELECT 1 FROM open_pull_resources o WHERE o.repo = s.repo AND o.pr_number = s.pr_number)
            ORDER BY s.created_at LIMIT $2)`,
        [before, limit],
      );
    }
  };
}
