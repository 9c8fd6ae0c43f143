/**
 * Just enough syntax for line rules: find a call's arguments, and tell a literal argument from a
 * built one. Rules stay regex-fast this way but do not flag `db.query("SELECT 1")` or a
 * parameterised query. Not a parser: strings, brackets and comments are tracked, nothing else.
 */
import type { Language } from "../paths.js";
import type { RuleContext } from "./types.js";

const OPEN = "([{";
const CLOSE = ")]}";

/** Index of the last character of the string starting at `i` (unterminated: end of text). */
export function skipString(text: string, i: number, lang: Language): number {
  const q = text[i];
  if (lang === "python" && text.startsWith(q + q + q, i)) {
    const end = text.indexOf(q + q + q, i + 3);
    return end < 0 ? text.length - 1 : end + 2;
  }
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j];
    if (c === "\\") {
      j++;
      continue;
    }
    if (c === q) return j;
    if (q === "`" && c === "$" && text[j + 1] === "{") j = skipBrackets(text, j + 1, lang);
    if (c === "\n" && q !== "`" && lang === "javascript") return j - 1; // unterminated line string
  }
  return text.length - 1;
}

/** If a string or comment starts at `i`, the index of its last character; otherwise -1. */
function skipNonCode(text: string, i: number, lang: Language): number {
  const c = text[i];
  if (c === '"' || c === "'" || (c === "`" && lang === "javascript")) return skipString(text, i, lang);
  if ((lang === "python" && c === "#") || (lang === "javascript" && c === "/" && text[i + 1] === "/")) {
    const nl = text.indexOf("\n", i);
    return nl < 0 ? text.length - 1 : nl - 1;
  }
  return -1;
}

/** `text` with the insides of strings and comments replaced by spaces; same length. */
export function blankNonCode(text: string, lang: Language): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const end = skipNonCode(text, i, lang);
    if (end < 0) continue;
    const isComment = text[i] === "#" || text[i] === "/";
    // Keep the quotes so `"..."` still reads as a string argument.
    out += text.slice(from, isComment ? i : i + 1) + " ".repeat(Math.max(0, isComment ? end - i + 1 : end - i - 1));
    from = isComment ? end + 1 : end;
    i = end;
  }
  return out + text.slice(from);
}

/** Index of the bracket matching the one at `open` (unbalanced: end of text). */
export function skipBrackets(text: string, open: number, lang: Language): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const skip = skipNonCode(text, i, lang);
    if (skip >= 0) {
      i = skip;
      continue;
    }
    const c = text[i];
    if (OPEN.includes(c)) depth++;
    else if (CLOSE.includes(c) && --depth === 0) return i;
  }
  return text.length - 1;
}

/** Net count of open brackets, ignoring strings and comments. */
export function bracketDepth(text: string, lang: Language): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const skip = skipNonCode(text, i, lang);
    if (skip >= 0) {
      i = skip;
      continue;
    }
    const c = text[i];
    if (OPEN.includes(c)) depth++;
    else if (CLOSE.includes(c)) depth--;
  }
  return depth;
}

/** Splits `text` on a top-level separator, outside strings and brackets. */
export function splitTopLevel(text: string, sep: string, lang: Language): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const skip = skipNonCode(text, i, lang);
    if (skip >= 0) {
      i = skip;
      continue;
    }
    const c = text[i];
    if (OPEN.includes(c)) depth++;
    else if (CLOSE.includes(c)) depth--;
    else if (c === sep && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** The arguments of the call whose "(" is at `open`. */
export function callArgs(text: string, open: number, lang: Language): string[] {
  const close = skipBrackets(text, open, lang);
  const inner = text.slice(open + 1, text[close] === ")" ? close : close + 1);
  const args = splitTopLevel(inner, ",", lang).map((a) => a.trim());
  while (args.length > 0 && args[args.length - 1] === "") args.pop();
  return args;
}

/** An expression starting at `start`, up to a top-level `,` `;` or an unmatched closing bracket. */
export function takeExpression(text: string, start: number, lang: Language): string {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const skip = skipNonCode(text, i, lang);
    if (skip >= 0) {
      i = skip;
      continue;
    }
    const c = text[i];
    if (OPEN.includes(c)) depth++;
    else if (CLOSE.includes(c)) {
      if (depth === 0) return text.slice(start, i).trim();
      depth--;
    } else if ((c === "," || c === ";") && depth === 0) return text.slice(start, i).trim();
  }
  return text.slice(start).trim();
}

const DECLARES = /\b(?:function|def)\s*\*?\s*$/;
const MODIFIERS_ONLY = /^\s*(?:(?:async|static|public|private|protected|override|get|set|export|default)\s+)*$/;

/**
 * Whether the "(" at `open` belongs to a declaration (`function exec(sql) {`, a method
 * `exec(sql) {`, `def eval(self):`) rather than a call.
 */
function isDeclaration(line: string, matchStart: number, open: number): boolean {
  const prefix = line.slice(0, matchStart);
  if (DECLARES.test(prefix)) return true;
  if (!MODIFIERS_ONLY.test(prefix)) return false;
  const close = skipBrackets(line, open, "javascript");
  return line[close] === ")" && /^\s*(?:\{|:\s*[\w<\[{(|])/.test(line.slice(close + 1));
}

/** Positions of the "(" of every call matching `re` (global, ending in `\(`) in `line`. */
export function openParens(re: RegExp, line: string): number[] {
  const out: number[] = [];
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) {
    const open = m.index + m[0].length - 1;
    if (!isDeclaration(line, m.index, open)) out.push(open);
    if (m[0].length === 0) re.lastIndex++;
  }
  return out;
}

/**
 * How an argument was built:
 * - literal: only string/number literals (safe to pass to a query or a shell);
 * - interpolated: a template / f-string / % / .format() with values spliced in;
 * - concatenated: `+` with at least one non-literal operand;
 * - dynamic: any other expression (a variable, a call): unknown origin;
 * - empty: no argument.
 */
export type ArgKind = "literal" | "interpolated" | "concatenated" | "dynamic" | "empty";

function unwrapParens(expr: string, lang: Language): string {
  let e = expr.trim();
  while (e.startsWith("(") && skipBrackets(e, 0, lang) === e.length - 1) e = e.slice(1, -1).trim();
  return e;
}

const NUMBER_OR_CONSTANT = /^(?:-?\d[\d_.eExXa-fA-F]*|true|false|null|undefined|None|True|False)$/;
const TEMPLATE_HOLE = /(?<!\\)\$\{/;
const PY_PREFIX = /^([rRbBuUfF]{0,2})(['"])/;
const F_HOLE = /(?<!\{)\{(?!\{)/;

/** Every element of a `[...]` or `(...)` list is literal. */
function literalList(e: string, lang: Language, literal: (p: string) => boolean): boolean {
  if (!((e.startsWith("[") && e.endsWith("]")) || (e.startsWith("(") && e.endsWith(")")))) return false;
  if (skipBrackets(e, 0, lang) !== e.length - 1) return false;
  return splitTopLevel(e.slice(1, -1), ",", lang)
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .every(literal);
}

function jsLiteral(part: string): "literal" | "template" | null {
  const p = part.trim();
  if (NUMBER_OR_CONSTANT.test(p)) return "literal";
  const q = p[0];
  if ((q === '"' || q === "'" || q === "`") && skipString(p, 0, "javascript") === p.length - 1) {
    return q === "`" && TEMPLATE_HOLE.test(p) ? "template" : "literal";
  }
  return null;
}

export function classifyJs(expr: string | undefined): ArgKind {
  if (expr === undefined) return "empty";
  const e = unwrapParens(expr, "javascript");
  if (e === "") return "empty";
  if (literalList(e, "javascript", (p) => jsLiteral(p) === "literal")) return "literal";
  const parts = splitTopLevel(e, "+", "javascript").filter((p) => p.trim() !== "");
  if (parts.length <= 1) {
    const k = jsLiteral(e);
    return k === "literal" ? "literal" : k === "template" ? "interpolated" : "dynamic";
  }
  const kinds = parts.map((p) => jsLiteral(unwrapParens(p, "javascript")));
  if (kinds.every((k) => k === "literal")) return "literal";
  return "concatenated";
}

/** Python literal kinds; "format" is a literal followed by `.format(`. */
function pyLiteral(part: string): "literal" | "fstring" | "format" | null {
  const p = part.trim();
  if (NUMBER_OR_CONSTANT.test(p)) return "literal";
  const m = PY_PREFIX.exec(p);
  if (!m) return null;
  const end = skipString(p, m[1].length, "python");
  const isF = /f/i.test(m[1]);
  if (end === p.length - 1) return isF && F_HOLE.test(p) ? "fstring" : "literal";
  if (/^\.format\s*\(/.test(p.slice(end + 1))) return "format";
  return null;
}

export function classifyPy(expr: string | undefined): ArgKind {
  if (expr === undefined) return "empty";
  const e = unwrapParens(expr, "python");
  if (e === "") return "empty";
  const isLit = (p: string) => pyLiteral(p) === "literal";
  if (literalList(e, "python", isLit)) return "literal";
  // "..." % values
  const pct = splitTopLevel(e, "%", "python");
  if (pct.length >= 2 && pyLiteral(pct[0]) === "literal") {
    // The values: one literal, or a tuple/list of literals.
    const rhs = unwrapParens(pct.slice(1).join("%"), "python");
    const items = splitTopLevel(rhs, ",", "python").map((x) => x.trim()).filter((x) => x !== "");
    return items.every(isLit) || literalList(rhs, "python", isLit) ? "literal" : "interpolated";
  }
  const parts = splitTopLevel(e, "+", "python").filter((p) => p.trim() !== "");
  if (parts.length <= 1) {
    const k = pyLiteral(e);
    return k === "literal" ? "literal" : k === null ? "dynamic" : "interpolated";
  }
  const kinds = parts.map((p) => pyLiteral(unwrapParens(p, "python")));
  if (kinds.every((k) => k === "literal")) return "literal";
  return "concatenated";
}

export function classify(expr: string | undefined, lang: Language): ArgKind {
  return lang === "python" ? classifyPy(expr) : classifyJs(expr);
}

/** "interpolated" or "concatenated": a value was spliced into the text. */
export function isBuilt(kind: ArgKind): boolean {
  return kind === "interpolated" || kind === "concatenated";
}

const SIMPLE_NAME = /^[A-Za-z_$][\w$]*$/;
const DECLARATION = /^(?:export\s+)?(?:const|let|var)\s+/;

const ASSIGNMENT_LOOKBACK = 200;

/**
 * The right-hand side of the nearest assignment to `name` above the line (within 200 lines), so
 * `const sql = \`...${id}\`; db.query(sql)` is seen. Undefined when there is none in view.
 */
export function assignedValue(ctx: RuleContext, name: string, lang: Language): string | undefined {
  const n = name.trim();
  if (!SIMPLE_NAME.test(n)) return undefined;
  for (let i = ctx.index - 1; i >= 0 && i >= ctx.index - ASSIGNMENT_LOOKBACK; i--) {
    let t = ctx.lines[i].trim();
    if (lang === "javascript") t = t.replace(DECLARATION, "");
    if (!t.startsWith(n)) continue;
    let rest = t.slice(n.length).trimStart();
    if (rest.startsWith(":") && lang === "javascript") rest = rest.replace(/^:[^=]*/, ""); // TS annotation
    if (!rest.startsWith("=") || rest.startsWith("==")) continue;
    let rhs = rest.slice(1);
    // The value may continue on the next lines (an open template or bracket).
    for (let j = i + 1; j < ctx.lines.length && j < i + 8 && (bracketDepth(rhs, lang) > 0 || oddBackticks(rhs, lang)); j++)
      rhs += "\n" + ctx.lines[j];
    return rhs.trim().replace(/;$/, "");
  }
  return undefined;
}

function oddBackticks(s: string, lang: Language): boolean {
  if (lang !== "javascript") return false;
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s[i] === "`" && s[i - 1] !== "\\") n++;
  return n % 2 === 1;
}

/** A name assigned a literal in view (`const YARN = "yarn"`) is as safe as the literal. */
function isConstant(part: string, ctx: RuleContext, lang: Language): boolean {
  const value = assignedValue(ctx, part.trim(), lang);
  return value !== undefined && classify(value, lang) === "literal";
}

/**
 * Classifies an argument, looking through plain variables to their assignments when in view:
 * `db.query(sql)` is as unsafe as the template `sql` was built from, and `CMD + " --version"`
 * is as safe as the constant CMD.
 */
export function classifyArg(arg: string | undefined, ctx: RuleContext, lang: Language): ArgKind {
  const kind = classify(arg, lang);
  if (arg === undefined) return kind;
  if (kind === "concatenated") {
    const parts = splitTopLevel(unwrapParens(arg, lang), "+", lang).filter((p) => p.trim() !== "");
    const literal = (p: string) => classify(p, lang) === "literal";
    return parts.every((p) => literal(p) || isConstant(p, ctx, lang)) ? "literal" : kind;
  }
  if (kind !== "dynamic") return kind;
  const value = assignedValue(ctx, arg, lang);
  if (value === undefined) return kind;
  const resolved = classify(value, lang);
  return resolved === "empty" ? kind : resolved;
}

/** The argument text or, for a plain variable, also its assigned value (for taint checks). */
export function argWithValue(arg: string | undefined, ctx: RuleContext, lang: Language): string {
  if (arg === undefined) return "";
  const value = assignedValue(ctx, arg, lang);
  return value === undefined ? arg : `${arg} ${value}`;
}
