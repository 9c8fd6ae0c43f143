/**
 * Outgoing webhooks: registrations, a durable outbox and the delivery loop.
 *
 * The bus handler (a durable "*" handler) only buffers the events; a few milliseconds later
 * (outboxLingerMs) each matching registration's body is rendered and the outbox rows are written,
 * synchronously, in one transaction for the whole batch: nothing on the emitting side
 * (`interact()`, a review) waits for an endpoint or for the store. A failed write is retried
 * (outboxWriteRetries); if the store stays unavailable the batch's promise rejects, which fails
 * the `bus.scope` of every job that emitted one of its events, so the job fails and its retry
 * emits them again (dedupe keys keep a prediction from going out twice). Only an event emitted
 * outside any scope can then be lost, and the log names it.
 *
 * A separate delivery loop (not the review job queue) claims due rows, a chunk at a time, and
 * sends them with a global concurrency limit and a per-endpoint one, round-robin across
 * endpoints, so a slow endpoint cannot hold up a fast one. Attempt results are written in
 * batches too.
 *
 * Each attempt is signed (X-Empathy-Signature and Standard Webhooks; the webhook-id is the
 * delivery id, the same on every attempt), goes through the SSRF guard, does not follow
 * redirects and is logged in the store. 2xx: delivered. 410: the registration is disabled
 * (persisted) and its deliveries dead-lettered. Other 4xx but 408/425/429: dead letter at once.
 * 429/503: `Retry-After` honoured. Otherwise exponential backoff with jitter up to `retryCount`
 * retries, then dead letter. After consecutive failures an endpoint's circuit opens: it is left
 * alone for a cool-off, then probed with one delivery. Dead letters can be replayed.
 *
 * Integrations add what their service documents (registration.ts): a pace per key (a Slack
 * channel, a PagerDuty routing key, a Discord webhook: requests in flight, least interval, and
 * holds read from an answer's rate-limit headers, during which the key is left alone and a 429
 * does not count against the breaker), 2xx statuses that only mean "accepted" (Teams' 202,
 * listed as `accepted`), a start-up check (`preflight`), and body values never to log.
 *
 * Logs and stored errors name an endpoint by its origin only (webhook URLs carry tokens in their
 * path or query) and never contain a secret or the configured headers.
 */
import { randomUUID } from "node:crypto";
import { redact } from "../analysis/secrets.js";
import { setMaxListeners } from "node:events";
import { DEFAULT_LEASE_DURATION_MS, newInstanceId } from "../store/lease.js";
import type { EventBus } from "../events/bus.js";
import type { AnyEventEnvelope } from "../events/catalog.js";
import type {
  NewWebhookBatchItem,
  NewWebhookDelivery,
  NewWebhookEvent,
  WebhookAttemptRecord,
  WebhookAttemptResult,
  WebhookAttemptStatus,
  WebhookBatchItem,
  WebhookDeliveryRecord,
  WebhookStore,
} from "../store/store.js";
import { backoffDelay, classifyStatus, interpretOutcome, type Classified } from "./outcome.js";
import {
  buildRegistration,
  dedupeKey,
  PayloadBuildError,
  WebhookRegistrationError,
  type ConditionalRegisterOptions,
  type EventCondition,
  type RegisterOptions,
  type Registration,
  type RegistrationInfo,
} from "./registration.js";
import { signRequest } from "./signing.js";
import { SsrfError, SsrfGuard, type LookupFn } from "./ssrf.js";
import { batchTemplateData, eventTemplateData, type TemplateEnvelope } from "./template.js";
import { WebhookTransport, type FetchLike } from "./transport.js";

export { WebhookRegistrationError } from "./registration.js";
export type { RegisterOptions, ConditionalRegisterOptions, RegistrationInfo, PaceOptions } from "./registration.js";

/** Pino-compatible subset. */
export interface WebhookLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface WebhookTuning {
  /** First retry delay (doubled each retry, with jitter). Default 2,000 ms. */
  baseDelayMs?: number;
  /** Longest backoff delay. Default 1 h. */
  maxDelayMs?: number;
  /** A Retry-After longer than this dead-letters the delivery. Default 24 h. */
  maxRetryAfterMs?: number;
  /** Requests in flight at once, all endpoints. Default 16. */
  concurrency?: number;
  /** Requests in flight at once to one endpoint. Default 8. */
  perEndpointConcurrency?: number;
  /** Consecutive failures that open an endpoint's circuit. Default 5. */
  breakerThreshold?: number;
  /** How long an open circuit leaves its endpoint alone before one probe. Default 60 s. */
  breakerCooloffMs?: number;
  /** Longest sleep of the delivery loop between checks. Default 1,000 ms. */
  pollIntervalMs?: number;
  /** How long stop() lets requests in flight finish before aborting them. Default 5,000 ms. */
  stopTimeoutMs?: number;
  /** Delivered deliveries (and their attempts) older than this are pruned at start. Default 14 days. */
  retentionMs?: number;
  /**
   * Events are written to the outbox together, in one transaction, at most this long after the
   * first of them (0: at the end of the event-loop turn). Default 5 ms: a burst of reviews costs
   * a few commits instead of one each, and the write does not land between every two of them.
   */
  outboxLingerMs?: number;
  /** A failed outbox write is tried again this many times before the emitting jobs are failed. Default 3. */
  outboxWriteRetries?: number;
  /** Delay before the first of those retries, doubled for each next one. Default 100 ms. */
  outboxRetryDelayMs?: number;
}

/**
 * Events could not be written to the outbox, even after retries: the jobs that emitted them fail
 * (through their `bus.scope`) and are retried. No `status`, so the job queue retries it.
 */
export class OutboxWriteError extends Error {
  override readonly name = "OutboxWriteError";
  constructor(
    readonly eventIds: readonly string[],
    readonly attempts: number,
    cause: string,
  ) {
    super(`could not write ${eventIds.length} webhook event${eventIds.length === 1 ? "" : "s"} to the outbox after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${cause}`);
  }
}

export interface WebhookManagerOptions extends WebhookTuning {
  store: WebhookStore;
  log: WebhookLogger;
  network?: { allowPrivate?: string[] };
  fetch?: FetchLike;
  lookup?: LookupFn;
  /** Clock in ms. */
  now?: () => number;
  random?: () => number;
  /** This instance's id, the owner of its delivery leases (default: a new one; the app passes the job queue's). */
  instanceId?: string;
  /** How long a claimed delivery is held without a heartbeat (default 30 s); renewed every third of it. */
  leaseMs?: number;
}

export interface DeliveryLogEntry {
  deliveryId: string;
  /** The Standard Webhooks webhook-id: the delivery id. */
  webhookId: string;
  registrationId: string;
  /** Origin of the registration's URL, when it is registered. */
  origin: string | null;
  eventType: string;
  attempt: number;
  /**
   * delivered; accepted (a 2xx the registration names as "taken for later processing": Teams
   * Workflows' 202; whether it was then posted is not reported back); failed (another attempt is
   * scheduled); dead.
   */
  status: DeliveryLogStatus;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** At most 4 KB of the response body. */
  responseExcerpt: string | null;
  /** ISO 8601 */
  attemptedAt: string;
  /** ISO 8601, when another attempt is scheduled. */
  nextAttemptAt: string | null;
}

export type DeliveryLogStatus = WebhookAttemptStatus | "accepted";

export interface DeliveryLogQuery {
  eventType?: string;
  status?: DeliveryLogStatus;
  deliveryId?: string;
  since?: Date | number | string;
  limit?: number;
}

interface Entry extends Registration {
  disabled: boolean;
  disabledReason: string | null;
  /** The persisted state (disabled?) has been read. */
  loaded: boolean;
}

interface Circuit {
  failures: number;
  openUntil: number | null;
  probing: boolean;
}

interface EndpointGroup {
  /** The registrations' paceKey: the endpoint, or the endpoint and a pace key (a Slack channel, a PagerDuty routing key). */
  key: string;
  /** The endpoint (its circuit breaker). */
  endpointKey: string;
  registrationIds: string[];
  cap: number;
  probe: boolean;
  /** Paced by a service's limit: launched one by one, nothing claimed ahead. */
  paced: { intervalMs: number } | null;
}

/** Where a paced key stands: the earliest next start (interval) and the end of a hold read from an answer. */
interface PaceState {
  nextAt: number;
  holdUntil: number;
}

const DEFAULTS: Required<WebhookTuning> = {
  baseDelayMs: 2000,
  maxDelayMs: 60 * 60_000,
  maxRetryAfterMs: 24 * 60 * 60_000,
  concurrency: 16,
  perEndpointConcurrency: 8,
  breakerThreshold: 5,
  breakerCooloffMs: 60_000,
  pollIntervalMs: 1000,
  stopTimeoutMs: 5000,
  retentionMs: 14 * 24 * 60 * 60_000,
  outboxLingerMs: 5,
  outboxWriteRetries: 3,
  outboxRetryDelayMs: 100,
};

/** Buffered events written at the end of the turn, without waiting for the linger, once there are this many. */
const OUTBOX_FLUSH_COUNT = 1000;

let idCounter = 0;
/** 64 random bits drawn once per process: ids of two processes differ even in the same millisecond. */
const idSuffix = randomUUID().replace(/-/g, "").slice(0, 16);
let idMs = -1;
let idTime = "";

/**
 * `msg_` + time (base 36) + a per-process counter + a per-process random suffix: unique across
 * processes and restarts, and increasing within a process so outbox inserts append to the
 * primary-key index. No fresh randomness per id: ten registrations make ten ids per event.
 */
export function newWebhookId(): string {
  const ms = Date.now();
  if (ms !== idMs) {
    idMs = ms;
    idTime = ms.toString(36).padStart(9, "0");
  }
  idCounter = (idCounter + 1) % 1_679_616;
  return `msg_${idTime}${idCounter.toString(36).padStart(4, "0")}${idSuffix}`;
}

/** Deliveries claimed ahead of sending, per endpoint, at most: one claim (one transaction) feeds many requests. */
const CLAIM_AHEAD = 32;
/** Attempt results are written together: at most this long after the first of them... */
const RECORD_FLUSH_MS = 5;
/** ...or as soon as this many are waiting. */
const RECORD_FLUSH_COUNT = 64;

export class WebhookManager {
  private readonly bus: EventBus;
  private readonly store: WebhookStore;
  private readonly log: WebhookLogger;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly tuning: Required<WebhookTuning>;
  private readonly transport: WebhookTransport;
  private readonly registrations = new Map<string, Entry>();
  private readonly stateLoads = new Set<Promise<void>>();
  private readonly circuits = new Map<string, Circuit>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly inFlightByEndpoint = new Map<string, number>();
  private readonly paces = new Map<string, PaceState>();
  private unsubscribe: (() => void) | null = null;
  private running = false;
  private pumping = false;
  private pumpAgain = false;
  private kickScheduled = false;
  private timer: NodeJS.Timeout | null = null;
  /** Renews this instance's delivery leases and takes back expired ones (any instance's). */
  private heartbeat: NodeJS.Timeout | null = null;
  private nextReclaimAt = 0;
  readonly instanceId: string;
  private readonly leaseMs: number;
  private stopController = new AbortController();
  private roundRobin = 0;
  private nextBatchAt: number | null = null;
  /** Events received from the bus, written to the outbox together (one transaction), outboxLingerMs after the first. */
  private buffered: AnyEventEnvelope[] = [];
  /** Settles when the buffered events are written (rejects if they could not be): the bus handler's result for each of them. */
  private bufferDone: Deferred | null = null;
  /** Cancels the scheduled write of the buffer (null once it has fired or when nothing is buffered). */
  private cancelBufferWrite: (() => void) | null = null;
  /** The outbox write under way, with its retries (never rejects). One at a time, so events are written in emit order. */
  private writing: Promise<void> | null = null;
  /** Attempt results not yet written: written together, in one transaction, a few ms after the first (see record). */
  private results: WebhookAttemptResult[] = [];
  private resultsTimer: NodeJS.Timeout | null = null;
  private resultsWrite: Promise<void> = Promise.resolve();
  /**
   * Deliveries claimed ahead, per endpoint key: in flight in the store (attempt counted), not yet
   * sent. Launched as slots free up; released (attempt not counted) when their endpoint's circuit
   * opens, their registration goes away or is disabled, or the manager stops.
   */
  private readonly ready = new Map<string, WebhookDeliveryRecord[]>();
  /** Event types some registration listens to ("*": all). */
  private interest = new Set<string>();

  constructor(bus: EventBus, options: WebhookManagerOptions) {
    this.bus = bus;
    this.store = options.store;
    this.log = options.log;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.instanceId = options.instanceId ?? newInstanceId();
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_DURATION_MS;
    const tuning = Object.fromEntries(Object.entries(options).filter(([k, v]) => k in DEFAULTS && v !== undefined));
    this.tuning = { ...DEFAULTS, ...tuning };
    const guard = new SsrfGuard({ allowPrivate: options.network?.allowPrivate ?? [], lookup: options.lookup });
    this.transport = new WebhookTransport(guard, options.fetch);
    // Subscribed at once: events emitted before start() are written to the outbox and sent when the loop starts.
    this.subscribe();
  }

  // --- registrations ---

  /** Registers a webhook; returns its id. Throws WebhookRegistrationError for bad options or a template field the event lacks. */
  register(options: RegisterOptions): string {
    return this.add(buildRegistration(options, null));
  }

  /** Like register, sending only events whose data satisfies the condition (a function, or a CEL expression). */
  registerConditional(options: ConditionalRegisterOptions): string {
    if (options?.condition === undefined || options.condition === null) {
      throw new WebhookRegistrationError("registerConditional: condition is required");
    }
    return this.add(buildRegistration(options, options.condition as EventCondition | string, { log: this.log }));
  }

  unregister(id: string): boolean {
    const removed = this.registrations.delete(id);
    if (removed) void this.releaseReady((d) => d.registrationId === id);
    this.updateInterest();
    return removed;
  }

  private updateInterest(): void {
    this.interest = new Set([...this.registrations.values()].map((r) => r.eventType));
  }

  list(): RegistrationInfo[] {
    return [...this.registrations.values()].map((r) => ({
      id: r.id,
      eventType: r.eventType,
      origin: r.origin,
      hasSecret: r.secret !== null,
      verifySsl: r.verifySsl,
      timeoutSeconds: r.timeoutMs / 1000,
      retryCount: r.retryCount,
      batchSize: r.batchSize,
      batchTimeoutSeconds: r.batchTimeoutMs / 1000,
      conditional: r.condition !== null,
      disabled: r.disabled,
      disabledReason: r.disabledReason,
    }));
  }

  /** Enables a registration disabled by a 410 (its dead letters can then be replayed). */
  async enable(id: string): Promise<void> {
    const entry = this.requireRegistration(id);
    await this.store.setWebhookRegistrationDisabled(id, null, this.now());
    entry.disabled = false;
    entry.disabledReason = null;
    this.kick();
  }

  private add(registration: Registration): string {
    if (this.registrations.has(registration.id)) {
      throw new WebhookRegistrationError(
        `a webhook for ${registration.eventType} to ${registration.origin} with the same URL and template is already registered (${registration.id}); give one an explicit id`,
      );
    }
    const entry: Entry = { ...registration, disabled: false, disabledReason: null, loaded: false };
    this.registrations.set(entry.id, entry);
    this.updateInterest();
    const load: Promise<void> = this.store
      .getWebhookRegistrationState(entry.id)
      .then((state) => {
        if (state?.disabledAt) {
          entry.disabled = true;
          entry.disabledReason = state.disabledReason;
          this.log.warn({ registration_id: entry.id, origin: entry.origin, reason: state.disabledReason }, "webhook registration is disabled");
        }
        entry.loaded = true;
        this.kick();
      })
      .catch((err: unknown) => this.log.error({ registration_id: entry.id, err: errorText(err) }, "could not read webhook registration state"))
      .finally(() => this.stateLoads.delete(load));
    this.stateLoads.add(load);
    return entry.id;
  }

  private requireRegistration(id: string): Entry {
    const entry = this.registrations.get(id);
    if (!entry) throw new Error(`webhook registration ${id} is not registered`);
    return entry;
  }

  // --- lifecycle ---

  /**
   * Puts deliveries whose lease expired (their process died) back in the queue, then starts the
   * delivery loop and the lease heartbeat. Deliveries other live instances hold are left alone.
   */
  async start(): Promise<void> {
    if (this.running) return;
    await this.preflight();
    this.subscribe();
    await Promise.all([...this.stateLoads]);
    const now = this.now();
    await this.reclaimExpired(now);
    this.heartbeat = setInterval(() => void this.beat(), Math.max(10, Math.floor(this.leaseMs / 3)));
    this.heartbeat.unref();
    for (const c of await this.store.listWebhookCircuits()) {
      this.circuits.set(c.endpointKey, { failures: c.consecutiveFailures, openUntil: c.openUntil, probing: false });
    }
    const pruned = await this.store.pruneWebhookHistory(now - this.tuning.retentionMs);
    if (pruned > 0) this.log.info({ pruned }, "pruned delivered webhooks past retention");
    this.stopController = new AbortController();
    setMaxListeners(0, this.stopController.signal); // one listener per request in flight
    this.running = true;
    this.nextBatchAt = now; // look at batches left by the previous process
    void this.pump();
  }

  private async reclaimExpired(now: number): Promise<number> {
    this.nextReclaimAt = now + Math.floor(this.leaseMs / 2);
    const requeued = await this.store.reclaimExpiredWebhookDeliveries(now, this.instanceId);
    if (requeued > 0) this.log.warn({ requeued }, "requeued webhook deliveries whose lease expired (their process stopped)");
    return requeued;
  }

  /** The heartbeat: this instance's in-flight and claimed-ahead deliveries keep their leases; expired ones come back. */
  private async beat(): Promise<void> {
    try {
      const now = this.now();
      const waiting = new Set([...this.ready.values()].flatMap((q) => q.map((d) => d.id))); // before the renewal
      const held = new Set(await this.store.renewWebhookDeliveryLeases(this.instanceId, now + this.leaseMs));
      // A claimed-ahead delivery whose lease was lost (taken back meanwhile) is another instance's now: not sent from here.
      const lost = [...waiting].filter((id) => !held.has(id));
      if (lost.length > 0) {
        const gone = new Set(lost);
        for (const [key, queue] of this.ready) {
          const keep = queue.filter((d) => !gone.has(d.id));
          if (keep.length > 0) this.ready.set(key, keep);
          else this.ready.delete(key);
        }
        this.log.warn({ deliveries: lost.length, instance_id: this.instanceId }, "webhook delivery leases lost: left to the instance that took them back");
      }
      if (this.running && now >= this.nextReclaimAt && (await this.reclaimExpired(now)) > 0) this.kick();
    } catch (err) {
      this.log.error({ err: errorText(err) }, "could not renew webhook delivery leases");
    }
  }

  /** The registrations' start-up checks (JIRA's create metadata), each function once; the first failure stops start(). */
  private async preflight(): Promise<void> {
    await Promise.all([...this.stateLoads]);
    const checks = new Set<() => Promise<void>>();
    for (const r of this.registrations.values()) if (r.preflight && !r.disabled) checks.add(r.preflight);
    for (const check of checks) await check();
  }

  /**
   * Stops the loop: requests in flight may finish (up to stopTimeoutMs), then are aborted and
   * put back in the outbox. Events are no longer written once stopped.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.flushBuffer();
    // The write under way, then what was buffered meanwhile (each with its retries).
    while (this.writing) await this.writing;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.inFlight.values()]),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, this.tuning.stopTimeoutMs))),
      ]);
      clearTimeout(timer);
      this.stopController.abort(new Error("webhook manager stopping"));
      await Promise.allSettled([...this.inFlight.values()]);
    }
    await this.releaseReady(() => true);
    await this.flushResults();
    // The heartbeat kept the leases of requests finishing during the stop; nothing is held now.
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    await this.transport.close();
  }

  /** Deliveries by status (for health and tests). */
  async counts() {
    await this.flushResults();
    return this.store.countWebhookDeliveries();
  }

  // --- logs and dead letters ---

  /** Every attempt (newest first), with its outcome, status code, duration, error and response excerpt. */
  async getDeliveryLogs(query: DeliveryLogQuery = {}): Promise<DeliveryLogEntry[]> {
    await this.flushResults();
    const since = query.since === undefined ? undefined : toMs(query.since);
    // "accepted" is stored as delivered: the registration's acceptedStatuses tell them apart.
    const rows = await this.store.listWebhookAttempts({
      eventType: query.eventType,
      status: query.status === "accepted" ? "delivered" : query.status,
      deliveryId: query.deliveryId,
      since,
      limit: query.limit ?? 100,
    });
    const entries = rows.map((r) => this.logEntry(r));
    return query.status === undefined ? entries : entries.filter((e) => e.status === query.status);
  }

  /** Sends a dead letter again (same webhook-id, a fresh retry budget). */
  async replayDeadLetter(deliveryId: string): Promise<void> {
    await this.flushResults();
    const delivery = await this.store.getWebhookDelivery(deliveryId);
    if (!delivery) throw new Error(`no webhook delivery ${deliveryId}`);
    if (delivery.status !== "dead") throw new Error(`webhook delivery ${deliveryId} is ${delivery.status}, not a dead letter`);
    const entry = this.requireRegistration(delivery.registrationId);
    if (entry.disabled) throw new Error(`webhook registration ${entry.id} is disabled (${entry.disabledReason}); enable it first`);
    await this.store.replayWebhookDeliveries({ ids: [deliveryId] }, this.now());
    this.log.info({ delivery_id: deliveryId, registration_id: entry.id, origin: entry.origin }, "webhook dead letter replayed");
    this.kick();
  }

  /** Replays every dead letter that died at or after `since`, of registrations that are registered and enabled. Returns their ids. */
  async replayDeadLetters(options: { since?: Date | number | string } = {}): Promise<string[]> {
    await this.flushResults();
    const registrationIds = [...this.registrations.values()].filter((r) => !r.disabled).map((r) => r.id);
    const since = options.since === undefined ? undefined : toMs(options.since);
    const ids = await this.store.replayWebhookDeliveries({ since, registrationIds }, this.now());
    if (ids.length > 0) this.log.info({ replayed: ids.length }, "webhook dead letters replayed");
    this.kick();
    return ids;
  }

  private logEntry(r: WebhookAttemptRecord): DeliveryLogEntry {
    const reg = this.registrations.get(r.registrationId);
    const accepted = r.status === "delivered" && r.statusCode !== null && reg?.acceptedStatuses.has(r.statusCode) === true;
    return {
      deliveryId: r.deliveryId,
      webhookId: r.deliveryId,
      registrationId: r.registrationId,
      origin: this.registrations.get(r.registrationId)?.origin ?? null,
      eventType: r.eventType,
      attempt: r.attempt,
      status: accepted ? "accepted" : r.status,
      statusCode: r.statusCode,
      durationMs: r.durationMs,
      error: r.error,
      responseExcerpt: r.responseExcerpt,
      attemptedAt: new Date(r.attemptedAt).toISOString(),
      nextAttemptAt: r.nextAttemptAt === null ? null : new Date(r.nextAttemptAt).toISOString(),
    };
  }

  // --- the bus side: render and write, nothing else ---

  private subscribe(): void {
    // Durable: a batch that cannot be written fails the emitting jobs' bus scopes instead of vanishing.
    if (!this.unsubscribe) this.unsubscribe = this.bus.on("*", this.onEvent, { durable: true });
  }

  /**
   * The "*" handler: as little as possible, since it runs while `interact()` is under way.
   * Events of interest are buffered and written together, in one transaction, outboxLingerMs
   * after the first (at the end of the turn once OUTBOX_FLUSH_COUNT are waiting): a burst of
   * reviews costs a few commits, after `interact()` has moved on. Each event's call returns its
   * batch's promise (the same one for the whole batch): it settles once the batch is written and
   * rejects if it could not be, so `bus.settled()` (a graceful stop) waits for it and
   * `bus.scope()` / `bus.flush()` fail the job that emitted the event.
   */
  private readonly onEvent = (envelope: AnyEventEnvelope): Promise<void> | void => {
    if (!this.interest.has(envelope.event_type) && !this.interest.has("*")) return;
    this.buffered.push(envelope);
    if (!this.bufferDone) {
      this.bufferDone = deferred();
      const linger = this.tuning.outboxLingerMs;
      if (linger > 0) {
        const timer = setTimeout(this.flushBuffer, linger);
        this.cancelBufferWrite = () => clearTimeout(timer);
      } else this.flushBufferSoon();
    } else if (this.buffered.length === OUTBOX_FLUSH_COUNT) this.flushBufferSoon();
    return this.bufferDone.promise;
  };

  /** The buffered events are written at the end of this turn rather than when the linger ends. */
  private flushBufferSoon(): void {
    this.cancelBufferWrite?.();
    const immediate = setImmediate(this.flushBuffer);
    this.cancelBufferWrite = () => clearImmediate(immediate);
  }

  /**
   * Writes the buffered events now; if a write is under way (a store retrying), right after it,
   * together with whatever else arrives meanwhile: an outage costs one retry cycle per write,
   * not one per batch, and the events still reach the outbox in emit order.
   */
  private readonly flushBuffer = (): void => {
    this.cancelBufferWrite?.();
    this.cancelBufferWrite = null;
    if (this.writing || !this.bufferDone) return;
    const events = this.buffered;
    const done = this.bufferDone;
    this.buffered = [];
    this.bufferDone = null;
    this.writing = this.writeEvents(events)
      .then(done.resolve, done.reject)
      .finally(() => {
        this.writing = null;
        // Events buffered during the write whose linger has already ended.
        if (this.bufferDone && this.cancelBufferWrite === null) this.flushBuffer();
      });
  };

  /**
   * Writes the rows, trying again after outboxRetryDelayMs (doubled each time) up to
   * outboxWriteRetries times: a full disk or a locked database often clears within a second.
   * Then gives up with OutboxWriteError: the batch's promise rejects and the emitting jobs are
   * retried later. The same rows (same delivery ids) are written on each try; a failed write
   * wrote nothing (one transaction).
   */
  private async enqueue(input: Parameters<WebhookStore["enqueueWebhookEvent"]>[0], now: number, events: AnyEventEnvelope[]): Promise<void> {
    const retries = Math.max(0, this.tuning.outboxWriteRetries);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.enqueueWebhookEvent(input, now);
        if (attempt > 1) this.log.info({ events: events.length, attempt }, "webhook events written to the outbox after a retry");
        return;
      } catch (err) {
        const fields = { err: errorText(err), events: events.length, attempt, event_types: [...new Set(events.map((e) => e.event_type))] };
        if (attempt > retries) {
          this.log.error(
            { ...fields, event_ids: events.slice(0, 20).map((e) => e.id) },
            "could not write webhook events to the outbox: the jobs that emitted them fail and are retried (see bus.scope)",
          );
          throw new OutboxWriteError(events.map((e) => e.id), attempt, errorText(err));
        }
        const wait = this.tuning.outboxRetryDelayMs * 2 ** (attempt - 1);
        this.log.warn({ ...fields, retry_in_ms: wait }, "could not write webhook events to the outbox, will retry");
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  /** Renders each matching registration's body and writes the outbox rows, synchronously, in one transaction. */
  private async writeEvents(events: AnyEventEnvelope[]): Promise<void> {
    const stored: NewWebhookEvent[] = [];
    const deliveries: NewWebhookDelivery[] = [];
    const batchItems: NewWebhookBatchItem[] = [];
    const now = this.now();
    // An event sent twice under one id (owed feedback events sent again) is written once.
    const seen = events.length > 1 ? new Set<string>() : undefined;
    for (const envelope of events) {
      if (seen) {
        if (seen.has(envelope.id)) continue;
        seen.add(envelope.id);
      }
      let kept = false;
      for (const reg of this.registrations.values()) {
        if (reg.disabled || (reg.eventType !== "*" && reg.eventType !== envelope.event_type)) continue;
        if (reg.condition && !this.matches(reg, envelope)) continue;
        if (!kept) {
          // The envelope is stored once, whatever the number of registrations it goes to.
          stored.push({ id: envelope.id, eventType: envelope.event_type, envelope: JSON.stringify(envelope) });
          kept = true;
        }
        const key = dedupeKey(reg, envelope);
        if (reg.batchSize > 1) {
          batchItems.push({ registrationId: reg.id, eventId: envelope.id, eventType: envelope.event_type, dedupeKey: key });
          continue;
        }
        // Without a template the body is the envelope itself: not stored twice.
        let body: string | null = null;
        let error: string | undefined;
        if (reg.template) {
          try {
            body = JSON.stringify(reg.template.render(eventTemplateData(envelope)));
          } catch (err) {
            error = `payload template: ${errorText(err)}`;
          }
        }
        deliveries.push({
          id: newWebhookId(),
          registrationId: reg.id,
          eventType: envelope.event_type,
          eventIds: [envelope.id],
          body,
          status: error === undefined ? "pending" : "dead",
          nextAttemptAt: now,
          error,
          dedupeKey: key,
        });
      }
    }
    if (deliveries.length === 0 && batchItems.length === 0) return;
    await this.enqueue({ events: stored, deliveries, batchItems }, now, events);
    for (const d of deliveries) if (d.status === "dead") this.logDeadOnArrival(d);
    if (batchItems.length > 0) this.nextBatchAt = now;
    this.kick();
  }

  private matches(reg: Entry, envelope: AnyEventEnvelope): boolean {
    try {
      return reg.condition!(envelope.data as Record<string, unknown>, envelope) === true;
    } catch (err) {
      this.log.debug({ registration_id: reg.id, event_type: envelope.event_type, err: errorText(err) }, "webhook condition did not match");
      return false;
    }
  }

  private logDeadOnArrival(d: NewWebhookDelivery): void {
    const reg = this.registrations.get(d.registrationId);
    this.log.error(
      { delivery_id: d.id, registration_id: d.registrationId, origin: reg?.origin, event_type: d.eventType, err: d.error },
      "webhook delivery dead-lettered",
    );
  }

  // --- the delivery loop ---

  private kick(): void {
    if (!this.running || this.kickScheduled) return;
    this.kickScheduled = true;
    setImmediate(() => {
      this.kickScheduled = false;
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (!this.running) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        await this.flushBatches();
        await this.fill();
      } while (this.pumpAgain && this.running);
    } catch (err) {
      this.log.error({ err: errorText(err) }, "webhook delivery loop error");
    } finally {
      this.pumping = false;
    }
    if (this.running) await this.arm().catch((err: unknown) => this.log.error({ err: errorText(err) }, "webhook delivery loop error"));
  }

  /** Sleeps until the next due delivery, circuit probe or batch timeout (at most pollIntervalMs). */
  private async arm(): Promise<void> {
    const now = this.now();
    let next = now + this.tuning.pollIntervalMs;
    // With requests in flight, each completion runs the loop again: no need to look for due rows.
    if (this.inFlight.size === 0) {
      const groups = this.endpointGroups(now, true);
      const due = await this.store.nextWebhookDeliveryAt(groups.flatMap((g) => g.registrationIds));
      if (due !== null) next = Math.min(next, due);
    }
    for (const c of this.circuits.values()) if (c.openUntil !== null && c.openUntil > now) next = Math.min(next, c.openUntil);
    // A paced key waiting for its interval or a hold: the loop looks again when it ends.
    for (const p of this.paces.values()) {
      const until = Math.max(p.nextAt, p.holdUntil);
      if (until > now) next = Math.min(next, until);
    }
    if (this.nextBatchAt !== null) next = Math.min(next, this.nextBatchAt);
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.pump();
    }, Math.max(5, next - now));
    this.timer.unref();
  }

  /** Registrations grouped by endpoint, with how many more requests each may take now. */
  private endpointGroups(now: number, forTimer = false): EndpointGroup[] {
    interface Gathered {
      endpointKey: string;
      registrationIds: string[];
      pace: { concurrency: number | null; intervalMs: number } | null;
    }
    const byKey = new Map<string, Gathered>();
    for (const r of this.registrations.values()) {
      if (r.disabled || !r.loaded) continue;
      const g = byKey.get(r.paceKey) ?? { endpointKey: r.endpointKey, registrationIds: [], pace: null };
      g.registrationIds.push(r.id);
      if (r.pace) {
        // Registrations sharing a key share the strictest of their paces.
        const c = g.pace?.concurrency ?? null;
        const concurrency = c === null ? r.pace.concurrency : r.pace.concurrency === null ? c : Math.min(c, r.pace.concurrency);
        g.pace = { concurrency, intervalMs: Math.max(g.pace?.intervalMs ?? 0, r.pace.intervalMs) };
      }
      byKey.set(r.paceKey, g);
    }
    const groups: EndpointGroup[] = [];
    for (const [key, { endpointKey, registrationIds, pace }] of byKey) {
      const state = this.paces.get(key);
      if (state && Math.max(state.nextAt, state.holdUntil) > now) continue; // waits for its pace or a hold (arm() wakes the loop then)
      const circuit = this.circuits.get(endpointKey);
      const inFlight = this.inFlightByEndpoint.get(key) ?? 0;
      const paced = pace ? { intervalMs: pace.intervalMs } : null;
      if (circuit?.openUntil != null) {
        if (circuit.openUntil > now || circuit.probing) continue; // paused, or its probe is out
        if (inFlight > 0) continue;
        groups.push({ key, endpointKey, registrationIds, cap: 1, probe: true, paced });
        continue;
      }
      let cap = this.tuning.perEndpointConcurrency - inFlight;
      if (pace) {
        if (pace.concurrency !== null) cap = Math.min(cap, pace.concurrency - inFlight);
        if (pace.intervalMs > 0) cap = Math.min(cap, 1);
      }
      if (cap > 0 || forTimer) groups.push({ key, endpointKey, registrationIds, cap, probe: false, paced });
    }
    return forTimer ? groups.filter((g) => g.cap > 0) : groups;
  }

  private async fill(): Promise<void> {
    let free = this.tuning.concurrency - this.inFlight.size;
    if (free <= 0) return;
    const now = this.now();
    const groups = this.endpointGroups(now);
    if (groups.length === 0) return;
    // Round-robin: a different endpoint goes first each time, and each gets a fair share of the free slots.
    const start = this.roundRobin++ % groups.length;
    let active = [...groups.slice(start), ...groups.slice(0, start)];
    while (free > 0 && active.length > 0 && this.running) {
      const share = Math.max(1, Math.floor(free / active.length));
      const again: EndpointGroup[] = [];
      for (const group of active) {
        if (free <= 0) break;
        const want = Math.min(share, group.cap, free);
        const launched = await this.take(group, want, now);
        free -= launched;
        group.cap -= launched;
        if (launched === want && group.cap > 0 && !group.probe) again.push(group);
      }
      active = again;
    }
  }

  /**
   * Launches up to `want` deliveries of the group: those claimed ahead first, then a fresh claim
   * of what is missing plus up to CLAIM_AHEAD more (not for a probe), kept for the next free slots.
   */
  private async take(group: EndpointGroup, want: number, now: number): Promise<number> {
    let launched = 0;
    if (group.probe && this.circuits.get(group.endpointKey)?.probing) return 0; // another key of the endpoint probes it
    const launchReady = () => {
      const queue = this.ready.get(group.key);
      while (queue && queue.length > 0 && launched < want) {
        const delivery = queue.shift()!;
        const reg = this.registrations.get(delivery.registrationId);
        if (!reg || reg.disabled) {
          void this.release([delivery]);
          continue;
        }
        this.launch(delivery, group);
        launched++;
      }
      if (queue?.length === 0) this.ready.delete(group.key);
    };
    launchReady();
    if (launched < want) {
      // A paced key claims one at a time: what waits for its turn stays pending in the outbox.
      const ahead = group.probe || group.paced ? 0 : CLAIM_AHEAD;
      const claimed = await this.store.claimWebhookDeliveries(group.registrationIds, now, want - launched + ahead, {
        owner: this.instanceId,
        expiresAt: now + this.leaseMs,
      });
      if (!this.running) {
        await this.release(claimed); // stopped meanwhile
        return launched;
      }
      if (claimed.length > 0) {
        const queue = this.ready.get(group.key);
        if (queue) queue.push(...claimed);
        else this.ready.set(group.key, claimed);
        launchReady();
      }
    }
    return launched;
  }

  /** Puts claimed-ahead deliveries back in the outbox (attempt not counted). */
  private async releaseReady(which: (delivery: WebhookDeliveryRecord, endpointKey: string) => boolean): Promise<void> {
    const released: WebhookDeliveryRecord[] = [];
    for (const [key, queue] of this.ready) {
      const keep = queue.filter((d) => !which(d, key));
      if (keep.length === queue.length) continue;
      released.push(...queue.filter((d) => which(d, key)));
      if (keep.length > 0) this.ready.set(key, keep);
      else this.ready.delete(key);
    }
    await this.release(released);
  }

  private async release(deliveries: WebhookDeliveryRecord[]): Promise<void> {
    const now = this.now();
    for (const d of deliveries) {
      await this.store
        .releaseWebhookDelivery(d.id, now, this.instanceId)
        .catch((err: unknown) => this.log.error({ delivery_id: d.id, err: errorText(err) }, "could not release a webhook delivery"));
    }
  }

  private launch(delivery: WebhookDeliveryRecord, group: EndpointGroup): void {
    if (group.probe) {
      const circuit = this.circuits.get(group.endpointKey);
      if (circuit) circuit.probing = true;
    }
    if (group.paced && group.paced.intervalMs > 0) {
      const state = this.paceState(group.key);
      state.nextAt = Math.max(state.nextAt, this.now() + group.paced.intervalMs);
    }
    this.inFlightByEndpoint.set(group.key, (this.inFlightByEndpoint.get(group.key) ?? 0) + 1);
    const run = this.attempt(delivery)
      .catch((err: unknown) => this.log.error({ delivery_id: delivery.id, err: errorText(err) }, "webhook delivery attempt failed unexpectedly"))
      .finally(() => {
        this.inFlight.delete(delivery.id);
        const n = (this.inFlightByEndpoint.get(group.key) ?? 1) - 1;
        if (n > 0) this.inFlightByEndpoint.set(group.key, n);
        else this.inFlightByEndpoint.delete(group.key);
        this.kick();
      });
    this.inFlight.set(delivery.id, run);
  }

  private async attempt(delivery: WebhookDeliveryRecord): Promise<void> {
    const reg = this.registrations.get(delivery.registrationId);
    if (!reg) {
      await this.store.releaseWebhookDelivery(delivery.id, this.now(), this.instanceId);
      return;
    }
    const attemptedAt = this.now();
    const started = performance.now();
    let statusCode: number | null = null;
    let excerpt: string | null = null;
    let outcome: Classified;
    try {
      const body = delivery.body ?? this.renderStored(reg, delivery);
      const result = await this.transport.send({
        url: reg.url,
        headers: this.headers(reg, delivery.id, body, attemptedAt),
        body,
        timeoutMs: reg.timeoutMs,
        verifySsl: reg.verifySsl,
        signal: this.stopController.signal,
      });
      statusCode = result.status;
      excerpt = result.excerpt === "" ? null : result.excerpt;
      outcome = classifyStatus(result.status, result.retryAfter, this.now());
      const headers: Record<string, string> = result.headers ?? (result.retryAfter === null ? {} : { "retry-after": result.retryAfter });
      const info = { status: result.status, headers, body: result.excerpt, attempt: delivery.attempts };
      if (reg.interpretResponse) outcome = interpretOutcome(outcome, info, reg.interpretResponse);
      if (await this.holdAfter(reg, info) && result.status === 429) {
        // A 429 the pace honours says the service is there and counting: not an endpoint failure for the breaker.
        outcome = { ...outcome, circuit: "alive" };
      }
    } catch (err) {
      if (this.stopController.signal.aborted && !this.running) {
        // Stopping: the attempt does not count; the next process sends it again (same webhook-id).
        await this.store.releaseWebhookDelivery(delivery.id, this.now(), this.instanceId);
        return;
      }
      outcome = this.classifyError(err, reg);
    }
    const durationMs = performance.now() - started;
    await this.settle(reg, delivery, { outcome, statusCode, excerpt, durationMs, attemptedAt });
  }

  private async settle(
    reg: Entry,
    delivery: WebhookDeliveryRecord,
    a: { outcome: Classified; statusCode: number | null; excerpt: string | null; durationMs: number; attemptedAt: number },
  ): Promise<void> {
    const { outcome } = a;
    let status: WebhookAttemptStatus;
    let error = outcome.error === null ? null : redactUrl(outcome.error, reg);
    let nextAttemptAt: number | null = null;
    if (outcome.kind === "delivered") status = "delivered";
    else if (outcome.kind !== "retry") status = "dead";
    else if (delivery.attempts > reg.retryCount) {
      status = "dead";
      error = `${error}; gave up after ${delivery.attempts} attempt${delivery.attempts === 1 ? "" : "s"}`;
    } else if (outcome.retryAfterMs !== null && outcome.retryAfterMs > this.tuning.maxRetryAfterMs) {
      status = "dead";
      error = `${error}; Retry-After of ${Math.round(outcome.retryAfterMs / 1000)} s is longer than the ${Math.round(this.tuning.maxRetryAfterMs / 1000)} s allowed`;
    } else {
      status = "failed";
      const wait = outcome.retryAfterMs ?? backoffDelay(delivery.attempts, this.tuning.baseDelayMs, this.tuning.maxDelayMs, this.random);
      nextAttemptAt = this.now() + wait;
    }

    this.record({
      deliveryId: delivery.id,
      leaseOwner: this.instanceId,
      status,
      statusCode: a.statusCode,
      durationMs: a.durationMs,
      error,
      responseExcerpt: a.excerpt === null ? null : redactUrl(a.excerpt, reg, 4096),
      nextAttemptAt,
      attemptedAt: a.attemptedAt,
    });

    const fields = {
      delivery_id: delivery.id,
      registration_id: reg.id,
      origin: reg.origin,
      event_type: delivery.eventType,
      attempt: delivery.totalAttempts,
      status_code: a.statusCode,
      duration_ms: Math.round(a.durationMs),
    };
    if (status === "delivered" && a.statusCode !== null && reg.acceptedStatuses.has(a.statusCode)) {
      this.log.debug({ ...fields, outcome: "accepted" }, "webhook accepted: the service processes it later and does not report the outcome");
    } else if (status === "delivered") this.log.debug(fields, "webhook delivered");
    else if (status === "failed") this.log.warn({ ...fields, err: error, retry_in_ms: nextAttemptAt! - this.now() }, "webhook delivery failed, will retry");
    else this.log.error({ ...fields, err: error }, "webhook delivery dead-lettered");

    if (outcome.kind === "gone") await this.disable(reg, error ?? "410 Gone");
    await this.updateCircuit(reg, outcome);
  }

  /**
   * Queues an attempt's result. Results are written together, in one transaction, RECORD_FLUSH_MS
   * after the first (or at RECORD_FLUSH_COUNT): the request's slot is free at once, and a burst
   * of deliveries costs a few commits rather than one each. Until written, the delivery stays in
   * flight in the store: a crash meanwhile sends it again after the restart, with the same
   * webhook-id, as for a crash during the request. Reads (logs, counts, replays) and stop() flush
   * first, so they always see every finished attempt.
   */
  private record(result: WebhookAttemptResult): void {
    this.results.push(result);
    if (this.results.length >= RECORD_FLUSH_COUNT) void this.flushResults();
    else this.resultsTimer ??= setTimeout(() => void this.flushResults(), RECORD_FLUSH_MS);
  }

  /** Writes the queued results; resolves once they (and any write before them) are written. */
  private flushResults(): Promise<void> {
    if (this.resultsTimer) clearTimeout(this.resultsTimer);
    this.resultsTimer = null;
    const batch = this.results;
    if (batch.length === 0) return this.resultsWrite;
    this.results = [];
    this.resultsWrite = this.resultsWrite
      .then(() => this.store.recordWebhookAttempts(batch))
      .then(
        // A retry's next attempt time is now in the store: the loop can plan for it.
        () => this.kick(),
        (err: unknown) => this.log.error({ err: errorText(err), attempts: batch.length }, "could not record webhook attempts"),
      );
    return this.resultsWrite;
  }

  private async disable(reg: Entry, reason: string): Promise<void> {
    const now = this.now();
    reg.disabled = true;
    reg.disabledReason = reason;
    // Its deliveries claimed ahead go back first, so that they are dead-lettered with the rest.
    await this.releaseReady((d) => d.registrationId === reg.id);
    await this.store.setWebhookRegistrationDisabled(reg.id, reason, now);
    const killed = await this.store.killWebhookDeliveries(reg.id, `registration disabled: ${reason}`, now);
    this.log.error({ registration_id: reg.id, origin: reg.origin, dead_lettered: killed }, "webhook registration disabled: the endpoint answered 410 Gone");
  }

  /** Circuit breaker: endpoint failures count up; any answer that shows the endpoint alive resets. */
  private async updateCircuit(reg: Entry, outcome: Classified): Promise<void> {
    const key = reg.endpointKey;
    const circuit = this.circuits.get(key) ?? { failures: 0, openUntil: null, probing: false };
    const wasProbe = circuit.probing;
    circuit.probing = false;
    if (outcome.circuit === "none") {
      this.circuits.set(key, circuit);
      return;
    }
    const before = { failures: circuit.failures, openUntil: circuit.openUntil };
    if (outcome.circuit === "failure") {
      circuit.failures += 1;
      if (wasProbe || circuit.failures >= this.tuning.breakerThreshold) {
        circuit.openUntil = this.now() + this.tuning.breakerCooloffMs;
        if (before.openUntil === null || wasProbe) {
          this.log.warn(
            { origin: reg.origin, consecutive_failures: circuit.failures, cooloff_ms: this.tuning.breakerCooloffMs },
            wasProbe ? "webhook endpoint probe failed: circuit stays open" : "webhook endpoint circuit opened: pausing deliveries",
          );
        }
      }
    } else {
      circuit.failures = 0;
      circuit.openUntil = null;
      if (before.openUntil !== null) this.log.info({ origin: reg.origin }, "webhook endpoint circuit closed: deliveries resume");
    }
    this.circuits.set(key, circuit);
    // A paused endpoint keeps nothing claimed: what was claimed ahead goes back to the outbox.
    if (circuit.openUntil !== null && this.ready.size > 0) await this.releaseReady((d) => this.registrations.get(d.registrationId)?.endpointKey === key);
    if (before.failures !== circuit.failures || before.openUntil !== circuit.openUntil) {
      await this.store.saveWebhookCircuit({ endpointKey: key, consecutiveFailures: circuit.failures, openUntil: circuit.openUntil }, this.now());
    }
  }

  private paceState(key: string): PaceState {
    let state = this.paces.get(key);
    if (!state) {
      state = { nextAt: 0, holdUntil: 0 };
      this.paces.set(key, state);
    }
    return state;
  }

  /**
   * A paced registration's reading of an answer's rate-limit headers: a hold leaves its key alone
   * (what it had claimed ahead goes back) until the service's window resets. True when it holds.
   */
  private async holdAfter(reg: Entry, info: { status: number; headers: Record<string, string>; body: string; attempt: number }): Promise<boolean> {
    const read = reg.pace?.holdAfter;
    if (!read) return false;
    let ms: unknown;
    try {
      ms = read(info);
    } catch {
      return false;
    }
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms <= 0) return false;
    const until = this.now() + Math.min(Math.ceil(ms), this.tuning.maxRetryAfterMs);
    const state = this.paceState(reg.paceKey);
    if (until > state.holdUntil) {
      if (state.holdUntil <= this.now()) {
        // Refused (429): worth an info line; a window used up before the limit (Discord, Datadog) is routine.
        const fields = { origin: reg.origin, registration_id: reg.id, status_code: info.status, hold_ms: until - this.now() };
        if (info.status === 429) this.log.info(fields, "webhook endpoint rate limit: holding deliveries until its window resets");
        else this.log.debug(fields, "webhook endpoint rate limit window used up: holding deliveries until it resets");
      }
      state.holdUntil = until;
    }
    if (this.ready.has(reg.paceKey)) await this.releaseReady((_, k) => k === reg.paceKey);
    return true;
  }

  private classifyError(err: unknown, reg: Entry): Classified {
    if (err instanceof SsrfError) return { kind: "dead", retryAfterMs: null, circuit: "none", error: err.message };
    const name = errorName(err);
    if (name === "TemplateError") return { kind: "dead", retryAfterMs: null, circuit: "none", error: `payload template: ${errorText(err)}` };
    if (name === "PayloadBuildError") return { kind: "dead", retryAfterMs: null, circuit: "none", error: `payload builder: ${errorText(err)}` };
    if (name === "TimeoutError" || (name === "AbortError" && !this.stopController.signal.aborted)) {
      return { kind: "retry", retryAfterMs: null, circuit: "failure", error: `timed out after ${reg.timeoutMs / 1000} s` };
    }
    return { kind: "retry", retryAfterMs: null, circuit: "failure", error: networkErrorText(err) };
  }

  private headers(reg: Entry, id: string, body: string, attemptedAt: number): Record<string, string> {
    const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "empathy-bot-webhooks/1" };
    for (const [k, v] of Object.entries(reg.headers)) headers[k.toLowerCase()] = v;
    const signed = signRequest({ id, timestamp: Math.floor(attemptedAt / 1000), body, secret: reg.secret });
    for (const [k, v] of Object.entries(signed)) headers[k.toLowerCase()] = v;
    return headers;
  }

  /** The body of a delivery stored without one: its envelope(s), or the template rendered again. */
  private renderStored(reg: Entry, delivery: WebhookDeliveryRecord): string {
    const batch = delivery.eventIds.length > 1 || reg.batchSize > 1;
    if (reg.buildPayload) return buildBody(reg.buildPayload, JSON.parse(delivery.envelopes) as TemplateEnvelope[], batch);
    if (!reg.template) return batch ? delivery.envelopes : delivery.envelopes.slice(1, -1);
    const envelopes = JSON.parse(delivery.envelopes) as TemplateEnvelope[];
    return renderBody(reg, envelopes, delivery.id, batch);
  }

  // --- batches ---

  private async flushBatches(): Promise<void> {
    if (this.nextBatchAt === null || this.nextBatchAt > this.now()) return;
    const now = this.now();
    let next: number | null = null;
    for (const stat of await this.store.webhookBatchStats()) {
      const reg = this.registrations.get(stat.registrationId);
      if (!reg || reg.disabled || !reg.loaded) continue;
      const size = Math.max(1, reg.batchSize);
      for (;;) {
        const items = await this.store.listWebhookBatchItems(reg.id, size);
        if (items.length === 0) break;
        const dueAt = items[0].createdAt + reg.batchTimeoutMs;
        if (items.length < size && dueAt > now) {
          next = next === null ? dueAt : Math.min(next, dueAt);
          break;
        }
        await this.flushBatch(reg, items, now);
        if (items.length < size) break;
      }
    }
    this.nextBatchAt = next;
  }

  private async flushBatch(reg: Entry, items: WebhookBatchItem[], now: number): Promise<void> {
    const id = newWebhookId();
    const types = new Set(items.map((i) => i.eventType));
    let body: string | null = null;
    let error: string | undefined;
    if (reg.template) {
      try {
        body = renderBody(reg, items.map((i) => JSON.parse(i.envelope) as TemplateEnvelope), id, true);
      } catch (err) {
        error = `payload template: ${errorText(err)}`;
      }
    }
    const delivery: NewWebhookDelivery = {
      id,
      registrationId: reg.id,
      eventType: types.size === 1 ? items[0].eventType : reg.eventType,
      eventIds: items.map((i) => i.eventId),
      body,
      status: error === undefined ? "pending" : "dead",
      nextAttemptAt: now,
      error,
    };
    // false: another instance flushed these items first (it sends them).
    if (!(await this.store.flushWebhookBatch(items, delivery, now))) return;
    if (delivery.status === "dead") this.logDeadOnArrival(delivery);
    this.log.debug({ delivery_id: id, registration_id: reg.id, origin: reg.origin, events: items.length }, "webhook batch flushed");
  }
}

/** The request body: the template rendered over the event (or `{ events, count }`), else the envelope (or an array of them). */
function renderBody(reg: Registration, envelopes: TemplateEnvelope[], id: string, batch: boolean): string {
  if (!batch) return reg.template ? JSON.stringify(reg.template.render(eventTemplateData(envelopes[0]))) : JSON.stringify(envelopes[0]);
  return reg.template ? JSON.stringify(reg.template.render(batchTemplateData(envelopes, { id }))) : JSON.stringify(envelopes);
}

/** A registration's payload builder, run at each attempt (its body, which may hold a service key, is never stored). */
function buildBody(build: NonNullable<Registration["buildPayload"]>, envelopes: TemplateEnvelope[], batch: boolean): string {
  let payload: unknown;
  try {
    payload = build(batch ? envelopes : envelopes[0]);
  } catch (err) {
    throw new PayloadBuildError(errorText(err));
  }
  if (payload === undefined) throw new PayloadBuildError("returned nothing");
  return typeof payload === "string" ? payload : JSON.stringify(payload);
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function toMs(value: Date | number | string): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === "number" ? value : Date.parse(value);
  if (!Number.isFinite(ms)) throw new TypeError(`not a time: ${String(value)}`);
  return ms;
}

/** Errors may come from another realm (undici's DOMException, a test VM): judged by shape, not instanceof. */
function errorName(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && typeof (err as { name?: unknown }).name === "string" ? (err as { name: string }).name : undefined;
}

function errorMessage(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && typeof (err as { message?: unknown }).message === "string"
    ? (err as { message: string }).message
    : undefined;
}

function errorText(err: unknown): string {
  const text = redact(errorMessage(err) ?? String(err)); // whole, before the cut
  return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
}

/** fetch's "fetch failed" says little: the cause (ECONNREFUSED, ENOTFOUND, a TLS error) says what. */
function networkErrorText(err: unknown): string {
  const message = errorText(err);
  const cause = typeof err === "object" && err !== null ? (err as { cause?: unknown }).cause : undefined;
  const causeMessage = errorMessage(cause);
  if (causeMessage === undefined) return message;
  const code = (cause as { code?: unknown }).code;
  return `${message}: ${typeof code === "string" && !causeMessage.includes(code) ? `${code} ` : ""}${causeMessage}`;
}

/** Text as it may be logged and stored: no URL path (it often holds a token), secret, header value or token. */
function redactUrl(text: string, reg: Registration, max = 2000): string {
  let out = text.split(reg.url.href).join(reg.origin);
  const tail = reg.url.href.slice(reg.origin.length);
  if (tail.length > 1) out = out.split(tail).join("/…");
  if (reg.secret) out = out.split(reg.secret).join("[secret]");
  for (const value of reg.secretValues) out = out.split(value).join("[secret]");
  // Header values carry API keys and bearer tokens (Slack, Datadog, JIRA), also as the bare token.
  for (const [name, value] of Object.entries(reg.headers)) {
    if (/^(content-type|accept|user-agent)$/i.test(name)) continue;
    for (const part of [value, ...value.split(/\s+/)]) if (part.length >= 8) out = out.split(part).join("[header]");
  }
  out = redact(out); // the whole text, before the cut
  return out.length > max ? `${out.slice(0, max)}…` : out;
}
