/** What the API contract comparers share: the emit callback and issues located in the old or new file. */
import type { DiffFile, DiffLine, Severity } from "../types.js";
import { DiffIndex } from "./predict.js";

export interface Emit {
  (
    file: DiffFile,
    at: DiffLine,
    kind: string,
    prediction: string,
    confidence: number,
    severity: Severity,
    extraTag: string,
    recommendation: string,
  ): void;
}

/** A break found by comparing the whole old and new documents, located by line in one of them. */
export interface Issue {
  kind: string;
  side: "old" | "new";
  line: number;
  /** Other places that show the same change, tried in order when `line` is not in the diff. */
  alt?: { side: "old" | "new"; line: number }[];
  prediction: string;
  confidence: number;
  severity: Severity;
  recommendation: string;
}

/**
 * Emits each issue on a line of the diff: a changed line showing it when there is one, else a
 * context line in a hunk; an issue with no line in the diff is dropped (nothing to comment on).
 */
export function emitIssues(file: DiffFile, issues: Issue[], tag: string, emit: Emit): void {
  const index = new DiffIndex(file);
  for (const issue of issues) {
    const places = [{ side: issue.side, line: issue.line }, ...(issue.alt ?? [])];
    let at: DiffLine | undefined;
    for (const p of places) if ((at = index.changed(p.side, p.line))) break;
    if (!at) for (const p of places) if ((at = index.at(p.side, p.line))) break;
    if (at) emit(file, at, issue.kind, issue.prediction, issue.confidence, issue.severity, tag, issue.recommendation);
  }
}
