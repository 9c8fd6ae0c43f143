// Verifies the Empathy bot's outgoing webhooks. A self-contained file: copy it into your receiver
// (Node.js 18 or later, no dependency: only node:crypto) and import it:
//
//   import { verifyWebhookSignature, MemorySeenStore } from "./verify.mjs";
//
//   const result = verifyWebhookSignature(rawBody, req.headers, process.env.EMPATHY_WEBHOOK_SECRET);
//   if (!result.ok) return reply(401, result.reason);
//   if (seen.has(result.id)) return reply(200, "duplicate");   // the same webhook-id on every retry
//
// verify.d.mts beside it gives TypeScript its types. It behaves exactly as src/delivery/receiver.ts
// in the bot's repository (test/delivery/receiverCopy.test.ts runs the same cases through both
// and through the reference Standard Webhooks verifier).
//
// Safe by default: only the Standard Webhooks signature is accepted. It signs `webhook-id`,
// `webhook-timestamp` and the body together, so a captured delivery cannot be replayed outside
// the timestamp window nor under another id (the id receivers deduplicate by).
//
// 1. `webhook-signature`, `webhook-id` and `webhook-timestamp` are required; the timestamp must be
//    within `toleranceSeconds` of now (too old or too far in the future fails); any of the
//    space-separated `v1,<base64>` signatures may match. If this check fails the request fails:
//    there is no fallback to the other scheme.
// 2. Only with `{ allowLegacy: true }`, and only when there is no `webhook-signature` at all:
//    `X-Empathy-Signature`, the hex HMAC-SHA256 of the body (a `sha256=` prefix is tolerated). It
//    covers the body only, so it cannot stop a replay: the result has `id: null` and
//    `timestamp: null`, whatever `webhook-id` / `webhook-timestamp` headers came with it.
//
// Keys: a `whsec_` secret is base64-decoded after the prefix (as the Standard Webhooks libraries
// do); any other secret is used as its UTF-8 bytes (for both schemes). `secret` may be a list (key
// rotation): any of them may match. Comparisons are constant-time.
import { createHmac, timingSafeEqual } from "node:crypto";

export const DEFAULT_TOLERANCE_SECONDS = 300;

const EMPATHY_SIGNATURE_HEADER = "X-Empathy-Signature";
const WHSEC_PREFIX = "whsec_";
const HEX_SIGNATURE = /^[0-9a-fA-F]{64}$/;
const BASE64_SIGNATURE = /^[A-Za-z0-9+/]{43}=$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}|[A-Za-z0-9+/]{3})?$/;

/** A header's value, case-insensitively, from Node's headers, a plain object, a fetch Headers, a Map or [name, value] pairs; repeated values are joined with a space. */
export function getHeader(headers, name) {
  const wanted = name.toLowerCase();
  if (headers === null || typeof headers !== "object") return undefined;
  if (typeof headers.get === "function" && !(headers instanceof Map)) {
    const value = headers.get(name);
    return value === null || value === undefined ? undefined : String(value);
  }
  const values = [];
  const add = (key, value) => {
    if (key.toLowerCase() !== wanted || value === undefined || value === null) return;
    if (Array.isArray(value)) values.push(...value.map(String));
    else values.push(String(value));
  };
  if (Symbol.iterator in headers) {
    for (const pair of headers) add(String(pair[0]), pair[1]);
  } else {
    for (const key of Object.keys(headers)) add(key, headers[key]);
  }
  return values.length === 0 ? undefined : values.join(" ");
}

function bodyBytes(body) {
  if (typeof body === "string") return Buffer.from(body, "utf8");
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** The Standard Webhooks HMAC key of a secret: base64 after `whsec_`, else the UTF-8 bytes. Throws on a bad `whsec_` secret. */
function standardWebhookKey(secret) {
  if (!secret.startsWith(WHSEC_PREFIX)) return Buffer.from(secret, "utf8");
  const encoded = secret.slice(WHSEC_PREFIX.length);
  if (!BASE64.test(encoded)) throw new Error("the webhook secret starts with whsec_ but the rest is not valid base64");
  const key = Buffer.from(encoded, "base64");
  if (key.length === 0) throw new Error("the webhook secret starts with whsec_ but holds no key bytes");
  return key;
}

function standardWebhookDigest(id, seconds, body, key) {
  return createHmac("sha256", key).update(`${id}.${seconds}.`, "utf8").update(body).digest();
}

function empathyDigest(body, secret) {
  return createHmac("sha256", Buffer.from(secret, "utf8")).update(body).digest();
}

function nowSeconds(now) {
  if (now === undefined) return Math.floor(Date.now() / 1000);
  return Math.floor(now instanceof Date ? now.getTime() / 1000 : now);
}

function secretsOf(secret) {
  const list = typeof secret === "string" ? [secret] : [...secret];
  return list.filter((s) => typeof s === "string" && s !== "");
}

function checkTimestamp(raw, toleranceSeconds, now) {
  if (!/^\d{1,15}$/.test(raw.trim())) return { ok: false, reason: "webhook-timestamp is not a number of Unix seconds" };
  const seconds = Number(raw.trim());
  if (now - seconds > toleranceSeconds) return { ok: false, reason: `webhook-timestamp is too old (more than ${toleranceSeconds} s ago)` };
  if (seconds - now > toleranceSeconds)
    return { ok: false, reason: `webhook-timestamp is too far in the future (more than ${toleranceSeconds} s ahead)` };
  return { ok: true, seconds };
}

/**
 * Verifies a delivery. `rawBody` must be the bytes as received (a string or a Buffer, not
 * re-serialised JSON). Never throws for bad input: a bad request is `{ ok: false, reason }`.
 * Options: `toleranceSeconds` (default 300), `now` (a Date or Unix seconds; default the clock),
 * `allowLegacy` (default false).
 */
export function verifyWebhookSignature(
  rawBody,
  headers,
  secret,
  { toleranceSeconds = DEFAULT_TOLERANCE_SECONDS, now, allowLegacy = false } = {},
) {
  if (typeof rawBody !== "string" && !(rawBody instanceof Uint8Array)) {
    return { ok: false, reason: "rawBody must be the raw request body (a string or a Buffer), not a parsed object" };
  }
  const secrets = secretsOf(secret);
  if (secrets.length === 0) return { ok: false, reason: "no secret configured" };
  if (!Number.isFinite(toleranceSeconds) || toleranceSeconds < 0)
    return { ok: false, reason: "toleranceSeconds must be a non-negative number" };
  const body = bodyBytes(rawBody);
  const current = nowSeconds(now);

  const signatureHeader = getHeader(headers, "webhook-signature");
  if (signatureHeader !== undefined) {
    const id = getHeader(headers, "webhook-id") ?? null;
    const timestampHeader = getHeader(headers, "webhook-timestamp");
    if (id === null || id === "") return { ok: false, reason: "missing webhook-id header" };
    if (timestampHeader === undefined) return { ok: false, reason: "missing webhook-timestamp header" };
    const ts = checkTimestamp(timestampHeader, toleranceSeconds, current);
    if (!ts.ok) return ts;
    const candidates = signatureHeader
      .split(/\s+/)
      .map((token) => token.replace(/,$/, ""))
      .filter((token) => token.startsWith("v1,"))
      .map((token) => token.slice(3));
    if (candidates.length === 0) return { ok: false, reason: "webhook-signature has no v1 signature" };
    for (const s of secrets) {
      let key;
      try {
        key = standardWebhookKey(s);
      } catch {
        continue;
      }
      const expected = standardWebhookDigest(id, ts.seconds, body, key);
      for (const candidate of candidates) {
        if (!BASE64_SIGNATURE.test(candidate)) continue;
        const given = Buffer.from(candidate, "base64");
        if (given.length === expected.length && timingSafeEqual(given, expected)) {
          return { ok: true, id, timestamp: ts.seconds, scheme: "standard-webhooks" };
        }
      }
    }
    return { ok: false, reason: "webhook-signature does not match" };
  }

  const empathyHeader = getHeader(headers, EMPATHY_SIGNATURE_HEADER);
  if (allowLegacy !== true) {
    return {
      ok: false,
      reason:
        empathyHeader === undefined
          ? "no signature: expected the webhook-signature header"
          : `missing webhook-signature header (${EMPATHY_SIGNATURE_HEADER} alone is accepted only with allowLegacy: it cannot stop a replay)`,
    };
  }
  if (empathyHeader === undefined) {
    return { ok: false, reason: `no signature: expected a webhook-signature or ${EMPATHY_SIGNATURE_HEADER} header` };
  }
  const hex = empathyHeader.trim().replace(/^sha256=/i, "");
  if (!HEX_SIGNATURE.test(hex)) return { ok: false, reason: `${EMPATHY_SIGNATURE_HEADER} is not a hex HMAC-SHA256` };
  const given = Buffer.from(hex, "hex");
  for (const s of secrets) {
    const expected = empathyDigest(body, s);
    if (given.length === expected.length && timingSafeEqual(given, expected)) {
      // webhook-id and webhook-timestamp are not covered by this signature: not returned.
      return { ok: true, id: null, timestamp: null, scheme: "empathy" };
    }
  }
  return { ok: false, reason: `${EMPATHY_SIGNATURE_HEADER} does not match` };
}

/**
 * The headers the bot sends with a delivery (both schemes), for testing a receiver: `id` (the
 * same on every retry), `timestamp` (a Date or Unix seconds), the exact `body` and the `secret`.
 */
export function signWebhook({ id, timestamp, body, secret }) {
  // eslint-disable-next-line no-control-regex -- control characters are what an id must not hold
  if (typeof id !== "string" || id === "" || id.length > 256 || /[\s\u0000-\u001f\u007f]/.test(id)) {
    throw new Error("the webhook id must be a non-empty string of at most 256 characters without whitespace or control characters");
  }
  if (typeof secret !== "string" || secret === "") throw new Error("the webhook secret must be a non-empty string");
  const raw = timestamp instanceof Date ? timestamp.getTime() / 1000 : timestamp;
  if (typeof raw !== "number" || !Number.isFinite(raw) || raw < 0)
    throw new Error("the webhook timestamp must be a valid Date or a non-negative number of Unix seconds");
  const seconds = Math.floor(raw);
  const bytes = bodyBytes(body);
  return {
    "webhook-id": id,
    "webhook-timestamp": String(seconds),
    "webhook-signature": `v1,${standardWebhookDigest(id, seconds, bytes, standardWebhookKey(secret)).toString("base64")}`,
    [EMPATHY_SIGNATURE_HEADER]: empathyDigest(bytes, secret).toString("hex"),
  };
}

/**
 * Remembers handled delivery ids so a retried delivery is handled once: in this process only (use
 * a shared store such as Redis or SQL for several). Options: `ttlSeconds` (default 24 h, well
 * beyond the 5 minute timestamp window), `maxEntries` (default 100,000; the oldest go first),
 * `now` (a clock in milliseconds, for tests).
 */
export class MemorySeenStore {
  #entries = new Map();
  #ttlMs;
  #maxEntries;
  #now;

  constructor(options = {}) {
    this.#ttlMs = (options.ttlSeconds ?? 24 * 3600) * 1000;
    this.#maxEntries = options.maxEntries ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  has(id) {
    const expires = this.#entries.get(id);
    if (expires === undefined) return false;
    if (expires <= this.#now()) {
      this.#entries.delete(id);
      return false;
    }
    return true;
  }

  add(id) {
    this.#entries.delete(id);
    this.#entries.set(id, this.#now() + this.#ttlMs);
    while (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value);
  }

  get size() {
    return this.#entries.size;
  }
}
