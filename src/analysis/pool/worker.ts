/**
 * The analysis worker: runs in a child process of the pool (src/analysis/pool/pool.ts), never in
 * the process that serves webhooks. Untrusted code is parsed here only, so a parser that aborts,
 * loops or runs out of memory takes this process down and nothing else.
 */
import "./lowPriority.js"; // first: before the parsers load
import { crossFileAnalyzers, perFileAnalyzers, runAnalyzers } from "../analyze.js";
import { parsePatch } from "../diff.js";
import { announceTaskStart, type AnalysisTask, type AnalysisTaskResult } from "./task.js";

// Built once per process: the rule set, the parsers and the secret detector stay loaded between tasks.
const perFile = perFileAnalyzers();

export default async function analyse(task: AnalysisTask): Promise<AnalysisTaskResult> {
  announceTaskStart();
  const analyzers = task.stage === "file" ? perFile : crossFileAnalyzers(task.options);
  const input = {
    files: task.files,
    fileContents: new Map(task.contents),
    gitattributes: task.gitattributes,
    title: task.title,
    body: task.body,
  };
  return runAnalyzers(input, analyzers, task.options);
}

// Warm up before the pool hands this process its first task (the module is imported at start).
await analyse({
  stage: "file",
  files: [parsePatch("warm-up.js", "@@ -0,0 +1 @@\n+export const warm = true;", { status: "added" })],
  contents: [],
  options: {},
});
