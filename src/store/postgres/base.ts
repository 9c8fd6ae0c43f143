/**
 * What every part of the PostgreSQL store shares: the `pg` pool, its settings from DATABASE_URL,
 * transactions, and the versioned migrations run at open under an advisory lock (instances
 * starting together apply each migration once; the others wait for it and find it done).
 */
import pg from "pg";
import { postgresMigrations } from "./migrations.js";

export interface PostgresOptions {
  /** A postgres:// or postgresql:// URL, optionally with `?sslmode=`. */
  connectionString: string;
  /** Connections in the pool (EMPATHY_DATABASE_POOL_SIZE; default 10). */
  poolSize?: number;
}

export const DEFAULT_POOL_SIZE = 10;

/** Lets webhooks and jobs run between two batches of a long prune or deletion. */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** How long a query waits for a connection (a new one, or a free one of the pool) before it fails. */
const CONNECTION_TIMEOUT_MS = 30_000;

/** The advisory lock key of the migrations (any constant shared by every instance). */
const MIGRATION_LOCK = 7_239_114_021;

/** BIGINT (int8: ms timestamps, ids, COUNT(*)) as numbers: they fit in 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as "text")) as pg.CustomTypesConfig["getTypeParser"],
};

/** pg's connection settings from a postgres:// or postgresql:// URL; `sslmode` is honoured (disable, allow, prefer, require, verify-ca, verify-full). */
export function postgresPoolConfig(options: PostgresOptions): pg.PoolConfig {
  let url: URL;
  try {
    url = new URL(options.connectionString);
  } catch {
    throw new Error("DATABASE_URL is not a valid PostgreSQL URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE)");
  }
  const sslmode = url.searchParams.get("sslmode");
  url.searchParams.delete("sslmode");
  let ssl: pg.PoolConfig["ssl"];
  if (sslmode === "require" || sslmode === "prefer" || sslmode === "allow") ssl = { rejectUnauthorized: false };
  else if (sslmode === "verify-ca" || sslmode === "verify-full") ssl = { rejectUnauthorized: true };
  else if (sslmode !== null && sslmode !== "disable") throw new Error(`DATABASE_URL: unknown sslmode "${sslmode}"`);
  return {
    connectionString: url.toString(),
    ssl,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    types,
    connectionTimeoutMillis: CONNECTION_TIMEOUT_MS,
  };
}

/** The URL without its password (for messages and the CLI's "Jobs in …" line). */
export function describePostgresUrl(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    url.password = "";
    url.search = "";
    return url.toString();
  } catch {
    return "the PostgreSQL database";
  }
}

/** What runs a query: the pool, or a transaction's client. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
}

/** Free texts (errors, response excerpts) as PostgreSQL stores them: it refuses NUL characters in TEXT. */
export function pgText<T extends string | null | undefined>(value: T): T {
  return (typeof value === "string" && value.includes("\u0000") ? value.replaceAll("\u0000", "\uFFFD") : value) as T;
}

/** The shared base of the store's parts (see index.ts): the pool and the helpers on it. */
export class PostgresBase {
  readonly pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.pool = pool;
    // An idle connection the server dropped (a restart, a failover): the pool discards it and the
    // next query opens a new one. Without a listener, the error would end the process.
    pool.on("error", () => {});
  }

  /** The rows of one statement. */
  protected async rows<T extends object>(sql: string, args: unknown[] = [], db: Queryable = this.pool): Promise<T[]> {
    return (await db.query(sql, args)).rows as T[];
  }

  /** How many rows one statement changed. */
  protected async changes(sql: string, args: unknown[] = [], db: Queryable = this.pool): Promise<number> {
    return (await db.query(sql, args)).rowCount ?? 0;
  }

  /** Runs `fn` in a transaction on one client: committed when it returns, rolled back when it throws. */
  protected async tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /** Applies the migrations not applied yet, each in its own transaction, under the advisory lock. */
  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
      try {
        await client.query(
          "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        );
        const applied = new Set(
          (await client.query<{ version: number }>("SELECT version FROM schema_migrations")).rows.map((r) => r.version),
        );
        for (const m of postgresMigrations) {
          if (applied.has(m.version)) continue;
          await client.query("BEGIN");
          try {
            await client.query(m.sql);
            await client.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [
              m.version,
              m.name,
              Date.now(),
            ]);
            await client.query("COMMIT");
          } catch (err) {
            await client.query("ROLLBACK");
            throw new Error(`PostgreSQL migration ${m.version} (${m.name}) failed: ${(err as Error).message}`);
          }
        }
      } finally {
        await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]);
      }
    } finally {
      client.release();
    }
  }

  async schemaVersion(): Promise<number> {
    const [row] = await this.rows<{ v: number | null }>("SELECT MAX(version) AS v FROM schema_migrations");
    return row.v ?? 0;
  }

  /** The readiness probe: one round trip, no table read. Rejects once the pool is closed. */
  async ping(): Promise<void> {
    await this.pool.query("SELECT 1");
  }

  private closing: Promise<void> | undefined;

  /** Ends the pool once (closing again waits for the same end). */
  async close(): Promise<void> {
    this.closing ??= this.pool.end();
    await this.closing;
  }
}

/** A class the parts extend (TypeScript's mixin pattern: each part is `(Base) => class extends Base`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PostgresPart = new (...args: any[]) => PostgresBase;
