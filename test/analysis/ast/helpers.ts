import { parsePatch } from "../../../src/analysis/diff.js";
import { createAstAnalyzer } from "../../../src/analysis/ast/analyzer.js";
import type { AnalyzerOutput, Finding } from "../../../src/analysis/types.js";

/** A new file whose every line is added, as GitHub's patch for it would be. */
export function addedFilePatch(code: string): string {
  const lines = code.split("\n");
  return `@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}`).join("\n")}`;
}

const analyzer = createAstAnalyzer();

/** Runs the AST rules on `code` added as a new file at `path` (whole file known unless told otherwise). */
export async function astScan(path: string, code: string, options: { wholeFile?: boolean } = {}): Promise<AnalyzerOutput> {
  const file = parsePatch(path, addedFilePatch(code));
  const fileContents = options.wholeFile === false ? undefined : new Map([[path, code]]);
  return analyzer.analyze({ files: [file], fileContents });
}

export async function astFindings(path: string, code: string, options: { wholeFile?: boolean } = {}): Promise<Finding[]> {
  return (await astScan(path, code, options)).findings;
}

export async function astRules(path: string, code: string, options: { wholeFile?: boolean } = {}): Promise<string[]> {
  return (await astFindings(path, code, options)).map((f) => f.rule);
}
