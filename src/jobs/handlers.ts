/**
 * Job handlers by job type: what a feature hands the composition root, which registers every
 * one of them on the queue in one place (src/app.ts). The queue itself knows no job.
 */
import type { JobHandler, JobQueue } from "./queue.js";

export type JobHandlers = Readonly<Record<string, JobHandler>>;

/** Registers every handler; a job type given twice is a wiring mistake (one would silently win), so it throws. Returns the types. */
export function registerJobs(queue: Pick<JobQueue, "register">, ...groups: JobHandlers[]): string[] {
  const types = new Set<string>();
  for (const group of groups) {
    for (const [type, handler] of Object.entries(group)) {
      if (types.has(type)) throw new Error(`job type "${type}" has two handlers`);
      types.add(type);
      queue.register(type, handler);
    }
  }
  return [...types];
}
