/**
 * `empathy review`: the app's analysis and engine on a local change, with the repository's
 * config, and a `--fail-on` gate CI can trust: it judges every finding and prediction the
 * analysis reports, whatever the report shows (level cap, minimum severity). This module checks
 * the options and starts the analysis workers; cli/reviewRun.ts does the review.
 */
import { existsSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { AnalysisPool } from "../analysis/pool/pool.js";
import { SEVERITIES, type Severity } from "../analysis/types.js";
import { readSettings } from "../config/env.js";
import { InputError, noExtraArguments, parseCommandArgs, UsageError, type CliIo } from "./common.js";

export const REVIEW_USAGE = `Usage: empathy review (--diff FILE|- | --git RANGE) [options]

Reviews a local change with the Empathy engine.

  --diff FILE|-        a unified diff (git diff output); - reads standard input
  --git RANGE          runs \`git diff RANGE\` (e.g. main...HEAD) in --root or the current folder
  --root DIR           reads whole changed files from DIR so rules see their context
  --format FORMAT      markdown (default), json, or sarif: a SARIF 2.1.0 log for GitHub code
                       scanning, with every finding at or above --min-severity whatever the
                       target level, and no predictions (they are not defects in the code)
  --fail-on SEVERITY   exit 1 when any finding or prediction is at least this severe
                       (${SEVERITIES.join(", ")}), whether or not the report shows it
  --min-severity SEV   leave out findings below this severity
  --ignore GLOB        do not review files matching GLOB (repeatable)
  --target-level N     highest empathy level, 1-5 (default: the config's target_level, else 5)
  --title TEXT         the pull request's title; with --title or --body, level 2 asks
  --body TEXT          the pull request's description (clarifying questions)
  --config FILE        the repository config to use (default: see below)
  --no-config          use no repository config
  -h, --help           this text

The repository config (.github/empathy.yml: ignore, review.min_severity, target_level, paths,
analysis limits) is read as the app reads it: with --git, the file as of the range's base
(main in main...HEAD), so a change cannot loosen its own review; with --diff and --root, the
file in DIR. Options given here win over it; its problems are printed and the review goes on
with the defaults, as in the app.

The analysis runs in worker processes under the same limits as the app
(EMPATHY_MAX_FILE_BYTES, EMPATHY_MAX_LINE_LENGTH, EMPATHY_MAX_NESTING_DEPTH,
EMPATHY_FILE_TIME_BUDGET_SECONDS, EMPATHY_REVIEW_TIME_BUDGET_SECONDS); a file over a limit, or
one that crashes its worker, is listed as not analysed and the rest is reviewed.

Exit codes: 0 reviewed, 1 --fail-on reached, 2 usage or input error (not a diff, no such file).
`;

const OPTIONS = {
  diff: { type: "string" },
  git: { type: "string" },
  root: { type: "string" },
  format: { type: "string" },
  "fail-on": { type: "string" },
  "min-severity": { type: "string" },
  ignore: { type: "string", multiple: true },
  "target-level": { type: "string" },
  title: { type: "string" },
  body: { type: "string" },
  config: { type: "string" },
  "no-config": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export async function reviewCommand(argv: string[], io: CliIo, commandsHint: string): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, REVIEW_USAGE);
  if (values.help) {
    io.stdout(REVIEW_USAGE);
    return 0;
  }
  if (positionals.length > 0) {
    const extra = positionals[0];
    const asFile = existsSync(resolve(io.cwd, extra)) ? ` (to review that file: --diff ${extra})` : "";
    noExtraArguments(positionals, 0, REVIEW_USAGE, `review takes options only${asFile}; ${commandsHint}`);
  }
  if ((values.diff === undefined) === (values.git === undefined)) throw new UsageError("give exactly one of --diff or --git", REVIEW_USAGE);
  const format = values.format ?? "markdown";
  if (format !== "markdown" && format !== "json" && format !== "sarif")
    throw new UsageError("--format is markdown, json or sarif", REVIEW_USAGE);
  const failOn = severityOption(values["fail-on"], "--fail-on");
  const minSeverityFlag = severityOption(values["min-severity"], "--min-severity");
  let targetLevelFlag: number | undefined;
  if (values["target-level"] !== undefined) {
    targetLevelFlag = Number(values["target-level"]);
    if (!/^\d$/.test(values["target-level"].trim()) || targetLevelFlag < 1 || targetLevelFlag > 5)
      throw new UsageError("--target-level is 1 to 5", REVIEW_USAGE);
  }
  if (values.config !== undefined && values["no-config"]) throw new UsageError("give --config FILE or --no-config, not both", REVIEW_USAGE);
  if (values.git !== undefined && (values.git.trim() === "" || values.git.startsWith("-"))) {
    throw new UsageError("--git takes a revision range, e.g. main...HEAD or HEAD~1..HEAD", REVIEW_USAGE);
  }

  const root = values.root !== undefined ? folder(resolve(io.cwd, values.root), `--root ${values.root}`) : undefined;
  // This process only waits while the workers analyse: every core may analyse, unless the operator says otherwise.
  const settings = readSettings(io.env ?? {}, { analysisWorkers: availableParallelism() });

  // Worker processes, as in the app: a file that crashes a parser is reported, never the end of this process.
  // They start now and load their parsers while this process reads the change, the config and the files.
  const pool = new AnalysisPool({ size: settings.analysisWorkers, memoryMb: settings.analysisWorkerMemoryMb, shortLived: true });
  pool.start();
  try {
    // The rest of the review (engine, report, config parsers) loads while the workers start:
    // their start-up and these imports overlap instead of following each other.
    const { runReview } = await import("./reviewRun.js");
    return await runReview({ values, root, format, failOn, minSeverityFlag, targetLevelFlag, settings }, io, pool);
  } finally {
    await pool.destroy();
  }
}

function severityOption(value: string | undefined, option: string): Severity | undefined {
  if (value === undefined) return undefined;
  if (!SEVERITIES.includes(value as Severity)) throw new UsageError(`${option} is one of ${SEVERITIES.join(", ")}`, REVIEW_USAGE);
  return value as Severity;
}

function folder(path: string, what: string): string {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    throw new InputError(`${what}: no such folder`);
  }
  if (!stats.isDirectory()) throw new InputError(`${what}: is a file, not a folder`);
  return path;
}
