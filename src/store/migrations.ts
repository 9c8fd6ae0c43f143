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
  {
    version: 2,
    name: "webhooks",
    sql: `
      -- Each event sent to webhooks, stored once however many registrations it goes to.
      CREATE TABLE webhook_events (
        id TEXT PRIMARY KEY,
        event_type TEXT NOT NULL,
        envelope TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );

      -- One row per HTTP delivery (a single event or a batch). id is the Standard Webhooks
      -- webhook-id, the same on every attempt. event_ids name its events (webhook_events), so a
      -- dead letter can be rendered again and replayed; body is the rendered request body, null
      -- when it is the envelope(s) as they are (no template) or when rendering failed.
      CREATE TABLE webhook_deliveries (
        id TEXT PRIMARY KEY,
        registration_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        event_ids TEXT NOT NULL,
        body TEXT,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        total_attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_status_code INTEGER,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        finished_at INTEGER
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, registration_id, next_attempt_at);
      CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (status, finished_at);

      -- Events waiting to be grouped into a batch delivery (registrations with batch_size > 1).
      CREATE TABLE webhook_batch_items (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        registration_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (registration_id, event_id)
      );
      CREATE INDEX webhook_batch_items_registration ON webhook_batch_items (registration_id, seq);

      -- Every attempt, for getDeliveryLogs.
      CREATE TABLE webhook_attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        delivery_id TEXT NOT NULL,
        registration_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        status TEXT NOT NULL,
        status_code INTEGER,
        duration_ms INTEGER NOT NULL,
        error TEXT,
        response_excerpt TEXT,
        next_attempt_at INTEGER,
        attempted_at INTEGER NOT NULL
      );
      CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempt);
      CREATE INDEX webhook_attempts_time ON webhook_attempts (attempted_at);

      -- Registration state that outlives a restart (410 Gone disables a registration).
      CREATE TABLE webhook_registrations (
        id TEXT PRIMARY KEY,
        disabled_at INTEGER,
        disabled_reason TEXT,
        updated_at INTEGER NOT NULL
      );

      -- Circuit breaker per endpoint (keyed by a hash of the URL, never the URL itself).
      CREATE TABLE webhook_circuits (
        endpoint_key TEXT PRIMARY KEY,
        consecutive_failures INTEGER NOT NULL,
        open_until INTEGER,
        updated_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: "webhook dedupe keys",
    sql: `
      -- What each registration was already sent, by a key such as a prediction's fingerprint:
      -- the same prediction on the next push is not delivered again.
      CREATE TABLE webhook_dedupe (
        registration_id TEXT NOT NULL,
        dedupe_key TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (registration_id, dedupe_key)
      );
    `,
  },
  {
    version: 4,
    name: "feedback",
    sql: `
      -- What each review showed (findings and predictions), so feedback can find the rule or
      -- prediction kind, the pull request's author, and what to explain.
      CREATE TABLE shown_items (
        repo TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        pr_number INTEGER NOT NULL,
        author TEXT NOT NULL,
        item TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (repo, fingerprint)
      );

      -- Each piece of feedback counted once (key: "issue:12", "finding:7:<fingerprint>"); the
      -- rejections in it drive the trust circuit breaker.
      CREATE TABLE feedback_log (
        repo TEXT NOT NULL,
        key TEXT NOT NULL,
        outcome TEXT NOT NULL,
        user_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (repo, key)
      );
      CREATE INDEX feedback_log_time ON feedback_log (repo, created_at);

      -- Fingerprints dismissed as false positives: never reported again in the repository.
      CREATE TABLE suppressed_findings (
        repo TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        user_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (repo, fingerprint)
      );

      -- One systemic-fix issue per recurring pattern (rule of three).
      CREATE TABLE transformation_issues (
        repo TEXT NOT NULL,
        pattern_key TEXT NOT NULL,
        issue_number INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (repo, pattern_key)
      );
    `,
  },
  {
    version: 5,
    name: "coordination",
    sql: `
      -- The sensitive resources of each open pull request the app reviewed (tables, API
      -- paths, file regions), compared across pull requests to find conflicts; dropped on close.
      CREATE TABLE open_pull_resources (
        repo TEXT NOT NULL,
        pr_number INTEGER NOT NULL,
        author TEXT NOT NULL,
        head_sha TEXT NOT NULL,
        url TEXT NOT NULL,
        title TEXT NOT NULL,
        resources TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (repo, pr_number)
      );
      -- Coordination already done once (an event emitted, a comment posted), by key.
      CREATE TABLE coordination_done (
        repo TEXT NOT NULL,
        done_key TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (repo, done_key)
      );
    `,
  },
  {
    version: 6,
    name: "rate slots",
    sql: `
      -- Things anyone may ask for but only once per interval ("/empathy review" per pull
      -- request, help per user and pull request), across every process sharing the store.
      -- claimant is the request that took the slot: its own retries and redeliveries pass.
      CREATE TABLE rate_slots (
        slot TEXT PRIMARY KEY,
        claimant TEXT NOT NULL,
        last_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 7,
    name: "retention indexes",
    sql: `
      -- The retention loop deletes by age in small batches; each batch must find its rows by an
      -- index, not a table scan. (status, updated_at) also serves "newest first" job listings.
      CREATE INDEX jobs_finished ON jobs (status, updated_at);
      CREATE INDEX webhook_events_time ON webhook_events (created_at);
      CREATE INDEX shown_items_time ON shown_items (created_at);
      -- "Does a delivery still need this event?" by index: a delivery's first event (all of a
      -- single delivery), and the few batch deliveries apart, instead of reading every delivery.
      CREATE INDEX webhook_deliveries_first_event ON webhook_deliveries (json_extract(event_ids, '$[0]'));
      CREATE INDEX webhook_deliveries_batches ON webhook_deliveries (id) WHERE json_array_length(event_ids) > 1;
    `,
  },
  {
    version: 8,
    name: "owed feedback events",
    sql: `
      -- The events a piece of feedback emitted, as envelopes, kept with it until the outbox has
      -- them (NULL then): a job retried after an outbox failure sends them again, same ids.
      ALTER TABLE feedback_log ADD COLUMN owed_events TEXT;
    `,
  },
  {
    version: 9,
    name: "leases",
    sql: `
      -- Every claim names its owner (an instance id made at start) and when its lease expires;
      -- the owner's heartbeat renews it while the work runs, and only an expired lease is taken
      -- back (by any instance). Rows left running by an older version have no lease: expired.
      ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
      ALTER TABLE jobs ADD COLUMN lease_expires_at INTEGER;
      CREATE INDEX jobs_leases ON jobs (status, lease_expires_at);
      -- The pull request a job is about ("owner/repo#number", from its payload): jobs about one
      -- pull request run one at a time across all instances, so "already reviewed this head?"
      -- is answered after the other review of it has finished.
      ALTER TABLE jobs ADD COLUMN subject TEXT;
      CREATE INDEX jobs_running_subject ON jobs (status, subject);
      ALTER TABLE webhook_deliveries ADD COLUMN lease_owner TEXT;
      ALTER TABLE webhook_deliveries ADD COLUMN lease_expires_at INTEGER;
      CREATE INDEX webhook_deliveries_leases ON webhook_deliveries (status, lease_expires_at);
    `,
  },
  {
    version: 10,
    name: "review results and issue policies",
    sql: `
      -- What the last review of each pull request concluded, as data (Slack's /empathy review
      -- reads it instead of the summary comment's Markdown). Lists are JSON arrays, redacted.
      CREATE TABLE review_results (
        repo TEXT NOT NULL,
        pr_number INTEGER NOT NULL,
        head_sha TEXT NOT NULL,
        level INTEGER NOT NULL,
        confidence REAL NOT NULL,
        summary TEXT NOT NULL,
        notice TEXT,
        finding_counts TEXT NOT NULL,
        top_findings TEXT NOT NULL,
        predictions TEXT NOT NULL,
        summary_comment_id INTEGER,
        summary_url TEXT,
        reviewed_at INTEGER NOT NULL,
        PRIMARY KEY (repo, pr_number)
      );
      -- A prediction issue with what "recent predictions" lists (NULL for older links), found
      -- newest first by an index, of one repository or of all.
      ALTER TABLE prediction_issues ADD COLUMN title TEXT;
      ALTER TABLE prediction_issues ADD COLUMN confidence REAL;
      ALTER TABLE prediction_issues ADD COLUMN url TEXT;
      CREATE INDEX prediction_issues_recent ON prediction_issues (created_at, repo, fingerprint);
      CREATE INDEX prediction_issues_repo_recent ON prediction_issues (repo, created_at, fingerprint);
      -- May the app open issues in the repository (config and trust breaker, as its last review
      -- found them), and through which installation: read when the engine's rule of three fires.
      CREATE TABLE issue_policies (
        repo TEXT PRIMARY KEY,
        enabled INTEGER NOT NULL,
        installation_id INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 11,
    name: "secrets and event log",
    sql: `
      -- Secrets the app makes itself and keeps (the dashboard's session key): the first
      -- instance's value is kept, the others read it. Never logged.
      CREATE TABLE app_secrets (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      -- Every envelope the bus carried, redacted, in the order written (seq, never reused: the
      -- dashboard pages by it), for the history and for a live stream resumed on another
      -- instance. repo: the lower-cased "owner/name" it names, or NULL; timestamp: its time (ms).
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        event_type TEXT NOT NULL,
        repo TEXT,
        timestamp INTEGER NOT NULL,
        envelope TEXT NOT NULL
      );
      CREATE INDEX events_repo ON events (repo, seq DESC);
      CREATE INDEX events_type ON events (event_type, seq DESC);
      CREATE INDEX events_time ON events (timestamp);
    `,
  },
];
