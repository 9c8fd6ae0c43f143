import { randomBytes } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { Webhook } from "standardwebhooks";
import { getHeader, MemorySeenStore, verifyWebhookSignature } from "../../src/delivery/receiver.js";
import { empathySignature, signRequest, standardWebhookHeaders } from "../../src/delivery/signing.js";
import { Receiver, setup, waitFor } from "./helpers.js";

const body = JSON.stringify({ id: "evt_1", event_type: "test", timestamp: "2025-01-01T00:00:00.000Z", data: { note: "ünï 😀" } });
const secret = `whsec_${randomBytes(32).toString("base64")}`;
const NOW = 1_750_000_000;

function signed(overrides: { id?: string; at?: number; secret?: string; payload?: string } = {}) {
  return signRequest({
    id: overrides.id ?? "msg_1",
    timestamp: overrides.at ?? NOW,
    body: overrides.payload ?? body,
    secret: overrides.secret ?? secret,
  });
}

describe("verifyWebhookSignature", () => {
  it("accepts a good Standard Webhooks request and returns its id, timestamp and scheme", () => {
    expect(verifyWebhookSignature(body, signed(), secret, { now: NOW })).toEqual({
      ok: true,
      id: "msg_1",
      timestamp: NOW,
      scheme: "standard-webhooks",
    });
    expect(verifyWebhookSignature(Buffer.from(body), signed(), secret, { now: new Date(NOW * 1000) }).ok).toBe(true);
  });

  it("accepts headers a reference signer produced (a whsec_ secret used as-is)", () => {
    const wh = new Webhook(secret);
    const at = new Date(NOW * 1000);
    const headers = { "webhook-id": "msg_ref", "webhook-timestamp": String(NOW), "webhook-signature": wh.sign("msg_ref", at, body) };
    expect(verifyWebhookSignature(body, headers, secret, { now: NOW })).toMatchObject({ ok: true, id: "msg_ref" });
  });

  it("looks headers up case-insensitively in Node headers, plain objects, fetch Headers and pairs", () => {
    const h = signed();
    const upper = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toUpperCase(), v]));
    const node: IncomingHttpHeaders = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
    for (const headers of [upper, node, new Headers(h), Object.entries(h), new Map(Object.entries(h))]) {
      expect(verifyWebhookSignature(body, headers, secret, { now: NOW })).toMatchObject({ ok: true, scheme: "standard-webhooks" });
    }
    expect(getHeader({ "Webhook-Signature": ["v1,a", "v1,b"] }, "webhook-signature")).toBe("v1,a v1,b");
  });

  it("accepts any of several space-separated v1 signatures (the sender rotating keys)", () => {
    const old = standardWebhookHeaders({ id: "msg_1", timestamp: NOW, body, secret: "old-secret" })["webhook-signature"];
    const current = signed()["webhook-signature"];
    const headers = { ...signed(), "webhook-signature": `v1a,ignored ${old} ${current}` };
    expect(verifyWebhookSignature(body, headers, secret, { now: NOW }).ok).toBe(true);
    // and the receiver may hold several secrets
    expect(verifyWebhookSignature(body, signed({ secret: "old-secret" }), [secret, "old-secret"], { now: NOW }).ok).toBe(true);
  });

  it("rejects a tampered body, a wrong secret, a changed id or timestamp", () => {
    const h = signed();
    expect(verifyWebhookSignature(body.replace("ünï", "uni"), h, secret, { now: NOW })).toEqual({
      ok: false,
      reason: "webhook-signature does not match",
    });
    expect(verifyWebhookSignature(body, h, "another secret", { now: NOW }).ok).toBe(false);
    expect(verifyWebhookSignature(body, { ...h, "webhook-id": "msg_2" }, secret, { now: NOW }).ok).toBe(false);
    expect(verifyWebhookSignature(body, { ...h, "webhook-timestamp": String(NOW + 1) }, secret, { now: NOW }).ok).toBe(false);
    expect(verifyWebhookSignature(body, { ...h, "webhook-signature": "v1,@@@" }, secret, { now: NOW }).ok).toBe(false);
    expect(verifyWebhookSignature(body, { ...h, "webhook-signature": "v2,abc" }, secret, { now: NOW })).toEqual({
      ok: false,
      reason: "webhook-signature has no v1 signature",
    });
  });

  it("does not fall back to X-Empathy-Signature when the Standard Webhooks check fails", () => {
    const h = { ...signed(), "webhook-signature": "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" };
    expect(verifyWebhookSignature(body, h, secret, { now: NOW }).ok).toBe(false);
  });

  it("rejects a stale or future timestamp (replay window), honouring toleranceSeconds", () => {
    const stale = signed({ at: NOW - 301 });
    expect(verifyWebhookSignature(body, stale, secret, { now: NOW })).toEqual({
      ok: false,
      reason: "webhook-timestamp is too old (more than 300 s ago)",
    });
    expect(verifyWebhookSignature(body, signed({ at: NOW - 300 }), secret, { now: NOW }).ok).toBe(true);
    expect(verifyWebhookSignature(body, stale, secret, { now: NOW, toleranceSeconds: 600 }).ok).toBe(true);
    const future = signed({ at: NOW + 301 });
    expect(verifyWebhookSignature(body, future, secret, { now: NOW })).toEqual({
      ok: false,
      reason: "webhook-timestamp is too far in the future (more than 300 s ahead)",
    });
    expect(verifyWebhookSignature(body, { ...signed(), "webhook-timestamp": "soon" }, secret, { now: NOW }).ok).toBe(false);
    // with the real clock by default
    expect(verifyWebhookSignature(body, signed({ at: Math.floor(Date.now() / 1000) }), secret).ok).toBe(true);
    expect(verifyWebhookSignature(body, signed(), secret).ok).toBe(false);
  });

  it("requires webhook-id and webhook-timestamp beside webhook-signature", () => {
    const { "webhook-id": _id, ...noId } = signed();
    const { "webhook-timestamp": _ts, ...noTs } = signed();
    expect(verifyWebhookSignature(body, noId, secret, { now: NOW })).toEqual({ ok: false, reason: "missing webhook-id header" });
    expect(verifyWebhookSignature(body, noTs, secret, { now: NOW })).toEqual({ ok: false, reason: "missing webhook-timestamp header" });
  });

  it("refuses the audit's replay by default: a month-old delivery, webhook-signature removed, fresh unsigned id and timestamp added", () => {
    const monthAgo = NOW - 30 * 24 * 3600;
    const captured = signed({ id: "msg_original", at: monthAgo }); // both schemes, as the bot sends them
    const { "webhook-signature": _removed, ...rest } = captured;
    const replay = { ...rest, "webhook-id": "msg_attacker", "webhook-timestamp": String(NOW) };
    expect(verifyWebhookSignature(body, replay, secret, { now: NOW })).toEqual({
      ok: false,
      reason: "missing webhook-signature header (X-Empathy-Signature alone is accepted only with allowLegacy: it cannot stop a replay)",
    });
    // With allowLegacy the (body-only) signature is accepted, but nothing unsigned comes back:
    // no attacker id to dedupe by, no timestamp that looks checked.
    expect(verifyWebhookSignature(body, replay, secret, { now: NOW, allowLegacy: true })).toEqual({
      ok: true,
      id: null,
      timestamp: null,
      scheme: "empathy",
    });
    // The untouched captured delivery is refused either way: its signed timestamp is a month old.
    for (const allowLegacy of [false, true]) {
      expect(verifyWebhookSignature(body, captured, secret, { now: NOW, allowLegacy })).toEqual({
        ok: false,
        reason: "webhook-timestamp is too old (more than 300 s ago)",
      });
    }
  });

  it("refuses X-Empathy-Signature alone unless allowLegacy: true", () => {
    const sig = empathySignature(body, secret);
    expect(verifyWebhookSignature(body, { "X-Empathy-Signature": sig }, secret, { now: NOW }).ok).toBe(false);
    expect(verifyWebhookSignature(body, { "X-Empathy-Signature": sig }, secret, { now: NOW, allowLegacy: false }).ok).toBe(false);
    // Only `true` opts in (a stray truthy value from untyped JS does not).
    expect(
      verifyWebhookSignature(body, { "X-Empathy-Signature": sig }, secret, { now: NOW, allowLegacy: "yes" as unknown as boolean }).ok,
    ).toBe(false);
  });

  it("with allowLegacy accepts X-Empathy-Signature alone (hex, sha256= tolerated) with id and timestamp null, never the unsigned headers", () => {
    const sig = empathySignature(body, secret);
    const legacy = { now: NOW, allowLegacy: true };
    expect(verifyWebhookSignature(body, { "x-empathy-signature": sig }, secret, legacy)).toEqual({
      ok: true,
      id: null,
      timestamp: null,
      scheme: "empathy",
    });
    expect(verifyWebhookSignature(body, { "X-Empathy-Signature": `sha256=${sig.toUpperCase()}` }, secret, legacy).ok).toBe(true);
    expect(
      verifyWebhookSignature(body, { "X-Empathy-Signature": sig, "webhook-id": "msg_7", "webhook-timestamp": String(NOW) }, secret, legacy),
    ).toEqual({
      ok: true,
      id: null,
      timestamp: null,
      scheme: "empathy",
    });
    expect(verifyWebhookSignature(`${body} `, { "X-Empathy-Signature": sig }, secret, legacy)).toEqual({
      ok: false,
      reason: "X-Empathy-Signature does not match",
    });
    expect(verifyWebhookSignature(body, { "X-Empathy-Signature": sig.slice(2) }, secret, legacy).ok).toBe(false);
    expect(verifyWebhookSignature(body, { "X-Empathy-Signature": empathySignature(body, "another secret") }, secret, legacy).ok).toBe(
      false,
    );
  });

  it("with allowLegacy still checks a Standard Webhooks signature when one is sent, with no fallback", () => {
    const legacy = { now: NOW, allowLegacy: true };
    expect(verifyWebhookSignature(body, signed(), secret, legacy)).toEqual({
      ok: true,
      id: "msg_1",
      timestamp: NOW,
      scheme: "standard-webhooks",
    });
    expect(verifyWebhookSignature(body.replace("ünï", "uni"), signed(), secret, legacy).ok).toBe(false);
    expect(verifyWebhookSignature(body, signed({ at: NOW - 301 }), secret, legacy).ok).toBe(false);
    // A valid X-Empathy-Signature does not rescue a bad webhook-signature (an id or timestamp changed).
    expect(verifyWebhookSignature(body, { ...signed(), "webhook-id": "msg_other" }, secret, legacy)).toEqual({
      ok: false,
      reason: "webhook-signature does not match",
    });
  });

  it("never throws on bad input", () => {
    expect(verifyWebhookSignature(body, {}, secret)).toEqual({ ok: false, reason: "no signature: expected the webhook-signature header" });
    expect(verifyWebhookSignature(body, {}, secret, { allowLegacy: true })).toEqual({
      ok: false,
      reason: "no signature: expected a webhook-signature or X-Empathy-Signature header",
    });
    expect(verifyWebhookSignature(JSON.parse(body), signed(), secret, { now: NOW })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/raw request body/),
    });
    expect(verifyWebhookSignature(body, signed(), "", { now: NOW })).toEqual({ ok: false, reason: "no secret configured" });
    expect(verifyWebhookSignature(body, signed(), "whsec_!!", { now: NOW }).ok).toBe(false);
  });
});

describe("real deliveries of the bot, checked with the standardwebhooks reference verifier and with ours", () => {
  const plain = "the secret: of the registration"; // not whsec_: its UTF-8 bytes are the key
  let rx: Receiver;
  let s: ReturnType<typeof setup>;
  beforeEach(async () => {
    rx = await new Receiver().listen();
    s = setup();
  });
  afterEach(async () => {
    await s.manager.stop();
    await rx.close();
  });

  it("verify by default (no allowLegacy), with the delivery's signed id and timestamp; tampered or stale copies are refused by both", async () => {
    s.manager.register({ eventType: "test", url: rx.url("/whsec"), secret });
    s.manager.register({ eventType: "test", url: rx.url("/plain"), secret: plain });
    await s.manager.start();
    s.bus.emit({ type: "test", data: { note: "ünï 😀" } });
    await waitFor(() => rx.requests.length === 2);
    for (const req of rx.requests) {
      const key = req.path === "/whsec" ? secret : plain;
      const reference = req.path === "/whsec" ? new Webhook(secret) : new Webhook(Buffer.from(plain, "utf8"), { format: "raw" });
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      expect(reference.verify(req.body, headers)).toEqual(JSON.parse(req.body));
      expect(verifyWebhookSignature(req.body, req.headers, key)).toEqual({
        ok: true,
        id: headers["webhook-id"],
        timestamp: Number(headers["webhook-timestamp"]),
        scheme: "standard-webhooks",
      });
      const tampered = req.body.replace("ünï", "uni");
      expect(() => reference.verify(tampered, headers)).toThrow();
      expect(verifyWebhookSignature(tampered, req.headers, key).ok).toBe(false);
      // The same request an hour later: outside both verifiers' 5 minute window.
      const later = Number(headers["webhook-timestamp"]) + 3600;
      expect(verifyWebhookSignature(req.body, req.headers, key, { now: later })).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/too old/),
      });
      // Replayed under another id: the signature covers the id.
      expect(() => reference.verify(req.body, { ...headers, "webhook-id": "msg_attacker" })).toThrow();
      expect(verifyWebhookSignature(req.body, { ...req.headers, "webhook-id": "msg_attacker" }, key).ok).toBe(false);
      // Stripped to the legacy header: refused unless allowLegacy, which then returns no id.
      const { "webhook-signature": _sig, ...stripped } = req.headers;
      expect(verifyWebhookSignature(req.body, stripped, key).ok).toBe(false);
      expect(verifyWebhookSignature(req.body, stripped, key, { allowLegacy: true })).toEqual({
        ok: true,
        id: null,
        timestamp: null,
        scheme: "empathy",
      });
    }
  });
});

describe("MemorySeenStore: a retried delivery is handled once", () => {
  it("remembers verified ids until they expire, and keeps at most maxEntries", () => {
    let clock = 0;
    const seen = new MemorySeenStore({ ttlSeconds: 60, maxEntries: 2, now: () => clock });
    const first = verifyWebhookSignature(body, signed({ id: "msg_dup" }), secret, { now: NOW });
    const retry = verifyWebhookSignature(body, signed({ id: "msg_dup", at: NOW + 30 }), secret, { now: NOW + 30 });
    expect(first.ok && retry.ok).toBe(true);
    if (!first.ok || !retry.ok) return;
    expect(seen.has(first.id!)).toBe(false);
    seen.add(first.id!);
    expect(retry.id).toBe(first.id);
    expect(seen.has(retry.id!)).toBe(true);
    clock = 61_000;
    expect(seen.has("msg_dup")).toBe(false);
    seen.add("a");
    seen.add("b");
    seen.add("c");
    expect(seen.size).toBe(2);
    expect(seen.has("a")).toBe(false);
    expect(seen.has("c")).toBe(true);
  });
});
