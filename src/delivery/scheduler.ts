/**
 * The scheduler: the delivery loop. It claims due outbox rows, a chunk at a time, and launches
 * them within a global concurrency limit and a per-endpoint one, round-robin across endpoints,
 * so a slow endpoint cannot hold up a fast one. Deliveries claimed ahead of sending stay leased
 * in the store (leases.ts keeps the leases). It knows nothing of HTTP: `attempt` (attempt.ts)
 * sends one delivery.
 */
import { setMaxListeners } from "node:events";
import type { WebhookDeliveryRecord, WebhookStore } from "../store/store.js";
import type { Batches } from "./batches.js";
import type { Breaker } from "./breaker.js";
import { Leases } from "./leases.js";
import type { Pacer } from "./pacer.js";
import type { Registry } from "./registry.js";
import { errorText } from "./redaction.js";
import type { Tuning } from "./settings.js";
import type { Log } from "../logging/log.js";

/** Deliveries claimed ahead of sending, per endpoint, at most: one claim (one transaction) feeds many requests. */
const CLAIM_AHEAD = 32;

interface EndpointGroup {
  /** The registrations' paceKey: the endpoint, or the endpoint and a pace key (a Slack channel, a PagerDuty routing key). */
  key: string;
  /** The endpoint (its circuit breaker). */
  endpointKey: string;
  registrationIds: string[];
  cap: number;
  probe: boolean;
  /** Paced by a service's limit: launched one by one, nothing claimed ahead. */
  paced: { intervalMs: number } | null;
}

export interface SchedulerDeps {
  store: WebhookStore;
  log: Log;
  registry: Registry;
  breaker: Breaker;
  pacer: Pacer;
  batches: Batches;
  tuning: Tuning;
  instanceId: string;
  leaseMs: number;
  now: () => number;
  /** Sends one claimed delivery and records its outcome. */
  attempt: (delivery: WebhookDeliveryRecord) => Promise<void>;
}

export class Scheduler {
  private running = false;
  private pumping = false;
  private pumpAgain = false;
  private kickScheduled = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly leases: Leases;
  private stopController = new AbortController();
  private roundRobin = 0;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly inFlightByKey = new Map<string, number>();
  /**
   * Deliveries claimed ahead, per endpoint key: in flight in the store (attempt counted), not yet
   * sent. Launched as slots free up; released (attempt not counted) when their endpoint's circuit
   * opens, their registration goes away or is disabled, or the manager stops.
   */
  private readonly ready = new Map<string, WebhookDeliveryRecord[]>();

  constructor(private readonly deps: SchedulerDeps) {
    this.leases = new Leases({
      ...deps,
      claimedAhead: () => new Set([...this.ready.values()].flatMap((q) => q.map((d) => d.id))),
      forget: (ids) => {
        for (const [key, queue] of this.ready) {
          const keep = queue.filter((d) => !ids.has(d.id));
          if (keep.length > 0) this.ready.set(key, keep);
          else this.ready.delete(key);
        }
      },
      running: () => this.running,
      onReclaimed: () => this.kick(),
    });
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Aborted when stop() gives up waiting for the requests in flight. */
  get signal(): AbortSignal {
    return this.stopController.signal;
  }

  /**
   * Puts deliveries whose lease expired (their process died) back in the queue, then starts the
   * loop and the lease heartbeat. Deliveries other live instances hold are left alone.
   */
  async start(now: number): Promise<void> {
    await this.leases.start(now);
  }

  /** Runs the loop (after start() and whatever the manager does in between). */
  run(): void {
    this.stopController = new AbortController();
    setMaxListeners(0, this.stopController.signal); // one listener per request in flight
    this.running = true;
    void this.pump();
  }

  /** Launches nothing more (stop() then drains what is in flight). */
  halt(): void {
    this.running = false;
  }

  /** Stops the loop: requests in flight may finish (up to stopTimeoutMs), then are aborted. Claimed-ahead ones go back. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.inFlight.values()]),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, this.deps.tuning.stopTimeoutMs))),
      ]);
      clearTimeout(timer);
      this.stopController.abort(new Error("webhook manager stopping"));
      await Promise.allSettled([...this.inFlight.values()]);
    }
    await this.releaseReady(() => true);
  }

  /** After the last results are written: nothing is held any more. */
  stopHeartbeat(): void {
    this.leases.stop();
  }

  /** Runs the loop at the end of this turn (something changed: new rows, a finished request, an enabled registration). */
  kick(): void {
    if (!this.running || this.kickScheduled) return;
    this.kickScheduled = true;
    setImmediate(() => {
      this.kickScheduled = false;
      void this.pump();
    });
  }

  /** Puts claimed-ahead deliveries back in the outbox (attempt not counted). */
  async releaseReady(which: (delivery: WebhookDeliveryRecord, key: string) => boolean): Promise<void> {
    const released: WebhookDeliveryRecord[] = [];
    for (const [key, queue] of this.ready) {
      const keep = queue.filter((d) => !which(d, key));
      if (keep.length === queue.length) continue;
      released.push(...queue.filter((d) => which(d, key)));
      if (keep.length > 0) this.ready.set(key, keep);
      else this.ready.delete(key);
    }
    await this.release(released);
  }

  /** Whether anything is claimed ahead (for `key` when given). */
  holdsReady(key?: string): boolean {
    return key === undefined ? this.ready.size > 0 : this.ready.has(key);
  }

  private async release(deliveries: WebhookDeliveryRecord[]): Promise<void> {
    const now = this.deps.now();
    for (const d of deliveries) {
      await this.deps.store
        .releaseWebhookDelivery(d.id, now, this.deps.instanceId)
        .catch((err: unknown) => this.deps.log.error({ delivery_id: d.id, err: errorText(err) }, "could not release a webhook delivery"));
    }
  }

  // --- the loop ---

  private async pump(): Promise<void> {
    if (!this.running) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        await this.deps.batches.flushDue();
        await this.fill();
      } while (this.pumpAgain && this.running);
    } catch (err) {
      this.deps.log.error({ err: errorText(err) }, "webhook delivery loop error");
    } finally {
      this.pumping = false;
    }
    if (this.running) await this.arm().catch((err: unknown) => this.deps.log.error({ err: errorText(err) }, "webhook delivery loop error"));
  }

  /** Sleeps until the next due delivery, circuit probe, pace or batch timeout (at most pollIntervalMs). */
  private async arm(): Promise<void> {
    const { store, breaker, pacer, batches, tuning } = this.deps;
    const now = this.deps.now();
    let next = now + tuning.pollIntervalMs;
    // With requests in flight, each completion runs the loop again: no need to look for due rows.
    if (this.inFlight.size === 0) {
      const groups = this.endpointGroups(now, true);
      const due = await store.nextWebhookDeliveryAt(groups.flatMap((g) => g.registrationIds));
      if (due !== null) next = Math.min(next, due);
    }
    for (const wake of [breaker.nextWake(now), pacer.nextWake(now), batches.nextWake()]) if (wake !== null) next = Math.min(next, wake);
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = null;
        void this.pump();
      },
      Math.max(5, next - now),
    );
    this.timer.unref();
  }

  /** Registrations grouped by endpoint (and pace key), with how many more requests each may take now. */
  private endpointGroups(now: number, forTimer = false): EndpointGroup[] {
    interface Gathered {
      endpointKey: string;
      registrationIds: string[];
      pace: { concurrency: number | null; intervalMs: number } | null;
    }
    const byKey = new Map<string, Gathered>();
    for (const r of this.deps.registry.all()) {
      if (r.disabled || !r.loaded) continue;
      const g = byKey.get(r.paceKey) ?? { endpointKey: r.endpointKey, registrationIds: [], pace: null };
      g.registrationIds.push(r.id);
      if (r.pace) {
        // Registrations sharing a key share the strictest of their paces.
        const c = g.pace?.concurrency ?? null;
        const concurrency = c === null ? r.pace.concurrency : r.pace.concurrency === null ? c : Math.min(c, r.pace.concurrency);
        g.pace = { concurrency, intervalMs: Math.max(g.pace?.intervalMs ?? 0, r.pace.intervalMs) };
      }
      byKey.set(r.paceKey, g);
    }
    const groups: EndpointGroup[] = [];
    for (const [key, { endpointKey, registrationIds, pace }] of byKey) {
      if (this.deps.pacer.isWaiting(key, now)) continue; // waits for its pace or a hold (arm() wakes the loop then)
      const inFlight = this.inFlightByKey.get(key) ?? 0;
      const paced = pace ? { intervalMs: pace.intervalMs } : null;
      const circuit = this.deps.breaker.state(endpointKey, now);
      if (circuit === "open") continue; // paused, or its probe is out
      if (circuit === "probe") {
        if (inFlight > 0) continue;
        groups.push({ key, endpointKey, registrationIds, cap: 1, probe: true, paced });
        continue;
      }
      let cap = this.deps.tuning.perEndpointConcurrency - inFlight;
      if (pace) {
        if (pace.concurrency !== null) cap = Math.min(cap, pace.concurrency - inFlight);
        if (pace.intervalMs > 0) cap = Math.min(cap, 1);
      }
      if (cap > 0 || forTimer) groups.push({ key, endpointKey, registrationIds, cap, probe: false, paced });
    }
    return forTimer ? groups.filter((g) => g.cap > 0) : groups;
  }

  private async fill(): Promise<void> {
    let free = this.deps.tuning.concurrency - this.inFlight.size;
    if (free <= 0) return;
    const now = this.deps.now();
    const groups = this.endpointGroups(now);
    if (groups.length === 0) return;
    // Round-robin: a different endpoint goes first each time, and each gets a fair share of the free slots.
    const start = this.roundRobin++ % groups.length;
    let active = [...groups.slice(start), ...groups.slice(0, start)];
    while (free > 0 && active.length > 0 && this.running) {
      const share = Math.max(1, Math.floor(free / active.length));
      const again: EndpointGroup[] = [];
      for (const group of active) {
        if (free <= 0) break;
        const want = Math.min(share, group.cap, free);
        const launched = await this.take(group, want, now);
        free -= launched;
        group.cap -= launched;
        if (launched === want && group.cap > 0 && !group.probe) again.push(group);
      }
      active = again;
    }
  }

  /**
   * Launches up to `want` deliveries of the group: those claimed ahead first, then a fresh claim
   * of what is missing plus up to CLAIM_AHEAD more (not for a probe), kept for the next free slots.
   */
  private async take(group: EndpointGroup, want: number, now: number): Promise<number> {
    let launched = 0;
    if (group.probe && this.deps.breaker.isProbing(group.endpointKey)) return 0; // another key of the endpoint probes it
    const launchReady = () => {
      const queue = this.ready.get(group.key);
      while (queue && queue.length > 0 && launched < want) {
        const delivery = queue.shift()!;
        const reg = this.deps.registry.get(delivery.registrationId);
        if (!reg || reg.disabled) {
          void this.release([delivery]);
          continue;
        }
        this.launch(delivery, group);
        launched++;
      }
      if (queue?.length === 0) this.ready.delete(group.key);
    };
    launchReady();
    if (launched < want) {
      // A paced key claims one at a time: what waits for its turn stays pending in the outbox.
      const ahead = group.probe || group.paced ? 0 : CLAIM_AHEAD;
      const claimed = await this.deps.store.claimWebhookDeliveries(group.registrationIds, now, want - launched + ahead, {
        owner: this.deps.instanceId,
        expiresAt: now + this.deps.leaseMs,
      });
      if (!this.running) {
        await this.release(claimed); // stopped meanwhile
        return launched;
      }
      if (claimed.length > 0) {
        const queue = this.ready.get(group.key);
        if (queue) queue.push(...claimed);
        else this.ready.set(group.key, claimed);
        launchReady();
      }
    }
    return launched;
  }

  private launch(delivery: WebhookDeliveryRecord, group: EndpointGroup): void {
    if (group.probe) this.deps.breaker.startProbe(group.endpointKey);
    if (group.paced) this.deps.pacer.started(group.key, group.paced.intervalMs);
    this.inFlightByKey.set(group.key, (this.inFlightByKey.get(group.key) ?? 0) + 1);
    const run = this.deps
      .attempt(delivery)
      .catch((err: unknown) =>
        this.deps.log.error({ delivery_id: delivery.id, err: errorText(err) }, "webhook delivery attempt failed unexpectedly"),
      )
      .finally(() => {
        this.inFlight.delete(delivery.id);
        const n = (this.inFlightByKey.get(group.key) ?? 1) - 1;
        if (n > 0) this.inFlightByKey.set(group.key, n);
        else this.inFlightByKey.delete(group.key);
        this.kick();
      });
    this.inFlight.set(delivery.id, run);
  }
}
