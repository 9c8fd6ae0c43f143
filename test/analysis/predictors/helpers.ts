import { parsePatch } from "../../../src/analysis/diff.js";
import type { AnalysisInput, DiffFile, Prediction, SyncAnalyzer } from "../../../src/analysis/types.js";

/**
 * One hunk from lines written as in a diff (" ctx", "-old", "+new"), starting at line `start`
 * of both sides; the header counts are computed.
 */
export function hunk(lines: string[], start = 1): string {
  const oldCount = lines.filter((l) => !l.startsWith("+")).length;
  const newCount = lines.filter((l) => !l.startsWith("-")).length;
  return `@@ -${oldCount ? start : 0},${oldCount} +${newCount ? start : 0},${newCount} @@\n${lines.join("\n")}`;
}

export function file(path: string, lines: string[], start = 1): DiffFile {
  return parsePatch(path, hunk(lines, start));
}

export function predict(analyzer: SyncAnalyzer, files: DiffFile[], extra: Partial<AnalysisInput> = {}): Prediction[] {
  return analyzer.analyze({ files, ...extra }).predictions;
}

export const added = (code: string) => code.split("\n").map((l) => `+${l}`);
