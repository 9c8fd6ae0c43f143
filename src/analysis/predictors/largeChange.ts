/** A pull request too big to review well: reviewers skim, and defects get through. */
import type { SyncAnalyzer, DiffLine, Prediction } from "../types.js";
import { makePrediction } from "./predict.js";

export interface LargeChangeOptions {
  /** More changed lines than this is large (default 1000). */
  lines?: number;
  /** More files than this is large (default 50). */
  files?: number;
}

export function createLargeChangePredictor(options: LargeChangeOptions = {}): SyncAnalyzer {
  const maxLines = options.lines ?? 1000;
  const maxFiles = options.files ?? 50;
  return {
    name: "large-change",
    analyze(input) {
      const predictions: Prediction[] = [];
      const changed = input.files.reduce((n, f) => n + (f.additions || 0) + (f.deletions || 0), 0);
      const fileCount = input.files.length;
      if (changed <= maxLines && fileCount <= maxFiles) return { findings: [], predictions };
      // Anchor on the first added line (a comment needs a line in the diff); else a deleted one.
      const firstOf = (kind: DiffLine["kind"]) => {
        for (const f of input.files)
          for (const h of f.hunks) {
            const line = h.lines.find((x) => x.kind === kind);
            if (line) return { path: f.path, line };
          }
        return undefined;
      };
      const anchor = firstOf("add") ?? firstOf("del");
      if (!anchor) return { findings: [], predictions };
      predictions.push(
        makePrediction({
          kind: "large-change",
          path: anchor.path,
          at: anchor.line,
          prediction: `This pull request changes ${changed} lines in ${fileCount} files: it is hard to review, so defects are likely to be missed and a regression will be hard to trace back.`,
          confidence: 0.6,
          severity: "medium",
          impact: "Slower reviews, missed defects, and painful reverts for everyone working on this code.",
          tags: ["large-pr"],
          recommendation:
            "Split it into smaller pull requests that each do one thing (refactors, renames and generated files separate from behaviour changes).",
          identity: "",
        }),
      );
      return { findings: [], predictions };
    },
  };
}

export const largeChangePredictor: SyncAnalyzer = createLargeChangePredictor();
