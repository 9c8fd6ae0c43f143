/**
 * CODEOWNERS, read like GitHub does: the first file found of `.github/CODEOWNERS`,
 * `CODEOWNERS`, `docs/CODEOWNERS` at the base branch; for each path the LAST matching pattern
 * wins, and a pattern with no owners leaves the path unowned.
 *
 * Patterns follow GitHub's gitignore-like syntax, matched by text/glob.ts (no regex built from
 * the file, at most pattern × path steps a match): a pattern without a slash (other than a
 * trailing one) matches at any depth, a leading or inner slash anchors it at the root, a pattern
 * naming a directory owns everything inside, and `dir/*` owns only the files directly in `dir`
 * (GitHub's documented difference from gitignore). Negation (`!`) and character ranges are not
 * supported by GitHub and are skipped.
 *
 * The file is the repository's, so its cost is bounded: the rules kept, a pattern's and an
 * owner's length, and the matching steps of one parsed file (past them nothing more matches:
 * the path has no owner, so no request is sent).
 */
import { gitPattern, gitPatternMatch, GlobBudget } from "../../text/glob.js";
import { readFileAt } from "../api/fileContents.js";
import type { Octokit, RepoRef } from "../api/types.js";

export const CODEOWNERS_LOCATIONS = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"] as const;
const MAX_BYTES = 3 * 1024 * 1024; // GitHub ignores a CODEOWNERS file larger than 3 MB
export const MAX_CODEOWNERS_RULES = 10_000;
export const MAX_PATTERN_LENGTH = 1_000;
/** An owner is a login (39), `@org/team` or an e-mail address (254): longer is not one, and not worth a regex. */
const MAX_OWNER_LENGTH = 300;
export const MATCH_BUDGET = 10_000_000;

export interface CodeownersRule {
  pattern: string;
  owners: string[];
  line: number;
  matches: (path: string) => boolean;
}

/** Parses a CODEOWNERS text; invalid lines (negations, ranges) are left out. */
export function parseCodeowners(text: string, budget = new GlobBudget(MATCH_BUDGET)): CodeownersRule[] {
  const rules: CodeownersRule[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length && rules.length < MAX_CODEOWNERS_RULES; i++) {
    const line = lines[i].replace(/(^|\s)#.*$/, "").trim();
    if (!line) continue;
    const parts = line.match(/(?:\\ |\S)+/g) ?? [];
    const [written, ...rest] = parts;
    if (!written || written.length > MAX_PATTERN_LENGTH || written.startsWith("!") || /\[.*\]/.test(written)) continue;
    const owners = rest.filter(
      (o) => o.length <= MAX_OWNER_LENGTH && (/^@[\w.-]+(\/[\w.-]+)?$/.test(o) || /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(o)),
    );
    const pattern = written.replace(/\\#/g, "#");
    // `dir/*` owns only what is directly in `dir`; any other pattern also owns what is inside a folder it names.
    const compiled = gitPattern(pattern, { escapes: true, recursive: !pattern.endsWith("/*") });
    if (!compiled) continue;
    rules.push({ pattern: written, owners, line: i + 1, matches: (path) => gitPatternMatch(compiled, path, budget) });
  }
  return rules;
}

/** The owners of one path: the last matching rule's (possibly none). */
export function ownersOf(rules: CodeownersRule[], path: string): string[] {
  for (let i = rules.length - 1; i >= 0; i--) if (rules[i].matches(path)) return rules[i].owners;
  return [];
}

/** Owner -> the paths it owns among `paths`, in first-seen order. */
export function ownersOfPaths(rules: CodeownersRule[], paths: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const path of paths) {
    for (const owner of ownersOf(rules, path)) out.set(owner, [...(out.get(owner) ?? []), path]);
  }
  return out;
}

/** The repository's CODEOWNERS at `ref` (a branch or commit), or undefined when it has none. */
export async function loadCodeowners(
  octokit: Octokit,
  ref: RepoRef,
  at: string,
): Promise<{ path: string; rules: CodeownersRule[] } | undefined> {
  for (const path of CODEOWNERS_LOCATIONS) {
    const text = await readFileAt(octokit, ref, path, at, MAX_BYTES);
    if (text !== undefined) return { path, rules: parseCodeowners(text) };
  }
  return undefined;
}
