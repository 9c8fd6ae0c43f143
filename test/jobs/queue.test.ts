import { jest } from "@jest/globals";
import { JobQueue, JobReleasedError, JobTimeoutError, backoffDelay } from "../../src/jobs/queue.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";

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

  it("stop() lets a running job finish within the grace period, and releases one that does not, to run again later", async () => {
    const store = new SqliteStore(":memory:");
    const log = { ...silent, info: jest.fn() };
    const queue = new JobQueue({ store, log, pollIntervalMs: 10_000, stopGraceMs: 50 });
    let started = 0;
    let signalled: unknown;
    queue.register("stuck", async (_p, _job, signal) => {
      started++;
      signal.addEventListener("abort", () => (signalled = signal.reason));
      await new Promise(() => undefined); // never settles: a GitHub call that hangs
    });
    await queue.enqueue({ type: "stuck", payload: { owner: "o", repo: "r", pullNumber: 3 } });
    await queue.start();
    for (let i = 0; i < 100 && started === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await queue.stop(); // returns although the job never ends
    expect(signalled).toBeInstanceOf(JobReleasedError);
    const [job] = await store.listJobs("queued");
    expect(job).toMatchObject({ type: "stuck", lastError: "released: the process stopped while running it" });
    expect(log.info).toHaveBeenCalledWith(
      expect.objectContaining({ job_id: job.id, repo: "o/r", pull_number: 3 }),
      "job released: it runs again after the restart",
    );

    // The next process runs it again.
    const next = new JobQueue({ store, log: silent });
    const ran: number[] = [];
    next.register("stuck", async () => void ran.push(1));
    expect(await next.drain()).toBe(1);
    expect(ran).toEqual([1]);
  });

  it("requeues jobs a crashed process left running, once their lease expired", async () => {
    const store = new SqliteStore(":memory:");
    await store.enqueueJob({ type: "t", payload: {} });
    await store.claimJob(Date.now(), { owner: "crashed", expiresAt: Date.now() - 1 }); // the "crashed" worker took it; no heartbeat since
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

  it("fails a job that runs past its time limit, aborts its signal, and retries it like any failure", async () => {
    const store = new SqliteStore(":memory:");
    const log = { ...silent, error: jest.fn() };
    const queue = new JobQueue({ store, log, baseDelayMs: 0, maxAttempts: 2, timeoutMs: 200, classify: () => ({ retryable: false }) });
    const signals: AbortSignal[] = [];
    // A handler stuck on a call that never answers (a hung GitHub request).
    queue.register("hung", (payload: unknown, _job, signal) => {
      signals.push(signal);
      return new Promise<void>(() => {});
    });
    await queue.enqueue({ type: "hung", payload: { owner: "o", repo: "r", pullNumber: 7 } });
    await queue.drain();
    // Retried although the classifier calls other errors final: a timeout is worth another attempt.
    expect(signals).toHaveLength(2);
    for (const signal of signals) expect(signal.reason).toBeInstanceOf(JobTimeoutError);
    const [dead] = await store.listJobs("dead");
    expect(dead).toMatchObject({ attempts: 2, lastError: "the job ran longer than its time limit of 0 s" });
    expect(log.error).toHaveBeenCalledWith(expect.objectContaining({ job_type: "hung", repo: "o/r", pull_number: 7 }), "job dead-lettered");
  });

  it("at start, dead-letters a job whose lease expired on every attempt, requeues the others", async () => {
    const store = new SqliteStore(":memory:");
    const log = { ...silent, warn: jest.fn(), error: jest.fn() };
    // Two jobs left running by processes that died: one on its last attempt, one on its first.
    await store.enqueueJob({ type: "poison", payload: { owner: "o", repo: "r", pullNumber: 9 } });
    await store.enqueueJob({ type: "ok", payload: {} });
    const crashed = () => ({ owner: "crashed", expiresAt: Date.now() - 1 }); // a lease nobody renews
    for (let attempt = 0; attempt < 3; attempt++) {
      const job = await store.claimJob(Date.now(), crashed());
      expect(job?.type).toBe("poison");
      if (attempt < 2) await store.reclaimExpiredJobs(Date.now()); // a crash, then a restart
    }
    await store.claimJob(Date.now(), crashed()); // "ok", attempt 1
    const queue = new JobQueue({ store, log, maxAttempts: 3 });
    const ran: string[] = [];
    queue.register("ok", async () => void ran.push("ok"));
    queue.register("poison", async () => void ran.push("poison"));
    await queue.start();
    await queue.stop();
    await queue.drain();
    expect(ran).toEqual(["ok"]);
    const [dead] = await store.listJobs("dead");
    expect(dead).toMatchObject({ type: "poison", attempts: 3 });
    expect(dead.lastError).toMatch(/^the process stopped while running this job on each of its 3 attempts/);
    expect(log.error).toHaveBeenCalledWith(
      expect.objectContaining({ job_type: "poison", repo: "o/r", pull_number: 9, attempts: 3 }),
      expect.stringMatching(/dead-lettered/),
    );
  });

  it("runs each handler inside `around`, whose failure fails the job (the app: the bus scope whose events were not stored)", async () => {
    const store = new SqliteStore(":memory:");
    const calls: string[] = [];
    let failScope = true;
    const queue = new JobQueue({
      store,
      log: silent,
      baseDelayMs: 0,
      maxAttempts: 3,
      around: async (run) => {
        calls.push("enter");
        await run();
        calls.push("leave");
        if (failScope) {
          failScope = false;
          throw new Error("events not stored");
        }
      },
    });
    queue.register("t", async () => void calls.push("run"));
    await queue.enqueue({ type: "t", payload: {} });
    await queue.drain();
    expect(calls).toEqual(["enter", "run", "leave", "enter", "run", "leave"]);
    expect(await store.countJobs()).toMatchObject({ done: 1, dead: 0 });
  });
});
