/**
 * A worker for the pool's tests: the real analysis, except that a file whose path says "stall"
 * loops forever and one whose path says "abort" aborts the process, like a hostile input would;
 * one whose path says "flags" fails with the V8 flags the worker process runs with.
 */
import analyse from "../../../src/analysis/pool/worker.js";
import { announceTaskStart, type AnalysisTask } from "../../../src/analysis/pool/task.js";

export default async function stallingAnalyse(task: AnalysisTask) {
  announceTaskStart();
  if (task.stage === "file" && task.files.some((f) => f.path.includes("stall"))) for (;;);
  if (task.stage === "file" && task.files.some((f) => f.path.includes("abort"))) process.abort();
  if (task.stage === "file" && task.files.some((f) => f.path.includes("flags"))) throw new Error(`flags: ${process.execArgv.join(" ")}`);
  return analyse(task); // announces again: only the first one counts
}
