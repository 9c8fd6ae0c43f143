/**
 * Picks the store adapter from DATABASE_URL: PostgreSQL for postgres://… or postgresql://… (with
 * the usual `?sslmode=`), for several instances sharing one database; otherwise the embedded
 * SQLite file, a path or sqlite:PATH (default ./data/empathy.sqlite). Opening is async: a
 * PostgreSQL store connects and migrates first.
 */
import { isPostgresUrl, PostgresStore } from "./postgres/index.js";
import { SqliteStore } from "./sqlite/index.js";
import type { Store } from "./store.js";

export { isPostgresUrl } from "./postgres/index.js";

export const DEFAULT_DATABASE_PATH = "./data/empathy.sqlite";

export interface OpenStoreOptions {
  /** PostgreSQL: connections in the pool (EMPATHY_DATABASE_POOL_SIZE; default 10). */
  poolSize?: number;
}

/** The SQLite file a DATABASE_URL names; a PostgreSQL URL is not one (see isPostgresUrl). */
export function sqlitePathFromUrl(databaseUrl: string | undefined): string {
  const url = (databaseUrl ?? "").trim();
  if (!url) return DEFAULT_DATABASE_PATH;
  if (isPostgresUrl(url)) throw new Error("DATABASE_URL names a PostgreSQL database, not a SQLite file");
  if (url.startsWith("sqlite://")) return url.slice("sqlite://".length) || DEFAULT_DATABASE_PATH;
  if (url.startsWith("sqlite:")) return url.slice("sqlite:".length) || DEFAULT_DATABASE_PATH;
  if (url.startsWith("file:")) return url.slice("file:".length);
  return url;
}

/** Opens (creating and migrating as needed) the store DATABASE_URL names. */
export async function openStore(databaseUrl: string | undefined, options: OpenStoreOptions = {}): Promise<Store> {
  if (isPostgresUrl(databaseUrl)) return PostgresStore.open({ connectionString: databaseUrl!.trim(), poolSize: options.poolSize });
  return new SqliteStore(sqlitePathFromUrl(databaseUrl));
}
