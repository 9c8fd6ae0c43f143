/**
 * The analysis of a pull request in the worker pool: files are pre-checked here (no parsing),
 * then each file is analysed as its own task and the cross-file predictors as one more. A file
 * whose worker crashes or overruns its budget is listed as skipped with the reason; the rest of
 * the pull request is analysed as usual.
 */
import { setMaxListeners } from "node:events";
import type { AnalysisOptions } from "../analyze.js";
import { prepareAnalysis, UniqueResults } from "../prepare.js";
import { DEFAULT_LIMITS, type AnalysisLimits } from "../limits.js";
import type { AnalysisInput, AnalysisOutcome, SkippedItem } from "../types.js";
import type { AnalysisPool, PoolOutcome } from "./pool.js";
import type { AnalysisTask } from "./task.js";

export interface IsolatedAnalysisOptions extends Omit<AnalysisOptions, "analyzers" | "limits"> {
  limits?: Partial<AnalysisLimits>;
  /** Aborts the whole analysis (the job running it was cancelled): rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** How the review job analyses a change (the pool in the app; tests may analyse in-process). */
export type AnalyseChange = (input: AnalysisInput, options: IsolatedAnalysisOptions) => Promise<AnalysisOutcome>;

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** The reason a task's failure gives in the summary's "not analysed" list. */
function failureReason(
  outcome: Exclude<PoolOutcome, { ok: true }>,
  limits: AnalysisLimits,
  pool: AnalysisPool,
  reviewSpent: boolean,
): string {
  switch (outcome.failure) {
    case "timeout":
      return `not analysed: time budget of ${seconds(limits.fileTimeBudgetMs)} exceeded`;
    case "crash":
      return `not analysed: the analysis process stopped on it (a parser crash, or over the ${pool.memoryCapMb} MB memory cap)`;
    case "cancelled":
      return reviewSpent
        ? `not analysed: the pull request's time budget of ${seconds(limits.reviewTimeBudgetMs)} was spent`
        : "not analysed: the analysis was stopped";
    default:
      return `not analysed: analysis failed (${outcome.message.slice(0, 200)})`;
  }
}

export async function analyseInPool(
  pool: AnalysisPool,
  input: AnalysisInput,
  options: IsolatedAnalysisOptions = {},
): Promise<AnalysisOutcome> {
  const limits: AnalysisLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const prepared = prepareAnalysis(input, { ...options, limits });
  const review = AbortSignal.timeout(Math.max(1, limits.reviewTimeBudgetMs));
  const signal = options.signal ? AbortSignal.any([review, options.signal]) : review;
  // One listener per file task waits on it (a large pull request has hundreds): not a leak.
  setMaxListeners(0, signal);
  const contents = prepared.input.fileContents ?? new Map<string, string>();
  const common = {
    gitattributes: prepared.input.gitattributes,
    title: prepared.input.title,
    body: prepared.input.body,
    options: { largeChangeLines: options.largeChangeLines, ignore: options.ignore, minSeverity: options.minSeverity },
  };
  const run = (task: AnalysisTask) => pool.run(task, { budgetMs: limits.fileTimeBudgetMs, signal });

  // The cross-file task first, so it is not the one the review's budget runs out on.
  const crossFile = run({ ...common, stage: "cross-file", files: prepared.input.files, contents: [...contents] });
  const analysable = prepared.input.files.filter((f) => f.hunks.length > 0);
  const perFile = analysable.map((file) => {
    const content = contents.get(file.path);
    return run({ ...common, stage: "file", files: [file], contents: content === undefined ? [] : [[file.path, content]] });
  });
  const outcomes = await Promise.all([...perFile, crossFile]);
  options.signal?.throwIfAborted();

  const unique = new UniqueResults();
  const skipped: SkippedItem[] = [...prepared.skipped];
  const secretValues = new Set<string>();
  outcomes.forEach((outcome, i) => {
    const path = i < analysable.length ? analysable[i].path : undefined;
    if (!outcome.ok) {
      const reason = failureReason(outcome, limits, pool, review.aborted);
      skipped.push(
        path
          ? { path, reason }
          : { path: "*", reason: `predictions across files (migrations, tests, size) ${reason.replace(/^not analysed: /, "not made: ")}` },
      );
      return;
    }
    unique.add(outcome.result);
    skipped.push(...outcome.result.skipped);
    for (const v of outcome.result.secretValues) secretValues.add(v);
  });
  const { findings, predictions } = unique;
  return { result: { findings, predictions, skipped, stats: prepared.stats }, secretValues: [...secretValues] };
}
