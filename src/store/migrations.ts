/** Versioned schema changes, applied in order once each; never edit a released one, add a new one. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: "initial",
    sql: `
      CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        type TEXT NOT NULL,
        payload TEXT NOT NULL,
        dedupe_key TEXT UNIQUE,
        status TEXT NOT NULL DEFAULT 'queued',
        attempts INTEGER NOT NULL DEFAULT 0,
        run_at INTEGER NOT NULL,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX jobs_due ON jobs (status, run_at, id);

      CREATE TABLE reviews (
        repo TEXT NOT NULL,
        pr_number INTEGER NOT NULL,
        commit_sha TEXT NOT NULL,
        review_id INTEGER,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (repo, pr_number, commit_sha)
      );

      CREATE TABLE posted_findings (
        repo TEXT NOT NULL,
        pr_number INTEGER NOT NULL,
        fingerprint TEXT NOT NULL,
        path TEXT NOT NULL,
        line INTEGER NOT NULL,
        commit_sha TEXT NOT NULL,
        PRIMARY KEY (repo, pr_number, fingerprint)
      );

      CREATE TABLE summaries (
        repo TEXT NOT NULL,
        pr_number INTEGER NOT NULL,
        comment_id INTEGER,
        last_fingerprints TEXT NOT NULL,
        last_sha TEXT,
        PRIMARY KEY (repo, pr_number)
      );

      CREATE TABLE prediction_issues (
        repo TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        issue_number INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (repo, fingerprint)
      );

      CREATE TABLE trust (
        repo TEXT NOT NULL,
        user_id TEXT NOT NULL,
        record TEXT NOT NULL,
        PRIMARY KEY (repo, user_id)
      );

      CREATE TABLE patterns (
        repo TEXT NOT NULL,
        key TEXT NOT NULL,
        record TEXT NOT NULL,
        PRIMARY KEY (repo, key)
      );
    `,
  },
];
