/**
 * What the migration checks share (see migrations.ts): the kinds of risky change and a hit's
 * shape; what the whole pull request says (PostgreSQL or not, the column types and Django
 * nullability its deleted lines had, ORM type names read as SQL types); and where a migration's
 * "down" part starts.
 */
import type { AnalysisInput, Severity } from "../types.js";
import { contentOf } from "./predict.js";
import { parseColumnType, type ColumnType } from "./sql.js";

/** A migrations folder (Django, Rails, Knex, Prisma, Flyway, Alembic, Laravel...), not any file whose name mentions migrations. */
export const MIGRATION_DIR = /(?:^|\/)(?:migrations?|migrate|alembic\/versions|db\/changes)\//i;

export type Change =
  "drop-table" | "drop-column" | "rename" | "not-null-add" | "not-null-set" | "blocking-index" | "type-narrowing" | "type-change";

export interface Hit {
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
const OTHER_DB_TEXT =
  /\bENGINE\s*=\s*InnoDB|\bAUTO_INCREMENT\b|\bAUTOINCREMENT\b|`\w+`\s+(?:int|varchar|bigint|text)\b|\bNVARCHAR\b|\bIDENTITY\s*\(|\bmysql\b|\bsqlite\d?\b|\bmssql\b|\bsqlserver\b/i;
const OTHER_DB_PATH = /mysql|sqlite|mssql|sqlserver|mariadb/i;

export interface RepoContext {
  postgres: boolean;
  /** Column (or Django field) name -> its type before the change, from deleted lines of the pull request. */
  oldTypes: Map<string, ColumnType>;
  /** Django fields whose model line lost `null=True` in this pull request. */
  djangoMadeNotNull: Set<string>;
}

const SQL_COLUMN_DEF =
  /^\s*["`[]?(\w+)["`\]]?\s+((?:character varying|double precision|timestamp with(?:out)? time zone|[a-z]\w*)\s*(?:\(\s*(?:\d+|max)(?:\s*,\s*\d+)?\s*\))?)/i;
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
    textfield: "text",
    integerfield: "integer",
    positiveintegerfield: "integer",
    bigintegerfield: "bigint",
    positivebigintegerfield: "bigint",
    smallintegerfield: "smallint",
    positivesmallintegerfield: "smallint",
    floatfield: "double precision",
    datefield: "date",
    datetimefield: "timestamp",
    booleanfield: "boolean",
    jsonfield: "jsonb",
    uuidfield: "uuid",
    bigautofield: "bigint",
    autofield: "integer",
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
  const rails: Record<string, string> = {
    text: "text",
    bigint: "bigint",
    float: "double precision",
    date: "date",
    datetime: "timestamp",
    boolean: "boolean",
    jsonb: "jsonb",
    json: "json",
    uuid: "uuid",
  };
  if (rails[k]) return parseColumnType(rails[k]);
  // SQLAlchemy (`sa.String(50)`) and Prisma (`String @db.VarChar(50)`)
  const sa: Record<string, string> = {
    text: "text",
    integer: "integer",
    biginteger: "bigint",
    smallinteger: "smallint",
    float: "double precision",
    date: "date",
    datetime: "timestamp",
    boolean: "boolean",
  };
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

export function saType(expr: string): ColumnType | undefined {
  const m = /(?:\b(?:sa|sqlalchemy|postgresql|mysql|types)\.)?([A-Za-z]\w*)\s*(?:\(([^)]*)\))?/.exec(expr.trim());
  return m ? ormType(m[1], m[2] ?? "") : undefined;
}

function prismaType(base: string, rest: string): ColumnType | undefined {
  const db = /@db\.(\w+)(?:\(([^)]*)\))?/.exec(rest);
  if (db) return parseColumnType(db[2] ? `${db[1]}(${db[2]})` : db[1]);
  return parseColumnType(
    {
      String: "text",
      Int: "integer",
      BigInt: "bigint",
      Decimal: "numeric(65,30)",
      Float: "double precision",
      DateTime: "timestamp",
      Boolean: "boolean",
    }[base] ?? "",
  );
}

export function repoContext(input: AnalysisInput): RepoContext {
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

export type Dialect = "postgres" | "other" | "unknown";

export function dialectOf(path: string, text: string, repo: RepoContext): Dialect {
  if (OTHER_DB_PATH.test(path) || OTHER_DB_TEXT.test(text)) return "other";
  if (PG_PATH.test(path) || PG_TEXT.test(text) || repo.postgres) return "postgres";
  return "unknown";
}

// ---------------------------------------------------------------------------------------------
// Up and down parts

const DOWN_START =
  /^\s*(?:(?:protected\s+|public\s+)?override\s+void\s+Down\s*\(|func\s+[dD]own\w*\s*\(|def\s+(?:self\.)?(?:down|downgrade)\b|(?:export\s+)?(?:async\s+)?function\s+down\b|(?:module\.)?exports\.down\b|(?:(?:public|private|protected)\s+)?(?:async\s+)?(?:function\s+)?down\s*[(:]|--\s*\+goose\s+down|--\s*migrate:down|--\s*\+migrate\s+down|--\s*rollback\b|--\s*down\b)/i;
export const UP_START =
  /^\s*(?:(?:protected\s+|public\s+)?override\s+void\s+Up\s*\(|func\s+[uU]p\w*\s*\(|def\s+(?:self\.)?(?:up|upgrade|change)\b|(?:export\s+)?(?:async\s+)?function\s+up\b|(?:module\.)?exports\.up\b|(?:(?:public|private|protected)\s+)?(?:async\s+)?(?:function\s+)?up\s*[(:]|--\s*\+goose\s+up|--\s*migrate:up|--\s*\+migrate\s+up|--\s*up\b)/i;

/** Whether `index` of `lines` sits in the "down" part of a migration (undoing the "up" part). */
export function inDownSection(lines: readonly string[], index: number): boolean {
  for (let i = index; i >= 0 && i >= index - 500; i--) {
    if (DOWN_START.test(lines[i])) return true;
    if (UP_START.test(lines[i])) return false;
  }
  return false;
}
