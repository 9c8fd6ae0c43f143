/**
 * Migrations that break what is already running: dropping or renaming a column or table, or
 * making a column NOT NULL without a default. During a deploy the previous release still runs
 * against the new schema, and other services and clients read the same database.
 */
import { bracketDepth } from "../rules/syntax.js";
import type { SyncAnalyzer, DiffLine, Prediction, Severity } from "../types.js";
import { baseName, changedLines, makePrediction, snippet } from "./predict.js";

/** A migrations folder (Django, Rails, Knex, Prisma, Flyway, Alembic...), not any file whose name mentions migrations. */
const MIGRATION_DIR = /(?:^|\/)(?:migrations?|migrate|alembic\/versions)\//i;
const MIGRATION_PATH = new RegExp(`${MIGRATION_DIR.source}|\\.sql$`, "i");
/** Down migrations (golang-migrate) only undo an up migration. */
const DOWN_FILE = /(?:^|[._/-])down\.sql$/i;

type Change = "drop-table" | "drop-column" | "rename" | "not-null";

interface Pattern {
  change: Change;
  re: RegExp;
  /** The statement must not match this (e.g. a DEFAULT makes NOT NULL safe). */
  unless?: RegExp;
}

const NO_DEFAULT = /\bdefault\b|server_default/i;

// First match wins, so the more specific patterns come first.
const PATTERNS: Pattern[] = [
  // SQL (any dialect)
  { change: "drop-table", re: /\bDROP\s+TABLE\b/i },
  { change: "drop-column", re: /\bDROP\s+COLUMN\b/i },
  { change: "rename", re: /\bRENAME\s+(?:COLUMN|TABLE)\b|\bALTER\s+TABLE\s+\S+\s+RENAME\s+TO\b|\bsp_rename\b/i },
  { change: "not-null", re: /\bALTER\s+COLUMN\b.*\bNOT\s+NULL\b|\bADD\s+COLUMN\b.*\bNOT\s+NULL\b/i, unless: NO_DEFAULT },
  // Django
  { change: "drop-column", re: /\bmigrations\.RemoveField\s*\(/ },
  { change: "drop-table", re: /\bmigrations\.DeleteModel\s*\(/ },
  { change: "rename", re: /\bmigrations\.Rename(?:Field|Model)\s*\(/ },
  // Alembic
  { change: "drop-column", re: /\bop\.drop_column\s*\(/ },
  { change: "drop-table", re: /\bop\.drop_table\s*\(/ },
  { change: "rename", re: /\bop\.rename_table\s*\(|\bop\.alter_column\s*\((?=[\s\S]*\bnew_column_name\s*=)/ },
  { change: "not-null", re: /\bop\.(?:alter_column|add_column)\s*\((?=[\s\S]*\bnullable\s*=\s*False)/, unless: NO_DEFAULT },
  // Rails
  { change: "drop-column", re: /\bremove_columns?\b/ },
  { change: "drop-table", re: /\bdrop_table\b/ },
  { change: "rename", re: /\brename_(?:column|table)\b/ },
  { change: "not-null", re: /\bchange_column_null\b.*\bfalse\b|\badd_column\b.*\bnull:\s*false\b/, unless: NO_DEFAULT },
  // Knex
  { change: "drop-column", re: /\.dropColumns?\s*\(/ },
  { change: "drop-table", re: /\.dropTable(?:IfExists)?\s*\(/ },
  { change: "rename", re: /\.rename(?:Column|Table)\s*\(/ },
];

const DOWN_START =
  /^\s*(?:def\s+(?:self\.)?(?:down|downgrade)\b|(?:export\s+)?(?:async\s+)?function\s+down\b|(?:module\.)?exports\.down\b|(?:public\s+|private\s+)?(?:async\s+)?down\s*[(:]|--\s*\+goose\s+down|--\s*migrate:down|--\s*\+migrate\s+down)/i;
const UP_START =
  /^\s*(?:def\s+(?:self\.)?(?:up|upgrade|change)\b|(?:export\s+)?(?:async\s+)?function\s+up\b|(?:module\.)?exports\.up\b|(?:public\s+|private\s+)?(?:async\s+)?up\s*[(:]|--\s*\+goose\s+up|--\s*migrate:up|--\s*\+migrate\s+up)/i;
const COMMENT = /^\s*(?:--|#|\/\/)/;

/** Whether `index` of `lines` sits in the "down" part of a migration (undoing the "up" part). */
function inDownSection(lines: readonly string[], index: number): boolean {
  for (let i = index; i >= 0 && i >= index - 500; i--) {
    if (DOWN_START.test(lines[i])) return true;
    if (UP_START.test(lines[i])) return false;
  }
  return false;
}

/** The line plus the following ones until its brackets balance: `op.alter_column(` over lines. */
function statementAt(lines: readonly string[], index: number): string {
  let s = lines[index];
  for (let j = index + 1; j < lines.length && j < index + 8 && bracketDepth(s, "python") > 0; j++) s += "\n" + lines[j];
  return s;
}

const TEXT: Record<Change, { kind: string; confidence: number; severity: Severity; what: string; breaks: string; impact: string; recommendation: string }> = {
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
  },
  "not-null": {
    kind: "migration-not-null",
    confidence: 0.7,
    severity: "medium",
    what: "makes a column NOT NULL without a default",
    breaks:
      "The migration fails on existing rows that hold NULL, and inserts from the previous release (which does not set the column) are rejected",
    impact: "A failed or blocking deploy, then rejected writes from older clients.",
    recommendation:
      "Add the column nullable or with a DEFAULT, backfill existing rows, deploy code that always sets it, then add the NOT NULL constraint.",
  },
};

export const migrationsPredictor: SyncAnalyzer = {
  name: "migrations",
  analyze(input) {
    const predictions: Prediction[] = [];
    for (const file of input.files) {
      if (file.binary || !MIGRATION_PATH.test(file.path) || DOWN_FILE.test(baseName(file.path))) continue;
      const content = input.fileContents?.get(file.path);
      const whole = typeof content === "string" ? content.split(/\r?\n/) : undefined;
      for (const { line, side, index } of changedLines(file).added) {
        const dl: DiffLine = line;
        if (COMMENT.test(dl.content) || dl.newLine === undefined) continue;
        // Prefer the whole file (the up/down markers may be outside the hunk).
        const useWhole = whole !== undefined && whole[dl.newLine - 1] === dl.content;
        const lines = useWhole ? whole : side.map((l) => l.content);
        const at = useWhole ? dl.newLine - 1 : index;
        const stmt = statementAt(lines, at);
        // The pattern must start on this line; the statement only supplies its arguments.
        const hit = PATTERNS.find((p) => {
          const m = p.re.exec(stmt);
          return m !== null && m.index < dl.content.length && !(p.unless && p.unless.test(stmt));
        });
        if (!hit || inDownSection(lines, at)) continue;
        const t = TEXT[hit.change];
        // A .sql file outside a migrations folder may be a dump or a seed script.
        const confidence = MIGRATION_DIR.test(file.path) ? t.confidence : Math.round((t.confidence - 0.2) * 100) / 100;
        predictions.push(
          makePrediction({
            kind: t.kind,
            path: file.path,
            at: dl,
            prediction: `This migration ${t.what} (\`${snippet(dl.content)}\`). ${t.breaks}.`,
            confidence,
            severity: t.severity,
            impact: t.impact,
            tags: hit.change.startsWith("drop") ? ["database", "migration", "breaking-change", "data-loss"] : ["database", "migration", "breaking-change"],
            recommendation: t.recommendation,
          }),
        );
      }
    }
    return { findings: [], predictions };
  },
};
