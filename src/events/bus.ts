/**
 * The in-process event bus. Emitters never wait for listeners: `emit` returns the envelope at
 * once and handlers run later, each isolated, so a slow, hanging or throwing listener (a dead
 * Slack endpoint) can never delay or break a review.
 *
 * One exception, opted into on both sides: a handler subscribed with `{ durable: true }` (the
 * webhook outbox) must not lose an event, so its failure is reported to whoever emitted the event
 * inside `bus.scope(fn)` (a job): `bus.flush()` in the scope, and the scope's end, wait for the
 * durable handlers of the events emitted in it and throw EventHandlingError if one failed, so
 * the job fails and its retry emits the events again. Emitting still never waits.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { EVENT_TYPES, type AnyEventEnvelope, type EventData, type EventEnvelope } from "./catalog.js";
import { createEnvelope, type EnvelopeOptions } from "./envelope.js";
import type { Log } from "../logging/log.js";
import { errorMessage } from "../text/errorMessage.js";

export const WILDCARD = "*";

/** `"*"` receives every event; any other string receives that type (typed if in the catalog). */
export type EventHandler<T extends string> = (event: T extends typeof WILDCARD ? AnyEventEnvelope : EventEnvelope<T>) => unknown;

type AnyHandler = (event: AnyEventEnvelope) => unknown;

interface Entry {
  handler: AnyHandler;
  once: boolean;
  durable: boolean;
}

export interface SubscribeOptions {
  /**
   * The emitter must learn when this handler fails for its event (it returns a promise that
   * rejects when the event could not be kept): the failure fails the emitter's `bus.scope`.
   * Still logged and reported as an `error` event like any handler failure.
   */
  durable?: boolean;
}

/** The durable handler calls of the events emitted inside one `bus.scope`, and their failures. */
interface Scope {
  pending: Set<Promise<void>>;
  failures: unknown[];
}

/** Thrown by `bus.flush()` and `bus.scope()` when a durable handler failed for an event emitted in the scope. */
export class EventHandlingError extends Error {
  override readonly name = "EventHandlingError";
  /** The distinct failures (one per outbox batch, not per event). */
  constructor(readonly failures: readonly unknown[]) {
    const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : "";
    super(`an event emitted here was not kept by a durable listener: ${describe(failures[0])}${more}`);
  }
}

export interface EventBusOptions extends EnvelopeOptions {
  logger?: Pick<Log, "error">;
}

const NO_ENTRIES: readonly Entry[] = Object.freeze([]);

export class EventBus {
  /** Copy-on-write lists: emit reads the current list without copying it, add and remove replace it. */
  private readonly listeners = new Map<string, readonly Entry[]>();
  /**
   * Handler calls waiting to run, as (entry, envelope, scope) triples in one flat array: every
   * call queued before the next microtask runs in that one microtask, in emit order.
   */
  private queue: unknown[] = [];
  private queueHead = 0;
  private drainScheduled = false;
  /** Async handler calls (those that returned a thenable) not yet settled. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly declared = new Set<string>();
  /** The emitter's scope, if it emits inside `scope()`. */
  private readonly scopes = new AsyncLocalStorage<Scope>();
  /** A durable handler's failure shared by several calls (one outbox batch for many events) is logged and reported once. */
  private readonly reported = new WeakSet<object>();
  private readonly logger?: Pick<Log, "error">;
  private readonly envelopeOptions: EnvelopeOptions;

  constructor(options: EventBusOptions = {}) {
    this.logger = options.logger;
    this.envelopeOptions = { now: options.now, newId: options.newId };
  }

  /** Subscribes; returns a function that unsubscribes. */
  on<T extends string>(type: T, handler: EventHandler<T>, options: SubscribeOptions = {}): () => void {
    return this.add(type, handler as AnyHandler, false, options.durable === true);
  }

  /** Subscribes for the next event of that type only. */
  once<T extends string>(type: T, handler: EventHandler<T>, options: SubscribeOptions = {}): () => void {
    return this.add(type, handler as AnyHandler, true, options.durable === true);
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
    return (this.queue.length - this.queueHead) / 3 + this.inFlight.size;
  }

  /**
   * Builds the envelope, schedules the handlers and returns at once. Throws only for a
   * programmer error (empty type, "*", data that is not a serialisable object).
   */
  emit<T extends string>(event: { type: T; data: EventData<T> }): EventEnvelope<T> {
    return this.dispatch(this.envelope(event));
  }

  /** Builds the envelope `emit` would send, without sending it (a caller that must keep it first). */
  envelope<T extends string>(event: { type: T; data: EventData<T> }): EventEnvelope<T> {
    checkType(event.type);
    return createEnvelope(event.type, event.data, this.envelopeOptions);
  }

  /**
   * Sends an envelope built earlier, with its id and timestamp: an event kept until its
   * listeners confirmed it (see EmpathyOS.recordFeedback) is sent again under the same id, which
   * the outbox recognises.
   */
  publish(envelope: AnyEventEnvelope): AnyEventEnvelope {
    checkType(envelope.event_type);
    const timestamp = new Date(envelope.timestamp);
    return this.dispatch(createEnvelope(envelope.event_type, envelope.data, { newId: () => envelope.id, now: () => timestamp }));
  }

  private dispatch<T extends string>(envelope: EventEnvelope<T>): EventEnvelope<T> {
    // The lists are never mutated in place, so these are snapshots: handlers added later don't
    // see this event; once-handlers are removed now and fire once.
    const typed = this.listeners.get(envelope.event_type) ?? NO_ENTRIES;
    const wildcard = this.listeners.get(WILDCARD) ?? NO_ENTRIES;
    if (typed.length + wildcard.length === 0) return envelope;
    const scope = this.scopes.getStore();
    const queue = this.queue;
    for (let i = 0; i < typed.length; i++) {
      const entry = typed[i];
      if (entry.once) this.removeEntry(entry);
      queue.push(entry, envelope, scope);
    }
    for (let i = 0; i < wildcard.length; i++) {
      const entry = wildcard[i];
      if (entry.once) this.removeEntry(entry);
      queue.push(entry, envelope, scope);
    }
    if (!this.drainScheduled) {
      // The microtask hop makes even a synchronous handler run after emit has returned. The drain
      // runs outside any scope: each call runs in its own event's scope (see drain).
      this.drainScheduled = true;
      if (scope === undefined) queueMicrotask(this.drain);
      else this.scopes.exit(queueMicrotask, this.drain);
    }
    return envelope;
  }

  /**
   * Runs `fn` in a scope: the events it emits (also from awaited calls, timers and handlers of
   * its events) are the scope's. Once `fn` has finished, waits for the durable handlers of
   * those events and throws EventHandlingError if one failed; `fn`'s own error comes first.
   */
  async scope<T>(fn: () => T | Promise<T>): Promise<T> {
    const scope: Scope = { pending: new Set(), failures: [] };
    const value = await this.scopes.run(scope, fn);
    await this.checkScope(scope);
    return value;
  }

  /**
   * Inside `scope()`: resolves once the durable handlers of the events emitted so far in the
   * scope have finished; throws EventHandlingError if one failed (then every later flush of the
   * scope throws too). A job awaits it before recording that it is done, so that its retry
   * emits the events again. Outside a scope nothing is attributed to the caller: resolves.
   */
  async flush(): Promise<void> {
    const scope = this.scopes.getStore();
    if (scope) await this.checkScope(scope);
  }

  private async checkScope(scope: Scope): Promise<void> {
    for (;;) {
      // Calls still queued run in the drain microtask already scheduled: one hop lets it finish.
      if (this.queue.length > this.queueHead) await Promise.resolve();
      else if (scope.pending.size > 0) await Promise.allSettled([...scope.pending]);
      else break;
    }
    if (scope.failures.length > 0) throw new EventHandlingError(scope.failures);
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

  private add(type: string, handler: AnyHandler, once: boolean, durable: boolean): () => void {
    if (type !== WILDCARD) checkType(type);
    if (typeof handler !== "function") throw new TypeError("handler must be a function");
    const entry: Entry = { handler, once, durable };
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
   * other calls (a durable handler's failure is only recorded in the emitter's scope). A
   * promise is made only for a handler that returned a thenable.
   */
  private readonly drain = (): void => {
    const queue = this.queue;
    let lastResult: unknown;
    let lastScope: Scope | undefined;
    try {
      while (this.queueHead < queue.length) {
        const entry = queue[this.queueHead] as Entry;
        const envelope = queue[this.queueHead + 1] as AnyEventEnvelope;
        const scope = queue[this.queueHead + 2] as Scope | undefined;
        queue[this.queueHead] = undefined;
        queue[this.queueHead + 1] = undefined;
        queue[this.queueHead + 2] = undefined;
        this.queueHead += 3;
        const kept = entry.durable ? scope : undefined;
        try {
          // In the event's scope, so that what the handler emits belongs to the same emitter.
          const result = scope === undefined ? entry.handler(envelope) : this.scopes.run(scope, entry.handler, envelope);
          if (isThenable(result)) {
            // A handler returning one promise for a whole batch (the outbox) is tracked once per scope, not per event.
            if (result === lastResult && kept === lastScope) continue;
            lastResult = result;
            lastScope = kept;
            this.track(result, envelope, entry.durable, kept);
          }
        } catch (err) {
          if (kept && !kept.failures.includes(err)) kept.failures.push(err);
          this.onHandlerFailure(err, envelope, entry.durable);
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

  private track(result: PromiseLike<unknown>, envelope: AnyEventEnvelope, durable: boolean, scope: Scope | undefined): void {
    const call: Promise<void> = Promise.resolve(result).then(
      () => {
        this.inFlight.delete(call);
        scope?.pending.delete(call);
      },
      (err: unknown) => {
        this.inFlight.delete(call);
        if (scope) {
          if (!scope.failures.includes(err)) scope.failures.push(err);
          scope.pending.delete(call);
        }
        this.onHandlerFailure(err, envelope, durable);
      },
    );
    this.inFlight.add(call);
    scope?.pending.add(call);
  }

  private onHandlerFailure(err: unknown, envelope: AnyEventEnvelope, durable = false): void {
    if (durable && typeof err === "object" && err !== null) {
      if (this.reported.has(err)) return;
      this.reported.add(err);
    }
    const error_message = describe(err);
    const context = { event_type: envelope.event_type, event_id: envelope.id };
    try {
      this.logger?.error({ err, ...context }, "event handler failed");
    } catch {
      // A broken logger must not break the bus.
    }
    // A failing `error` handler is only logged: reporting it as another `error` could loop.
    if (envelope.event_type === "error") return;
    // Not the emitter's event: a job retried for this failure must not emit the report again.
    this.scopes.exit(() => this.emit({ type: "error", data: { error_type: "handler_error", error_message, context } }));
  }
}

/** The failure's message; never throws (a thrown value may have no usable toString). */
function describe(err: unknown): string {
  try {
    return errorMessage(err);
  } catch {
    return "handler failed with a value that cannot be described";
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null && (typeof value === "object" || typeof value === "function") && typeof (value as { then?: unknown }).then === "function"
  );
}

function checkType(type: unknown): asserts type is string {
  if (typeof type !== "string" || type.trim() === "") throw new TypeError("event type must be a non-empty string");
  if (type === WILDCARD) throw new TypeError(`"${WILDCARD}" is for subscribing, not an event type`);
}
