/**
 * A pool of analysis worker *processes* (tinypool's child_process runtime). A native abort in a
 * parser kills a whole process, so threads could not contain it; here it costs one worker, which
 * the pool replaces. Each task runs under a time budget that starts when the worker says it has
 * begun (not while the task waits, nor while a replaced worker loads its parsers), and a worker
 * is replaced after a number of tasks or when its heap grows.
 *
 * Tasks wait here, in order, for a free worker: tinypool's own queue stays empty, so a task's
 * budget never runs down while it waits behind someone else's hostile file.
 */
import { availableParallelism } from "node:os";
import Tinypool from "tinypool";
import { TASK_STARTED, type AnalysisTask, type AnalysisTaskResult } from "./task.js";
import type { Log } from "../../logging/log.js";
import { errorMessage } from "../../text/errorMessage.js";

export interface AnalysisPoolOptions {
  /** Worker processes (default: cores - 1, at least 1). */
  size?: number;
  /**
   * Tasks the pool runs before its workers are replaced (default 2,000). A backstop against slow
   * leaks, not the main guard (a heap that stays large recycles at once): a replacement costs a
   * worker start-up (~0.5 s), so at 200 a 50,000-line review spent a third of its time restarting.
   */
  maxTasksPerWorker?: number;
  /** V8 heap cap of each worker, in MB (default 1024); going over it ends that worker only. */
  memoryMb?: number;
  /** Where pool events are logged. */
  log?: Pick<Log, "warn">;
  /**
   * A pool for one run of a few seconds (the CLI), not a long-lived app: its workers skip V8's
   * optimising compiler, whose compile work costs more than it saves before the run ends
   * (`npm run bench:analysis`, 17,000 JS lines: ~20% less CPU and wall time; 50,000 lines of
   * three languages: ~15% less CPU). A long-lived pool keeps it: its workers stay hot for hours.
   */
  shortLived?: boolean;
  /** The module each worker runs (default ./worker.js); tests give one that stalls on cue. */
  workerModule?: URL;
}

export interface AnalysisPoolStats {
  /** Worker processes running now. */
  workers: number;
  size: number;
  busy: number;
  queued: number;
  completed: number;
  crashes: number;
  timeouts: number;
}

export type PoolOutcome =
  | { ok: true; result: AnalysisTaskResult }
  /** timeout: the task's budget ran out; crash: its worker died; cancelled: the caller's signal; error: the worker threw. */
  | { ok: false; failure: "timeout" | "crash" | "cancelled" | "error"; message: string };

export function defaultPoolSize(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** The worker module: compiled JavaScript, or TypeScript through tsx when run from source (tests, benchmarks). */
function workerModule(given?: URL): { filename: string; execArgv: string[] } {
  const url = given ?? new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url);
  return { filename: url.href, execArgv: url.pathname.endsWith(".ts") ? ["--import", "tsx"] : [] };
}

export class AnalysisPool {
  readonly size: number;
  private readonly maxTasksPerWorker: number;
  private readonly memoryMb: number;
  private pool: Tinypool | undefined;
  private busy = 0;
  private readonly waiting: (() => void)[] = [];
  private sinceRecycle = 0;
  private counts = { completed: 0, crashes: 0, timeouts: 0 };
  private closed = false;

  constructor(private readonly options: AnalysisPoolOptions = {}) {
    this.size = Math.max(1, Math.floor(options.size ?? defaultPoolSize()));
    this.maxTasksPerWorker = Math.max(1, options.maxTasksPerWorker ?? 2000);
    this.memoryMb = Math.max(64, options.memoryMb ?? 1024);
  }

  get memoryCapMb(): number {
    return this.memoryMb;
  }

  /** Starts the workers now rather than at the first task (they load the parsers and rules). */
  start(): void {
    this.tinypool();
  }

  /** Runs one task under its budget; never rejects. */
  async run(task: AnalysisTask, { budgetMs, signal }: { budgetMs: number; signal?: AbortSignal }): Promise<PoolOutcome> {
    if (this.closed) return { ok: false, failure: "cancelled", message: "the analysis pool is stopped" };
    if (!(await this.acquire(signal))) return { ok: false, failure: "cancelled", message: String(signal?.reason ?? "cancelled") };
    const budget = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    // Messages a worker sends outside tinypool's protocol reach the running task's channel.
    const channel = {
      postMessage: (message: unknown) => {
        if ((message as { type?: unknown } | null)?.type === TASK_STARTED && timer === undefined) {
          timer = setTimeout(() => budget.abort(new Error("time budget exceeded")), Math.max(1, budgetMs));
        }
      },
    };
    try {
      const stop = signal ? AbortSignal.any([budget.signal, signal]) : budget.signal;
      const result = (await this.tinypool().run(task, { signal: stop, channel })) as AnalysisTaskResult;
      this.counts.completed++;
      return { ok: true, result };
    } catch (err) {
      const message = errorMessage(err);
      if (budget.signal.aborted) {
        this.counts.timeouts++;
        return { ok: false, failure: "timeout", message };
      }
      if (signal?.aborted) return { ok: false, failure: "cancelled", message: String(signal.reason ?? message) };
      if (/exited unexpectedly/i.test(message)) {
        this.counts.crashes++;
        this.options.log?.warn({ err: message }, "analysis worker died; it is replaced");
        return { ok: false, failure: "crash", message };
      }
      return { ok: false, failure: "error", message };
    } finally {
      clearTimeout(timer);
      this.release();
    }
  }

  /** Process ids of the workers (to see them replaced). */
  workerPids(): number[] {
    return (this.pool?.threads ?? []).map((worker) => worker.threadId);
  }

  stats(): AnalysisPoolStats {
    return { workers: this.pool?.threads.length ?? 0, size: this.size, busy: this.busy, queued: this.waiting.length, ...this.counts };
  }

  async destroy(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake();
    await this.pool?.destroy();
    this.pool = undefined;
  }

  private tinypool(): Tinypool {
    if (this.pool) return this.pool;
    const { filename, execArgv } = workerModule(this.options.workerModule);
    this.pool = new Tinypool({
      filename,
      runtime: "child_process",
      minThreads: this.size,
      maxThreads: this.size,
      // The worker sees none of the app's environment (keys, tokens): only what it is sent.
      env: {},
      // A small young generation: a task's garbage is short-lived, and each worker's RSS is ~35 MB lower.
      // One V8 helper thread: the workers already use every core between them; measured ~6 MB lower
      // each, and no slower (less contention on a 2-core machine).
      execArgv: [
        ...execArgv,
        "--max-semi-space-size=2",
        "--v8-pool-size=1",
        `--max-old-space-size=${this.memoryMb}`,
        ...(this.options.shortLived ? ["--no-opt"] : []),
      ],
      // Structured clone: the task's Map-free data and large strings cross without JSON's cost.
      serialization: "advanced",
      // A heap that stays large after a task (leaked trees, caches) is given back by replacing the worker.
      maxMemoryLimitBeforeRecycle: Math.floor(this.memoryMb * 0.6 * 1024 * 1024),
    });
    // A worker that dies between tasks is replaced by the pool; without a listener the event would throw here.
    this.pool.on("error", (err: unknown) => this.options.log?.warn({ err: errorMessage(err) }, "analysis worker stopped between tasks"));
    return this.pool;
  }

  /** Waits for a free worker; false when the signal fired (or the pool stopped) first. */
  private async acquire(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return false;
    if (this.busy < this.size) {
      this.busy++;
      return true;
    }
    return new Promise<boolean>((resolve) => {
      const wake = () => {
        signal?.removeEventListener("abort", onAbort);
        if (this.closed) return resolve(false);
        this.busy++;
        resolve(true);
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(wake);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve(false);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(wake);
    });
  }

  private release(): void {
    this.busy--;
    // Replace the workers after every maxTasksPerWorker tasks of the pool: no worker runs more than that.
    if (++this.sinceRecycle >= this.maxTasksPerWorker && this.pool) {
      this.sinceRecycle = 0;
      void this.pool.recycleWorkers().catch(() => undefined);
    }
    this.waiting.shift()?.();
  }
}
