/**
 * The first stage of an analysis: every file of a change checked without parsing it (shape,
 * skip rules, size, line length, nesting), and the results of the analysers gathered, each once.
 * Kept apart from the analysers (analyze.ts) so that the serving process, which only prepares a
 * change and gathers what its workers found, never loads the parsers and the rules.
 */
import { DEFAULT_LIMITS, precheckText, type AnalysisLimits } from "./limits.js";
import { fileClassifier } from "./noise.js";
import type { AnalysisOptions } from "./analyze.js";
import type { AnalysisInput, AnalysisResult, AnalyzerOutput, DiffFile, Finding, Prediction, SkippedItem } from "./types.js";

export type PrecheckLimits = Pick<AnalysisLimits, "maxFileBytes" | "maxLineLength" | "maxNestingDepth">;

const DEFAULT_MAX_PATCH_LINES = 20_000;

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
