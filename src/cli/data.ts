/** `empathy data delete`: a repository's or a person's stored data, deleted from the app's store. */
import type { DeletionCount } from "../store/store.js";
import { noExtraArguments, parseCommandArgs, table, UsageError, type CliIo } from "./common.js";
import { DATABASE_HELP, DATABASE_OPTION, openOperatorStore } from "./store.js";

export const DATA_USAGE = `Usage: empathy data delete (--repo OWNER/NAME | --user LOGIN) [--yes] [--json]

Deletes what the app's store holds about a repository, or about a person (a GitHub login), for
an uninstall or a privacy request. Without --yes it only counts what would go.

  --repo OWNER/NAME    reviews and their stored results, summaries, inline comments posted,
                       findings shown, feedback, dismissed findings, trust scores, learned
                       patterns, prediction and transformation issue links, its issue policy,
                       coordination records, rate slots, jobs (any
                       status) and their payloads, and the webhook events that name it, with
                       their deliveries (dead letters too), attempt logs and batch items
  --user LOGIN         in every repository: their trust scores, the feedback on their pull
                       requests, the findings shown on them, their open pull requests'
                       coordination records, their rate slots, jobs that name them (author,
                       commenter, assignee, reviewer…), and the webhook events that name them
                       with their deliveries; findings they dismissed stay dismissed for the
                       repository, with their name removed
  --yes                delete (without it: a dry run)
  --json               the counts as JSON
${DATABASE_HELP}
  -h, --help           this text

Names are matched without regard to case, as on GitHub. Deleted rows are overwritten in the
file (SQLite secure_delete); copies in backups stay until those are rotated. While the app is
installed on the repository, its next event stores new data: uninstall it first.
`;

const OPTIONS = {
  repo: { type: "string" },
  user: { type: "string" },
  yes: { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  ...DATABASE_OPTION,
} as const;

const REPO = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
const LOGIN = /^@?[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/;

export async function dataCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, DATA_USAGE);
  if (values.help) {
    io.stdout(DATA_USAGE);
    return 0;
  }
  if (positionals[0] !== "delete") {
    throw new UsageError(
      positionals.length === 0 ? "data needs a subcommand: delete" : `unknown data subcommand "${positionals[0]}": the only one is delete`,
      DATA_USAGE,
    );
  }
  noExtraArguments(positionals, 1, DATA_USAGE, "data delete takes --repo OWNER/NAME or --user LOGIN");
  if ((values.repo === undefined) === (values.user === undefined))
    throw new UsageError("give one of --repo OWNER/NAME or --user LOGIN", DATA_USAGE);
  if (values.repo !== undefined && !REPO.test(values.repo.trim()))
    throw new UsageError(`--repo "${values.repo}" is not a repository: OWNER/NAME, e.g. octo-org/shop`, DATA_USAGE);
  if (values.user !== undefined && !LOGIN.test(values.user.trim()))
    throw new UsageError(`--user "${values.user}" is not a GitHub login`, DATA_USAGE);
  const dryRun = values.yes !== true;
  const subject = values.repo !== undefined ? `repository ${values.repo.trim()}` : `user ${values.user!.trim().replace(/^@/, "")}`;

  const { store, shown } = await openOperatorStore(io, values.database);
  let counts: DeletionCount[];
  try {
    counts =
      values.repo !== undefined
        ? await store.deleteRepositoryData(values.repo.trim(), { dryRun })
        : await store.deleteUserData(values.user!.trim(), { dryRun });
  } finally {
    await store.close();
  }
  const found = counts.filter((c) => c.count > 0);
  const deleted = found.filter((c) => c.action === "deleted").reduce((n, c) => n + c.count, 0);
  const anonymised = found.filter((c) => c.action === "anonymised").reduce((n, c) => n + c.count, 0);
  if (values.json) {
    io.stdout(`${JSON.stringify({ store: shown, subject, dry_run: dryRun, deleted, anonymised, tables: counts }, null, 2)}\n`);
    return 0;
  }
  if (found.length === 0) {
    io.stdout(`Nothing stored about ${subject} in ${shown}.\n`);
    return 0;
  }
  const verb = (c: DeletionCount) => (dryRun ? (c.action === "deleted" ? "to delete" : "to anonymise") : c.action);
  io.stdout(`${dryRun ? "Would change" : "Changed"} in ${shown}, for ${subject}:\n\n`);
  io.stdout(
    `${table(
      ["WHAT", "TABLE", "ROWS", ""],
      found.map((c) => [c.what, c.table, String(c.count), verb(c)]),
    )}\n\n`,
  );
  const total = [
    `${deleted} row${deleted === 1 ? "" : "s"} ${dryRun ? "to delete" : "deleted"}`,
    anonymised > 0 ? `${anonymised} ${dryRun ? "to anonymise" : "anonymised"}` : "",
  ]
    .filter(Boolean)
    .join(", ");
  if (dryRun) {
    io.stdout(`${total}. Nothing was changed: run again with --yes to delete.\n`);
  } else {
    io.stdout(`${total}.\n`);
    if (values.repo !== undefined)
      io.stdout("If the app is still installed on the repository, its next event stores new data: uninstall it there.\n");
  }
  return 0;
}
