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

const NO_ENTRIES: readonly Entry[] = Object.freeze([]);

export class EventBus {
  /** Copy-on-write lists: emit reads the current list without copying it, add and remove replace it. */
  private readonly listeners = new Map<string, readonly Entry[]>();
  /**
   * Handler calls waiting to run, as (handler, envelope) pairs in one flat array: every call
   * queued before the next microtask runs in that one microtask, in emit order.
   */
  private queue: unknown[] = [];
  private queueHead = 0;
  private drainScheduled = false;
  /** Async handler calls (those that returned a thenable) not yet settled. */
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
    const entry = this.listeners.get(type)?.find((e) => e.handler === (handler as AnyHandler));
    return entry !== undefined && this.removeEntry(entry);
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

  /** Handler calls scheduled or started and not yet finished. */
  get pending(): number {
    return (this.queue.length - this.queueHead) / 2 + this.inFlight.size;
  }

  /**
   * Builds the envelope, schedules the handlers and returns at once. Throws only for a
   * programmer error (empty type, "*", data that is not a serialisable object).
   */
  emit<T extends string>(event: { type: T; data: EventData<T> }): EventEnvelope<T> {
    checkType(event.type);
    const envelope = createEnvelope(event.type, event.data, this.envelopeOptions);
    // The lists are never mutated in place, so these are snapshots: handlers added later don't
    // see this event; once-handlers are removed now and fire once.
    const typed = this.listeners.get(event.type) ?? NO_ENTRIES;
    const wildcard = this.listeners.get(WILDCARD) ?? NO_ENTRIES;
    if (typed.length + wildcard.length === 0) return envelope;
    const queue = this.queue;
    for (let i = 0; i < typed.length; i++) {
      const entry = typed[i];
      if (entry.once) this.removeEntry(entry);
      queue.push(entry.handler, envelope);
    }
    for (let i = 0; i < wildcard.length; i++) {
      const entry = wildcard[i];
      if (entry.once) this.removeEntry(entry);
      queue.push(entry.handler, envelope);
    }
    if (!this.drainScheduled) {
      // The microtask hop makes even a synchronous handler run after emit has returned.
      this.drainScheduled = true;
      queueMicrotask(this.drain);
    }
    return envelope;
  }

  /**
   * Resolves once every handler call scheduled or in flight (including those of events emitted
   * by handlers) has finished. With `timeoutMs`, resolves at the latest then, so a hanging
   * handler cannot block a graceful shutdown forever.
   */
  async settled(options: { timeoutMs?: number } = {}): Promise<void> {
    const drain = async () => {
      for (;;) {
        // A non-empty queue has its drain microtask scheduled (or running): one hop lets it finish.
        if (this.queue.length > this.queueHead) await Promise.resolve();
        else if (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
        else return;
      }
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
    this.listeners.set(type, [...(this.listeners.get(type) ?? NO_ENTRIES), entry]);
    return () => void this.removeEntry(entry);
  }

  private removeEntry(entry: Entry): boolean {
    for (const [type, list] of this.listeners) {
      const i = list.indexOf(entry);
      if (i >= 0) {
        if (list.length === 1) this.listeners.delete(type);
        else this.listeners.set(type, [...list.slice(0, i), ...list.slice(i + 1)]);
        return true;
      }
    }
    return false;
  }

  /**
   * Runs every queued handler call, including those queued meanwhile by handlers that emit.
   * Each call is isolated: a throw, a rejection or a hang touches neither the emitter nor the
   * other calls. A promise is made only for a handler that returned a thenable.
   */
  private readonly drain = (): void => {
    const queue = this.queue;
    try {
      while (this.queueHead < queue.length) {
        const handler = queue[this.queueHead] as AnyHandler;
        const envelope = queue[this.queueHead + 1] as AnyEventEnvelope;
        queue[this.queueHead] = undefined;
        queue[this.queueHead + 1] = undefined;
        this.queueHead += 2;
        try {
          const result = handler(envelope);
          if (isThenable(result)) this.track(result, envelope);
        } catch (err) {
          this.onHandlerFailure(err, envelope);
        }
      }
    } finally {
      if (this.queueHead < queue.length) {
        // Only reachable if reporting a failure itself failed: the calls left run in the next microtask.
        queueMicrotask(this.drain);
      } else {
        this.queue = [];
        this.queueHead = 0;
        this.drainScheduled = false;
      }
    }
  };

  private track(result: PromiseLike<unknown>, envelope: AnyEventEnvelope): void {
    const call: Promise<void> = Promise.resolve(result).then(
      () => void this.inFlight.delete(call),
      (err: unknown) => {
        this.inFlight.delete(call);
        this.onHandlerFailure(err, envelope);
      },
    );
    this.inFlight.add(call);
  }

  private onHandlerFailure(err: unknown, envelope: AnyEventEnvelope): void {
    const error_message = describe(err);
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

/** The failure's message; never throws (a thrown value may have no usable toString). */
function describe(err: unknown): string {
  try {
    return err instanceof Error ? String(err.message) : String(err);
  } catch {
    return "handler failed with a value that cannot be described";
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

function checkType(type: unknown): asserts type is string {
  if (typeof type !== "string" || type.trim() === "") throw new TypeError("event type must be a non-empty string");
  if (type === WILDCARD) throw new TypeError(`"${WILDCARD}" is for subscribing, not an event type`);
}
