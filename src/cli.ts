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
import { errorMessage } from "./text/errorMessage.js";

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

const COMMANDS_HINT =
  "the commands are review, config check, jobs list|show|replay, deliveries list|show|replay, data delete and store copy (empathy --help)";

interface Command {
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/**
 * Each command's module, loaded when it is used: `empathy review` does not load the store
 * drivers, nor `empathy jobs` the parsers (start-up time and memory).
 */
const COMMAND_MODULES: Record<string, () => Promise<Command>> = {
  review: async () => {
    const m = await import("./cli/review.js");
    return { usage: m.REVIEW_USAGE, run: (args, io) => m.reviewCommand(args, io, COMMANDS_HINT) };
  },
  config: async () => {
    const m = await import("./cli/configCheck.js");
    return { usage: m.CONFIG_USAGE, run: (args, io) => m.configCommand(args, io, COMMANDS_HINT) };
  },
  jobs: async () => {
    const m = await import("./cli/jobs.js");
    return { usage: m.JOBS_USAGE, run: m.jobsCommand };
  },
  deliveries: async () => {
    const m = await import("./cli/deliveries.js");
    return { usage: m.DELIVERIES_USAGE, run: m.deliveriesCommand };
  },
  data: async () => {
    const m = await import("./cli/data.js");
    return { usage: m.DATA_USAGE, run: m.dataCommand };
  },
  store: async () => {
    const m = await import("./cli/storeCopy.js");
    return { usage: m.STORE_USAGE, run: m.storeCommand };
  },
};

export const COMMANDS = Object.keys(COMMAND_MODULES);

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    // The one place the command reads the process's environment: its commands get it through io.
    return await dispatch(argv, { ...io, env: io.env ?? process.env });
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`empathy: ${error.message}\n\n${error.usage === undefined ? USAGE : synopsis(error.usage)}`);
      return 2;
    }
    io.stderr(`empathy: ${errorMessage(error)}\n`);
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
    io.stdout(topic !== undefined && Object.hasOwn(COMMAND_MODULES, topic) ? (await COMMAND_MODULES[topic]()).usage : USAGE);
    return 0;
  }
  if (Object.hasOwn(COMMAND_MODULES, command)) return (await COMMAND_MODULES[command]()).run(rest, io);
  if (command.startsWith("-")) throw new UsageError(`${command} comes after a command (empathy review ${command} …); ${COMMANDS_HINT}`);
  const suggestion = didYouMean(command, COMMANDS);
  throw new UsageError(`unknown command "${command}"${suggestion ? ` (did you mean ${suggestion}?)` : ""}; ${COMMANDS_HINT}`);
}
