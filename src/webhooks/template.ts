/**
 * Payload templates for outgoing webhooks.
 *
 * A template is any JSON value (objects, arrays, strings, numbers, booleans, null). Strings in it
 * may hold `{field}` placeholders with Python's `str.format` syntax, as in the event catalog's
 * examples: `"*Confidence:* {confidence:.0%}"`, `{value:.2f}`, `{n:,}`, `{name:>10}`,
 * `{name:*^12}`, `{n:08.3f}`, `{x:x}`, `{x:e}`... `{{` and `}}` are literal braces.
 *
 * - A string that is exactly one placeholder with no format spec and no conversion (`"{tags}"`)
 *   keeps the value's JSON type (array, number, object, boolean, null). Any other string renders
 *   to a string.
 * - Fields: `{name}`, `{a.b}` (object key), `{a[0]}` (array index), `{a[Some-Key]}` (object key
 *   with any characters), `{a.0}` (array index, a convenience). Only own properties are read.
 * - Conversions: `{x!s}` (the value's text) and `{x!r}` (its JSON text, e.g. quoted strings).
 * - Object keys are not templated: they are copied as they are.
 * - The result is a fresh JS value to `JSON.stringify`; values land in it as values, so quotes,
 *   newlines and unicode in event data are escaped by JSON.stringify, never concatenated into
 *   JSON text.
 *
 * The data a template renders against (see `eventTemplateData` / `batchTemplateData`): the event's
 * `data` fields plus the envelope's `id` and `timestamp` (a data field of the same name wins, e.g.
 * `level_4_prediction`'s own `timestamp`) and `event_type` (always the envelope's); for a batch: `events` (the array of
 * envelopes), `count`, `event_type` (shared by all events, else `"*"`), `timestamp` (the first
 * event's) and `id` when the caller gives one.
 *
 * Text of values inside strings (no spec, or a spec without a numeric type):
 * strings as they are; integer-valued numbers as Python ints (`1`, never `1.0`: JSON does not
 * distinguish 1 from 1.0); other numbers as Python's `repr(float)` (`0.1`, `1.5e-05`, `1e+16`);
 * booleans and null as JSON (`true`, `false`, `null`, not Python's `True`/`None`); arrays and
 * objects as compact JSON text.
 *
 * Format specs follow Python's mini-language `[[fill]align][sign][z][#][0][width][grouping][.precision][type]`
 * with its documented outputs (round-half-even on the exact binary value, as CPython does).
 * Departures, all because JS has one number type: an integer-valued number is an int for the
 * integer types (`d b o x X c`) and for no type or `n`, unless the spec has a precision or `z`:
 * then it is formatted as a float (Python would reject those for an int). Booleans are 1/0 under a numeric
 * type (as in Python), text `true`/`false` otherwise. Widths above 10,000 and precisions above
 * 1,000 are refused. Nested placeholders inside a spec (`{x:{w}}`) and locale (`n` groups
 * nothing) are not supported.
 *
 * Errors (`TemplateError`): a malformed placeholder or spec at compile time (a registration
 * error); at render time a missing field (`undefined`) or a value its spec cannot format (a
 * delivery error). Messages name the template path and the field, never the data's values.
 */

export type TemplatePathSegment = string | number;

export class TemplateError extends Error {
  override readonly name = "TemplateError";
  /** Where in the template, e.g. `payload_template.blocks[0].text`. */
  readonly templatePath: string;
  /** The same path as segments below the root label, e.g. `["blocks", 0, "text"]`. */
  readonly segments: readonly TemplatePathSegment[];
  /** The placeholder's field, when the error concerns one. */
  readonly field: string | undefined;
  /** The problem without the path prefix. */
  readonly detail: string;

  constructor(templatePath: string, segments: readonly TemplatePathSegment[], detail: string, field?: string) {
    super(`${templatePath}: ${detail}`);
    this.templatePath = templatePath;
    this.segments = segments;
    this.detail = detail;
    this.field = field;
  }
}

export interface CompiledTemplate {
  /** Every field the template reads, as written (normalised), in order of first use. */
  fields: string[];
  /** Renders against event data; throws TemplateError for a missing field. */
  render(data: Record<string, unknown>): unknown;
}

export interface CompileOptions {
  /** Label of the template's root in error messages; default `payload_template`. */
  root?: string;
}

export const MAX_WIDTH = 10_000;
export const MAX_PRECISION = 1_000;

// ---------------------------------------------------------------------------------------------
// Paths

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `root.key[0]["odd key"]`: the path notation of template and config errors. */
export function formatPath(root: string, segments: readonly TemplatePathSegment[]): string {
  let out = root;
  for (const seg of segments) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (IDENTIFIER.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Placeholder parsing

type FieldPart = { kind: "attr"; name: string } | { kind: "item"; key: string | number };

interface FieldRef {
  text: string;
  parts: FieldPart[];
}

export interface FormatSpec {
  fill: string | undefined;
  align: "<" | ">" | "=" | "^" | undefined;
  sign: "+" | "-" | " " | undefined;
  z: boolean;
  alt: boolean;
  zero: boolean;
  width: number | undefined;
  grouping: "," | "_" | undefined;
  precision: number | undefined;
  type: string | undefined;
}

interface Placeholder {
  raw: string;
  field: FieldRef;
  conversion: "s" | "r" | undefined;
  /** Undefined when the placeholder has no `:`. */
  spec: FormatSpec | undefined;
}

type Piece = string | Placeholder;

class SyntaxProblem extends Error {}

const FIELD_STOP = new Set([".", "[", "]", "{", "}", "!", ":"]);

function parseField(text: string): FieldRef {
  if (text === "") throw new SyntaxProblem("no field name (write {prediction}; for a literal brace write {{ or }})");
  if (/\s/.test(text)) throw new SyntaxProblem("whitespace in a field name (for a literal brace write {{ or }})");
  const parts: FieldPart[] = [];
  let i = 0;
  const readName = (): string => {
    let j = i;
    while (j < text.length && !FIELD_STOP.has(text[j])) j++;
    const name = text.slice(i, j);
    i = j;
    return name;
  };
  const first = readName();
  if (first === "") throw new SyntaxProblem(`field "${text}" must start with a name`);
  parts.push({ kind: "attr", name: first });
  let normalized = first;
  while (i < text.length) {
    const c = text[i];
    if (c === ".") {
      i++;
      const name = readName();
      if (name === "") throw new SyntaxProblem(`field "${text}" has an empty name after "."`);
      parts.push({ kind: "attr", name });
      normalized += `.${name}`;
    } else if (c === "[") {
      const close = text.indexOf("]", i + 1);
      if (close === -1) throw new SyntaxProblem(`field "${text}" has "[" without "]"`);
      const inner = text.slice(i + 1, close);
      if (inner === "") throw new SyntaxProblem(`field "${text}" has an empty index []`);
      if (inner.includes("[")) throw new SyntaxProblem(`field "${text}" has a nested "["`);
      parts.push({ kind: "item", key: /^\d+$/.test(inner) ? Number(inner) : inner });
      normalized += `[${inner}]`;
      i = close + 1;
    } else {
      throw new SyntaxProblem(`field "${text}" has an unexpected "${c}"`);
    }
  }
  return { text: normalized, parts };
}

const SPEC_RE = /^(?:([\s\S])?([<>=^]))?([-+ ])?(z)?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/u;
const INT_TYPES = "bcdoxX";
const FLOAT_TYPES = "eEfFgG%";

export function parseFormatSpec(text: string): FormatSpec {
  const m = SPEC_RE.exec(text);
  if (!m) {
    const last = text.slice(-1);
    if (/[A-Za-z]/.test(last) && !"bcdeEfFgGnosxX".includes(last)) throw new SyntaxProblem(`unknown format type "${last}" in spec "${text}"`);
    if (/\.(?!\d)/.test(text)) throw new SyntaxProblem(`format spec "${text}" is missing its precision after "."`);
    throw new SyntaxProblem(`invalid format spec "${text}"`);
  }
  const spec: FormatSpec = {
    fill: m[1],
    align: m[2] as FormatSpec["align"],
    sign: m[3] as FormatSpec["sign"],
    z: m[4] !== undefined,
    alt: m[5] !== undefined,
    zero: m[6] !== undefined,
    width: m[7] !== undefined ? Number(m[7]) : undefined,
    grouping: m[8] as FormatSpec["grouping"],
    precision: m[9] !== undefined ? Number(m[9]) : undefined,
    type: m[10],
  };
  if (spec.width !== undefined && spec.width > MAX_WIDTH) throw new SyntaxProblem(`format spec "${text}": width above ${MAX_WIDTH}`);
  if (spec.precision !== undefined && spec.precision > MAX_PRECISION) {
    throw new SyntaxProblem(`format spec "${text}": precision above ${MAX_PRECISION}`);
  }
  const t = spec.type;
  if (t !== undefined && INT_TYPES.includes(t) && spec.precision !== undefined) {
    throw new SyntaxProblem(`format spec "${text}": precision is not allowed with integer type "${t}"`);
  }
  if (t === "c") {
    if (spec.sign) throw new SyntaxProblem(`format spec "${text}": sign is not allowed with type "c"`);
    if (spec.alt) throw new SyntaxProblem(`format spec "${text}": "#" is not allowed with type "c"`);
  }
  if (spec.grouping && t !== undefined && (t === "c" || t === "n" || t === "s" || (spec.grouping === "," && "boxX".includes(t)))) {
    throw new SyntaxProblem(`format spec "${text}": "${spec.grouping}" cannot be used with type "${t}"`);
  }
  if (t === "s") {
    if (spec.sign) throw new SyntaxProblem(`format spec "${text}": sign is not allowed with type "s"`);
    if (spec.alt) throw new SyntaxProblem(`format spec "${text}": "#" is not allowed with type "s"`);
    if (spec.align === "=") throw new SyntaxProblem(`format spec "${text}": "=" alignment is not allowed with type "s"`);
  }
  if (spec.z && t !== undefined && !FLOAT_TYPES.includes(t) && t !== "n") {
    throw new SyntaxProblem(`format spec "${text}": "z" is only allowed with floating-point types`);
  }
  return spec;
}

/** Splits a template string into literal text and placeholders (Python str.format syntax). */
function parseTemplateString(s: string): Piece[] {
  const pieces: Piece[] = [];
  let literal = "";
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === "{") {
      if (s[i + 1] === "{") {
        literal += "{";
        i += 2;
        continue;
      }
      // Find the end of the field (":" and "!" inside [...] belong to the field name).
      let j = i + 1;
      let bracket = false;
      let fieldEnd = -1;
      while (j < s.length) {
        const d = s[j];
        if (fieldEnd === -1 && d === "[") bracket = true;
        else if (fieldEnd === -1 && d === "]") bracket = false;
        else if (!bracket && (d === ":" || d === "!") && fieldEnd === -1) fieldEnd = j;
        else if (d === "{") {
          throw new SyntaxProblem(
            fieldEnd !== -1 && s[fieldEnd] === ":"
              ? `nested placeholders in a format spec are not supported: "${s.slice(i, s.indexOf("}", j) + 1 || s.length)}"`
              : `unexpected "{" inside placeholder "${s.slice(i, j + 1)}" (for a literal brace write {{)`,
          );
        }
        if (d === "}" && !bracket) break;
        j++;
      }
      if (j >= s.length) throw new SyntaxProblem(`unclosed placeholder "${s.slice(i)}" (for a literal brace write {{)`);
      const raw = s.slice(i, j + 1);
      const inner = s.slice(i + 1, j);
      const end = fieldEnd === -1 ? inner.length : fieldEnd - i - 1;
      const fieldText = inner.slice(0, end);
      let rest = inner.slice(end);
      let field: FieldRef;
      try {
        field = parseField(fieldText);
      } catch (err) {
        if (err instanceof SyntaxProblem) throw new SyntaxProblem(`placeholder "${raw}": ${err.message}`);
        throw err;
      }
      let conversion: Placeholder["conversion"];
      if (rest.startsWith("!")) {
        const conv = rest.slice(1, rest.indexOf(":") === -1 ? undefined : rest.indexOf(":"));
        if (conv !== "s" && conv !== "r") {
          throw new SyntaxProblem(`placeholder "${raw}": conversion "!${conv}" is not supported (use !s or !r)`);
        }
        conversion = conv;
        rest = rest.slice(1 + conv.length);
      }
      let spec: FormatSpec | undefined;
      if (rest.startsWith(":")) {
        try {
          spec = parseFormatSpec(rest.slice(1));
        } catch (err) {
          if (err instanceof SyntaxProblem) throw new SyntaxProblem(`placeholder "${raw}": ${err.message}`);
          throw err;
        }
      } else if (rest !== "") {
        throw new SyntaxProblem(`malformed placeholder "${raw}"`);
      }
      if (literal !== "") pieces.push(literal);
      literal = "";
      pieces.push({ raw, field, conversion, spec });
      i = j + 1;
    } else if (c === "}") {
      if (s[i + 1] === "}") {
        literal += "}";
        i += 2;
        continue;
      }
      throw new SyntaxProblem(`single "}" at character ${i + 1} (for a literal brace write }})`);
    } else {
      literal += c;
      i++;
    }
  }
  if (literal !== "") pieces.push(literal);
  return pieces;
}

// ---------------------------------------------------------------------------------------------
// Compilation

type Node =
  | { kind: "const"; value: string | number | boolean | null }
  | { kind: "string"; pieces: Piece[]; segments: TemplatePathSegment[] }
  | { kind: "exact"; placeholder: Placeholder; segments: TemplatePathSegment[] }
  | { kind: "array"; items: Node[] }
  | { kind: "object"; entries: [string, Node][] };

export function compileTemplate(template: unknown, options: CompileOptions = {}): CompiledTemplate {
  const root = options.root ?? "payload_template";
  const fields: string[] = [];
  const seenFields = new Set<string>();
  const ancestors = new Set<object>();

  const compile = (value: unknown, segments: TemplatePathSegment[]): Node => {
    const fail = (detail: string): never => {
      throw new TemplateError(formatPath(root, segments), segments, detail);
    };
    if (value === null || typeof value === "boolean") return { kind: "const", value };
    if (typeof value === "number") {
      if (!Number.isFinite(value)) fail("numbers in a template must be finite");
      return { kind: "const", value };
    }
    if (typeof value === "string") {
      let pieces: Piece[] = [];
      try {
        pieces = parseTemplateString(value);
      } catch (err) {
        if (err instanceof SyntaxProblem) fail(err.message);
        throw err;
      }
      for (const piece of pieces) {
        if (typeof piece !== "string" && !seenFields.has(piece.field.text)) {
          seenFields.add(piece.field.text);
          fields.push(piece.field.text);
        }
      }
      const [only] = pieces;
      if (pieces.length === 0) return { kind: "const", value: "" };
      if (pieces.length === 1 && typeof only === "string") return { kind: "const", value: only };
      if (pieces.length === 1 && typeof only !== "string" && only.spec === undefined && only.conversion === undefined) {
        return { kind: "exact", placeholder: only, segments };
      }
      return { kind: "string", pieces, segments };
    }
    if (typeof value === "object") {
      if (ancestors.has(value)) fail("the template refers to itself (a cycle)");
      ancestors.add(value);
      try {
        if (Array.isArray(value)) {
          return { kind: "array", items: value.map((item, i) => compile(item, [...segments, i])) };
        }
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) fail("a template object must be a plain JSON object");
        return {
          kind: "object",
          entries: Object.keys(value).map((key) => [key, compile((value as Record<string, unknown>)[key], [...segments, key])]),
        };
      } finally {
        ancestors.delete(value);
      }
    }
    return fail(`a template must be JSON (found ${typeof value})`);
  };

  const tree = compile(template, []);

  const render = (data: Record<string, unknown>): unknown => {
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
      throw new TemplateError(root, [], "event data must be an object");
    }
    return renderNode(tree, data, root);
  };
  return { fields, render };
}

function renderNode(node: Node, data: Record<string, unknown>, root: string): unknown {
  switch (node.kind) {
    case "const":
      return node.value;
    case "exact":
      return toJsonValue(lookup(node.placeholder, data, root, node.segments), node.placeholder, root, node.segments);
    case "string": {
      let out = "";
      for (const piece of node.pieces) {
        if (typeof piece === "string") out += piece;
        else out += renderPlaceholder(piece, lookup(piece, data, root, node.segments), root, node.segments);
      }
      return out;
    }
    case "array":
      return node.items.map((item) => renderNode(item, data, root));
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [key, child] of node.entries) {
        const value = renderNode(child, data, root);
        if (key === "__proto__") Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
        else out[key] = value;
      }
      return out;
    }
  }
}

function lookup(ph: Placeholder, data: Record<string, unknown>, root: string, segments: TemplatePathSegment[]): unknown {
  let current: unknown = data;
  for (const part of ph.field.parts) {
    current = step(current, part);
    if (current === undefined) {
      throw new TemplateError(formatPath(root, segments), segments, `field "${ph.field.text}" is missing from event data`, ph.field.text);
    }
  }
  return current;
}

function step(container: unknown, part: FieldPart): unknown {
  if (container === null || typeof container !== "object") return undefined;
  let key: string | number = part.kind === "attr" ? part.name : part.key;
  if (Array.isArray(container)) {
    if (typeof key === "string") {
      if (!/^\d+$/.test(key)) return undefined;
      key = Number(key);
    }
    return key < container.length ? container[key] : undefined;
  }
  const name = String(key);
  return Object.prototype.hasOwnProperty.call(container, name) ? (container as Record<string, unknown>)[name] : undefined;
}

/** A fresh JSON-safe copy (Dates as ISO strings, bigints as numbers or strings, no undefined). */
function toJsonValue(value: unknown, ph: Placeholder, root: string, segments: TemplatePathSegment[]): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  try {
    const text = JSON.stringify(value, jsonReplacer);
    return text === undefined ? null : JSON.parse(text);
  } catch {
    throw new TemplateError(formatPath(root, segments), segments, `field "${ph.field.text}" cannot be serialised as JSON`, ph.field.text);
  }
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  return value;
}

function renderPlaceholder(ph: Placeholder, value: unknown, root: string, segments: TemplatePathSegment[]): string {
  try {
    if (ph.conversion === "r") value = jsonText(value);
    else if (ph.conversion === "s") value = valueText(value);
    return ph.spec === undefined ? valueText(value) : formatValue(value, ph.spec);
  } catch (err) {
    if (err instanceof SyntaxProblem) {
      throw new TemplateError(formatPath(root, segments), segments, `placeholder "${ph.raw}": ${err.message}`, ph.field.text);
    }
    if (err instanceof TypeError) {
      throw new TemplateError(formatPath(root, segments), segments, `field "${ph.field.text}" cannot be serialised as JSON`, ph.field.text);
    }
    throw err;
  }
}

function jsonText(value: unknown): string {
  if (typeof value === "number" && !Number.isFinite(value)) return "null";
  return JSON.stringify(value, jsonReplacer) ?? "null";
}

/** The text of a value where it lands inside a string (see the module comment). */
export function valueText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number") return Number.isInteger(value) ? intText(value) : floatRepr(value);
  if (typeof value === "bigint") return value.toString();
  return jsonText(value);
}

function intText(x: number): string {
  return Math.abs(x) < 1e21 ? String(x === 0 ? 0 : x) : BigInt(x).toString();
}

// ---------------------------------------------------------------------------------------------
// Python format-spec mini-language

/** Formats one value with a parsed spec, as Python's `format(value, spec)` does. */
export function formatValue(value: unknown, spec: FormatSpec): string {
  const t = spec.type;
  const numericType = t !== undefined && t !== "s";
  if (typeof value === "boolean" && numericType) value = value ? 1 : 0;
  if (typeof value === "number" || typeof value === "bigint") {
    if (t === "s") throw new SyntaxProblem(`format type "s" needs a string, got a number`);
    return formatNumber(value, spec);
  }
  if (numericType) {
    throw new SyntaxProblem(`format type "${t}" needs a number, got ${describe(value)}`);
  }
  return formatString(typeof value === "string" ? value : valueText(value), spec);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

function codePoints(s: string): string[] {
  return Array.from(s);
}

function formatString(s: string, spec: FormatSpec): string {
  if (spec.sign) throw new SyntaxProblem("a sign is not allowed for a string value");
  if (spec.alt) throw new SyntaxProblem(`"#" is not allowed for a string value`);
  if (spec.align === "=") throw new SyntaxProblem(`"=" alignment is not allowed for a string value`);
  if (spec.grouping) throw new SyntaxProblem(`"${spec.grouping}" is not allowed for a string value`);
  if (spec.z) throw new SyntaxProblem(`"z" is not allowed for a string value`);
  let chars = codePoints(s);
  if (spec.precision !== undefined && chars.length > spec.precision) chars = chars.slice(0, spec.precision);
  const fill = spec.fill ?? (spec.zero ? "0" : " ");
  return pad(chars.join(""), chars.length, spec.width, spec.align ?? "<", fill);
}

function pad(body: string, length: number, width: number | undefined, align: "<" | ">" | "^" | "=", fill: string): string {
  if (width === undefined || length >= width) return body;
  const n = width - length;
  if (align === "<") return body + fill.repeat(n);
  if (align === ">") return fill.repeat(n) + body;
  const left = Math.floor(n / 2);
  return fill.repeat(left) + body + fill.repeat(n - left);
}

interface NumberParts {
  negative: boolean;
  prefix: string;
  /** Integer digits, to be grouped (or "inf"/"nan", never grouped). */
  digits: string;
  /** Everything after the integer digits: fraction, exponent, "%". */
  rest: string;
  groupable: boolean;
}

function formatNumber(value: number | bigint, spec: FormatSpec): string {
  let t = spec.type;
  const isInt = typeof value === "bigint" || Number.isInteger(value);
  let parts: NumberParts;
  // An integer-valued number is a Python int unless the spec asks for what only floats have.
  const asInt = isInt && spec.precision === undefined && !spec.z;
  if (t === undefined && asInt) t = "d";
  if (t === "n") t = asInt ? "d" : "g";
  if (t !== undefined && INT_TYPES.includes(t)) {
    if (!isInt) throw new SyntaxProblem(`format type "${t}" needs an integer, got a number with a fraction`);
    parts = formatInteger(typeof value === "bigint" ? value : BigInt(value), t, spec);
  } else {
    parts = formatFloat(typeof value === "bigint" ? Number(value) : value, t, spec);
  }
  return assemble(parts, spec, t);
}

function formatInteger(n: bigint, t: string, spec: FormatSpec): NumberParts {
  const negative = n < 0n;
  const abs = negative ? -n : n;
  if (t === "c") {
    if (abs > 0x10ffffn || negative) throw new SyntaxProblem("format type \"c\" needs a code point from 0 to 0x10FFFF");
    return { negative: false, prefix: "", digits: String.fromCodePoint(Number(abs)), rest: "", groupable: false };
  }
  const radix = t === "b" ? 2 : t === "o" ? 8 : t === "x" || t === "X" ? 16 : 10;
  let digits = abs.toString(radix);
  if (t === "X") digits = digits.toUpperCase();
  const prefix = spec.alt && radix !== 10 ? `0${t}` : "";
  return { negative, prefix, digits, rest: "", groupable: true };
}

function formatFloat(x: number, t: string | undefined, spec: FormatSpec): NumberParts {
  if (t === "%") x *= 100; // in double arithmetic, as CPython does
  let negative = x < 0 || Object.is(x, -0);
  const v = Math.abs(x);
  const upper = t === "E" || t === "F" || t === "G";
  if (!Number.isFinite(v)) {
    const word = Number.isNaN(v) ? "nan" : "inf";
    if (Number.isNaN(v)) negative = false;
    return { negative, prefix: "", digits: upper ? word.toUpperCase() : word, rest: t === "%" ? "%" : "", groupable: false };
  }
  let digits: string;
  let rest: string;
  switch (t) {
    case "f":
    case "F":
    case "%": {
      const p = spec.precision ?? 6;
      [digits, rest] = fixed(v, p, spec.alt);
      if (t === "%") rest += "%";
      break;
    }
    case "e":
    case "E": {
      const p = spec.precision ?? 6;
      const s = scientific(v, p);
      digits = s.lead;
      rest = (s.frac !== "" || spec.alt ? `.${s.frac}` : "") + expText(s.exp, t);
      break;
    }
    case "g":
    case "G":
      [digits, rest] = general(v, spec.precision ?? 6, spec.alt, false, t);
      break;
    default:
      // No type: repr(float) without a precision, else like "g" with at least one decimal.
      if (spec.precision === undefined) [digits, rest] = splitNumber(floatRepr(v));
      else [digits, rest] = general(v, spec.precision, spec.alt, true, "g");
  }
  // "z": a negative zero after rounding becomes a positive zero.
  if (spec.z && negative && /^0*$/.test((digits + rest).replace(/[eE][+-]\d+$/, "").replace(/[.%]/g, ""))) negative = false;
  return { negative, prefix: "", digits, rest, groupable: true };
}

function splitNumber(text: string): [string, string] {
  const m = /^(\d+)(.*)$/.exec(text);
  return m ? [m[1], m[2]] : [text, ""];
}

/** Exact decimal value of a non-negative finite double: a / 10^k. */
function exactDecimal(x: number): { a: bigint; k: number } {
  if (x === 0) return { a: 0n, k: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const expBits = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (expBits === 0) e = -1074;
  else {
    mantissa |= 1n << 52n;
    e = expBits - 1075;
  }
  if (e >= 0) return { a: mantissa << BigInt(e), k: 0 };
  return { a: mantissa * 5n ** BigInt(-e), k: -e };
}

/** round-half-even(x × 10^f) as a bigint; f may be negative. */
function scaledRound(x: number, f: number): bigint {
  const { a, k } = exactDecimal(x);
  const shift = f - k;
  if (shift >= 0) return a * 10n ** BigInt(shift);
  const div = 10n ** BigInt(-shift);
  const q = a / div;
  const twice = (a % div) * 2n;
  if (twice > div || (twice === div && (q & 1n) === 1n)) return q + 1n;
  return q;
}

function decimalExponent(x: number): number {
  const { a, k } = exactDecimal(x);
  return a.toString().length - 1 - k;
}

/** Integer digits and ".fraction" of x rounded to p decimals. */
function fixed(x: number, p: number, alt: boolean): [string, string] {
  const s = scaledRound(x, p).toString().padStart(p + 1, "0");
  if (p === 0) return [s, alt ? "." : ""];
  return [s.slice(0, -p), `.${s.slice(-p)}`];
}

/** x rounded to p+1 significant digits: lead digit, fraction digits, decimal exponent. */
function scientific(x: number, p: number): { lead: string; frac: string; exp: number } {
  if (x === 0) return { lead: "0", frac: "0".repeat(p), exp: 0 };
  let exp = decimalExponent(x);
  let n = scaledRound(x, p - exp);
  if (n.toString().length > p + 1) {
    exp += 1;
    n /= 10n;
  }
  const s = n.toString();
  return { lead: s[0], frac: s.slice(1), exp };
}

function expText(exp: number, t: string): string {
  const e = t === "E" || t === "G" ? "E" : "e";
  return `${e}${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
}

/** Python's "g" (and the no-type-with-precision variant, addDot0). */
function general(x: number, precision: number, alt: boolean, addDot0: boolean, t: string): [string, string] {
  const p = precision === 0 ? 1 : precision;
  const s = scientific(x, p - 1);
  const useExp = s.exp < -4 || s.exp >= (addDot0 ? p - 1 : p);
  if (useExp) {
    let frac = s.frac;
    if (!alt) frac = frac.replace(/0+$/, "");
    return [s.lead, (frac !== "" || alt ? `.${frac}` : "") + expText(s.exp, t)];
  }
  // Fixed notation with p significant digits: p - 1 - exp decimals.
  const decimals = p - 1 - s.exp;
  const all = (s.lead + s.frac).padEnd(p, "0");
  let intPart: string;
  let fracPart: string;
  if (s.exp >= 0) {
    intPart = all.slice(0, s.exp + 1);
    fracPart = all.slice(s.exp + 1);
  } else {
    intPart = "0";
    fracPart = "0".repeat(-s.exp - 1) + all;
  }
  fracPart = fracPart.slice(0, Math.max(decimals, 0));
  if (!alt) fracPart = fracPart.replace(/0+$/, "");
  let rest = fracPart !== "" || alt ? `.${fracPart}` : "";
  if (addDot0 && rest === "") rest = ".0";
  return [intPart, rest];
}

/** Python's repr() of a non-negative float, from JS's shortest round-trip digits. */
function floatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x < 0 ? "-inf" : "inf";
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(Math.abs(x).toExponential());
  if (!m) return String(x);
  const digits = m[1] + (m[2] ?? "");
  const exp = Number(m[3]);
  if (exp < -4 || exp >= 16) {
    const frac = digits.slice(1);
    return `${sign}${digits[0]}${frac ? `.${frac}` : ""}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
  const frac = digits.slice(exp + 1);
  return `${sign}${intPart}.${frac || "0"}`;
}

/**
 * CPython's digit grouping, including the zero padding case (`{n:010,}` → `00,001,234`):
 * zeros fill up to minWidth and are grouped too; the result never starts with a separator.
 */
function group(digits: string, sep: string, size: number, minWidth: number): string {
  const chunks: string[] = [];
  let remaining = digits.length;
  let width = minWidth;
  for (;;) {
    const l = Math.min(size, Math.max(remaining, width, 1));
    const chars = Math.min(remaining, l);
    chunks.push("0".repeat(l - chars) + digits.slice(remaining - chars, remaining));
    remaining -= chars;
    width -= l;
    if (remaining <= 0 && width <= 0) break;
    width -= sep.length;
  }
  return chunks.reverse().join(sep);
}

function assemble(parts: NumberParts, spec: FormatSpec, t: string | undefined): string {
  const sign = parts.negative ? "-" : spec.sign === "+" ? "+" : spec.sign === " " ? " " : "";
  const fill = spec.fill ?? (spec.zero ? "0" : " ");
  const align = spec.align ?? (spec.zero && spec.fill === undefined ? "=" : ">");
  let digits = parts.digits;
  if (parts.groupable) {
    const sep = spec.grouping ?? "";
    const size = t !== undefined && "boxX".includes(t) ? 4 : 3;
    const zeroPad = fill === "0" && align === "=" && spec.width !== undefined;
    const minWidth = zeroPad ? spec.width! - sign.length - parts.prefix.length - codePoints(parts.rest).length : 0;
    if (sep !== "" || zeroPad) digits = group(digits, sep, sep === "" ? Number.MAX_SAFE_INTEGER : size, minWidth);
  }
  const body = parts.prefix + digits + parts.rest;
  const length = sign.length + codePoints(body).length;
  if (align === "=") {
    if (spec.width === undefined || length >= spec.width) return sign + body;
    return sign + parts.prefix + fill.repeat(spec.width - length) + digits + parts.rest;
  }
  return pad(sign + body, length, spec.width, align, fill);
}

// ---------------------------------------------------------------------------------------------
// Template data

/** The minimal envelope shape (src/events/catalog.ts's EventEnvelope fits). */
export interface TemplateEnvelope {
  id: string;
  event_type: string;
  timestamp: string;
  data: unknown;
}

/**
 * Data for one event: its `data` fields plus the envelope's `id` and `timestamp` (a data field of
 * the same name wins) and `event_type` (always the envelope's).
 */
export function eventTemplateData(envelope: TemplateEnvelope): Record<string, unknown> {
  const data = envelope.data !== null && typeof envelope.data === "object" && !Array.isArray(envelope.data) ? envelope.data : {};
  return { id: envelope.id, timestamp: envelope.timestamp, ...(data as Record<string, unknown>), event_type: envelope.event_type };
}

/** Data for a batch: `events` (the envelopes), `count`, `event_type` (shared, else "*"), `timestamp` (the first event's), `id` if given. */
export function batchTemplateData(envelopes: readonly TemplateEnvelope[], options: { id?: string } = {}): Record<string, unknown> {
  const types = new Set(envelopes.map((e) => e.event_type));
  const data: Record<string, unknown> = {
    events: envelopes,
    count: envelopes.length,
    event_type: types.size === 1 ? [...types][0] : "*",
    timestamp: envelopes[0]?.timestamp ?? null,
  };
  if (options.id !== undefined) data.id = options.id;
  return data;
}
