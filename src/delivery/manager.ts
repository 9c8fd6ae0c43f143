/**
 * The WebhookManager: outgoing event delivery, as the rest of the app sees it. It wires the
 * parts together and keeps the public API (registrations, start/stop, logs, dead letters):
 *
 * - registry.ts: the registrations and their persisted state (disabled by a 410);
 * - outboxWriter.ts: the bus side, events buffered and written to the durable outbox;
 * - scheduler.ts: the delivery loop (claims, round-robin, concurrency, leases);
 * - attempt.ts: one attempt (render, sign, send, classify, record);
 * - breaker.ts, pacer.ts: per-endpoint circuit breaker, per-key service rate limits;
 * - batches.ts, results.ts: batching of events into deliveries, and of attempt results into writes;
 * - render.ts: the one "render or dead-letter" path; options.ts: the registration options;
 * - pauses.ts: endpoints an operator paused (kept in the store); insights.ts: the dashboard's figures and logs.
 *
 * Integrations add what their service documents (registration.ts): a pace per key, 2xx
 * statuses that only mean "accepted" (Teams' 202), a start-up check (`preflight`), and body
 * values never to log.
 */
import type { EventBus } from "../events/bus.js";
import { DEFAULT_LEASE_DURATION_MS, newInstanceId } from "../store/lease.js";
import type { WebhookStore } from "../store/store.js";
import type { WebhookInsightStore } from "../store/webhookInsights.js";
import { Attempts } from "./attempt.js";
import { Batches } from "./batches.js";
import type { Breaker } from "./breaker.js";
import { DeliveryIds } from "./ids.js";
import { toLogEntry, WebhookInsights, type RegistrationLog, type WebhooksOverview } from "./insights.js";
import { OutboxWriter } from "./outboxWriter.js";
import { Pacer } from "./pacer.js";
import { EndpointPauses, PausableBreaker } from "./pauses.js";
import {
  buildRegistration,
  WebhookRegistrationError,
  type ConditionalRegisterOptions,
  type EventCondition,
  type RegisterOptions,
  type RegistrationInfo,
} from "./registration.js";
import { Registry } from "./registry.js";
import { ResultWriter } from "./results.js";
import { Scheduler } from "./scheduler.js";
import { resolveTuning, type Tuning, type WebhookTuning } from "./settings.js";
import { SsrfGuard, type LookupFn } from "./ssrf.js";
import { WebhookTransport, type FetchLike } from "./transport.js";
import type { DeliveryLogEntry, DeliveryLogQuery, DeliveryObservers } from "./types.js";
import type { Log } from "../logging/log.js";

export { WebhookRegistrationError } from "./registration.js";
export type { RegisterOptions, ConditionalRegisterOptions, RegistrationInfo, PaceOptions } from "./registration.js";
export { OutboxWriteError } from "./outboxWriter.js";
export type { WebhookTuning } from "./settings.js";
export type { DeliveryLogEntry, DeliveryLogQuery, DeliveryLogStatus } from "./types.js";

export interface WebhookManagerOptions extends WebhookTuning, DeliveryObservers {
  store: WebhookStore & WebhookInsightStore;
  log: Log;
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
  /** How often the endpoints paused by other instances are read (default 2 s). */
  pauseRefreshMs?: number;
}

export class WebhookManager {
  readonly instanceId: string;
  private readonly store: WebhookStore & WebhookInsightStore;
  private readonly log: Log;
  private readonly now: () => number;
  private readonly tuning: Tuning;
  private readonly transport: WebhookTransport;
  private readonly registry: Registry;
  private readonly writer: OutboxWriter;
  private readonly results: ResultWriter;
  private readonly breaker: Breaker;
  private readonly batches: Batches;
  private readonly scheduler: Scheduler;
  private readonly pauses: EndpointPauses;
  private readonly insights: WebhookInsights;

  constructor(bus: EventBus, options: WebhookManagerOptions) {
    const { store, log } = options;
    const now = options.now ?? Date.now;
    this.store = store;
    this.log = log;
    this.now = now;
    this.instanceId = options.instanceId ?? newInstanceId();
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_DURATION_MS;
    const tuning = (this.tuning = resolveTuning(options));
    const kick = () => this.scheduler.kick();
    const ids = new DeliveryIds();
    this.transport = new WebhookTransport(
      new SsrfGuard({ allowPrivate: options.network?.allowPrivate ?? [], lookup: options.lookup }),
      options.fetch,
    );
    const registry = (this.registry = new Registry(store, log, kick));
    this.results = new ResultWriter(store, log, kick);
    const scheduler = () => this.scheduler;
    this.pauses = new EndpointPauses({ store, log, registry, scheduler, now, refreshMs: options.pauseRefreshMs });
    this.breaker = new PausableBreaker(store, log, tuning, now, this.pauses);
    this.insights = new WebhookInsights(store, registry, this.pauses, now);
    this.batches = new Batches(store, log, registry, ids, now);
    const pacer = new Pacer(log, tuning.maxRetryAfterMs, now);
    const attempts = new Attempts({
      store,
      log,
      registry,
      pacer,
      tuning,
      now,
      transport: this.transport,
      results: this.results,
      breaker: this.breaker,
      scheduler,
      instanceId: this.instanceId,
      random: options.random ?? Math.random,
      onAttemptSettled: options.onAttemptSettled,
    });
    this.scheduler = new Scheduler({
      store,
      log,
      registry,
      pacer,
      tuning,
      now,
      leaseMs,
      breaker: this.breaker,
      batches: this.batches,
      instanceId: this.instanceId,
      attempt: attempts.run,
    });
    this.writer = new OutboxWriter({
      bus,
      store,
      log,
      registry,
      ids,
      now,
      tuning,
      onWritten: (batched, at) => {
        if (batched) this.batches.due(at);
        this.scheduler.kick();
      },
    });
    // Subscribed at once: events emitted before start() are written to the outbox and sent when the loop starts.
    this.writer.subscribe();
  }

  // --- registrations ---

  /** Registers a webhook; returns its id. Throws WebhookRegistrationError for bad options or a template field the event lacks. */
  register(options: RegisterOptions): string {
    return this.registry.add(buildRegistration(options, null));
  }

  /** Like register, sending only events whose data satisfies the condition (a function, or a CEL expression: condition.ts). */
  registerConditional(options: ConditionalRegisterOptions): string {
    if (options?.condition === undefined || options.condition === null) {
      throw new WebhookRegistrationError("registerConditional: condition is required");
    }
    return this.registry.add(buildRegistration(options, options.condition as EventCondition | string, { log: this.log }));
  }

  unregister(id: string): boolean {
    const removed = this.registry.remove(id);
    if (removed) void this.scheduler.releaseReady((d) => d.registrationId === id);
    return removed;
  }

  list(): RegistrationInfo[] {
    return this.registry.list();
  }

  /** Enables a registration disabled by a 410 (its dead letters can then be replayed). */
  async enable(id: string): Promise<void> {
    const entry = this.registry.require(id);
    await this.store.setWebhookRegistrationDisabled(id, null, this.now());
    this.registry.setDisabled(entry, null);
    this.scheduler.kick();
  }

  // --- lifecycle ---

  /**
   * Runs the registrations' start-up checks, puts deliveries whose lease expired (their process
   * died) back in the queue, then starts the delivery loop and the lease heartbeat. Deliveries
   * other live instances hold are left alone.
   */
  async start(): Promise<void> {
    if (this.scheduler.isRunning) return;
    await this.registry.preflight();
    this.writer.subscribe();
    await this.registry.loaded();
    const now = this.now();
    await this.scheduler.start(now);
    await this.breaker.load();
    await this.pauses.refresh();
    this.pauses.start();
    const pruned = await this.store.pruneWebhookHistory(now - this.tuning.retentionMs);
    if (pruned > 0) this.log.info({ pruned }, "pruned delivered webhooks past retention");
    this.batches.due(now); // look at batches left by the previous process
    this.scheduler.run();
  }

  /**
   * Stops the loop: requests in flight may finish (up to stopTimeoutMs), then are aborted and
   * put back in the outbox. Events are no longer written once stopped.
   */
  async stop(): Promise<void> {
    this.scheduler.halt();
    this.pauses.stop();
    await this.writer.close();
    await this.scheduler.stop();
    await this.results.flush();
    // The heartbeat kept the leases of requests finishing during the stop; nothing is held now.
    this.scheduler.stopHeartbeat();
    await this.transport.close();
  }

  /** Deliveries by status (for health and tests). */
  async counts() {
    await this.results.flush();
    return this.store.countWebhookDeliveries();
  }

  // --- logs and dead letters ---

  /** Every attempt (newest first), with its outcome, status code, duration, error and response excerpt. */
  async getDeliveryLogs(query: DeliveryLogQuery = {}): Promise<DeliveryLogEntry[]> {
    await this.results.flush();
    const since = query.since === undefined ? undefined : toMs(query.since);
    // "accepted" is stored as delivered: the registration's acceptedStatuses tell them apart.
    const rows = await this.store.listWebhookAttempts({
      eventType: query.eventType,
      status: query.status === "accepted" ? "delivered" : query.status,
      deliveryId: query.deliveryId,
      since,
      limit: query.limit ?? 100,
    });
    const entries = rows.map((r) => toLogEntry(r, this.registry.get(r.registrationId)));
    return query.status === undefined ? entries : entries.filter((e) => e.status === query.status);
  }

  /** Sends a dead letter again (same webhook-id, a fresh retry budget). */
  async replayDeadLetter(deliveryId: string): Promise<void> {
    await this.results.flush();
    const delivery = await this.store.getWebhookDelivery(deliveryId);
    if (!delivery) throw new Error(`no webhook delivery ${deliveryId}`);
    if (delivery.status !== "dead") throw new Error(`webhook delivery ${deliveryId} is ${delivery.status}, not a dead letter`);
    const entry = this.registry.require(delivery.registrationId);
    if (entry.disabled) throw new Error(`webhook registration ${entry.id} is disabled (${entry.disabledReason}); enable it first`);
    await this.store.replayWebhookDeliveries({ ids: [deliveryId] }, this.now());
    this.log.info({ delivery_id: deliveryId, registration_id: entry.id, origin: entry.origin }, "webhook dead letter replayed");
    this.scheduler.kick();
  }

  /** Replays every dead letter that died at or after `since`, of registrations that are registered and enabled (of `registrationIds` only, when given). Returns their ids. */
  async replayDeadLetters(options: { since?: Date | number | string; registrationIds?: string[] } = {}): Promise<string[]> {
    await this.results.flush();
    const only = options.registrationIds && new Set(options.registrationIds);
    const registrationIds = [...this.registry.all()].filter((r) => !r.disabled && (!only || only.has(r.id))).map((r) => r.id);
    if (registrationIds.length === 0) return [];
    const since = options.since === undefined ? undefined : toMs(options.since);
    const ids = await this.store.replayWebhookDeliveries({ since, registrationIds }, this.now());
    if (ids.length > 0) this.log.info({ replayed: ids.length }, "webhook dead letters replayed");
    this.scheduler.kick();
    return ids;
  }

  // --- pause, and the dashboard's figures ---

  /**
   * Pauses the registration's endpoint (every registration sending to its URL), in the store: on
   * every instance, nothing more is sent to it; its deliveries wait in the outbox. Returns the ids paused.
   */
  pause(id: string, by: string): Promise<string[]> {
    return this.pauses.pause(id, by);
  }

  /** Resumes the registration's endpoint: its waiting deliveries are sent. Returns the ids resumed. */
  resume(id: string, by: string): Promise<string[]> {
    return this.pauses.resume(id, by);
  }

  /** Per registration and integration, the figures over the last `windowMs` (default 1 h). */
  async overview(windowMs?: number): Promise<WebhooksOverview> {
    await this.results.flush();
    return this.insights.overview(windowMs);
  }

  /** A registration's attempts and dead letters, newest first, a page at a time. */
  async registrationLog(id: string, page?: Parameters<WebhookInsights["log"]>[1]): Promise<RegistrationLog> {
    await this.results.flush();
    return this.insights.log(id, page);
  }
}

function toMs(value: Date | number | string): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === "number" ? value : Date.parse(value);
  if (!Number.isFinite(ms)) throw new TypeError(`not a time: ${String(value)}`);
  return ms;
}
