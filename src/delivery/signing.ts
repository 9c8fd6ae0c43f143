/**
 * Signatures of outgoing webhook requests. Every request carries two schemes:
 *
 * - `X-Empathy-Signature`: the lowercase hex HMAC-SHA256 of the raw body, keyed with the
 *   secret's UTF-8 bytes, with no `sha256=` prefix. That is exactly what the event catalog's
 *   receiver example checks (`hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()`
 *   compared with `hmac.compare_digest` against the whole header value), so a prefix would fail
 *   it. It covers the body only: no replay protection.
 * - Standard Webhooks (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp`
 *   (Unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`.
 *   Key: a `whsec_` secret is base64-decoded after the prefix (as the reference libraries do); a
 *   secret without the prefix is used as its UTF-8 bytes (the reference libraries would
 *   base64-decode it; we do not, so that one operator secret keys both schemes the same way.
 *   With the `standardwebhooks` library, verify such a secret with
 *   `new Webhook(Buffer.from(secret, "utf8"), { format: "raw" })`).
 *
 * The same `webhook-id` must be sent on every attempt of one delivery (receivers deduplicate by
 * it); the timestamp is the attempt's time. Error messages never contain a secret.
 */
import { createHmac } from "node:crypto";

export const EMPATHY_SIGNATURE_HEADER = "X-Empathy-Signature";
export const WEBHOOK_ID_HEADER = "webhook-id";
export const WEBHOOK_TIMESTAMP_HEADER = "webhook-timestamp";
export const WEBHOOK_SIGNATURE_HEADER = "webhook-signature";
export const WHSEC_PREFIX = "whsec_";

/** The raw bytes sent: a string (sent as UTF-8) or a Buffer / Uint8Array. */
export type RawBody = string | Uint8Array;

// Type aliases (not interfaces), so they are assignable to Record<string, string> / HeadersInit.
export type StandardWebhookHeaders = {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
};

export type SignedRequestHeaders = StandardWebhookHeaders & {
  "X-Empathy-Signature": string;
};

/** Headers of an unsigned request (no secret): receivers still deduplicate by `webhook-id`. */
export type UnsignedRequestHeaders = {
  "webhook-id": string;
  "webhook-timestamp": string;
};

export interface SignInput {
  /** The delivery's id, the same on every attempt. */
  id: string;
  /** The attempt's time: a Date, or Unix seconds. */
  timestamp: Date | number;
  /** The exact bytes that will be sent. */
  body: RawBody;
  secret: string;
}

export class SigningError extends Error {
  override readonly name = "SigningError";
}

export function bodyBytes(body: RawBody): Buffer {
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (body instanceof Uint8Array) return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new SigningError("the body to sign must be the raw request body (a string or a Buffer)");
}

function assertSecret(secret: unknown): asserts secret is string {
  if (typeof secret !== "string" || secret === "") throw new SigningError("the webhook secret must be a non-empty string");
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}|[A-Za-z0-9+/]{3})?$/;

/** The Standard Webhooks HMAC key of a secret: base64 after `whsec_`, else the UTF-8 bytes. */
export function standardWebhookKey(secret: string): Buffer {
  assertSecret(secret);
  if (!secret.startsWith(WHSEC_PREFIX)) return Buffer.from(secret, "utf8");
  const encoded = secret.slice(WHSEC_PREFIX.length);
  if (!BASE64.test(encoded)) throw new SigningError("the webhook secret starts with whsec_ but the rest is not valid base64");
  const key = Buffer.from(encoded, "base64");
  if (key.length === 0) throw new SigningError("the webhook secret starts with whsec_ but holds no key bytes");
  return key;
}

/** Hex HMAC-SHA256 of the raw body keyed with the secret's UTF-8 bytes (the `X-Empathy-Signature` value). */
export function empathySignature(rawBody: RawBody, secret: string): string {
  assertSecret(secret);
  return createHmac("sha256", Buffer.from(secret, "utf8")).update(bodyBytes(rawBody)).digest("hex");
}

/** Unix seconds of a Date or a number of seconds (floored). */
export function unixSeconds(timestamp: Date | number): number {
  const seconds = timestamp instanceof Date ? timestamp.getTime() / 1000 : timestamp;
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) {
    throw new SigningError("the webhook timestamp must be a valid Date or a non-negative number of Unix seconds");
  }
  return Math.floor(seconds);
}

function assertId(id: unknown): asserts id is string {
  // eslint-disable-next-line no-control-regex -- control characters are what an id must not hold
  if (typeof id !== "string" || id === "" || id.length > 256 || /[\s\u0000-\u001f\u007f]/.test(id)) {
    throw new SigningError("the webhook id must be a non-empty string of at most 256 characters without whitespace or control characters");
  }
}

/** The base64 HMAC of `${id}.${seconds}.${body}` with an already derived key. */
export function standardWebhookDigest(id: string, seconds: number, body: RawBody, key: Uint8Array): Buffer {
  return createHmac("sha256", key).update(`${id}.${seconds}.`, "utf8").update(bodyBytes(body)).digest();
}

/** `webhook-id`, `webhook-timestamp`, `webhook-signature` per the Standard Webhooks spec. */
export function standardWebhookHeaders(input: SignInput): StandardWebhookHeaders {
  assertId(input.id);
  const seconds = unixSeconds(input.timestamp);
  const digest = standardWebhookDigest(input.id, seconds, input.body, standardWebhookKey(input.secret));
  return {
    "webhook-id": input.id,
    "webhook-timestamp": String(seconds),
    "webhook-signature": `v1,${digest.toString("base64")}`,
  };
}

/**
 * Every signature header of one request: the Standard Webhooks three and `X-Empathy-Signature`.
 * Without a secret (undefined, null or ""), only `webhook-id` and `webhook-timestamp`.
 */
export function signRequest(input: SignInput): SignedRequestHeaders;
export function signRequest(input: Omit<SignInput, "secret"> & { secret?: string | null }): SignedRequestHeaders | UnsignedRequestHeaders;
export function signRequest(input: Omit<SignInput, "secret"> & { secret?: string | null }): SignedRequestHeaders | UnsignedRequestHeaders {
  if (input.secret === undefined || input.secret === null || input.secret === "") {
    assertId(input.id);
    bodyBytes(input.body);
    return { "webhook-id": input.id, "webhook-timestamp": String(unixSeconds(input.timestamp)) };
  }
  const standard = standardWebhookHeaders({ ...input, secret: input.secret });
  return { ...standard, [EMPATHY_SIGNATURE_HEADER]: empathySignature(input.body, input.secret) } as SignedRequestHeaders;
}
