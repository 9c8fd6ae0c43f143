/** Jobs (reviews among them) through a real JobQueue on SQLite, and the queue's depth and age read from the store when scraped. */
import { JobQueue, JobReleasedError } from "../../src/jobs/queue.js";
import { AppMetrics, MAX_JOB_TYPES } from "../../src/metrics/metrics.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { samplesOf, valueOf } from "./exposition.js";

const silent = { info: () => {}, warn: () => {}, error: () => {} };

function setup(now: () => number = Date.now) {
  const store = new SqliteStore(":memory:");
  const warnings: unknown[] = [];
  const metrics = new AppMetrics({ store, processMetrics: false, now, log: { warn: (...a: unknown[]) => void warnings.push(a) } });
  const errors: unknown[][] = [];
  const queue = new JobQueue({
    store,
    log: { ...silent, error: (...a: unknown[]) => void errors.push(a) },
    baseDelayMs: 0,
    maxAttempts: 2,
    classify: (e) => ({ retryable: (e as { status?: number }).status !== 422 }),
    onJobFinished: metrics.jobFinished,
  });
  return { store, metrics, queue, errors, warnings };
}

const text = async (metrics: AppMetrics) => (await metrics.exposition()).body;

describe("AppMetrics: jobs", () => {
  it("counts job runs by type and outcome, with their durations, from the queue's observer", async () => {
    const { metrics, queue } = setup();
    let flaky = 0;
    queue.register("review", async (p: { fail?: number }) => {
      await new Promise((r) => setTimeout(r, 30));
      if (p.fail === 422) throw Object.assign(new Error("Validation Failed"), { status: 422 });
      if (p.fail === 502 && flaky++ < 1) throw Object.assign(new Error("Bad Gateway"), { status: 502 });
    });
    await queue.enqueue({ type: "review", payload: {} });
    await queue.enqueue({ type: "review", payload: { fail: 502 } });
    await queue.enqueue({ type: "review", payload: { fail: 422 } });
    await queue.enqueue({ type: "from_a_newer_version", payload: {} });
    for (let i = 0; i < 3; i++) await queue.drain();
    const t = await text(metrics);
    const finished = (job_type: string, outcome: string) => valueOf(t, "empathy_jobs_finished_total", { job_type, outcome });
    expect(finished("review", "done")).toBe(2);
    expect(finished("review", "retry")).toBe(1);
    expect(finished("review", "dead")).toBe(1);
    expect(finished("from_a_newer_version", "dead")).toBe(1);
    expect(valueOf(t, "empathy_job_duration_seconds_count", { job_type: "review", outcome: "done" })).toBe(2);
    const sum = valueOf(t, "empathy_job_duration_seconds_sum", { job_type: "review", outcome: "done" })!;
    expect(sum).toBeGreaterThanOrEqual(0.05);
    expect(sum).toBeLessThan(5);
    expect(valueOf(t, "empathy_job_duration_seconds_bucket", { job_type: "review", outcome: "done", le: "600" })).toBe(2);
    expect(valueOf(t, "empathy_job_duration_seconds_bucket", { job_type: "review", outcome: "done", le: "+Inf" })).toBe(2);
  });

  it("counts a released job as released", async () => {
    const { metrics, queue } = setup();
    let runs = 0;
    queue.register("t", async () => {
      if (runs++ === 0) throw new JobReleasedError(); // queued again at once: the next run finishes
    });
    await queue.enqueue({ type: "t", payload: {} });
    await queue.drain();
    const t = await text(metrics);
    expect(valueOf(t, "empathy_jobs_finished_total", { job_type: "t", outcome: "released" })).toBe(1);
    expect(valueOf(t, "empathy_jobs_finished_total", { job_type: "t", outcome: "done" })).toBe(1);
  });

  it("an observer that throws is logged and never fails the job", async () => {
    const store = new SqliteStore(":memory:");
    const errors: unknown[][] = [];
    const queue = new JobQueue({
      store,
      log: { ...silent, error: (...a: unknown[]) => void errors.push(a) },
      onJobFinished: () => {
        throw new Error("observer broke");
      },
    });
    queue.register("t", async () => {});
    await queue.enqueue({ type: "t", payload: {} });
    await queue.drain();
    expect(await store.countJobs()).toMatchObject({ done: 1, queued: 0 });
    expect(errors).toEqual([[{ err: "observer broke" }, "job observer failed"]]);
  });

  it("bounds the job types: past the ceiling they are counted as other", async () => {
    const { metrics } = setup();
    for (let i = 0; i < MAX_JOB_TYPES + 30; i++) metrics.jobFinished(`type_${i}`, "dead", 1);
    const t = await text(metrics);
    expect(samplesOf(t, "empathy_jobs_finished_total")).toHaveLength(MAX_JOB_TYPES + 1);
    expect(valueOf(t, "empathy_jobs_finished_total", { job_type: "other", outcome: "dead" })).toBe(30);
  });

  it("reads the queue's depth by status and the oldest queued job's age from the store when scraped", async () => {
    let now = Date.now();
    const { metrics, queue, store } = setup(() => now);
    let t = await text(metrics);
    expect(valueOf(t, "empathy_jobs", { status: "queued" })).toBe(0);
    expect(valueOf(t, "empathy_jobs_oldest_queued_age_seconds")).toBe(0);
    expect(valueOf(t, "empathy_webhook_deliveries", { status: "pending" })).toBe(0);

    await queue.enqueue({ type: "a", payload: {} });
    await queue.enqueue({ type: "b", payload: {} });
    await queue.enqueue({ type: "c", payload: {}, runAt: Date.now() + 3_600_000 });
    await store.claimJob(Date.now()); // a: running
    now += 90_000;
    t = await text(metrics);
    expect(valueOf(t, "empathy_jobs", { status: "queued" })).toBe(2);
    expect(valueOf(t, "empathy_jobs", { status: "running" })).toBe(1);
    expect(valueOf(t, "empathy_jobs", { status: "done" })).toBe(0);
    expect(valueOf(t, "empathy_jobs", { status: "dead" })).toBe(0);
    const age = valueOf(t, "empathy_jobs_oldest_queued_age_seconds")!;
    expect(age).toBeGreaterThanOrEqual(89); // `now` was read just before the jobs were enqueued
    expect(age).toBeLessThan(120);
  });

  it("leaves the queue figures out of a scrape whose store reads fail, and counts the failure", async () => {
    const { metrics, store, warnings } = setup();
    await text(metrics);
    await store.close();
    const t = await text(metrics);
    expect(samplesOf(t, "empathy_jobs")).toEqual([]);
    expect(valueOf(t, "empathy_jobs_oldest_queued_age_seconds")).toBeNaN(); // an unlabelled gauge cannot be left out: unknown
    expect(valueOf(t, "empathy_metrics_store_errors_total")).toBe(1);
    expect(warnings).toHaveLength(1);
  });

  it("counts the review jobs that reviewed a commit apart from those that had nothing to review", async () => {
    const { metrics } = setup();
    metrics.reviewFinished("reviewed");
    metrics.reviewFinished("skipped");
    metrics.reviewFinished("skipped");
    const body = await text(metrics);
    expect(valueOf(body, "empathy_reviews_total", { outcome: "reviewed" })).toBe(1);
    expect(valueOf(body, "empathy_reviews_total", { outcome: "skipped" })).toBe(2);
  });
});
