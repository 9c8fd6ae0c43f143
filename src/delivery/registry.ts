/**
 * The registry: the registrations of one manager, with the state the store keeps for them
 * (disabled by a 410, and why), and which of them an event goes to.
 */
import type { AnyEventEnvelope } from "../events/catalog.js";
import type { WebhookStore } from "../store/store.js";
import { WebhookRegistrationError, type Registration, type RegistrationInfo } from "./registration.js";
import { errorText } from "./redaction.js";
import type { Log } from "../logging/log.js";

export interface Entry extends Registration {
  disabled: boolean;
  disabledReason: string | null;
  /** The persisted state (disabled?) has been read. */
  loaded: boolean;
}

export class Registry {
  private readonly entries = new Map<string, Entry>();
  private readonly stateLoads = new Set<Promise<void>>();
  /** Event types some registration listens to ("*": all). */
  private interest = new Set<string>();

  constructor(
    private readonly store: WebhookStore,
    private readonly log: Log,
    /** Called when a registration's persisted state is read (the delivery loop may now send its deliveries). */
    private readonly onLoaded: () => void,
  ) {}

  /** Adds it and reads its persisted state in the background; throws when its id is taken. */
  add(registration: Registration): string {
    if (this.entries.has(registration.id)) {
      throw new WebhookRegistrationError(
        `a webhook for ${registration.eventType} to ${registration.origin} with the same URL and template is already registered (${registration.id}); give one an explicit id`,
      );
    }
    const entry: Entry = { ...registration, disabled: false, disabledReason: null, loaded: false };
    this.entries.set(entry.id, entry);
    this.updateInterest();
    const load: Promise<void> = this.store
      .getWebhookRegistrationState(entry.id)
      .then((state) => {
        if (state?.disabledAt) {
          entry.disabled = true;
          entry.disabledReason = state.disabledReason;
          this.log.warn(
            { registration_id: entry.id, origin: entry.origin, reason: state.disabledReason },
            "webhook registration is disabled",
          );
        }
        entry.loaded = true;
        this.onLoaded();
      })
      .catch((err: unknown) =>
        this.log.error({ registration_id: entry.id, err: errorText(err) }, "could not read webhook registration state"),
      )
      .finally(() => this.stateLoads.delete(load));
    this.stateLoads.add(load);
    return entry.id;
  }

  remove(id: string): boolean {
    const removed = this.entries.delete(id);
    this.updateInterest();
    return removed;
  }

  get(id: string): Entry | undefined {
    return this.entries.get(id);
  }

  require(id: string): Entry {
    const entry = this.entries.get(id);
    if (!entry) throw new Error(`webhook registration ${id} is not registered`);
    return entry;
  }

  all(): IterableIterator<Entry> {
    return this.entries.values();
  }

  /** Resolves once every registration's persisted state has been read. */
  async loaded(): Promise<void> {
    await Promise.all([...this.stateLoads]);
  }

  /** Whether any registration listens to this event type. */
  wants(eventType: string): boolean {
    return this.interest.has(eventType) || this.interest.has("*");
  }

  /** The enabled registrations an event goes to: its type, and its condition when there is one. */
  *matching(envelope: AnyEventEnvelope): Generator<Entry> {
    for (const reg of this.entries.values()) {
      if (reg.disabled || (reg.eventType !== "*" && reg.eventType !== envelope.event_type)) continue;
      if (reg.condition && !this.conditionHolds(reg, envelope)) continue;
      yield reg;
    }
  }

  private conditionHolds(reg: Entry, envelope: AnyEventEnvelope): boolean {
    try {
      return reg.condition!(envelope.data as Record<string, unknown>, envelope) === true;
    } catch (err) {
      // A function condition given in code threw (a CEL condition never throws: see condition.ts).
      this.log.debug({ registration_id: reg.id, event_type: envelope.event_type, err: errorText(err) }, "webhook condition did not match");
      return false;
    }
  }

  /** The registrations' start-up checks (JIRA's create metadata), each function once; the first failure rejects. */
  async preflight(): Promise<void> {
    await this.loaded();
    const checks = new Set<() => Promise<void>>();
    for (const r of this.entries.values()) if (r.preflight && !r.disabled) checks.add(r.preflight);
    for (const check of checks) await check();
  }

  /** Marks it disabled (the caller persists it). */
  setDisabled(entry: Entry, reason: string | null): void {
    entry.disabled = reason !== null;
    entry.disabledReason = reason;
  }

  /** What `list()` shows: never the full URL, the headers or the secret. */
  list(): RegistrationInfo[] {
    return [...this.entries.values()].map((r) => ({
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

  private updateInterest(): void {
    this.interest = new Set([...this.entries.values()].map((r) => r.eventType));
  }
}
