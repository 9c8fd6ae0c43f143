/**
 * Bounds on the work one file and one pull request may cause. The operator sets them in the
 * environment; a repository may lower them in `.github/empathy.yml`, never raise them.
 * The pre-check reads a text once, without parsing it, so a hostile file is turned away before
 * a parser or the taint engine ever sees it.
 */

export interface AnalysisLimits {
  /** UTF-8 bytes of one file's text that are analysed. */
  maxFileBytes: number;
  /** Characters in one line (minified or generated code has longer ones). */
  maxLineLength: number;
  /** Brackets or indentation levels nested inside each other. */
  maxNestingDepth: number;
  /** Analysis time for one file, in a worker, before it is stopped. */
  fileTimeBudgetMs: number;
  /** Analysis time for the whole pull request. */
  reviewTimeBudgetMs: number;
}

export const DEFAULT_LIMITS: Readonly<AnalysisLimits> = Object.freeze({
  maxFileBytes: 1_000_000,
  maxLineLength: 10_000,
  // Tree-sitter's Python scanner aborts the process at ~510 nested blocks; real code stays far below 100.
  maxNestingDepth: 200,
  fileTimeBudgetMs: 5_000,
  reviewTimeBudgetMs: 60_000,
});

/** The operator's limits, lowered (never raised) by what a repository asks for. */
export function lowerLimits(operator: AnalysisLimits, repository: Partial<AnalysisLimits> = {}): AnalysisLimits {
  const out = { ...operator };
  for (const key of Object.keys(out) as (keyof AnalysisLimits)[]) {
    const asked = repository[key];
    if (typeof asked === "number" && Number.isFinite(asked) && asked >= 0) out[key] = Math.min(out[key], asked);
  }
  return out;
}

/** Deepest nesting of brackets, and of indentation levels (Python, YAML), in one pass. */
export function nestingDepth(text: string, stopAbove = Number.MAX_SAFE_INTEGER): number {
  let brackets = 0;
  let deepest = 0;
  // Indentation widths of the enclosing blocks, as Python's tokenizer keeps them.
  const indents: number[] = [0];
  let atLineStart = true;
  let width = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      atLineStart = true;
      width = 0;
      continue;
    }
    if (atLineStart) {
      if (c === 32) {
        width++;
        continue;
      }
      if (c === 9) {
        width += 8 - (width % 8);
        continue;
      }
      if (c === 13) continue;
      atLineStart = false;
      while (indents.length > 1 && indents[indents.length - 1] > width) indents.pop();
      if (width > indents[indents.length - 1]) indents.push(width);
      if (indents.length - 1 > deepest) deepest = indents.length - 1;
    }
    // ( [ { and ) ] }: compared directly, this loop sees every character of every file.
    if (c === 40 || c === 91 || c === 123) {
      if (++brackets > deepest) deepest = brackets;
    } else if ((c === 41 || c === 93 || c === 125) && brackets > 0) brackets--;
    if (deepest > stopAbove) return deepest;
  }
  return deepest;
}

/** Why a text is not analysed under these limits, or undefined when it may be. */
export function precheckText(
  text: string,
  limits: Pick<AnalysisLimits, "maxFileBytes" | "maxLineLength" | "maxNestingDepth">,
): string | undefined {
  // Length first: a string's length bounds its UTF-8 size from below, so huge texts stop here cheaply.
  if (text.length > limits.maxFileBytes || Buffer.byteLength(text, "utf8") > limits.maxFileBytes) {
    return `not analysed: larger than ${limits.maxFileBytes.toLocaleString("en-US")} bytes`;
  }
  let lineStart = 0;
  for (;;) {
    const end = text.indexOf("\n", lineStart);
    const length = (end === -1 ? text.length : end) - lineStart;
    if (length > limits.maxLineLength) {
      return `not analysed: a line longer than ${limits.maxLineLength.toLocaleString("en-US")} characters (minified or generated code?)`;
    }
    if (end === -1) break;
    lineStart = end + 1;
  }
  if (nestingDepth(text, limits.maxNestingDepth) > limits.maxNestingDepth) {
    return `not analysed: nesting deeper than ${limits.maxNestingDepth} levels`;
  }
  return undefined;
}
