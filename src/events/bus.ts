/**
 * The in-process event bus. Emitters never wait for listeners: `emit` returns the envelope at
 * once and handlers run later, each isolated, so a slow, hanging or throwing listener (a dead
 * Slack endpoint) can never delay or break a review.
 */
import { EVENT_TYPES, type AnyEventEnvelope, type EventData, type EventEnvelope } from "./catalog.js";
import { createEnvelope, type EnvelopeOptions } from "./envelope.js";

/** Pino-compatible subset. */
export interface BusLogger {
  error(obj: object, msg?: string): void;
}

export const WILDCARD = "*";

/** `"*"` receives every event; any other string receives that type (typed if in the catalog). */
export type EventHandler<T extends string> = (
  event: T extends typeof WILDCARD ? AnyEventEnvelope : EventEnvelope<T>,
) => unknown;

type AnyHandler = (event: AnyEventEnvelope) => unknown;

interface Entry {
  handler: AnyHandler;
  once: boolean;
}

export interface EventBusOptions extends EnvelopeOptions {
  logger?: BusLogger;
}

export class EventBus {
  private readonly listeners = new Map<string, Entry[]>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly declared = new Set<string>();
  private readonly logger?: BusLogger;
  private readonly envelopeOptions: EnvelopeOptions;

  constructor(options: EventBusOptions = {}) {
    this.logger = options.logger;
    this.envelopeOptions = { now: options.now, newId: options.newId };
  }

  /** Subscribes; returns a function that unsubscribes. */
  on<T extends string>(type: T, handler: EventHandler<T>): () => void {
    return this.add(type, handler as AnyHandler, false);
  }

  /** Subscribes for the next event of that type only. */
  once<T extends string>(type: T, handler: EventHandler<T>): () => void {
    return this.add(type, handler as AnyHandler, true);
  }

  /** Removes one registration of the handler; true if one was found. */
  off<T extends string>(type: T, handler: EventHandler<T>): boolean {
    const list = this.listeners.get(type);
    const i = list?.findIndex((e) => e.handler === (handler as AnyHandler)) ?? -1;
    if (!list || i < 0) return false;
    list.splice(i, 1);
    if (list.length === 0) this.listeners.delete(type);
    return true;
  }

  /** Registers a custom event type so it is listed (dashboards, webhook registration checks). */
  declare(type: string): void {
    checkType(type);
    this.declared.add(type);
  }

  /** Catalog types plus declared custom types. */
  get eventTypes(): string[] {
    return [...EVENT_TYPES, ...[...this.declared].filter((t) => !(EVENT_TYPES as readonly string[]).includes(t))];
  }

  /** Handler count per subscribed type (including "*"). */
  get handlers(): Record<string, number> {
    return Object.fromEntries([...this.listeners].map(([type, list]) => [type, list.length]));
  }

  /** Handler calls started and not yet finished. */
  get pending(): number {
    return this.inFlight.size;
  }

  /**
   * Builds the envelope, schedules the handlers and returns at once. Throws only for a
   * programmer error (empty type, "*", data that is not a serialisable object).
   */
  emit<T extends string>(event: { type: T; data: EventData<T> }): EventEnvelope<T> {
    checkType(event.type);
    const envelope = createEnvelope(event.type, event.data, this.envelopeOptions);
    // Snapshot now: handlers added later don't see this event; once-handlers fire once.
    const entries = [...(this.listeners.get(event.type) ?? []), ...(this.listeners.get(WILDCARD) ?? [])];
    for (const entry of entries) {
      if (entry.once) this.removeEntry(entry);
      this.run(entry.handler, envelope as AnyEventEnvelope);
    }
    return envelope;
  }

  /**
   * Resolves once every handler call in flight (including those of events emitted by handlers)
   * has finished. With `timeoutMs`, resolves at the latest then, so a hanging handler cannot
   * block a graceful shutdown forever.
   */
  async settled(options: { timeoutMs?: number } = {}): Promise<void> {
    const drain = async () => {
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    };
    if (options.timeoutMs === undefined) return drain();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, options.timeoutMs);
      timer.unref();
    });
    await Promise.race([drain(), timeout]);
    clearTimeout(timer);
  }

  private add(type: string, handler: AnyHandler, once: boolean): () => void {
    if (type !== WILDCARD) checkType(type);
    if (typeof handler !== "function") throw new TypeError("handler must be a function");
    const entry: Entry = { handler, once };
    const list = this.listeners.get(type) ?? [];
    list.push(entry);
    this.listeners.set(type, list);
    return () => this.removeEntry(entry);
  }

  private removeEntry(entry: Entry): void {
    for (const [type, list] of this.listeners) {
      const i = list.indexOf(entry);
      if (i >= 0) {
        list.splice(i, 1);
        if (list.length === 0) this.listeners.delete(type);
        return;
      }
    }
  }

  private run(handler: AnyHandler, envelope: AnyEventEnvelope): void {
    // The microtask hop makes even a synchronous handler run after emit has returned.
    const call: Promise<void> = Promise.resolve()
      .then(() => handler(envelope))
      .then(
        () => undefined,
        (err: unknown) => this.onHandlerFailure(err, envelope),
      )
      .finally(() => this.inFlight.delete(call));
    this.inFlight.add(call);
  }

  private onHandlerFailure(err: unknown, envelope: AnyEventEnvelope): void {
    const error_message = err instanceof Error ? err.message : String(err);
    const context = { event_type: envelope.event_type, event_id: envelope.id };
    try {
      this.logger?.error({ err, ...context }, "event handler failed");
    } catch {
      // A broken logger must not break the bus.
    }
    // A failing `error` handler is only logged: reporting it as another `error` could loop.
    if (envelope.event_type === "error") return;
    this.emit({ type: "error", data: { error_type: "handler_error", error_message, context } });
  }
}

function checkType(type: unknown): asserts type is string {
  if (typeof type !== "string" || type.trim() === "") throw new TypeError("event type must be a non-empty string");
  if (type === WILDCARD) throw new TypeError(`"${WILDCARD}" is for subscribing, not an event type`);
}
