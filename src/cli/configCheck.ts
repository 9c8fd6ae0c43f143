/** `empathy config check [FILE]`: a repository config validated locally, in the app's words. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { CONFIG_PATH } from "../config/repoConfig.js";
import { InputError, noExtraArguments, parseCommandArgs, UsageError, type CliIo } from "./common.js";
import { checkRepoConfigText, formatProblem } from "./repoConfigFile.js";

export const CONFIG_USAGE = `Usage: empathy config check [FILE] [--json]

Checks a repository config (default: ${CONFIG_PATH} in the current folder) as the app reads it:
the same limits (64 KB, aliases), the same schema and the same messages as the summary comment's
"Configuration problems", with each problem's line and a did-you-mean for mistyped keys.

  --json        the problems, notes and the config the app would use, as JSON
  -h, --help    this text

Exit codes: 0 no problems, 1 problems (the app would use the default value for each of those
keys), 2 usage error or no such file.
`;

const OPTIONS = {
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export async function configCommand(argv: string[], io: CliIo, commandsHint: string): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, CONFIG_USAGE);
  if (values.help) {
    io.stdout(CONFIG_USAGE);
    return 0;
  }
  if (positionals[0] !== "check") {
    throw new UsageError(
      positionals.length === 0
        ? "config needs a subcommand: check"
        : `unknown config subcommand "${positionals[0]}": the only one is check; ${commandsHint}`,
      CONFIG_USAGE,
    );
  }
  noExtraArguments(positionals, 2, CONFIG_USAGE, "config check takes one file");
  const file = positionals[1] ?? CONFIG_PATH;
  let text: string;
  try {
    text = readFileSync(resolve(io.cwd, file), "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new InputError(
        positionals[1] === undefined
          ? `no ${CONFIG_PATH} in ${io.cwd} (give the file: empathy config check path/to/empathy.yml)`
          : `${file}: no such file`,
      );
    }
    throw new InputError(`${file}: ${code === "EISDIR" ? "is a folder, not a file" : `cannot be read (${code ?? "error"})`}`);
  }
  const checked = checkRepoConfigText(text, file);
  if (values.json) {
    io.stdout(
      `${JSON.stringify({ file, valid: checked.problems.length === 0, problems: checked.problems, notes: checked.notes, config: checked.config }, null, 2)}\n`,
    );
    return checked.problems.length === 0 ? 0 : 1;
  }
  for (const note of checked.notes) io.stdout(`${file}: note: ${note}\n`);
  if (checked.problems.length === 0) {
    io.stdout(`${file}: no problems\n`);
    return 0;
  }
  for (const p of checked.problems) io.stdout(`${formatProblem(p)}\n`);
  const n = checked.problems.length;
  const wholeFile = checked.problems.some((p) => p.key === "(file)" || p.key === "(root)");
  const effect = wholeFile
    ? "the app would review with the defaults for every key"
    : `the app would review with the default value for ${n === 1 ? "this key" : "each of these keys"}`;
  io.stdout(
    `\n${n} problem${n === 1 ? "" : "s"}: ${effect}, and list ${n === 1 ? "it" : "them"} under "Configuration problems" in its summary.\n`,
  );
  return 1;
}
