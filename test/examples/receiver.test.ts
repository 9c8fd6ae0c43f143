import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { join } from "node:path";
import { createReceiver, handleEvent, type DeliveryInfo } from "../../examples/receiver/server.js";
import { EVENT_TYPES, type AnyEventEnvelope } from "../../src/events/catalog.js";
import { empathySignature, signRequest } from "../../src/delivery/signing.js";

const secret = `whsec_${randomBytes(32).toString("base64")}`;

function envelope(n: number, type = "level_4_prediction"): AnyEventEnvelope {
  return {
    id: `evt_${n}`,
    event_type: type,
    timestamp: new Date().toISOString(),
    data: { prediction: `prediction ${n}`, confidence: 0.9, severity: "high", repo: "o/r", pr_number: n },
  };
}

describe("examples/receiver", () => {
  let server: Server;
  let url: string;
  const received: { event: AnyEventEnvelope; info: DeliveryInfo }[] = [];
  const logs: string[] = [];
  let failNext = false;

  beforeAll(async () => {
    server = createReceiver({
      secret,
      log: (line) => logs.push(line),
      onEvent: async (event, info) => {
        if (failNext) {
          failNext = false;
          throw new Error("downstream is down");
        }
        received.push({ event, info });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/empathy`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    received.length = 0;
  });

  async function send(body: string, headers: Record<string, string>, method = "POST") {
    const res = await fetch(url, {
      method,
      headers: { "content-type": "application/json", ...headers },
      body: method === "GET" ? undefined : body,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  function signed(body: string, id: string, timestamp: Date | number = new Date()) {
    return signRequest({ id, timestamp, body, secret });
  }

  it("handles a good signed delivery once", async () => {
    const body = JSON.stringify(envelope(1));
    const res = await send(body, signed(body, "msg_good"));
    expect(res).toEqual({ status: 200, body: { status: "ok", handled: 1, duplicates: 0 } });
    expect(received).toEqual([{ event: JSON.parse(body), info: { deliveryId: "msg_good", scheme: "standard-webhooks" } }]);
  });

  it("answers 401 to a tampered body and handles nothing", async () => {
    const body = JSON.stringify(envelope(2));
    const headers = signed(body, "msg_tampered");
    const res = await send(body.replace("prediction 2", "prediction 3"), headers);
    expect(res).toEqual({ status: 401, body: { error: "webhook-signature does not match" } });
    expect(received).toEqual([]);
  });

  it("answers 401 to a stale delivery (outside the replay window) and to an unsigned one", async () => {
    const body = JSON.stringify(envelope(3));
    const stale = await send(body, signed(body, "msg_stale", new Date(Date.now() - 10 * 60_000)));
    expect(stale.status).toBe(401);
    expect(stale.body.error).toMatch(/too old/);
    expect((await send(body, {})).status).toBe(401);
    expect(received).toEqual([]);
  });

  it("drops a duplicate webhook-id: 200 without handling it again, even with a fresh timestamp", async () => {
    const body = JSON.stringify(envelope(4));
    expect((await send(body, signed(body, "msg_dup"))).status).toBe(200);
    const again = await send(body, signed(body, "msg_dup", new Date(Date.now() + 2000)));
    expect(again).toEqual({ status: 200, body: { status: "duplicate" } });
    expect(received.map((r) => r.event.id)).toEqual(["evt_4"]);
  });

  it("handles a concurrent retry of one delivery once", async () => {
    const body = JSON.stringify(envelope(5));
    const headers = signed(body, "msg_concurrent");
    const results = await Promise.all([send(body, headers), send(body, headers), send(body, headers)]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(received.map((r) => r.event.id)).toEqual(["evt_5"]);
  });

  it("handles each event of a batch (an array), and a retried batch skips the events already handled", async () => {
    const events = [envelope(10), envelope(11, "pattern_learned"), envelope(12, "my_custom_event")];
    const body = JSON.stringify(events);
    expect(await send(body, signed(body, "msg_batch"))).toEqual({ status: 200, body: { status: "ok", handled: 3, duplicates: 0 } });
    expect(received.map((r) => r.event.id)).toEqual(["evt_10", "evt_11", "evt_12"]);
    // The same events re-batched under a new delivery id (e.g. after a sender restart).
    const rebatched = JSON.stringify([events[2], envelope(13)]);
    expect(await send(rebatched, signed(rebatched, "msg_batch_2"))).toEqual({
      status: 200,
      body: { status: "ok", handled: 1, duplicates: 1 },
    });
    expect(received.map((r) => r.event.id)).toEqual(["evt_10", "evt_11", "evt_12", "evt_13"]);
  });

  it("answers 500 when the handler fails, so the sender's retry is handled", async () => {
    const body = JSON.stringify(envelope(20));
    failNext = true;
    expect((await send(body, signed(body, "msg_retry"))).status).toBe(500);
    expect(received).toEqual([]);
    expect((await send(body, signed(body, "msg_retry"))).status).toBe(200);
    expect(received.map((r) => r.event.id)).toEqual(["evt_20"]);
  });

  it("answers 400 to malformed JSON and to JSON that is not an envelope, after checking the signature", async () => {
    const bad = '{"id": "evt_x", "event_type": ';
    expect(await send(bad, signed(bad, "msg_malformed"))).toEqual({ status: 400, body: { error: "malformed JSON" } });
    const notEnvelope = JSON.stringify({ text: "hello" });
    expect((await send(notEnvelope, signed(notEnvelope, "msg_not_envelope"))).status).toBe(400);
    expect((await send("[]", signed("[]", "msg_empty"))).status).toBe(400);
    expect((await send(bad, {})).status).toBe(401);
  });

  it("refuses X-Empathy-Signature alone by default: 401, nothing handled", async () => {
    const body = JSON.stringify(envelope(30));
    const res = await send(body, { "X-Empathy-Signature": empathySignature(body, secret) });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/missing webhook-signature header/);
    expect(received).toEqual([]);
  });

  it("refuses the audit's replay: a month-old delivery stripped of webhook-signature, with a fresh unsigned id and timestamp", async () => {
    const body = JSON.stringify(envelope(31));
    const captured = signed(body, "msg_month_old", new Date(Date.now() - 30 * 24 * 3600_000));
    const { "webhook-signature": _removed, ...rest } = captured;
    const replay = { ...rest, "webhook-id": "msg_attacker", "webhook-timestamp": String(Math.floor(Date.now() / 1000)) };
    expect((await send(body, replay)).status).toBe(401);
    expect((await send(body, captured)).status).toBe(401); // untouched: its signed timestamp is a month old
    expect(received).toEqual([]);
  });

  it("with allowLegacy accepts X-Empathy-Signature alone, with no delivery id, and a replay of it is caught only by its event ids", async () => {
    const legacy = createReceiver({
      secret,
      allowLegacy: true,
      log: () => undefined,
      onEvent: (event, info) => void received.push({ event, info }),
    });
    await new Promise<void>((resolve) => legacy.listen(0, "127.0.0.1", resolve));
    try {
      const at = `http://127.0.0.1:${(legacy.address() as AddressInfo).port}/`;
      const post = async (body: string, headers: Record<string, string>) =>
        (await fetch(at, { method: "POST", headers: { "content-type": "application/json", ...headers }, body })).json();
      const body = JSON.stringify(envelope(32));
      const headers = { "X-Empathy-Signature": empathySignature(body, secret), "webhook-id": "msg_unsigned", "webhook-timestamp": "1" };
      expect(await post(body, headers)).toEqual({ status: "ok", handled: 1, duplicates: 0 });
      expect(received.map((r) => r.info)).toEqual([{ deliveryId: null, scheme: "empathy" }]); // not the unsigned "msg_unsigned"
      expect(await post(body, { ...headers, "webhook-id": "msg_other" })).toEqual({ status: "ok", handled: 0, duplicates: 1 });
      // Standard Webhooks deliveries still verify, and a bad one still fails with no fallback.
      const fresh = JSON.stringify(envelope(33));
      expect(await post(fresh, signed(fresh, "msg_legacy_receiver"))).toEqual({ status: "ok", handled: 1, duplicates: 0 });
      const tampered = { ...signed(fresh, "msg_legacy_receiver_2"), "X-Empathy-Signature": empathySignature(`${fresh} `, secret) };
      expect(await post(`${fresh} `, tampered)).toEqual({ error: "webhook-signature does not match" });
      expect(received.map((r) => r.event.id)).toEqual(["evt_32", "evt_33"]);
    } finally {
      await new Promise<void>((resolve) => legacy.close(() => resolve()));
    }
  });

  it("answers 405 to other methods", async () => {
    const res = await fetch(url);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
  });

  it("has a one-line handler for each catalog event type, and logs custom types", () => {
    for (const type of EVENT_TYPES) {
      const lines: string[] = [];
      handleEvent(envelope(1, type), (line) => lines.push(line));
      expect(lines).toHaveLength(1);
      expect(lines[0]).not.toMatch(/^unhandled|^\[custom\]/);
    }
    const lines: string[] = [];
    handleEvent(envelope(1, "deploy_finished"), (line) => lines.push(line));
    expect(lines).toEqual([expect.stringMatching(/^\[custom\] deploy_finished: /)]);
    const prediction: string[] = [];
    handleEvent(envelope(7), (line) => prediction.push(line));
    expect(prediction).toEqual(["PREDICTION (90%, high): prediction 7 [o/r#7]"]);
  });
});

describe("examples/receiver/server.ts run with tsx", () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill("SIGTERM");
  });

  it("starts, verifies and handles a signed delivery", async () => {
    const root = join(import.meta.dirname ?? process.cwd(), "..", "..");
    child = spawn(join(root, "node_modules", ".bin", "tsx"), [join(root, "examples", "receiver", "server.ts")], {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: "", EMPATHY_WEBHOOK_SECRET: secret, PORT: "0", HOST: "127.0.0.1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "listening" line: ${output}`)), 20_000);
      child!.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        const m = /listening on (http:\/\/\S+)/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child!.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child!.on("exit", (code) => reject(new Error(`exited with ${code}: ${output}`)));
    });
    const body = JSON.stringify(envelope(42));
    const headers = { "content-type": "application/json", ...signRequest({ id: "msg_cli", timestamp: new Date(), body, secret }) };
    const res = await fetch(address, { method: "POST", headers, body });
    expect(res.status).toBe(200);
    expect((await fetch(address, { method: "POST", headers, body })).status).toBe(200);
    const bad = await fetch(address, { method: "POST", headers: { ...headers, "webhook-id": "msg_other" }, body });
    expect(bad.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(output.match(/PREDICTION \(90%, high\): prediction 42/g)).toHaveLength(1);
    expect(output).toMatch(/rejected: webhook-signature does not match/);
    const exited = new Promise((resolve) => child!.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  });
});
