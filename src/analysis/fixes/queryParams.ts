/**
 * SQL text built from values → the same text with placeholders and the values bound, when the
 * driver (and so its placeholder) is known from the file's imports and every value sits where a
 * bound value may (after a comparison, alone):
 * - JavaScript: `db.query("… WHERE id = " + id)` or `` db.query(`… = ${id}`) `` → `db.query("… = $1", [id])`
 *   with pg, `?` with mysql / mysql2 (one `+` at most; two concatenations are not rewritten);
 * - Python: `cursor.execute("… %s" % x)` or `cursor.execute(f"… {x}")` → `cursor.execute("… %s", (x,))`
 *   with psycopg, PyMySQL, MySQLdb, mysql.connector and Django, `?` with sqlite3.
 */
import type { FixInput } from "./index.js";
import { allMatches, callArgs, closeOf, isSimplePath, parseJsConcat, placeValues, pyStringEnd } from "./scan.js";

const JS_CALL = /\.\s*(query|execute)\s*\(/g;
const JS_IMPORT = /(?:\bfrom\s*|\brequire\(\s*|\bimport\s*\(\s*|\bimport\s+)(["'])([@\w./-]+)\1/g;
const JS_PG = new Set(["pg", "pg-pool"]);
const JS_MYSQL = new Set(["mysql", "mysql2", "mysql2/promise"]);
/** Libraries whose `query` takes its values another way (replacements, bindings, tagged templates). */
const JS_OTHER =
  /^(?:sequelize|knex|typeorm|@prisma\/client|pg-promise|postgres|@vercel\/postgres|@neondatabase\/serverless|better-sqlite3|sqlite3|mssql|tedious|oracledb)$/;

/** Where the call's object is: a name or a member of one (`db`, `this.pool`). */
const OBJECT = /(?<![\w$.)\]])[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\s*$/;

export function fixJsQuery({ text, fileText }: FixInput): string | undefined {
  const calls = allMatches(text, JS_CALL);
  if (calls.length !== 1) return undefined;
  const style = jsDriver(fileText());
  const m = calls[0];
  if (!style || (style === "pg" && m[1] !== "query")) return undefined;
  if (!OBJECT.test(text.slice(0, m.index))) return undefined;
  const call = callArgs(text, m.index + m[0].length - 1, "js");
  if (!call || call.args.length === 0 || call.args.length > 2) return undefined;
  // A callback may follow the SQL (the values go before it); anything else may already be values.
  if (call.args.length === 2 && !/^(?:async\s+)?(?:function\b|\([^()]*\)\s*=>|[A-Za-z_$][\w$]*\s*=>)/.test(sliceOf(text, call.args[1])))
    return undefined;
  const sql = call.args[0];
  const parts = parseJsConcat(text, sql);
  if (!parts) return undefined;
  let chunks: string[];
  let holes: string[];
  let quote: string;
  if (parts.length === 1 && parts[0].kind === "template" && parts[0].holes.length === 1) {
    ({ chunks, holes } = parts[0]);
    quote = "`";
  } else if (parts.length === 2 && parts[0].kind === "string" && parts[1].kind === "value") {
    chunks = [parts[0].raw, ""];
    holes = [parts[1].text];
    quote = parts[0].quote;
  } else return undefined;
  // Placeholders already in the text would be numbered or counted wrong.
  if (chunks.some((c) => c.includes(style === "pg" ? "$" : "?"))) return undefined;
  const placed = placeValues(chunks, (i) => (style === "pg" ? `$${i + 1}` : "?"));
  if (placed === undefined) return undefined;
  return text.slice(0, sql.start) + `${quote}${placed}${quote}, [${holes.join(", ")}]` + text.slice(sql.end);
}

function jsDriver(file: string): "pg" | "mysql" | undefined {
  const modules = allMatches(file, JS_IMPORT).map((m) => m[2]);
  if (modules.some((name) => JS_OTHER.test(name))) return undefined;
  const pg = modules.some((name) => JS_PG.has(name));
  const mysql = modules.some((name) => JS_MYSQL.has(name));
  return pg === mysql ? undefined : pg ? "pg" : "mysql";
}

const PY_CALL = /\.\s*execute\s*\(/g;
const PY_IMPORT = /^[ \t]*(?:import|from)[ \t]+([\w.]+)/gm;
const PY_FORMAT = /^(?:psycopg2|psycopg|pymysql|MySQLdb|mysql\.connector|django\.db|aiomysql)(?:\.|$)/;
const PY_QMARK = /^(?:sqlite3|aiosqlite)(?:\.|$)/;
/** Libraries whose `execute` binds values another way (SQLAlchemy's `:name`, asyncpg's `$1`). */
const PY_OTHER = /^(?:sqlalchemy|asyncpg|databases|sqlmodel|peewee|pony|tortoise|records)(?:\.|$)/;
const PY_STRING = /([rRuUfF]{0,2})('''|"""|'|")/y;

export function fixPyQuery({ text, fileText }: FixInput): string | undefined {
  const calls = allMatches(text, PY_CALL);
  if (calls.length !== 1) return undefined;
  const style = pyParamStyle(fileText());
  const m = calls[0];
  if (!style || !/(?<![\w.)\]])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*\s*$/.test(text.slice(0, m.index))) return undefined;
  const call = callArgs(text, m.index + m[0].length - 1, "python");
  if (!call || call.args.length !== 1) return undefined;
  const sql = call.args[0];
  PY_STRING.lastIndex = sql.start;
  const s = PY_STRING.exec(text);
  if (!s) return undefined;
  const end = pyStringEnd(text, sql.start);
  if (end < 0 || end > sql.end) return undefined;
  const prefix = s[1];
  const quote = s[2];
  const inner = text.slice(sql.start + s[0].length, end - quote.length);
  const isF = /f/i.test(prefix);
  let chunks: string[];
  let params: string;
  if (isF) {
    if (text.slice(end, sql.end).trim() !== "") return undefined;
    const f = fStringParts(inner);
    if (!f) return undefined;
    chunks = f.chunks;
    params = f.holes.length === 1 ? `(${f.holes[0]},)` : `(${f.holes.join(", ")})`;
    // With values bound, psycopg and friends read `%` in the text as a placeholder.
    if (style === "format" && chunks.some((c) => c.includes("%"))) return undefined;
  } else {
    const op = /^\s*%\s*/.exec(text.slice(end, sql.end));
    if (!op) return undefined;
    const operand = text.slice(end + op[0].length, sql.end);
    const values = percentOperand(operand);
    if (!values) return undefined;
    if (/%(?!s)/.test(inner)) return undefined;
    chunks = inner.split("%s");
    if (chunks.length - 1 !== values.count) return undefined;
    params = values.params;
  }
  if (chunks.length < 2) return undefined;
  if (style === "qmark" && chunks.some((c) => c.includes("?"))) return undefined;
  const placed = placeValues(chunks, () => (style === "format" ? "%s" : "?"));
  if (placed === undefined) return undefined;
  const literal = `${prefix.replace(/f/gi, "")}${quote}${placed}${quote}`;
  return text.slice(0, sql.start) + `${literal}, ${params}` + text.slice(sql.end);
}

function pyParamStyle(file: string): "format" | "qmark" | undefined {
  const modules = allMatches(file, PY_IMPORT).map((m) => m[1]);
  if (modules.some((name) => PY_OTHER.test(name))) return undefined;
  const format = modules.some((name) => PY_FORMAT.test(name));
  const qmark = modules.some((name) => PY_QMARK.test(name));
  return format === qmark ? undefined : format ? "format" : "qmark";
}

/** An f-string's literal text and its holes, when every hole is a simple value (no format spec, no conversion). */
function fStringParts(inner: string): { chunks: string[]; holes: string[] } | undefined {
  if (inner.includes("{{") || inner.includes("}}")) return undefined;
  const chunks: string[] = [];
  const holes: string[] = [];
  let from = 0;
  for (let i = inner.indexOf("{"); i >= 0; i = inner.indexOf("{", from)) {
    const close = inner.indexOf("}", i);
    if (close < 0) return undefined;
    const hole = inner.slice(i + 1, close).trim();
    if (!isSimplePath(hole, "python")) return undefined;
    chunks.push(inner.slice(from, i));
    holes.push(hole);
    from = close + 1;
  }
  chunks.push(inner.slice(from));
  if (chunks.some((c) => c.includes("}"))) return undefined;
  return holes.length === 0 ? undefined : { chunks, holes };
}

/** The right side of `%`: one value, or a tuple of them; as the parameters to pass. */
function percentOperand(operand: string): { count: number; params: string } | undefined {
  const t = operand.trim();
  if (isSimplePath(t, "python")) return { count: 1, params: `(${t},)` };
  if (!t.startsWith("(") || closeOf(t, 0, "python") !== t.length) return undefined;
  const items = t
    .slice(1, -1)
    .split(",")
    .map((x) => x.trim());
  const trailing = items.length > 1 && items[items.length - 1] === "";
  if (trailing) items.pop();
  if (items.length === 0 || !items.every((x) => isSimplePath(x, "python"))) return undefined;
  if (items.length === 1 && !trailing) return { count: 1, params: `(${items[0]},)` };
  return { count: items.length, params: t.includes("\n") ? `(${items.join(", ")})` : t };
}

function sliceOf(text: string, span: { start: number; end: number }): string {
  return text.slice(span.start, span.end);
}
