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
 *
 * This file picks the migrations and words the predictions; beside it: migrationContext.ts (what
 * the pull request says, the kinds of change), migrationSql.ts (SQL files) and migrationCode.ts
 * (ORM migrations and SQL in code).
 */
import type { DiffFile, DiffLine, Prediction, Severity, SyncAnalyzer } from "../types.js";
import { baseName, contentOf, DiffIndex, isNotDeployed, makePrediction, round2, safely, snippet, textLines } from "./predict.js";
import { MIGRATION_DIR, repoContext, type Change } from "./migrationContext.js";
import { codeHits } from "./migrationCode.js";
import { sqlHits } from "./migrationSql.js";

export { ormType } from "./migrationContext.js";

/** Down / undo migrations (golang-migrate, Flyway undo) only undo an up migration. */
const DOWN_FILE = /(?:^|[._/-])(?:down|rollback|undo)\.sql$|^U\d+(?:[._]\d+)*__/i;
/** SQL that is not a migration run against production data: seeds, dumps, scratch scripts. */
const NOT_A_MIGRATION_SQL = /(?:^|\/)(?:seeds?|seed[-_]data|dumps?|backups?)(?:\/|\.sql$)/i;

function isMigration(path: string): boolean {
  if (isNotDeployed(path) || DOWN_FILE.test(baseName(path))) return false;
  if (MIGRATION_DIR.test(path))
    return /\.(?:sql|py|rb|[cm]?[jt]s|php|cs|go|java|kt)$/i.test(path) && !/\.Designer\.cs$|ModelSnapshot\.cs$/i.test(path);
  return /\.sql$/i.test(path) && !NOT_A_MIGRATION_SQL.test(path);
}

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
      'Instances of the previous release still running during the deploy, other services, jobs and reports that query it will fail with "relation does not exist", and its rows are gone',
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
      'Instances of the previous release still running during the deploy, other services and clients that read or write it will fail with "column does not exist", and its data is lost',
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
    breaks: "Code still using the old name (the previous release during the deploy, other services, raw SQL, reports) will fail at once",
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
            views.push({
              lines: side.map((l) => l.content),
              line: (i) => (side[i]?.kind === "add" ? side[i] : undefined),
              partial: h.oldStart > 1,
            });
          }
        }
        const seen = new Set<string>();
        for (const view of views) {
          const hits = isSql
            ? sqlHits(view.lines, file.path, repo, view.partial)
            : codeHits(view.lines, (i) => view.line(i) !== undefined, file.path, repo);
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
