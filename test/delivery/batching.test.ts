/** Batching: by size, by timeout, templates over `events`, and pending batches surviving a restart. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { WebhookRegistrationError } from "../../src/delivery/manager.js";
import { Receiver, setup, sleep, waitFor, type Setup } from "./helpers.js";

describe("WebhookManager batching", () => {
  let rx: Receiver;
  const setups: Setup[] = [];
  let dir: string;

  beforeEach(async () => {
    rx = await new Receiver().listen();
    dir = mkdtempSync(join(tmpdir(), "empathy-batch-"));
  });
  afterEach(async () => {
    for (const s of setups.splice(0)) await s.manager.stop();
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  });
  function make(options: Parameters<typeof setup>[0] = {}): Setup {
    const s = setup(options);
    setups.push(s);
    return s;
  }

  it("sends a full batch at once, as a JSON array of envelopes, and the rest after the timeout", async () => {
    const { bus, manager } = make();
    // A long timeout: the two full batches can only have come by size, well before it.
    manager.register({ eventType: "test", url: rx.url(), batchSize: 3, batchTimeoutSeconds: 2 });
    await manager.start();
    const started = performance.now();
    const sent = Array.from({ length: 7 }, (_, i) => bus.emit({ type: "test", data: { i } }));
    await waitFor(() => rx.requests.length === 2, 1500);
    const batches = rx.requests.map((r) => JSON.parse(r.body));
    expect(batches.map((b) => b.map((e: any) => e.data.i))).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(batches[0][0]).toEqual(JSON.parse(JSON.stringify(sent[0])));
    await waitFor(() => rx.requests.length === 3, 4000);
    expect(rx.requests[2].at - started).toBeGreaterThanOrEqual(1900); // the rest: not before the timeout
    expect(JSON.parse(rx.requests[2].body).map((e: any) => e.data.i)).toEqual([6]);
    expect(new Set(rx.ids()).size).toBe(3);
  });

  it("flushes a partial batch after batchTimeoutSeconds", async () => {
    const { bus, manager } = make();
    manager.register({ eventType: "*", url: rx.url(), batchSize: 10, batchTimeoutSeconds: 0.3 });
    await manager.start();
    const started = performance.now();
    bus.emit({ type: "test", data: { n: 1 } });
    bus.emit({ type: "custom_thing", data: { n: 2 } });
    await sleep(150);
    expect(rx.requests).toHaveLength(0);
    await waitFor(() => rx.requests.length === 1, 2000);
    expect(rx.requests[0].at - started).toBeGreaterThanOrEqual(280);
    expect(JSON.parse(rx.requests[0].body).map((e: any) => e.event_type)).toEqual(["test", "custom_thing"]);
  });

  it("renders a batch template over events and count", async () => {
    const { bus, manager } = make();
    manager.register({
      eventType: "test",
      url: rx.url(),
      batchSize: 2,
      payloadTemplate: { text: "{count} events", items: "{events}", kind: "{event_type}" },
    });
    await manager.start();
    bus.emit({ type: "test", data: { a: 1 } });
    bus.emit({ type: "test", data: { a: 2 } });
    await waitFor(() => rx.requests.length === 1);
    const body = JSON.parse(rx.requests[0].body);
    expect(body.text).toBe("2 events");
    expect(body.kind).toBe("test");
    expect(body.items.map((e: any) => e.data.a)).toEqual([1, 2]);
  });

  it("refuses a batch template naming a field a batch does not have", () => {
    const { manager } = make();
    expect(() =>
      manager.register({ eventType: "level_4_prediction", url: rx.url(), batchSize: 5, payloadTemplate: { text: "{prediction}" } }),
    ).toThrow(WebhookRegistrationError);
  });

  it("keeps pending batch members across a restart and sends them after it", async () => {
    const store = new SqliteStore(join(dir, "db.sqlite"));
    const first = make({ store });
    first.manager.register({ eventType: "test", url: rx.url(), batchSize: 5, batchTimeoutSeconds: 60 });
    await first.manager.start();
    for (let i = 0; i < 3; i++) first.bus.emit({ type: "test", data: { i } });
    await first.bus.settled();
    await first.manager.stop();
    expect(rx.requests).toHaveLength(0);

    const second = make({ store });
    second.manager.register({ eventType: "test", url: rx.url(), batchSize: 5, batchTimeoutSeconds: 60 });
    await second.manager.start();
    for (let i = 3; i < 5; i++) second.bus.emit({ type: "test", data: { i } });
    await waitFor(() => rx.requests.length === 1);
    expect(JSON.parse(rx.requests[0].body).map((e: any) => e.data.i)).toEqual([0, 1, 2, 3, 4]);
    await second.manager.stop();
    await store.close();
  });

  it("retries a batch as one delivery with one webhook-id", async () => {
    rx.reply = (_r, i) => (i === 0 ? { status: 502 } : {});
    const { bus, manager } = make();
    manager.register({ eventType: "test", url: rx.url(), batchSize: 2 });
    await manager.start();
    bus.emit({ type: "test", data: {} });
    bus.emit({ type: "test", data: {} });
    await waitFor(() => rx.requests.length === 2);
    expect(rx.ids()[0]).toBe(rx.ids()[1]);
    expect(rx.requests[0].body).toBe(rx.requests[1].body);
  });
});
