/** Shared helpers for predictors: building a Prediction anchored on a diff line, and walking a file's sides. */
import { fingerprint, predictionId } from "../fingerprint.js";
import { redactSecrets } from "../secrets.js";
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

/** Code shown in a prediction: one trimmed line, kept short. */
export function snippet(code: string, max = 120): string {
  const t = code.trim().replace(/\s+/g, " ");
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}
