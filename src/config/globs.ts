/**
 * The globs of `review.ignore_authors` and `paths` in `.github/empathy.yml`, matched by the
 * regex-free matcher of text/glob.ts (at most pattern × text steps: a regex compiled from
 * `*a*a*a*b` backtracks for minutes on a long name).
 *
 * Syntax: `*` any run of characters (within one path segment for paths), `?` one character,
 * `**` as a whole path segment any number of segments; every other character is literal, so
 * `renovate[bot]` is the login `renovate[bot]`, not a character class.
 */
import { compileGlob, globMatch, wildcardMatch as matchWildcard, type Glob, type GlobBudget } from "../text/glob.js";

/** `*` and `?` against a whole string (a login); `[` and `\` are literal. */
export function wildcardMatch(pattern: string, text: string): boolean {
  return matchWildcard(pattern, text);
}

/** A path glob compiled once, ready to match repository paths. */
export type PathGlob = Glob;

/**
 * `./` and `/` at the start name the repository root: dropped. A trailing `/` names a folder, as
 * in `.gitignore`: `services/payments/` is `services/payments/**`.
 */
export function compilePathGlob(glob: string): PathGlob {
  const normalised = glob.replace(/^(?:\.?\/)+/, "").replace(/\/$/, "/**");
  return { ...compileGlob(normalised), glob };
}

/** A repository path (`services/payments/api.ts`) against a compiled glob. */
export function pathGlobMatch(glob: PathGlob, path: string, budget?: GlobBudget): boolean {
  return globMatch(glob, path, budget);
}
