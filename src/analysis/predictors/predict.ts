/** Shared helpers for predictors: building a Prediction anchored on a diff line, and walking a file's sides. */
import { fingerprint, predictionId } from "../fingerprint.js";
import { redactSecrets } from "../secrets.js";
import { isTestFile } from "../paths.js";
import type { DiffFile, DiffLine, Prediction, Severity } from "../types.js";

export interface PredictionDraft {
  kind: string;
  path: string;
  /** The diff line that is the evidence: an added line (RIGHT) or a deleted line (LEFT). */
  at: DiffLine;
  prediction: string;
  confidence: number;
  severity: Severity;
  impact: string;
  tags: string[];
  recommendation: string;
  /** What identifies this prediction across pushes; defaults to the evidence line's content. */
  identity?: string;
  /** What it is about beyond this file (a package): the change gets one prediction per kind and subject. */
  subject?: string;
}

export function makePrediction(d: PredictionDraft): Prediction {
  const side = d.at.kind === "del" ? "LEFT" : "RIGHT";
  const line = (side === "LEFT" ? d.at.oldLine : d.at.newLine) ?? 1;
  const fp = fingerprint(d.kind, d.path, redactSecrets(d.identity ?? d.at.content));
  return {
    id: predictionId(fp),
    kind: d.kind,
    prediction: redactSecrets(d.prediction),
    confidence: d.confidence,
    severity: d.severity,
    impact: redactSecrets(d.impact),
    tags: d.tags,
    recommendation: redactSecrets(d.recommendation),
    path: d.path,
    line,
    side,
    fingerprint: fp,
    ...(d.subject !== undefined ? { subject: d.subject } : {}),
  };
}

/** A changed line with its position on its side of the hunk (for looking at the lines above it). */
export interface SidedLine {
  line: DiffLine;
  /** The side's lines of the same hunk (old side for a deletion, new side for an addition). */
  side: DiffLine[];
  index: number;
}

/** Added and deleted lines of a file, each with its hunk's old or new side. */
export function changedLines(file: DiffFile): { added: SidedLine[]; deleted: SidedLine[] } {
  const added: SidedLine[] = [];
  const deleted: SidedLine[] = [];
  for (const h of file.hunks) {
    const oldSide: DiffLine[] = [];
    const newSide: DiffLine[] = [];
    for (const l of h.lines) {
      if (l.kind !== "add") {
        if (l.kind === "del") deleted.push({ line: l, side: oldSide, index: oldSide.length });
        oldSide.push(l);
      }
      if (l.kind !== "del") {
        if (l.kind === "add") added.push({ line: l, side: newSide, index: newSide.length });
        newSide.push(l);
      }
    }
  }
  return { added, deleted };
}

export function firstChangedLine(file: DiffFile): DiffLine | undefined {
  let firstDel: DiffLine | undefined;
  for (const h of file.hunks)
    for (const l of h.lines) {
      if (l.kind === "add") return l;
      if (l.kind === "del") firstDel ??= l;
    }
  return firstDel;
}

export function indentOf(s: string): number {
  return s.length - s.trimStart().length;
}

/** A multiset of keys: how many times each was removed minus re-added. */
export class Tally {
  private readonly counts = new Map<string, number>();
  add(key: string, n = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}

/**
 * The nearest line above `index` with less indentation (its parent in YAML, pretty JSON,
 * GraphQL or protobuf), within `maxScan` lines; -1 when none is in view.
 */
export function parentIndex(side: readonly DiffLine[], index: number, maxScan = 300): number {
  const own = indentOf(side[index].content);
  for (let i = index - 1; i >= 0 && i >= index - maxScan; i--) {
    const t = side[i].content;
    if (t.trim() === "" || /^\s*#/.test(t)) continue;
    if (indentOf(t) < own) return i;
  }
  return -1;
}

/** Last path segment. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Code shown in a prediction: one trimmed line, redacted whole and then kept short (cut first, a secret's start would show). */
export function snippet(code: string, max = 120): string {
  const t = redactSecrets(code.trim().replace(/\s+/g, " "));
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** Lines of a text, without the empty string a final newline leaves. */
export function textLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/**
 * The file before the change, rebuilt from its whole content after the change and the diff's
 * hunks (outside the hunks both versions are equal). Undefined when the two do not agree (a
 * stale content, a partial diff), so a caller never compares against a wrong "before".
 */
export function reconstructOld(newText: string, file: DiffFile): string | undefined {
  if (typeof newText !== "string") return undefined;
  const now = textLines(newText);
  const out: string[] = [];
  let cursor = 0; // index into `now`
  for (const h of file.hunks) {
    const firstNew = h.lines.find((l) => l.newLine !== undefined)?.newLine;
    const start = firstNew !== undefined ? firstNew - 1 : h.newLines === 0 ? h.newStart : h.newStart - 1;
    if (start < cursor || start > now.length) return undefined;
    for (; cursor < start; cursor++) out.push(now[cursor]);
    const firstOld = h.lines.find((l) => l.oldLine !== undefined)?.oldLine;
    if (firstOld !== undefined && firstOld !== out.length + 1) return undefined;
    for (const l of h.lines) {
      if (l.kind !== "del") {
        if (now[cursor] !== l.content || l.newLine !== cursor + 1) return undefined;
        cursor++;
      }
      if (l.kind !== "add") out.push(l.content);
    }
  }
  for (; cursor < now.length; cursor++) out.push(now[cursor]);
  return out.join("\n");
}

/** The diff's lines by line number: old side (deleted and context) and new side (added and context). */
export class DiffIndex {
  private readonly oldSide = new Map<number, DiffLine>();
  private readonly newSide = new Map<number, DiffLine>();
  constructor(file: DiffFile) {
    for (const h of file.hunks)
      for (const l of h.lines) {
        if (l.kind !== "add" && l.oldLine !== undefined) this.oldSide.set(l.oldLine, l);
        if (l.kind !== "del" && l.newLine !== undefined) this.newSide.set(l.newLine, l);
      }
  }
  /** The diff line showing line `n` of the old (before) or new (after) file, if it is in a hunk. */
  at(side: "old" | "new", n: number): DiffLine | undefined {
    return (side === "old" ? this.oldSide : this.newSide).get(n);
  }
  /** Only a changed line: deleted (old) or added (new). */
  changed(side: "old" | "new", n: number): DiffLine | undefined {
    const l = this.at(side, n);
    return l && l.kind !== "context" ? l : undefined;
  }
}

/** 1-based line number of a character offset. */
export function lineOfOffset(text: string): (offset: number) => number {
  const starts: number[] = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/** Runs one file's analysis; a malformed file costs its own predictions only, never the others'. */
export function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    /* a file we cannot read is a file we say nothing about */
  }
}

/** Tests, fixtures, examples and documentation: what they contain is not deployed. */
const NOT_DEPLOYED = /(?:^|\/)(?:__fixtures__|fixtures?|testdata|test[-_]data|examples?|samples?|docs?)\//i;

export function isNotDeployed(path: string): boolean {
  return NOT_DEPLOYED.test(path) || isTestFile(path);
}

/** The whole new content of a file when the input carries it. */
export function contentOf(input: { fileContents?: Map<string, string> }, path: string): string | undefined {
  const c = input.fileContents instanceof Map ? input.fileContents.get(path) : undefined;
  return typeof c === "string" ? c : undefined;
}

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/**
 * Like `changedLines`, but each side is the whole file (old rebuilt from the new content and
 * the diff) when the content is known and agrees with the diff, so a changed line's parents
 * are in view even far above its hunk. Falls back to the hunks.
 */
export function sidedLines(file: DiffFile, content: string | undefined): { added: SidedLine[]; deleted: SidedLine[] } {
  const oldText = content === undefined ? undefined : reconstructOld(content, file);
  if (content === undefined || oldText === undefined) return changedLines(file);
  const index = new DiffIndex(file);
  const build = (text: string, which: "old" | "new") =>
    textLines(text).map(
      (content, i): DiffLine =>
        index.at(which, i + 1) ?? { kind: "context", content, ...(which === "old" ? { oldLine: i + 1 } : { newLine: i + 1 }) },
    );
  const oldSide = build(oldText, "old");
  const newSide = build(content, "new");
  const added: SidedLine[] = [];
  const deleted: SidedLine[] = [];
  newSide.forEach((line, index) => line.kind === "add" && added.push({ line, side: newSide, index }));
  oldSide.forEach((line, index) => line.kind === "del" && deleted.push({ line, side: oldSide, index }));
  return { added, deleted };
}

/** Net count of open brackets in Python code, ignoring strings and comments (to join a call split over lines). */
export function pythonBracketDepth(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "#") {
      const nl = text.indexOf("\n", i);
      if (nl < 0) break;
      i = nl;
    } else if (c === '"' || c === "'") {
      const quote = text.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      let j = i + quote.length;
      while (j < text.length && !text.startsWith(quote, j)) j += text[j] === "\\" ? 2 : 1;
      i = j + quote.length - 1;
    } else if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth--;
  }
  return depth;
}
