import { suggestFix, type Suggestion } from "../../../src/analysis/fixes/index.js";

/**
 * The suggestion for `rule` on `code` (lines joined with "\n"): at the first line containing
 * `marker`, over the lines `span` (1-based, inclusive; default: that line alone).
 */
export function suggest(
  rule: string,
  language: string,
  code: string[],
  marker: string,
  span?: [number, number],
  line?: number,
): Suggestion | undefined {
  const at = code.findIndex((l) => l.includes(marker)) + 1;
  if (at === 0) throw new Error(`marker not found: ${marker}`);
  const [startLine, endLine] = span ?? [at, at];
  return suggestFix({ rule, line: line ?? at, startLine, endLine }, code, language);
}

/** The file with the suggestion applied (what committing it on GitHub gives). */
export function applied(code: string[], s: Suggestion): string[] {
  return [...code.slice(0, s.startLine - 1), ...s.replacement.split("\n"), ...code.slice(s.endLine)];
}
