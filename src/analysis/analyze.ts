/**
 * One entry point for the whole analysis of a pull request's diff: the rule engine and the
 * predictors, each isolated so that one failing analyser costs its own results only.
 *
 * The analysis has two stages, so that it can run file by file in worker processes
 * (src/analysis/pool): `prepareAnalysis` checks every file cheaply and without parsing it
 * (shape, skip rules, size, line length, nesting); `runAnalyzers` then runs analysers on what
 * passed, either one file at a time (`perFileAnalyzers`) or on all of them at once
 * (`crossFileAnalyzers`). `runAnalysis` does both in this process, for trusted input (tests,
 * the corpus evaluation, benchmarks).
 */
import { createAstAnalyzer } from "./ast/index.js";
import {
  apiContractPredictor,
  createLargeChangePredictor,
  dependenciesPredictor,
  migrationsPredictor,
  securityWithoutTestsPredictor,
  workflowsPredictor,
  dockerfilePredictor,
  terraformPredictor,
} from "./predictors/index.js";
import { adjustForTestFile, atLeast, isSuppressedByComment } from "./noise.js";
import { prepareAnalysis, UniqueResults, type PrecheckLimits } from "./prepare.js";
import { redactSecrets } from "./secrets.js";
import { secretsAnalyzer } from "./secretsAnalyzer.js";
import type {
  AnalysisInput,
  AnalysisOutcome,
  AnalysisResult,
  Analyzer,
  AnalyzerOutput,
  DiffFile,
  Finding,
  Severity,
  SkippedItem,
} from "./types.js";
import { errorMessage as thrownText } from "../text/errorMessage.js";

export { prepareAnalysis, UniqueResults, type PrecheckLimits, type PreparedAnalysis } from "./prepare.js";

export interface AnalysisOptions {
  /** Replaces the default analysers (see `defaultAnalyzers`). */
  analyzers?: Analyzer[];
  /** A pull request with more changed lines than this is "large" (default 1000). */
  largeChangeLines?: number;
  /** Files whose patch has more lines than this are skipped (default 20000). */
  maxPatchLines?: number;
  /** Globs of files not to review (the repository config's `ignore`). */
  ignore?: string[];
  /** Findings below this severity are dropped. */
  minSeverity?: Severity;
  /** What a file may be before it is analysed at all (default DEFAULT_LIMITS). */
  limits?: Partial<PrecheckLimits>;
}

/** Analysers that look at one file at a time: each file can be analysed on its own. */
export function perFileAnalyzers(): Analyzer[] {
  return [
    createAstAnalyzer(),
    secretsAnalyzer,
    apiContractPredictor,
    dependenciesPredictor,
    workflowsPredictor,
    dockerfilePredictor,
    terraformPredictor,
  ];
}

/** Analysers that need every file of the change at once (schema context, totals, tests changed). */
export function crossFileAnalyzers(options: Pick<AnalysisOptions, "largeChangeLines"> = {}): Analyzer[] {
  return [migrationsPredictor, securityWithoutTestsPredictor, createLargeChangePredictor({ lines: options.largeChangeLines })];
}

/** The analysers `runAnalysis` uses by default; later work appends its own. */
export function defaultAnalyzers(options: Pick<AnalysisOptions, "largeChangeLines"> = {}): Analyzer[] {
  return [...perFileAnalyzers(), ...crossFileAnalyzers(options)];
}

/** Drops findings silenced by `empathy-ignore` or below the severity threshold; tests count less. */
function quieter(findings: Finding[], files: DiffFile[], contents: Map<string, string> | undefined, options: AnalysisOptions): Finding[] {
  const lineTexts = new Map<string, Map<number, string>>();
  const textOf = (path: string) => (line: number) => {
    let lines = lineTexts.get(path);
    if (!lines) {
      lines = new Map();
      const whole = contents?.get(path);
      if (whole !== undefined) whole.split("\n").forEach((text, i) => lines!.set(i + 1, text));
      else
        for (const h of files.find((f) => f.path === path)?.hunks ?? [])
          for (const l of h.lines) if (l.newLine !== undefined) lines.set(l.newLine, l.content);
      lineTexts.set(path, lines);
    }
    return lines.get(line);
  };
  const keep = atLeast(options.minSeverity ?? "info");
  return findings
    .filter((f) => !isSuppressedByComment(f, textOf(f.path)))
    .map(adjustForTestFile)
    .filter(keep);
}

function errorMessage(err: unknown): string {
  const msg = thrownText(err);
  return redactSecrets(msg).slice(0, 300);
}

/**
 * Runs analysers on a prepared input: results deduplicated, then silenced or lowered as the noise
 * rules say; with the exact secret values behind any secret finding.
 */
export async function runAnalyzers(
  input: AnalysisInput,
  analyzers: Analyzer[],
  options: AnalysisOptions = {},
): Promise<Required<AnalyzerOutput>> {
  const unique = new UniqueResults();
  const skipped: SkippedItem[] = [];
  const secretValues = new Set<string>();
  for (const analyzer of analyzers) {
    try {
      const out = await analyzer.analyze(input);
      unique.add(out);
      skipped.push(...(out.skipped ?? []));
      for (const v of out.secretValues ?? []) secretValues.add(v);
    } catch (err) {
      skipped.push({ path: "*", reason: `analyzer ${analyzer?.name ?? "?"} failed: ${errorMessage(err)}` });
    }
  }
  const { findings, predictions } = unique;
  const kept = quieter(findings, input.files, input.fileContents, options);
  return { findings: kept, predictions, skipped, secretValues: [...secretValues] };
}

/** Analyses a change in this process, for trusted input; the secret values found come apart from the result. */
export async function analyseChange(input: AnalysisInput, options: AnalysisOptions = {}): Promise<AnalysisOutcome> {
  try {
    const prepared = prepareAnalysis(input, options ?? {});
    const out = await runAnalyzers(prepared.input, options?.analyzers ?? defaultAnalyzers(options ?? {}), options ?? {});
    const result = {
      findings: out.findings,
      predictions: out.predictions,
      skipped: [...prepared.skipped, ...out.skipped],
      stats: prepared.stats,
    };
    return { result, secretValues: out.secretValues };
  } catch (err) {
    // Only reachable through a bug here: still an answer, not a crash.
    const result = {
      findings: [],
      predictions: [],
      skipped: [{ path: "*", reason: `analysis failed: ${errorMessage(err)}` }],
      stats: { files: 0, linesAnalyzed: 0 },
    };
    return { result, secretValues: [] };
  }
}

/** Analyses a diff in this process. Never throws: bad input and failing analysers end up in `skipped`. */
export async function runAnalysis(input: AnalysisInput, options: AnalysisOptions = {}): Promise<AnalysisResult> {
  return (await analyseChange(input, options)).result;
}
