/**
 * Quiet by default: the same prediction (repository + fingerprint) reaches a registration once,
 * not again on every push that still predicts it, also after a restart; other events and
 * registrations that opt out are delivered every time.
 */
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { prediction, Receiver, setup, sleep, waitFor, type Setup } from "./helpers.js";

describe("webhook dedupe of repeated predictions", () => {
  let rx: Receiver;
  const setups: Setup[] = [];
  beforeEach(async () => {
    rx = await new Receiver().listen();
  });
  afterEach(async () => {
    for (const s of setups.splice(0)) await s.manager.stop();
    await rx.close();
  });

  it("delivers one prediction once per registration, across pushes and a restart", async () => {
    const store = new SqliteStore(":memory:");
    const first = setup({ store });
    setups.push(first);
    first.manager.register({ eventType: "level_4_prediction", url: rx.url("/a") });
    first.manager.register({ eventType: "level_4_prediction", url: rx.url("/b"), batchSize: 5, batchTimeoutSeconds: 0.05 });
    first.manager.register({ eventType: "level_4_prediction", url: rx.url("/every"), dedupe: false });
    await first.manager.start();
    first.bus.emit({ type: "level_4_prediction", data: prediction("fp1") });
    first.bus.emit({ type: "level_4_prediction", data: prediction("fp1") }); // the next push
    first.bus.emit({ type: "level_4_prediction", data: prediction("fp1", "o/other") }); // another repository
    first.bus.emit({ type: "level_4_prediction", data: prediction("fp2") });
    await waitFor(() => rx.requests.length >= 3 + 4 + 1);
    await first.manager.stop();

    const second = setup({ store });
    setups.push(second);
    second.manager.register({ eventType: "level_4_prediction", url: rx.url("/a") });
    await second.manager.start();
    second.bus.emit({ type: "level_4_prediction", data: prediction("fp1") }); // after a restart
    second.bus.emit({ type: "level_4_prediction", data: prediction("fp3") });
    await waitFor(() => rx.requests.filter((r) => r.path === "/a").length >= 4);
    await sleep(100);

    const at = (path: string) => rx.requests.filter((r) => r.path === path).map((r) => JSON.parse(r.body));
    expect(at("/a").map((e) => `${e.data.repo}:${e.data.fingerprint}`)).toEqual(["o/r:fp1", "o/other:fp1", "o/r:fp2", "o/r:fp3"]);
    expect(
      at("/b")
        .flat()
        .map((e: any) => `${e.data.repo}:${e.data.fingerprint}`)
        .sort(),
    ).toEqual(["o/other:fp1", "o/r:fp1", "o/r:fp2"]);
    expect(at("/every")).toHaveLength(4);
  });

  it("does not dedupe events that name no prediction", async () => {
    const s = setup();
    setups.push(s);
    s.manager.register({ eventType: "test", url: rx.url() });
    await s.manager.start();
    s.bus.emit({ type: "test", data: { n: 1 } });
    s.bus.emit({ type: "test", data: { n: 1 } });
    await waitFor(() => rx.requests.length >= 2);
  });
});

describe("what delivery logs keep of an answer", () => {
  it("never stores a header value (a bearer token) that an endpoint echoes back", async () => {
    const rx = await new Receiver().listen();
    const s = setup();
    try {
      rx.reply = (req) => ({ status: 400, body: `rejected: ${req.headers.authorization} is not valid for this channel` });
      s.manager.register({
        eventType: "test",
        url: rx.url(),
        headers: { Authorization: "Bearer xoxb-1234-abcd-SECRET", "Content-Type": "application/json" },
      });
      await s.manager.start();
      s.bus.emit({ type: "test", data: {} });
      await waitFor(async () => (await s.manager.counts()).dead === 1);
      const logs = JSON.stringify(await s.manager.getDeliveryLogs());
      expect(logs).toContain("rejected: [header] is not valid");
      expect(logs).not.toContain("xoxb-1234-abcd-SECRET");
      expect(s.logs.text()).not.toContain("xoxb-1234-abcd-SECRET");
    } finally {
      await s.manager.stop();
      await rx.close();
    }
  });
});
