/** The shape of a rule that looks at one added line of a pull request. */
import type { Category, Severity } from "../types.js";
import type { Language } from "../paths.js";

export type { Language };

export interface RuleContext {
  path: string;
  /** Language of the file, undefined for files only the language-agnostic rules see. */
  language: Language | undefined;
  /** The added line's number in the new file (side RIGHT). */
  lineNumber: number;
  /** The added line's content. */
  line: string;
  /** The new file's lines: the whole file when known, otherwise the hunk's new side. */
  lines: readonly string[];
  /** Index of the added line in `lines`. */
  index: number;
  /** True when `lines` is the whole file. */
  wholeFile: boolean;
  /** The line joined with the following lines until its brackets balance (a call split over lines). */
  statement(): string;
  /**
   * The line with string contents and a trailing comment blanked out (same length, so offsets
   * still match `line` and `statement()`): find calls here, not in text that mentions them.
   */
  code(): string;
  /** `lines` joined; cached, for "does this file import X" checks. */
  text(): string;
}

/** A match may refine the rule's defaults for this occurrence. */
export interface RuleMatch {
  message?: string;
  confidence?: number;
  severity?: Severity;
}

export interface Rule {
  /** e.g. "js/sql-injection" */
  id: string;
  category: Category;
  severity: Severity;
  /** 0..1, default for matches that do not say otherwise. */
  confidence: number;
  /** "any": runs on every text file (secrets). */
  languages: readonly Language[] | "any";
  message: string;
  recommendation: string;
  match(line: string, ctx: RuleContext): boolean | RuleMatch | null | undefined;
}
