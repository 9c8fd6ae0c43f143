/**
 * The store the operator commands work on: the app's, found the way the app finds it
 * (src/main.ts applies `.env` over the environment; src/store/open.ts reads DATABASE_URL), or
 * the one `--database` names: a SQLite file, or a PostgreSQL database (postgres://…). It must
 * exist: a mistyped path must not create an empty store (a mistyped database name fails to connect).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { parseEnv } from "node:util";
import { readDatabaseUrl } from "../config/env.js";
import { DEFAULT_DATABASE_PATH, isPostgresUrl, sqlitePathFromUrl } from "../store/open.js";
import { describePostgresUrl, postgresPoolConfig, PostgresStore } from "../store/postgres/index.js";
import { SqliteStore } from "../store/sqlite/index.js";
import type { Store } from "../store/store.js";
import { InputError, type CliIo } from "./common.js";

export const DATABASE_OPTION = { database: { type: "string" } } as const;

export const DATABASE_HELP = `  --database PATH      the store (a SQLite file, sqlite:PATH, or a postgres:// URL); default: DATABASE_URL from
                       .env in the current folder, else from the environment, else
                       ${DEFAULT_DATABASE_PATH}, as the app does when started here`;

export interface OpenedStore {
  store: Store;
  /** The file, as shown to the user (relative to the current folder when inside it), or the PostgreSQL URL without its password. */
  shown: string;
}

/** Connections the CLI's PostgreSQL pool opens: its commands run one statement at a time. */
const CLI_POOL_SIZE = 2;

/** Where DATABASE_URL comes from, as for the app: `.env` over the environment. */
export function databaseUrl(io: CliIo, explicit: string | undefined, option = "--database"): { url: string | undefined; from: string } {
  if (explicit !== undefined) return { url: explicit, from: option };
  try {
    const dotenv = parseEnv(readFileSync(resolve(io.cwd, ".env"), "utf8"));
    if (dotenv.DATABASE_URL !== undefined && dotenv.DATABASE_URL.trim() !== "")
      return { url: dotenv.DATABASE_URL, from: "DATABASE_URL in .env" };
  } catch {
    // no .env (or unreadable): the environment decides, as for the app
  }
  const url = readDatabaseUrl(io.env ?? {});
  if (url !== undefined) return { url, from: "DATABASE_URL" };
  return { url: undefined, from: "the app's default, DATABASE_URL being unset" };
}

export async function openOperatorStore(io: CliIo, explicit: string | undefined): Promise<OpenedStore> {
  const { url, from } = databaseUrl(io, explicit);
  if (isPostgresUrl(url)) {
    const { store, shown } = await openPostgresStore(url!.trim(), from, CLI_POOL_SIZE);
    return { store, shown };
  }
  const { full, shown } = existingSqliteFile(io, url, from);
  try {
    return { store: new SqliteStore(full), shown };
  } catch (error) {
    throw new InputError(`${shown} (${from}) could not be opened as a store: ${(error as Error).message}`);
  }
}

/**
 * The SQLite file a store URL names (a path, sqlite:PATH), resolved from the current folder: it
 * must exist and be a file. `shown`: relative to the current folder when inside it.
 */
export function existingSqliteFile(
  io: CliIo,
  url: string | undefined,
  from: string,
  option = "--database",
): { full: string; shown: string } {
  let path: string;
  try {
    path = sqlitePathFromUrl(url);
  } catch (error) {
    throw new InputError((error as Error).message);
  }
  if (path === ":memory:") throw new InputError(`${from} names an in-memory store: there is nothing to read`);
  const full = resolve(io.cwd, path);
  const rel = relative(io.cwd, full);
  const shown = rel === "" || rel.startsWith("..") || isAbsolute(rel) ? full : rel;
  if (!existsSync(full)) {
    throw new InputError(`no store at ${full} (${from}): run empathy in the app's folder, set DATABASE_URL, or give ${option} PATH`);
  }
  if (!statSync(full).isFile()) throw new InputError(`${shown} (${from}) is not a file`);
  return { full, shown };
}

/**
 * A PostgreSQL store, connected and migrated: a database that cannot be reached is the same
 * input error as a file that cannot be opened. Messages name the URL without its password.
 */
export async function openPostgresStore(url: string, from: string, poolSize: number): Promise<{ store: PostgresStore; shown: string }> {
  const shown = describePostgresUrl(url);
  try {
    postgresPoolConfig({ connectionString: url }); // a malformed URL or sslmode: an error naming the setting
  } catch (error) {
    throw new InputError(`${(error as Error).message} (${from})`);
  }
  try {
    return { store: await PostgresStore.open({ connectionString: url, poolSize }), shown };
  } catch (error) {
    throw new InputError(`${shown} (${from}) could not be opened as a store: ${withoutPassword((error as Error).message, url)}`);
  }
}

/** A driver's message with the URL's password, should it quote it, masked. */
export function withoutPassword(message: string, url: string): string {
  let password = "";
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // not a URL: nothing to mask
  }
  return password.length > 0 ? message.replaceAll(password, "[REDACTED]") : message;
}
