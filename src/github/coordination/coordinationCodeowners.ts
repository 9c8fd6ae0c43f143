/**
 * CODEOWNERS, read like GitHub does: the first file found of `.github/CODEOWNERS`,
 * `CODEOWNERS`, `docs/CODEOWNERS` at the base branch; for each path the LAST matching pattern
 * wins, and a pattern with no owners leaves the path unowned.
 *
 * Patterns follow GitHub's gitignore-like syntax, matched with picomatch (a direct
 * dependency; `ignore` is only in node_modules through eslint, so not usable at run time):
 * a pattern without a slash (other than a trailing one) matches at any depth, a leading or
 * inner slash anchors it at the root, a pattern naming a directory owns everything inside,
 * and `dir/*` owns only the files directly in `dir` (GitHub's documented difference from
 * gitignore). Negation (`!`) and character ranges are not supported by GitHub and are skipped.
 */
import picomatch from "picomatch";
import { readFileAt } from "../api/fileContents.js";
import type { Octokit, RepoRef } from "../api/types.js";

export const CODEOWNERS_LOCATIONS = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"] as const;
const MAX_BYTES = 3 * 1024 * 1024; // GitHub ignores a CODEOWNERS file larger than 3 MB

export interface CodeownersRule {
  pattern: string;
  owners: string[];
  line: number;
  matches: (path: string) => boolean;
}

function globsFor(pattern: string): string[] {
  let p = pattern.replace(/\\#/g, "#").replace(/\\ /g, " ");
  const directoryOnly = p.endsWith("/");
  if (directoryOnly) p = p.slice(0, -1);
  const anchored = p.startsWith("/") || p.includes("/");
  if (p.startsWith("/")) p = p.slice(1);
  if (p === "" || p === "*" || p === "**") return ["**"];
  const base = anchored ? p : `**/${p}`;
  if (directoryOnly) return [`${base}/**`];
  if (p.endsWith("/*")) return [base];
  return [base, `${base}/**`];
}

/** Parses a CODEOWNERS text; invalid lines (negations, ranges) are left out. */
export function parseCodeowners(text: string): CodeownersRule[] {
  const rules: CodeownersRule[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (!line) return;
    const parts = line.match(/(?:\\ |\S)+/g) ?? [];
    const [pattern, ...rest] = parts;
    if (!pattern || pattern.startsWith("!") || /\[.*\]/.test(pattern)) return;
    const owners = rest.filter((o) => /^@[\w.-]+(\/[\w.-]+)?$/.test(o) || /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(o));
    const matcher = picomatch(globsFor(pattern), { dot: true });
    rules.push({ pattern, owners, line: i + 1, matches: (path) => matcher(path) });
  });
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
