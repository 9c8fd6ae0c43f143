/**
 * Delivery against a real HTTP receiver on loopback: signatures checked with the
 * `standardwebhooks` reference library, retries, Retry-After, redirects, 410, 4xx, timeouts,
 * per-endpoint fairness, the circuit breaker, and a manager restarted over the same outbox.
 */
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { EmpathyOS } from "../../src/engine/empathyOS.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { freePort } from "../process/appProcess.js";
import { Receiver, setup, sleep, waitFor, type Setup } from "./helpers.js";

const SECRET = `whsec_${Buffer.from("a 32 byte key for the test suite").toString("base64")}`;

describe("WebhookManager delivery", () => {
  const receivers: Receiver[] = [];
  const setups: Setup[] = [];
  const dirs: string[] = [];

  async function receiver(port?: number): Promise<Receiver> {
    const r = await new Receiver().listen(port);
    receivers.push(r);
    return r;
  }
  function make(options: Parameters<typeof setup>[0] = {}): Setup {
    const s = setup(options);
    setups.push(s);
    return s;
  }

  afterEach(async () => {
    for (const s of setups.splice(0)) await s.manager.stop();
    for (const r of receivers.splice(0)) await r.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("posts the envelope as JSON with both signatures, verified by the standardwebhooks library", async () => {
    const rx = await receiver();
    const { bus, manager } = make();
    manager.register({ eventType: "level_4_prediction", url: rx.url(), secret: SECRET, headers: { Authorization: "Bearer t0k" } });
    await manager.start();
    const envelope = bus.emit({ type: "test", data: { hello: "world" } });
    const prediction = bus.emit({
      type: "level_4_prediction",
      data: {
        prediction_id: "p1",
        prediction: "The migration drops a column the mobile client reads",
        confidence: 0.91,
        severity: "high",
        tags: ["migration"],
        recommendation: "Keep the column one more release",
        user_id: "alice",
        timestamp: new Date().toISOString(),
        repo: "o/r",
        pr_number: 7,
        url: null,
        kind: "migration",
        impact: "mobile clients crash",
        fingerprint: "fp",
        evidence: { path: "db/1.sql", line: 3, side: "RIGHT" },
      },
    });
    await waitFor(() => rx.requests.length === 1);
    await sleep(50);
    expect(rx.requests).toHaveLength(1); // the test event matched no registration
    void envelope;
    const req = rx.requests[0];
    expect(req.method).toBe("POST");
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers.authorization).toBe("Bearer t0k");
    expect(JSON.parse(req.body)).toEqual(JSON.parse(JSON.stringify(prediction)));
    // Standard Webhooks, by the reference verifier.
    const verified = new Webhook(SECRET).verify(req.body, {
      "webhook-id": String(req.headers["webhook-id"]),
      "webhook-timestamp": String(req.headers["webhook-timestamp"]),
      "webhook-signature": String(req.headers["webhook-signature"]),
    });
    expect(verified).toEqual(JSON.parse(req.body));
    // X-Empathy-Signature: hex HMAC of the raw body keyed with the secret's UTF-8 bytes.
    expect(req.headers["x-empathy-signature"]).toBe(createHmac("sha256", SECRET).update(req.body).digest("hex"));
    expect(String(req.headers["webhook-id"])).toMatch(/^msg_[0-9a-z]{29}$/);
  });

  it("never makes interact() wait for an endpoint", async () => {
    const rx = await receiver();
    rx.reply = () => ({ delayMs: 3000 });
    const { bus, manager } = make();
    for (let i = 0; i < 5; i++) manager.register({ eventType: "*", url: rx.url(`/slow/${i}`) });
    await manager.start();
    const engine = new EmpathyOS({ eventBus: bus });
    await engine.interact({ input: "Add export\n\nExports orders.", context: { repo: "o/r", pr_number: 1 } });
    // interact() is done while every attempt still waits for its 3 s answer.
    expect(await manager.getDeliveryLogs()).toEqual([]);
    await waitFor(() => rx.requests.length > 0);
  });

  it("delivers everything once the endpoint comes up: each webhook-id once at the receiver", async () => {
    const port = await freePort();
    const { bus, manager, store } = make({ breakerThreshold: 3, breakerCooloffMs: 100 });
    manager.register({ eventType: "test", url: `http://127.0.0.1:${port}/hook`, retryCount: 10 });
    await manager.start();
    for (let i = 0; i < 5; i++) bus.emit({ type: "test", data: { i } });
    await waitFor(async () => (await manager.getDeliveryLogs({ status: "failed" })).length >= 3, 5000, "failed attempts");
    const rx = await receiver(port);
    await waitFor(async () => (await store.countWebhookDeliveries()).delivered === 5, 10_000, "all delivered");
    expect(rx.requests).toHaveLength(5);
    expect(new Set(rx.ids()).size).toBe(5);
    expect(rx.requests.map((r) => JSON.parse(r.body).data.i).sort()).toEqual([0, 1, 2, 3, 4]);
    const failed = await manager.getDeliveryLogs({ status: "failed" });
    expect(failed[0].error).toMatch(/ECONNREFUSED/);
  });

  it("retries a 500 twice and then delivers, with the same webhook-id on every attempt", async () => {
    const rx = await receiver();
    rx.reply = (_req, i) => (i < 2 ? { status: 500, body: "upstream broke" } : { status: 204, body: "" });
    const { bus, manager } = make();
    manager.register({ eventType: "test", url: rx.url() });
    await manager.start();
    bus.emit({ type: "test", data: {} });
    await waitFor(async () => (await manager.getDeliveryLogs({ status: "delivered" })).length === 1);
    expect(rx.requests).toHaveLength(3);
    expect(new Set(rx.ids()).size).toBe(1);
    const logs = (await manager.getDeliveryLogs()).reverse();
    expect(logs.map((l) => [l.attempt, l.status, l.statusCode])).toEqual([
      [1, "failed", 500],
      [2, "failed", 500],
      [3, "delivered", 204],
    ]);
    expect(logs[0]).toMatchObject({ error: "HTTP 500", responseExcerpt: "upstream broke", webhookId: rx.ids()[0] });
    expect(logs[0].nextAttemptAt).not.toBeNull();
    expect(logs[2].nextAttemptAt).toBeNull();
  });

  it("honours Retry-After: 2 on a 429: the next attempt is not sooner", async () => {
    const rx = await receiver();
    rx.reply = (_req, i) => (i === 0 ? { status: 429, headers: { "retry-after": "2" } } : {});
    const { bus, manager } = make();
    manager.register({ eventType: "test", url: rx.url() });
    await manager.start();
    bus.emit({ type: "test", data: {} });
    await waitFor(() => rx.requests.length === 2, 6000);
    expect(rx.requests[1].at - rx.requests[0].at).toBeGreaterThanOrEqual(2000);
    const [first] = (await manager.getDeliveryLogs()).reverse();
    expect(first.statusCode).toBe(429);
    expect(Date.parse(first.nextAttemptAt!) - Date.parse(first.attemptedAt)).toBeGreaterThanOrEqual(2000);
  });

  it("honours Retry-After as an HTTP date on a 503", async () => {
    const rx = await receiver();
    rx.reply = (_req, i) => (i === 0 ? { status: 503, headers: { "retry-after": new Date(Date.now() + 2000).toUTCString() } } : {});
    const { bus, manager } = make();
    manager.register({ eventType: "test", url: rx.url() });
    await manager.start();
    bus.emit({ type: "test", data: {} });
    await waitFor(() => rx.requests.length === 2, 6000);
    // The date has one-second resolution: at least a second later.
    expect(rx.requests[1].at - rx.requests[0].at).toBeGreaterThanOrEqual(1000);
  });

  it("does not let a 10 s endpoint hold up a fast one", async () => {
    const slow = await receiver();
    slow.reply = () => ({ delayMs: 10_000 });
    const fast = await receiver();
    const { bus, manager } = make({ concurrency: 8, perEndpointConcurrency: 4 });
    const slowId = manager.register({ eventType: "test", url: slow.url(), timeoutSeconds: 15 });
    manager.register({ eventType: "test", url: fast.url() });
    await manager.start();
    for (let i = 0; i < 20; i++) bus.emit({ type: "test", data: { i } });
    await waitFor(() => fast.requests.length === 20, 8000, "the fast endpoint");
    // All 20 reached the fast endpoint while the slow one had not answered a single request.
    expect((await manager.getDeliveryLogs()).filter((l) => l.registrationId === slowId)).toEqual([]);
    expect(slow.requests.length).toBeLessThanOrEqual(4); // its own limit, the rest wait their turn
  });

  it("disables the registration on 410 Gone, persistently, and dead-letters", async () => {
    const rx = await receiver();
    rx.reply = () => ({ status: 410 });
    const dir = mkdtempSync(join(tmpdir(), "empathy-wh-"));
    dirs.push(dir);
    const store = new SqliteStore(join(dir, "db.sqlite"));
    const first = make({ store });
    const id = first.manager.register({ eventType: "test", url: rx.url() });
    await first.manager.start();
    first.bus.emit({ type: "test", data: {} });
    await waitFor(() => first.manager.list()[0].disabled);
    expect(first.manager.list()[0].disabledReason).toMatch(/410/);
    first.bus.emit({ type: "test", data: {} });
    await sleep(100);
    expect(rx.requests).toHaveLength(1);
    const [log] = await first.manager.getDeliveryLogs();
    expect(log).toMatchObject({ status: "dead", statusCode: 410 });
    await first.manager.stop();

    // A restart keeps it disabled.
    const second = make({ store });
    expect(second.manager.register({ eventType: "test", url: rx.url() })).toBe(id);
    await second.manager.start();
    expect(second.manager.list()[0]).toMatchObject({ id, disabled: true });
    second.bus.emit({ type: "test", data: {} });
    await sleep(100);
    expect(rx.requests).toHaveLength(1);
    await second.manager.enable(id);
    rx.reply = () => ({});
    await second.manager.replayDeadLetters({});
    await waitFor(() => rx.requests.length === 2);
    await second.manager.stop();
    await store.close();
  });

  it("does not retry a 404", async () => {
    const rx = await receiver();
    rx.reply = () => ({ status: 404, body: "no such hook" });
    const { bus, manager } = make();
    manager.register({ eventType: "test", url: rx.url() });
    await manager.start();
    bus.emit({ type: "test", data: {} });
    await waitFor(async () => (await manager.getDeliveryLogs({ status: "dead" })).length === 1);
    await sleep(150);
    expect(rx.requests).toHaveLength(1);
    const [log] = await manager.getDeliveryLogs();
    expect(log).toMatchObject({
      attempt: 1,
      status: "dead",
      statusCode: 404,
      error: "HTTP 404: not retried",
      responseExcerpt: "no such hook",
    });
  });

  it("retries 408, 425 and 429 like server errors", async () => {
    const rx = await receiver();
    rx.reply = (_req, i) => ({ status: [408, 425, 429][i] ?? 200 });
    const { bus, manager } = make();
    manager.register({ eventType: "test", url: rx.url() });
    await manager.start();
    bus.emit({ type: "test", data: {} });
    await waitFor(async () => (await manager.getDeliveryLogs({ status: "delivered" })).length === 1);
    expect(rx.requests.map((r) => r.headers["webhook-id"])).toEqual(Array(4).fill(rx.ids()[0]));
  });

  it("treats a redirect as a failure and does not follow it", async () => {
    const rx = await receiver();
    rx.reply = (req) => (req.path === "/hook" ? { status: 302, headers: { location: "/elsewhere" } } : {});
    const { bus, manager } = make();
    manager.register({ eventType: "test", url: rx.url(), retryCount: 1 });
    await manager.start();
    bus.emit({ type: "test", data: {} });
    await waitFor(async () => (await manager.getDeliveryLogs({ status: "dead" })).length === 1);
    expect(rx.requests.map((r) => r.path)).toEqual(["/hook", "/hook"]);
    const logs = (await manager.getDeliveryLogs()).reverse();
    expect(logs.map((l) => [l.status, l.statusCode])).toEqual([
      ["failed", 302],
      ["dead", 302],
    ]);
    expect(logs[1].error).toMatch(/redirects are not followed; gave up after 2 attempts/);
  });

  it("times out a slow endpoint and retries", async () => {
    const rx = await receiver();
    rx.reply = (_req, i) => (i === 0 ? { delayMs: 2000 } : {});
    const { bus, manager } = make();
    manager.register({ eventType: "test", url: rx.url(), timeoutSeconds: 0.2 });
    await manager.start();
    bus.emit({ type: "test", data: {} });
    await waitFor(async () => (await manager.getDeliveryLogs({ status: "delivered" })).length === 1);
    const [first] = (await manager.getDeliveryLogs()).reverse();
    expect(first).toMatchObject({ status: "failed", statusCode: null, error: "timed out after 0.2 s" });
    expect(first.durationMs).toBeGreaterThanOrEqual(150); // it waited for the timeout, then gave up (not the 2 s answer)
  });

  it("opens the circuit after consecutive failures, then probes once after the cool-off", async () => {
    const rx = await receiver();
    let healthy = false;
    rx.reply = () => (healthy ? {} : { status: 500 });
    const { bus, manager, logs } = make({ breakerThreshold: 3, breakerCooloffMs: 400, baseDelayMs: 10, concurrency: 1 });
    manager.register({ eventType: "test", url: rx.url(), retryCount: 20 });
    await manager.start();
    for (let i = 0; i < 4; i++) bus.emit({ type: "test", data: { i } });
    await waitFor(() => rx.requests.length >= 3);
    await sleep(250);
    expect(rx.requests).toHaveLength(3); // paused
    expect(logs.text()).toMatch(/circuit opened/);
    // After the cool-off, one probe; it fails, so the circuit stays open for another cool-off.
    await waitFor(() => rx.requests.length >= 4, 2000, "the first probe");
    expect(rx.requests[3].at - rx.requests[2].at).toBeGreaterThanOrEqual(350);
    await sleep(200);
    expect(rx.requests).toHaveLength(4);
    expect(logs.text()).toMatch(/probe failed/);
    healthy = true;
    await waitFor(() => rx.requests.length >= 5, 2000, "the second probe");
    expect(rx.requests[4].at - rx.requests[3].at).toBeGreaterThanOrEqual(350);
    // The probe succeeded: the circuit closes and the four deliveries go out.
    await waitFor(async () => (await manager.getDeliveryLogs({ status: "delivered" })).length === 4, 2000, "the rest after the probe");
    expect(rx.requests).toHaveLength(8);
    expect(logs.text()).toMatch(/circuit closed/);
  });

  it("keeps an open circuit across a restart (persisted)", async () => {
    const rx = await receiver();
    rx.reply = () => ({ status: 503 });
    const dir = mkdtempSync(join(tmpdir(), "empathy-wh-"));
    dirs.push(dir);
    const store = new SqliteStore(join(dir, "db.sqlite"));
    const first = make({ store, breakerThreshold: 2, breakerCooloffMs: 60_000 });
    first.manager.register({ eventType: "test", url: rx.url() });
    await first.manager.start();
    first.bus.emit({ type: "test", data: {} });
    first.bus.emit({ type: "test", data: {} });
    await waitFor(() => rx.requests.length >= 2);
    await first.manager.stop();
    const seen = rx.requests.length;
    const second = make({ store, breakerThreshold: 2, breakerCooloffMs: 60_000 });
    second.manager.register({ eventType: "test", url: rx.url() });
    await second.manager.start();
    second.bus.emit({ type: "test", data: {} });
    await sleep(300);
    expect(rx.requests).toHaveLength(seen);
    await second.manager.stop();
    await store.close();
  });

  it("sends deliveries left in flight by a stopped process again after a restart, same webhook-id", async () => {
    const rx = await receiver();
    rx.reply = () => ({ delayMs: 5000 });
    const dir = mkdtempSync(join(tmpdir(), "empathy-wh-"));
    dirs.push(dir);
    const store = new SqliteStore(join(dir, "db.sqlite"));
    const first = make({ store, stopTimeoutMs: 50 });
    first.manager.register({ eventType: "test", url: rx.url() });
    await first.manager.start();
    first.bus.emit({ type: "test", data: {} });
    await waitFor(() => rx.requests.length === 1);
    await first.manager.stop(); // aborts the hanging request
    rx.reply = () => ({});
    const second = make({ store });
    second.manager.register({ eventType: "test", url: rx.url() });
    await second.manager.start();
    await waitFor(() => rx.requests.length === 2);
    expect(rx.ids()[1]).toBe(rx.ids()[0]);
    await waitFor(async () => (await store.countWebhookDeliveries()).delivered === 1);
    await second.manager.stop();
    await store.close();
  });

  it("delivers to several registrations of one event concurrently", async () => {
    const a = await receiver();
    const b = await receiver();
    a.reply = b.reply = () => ({ delayMs: 2000 });
    const { bus, manager } = make();
    manager.register({ eventType: "test", url: a.url() });
    manager.register({ eventType: "*", url: b.url() });
    await manager.start();
    bus.emit({ type: "test", data: {} });
    await waitFor(() => a.requests.length === 1 && b.requests.length === 1);
    // Both requests arrived before either was answered: one did not wait for the other.
    expect(await manager.getDeliveryLogs()).toEqual([]);
  });
});
