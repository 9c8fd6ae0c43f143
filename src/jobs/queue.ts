/**
 * Durable job queue with an in-process worker. Jobs live in the store, so a job accepted
 * before a crash runs after the restart. Failures are retried with exponential backoff and
 * jitter (or the delay the error asks for); a job that keeps failing is dead-lettered and
 * logged. The queue does not know what a job does: handlers are registered by type.
 *
 * No poison jobs: an attempt is counted when the job is claimed, so a job that takes the whole
 * process down is dead-lettered once it has used its attempts; and every job has a time limit,
 * after which it fails (its handler's signal is aborted) and is retried.
 *
 * Several instances on one store: a claim is a lease held by this instance's id, renewed by a
 * heartbeat while the job runs. A job whose lease expired (its instance died or hung) is taken
 * back by whichever instance looks first; a live lease is never touched, whoever holds it. A
 * job's outcome is written only while its lease is still held: one that lost it is abandoned.
 */
import { DEFAULT_LEASE_DURATION_MS, newInstanceId } from "../store/lease.js";
import type { Log } from "../logging/log.js";
import type { JobRecord, JobStore, NewJob } from "../store/store.js";
import { errorMessage as thrownText } from "../text/errorMessage.js";

/** `signal` is aborted when the job's time limit is reached: the handler should stop there. */
// `any`: each handler declares its own payload type; the queue hands it the stored JSON of that job type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
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

/** Why a running job was let go: its lease expired and another instance may have taken it; its outcome here is dropped. */
export class JobLeaseLostError extends Error {
  constructor() {
    super("lease lost: the job's lease expired before its heartbeat renewed it");
    this.name = "JobLeaseLostError";
  }
}

/**
 * How a claimed job ended here: done; retry (failed or timed out, queued again); dead
 * (dead-lettered); released (the process stopped, it runs again from the start); lease_lost
 * (another instance took it, this run's outcome was dropped).
 */
export type JobOutcome = "done" | "retry" | "dead" | "released" | "lease_lost";

/** How a failure should be treated; supplied by whoever knows the errors (e.g. GitHub's). */
export type ErrorClassifier = (error: unknown) => { retryable: boolean; retryAfterMs?: number };

export interface JobQueueOptions {
  store: JobStore;
  log: Pick<Log, "info" | "warn" | "error">;
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
  /** This instance's id, the owner of its leases (default: a new one). */
  instanceId?: string;
  /** How long a claim is held without a heartbeat (default 30 s); the heartbeat renews it every third of it. */
  leaseMs?: number;
  /** Wraps each handler run (the app: the event bus's scope, so a job whose events were not stored fails). */
  around?: (run: () => Promise<void>) => Promise<void>;
  random?: () => number;
  /**
   * Called once per claimed job when its run has ended here (metrics): its type, outcome and the
   * milliseconds from claim to outcome. Synchronous and must be cheap; a throw is logged, never the job's.
   */
  onJobFinished?: (type: string, outcome: JobOutcome, ms: number) => void;
}

export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  // "Equal jitter": half fixed, half random, so retries of many jobs spread out.
  return Math.round(exp / 2 + random() * (exp / 2));
}

function errorMessage(error: unknown): string {
  const message = thrownText(error);
  return message.length > 2000 ? `${message.slice(0, 2000)}…` : message;
}

export class JobQueue {
  private handlers = new Map<string, JobHandler>();
  private running = false;
  private loops: Promise<void>[] = [];
  private wake: (() => void) | null = null;
  /** The running jobs' controllers by job id: stop() aborts them once its grace period is over, the heartbeat when a lease is lost. */
  private readonly active = new Map<number, AbortController>();
  private heartbeat: NodeJS.Timeout | null = null;
  private nextReclaimAt = 0;
  private readonly opts: Required<Omit<JobQueueOptions, "store" | "log" | "onJobFinished">> &
    Pick<JobQueueOptions, "store" | "log" | "onJobFinished">;

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
      instanceId: newInstanceId(),
      leaseMs: DEFAULT_LEASE_DURATION_MS,
      ...options,
    };
  }

  /** The owner of this queue's leases. */
  get instanceId(): string {
    return this.opts.instanceId;
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
   * Takes back jobs whose lease expired (dead-lettering those that have used their attempts: they
   * may be what killed their process), then starts the worker loops and the lease heartbeat.
   * Jobs other live instances are running are left alone.
   */
  async start(): Promise<void> {
    if (this.running) return;
    await this.reclaimExpired();
    this.running = true;
    this.heartbeat = setInterval(() => void this.renewLeases(), Math.max(10, Math.floor(this.opts.leaseMs / 3)));
    this.heartbeat.unref();
    for (let i = 0; i < this.opts.concurrency; i++) this.loops.push(this.loop());
  }

  /** Expired leases back to the queue (any instance's), each at most once per half lease. */
  private async reclaimExpired(): Promise<void> {
    const now = Date.now();
    this.nextReclaimAt = now + Math.floor(this.opts.leaseMs / 2);
    const { requeued, dead } = await this.opts.store.reclaimExpiredJobs(now, this.opts.maxAttempts, this.instanceId);
    for (const job of dead) {
      this.opts.log.error(
        { job_id: job.id, job_type: job.type, attempts: job.attempts, ...jobSubject(job.payload) },
        "job dead-lettered: the process stopped while running it on every attempt",
      );
    }
    if (requeued > 0) this.opts.log.warn({ requeued }, "requeued jobs whose lease expired (their process stopped or hung)");
  }

  /** The heartbeat: renews this instance's leases; a running job whose lease is gone is let go. */
  private async renewLeases(): Promise<void> {
    const running = [...this.active.keys()]; // before the renewal: a job claimed meanwhile is not judged by it
    if (running.length === 0) return;
    try {
      const held = new Set(await this.opts.store.renewJobLeases(this.opts.instanceId, Date.now() + this.opts.leaseMs));
      for (const id of running) if (!held.has(id)) this.active.get(id)?.abort(new JobLeaseLostError());
    } catch (error) {
      this.opts.log.error({ err: errorMessage(error) }, "could not renew job leases");
    }
  }

  /**
   * Stops taking new jobs and lets the running ones finish for a short grace period; a job still
   * running then is released (queued again at once, for any instance to run from the start) so a
   * stop takes seconds, not a review's length. Its writes check what GitHub already has, so a
   * rerun repeats nothing.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    const loops = Promise.all(this.loops);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), this.opts.stopGraceMs)));
    if ((await Promise.race([loops, grace])) === "late") {
      for (const controller of this.active.values()) controller.abort(new JobReleasedError());
      await loops;
    }
    clearTimeout(timer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.loops = [];
  }

  /** Runs due jobs until none is left (for tests and the CLI); returns how many ran. */
  async drain(): Promise<number> {
    let ran = 0;
    const beat = this.heartbeat ? null : setInterval(() => void this.renewLeases(), Math.max(10, Math.floor(this.opts.leaseMs / 3)));
    beat?.unref();
    try {
      while (await this.runOne()) ran++;
    } finally {
      if (beat) clearInterval(beat);
    }
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
      if (this.running && Date.now() >= this.nextReclaimAt) {
        await this.reclaimExpired().catch((error: unknown) =>
          this.opts.log.error({ err: errorMessage(error) }, "could not reclaim expired job leases"),
        );
      }
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
    const now = Date.now();
    const owner = this.opts.instanceId;
    const job = await this.opts.store.claimJob(now, { owner, expiresAt: now + this.opts.leaseMs });
    if (!job) return false;
    const started = performance.now();
    let outcome: JobOutcome | undefined;
    try {
      const handler = this.handlers.get(job.type);
      if (!handler) {
        await this.opts.store.killJob(job.id, `no handler for job type "${job.type}"`, owner);
        this.opts.log.error({ job_id: job.id, job_type: job.type }, "job dead-lettered: no handler");
        outcome = "dead";
        return true;
      }
      await this.withTimeLimit(job.id, (signal) => this.opts.around(() => handler(job.payload, job, signal)));
      outcome = (await this.opts.store.completeJob(job.id, owner)) ? "done" : this.leaseLost(job);
    } catch (error) {
      outcome = await this.handleFailure(job, error);
    } finally {
      if (outcome !== undefined) this.finished(job.type, outcome, performance.now() - started);
      this.wake?.(); // a job of the same pull request may have waited for this one
    }
    return true;
  }

  /** Tells the observer (metrics); an observer's throw never touches the job. */
  private finished(type: string, outcome: JobOutcome, ms: number): void {
    if (!this.opts.onJobFinished) return;
    try {
      this.opts.onJobFinished(type, outcome, ms);
    } catch (error) {
      this.opts.log.error({ err: errorMessage(error) }, "job observer failed");
    }
  }

  /** Runs the work until it settles, its time limit passes or stop() releases it, whichever comes first. */
  private async withTimeLimit(id: number, work: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new JobTimeoutError(this.opts.timeoutMs)), this.opts.timeoutMs);
    const ended = new Promise<never>((_, reject) =>
      controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true }),
    );
    this.active.set(id, controller);
    const running = work(controller.signal);
    running.catch(() => undefined); // once timed out or released, its own outcome no longer matters
    try {
      await Promise.race([running, ended]);
    } finally {
      clearTimeout(timer);
      this.active.delete(id);
    }
  }

  /** A job whose lease this instance lost: its outcome is not written, the instance holding it now decides. */
  private leaseLost(job: JobRecord): "lease_lost" {
    this.opts.log.warn(
      { job_id: job.id, job_type: job.type, instance_id: this.opts.instanceId, ...jobSubject(job.payload) },
      "job lease lost: its lease expired and it was taken back; this run's outcome is dropped",
    );
    return "lease_lost";
  }

  private async handleFailure(job: JobRecord, error: unknown): Promise<JobOutcome> {
    const message = errorMessage(error);
    const owner = this.opts.instanceId;
    if (error instanceof JobLeaseLostError) return this.leaseLost(job);
    if (error instanceof JobReleasedError) {
      if (!(await this.opts.store.retryJob(job.id, Date.now(), message, owner))) return this.leaseLost(job);
      this.opts.log.info(
        { job_id: job.id, job_type: job.type, ...jobSubject(job.payload) },
        "job released: it runs again after the restart",
      );
      return "released";
    }
    const { retryable, retryAfterMs } =
      error instanceof JobTimeoutError ? { retryable: true, retryAfterMs: undefined } : this.opts.classify(error);
    if (retryable && job.attempts < this.opts.maxAttempts) {
      const delay = retryAfterMs ?? backoffDelay(job.attempts, this.opts.baseDelayMs, this.opts.maxDelayMs, this.opts.random);
      if (!(await this.opts.store.retryJob(job.id, Date.now() + delay, message, owner))) return this.leaseLost(job);
      this.opts.log.warn(
        { job_id: job.id, job_type: job.type, attempt: job.attempts, retry_in_ms: delay, err: message },
        "job failed, will retry",
      );
      return "retry";
    }
    if (!(await this.opts.store.killJob(job.id, message, owner))) return this.leaseLost(job);
    this.opts.log.error(
      { job_id: job.id, job_type: job.type, attempts: job.attempts, retryable, err: message, ...jobSubject(job.payload) },
      "job dead-lettered",
    );
    return "dead";
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
