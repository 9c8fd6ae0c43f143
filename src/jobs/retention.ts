/**
 * Retention: finished jobs, webhook history, shown items and the recorded bus events (the
 * dashboard's history) older than the retention period
 * are deleted on a timer, in small batches with a yield to the event loop between them, so a
 * prune never holds the database (or the process) long enough to delay a review or a webhook.
 * What is still needed is never touched (see RetentionStore).
 */
import type { Log } from "../logging/log.js";
import type { RetentionStore } from "../store/store.js";
import { errorMessage } from "../text/errorMessage.js";

/** `EMPATHY_RETENTION_DAYS` (src/config/env.ts): days to keep finished work; 0 keeps everything. */
export const DEFAULT_RETENTION_DAYS = 30;
export const MAX_RETENTION_DAYS = 3650;
const DAY_MS = 24 * 60 * 60_000;
export const DEFAULT_RETENTION_INTERVAL_MS = 60 * 60_000;
export const DEFAULT_RETENTION_BATCH = 500;
/** The first pass waits a little: start-up (requeues, the first reviews) goes first. */
const FIRST_RUN_DELAY_MS = 60_000;

export interface RetentionOptions {
  store: RetentionStore;
  /** 0 turns pruning off. Default DEFAULT_RETENTION_DAYS. */
  retentionDays?: number;
  intervalMs?: number;
  /** Rows per delete statement. */
  batchSize?: number;
  /** Delay before the first pass after start(). */
  firstRunDelayMs?: number;
  log?: Pick<Log, "info" | "warn">;
  now?: () => number;
}

/** `events`: webhook events; `recordedEvents`: the bus's events kept for the dashboard. */
export type PruneCounts = Record<"jobs" | "deliveries" | "attempts" | "events" | "shownItems" | "recordedEvents", number>;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Retention {
  private readonly retentionMs: number;
  private readonly intervalMs: number;
  private readonly batchSize: number;
  private readonly firstRunDelayMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PruneCounts> | null = null;
  private stopped = true;
  /** Set by stop(): a pass under way ends at its next batch. */
  private abort = false;

  constructor(private readonly opts: RetentionOptions) {
    this.retentionMs = (opts.retentionDays ?? DEFAULT_RETENTION_DAYS) * DAY_MS;
    this.intervalMs = opts.intervalMs ?? DEFAULT_RETENTION_INTERVAL_MS;
    this.batchSize = Math.max(1, opts.batchSize ?? DEFAULT_RETENTION_BATCH);
    this.firstRunDelayMs = opts.firstRunDelayMs ?? FIRST_RUN_DELAY_MS;
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    if (!this.stopped || this.retentionMs <= 0) return;
    this.stopped = false;
    this.schedule(this.firstRunDelayMs);
  }

  /** Stops the timer and waits for a pass under way, which stops at its next batch. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One pass over every table; a second call while one runs joins it. */
  runOnce(): Promise<PruneCounts> {
    if (!this.running) {
      this.abort = false;
      this.running = this.pass().finally(() => (this.running = null));
    }
    return this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.runOnce()
        .catch((err: unknown) => this.opts.log?.warn({ err: errorMessage(err) }, "retention prune failed; tried again next time"))
        .finally(() => this.schedule(this.intervalMs));
    }, delayMs);
    // Never keeps the process alive on its own.
    this.timer.unref();
  }

  private async pass(): Promise<PruneCounts> {
    const counts: PruneCounts = { jobs: 0, deliveries: 0, attempts: 0, events: 0, shownItems: 0, recordedEvents: 0 };
    if (this.retentionMs <= 0) return counts;
    const before = this.now() - this.retentionMs;
    const store = this.opts.store;
    // Deliveries before events: an event goes once no delivery refers to it.
    counts.deliveries = await this.drain((n) => store.pruneWebhookDeliveries(before, n));
    counts.attempts = await this.drain((n) => store.pruneWebhookAttempts(before, n));
    counts.events = await this.drain((n) => store.pruneWebhookEvents(before, n));
    counts.jobs = await this.drain((n) => store.pruneJobs(before, n));
    counts.shownItems = await this.drain((n) => store.pruneShownItems(before, n));
    counts.recordedEvents = await this.drain((n) => store.pruneEvents(before, n));
    if (Object.values(counts).some((n) => n > 0))
      this.opts.log?.info({ ...counts, before: new Date(before).toISOString() }, "pruned history past retention");
    return counts;
  }

  /** Repeats one batch delete until a batch comes back short, yielding between batches. */
  private async drain(batch: (limit: number) => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      if (this.abort) break;
      const n = await batch(this.batchSize);
      total += n;
      if (n < this.batchSize) break;
      await yieldToEventLoop();
    }
    return total;
  }
}
