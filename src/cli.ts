/**
 * The `empathy` command:
 *   empathy review --diff FILE|- | --git RANGE  [options]   the app's review on a local change
 *   empathy config check [FILE]                              a repository config, as the app reads it
 *   empathy jobs list|show|replay                            the app's job queue (its store)
 *   empathy deliveries list|show|replay                      outgoing webhook deliveries
 *   empathy data delete --repo OWNER/NAME | --user LOGIN     a repository's or a person's stored data
 *   empathy store copy --to postgres://…                     the SQLite store copied into PostgreSQL
 * Exit codes: 0 fine, 1 the command's "no" (--fail-on reached, config problems, nothing replayed),
 * 2 usage or input error.
 */
import { didYouMean } from "./config/didYouMean.js";
import { UsageError, type CliIo } from "./cli/common.js";
import { CONFIG_USAGE, configCommand } from "./cli/configCheck.js";
import { DATA_USAGE, dataCommand } from "./cli/data.js";
import { DELIVERIES_USAGE, deliveriesCommand } from "./cli/deliveries.js";
import { JOBS_USAGE, jobsCommand } from "./cli/jobs.js";
import { REVIEW_USAGE, reviewCommand } from "./cli/review.js";
import { STORE_USAGE, storeCommand } from "./cli/storeCopy.js";

export { InputError, UsageError, type CliIo } from "./cli/common.js";

export const USAGE = `Usage: empathy <command> [options]

Commands:
  review                        review a local change: empathy review --diff FILE | --git RANGE
  config check [FILE]           check a repository config (.github/empathy.yml) as the app reads it
  jobs list|show|replay         the app's job queue and its dead letters
  deliveries list|show|replay   outgoing webhook deliveries and their dead letters
  data delete                   delete a repository's or a person's stored data
  store copy                    copy the SQLite store into PostgreSQL (the app stopped)

\`empathy <command> --help\` tells more. The jobs, deliveries and data commands work on the
app's store (DATABASE_URL), also while the app runs; store copy only while it is stopped.
`;

const COMMANDS = ["review", "config", "jobs", "deliveries", "data", "store"];
const COMMANDS_HINT = "the commands are review, config check, jobs list|show|replay, deliveries list|show|replay, data delete and store copy (empathy --help)";

export const COMMAND_USAGES: Record<string, string> = {
  review: REVIEW_USAGE,
  config: CONFIG_USAGE,
  jobs: JOBS_USAGE,
  deliveries: DELIVERIES_USAGE,
  data: DATA_USAGE,
  store: STORE_USAGE,
};

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`empathy: ${error.message}\n\n${error.usage === undefined ? USAGE : synopsis(error.usage)}`);
      return 2;
    }
    io.stderr(`empathy: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}

/** A command's usage lines (up to the first blank line) and where the rest is. */
function synopsis(usage: string): string {
  const head = usage.split("\n\n")[0];
  const command = /^Usage: empathy (\w+)/.exec(head)?.[1] ?? "";
  return `${head}\n(empathy ${command} --help tells more)\n`;
}

async function dispatch(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError("give a command");
  if (command === "-h" || command === "--help" || command === "help") {
    const topic = command === "help" ? rest[0] : undefined;
    io.stdout(topic !== undefined && COMMAND_USAGES[topic] ? COMMAND_USAGES[topic] : USAGE);
    return 0;
  }
  switch (command) {
    case "review":
      return reviewCommand(rest, io, COMMANDS_HINT);
    case "config":
      return configCommand(rest, io, COMMANDS_HINT);
    case "jobs":
      return jobsCommand(rest, io);
    case "deliveries":
      return deliveriesCommand(rest, io);
    case "data":
      return dataCommand(rest, io);
    case "store":
      return storeCommand(rest, io);
  }
  if (command.startsWith("-")) throw new UsageError(`${command} comes after a command (empathy review ${command} …); ${COMMANDS_HINT}`);
  const suggestion = didYouMean(command, COMMANDS);
  throw new UsageError(`unknown command "${command}"${suggestion ? ` (did you mean ${suggestion}?)` : ""}; ${COMMANDS_HINT}`);
}
