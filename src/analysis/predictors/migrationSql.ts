/**
 * Migrations in SQL files, statement by statement (see migrations.ts): dropped and renamed tables
 * and columns, NOT NULL without a default, blocking index builds and type changes, with what the
 * file itself creates, backfills and rebuilds taken into account.
 */
import {
  compareTypes,
  IDENT,
  identName,
  isWideType,
  parseColumnType,
  splitClauses,
  splitStatements,
  blankSql,
  type ColumnType,
} from "./sql.js";
import { dialectOf, inDownSection, MIGRATION_DIR, type Dialect, type Hit, type RepoContext } from "./migrationContext.js";

export const DEFAULT_OR_GENERATED = /\bDEFAULT\b|\b(?:BIG|SMALL)?SERIAL\d?\b|\bGENERATED\b|\bIDENTITY\b|\bAUTO_?INCREMENT\b|\bAS\s*\(/i;
const NOT_A_COLUMN = /^(?:CONSTRAINT|INDEX|KEY|PRIMARY|FOREIGN|UNIQUE|CHECK|FULLTEXT|SPATIAL|PARTITION|PERIOD|SYSTEM|EXCLUDE)\b/i;
export const TYPE_TEXT = String.raw`((?:character varying|double precision|timestamp with(?:out)? time zone|[a-z][\w]*)\s*(?:\(\s*(?:\d+|max)(?:\s*,\s*\d+)?\s*\))?)`;

interface SqlContext {
  created: Map<string, number>; // table -> line where created
  updated: Map<string, number>; // table -> first line of an UPDATE
  columnTypes: Map<string, ColumnType>; // table.column -> type from CREATE TABLE / ADD COLUMN above
  dialect: Dialect;
  repo: RepoContext;
  inMigrationDir: boolean;
}

function typeChangeHit(
  at: number,
  range: [number, number],
  table: string,
  column: string,
  rawType: string,
  ctx: SqlContext,
): Hit | undefined {
  const to = parseColumnType(rawType);
  if (!to) return undefined;
  const from = ctx.columnTypes.get(`${table}.${column}`) ?? ctx.repo.oldTypes.get(column);
  return typeHit(at, range, column, from, to);
}

export function typeHit(
  at: number,
  range: [number, number] | undefined,
  column: string,
  from: ColumnType | undefined,
  to: ColumnType,
): Hit | undefined {
  if (from) {
    const change = compareTypes(from, to);
    if (change === "narrowing")
      return { change: "type-narrowing", at, range, detail: `\`${column}\` goes from \`${from.text}\` to \`${to.text}\`.` };
    if (change === "incompatible")
      return {
        change: "type-change",
        at,
        range,
        confidence: 0.7,
        detail: `\`${column}\` goes from \`${from.text}\` to \`${to.text}\`, and not every value converts.`,
      };
    return undefined;
  }
  if (isWideType(to)) return undefined;
  return {
    change: "type-change",
    at,
    range,
    detail: `\`${column}\` becomes \`${to.text}\`: if its current type is wider, longer or larger values no longer fit.`,
  };
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
    } else if (
      (m = new RegExp(String.raw`^RENAME\s+(?:COLUMN\s+)?(?!CONSTRAINT\b|INDEX\b|KEY\b)(${IDENT})\s+TO\s+(${IDENT})`, "i").exec(c))
    ) {
      if (!createdHere)
        hits.push({ change: "rename", at, range, detail: `Column \`${identName(m[1])}\` of \`${table}\` becomes \`${identName(m[2])}\`.` });
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
export function sqlHits(rawLines: readonly string[], path: string, repo: RepoContext, partial = false): Hit[] {
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
    let m = new RegExp(
      String.raw`^CREATE\s+(?:(?:GLOBAL\s+|LOCAL\s+)?(?:TEMP|TEMPORARY|UNLOGGED)\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(${IDENT})\s*\(([\s\S]*)\)`,
      "i",
    ).exec(s.text);
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
        const rebuilt = statements.some(
          (o) =>
            o.startLine > s.startLine &&
            new RegExp(String.raw`^ALTER\s+TABLE\s+\S+\s+RENAME\s+TO\s+["\x60\[]?${escapeRe(table)}["\x60\]]?\s*$`, "i").test(o.text),
        );
        if (rebuilt) continue;
        if (created !== undefined) {
          // DROP then CREATE of the same table: a schema script outside migrations; a destructive recreate inside.
          if (!ctx.inMigrationDir) continue;
          hits.push({
            change: "drop-table",
            at: s.startLine,
            range,
            confidence: 0.6,
            detail: `\`${table}\` is dropped and created again: every existing row is lost.`,
          });
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
      const head = 'ALTER TABLE "?" ';
      sqlAlterTable({ text: head + t, lineAt: (o) => s.lineAt(Math.max(0, o - head.length)) }, ctx, hits);
    } else if ((m = new RegExp(String.raw`^RENAME\s+TABLE\s+(${IDENT})\s+TO\s+(${IDENT})`, "i").exec(t))) {
      if (!ctx.created.has(identName(m[1])))
        hits.push({ change: "rename", at: s.startLine, range, detail: `Table \`${identName(m[1])}\` becomes \`${identName(m[2])}\`.` });
    } else if (/^(?:EXEC(?:UTE)?\s+)?sp_rename\b/i.test(t)) {
      hits.push({ change: "rename", at: s.startLine, range });
    } else if (
      (m = new RegExp(
        String.raw`^CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?!CONCURRENTLY\b)(?:IF\s+NOT\s+EXISTS\s+)?(?:${IDENT}\s+)?ON\s+(?:ONLY\s+)?(${IDENT})`,
        "i",
      ).exec(t))
    ) {
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

export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
