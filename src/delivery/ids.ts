/**
 * Delivery ids (each is also the Standard Webhooks webhook-id, the same on every attempt).
 *
 * One generator per manager rather than module state: its random suffix keeps the ids of two
 * managers (two processes, or two managers in one process, as in tests) apart, and its counter
 * keeps its own ids increasing.
 */
import { randomUUID } from "node:crypto";

export class DeliveryIds {
  private counter = 0;
  /** 64 random bits drawn once per generator: ids of two generators differ even in the same millisecond. */
  private readonly suffix = randomUUID().replace(/-/g, "").slice(0, 16);
  private ms = -1;
  private time = "";

  /**
   * `msg_` + time (base 36) + a counter + the generator's random suffix: unique across processes
   * and restarts, and increasing within a generator so outbox inserts append to the primary-key
   * index. No fresh randomness per id: ten registrations make ten ids per event.
   */
  next(): string {
    const ms = Date.now();
    if (ms !== this.ms) {
      this.ms = ms;
      this.time = ms.toString(36).padStart(9, "0");
    }
    this.counter = (this.counter + 1) % 1_679_616;
    return `msg_${this.time}${this.counter.toString(36).padStart(4, "0")}${this.suffix}`;
  }
}
