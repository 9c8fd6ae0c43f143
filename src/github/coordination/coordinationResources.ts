/**
 * The sensitive resources a pull request changes, read from its diff: database tables touched
 * by migrations, API paths changed in OpenAPI specs, GraphQL types and protobuf messages, and
 * the line regions of non-test code. Two open pull requests sharing one are a conflict.
 *
 * Line regions are in the base file's numbering (old-side lines), so two pull requests made
 * from the same base compare like for like.
 */
import { isTestFile } from "../../analysis/paths.js";
import type { DiffFile, DiffHunk } from "../../analysis/types.js";

export type ResourceKind = "table" | "api" | "graphql" | "proto" | "region";

export interface Resource {
  kind: ResourceKind;
  /** Identity for matching and deduplication, e.g. "table:users", "api:/users/{id}", "region:src/a.ts". */
  key: string;
  /** For people: "table `users`", "API path `/users/{id}`", "`src/a.ts` lines 10-20". */
  label: string;
  /** The file the change was seen in. */
  path: string;
  /** Region resources only: changed old-side line ranges, inclusive. */
  ranges?: Array<[number, number]>;
}

/** Two regions of the same file conflict when their ranges come within this many lines. */
export const REGION_PROXIMITY = 5;

const MIGRATION_PATH = /(^|\/)(migrations?|migrate|db\/migrate|alembic|schema)(\/|$)|\.sql$/i;
const OPENAPI_PATH = /(openapi|swagger|api[-_.]?spec)[^/]*\.(ya?ml|json)$|(^|\/)api\/.*\.(ya?ml|json)$/i;
const GRAPHQL_PATH = /\.(graphql|gql|graphqls)$/i;
const PROTO_PATH = /\.proto$/i;
/** Not code a second author would collide in: docs, lock files, generated snapshots. */
const NOT_CODE =
  /\.(md|mdx|txt|rst|lock|snap|png|jpe?g|gif|svg|ico|pdf)$|(^|\/)(package-lock\.json|yarn\.lock|pnpm-lock\.yaml|go\.sum|Cargo\.lock)$/i;

const IDENT = String.raw`[\`"\[]?([A-Za-z_][\w$]*(?:[\`"\]]?\.[\`"\[]?[A-Za-z_][\w$]*)?)[\`"\]]?`;
/** SQL statements and ORM calls that name the table they change (group 1). */
const TABLE_PATTERNS: RegExp[] = [
  new RegExp(String.raw`\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+|UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?${IDENT}`, "i"),
  new RegExp(String.raw`\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?${IDENT}`, "i"),
  new RegExp(String.raw`\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?${IDENT}`, "i"),
  new RegExp(String.raw`\bTRUNCATE\s+(?:TABLE\s+)?${IDENT}`, "i"),
  new RegExp(String.raw`\bRENAME\s+TABLE\s+${IDENT}`, "i"),
  new RegExp(
    String.raw`\bCREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?:[\w"\`]+\s+)?ON\s+(?:ONLY\s+)?${IDENT}`,
    "i",
  ),
  new RegExp(String.raw`\bINSERT\s+INTO\s+${IDENT}`, "i"),
  new RegExp(String.raw`\bUPDATE\s+${IDENT}\s+SET\b`, "i"),
  new RegExp(String.raw`\bDELETE\s+FROM\s+${IDENT}`, "i"),
  // Rails: create_table :users, add_column :users, ..., change_table "users"
  /\b(?:create_table|change_table|drop_table|rename_table|add_column|remove_column|rename_column|change_column|change_column_null|change_column_default|add_index|remove_index|add_reference|remove_reference|add_timestamps|add_foreign_key|remove_foreign_key)\s*\(?\s*[:"']([A-Za-z_]\w*)/,
  // Alembic: op.add_column('users', ...), op.create_table("users", ...)
  /\bop\.(?:create_table|drop_table|rename_table|add_column|drop_column|alter_column|create_index|drop_index|create_foreign_key|execute)\s*\(\s*(?:[A-Za-z_]\w*\s*=\s*)?["']([A-Za-z_]\w*)["']/,
  // Knex / Sequelize: knex.schema.createTable('users'), queryInterface.addColumn('Users', ...)
  /\b(?:createTable|createTableIfNotExists|alterTable|dropTable|dropTableIfExists|renameTable|table|addColumn|removeColumn|changeColumn|renameColumn|addIndex|removeIndex|addConstraint|removeConstraint|bulkInsert|bulkDelete|bulkUpdate)\s*\(\s*["'`]([A-Za-z_]\w*)["'`]/,
  // Django: migrations.AddField(model_name='user', ...), migrations.CreateModel(name='Order', ...)
  /\bmigrations\.(?:AddField|RemoveField|AlterField|RenameField|AddIndex|RemoveIndex|AlterUniqueTogether|AddConstraint|RemoveConstraint)\s*\(\s*model_name\s*=\s*["']([A-Za-z_]\w*)["']/,
  /\bmigrations\.(?:CreateModel|DeleteModel|AlterModelTable|AlterModelOptions)\s*\(\s*name\s*=\s*["']([A-Za-z_]\w*)["']/,
];

const SQL_WORDS = new Set(["if", "not", "exists", "only", "table", "select", "set", "the", "on"]);

/** Table name as written, without quotes and without a schema prefix, lower-cased. */
export function normaliseTable(raw: string): string {
  const cleaned = raw.replace(/[`"[\]]/g, "");
  return cleaned.slice(cleaned.lastIndexOf(".") + 1).toLowerCase();
}

/** Tables a line of a migration changes (usually none or one). */
export function tablesInLine(line: string): string[] {
  const code = line.replace(/--.*$/, "").replace(/^\s*(#|\/\/).*$/, "");
  const out = new Set<string>();
  for (const pattern of TABLE_PATTERNS) {
    const m = pattern.exec(code);
    if (m?.[1]) {
      const table = normaliseTable(m[1]);
      if (!SQL_WORDS.has(table)) out.add(table);
    }
  }
  return [...out];
}

function changedLines(hunk: DiffHunk) {
  return hunk.lines.filter((l) => l.kind !== "context");
}

/**
 * The declaration a changed line belongs to: the nearest line above it (in the hunk, then in
 * the whole file when known, then the hunk header) that `declaration` recognises.
 */
function enclosing(
  hunk: DiffHunk,
  index: number,
  declaration: (line: string) => string | undefined,
  content: string | undefined,
): string | undefined {
  const own = declaration(hunk.lines[index].content);
  if (own) return own;
  const side = hunk.lines[index].kind === "del" ? "del" : "add";
  for (let i = index - 1; i >= 0; i--) {
    const l = hunk.lines[i];
    if (l.kind !== "context" && l.kind !== side) continue;
    const found = declaration(l.content);
    if (found) return found;
  }
  const line = hunk.lines[index].newLine ?? hunk.newStart;
  if (content !== undefined && side === "add") {
    const lines = content.split("\n");
    for (let i = Math.min(line - 2, lines.length - 1); i >= 0; i--) {
      const found = declaration(lines[i]);
      if (found) return found;
    }
  }
  return declaration(hunk.header);
}

/** `/users/{id}:` in YAML (indented under `paths:`) or `"/users/{id}": {` in JSON. */
function openApiPath(line: string): string | undefined {
  const m = /^\s+["']?(\/[^"'\s:]*)["']?\s*:/.exec(line);
  return m?.[1];
}

function graphqlType(line: string): string | undefined {
  const m = /^\s*(?:extend\s+)?(type|input|interface|enum|union|scalar)\s+([A-Za-z_]\w*)/.exec(line);
  return m ? m[2] : undefined;
}

function protoMessage(line: string): string | undefined {
  const m = /^\s*(message|service|enum)\s+([A-Za-z_]\w*)/.exec(line);
  return m ? `${m[1]} ${m[2]}` : undefined;
}

/** Changed old-side ranges of a file: deletions at their old line, additions at the old line they follow. */
export function changedRanges(file: DiffFile): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const hunk of file.hunks) {
    let lo = Infinity;
    let hi = -Infinity;
    let oldLine = hunk.oldStart;
    for (const l of hunk.lines) {
      if (l.kind === "context") oldLine = (l.oldLine ?? oldLine) + 1;
      else if (l.kind === "del") {
        const at = l.oldLine ?? oldLine;
        lo = Math.min(lo, at);
        hi = Math.max(hi, at);
        oldLine = at + 1;
      } else {
        // An insertion sits between old lines oldLine-1 and oldLine.
        const at = Math.max(oldLine - 1, 0);
        lo = Math.min(lo, at);
        hi = Math.max(hi, at);
      }
    }
    if (lo <= hi) ranges.push([lo, hi]);
  }
  return ranges;
}

/**
 * Every sensitive resource of a diff. `contents` (path -> text at the head) helps find the
 * enclosing API path or type of a change whose hunk does not show it.
 */
export function extractResources(files: DiffFile[], contents: Map<string, string> = new Map()): Resource[] {
  const byKey = new Map<string, Resource>();
  const add = (r: Resource) => {
    const seen = byKey.get(r.key);
    if (!seen) byKey.set(r.key, r);
    else if (r.ranges) seen.ranges = [...(seen.ranges ?? []), ...r.ranges];
  };
  for (const file of files) {
    if (file.binary) continue;
    const path = file.path;
    const content = contents.get(path);
    if (MIGRATION_PATH.test(path)) {
      for (const hunk of file.hunks) {
        for (const l of changedLines(hunk)) {
          for (const table of tablesInLine(l.content)) add({ kind: "table", key: `table:${table}`, label: `table \`${table}\``, path });
        }
      }
    }
    const declared: Array<[RegExp, ResourceKind, (line: string) => string | undefined, (name: string) => string]> = [
      [OPENAPI_PATH, "api", openApiPath, (n) => `API path \`${n}\``],
      [GRAPHQL_PATH, "graphql", graphqlType, (n) => `GraphQL type \`${n}\``],
      [PROTO_PATH, "proto", protoMessage, (n) => `protobuf \`${n}\``],
    ];
    // A spec change is its API path or type, more precise than its lines: no region for it.
    let declaredFound = false;
    for (const [pattern, kind, declaration, label] of declared) {
      if (!pattern.test(path)) continue;
      for (const hunk of file.hunks) {
        hunk.lines.forEach((l, i) => {
          if (l.kind === "context") return;
          const name = enclosing(hunk, i, declaration, content);
          if (!name) return;
          declaredFound = true;
          add({ kind, key: `${kind}:${name}`, label: label(name), path });
        });
      }
    }
    if (!declaredFound && !isTestFile(path) && !NOT_CODE.test(path) && !MIGRATION_PATH.test(path)) {
      const ranges = changedRanges(file);
      if (ranges.length > 0) add({ kind: "region", key: `region:${path}`, label: `\`${path}\``, path, ranges });
    }
  }
  return [...byKey.values()];
}

export function rangesOverlap(
  a: Array<[number, number]>,
  b: Array<[number, number]>,
  proximity = REGION_PROXIMITY,
): Array<[number, number]> | undefined {
  for (const [s1, e1] of a) {
    for (const [s2, e2] of b) {
      if (s1 <= e2 + proximity && s2 <= e1 + proximity) return [[Math.min(s1, s2), Math.max(e1, e2)]];
    }
  }
  return undefined;
}

/** A resource both changes share; for regions, only when the changed lines are close. */
export interface SharedResource {
  key: string;
  kind: ResourceKind;
  /** For people, with the lines for a region. */
  label: string;
  severity: "high" | "medium";
}

export function sharedResources(mine: Resource[], theirs: Resource[], proximity = REGION_PROXIMITY): SharedResource[] {
  const other = new Map(theirs.map((r) => [r.key, r]));
  const out: SharedResource[] = [];
  for (const r of mine) {
    const t = other.get(r.key);
    if (!t) continue;
    if (r.kind === "region") {
      const near = rangesOverlap(r.ranges ?? [], t.ranges ?? [], proximity);
      if (!near) continue;
      const [[s, e]] = near;
      out.push({ key: r.key, kind: r.kind, label: `${r.label} around lines ${Math.max(s, 1)}-${Math.max(e, 1)}`, severity: "medium" });
    } else {
      out.push({ key: r.key, kind: r.kind, label: r.label, severity: "high" });
    }
  }
  return out;
}
