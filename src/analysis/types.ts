/** Shapes shared by the diff parser, the rules, the predictors, the engine and the publishers. */

export const SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Categories that are security problems, in the order reports list them. */
export const SECURITY_CATEGORY_LIST = [
  "sql-injection",
  "command-injection",
  "code-injection",
  "xss",
  "path-traversal",
  "insecure-deserialization",
  "hardcoded-secret",
  "weak-crypto",
  "ssrf",
  "open-redirect",
  "insecure-tls",
  "insecure-randomness",
] as const;

/** Fixed vocabulary of finding categories; rules may only use these. */
export const CATEGORIES = [
  ...SECURITY_CATEGORY_LIST,
  "debug-leftover",
  "missing-tests",
  "breaking-change",
  "dependency-risk",
  "large-change",
] as const;
export type Category = (typeof CATEGORIES)[number];

export const SECURITY_CATEGORIES: ReadonlySet<Category> = new Set<Category>(SECURITY_CATEGORY_LIST);

export type Side = "LEFT" | "RIGHT";

export interface DiffLine {
  kind: "add" | "del" | "context";
  content: string;
  /** Line number in the old file (del and context lines). */
  oldLine?: number;
  /** Line number in the new file (add and context lines). */
  newLine?: number;
}

export interface DiffHunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  header: string;
  lines: DiffLine[];
}

export interface DiffFile {
  path: string;
  /** Previous path for renames. */
  oldPath?: string;
  status: "added" | "modified" | "removed" | "renamed";
  binary: boolean;
  /** True when GitHub sent no patch (too large, binary) or the diff had none. */
  patchMissing: boolean;
  additions: number;
  deletions: number;
  hunks: DiffHunk[];
}

export interface Finding {
  /** Rule id, e.g. "js/sql-injection". */
  rule: string;
  category: Category;
  path: string;
  line: number;
  side: Side;
  severity: Severity;
  /** 0..1 */
  confidence: number;
  /** Already redacted: never contains a secret. */
  message: string;
  recommendation: string;
  /** Stable across pushes and moves: hash of rule, path and normalised code. */
  fingerprint: string;
  /**
   * A mechanical fix, when one is certain (analysis/fixes): new-file lines `startLine`..`endLine`
   * (they include `line`) replaced by `replacement` ("\n"-separated). Never contains a secret.
   */
  suggestion?: { startLine: number; endLine: number; replacement: string };
}

export interface Prediction {
  /** Stable id derived from the fingerprint, e.g. "pred-3f2a9c1b". */
  id: string;
  /** Predictor kind, e.g. "migration-drop-column". */
  kind: string;
  /** What will break, for whom. Redacted. */
  prediction: string;
  confidence: number;
  severity: Severity;
  impact: string;
  tags: string[];
  recommendation: string;
  path: string;
  line: number;
  side: Side;
  fingerprint: string;
  /** What it is about beyond one file (a package name): one prediction per kind and subject per change. */
  subject?: string;
}

export interface SkippedItem {
  path: string;
  reason: string;
}

export interface AnalysisInput {
  files: DiffFile[];
  /** Whole contents of changed files at the head, when known (path -> text). */
  fileContents?: Map<string, string>;
  /** `.gitattributes` at the head, when known (linguist-generated / linguist-vendored). */
  gitattributes?: string;
  title?: string;
  body?: string;
}

export interface AnalysisResult {
  findings: Finding[];
  predictions: Prediction[];
  skipped: SkippedItem[];
  stats: { files: number; linesAnalyzed: number };
}

/** An analysis, and the exact secret values committed in the change (apart: the result stays safe to pass on). */
export interface AnalysisOutcome {
  result: AnalysisResult;
  /** For the review to hide wherever they appear; memory only, never stored or sent. */
  secretValues: string[];
}

export type AnalyzerOutput = Pick<AnalysisResult, "findings" | "predictions"> & {
  skipped?: SkippedItem[];
  /** The exact secret values behind its findings (the secrets analyser), for the review to hide; memory only. */
  secretValues?: string[];
};

/** A pluggable analyser: rules or predictors. It may be asynchronous (e.g. a detector library). */
export interface Analyzer {
  name: string;
  analyze(input: AnalysisInput): AnalyzerOutput | Promise<AnalyzerOutput>;
}

/** An analyser that answers at once (rules, predictors). */
export interface SyncAnalyzer extends Analyzer {
  analyze(input: AnalysisInput): AnalyzerOutput;
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}
