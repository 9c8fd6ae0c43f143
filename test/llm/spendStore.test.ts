/**
 * The token budget's store, as a contract every backend keeps: the in-memory spend, and the
 * `llm_token_spend` table on SQLite and PostgreSQL with the exact migration and statements the
 * store is to adopt (written here, run here, so the text handed over is known to work). The
 * PostgreSQL case races reservations on separate connections: never more than the limit.
 */
import Database from "better-sqlite3";
import pg from "pg";
import { MemoryLlmSpend, type LlmSpendStore } from "../../src/llm/budget.js";
import { postgresForSuite } from "../store/postgresSuite.js";

const SQLITE_MIGRATION = `
  CREATE TABLE llm_token_spend (
    budget_key TEXT PRIMARY KEY,
    spent INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX llm_token_spend_updated ON llm_token_spend (updated_at);
`;

const POSTGRES_MIGRATION = `
  CREATE TABLE llm_token_spend (
    budget_key TEXT COLLATE "C" PRIMARY KEY,
    spent BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE INDEX llm_token_spend_updated ON llm_token_spend (updated_at);
`;

/** One statement: a new key takes the tokens; a known one only while its total stays within the limit (no row back: refused). */
const SQLITE_RESERVE = `INSERT INTO llm_token_spend (budget_key, spent, updated_at) VALUES (?, ?, ?)
  ON CONFLICT (budget_key) DO UPDATE SET spent = llm_token_spend.spent + excluded.spent, updated_at = excluded.updated_at
  WHERE llm_token_spend.spent + excluded.spent <= ?
  RETURNING spent`;
const SQLITE_ADJUST = `UPDATE llm_token_spend SET spent = MAX(0, spent + ?), updated_at = ? WHERE budget_key = ?`;

const POSTGRES_RESERVE = `INSERT INTO llm_token_spend (budget_key, spent, updated_at) VALUES ($1, $2, $3)
  ON CONFLICT (budget_key) DO UPDATE SET spent = llm_token_spend.spent + excluded.spent, updated_at = excluded.updated_at
  WHERE llm_token_spend.spent + excluded.spent <= $4
  RETURNING spent`;
const POSTGRES_ADJUST = `UPDATE llm_token_spend SET spent = GREATEST(0, spent + $1), updated_at = $2 WHERE budget_key = $3`;

function sqliteSpend(db: Database.Database): LlmSpendStore & { spentOf(key: string): number } {
  return {
    reserveLlmTokens(key, tokens, limit, now) {
      if (tokens > limit) return Promise.resolve(false); // a new key's first reservation must fit too
      return Promise.resolve(db.prepare(SQLITE_RESERVE).get(key, tokens, now, limit) !== undefined);
    },
    adjustLlmTokens(key, delta, now) {
      db.prepare(SQLITE_ADJUST).run(delta, now, key);
      return Promise.resolve();
    },
    spentOf: (key) => (db.prepare("SELECT spent FROM llm_token_spend WHERE budget_key = ?").get(key) as { spent: number }).spent,
  };
}

function postgresSpend(pool: pg.Pool): LlmSpendStore {
  return {
    async reserveLlmTokens(key, tokens, limit, now) {
      if (tokens > limit) return false;
      return (await pool.query(POSTGRES_RESERVE, [key, tokens, now, limit])).rowCount === 1;
    },
    async adjustLlmTokens(key, delta, now) {
      await pool.query(POSTGRES_ADJUST, [delta, now, key]);
    },
  };
}

/** The contract: reserve within the limit, refuse past it, settle both ways, keys apart. */
async function keepsTheContract(spend: LlmSpendStore, spentOf: (key: string) => Promise<number> | number): Promise<void> {
  expect(await spend.reserveLlmTokens("acme/shop#1", 1500, 1000, 1)).toBe(false);
  expect(await spend.reserveLlmTokens("acme/shop#1", 600, 1000, 1)).toBe(true);
  expect(await spend.reserveLlmTokens("acme/shop#1", 500, 1000, 2)).toBe(false);
  expect(await spentOf("acme/shop#1")).toBe(600);
  await spend.adjustLlmTokens("acme/shop#1", -250, 3); // the call used 350 of its 600
  expect(await spend.reserveLlmTokens("acme/shop#1", 500, 1000, 4)).toBe(true);
  expect(await spentOf("acme/shop#1")).toBe(850);
  await spend.adjustLlmTokens("acme/shop#1", 400, 5); // the provider counted more than we reserved
  expect(await spentOf("acme/shop#1")).toBe(1250);
  expect(await spend.reserveLlmTokens("acme/shop#1", 1, 1000, 6)).toBe(false);
  await spend.adjustLlmTokens("acme/shop#1", -99_999, 7);
  expect(await spentOf("acme/shop#1")).toBe(0);
  expect(await spend.reserveLlmTokens("acme/shop#2", 1000, 1000, 8)).toBe(true);
}

describe("the token budget's store", () => {
  it("in memory", async () => {
    const spend = new MemoryLlmSpend();
    await keepsTheContract(spend, (key) => spend.spent.get(key) ?? 0);
  });

  it("on SQLite, with the migration and statements handed to the store", async () => {
    const db = new Database(":memory:");
    try {
      db.exec(SQLITE_MIGRATION);
      const spend = sqliteSpend(db);
      await keepsTheContract(spend, spend.spentOf);
    } finally {
      db.close();
    }
  });

  describe("on PostgreSQL", () => {
    const server = postgresForSuite();
    let pool: pg.Pool;
    beforeAll(async () => {
      pool = new pg.Pool({ connectionString: await server.createDatabase("llm_spend"), max: 10 });
      await pool.query(POSTGRES_MIGRATION);
    });
    afterAll(async () => {
      await pool?.end();
    });
    const spentOf = async (key: string) =>
      Number((await pool.query<{ spent: string }>("SELECT spent FROM llm_token_spend WHERE budget_key = $1", [key])).rows[0].spent);

    it("keeps the contract", async () => {
      await keepsTheContract(postgresSpend(pool), spentOf);
    });

    it("never goes over the limit when instances race: 40 reservations of 100 against 1,000", async () => {
      // Each reservation on its own connection, all at once, as ten instances would.
      const spend = postgresSpend(pool);
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => spend.reserveLlmTokens("acme/race#1", 100, 1000, i)));
      expect(results.filter(Boolean)).toHaveLength(10);
      expect(await spentOf("acme/race#1")).toBe(1000);
    });
  });
});
