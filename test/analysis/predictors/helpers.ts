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

type Op = { kind: " " | "-" | "+"; text: string };

/** A line diff (LCS) of two texts as ops. */
function lineOps(before: string[], after: string[]): Op[] {
  const n = before.length;
  const m = after.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) lcs[i][j] = before[i] === after[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      ops.push({ kind: " ", text: before[i] });
      i++;
      j++;
    } else if (j < m && (i >= n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      ops.push({ kind: "+", text: after[j++] });
    } else {
      ops.push({ kind: "-", text: before[i++] });
    }
  }
  return ops;
}

const splitText = (t: string) => (t === "" ? [] : t.replace(/\n$/, "").split("\n"));

/** GitHub-style patch (hunks with `context` lines around changes) between two versions of a file. */
export function patchOf(before: string, after: string, context = 3): string {
  const ops = lineOps(splitText(before), splitText(after));
  const changed = ops.map((o, k) => (o.kind !== " " ? k : -1)).filter((k) => k >= 0);
  if (changed.length === 0) return "";
  // Group changes whose context windows touch.
  const groups: [number, number][] = [];
  for (const k of changed) {
    const last = groups[groups.length - 1];
    if (last && k - last[1] <= 2 * context) last[1] = k;
    else groups.push([k, k]);
  }
  const out: string[] = [];
  for (const [a, b] of groups) {
    const from = Math.max(0, a - context);
    const to = Math.min(ops.length - 1, b + context);
    let oldLine = 1;
    let newLine = 1;
    for (let k = 0; k < from; k++) {
      if (ops[k].kind !== "+") oldLine++;
      if (ops[k].kind !== "-") newLine++;
    }
    const body = ops.slice(from, to + 1);
    const oldCount = body.filter((o) => o.kind !== "+").length;
    const newCount = body.filter((o) => o.kind !== "-").length;
    out.push(`@@ -${oldCount ? oldLine : oldLine - 1},${oldCount} +${newCount ? newLine : newLine - 1},${newCount} @@`);
    for (const o of body) out.push(o.kind + o.text);
  }
  return out.join("\n");
}

/** The diff of a file from `before` to `after` and its whole new content, as the app gives them. */
export function change(path: string, before: string, after: string, context = 3): { file: DiffFile; contents: Map<string, string> } {
  return { file: parsePatch(path, patchOf(before, after, context)), contents: new Map([[path, after]]) };
}

/** Predictions for several changed files, with their whole new contents. */
export function predictChanges(
  analyzer: SyncAnalyzer,
  changes: { file: DiffFile; contents: Map<string, string> }[],
  withContents = true,
): Prediction[] {
  const fileContents = new Map<string, string>();
  for (const c of changes) for (const [k, v] of c.contents) fileContents.set(k, v);
  return analyzer.analyze({ files: changes.map((c) => c.file), ...(withContents ? { fileContents } : {}) }).predictions;
}
