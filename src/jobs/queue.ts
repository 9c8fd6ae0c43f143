/**
 * Durable job queue with an in-process worker. Jobs live in the store, so a job accepted
 * before a crash runs after the restart. Failures are retried with exponential backoff and
 * jitter (or the delay the error asks for); a job that keeps failing is dead-lettered and
 * logged. The queue does not know what a job does: handlers are registered by type.
 *
 * No poison jobs: an attempt is counted when the job is claimed, so a job that takes the whole
 * process down is dead-lettered at a start once it has used its attempts; and every job has a
 * time limit, after which it fails (its handler's signal is aborted) and is retried.
 */
import type { JobRecord, JobStore, NewJob } from "../store/store.js";

export interface JobLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** `signal` is aborted when the job's time limit is reached: the handler should stop there. */
export type JobHandler = (payload: any, job: JobRecord, signal: AbortSignal) => Promise<void>;

/** The failure of a job that ran past its time limit. */
export class JobTimeoutError extends Error {
  constructor(readonly limitMs: number) {
    super(`the job ran longer than its time limit of ${Math.round(limitMs / 1000)} s`);
    this.name = "JobTimeoutError";
  }
}

/** Why a running job was let go: the process is stopping; the job runs again later, from the start. */
export class JobReleasedError extends Error {
  constructor() {
    super("released: the process stopped while running it");
    this.name = "JobReleasedError";
  }
}

/** How a failure should be treated; supplied by whoever knows the errors (e.g. GitHub's). */
export type ErrorClassifier = (error: unknown) => { retryable: boolean; retryAfterMs?: number };

export interface JobQueueOptions {
  store: JobStore;
  log: JobLogger;
  classify?: ErrorClassifier;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Longest sleep between checks for due jobs. */
  pollIntervalMs?: number;
  concurrency?: number;
  /** A job running longer than this fails and is retried (default 5 minutes). */
  timeoutMs?: number;
  /** How long stop() lets running jobs finish before it releases them for a later run (default 3 s). */
  stopGraceMs?: number;
  /** Wraps each handler run (the app: the event bus's scope, so a job whose events were not stored fails). */
  around?: (run: () => Promise<void>) => Promise<void>;
  random?: () => number;
}

export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  // "Equal jitter": half fixed, half random, so retries of many jobs spread out.
  return Math.round(exp / 2 + random() * (exp / 2));
}

function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 2000 ? `${message.slice(0, 2000)}…` : message;
}

export class JobQueue {
  private handlers = new Map<string, JobHandler>();
  private running = false;
  private loops: Promise<void>[] = [];
  private wake: (() => void) | null = null;
  /** The running jobs' controllers: stop() aborts them once its grace period is over. */
  private readonly active = new Set<AbortController>();
  private readonly opts: Required<Omit<JobQueueOptions, "store" | "log">> & Pick<JobQueueOptions, "store" | "log">;

  constructor(options: JobQueueOptions) {
    this.opts = {
      classify: () => ({ retryable: true }),
      maxAttempts: 6,
      baseDelayMs: 2000,
      maxDelayMs: 10 * 60_000,
      pollIntervalMs: 1000,
      concurrency: 1,
      timeoutMs: 5 * 60_000,
      stopGraceMs: 3000,
      around: (run: () => Promise<void>) => run(),
      random: Math.random,
      ...options,
    };
  }

  register(type: string, handler: JobHandler): void {
    this.handlers.set(type, handler);
  }

  async enqueue(job: NewJob): Promise<number | null> {
    const id = await this.opts.store.enqueueJob(job);
    if (id !== null) this.wake?.();
    return id;
  }

  /**
   * Requeues jobs a dead process left running (dead-lettering those that have used their
   * attempts: they may be what killed it), then starts the worker loops.
   */
  async start(): Promise<void> {
    if (this.running) return;
    const interrupted = await this.opts.store.listJobs("running", 1000);
    const requeued = await this.opts.store.requeueRunningJobs(this.opts.maxAttempts);
    for (const job of interrupted.filter((j) => j.attempts >= this.opts.maxAttempts)) {
      this.opts.log.error(
        { job_id: job.id, job_type: job.type, attempts: job.attempts, ...jobSubject(job.payload) },
        "job dead-lettered: the process stopped while running it on every attempt",
      );
    }
    if (requeued > 0) this.opts.log.warn({ requeued }, "requeued jobs interrupted by a previous stop");
    this.running = true;
    for (let i = 0; i < this.opts.concurrency; i++) this.loops.push(this.loop());
  }

  /**
   * Stops taking new jobs and lets the running ones finish for a short grace period; a job still
   * running then is released (queued again, to run from the start later) so a stop takes seconds,
   * not a review's length. Its writes check what GitHub already has, so a rerun repeats nothing.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    const loops = Promise.all(this.loops);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), this.opts.stopGraceMs)));
    if ((await Promise.race([loops, grace])) === "late") {
      for (const controller of this.active) controller.abort(new JobReleasedError());
      await loops;
    }
    clearTimeout(timer);
    this.loops = [];
  }

  /** Runs due jobs until none is left (for tests and the CLI); returns how many ran. */
  async drain(): Promise<number> {
    let ran = 0;
    while (await this.runOne()) ran++;
    return ran;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let didWork = false;
      try {
        didWork = await this.runOne();
      } catch (error) {
        this.opts.log.error({ err: errorMessage(error) }, "job worker error");
      }
      if (!didWork && this.running) await this.sleep();
    }
  }

  private async sleep(): Promise<void> {
    const next = await this.opts.store.nextJobRunAt();
    const wait = next === null ? this.opts.pollIntervalMs : Math.max(0, Math.min(this.opts.pollIntervalMs, next - Date.now()));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, wait);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  /** Claims and runs one due job. Returns false when nothing was due. */
  private async runOne(): Promise<boolean> {
    const job = await this.opts.store.claimJob(Date.now());
    if (!job) return false;
    try {
      const handler = this.handlers.get(job.type);
      if (!handler) {
        await this.opts.store.killJob(job.id, `no handler for job type "${job.type}"`);
        this.opts.log.error({ job_id: job.id, job_type: job.type }, "job dead-lettered: no handler");
        return true;
      }
      await this.withTimeLimit((signal) => this.opts.around(() => handler(job.payload, job, signal)));
      await this.opts.store.completeJob(job.id);
    } catch (error) {
      await this.handleFailure(job, error);
    }
    return true;
  }

  /** Runs the work until it settles, its time limit passes or stop() releases it, whichever comes first. */
  private async withTimeLimit(work: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new JobTimeoutError(this.opts.timeoutMs)), this.opts.timeoutMs);
    const ended = new Promise<never>((_, reject) => controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true }));
    this.active.add(controller);
    const running = work(controller.signal);
    running.catch(() => undefined); // once timed out or released, its own outcome no longer matters
    try {
      await Promise.race([running, ended]);
    } finally {
      clearTimeout(timer);
      this.active.delete(controller);
    }
  }

  private async handleFailure(job: JobRecord, error: unknown): Promise<void> {
    const message = errorMessage(error);
    if (error instanceof JobReleasedError) {
      await this.opts.store.retryJob(job.id, Date.now(), message);
      this.opts.log.info({ job_id: job.id, job_type: job.type, ...jobSubject(job.payload) }, "job released: it runs again after the restart");
      return;
    }
    const { retryable, retryAfterMs } = error instanceof JobTimeoutError ? { retryable: true, retryAfterMs: undefined } : this.opts.classify(error);
    if (retryable && job.attempts < this.opts.maxAttempts) {
      const delay = retryAfterMs ?? backoffDelay(job.attempts, this.opts.baseDelayMs, this.opts.maxDelayMs, this.opts.random);
      await this.opts.store.retryJob(job.id, Date.now() + delay, message);
      this.opts.log.warn({ job_id: job.id, job_type: job.type, attempt: job.attempts, retry_in_ms: delay, err: message }, "job failed, will retry");
      return;
    }
    await this.opts.store.killJob(job.id, message);
    this.opts.log.error(
      { job_id: job.id, job_type: job.type, attempts: job.attempts, retryable, err: message, ...jobSubject(job.payload) },
      "job dead-lettered",
    );
  }
}

/** The repository and pull request a job is about, when its payload says (for logs and /health). */
export function jobSubject(payload: unknown): { repo?: string; pull_number?: number } {
  const p = (payload ?? {}) as { owner?: unknown; repo?: unknown; pullNumber?: unknown };
  const out: { repo?: string; pull_number?: number } = {};
  if (typeof p.owner === "string" && typeof p.repo === "string") out.repo = `${p.owner}/${p.repo}`;
  if (typeof p.pullNumber === "number") out.pull_number = p.pullNumber;
  return out;
}
