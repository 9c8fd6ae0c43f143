/**
 * Severity follows evidence. A rule states how bad its problem is when it is real; what the
 * analysis proved about the case at hand caps it: high and critical need request input proven
 * to reach the sink (secrets: a verified token format, see secretsAnalyzer.ts). A value of
 * unknown origin assembled into SQL or a command, or input the operator gives on the command
 * line, is worth a look (medium); a non-constant argument to `eval` with nothing known about it
 * is audit-level (low). Confidence caps it too: an unsure finding is never shown as high.
 */
import { severityRank, type Category, type Severity } from "./types.js";

export type Evidence =
  /** Request input (a web request, an event, the page URL) reaches the sink. */
  | "request-input"
  /** Command-line arguments, environment variables or files read by the program reach it. */
  | "local-input"
  /** A string assembled at runtime from values whose origin is not known. */
  | "assembled"
  /** Any value that is not a constant (audit-level sinks: eval, deserialisers). */
  | "non-constant"
  /** A code pattern: a weak algorithm, an insecure option. */
  | "pattern";

const CEILING: Record<Evidence, Severity> = {
  "request-input": "critical",
  "local-input": "medium",
  assembled: "medium",
  "non-constant": "medium",
  pattern: "medium",
};

/**
 * Where the general ceiling says too much. The operator's own input cannot traverse paths, forge
 * requests or redirect anyone but the operator; a non-constant string run as code or as a shell
 * command with nothing known of its origin is an audit item (rendering or deserialising a
 * non-constant value is not: the value is data by nature, and data comes from users).
 */
const LOWER: Partial<Record<Evidence, ReadonlySet<Category>>> = {
  "local-input": new Set<Category>(["path-traversal", "ssrf", "open-redirect", "xss"]),
  "non-constant": new Set<Category>(["code-injection", "command-injection"]),
};

function lower(a: Severity, b: Severity): Severity {
  return severityRank(a) <= severityRank(b) ? a : b;
}

export function severityFor(ruleSeverity: Severity, category: Category, evidence: Evidence, confidence: number): Severity {
  const ceiling = LOWER[evidence]?.has(category) ? "low" : CEILING[evidence];
  const byConfidence: Severity = confidence < 0.5 ? "low" : confidence < 0.7 ? "medium" : "critical";
  return lower(ruleSeverity, lower(ceiling, byConfidence));
}
