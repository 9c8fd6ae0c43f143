/** What the serving process sends an analysis worker, and what comes back: plain data, nothing to parse there. */
import type { AnalysisOptions } from "../analyze.js";
import type { AnalyzerOutput, DiffFile } from "../types.js";

export interface AnalysisTask {
  /** "file": the per-file analysers on one file; "cross-file": the analysers that need every file. */
  stage: "file" | "cross-file";
  files: DiffFile[];
  /** Whole contents at the head, by path (an array: it crosses the process boundary). */
  contents: [string, string][];
  gitattributes?: string;
  title?: string;
  body?: string;
  options: Pick<AnalysisOptions, "largeChangeLines" | "ignore" | "minSeverity">;
}

export type AnalysisTaskResult = Required<AnalyzerOutput>;

/**
 * What a worker sends when it begins a task: the task's time budget starts then, not while the
 * worker is still starting (loading the parsers takes a second or more after a replacement).
 */
export const TASK_STARTED = "empathy:task-started";

export function announceTaskStart(): void {
  process.send?.({ type: TASK_STARTED });
}
