/**
 * Local names of security-relevant modules, resolved before the rules run.
 *
 * The rules and the taint engine know APIs by their module's name (`subprocess.run`,
 * `pickle.loads`, `child_process.exec`, `flask.request`). Code renames them: `import subprocess as
 * proc`, `from os import system as run_shell`, `from pickle import loads`, `const child =
 * require("child_process")`, `import { exec as run } from "child_process"`, or skips the import
 * with `__import__("os").system(...)`. For a file that does, the uses of those names as a callee
 * or a receiver (`proc.run(...)`, `run_shell(...)`, `child.exec(...)`) are rewritten to the
 * module's own name and the file is parsed again, so every rule sees through the renaming.
 *
 * Only callees and receivers are rewritten (never definitions, parameters or strings), and only
 * within one line, so line numbers hold. The scan of the import lines is linear; the second
 * parse happens only for files that rename one of the modules listed in taint/knowledge/modules.ts.
 */
import type { SgNode } from "@ast-grep/napi";
import type { Family } from "./languages.js";
import { IMPORT_MODULES, QUALIFY_BARE } from "./taint/knowledge/index.js";

const PY_IMPORT = /^[ \t]*import[ \t]+([^\n#;]+)/gm;
const PY_FROM = /^[ \t]*from[ \t]+([\w.]+)[ \t]+import[ \t]+(\([^)]{0,2000}\)|[^\n#;]+)/gm;
const PY_DUNDER = /([A-Za-z_]\w*)[ \t]*=[ \t]*(?:__import__|importlib\.import_module)\([ \t]*['"]([\w.]+)['"][ \t]*\)/g;
const JS_REQUIRE = /(?:const|let|var)[ \t]+([A-Za-z_$][\w$]*)[ \t]*=[ \t]*require\([ \t]*['"]([^'"\n]+)['"][ \t]*\)(?![ \t]*[.[(])/g;
const JS_REQUIRE_DESTRUCTURE = /(?:const|let|var)[ \t]*\{([^}]*)\}[ \t]*=[ \t]*require\([ \t]*['"]([^'"\n]+)['"][ \t]*\)/g;
const JS_REQUIRE_MEMBER =
  /(?:const|let|var)[ \t]+([A-Za-z_$][\w$]*)[ \t]*=[ \t]*require\([ \t]*['"]([^'"\n]+)['"][ \t]*\)\.([A-Za-z_$][\w$]*)(?![\w$]|[ \t]*[.[(])/g;
// (bounded: an `import` without a `from` after it must not make every later one scan to the end)
const JS_IMPORT = /import[ \t]+(?:type[ \t]+)?([^'";]{0,400}?)[ \t]+from[ \t]*['"]([^'"\n]+)['"]/g;

/** `node:fs/promises` -> `fs.promises`: the name the rules use. */
function jsModule(spec: string): string {
  return spec.replace(/^node:/, "").replace(/\//g, ".");
}

function add(out: Map<string, string>, local: string, canonical: string): void {
  if (local && canonical && local !== canonical && /^[A-Za-z_$][\w$]*$/.test(local)) out.set(local, canonical);
}

/** `a as b, c` (Python) or `a as b, c` / `a: b, c` (JavaScript): [imported, local] pairs. */
function namePairs(list: string, separator: RegExp): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const part of list.replace(/[()\n\\]/g, " ").split(",")) {
    const [name, alias] = part
      .trim()
      .split(separator)
      .map((s) => s.trim());
    if (name && /^[A-Za-z_$][\w$]*$/.test(name)) out.push([name, alias || name]);
  }
  return out;
}

/** Local name -> the module or module member it stands for, for the modules of IMPORT_MODULES. */
export function importAliases(family: Family, text: string): Map<string, string> {
  const modules = IMPORT_MODULES[family];
  const out = new Map<string, string>();
  if (!modules) return out;
  if (family === "python") {
    if (!/\bimport\b/.test(text)) return out;
    for (const m of text.matchAll(PY_IMPORT)) {
      for (const part of m[1].split(",")) {
        const r = /^\s*([\w.]+)\s+as\s+(\w+)\s*$/.exec(part);
        if (r && modules.has(r[1])) add(out, r[2], r[1]);
      }
    }
    for (const m of text.matchAll(PY_FROM)) {
      const module = m[1];
      for (const [name, local] of namePairs(m[2], /\s+as\s+/)) {
        const full = `${module}.${name}`;
        // `from os import path as p`: a module; `from flask import request as req`: a member.
        if (modules.has(module) || modules.has(full)) {
          if (local !== name || QUALIFY_BARE[module]?.has(name)) add(out, local, full);
        }
      }
    }
    for (const m of text.matchAll(PY_DUNDER)) if (modules.has(m[2])) add(out, m[1], m[2]);
    return out;
  }
  if (!/\brequire\b|\bimport\b/.test(text)) return out;
  for (const m of text.matchAll(JS_REQUIRE)) {
    const module = jsModule(m[2]);
    if (modules.has(module)) add(out, m[1], module);
  }
  for (const m of text.matchAll(JS_REQUIRE_MEMBER)) {
    const module = jsModule(m[2]);
    if (modules.has(module) && m[1] !== m[3]) add(out, m[1], `${module}.${m[3]}`);
  }
  for (const m of text.matchAll(JS_REQUIRE_DESTRUCTURE)) {
    const module = jsModule(m[2]);
    if (!modules.has(module)) continue;
    for (const [name, local] of namePairs(m[1], /\s*:\s*/))
      if (local !== name || QUALIFY_BARE[module]?.has(name)) add(out, local, `${module}.${name}`);
  }
  for (const m of text.matchAll(JS_IMPORT)) {
    const module = jsModule(m[2]);
    if (!modules.has(module)) continue;
    const clause = m[1];
    const named = /\{([^}]*)\}/.exec(clause);
    if (named)
      for (const [name, local] of namePairs(named[1], /\s+as\s+/))
        if (local !== name || QUALIFY_BARE[module]?.has(name)) add(out, local, `${module}.${name}`);
    const rest = clause.replace(/\{[^}]*\}/, "");
    const star = /\*\s+as\s+([A-Za-z_$][\w$]*)/.exec(rest);
    if (star) add(out, star[1], module);
    const def = /^\s*([A-Za-z_$][\w$]*)\s*(?:,|$)/.exec(rest);
    if (def) add(out, def[1], module);
  }
  return out;
}

/** Node kinds (and the field) in which a name is a callee or a receiver. */
const POSITIONS: Record<"python" | "js", Record<string, string[]>> = {
  python: { call: ["function"], attribute: ["object"], subscript: ["value"] },
  js: { call_expression: ["function"], member_expression: ["object"], new_expression: ["constructor"], subscript_expression: ["object"] },
};

/** `__import__("os")` / `importlib.import_module("os")` as a receiver. */
const PY_DYNAMIC_IMPORT = /^(?:__import__|importlib\.import_module)\(\s*['"]([\w.]+)['"]\s*\)$/;

/**
 * The text with the file's renamed module names rewritten (see above), or undefined when there is
 * nothing to rewrite. `root` is the parse of `text`.
 */
export function rewriteImports(family: Family, root: SgNode, text: string, aliases: ReadonlyMap<string, string>): string | undefined {
  if (family !== "python" && family !== "js") return undefined;
  const positions = POSITIONS[family];
  const edits: Array<{ start: number; end: number; text: string }> = [];
  const inPosition = (n: SgNode): boolean => {
    const parent = n.parent();
    if (!parent) return false;
    const fields = positions[parent.kind() as string];
    if (!fields) return false;
    return fields.some((f) => (parent as unknown as { field(name: string): SgNode | null }).field(f)?.id() === n.id());
  };
  try {
    if (aliases.size > 0) {
      const names = [...aliases.keys()].map((k) => k.replace(/\$/g, "\\$")).join("|");
      for (const n of root.findAll({ rule: { kind: "identifier", regex: `^(?:${names})$` } })) {
        if (!inPosition(n)) continue;
        const r = n.range();
        edits.push({ start: r.start.index, end: r.end.index, text: aliases.get(n.text())! });
      }
    }
    const modules = IMPORT_MODULES.python!;
    if (family === "python" && /__import__|import_module/.test(text)) {
      for (const n of root.findAll({ rule: { kind: "call", regex: "^(?:__import__|importlib\\.import_module)\\(" } })) {
        const m = PY_DYNAMIC_IMPORT.exec(n.text());
        const r = n.range();
        if (!m || !modules.has(m[1]) || r.start.line !== r.end.line || !inPosition(n)) continue;
        edits.push({ start: r.start.index, end: r.end.index, text: m[1] });
      }
    }
  } catch {
    return undefined;
  }
  if (edits.length === 0) return undefined;
  edits.sort((a, b) => a.start - b.start);
  let out = "";
  let at = 0;
  for (const e of edits) {
    if (e.start < at) continue;
    out += text.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + text.slice(at);
}
