/**
 * The SQLite store: the whole Store interface on one embedded SQLite file (WAL) through
 * better-sqlite3, created and migrated on open; the default (openStore picks it for any
 * DATABASE_URL that is not a postgres:// one). The same semantics as the PostgreSQL store;
 * every statement is prepared once per store and kept (see SqliteBase.stmt).
 *
 * One part per area, each a file, stacked on the shared base (TypeScript's mixin pattern), as
 * the PostgreSQL store is (src/store/postgres/index.ts):
 *   base.ts               the handle, pragmas, migrations (../migrations.ts), statements, transactions
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
import type { Store } from "../store.js";
import { SqliteBase } from "./base.js";
import { SqliteDashboardReads } from "./dashboardReads.js";
import { SqliteDataDeletion } from "./deletion.js";
import { SqliteEvents } from "./events.js";
import { SqliteFeedback } from "./feedback.js";
import { SqliteJobs } from "./jobs.js";
import { SqliteResults } from "./results.js";
import { SqliteReviews } from "./reviews.js";
import { SqliteWebhookDeliveries } from "./webhookDeliveries.js";
import { SqliteWebhookInsights } from "./webhookInsights.js";
import { SqliteWebhooks } from "./webhooks.js";

export { applySqliteMigrations } from "./base.js";

export class SqliteStore
  extends SqliteDashboardReads(
    SqliteDataDeletion(
      SqliteEvents(
        SqliteWebhookInsights(
          SqliteWebhookDeliveries(SqliteWebhooks(SqliteFeedback(SqliteResults(SqliteReviews(SqliteJobs(SqliteBase)))))),
        ),
      ),
    ),
  )
  implements Store
{
  /** `path` is a file path or ":memory:"; the file (and its folder) is created and migrated as needed. */
  constructor(path: string) {
    super(path);
  }
}
