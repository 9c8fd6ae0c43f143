/**
 * Delivery leases: a claimed delivery is held by this instance for leaseMs. A heartbeat (every
 * third of it) renews this instance's leases, forgets claimed-ahead deliveries whose lease was
 * lost (another instance took them back: it sends them), and every half lease takes back expired
 * leases (a dead process's deliveries), so a crash delays its deliveries, never loses them.
 */
import type { WebhookStore } from "../store/store.js";
import { errorText } from "./redaction.js";
import type { Log } from "../logging/log.js";

export interface LeaseDeps {
  store: WebhookStore;
  log: Log;
  instanceId: string;
  leaseMs: number;
  now: () => number;
  /** Ids of the deliveries claimed ahead and not sent yet. */
  claimedAhead: () => Set<string>;
  /** Forgets those claimed-ahead deliveries (their lease was lost). */
  forget: (ids: Set<string>) => void;
  /** Whether the delivery loop runs: the heartbeat takes expired leases back only then. */
  running: () => boolean;
  /** Expired deliveries were put back in the queue (found by the heartbeat). */
  onReclaimed: () => void;
}

export class Leases {
  private heartbeat: NodeJS.Timeout | null = null;
  private nextReclaimAt = 0;

  constructor(private readonly deps: LeaseDeps) {}

  /** Takes back expired leases (deliveries other live instances hold are left alone), then starts the heartbeat. */
  async start(now: number): Promise<void> {
    await this.reclaimExpired(now);
    this.heartbeat = setInterval(() => void this.beat(), Math.max(10, Math.floor(this.deps.leaseMs / 3)));
    this.heartbeat.unref();
  }

  stop(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private async reclaimExpired(now: number): Promise<number> {
    this.nextReclaimAt = now + Math.floor(this.deps.leaseMs / 2);
    const requeued = await this.deps.store.reclaimExpiredWebhookDeliveries(now, this.deps.instanceId);
    if (requeued > 0) this.deps.log.warn({ requeued }, "requeued webhook deliveries whose lease expired (their process stopped)");
    return requeued;
  }

  /** This instance's in-flight and claimed-ahead deliveries keep their leases; expired ones come back. */
  private async beat(): Promise<void> {
    const { store, log, instanceId, leaseMs } = this.deps;
    try {
      const now = this.deps.now();
      const waiting = this.deps.claimedAhead(); // before the renewal
      const held = new Set(await store.renewWebhookDeliveryLeases(instanceId, now + leaseMs));
      // A claimed-ahead delivery whose lease was lost (taken back meanwhile) is another instance's now: not sent from here.
      const lost = [...waiting].filter((id) => !held.has(id));
      if (lost.length > 0) {
        this.deps.forget(new Set(lost));
        log.warn(
          { deliveries: lost.length, instance_id: instanceId },
          "webhook delivery leases lost: left to the instance that took them back",
        );
      }
      if (this.deps.running() && now >= this.nextReclaimAt && (await this.reclaimExpired(now)) > 0) this.deps.onReclaimed();
    } catch (err) {
      log.error({ err: errorText(err) }, "could not renew webhook delivery leases");
    }
  }
}
