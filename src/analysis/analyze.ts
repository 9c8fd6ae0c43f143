/**
 * One entry point for the whole analysis of a pull request's diff: the rule engine and the
 * predictors, each isolated so that one failing analyser costs its own results only.
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
import { adjustForTestFile, atLeast, fileClassifier, isSuppressedByComment } from "./noise.js";
import { redactSecrets } from "./secrets.js";
import { secretsAnalyzer } from "./secretsAnalyzer.js";
import type { AnalysisInput, AnalysisResult, Analyzer, DiffFile, Finding, Prediction, Severity, SkippedItem } from "./types.js";

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
}

const DEFAULT_MAX_PATCH_LINES = 20_000;

/** The analysers `runAnalysis` uses by default; later work appends its own. */
export function defaultAnalyzers(options: Pick<AnalysisOptions, "largeChangeLines"> = {}): Analyzer[] {
  return [
    createAstAnalyzer(),
    secretsAnalyzer,
    migrationsPredictor,
    apiContractPredictor,
    securityWithoutTestsPredictor,
    dependenciesPredictor,
    workflowsPredictor,
    dockerfilePredictor,
    terraformPredictor,
    createLargeChangePredictor({ lines: options.largeChangeLines }),
  ];
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

/** Analyses a diff. Never throws: bad input and failing analysers end up in `skipped`. */
export async function runAnalysis(input: AnalysisInput, options: AnalysisOptions = {}): Promise<AnalysisResult> {
  try {
    return await analyse(input, options ?? {});
  } catch (err) {
    // Only reachable through a bug here: still an answer, not a crash.
    return { findings: [], predictions: [], skipped: [{ path: "*", reason: `analysis failed: ${errorMessage(err)}` }], stats: { files: 0, linesAnalyzed: 0 } };
  }
}

async function analyse(input: AnalysisInput, options: AnalysisOptions): Promise<AnalysisResult> {
  const maxPatchLines = options.maxPatchLines ?? DEFAULT_MAX_PATCH_LINES;
  const notReviewed = fileClassifier({ gitattributes: input?.gitattributes, ignore: options.ignore });
  const skipped: SkippedItem[] = [];
  const files: DiffFile[] = [];
  let linesAnalyzed = 0;

  const rawFiles: unknown[] = Array.isArray(input?.files) ? input.files : [];
  for (const raw of rawFiles) {
    const file = wellFormed(raw);
    if (!file) {
      const path = (raw as { path?: unknown } | null)?.path;
      skipped.push({ path: typeof path === "string" ? path : "?", reason: "malformed file entry: not analysed" });
      continue;
    }
    const reason = skipReason(file, maxPatchLines) ?? notReviewed(file, input?.fileContents?.get?.(file.path));
    if (reason) {
      skipped.push({ path: file.path, reason });
      // Kept without hunks: analysers still see it exists (file counts, test files changed).
      files.push({ ...file, hunks: [] });
      continue;
    }
    for (const h of file.hunks) for (const l of h.lines) if (l.kind !== "context") linesAnalyzed++;
    files.push(file);
  }

  const fileContents = input?.fileContents instanceof Map ? input.fileContents : undefined;
  const safeInput: AnalysisInput = { ...input, files, fileContents };
  const findings: Finding[] = [];
  const predictions: Prediction[] = [];
  const seenFindings = new Set<string>();
  const seenPredictions = new Set<string>();

  for (const analyzer of options.analyzers ?? defaultAnalyzers(options)) {
    try {
      const out = await analyzer.analyze(safeInput);
      for (const f of out.findings ?? []) {
        if (seenFindings.has(f.fingerprint)) continue;
        seenFindings.add(f.fingerprint);
        findings.push(f);
      }
      for (const p of out.predictions ?? []) {
        if (seenPredictions.has(p.id)) continue;
        seenPredictions.add(p.id);
        predictions.push(p);
      }
      skipped.push(...(out.skipped ?? []));
    } catch (err) {
      skipped.push({ path: "*", reason: `analyzer ${analyzer?.name ?? "?"} failed: ${errorMessage(err)}` });
    }
  }

  return { findings: quieter(findings, files, fileContents, options), predictions, skipped, stats: { files: rawFiles.length, linesAnalyzed } };
}
