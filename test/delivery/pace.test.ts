/**
 * What the manager offers integrations for a service's documented limits and answers (issue 11),
 * against real loopback receivers: a pace per key (concurrency, interval, holds read from
 * answers), "accepted" 2xx statuses, a start-up check, values kept out of logs, and the answer's
 * rate-limit headers and attempt number handed to the interpreter.
 */
import { WebhookRegistrationError } from "../../src/delivery/manager.js";
import type { ResponseInfo } from "../../src/delivery/outcome.js";
import { StandIn } from "../integrations/standIn.js";
import { setup, waitFor, type Setup } from "./helpers.js";

describe("WebhookManager pacing and honest outcomes", () => {
  const setups: Setup[] = [];
  const stands: StandIn[] = [];
  afterEach(async () => {
    for (const s of setups.splice(0)) await s.manager.stop();
    for (const st of stands.splice(0)) await st.close();
  });
  function make(options: Parameters<typeof setup>[0] = {}): Setup {
    const s = setup(options);
    setups.push(s);
    return s;
  }
  async function stand(
    handle: ConstructorParameters<typeof StandIn>[0],
    label?: ConstructorParameters<typeof StandIn>[1],
  ): Promise<StandIn> {
    const st = await new StandIn(handle, label).listen();
    stands.push(st);
    return st;
  }

  it("holds one pace key after an answer asks it to wait, while another key of the same URL goes on", async () => {
    // Key "a" is refused once with a long wait; key "b" shares the URL and is not held up by it.
    const st = await stand(
      (req) => (req.json.key === "a" ? { status: 429 } : { status: 200 }),
      (req) => req.json.key,
    );
    // One endpoint failure would open the breaker (and pause "b" too).
    const { bus, manager, logs } = make({ breakerThreshold: 1 });
    for (const key of ["a", "b"]) {
      manager.register({
        id: `reg-${key}`,
        eventType: `event_${key}`,
        url: st.url("/events"),
        buildPayload: () => ({ key }),
        pace: { key, concurrency: 1, holdAfter: (r) => (r.status === 429 ? 60_000 : null) },
      });
    }
    await manager.start();
    for (let i = 0; i < 3; i++) bus.emit({ type: "event_a", data: { i } });
    await waitFor(() => st.order.includes("a"));
    for (let i = 0; i < 3; i++) bus.emit({ type: "event_b", data: { i } });
    await waitFor(async () => (await manager.getDeliveryLogs({ status: "delivered" })).length === 3);
    // "a" was asked to wait a minute: one request only; "b" was sent all the while.
    expect(st.order.filter((k) => k === "a")).toEqual(["a"]);
    expect(st.order.filter((k) => k === "b")).toHaveLength(3);
    const [held] = await manager.getDeliveryLogs({ status: "failed" });
    expect(held.statusCode).toBe(429);
    // A 429 the pace honours is not an endpoint failure: the breaker has nothing to count.
    expect(logs.lines.map((l) => l.msg)).not.toContain("webhook endpoint circuit opened: pausing deliveries");
    expect(await manager.counts()).toMatchObject({ pending: 3, delivered: 3 });
  });

  it("keeps a pace's concurrency and interval: one request at a time, each launched after the previous", async () => {
    const st = await stand(() => ({ status: 204, delayMs: 15 }));
    const { bus, manager } = make();
    manager.register({ eventType: "test", url: st.url("/hook"), pace: { concurrency: 1, intervalMs: 20 } });
    await manager.start();
    for (let i = 0; i < 5; i++) bus.emit({ type: "test", data: { i } });
    await waitFor(async () => (await manager.counts()).delivered === 5);
    expect(st.maxInFlight).toBe(1);
    // Nothing claimed ahead for a paced key: what waits stays pending in the outbox.
    expect(await manager.counts()).toMatchObject({ in_flight: 0 });
  });

  it("records a 2xx the registration names as accepted, in the delivery log and the log lines", async () => {
    const st = await stand((req) => ({ status: req.path === "/async" ? 202 : 200 }));
    const { bus, manager, logs } = make();
    manager.register({ eventType: "test", url: st.url("/async"), acceptedStatuses: [202] });
    manager.register({ eventType: "test", url: st.url("/sync"), acceptedStatuses: [202] });
    await manager.start();
    bus.emit({ type: "test", data: {} });
    await waitFor(async () => (await manager.counts()).delivered === 2);
    const entries = await manager.getDeliveryLogs();
    expect(entries.map((e) => [e.statusCode, e.status]).sort()).toEqual([
      [200, "delivered"],
      [202, "accepted"],
    ]);
    expect((await manager.getDeliveryLogs({ status: "accepted" })).map((e) => e.statusCode)).toEqual([202]);
    expect((await manager.getDeliveryLogs({ status: "delivered" })).map((e) => e.statusCode)).toEqual([200]);
    expect(
      logs.lines.filter((l) => l.msg?.startsWith("webhook accepted")).map((l) => (l.obj as { status_code: number }).status_code),
    ).toEqual([202]);
  });

  it("runs each start-up check once and stops start() with its message", async () => {
    const { manager } = make();
    let runs = 0;
    const preflight = async () => {
      runs++;
      throw new Error('integrations.jira: JIRA project ENG has no priority "Highest"');
    };
    manager.register({ eventType: "a", url: "https://x.test/a", preflight });
    manager.register({ eventType: "b", url: "https://x.test/b", preflight });
    await expect(manager.start()).rejects.toThrow('integrations.jira: JIRA project ENG has no priority "Highest"');
    expect(runs).toBe(1);
  });

  it("keeps values the body carries out of errors and excerpts, and hands the interpreter the rate-limit headers and the attempt", async () => {
    const seen: ResponseInfo[] = [];
    const st = await stand(() => ({
      status: 400,
      headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "7", "x-other": "no" },
      body: "invalid routing key ROUTING-KEY-123456",
    }));
    const { bus, manager, store, logs } = make();
    manager.register({
      eventType: "test",
      url: st.url("/enqueue"),
      buildPayload: () => ({ routing_key: "ROUTING-KEY-123456" }),
      secretValues: ["ROUTING-KEY-123456"],
      interpretResponse: (r) => (seen.push(r), { ok: false, retryable: false, error: r.body }),
    });
    await manager.start();
    bus.emit({ type: "test", data: {} });
    await waitFor(async () => (await manager.counts()).dead === 1);
    const [dead] = await manager.getDeliveryLogs();
    expect(dead.error).toBe("HTTP 400: invalid routing key [secret]");
    expect(dead.responseExcerpt).toBe("invalid routing key [secret]");
    expect(JSON.stringify(store.db.prepare("SELECT * FROM webhook_attempts").all())).not.toContain("ROUTING-KEY-123456");
    expect(logs.text()).not.toContain("ROUTING-KEY-123456");
    expect(seen[0]).toMatchObject({ status: 400, attempt: 1, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "7" } });
    expect(seen[0].headers).not.toHaveProperty("x-other");
  });

  it("refuses a pace or accepted statuses that make no sense", () => {
    const { manager } = make();
    expect(() => manager.register({ eventType: "t", url: "https://x.test", acceptedStatuses: [404] })).toThrow(WebhookRegistrationError);
    expect(() => manager.register({ eventType: "t", url: "https://x.test", pace: { concurrency: 0 } })).toThrow(
      /pace\.concurrency must be an integer from 1 to 1000/,
    );
    expect(() => manager.register({ eventType: "t", url: "https://x.test", pace: { intervalMs: -1 } })).toThrow(/pace\.intervalMs/);
    expect(() => manager.register({ eventType: "t", url: "https://x.test", pace: { holdAfter: 5 as never } })).toThrow(
      /pace\.holdAfter .* must be a function/,
    );
  });
});
