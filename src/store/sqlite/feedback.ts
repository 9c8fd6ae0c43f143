/**
 * Engine state on SQLite (EngineStateStore: trust, patterns, feedback recorded once per key with
 * the events it owes) and what feedback needs around it (FeedbackStore): the items shown on pull
 * requests, dismissed findings, transformation issues, and the shown items' retention.
 */
import type { KeyedFeedback, PatternRecord, TrustRecord } from "../../engine/state.js";
import type { AnyEventEnvelope } from "../../events/catalog.js";
import { toShown, type ShownRow } from "../rows.js";
import type { FeedbackEntry, ShownItem } from "../store.js";
import type { SqlitePart } from "./base.js";

const UPSERT_TRUST =
  "INSERT INTO trust (repo, user_id, record) VALUES (?, ?, ?) ON CONFLICT (repo, user_id) DO UPDATE SET record = excluded.record";
const UPSERT_PATTERN =
  "INSERT INTO patterns (repo, key, record) VALUES (?, ?, ?) ON CONFLICT (repo, key) DO UPDATE SET record = excluded.record";

export function SqliteFeedback<B extends SqlitePart>(Base: B) {
  return class SqliteFeedback extends Base {
    // --- engine state ---

    async getTrust(userId: string, repo: string): Promise<TrustRecord | undefined> {
      const row = this.stmt("SELECT record FROM trust WHERE repo = ? AND user_id = ?").get(repo, userId) as { record: string } | undefined;
      return row ? JSON.parse(row.record) : undefined;
    }

    async saveTrust(record: TrustRecord): Promise<void> {
      this.stmt(UPSERT_TRUST).run(record.repo, record.userId, JSON.stringify(record));
    }

    async getPattern(repo: string, key: string): Promise<PatternRecord | undefined> {
      const row = this.stmt("SELECT record FROM patterns WHERE repo = ? AND key = ?").get(repo, key) as { record: string } | undefined;
      return row ? JSON.parse(row.record) : undefined;
    }

    async savePattern(record: PatternRecord): Promise<void> {
      this.stmt(UPSERT_PATTERN).run(record.repo, record.key, JSON.stringify(record));
    }

    async listPatterns(repo: string): Promise<PatternRecord[]> {
      return (this.stmt("SELECT record FROM patterns WHERE repo = ? ORDER BY key").all(repo) as { record: string }[]).map((r) =>
        JSON.parse(r.record),
      );
    }

    async saveFeedback(f: KeyedFeedback): Promise<boolean> {
      return this.tx(this.saveFeedbackTx)(f);
    }

    /** The feedback once per key, and with it (only then) the trust and pattern it changed. */
    private readonly saveFeedbackTx = (f: KeyedFeedback): boolean => {
      const inserted = this.stmt(
        "INSERT INTO feedback_log (repo, key, outcome, user_id, created_at, owed_events) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (repo, key) DO NOTHING",
      ).run(f.repo, f.key, f.outcome, f.userId, f.createdAt, JSON.stringify(f.events));
      if (inserted.changes === 0) return false;
      this.stmt(UPSERT_TRUST).run(f.trust.repo, f.trust.userId, JSON.stringify(f.trust));
      if (f.pattern) this.stmt(UPSERT_PATTERN).run(f.pattern.repo, f.pattern.key, JSON.stringify(f.pattern));
      return true;
    };

    async owedFeedbackEvents(repo: string, key: string): Promise<AnyEventEnvelope[] | undefined> {
      const row = this.stmt("SELECT owed_events FROM feedback_log WHERE repo = ? AND key = ?").get(repo, key) as
        { owed_events: string | null } | undefined;
      if (!row) return undefined;
      return row.owed_events === null ? [] : (JSON.parse(row.owed_events) as AnyEventEnvelope[]);
    }

    async settleFeedback(repo: string, key: string): Promise<void> {
      this.stmt("UPDATE feedback_log SET owed_events = NULL WHERE repo = ? AND key = ?").run(repo, key);
    }

    // --- shown items, feedback, suppressions ---

    /** created_at is when the item was last shown: retention counts from there. */
    async saveShownItems(repo: string, items: ShownItem[]): Promise<void> {
      const insert = this.stmt(
        `INSERT INTO shown_items (repo, fingerprint, pr_number, author, item, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (repo, fingerprint) DO UPDATE SET pr_number = excluded.pr_number, author = excluded.author, item = excluded.item,
           created_at = excluded.created_at`,
      );
      const now = Date.now();
      this.db.transaction(() => {
        for (const i of items) insert.run(repo, i.fingerprint, i.prNumber, i.author, JSON.stringify(i.item), now);
      })();
    }

    async getShownItem(repo: string, fingerprint: string): Promise<ShownItem | undefined> {
      const row = this.stmt("SELECT * FROM shown_items WHERE repo = ? AND fingerprint = ?").get(repo, fingerprint) as ShownRow | undefined;
      return row ? toShown(row) : undefined;
    }

    async findShownItems(repo: string, prefix: string, limit = 10): Promise<ShownItem[]> {
      const escaped = prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
      return (
        this.stmt("SELECT * FROM shown_items WHERE repo = ? AND fingerprint LIKE ? ESCAPE '\\' ORDER BY fingerprint LIMIT ?").all(
          repo,
          `${escaped}%`,
          limit,
        ) as ShownRow[]
      ).map(toShown);
    }

    async listFeedback(repo: string, since: number): Promise<FeedbackEntry[]> {
      return (
        this.stmt(
          "SELECT key, outcome, user_id, created_at FROM feedback_log WHERE repo = ? AND created_at >= ? ORDER BY created_at, rowid",
        ).all(repo, since) as {
          key: string;
          outcome: "accepted" | "rejected";
          user_id: string;
          created_at: number;
        }[]
      ).map((r) => ({ key: r.key, outcome: r.outcome, userId: r.user_id, createdAt: r.created_at }));
    }

    async suppressFinding(repo: string, fingerprint: string, userId: string): Promise<void> {
      this.stmt(
        "INSERT INTO suppressed_findings (repo, fingerprint, user_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (repo, fingerprint) DO NOTHING",
      ).run(repo, fingerprint, userId, Date.now());
    }

    async listSuppressed(repo: string): Promise<string[]> {
      return (
        this.stmt("SELECT fingerprint FROM suppressed_findings WHERE repo = ? ORDER BY fingerprint").all(repo) as { fingerprint: string }[]
      ).map((r) => r.fingerprint);
    }

    async getTransformationIssue(repo: string, patternKey: string): Promise<number | undefined> {
      const row = this.stmt("SELECT issue_number FROM transformation_issues WHERE repo = ? AND pattern_key = ?").get(repo, patternKey) as
        { issue_number: number } | undefined;
      return row?.issue_number;
    }

    async saveTransformationIssue(repo: string, patternKey: string, issueNumber: number): Promise<void> {
      this.stmt(
        `INSERT INTO transformation_issues (repo, pattern_key, issue_number, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (repo, pattern_key) DO UPDATE SET issue_number = excluded.issue_number`,
      ).run(repo, patternKey, issueNumber, Date.now());
    }

    // --- retention (batch deletes; see RetentionStore) ---

    async pruneShownItems(before: number, limit: number): Promise<number> {
      // An open pull request (coordination keeps a row for each one reviewed, dropped on close)
      // keeps its items: explain, dismiss and feedback still look them up.
      return this.stmt(
        `DELETE FROM shown_items WHERE rowid IN
           (SELECT s.rowid FROM shown_items s WHERE s.created_at < ?
              AND NOT EXISTS (SELECT 1 FROM open_pull_resources o WHERE o.repo = s.repo AND o.pr_number = s.pr_number)
            ORDER BY s.created_at LIMIT ?)`,
      ).run(before, limit).changes;
    }
  };
}
