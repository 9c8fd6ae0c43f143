/** registerJobs: every feature's job handlers registered in one place, a type given twice refused. */
import { registerJobs, type JobHandlers } from "../../src/jobs/handlers.js";
import type { JobHandler } from "../../src/jobs/queue.js";

describe("registerJobs", () => {
  it("registers every handler of every group and returns the types", () => {
    const registered = new Map<string, JobHandler>();
    const queue = { register: (type: string, handler: JobHandler) => void registered.set(type, handler) };
    const a: JobHandlers = { review: async () => {} };
    const b: JobHandlers = { command: async () => {}, handoff: async () => {} };
    expect(registerJobs(queue, a, b)).toEqual(["review", "command", "handoff"]);
    expect([...registered.keys()]).toEqual(["review", "command", "handoff"]);
    expect(registered.get("command")).toBe(b.command);
  });

  it("refuses a job type given twice, naming it", () => {
    const queue = { register: () => {} };
    expect(() => registerJobs(queue, { review: async () => {} }, { review: async () => {} })).toThrow('job type "review" has two handlers');
  });
});
