/**
 * Batching: a registration with batchSize > 1 collects its events as batch items; a batch becomes
 * one delivery when it is full, or batchTimeoutMs after its first event. Several instances may
 * flush the same items: the store lets one of them win.
 */
import type { NewWebhookDelivery, WebhookBatchItem, WebhookStore } from "../store/store.js";
import type { DeliveryIds } from "./ids.js";
import type { Entry, Registry } from "./registry.js";
import { bodyToStore, logDeadOnArrival } from "./render.js";
import type { TemplateEnvelope } from "./template.js";
import type { Log } from "../logging/log.js";

export class Batches {
  /** When to look at the batches next (null: no batch is waiting for its timeout). */
  private nextAt: number | null = null;

  constructor(
    private readonly store: WebhookStore,
    private readonly log: Log,
    private readonly registry: Registry,
    private readonly ids: DeliveryIds,
    private readonly now: () => number,
  ) {}

  /** Look at the batches at the next turn of the loop (new items were written, or a previous process left some). */
  due(now: number): void {
    this.nextAt = now;
  }

  /** When a batch times out next (the delivery loop wakes then), or null. */
  nextWake(): number | null {
    return this.nextAt;
  }

  /** Flushes every batch that is full or timed out. */
  async flushDue(): Promise<void> {
    if (this.nextAt === null || this.nextAt > this.now()) return;
    const now = this.now();
    let next: number | null = null;
    for (const stat of await this.store.webhookBatchStats()) {
      const reg = this.registry.get(stat.registrationId);
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
        await this.flush(reg, items, now);
        if (items.length < size) break;
      }
    }
    this.nextAt = next;
  }

  private async flush(reg: Entry, items: WebhookBatchItem[], now: number): Promise<void> {
    const id = this.ids.next();
    const types = new Set(items.map((i) => i.eventType));
    const envelopes = reg.template ? items.map((i) => JSON.parse(i.envelope) as TemplateEnvelope) : [];
    const { body = null, error } = bodyToStore(reg, envelopes, { id, batch: true });
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
    if (delivery.status === "dead") logDeadOnArrival(this.log, this.registry, delivery);
    this.log.debug({ delivery_id: id, registration_id: reg.id, origin: reg.origin, events: items.length }, "webhook batch flushed");
  }
}
