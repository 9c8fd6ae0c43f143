/**
 * Copying a SQLite store into an empty PostgreSQL one (`empathy store copy`), to move an install
 * from one process on one machine to several instances sharing PostgreSQL.
 *
 * The source is held under SQLite's exclusive lock from the first check to the end, so no app
 * process can use it meanwhile, and a file another process has open (a running app) is refused.
 * A file written by an older version is first migrated (as the app would at start); one written
 * by a newer version is refused. Its tables are read in rowid order, a page at a time, and
 * written table by table with multi-row INSERTs in ONE PostgreSQL transaction: the target gets
 * everything or nothing. The target's tables are locked against writes first, and a target with
 * any row in them is refused: nothing is ever merged.
 *
 * What changes on the way: every lease is dropped. A job still marked running (its instance was
 * killed without releasing it) goes back to the queue, and an in-flight webhook delivery back to
 * pending with the interrupted attempt not counted, as another instance would do once their
 * lease expired. `event_ids` (a JSON array in SQLite) becomes PostgreSQL's TEXT[]; feedback gets
 * PostgreSQL's own sequence numbers in SQLite's insertion order. NUL characters, which
 * PostgreSQL refuses in TEXT, become U+FFFD as the PostgreSQL store writes them. The serial ids
 * (jobs, batch items, attempts, recorded events) continue after the largest SQLite ever gave, so
 * no id is reused. Kept secrets (app_secrets) are copied too: the dashboard's session key stays the
 * same, so its signed-in sessions outlive the move (the target is the operator's as much as the source).
 *
 * COPIED_TABLES names every table and column of both schemas; test/store/copy.test.ts fails when
 * a migration adds one that is not here.
 */
import Database from "better-sqlite3";
import type pg from "pg";
import { migrations } from "./migrations.js";
import { pgText } from "./postgres/base.js";
import { postgresMigrations } from "./postgres/migrations.js";
import { REVIEW_RESULT_COLUMNS } from "./rows.js";
import { applySqliteMigrations } from "./sqlite/index.js";

type Row = Record<string, unknown>;

export interface TableCopy {
  table: string;
  /** The columns copied, the same names in both schemas. */
  columns: readonly string[];
  /** PostgreSQL's columns that SQLite has not: filled by PostgreSQL (an identity). */
  postgresOnly?: readonly string[];
  /** The serial column whose sequence must continue after the copied ids. */
  serial?: string;
}

/** Every table of the store, in the order copied (none refers to another: there are no foreign keys). */
export const COPIED_TABLES: readonly TableCopy[] = [
  {
    table: "jobs",
    columns: [
      "id",
      "type",
      "payload",
      "dedupe_key",
      "status",
      "attempts",
      "run_at",
      "last_error",
      "created_at",
      "updated_at",
      "lease_owner",
      "lease_expires_at",
      "subject",
    ],
    serial: "id",
  },
  { table: "reviews", columns: ["repo", "pr_number", "commit_sha", "review_id", "created_at"] },
  { table: "posted_findings", columns: ["repo", "pr_number", "fingerprint", "path", "line", "commit_sha"] },
  { table: "summaries", columns: ["repo", "pr_number", "comment_id", "last_fingerprints", "last_sha"] },
  { table: "prediction_issues", columns: ["repo", "fingerprint", "issue_number", "created_at", "title", "confidence", "url"] },
  { table: "trust", columns: ["repo", "user_id", "record"] },
  { table: "patterns", columns: ["repo", "key", "record"] },
  { table: "webhook_events", columns: ["id", "event_type", "envelope", "created_at"] },
  {
    table: "webhook_deliveries",
    columns: [
      "id",
      "registration_id",
      "event_type",
      "event_ids",
      "body",
      "status",
      "attempts",
      "total_attempts",
      "next_attempt_at",
      "last_status_code",
      "last_error",
      "created_at",
      "updated_at",
      "finished_at",
      "lease_owner",
      "lease_expires_at",
    ],
  },
  { table: "webhook_batch_items", columns: ["seq", "registration_id", "event_id", "event_type", "created_at"], serial: "seq" },
  {
    table: "webhook_attempts",
    columns: [
      "id",
      "delivery_id",
      "registration_id",
      "event_type",
      "attempt",
      "status",
      "status_code",
      "duration_ms",
      "error",
      "response_excerpt",
      "next_attempt_at",
      "attempted_at",
      "prev_attempted_at",
    ],
    serial: "id",
  },
  { table: "webhook_registrations", columns: ["id", "disabled_at", "disabled_reason", "updated_at"] },
  { table: "webhook_circuits", columns: ["endpoint_key", "consecutive_failures", "open_until", "updated_at"] },
  { table: "webhook_dedupe", columns: ["registration_id", "dedupe_key", "created_at"] },
  { table: "shown_items", columns: ["repo", "fingerprint", "pr_number", "author", "item", "created_at"] },
  { table: "feedback_log", columns: ["repo", "key", "outcome", "user_id", "created_at", "owed_events"], postgresOnly: ["seq"] },
  { table: "suppressed_findings", columns: ["repo", "fingerprint", "user_id", "created_at"] },
  { table: "transformation_issues", columns: ["repo", "pattern_key", "issue_number", "created_at"] },
  { table: "open_pull_resources", columns: ["repo", "pr_number", "author", "head_sha", "url", "title", "resources", "updated_at"] },
  { table: "coordination_done", columns: ["repo", "done_key", "created_at"] },
  { table: "rate_slots", columns: ["slot", "claimant", "last_at"] },
  { table: "llm_token_spend", columns: ["budget_key", "spent", "updated_at"] },
  { table: "review_results", columns: ["repo", "pr_number", ...REVIEW_RESULT_COLUMNS] },
  { table: "issue_policies", columns: ["repo", "enabled", "installation_id", "updated_at"] },
  // Copied so that a moved installation keeps its secrets: the dashboard's sessions stay valid.
  { table: "app_secrets", columns: ["name", "value", "created_at"] },
  // The dashboard's history, seq kept (its pages' cursors) and continued after.
  { table: "events", columns: ["seq", "id", "event_type", "repo", "timestamp", "envelope"], serial: "seq" },
];

/**
 * Tables of either schema the copy leaves behind: the migrations' own bookkeeping, and
 * webhook_attempt_buckets, which the target's triggers rebuild from the attempts as they are
 * written (copying it too would count them twice).
 */
export const NOT_COPIED = ["schema_migrations", "sqlite_sequence", "webhook_attempt_buckets"] as const;

/** A refusal: nothing was copied, for a reason the operator can act on (the CLI's exit code 2). */
export class CopyRefusal extends Error {}

const SQLITE_SCHEMA = Math.max(...migrations.map((m) => m.version));
const POSTGRES_SCHEMA = Math.max(...postgresMigrations.map((m) => m.version));

/** Rows read from SQLite and inserted into PostgreSQL per statement. */
const PAGE_ROWS = 500;

/** How long the copy waits for a lock on the target's tables (another process using them) before it gives up. */
const TARGET_LOCK_TIMEOUT = "10s";

/** The SQLite file, opened for the copy and locked until `close()`. */
export interface SqliteSource {
  db: Database.Database;
  /** The file's schema version as found, and after the migrations applied for the copy. */
  schemaFound: number;
  schema: number;
  /** Work an instance still held a live lease on (killed less than a lease ago, or running elsewhere on this file). */
  liveLeases: { jobs: number; deliveries: number; until: number | null };
  /** Ends the lock: commits the migrations applied (if any) and closes the file. */
  close(): void;
}

/**
 * Opens a SQLite store for the copy under an exclusive lock (refused when another process has it
 * open), checks that it is one of this app's, and applies the migrations it lacks.
 */
export function openSqliteSource(path: string, shown: string, now = Date.now()): SqliteSource {
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: true });
  } catch (error) {
    throw new CopyRefusal(`${shown} could not be opened: ${(error as Error).message}`);
  }
  try {
    db.pragma("busy_timeout = 1000");
    // Exclusive locking mode: the lock taken by the first transaction is held until the file is
    // closed. An open SQLite store (the app, in WAL mode) holds a shared lock all along: BUSY.
    db.pragma("locking_mode = EXCLUSIVE");
    try {
      db.exec("BEGIN EXCLUSIVE");
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") {
        throw new CopyRefusal(
          `${shown} is open in another process: stop the app (every instance using this file, and any empathy command on it) before copying its store`,
        );
      }
      if (code === "SQLITE_NOTADB") throw new CopyRefusal(`${shown} is not a SQLite database`);
      throw new CopyRefusal(`${shown} could not be locked for the copy: ${(error as Error).message}`);
    }
    const tables = sqliteTables(db);
    if (!tables.includes("schema_migrations") || !tables.includes("jobs")) {
      throw new CopyRefusal(`${shown} is a SQLite database but not the app's store (it has no jobs or schema_migrations table)`);
    }
    const schemaFound = (db.prepare("SELECT MAX(version) AS v FROM schema_migrations").get() as { v: number | null }).v ?? 0;
    if (schemaFound > SQLITE_SCHEMA) {
      throw new CopyRefusal(
        `${shown} was written by a newer version of the app (schema ${schemaFound}; this one knows up to ${SQLITE_SCHEMA}): copy it with that version`,
      );
    }
    if (schemaFound < SQLITE_SCHEMA) applySqliteMigrations(db);
    const unknown = sqliteTables(db).filter(
      (t) => !NOT_COPIED.includes(t as (typeof NOT_COPIED)[number]) && !COPIED_TABLES.some((c) => c.table === t),
    );
    if (unknown.length > 0) throw new Error(`the copy does not know the table(s) ${unknown.join(", ")} of ${shown}`);
    const jobs = db
      .prepare("SELECT COUNT(*) AS n, MAX(lease_expires_at) AS until FROM jobs WHERE status = 'running' AND lease_expires_at > ?")
      .get(now) as { n: number; until: number | null };
    const deliveries = db
      .prepare(
        "SELECT COUNT(*) AS n, MAX(lease_expires_at) AS until FROM webhook_deliveries WHERE status = 'in_flight' AND lease_expires_at > ?",
      )
      .get(now) as { n: number; until: number | null };
    const until = Math.max(jobs.until ?? 0, deliveries.until ?? 0);
    return {
      db,
      schemaFound,
      schema: SQLITE_SCHEMA,
      liveLeases: { jobs: jobs.n, deliveries: deliveries.n, until: until > 0 ? until : null },
      close: () => {
        if (!db.open) return;
        try {
          if (db.inTransaction) db.exec("COMMIT");
        } finally {
          db.close();
        }
      },
    };
  } catch (error) {
    if (db.open) {
      if (db.inTransaction) db.exec("ROLLBACK");
      db.close();
    }
    throw error;
  }
}

function sqliteTables(db: Database.Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
}

export interface CopyReport {
  /** Rows copied per table, in COPIED_TABLES order. */
  tables: { table: string; rows: number }[];
  rows: number;
  /** Jobs that were running, now queued. */
  requeuedJobs: number;
  /** Deliveries that were in flight, now pending. */
  releasedDeliveries: number;
}

/**
 * Copies every table of `source` into the PostgreSQL database of `pool` (migrated), in one
 * transaction; refuses (CopyRefusal) a target that holds any row, or whose schema is newer.
 */
export async function copySqliteToPostgres(source: Database.Database, pool: pg.Pool, options: { now?: number } = {}): Promise<CopyReport> {
  const now = options.now ?? Date.now();
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    try {
      const report = await copyInTransaction(source, client, now);
      await client.query("COMMIT");
      return report;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    }
  } finally {
    client.release();
  }
}

async function copyInTransaction(source: Database.Database, client: pg.PoolClient, now: number): Promise<CopyReport> {
  const [{ v: schema }] = (await client.query("SELECT MAX(version) AS v FROM schema_migrations")).rows as { v: number | null }[];
  if ((schema ?? 0) > POSTGRES_SCHEMA) {
    throw new CopyRefusal(
      `the PostgreSQL database was migrated by a newer version of the app (schema ${schema}; this one knows up to ${POSTGRES_SCHEMA}): copy with that version`,
    );
  }
  const types = await postgresColumnTypes(client);
  for (const t of COPIED_TABLES) {
    const missing = t.columns.filter((c) => !types.get(t.table)?.has(c));
    if (missing.length > 0) throw new Error(`the PostgreSQL table ${t.table} lacks the column(s) ${missing.join(", ")}`);
  }
  const list = COPIED_TABLES.map((t) => t.table).join(", ");
  await client.query(`SET LOCAL lock_timeout = '${TARGET_LOCK_TIMEOUT}'`);
  try {
    // Writes by anyone else wait until the copy commits; reads go on.
    await client.query(`LOCK TABLE ${list} IN SHARE ROW EXCLUSIVE MODE`);
  } catch (error) {
    if ((error as { code?: string }).code === "55P03") {
      throw new CopyRefusal(
        `the PostgreSQL database's tables are in use (locked for more than ${TARGET_LOCK_TIMEOUT}): stop every instance of the app using it`,
      );
    }
    throw error;
  }
  const nonEmpty: string[] = [];
  for (const t of COPIED_TABLES) {
    const { rows } = await client.query(`SELECT COUNT(*) AS n FROM ${t.table}`);
    const n = Number((rows[0] as { n: number | string }).n);
    if (n > 0) nonEmpty.push(`${t.table}: ${n} row${n === 1 ? "" : "s"}`);
  }
  if (nonEmpty.length > 0) {
    throw new CopyRefusal(
      `the PostgreSQL database already holds data (${nonEmpty.join(", ")}): the copy goes into an empty database only, never merged; create a new database for it`,
    );
  }

  const report: CopyReport = { tables: [], rows: 0, requeuedJobs: 0, releasedDeliveries: 0 };
  for (const t of COPIED_TABLES) {
    const columnTypes = types.get(t.table)!;
    const select = source.prepare(
      `SELECT rowid AS __rowid, ${t.columns.join(", ")} FROM ${t.table} WHERE rowid > ? ORDER BY rowid LIMIT ${PAGE_ROWS}`,
    );
    let after = Number.MIN_SAFE_INTEGER;
    let copied = 0;
    for (;;) {
      const page = select.all(after) as Row[];
      if (page.length === 0) break;
      after = page[page.length - 1].__rowid as number;
      const values: unknown[] = [];
      const tuples: string[] = [];
      for (const raw of page) {
        const row = adjust(t.table, raw, now, report);
        tuples.push(`(${t.columns.map((c) => `$${values.push(toPostgres(row[c], columnTypes.get(c)!))}`).join(", ")})`);
      }
      const inserted = await client.query(`INSERT INTO ${t.table} (${t.columns.join(", ")}) VALUES ${tuples.join(", ")}`, values);
      copied += inserted.rowCount ?? 0;
      if (page.length < PAGE_ROWS) break;
    }
    const total = (source.prepare(`SELECT COUNT(*) AS n FROM ${t.table}`).get() as { n: number }).n;
    if (copied !== total) throw new Error(`${t.table}: ${copied} of ${total} rows copied`);
    if (t.serial) await continueSequence(source, client, t.table, t.serial);
    report.tables.push({ table: t.table, rows: copied });
    report.rows += copied;
  }
  return report;
}

/** A row as the PostgreSQL store keeps it: leases dropped, interrupted work back where another instance would put it. */
function adjust(table: string, row: Row, now: number, report: CopyReport): Row {
  if (table === "jobs") {
    const out = { ...row, lease_owner: null, lease_expires_at: null };
    if (row.status === "running") {
      // As reclaimExpiredJobs: back in the queue, its attempt counted.
      report.requeuedJobs++;
      return { ...out, status: "queued", updated_at: now };
    }
    return out;
  }
  if (table === "webhook_deliveries") {
    const out: Row = { ...row, event_ids: JSON.parse(row.event_ids as string) as string[], lease_owner: null, lease_expires_at: null };
    if (row.status === "in_flight") {
      // As reclaimExpiredWebhookDeliveries: pending, due now at the latest, the interrupted attempt not counted.
      report.releasedDeliveries++;
      return {
        ...out,
        status: "pending",
        attempts: Math.max(0, (row.attempts as number) - 1),
        total_attempts: Math.max(0, (row.total_attempts as number) - 1),
        next_attempt_at: Math.min(row.next_attempt_at as number, now),
        updated_at: now,
      };
    }
    return out;
  }
  return row;
}

/** A SQLite value as the PostgreSQL column takes it. */
function toPostgres(value: unknown, type: string): unknown {
  if (value === null || value === undefined) return null;
  if (type === "bigint" || type === "integer") {
    if (typeof value === "number" && !Number.isInteger(value)) return Math.round(value);
    if (typeof value === "bigint") return value.toString();
    return value;
  }
  if (type === "boolean") return value === 1 || value === 1n || value === true; // SQLite keeps 0/1
  if (type === "text") {
    if (typeof value === "string") return pgText(value);
    if (Buffer.isBuffer(value)) return pgText(value.toString("utf8"));
    return String(value);
  }
  if (Array.isArray(value)) return value.map((v) => (typeof v === "string" ? pgText(v) : v));
  return value;
}

/** PostgreSQL's column types per table of the current schema ("bigint", "integer", "text", "ARRAY"). */
export async function postgresColumnTypes(db: pg.Pool | pg.PoolClient): Promise<Map<string, Map<string, string>>> {
  const { rows } = await db.query(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
      WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
  );
  const out = new Map<string, Map<string, string>>();
  for (const r of rows as { table_name: string; column_name: string; data_type: string }[]) {
    if (!out.has(r.table_name)) out.set(r.table_name, new Map());
    out.get(r.table_name)!.set(r.column_name, r.data_type);
  }
  return out;
}

/**
 * The next id after the largest SQLite ever gave (AUTOINCREMENT's sqlite_sequence, which counts
 * rows deleted since, e.g. by retention), so that no id is given twice.
 */
async function continueSequence(source: Database.Database, client: pg.PoolClient, table: string, column: string): Promise<void> {
  const max = (source.prepare(`SELECT MAX(${column}) AS m FROM ${table}`).get() as { m: number | null }).m ?? 0;
  const hasSequence = sqliteTables(source).includes("sqlite_sequence");
  const given = hasSequence
    ? ((source.prepare("SELECT seq FROM sqlite_sequence WHERE name = ?").get(table) as { seq: number } | undefined)?.seq ?? 0)
    : 0;
  const last = Math.max(max, given);
  await client.query("SELECT setval(pg_get_serial_sequence($1, $2), $3, $4)", [table, column, Math.max(last, 1), last > 0]);
}
