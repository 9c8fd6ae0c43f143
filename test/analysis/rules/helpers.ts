import { parsePatch } from "../../../src/analysis/diff.js";
import { createRuleEngine } from "../../../src/analysis/rules/engine.js";
import type { Finding } from "../../../src/analysis/types.js";

/** A new file whose every line is added, as GitHub's patch for it would be. */
export function addedFilePatch(code: string): string {
  const lines = code.split("\n");
  return `@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}`).join("\n")}`;
}

/** Runs the default rules on `code` added as a new file at `path`. */
export function scan(path: string, code: string, options: { wholeFile?: boolean } = {}): Finding[] {
  const file = parsePatch(path, addedFilePatch(code));
  const fileContents = options.wholeFile ? new Map([[path, code]]) : undefined;
  return createRuleEngine().analyze({ files: [file], fileContents }).findings;
}

export function rulesFound(path: string, code: string, options: { wholeFile?: boolean } = {}): string[] {
  return scan(path, code, options).map((f) => f.rule);
}
