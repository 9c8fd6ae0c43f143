/**
 * The two per-registration hooks integrations use, against a real receiver on loopback:
 * `buildPayload` (the body built in code at each attempt, never stored) and `interpretResponse`
 * (a service's own failure signals: a failure in a 200, a wait in a JSON body).
 */
import { WebhookRegistrationError } from "../../src/delivery/manager.js";
import { interpretOutcome, type ResponseInfo } from "../../src/delivery/outcome.js";
import { setup, type Setup } from "../delivery/helpers.js";
import { Receiver, storedText, waitFor } from "./helpers.js";

describe("registration hooks", () => {
  let rx: Receiver;
  const setups: Setup[] = [];
  beforeEach(async () => {
    rx = await new Receiver().listen();
  });
  afterEach(async () => {
    for (const s of setups.splice(0)) await s.manager.stop();
    await rx.close();
  });
  function make(options: Parameters<typeof setup>[0] = {}): Setup {
    const s = setup(options);
    setups.push(s);
    return s;
  }

  it("sends what buildPayload returns, built at the attempt and never written to the store", async () => {
    const { bus, manager, store } = make();
    let built = 0;
    manager.register({
      eventType: "test",
      url: rx.url(),
      buildPayload: (envelope) => {
        built++;
        const e = envelope as { event_type: string; data: { n: number } };
        return { key: "SERVICE-KEY-123", kind: e.event_type, n: e.data.n };
      },
    });
    rx.reply = (_req, i) => (i === 0 ? { status: 500 } : {});
    await manager.start();
    bus.emit({ type: "test", data: { n: 7 } });
    await waitFor(() => rx.requests.length === 2, 5000, "a retry");
    expect(rx.requests.map((r) => JSON.parse(r.body))).toEqual([
      { key: "SERVICE-KEY-123", kind: "test", n: 7 },
      { key: "SERVICE-KEY-123", kind: "test", n: 7 },
    ]);
    expect(built).toBe(2);
    expect(rx.requests[0].headers["webhook-id"]).toBe(rx.requests[1].headers["webhook-id"]);
    await waitFor(async () => (await manager.counts()).delivered === 1);
    expect(storedText(store)).not.toContain("SERVICE-KEY-123");
  });

  it("dead-letters a delivery whose builder throws or returns nothing, with a clear error", async () => {
    const { bus, manager } = make();
    manager.register({
      eventType: "test",
      url: rx.url("/a"),
      buildPayload: () => {
        throw new Error("no channel for this event");
      },
    });
    manager.register({ eventType: "test", url: rx.url("/b"), buildPayload: () => undefined });
    await manager.start();
    bus.emit({ type: "test", data: {} });
    await waitFor(async () => (await manager.getDeliveryLogs({ status: "dead" })).length === 2);
    const errors = (await manager.getDeliveryLogs({ status: "dead" })).map((l) => l.error).sort();
    expect(errors).toEqual(["payload builder: no channel for this event", "payload builder: returned nothing"]);
    expect(rx.requests).toHaveLength(0);
  });

  it("refuses a template and a builder together, and hooks that are not functions", () => {
    const { manager } = make();
    expect(() => manager.register({ eventType: "test", url: rx.url(), payloadTemplate: { a: 1 }, buildPayload: () => ({}) })).toThrow(
      WebhookRegistrationError,
    );
    expect(() => manager.register({ eventType: "test", url: rx.url(), buildPayload: "x" as never })).toThrow(
      /buildPayload .* must be a function/,
    );
    expect(() => manager.register({ eventType: "test", url: rx.url(), interpretResponse: 1 as never })).toThrow(
      /interpretResponse .* must be a function/,
    );
  });

  it("retries a failure reported in a 200 when it is retryable, waiting as long as asked", async () => {
    const { bus, manager } = make();
    manager.register({
      eventType: "test",
      url: rx.url(),
      interpretResponse: ({ status, body }) =>
        status === 200 && body.includes('"ok":false') ? { ok: false, retryable: true, retryAfterMs: 300, error: "busy" } : undefined,
    });
    rx.reply = (_req, i) => (i === 0 ? { body: '{"ok":false}' } : { body: '{"ok":true}' });
    await manager.start();
    bus.emit({ type: "test", data: {} });
    await waitFor(() => rx.requests.length === 2, 5000, "the second attempt");
    expect(rx.requests[1].at - rx.requests[0].at).toBeGreaterThanOrEqual(280);
    await waitFor(async () => (await manager.counts()).delivered === 1);
    const logs = await manager.getDeliveryLogs();
    expect(logs.map((l) => [l.status, l.statusCode, l.error])).toEqual([
      ["delivered", 200, null],
      ["failed", 200, "HTTP 200: busy"],
    ]);
  });

  it("dead-letters at once a failure that is not retryable", async () => {
    const { bus, manager } = make();
    manager.register({
      eventType: "test",
      url: rx.url(),
      interpretResponse: () => ({ ok: false, retryable: false, error: "channel_not_found" }),
    });
    await manager.start();
    bus.emit({ type: "test", data: {} });
    await waitFor(async () => (await manager.counts()).dead === 1);
    expect(rx.requests).toHaveLength(1);
    expect((await manager.getDeliveryLogs())[0].error).toBe("HTTP 200: channel_not_found");
  });

  it("keeps the usual reading when the interpreter has nothing to say, throws, or sees a 410", () => {
    const base = { kind: "delivered", retryAfterMs: null, circuit: "alive", error: null } as const;
    const ok: ResponseInfo = { status: 200, headers: {}, body: "" };
    expect(interpretOutcome(base, ok, () => undefined)).toBe(base);
    expect(
      interpretOutcome(base, ok, () => {
        throw new Error("bug");
      }),
    ).toBe(base);
    const gone = { kind: "gone", retryAfterMs: null, circuit: "alive", error: "410 Gone" } as const;
    expect(interpretOutcome(gone, { ...ok, status: 410 }, () => ({ ok: false, retryable: true, error: "x" }))).toBe(gone);
    // A failure on a non-2xx keeps the endpoint's circuit reading (failing), a 2xx one shows it alive.
    const failing = { kind: "retry", retryAfterMs: 2000, circuit: "failure", error: "HTTP 429" } as const;
    expect(
      interpretOutcome(failing, { status: 429, headers: { "retry-after": "2" }, body: "" }, () => ({
        ok: false,
        retryable: true,
        retryAfterMs: 1500.2,
        error: "slow down",
      })),
    ).toEqual({
      kind: "retry",
      retryAfterMs: 1501,
      circuit: "failure",
      error: "HTTP 429: slow down",
    });
    expect(interpretOutcome(base, ok, () => ({ ok: false, retryable: true, error: "ratelimited" }))).toEqual({
      kind: "retry",
      retryAfterMs: null,
      circuit: "alive",
      error: "HTTP 200: ratelimited",
    });
  });
});
