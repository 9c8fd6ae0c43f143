/**
 * Migration 10 on a SQLite file written before it: prediction issue links recorded without their
 * details are kept and listed with nulls (the Slack status shows them without a title), and a
 * later save of the same link adds the details without moving it in time.
 */
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrations } from "../../src/store/migrations.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";

describe("review results and prediction issue details on an older SQLite file", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "empathy-upgrade-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps the links recorded before, lists them with nulls, and fills their details on the next save", async () => {
    const path = join(dir, "empathy.sqlite");
    const old = new Database(path);
    old.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
    for (const m of migrations.filter((m) => m.version < 10)) {
      old.exec(m.sql);
      old.prepare("INSERT INTO schema_migrations VALUES (?, ?, ?)").run(m.version, m.name, 0);
    }
    old.prepare("INSERT INTO prediction_issues (repo, fingerprint, issue_number, created_at) VALUES ('o/r', 'fp', 7, 1000)").run();
    old.close();

    const store = new SqliteStore(path);
    try {
      expect(store.schemaVersion()).toBe(Math.max(...migrations.map((m) => m.version))); // 10 and every later one
      expect(await store.listPredictionIssues({ repo: "o/r", limit: 5 })).toEqual([
        { repo: "o/r", fingerprint: "fp", issueNumber: 7, title: null, confidence: null, url: null, createdAt: 1000 },
      ]);
      await store.savePredictionIssue("o/r", "fp", 7, {
        title: "Drops column email",
        confidence: 0.9,
        url: "https://github.com/o/r/issues/7",
      });
      expect(await store.listPredictionIssues({ limit: 5 })).toEqual([
        {
          repo: "o/r",
          fingerprint: "fp",
          issueNumber: 7,
          title: "Drops column email",
          confidence: 0.9,
          url: "https://github.com/o/r/issues/7",
          createdAt: 1000,
        },
      ]);
      expect(await store.getReviewResult("o/r", 1)).toBeUndefined();
      expect(await store.getIssuePolicy("o/r")).toBeUndefined();
      // Each listing reads its index (backwards) and sorts nothing: the store's own statements.
      const plan = (sql: string) => JSON.stringify(store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all());
      const byRepo = plan("SELECT * FROM prediction_issues WHERE repo = 'o/r' ORDER BY created_at DESC, fingerprint DESC LIMIT 5");
      const all = plan("SELECT * FROM prediction_issues ORDER BY created_at DESC, repo DESC, fingerprint DESC LIMIT 5");
      expect(byRepo).toContain("prediction_issues_repo_recent");
      expect(all).toContain("prediction_issues_recent");
      expect(byRepo + all).not.toContain("TEMP B-TREE");
    } finally {
      await store.close();
    }
  });
});
