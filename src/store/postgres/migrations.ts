/**
 * The PostgreSQL schema, as versioned migrations applied in order once each (base.ts runs them
 * under an advisory lock); never edit a released one, add a new one. The tables are SQLite's
 * (src/store/migrations.ts) in PostgreSQL's types: BIGINT ms timestamps and GitHub ids, TEXT[]
 * event ids (with a GIN index: "does a delivery still need this event?"), identity columns where
 * SQLite's rowid ordered rows. Text keys are COLLATE "C": compared and sorted byte by byte, as
 * SQLite does, whatever the database's locale. Idempotency keys are unique constraints: a job's
 * dedupe key (the GitHub delivery id), a delivery's webhook-id, a registration's dedupe key, a
 * review per head commit, a prediction issue per repository and fingerprint, feedback per key.
 */
export interface PostgresMigration {
  version: number;
  name: string;
  sql: string;
}

export const postgresMigrations: PostgresMigration[] = [
  {
    version: 1,
    name: "jobs with leases",
    sql: `
      CREATE TABLE jobs (
        id BIGSERIAL PRIMARY KEY,
        type TEXT NOT NULL,
        payload TEXT NOT NULL,
        dedupe_key TEXT UNIQUE,
        status TEXT NOT NULL DEFAULT 'queued',
        attempts INTEGER NOT NULL DEFAULT 0,
        run_at BIGINT NOT NULL,
        last_error TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        lease_owner TEXT,
        lease_expires_at BIGINT,
        subject TEXT
      );
      CREATE INDEX jobs_due ON jobs (status, run_at, id);
      CREATE INDEX jobs_finished ON jobs (status, updated_at);
      CREATE INDEX jobs_leases ON jobs (status, lease_expires_at);
      -- One running job per pull request, across instances: two claims racing for jobs of one
      -- pull request cannot both commit (the loser claims again).
      CREATE UNIQUE INDEX jobs_one_running_per_subject ON jobs (subject) WHERE status = 'running';
    `,
  },
  {
    version: 2,
    name: "reviews, webhooks, feedback, coordination, rate slots",
    sql: `
      CREATE TABLE reviews (
        repo TEXT COLLATE "C" NOT NULL,
        pr_number INTEGER NOT NULL,
        commit_sha TEXT COLLATE "C" NOT NULL,
        review_id BIGINT,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (repo, pr_number, commit_sha)
      );

      CREATE TABLE posted_findings (
        repo TEXT COLLATE "C" NOT NULL,
        pr_number INTEGER NOT NULL,
        fingerprint TEXT COLLATE "C" NOT NULL,
        path TEXT NOT NULL,
        line INTEGER NOT NULL,
        commit_sha TEXT NOT NULL,
        PRIMARY KEY (repo, pr_number, fingerprint)
      );

      CREATE TABLE summaries (
        repo TEXT COLLATE "C" NOT NULL,
        pr_number INTEGER NOT NULL,
        comment_id BIGINT,
        last_fingerprints TEXT NOT NULL,
        last_sha TEXT,
        PRIMARY KEY (repo, pr_number)
      );

      CREATE TABLE prediction_issues (
        repo TEXT COLLATE "C" NOT NULL,
        fingerprint TEXT COLLATE "C" NOT NULL,
        issue_number BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (repo, fingerprint)
      );

      CREATE TABLE trust (
        repo TEXT COLLATE "C" NOT NULL,
        user_id TEXT COLLATE "C" NOT NULL,
        record TEXT NOT NULL,
        PRIMARY KEY (repo, user_id)
      );

      CREATE TABLE patterns (
        repo TEXT COLLATE "C" NOT NULL,
        key TEXT COLLATE "C" NOT NULL,
        record TEXT NOT NULL,
        PRIMARY KEY (repo, key)
      );

      -- Each event sent to webhooks, stored once however many registrations it goes to.
      CREATE TABLE webhook_events (
        id TEXT COLLATE "C" PRIMARY KEY,
        event_type TEXT NOT NULL,
        envelope TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX webhook_events_time ON webhook_events (created_at);

      -- One row per HTTP delivery (a single event or a batch); id is the webhook-id.
      CREATE TABLE webhook_deliveries (
        id TEXT COLLATE "C" PRIMARY KEY,
        registration_id TEXT COLLATE "C" NOT NULL,
        event_type TEXT NOT NULL,
        event_ids TEXT[] NOT NULL,
        body TEXT,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        total_attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT NOT NULL,
        last_status_code INTEGER,
        last_error TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        finished_at BIGINT,
        lease_owner TEXT,
        lease_expires_at BIGINT
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, registration_id, next_attempt_at);
      CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (status, finished_at);
      CREATE INDEX webhook_deliveries_leases ON webhook_deliveries (status, lease_expires_at);
      CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (updated_at);
      CREATE INDEX webhook_deliveries_events ON webhook_deliveries USING GIN (event_ids);

      -- Events waiting to be grouped into a batch delivery.
      CREATE TABLE webhook_batch_items (
        seq BIGSERIAL PRIMARY KEY,
        registration_id TEXT COLLATE "C" NOT NULL,
        event_id TEXT COLLATE "C" NOT NULL,
        event_type TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        UNIQUE (registration_id, event_id)
      );
      CREATE INDEX webhook_batch_items_registration ON webhook_batch_items (registration_id, seq);
      CREATE INDEX webhook_batch_items_event ON webhook_batch_items (event_id);

      -- Every attempt, for the delivery logs.
      CREATE TABLE webhook_attempts (
        id BIGSERIAL PRIMARY KEY,
        delivery_id TEXT COLLATE "C" NOT NULL,
        registration_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        status TEXT NOT NULL,
        status_code INTEGER,
        duration_ms BIGINT NOT NULL,
        error TEXT,
        response_excerpt TEXT,
        next_attempt_at BIGINT,
        attempted_at BIGINT NOT NULL
      );
      CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempt);
      CREATE INDEX webhook_attempts_time ON webhook_attempts (attempted_at);

      CREATE TABLE webhook_registrations (
        id TEXT COLLATE "C" PRIMARY KEY,
        disabled_at BIGINT,
        disabled_reason TEXT,
        updated_at BIGINT NOT NULL
      );

      CREATE TABLE webhook_circuits (
        endpoint_key TEXT COLLATE "C" PRIMARY KEY,
        consecutive_failures INTEGER NOT NULL,
        open_until BIGINT,
        updated_at BIGINT NOT NULL
      );

      CREATE TABLE webhook_dedupe (
        registration_id TEXT COLLATE "C" NOT NULL,
        dedupe_key TEXT COLLATE "C" NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (registration_id, dedupe_key)
      );

      CREATE TABLE shown_items (
        repo TEXT COLLATE "C" NOT NULL,
        fingerprint TEXT COLLATE "C" NOT NULL,
        pr_number INTEGER NOT NULL,
        author TEXT NOT NULL,
        item TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (repo, fingerprint)
      );
      CREATE INDEX shown_items_time ON shown_items (created_at);

      CREATE TABLE feedback_log (
        seq BIGINT GENERATED ALWAYS AS IDENTITY,
        repo TEXT COLLATE "C" NOT NULL,
        key TEXT COLLATE "C" NOT NULL,
        outcome TEXT NOT NULL,
        user_id TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        owed_events TEXT,
        PRIMARY KEY (repo, key)
      );
      CREATE INDEX feedback_log_time ON feedback_log (repo, created_at, seq);

      CREATE TABLE suppressed_findings (
        repo TEXT COLLATE "C" NOT NULL,
        fingerprint TEXT COLLATE "C" NOT NULL,
        user_id TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (repo, fingerprint)
      );

      CREATE TABLE transformation_issues (
        repo TEXT COLLATE "C" NOT NULL,
        pattern_key TEXT COLLATE "C" NOT NULL,
        issue_number BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (repo, pattern_key)
      );

      CREATE TABLE open_pull_resources (
        repo TEXT COLLATE "C" NOT NULL,
        pr_number INTEGER NOT NULL,
        author TEXT NOT NULL,
        head_sha TEXT NOT NULL,
        url TEXT NOT NULL,
        title TEXT NOT NULL,
        resources TEXT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (repo, pr_number)
      );

      CREATE TABLE coordination_done (
        repo TEXT COLLATE "C" NOT NULL,
        done_key TEXT COLLATE "C" NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (repo, done_key)
      );

      CREATE TABLE rate_slots (
        slot TEXT COLLATE "C" PRIMARY KEY,
        claimant TEXT NOT NULL,
        last_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: "review results and issue policies",
    sql: `
      -- SQLite's migration 10: the last review's result per pull request, prediction issues
      -- with what listings show (found newest first by an index), the repositories' issue policies.
      CREATE TABLE review_results (
        repo TEXT COLLATE "C" NOT NULL,
        pr_number INTEGER NOT NULL,
        head_sha TEXT NOT NULL,
        level INTEGER NOT NULL,
        confidence DOUBLE PRECISION NOT NULL,
        summary TEXT NOT NULL,
        notice TEXT,
        finding_counts TEXT NOT NULL,
        top_findings TEXT NOT NULL,
        predictions TEXT NOT NULL,
        summary_comment_id BIGINT,
        summary_url TEXT,
        reviewed_at BIGINT NOT NULL,
        PRIMARY KEY (repo, pr_number)
      );
      ALTER TABLE prediction_issues ADD COLUMN title TEXT;
      ALTER TABLE prediction_issues ADD COLUMN confidence DOUBLE PRECISION;
      ALTER TABLE prediction_issues ADD COLUMN url TEXT;
      CREATE INDEX prediction_issues_recent ON prediction_issues (created_at, repo, fingerprint);
      CREATE INDEX prediction_issues_repo_recent ON prediction_issues (repo, created_at, fingerprint);
      CREATE TABLE issue_policies (
        repo TEXT COLLATE "C" PRIMARY KEY,
        enabled BOOLEAN NOT NULL,
        installation_id BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: "secrets and event log",
    sql: `
      -- SQLite's migration 11: secrets the app makes itself, and every envelope the bus carried
      -- (seq orders them; the dashboard pages by it).
      CREATE TABLE app_secrets (
        name TEXT COLLATE "C" PRIMARY KEY,
        value TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE TABLE events (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT COLLATE "C" NOT NULL UNIQUE,
        event_type TEXT COLLATE "C" NOT NULL,
        repo TEXT COLLATE "C",
        timestamp BIGINT NOT NULL,
        envelope TEXT NOT NULL
      );
      CREATE INDEX events_repo ON events (repo, seq DESC);
      CREATE INDEX events_type ON events (event_type, seq DESC);
      CREATE INDEX events_time ON events (timestamp);
    `,
  },
  {
    version: 5,
    name: "webhook attempt buckets",
    sql: `
      -- SQLite's migration 12 (read it for what the sums mean): a registration's log by an index
      -- seek, and the webhooks page's window figures from per-minute and per-hour sums kept by
      -- triggers. writer is the backend (pg_backend_pid()) that added the row: two transactions
      -- never share a backend, so concurrent instances recording attempts never wait on (or
      -- deadlock over) a bucket; a deletion subtracts under its own writer too. Readers add up.
      CREATE INDEX webhook_attempts_registration ON webhook_attempts (registration_id, id);
      -- A registration's dead letters newest first (its log; its newest error) without the others.
      CREATE INDEX webhook_deliveries_dead ON webhook_deliveries (registration_id, (COALESCE(finished_at, updated_at)), id) WHERE status = 'dead';
      ALTER TABLE webhook_attempts ADD COLUMN prev_attempted_at BIGINT;
      CREATE TABLE webhook_attempt_buckets (
        span BIGINT NOT NULL,
        bucket BIGINT NOT NULL,
        registration_id TEXT NOT NULL,
        writer INTEGER NOT NULL,
        attempts BIGINT NOT NULL,
        succeeded BIGINT NOT NULL,
        entering BIGINT NOT NULL,
        leaving BIGINT NOT NULL,
        last_at BIGINT,
        last_error_at BIGINT,
        PRIMARY KEY (span, bucket, registration_id, writer)
      );
      UPDATE webhook_attempts w SET prev_attempted_at = p.prev
        FROM (SELECT id, MAX(attempted_at) OVER (PARTITION BY delivery_id ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev
              FROM webhook_attempts) AS p
        WHERE p.id = w.id AND p.prev IS NOT NULL;
      INSERT INTO webhook_attempt_buckets
        SELECT span, bucket, registration_id, 0, SUM(a), SUM(s), SUM(e), SUM(l), MAX(last_at), MAX(last_error_at)
        FROM (
          SELECT sp.span, w.attempted_at - w.attempted_at % sp.span AS bucket, w.registration_id, 1 AS a, (w.status = 'delivered')::int AS s,
            (w.prev_attempted_at IS NULL OR w.prev_attempted_at / 60000 < w.attempted_at / 60000)::int AS e, 0 AS l, w.attempted_at AS last_at,
            CASE WHEN w.status <> 'delivered' AND w.error IS NOT NULL THEN w.attempted_at END AS last_error_at
          FROM webhook_attempts w, (VALUES (60000::bigint), (3600000::bigint)) AS sp(span)
          UNION ALL
          SELECT sp.span, w.prev_attempted_at - w.prev_attempted_at % sp.span, w.registration_id, 0, 0, 0, 1, NULL, NULL
          FROM webhook_attempts w, (VALUES (60000::bigint), (3600000::bigint)) AS sp(span)
          WHERE w.prev_attempted_at / 60000 < w.attempted_at / 60000
        ) AS parts
        GROUP BY span, bucket, registration_id;

      -- BEFORE: the attempts this statement inserted before this one are visible, as in SQLite.
      CREATE FUNCTION webhook_attempts_prev() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        NEW.prev_attempted_at := (SELECT MAX(attempted_at) FROM webhook_attempts WHERE delivery_id = NEW.delivery_id AND id < NEW.id);
        RETURN NEW;
      END
      $fn$;
      CREATE TRIGGER webhook_attempts_prev BEFORE INSERT ON webhook_attempts FOR EACH ROW EXECUTE FUNCTION webhook_attempts_prev();

      -- Once per statement, the rows it inserted added up (one upsert per bucket, in key order).
      CREATE FUNCTION webhook_attempts_buckets_added() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        INSERT INTO webhook_attempt_buckets AS b
          SELECT span, bucket, registration_id, pg_backend_pid(), SUM(a), SUM(s), SUM(e), SUM(l), MAX(last_at), MAX(last_error_at)
          FROM (
              SELECT sp.span, w.attempted_at - w.attempted_at % sp.span AS bucket, w.registration_id, 1 AS a, 1 * (w.status = 'delivered')::int AS s,
                1 * (w.prev_attempted_at IS NULL OR w.prev_attempted_at / 60000 < w.attempted_at / 60000)::int AS e, 0 AS l,
                w.attempted_at AS last_at,
                CASE WHEN w.status <> 'delivered' AND w.error IS NOT NULL THEN w.attempted_at END AS last_error_at
              FROM added w, (VALUES (60000::bigint), (3600000::bigint)) AS sp(span)
              UNION ALL
              SELECT sp.span, w.prev_attempted_at - w.prev_attempted_at % sp.span, w.registration_id, 0, 0, 0, 1, NULL, NULL
              FROM added w, (VALUES (60000::bigint), (3600000::bigint)) AS sp(span)
              WHERE w.prev_attempted_at / 60000 < w.attempted_at / 60000
            ) AS parts
          GROUP BY span, bucket, registration_id ORDER BY span, bucket, registration_id
          ON CONFLICT (span, bucket, registration_id, writer) DO UPDATE SET attempts = b.attempts + excluded.attempts,
            succeeded = b.succeeded + excluded.succeeded, entering = b.entering + excluded.entering, leaving = b.leaving + excluded.leaving,
            last_at = GREATEST(b.last_at, excluded.last_at), last_error_at = GREATEST(b.last_error_at, excluded.last_error_at);
        RETURN NULL;
      END
      $fn$;
      CREATE TRIGGER webhook_attempts_buckets_added AFTER INSERT ON webhook_attempts REFERENCING NEW TABLE AS added
        FOR EACH STATEMENT EXECUTE FUNCTION webhook_attempts_buckets_added();

      -- Deleted attempts take back their part. A bucket more than a day old whose rows now add up
      -- to nothing (its attempts pruned) is dropped, all its rows at once (none is being written).
      CREATE FUNCTION webhook_attempts_buckets_removed() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        INSERT INTO webhook_attempt_buckets AS b
          SELECT span, bucket, registration_id, pg_backend_pid(), SUM(a), SUM(s), SUM(e), SUM(l), MAX(last_at), MAX(last_error_at)
          FROM (
              SELECT sp.span, w.attempted_at - w.attempted_at % sp.span AS bucket, w.registration_id, -1 AS a, -1 * (w.status = 'delivered')::int AS s,
                -1 * (w.prev_attempted_at IS NULL OR w.prev_attempted_at / 60000 < w.attempted_at / 60000)::int AS e, 0 AS l,
                NULL::bigint AS last_at,
                NULL::bigint AS last_error_at
              FROM removed w, (VALUES (60000::bigint), (3600000::bigint)) AS sp(span)
              UNION ALL
              SELECT sp.span, w.prev_attempted_at - w.prev_attempted_at % sp.span, w.registration_id, 0, 0, 0, -1, NULL, NULL
              FROM removed w, (VALUES (60000::bigint), (3600000::bigint)) AS sp(span)
              WHERE w.prev_attempted_at / 60000 < w.attempted_at / 60000
            ) AS parts
          GROUP BY span, bucket, registration_id ORDER BY span, bucket, registration_id
          ON CONFLICT (span, bucket, registration_id, writer) DO UPDATE SET attempts = b.attempts + excluded.attempts,
            succeeded = b.succeeded + excluded.succeeded, entering = b.entering + excluded.entering, leaving = b.leaving + excluded.leaving,
            last_at = GREATEST(b.last_at, excluded.last_at), last_error_at = GREATEST(b.last_error_at, excluded.last_error_at);
        DELETE FROM webhook_attempt_buckets b USING (
          SELECT span, bucket, registration_id FROM webhook_attempt_buckets
          WHERE (span, bucket, registration_id) IN (
            SELECT sp.span, r.attempted_at - r.attempted_at % sp.span, r.registration_id
            FROM removed r, (VALUES (60000::bigint), (3600000::bigint)) AS sp(span)
            WHERE r.attempted_at < (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint - 86400000)
          GROUP BY span, bucket, registration_id HAVING SUM(attempts) = 0 AND SUM(entering) = 0 AND SUM(leaving) = 0) AS z
        WHERE b.span = z.span AND b.bucket = z.bucket AND b.registration_id = z.registration_id;
        RETURN NULL;
      END
      $fn$;
      CREATE TRIGGER webhook_attempts_buckets_removed AFTER DELETE ON webhook_attempts REFERENCING OLD TABLE AS removed
        FOR EACH STATEMENT EXECUTE FUNCTION webhook_attempts_buckets_removed();
    `,
  },
  {
    version: 6,
    name: "dashboard insight indexes",
    sql: `
      -- SQLite's migration 13, and the review jobs of a pull request (the reviews page's time to review).
      CREATE INDEX shown_items_predictions ON shown_items (repo, created_at, fingerprint) WHERE (item::jsonb ->> 'prediction') IS NOT NULL;
      CREATE INDEX prediction_issues_issue ON prediction_issues (repo, issue_number);
      CREATE INDEX review_results_recent ON review_results (repo, reviewed_at, pr_number);
      CREATE INDEX jobs_subject ON jobs (subject, status);
    `,
  },
  {
    version: 7,
    name: "language model token spend",
    sql: `
      -- SQLite's migration 14.
      CREATE TABLE llm_token_spend (
        budget_key TEXT COLLATE "C" PRIMARY KEY,
        spent BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );
      CREATE INDEX llm_token_spend_updated ON llm_token_spend (updated_at);
    `,
  },
];
