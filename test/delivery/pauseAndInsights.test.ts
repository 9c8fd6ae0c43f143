/**
 * The dashboard's figures (WebhookManager.overview / registrationLog) against a real manager on
 * an in-memory store delivering to a loopback receiver that fails, then succeeds; and pausing an
 * endpoint: its deliveries wait in the outbox (on every instance, across a restart) and are sent
 * on resume.
 */
import { EventBus } from "../../src/events/bus.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { percentile } from "../../src/delivery/insights.js";
import { Receiver, setup, sleep, waitFor, type Setup } from "./helpers.js";

describe("webhook figures and pauses", () => {
  let receiver: Receiver;
  const managers: Setup[] = [];
  const make = (o: Parameters<typeof setup>[0] = {}) => {
    const s = setup({ pauseRefreshMs: 50, ...o });
    managers.push(s);
    return s;
  };

  beforeEach(async () => {
    receiver = await new Receiver().listen();
  });
  afterEach(async () => {
    for (const m of managers.splice(0)) await m.manager.stop();
    await receiver.close();
  });

  it("computes per registration and integration: deliveries per minute, success rate, p50/p95, last error, circuit, queue", async () => {
    receiver.reply = (_req, i) => (i < 2 ? { status: 500, body: "boom" } : { status: 200 });
    const { bus, manager } = make();
    const hook = manager.register({
      id: "integration:acme:test",
      eventType: "test",
      url: receiver.url("/hook/secret-path?token=abc"),
      retryCount: 3,
    });
    await manager.start();
    for (let i = 0; i < 3; i++) bus.emit({ type: "test", data: { n: i } });
    await waitFor(async () => (await manager.counts()).delivered === 3, 5000, "three delivered");

    const o = await manager.overview();
    expect(o.windowMs).toBe(3600_000);
    const r = o.registrations.find((x) => x.id === hook)!;
    expect(r.origin).toBe(`http://127.0.0.1:${receiver.port}`);
    expect(JSON.stringify(o)).not.toContain("secret-path");
    expect(r.integration).toBe("acme");
    expect(r.figures).toMatchObject({ attempts: 5, succeeded: 3, deliveries: 3, successRate: 0.6, pending: 0, inFlight: 0, dead: 0 });
    expect(r.figures.deliveriesPerMinute).toBeCloseTo(3 / 60);
    expect(r.figures.p50Ms).not.toBeNull();
    expect(r.figures.p95Ms!).toBeGreaterThanOrEqual(r.figures.p50Ms!);
    expect(r.figures.lastError?.statusCode).toBe(500);
    expect(r.circuit).toMatchObject({ state: "closed", consecutiveFailures: 0 });
    expect(o.integrations).toEqual([expect.objectContaining({ name: "acme", registrationIds: [hook], circuit: "closed" })]);
    expect(o.integrations[0].figures.attempts).toBe(5);

    // The log: every attempt, newest first, a page at a time.
    const page1 = await manager.registrationLog(hook, { limit: 3 });
    expect(page1.attempts.map((a) => a.status)).toHaveLength(3);
    expect(page1.nextAttempts).not.toBeNull();
    const page2 = await manager.registrationLog(hook, { limit: 3, attemptsBefore: page1.nextAttempts! });
    expect(page2.attempts).toHaveLength(2);
    expect(page2.nextAttempts).toBeNull();
    const all = [...page1.attempts, ...page2.attempts];
    expect(all.filter((a) => a.status === "failed")).toHaveLength(2);
    expect(all.find((a) => a.status === "failed")).toMatchObject({ statusCode: 500, responseExcerpt: "boom" });
    expect(all.find((a) => a.status === "failed")!.nextAttemptAt).not.toBeNull();
  });

  it("lists dead letters a page at a time, with the last error, and replays them", async () => {
    receiver.reply = () => ({ status: 503, body: "down" });
    const { bus, manager } = make();
    const hook = manager.register({ eventType: "test", url: receiver.url(), retryCount: 0 });
    await manager.start();
    for (let i = 0; i < 3; i++) bus.emit({ type: "test", data: { n: i } });
    await waitFor(async () => (await manager.counts()).dead === 3, 5000, "three dead letters");
    const o = await manager.overview();
    const r = o.registrations.find((x) => x.id === hook)!;
    expect(r.figures).toMatchObject({ dead: 3, successRate: 0, succeeded: 0 });
    expect(r.figures.lastError?.error).toMatch(/503/);
    const first = await manager.registrationLog(hook, { limit: 2 });
    expect(first.deadLetters).toHaveLength(2);
    const rest = await manager.registrationLog(hook, { limit: 2, deadBefore: first.nextDead! });
    expect(rest.deadLetters).toHaveLength(1);
    expect(rest.nextDead).toBeNull();
    const ids = [...first.deadLetters, ...rest.deadLetters].map((d) => d.id);
    expect(new Set(ids).size).toBe(3);

    receiver.reply = () => ({ status: 200 });
    expect(await manager.replayDeadLetters({ since: 0, registrationIds: ["someone-else"] })).toEqual([]);
    expect((await manager.replayDeadLetters({ since: 0, registrationIds: [hook] })).sort()).toEqual([...ids].sort());
    await waitFor(async () => (await manager.counts()).delivered === 3, 5000, "replayed and delivered");
  });

  it("pauses an endpoint durably: deliveries wait in the outbox (another instance, a restart) and are sent on resume", async () => {
    const store = new SqliteStore(":memory:");
    const a = make({ store, bus: new EventBus() });
    const hook = a.manager.register({ id: "hook", eventType: "test", url: receiver.url() });
    const sibling = a.manager.register({ id: "sibling", eventType: "other", url: receiver.url() });
    await a.manager.start();
    expect((await a.manager.pause(hook, "alice")).sort()).toEqual([hook, sibling]);
    expect(a.logs.lines).toContainEqual(
      expect.objectContaining({
        msg: "webhook endpoint paused: its deliveries wait in the outbox",
        obj: expect.objectContaining({ by: "alice" }),
      }),
    );
    for (let i = 0; i < 3; i++) a.bus.emit({ type: "test", data: { n: i } });
    a.bus.emit({ type: "other", data: {} });
    await waitFor(async () => (await store.countWebhookDeliveries()).pending === 4, 2000, "four waiting");
    await sleep(300);
    expect(receiver.requests).toHaveLength(0);
    expect((await a.manager.overview()).registrations.find((r) => r.id === hook)!.circuit).toMatchObject({
      state: "paused",
      pausedBy: "alice",
    });

    // A restart (another instance on the same store) reads the pause: still nothing sent.
    await a.manager.stop();
    const b = make({ store, bus: new EventBus() });
    b.manager.register({ id: "hook", eventType: "test", url: receiver.url() });
    b.manager.register({ id: "sibling", eventType: "other", url: receiver.url() });
    await b.manager.start();
    await sleep(300);
    expect(receiver.requests).toHaveLength(0);
    expect((await store.countWebhookDeliveries()).pending).toBe(4);

    await b.manager.resume(hook, "bob");
    await waitFor(() => receiver.requests.length === 4, 5000, "all four sent after resume");
    await waitFor(async () => (await b.manager.counts()).delivered === 4, 2000, "recorded");
    expect(await store.listWebhookPauses()).toEqual([]);
  });

  it("stops an instance within its refresh when another instance pauses the endpoint", async () => {
    const store = new SqliteStore(":memory:");
    const a = make({ store });
    a.manager.register({ id: "hook", eventType: "test", url: receiver.url() });
    const b = make({ store, bus: new EventBus() });
    b.manager.register({ id: "hook", eventType: "test", url: receiver.url() });
    await a.manager.start();
    await b.manager.start();
    await b.manager.pause("hook", "carol");
    await sleep(150); // a's refresh (50 ms here)
    a.bus.emit({ type: "test", data: {} });
    await waitFor(async () => (await store.countWebhookDeliveries()).pending === 1, 2000, "waiting");
    await sleep(200);
    expect(receiver.requests).toHaveLength(0);
    await b.manager.resume("hook", "carol");
    await waitFor(() => receiver.requests.length === 1, 5000, "sent by an instance after the resume");
  });

  it("takes nearest-rank percentiles", () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([7], 0.95)).toBe(7);
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.95)).toBe(95);
  });
});
