/**
 * Webhook attempts by registration and outcome, and their latency, from a real WebhookManager
 * delivering to a loopback HTTP receiver; the outbox's depth read from the store when scraped.
 */
import { AppMetrics, MAX_REGISTRATIONS } from "../../src/metrics/metrics.js";
import type { SettledAttempt } from "../../src/delivery/types.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { Receiver, setup, waitFor, type Setup } from "../delivery/helpers.js";
import { samplesOf, valueOf } from "./exposition.js";

describe("AppMetrics: webhook deliveries", () => {
  const receivers: Receiver[] = [];
  const setups: Setup[] = [];
  afterEach(async () => {
    for (const s of setups.splice(0)) await s.manager.stop();
    for (const r of receivers.splice(0)) await r.close();
  });

  async function receiver(): Promise<Receiver> {
    const r = await new Receiver().listen();
    receivers.push(r);
    return r;
  }

  /** A manager whose attempts are observed (WebhookManagerOptions' onAttemptSettled), on its own in-memory store. */
  function make(observe: (a: SettledAttempt) => void, store = new SqliteStore(":memory:")): Setup {
    const s = setup({ store, onAttemptSettled: observe } as Parameters<typeof setup>[0]);
    setups.push(s);
    return s;
  }

  it("counts each attempt by registration and outcome, with its latency", async () => {
    const ok = await receiver();
    const flaky = await receiver();
    const gone = await receiver();
    ok.reply = () => ({ delayMs: 60 });
    flaky.reply = (_req, i) => ({ status: i === 0 ? 500 : 202 });
    gone.reply = () => ({ status: 404 });
    const store = new SqliteStore(":memory:");
    const metrics = new AppMetrics({ store, processMetrics: false });
    const { bus, manager } = make(metrics.attemptSettled, store);
    manager.register({ id: "ok", eventType: "test", url: ok.url() });
    manager.register({ id: "teams", eventType: "test", url: flaky.url(), acceptedStatuses: [202] });
    manager.register({ id: "gone", eventType: "test", url: gone.url() });
    await manager.start();
    bus.emit({ type: "test", data: { n: 1 } });
    bus.emit({ type: "test", data: { n: 2 } });
    await waitFor(async () => {
      const c = await manager.counts();
      return c.delivered === 4 && c.dead === 2;
    });
    const t = (await metrics.exposition()).body;
    const attempts = (registration: string, outcome: string) => valueOf(t, "empathy_webhook_attempts_total", { registration, outcome });
    expect(attempts("ok", "delivered")).toBe(2);
    expect(attempts("teams", "failed")).toBe(1);
    expect(attempts("teams", "accepted")).toBe(2);
    expect(attempts("gone", "dead")).toBe(2);
    expect(valueOf(t, "empathy_webhook_attempt_duration_seconds_count", { registration: "ok" })).toBe(2);
    // The receiver waited 60 ms before answering: each attempt took at least that.
    expect(valueOf(t, "empathy_webhook_attempt_duration_seconds_bucket", { registration: "ok", le: "0.05" })).toBe(0);
    expect(valueOf(t, "empathy_webhook_attempt_duration_seconds_bucket", { registration: "ok", le: "5" })).toBe(2);
    expect(valueOf(t, "empathy_webhook_attempt_duration_seconds_count", { registration: "teams" })).toBe(3);
    expect(valueOf(t, "empathy_webhook_deliveries", { status: "delivered" })).toBe(4);
    expect(valueOf(t, "empathy_webhook_deliveries", { status: "dead" })).toBe(2);
    expect(valueOf(t, "empathy_webhook_deliveries", { status: "pending" })).toBe(0);
  });

  it("an observer that throws is logged and the delivery is unaffected", async () => {
    const rx = await receiver();
    const { bus, manager, logs } = make(() => {
      throw new Error("observer broke");
    });
    manager.register({ eventType: "test", url: rx.url() });
    await manager.start();
    bus.emit({ type: "test", data: {} });
    await waitFor(async () => (await manager.counts()).delivered === 1);
    expect(logs.lines.filter((l) => l.msg === "webhook attempt observer failed")).toHaveLength(1);
  });

  it("bounds the registrations: past the ceiling they are counted as other", async () => {
    const metrics = new AppMetrics({ store: new SqliteStore(":memory:"), processMetrics: false });
    for (let i = 0; i < MAX_REGISTRATIONS + 5; i++) {
      metrics.attemptSettled({ registrationId: `r${i}`, status: "delivered", statusCode: 200, durationMs: 5 });
    }
    const t = (await metrics.exposition()).body;
    expect(samplesOf(t, "empathy_webhook_attempts_total")).toHaveLength(MAX_REGISTRATIONS + 1);
    expect(valueOf(t, "empathy_webhook_attempts_total", { registration: "other", outcome: "delivered" })).toBe(5);
  });
});
