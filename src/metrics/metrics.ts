/**
 * The app's Prometheus metrics, in a registry of their own (never prom-client's global one: two
 * apps in one process, as in the tests, each keep theirs). Each figure comes from the cheapest
 * source that knows it:
 *
 * - events by type: a bus listener that only increments a counter (synchronous, no promise, so
 *   the bus never waits for it);
 * - jobs (reviews are `job_type="review"`): the job queue's `onJobFinished` observer; of the review
 *   jobs that finished, which reviewed a commit and which had nothing to review: `reviewFinished`;
 * - webhook attempts: the delivery loop's `onAttemptSettled` observer;
 * - queue depths and the oldest queued job's age: read from the store when scraped, not kept;
 * - GitHub's rate limit: what GitHubCalls last saw in the answers' headers, read when scraped.
 *
 * Every label that comes from outside has a ceiling (labels.ts).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { DeliveryLogStatus, SettledAttempt } from "../delivery/types.js";
import type { AnyEventEnvelope } from "../events/catalog.js";
import type { EventBus } from "../events/bus.js";
import type { RateLimitSample } from "../github/api/githubCalls.js";
import type { JobOutcome } from "../jobs/queue.js";
import type { Log } from "../logging/log.js";
import type { JobStore, WebhookStore } from "../store/store.js";
import { errorMessage } from "../text/errorMessage.js";
import { BoundedLabel } from "./labels.js";

/** Event types outside the bus's catalog (and its declared ones) that get their own series. */
export const MAX_EXTRA_EVENT_TYPES = 100;
/** Job types with their own series (the app registers about ten). */
export const MAX_JOB_TYPES = 50;
/** Webhook registrations with their own series (operator-configured, but register() is public). */
export const MAX_REGISTRATIONS = 200;

/** Seconds; a review takes from under a second to the job's time limit (5 minutes by default). */
const JOB_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** Seconds; a webhook answers within its timeout (10 s by default). */
const ATTEMPT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** What a scrape reads from the store: the job counts and the oldest queued job; the outbox counts if the store has them. */
export type MetricsStore = Pick<JobStore, "countJobs" | "listJobs"> & Partial<Pick<WebhookStore, "countWebhookDeliveries">>;

export interface AppMetricsOptions {
  store: MetricsStore;
  /** GitHub's rate limits as the app's calls last saw them (GitHubCalls.rateLimits). */
  githubRateLimits?: () => readonly RateLimitSample[];
  log?: Pick<Log, "warn">;
  /** Node's process metrics (CPU, memory, event-loop lag, GC) in the same registry. Default true. */
  processMetrics?: boolean;
  now?: () => number;
}

export class AppMetrics {
  readonly registry = new Registry();
  private readonly store: MetricsStore;
  private readonly githubRateLimits?: () => readonly RateLimitSample[];
  private readonly log?: Pick<Log, "warn">;
  private readonly now: () => number;
  private readonly detach: Array<() => void> = [];

  private readonly events: Counter<"event_type">;
  private eventTypes = new BoundedLabel(MAX_EXTRA_EVENT_TYPES);
  /**
   * Events counted per label, in plain numbers: the listener only increments one, and the
   * counter takes them when scraped (prom-client hashes the labels at each `inc`).
   */
  private readonly eventCounts = new Map<string, { n: number }>();
  private readonly jobs: Counter<"job_type" | "outcome">;
  private readonly jobSeconds: Histogram<"job_type" | "outcome">;
  private readonly jobTypes = new BoundedLabel(MAX_JOB_TYPES);
  private readonly reviews: Counter<"outcome">;
  private readonly attempts: Counter<"registration" | "outcome">;
  private readonly attemptSeconds: Histogram<"registration">;
  private readonly registrations = new BoundedLabel(MAX_REGISTRATIONS);
  private readonly jobDepth: Gauge<"status">;
  private readonly oldestQueued: Gauge;
  private readonly outboxDepth: Gauge<"status">;
  private readonly storeErrors: Counter;
  private readonly rateRemaining: Gauge<"installation" | "resource">;
  private readonly rateLimit: Gauge<"installation" | "resource">;

  constructor(options: AppMetricsOptions) {
    this.store = options.store;
    this.githubRateLimits = options.githubRateLimits;
    this.log = options.log;
    this.now = options.now ?? Date.now;
    const registers = [this.registry];
    this.events = new Counter({
      name: "empathy_events_total",
      help: "Events carried by the bus, by type (types past the ceiling: other).",
      labelNames: ["event_type"],
      registers,
      collect: () => {
        this.events.reset();
        for (const [event_type, count] of this.eventCounts) this.events.inc({ event_type }, count.n);
      },
    });
    this.jobs = new Counter({
      name: "empathy_jobs_finished_total",
      help: "Job runs by type and outcome (done, retry, dead, released, lease_lost); reviews are job_type=review.",
      labelNames: ["job_type", "outcome"],
      registers,
    });
    this.reviews = new Counter({
      name: "empathy_reviews_total",
      help: "Review jobs that finished, by outcome: reviewed (a commit was reviewed and written to GitHub) or skipped (closed, a newer commit, already reviewed, disabled, a draft, an ignored author).",
      labelNames: ["outcome"],
      registers,
    });
    this.jobSeconds = new Histogram({
      name: "empathy_job_duration_seconds",
      help: "Time from a job's claim to its outcome, by type and outcome.",
      labelNames: ["job_type", "outcome"],
      buckets: JOB_BUCKETS,
      registers,
    });
    this.attempts = new Counter({
      name: "empathy_webhook_attempts_total",
      help: "Outgoing webhook attempts by registration and outcome (delivered, accepted, failed, dead).",
      labelNames: ["registration", "outcome"],
      registers,
    });
    this.attemptSeconds = new Histogram({
      name: "empathy_webhook_attempt_duration_seconds",
      help: "Outgoing webhook request latency by registration.",
      labelNames: ["registration"],
      buckets: ATTEMPT_BUCKETS,
      registers,
    });
    this.jobDepth = new Gauge({
      name: "empathy_jobs",
      help: "Jobs in the store by status, when scraped.",
      labelNames: ["status"],
      registers,
    });
    this.oldestQueued = new Gauge({
      name: "empathy_jobs_oldest_queued_age_seconds",
      help: "Age of the oldest queued job since it was enqueued (0: none queued; NaN: the store did not answer), when scraped.",
      registers,
    });
    this.outboxDepth = new Gauge({
      name: "empathy_webhook_deliveries",
      help: "Outgoing webhook deliveries in the store by status, when scraped.",
      labelNames: ["status"],
      registers,
    });
    this.storeErrors = new Counter({
      name: "empathy_metrics_store_errors_total",
      help: "Scrapes whose store reads failed (their queue figures are left out).",
      registers,
    });
    this.rateRemaining = new Gauge({
      name: "empathy_github_rate_limit_remaining",
      help: "Requests left in GitHub's rate-limit window, per installation and resource, as last seen.",
      labelNames: ["installation", "resource"],
      registers,
    });
    this.rateLimit = new Gauge({
      name: "empathy_github_rate_limit_limit",
      help: "GitHub's rate limit per window, per installation and resource, as last seen.",
      labelNames: ["installation", "resource"],
      registers,
    });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts the bus's events until close(); the catalog's and declared types never fall under the ceiling. */
  attach(bus: EventBus): void {
    this.eventTypes = new BoundedLabel(MAX_EXTRA_EVENT_TYPES, bus.eventTypes);
    this.detach.push(bus.on("*", this.countEvent));
  }

  /** The bus listener: a map lookup and an increment. */
  private readonly countEvent = (event: AnyEventEnvelope): void => {
    const type = event.event_type;
    let count = this.eventCounts.get(type);
    if (count === undefined) {
      // Keyed by label only: a flood of new types (all "other") does not grow the map.
      const label = this.eventTypes.value(type);
      count = this.eventCounts.get(label);
      if (count === undefined) this.eventCounts.set(label, (count = { n: 0 }));
    }
    count.n++;
  };

  /** The JobQueue's `onJobFinished`. */
  readonly jobFinished = (type: string, outcome: JobOutcome, ms: number): void => {
    const labels = { job_type: this.jobTypes.value(type), outcome };
    this.jobs.inc(labels);
    this.jobSeconds.observe(labels, ms / 1000);
  };

  /** A review job's result: whether it reviewed a commit or had nothing to review. */
  readonly reviewFinished = (outcome: "reviewed" | "skipped"): void => {
    this.reviews.inc({ outcome });
  };

  /** The WebhookManager's `onAttemptSettled`. */
  readonly attemptSettled = (attempt: SettledAttempt): void => {
    const registration = this.registrations.value(attempt.registrationId);
    const outcome: DeliveryLogStatus = attempt.status;
    this.attempts.inc({ registration, outcome });
    this.attemptSeconds.observe({ registration }, attempt.durationMs / 1000);
  };

  /** The text exposition of every metric, the store's and GitHub's figures read now. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    await this.readStore();
    this.readRateLimits();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Stops counting the bus's events. */
  close(): void {
    for (const off of this.detach.splice(0)) off();
  }

  private async readStore(): Promise<void> {
    try {
      const [jobs, oldest, outbox] = await Promise.all([
        this.store.countJobs(),
        this.store.listJobs("queued", 1, "oldest"),
        this.store.countWebhookDeliveries?.(),
      ]);
      setAll(this.jobDepth, jobs);
      // listJobs orders queued jobs by id, the order they were enqueued in: the first is the oldest.
      this.oldestQueued.set(oldest.length === 0 ? 0 : Math.max(0, (this.now() - oldest[0].createdAt) / 1000));
      if (outbox) setAll(this.outboxDepth, outbox);
    } catch (err) {
      // Stale figures would look current: they are left out of this scrape instead (NaN: the unlabelled age).
      this.jobDepth.reset();
      this.oldestQueued.set(Number.NaN);
      this.outboxDepth.reset();
      this.storeErrors.inc();
      this.log?.warn({ err: errorMessage(err) }, "metrics: the store did not answer");
    }
  }

  private readRateLimits(): void {
    if (!this.githubRateLimits) return;
    this.rateRemaining.reset();
    this.rateLimit.reset();
    for (const s of this.githubRateLimits()) {
      const labels = { installation: s.installation, resource: s.resource };
      this.rateRemaining.set(labels, s.remaining);
      this.rateLimit.set(labels, s.limit);
    }
  }
}

function setAll(gauge: Gauge<"status">, counts: Record<string, number>): void {
  gauge.reset();
  for (const [status, n] of Object.entries(counts)) gauge.set({ status }, n);
}
