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
  {
    version: 12,
    name: "webhook attempt buckets",
    sql: `
      -- The dashboard's webhook figures over a window, read from per-minute and per-hour sums
      -- kept by triggers instead of from every attempt in the window, and a registration's log
      -- found by an index seek (one never attempted included).
      CREATE INDEX webhook_attempts_registration ON webhook_attempts (registration_id, id);
      -- A registration's dead letters newest first (its log; its newest error) without the others.
      CREATE INDEX webhook_deliveries_dead ON webhook_deliveries (registration_id, (COALESCE(finished_at, updated_at)), id) WHERE status = 'dead';
      -- The newest attempted_at among the delivery's attempts written before this one (NULL for
      -- its first): what makes "distinct deliveries in a window" a sum of bucket figures.
      ALTER TABLE webhook_attempts ADD COLUMN prev_attempted_at INTEGER;
      -- span: 60000 (a minute) or 3600000 (an hour); bucket: its start (ms). Each attempt adds 1
      -- to attempts (succeeded: delivered) and, when the delivery's previous attempt is in an
      -- earlier minute or there is none, to entering of its own buckets; when it is in an
      -- earlier minute, also to leaving of the previous attempt's buckets. The deliveries
      -- attempted at or after a minute B are then the sum of entering - leaving of the buckets
      -- from B on. last_at / last_error_at: the newest attempt / failed attempt with an error
      -- (a maximum: a deleted row may leave it stale, so readers check it). writer: 0 here
      -- (PostgreSQL's backend, so its writers never wait on each other).
      CREATE TABLE webhook_attempt_buckets (
        span INTEGER NOT NULL,
        bucket INTEGER NOT NULL,
        registration_id TEXT NOT NULL,
        writer INTEGER NOT NULL,
        attempts INTEGER NOT NULL,
        succeeded INTEGER NOT NULL,
        entering INTEGER NOT NULL,
        leaving INTEGER NOT NULL,
        last_at INTEGER,
        last_error_at INTEGER,
        PRIMARY KEY (span, bucket, registration_id, writer)
      ) WITHOUT ROWID;
      UPDATE webhook_attempts SET prev_attempted_at = p.prev
        FROM (SELECT id, MAX(attempted_at) OVER (PARTITION BY delivery_id ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev
              FROM webhook_attempts) AS p
        WHERE p.id = webhook_attempts.id AND p.prev IS NOT NULL;
      INSERT INTO webhook_attempt_buckets
        SELECT span, bucket, registration_id, 0, SUM(a), SUM(s), SUM(e), SUM(l), MAX(last_at), MAX(last_error_at)
        FROM (
          SELECT sp.span, w.attempted_at - w.attempted_at % sp.span AS bucket, w.registration_id, 1 AS a, w.status = 'delivered' AS s,
            (w.prev_attempted_at IS NULL OR w.prev_attempted_at / 60000 < w.attempted_at / 60000) AS e, 0 AS l, w.attempted_at AS last_at,
            CASE WHEN w.status <> 'delivered' AND w.error IS NOT NULL THEN w.attempted_at END AS last_error_at
          FROM webhook_attempts w, (SELECT 60000 AS span UNION ALL SELECT 3600000) sp
          UNION ALL
          SELECT sp.span, w.prev_attempted_at - w.prev_attempted_at % sp.span, w.registration_id, 0, 0, 0, 1, NULL, NULL
          FROM webhook_attempts w, (SELECT 60000 AS span UNION ALL SELECT 3600000) sp
          WHERE w.prev_attempted_at / 60000 < w.attempted_at / 60000
        )
        GROUP BY span, bucket, registration_id;
      CREATE TRIGGER webhook_attempts_buckets_insert AFTER INSERT ON webhook_attempts BEGIN
        UPDATE webhook_attempts SET prev_attempted_at =
          (SELECT MAX(attempted_at) FROM webhook_attempts WHERE delivery_id = NEW.delivery_id AND id < NEW.id)
          WHERE id = NEW.id;
        INSERT INTO webhook_attempt_buckets
          SELECT sp.span, NEW.attempted_at - NEW.attempted_at % sp.span, NEW.registration_id, 0, 1, NEW.status = 'delivered',
            (w.prev_attempted_at IS NULL OR w.prev_attempted_at / 60000 < NEW.attempted_at / 60000), 0, NEW.attempted_at,
            CASE WHEN NEW.status <> 'delivered' AND NEW.error IS NOT NULL THEN NEW.attempted_at END
          FROM webhook_attempts w, (SELECT 60000 AS span UNION ALL SELECT 3600000) sp WHERE w.id = NEW.id
          ON CONFLICT DO UPDATE SET attempts = attempts + excluded.attempts, succeeded = succeeded + excluded.succeeded,
            entering = entering + excluded.entering,
            last_at = MAX(COALESCE(last_at, excluded.last_at), COALESCE(excluded.last_at, last_at)),
            last_error_at = MAX(COALESCE(last_error_at, excluded.last_error_at), COALESCE(excluded.last_error_at, last_error_at));
        INSERT INTO webhook_attempt_buckets
          SELECT sp.span, w.prev_attempted_at - w.prev_attempted_at % sp.span, NEW.registration_id, 0, 0, 0, 0, 1, NULL, NULL
          FROM webhook_attempts w, (SELECT 60000 AS span UNION ALL SELECT 3600000) sp
          WHERE w.id = NEW.id AND w.prev_attempted_at / 60000 < NEW.attempted_at / 60000
          ON CONFLICT DO UPDATE SET leaving = leaving + 1;
      END;
      -- A deleted attempt takes back what it added (its stored prev_attempted_at says what that
      -- was); a bucket left with nothing goes. One statement per span, each a primary key seek.
      CREATE TRIGGER webhook_attempts_buckets_delete AFTER DELETE ON webhook_attempts BEGIN
        UPDATE webhook_attempt_buckets SET attempts = attempts - 1, succeeded = succeeded - (OLD.status = 'delivered'),
            entering = entering - (OLD.prev_attempted_at IS NULL OR OLD.prev_attempted_at / 60000 < OLD.attempted_at / 60000)
          WHERE span = 60000 AND bucket = OLD.attempted_at - OLD.attempted_at % 60000 AND registration_id = OLD.registration_id AND writer = 0;
        UPDATE webhook_attempt_buckets SET leaving = leaving - 1
          WHERE OLD.prev_attempted_at / 60000 < OLD.attempted_at / 60000
            AND span = 60000 AND bucket = OLD.prev_attempted_at - OLD.prev_attempted_at % 60000 AND registration_id = OLD.registration_id AND writer = 0;
        DELETE FROM webhook_attempt_buckets
          WHERE span = 60000 AND bucket IN (OLD.attempted_at - OLD.attempted_at % 60000, OLD.prev_attempted_at - OLD.prev_attempted_at % 60000)
            AND registration_id = OLD.registration_id AND writer = 0 AND attempts = 0 AND entering = 0 AND leaving = 0;
        UPDATE webhook_attempt_buckets SET attempts = attempts - 1, succeeded = succeeded - (OLD.status = 'delivered'),
            entering = entering - (OLD.prev_attempted_at IS NULL OR OLD.prev_attempted_at / 60000 < OLD.attempted_at / 60000)
          WHERE span = 3600000 AND bucket = OLD.attempted_at - OLD.attempted_at % 3600000 AND registration_id = OLD.registration_id AND writer = 0;
        UPDATE webhook_attempt_buckets SET leaving = leaving - 1
          WHERE OLD.prev_attempted_at / 60000 < OLD.attempted_at / 60000
            AND span = 3600000 AND bucket = OLD.prev_attempted_at - OLD.prev_attempted_at % 3600000 AND registration_id = OLD.registration_id AND writer = 0;
        DELETE FROM webhook_attempt_buckets
          WHERE span = 3600000 AND bucket IN (OLD.attempted_at - OLD.attempted_at % 3600000, OLD.prev_attempted_at - OLD.prev_attempted_at % 3600000)
            AND registration_id = OLD.registration_id AND writer = 0 AND attempts = 0 AND entering = 0 AND leaving = 0;
      END;
    `,
  },
  {
    version: 13,
    name: "dashboard insight indexes",
    sql: `
      -- The dashboard's predictions, reviews and prediction issues of the viewer's repositories,
      -- newest first, without reading every row of those repositories before sorting.
      CREATE INDEX shown_items_predictions ON shown_items (repo, created_at, fingerprint) WHERE json_extract(item, '$.prediction') IS NOT NULL;
      CREATE INDEX prediction_issues_issue ON prediction_issues (repo, issue_number);
      CREATE INDEX review_results_recent ON review_results (repo, reviewed_at, pr_number);
    `,
  },
  {
    version: 14,
    name: "language model token spend",
    sql: `
      -- Tokens the optional language model spent per budget key (a pull request: owner/repo#123),
      -- shared by every instance; src/llm/budget.ts reserves before each call, settles after.
      CREATE TABLE llm_token_spend (
        budget_key TEXT PRIMARY KEY,
        spent INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX llm_token_spend_updated ON llm_token_spend (updated_at);
    `,
  },
];
