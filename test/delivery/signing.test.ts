import { createHmac, randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { empathySignature, SigningError, signRequest, standardWebhookHeaders, standardWebhookKey } from "../../src/delivery/signing.js";

const body = JSON.stringify({
  id: "evt_1",
  event_type: "level_4_prediction",
  timestamp: "2025-01-01T00:00:00.000Z",
  data: { prediction: 'Dropping "email" breaks ünïcode clients 😀', confidence: 0.87 },
});

describe("X-Empathy-Signature", () => {
  it("is the plain hex HMAC-SHA256 of the raw body keyed with the secret's UTF-8 bytes (the catalog receiver's check)", () => {
    const secret = "s3cr3t-ünï";
    const sig = empathySignature(body, secret);
    expect(sig).toMatch(/^[0-9a-f]{64}$/);
    expect(sig).toBe(createHmac("sha256", Buffer.from(secret, "utf8")).update(Buffer.from(body, "utf8")).digest("hex"));
    // The same bytes as a Buffer sign the same; one changed byte does not.
    expect(empathySignature(Buffer.from(body, "utf8"), secret)).toBe(sig);
    expect(empathySignature(body.replace("0.87", "0.88"), secret)).not.toBe(sig);
    // A whsec_ secret is still keyed with its UTF-8 bytes here (prefix included).
    expect(empathySignature(body, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).toBe(
      createHmac("sha256", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").update(body).digest("hex"),
    );
  });

  it("matches a known vector", () => {
    // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
    expect(empathySignature("what do ya want for nothing?", "Jefe")).toBe(
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
  });
});

describe("Standard Webhooks headers", () => {
  const now = new Date();

  it("verify with the reference library for a whsec_ secret", () => {
    const secret = `whsec_${randomBytes(32).toString("base64")}`;
    const headers = standardWebhookHeaders({ id: "msg_2Lh9KRb0pzN4LePd3XiA4TX0GdS", timestamp: now, body, secret });
    expect(headers["webhook-id"]).toBe("msg_2Lh9KRb0pzN4LePd3XiA4TX0GdS");
    expect(headers["webhook-timestamp"]).toBe(String(Math.floor(now.getTime() / 1000)));
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(secret).verify(Buffer.from(body), headers)).toEqual(JSON.parse(body));
  });

  it("verify with the reference library for the spec's example secret and a timestamp in seconds", () => {
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const seconds = Math.floor(Date.now() / 1000) - 10;
    const headers = standardWebhookHeaders({ id: "msg_1", timestamp: seconds + 0.9, body, secret });
    expect(headers["webhook-timestamp"]).toBe(String(seconds));
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    // and the reference's own signature is byte-for-byte ours
    expect(headers["webhook-signature"]).toBe(new Webhook(secret).sign("msg_1", new Date(seconds * 1000), body));
  });

  it("key a secret without the whsec_ prefix with its UTF-8 bytes (the reference verifies it given those raw bytes)", () => {
    const secret = "plain secret: ünïcödé";
    const headers = standardWebhookHeaders({ id: "msg_3", timestamp: now, body, secret });
    expect(standardWebhookKey(secret)).toEqual(Buffer.from(secret, "utf8"));
    expect(new Webhook(Buffer.from(secret, "utf8"), { format: "raw" }).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it("fail the reference verification when the body, id, timestamp or secret differ", () => {
    const secret = `whsec_${randomBytes(24).toString("base64")}`;
    const headers = standardWebhookHeaders({ id: "msg_4", timestamp: now, body, secret });
    const wh = new Webhook(secret);
    expect(() => wh.verify(body.replace("0.87", "0.99"), headers)).toThrow(/No matching signature/);
    expect(() => wh.verify(body, { ...headers, "webhook-id": "msg_5" })).toThrow(/No matching signature/);
    expect(() => wh.verify(body, { ...headers, "webhook-timestamp": String(Number(headers["webhook-timestamp"]) - 1) })).toThrow(
      /No matching signature/,
    );
    expect(() => new Webhook(`whsec_${randomBytes(24).toString("base64")}`).verify(body, headers)).toThrow(/No matching signature/);
    const stale = standardWebhookHeaders({ id: "msg_4", timestamp: new Date(Date.now() - 3600_000), body, secret });
    expect(() => wh.verify(body, stale)).toThrow(/too old/);
  });

  it("refuse bad secrets, ids and timestamps without echoing the secret", () => {
    const bad = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(SigningError);
        return (err as Error).message;
      }
      throw new Error("expected a SigningError");
    };
    expect(bad(() => standardWebhookKey("whsec_not base64!!"))).toBe(
      "the webhook secret starts with whsec_ but the rest is not valid base64",
    );
    expect(bad(() => standardWebhookKey("whsec_"))).toMatch(/holds no key bytes/);
    expect(bad(() => empathySignature(body, ""))).toMatch(/non-empty string/);
    expect(bad(() => standardWebhookHeaders({ id: "a b", timestamp: now, body, secret: "k" }))).toMatch(/webhook id/);
    expect(bad(() => standardWebhookHeaders({ id: "a\r\nX: y", timestamp: now, body, secret: "k" }))).toMatch(/webhook id/);
    expect(bad(() => standardWebhookHeaders({ id: "a", timestamp: new Date(NaN), body, secret: "k" }))).toMatch(/timestamp/);
    expect(bad(() => empathySignature({ parsed: true } as unknown as string, "k"))).toMatch(/raw request body/);
    expect(bad(() => standardWebhookKey("whsec_%%%-super-secret"))).not.toContain("super-secret");
  });
});

describe("signRequest", () => {
  it("gives every header of both schemes for one request", () => {
    const secret = `whsec_${randomBytes(32).toString("base64")}`;
    const timestamp = new Date();
    const headers = signRequest({ id: "msg_9", timestamp, body, secret });
    expect(Object.keys(headers).sort()).toEqual(["X-Empathy-Signature", "webhook-id", "webhook-signature", "webhook-timestamp"]);
    expect(headers["X-Empathy-Signature"]).toBe(empathySignature(body, secret));
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    // Same id and timestamp, same headers: deterministic, so every attempt carries the same id.
    expect(signRequest({ id: "msg_9", timestamp, body, secret })).toEqual(headers);
  });

  it("without a secret gives only webhook-id and webhook-timestamp", () => {
    expect(signRequest({ id: "msg_9", timestamp: 1_700_000_000, body, secret: undefined })).toEqual({
      "webhook-id": "msg_9",
      "webhook-timestamp": "1700000000",
    });
    expect(signRequest({ id: "msg_9", timestamp: 1_700_000_000, body, secret: null })).not.toHaveProperty("webhook-signature");
  });
});
