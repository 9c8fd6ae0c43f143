/**
 * Glob matching without regular expressions, for patterns a repository writes (`.gitattributes`,
 * CODEOWNERS, `.github/empathy.yml`). A regex compiled from `*a*a*a*a*b` backtracks for minutes on
 * a long name (picomatch's does); here one match takes at most pattern × text steps (the greedy
 * two-pointer algorithm, which only ever goes back to the last star), and a `GlobBudget` shared by
 * all the matches of one review caps their sum.
 *
 * Syntax, as git's wildmatch reads a path (gitignore(5), "PATTERN FORMAT"): `*` any run of
 * characters within one path segment, `?` one character but `/`, a whole segment `**` any number
 * of segments (`a/**` is what is inside `a`, not `a` itself), and `**` anywhere else a plain `*`.
 * With `classes`: `[abc]`, `[a-z]`, `[!x]`/`[^x]`, `[[:digit:]]`, never matching `/`; with `escapes`:
 * `\x` is the literal `x`. Without them `[` and `\` are literal (`renovate[bot]` is a login). A
 * malformed pattern (an unclosed `[`, a trailing `\`) matches nothing, as in git.
 */

/** Steps left for the matches of one job; once spent, every further match says no. */
export class GlobBudget {
  constructor(public remaining: number) {}

  get exhausted(): boolean {
    return this.remaining <= 0;
  }
}

export interface GlobSyntax {
  /** `[...]` is a character class (gitattributes); else `[` is literal. */
  classes?: boolean;
  /** `\` escapes the next character (gitattributes, CODEOWNERS); else `\` is literal. */
  escapes?: boolean;
}

const STAR = 0;
const ANY = 1;
interface CharClass {
  negate: boolean;
  /** Inclusive code-unit ranges. */
  ranges: Array<[number, number]>;
  named: Array<(c: number) => boolean>;
  /** Steps one test takes. */
  cost: number;
}
/** A literal character (a one-unit string), `*`, `?`, or a class. */
type Token = string | typeof STAR | typeof ANY | CharClass;

/** A path segment's tokens, or GLOBSTAR for a whole-segment `**`. */
const GLOBSTAR = "**" as const;
type Segment = Token[] | typeof GLOBSTAR;

export interface Glob {
  /** The pattern as written. */
  glob: string;
  segments: Segment[];
  /** The literal text before the first wildcard: a quick test, and how specific the glob is. */
  literalPrefix: string;
  /**
   * Characters and pairs of characters the pattern's literal runs hold (at most MAX_GRAMS): a
   * matching path holds them all. A test that takes as many steps as there are grams, whatever
   * the path's length (a native `includes` can take ten nanoseconds a character).
   */
  grams: number[];
  /** False for a malformed pattern, which matches nothing. */
  valid: boolean;
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isUpper = (c: number) => c >= 65 && c <= 90;
const isLower = (c: number) => c >= 97 && c <= 122;
const isAlpha = (c: number) => isUpper(c) || isLower(c);
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);
const isGraph = (c: number) => c > 32 && c < 127;
const NAMED: Record<string, (c: number) => boolean> = {
  alnum: (c) => isAlpha(c) || isDigit(c),
  alpha: isAlpha,
  blank: (c) => c === 32 || c === 9,
  cntrl: (c) => c < 32 || c === 127,
  digit: isDigit,
  graph: isGraph,
  lower: isLower,
  print: (c) => c >= 32 && c < 127,
  punct: (c) => isGraph(c) && !isAlpha(c) && !isDigit(c),
  space: isSpace,
  upper: isUpper,
  xdigit: (c) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102),
};

/**
 * A class starting at `pattern[start] === "["`: the class and the index after its `]`, or
 * undefined when it is not closed or names an unknown `[:class:]` (git: no match at all).
 */
function readClass(pattern: string, start: number, escapes: boolean): { cls: CharClass; end: number } | undefined {
  let i = start + 1;
  const cls: CharClass = { negate: false, ranges: [], named: [], cost: 1 };
  if (pattern[i] === "!" || pattern[i] === "^") {
    cls.negate = true;
    i++;
  }
  let first = true;
  while (i < pattern.length) {
    let ch = pattern[i];
    if (ch === "]" && !first) {
      cls.cost = 1 + cls.ranges.length + cls.named.length;
      return { cls, end: i + 1 };
    }
    first = false;
    if (ch === "[" && pattern[i + 1] === ":") {
      const close = pattern.indexOf(":]", i + 2);
      if (close === -1) return undefined;
      const test = NAMED[pattern.slice(i + 2, close)];
      if (!test) return undefined;
      cls.named.push(test);
      i = close + 2;
      continue;
    }
    if (ch === "\\" && escapes) {
      i++;
      if (i >= pattern.length) return undefined;
      ch = pattern[i];
    }
    const lo = ch.charCodeAt(0);
    i++;
    if (pattern[i] === "-" && i + 1 < pattern.length && pattern[i + 1] !== "]") {
      let hiCh = pattern[i + 1];
      i += 2;
      if (hiCh === "\\" && escapes) {
        if (i >= pattern.length) return undefined;
        hiCh = pattern[i++];
      }
      cls.ranges.push([lo, hiCh.charCodeAt(0)]);
    } else {
      cls.ranges.push([lo, lo]);
    }
  }
  return undefined;
}

function classHas(cls: CharClass, c: number): boolean {
  if (c === 47) return false; // never `/`
  let hit = false;
  for (const [lo, hi] of cls.ranges) if (c >= lo && c <= hi) hit = true;
  if (!hit) for (const test of cls.named) if (test(c)) hit = true;
  return hit !== cls.negate;
}

/**
 * Splits a pattern into segments (on `/`, escaped or not) and each segment into tokens, with the
 * source text of each segment (to tell a written `**` from `*`). `whole`: one segment, `/` literal.
 */
function tokenize(pattern: string, syntax: GlobSyntax, whole = false): { segments: Token[][]; sources: string[]; valid: boolean } {
  const segments: Token[][] = [[]];
  const sources = [""];
  let valid = true;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    const seg = segments[segments.length - 1];
    sources[sources.length - 1] += ch;
    if (ch === "/" && !whole) {
      sources[sources.length - 1] = sources[sources.length - 1].slice(0, -1);
      sources.push("");
      segments.push([]);
    } else if (ch === "*") {
      if (seg[seg.length - 1] !== STAR) seg.push(STAR);
    } else if (ch === "?") {
      seg.push(ANY);
    } else if (ch === "[" && syntax.classes) {
      const read = readClass(pattern, i, syntax.escapes ?? false);
      if (!read) {
        valid = false;
        break;
      }
      seg.push(read.cls);
      sources[sources.length - 1] += pattern.slice(i + 1, read.end);
      i = read.end - 1;
    } else if (ch === "\\" && syntax.escapes) {
      if (i + 1 >= pattern.length) {
        valid = false;
        break;
      }
      const next = pattern[++i];
      if (next === "/" && !whole) {
        sources[sources.length - 1] = sources[sources.length - 1].slice(0, -1);
        sources.push("");
        segments.push([]);
      } else {
        sources[sources.length - 1] += next;
        seg.push(next);
      }
    } else {
      seg.push(ch);
    }
  }
  return { segments, sources, valid };
}

/**
 * Compiles a pattern matched against a whole path from the root (no basename rule here: see
 * gitPattern). `**` as a whole segment: zero or more segments, but one or more at the end.
 */
export function compileGlob(pattern: string, syntax: GlobSyntax = {}): Glob {
  return buildGlob(pattern, syntax, false);
}

/** `orBelow`: the glob also matches everything below what it matches (a trailing zero-or-more `**`). */
function buildGlob(pattern: string, syntax: GlobSyntax, orBelow: boolean): Glob {
  const { segments: raw, sources, valid } = tokenize(pattern, syntax);
  const segments: Segment[] = [];
  raw.forEach((tokens, i) => {
    // `**` alone in a segment; `a**b` is `a*b` (already one STAR).
    if (sources[i] === "**") {
      if (segments[segments.length - 1] !== GLOBSTAR) segments.push(GLOBSTAR);
    } else {
      segments.push(tokens);
    }
  });
  // A trailing `**` is what is inside: at least one more segment.
  if (segments[segments.length - 1] === GLOBSTAR) segments.splice(segments.length - 1, 0, [STAR]);
  if (orBelow && segments[segments.length - 1] !== GLOBSTAR) segments.push(GLOBSTAR);
  return { glob: pattern, segments, literalPrefix: literalPrefixOf(segments), grams: gramsOf(segments), valid };
}

const MAX_GRAMS = 32;
/** A character `c` is `PAIR + c`, a pair `c1 c2` is `c1 * 65536 + c2`. */
const PAIR = 2 ** 32;

function gramsOf(segments: Segment[]): number[] {
  const grams = new Set<number>();
  for (const seg of segments) {
    if (seg === GLOBSTAR) continue;
    let prev = -1;
    for (const t of seg) {
      const c = typeof t === "string" ? t.charCodeAt(0) : -1;
      if (c !== -1) grams.add(PAIR + c);
      if (c !== -1 && prev !== -1) grams.add(prev * 65536 + c);
      prev = c;
    }
  }
  return [...grams].slice(0, MAX_GRAMS);
}

interface PathInfo {
  path: string;
  parts: string[];
  grams: Set<number>;
}

/** The last path's segments and grams: a job matches one path against all its patterns in turn. */
let lastPath: PathInfo | undefined;

function pathInfo(path: string, budget?: GlobBudget): PathInfo {
  if (lastPath?.path === path) return lastPath;
  if (budget) budget.remaining -= path.length;
  const grams = new Set<number>();
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    grams.add(PAIR + c);
    if (i > 0) grams.add(path.charCodeAt(i - 1) * 65536 + c);
  }
  return (lastPath = { path, parts: path.split("/"), grams });
}

function literalPrefixOf(segments: Segment[]): string {
  let prefix = "";
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    if (seg === GLOBSTAR) return prefix;
    for (const t of seg) {
      if (typeof t !== "string") return prefix;
      prefix += t;
    }
    // Before a zero-or-more `**` the path may end here (`a` matches `a/**`'s "a or below").
    if (i < segments.length - 1 && segments[i + 1] !== GLOBSTAR) prefix += "/";
    else return prefix;
  }
  return prefix;
}

/** One segment's tokens against one path segment (or a whole login): greedy, back to the last `*` only. */
function matchTokens(tokens: Token[], text: string, budget?: GlobBudget): boolean {
  let p = 0;
  let t = 0;
  let star = -1; // index in tokens of the last `*` seen
  let resume = 0; // where in text that `*`'s match ends, to extend it by one on a mismatch
  while (t < text.length) {
    const tok = p < tokens.length ? tokens[p] : undefined;
    // A class costs its ranges: the bound stays pattern × text characters.
    if (budget && (budget.remaining -= typeof tok === "object" ? tok.cost : 1) < 0) return false;
    if (
      tok !== undefined &&
      tok !== STAR &&
      (tok === ANY || (typeof tok === "string" ? tok === text[t] : classHas(tok, text.charCodeAt(t))))
    ) {
      p++;
      t++;
    } else if (tok === STAR) {
      star = p++;
      resume = t;
    } else if (star !== -1) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < tokens.length && tokens[p] === STAR) p++;
  return p === tokens.length;
}

/**
 * A repository path (`services/payments/api.ts`, no leading `/`) against a compiled glob. The same
 * greedy algorithm one level up: GLOBSTAR is the star, a segment's tokens the character. Each
 * (pattern segment, path segment) pair is tried at most once, so the whole is O(pattern × path).
 */
export function globMatch(glob: Glob, path: string, budget?: GlobBudget): boolean {
  if (!glob.valid || (budget && budget.exhausted)) return false;
  if (budget) budget.remaining -= 1 + glob.grams.length + (glob.literalPrefix.length >> 3);
  // Cheap, and they say no to most globs for most files.
  if (!path.startsWith(glob.literalPrefix)) return false;
  const info = pathInfo(path, budget);
  for (const g of glob.grams) if (!info.grams.has(g)) return false;
  const pattern = glob.segments;
  const parts = info.parts;
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < parts.length) {
    if (budget && --budget.remaining < 0) return false;
    const seg = p < pattern.length ? pattern[p] : undefined;
    if (seg !== undefined && seg !== GLOBSTAR && matchTokens(seg, parts[t], budget)) {
      p++;
      t++;
    } else if (seg === GLOBSTAR) {
      star = p++;
      resume = t;
    } else if (star !== -1) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === GLOBSTAR) p++;
  return p === pattern.length && !(budget && budget.remaining < 0);
}

/**
 * `*` and `?` against a whole string (a login), `*` crossing `/` too: the segment matcher on
 * the whole text. Without `syntax`, `[` and `\` are literal.
 */
export function wildcardMatch(pattern: string, text: string, syntax: GlobSyntax = {}, budget?: GlobBudget): boolean {
  const { segments, valid } = tokenize(pattern, syntax, true);
  return valid && matchTokens(segments[0], text, budget);
}

export interface GitPattern {
  /** The pattern as written. */
  pattern: string;
  glob: Glob;
}

export interface GitPatternOptions extends GlobSyntax {
  /**
   * Whether a pattern also covers what is below the paths it matches (a folder's files): the
   * CODEOWNERS rule, and the one this bot has always applied to `.gitattributes` (git itself does
   * not: `dir/ attr` sets nothing on `dir/file`). False: git's own rule, where a pattern with a
   * trailing `/` names a folder and so matches no file.
   */
  recursive: boolean;
}

/**
 * A `.gitattributes` / `.gitignore` / CODEOWNERS pattern: one with no `/` but a trailing one
 * matches a name at any depth; a leading or inner `/` anchors it at the root; a trailing `/`
 * names a folder. Undefined when it can match no file.
 */
export function gitPattern(pattern: string, options: GitPatternOptions): GitPattern | undefined {
  let p = pattern;
  const directory = p.endsWith("/") && !p.endsWith("\\/");
  if (directory) p = p.replace(/\/+$/, "");
  if (directory && !options.recursive) return undefined;
  const anchored = p.includes("/");
  p = p.replace(/^\/+/, "");
  if (p === "") return { pattern, glob: compileGlob("**", options) };
  const source = anchored ? p : `**/${p}`;
  // A folder: what is inside it, not a file of that name. Else, recursive: the path or anything below it.
  const glob = directory ? compileGlob(`${source}/**`, options) : buildGlob(source, options, options.recursive);
  return { pattern, glob };
}

/** Whether a repository path matches a compiled git pattern. */
export function gitPatternMatch(p: GitPattern, path: string, budget?: GlobBudget): boolean {
  return globMatch(p.glob, path, budget);
}
