/**
 * Python's format-spec mini-language, for payload templates (template.ts): parsing a spec
 * (`[[fill]align][sign][z][#][0][width][grouping][.precision][type]`) and formatting one value
 * with it, with the outputs Python documents (round-half-even on the exact binary value, as
 * CPython does), and the text of a value with no spec. Departures and limits: template.ts.
 */

/** A spec or a value it cannot format: template.ts turns it into a TemplateError with the path. */
export class SyntaxProblem extends Error {}

export const MAX_WIDTH = 10_000;
export const MAX_PRECISION = 1_000;

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

const SPEC_RE = /^(?:([\s\S])?([<>=^]))?([-+ ])?(z)?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/u;
const INT_TYPES = "bcdoxX";
const FLOAT_TYPES = "eEfFgG%";

export function parseFormatSpec(text: string): FormatSpec {
  const m = SPEC_RE.exec(text);
  if (!m) {
    const last = text.slice(-1);
    if (/[A-Za-z]/.test(last) && !"bcdeEfFgGnosxX".includes(last))
      throw new SyntaxProblem(`unknown format type "${last}" in spec "${text}"`);
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

export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  return value;
}

/** JSON text of a value (bigints as numbers or strings; non-finite numbers as null). */
export function jsonText(value: unknown): string {
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
    if (abs > 0x10ffffn || negative) throw new SyntaxProblem('format type "c" needs a code point from 0 to 0x10FFFF');
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
  const s = scaledRound(x, p)
    .toString()
    .padStart(p + 1, "0");
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
