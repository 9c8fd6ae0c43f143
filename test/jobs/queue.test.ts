import { jest } from "@jest/globals";
import { JobQueue, backoffDelay } from "../../src/jobs/queue.js";
import { SqliteStore } from "../../src/store/sqlite.js";

const silent = { info: () => {}, warn: () => {}, error: jest.fn() };

describe("JobQueue", () => {
  it("runs jobs, retries retryable failures with backoff, and dead-letters the rest with a log line", async () => {
    const store = new SqliteStore(":memory:");
    const log = { ...silent, error: jest.fn() };
    const queue = new JobQueue({
      store,
      log,
      baseDelayMs: 0,
      maxAttempts: 3,
      classify: (e: any) => ({ retryable: e.status >= 500 }),
    });
    const seen: string[] = [];
    queue.register("flaky", async (p) => {
      seen.push(p.name);
      if (seen.filter((n) => n === p.name).length < 3) throw Object.assign(new Error("502"), { status: 502 });
    });
    queue.register("bad", async () => {
      throw Object.assign(new Error("Validation Failed"), { status: 422 });
    });
    await queue.enqueue({ type: "flaky", payload: { name: "a" } });
    await queue.enqueue({ type: "bad", payload: {} });
    await queue.enqueue({ type: "unknown", payload: {} });
    for (let i = 0; i < 5; i++) await queue.drain();
    expect(seen).toEqual(["a", "a", "a"]);
    expect(await store.countJobs()).toEqual({ queued: 0, running: 0, done: 1, dead: 2 });
    const dead = await store.listJobs("dead");
    expect(dead.map((j) => [j.type, j.lastError])).toEqual([
      ["bad", "Validation Failed"],
      ["unknown", 'no handler for job type "unknown"'],
    ]);
    expect(log.error).toHaveBeenCalledWith(expect.objectContaining({ job_type: "bad", attempts: 1 }), "job dead-lettered");
  });

  it("dead-letters a job that keeps failing after maxAttempts", async () => {
    const store = new SqliteStore(":memory:");
    const queue = new JobQueue({ store, log: silent, baseDelayMs: 0, maxAttempts: 2 });
    queue.register("t", async () => {
      throw new Error("socket hang up");
    });
    await queue.enqueue({ type: "t", payload: {} });
    await queue.drain();
    await queue.drain();
    expect((await store.listJobs("dead"))[0]).toMatchObject({ attempts: 2, lastError: "socket hang up" });
  });

  it("honours the delay an error asks for", async () => {
    const store = new SqliteStore(":memory:");
    const queue = new JobQueue({ store, log: silent, classify: () => ({ retryable: true, retryAfterMs: 60_000 }) });
    queue.register("t", async () => {
      throw new Error("rate limited");
    });
    await queue.enqueue({ type: "t", payload: {} });
    const before = Date.now();
    await queue.drain();
    const next = await store.nextJobRunAt();
    expect(next! - before).toBeGreaterThanOrEqual(60_000);
    expect(await queue.drain()).toBe(0); // not due yet
  });

  it("the background worker picks up new jobs at once and finishes the running one on stop", async () => {
    const store = new SqliteStore(":memory:");
    const queue = new JobQueue({ store, log: silent, pollIntervalMs: 10_000 });
    const done: number[] = [];
    queue.register("t", async (p) => {
      await new Promise((r) => setTimeout(r, 20));
      done.push(p.n);
    });
    await queue.start();
    await queue.enqueue({ type: "t", payload: { n: 1 } });
    await queue.enqueue({ type: "t", payload: { n: 2 } });
    for (let i = 0; i < 100 && done.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    await queue.stop();
    expect(done).toEqual([1, 2]);
  });

  it("requeues jobs a crashed process left running", async () => {
    const store = new SqliteStore(":memory:");
    await store.enqueueJob({ type: "t", payload: {} });
    await store.claimJob(Date.now()); // the "crashed" worker took it
    const queue = new JobQueue({ store, log: silent });
    let ran = 0;
    queue.register("t", async () => {
      ran++;
    });
    await queue.start();
    for (let i = 0; i < 100 && ran === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await queue.stop();
    expect(ran).toBe(1);
  });

  it("backoff grows exponentially with jitter and is capped", () => {
    expect(backoffDelay(1, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffDelay(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoffDelay(4, 1000, 60_000, () => 1)).toBe(8000);
    expect(backoffDelay(20, 1000, 60_000, () => 1)).toBe(60_000);
  });
});
