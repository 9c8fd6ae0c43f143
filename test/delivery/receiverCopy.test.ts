/**
 * examples/receiver/verify.mjs is the receiver helper to copy outside this repository; it must
 * never drift from src/delivery/receiver.ts. The same cases go through both (same result, reason
 * included) and through the reference Standard Webhooks verifier (`standardwebhooks`): whenever
 * ours accept a request as Standard Webhooks, the reference accepts it too, and the other way round.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import * as copy from "../../examples/receiver/verify.mjs";
import * as ours from "../../src/delivery/receiver.js";
import { empathySignature, signRequest, standardWebhookHeaders } from "../../src/delivery/signing.js";

const ROOT = join(import.meta.dirname ?? process.cwd(), "..", "..");
const whsec = `whsec_${randomBytes(32).toString("base64")}`;
const plain = "the secret: of the registration";
const body = JSON.stringify({ id: "evt_1", event_type: "test", timestamp: "2025-01-01T00:00:00.000Z", data: { note: "ünï 😀" } });
/** The real clock: the reference verifier has no `now` option. Cases stay far from the window's edges. */
const NOW = Math.floor(Date.now() / 1000);

type Headers = Record<string, string>;
const sign = (secret: string, over: { id?: string; at?: number; payload?: string } = {}): Headers =>
  signRequest({ id: over.id ?? "msg_1", timestamp: over.at ?? NOW, body: over.payload ?? body, secret });
const drop = (h: Headers, name: string): Headers =>
  Object.fromEntries(Object.entries(h).filter(([k]) => k.toLowerCase() !== name.toLowerCase()));

interface Case {
  name: string;
  payload?: string | Buffer;
  headers: unknown;
  secret: string | string[];
  options?: { toleranceSeconds?: number; allowLegacy?: boolean; now?: number };
  /** The reference verifier is not asked (its clock, or an input it does not take). */
  noReference?: string;
}

function cases(): Case[] {
  const legacy = { allowLegacy: true };
  const out: Case[] = [];
  for (const secret of [whsec, plain]) {
    const kind = secret === whsec ? "whsec_" : "plain";
    const good = sign(secret);
    out.push(
      { name: `${kind}: a good delivery`, headers: good, secret },
      { name: `${kind}: a good delivery, body as a Buffer`, payload: Buffer.from(body), headers: good, secret },
      {
        name: `${kind}: upper-case header names`,
        headers: Object.fromEntries(Object.entries(good).map(([k, v]) => [k.toUpperCase(), v])),
        secret,
      },
      { name: `${kind}: a fetch Headers`, headers: new Headers(good), secret, noReference: "takes a plain object" },
      { name: `${kind}: [name, value] pairs`, headers: Object.entries(good), secret, noReference: "takes a plain object" },
      { name: `${kind}: tampered body`, payload: body.replace("ünï", "uni"), headers: good, secret },
      { name: `${kind}: wrong secret`, headers: good, secret: "another secret" },
      { name: `${kind}: id changed`, headers: { ...good, "webhook-id": "msg_attacker" }, secret },
      { name: `${kind}: timestamp changed`, headers: { ...good, "webhook-timestamp": String(NOW + 1) }, secret },
      { name: `${kind}: stale (an hour old)`, headers: sign(secret, { at: NOW - 3600 }), secret },
      { name: `${kind}: in the future (an hour ahead)`, headers: sign(secret, { at: NOW + 3600 }), secret },
      { name: `${kind}: 4 minutes old`, headers: sign(secret, { at: NOW - 240 }), secret },
      {
        name: `${kind}: stale, with a wider window`,
        headers: sign(secret, { at: NOW - 3600 }),
        secret,
        options: { toleranceSeconds: 7200 },
        noReference: "fixed 5 minute window",
      },
      {
        name: `${kind}: at the edge of the window`,
        headers: sign(secret, { at: 1_000_000 - 300 }),
        secret,
        options: { now: 1_000_000 },
        noReference: "its own clock",
      },
      {
        name: `${kind}: just past the edge`,
        headers: sign(secret, { at: 1_000_000 - 301 }),
        secret,
        options: { now: 1_000_000 },
        noReference: "its own clock",
      },
      {
        name: `${kind}: several signatures, one matching`,
        headers: { ...good, "webhook-signature": `v1a,ignored ${sign("old")["webhook-signature"]} ${good["webhook-signature"]}` },
        secret,
      },
      { name: `${kind}: only another version`, headers: { ...good, "webhook-signature": "v2,abc" }, secret },
      { name: `${kind}: garbage signature`, headers: { ...good, "webhook-signature": "v1,@@@" }, secret },
      { name: `${kind}: no webhook-id`, headers: drop(good, "webhook-id"), secret },
      { name: `${kind}: no webhook-timestamp`, headers: drop(good, "webhook-timestamp"), secret },
      { name: `${kind}: timestamp not a number`, headers: { ...good, "webhook-timestamp": "soon" }, secret },
      { name: `${kind}: key rotation, the receiver holds both`, headers: sign("old-secret"), secret: [secret, "old-secret"] },
      {
        name: `${kind}: legacy header alone, refused by default`,
        headers: { "X-Empathy-Signature": empathySignature(body, secret) },
        secret,
      },
      {
        name: `${kind}: legacy header alone with allowLegacy`,
        headers: { "x-empathy-signature": empathySignature(body, secret), "webhook-id": "msg_unsigned" },
        secret,
        options: legacy,
      },
      {
        name: `${kind}: legacy header with sha256= prefix`,
        headers: { "X-Empathy-Signature": `sha256=${empathySignature(body, secret).toUpperCase()}` },
        secret,
        options: legacy,
      },
      {
        name: `${kind}: legacy header, tampered body`,
        payload: `${body} `,
        headers: { "X-Empathy-Signature": empathySignature(body, secret) },
        secret,
        options: legacy,
      },
      { name: `${kind}: legacy header not hex`, headers: { "X-Empathy-Signature": "xyz" }, secret, options: legacy },
      {
        name: `${kind}: a bad webhook-signature is not rescued by the legacy header`,
        headers: { ...good, "webhook-id": "msg_other" },
        secret,
        options: legacy,
      },
      {
        name: `${kind}: the audit's replay (signature stripped, fresh id)`,
        headers: {
          ...drop(sign(secret, { at: NOW - 30 * 86400 }), "webhook-signature"),
          "webhook-id": "msg_x",
          "webhook-timestamp": String(NOW),
        },
        secret,
      },
    );
  }
  out.push(
    { name: "no headers", headers: {}, secret: whsec },
    { name: "no headers, allowLegacy", headers: {}, secret: whsec, options: legacy },
    { name: "a parsed body", payload: JSON.parse(body), headers: sign(whsec), secret: whsec, noReference: "takes raw bytes only" },
    { name: "no secret", headers: sign(whsec), secret: "" },
    { name: "an invalid whsec_ secret", headers: sign(whsec), secret: "whsec_!!" },
    { name: "a negative tolerance", headers: sign(whsec), secret: whsec, options: { toleranceSeconds: -1 }, noReference: "no such option" },
    {
      name: "repeated header values",
      headers: { ...sign(whsec), "webhook-signature": ["v1,AAAA", sign(whsec)["webhook-signature"]] },
      secret: whsec,
      noReference: "takes strings",
    },
  );
  return out;
}

/** The reference verifier's verdict: a whsec_ secret as it is, any other as its raw UTF-8 bytes (as the README says). */
function referenceAccepts(payload: string | Buffer, headers: Record<string, string>, secret: string | string[]): boolean {
  for (const s of typeof secret === "string" ? [secret] : secret) {
    let wh: Webhook;
    try {
      wh = s.startsWith("whsec_") ? new Webhook(s) : new Webhook(Buffer.from(s, "utf8"), { format: "raw" });
    } catch {
      continue;
    }
    try {
      wh.verify(payload, headers, { jsonParse: false });
      return true;
    } catch {
      // not this key
    }
  }
  return false;
}

describe("examples/receiver/verify.mjs, the copy to take away", () => {
  it("imports nothing but Node's own modules", () => {
    const text = readFileSync(join(ROOT, "examples/receiver/verify.mjs"), "utf8");
    const imports = [...text.matchAll(/^\s*import\b[^;]*?from\s+["']([^"']+)["']/gm)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((s) => !s.startsWith("node:"))).toEqual([]);
    expect(text).not.toMatch(/\brequire\(|\bimport\(/);
  });

  it("exports what src/delivery/receiver.ts exports for receivers", () => {
    for (const name of ["verifyWebhookSignature", "getHeader", "MemorySeenStore", "DEFAULT_TOLERANCE_SECONDS"]) {
      expect(typeof (copy as Record<string, unknown>)[name]).toBe(typeof (ours as Record<string, unknown>)[name]);
    }
    expect(copy.DEFAULT_TOLERANCE_SECONDS).toBe(ours.DEFAULT_TOLERANCE_SECONDS);
  });

  const all = cases();
  it.each(all.map((c) => [c.name, c] as const))("%s: the same result as src/delivery/receiver.ts, and the reference agrees", (_name, c) => {
    const payload = c.payload ?? body;
    const options = { now: NOW, ...c.options };
    const expected = ours.verifyWebhookSignature(payload as string, c.headers as ours.HeadersLike, c.secret, options);
    const actual = copy.verifyWebhookSignature(payload as string, c.headers as copy.HeadersLike, c.secret, options);
    expect(actual).toEqual(expected);
    if (c.noReference === undefined) {
      expect(referenceAccepts(payload as string | Buffer, c.headers as Record<string, string>, c.secret)).toBe(
        expected.ok && expected.scheme === "standard-webhooks",
      );
    }
  });

  it("covers acceptance and refusal under both schemes", () => {
    const results = all.map((c) =>
      ours.verifyWebhookSignature((c.payload ?? body) as string, c.headers as ours.HeadersLike, c.secret, { now: NOW, ...c.options }),
    );
    expect(results.filter((r) => r.ok && r.scheme === "standard-webhooks").length).toBeGreaterThanOrEqual(10);
    expect(results.filter((r) => r.ok && r.scheme === "empathy").length).toBeGreaterThanOrEqual(2);
    expect(new Set(results.filter((r) => !r.ok).map((r) => (r as { reason: string }).reason)).size).toBeGreaterThanOrEqual(12);
  });

  it("signs as the bot signs: signWebhook gives signRequest's headers, and the reference verifies them", () => {
    for (const secret of [whsec, plain]) {
      for (const payload of [body, Buffer.from(body), ""]) {
        for (const timestamp of [NOW, new Date(NOW * 1000 + 999)]) {
          const headers = copy.signWebhook({ id: "msg_sign", timestamp, body: payload, secret });
          expect(headers).toEqual(signRequest({ id: "msg_sign", timestamp, body: payload, secret }));
          expect(referenceAccepts(payload as string | Buffer, headers as unknown as Record<string, string>, secret)).toBe(true);
        }
      }
    }
    const reference = new Webhook(whsec).sign("msg_ref", new Date(NOW * 1000), body);
    expect(copy.signWebhook({ id: "msg_ref", timestamp: NOW, body, secret: whsec })["webhook-signature"]).toBe(reference);
    expect(standardWebhookHeaders({ id: "msg_ref", timestamp: NOW, body, secret: whsec })["webhook-signature"]).toBe(reference);
    for (const bad of [
      { id: "", secret: whsec },
      { id: "msg 1", secret: whsec },
      { id: "msg_1", secret: "whsec_!!" },
    ]) {
      expect(() => copy.signWebhook({ ...bad, timestamp: NOW, body })).toThrow();
      expect(() => signRequest({ ...bad, timestamp: NOW, body })).toThrow();
    }
    // The bot sends an unsigned request without a secret; the test helper refuses to.
    expect(() => copy.signWebhook({ id: "msg_1", timestamp: NOW, body, secret: "" })).toThrow(/secret/);
  });

  it("looks headers up as src/delivery/receiver.ts does", () => {
    const h = sign(whsec);
    for (const headers of [
      h,
      new Headers(h),
      Object.entries(h),
      new Map(Object.entries(h)),
      { "Webhook-Signature": ["v1,a", "v1,b"] },
      {},
      null,
    ]) {
      for (const name of ["webhook-signature", "WEBHOOK-ID", "x-empathy-signature"]) {
        expect(copy.getHeader(headers as copy.HeadersLike, name)).toEqual(ours.getHeader(headers as ours.HeadersLike, name));
      }
    }
  });

  it("MemorySeenStore remembers and forgets as src/delivery/receiver.ts's does", () => {
    let clock = 0;
    const options = { ttlSeconds: 60, maxEntries: 2, now: () => clock };
    const stores = [new copy.MemorySeenStore(options), new ours.MemorySeenStore(options)];
    const trace = stores.map(() => [] as unknown[]);
    const steps: Array<(s: copy.MemorySeenStore | ours.MemorySeenStore) => unknown> = [
      (s) => s.has("a"),
      (s) => s.add("a"),
      (s) => s.has("a"),
      (s) => ((clock = 30_000), s.add("b")),
      (s) => s.add("c"),
      (s) => [s.has("a"), s.has("b"), s.has("c"), s.size],
      (s) => ((clock = 100_000), [s.has("b"), s.has("c"), s.size]),
    ];
    stores.forEach((store, i) => {
      clock = 0;
      for (const step of steps) trace[i].push(step(store));
    });
    expect(trace[0]).toEqual(trace[1]);
    expect(trace[0][5]).toEqual([false, true, true, 2]);
  });
});
