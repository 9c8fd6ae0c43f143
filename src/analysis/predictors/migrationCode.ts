/**
 * ORM migrations (Django, Alembic, Rails, Entity Framework, Knex, Sequelize, TypeORM, Laravel) and
 * SQL embedded in code, line by line (see migrations.ts): one table of rules, each a pattern and
 * a refinement, with a call's arguments joined when they span lines.
 */
import { pythonBracketDepth } from "./predict.js";
import { parseColumnType } from "./sql.js";
import {
  dialectOf,
  inDownSection,
  ormType,
  saType,
  UP_START,
  type Change,
  type Dialect,
  type Hit,
  type RepoContext,
} from "./migrationContext.js";
import { DEFAULT_OR_GENERATED, escapeRe, TYPE_TEXT, typeHit } from "./migrationSql.js";

const COMMENT = /^\s*(?:--|#|\/\/|\*|\/\*)/;
const NO_SERVER_DEFAULT = /\bserver_default\s*=/;
const ANY_DEFAULT = /\b(?:server_)?default\b|\bdefaultTo\s*\(|\bdefaultValue\b|\bdb_default\b/i;

interface CodeRule {
  change: Change;
  re: RegExp;
  /** A refinement: false drops the hit; an object overrides its fields. */
  check?: (c: CodeContext, m: RegExpExecArray) => false | Partial<Hit> | void;
}

interface CodeContext {
  lines: readonly string[];
  index: number;
  stmt: string;
  fileText: string;
  dialect: Dialect;
  repo: RepoContext;
}

/** Tables (and Django models) the migration creates itself: changing them breaks nobody. */
function createsTable(fileText: string, table: string): boolean {
  const t = escapeRe(table);
  return new RegExp(
    String.raw`\bcreate_table\s*\(?\s*[:"']${t}\b|\bcreateTable(?:IfNotExists)?\s*\(\s*["'\x60]${t}["'\x60]|Schema::create\s*\(\s*["']${t}["']|CreateModel\s*\(\s*name\s*=\s*["']${t}["']|CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?["\x60]?${t}\b`,
    "i",
  ).test(fileText);
}

function firstArgName(text: string): string | undefined {
  const m = /\(\s*[:"'\x60]?([\w.]+)["'\x60]?/.exec(text);
  return m ? m[1].replace(/^.*\./, "") : undefined;
}

/** Rails `change_table :t do |t|` vs `create_table`, Knex `table(`/`alterTable(` vs `createTable(`: the nearest block above. */
function enclosingBlock(lines: readonly string[], index: number): "create" | "alter" | undefined {
  for (let i = index - 1; i >= 0 && i >= index - 80; i--) {
    const t = lines[i];
    if (/\bcreate_table\b|\.createTable(?:IfNotExists)?\s*\(|Schema::create\s*\(/.test(t)) return "create";
    if (/\bchange_table\b|\.(?:alterTable|table)\s*\(|Schema::table\s*\(/.test(t)) return "alter";
    if (/^\s*(?:def|exports\.|export\s|async\s+(?:up|down)|public\s+function)\b/.test(t)) return undefined;
  }
  return undefined;
}

const BACKFILL_ABOVE = /\bUPDATE\s+\S+\s+SET\b|\bRunPython\b|\bupdate_all\b|\.update\s*\(|\bbulkUpdate\b/i;

function backfilledAbove(lines: readonly string[], index: number): boolean {
  for (let i = index - 1; i >= 0 && i >= index - 200; i--) {
    if (UP_START.test(lines[i])) return false;
    if (BACKFILL_ABOVE.test(lines[i])) return true;
  }
  return false;
}

function notNullCheck(c: CodeContext): Partial<Hit> | void {
  if (backfilledAbove(c.lines, c.index))
    return {
      confidence: 0.55,
      detail:
        "The migration backfills existing rows first, so it should pass, but writes from the previous release that leave the column empty will be rejected.",
    };
}

function indexCheck(c: CodeContext, table: string | undefined): false | Partial<Hit> | void {
  if (c.dialect !== "postgres") return false;
  if (table && createsTable(c.fileText, table)) return false;
  if (table) return { detail: `Index on \`${table}\`.` };
}

const CODE_RULES: CodeRule[] = [
  // SQL embedded in code (RunSQL, execute, knex.raw, queryRunner.query)
  {
    change: "drop-table",
    re: /\bDROP\s+TABLE\b/i,
    check: (c) => (/\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?["'`]?(?:tmp|temp)_/i.test(c.stmt) ? false : undefined),
  },
  { change: "drop-column", re: /\bDROP\s+COLUMN\b/i },
  { change: "rename", re: /\bRENAME\s+(?:COLUMN|TABLE)\b|\bALTER\s+TABLE\s+\S+\s+RENAME\s+TO\b|\bsp_rename\b/i },
  { change: "not-null-set", re: /\bALTER\s+COLUMN\b.*\bSET\s+NOT\s+NULL\b/i, check: notNullCheck },
  {
    change: "not-null-add",
    re: /\bADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?!(?:CONSTRAINT|INDEX|KEY|PRIMARY|FOREIGN|UNIQUE|CHECK)\b)["`]?\w+["`]?\s+\w[^,;]*\bNOT\s+NULL\b/i,
    check: (c) => (DEFAULT_OR_GENERATED.test(c.stmt) ? false : undefined),
  },
  {
    change: "blocking-index",
    re: /\bCREATE\s+(?:UNIQUE\s+)?INDEX\b/i,
    check: (c) => (/\bCONCURRENTLY\b/i.test(c.stmt) ? false : indexCheck(c, /\bON\s+["`]?(\w+)/i.exec(c.stmt)?.[1])),
  },
  {
    change: "type-change",
    re: /\bALTER\s+(?:COLUMN\s+)?["`]?\w+["`]?\s+(?:SET\s+DATA\s+)?TYPE\s+/i,
    check: (c) => {
      const m = new RegExp(String.raw`\bALTER\s+(?:COLUMN\s+)?["\x60]?(\w+)["\x60]?\s+(?:SET\s+DATA\s+)?TYPE\s+${TYPE_TEXT}`, "i").exec(
        c.stmt,
      );
      const to = m ? parseColumnType(m[2]) : undefined;
      const h = m && to ? typeHit(c.index, undefined, m[1], c.repo.oldTypes.get(m[1].toLowerCase()), to) : undefined;
      return h ? { ...h } : false;
    },
  },
  // Django
  { change: "drop-column", re: /\bmigrations\.RemoveField\s*\(/ },
  { change: "drop-table", re: /\bmigrations\.DeleteModel\s*\(/ },
  { change: "rename", re: /\bmigrations\.Rename(?:Field|Model)\s*\(/ },
  {
    change: "type-change",
    re: /\bmigrations\.AlterField\s*\(/,
    check: (c) => {
      const name = /\bname\s*=\s*["'](\w+)["']/.exec(c.stmt)?.[1];
      const field = /\bfield\s*=\s*models\.(\w+)\s*\(([^)]*)/.exec(c.stmt);
      if (!name || !field) return false;
      const args = field[2];
      const from = c.repo.oldTypes.get(name.toLowerCase());
      const to = ormType(field[1], args);
      const typed = from && to ? typeHit(c.index, undefined, name, from, to) : undefined;
      if (typed) return typed;
      const notNull = !/\bnull\s*=\s*True\b/.test(args) && !/\b(?:db_)?default\s*=/.test(args);
      if (notNull && (/\bnull\s*=\s*False\b/.test(args) || c.repo.djangoMadeNotNull.has(name)))
        return { change: "not-null-set", ...notNullCheck(c), detail: notNullCheck(c)?.detail ?? `Field \`${name}\` loses \`null=True\`.` };
      return false;
    },
  },
  {
    change: "blocking-index",
    re: /\bmigrations\.AddIndex\s*\(/,
    check: (c) => indexCheck(c, /\bmodel_name\s*=\s*["'](\w+)["']/.exec(c.stmt)?.[1]),
  },
  // Alembic
  { change: "drop-column", re: /\bop\.drop_column\s*\(/ },
  { change: "drop-table", re: /\bop\.drop_table\s*\(/ },
  { change: "rename", re: /\bop\.rename_table\s*\(|\bop\.alter_column\s*\((?=[\s\S]*\bnew_column_name\s*=)/ },
  {
    change: "not-null-add",
    re: /\bop\.add_column\s*\((?=[\s\S]*\bnullable\s*=\s*False)/,
    check: (c) => (NO_SERVER_DEFAULT.test(c.stmt) || createsTable(c.fileText, firstArgName(c.stmt) ?? "\0") ? false : undefined),
  },
  {
    change: "type-change",
    re: /\bop\.alter_column\s*\((?=[\s\S]*\btype_\s*=)/,
    check: (c) => {
      const to = /\btype_\s*=\s*([\w.]+(?:\([^)]*\))?)/.exec(c.stmt);
      const from = /\bexisting_type\s*=\s*([\w.]+(?:\([^)]*\))?)/.exec(c.stmt);
      const col = /\(\s*["']\w+["']\s*,\s*["'](\w+)["']/.exec(c.stmt)?.[1] ?? "column";
      const toT = to ? saType(to[1]) : undefined;
      if (!toT) return false;
      const fromT = from ? saType(from[1]) : c.repo.oldTypes.get(col.toLowerCase());
      return typeHit(c.index, undefined, col, fromT, toT) ?? false;
    },
  },
  { change: "not-null-set", re: /\bop\.alter_column\s*\((?=[\s\S]*\bnullable\s*=\s*False)/, check: notNullCheck },
  {
    change: "blocking-index",
    re: /\bop\.create_index\s*\(/,
    check: (c) => {
      if (/\bpostgresql_concurrently\s*=\s*True/.test(c.stmt)) return false;
      const args =
        /\(\s*(?:["'][^"']*["']|None)\s*,\s*["'](\w+)["']/.exec(c.stmt)?.[1] ?? /\btable_name\s*=\s*["'](\w+)["']/.exec(c.stmt)?.[1];
      return indexCheck(c, args);
    },
  },
  // Rails
  { change: "drop-column", re: /\bremove_columns?\b|^\s*t\.remove\s+:/ },
  { change: "drop-table", re: /\bdrop_table\b/ },
  { change: "rename", re: /\brename_(?:column|table)\b|^\s*t\.rename\s+:/ },
  {
    change: "not-null-set",
    re: /\bchange_column_null\b.*\bfalse\b/,
    check: (c) =>
      /\bchange_column_null\s*\(?\s*:\w+\s*,\s*:\w+\s*,\s*false\s*,\s*\S/.test(c.stmt)
        ? {
            confidence: 0.55,
            detail:
              "NULLs are replaced in the same step, so the migration should pass, but writes from the previous release that leave the column empty will be rejected.",
          }
        : notNullCheck(c),
  },
  {
    change: "type-change",
    re: /\bchange_column\s+:\w+\s*,\s*:\w+\s*,\s*:\w+/,
    check: (c) => {
      const m = /\bchange_column\s+:\w+\s*,\s*:(\w+)\s*,\s*:(\w+)(.*)/.exec(c.stmt);
      if (!m) return false;
      const to = ormType(m[2], m[3]);
      const typed = to ? typeHit(c.index, undefined, m[1], c.repo.oldTypes.get(m[1].toLowerCase()), to) : undefined;
      if (typed) return typed;
      if (/\bnull:\s*false\b/.test(m[3]) && !/\bdefault:/.test(m[3])) return { change: "not-null-set", ...notNullCheck(c) };
      return false;
    },
  },
  {
    change: "not-null-add",
    re: /\badd_column\b.*\bnull:\s*false\b/,
    check: (c) =>
      /\bdefault:/.test(c.stmt) || createsTable(c.fileText, /add_column\s*\(?\s*:(\w+)/.exec(c.stmt)?.[1] ?? "\0") ? false : undefined,
  },
  {
    change: "not-null-add",
    re: /^\s*t\.(?!change\b|remove\b|rename\b|index\b|references\b|timestamps\b)\w+\s+:\w+.*\bnull:\s*false\b/,
    check: (c) => (enclosingBlock(c.lines, c.index) !== "alter" || /\bdefault:/.test(c.stmt) ? false : undefined),
  },
  {
    change: "blocking-index",
    re: /\badd_index\b/,
    check: (c) => (/\balgorithm:\s*:concurrently\b/.test(c.stmt) ? false : indexCheck(c, /add_index\s*\(?\s*:(\w+)/.exec(c.stmt)?.[1])),
  },
  // Entity Framework Core
  { change: "drop-column", re: /\bmigrationBuilder\.DropColumn\s*\(/ },
  { change: "drop-table", re: /\bmigrationBuilder\.DropTable\s*\(/ },
  { change: "rename", re: /\bmigrationBuilder\.Rename(?:Column|Table)\s*\(/ },
  {
    change: "not-null-add",
    re: /\bmigrationBuilder\.AddColumn\b(?=[\s\S]*\bnullable:\s*false)/,
    check: (c) => (/\bdefaultValue(?:Sql)?:/.test(c.stmt) || /\bcomputedColumnSql:/.test(c.stmt) ? false : undefined),
  },
  {
    change: "type-change",
    re: /\bmigrationBuilder\.AlterColumn\b/,
    check: (c) => {
      const col = /\bname:\s*"(\w+)"/.exec(c.stmt)?.[1] ?? "column";
      const to = /\btype:\s*"([^"]+)"/.exec(c.stmt)?.[1];
      const from = /\boldType:\s*"([^"]+)"/.exec(c.stmt)?.[1];
      const toT = to ? parseColumnType(to) : undefined;
      const fromT = from ? parseColumnType(from) : undefined;
      const typed = toT && fromT ? typeHit(c.index, undefined, col, fromT, toT) : undefined;
      if (typed) return typed;
      if (/\bnullable:\s*false/.test(c.stmt) && /\boldNullable:\s*true/.test(c.stmt))
        return /\bdefaultValue(?:Sql)?:/.test(c.stmt)
          ? {
              change: "not-null-set",
              confidence: 0.55,
              detail:
                "Existing NULLs are replaced by the default first, so the migration should pass, but writes from the previous release that leave the column empty will be rejected.",
            }
          : { change: "not-null-set", ...notNullCheck(c) };
      return false;
    },
  },
  // Knex, Sequelize, TypeORM, Laravel
  { change: "drop-column", re: /(?:\.|->)dropColumns?\s*\(|\bremoveColumn\s*\(/ },
  { change: "drop-table", re: /\.dropTable(?:IfExists)?\s*\(|Schema::drop(?:IfExists)?\s*\(/ },
  { change: "rename", re: /(?:\.|->)rename(?:Column|Table)\s*\(|Schema::rename\s*\(/ },
  {
    change: "not-null-add",
    re: /\.notNullable\s*\(\s*\)/,
    check: (c) => {
      if (/\.defaultTo\s*\(/.test(c.stmt) || enclosingBlock(c.lines, c.index) !== "alter") return false;
      if (/\.alter\s*\(\s*\)/.test(c.stmt)) return { change: "not-null-set", ...notNullCheck(c) };
    },
  },
  {
    change: "not-null-add",
    re: /\b(?:addColumn|changeColumn)\s*\((?=[\s\S]*\ballowNull\s*:\s*false)/,
    check: (c) => {
      if (ANY_DEFAULT.test(c.stmt)) return false;
      if (/\bchangeColumn\s*\(/.test(c.stmt)) return { change: "not-null-set", ...notNullCheck(c) };
    },
  },
  {
    change: "blocking-index",
    re: /\bqueryInterface\.addIndex\s*\(/,
    check: (c) => (/\bconcurrently\s*:\s*true/.test(c.stmt) ? false : indexCheck(c, /addIndex\s*\(\s*["'](\w+)["']/.exec(c.stmt)?.[1])),
  },
];

/** The line plus the following ones until its brackets balance: `op.alter_column(` over lines. */
function statementAt(lines: readonly string[], index: number): string {
  let s = lines[index];
  for (let j = index + 1; j < lines.length && j < index + 12 && pythonBracketDepth(s) > 0; j++) s += "\n" + lines[j];
  return s;
}

/** Django's `RunSQL(sql, reverse_sql=...)`: the reverse part is a down migration. */
function inReverseSql(lines: readonly string[], index: number, column: number): boolean {
  for (let i = index; i >= 0 && i >= index - 15; i--) {
    const t = i === index ? lines[i].slice(0, column) : lines[i];
    const rev = t.lastIndexOf("reverse_sql");
    const fwd = Math.max(t.lastIndexOf("RunSQL("), t.search(/\bsql\s*=/));
    if (rev >= 0 && rev > fwd) return true;
    if (fwd >= 0) return false;
  }
  return false;
}

export function codeHits(lines: readonly string[], isAdded: (i: number) => boolean, path: string, repo: RepoContext): Hit[] {
  const fileText = lines.join("\n");
  const dialect = dialectOf(path, fileText, repo);
  const hits: Hit[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!isAdded(i) || COMMENT.test(lines[i])) continue;
    const stmt = statementAt(lines, i);
    for (const rule of CODE_RULES) {
      const m = rule.re.exec(stmt);
      // The pattern must start on this line; the statement only supplies its arguments.
      if (!m || m.index >= lines[i].length) continue;
      if (inReverseSql(lines, i, m.index)) continue;
      const c: CodeContext = { lines, index: i, stmt, fileText, dialect, repo };
      const refined = rule.check ? rule.check(c, m) : undefined;
      if (refined === false) continue;
      hits.push({ change: rule.change, at: i, ...(refined ?? {}) });
      break; // first match wins
    }
  }
  return hits.filter((h) => !inDownSection(lines, h.at));
}
