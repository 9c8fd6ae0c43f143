/**
 * Database migrations that break the running application or lose data: dropped or renamed
 * tables and columns, NOT NULL without a default, index builds that lock writes on PostgreSQL,
 * and column types that narrow. The previous release keeps running during a deploy, and other
 * services and clients read the same database.
 *
 * SQL files are read statement by statement (comments and string literals blanked); ORM
 * migrations (Django, Alembic, Rails, Knex, Sequelize, Laravel, TypeORM) line by line, a call's
 * arguments joined when they span lines. The "down" part of a migration only undoes the "up"
 * part and is ignored.
 */

import type { AnalysisInput, DiffFile, DiffLine, Prediction, Severity, SyncAnalyzer } from "../types.js";
import { baseName, contentOf, DiffIndex, isNotDeployed, makePrediction, pythonBracketDepth, round2, safely, snippet, textLines } from "./predict.js";
import {
  blankSql,
  compareTypes,
  IDENT,
  identName,
  isWideType,
  parseColumnType,
  splitClauses,
  splitStatements,
  type ColumnType,
} from "./sql.js";

/** A migrations folder (Django, Rails, Knex, Prisma, Flyway, Alembic, Laravel...), not any file whose name mentions migrations. */
const MIGRATION_DIR = /(?:^|\/)(?:migrations?|migrate|alembic\/versions|db\/changes)\//i;
/** Down / undo migrations (golang-migrate, Flyway undo) only undo an up migration. */
const DOWN_FILE = /(?:^|[._/-])(?:down|rollback|undo)\.sql$|^U\d+(?:[._]\d+)*__/i;
/** SQL that is not a migration run against production data: seeds, dumps, scratch scripts. */
const NOT_A_MIGRATION_SQL = /(?:^|\/)(?:seeds?|seed[-_]data|dumps?|backups?)(?:\/|\.sql$)/i;

function isMigration(path: string): boolean {
  if (isNotDeployed(path) || DOWN_FILE.test(baseName(path))) return false;
  if (MIGRATION_DIR.test(path)) return /\.(?:sql|py|rb|[cm]?[jt]s|php|cs|go|java|kt)$/i.test(path) && !/\.Designer\.cs$|ModelSnapshot\.cs$/i.test(path);
  return /\.sql$/i.test(path) && !NOT_A_MIGRATION_SQL.test(path);
}

type Change = "drop-table" | "drop-column" | "rename" | "not-null-add" | "not-null-set" | "blocking-index" | "type-narrowing" | "type-change";

interface Text {
  kind: string;
  confidence: number;
  severity: Severity;
  what: string;
  breaks: string;
  impact: string;
  recommendation: string;
  tags: string[];
}

const TEXT: Record<Change, Text> = {
  "drop-table": {
    kind: "migration-drop-table",
    confidence: 0.9,
    severity: "critical",
    what: "drops a table",
    breaks:
      "Instances of the previous release still running during the deploy, other services, jobs and reports that query it will fail with \"relation does not exist\", and its rows are gone",
    impact: "Runtime errors for every reader of the table; irreversible data loss without a backup.",
    recommendation:
      "Expand/contract: remove every use of the table in one release, deploy it everywhere, back the data up, then drop the table in a later migration.",
    tags: ["database", "migration", "breaking-change", "data-loss"],
  },
  "drop-column": {
    kind: "migration-drop-column",
    confidence: 0.9,
    severity: "high",
    what: "drops a column",
    breaks:
      "Instances of the previous release still running during the deploy, other services and clients that read or write it will fail with \"column does not exist\", and its data is lost",
    impact: "Runtime errors for every reader or writer of the column during and after the deploy; data loss.",
    recommendation:
      "Expand/contract: stop reading and writing the column in one release (ignore it in the ORM), deploy, then drop it in a later migration after a backup.",
    tags: ["database", "migration", "breaking-change", "data-loss"],
  },
  rename: {
    kind: "migration-rename",
    confidence: 0.85,
    severity: "high",
    what: "renames a column or table",
    breaks:
      "Code still using the old name (the previous release during the deploy, other services, raw SQL, reports) will fail at once",
    impact: "Errors for every consumer of the old name until all of them are redeployed.",
    recommendation:
      "Add the new name alongside the old one, write to both and backfill, move readers over, then remove the old name in a later release (or keep a view/alias meanwhile).",
    tags: ["database", "migration", "breaking-change"],
  },
  "not-null-add": {
    kind: "migration-not-null",
    confidence: 0.8,
    severity: "high",
    what: "adds a NOT NULL column without a default",
    breaks:
      "On a table that has rows the migration fails (the existing rows would hold NULL), and inserts from the previous release, still running during the deploy and unaware of the column, are rejected",
    impact: "A failed deploy, then rejected writes from instances and clients that do not set the column.",
    recommendation:
      "Add the column nullable or with a DEFAULT, backfill existing rows, deploy code that always sets it, then add the NOT NULL constraint.",
    tags: ["database", "migration", "breaking-change"],
  },
  "not-null-set": {
    kind: "migration-not-null",
    confidence: 0.7,
    severity: "medium",
    what: "makes a column NOT NULL without a default",
    breaks:
      "The migration fails on existing rows that hold NULL (PostgreSQL also scans the whole table under an exclusive lock), and inserts from the previous release that leave the column empty are rejected",
    impact: "A failed or blocking deploy, then rejected writes from older clients.",
    recommendation:
      "Backfill existing rows, deploy code that always sets the column, then add the constraint (on PostgreSQL: a `CHECK (col IS NOT NULL) NOT VALID` constraint, `VALIDATE CONSTRAINT`, then `SET NOT NULL`).",
    tags: ["database", "migration", "breaking-change"],
  },
  "blocking-index": {
    kind: "migration-blocking-index",
    confidence: 0.75,
    severity: "medium",
    what: "builds an index without CONCURRENTLY",
    breaks:
      "PostgreSQL blocks every INSERT, UPDATE and DELETE on the table for the whole index build: on a large table, requests that write to it hang or time out during the deploy",
    impact: "A write outage on the table for as long as the index takes to build (minutes on large tables).",
    recommendation:
      "Build it with `CREATE INDEX CONCURRENTLY` outside a transaction (Rails: `algorithm: :concurrently` with `disable_ddl_transaction!`; Django: `AddIndexConcurrently` in a non-atomic migration; Alembic: `postgresql_concurrently=True` in an autocommit block; goose: `-- +goose NO TRANSACTION`).",
    tags: ["database", "migration", "downtime"],
  },
  "type-narrowing": {
    kind: "migration-type-narrowing",
    confidence: 0.85,
    severity: "high",
    what: "narrows a column's type",
    breaks:
      "The migration fails on rows whose values no longer fit (MySQL without strict mode silently truncates them instead), and afterwards the application's writes of longer or larger values are rejected",
    impact: "A failed deploy or truncated data, then errors for users who enter values that used to be accepted.",
    recommendation:
      "Check the existing data first (e.g. `SELECT max(length(col))`), validate the new limit in the application before narrowing the column, or keep the wider type.",
    tags: ["database", "migration", "breaking-change", "data-loss"],
  },
  "type-change": {
    kind: "migration-type-change",
    confidence: 0.6,
    severity: "medium",
    what: "changes a column's type",
    breaks:
      "Values that do not convert make the migration fail, PostgreSQL rewrites the whole table under an exclusive lock (reads and writes wait), and the previous release still running during the deploy reads and writes the old type",
    impact: "A failed or blocking deploy, and type errors in code or clients that still expect the old type.",
    recommendation:
      "Add a column with the new type, backfill it in batches, move reads and writes over, then drop the old column; or confirm the table is small and every existing value converts.",
    tags: ["database", "migration", "breaking-change"],
  },
};

interface Hit {
  change: Change;
  /** Index of the evidence line in the file's lines. */
  at: number;
  /** Lines the statement spans; when `at` is not a changed line, the first added line among them is the evidence. */
  range?: [number, number];
  confidence?: number;
  severity?: Severity;
  /** A sentence specific to this hit. */
  detail?: string;
}

// ---------------------------------------------------------------------------------------------
// What the whole pull request says: PostgreSQL or not, previous column types, Django nullability

const PG_TEXT =
  /\bCONCURRENTLY\b|postgres(?:ql)?:\/\/|\bpostgresql\b|\bpsycopg2?\b|django\.contrib\.postgres|provider\s*=\s*"postgres(?:ql)?"|image:\s*["']?postgres|adapter:\s*["']?postg|\bgem\s+["']pg["']|"pg"\s*:\s*"|\bpostgresql_\w+\s*=|\bJSONB\b|\bBIGSERIAL\b|\bTIMESTAMPTZ\b|\bgen_random_uuid\s*\(|\bCREATE\s+EXTENSION\b|\bUSING\s+(?:gin|gist|brin)\b|::\s*(?:text|int|integer|jsonb?|uuid|regclass)\b/i;
const PG_PATH = /postgres|(?:^|[/_.-])pg(?:[/_.-]|$)/i;
const OTHER_DB_TEXT = /\bENGINE\s*=\s*InnoDB|\bAUTO_INCREMENT\b|\bAUTOINCREMENT\b|`\w+`\s+(?:int|varchar|bigint|text)\b|\bNVARCHAR\b|\bIDENTITY\s*\(|\bmysql\b|\bsqlite\d?\b|\bmssql\b|\bsqlserver\b/i;
const OTHER_DB_PATH = /mysql|sqlite|mssql|sqlserver|mariadb/i;

interface RepoContext {
  postgres: boolean;
  /** Column (or Django field) name -> its type before the change, from deleted lines of the pull request. */
  oldTypes: Map<string, ColumnType>;
  /** Django fields whose model line lost `null=True` in this pull request. */
  djangoMadeNotNull: Set<string>;
}

const SQL_COLUMN_DEF = /^\s*["`[]?(\w+)["`\]]?\s+((?:character varying|double precision|timestamp with(?:out)? time zone|[a-z]\w*)\s*(?:\(\s*(?:\d+|max)(?:\s*,\s*\d+)?\s*\))?)/i;
const DJANGO_FIELD = /^\s*(\w+)\s*=\s*models\.(\w+)\s*\((.*)/;
const RAILS_SCHEMA_COLUMN = /^\s*t\.(\w+)\s+["'](\w+)["'](.*)$/;
const PRISMA_FIELD = /^\s*(\w+)\s+(String|Int|BigInt|Decimal|Float|DateTime|Boolean)\??\s*(.*)$/;

/** The type an ORM description gives: Django fields, Rails types, SQLAlchemy types, Prisma attributes. */
export function ormType(kind: string, args: string): ColumnType | undefined {
  const num = (re: RegExp) => {
    const m = re.exec(args);
    return m ? Number(m[1]) : undefined;
  };
  const k = kind.toLowerCase();
  // Django
  const django: Record<string, string> = {
    textfield: "text", integerfield: "integer", positiveintegerfield: "integer", bigintegerfield: "bigint",
    positivebigintegerfield: "bigint", smallintegerfield: "smallint", positivesmallintegerfield: "smallint",
    floatfield: "double precision", datefield: "date", datetimefield: "timestamp", booleanfield: "boolean",
    jsonfield: "jsonb", uuidfield: "uuid", bigautofield: "bigint", autofield: "integer",
  };
  if (/^(?:char|slug|email|url)field$/.test(k)) {
    const n = num(/\bmax_length\s*=\s*(\d+)/) ?? { charfield: undefined, slugfield: 50, emailfield: 254, urlfield: 200 }[k];
    return n === undefined ? undefined : parseColumnType(`varchar(${n})`);
  }
  if (k === "decimalfield") {
    const p = num(/\bmax_digits\s*=\s*(\d+)/);
    const s = num(/\bdecimal_places\s*=\s*(\d+)/);
    return p === undefined ? undefined : parseColumnType(`numeric(${p},${s ?? 0})`);
  }
  if (django[k]) return parseColumnType(django[k]);
  // Rails (`:string, limit: 50`) and SQLAlchemy (`String(50)`)
  if (k === "string") {
    const n = num(/\blimit:\s*(\d+)/) ?? num(/^\s*(?:length\s*=\s*)?(\d+)/);
    return parseColumnType(n === undefined ? "varchar" : `varchar(${n})`);
  }
  if (k === "integer") {
    const n = num(/\blimit:\s*(\d+)/);
    return parseColumnType(n === 2 ? "smallint" : n === 8 ? "bigint" : "integer");
  }
  if (k === "decimal") {
    const p = num(/\bprecision:\s*(\d+)/);
    const s = num(/\bscale:\s*(\d+)/);
    return parseColumnType(p === undefined ? "numeric" : `numeric(${p},${s ?? 0})`);
  }
  const rails: Record<string, string> = { text: "text", bigint: "bigint", float: "double precision", date: "date", datetime: "timestamp", boolean: "boolean", jsonb: "jsonb", json: "json", uuid: "uuid" };
  if (rails[k]) return parseColumnType(rails[k]);
  // SQLAlchemy (`sa.String(50)`) and Prisma (`String @db.VarChar(50)`)
  const sa: Record<string, string> = { text: "text", integer: "integer", biginteger: "bigint", smallinteger: "smallint", float: "double precision", date: "date", datetime: "timestamp", boolean: "boolean" };
  if (/^(?:varchar|unicode|nvarchar)$/.test(k)) {
    const n = num(/^\s*(?:length\s*=\s*)?(\d+)/);
    return parseColumnType(n === undefined ? "varchar" : `varchar(${n})`);
  }
  if (/^(?:numeric|decimal)$/.test(k)) {
    const m = /^\s*(?:precision\s*=\s*)?(\d+)(?:\s*,\s*(?:scale\s*=\s*)?(\d+))?/.exec(args);
    return parseColumnType(m ? `numeric(${m[1]},${m[2] ?? 0})` : "numeric");
  }
  if (sa[k]) return parseColumnType(sa[k]);
  return parseColumnType(kind + (args && /^\s*\d/.test(args) ? `(${args})` : ""));
}

function saType(expr: string): ColumnType | undefined {
  const m = /(?:\b(?:sa|sqlalchemy|postgresql|mysql|types)\.)?([A-Za-z]\w*)\s*(?:\(([^)]*)\))?/.exec(expr.trim());
  return m ? ormType(m[1], m[2] ?? "") : undefined;
}

function prismaType(base: string, rest: string): ColumnType | undefined {
  const db = /@db\.(\w+)(?:\(([^)]*)\))?/.exec(rest);
  if (db) return parseColumnType(db[2] ? `${db[1]}(${db[2]})` : db[1]);
  return parseColumnType({ String: "text", Int: "integer", BigInt: "bigint", Decimal: "numeric(65,30)", Float: "double precision", DateTime: "timestamp", Boolean: "boolean" }[base] ?? "");
}

function repoContext(input: AnalysisInput): RepoContext {
  let postgres = false;
  const oldTypes = new Map<string, ColumnType>();
  const djangoNull = new Set<string>();
  const djangoNotNull = new Set<string>();
  for (const file of input.files) {
    if (PG_PATH.test(file.path) && !OTHER_DB_PATH.test(file.path)) postgres = true;
    const content = contentOf(input, file.path);
    if (!postgres && content !== undefined && content.length < 2_000_000 && PG_TEXT.test(content)) postgres = true;
    const isSql = /\.sql$/i.test(file.path);
    const isModels = /\.py$/i.test(file.path);
    const isSchemaRb = /(?:^|\/)schema\.rb$/.test(file.path);
    const isPrisma = /\.prisma$/i.test(file.path);
    for (const h of file.hunks)
      for (const l of h.lines) {
        const t = l.content;
        if (!postgres && PG_TEXT.test(t)) postgres = true;
        if (l.kind === "del") {
          let name: string | undefined;
          let type: ColumnType | undefined;
          if (isSql) {
            const m = SQL_COLUMN_DEF.exec(t);
            if (m && !/^(?:CONSTRAINT|PRIMARY|FOREIGN|UNIQUE|CHECK|KEY|INDEX|CREATE|ALTER|DROP|INSERT|SELECT)$/i.test(m[1])) {
              name = m[1];
              type = parseColumnType(m[2]);
            }
          } else if (isModels) {
            const m = DJANGO_FIELD.exec(t);
            if (m) {
              name = m[1];
              type = ormType(m[2], m[3]);
              if (/\bnull\s*=\s*True\b/.test(m[3])) djangoNull.add(m[1]);
            }
          } else if (isSchemaRb) {
            const m = RAILS_SCHEMA_COLUMN.exec(t);
            if (m) {
              name = m[2];
              type = ormType(m[1], m[3]);
            }
          } else if (isPrisma) {
            const m = PRISMA_FIELD.exec(t);
            if (m) {
              name = m[1];
              type = prismaType(m[2], m[3]);
            }
          }
          if (name && type && !oldTypes.has(name.toLowerCase())) oldTypes.set(name.toLowerCase(), type);
        } else if (l.kind === "add" && isModels) {
          const m = DJANGO_FIELD.exec(t);
          if (m && !/\bnull\s*=\s*True\b/.test(m[3]) && !/\b(?:db_)?default\s*=/.test(m[3])) djangoNotNull.add(m[1]);
        }
      }
  }
  const djangoMadeNotNull = new Set([...djangoNotNull].filter((n) => djangoNull.has(n)));
  return { postgres, oldTypes, djangoMadeNotNull };
}

type Dialect = "postgres" | "other" | "unknown";

function dialectOf(path: string, text: string, repo: RepoContext): Dialect {
  if (OTHER_DB_PATH.test(path) || OTHER_DB_TEXT.test(text)) return "other";
  if (PG_PATH.test(path) || PG_TEXT.test(text) || repo.postgres) return "postgres";
  return "unknown";
}

// ---------------------------------------------------------------------------------------------
// Up and down parts

const DOWN_START =
  /^\s*(?:(?:protected\s+|public\s+)?override\s+void\s+Down\s*\(|func\s+[dD]own\w*\s*\(|def\s+(?:self\.)?(?:down|downgrade)\b|(?:export\s+)?(?:async\s+)?function\s+down\b|(?:module\.)?exports\.down\b|(?:(?:public|private|protected)\s+)?(?:async\s+)?(?:function\s+)?down\s*[(:]|--\s*\+goose\s+down|--\s*migrate:down|--\s*\+migrate\s+down|--\s*rollback\b|--\s*down\b)/i;
const UP_START =
  /^\s*(?:(?:protected\s+|public\s+)?override\s+void\s+Up\s*\(|func\s+[uU]p\w*\s*\(|def\s+(?:self\.)?(?:up|upgrade|change)\b|(?:export\s+)?(?:async\s+)?function\s+up\b|(?:module\.)?exports\.up\b|(?:(?:public|private|protected)\s+)?(?:async\s+)?(?:function\s+)?up\s*[(:]|--\s*\+goose\s+up|--\s*migrate:up|--\s*\+migrate\s+up|--\s*up\b)/i;

/** Whether `index` of `lines` sits in the "down" part of a migration (undoing the "up" part). */
function inDownSection(lines: readonly string[], index: number): boolean {
  for (let i = index; i >= 0 && i >= index - 500; i--) {
    if (DOWN_START.test(lines[i])) return true;
    if (UP_START.test(lines[i])) return false;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// SQL files, statement by statement

const DEFAULT_OR_GENERATED = /\bDEFAULT\b|\b(?:BIG|SMALL)?SERIAL\d?\b|\bGENERATED\b|\bIDENTITY\b|\bAUTO_?INCREMENT\b|\bAS\s*\(/i;
const NOT_A_COLUMN = /^(?:CONSTRAINT|INDEX|KEY|PRIMARY|FOREIGN|UNIQUE|CHECK|FULLTEXT|SPATIAL|PARTITION|PERIOD|SYSTEM|EXCLUDE)\b/i;
const TYPE_TEXT = String.raw`((?:character varying|double precision|timestamp with(?:out)? time zone|[a-z][\w]*)\s*(?:\(\s*(?:\d+|max)(?:\s*,\s*\d+)?\s*\))?)`;

interface SqlContext {
  created: Map<string, number>; // table -> line where created
  updated: Map<string, number>; // table -> first line of an UPDATE
  columnTypes: Map<string, ColumnType>; // table.column -> type from CREATE TABLE / ADD COLUMN above
  dialect: Dialect;
  repo: RepoContext;
  inMigrationDir: boolean;
}

function typeChangeHit(at: number, range: [number, number], table: string, column: string, rawType: string, ctx: SqlContext): Hit | undefined {
  const to = parseColumnType(rawType);
  if (!to) return undefined;
  const from = ctx.columnTypes.get(`${table}.${column}`) ?? ctx.repo.oldTypes.get(column);
  return typeHit(at, range, column, from, to);
}

function typeHit(at: number, range: [number, number] | undefined, column: string, from: ColumnType | undefined, to: ColumnType): Hit | undefined {
  if (from) {
    const change = compareTypes(from, to);
    if (change === "narrowing")
      return { change: "type-narrowing", at, range, detail: `\`${column}\` goes from \`${from.text}\` to \`${to.text}\`.` };
    if (change === "incompatible")
      return { change: "type-change", at, range, confidence: 0.7, detail: `\`${column}\` goes from \`${from.text}\` to \`${to.text}\`, and not every value converts.` };
    return undefined;
  }
  if (isWideType(to)) return undefined;
  return { change: "type-change", at, range, detail: `\`${column}\` becomes \`${to.text}\`: if its current type is wider, longer or larger values no longer fit.` };
}

function sqlAlterTable(stmt: { text: string; lineAt(o: number): number }, ctx: SqlContext, hits: Hit[]): void {
  const head = new RegExp(String.raw`^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(${IDENT})\s*`, "i").exec(stmt.text);
  if (!head) return;
  const table = identName(head[1]);
  const body = stmt.text.slice(head[0].length);
  const createdHere = ctx.created.has(table) && (ctx.created.get(table) as number) <= stmt.lineAt(0);
  for (const clause of splitClauses(body)) {
    const text = clause.text;
    const lead = text.length - text.trimStart().length;
    const c = text.trim();
    const offset = head[0].length + clause.offset + lead;
    const at = stmt.lineAt(offset);
    const range: [number, number] = [at, stmt.lineAt(offset + c.length)];
    let m: RegExpExecArray | null;
    if ((m = new RegExp(String.raw`^DROP\s+(COLUMN\s+)?(?:IF\s+EXISTS\s+)?(${IDENT})`, "i").exec(c))) {
      if (!m[1] && (NOT_A_COLUMN.test(m[2]) || /^(?:DEFAULT|NOT|IDENTITY|EXPRESSION|CONSTRAINT)$/i.test(m[2]))) continue;
      if (createdHere) continue;
      hits.push({ change: "drop-column", at, range, detail: `Column \`${identName(m[2])}\` of \`${table}\`.` });
    } else if ((m = /^RENAME\s+(?:TO|AS)\s+(\S+)/i.exec(c))) {
      if (!createdHere) hits.push({ change: "rename", at, range, detail: `Table \`${table}\` becomes \`${identName(m[1])}\`.` });
    } else if ((m = new RegExp(String.raw`^RENAME\s+(?:COLUMN\s+)?(?!CONSTRAINT\b|INDEX\b|KEY\b)(${IDENT})\s+TO\s+(${IDENT})`, "i").exec(c))) {
      if (!createdHere) hits.push({ change: "rename", at, range, detail: `Column \`${identName(m[1])}\` of \`${table}\` becomes \`${identName(m[2])}\`.` });
    } else if ((m = new RegExp(String.raw`^ADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(${IDENT})\s+(.*)$`, "is").exec(c))) {
      if (NOT_A_COLUMN.test(m[1]) || createdHere) continue;
      const col = identName(m[1]);
      const t = parseColumnType(m[2]);
      if (t) ctx.columnTypes.set(`${table}.${col}`, t);
      if (/\bNOT\s+NULL\b/i.test(m[2]) && !DEFAULT_OR_GENERATED.test(m[2]))
        hits.push({ change: "not-null-add", at, range, detail: `Column \`${col}\` of \`${table}\`.` });
    } else if ((m = new RegExp(String.raw`^ALTER\s+(?:COLUMN\s+)?(${IDENT})\s+(.*)$`, "is").exec(c))) {
      const col = identName(m[1]);
      const rest = m[2];
      let t: RegExpExecArray | null;
      if (/^SET\s+NOT\s+NULL\b/i.test(rest)) {
        hits.push(notNullSet(at, range, table, col, stmt.lineAt(0), ctx));
      } else if ((t = new RegExp(String.raw`^(?:SET\s+DATA\s+)?TYPE\s+${TYPE_TEXT}`, "i").exec(rest))) {
        const h = typeChangeHit(at, range, table, col, t[1], ctx);
        if (h && !createdHere) hits.push(h);
      } else if (!/^(?:SET|DROP|ADD|RESET|RESTART|OPTIONS|TYPE)\b/i.test(rest) && (t = new RegExp(`^${TYPE_TEXT}`, "i").exec(rest))) {
        // SQL Server: ALTER COLUMN name type [NOT NULL]
        const h = typeChangeHit(at, range, table, col, t[1], ctx);
        if (h && !createdHere) hits.push(h);
        else if (/\bNOT\s+NULL\b/i.test(rest) && !createdHere) hits.push(notNullSet(at, range, table, col, stmt.lineAt(0), ctx));
      }
    } else if ((m = new RegExp(String.raw`^MODIFY\s+(?:COLUMN\s+)?(${IDENT})\s+${TYPE_TEXT}`, "i").exec(c))) {
      const h = typeChangeHit(at, range, table, identName(m[1]), m[2], ctx);
      if (h && !createdHere) hits.push(h);
    } else if ((m = new RegExp(String.raw`^CHANGE\s+(?:COLUMN\s+)?(${IDENT})\s+(${IDENT})\s+${TYPE_TEXT}`, "i").exec(c))) {
      if (createdHere) continue;
      const from = identName(m[1]);
      const to = identName(m[2]);
      if (from !== to) hits.push({ change: "rename", at, range, detail: `Column \`${from}\` of \`${table}\` becomes \`${to}\`.` });
      else {
        const h = typeChangeHit(at, range, table, from, m[3], ctx);
        if (h) hits.push(h);
      }
    }
  }
}

function notNullSet(at: number, range: [number, number], table: string, col: string, stmtLine: number, ctx: SqlContext): Hit {
  const backfilled = ctx.updated.has(table) && (ctx.updated.get(table) as number) < stmtLine;
  return backfilled
    ? {
        change: "not-null-set",
        at,
        range,
        confidence: 0.55,
        detail: `Column \`${col}\` of \`${table}\`: the migration backfills the table first, so it should pass, but writes from the previous release that leave the column empty will be rejected.`,
      }
    : { change: "not-null-set", at, range, detail: `Column \`${col}\` of \`${table}\`.` };
}

/**
 * @param partial the lines are one hunk's new side: a statement cut at its top (`DROP COLUMN x;`
 * whose `ALTER TABLE` is above the hunk) is read as an ALTER TABLE of an unknown table.
 */
function sqlHits(rawLines: readonly string[], path: string, repo: RepoContext, partial = false): Hit[] {
  const lines = blankSql(rawLines);
  const statements = splitStatements(lines).filter((s) => !inDownSection(rawLines, s.startLine));
  const ctx: SqlContext = {
    created: new Map(),
    updated: new Map(),
    columnTypes: new Map(),
    dialect: dialectOf(path, rawLines.join("\n"), repo),
    repo,
    inMigrationDir: MIGRATION_DIR.test(path),
  };
  const dropped = new Map<string, number>();
  // First pass: tables created, updated and dropped (to tell a rebuild or a temp table from a real drop).
  for (const s of statements) {
    let m = new RegExp(String.raw`^CREATE\s+(?:(?:GLOBAL\s+|LOCAL\s+)?(?:TEMP|TEMPORARY|UNLOGGED)\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(${IDENT})\s*\(([\s\S]*)\)`, "i").exec(s.text);
    if (m) {
      const table = identName(m[1]);
      if (!ctx.created.has(table)) ctx.created.set(table, s.startLine);
      for (const col of splitClauses(m[2])) {
        const d = new RegExp(String.raw`^\s*(${IDENT})\s+${TYPE_TEXT}`, "i").exec(col.text);
        const t = d && !NOT_A_COLUMN.test(d[1]) ? parseColumnType(d[2]) : undefined;
        if (d && t) ctx.columnTypes.set(`${table}.${identName(d[1])}`, t);
      }
      continue;
    }
    if ((m = new RegExp(String.raw`^UPDATE\s+(?:ONLY\s+)?(${IDENT})\s+SET\b`, "i").exec(s.text))) {
      const table = identName(m[1]);
      if (!ctx.updated.has(table)) ctx.updated.set(table, s.startLine);
    } else if ((m = new RegExp(String.raw`^DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(${IDENT}(?:\s*,\s*${IDENT})*)`, "i").exec(s.text))) {
      for (const t of m[1].split(",")) dropped.set(identName(t), s.startLine);
    }
  }

  const hits: Hit[] = [];
  for (const s of statements) {
    const t = s.text;
    const range: [number, number] = [s.startLine, s.lineAt(t.length)];
    let m: RegExpExecArray | null;
    if ((m = new RegExp(String.raw`^DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(${IDENT}(?:\s*,\s*${IDENT})*)`, "i").exec(t))) {
      for (const raw of m[1].split(",")) {
        const table = identName(raw);
        const created = ctx.created.get(table);
        if (created !== undefined && created < s.startLine) continue; // a table this migration made (a temp or staging table)
        // A table rebuild (SQLite, Prisma "RedefineTables"): the replacement is renamed to the dropped name.
        const rebuilt = statements.some((o) => o.startLine > s.startLine && new RegExp(String.raw`^ALTER\s+TABLE\s+\S+\s+RENAME\s+TO\s+["\x60\[]?${escapeRe(table)}["\x60\]]?\s*$`, "i").test(o.text));
        if (rebuilt) continue;
        if (created !== undefined) {
          // DROP then CREATE of the same table: a schema script outside migrations; a destructive recreate inside.
          if (!ctx.inMigrationDir) continue;
          hits.push({ change: "drop-table", at: s.startLine, range, confidence: 0.6, detail: `\`${table}\` is dropped and created again: every existing row is lost.` });
          continue;
        }
        hits.push({ change: "drop-table", at: s.startLine, range, detail: `Table \`${table}\`.` });
      }
    } else if (/^ALTER\s+TABLE\b/i.test(t)) {
      // The other half of a rebuild: `ALTER TABLE "new_User" RENAME TO "User"` after dropping "User".
      const r = new RegExp(String.raw`^ALTER\s+TABLE\s+(${IDENT})\s+RENAME\s+TO\s+(${IDENT})\s*$`, "i").exec(t);
      if (r && dropped.has(identName(r[2])) && (dropped.get(identName(r[2])) as number) < s.startLine) continue;
      if (r && ctx.created.has(identName(r[1]))) continue;
      sqlAlterTable(s, ctx, hits);
    } else if (partial && s.startLine === 0 && /^(?:DROP|ADD|ALTER|RENAME|MODIFY|CHANGE)\s+COLUMN\b/i.test(t)) {
      const head = "ALTER TABLE \"?\" ";
      sqlAlterTable({ text: head + t, lineAt: (o) => s.lineAt(Math.max(0, o - head.length)) }, ctx, hits);
    } else if ((m = new RegExp(String.raw`^RENAME\s+TABLE\s+(${IDENT})\s+TO\s+(${IDENT})`, "i").exec(t))) {
      if (!ctx.created.has(identName(m[1]))) hits.push({ change: "rename", at: s.startLine, range, detail: `Table \`${identName(m[1])}\` becomes \`${identName(m[2])}\`.` });
    } else if (/^(?:EXEC(?:UTE)?\s+)?sp_rename\b/i.test(t)) {
      hits.push({ change: "rename", at: s.startLine, range });
    } else if ((m = new RegExp(String.raw`^CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?!CONCURRENTLY\b)(?:IF\s+NOT\s+EXISTS\s+)?(?:${IDENT}\s+)?ON\s+(?:ONLY\s+)?(${IDENT})`, "i").exec(t))) {
      const table = identName(m[1]);
      // Schema dumps (structure.sql, schema.sql) list every index of tables they create elsewhere: not a live build.
      if (ctx.created.has(table) || ctx.dialect === "other" || !ctx.inMigrationDir) continue;
      if (ctx.dialect === "postgres") hits.push({ change: "blocking-index", at: s.startLine, range, detail: `Index on \`${table}\`.` });
      else
        hits.push({
          change: "blocking-index",
          at: s.startLine,
          range,
          confidence: 0.5,
          severity: "low",
          detail: `Index on \`${table}\`. (Nothing here says which database this is; on MySQL/InnoDB an index build mostly allows writes.)`,
        });
    }
  }
  return hits;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// ---------------------------------------------------------------------------------------------
// ORM migrations and SQL embedded in code, line by line

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
    return { confidence: 0.55, detail: "The migration backfills existing rows first, so it should pass, but writes from the previous release that leave the column empty will be rejected." };
}

function indexCheck(c: CodeContext, table: string | undefined): false | Partial<Hit> | void {
  if (c.dialect !== "postgres") return false;
  if (table && createsTable(c.fileText, table)) return false;
  if (table) return { detail: `Index on \`${table}\`.` };
}

const CODE_RULES: CodeRule[] = [
  // SQL embedded in code (RunSQL, execute, knex.raw, queryRunner.query)
  { change: "drop-table", re: /\bDROP\s+TABLE\b/i, check: (c) => (/\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?["'`]?(?:tmp|temp)_/i.test(c.stmt) ? false : undefined) },
  { change: "drop-column", re: /\bDROP\s+COLUMN\b/i },
  { change: "rename", re: /\bRENAME\s+(?:COLUMN|TABLE)\b|\bALTER\s+TABLE\s+\S+\s+RENAME\s+TO\b|\bsp_rename\b/i },
  { change: "not-null-set", re: /\bALTER\s+COLUMN\b.*\bSET\s+NOT\s+NULL\b/i, check: notNullCheck },
  {
    change: "not-null-add",
    re: /\bADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?!(?:CONSTRAINT|INDEX|KEY|PRIMARY|FOREIGN|UNIQUE|CHECK)\b)["`]?\w+["`]?\s+\w[^,;]*\bNOT\s+NULL\b/i, check: (c) => (DEFAULT_OR_GENERATED.test(c.stmt) ? false : undefined) },
  {
    change: "blocking-index",
    re: /\bCREATE\s+(?:UNIQUE\s+)?INDEX\b/i,
    check: (c) => (/\bCONCURRENTLY\b/i.test(c.stmt) ? false : indexCheck(c, /\bON\s+["`]?(\w+)/i.exec(c.stmt)?.[1])),
  },
  {
    change: "type-change",
    re: /\bALTER\s+(?:COLUMN\s+)?["`]?\w+["`]?\s+(?:SET\s+DATA\s+)?TYPE\s+/i,
    check: (c) => {
      const m = new RegExp(String.raw`\bALTER\s+(?:COLUMN\s+)?["\x60]?(\w+)["\x60]?\s+(?:SET\s+DATA\s+)?TYPE\s+${TYPE_TEXT}`, "i").exec(c.stmt);
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
  { change: "blocking-index", re: /\bmigrations\.AddIndex\s*\(/, check: (c) => indexCheck(c, /\bmodel_name\s*=\s*["'](\w+)["']/.exec(c.stmt)?.[1]) },
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
      const args = /\(\s*(?:["'][^"']*["']|None)\s*,\s*["'](\w+)["']/.exec(c.stmt)?.[1] ?? /\btable_name\s*=\s*["'](\w+)["']/.exec(c.stmt)?.[1];
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
        ? { confidence: 0.55, detail: "NULLs are replaced in the same step, so the migration should pass, but writes from the previous release that leave the column empty will be rejected." }
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
    check: (c) => (/\bdefault:/.test(c.stmt) || createsTable(c.fileText, /add_column\s*\(?\s*:(\w+)/.exec(c.stmt)?.[1] ?? "\0") ? false : undefined),
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
          ? { change: "not-null-set", confidence: 0.55, detail: "Existing NULLs are replaced by the default first, so the migration should pass, but writes from the previous release that leave the column empty will be rejected." }
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

function codeHits(lines: readonly string[], isAdded: (i: number) => boolean, path: string, repo: RepoContext): Hit[] {
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

// ---------------------------------------------------------------------------------------------

/** Whether the whole new content agrees with the diff (else the hunks are the only truth). */
function agrees(lines: readonly string[], file: DiffFile): boolean {
  for (const h of file.hunks) for (const l of h.lines) if (l.kind !== "del" && lines[(l.newLine ?? 0) - 1] !== l.content) return false;
  return true;
}

export const migrationsPredictor: SyncAnalyzer = {
  name: "migrations",
  analyze(input) {
    const predictions: Prediction[] = [];
    const candidates = input.files.filter((f) => !f.binary && f.hunks.length > 0 && isMigration(f.path));
    if (candidates.length === 0) return { findings: [], predictions };
    const repo = repoContext(input);
    for (const file of candidates) {
      safely(() => {
        const isSql = /\.sql$/i.test(file.path);
        const content = contentOf(input, file.path);
        const whole = content !== undefined ? textLines(content) : undefined;
        // Views of the file: the whole of it, or each hunk's new side.
        const views: { lines: string[]; line: (i: number) => DiffLine | undefined; partial: boolean }[] = [];
        if (whole && agrees(whole, file)) {
          const index = new DiffIndex(file);
          views.push({ lines: whole, line: (i) => index.changed("new", i + 1), partial: false });
        } else {
          for (const h of file.hunks) {
            const side = h.lines.filter((l) => l.kind !== "del");
            views.push({ lines: side.map((l) => l.content), line: (i) => (side[i]?.kind === "add" ? side[i] : undefined), partial: h.oldStart > 1 });
          }
        }
        const seen = new Set<string>();
        for (const view of views) {
          const hits = isSql ? sqlHits(view.lines, file.path, repo, view.partial) : codeHits(view.lines, (i) => view.line(i) !== undefined, file.path, repo);
          for (const hit of hits) {
            let at = view.line(hit.at);
            if (!at && hit.range) for (let i = hit.range[0]; i <= hit.range[1] && !at; i++) at = view.line(i);
            if (!at) continue; // the risky part was there before this change
            const t = TEXT[hit.change];
            const base = hit.confidence ?? t.confidence;
            // A .sql file outside a migrations folder may be a dump or a one-off script.
            const confidence = MIGRATION_DIR.test(file.path) ? base : round2(Math.max(0.3, base - 0.2));
            const key = `${t.kind}:${at.newLine}:${hit.detail ?? ""}`;
            if (seen.has(key)) continue;
            seen.add(key);
            predictions.push(
              makePrediction({
                kind: t.kind,
                path: file.path,
                at,
                prediction: `This migration ${t.what} (\`${snippet(at.content)}\`).${hit.detail ? ` ${hit.detail}` : ""} ${t.breaks}.`,
                confidence,
                severity: hit.severity ?? t.severity,
                impact: t.impact,
                tags: t.tags,
                recommendation: t.recommendation,
                identity: `${at.content}\u0000${hit.detail ?? ""}`,
              }),
            );
          }
        }
      });
    }
    return { findings: [], predictions };
  },
};
