/** Picks the store adapter from DATABASE_URL: a path or sqlite:PATH (default ./data/empathy.sqlite). */
import { SqliteStore } from "./sqlite.js";
import type { Store } from "./store.js";

export const DEFAULT_DATABASE_PATH = "./data/empathy.sqlite";

export function sqlitePathFromUrl(databaseUrl: string | undefined): string {
  const url = (databaseUrl ?? "").trim();
  if (!url) return DEFAULT_DATABASE_PATH;
  if (/^(postgres|postgresql):/i.test(url)) {
    throw new Error("DATABASE_URL: PostgreSQL is not supported yet; use a file path or sqlite:PATH");
  }
  if (url.startsWith("sqlite://")) return url.slice("sqlite://".length) || DEFAULT_DATABASE_PATH;
  if (url.startsWith("sqlite:")) return url.slice("sqlite:".length) || DEFAULT_DATABASE_PATH;
  if (url.startsWith("file:")) return url.slice("file:".length);
  return url;
}

export function openStore(databaseUrl: string | undefined): Store {
  return new SqliteStore(sqlitePathFromUrl(databaseUrl));
}
