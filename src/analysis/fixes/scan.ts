/**
 * The small amount of lexing the fixes need (see index.ts): where strings, comments and brackets
 * end in JavaScript and Python text, a call's arguments, and strict parsers for the few
 * expression shapes a fix rewrites. Anything they do not recognise is `undefined`: a fix is only
 * suggested when the text is understood completely.
 */

export type FixFamily = "js" | "python";

export interface Span {
  start: number;
  end: number;
}

/** A simple value: a name and its members (`req.params.id`, `row["id"]`), no calls, no operators. */
const JS_PATH = /[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*|\[(?:\d+|"[^"\\\n]*"|'[^'\\\n]*')\])*/y;
const PY_PATH = /[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*|\[(?:\d+|"[^"\\\n]*"|'[^'\\\n]*')\])*/y;
const JS_KEYWORDS = new Set(["await", "new", "typeof", "void", "delete", "yield", "function", "class", "in", "instanceof"]);
const PY_KEYWORDS = new Set(["await", "not", "lambda", "yield", "in", "is", "and", "or", "if", "else", "for"]);

/** Whether `text` is exactly one simple value of the family (see JS_PATH). */
export function isSimplePath(text: string, family: FixFamily): boolean {
  const re = family === "js" ? JS_PATH : PY_PATH;
  re.lastIndex = 0;
  const m = re.exec(text);
  if (!m || m[0].length !== text.length) return false;
  const head = /^[A-Za-z_$][\w$]*/.exec(text)![0];
  return !(family === "js" ? JS_KEYWORDS : PY_KEYWORDS).has(head);
}

const PY_STRING_START = /([rRbBuUfF]{0,3})('''|"""|'|")/y;

/** Where a Python string literal starting at `i` (at its prefix or quote) ends, or -1. */
export function pyStringEnd(text: string, i: number): number {
  PY_STRING_START.lastIndex = i;
  const m = PY_STRING_START.exec(text);
  if (!m) return -1;
  const quote = m[2];
  for (let j = i + m[0].length; j < text.length; j++) {
    const c = text[j];
    if (c === "\\") {
      j++;
      continue;
    }
    if (quote.length === 1 && c === "\n") return -1;
    if (text.startsWith(quote, j)) return j + quote.length;
  }
  return -1;
}

/** Where a JavaScript string or template literal starting at `i` ends, or -1. */
export function jsStringEnd(text: string, i: number): number {
  const q = text[i];
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j];
    if (c === "\\") {
      j++;
      continue;
    }
    if (c === q) return j + 1;
    if (q !== "`" && c === "\n") return -1;
    if (q === "`" && c === "$" && text[j + 1] === "{") {
      const e = closeOf(text, j + 1, "js");
      if (e < 0) return -1;
      j = e - 1;
    }
  }
  return -1;
}

/**
 * Skips a string or comment starting at `i`: the index after it, `i` when there is none, or -1
 * when the text cannot be read with certainty (an unterminated string; in JavaScript a `/` that
 * is not a comment, since a regex literal and a division look alike without a parser).
 */
export function skipToken(text: string, i: number, family: FixFamily): number {
  const c = text[i];
  if (family === "js") {
    if (c === '"' || c === "'" || c === "`") return jsStringEnd(text, i);
    if (c === "/") {
      if (text[i + 1] === "/") {
        const nl = text.indexOf("\n", i);
        return nl < 0 ? text.length : nl;
      }
      if (text[i + 1] === "*") {
        const e = text.indexOf("*/", i + 2);
        return e < 0 ? -1 : e + 2;
      }
      return -1;
    }
    return i;
  }
  if (c === "#") {
    const nl = text.indexOf("\n", i);
    return nl < 0 ? text.length : nl;
  }
  if (c === '"' || c === "'") return pyStringEnd(text, i);
  if (/[rRbBuUfF]/.test(c) && !/[\w]/.test(text[i - 1] ?? "")) {
    PY_STRING_START.lastIndex = i;
    const m = PY_STRING_START.exec(text);
    if (m && m[1].length > 0) return pyStringEnd(text, i);
  }
  return i;
}

const OPEN: Record<string, string> = { "(": ")", "[": "]", "{": "}" };

/** The index after the bracket closing the one at `open`, or -1. */
export function closeOf(text: string, open: number, family: FixFamily): number {
  const stack: string[] = [OPEN[text[open]]];
  for (let i = open + 1; i < text.length; i++) {
    const skipped = skipToken(text, i, family);
    if (skipped < 0) return -1;
    if (skipped > i) {
      i = skipped - 1;
      continue;
    }
    const c = text[i];
    if (OPEN[c]) stack.push(OPEN[c]);
    else if (c === ")" || c === "]" || c === "}") {
      if (stack.pop() !== c) return -1;
      if (stack.length === 0) return i + 1;
    }
  }
  return -1;
}

export interface CallArgs {
  /** Each argument's span, without the whitespace around it. */
  args: Span[];
  /** The index of the closing parenthesis. */
  close: number;
  /** A comma after the last argument. */
  trailingComma: boolean;
}

/** The arguments of the call whose `(` is at `open`. */
export function callArgs(text: string, open: number, family: FixFamily): CallArgs | undefined {
  const args: Span[] = [];
  let from = open + 1;
  const push = (to: number) => {
    let s = from;
    let e = to;
    while (s < e && /\s/.test(text[s])) s++;
    while (e > s && /\s/.test(text[e - 1])) e--;
    args.push({ start: s, end: e });
  };
  for (let i = open + 1; i < text.length; i++) {
    const skipped = skipToken(text, i, family);
    if (skipped < 0) return undefined;
    if (skipped > i) {
      i = skipped - 1;
      continue;
    }
    const c = text[i];
    if (OPEN[c]) {
      const e = closeOf(text, i, family);
      if (e < 0) return undefined;
      i = e - 1;
    } else if (c === ",") {
      push(i);
      from = i + 1;
    } else if (c === ")") {
      push(i);
      let trailingComma = false;
      const last = args[args.length - 1];
      if (last.start === last.end) {
        args.pop();
        trailingComma = args.length > 0;
      }
      // A lone comma or an empty argument in the middle is no call we understand.
      if (args.some((a) => a.start === a.end)) return undefined;
      return { args, close: i, trailingComma };
    } else if (c === "]" || c === "}") return undefined;
  }
  return undefined;
}

/** Every match of a global regex in `text` (the fixes ask for exactly one). */
export function allMatches(text: string, re: RegExp): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push(m);
    if (m[0].length === 0) re.lastIndex++;
  }
  return out;
}

// --- JavaScript strings joined with `+` -------------------------------------------------------

/** One operand of a `+` chain: a plain string, a template literal, or a simple value. */
export type JsPart =
  | { kind: "string"; quote: "'" | '"'; /** the text between the quotes, as written */ raw: string; span: Span }
  | { kind: "template"; /** literal text around the holes, as written */ chunks: string[]; holes: string[]; span: Span }
  | { kind: "value"; text: string; span: Span };

/** Reads `text[span]` as operands joined by `+`, or undefined when it is anything else. */
export function parseJsConcat(text: string, span: Span): JsPart[] | undefined {
  const parts: JsPart[] = [];
  let i = span.start;
  const ws = () => {
    while (i < span.end && /\s/.test(text[i])) i++;
  };
  for (;;) {
    ws();
    if (i >= span.end) return undefined;
    const c = text[i];
    const start = i;
    if (c === '"' || c === "'") {
      const e = jsStringEnd(text, i);
      if (e < 0 || e > span.end) return undefined;
      parts.push({ kind: "string", quote: c, raw: text.slice(i + 1, e - 1), span: { start, end: e } });
      i = e;
    } else if (c === "`") {
      const t = parseTemplate(text, i, span.end);
      if (!t) return undefined;
      parts.push({ kind: "template", chunks: t.chunks, holes: t.holes, span: { start, end: t.end } });
      i = t.end;
    } else {
      JS_PATH.lastIndex = i;
      const m = JS_PATH.exec(text);
      if (!m || i + m[0].length > span.end || !isSimplePath(m[0], "js")) return undefined;
      parts.push({ kind: "value", text: m[0], span: { start, end: i + m[0].length } });
      i += m[0].length;
    }
    ws();
    if (i === span.end) return parts;
    if (text[i] !== "+" || text[i + 1] === "+" || text[i + 1] === "=") return undefined;
    i++;
  }
}

function parseTemplate(text: string, open: number, limit: number): { chunks: string[]; holes: string[]; end: number } | undefined {
  const chunks: string[] = [];
  const holes: string[] = [];
  let from = open + 1;
  for (let j = open + 1; j < limit; j++) {
    const c = text[j];
    if (c === "\\") {
      j++;
      continue;
    }
    if (c === "`") {
      chunks.push(text.slice(from, j));
      return { chunks, holes, end: j + 1 };
    }
    if (c === "$" && text[j + 1] === "{") {
      const e = closeOf(text, j + 1, "js");
      if (e < 0 || e > limit) return undefined;
      const hole = text.slice(j + 2, e - 1).trim();
      if (!isSimplePath(hole, "js")) return undefined;
      chunks.push(text.slice(from, j));
      holes.push(hole);
      from = e;
      j = e - 1;
    }
  }
  return undefined;
}

// --- SQL placeholders ---------------------------------------------------------------------------

/** SQL text before a value: a comparison (`id = `, `name LIKE `). */
const VALUE_BEFORE = /(?:[=<>]|\bi?like)\s*$/i;
/** SQL text after a value: nothing, a space, or the end of an expression. */
const VALUE_AFTER = /^(?:$|[\s),;])/;

/**
 * Puts `placeholder(i)` in place of each hole between `chunks` (literal SQL, as written), where
 * every hole is a value: after a comparison, alone (`= {x}` or `= '{x}'`, whose quotes go).
 * Undefined when a hole is anything else (a table name, part of a word, inside LIKE '%...%').
 */
export function placeValues(chunks: readonly string[], placeholder: (i: number) => string): string | undefined {
  const c = [...chunks];
  for (let i = 0; i < c.length - 1; i++) {
    let before = c[i];
    let after = c[i + 1];
    const q = /['"]$/.exec(before)?.[0];
    if (q && after.startsWith(q)) {
      before = before.slice(0, -1);
      after = after.slice(1);
    }
    if (!VALUE_BEFORE.test(before) || !VALUE_AFTER.test(after)) return undefined;
    // Two holes side by side (`= {a}{b}`) are one value made of two.
    if (after === "" && i + 1 < c.length - 1) return undefined;
    c[i] = before + placeholder(i);
    c[i + 1] = after;
  }
  return c.join("");
}
