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
import { DEFAULT_LIMITS, precheckText, type AnalysisLimits } from "./limits.js";
import { adjustForTestFile, atLeast, fileClassifier, isSuppressedByComment } from "./noise.js";
import { redactSecrets } from "./secrets.js";
import { secretsAnalyzer } from "./secretsAnalyzer.js";
import type { AnalysisInput, AnalysisOutcome, AnalysisResult, Analyzer, AnalyzerOutput, DiffFile, Finding, Prediction, Severity, SkippedItem } from "./types.js";

export type PrecheckLimits = Pick<AnalysisLimits, "maxFileBytes" | "maxLineLength" | "maxNestingDepth">;

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

const DEFAULT_MAX_PATCH_LINES = 20_000;

/** Analysers that look at one file at a time: each file can be analysed on its own. */
export function perFileAnalyzers(): Analyzer[] {
  return [createAstAnalyzer(), secretsAnalyzer, apiContractPredictor, dependenciesPredictor, workflowsPredictor, dockerfilePredictor, terraformPredictor];
}

/** Analysers that need every file of the change at once (schema context, totals, tests changed). */
export function crossFileAnalyzers(options: Pick<AnalysisOptions, "largeChangeLines"> = {}): Analyzer[] {
  return [migrationsPredictor, securityWithoutTestsPredictor, createLargeChangePredictor({ lines: options.largeChangeLines })];
}

/** The analysers `runAnalysis` uses by default; later work appends its own. */
export function defaultAnalyzers(options: Pick<AnalysisOptions, "largeChangeLines"> = {}): Analyzer[] {
  return [...perFileAnalyzers(), ...crossFileAnalyzers(options)];
}

const LINE_KINDS = new Set(["add", "del", "context"]);

/**
 * Checks the shape of a file from outside (a caller, a plugin, a deserialised job) and keeps
 * only well-formed hunks and lines, so analysers can trust it. Undefined when it is unusable.
 */
function wellFormed(raw: unknown): DiffFile | undefined {
  const f = raw as Partial<DiffFile> | null;
  if (!f || typeof f !== "object" || typeof f.path !== "string" || !Array.isArray(f.hunks)) return undefined;
  const hunks = f.hunks
    .filter((h) => h && typeof h === "object" && Array.isArray(h.lines))
    .map((h) => ({
      ...h,
      lines: h.lines.filter(
        (l) =>
          l &&
          typeof l === "object" &&
          LINE_KINDS.has(l.kind) &&
          typeof l.content === "string" &&
          (l.kind === "del" || Number.isInteger(l.newLine)) &&
          (l.kind === "add" || Number.isInteger(l.oldLine)),
      ),
    }));
  return {
    ...(f as DiffFile),
    binary: f.binary === true,
    patchMissing: f.patchMissing === true,
    additions: Number.isFinite(f.additions) ? (f.additions as number) : 0,
    deletions: Number.isFinite(f.deletions) ? (f.deletions as number) : 0,
    hunks,
  };
}

function patchLines(file: DiffFile): number {
  let n = 0;
  for (const h of file.hunks) n += h.lines.length;
  return n;
}

/** Why a file is not analysed, or undefined when it is. */
function skipReason(file: DiffFile, maxPatchLines: number): string | undefined {
  if (file.binary) return "binary file: not analysed";
  if (file.patchMissing) {
    // A rename without changes has no patch and needs none.
    if (file.status === "renamed" && !file.additions && !file.deletions) return undefined;
    return "no patch available (GitHub omits it for very large or binary files): not analysed";
  }
  const n = patchLines(file);
  if (n > maxPatchLines) return `patch too large (${n} lines, limit ${maxPatchLines}): not analysed`;
  return undefined;
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
      else for (const h of files.find((f) => f.path === path)?.hunks ?? []) for (const l of h.lines) if (l.newLine !== undefined) lines.set(l.newLine, l.content);
      lineTexts.set(path, lines);
    }
    return lines.get(line);
  };
  const keep = atLeast(options.minSeverity ?? "info");
  return findings.filter((f) => !isSuppressedByComment(f, textOf(f.path))).map(adjustForTestFile).filter(keep);
}

function errorMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return redactSecrets(msg).slice(0, 300);
}

/** A change checked and cleaned for the analysers, and what was turned away before any parsing. */
export interface PreparedAnalysis {
  /** Well-formed files; those not analysed keep their place with no hunks (counts, tests changed). */
  input: AnalysisInput;
  skipped: SkippedItem[];
  stats: AnalysisResult["stats"];
}

/** Why a file's text is not analysed under the limits; a whole file too large falls back to its diff. */
function precheck(file: DiffFile, content: string | undefined, limits: PrecheckLimits): { reason?: string; content?: string } {
  let kept = content;
  // A whole file too large is as if never fetched: the diff alone is analysed (and checked below).
  if (kept !== undefined && Buffer.byteLength(kept, "utf8") > limits.maxFileBytes) kept = undefined;
  if (kept !== undefined) {
    const reason = precheckText(kept, limits);
    if (reason) return { reason };
  }
  let diffText = "";
  for (const h of file.hunks) for (const l of h.lines) if (l.kind !== "del") diffText += `${l.content}\n`;
  return { reason: precheckText(diffText, limits), content: kept };
}

/**
 * Checks every file without parsing it: malformed entries, binary files, missing or huge
 * patches, ignored and generated files, and the limits (bytes, line length, nesting). Cheap and
 * linear in the input, so it may run anywhere, also where untrusted code must never be parsed.
 */
export function prepareAnalysis(input: AnalysisInput, options: AnalysisOptions = {}): PreparedAnalysis {
  const maxPatchLines = options.maxPatchLines ?? DEFAULT_MAX_PATCH_LINES;
  const limits: PrecheckLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const notReviewed = fileClassifier({ gitattributes: input?.gitattributes, ignore: options.ignore });
  const contents = input?.fileContents instanceof Map ? input.fileContents : undefined;
  const skipped: SkippedItem[] = [];
  const files: DiffFile[] = [];
  const fileContents = new Map<string, string>();
  let linesAnalyzed = 0;

  const rawFiles: unknown[] = Array.isArray(input?.files) ? input.files : [];
  for (const raw of rawFiles) {
    const file = wellFormed(raw);
    if (!file) {
      const path = (raw as { path?: unknown } | null)?.path;
      skipped.push({ path: typeof path === "string" ? path : "?", reason: "malformed file entry: not analysed" });
      continue;
    }
    const content = contents?.get(file.path);
    let reason = skipReason(file, maxPatchLines) ?? notReviewed(file, content);
    let kept: string | undefined;
    if (!reason) ({ reason, content: kept } = precheck(file, typeof content === "string" ? content : undefined, limits));
    if (reason) {
      skipped.push({ path: file.path, reason });
      // Kept without hunks: analysers still see it exists (file counts, test files changed).
      files.push({ ...file, hunks: [] });
      continue;
    }
    if (kept !== undefined) fileContents.set(file.path, kept);
    for (const h of file.hunks) for (const l of h.lines) if (l.kind !== "context") linesAnalyzed++;
    files.push(file);
  }
  return {
    input: { ...input, files, fileContents: contents ? fileContents : undefined },
    skipped,
    stats: { files: rawFiles.length, linesAnalyzed },
  };
}

/**
 * Findings and predictions, each once: findings by fingerprint, predictions by id, and by kind
 * and subject when they name one (a package bumped in three manifests is one prediction).
 */
export class UniqueResults {
  readonly findings: Finding[] = [];
  readonly predictions: Prediction[] = [];
  private readonly seen = new Set<string>();

  add(out: Pick<AnalyzerOutput, "findings" | "predictions">): void {
    for (const f of out.findings ?? []) if (this.first(`finding:${f.fingerprint}`)) this.findings.push(f);
    for (const p of out.predictions ?? []) {
      const subject = p.subject === undefined ? undefined : `subject:${p.kind}:${p.subject}`;
      if (this.seen.has(`prediction:${p.id}`) || (subject !== undefined && this.seen.has(subject))) continue;
      this.seen.add(`prediction:${p.id}`);
      if (subject !== undefined) this.seen.add(subject);
      this.predictions.push(p);
    }
  }

  private first(key: string): boolean {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }
}

/**
 * Runs analysers on a prepared input: results deduplicated, then silenced or lowered as the noise
 * rules say; with the exact secret values behind any secret finding.
 */
export async function runAnalyzers(input: AnalysisInput, analyzers: Analyzer[], options: AnalysisOptions = {}): Promise<Required<AnalyzerOutput>> {
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
    const result = { findings: out.findings, predictions: out.predictions, skipped: [...prepared.skipped, ...out.skipped], stats: prepared.stats };
    return { result, secretValues: out.secretValues };
  } catch (err) {
    // Only reachable through a bug here: still an answer, not a crash.
    const result = { findings: [], predictions: [], skipped: [{ path: "*", reason: `analysis failed: ${errorMessage(err)}` }], stats: { files: 0, linesAnalyzed: 0 } };
    return { result, secretValues: [] };
  }
}

/** Analyses a diff in this process. Never throws: bad input and failing analysers end up in `skipped`. */
export async function runAnalysis(input: AnalysisInput, options: AnalysisOptions = {}): Promise<AnalysisResult> {
  return (await analyseChange(input, options)).result;
}
