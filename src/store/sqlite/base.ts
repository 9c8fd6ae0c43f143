/**
 * What every part of the SQLite store shares: the database handle (one file in WAL mode, or
 * ":memory:"), its pragmas, the versioned migrations applied at open under the write lock, the
 * prepared-statement cache (each SQL text compiled once per store) and transaction wrappers.
 */
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { migrations } from "../migrations.js";

/**
 * Applies the migrations `db` has not had yet (schema_migrations must exist), in the caller's
 * transaction: the store at open, `empathy store copy` on the file it copies. Its two statements
 * are prepared on each call, as `db` is any handle (the copy's own); that is once per open.
 */
export function applySqliteMigrations(db: Database.Database): void {
  const applied = new Set((db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map((r) => r.version));
  const record = db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    db.exec(m.sql);
    record.run(m.version, m.name, Date.now());
  }
}

/** Lets webhooks and jobs run between two batches of a long delete. */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The shared base of the store's parts (see index.ts): the handle and the helpers on it. */
export class SqliteBase {
  readonly db: Database.Database;

  /** Every statement of the store, compiled on first use and kept for the store's life. */
  private readonly statements = new Map<string, Database.Statement>();

  /**
   * The prepared statement of `sql`, compiled the first time this store runs that text. The
   * parts pass constant texts, or texts composed from a fixed set of clauses (optional filters,
   * table names of their own), so the cache holds a bounded number of statements; values always
   * go in as parameters (lists as one JSON array read with json_each), never into the text.
   */
  protected stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Transaction wrappers of the hot paths, made once (better-sqlite3 builds several functions per wrapper). */
  private readonly transactions = new Map<(...args: never[]) => unknown, Database.Transaction>();

  /** `fn` (a function made once, such as an arrow-function field) as a transaction. */
  protected tx<F extends (...args: never[]) => unknown>(fn: F): Database.Transaction<F> {
    let wrapped = this.transactions.get(fn);
    if (!wrapped) {
      wrapped = this.db.transaction(fn);
      this.transactions.set(fn, wrapped);
    }
    return wrapped as Database.Transaction<F>;
  }

  /** `path` is a file path or ":memory:". */
  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    // First, so that a second process opening the file meanwhile waits instead of failing.
    this.db.pragma("busy_timeout = 5000");
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.migrate();
  }

  private migrate(): void {
    this.db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    );
    // Under the write lock (BEGIN IMMEDIATE), the applied versions read inside it: processes
    // opening one file together apply each migration once, the others wait and find it done.
    this.db.transaction(() => applySqliteMigrations(this.db)).immediate();
  }

  schemaVersion(): number {
    const row = this.stmt("SELECT MAX(version) AS v FROM schema_migrations").get() as { v: number | null };
    return row.v ?? 0;
  }

  async ping(): Promise<void> {
    this.stmt("SELECT 1").get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** A class the parts extend (TypeScript's mixin pattern: each part is `(Base) => class extends Base`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SqlitePart = new (...args: any[]) => SqliteBase;
