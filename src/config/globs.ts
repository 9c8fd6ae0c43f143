/**
 * The globs of `review.ignore_authors` and `paths` in `.github/empathy.yml`, matched without
 * regular expressions: a regex compiled from `*a*a*a*b` backtracks for minutes on a long name
 * (picomatch does), while these matchers take at most pattern × text steps.
 *
 * Syntax: `*` any run of characters (within one path segment for paths), `?` one character,
 * `**` as a whole path segment any number of segments; every other character is literal, so
 * `renovate[bot]` is the login `renovate[bot]`, not a character class.
 */

/**
 * `*` and `?` against a whole string. The classic greedy match with one backtrack point (the
 * last `*`): never exponential, O(pattern × text) at worst.
 */
export function wildcardMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1; // index in pattern of the last `*` seen
  let resume = 0; // where in text that `*`'s match ends, to extend it by one on a mismatch
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === "?" || (pattern[p] !== "*" && pattern[p] === text[t]))) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === "*") {
      star = p++;
      resume = t;
    } else if (star !== -1) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}

/** A path glob split into segments, ready to match repository paths. */
export interface PathGlob {
  glob: string;
  segments: string[];
  /** The characters before the first wildcard: how specific the glob is (see pathOverrides.ts). */
  literalPrefix: string;
}

/**
 * `./` and `/` at the start name the repository root: dropped. A trailing `/` names a folder, as
 * in `.gitignore`: `services/payments/` is `services/payments/**`.
 */
export function compilePathGlob(glob: string): PathGlob {
  const normalised = glob.replace(/^(?:\.?\/)+/, "").replace(/\/$/, "/**");
  const wildcard = normalised.search(/[*?]/);
  return {
    glob,
    segments: normalised.split("/"),
    literalPrefix: wildcard === -1 ? normalised : normalised.slice(0, wildcard),
  };
}

/**
 * A repository path (`services/payments/api.ts`) against a compiled glob. The same greedy
 * algorithm as wildcardMatch, one level up: `**` is the star, a segment glob the character.
 */
export function pathGlobMatch(glob: PathGlob, path: string): boolean {
  // Cheap, and it says no to most entries for most files. (`a/**` is what is inside `a/`, not `a`.)
  if (!path.startsWith(glob.literalPrefix)) return false;
  const pattern = glob.segments;
  const parts = path.split("/");
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < parts.length) {
    if (p < pattern.length && pattern[p] !== "**" && wildcardMatch(pattern[p], parts[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === "**") {
      star = p++;
      resume = t;
    } else if (star !== -1) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === "**") p++;
  return p === pattern.length;
}
