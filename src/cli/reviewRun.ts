/**
 * The body of `empathy review` (cli/review.ts checks the options and starts the analysis workers
 * first, then loads this module while they start): reads the change and the repository config,
 * analyses in the workers, runs the engine, prints the report (Markdown, JSON or a SARIF log) and
 * applies the `--fail-on` gate.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, isAbsolute, relative, resolve, sep } from "node:path";
import { parseUnifiedDiff } from "../analysis/diff.js";
import { lowerLimits } from "../analysis/limits.js";
import { fileClassifier } from "../analysis/noise.js";
import { isTestFile } from "../analysis/paths.js";
import type { AnalysisPool } from "../analysis/pool/pool.js";
import { analyseInPool } from "../analysis/pool/isolated.js";
import { redact } from "../analysis/secrets.js";
import { hideFoundSecrets } from "../analysis/secretsAnalyzer.js";
import { severityRank, type DiffFile, type Finding, type Prediction, type Severity } from "../analysis/types.js";
import type { Settings } from "../config/env.js";
import { PathOverrides } from "../config/pathOverrides.js";
import { CONFIG_PATH, repoAnalysisLimits, type ConfigProblem, type RepoConfig } from "../config/repoConfig.js";
import { EmpathyOS } from "../engine/empathyOS.js";
import { renderReport } from "../report/markdown.js";
import { buildSarifLog, type SarifTool } from "../report/sarif.js";
import { InputError, oneLine, type CliIo } from "./common.js";
import { fileAtRevision, gitDiff, rangeBase } from "./git.js";
import { checkRepoConfigText, formatProblem } from "./repoConfigFile.js";

/** Bytes of a file read to tell binary data from text. */
const SNIFF = 8000;

/** What the command line asked for, checked by cli/review.ts. */
export interface ReviewRequest {
  values: {
    diff?: string;
    git?: string;
    config?: string;
    "no-config"?: boolean;
    ignore?: string[];
    title?: string;
    body?: string;
  };
  /** --root, resolved and checked to be a folder. */
  root: string | undefined;
  format: "markdown" | "json" | "sarif";
  failOn: Severity | undefined;
  minSeverityFlag: Severity | undefined;
  targetLevelFlag: number | undefined;
  settings: Settings;
}

export async function runReview(request: ReviewRequest, io: CliIo, pool: AnalysisPool): Promise<number> {
  const { values, root, format, failOn, minSeverityFlag, targetLevelFlag, settings } = request;
  // The change.
  let diffText: string;
  let label: string;
  if (values.git !== undefined) {
    diffText = gitDiff(values.git, root ?? io.cwd);
    label = values.git;
  } else if (values.diff === "-") {
    diffText = io.readStdin();
    label = "standard input";
    checkDiffText(diffText, "standard input");
  } else {
    diffText = readDiffFile(resolve(io.cwd, values.diff!), values.diff!);
    label = basename(values.diff!);
  }
  const files = parseUnifiedDiff(diffText);
  if (values.git !== undefined && files.length === 0) io.stderr(`empathy: git diff ${values.git} shows no changes: nothing to review\n`);

  // The repository's config, as the app would read it.
  const loaded = loadConfig(values, root, io, files);
  for (const note of loaded.notes) io.stderr(`empathy: ${note}\n`);
  for (const p of loaded.problems) io.stderr(`empathy: config problem: ${formatProblem(p)}\n`);
  if (loaded.problems.length > 0) io.stderr("empathy: the review uses the default value for each key above, as the app does\n");
  const config = loaded.config;
  if (config && !config.review.enabled)
    io.stderr(`empathy: ${loaded.source} has review.enabled: false: the app does not review pull requests here; reviewing anyway\n`);

  const ignore = [...(config?.ignore ?? []), ...(values.ignore ?? [])];
  // `paths` (per folder), as in the app; an option on the command line wins over every folder.
  const overrides = config ? new PathOverrides(config) : undefined;
  const minSeverityOf = (path: string): Severity | undefined => minSeverityFlag ?? overrides?.forPath(path).minSeverity;
  const limits = config ? lowerLimits(settings.analysisLimits, repoAnalysisLimits(config)) : settings.analysisLimits;

  let fileContents: Map<string, string> | undefined;
  const gitattributes = root ? readWholeFiles(root, [".gitattributes"], limits.maxFileBytes).get(".gitattributes") : undefined;
  const notReviewed = fileClassifier({ gitattributes, ignore });
  const reviewed = files.filter((f) => !notReviewed(f)).map((f) => f.path);
  if (root) {
    // As the app: whole files only for what is reviewed, at most analysis.max_files of them.
    const wanted = files.filter((f) => f.status !== "removed" && !notReviewed(f)).map((f) => f.path);
    fileContents = readWholeFiles(root, config ? wanted.slice(0, config.analysis.max_files) : wanted, limits.maxFileBytes);
  }
  // The app's level for the pull request: the highest any reviewed file's folder asks for.
  const targetLevel = targetLevelFlag ?? overrides?.forPullRequest(reviewed).targetLevel ?? 5;

  // Every severity is analysed: the gate judges all of it; --min-severity only trims the report.
  const outcome = await analyseInPool(
    pool,
    { files, fileContents, gitattributes, title: values.title, body: values.body },
    { ignore, limits, largeChangeLines: config?.analysis.large_change_lines },
  );
  // The exact secret values found: hidden in the analysis' texts, never printed or passed on.
  const { result: analysis, secretValues } = outcome;
  hideFoundSecrets(analysis, secretValues);
  const everything = { findings: analysis.findings, predictions: analysis.predictions };
  const keep = (f: Finding) => {
    const min = minSeverityOf(f.path);
    return min === undefined || severityRank(f.severity) >= severityRank(min);
  };
  const reported = { ...analysis, findings: analysis.findings.filter(keep) };

  // With a title or a description, the change is a pull request to the engine: level 2 may ask about them.
  const asPullRequest = values.title !== undefined || values.body !== undefined;
  const engine = new EmpathyOS({ userId: "cli", targetLevel });
  const result = await engine.interact({
    userId: "cli",
    input: [values.title ?? label, values.body ?? ""].join("\n\n").trim(),
    context: {
      repo: "local",
      ...(asPullRequest ? { pr_number: 0, description: values.body ?? "" } : {}),
      analysis: reported,
      files_changed: files.length,
      tests_changed: files.some((f) => isTestFile(f.path)),
      title: values.title ?? label,
    },
  });

  // SARIF is for code scanning: the findings the repository asks to report (--min-severity), not
  // capped by the empathy level, which is about how the review talks to a person.
  const sarif = format === "sarif" ? buildSarifLog(reported, sarifTool()) : undefined;
  if (sarif) {
    io.stdout(`${JSON.stringify(sarif, null, 2)}\n`);
  } else if (format === "json") {
    const json = {
      level: result.level,
      confidence: result.confidence,
      findings: result.findings.map(({ rule, category, path, line, severity, confidence, message, recommendation }) => ({
        rule,
        category,
        path,
        line,
        severity,
        confidence,
        message,
        recommendation,
      })),
      predictions: result.predictions.map(({ id, prediction, confidence, severity, tags, recommendation, path, line }) => ({
        id,
        prediction,
        confidence,
        severity,
        tags,
        recommendation,
        path,
        line,
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
        configProblems: loaded.problems.map(({ file, key, message }) => ({ file, key, message })),
      })}\n`,
    );
  }

  if (failOn === undefined) return 0;
  const shown = new Set(
    sarif
      ? sarif.runs[0].results.map((r) => r.partialFingerprints.primaryLocationLineHash)
      : [...result.findings, ...result.predictions].map((i) => i.fingerprint),
  );
  const failing = [...everything.findings, ...everything.predictions].filter((i) => severityRank(i.severity) >= severityRank(failOn));
  if (failing.length === 0) return 0;
  io.stderr(gateMessage(failOn, failing, shown, { level: result.level, targetLevel, minSeverityOf, sarif: sarif !== undefined }));
  return 1;
}

/** Why the exit code is 1: every finding and prediction at or over the threshold, saying which the report leaves out and why. */
function gateMessage(
  failOn: Severity,
  failing: (Finding | Prediction)[],
  shown: Set<string>,
  report: { level: number; targetLevel: number; minSeverityOf: (path: string) => Severity | undefined; sarif: boolean },
): string {
  const isFinding = (i: Finding | Prediction): i is Finding => "rule" in i;
  const findings = failing.filter(isFinding).length;
  const predictions = failing.length - findings;
  const counted = [findings ? `${findings} finding(s)` : "", predictions ? `${predictions} prediction(s)` : ""]
    .filter(Boolean)
    .join(" and ");
  const sorted = [...failing].sort(
    (a, b) => severityRank(b.severity) - severityRank(a.severity) || a.path.localeCompare(b.path) || a.line - b.line,
  );
  const lines = sorted.slice(0, 20).map((i) => {
    const min = report.minSeverityOf(i.path);
    const why = shown.has(i.fingerprint)
      ? ""
      : isFinding(i) && min !== undefined && severityRank(i.severity) < severityRank(min)
        ? ` (not in the report: below the minimum severity, ${min})`
        : report.sarif
          ? isFinding(i)
            ? " (not in the SARIF log: its path is not a repository path)"
            : " (not in the SARIF log: predictions are not code scanning results)"
          : ` (not in the report: it stops at level ${report.level}${report.targetLevel < 5 ? `, the target level being ${report.targetLevel}` : ""})`;
    const what = isFinding(i) ? `${oneLine(i.message, 160)} [${i.rule}]` : `${oneLine(i.prediction, 160)} [${i.kind}]`;
    return `  ${i.severity.padEnd(8)} ${i.path}${i.line ? `:${i.line}` : ""}  ${redact(what)}${why}`;
  });
  if (sorted.length > 20) lines.push(`  … and ${sorted.length - 20} more`);
  return `empathy: --fail-on ${failOn}: ${counted} at ${failOn} or above:\n${lines.join("\n")}\n`;
}

/** This package's version and home page, for the SARIF log's tool (package.json is two folders up from src/cli/ and lib/cli/). */
function sarifTool(): SarifTool {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version?: unknown;
    homepage?: unknown;
  };
  const homepage = typeof pkg.homepage === "string" && /^https?:\/\//.test(pkg.homepage) ? pkg.homepage : undefined;
  return { version: typeof pkg.version === "string" ? pkg.version : "0.0.0", ...(homepage ? { informationUri: homepage } : {}) };
}

interface LoadedConfig {
  config: RepoConfig | null;
  problems: (ConfigProblem & { line: number | null })[];
  notes: string[];
  /** Where it was read, for messages. */
  source: string | null;
}

function loadConfig(
  values: { git?: string; diff?: string; config?: string; "no-config"?: boolean },
  root: string | undefined,
  io: CliIo,
  files: DiffFile[],
): LoadedConfig {
  const none: LoadedConfig = { config: null, problems: [], notes: [], source: null };
  if (values["no-config"]) return none;
  let text: string | null = null;
  let source: string;
  if (values.config !== undefined) {
    source = values.config;
    text = readTextFile(resolve(io.cwd, values.config), `--config ${values.config}`);
  } else if (values.git !== undefined) {
    const repo = root ?? io.cwd;
    const base = rangeBase(values.git, repo);
    if (base === null) return { ...none, notes: [`no merge base for ${values.git}: the review uses no repository config`] };
    source = `${CONFIG_PATH} as of ${base.length === 40 && /^[0-9a-f]+$/.test(base) ? base.slice(0, 12) : base}`;
    text = fileAtRevision(base, CONFIG_PATH, repo);
  } else if (root !== undefined) {
    const path = resolve(root, CONFIG_PATH);
    const shown = relative(io.cwd, path);
    source = shown.startsWith("..") || isAbsolute(shown) ? path : shown;
    text = existsSync(path) ? readTextFile(path, path) : null;
  } else {
    return none;
  }
  const notes: string[] = [];
  if (files.some((f) => f.path === CONFIG_PATH)) {
    notes.push(
      text === null
        ? `the change edits ${CONFIG_PATH}; the app reads the default branch's, and so does this review (none there)`
        : values.git !== undefined
          ? `the change edits ${CONFIG_PATH}; as the app does, the review uses the base's (${source}); check the new one with: empathy config check`
          : `the change edits ${CONFIG_PATH}; the review uses ${source}, while the app uses the default branch's (pin it with --config FILE)`,
    );
  }
  if (text === null) return { ...none, notes };
  const checked = checkRepoConfigText(text, source);
  return { config: checked.config, problems: checked.problems, notes: [...notes, ...checked.notes], source };
}

function readTextFile(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      `${what}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a folder, not a file" : `cannot be read (${code ?? "error"})`}`,
    );
  }
}

function readDiffFile(path: string, given: string): string {
  const text = readTextFile(path, `--diff ${given}`);
  checkDiffText(text, given);
  return text;
}

/** Empty input, binary data or text that is not a unified diff: an InputError that says so. */
function checkDiffText(text: string, name: string): void {
  const hint = "give the output of git diff (e.g. git diff main...HEAD > change.diff), or use --git RANGE";
  if (text.trim() === "") throw new InputError(`${name} is empty: there is no diff to review (${hint})`);
  if (text.slice(0, SNIFF).includes("\u0000")) {
    throw new InputError(`${name} is not a unified diff: it holds binary data (${hint})`);
  }
  if (parseUnifiedDiff(text).length === 0) {
    throw new InputError(`${name} is not a unified diff: it has no file headers (diff --git, ---/+++) with hunks (@@) (${hint})`);
  }
}

function readWholeFiles(root: string, paths: string[], maxBytes: number): Map<string, string> {
  const contents = new Map<string, string>();
  const inside = root.endsWith(sep) ? root : `${root}${sep}`;
  for (const path of paths) {
    const full = resolve(root, path);
    if (!full.startsWith(inside)) continue; // a diff must not make us read outside the root
    try {
      if (statSync(full).size > maxBytes) continue;
      contents.set(path, readFileSync(full, "utf8"));
    } catch {
      // deleted or unreadable: the diff alone is analysed
    }
  }
  return contents;
}
