/** Inputs a stranger's pull request may hold to stall or crash an analyser, as diffs. */
import { parsePatch } from "../../src/analysis/diff.js";
import type { DiffFile } from "../../src/analysis/types.js";

/** A file added whole by the pull request. */
export function addedFile(path: string, text: string): DiffFile {
  const lines = text.replace(/\n$/, "").split("\n");
  return parsePatch(path, `@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}`).join("\n")}`, { status: "added" });
}

/** Python blocks nested `levels` deep, one space per level; past ~510 levels tree-sitter's Python scanner aborts the process. */
export function deeplyNestedPython(levels: number): string {
  let out = "";
  for (let i = 0; i < levels; i++) out += `${" ".repeat(i)}if x > ${i}:\n${" ".repeat(i + 1)}v = "x${i}"\n`;
  return `${out}${" ".repeat(levels)}print(x)\n`;
}

/** `pairs` small functions, each pair a call into a query. */
export function functionPairs(pairs: number): string {
  let out = "";
  for (let i = 0; i < pairs; i++) out += `function f${i}(a) { return g${i}(a); }\nfunction g${i}(b) { return db.query("SELECT " + b); }\n`;
  return out;
}

/** Parentheses nested `depth` deep, a hundred to a line (so no line is long). */
export function nestedParentheses(depth: number): string {
  const lines = (c: string) => (c.repeat(depth).match(/.{1,100}/g) ?? []).join("\n");
  return `const x = ${lines("(")}\n1\n${lines(")")};\n`;
}

/** One line of minified code, about `bytes` long. */
export function minifiedLine(bytes: number): string {
  const unit = "var a=function(b){return b+1};";
  return `${unit.repeat(Math.ceil(bytes / unit.length))}\n`;
}

export function repeatedStatement(lines: number): string {
  return "counter = counter + 1;\n".repeat(lines);
}

/** A small file with a finding everyone agrees on. */
export const SQL_INJECTION_JS = `const q = "SELECT * FROM users WHERE id = " + req.query.id;\ndb.query(q);\n`;
