/**
 * The PostgreSQL store: the whole Store interface on the `pg` driver with a connection pool, for
 * several app instances sharing one database (openStore picks it for a postgres:// or
 * postgresql:// DATABASE_URL). The same semantics as the embedded SqliteStore; claims are single
 * statements with FOR UPDATE SKIP LOCKED, so instances never wait on each other's rows.
 *
 * One part per area, each a file, stacked on the shared base (TypeScript's mixin pattern), as
 * the SQLite store is (src/store/sqlite/index.ts):
 *   base.ts               pool, settings from the URL, transactions, migrations under an advisory lock
 *   migrations.ts         the schema, versioned
 *   jobs.ts               the job queue, its operator commands and retention
 *   reviews.ts            reviews, posted findings, summaries, prediction issues, coordination, rate slots
 *   results.ts            review results, prediction issues listed newest first, issue policies
 *   feedback.ts           engine state (trust, patterns, feedback once per key), shown items, suppressions
 *   webhooks.ts           the webhook outbox written: events, deliveries, attempts, batches, registrations, circuits
 *   webhookDeliveries.ts  the deliveries claimed with leases, read, replayed, killed and pruned
 *   webhookInsights.ts    the dashboard's webhook figures, logs and dead letters; endpoints paused
 *   events.ts             the dashboard's: kept secrets, the bus's events paged and pruned
 *   dashboardReads.ts     the dashboard's insight pages: predictions, patterns, trust, reviews
 *   deletion.ts           deleting a repository's or a person's data
 */
import pg from "pg";
import type { Store } from "../store.js";
import { PostgresBase, postgresPoolConfig, type PostgresOptions } from "./base.js";
import { PostgresDashboardReads } from "./dashboardReads.js";
import { PostgresDataDeletion } from "./deletion.js";
import { PostgresEvents } from "./events.js";
import { PostgresFeedback } from "./feedback.js";
import { PostgresJobs } from "./jobs.js";
import { PostgresResults } from "./results.js";
import { PostgresReviews } from "./reviews.js";
import { PostgresWebhookDeliveries } from "./webhookDeliveries.js";
import { PostgresWebhookInsights } from "./webhookInsights.js";
import { PostgresWebhooks } from "./webhooks.js";

export { DEFAULT_POOL_SIZE, describePostgresUrl, postgresPoolConfig, type PostgresOptions } from "./base.js";
export { postgresMigrations, type PostgresMigration } from "./migrations.js";

export class PostgresStore
  extends PostgresDashboardReads(
    PostgresDataDeletion(
      PostgresEvents(
        PostgresWebhookInsights(
          PostgresWebhookDeliveries(PostgresWebhooks(PostgresFeedback(PostgresResults(PostgresReviews(PostgresJobs(PostgresBase)))))),
        ),
      ),
    ),
  )
  implements Store
{
  /** Connects and applies the migrations not applied yet (under the advisory lock); the pool is closed again if that fails. */
  static async open(options: PostgresOptions): Promise<PostgresStore> {
    const store = new PostgresStore(new pg.Pool(postgresPoolConfig(options)));
    try {
      await store.migrate();
    } catch (err) {
      await store.close().catch(() => {});
      throw err;
    }
    return store;
  }
}

/** True for a DATABASE_URL that names a PostgreSQL database (postgres:… or postgresql:…). */
export function isPostgresUrl(databaseUrl: string | undefined): boolean {
  return /^postgres(ql)?:/i.test((databaseUrl ?? "").trim());
}
