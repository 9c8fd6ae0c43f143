/**
 * The architecture check: the import rules of docs/ARCHITECTURE.md hold for every file of src/.
 *
 * The rules live in ONE place, the two tables of docs/ARCHITECTURE.md (between the
 * `<!-- import-rules:begin -->` / `<!-- io-rules:begin -->` markers and their `:end`); this test
 * parses them, so the page cannot drift from the code.
 *
 * - Imports: every `import … from`, `export … from`, `import x = require(…)`, dynamic `import("…")`
 *   and type-position `import("…")` with a string literal, read from the syntax tree (TypeScript's
 *   parser), so strings and comments that look like imports are not counted. Type-only imports
 *   COUNT; a target marked `(types)` accepts type-only imports alone (`import type`,
 *   `export type`, `import { type A, type B }`, `import("…")` in a type).
 * - A relative import is resolved to the folder row it lands in (the deepest row containing it;
 *   `*.ts` for the files directly in src/). Imports within one row are free; a row may import the
 *   rows its "may import" cell lists, `*` being everything. Importing outside src/ is refused.
 * - Every folder one or two levels under src/ is a row, unless it holds no .ts file directly
 *   (src/github/, whose features are rows); every row and every target names an existing folder.
 * - An edge marked `to remove` that no import uses any more must be deleted from the table.
 * - Packages that reach the outside world may be imported only by the folders the second table
 *   lists; `fetch` stands for a call of the global `fetch()`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { isBuiltin } from "node:module";
import { join, posix, relative, resolve } from "node:path";
import ts from "typescript";

const ROOT = resolve(import.meta.dirname ?? process.cwd(), "..", "..");
const DOC = "docs/ARCHITECTURE.md";
const ROOT_ROW = "*.ts";

// ---------------------------------------------------------------------------------------------
// The tables

interface Allowance {
  typesOnly: boolean;
  toRemove: boolean;
  /** The cell as written, for messages. */
  text: string;
}

interface ImportRule {
  folder: string;
  /** undefined: everything (`*`). */
  allowed: Map<string, Allowance> | undefined;
  /** The "may import" cell as written. */
  cell: string;
}

interface IoRule {
  packages: string[];
  folders: string[];
}

/** The rows of the Markdown table between `<!-- NAME:begin … -->` and `<!-- NAME:end -->`, header and rule dropped. */
function tableRows(markdown: string, name: string): string[][] {
  const begin = new RegExp(`<!--\\s*${name}:begin[^>]*-->`).exec(markdown);
  const end = new RegExp(`<!--\\s*${name}:end\\s*-->`).exec(markdown);
  if (!begin || !end || end.index < begin.index)
    throw new Error(`${DOC}: no table between <!-- ${name}:begin --> and <!-- ${name}:end -->`);
  const lines = markdown
    .slice(begin.index + begin[0].length, end.index)
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("|"));
  return lines.slice(2).map((line) =>
    line
      .replace(/^\|/, "")
      .replace(/\|$/, "")
      .split("|")
      .map((c) => c.trim()),
  );
}

/** `` `name` `` items of a cell, each with the words of its optional parenthesis. */
function cellItems(cell: string, where: string): Array<{ name: string; flags: string[]; text: string }> {
  if (cell === "" || cell === "—" || cell === "-") return [];
  return cell.split(/,(?![^(]*\))/).map((raw) => {
    const m = /^\s*`([^`]+)`\s*(?:\(([^)]*)\))?\s*$/.exec(raw);
    if (!m)
      throw new Error(
        `${DOC}: ${where}: cannot read "${raw.trim()}" (write \`folder\`, optionally followed by (types), (to remove) or (types, to remove))`,
      );
    const flags = (m[2] ?? "")
      .split(",")
      .map((f) => f.trim())
      .filter(Boolean);
    for (const f of flags)
      if (f !== "types" && f !== "to remove")
        throw new Error(`${DOC}: ${where}: unknown mark "${f}" on \`${m[1]}\` (only types, to remove)`);
    return { name: m[1], flags, text: raw.trim() };
  });
}

function parseImportRules(markdown: string): Map<string, ImportRule> {
  const rules = new Map<string, ImportRule>();
  for (const [folderCell, cell] of tableRows(markdown, "import-rules")) {
    const folder = /^`([^`]+)`$/.exec(folderCell)?.[1];
    if (!folder) throw new Error(`${DOC}: import rules: cannot read the folder cell "${folderCell}"`);
    if (rules.has(folder)) throw new Error(`${DOC}: import rules: \`${folder}\` has two rows`);
    const items = cellItems(cell, `the row of \`${folder}\``);
    const everything = items.length === 1 && items[0].name === "*";
    const allowed = everything
      ? undefined
      : new Map(
          items.map((i) => [i.name, { typesOnly: i.flags.includes("types"), toRemove: i.flags.includes("to remove"), text: i.text }]),
        );
    rules.set(folder, { folder, allowed, cell });
  }
  return rules;
}

function parseIoRules(markdown: string): IoRule[] {
  return tableRows(markdown, "io-rules").map(([packages, folders]) => ({
    packages: cellItems(packages, "I/O packages").map((i) => i.name),
    folders: cellItems(folders, `the row of ${packages}`).map((i) => i.name),
  }));
}

// ---------------------------------------------------------------------------------------------
// The imports

interface ImportSite {
  /** Repository-relative, e.g. src/jobs/queue.ts. */
  file: string;
  line: number;
  specifier: string;
  typeOnly: boolean;
}

/** Every import specifier of one file (and `fetch` for each call of the global fetch). */
function importsOf(file: string, text: string): ImportSite[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const sites: ImportSite[] = [];
  const add = (node: ts.Node, specifier: string, typeOnly: boolean) =>
    sites.push({ file, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1, specifier, typeOnly });
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      const allNamedTypes =
        clause !== undefined &&
        clause.name === undefined &&
        bindings !== undefined &&
        ts.isNamedImports(bindings) &&
        bindings.elements.length > 0 &&
        bindings.elements.every((e) => e.isTypeOnly);
      add(node, node.moduleSpecifier.text, clause !== undefined && (clause.isTypeOnly || allNamedTypes));
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.exportClause;
      const allNamedTypes =
        clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly);
      add(node, node.moduleSpecifier.text, node.isTypeOnly || allNamedTypes);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      add(node, node.moduleReference.expression.text, node.isTypeOnly);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node, node.argument.literal.text, true);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
        add(node, node.arguments[0].text, false);
      } else if (
        (ts.isIdentifier(callee) && callee.text === "fetch") ||
        (ts.isPropertyAccessExpression(callee) &&
          callee.name.text === "fetch" &&
          ts.isIdentifier(callee.expression) &&
          callee.expression.text === "globalThis")
      ) {
        add(node, "fetch", false);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return sites;
}

/** The package an external specifier names: `node:dns/promises` → `node:dns`, `@a/b/c` → `@a/b`, `http` → `node:http`. */
function packageOf(specifier: string): string {
  if (specifier === "fetch") return "fetch";
  const bare = specifier.startsWith("node:") ? specifier.slice(5) : specifier;
  if (specifier.startsWith("node:") || isBuiltin(specifier)) return `node:${bare.split("/")[0]}`;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

function packageMatches(pattern: string, pkg: string): boolean {
  return pattern.endsWith("/*") ? pkg.startsWith(pattern.slice(0, -1)) : pattern === pkg;
}

/** The row a src/-relative path (posix, e.g. `analysis/ast/taint/x.ts`) belongs to: its deepest folder that is a row. */
function rowOf(srcPath: string, rows: Iterable<string>): string | undefined {
  const dir = posix.dirname(srcPath);
  if (dir === ".") return ROOT_ROW;
  let best: string | undefined;
  for (const row of rows) {
    if (row === ROOT_ROW) continue;
    if ((dir === row || dir.startsWith(`${row}/`)) && (best === undefined || row.length > best.length)) best = row;
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// The check

interface CheckResult {
  violations: string[];
  /** Edges `from -> to` some import uses. */
  used: Set<string>;
}

/**
 * Checks import sites against the rules. `src/` paths in `site.file` are repository-relative;
 * relative specifiers are resolved from the file's folder.
 */
function checkImports(rules: Map<string, ImportRule>, io: IoRule[], sites: ImportSite[]): CheckResult {
  const violations: string[] = [];
  const used = new Set<string>();
  const rows = [...rules.keys()];
  for (const site of sites) {
    const srcPath = posix.relative("src", site.file);
    const from = rowOf(srcPath, rows);
    const at = `${site.file}:${site.line} imports "${site.specifier}"`;
    if (from === undefined) {
      violations.push(`${site.file}: its folder has no row in ${DOC} (add one with what it may import)`);
      continue;
    }
    if (!site.specifier.startsWith(".")) {
      const pkg = packageOf(site.specifier);
      const rule = io.find((r) => r.packages.some((p) => packageMatches(p, pkg)));
      if (rule && !rule.folders.includes(from)) {
        violations.push(`${at}: ${pkg} reaches the outside world and only ${rule.folders.join(", ")} may use it (the I/O table of ${DOC})`);
      }
      continue;
    }
    const target = posix.normalize(posix.join(posix.dirname(srcPath), site.specifier));
    if (target.startsWith("../")) {
      violations.push(`${at}: it leaves src/; src/ imports only src/ and packages`);
      continue;
    }
    const to = rowOf(target, rows);
    if (to === undefined) {
      violations.push(`${at}: ${posix.dirname(target)} has no row in ${DOC}`);
      continue;
    }
    if (to === from) continue;
    const rule = rules.get(from)!;
    if (rule.allowed === undefined) continue;
    const allowance = rule.allowed.get(to);
    const may = `${from} may import ${rule.cell || "nothing else"} (the rule in ${DOC})`;
    if (allowance === undefined) {
      violations.push(`${at} (${to}): ${may}`);
    } else if (allowance.typesOnly && !site.typeOnly) {
      violations.push(`${at} (${to}) for a value: ${from} may import ${to} for types only (\`import type\`; the rule in ${DOC})`);
    } else {
      used.add(`${from} -> ${to}`);
    }
  }
  return { violations, used };
}

/** Edges marked `to remove` that no import uses any more. */
function staleToRemove(rules: Map<string, ImportRule>, used: Set<string>): string[] {
  const stale: string[] = [];
  for (const rule of rules.values()) {
    for (const [to, a] of rule.allowed ?? []) {
      if (a.toRemove && !used.has(`${rule.folder} -> ${to}`))
        stale.push(
          `${rule.folder} -> ${to}: marked "to remove" and no import uses it any more: delete it from the row of \`${rule.folder}\` in ${DOC}`,
        );
    }
  }
  return stale;
}

// ---------------------------------------------------------------------------------------------
// The repository

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (entry.endsWith(".ts") && !entry.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** Folders under src/ (src-relative, posix) one or two levels deep. */
function shallowFolders(): string[] {
  const src = join(ROOT, "src");
  const out: string[] = [];
  for (const a of readdirSync(src).sort()) {
    if (!statSync(join(src, a)).isDirectory()) continue;
    out.push(a);
    for (const b of readdirSync(join(src, a)).sort()) if (statSync(join(src, a, b)).isDirectory()) out.push(`${a}/${b}`);
  }
  return out;
}

const markdown = readFileSync(join(ROOT, DOC), "utf8");
const rules = parseImportRules(markdown);
const io = parseIoRules(markdown);
const files = sourceFiles(join(ROOT, "src"));
const sites = files.flatMap((f) => importsOf(relative(ROOT, f).split("\\").join("/"), readFileSync(f, "utf8")));

describe("docs/ARCHITECTURE.md: the import rules", () => {
  it("has a row for every folder of src/ one or two levels deep, and only for folders that exist", () => {
    const problems: string[] = [];
    for (const folder of shallowFolders()) {
      const holdsFiles = readdirSync(join(ROOT, "src", folder)).some((f) => f.endsWith(".ts"));
      if (!rules.has(folder) && holdsFiles) problems.push(`src/${folder} has no row in ${DOC}: add one with the folders it may import`);
    }
    for (const [folder, rule] of rules) {
      if (folder !== ROOT_ROW && !existsSync(join(ROOT, "src", folder)))
        problems.push(`${DOC}: the row \`${folder}\` names no folder of src/`);
      for (const to of rule.allowed?.keys() ?? [])
        if (!rules.has(to)) problems.push(`${DOC}: the row \`${folder}\` allows \`${to}\`, which has no row`);
    }
    for (const r of io)
      for (const f of r.folders)
        if (!rules.has(f)) problems.push(`${DOC}: the I/O row of ${r.packages.join(", ")} names \`${f}\`, which has no row`);
    expect(problems).toEqual([]);
    expect(rules.size).toBeGreaterThan(10);
  });

  it("holds for every import in src/", () => {
    expect(sites.length).toBeGreaterThan(500); // the parser found the imports
    expect(checkImports(rules, io, sites).violations).toEqual([]);
  });

  it("marks as `to remove` only edges that still exist", () => {
    expect(staleToRemove(rules, checkImports(rules, io, sites).used)).toEqual([]);
  });
});

describe("the checker", () => {
  const doc = [
    "<!-- import-rules:begin -->",
    "| folder | may import | why |",
    "|---|---|---|",
    "| `*.ts` | `*` | |",
    "| `analysis` | — | pure |",
    "| `analysis/pool` | `analysis` | |",
    "| `store` | `engine` (types) | |",
    "| `engine` | `analysis`, `store` (types, to remove) | |",
    "<!-- import-rules:end -->",
    "<!-- io-rules:begin -->",
    "| packages | may be imported by |",
    "|---|---|",
    "| `pg`, `@octokit/*`, `fetch` | `store` |",
    "<!-- io-rules:end -->",
  ].join("\n");
  const fakeRules = parseImportRules(doc);
  const fakeIo = parseIoRules(doc);
  const site = (file: string, specifier: string, typeOnly = false): ImportSite => ({ file, line: 1, specifier, typeOnly });

  it("reads the tables", () => {
    expect([...fakeRules.keys()]).toEqual(["*.ts", "analysis", "analysis/pool", "store", "engine"]);
    expect(fakeRules.get("*.ts")!.allowed).toBeUndefined();
    expect(fakeRules.get("analysis")!.allowed!.size).toBe(0);
    expect(fakeRules.get("engine")!.allowed!.get("store")).toMatchObject({ typesOnly: true, toRemove: true });
    expect(fakeIo).toEqual([{ packages: ["pg", "@octokit/*", "fetch"], folders: ["store"] }]);
  });

  it("finds static, type, re-export, dynamic and type-position imports, and global fetch calls", () => {
    const text = [
      'import { a } from "./a.js";',
      'import type { B } from "./b.js";',
      'import { type C, type D } from "./c.js";',
      'import { type E, f } from "./e.js";',
      'export { g } from "./g.js";',
      'export type { H } from "./h.js";',
      'const m = await import("./m.js");',
      'let t: import("./t.js").T;',
      'fetch("https://x"); globalThis.fetch("https://y"); client.fetch("z");',
      '// import { no } from "./comment.js";',
      "const s = \"import { no } from './string.js'\";",
    ].join("\n");
    expect(importsOf("src/x.ts", text).map((s) => [s.specifier, s.typeOnly])).toEqual([
      ["./a.js", false],
      ["./b.js", true],
      ["./c.js", true],
      ["./e.js", false],
      ["./g.js", false],
      ["./h.js", true],
      ["./m.js", false],
      ["./t.js", true],
      ["fetch", false],
      ["fetch", false],
    ]);
  });

  it("refuses a forbidden folder, naming file, import and rule", () => {
    const { violations } = checkImports(fakeRules, fakeIo, [site("src/analysis/diff.ts", "../store/store.js", true)]);
    expect(violations).toEqual([`src/analysis/diff.ts:1 imports "../store/store.js" (store): analysis may import — (the rule in ${DOC})`]);
  });

  it("refuses a value import where the rule allows types only", () => {
    const ok = checkImports(fakeRules, fakeIo, [site("src/store/sqlite/x.ts", "../../engine/state.js", true)]);
    expect(ok.violations).toEqual([]);
    const { violations } = checkImports(fakeRules, fakeIo, [site("src/store/sqlite/x.ts", "../../engine/state.js")]);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatch(
      /^src\/store\/sqlite\/x\.ts:1 imports "\.\.\/\.\.\/engine\/state\.js" \(engine\) for a value: store may import engine for types only/,
    );
  });

  it("allows imports within a row, from a deeper folder, and anything from the roots", () => {
    const { violations, used } = checkImports(fakeRules, fakeIo, [
      site("src/analysis/ast/taint/x.ts", "../../diff.js"),
      site("src/analysis/pool/worker.ts", "../analyze.js"),
      site("src/app.ts", "./store/open.js"),
      site("src/store/open.ts", "pg"),
    ]);
    expect(violations).toEqual([]);
    expect([...used]).toEqual(["analysis/pool -> analysis"]);
  });

  it("refuses imports leaving src/ and folders with no row", () => {
    const { violations } = checkImports(fakeRules, fakeIo, [
      site("src/engine/x.ts", "../../test/helpers/keys.js"),
      site("src/engine/x.ts", "../newFolder/y.js"),
      site("src/newFolder/y.ts", "../engine/x.js"),
    ]);
    expect(violations).toEqual([
      'src/engine/x.ts:1 imports "../../test/helpers/keys.js": it leaves src/; src/ imports only src/ and packages',
      `src/engine/x.ts:1 imports "../newFolder/y.js": newFolder has no row in ${DOC}`,
      `src/newFolder/y.ts: its folder has no row in ${DOC} (add one with what it may import)`,
    ]);
  });

  it("refuses I/O packages outside their folders, by package and subpath", () => {
    const { violations } = checkImports(fakeRules, fakeIo, [
      site("src/engine/x.ts", "pg"),
      site("src/engine/x.ts", "@octokit/rest/dist/x.js"),
      site("src/engine/x.ts", "fetch"),
      site("src/engine/x.ts", "node:crypto"),
    ]);
    expect(violations).toHaveLength(3);
    expect(violations[1]).toBe(
      `src/engine/x.ts:1 imports "@octokit/rest/dist/x.js": @octokit/rest reaches the outside world and only store may use it (the I/O table of ${DOC})`,
    );
  });

  it("asks for a `to remove` mark to be deleted once the edge is gone", () => {
    const used = checkImports(fakeRules, fakeIo, [site("src/engine/x.ts", "../store/store.js", true)]).used;
    expect(staleToRemove(fakeRules, used)).toEqual([]);
    expect(staleToRemove(fakeRules, new Set())).toEqual([
      `engine -> store: marked "to remove" and no import uses it any more: delete it from the row of \`engine\` in ${DOC}`,
    ]);
  });

  it("refuses a table cell it cannot read", () => {
    expect(() => parseImportRules(doc.replace("| `engine` (types) |", "| engine (types) |"))).toThrow(/cannot read "engine \(types\)"/);
    expect(() => parseImportRules(doc.replace("(types, to remove)", "(maybe)"))).toThrow(/unknown mark "maybe"/);
  });
});
