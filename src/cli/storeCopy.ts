/** `empathy store copy`: the app's SQLite store copied into an empty PostgreSQL database (see src/store/copy.ts). */
import { DEFAULT_DATABASE_PATH, isPostgresUrl } from "../store/open.js";
import { copySqliteToPostgres, CopyRefusal, openSqliteSource, type CopyReport, type SqliteSource } from "../store/copy.js";
import type { PostgresStore } from "../store/postgres/index.js";
import { formatTime, InputError, noExtraArguments, parseCommandArgs, table, UsageError, type CliIo } from "./common.js";
import { databaseUrl, existingSqliteFile, openPostgresStore, withoutPassword } from "./store.js";

export const STORE_USAGE = `Usage: empathy store copy --to postgres://USER:PASSWORD@HOST:5432/DATABASE [--from PATH] [--json]

Copies the app's SQLite store into PostgreSQL, to run several instances on one database (the
README's "Moving from SQLite to PostgreSQL"). Stop the app first: a SQLite file another process
has open is refused, and the file stays locked until the copy is done. Every table is copied
in one PostgreSQL transaction: all or nothing. Every lease is dropped: jobs still marked
running (their instance was killed) go back to the queue, webhook deliveries in flight back
to pending, as another instance would do after their lease. The SQLite file keeps its data
(one written by an older version is first migrated, as the app would do at start).

  --to URL       the PostgreSQL database: postgres:// or postgresql://, ?sslmode= as in
                 DATABASE_URL. It must exist; its tables are created if needed. A database
                 with any row in them is refused: nothing is ever merged.
  --from PATH    the SQLite store (a file or sqlite:PATH); default: DATABASE_URL from .env in
                 the current folder, else from the environment, else
                 ${DEFAULT_DATABASE_PATH}, as the app does when started here
  --json         what was copied, as JSON
  -h, --help     this text

The password is never printed. Exit codes: 0 copied; 2 nothing copied (a usage error, a source
that is not the app's SQLite store or is in use, a target that cannot be reached, is newer or
already holds data).
`;

const OPTIONS = {
  from: { type: "string" },
  to: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** Connections the copy's PostgreSQL pool opens: it runs one transaction. */
const COPY_POOL_SIZE = 2;

export async function storeCommand(argv: string[], io: CliIo, now = Date.now()): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, STORE_USAGE);
  if (values.help) {
    io.stdout(STORE_USAGE);
    return 0;
  }
  if (positionals[0] !== "copy") {
    throw new UsageError(
      positionals.length === 0 ? "store needs a subcommand: copy" : `unknown store subcommand "${positionals[0]}": the only one is copy`,
      STORE_USAGE,
    );
  }
  noExtraArguments(positionals, 1, STORE_USAGE, "store copy takes --to URL and --from PATH");
  if (values.to === undefined || values.to.trim() === "")
    throw new UsageError("store copy needs --to postgres://USER:PASSWORD@HOST:5432/DATABASE", STORE_USAGE);
  const to = values.to.trim();
  if (!isPostgresUrl(to))
    throw new UsageError(`--to is a PostgreSQL URL (postgres://… or postgresql://…), not "${to.slice(0, 40)}"`, STORE_USAGE);

  const { url, from } = databaseUrl(io, values.from, "--from");
  if (isPostgresUrl(url)) {
    throw new InputError(
      `the source (${from}) is a PostgreSQL database: store copy copies the app's SQLite store into PostgreSQL; give --from PATH`,
    );
  }
  const { full, shown } = existingSqliteFile(io, url, from, "--from");

  let source: SqliteSource | undefined;
  let target: PostgresStore | undefined;
  let report: CopyReport;
  let targetShown: string;
  const started = Date.now();
  try {
    source = openSqliteSource(full, shown, now);
    ({ store: target, shown: targetShown } = await openPostgresStore(to, "--to", COPY_POOL_SIZE));
    report = await copySqliteToPostgres(source.db, target.pool, { now });
  } catch (error) {
    if (error instanceof CopyRefusal) throw new InputError(`${error.message}. Nothing was copied.`);
    if (error instanceof InputError) throw error;
    throw new Error(`${withoutPassword((error as Error).message, to)}. Nothing was copied.`);
  } finally {
    source?.close();
    await target?.close();
  }
  const seconds = (Date.now() - started) / 1000;
  const { liveLeases: live, schemaFound, schema } = source!;

  if (values.json) {
    io.stdout(
      `${JSON.stringify(
        {
          from: shown,
          to: targetShown,
          migrated_from_schema: schemaFound < schema ? schemaFound : null,
          rows: report.rows,
          tables: Object.fromEntries(report.tables.map((t) => [t.table, t.rows])),
          requeued_jobs: report.requeuedJobs,
          released_deliveries: report.releasedDeliveries,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    if (schemaFound < schema)
      io.stdout(`${shown} was written by an older version: migrated it first (schema ${schemaFound} to ${schema}).\n`);
    io.stdout(`Copied ${shown} to ${targetShown}, in one transaction:\n\n`);
    io.stdout(
      `${table(
        ["TABLE", "ROWS"],
        report.tables.map((t) => [t.table, String(t.rows)]),
      )}\n\n`,
    );
    io.stdout(
      `${report.rows.toLocaleString("en-US")} row${report.rows === 1 ? "" : "s"} in ${report.tables.length} tables (${seconds.toFixed(1)} s).\n`,
    );
    if (report.requeuedJobs + report.releasedDeliveries > 0) {
      io.stdout(
        `${count(report.requeuedJobs, "job")} still marked running put back in the queue, ${count(report.releasedDeliveries, "webhook delivery", "webhook deliveries")} in flight back to pending: the app takes them when it starts.\n`,
      );
    }
    io.stdout(
      `Next: set DATABASE_URL to this database (with its password) for every instance, and start the app. ${shown} keeps its data: keep it as a backup.\n`,
    );
  }
  if (live.jobs + live.deliveries > 0) {
    io.stderr(
      `empathy: warning: ${count(live.jobs, "job")} and ${count(live.deliveries, "webhook delivery", "webhook deliveries")} were leased to an instance until ${formatTime(live.until)}: it stopped without releasing them (killed). If an instance still runs on ${shown} (on another machine), stop it: what it writes now is not in the copy.\n`,
    );
  }
  return 0;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
