/**
 * Every suggestion the analysis makes on the labelled corpora (real-world shaped code) is safe to
 * commit: the file still parses as well as before, and the rule no longer fires on those lines.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse } from "@ast-grep/napi";
import { NAPI_LANG, astLanguageOf } from "../../../src/analysis/ast/languages.js";
import { astFindings } from "../ast/helpers.js";
import { applied } from "./helpers.js";

const ROOTS = ["test/fixtures/corpus", "test/fixtures/blind"];
const LANGUAGES = ["javascript", "typescript", "python"];
const CATEGORIES = ["sql-injection", "command-injection", "xss", "insecure-deserialization"];

function files(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (astLanguageOf(p)) out.push(p);
    }
  };
  for (const root of ROOTS) for (const lang of LANGUAGES) for (const cat of CATEGORIES) walk(join(root, lang, cat));
  return out;
}

function errors(path: string, text: string): number {
  const lang = astLanguageOf(path)!;
  return parse(NAPI_LANG[lang], text)
    .root()
    .findAll({ rule: { kind: "ERROR" } }).length;
}

describe("suggestions on the corpora", () => {
  it("apply cleanly: the code parses as before and the finding is gone", async () => {
    const made: string[] = [];
    const problems: string[] = [];
    for (const path of files()) {
      const text = readFileSync(path, "utf8");
      const lines = text.split(/\r?\n/);
      for (const f of await astFindings(path, text)) {
        if (!f.suggestion) continue;
        made.push(`${path}:${f.line} ${f.rule}`);
        const fixed = applied(lines, f.suggestion).join("\n");
        if (errors(path, fixed) > errors(path, text)) problems.push(`${path}:${f.line}: the fixed file does not parse`);
        const shift = fixed.split("\n").length - lines.length;
        const again = await astFindings(path, fixed);
        const { startLine, endLine } = f.suggestion;
        if (again.some((g) => g.rule === f.rule && g.line >= startLine && g.line <= endLine + shift))
          problems.push(`${path}:${f.line}: ${f.rule} still fires after the fix`);
      }
    }
    expect(problems).toEqual([]);
    // The corpora have these shapes: a change that stops suggesting anything must be noticed.
    expect(made.length).toBeGreaterThanOrEqual(5);
    console.log(`${made.length} suggestions:\n${made.join("\n")}`);
  }, 120_000);
});
