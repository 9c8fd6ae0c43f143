/**
 * Deleting a repository's or a person's data (DataDeletionStore) on SQLite: the same rows as on
 * PostgreSQL (deletionMatch.ts decides what names them), deleted in batches of short
 * transactions with secure_delete on, so the deleted rows are overwritten, then a checkpoint
 * empties the write-ahead log of their older copies.
 *
 * The statements' texts name a table and columns of the fixed set below (never a value: rowids
 * and keys go in as one JSON array read with json_each), so each is prepared once, on first use.
 * The pragmas stay per call (db.pragma, as better-sqlite3 advises for them): their text carries
 * the value set, and they run only around a deletion.
 */
import {
  addCount,
  DELETE_BATCH,
  DELETED_USER,
  namesPerson,
  namesRepository,
  parseLogin,
  parseRepositoryName,
  RECORDED_EVENTS,
  repoMention,
  REPOSITORY_TABLES,
} from "../deletionMatch.js";
import type { DeletionCount } from "../store.js";
import { yieldToEventLoop, type SqlitePart } from "./base.js";

interface DeletionRun {
  delete(table: string, what: string, rowids: number[]): Promise<void>;
  anonymise(table: string, what: string, rowids: number[], column: string): Promise<void>;
}

export function SqliteDataDeletion<B extends SqlitePart>(Base: B) {
  return class SqliteDataDeletion extends Base {
    async deleteRepositoryData(repo: string, options: { dryRun?: boolean } = {}): Promise<DeletionCount[]> {
      const { full, owner, name } = parseRepositoryName(repo);
      const mentions = repoMention(full);
      const refersToRepo = (value: unknown) => namesRepository(value, owner, name, mentions);
      return this.deleteData(options.dryRun === true, async (run) => {
        // Rows keyed by the repository.
        for (const [table, what] of REPOSITORY_TABLES)
          await run.delete(table, what, this.rowids(`SELECT rowid AS rowid FROM ${table} WHERE lower(repo) = ?`, full));
        const slots = this.matchingRowids("rate_slots", "slot", full, (slot) => mentions.test(slot.toLowerCase()));
        await run.delete("rate_slots", "rate slots (/empathy review, help)", slots);
        await run.delete(
          "jobs",
          "jobs and their payloads (any status)",
          this.matchingRowids("jobs", "payload", name, (text) => refersToRepo(JSON.parse(text))),
        );
        const events = this.matchingRows("webhook_events", "id", "envelope", name, (text) =>
          refersToRepo((JSON.parse(text) as { data?: unknown }).data),
        );
        await this.deleteEventsAndDeliveries(run, events, (body) => mentions.test(body.toLowerCase()), name);
        await run.delete(
          "webhook_dedupe",
          "webhook dedupe keys",
          this.matchingRowids("webhook_dedupe", "dedupe_key", full, (key) => mentions.test(key.toLowerCase())),
        );
        const recorded = this.matchingRowids("events", "envelope", name, (text) =>
          refersToRepo((JSON.parse(text) as { data?: unknown }).data),
        );
        await run.delete("events", RECORDED_EVENTS, recorded);
      });
    }

    async deleteUserData(login: string, options: { dryRun?: boolean } = {}): Promise<DeletionCount[]> {
      const who = parseLogin(login);
      const refersToUser = (value: unknown) => namesPerson(value, who);
      return this.deleteData(options.dryRun === true, async (run) => {
        await run.delete("trust", "trust scores", this.rowids("SELECT rowid AS rowid FROM trust WHERE lower(user_id) = ?", who));
        const feedback = this.rowids("SELECT rowid AS rowid FROM feedback_log WHERE lower(user_id) = ?", who);
        await run.delete("feedback_log", "feedback on their pull requests", feedback);
        const shown = this.rowids("SELECT rowid AS rowid FROM shown_items WHERE lower(author) = ?", who);
        await run.delete("shown_items", "findings and predictions shown on their pull requests", shown);
        await run.delete(
          "open_pull_resources",
          "their open pull requests' coordination records",
          this.rowids("SELECT rowid AS rowid FROM open_pull_resources WHERE lower(author) = ?", who),
        );
        await run.anonymise(
          "suppressed_findings",
          "findings they dismissed (kept for the repository, their name removed)",
          this.rowids("SELECT rowid AS rowid FROM suppressed_findings WHERE lower(user_id) = ?", who),
          "user_id",
        );
        await run.delete(
          "rate_slots",
          "rate slots (help per person)",
          this.matchingRowids("rate_slots", "slot", who, (slot) => slot.slice(slot.lastIndexOf(":") + 1).toLowerCase() === who),
        );
        const jobs = this.matchingRowids("jobs", "payload", who, (text) => refersToUser(JSON.parse(text)));
        await run.delete("jobs", "jobs and their payloads that name them (any status)", jobs);
        const events = this.matchingRows("webhook_events", "id", "envelope", who, (text) =>
          refersToUser((JSON.parse(text) as { data?: unknown }).data),
        );
        await this.deleteEventsAndDeliveries(run, events, () => false, who);
        const recorded = this.matchingRowids("events", "envelope", who, (text) =>
          refersToUser((JSON.parse(text) as { data?: unknown }).data),
        );
        await run.delete("events", RECORDED_EVENTS, recorded);
      });
    }

    /** Runs the steps with secure_delete on (deleted rows are overwritten), then asks for a checkpoint; in dry-run mode only counts. */
    private async deleteData(dryRun: boolean, steps: (run: DeletionRun) => Promise<void>): Promise<DeletionCount[]> {
      const counts: DeletionCount[] = [];
      const add = (table: string, what: string, count: number, action: DeletionCount["action"]) =>
        addCount(counts, table, what, count, action);
      const run: DeletionRun = {
        delete: async (table, what, rowids) => {
          const sql = `DELETE FROM ${table} WHERE rowid IN (SELECT value FROM json_each(?))`;
          add(table, what, dryRun ? rowids.length : await this.inBatches(rowids, (list) => this.stmt(sql).run(list).changes), "deleted");
        },
        anonymise: async (table, what, rowids, column) => {
          const sql = `UPDATE ${table} SET ${column} = '${DELETED_USER}' WHERE rowid IN (SELECT value FROM json_each(?))`;
          add(table, what, dryRun ? rowids.length : await this.inBatches(rowids, (list) => this.stmt(sql).run(list).changes), "anonymised");
        },
      };
      const previous = this.db.pragma("secure_delete", { simple: true });
      if (!dryRun) this.db.pragma("secure_delete = ON");
      try {
        await steps(run);
      } finally {
        if (!dryRun) this.db.pragma(`secure_delete = ${Number(previous) ? "ON" : "OFF"}`);
      }
      // The overwritten pages into the database file, and the write-ahead log (which holds older
      // copies of them) emptied: waiting at most a moment for the app's readers and writers; when
      // they are busy, the log's old frames are overwritten as the app goes on.
      if (!dryRun) {
        const timeout = this.db.pragma("busy_timeout", { simple: true });
        this.db.pragma("busy_timeout = 200");
        try {
          this.db.pragma("wal_checkpoint(TRUNCATE)");
        } catch {
          // busy: see above
        } finally {
          this.db.pragma(`busy_timeout = ${Number(timeout)}`);
        }
      }
      return counts;
    }

    /** Webhook events (rowid, id) and what carries them: deliveries (and their attempts), batch items. */
    private async deleteEventsAndDeliveries(
      run: DeletionRun,
      events: { rowid: number; key: string }[],
      bodyNames: (body: string) => boolean,
      needle: string,
    ): Promise<void> {
      const eventIds = new Set(events.map((e) => e.key));
      const deliveries = new Map<number, string>();
      const ids = [...eventIds];
      const carrying = this.stmt(
        `SELECT DISTINCT d.rowid AS rowid, d.id AS id FROM webhook_deliveries d, json_each(d.event_ids) j
         WHERE j.value IN (SELECT value FROM json_each(?))`,
      );
      for (let i = 0; i < ids.length; i += DELETE_BATCH) {
        const rows = carrying.all(JSON.stringify(ids.slice(i, i + DELETE_BATCH))) as { rowid: number; id: string }[];
        for (const r of rows) deliveries.set(r.rowid, r.id);
      }
      // A rendered body (a payload template) that names it, whatever its events.
      for (const r of this.matchingRows("webhook_deliveries", "id", "body", needle, bodyNames)) deliveries.set(r.rowid, r.key);
      const deliveryIds = JSON.stringify([...deliveries.values()]);
      const attempts = this.rowids(
        "SELECT rowid AS rowid FROM webhook_attempts WHERE delivery_id IN (SELECT value FROM json_each(?))",
        deliveryIds,
      );
      await run.delete("webhook_attempts", "webhook delivery attempts (logs)", attempts);
      await run.delete("webhook_deliveries", "webhook deliveries (any status, dead letters too)", [...deliveries.keys()]);
      await run.delete(
        "webhook_batch_items",
        "webhook events waiting for a batch",
        this.rowids(
          "SELECT rowid AS rowid FROM webhook_batch_items WHERE event_id IN (SELECT value FROM json_each(?))",
          JSON.stringify(ids),
        ),
      );
      await run.delete(
        "webhook_events",
        "stored webhook events",
        events.map((e) => e.rowid),
      );
    }

    private rowids(sql: string, ...args: unknown[]): number[] {
      return (this.stmt(sql).all(...args) as { rowid: number }[]).map((r) => r.rowid);
    }

    /** Rowids of rows whose `column` contains `needle` (a cheap filter, lower case) and passes `test`, read a page at a time. */
    private matchingRowids(table: string, column: string, needle: string, test: (text: string) => boolean): number[] {
      return this.matchingRows(table, "rowid", column, needle, test).map((r) => r.rowid);
    }

    private matchingRows(
      table: string,
      keyColumn: string,
      column: string,
      needle: string,
      test: (text: string) => boolean,
    ): { rowid: number; key: string }[] {
      const page = this.stmt(
        `SELECT rowid AS rowid, ${keyColumn} AS key, ${column} AS text FROM ${table}
         WHERE rowid > ? AND instr(lower(${column}), ?) > 0 ORDER BY rowid LIMIT ${DELETE_BATCH}`,
      );
      const out: { rowid: number; key: string }[] = [];
      for (let after = 0; ;) {
        const rows = page.all(after, needle) as { rowid: number; key: string; text: string }[];
        for (const r of rows) {
          let hit = false;
          try {
            hit = test(r.text);
          } catch {
            hit = false; // not JSON: not ours to judge
          }
          if (hit) out.push({ rowid: r.rowid, key: r.key });
        }
        if (rows.length < DELETE_BATCH) return out;
        after = rows[rows.length - 1].rowid;
      }
    }

    /** Runs `fn` on the rowids a batch at a time, each batch in its own transaction, yielding between them. */
    private async inBatches(rowids: number[], fn: (list: string) => number): Promise<number> {
      let done = 0;
      for (let i = 0; i < rowids.length; i += DELETE_BATCH) {
        if (i > 0) await yieldToEventLoop();
        done += this.db.transaction(() => fn(JSON.stringify(rowids.slice(i, i + DELETE_BATCH))))();
      }
      return done;
    }
  };
}
