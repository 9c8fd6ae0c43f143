/**
 * Endpoints an operator paused. A pause holds the endpoint's circuit open for as long as it
 * lasts: the delivery loop claims nothing for it, so its deliveries stay pending in the outbox
 * (new events are still written there: nothing is lost) and are sent when it is resumed.
 *
 * Why not the existing states: a disabled registration (410 Gone) writes no new deliveries and
 * dead-letters its pending ones; the circuit's own row is rewritten by every attempt's outcome
 * and read only at start. So a pause is its own state in the store (WebhookInsightStore), keyed
 * like the circuit (a hash of the URL: every registration sending to that URL pauses with it),
 * and every instance reads it at start and again every `refreshMs`: a pause made on one instance
 * stops the others within that time; requests already in flight finish.
 */
import type { WebhookEndpointPause, WebhookInsightStore } from "../store/webhookInsights.js";
import type { WebhookStore } from "../store/store.js";
import { Breaker, type CircuitState } from "./breaker.js";
import { errorText } from "./redaction.js";
import type { Registry } from "./registry.js";
import type { Scheduler } from "./scheduler.js";
import type { Tuning } from "./settings.js";
import type { Log } from "../logging/log.js";

/** How often an instance reads the pauses made elsewhere. */
export const PAUSE_REFRESH_MS = 2000;

export interface PausesDeps {
  store: WebhookInsightStore;
  log: Log;
  registry: Registry;
  scheduler: () => Scheduler;
  now: () => number;
  refreshMs?: number;
}

export class EndpointPauses {
  private paused = new Map<string, WebhookEndpointPause>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: PausesDeps) {}

  has(endpointKey: string): boolean {
    return this.paused.has(endpointKey);
  }

  get(endpointKey: string): WebhookEndpointPause | undefined {
    return this.paused.get(endpointKey);
  }

  /** Pauses the registration's endpoint (every registration with its URL); returns their ids. */
  async pause(id: string, by: string): Promise<string[]> {
    const entry = this.deps.registry.require(id);
    const now = this.deps.now();
    await this.deps.store.setWebhookPause(entry.endpointKey, by, now);
    this.paused.set(entry.endpointKey, { endpointKey: entry.endpointKey, pausedAt: now, pausedBy: by });
    await this.releaseClaimed(new Set([entry.endpointKey]));
    const ids = this.registrationsOf(entry.endpointKey);
    this.deps.log.info(
      { registration_id: id, origin: entry.origin, by, registrations: ids.length },
      "webhook endpoint paused: its deliveries wait in the outbox",
    );
    return ids;
  }

  /** Resumes the registration's endpoint; returns the ids of its registrations. */
  async resume(id: string, by: string): Promise<string[]> {
    const entry = this.deps.registry.require(id);
    await this.deps.store.setWebhookPause(entry.endpointKey, null, this.deps.now());
    this.paused.delete(entry.endpointKey);
    const ids = this.registrationsOf(entry.endpointKey);
    this.deps.log.info({ registration_id: id, origin: entry.origin, by, registrations: ids.length }, "webhook endpoint resumed");
    this.deps.scheduler().kick();
    return ids;
  }

  /** Reads the stored pauses (another instance's too): releases what this one claimed for a newly paused endpoint, sends for a resumed one. */
  async refresh(): Promise<void> {
    const stored = new Map((await this.deps.store.listWebhookPauses()).map((p) => [p.endpointKey, p]));
    const resumed = [...this.paused.keys()].some((k) => !stored.has(k));
    this.paused = stored;
    // Every paused endpoint, not only the new ones: a claim in progress when it was paused may have left some ahead.
    if (stored.size > 0) await this.releaseClaimed(new Set(stored.keys()));
    if (resumed) this.deps.scheduler().kick();
  }

  /** Reads the pauses every refreshMs until stop(). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.refresh().catch((err: unknown) => this.deps.log.error({ err: errorText(err) }, "could not read paused webhook endpoints"));
    }, this.deps.refreshMs ?? PAUSE_REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private registrationsOf(endpointKey: string): string[] {
    return [...this.deps.registry.all()].filter((r) => r.endpointKey === endpointKey).map((r) => r.id);
  }

  /** Deliveries claimed ahead for these endpoints go back to the outbox (attempt not counted). */
  private async releaseClaimed(keys: Set<string>): Promise<void> {
    const scheduler = this.deps.scheduler();
    if (!scheduler.holdsReady()) return;
    await scheduler.releaseReady((d) => keys.has(this.deps.registry.get(d.registrationId)?.endpointKey ?? ""));
  }
}

/** The breaker, with a paused endpoint's circuit held open. */
export class PausableBreaker extends Breaker {
  constructor(
    store: WebhookStore,
    log: Log,
    tuning: Pick<Tuning, "breakerThreshold" | "breakerCooloffMs">,
    now: () => number,
    private readonly pauses: Pick<EndpointPauses, "has">,
  ) {
    super(store, log, tuning, now);
  }

  override state(endpointKey: string, now: number): CircuitState {
    return this.pauses.has(endpointKey) ? "open" : super.state(endpointKey, now);
  }
}
