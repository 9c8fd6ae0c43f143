/**
 * Suggested changes: for a finding whose fix is mechanical, the exact new text of the lines it
 * is on, which a reviewer can commit in one click (GitHub's ```suggestion blocks). Pure: the
 * fixes read the new file's lines and nothing else, and suggest nothing unless they understand
 * the statement completely (one family per file here; scan.ts has the lexing they share).
 *
 * A suggestion replaces whole lines, keeps their indentation and everything around the changed
 * code as it was, covers the finding's line, and never contains a secret.
 */
import { redactSecrets } from "../secrets.js";
import type { Finding } from "../types.js";
import { fixCommand } from "./execFile.js";
import { fixInnerHtml } from "./textContent.js";
import { fixJsQuery, fixPyQuery } from "./queryParams.js";
import type { FixFamily } from "./scan.js";
import { fixYamlLoad } from "./safeLoad.js";

export type Suggestion = NonNullable<Finding["suggestion"]>;

/** Where a finding is: its rule and line, and the lines of the code the rule matched (default: the line). */
export interface FixSite {
  rule: string;
  line: number;
  startLine?: number;
  endLine?: number;
}

export interface FixInput {
  /** The matched lines, joined with "\n". */
  text: string;
  family: FixFamily;
  /** The whole new file (or the hunks' new side, gaps blank), for its imports. */
  fileText: () => string;
}

/** A fix: the new text of the matched lines, or undefined when it is not certain. */
export type Fixer = (input: FixInput) => string | undefined;

const FIXERS: Record<string, { family: FixFamily; fix: Fixer }> = {
  "py/unsafe-yaml": { family: "python", fix: fixYamlLoad },
  "py/sql-injection": { family: "python", fix: fixPyQuery },
  "js/command-injection": { family: "js", fix: fixCommand },
  "js/sql-injection": { family: "js", fix: fixJsQuery },
  "js/xss-dom": { family: "js", fix: fixInnerHtml },
};

/** Statements longer than this are not rewritten (a suggestion should be read at a glance). */
const MAX_LINES = 30;
const MAX_LINE_LENGTH = 1000;

const FAMILIES: Record<string, FixFamily> = { js: "js", javascript: "js", typescript: "js", tsx: "js", python: "python" };

const fileTexts = new WeakMap<readonly string[], string>();

/**
 * The suggestion for a finding, or undefined. `sourceLines` are the new file's lines (1-based
 * line n is `sourceLines[n - 1]`); `language` a language or family name ("python", "typescript").
 */
export function suggestFix(site: FixSite, sourceLines: readonly string[], language: string): Suggestion | undefined {
  const fixer = FIXERS[site.rule];
  const family = FAMILIES[language];
  if (!fixer || fixer.family !== family) return undefined;
  const start = site.startLine ?? site.line;
  const end = site.endLine ?? site.line;
  if (!(start >= 1 && start <= site.line && site.line <= end && end <= sourceLines.length && end - start < MAX_LINES)) return undefined;
  const old = sourceLines.slice(start - 1, end);
  // An empty line may be one the analysis blanked (minified, or a gap between hunks): its text is unknown.
  if (old.some((l) => l === "" || l.length > MAX_LINE_LENGTH || l.includes("\r"))) return undefined;
  const fileText = () => {
    let t = fileTexts.get(sourceLines);
    if (t === undefined) fileTexts.set(sourceLines, (t = sourceLines.join("\n")));
    return t;
  };
  let text: string | undefined;
  try {
    text = fixer.fix({ text: old.join("\n"), family, fileText });
  } catch {
    return undefined;
  }
  if (text === undefined) return undefined;
  const suggestion = changedLines(old, text.split("\n"), start, site.line);
  // A suggestion is committed as it is: one that would carry a secret is not made at all.
  if (!suggestion || redactSecrets(suggestion.replacement) !== suggestion.replacement) return undefined;
  return suggestion;
}

/** The smallest run of lines that differs, widened to include the finding's line. */
function changedLines(old: readonly string[], now: readonly string[], start: number, line: number): Suggestion | undefined {
  let head = 0;
  while (head < old.length && head < now.length && old[head] === now[head]) head++;
  if (head === old.length && head === now.length) return undefined;
  let tail = 0;
  while (tail < old.length - head && tail < now.length - head && old[old.length - 1 - tail] === now[now.length - 1 - tail]) tail++;
  let from = head;
  let oldTo = old.length - tail; // exclusive
  let newTo = now.length - tail;
  const at = line - start;
  if (at < from) from = at;
  if (at >= oldTo) {
    newTo += at + 1 - oldTo;
    oldTo = at + 1;
  }
  // A suggestion replaces at least one line with at least one line (an empty one would delete the code).
  if (oldTo <= from || newTo <= from) return undefined;
  return { startLine: start + from, endLine: start + oldTo - 1, replacement: now.slice(from, newTo).join("\n") };
}
