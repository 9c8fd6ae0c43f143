/**
 * The outbox writer: the bus side of delivery. The "*" handler (durable) only buffers the events;
 * a few milliseconds later (outboxLingerMs) each matching registration's body is rendered and the
 * outbox rows are written, in one transaction for the whole batch: nothing on the emitting side
 * (`interact()`, a review) waits for an endpoint or for the store. A failed write is retried
 * (outboxWriteRetries); if the store stays unavailable the batch's promise rejects, which fails
 * the `bus.scope` of every job that emitted one of its events, so the job fails and its retry
 * emits them again (dedupe keys keep a prediction from going out twice). Only an event emitted
 * outside any scope can then be lost, and the log names it.
 */
import type { EventBus } from "../events/bus.js";
import type { AnyEventEnvelope } from "../events/catalog.js";
import type { NewWebhookBatchItem, NewWebhookDelivery, NewWebhookEvent, WebhookStore } from "../store/store.js";
import type { DeliveryIds } from "./ids.js";
import { dedupeKey } from "./registration.js";
import type { Registry } from "./registry.js";
import { errorText } from "./redaction.js";
import { bodyToStore, logDeadOnArrival } from "./render.js";
import type { Tuning } from "./settings.js";
import type { Log } from "../logging/log.js";

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
    super(
      `could not write ${eventIds.length} webhook event${eventIds.length === 1 ? "" : "s"} to the outbox after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${cause}`,
    );
  }
}

/** Buffered events written at the end of the turn, without waiting for the linger, once there are this many. */
const OUTBOX_FLUSH_COUNT = 1000;

export interface OutboxWriterDeps {
  bus: EventBus;
  store: WebhookStore;
  log: Log;
  registry: Registry;
  ids: DeliveryIds;
  now: () => number;
  tuning: Tuning;
  /** Rows were written (`batched`: some went to a registration's batch). */
  onWritten: (batched: boolean, now: number) => void;
}

export class OutboxWriter {
  private unsubscribe: (() => void) | null = null;
  /** Events received from the bus, written to the outbox together (one transaction), outboxLingerMs after the first. */
  private buffered: AnyEventEnvelope[] = [];
  /** Settles when the buffered events are written (rejects if they could not be): the bus handler's result for each of them. */
  private bufferDone: Deferred | null = null;
  /** Cancels the scheduled write of the buffer (null once it has fired or when nothing is buffered). */
  private cancelBufferWrite: (() => void) | null = null;
  /** The outbox write under way, with its retries (never rejects). One at a time, so events are written in emit order. */
  private writing: Promise<void> | null = null;

  constructor(private readonly deps: OutboxWriterDeps) {}

  subscribe(): void {
    // Durable: a batch that cannot be written fails the emitting jobs' bus scopes instead of vanishing.
    if (!this.unsubscribe) this.unsubscribe = this.deps.bus.on("*", this.onEvent, { durable: true });
  }

  /** Stops listening, then writes what is buffered (the write under way first, each with its retries). */
  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.flushBuffer();
    while (this.writing) await this.writing;
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
    if (!this.deps.registry.wants(envelope.event_type)) return;
    this.buffered.push(envelope);
    if (!this.bufferDone) {
      this.bufferDone = deferred();
      const linger = this.deps.tuning.outboxLingerMs;
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

  /** Renders each matching registration's body and writes the outbox rows, in one transaction. */
  private async writeEvents(events: AnyEventEnvelope[]): Promise<void> {
    const { registry, ids, log } = this.deps;
    const stored: NewWebhookEvent[] = [];
    const deliveries: NewWebhookDelivery[] = [];
    const batchItems: NewWebhookBatchItem[] = [];
    const now = this.deps.now();
    // An event sent twice under one id (owed feedback events sent again) is written once.
    const seen = events.length > 1 ? new Set<string>() : undefined;
    for (const envelope of events) {
      if (seen) {
        if (seen.has(envelope.id)) continue;
        seen.add(envelope.id);
      }
      let kept = false;
      for (const reg of registry.matching(envelope)) {
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
        const id = ids.next();
        const { body = null, error } = bodyToStore(reg, [envelope], { id, batch: false });
        deliveries.push({
          id,
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
    for (const d of deliveries) if (d.status === "dead") logDeadOnArrival(log, registry, d);
    this.deps.onWritten(batchItems.length > 0, now);
  }

  /**
   * Writes the rows, trying again after outboxRetryDelayMs (doubled each time) up to
   * outboxWriteRetries times: a full disk or a locked database often clears within a second.
   * Then gives up with OutboxWriteError: the batch's promise rejects and the emitting jobs are
   * retried later. The same rows (same delivery ids) are written on each try; a failed write
   * wrote nothing (one transaction).
   */
  private async enqueue(input: Parameters<WebhookStore["enqueueWebhookEvent"]>[0], now: number, events: AnyEventEnvelope[]): Promise<void> {
    const { store, log, tuning } = this.deps;
    const retries = Math.max(0, tuning.outboxWriteRetries);
    for (let attempt = 1; ; attempt++) {
      try {
        await store.enqueueWebhookEvent(input, now);
        if (attempt > 1) log.info({ events: events.length, attempt }, "webhook events written to the outbox after a retry");
        return;
      } catch (err) {
        const fields = { err: errorText(err), events: events.length, attempt, event_types: [...new Set(events.map((e) => e.event_type))] };
        if (attempt > retries) {
          log.error(
            { ...fields, event_ids: events.slice(0, 20).map((e) => e.id) },
            "could not write webhook events to the outbox: the jobs that emitted them fail and are retried (see bus.scope)",
          );
          throw new OutboxWriteError(
            events.map((e) => e.id),
            attempt,
            errorText(err),
          );
        }
        const wait = tuning.outboxRetryDelayMs * 2 ** (attempt - 1);
        log.warn({ ...fields, retry_in_ms: wait }, "could not write webhook events to the outbox, will retry");
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }
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
