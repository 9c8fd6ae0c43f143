/**
 * The two backends the store contracts run against, each as two store instances on one store:
 * SQLite (two stores on one file, as two processes have) and PostgreSQL (two pools on one fresh
 * database of a real server the suite started). `sql` runs a raw statement on either (written
 * with `?` placeholders) for what a test must set up by hand, such as an old timestamp.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PostgresStore } from "../../src/store/postgres/index.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import type { Store } from "../../src/store/store.js";
import type { PostgresServer } from "./postgresServer.js";

export interface StorePair {
  a: Store;
  b: Store;
  /** Rows of a raw statement (`?` placeholders). */
  sql<T = Record<string, unknown>>(text: string, ...args: unknown[]): Promise<T[]>;
  leaseOf(table: "jobs" | "webhook_deliveries", id: number | string): Promise<{ owner: string | null; expiresAt: number | null }>;
  close(): Promise<void>;
}

let databases = 0;

export function storeBackends(server: () => PostgresServer, poolSize = 4): [string, () => Promise<StorePair>][] {
  const leaseOf = (pair: Pick<StorePair, "sql">) => async (table: string, id: number | string) =>
    (
      await pair.sql<{ owner: string | null; expiresAt: number | null }>(
        `SELECT lease_owner AS owner, lease_expires_at AS "expiresAt" FROM ${table} WHERE id = ?`,
        id,
      )
    )[0];
  return [
    [
      "SQLite",
      async () => {
        const dir = mkdtempSync(join(tmpdir(), "empathy-contract-"));
        const a = new SqliteStore(join(dir, "shared.sqlite"));
        const b = new SqliteStore(join(dir, "shared.sqlite"));
        const sql = async <T>(text: string, ...args: unknown[]) => {
          const statement = a.db.prepare(text);
          return (statement.reader ? statement.all(...args) : (statement.run(...args), [])) as T[];
        };
        return {
          a,
          b,
          sql,
          leaseOf: leaseOf({ sql }),
          close: async () => {
            await a.close();
            await b.close();
            rmSync(dir, { recursive: true, force: true });
          },
        };
      },
    ],
    [
      "PostgreSQL",
      async () => {
        const url = await server().createDatabase(`contract_${process.pid}_${++databases}`);
        const [a, b] = await Promise.all([
          PostgresStore.open({ connectionString: url, poolSize }),
          PostgresStore.open({ connectionString: url, poolSize }),
        ]);
        const sql = async <T>(text: string, ...args: unknown[]) => {
          let n = 0;
          return (
            await a.pool.query(
              text.replace(/\?/g, () => `$${++n}`),
              args,
            )
          ).rows as T[];
        };
        return {
          a,
          b,
          sql,
          leaseOf: leaseOf({ sql }),
          close: async () => {
            await a.close();
            await b.close();
          },
        };
      },
    ],
  ];
}
