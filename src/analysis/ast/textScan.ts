/**
 * Linear scans of a file's text that replace regexes once run per name (or per line) and so
 * quadratic on a file built for it. Each one gives exactly what the regex it replaces gives
 * (the regexes are quoted in the comments; test/analysis/ast/textScan.test.ts compares them on
 * random text).
 */

const WS = /\s/;
const isWord = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95; // \w
const isIdent = (c: number) => isWord(c) || c === 36; // [\w$]

/** The end of the run of characters `test` accepts that starts at `i`. */
function runEnd(text: string, i: number, test: (c: number) => boolean): number {
  while (i < text.length && test(text.charCodeAt(i))) i++;
  return i;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && WS.test(text[i])) i++;
  return i;
}

/** A dotted name starting where no name character is before it: `req.query.id` in `(req.query.id)`. */
const DOTTED_RUN = /(?<![\w$.])[\w$][\w$.]*/g;

/**
 * The dotted names a text may mention, each run with its prefixes: `req`, `req.query`,
 * `req.query.id` for `req.query.id`. A name of the form `a.b.c` matched by
 * `(?<![\w$.])a\.b\.c(?![\w$])` (or the taint engine's other checks, which all start that way
 * and go on with a character that is not `[\w$]`) is always one of them.
 */
export function dottedKeys(text: string, out: Set<string> = new Set()): Set<string> {
  for (const m of text.matchAll(DOTTED_RUN)) {
    const run = m[0];
    out.add(run);
    for (let i = run.indexOf("."); i > 0; i = run.indexOf(".", i + 1)) out.add(run.slice(0, i));
  }
  return out;
}

/** `name = <the value>`, where the value starts after the match. */
const ASSIGNED = /(?<![\w$.])([\w$]+)\??\s*[:=]\s*/g;

/**
 * Every pair `name\u0000Type` of plain names (`[A-Za-z_]\w*`) for which the taint engine's receiver
 * check, per pair,
 *   (?<![\w$.])NAME\??\s*[:=]\s*(?:new\s+|await\s+)?(?:[\w$]+\.)?TYPE\b|\bTYPE(?:<[^>\n]*>)?\s+NAME\b
 * matches the text: `svc = new FilesService()`, `svc: FilesService`, `FilesService svc`,
 * `List<Item> items`. One pass instead of one search per pair.
 */
export function declaredTypes(text: string): Set<string> {
  const out = new Set<string>();
  const word = (i: number) => text.slice(i, runEnd(text, i, isWord));
  for (const m of text.matchAll(ASSIGNED)) {
    const name = m[1];
    const at = m.index + m[0].length;
    const starts = [at];
    for (const keyword of ["new", "await"]) {
      if (text.startsWith(keyword, at) && WS.test(text[at + keyword.length] ?? "")) starts.push(skipSpace(text, at + keyword.length));
    }
    for (const s of starts) {
      const type = word(s);
      if (type) out.add(`${name}\u0000${type}`);
      // `pkg.Type`: the qualifier is one [\w$]+ before a dot
      const dot = runEnd(text, s, isIdent);
      if (dot > s && text[dot] === ".") {
        const qualified = word(dot + 1);
        if (qualified) out.add(`${name}\u0000${qualified}`);
      }
    }
  }
  // A type, maybe generic (`<` up to the first `>` on the line), whitespace, then the name.
  let close = 0; // the first `>` or newline after the last `<` looked at (only moves forward)
  let lastAfter = -1;
  let lastName = "";
  for (const m of text.matchAll(/\w+/g)) {
    const type = m[0];
    let j = m.index + type.length;
    if (text[j] === "<") {
      if (close <= j) {
        close = j + 1;
        while (close < text.length && text[close] !== ">" && text[close] !== "\n") close++;
      }
      if (text[close] !== ">") continue;
      j = close + 1;
    }
    if (!WS.test(text[j] ?? "")) continue;
    // Several types can end at the same `>` (`A<B<C> x`): the name after it is read once.
    if (j !== lastAfter) {
      lastAfter = j;
      lastName = word(skipSpace(text, j));
    }
    if (lastName) out.add(`${lastName}\u0000${type}`);
  }
  return out;
}

/**
 * The first `max` distinct names that
 *   /([A-Za-z_$][\w$]*)\s*(?::[^=\n]*)?=\s*[^\n;]*?(?:DEFINITION)/g
 * captures in `text` (`sh` in `const sh = promisify(exec)`), in one pass. Run as a regex, a line
 * of many `a: a: a:` or one long identifier made it backtrack quadratically.
 */
export function aliasNames(text: string, definition: string, max: number): string[] {
  const names = new Set<string>();
  // The definition's own backreferences would point elsewhere once it is compiled alone: use the regex then.
  if (/\\[1-9]|\\k</.test(definition)) {
    const def = new RegExp(`([A-Za-z_$][\\w$]*)\\s*(?::[^=\\n]*)?=\\s*[^\\n;]*?(?:${definition})`, "g");
    for (const m of text.matchAll(def)) {
      if (names.size >= max) break;
      names.add(m[1]);
    }
    return [...names];
  }
  // Where the definition matches, and how far (every start, overlapping ones too).
  const starts: number[] = [];
  const ends: number[] = [];
  const def = new RegExp(`(?:${definition})`, "g");
  for (let m = def.exec(text); m; m = def.exec(text)) {
    starts.push(m.index);
    ends.push(m.index + m[0].length);
    def.lastIndex = m.index + 1;
  }
  if (starts.length === 0) return [];
  const firstFrom = (pos: number) => {
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] < pos) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  // Pointers that only move forward: the first `=`/newline after a `:`, the first `;`/newline after a value's start.
  let eqOrNl = 0;
  let semiOrNl = 0;
  let lastEq = -1;
  let lastEnd = -1;
  /** Where the match whose `=` is at `eq` ends, or -1. */
  const afterEquals = (eq: number): number => {
    if (eq === lastEq) return lastEnd;
    lastEq = eq;
    // `\s*[^\n;]*?DEF`: the greedy spaces first, so the first definition from the value's start to
    // the end of its line (or a `;`), else the last one inside the spaces.
    const s = skipSpace(text, eq + 1);
    if (semiOrNl < s) semiOrNl = s;
    while (semiOrNl < text.length && text[semiOrNl] !== ";" && text[semiOrNl] !== "\n") semiOrNl++;
    let k = firstFrom(s);
    if (k < starts.length && starts[k] <= semiOrNl) return (lastEnd = ends[k]);
    k = firstFrom(s) - 1;
    if (k >= 0 && starts[k] >= eq + 1) return (lastEnd = ends[k]);
    return (lastEnd = -1);
  };
  const letter = /[A-Za-z_$]/g;
  let i = 0;
  while (i < text.length && names.size < max) {
    letter.lastIndex = i;
    const found = letter.exec(text);
    if (!found) break;
    const p = found.index;
    // Every start inside one [\w$] run has the same identifier end, so the same outcome.
    const end = runEnd(text, p, isIdent);
    const j = skipSpace(text, end);
    let eq = -1;
    if (text[j] === "=") eq = j;
    else if (text[j] === ":") {
      if (eqOrNl <= j) eqOrNl = j + 1;
      while (eqOrNl < text.length && text[eqOrNl] !== "=" && text[eqOrNl] !== "\n") eqOrNl++;
      if (text[eqOrNl] === "=") eq = eqOrNl;
    }
    const matchEnd = eq >= 0 ? afterEquals(eq) : -1;
    if (matchEnd >= 0) {
      names.add(text.slice(p, end));
      i = Math.max(matchEnd, p + 1);
    } else i = end;
  }
  return [...names];
}
