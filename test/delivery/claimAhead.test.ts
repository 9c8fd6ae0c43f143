/**
 * The delivery loop claims deliveries ahead of sending them (one claim, one transaction, for many
 * requests) and writes attempt results in batches. Neither may change what the outbox says:
 * deliveries claimed but never sent go back uncounted, and reads see every finished attempt.
 */
import { Receiver, setup, waitFor, type Setup } from "./helpers.js";

describe("WebhookManager claim-ahead and batched results", () => {
  const receivers: Receiver[] = [];
  const setups: Setup[] = [];
  afterEach(async () => {
    for (const s of setups.splice(0)) await s.manager.stop();
    for (const r of receivers.splice(0)) await r.close();
  });

  it("puts deliveries claimed ahead back, uncounted, when it stops", async () => {
    const rx = await new Receiver().listen();
    receivers.push(rx);
    rx.reply = () => ({ delayMs: 5000 });
    const s = setup({ perEndpointConcurrency: 1, stopTimeoutMs: 50 });
    setups.push(s);
    s.manager.register({ eventType: "test", url: rx.url() });
    await s.manager.start();
    for (let i = 0; i < 5; i++) s.bus.emit({ type: "test", data: { i } });
    await waitFor(() => rx.requests.length === 1);
    // One request out (the endpoint allows one at a time), the other four claimed ahead.
    expect(await s.store.countWebhookDeliveries()).toMatchObject({ in_flight: 5, pending: 0 });
    await s.manager.stop();
    const rows = await s.store.listWebhookDeliveries({});
    expect(rows.map((d) => [d.status, d.attempts, d.totalAttempts])).toEqual(Array(5).fill(["pending", 0, 0]));
    expect(rx.requests).toHaveLength(1);
  });

  it("sends what was claimed ahead as slots free up, each once, and its logs are complete when read", async () => {
    const rx = await new Receiver().listen();
    receivers.push(rx);
    const s = setup({ perEndpointConcurrency: 2 });
    setups.push(s);
    s.manager.register({ eventType: "test", url: rx.url() });
    await s.manager.start();
    for (let i = 0; i < 50; i++) s.bus.emit({ type: "test", data: { i } });
    await waitFor(() => rx.requests.length === 50);
    await waitFor(async () => (await s.manager.counts()).delivered === 50);
    expect(new Set(rx.ids()).size).toBe(50);
    const logs = await s.manager.getDeliveryLogs({ limit: 100 });
    expect(logs).toHaveLength(50);
    expect(logs.every((l) => l.status === "delivered" && l.attempt === 1)).toBe(true);
  });

  it("releases what an endpoint had claimed ahead when its circuit opens", async () => {
    const rx = await new Receiver().listen();
    receivers.push(rx);
    rx.reply = () => ({ status: 500 });
    const s = setup({ perEndpointConcurrency: 1, breakerThreshold: 2, breakerCooloffMs: 60_000, baseDelayMs: 60_000 });
    setups.push(s);
    s.manager.register({ eventType: "test", url: rx.url(), retryCount: 5 });
    await s.manager.start();
    for (let i = 0; i < 6; i++) s.bus.emit({ type: "test", data: { i } });
    await waitFor(async () => (await s.manager.getDeliveryLogs({ status: "failed" })).length === 2);
    await waitFor(async () => (await s.store.countWebhookDeliveries()).in_flight === 0);
    const rows = await s.store.listWebhookDeliveries({});
    // Two attempts made and counted; the four claimed ahead went back without one.
    expect(rows.map((d) => d.attempts).sort()).toEqual([0, 0, 0, 0, 1, 1]);
    expect(rx.requests).toHaveLength(2);
  });
});
