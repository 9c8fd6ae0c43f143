/**
 * The `empathy` command: the same analysis and engine as the app, on a local change.
 *   empathy review --diff FILE|-  |  --git RANGE   [--root DIR] [--format markdown|json] [--fail-on SEVERITY]
 */
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseUnifiedDiff } from "./analysis/diff.js";
import { analyseInPool } from "./analysis/pool/isolated.js";
import { hideFoundSecrets } from "./analysis/secretsAnalyzer.js";
import { AnalysisPool } from "./analysis/pool/pool.js";
import { readSettings } from "./config/env.js";
import { isTestFile } from "./analysis/paths.js";
import { SEVERITIES, severityRank, type Severity } from "./analysis/types.js";
import { EmpathyOS } from "./engine/empathyOS.js";
import { renderReport } from "./report/markdown.js";

export const USAGE = `Usage: empathy review (--diff FILE|- | --git RANGE) [options]

Reviews a local change with the Empathy engine.

  --diff FILE|-        a unified diff (git diff output); - reads standard input
  --git RANGE          runs \`git diff RANGE\` (e.g. main...HEAD) in --root or the current folder
  --root DIR           reads whole changed files from DIR so rules see their context
  --format FORMAT      markdown (default) or json
  --fail-on SEVERITY   exit 1 when a finding or prediction is at least this severe
                       (${SEVERITIES.join(", ")})
  --min-severity SEV   leave out findings below this severity
  --ignore GLOB        do not review files matching GLOB (repeatable)
  --target-level N     highest empathy level, 1-5 (default 5)
  --title TEXT         what the change is about (as a pull request title)
  -h, --help           this text

The analysis runs in worker processes under the same limits as the app
(EMPATHY_MAX_FILE_BYTES, EMPATHY_MAX_LINE_LENGTH, EMPATHY_MAX_NESTING_DEPTH,
EMPATHY_FILE_TIME_BUDGET_SECONDS, EMPATHY_REVIEW_TIME_BUDGET_SECONDS); a file over a limit, or
one that crashes its worker, is listed as not analysed and the rest is reviewed.
`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => string;
  cwd: string;
}

export class UsageError extends Error {}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    return await review(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`empathy: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    io.stderr(`empathy: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}

async function review(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        diff: { type: "string" },
        git: { type: "string" },
        root: { type: "string" },
        format: { type: "string", default: "markdown" },
        "fail-on": { type: "string" },
        "min-severity": { type: "string" },
        ignore: { type: "string", multiple: true },
        "target-level": { type: "string", default: "5" },
        title: { type: "string", default: "" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  if (positionals[0] !== "review" || positionals.length > 1) throw new UsageError("the only command is `review`");
  if ((values.diff === undefined) === (values.git === undefined)) throw new UsageError("give exactly one of --diff or --git");
  if (values.format !== "markdown" && values.format !== "json") throw new UsageError("--format is markdown or json");
  const failOn = values["fail-on"];
  if (failOn !== undefined && !SEVERITIES.includes(failOn as Severity)) throw new UsageError(`--fail-on is one of ${SEVERITIES.join(", ")}`);
  const minSeverity = values["min-severity"];
  if (minSeverity !== undefined && !SEVERITIES.includes(minSeverity as Severity)) throw new UsageError(`--min-severity is one of ${SEVERITIES.join(", ")}`);
  const targetLevel = Number(values["target-level"]);
  if (!Number.isInteger(targetLevel) || targetLevel < 1 || targetLevel > 5) throw new UsageError("--target-level is 1 to 5");

  const settings = readSettings();
  const root = values.root !== undefined ? resolve(io.cwd, values.root) : undefined;
  const diffText =
    values.git !== undefined
      ? execFileSync("git", ["diff", "--no-color", "--no-ext-diff", values.git], { cwd: root ?? io.cwd, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 })
      : values.diff === "-"
        ? io.readStdin()
        : readFileSync(resolve(io.cwd, values.diff!), "utf8");

  const files = parseUnifiedDiff(diffText);
  const maxBytes = settings.analysisLimits.maxFileBytes;
  const fileContents = root ? readWholeFiles(root, files.map((f) => f.path), maxBytes) : undefined;
  const gitattributes = root ? readWholeFiles(root, [".gitattributes"], maxBytes).get(".gitattributes") : undefined;
  // Worker processes, as in the app: a file that crashes a parser is reported, never the end of this process.
  // This process only waits meanwhile: every core may analyse, unless the operator says otherwise.
  const size = process.env.EMPATHY_ANALYSIS_WORKERS ? settings.analysisWorkers : availableParallelism();
  const pool = new AnalysisPool({ size, memoryMb: settings.analysisWorkerMemoryMb });
  let outcome;
  try {
    outcome = await analyseInPool(
      pool,
      { files, fileContents, gitattributes, title: values.title },
      { ignore: values.ignore, minSeverity: minSeverity as Severity | undefined, limits: settings.analysisLimits },
    );
  } finally {
    await pool.destroy();
  }
  // The exact secret values found: hidden in the analysis' texts, never printed or passed on.
  const { result: analysis, secretValues } = outcome;
  hideFoundSecrets(analysis, secretValues);
  const engine = new EmpathyOS({ userId: "cli", targetLevel });
  const result = await engine.interact({
    userId: "cli",
    input: values.title ?? "",
    context: {
      repo: "local",
      analysis,
      files_changed: files.length,
      tests_changed: files.some((f) => isTestFile(f.path)),
      title: values.title,
    },
  });

  if (values.format === "json") {
    const json = {
      level: result.level,
      confidence: result.confidence,
      findings: result.findings.map(({ rule, category, path, line, severity, confidence, message, recommendation }) => ({
        rule, category, path, line, severity, confidence, message, recommendation,
      })),
      predictions: result.predictions.map(({ id, prediction, confidence, severity, tags, recommendation, path, line }) => ({
        id, prediction, confidence, severity, tags, recommendation, path, line,
      })),
      clarifications: result.clarifications,
      skipped: analysis.skipped,
    };
    io.stdout(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    io.stdout(
      `${renderReport({
        level: result.level,
        confidence: result.confidence,
        response: result.response,
        findings: result.findings,
        predictions: result.predictions,
        clarifications: result.clarifications,
        skipped: analysis.skipped,
      })}\n`,
    );
  }

  if (failOn !== undefined) {
    const threshold = severityRank(failOn as Severity);
    const worst = [...result.findings, ...result.predictions].some((i) => severityRank(i.severity) >= threshold);
    if (worst) return 1;
  }
  return 0;
}

function readWholeFiles(root: string, paths: string[], maxBytes: number): Map<string, string> {
  const contents = new Map<string, string>();
  for (const path of paths) {
    const full = resolve(root, path);
    if (!full.startsWith(root)) continue; // a diff must not make us read outside the root
    try {
      if (statSync(full).size > maxBytes) continue;
      contents.set(path, readFileSync(full, "utf8"));
    } catch {
      // deleted or unreadable: the diff alone is analysed
    }
  }
  return contents;
}
