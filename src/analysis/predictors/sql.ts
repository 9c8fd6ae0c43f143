/**
 * Just enough SQL for the migrations predictor: blank comments and string literals (keeping
 * line structure), split statements and top-level clauses, read identifiers, and compare column
 * types by size. Not a parser; every function is total on any input.
 */

/**
 * `lines` with comments (`--`, `#` at line start for MySQL, `/* *\/`), string literals ('...')
 * and dollar-quoted bodies ($$...$$, $tag$...$tag$) replaced by spaces, each line keeping its
 * length. Double-quoted, backticked and bracketed identifiers are kept.
 */
export function blankSql(lines: readonly string[]): string[] {
  const out: string[] = [];
  let mode: "code" | "block" | "string" | "dollar" = "code";
  let dollarTag = "";
  for (const line of lines) {
    let s = "";
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (mode === "block") {
        if (c === "*" && line[i + 1] === "/") {
          mode = "code";
          s += "  ";
          i++;
        } else s += " ";
        continue;
      }
      if (mode === "string") {
        if (c === "'" && line[i + 1] === "'") {
          s += "  ";
          i++;
        } else if (c === "'") {
          mode = "code";
          s += "'";
        } else s += " ";
        continue;
      }
      if (mode === "dollar") {
        if (line.startsWith(dollarTag, i)) {
          mode = "code";
          s += " ".repeat(dollarTag.length);
          i += dollarTag.length - 1;
        } else s += " ";
        continue;
      }
      if (c === "-" && line[i + 1] === "-") {
        s += " ".repeat(line.length - i);
        break;
      }
      if (c === "#" && line.slice(0, i).trim() === "") {
        s += " ".repeat(line.length - i);
        break;
      }
      if (c === "/" && line[i + 1] === "*") {
        mode = "block";
        s += "  ";
        i++;
        continue;
      }
      if (c === "'") {
        mode = "string";
        s += "'";
        continue;
      }
      if (c === "$") {
        const m = /^\$[A-Za-z_]*\$/.exec(line.slice(i));
        if (m) {
          mode = "dollar";
          dollarTag = m[0];
          s += " ".repeat(m[0].length);
          i += m[0].length - 1;
          continue;
        }
      }
      s += c;
    }
    out.push(s);
  }
  return out;
}

export interface Statement {
  /** Blanked text of the statement, without the final ";", starting at its first non-blank character. */
  text: string;
  /** Index (0-based) of the line the statement starts on. */
  startLine: number;
  /** Line index (0-based) of a character offset in `text`. */
  lineAt(offset: number): number;
}

/** Statements of blanked SQL lines, split on ";". */
export function splitStatements(blanked: readonly string[]): Statement[] {
  const all = blanked.join("\n");
  const starts: number[] = [0];
  for (let i = 0; i < all.length; i++) if (all.charCodeAt(i) === 10) starts.push(i + 1);
  const lineOf = (offset: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const out: Statement[] = [];
  let from = 0;
  for (let i = 0; i <= all.length; i++) {
    if (i < all.length && all[i] !== ";") continue;
    const raw = all.slice(from, i);
    const lead = raw.length - raw.trimStart().length;
    const text = raw.slice(lead);
    if (text.trim() !== "") {
      const base = from + lead;
      out.push({ text, startLine: lineOf(base), lineAt: (offset: number) => lineOf(base + offset) });
    }
    from = i + 1;
  }
  return out;
}

/** Top-level parts of `text` split on ",", with their offsets. */
export function splitClauses(text: string): { text: string; offset: number }[] {
  const out: { text: string; offset: number }[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      out.push({ text: text.slice(start, i), offset: start });
      start = i + 1;
    }
  }
  out.push({ text: text.slice(start), offset: start });
  return out;
}

/** An identifier as written (maybe quoted or schema-qualified), at the start of `s`. */
export const IDENT = String.raw`(?:"[^"]+"|\x60[^\x60]+\x60|\[[^\]]+\]|[\w$]+)(?:\s*\.\s*(?:"[^"]+"|\x60[^\x60]+\x60|\[[^\]]+\]|[\w$]+))*`;

/** `"public"."Users"` -> `users`: unquoted, last part, lower case. */
export function identName(raw: string): string {
  const parts = raw.split(".");
  return parts[parts.length - 1]
    .trim()
    .replace(/^["`[]|["`\]]$/g, "")
    .toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// Column types

export type TypeFamily = "int" | "string" | "decimal" | "float" | "time" | "bool" | "other";

export interface ColumnType {
  family: TypeFamily;
  /** Bytes for numbers, characters for strings, precision for decimals, rank for times. */
  size: number;
  /** Decimal scale. */
  scale?: number;
  text: string;
}

const INT_SIZES: Record<string, number> = {
  tinyint: 1,
  int1: 1,
  smallint: 2,
  int2: 2,
  smallserial: 2,
  mediumint: 3,
  int: 4,
  integer: 4,
  int4: 4,
  serial: 4,
  serial4: 4,
  bigint: 8,
  int8: 8,
  bigserial: 8,
  serial8: 8,
};

/** A SQL (or ORM-described) column type; undefined when unknown. */
export function parseColumnType(raw: string): ColumnType | undefined {
  const text = raw.trim().replace(/\s+/g, " ");
  const t = text
    .toLowerCase()
    .replace(/\bunsigned\b/, "")
    .trim();
  const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));
  let m = /^(?:tinyint|int1|smallint|int2|smallserial|mediumint|integer|int4|int|serial4|serial|bigint|int8|bigserial|serial8)\b/.exec(t);
  if (m) return { family: "int", size: INT_SIZES[m[0]], text };
  m =
    /^(?:character varying|varchar|nvarchar|varchar2|nvarchar2|character|char|nchar|string|varbinary|binary)\b\s*(?:\(\s*(\d+|max)\s*\))?/.exec(
      t,
    );
  if (m) {
    const isChar = /^(?:character|char|nchar)\b(?! varying)/.test(t);
    const n = m[1] === undefined || m[1] === "max" ? (isChar ? 1 : Infinity) : Number(m[1]);
    return { family: "string", size: n, text };
  }
  if (/^(?:text|citext|clob|longtext|ntext|string\b)/.test(t)) return { family: "string", size: Infinity, text };
  if (/^mediumtext\b/.test(t)) return { family: "string", size: 16_777_215, text };
  if (/^tinytext\b/.test(t)) return { family: "string", size: 255, text };
  m = /^(?:numeric|decimal|number|dec)\b\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?/.exec(t);
  if (m) return { family: "decimal", size: num(m[1]) ?? Infinity, scale: num(m[2]) ?? (m[1] ? 0 : Infinity), text };
  if (/^(?:real|float4|float\s*\(\s*(?:[1-9]|1\d|2[0-4])\s*\))\b|^real$/.test(t)) return { family: "float", size: 4, text };
  if (/^(?:double precision|double|float8|float)\b/.test(t)) return { family: "float", size: 8, text };
  if (/^date\b/.test(t)) return { family: "time", size: 1, text };
  if (/^(?:timestamp|timestamptz|datetime|datetime2|datetimeoffset)\b/.test(t)) return { family: "time", size: 2, text };
  if (/^(?:bool|boolean|bit)\b/.test(t)) return { family: "bool", size: 1, text };
  if (/^(?:jsonb?|uuid|bytea|blob|inet|cidr|xml|money|time|interval|enum|geometry|geography|tsvector)\b/.test(t))
    return { family: "other", size: 0, text };
  return undefined;
}

/** A type that holds anything the usual narrower types hold (changing to it loses nothing). */
export function isWideType(t: ColumnType): boolean {
  return (
    (t.family === "string" && t.size === Infinity) ||
    (t.family === "int" && t.size >= 8) ||
    (t.family === "decimal" && t.size === Infinity) ||
    (t.family === "float" && t.size >= 8) ||
    (t.family === "time" && t.size >= 2) ||
    /^jsonb?$/i.test(t.text)
  );
}

export type TypeChange = "narrowing" | "incompatible" | "widening" | "same";

export function compareTypes(from: ColumnType, to: ColumnType): TypeChange {
  if (from.family !== to.family) {
    // int -> bigger decimal/float holds every value; everything else may not convert.
    if (from.family === "int" && (to.family === "decimal" || to.family === "float") && to.size === Infinity) return "widening";
    if (to.family === "string" && to.size === Infinity) return "widening";
    return "incompatible";
  }
  if (from.family === "other") return from.text.toLowerCase() === to.text.toLowerCase() ? "same" : "incompatible";
  if (to.size < from.size) return "narrowing";
  if (from.family === "decimal") {
    const fs = from.scale ?? 0;
    const ts = to.scale ?? 0;
    if (ts < fs || to.size - ts < from.size - fs) return "narrowing";
  }
  return to.size === from.size && to.scale === from.scale ? "same" : "widening";
}
