/**
 * Deleting a repository's or a person's data (DataDeletionStore) on PostgreSQL: the same rows as
 * on SQLite (deletionMatch.ts decides what names them), deleted in batches of short statements.
 * Afterwards the tables touched are vacuumed, so the dead rows' space is reclaimed for reuse;
 * unlike SQLite's secure_delete, PostgreSQL does not overwrite them at once (nor its WAL and
 * backups), which the operator's storage policy has to cover.
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
import { yieldToEventLoop, type PostgresPart } from "./base.js";

/** A table's key columns with their PostgreSQL types (rows are found by key, then deleted by key). */
type Key = { column: string; type: "text" | "bigint" }[];

const JOB_KEY: Key = [{ column: "id", type: "bigint" }];
const ID_KEY: Key = [{ column: "id", type: "text" }];
const SLOT_KEY: Key = [{ column: "slot", type: "text" }];
const SEQ_KEY: Key = [{ column: "seq", type: "bigint" }];
const DEDUPE_KEY: Key = [
  { column: "registration_id", type: "text" },
  { column: "dedupe_key", type: "text" },
];

interface DeletionRun {
  /** Rows matching a condition on the table's own columns ($1… are `args`). */
  deleteWhere(table: string, what: string, where: string, args: unknown[]): Promise<void>;
  /** Rows by key. */
  deleteKeys(table: string, what: string, key: Key, keys: unknown[][]): Promise<void>;
  /** Rows matching a condition, kept with `column` set to DELETED_USER. */
  anonymiseWhere(table: string, what: string, column: string, where: string, args: unknown[]): Promise<void>;
}

/** `(c1, c2) IN (SELECT * FROM unnest($1::t1[], $2::t2[]))`: rows whose key is in the lists. */
function keyIn(key: Key): string {
  return `(${key.map((k) => k.column).join(", ")}) IN (SELECT * FROM unnest(${key.map((k, i) => `$${i + 1}::${k.type}[]`).join(", ")}))`;
}

export function PostgresDataDeletion<B extends PostgresPart>(Base: B) {
  return class PostgresDataDeletion extends Base {
    async deleteRepositoryData(repo: string, options: { dryRun?: boolean } = {}): Promise<DeletionCount[]> {
      const { full, owner, name } = parseRepositoryName(repo);
      const mentions = repoMention(full);
      const refersToRepo = (value: unknown) => namesRepository(value, owner, name, mentions);
      return this.deleteData(options.dryRun === true, async (run) => {
        for (const [table, what] of REPOSITORY_TABLES) await run.deleteWhere(table, what, "lower(repo) = $1", [full]);
        const slots = await this.matchingKeys("rate_slots", SLOT_KEY, "slot", full, (slot) => mentions.test(slot.toLowerCase()));
        await run.deleteKeys("rate_slots", "rate slots (/empathy review, help)", SLOT_KEY, slots);
        const jobs = await this.matchingKeys("jobs", JOB_KEY, "payload", name, (text) => refersToRepo(JSON.parse(text)));
        await run.deleteKeys("jobs", "jobs and their payloads (any status)", JOB_KEY, jobs);
        const events = await this.matchingKeys("webhook_events", ID_KEY, "envelope", name, (text) =>
          refersToRepo((JSON.parse(text) as { data?: unknown }).data),
        );
        await this.deleteEventsAndDeliveries(
          run,
          events.map(([id]) => id as string),
          (body) => mentions.test(body.toLowerCase()),
          name,
        );
        const dedupe = await this.matchingKeys("webhook_dedupe", DEDUPE_KEY, "dedupe_key", full, (key) => mentions.test(key.toLowerCase()));
        await run.deleteKeys("webhook_dedupe", "webhook dedupe keys", DEDUPE_KEY, dedupe);
        const recorded = await this.matchingKeys("events", SEQ_KEY, "envelope", name, (text) =>
          refersToRepo((JSON.parse(text) as { data?: unknown }).data),
        );
        await run.deleteKeys("events", RECORDED_EVENTS, SEQ_KEY, recorded);
      });
    }

    async deleteUserData(login: string, options: { dryRun?: boolean } = {}): Promise<DeletionCount[]> {
      const who = parseLogin(login);
      const refersToUser = (value: unknown) => namesPerson(value, who);
      return this.deleteData(options.dryRun === true, async (run) => {
        await run.deleteWhere("trust", "trust scores", "lower(user_id) = $1", [who]);
        await run.deleteWhere("feedback_log", "feedback on their pull requests", "lower(user_id) = $1", [who]);
        await run.deleteWhere("shown_items", "findings and predictions shown on their pull requests", "lower(author) = $1", [who]);
        await run.deleteWhere("open_pull_resources", "their open pull requests' coordination records", "lower(author) = $1", [who]);
        await run.anonymiseWhere(
          "suppressed_findings",
          "findings they dismissed (kept for the repository, their name removed)",
          "user_id",
          "lower(user_id) = $1",
          [who],
        );
        const slots = await this.matchingKeys(
          "rate_slots",
          SLOT_KEY,
          "slot",
          who,
          (slot) => slot.slice(slot.lastIndexOf(":") + 1).toLowerCase() === who,
        );
        await run.deleteKeys("rate_slots", "rate slots (help per person)", SLOT_KEY, slots);
        const jobs = await this.matchingKeys("jobs", JOB_KEY, "payload", who, (text) => refersToUser(JSON.parse(text)));
        await run.deleteKeys("jobs", "jobs and their payloads that name them (any status)", JOB_KEY, jobs);
        const events = await this.matchingKeys("webhook_events", ID_KEY, "envelope", who, (text) =>
          refersToUser((JSON.parse(text) as { data?: unknown }).data),
        );
        await this.deleteEventsAndDeliveries(
          run,
          events.map(([id]) => id as string),
          () => false,
          who,
        );
        const recorded = await this.matchingKeys("events", SEQ_KEY, "envelope", who, (text) =>
          refersToUser((JSON.parse(text) as { data?: unknown }).data),
        );
        await run.deleteKeys("events", RECORDED_EVENTS, SEQ_KEY, recorded);
      });
    }

    /** Webhook events and what carries them: deliveries (and their attempts), batch items. */
    private async deleteEventsAndDeliveries(
      run: DeletionRun,
      eventIds: string[],
      bodyNames: (body: string) => boolean,
      needle: string,
    ): Promise<void> {
      const deliveries = new Set<string>();
      for (let i = 0; i < eventIds.length; i += DELETE_BATCH) {
        const rows = await this.rows<{ id: string }>("SELECT id FROM webhook_deliveries WHERE event_ids && $1::text[]", [
          eventIds.slice(i, i + DELETE_BATCH),
        ]);
        for (const r of rows) deliveries.add(r.id);
      }
      // A rendered body (a payload template) that names it, whatever its events.
      for (const [id] of await this.matchingKeys("webhook_deliveries", ID_KEY, "body", needle, bodyNames)) deliveries.add(id as string);
      const ids = [...deliveries];
      const attempts: unknown[][] = [];
      for (let i = 0; i < ids.length; i += DELETE_BATCH) {
        const rows = await this.rows<{ id: number }>("SELECT id FROM webhook_attempts WHERE delivery_id = ANY($1::text[])", [
          ids.slice(i, i + DELETE_BATCH),
        ]);
        for (const r of rows) attempts.push([r.id]);
      }
      await run.deleteKeys("webhook_attempts", "webhook delivery attempts (logs)", JOB_KEY, attempts);
      await run.deleteKeys(
        "webhook_deliveries",
        "webhook deliveries (any status, dead letters too)",
        ID_KEY,
        ids.map((id) => [id]),
      );
      const items: unknown[][] = [];
      for (let i = 0; i < eventIds.length; i += DELETE_BATCH) {
        const rows = await this.rows<{ seq: number }>("SELECT seq FROM webhook_batch_items WHERE event_id = ANY($1::text[])", [
          eventIds.slice(i, i + DELETE_BATCH),
        ]);
        for (const r of rows) items.push([r.seq]);
      }
      await run.deleteKeys("webhook_batch_items", "webhook events waiting for a batch", [{ column: "seq", type: "bigint" }], items);
      await run.deleteKeys(
        "webhook_events",
        "stored webhook events",
        ID_KEY,
        eventIds.map((id) => [id]),
      );
    }

    /** Keys of rows whose `column` contains `needle` (a cheap filter, lower case) and passes `test`, read a page at a time in key order. */
    private async matchingKeys(
      table: string,
      key: Key,
      column: string,
      needle: string,
      test: (text: string) => boolean,
    ): Promise<unknown[][]> {
      const columns = key.map((k) => k.column);
      const out: unknown[][] = [];
      for (let after: unknown[] | null = null; ;) {
        const args: unknown[] = [needle, ...(after ?? [])];
        const from: string = after ? `AND (${columns.join(", ")}) > (${columns.map((_, i) => `$${i + 2}`).join(", ")})` : "";
        const rows: Record<string, unknown>[] = await this.rows<Record<string, unknown>>(
          `SELECT ${columns.join(", ")}, ${column} AS matched_text FROM ${table}
           WHERE strpos(lower(${column}), $1) > 0 ${from} ORDER BY ${columns.join(", ")} LIMIT ${DELETE_BATCH}`,
          args,
        );
        for (const r of rows) {
          let hit = false;
          try {
            hit = test(r.matched_text as string);
          } catch {
            hit = false; // not JSON: not ours to judge
          }
          if (hit) out.push(columns.map((c) => r[c]));
        }
        if (rows.length < DELETE_BATCH) return out;
        after = columns.map((c) => rows[rows.length - 1][c]);
      }
    }

    /** Runs the steps (in dry-run mode, only counting), then vacuums the tables rows went from. */
    private async deleteData(dryRun: boolean, steps: (run: DeletionRun) => Promise<void>): Promise<DeletionCount[]> {
      const counts: DeletionCount[] = [];
      const touched = new Set<string>();
      const add = (table: string, what: string, count: number, action: DeletionCount["action"]) => {
        addCount(counts, table, what, count, action);
        if (count > 0) touched.add(table);
      };
      /** Repeats a batch statement (at most DELETE_BATCH rows each) until it changes fewer, yielding in between. */
      const repeat = async (sql: string, args: unknown[]) => {
        let done = 0;
        for (let n = DELETE_BATCH; n === DELETE_BATCH; done += n) {
          if (done > 0) await yieldToEventLoop();
          n = await this.changes(sql, args);
        }
        return done;
      };
      const count = async (table: string, where: string, args: unknown[]): Promise<number> =>
        (await this.rows<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`, args))[0].n;
      const run: DeletionRun = {
        deleteWhere: async (table, what, where, args) => {
          const n = dryRun
            ? await count(table, where, args)
            : await repeat(
                `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${table} WHERE ${where} LIMIT ${DELETE_BATCH}))`,
                args,
              );
          add(table, what, n, "deleted");
        },
        anonymiseWhere: async (table, what, column, where, args) => {
          const n = dryRun
            ? await count(table, where, args)
            : await repeat(
                `UPDATE ${table} SET ${column} = '${DELETED_USER}' WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${table} WHERE ${where} LIMIT ${DELETE_BATCH}))`,
                args,
              );
          add(table, what, n, "anonymised");
        },
        deleteKeys: async (table, what, key, keys) => {
          let n = 0;
          if (dryRun) n = keys.length;
          else {
            for (let i = 0; i < keys.length; i += DELETE_BATCH) {
              if (i > 0) await yieldToEventLoop();
              const batch = keys.slice(i, i + DELETE_BATCH);
              n += await this.changes(
                `DELETE FROM ${table} WHERE ${keyIn(key)}`,
                key.map((_, c) => batch.map((k) => k[c])),
              );
            }
          }
          add(table, what, n, "deleted");
        },
      };
      await steps(run);
      if (!dryRun && touched.size > 0) {
        // Best effort: the space of the deleted rows back for reuse (a busy table is left to autovacuum).
        await this.pool.query(`VACUUM ${[...touched].join(", ")}`).catch(() => {});
      }
      return counts;
    }
  };
}
