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
 * Format specs (format.ts) follow Python's mini-language `[[fill]align][sign][z][#][0][width][grouping][.precision][type]`
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

import { formatValue, jsonReplacer, jsonText, parseFormatSpec, SyntaxProblem, valueText, type FormatSpec } from "./format.js";

export { formatValue, MAX_PRECISION, MAX_WIDTH, parseFormatSpec, valueText, type FormatSpec } from "./format.js";

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

interface Placeholder {
  raw: string;
  field: FieldRef;
  conversion: "s" | "r" | undefined;
  /** Undefined when the placeholder has no `:`. */
  spec: FormatSpec | undefined;
}

type Piece = string | Placeholder;

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
