/**
 * For receivers of the bot's webhooks: `verifyWebhookSignature` checks a request's signature,
 * `MemorySeenStore` remembers delivered `webhook-id`s so a retried delivery is handled once.
 * examples/receiver/ shows both in a small server. Receivers outside this repository copy
 * examples/receiver/verify.mjs, the same code with no import from this project (node:crypto
 * only); test/delivery/receiverCopy.test.ts keeps the two identical in behaviour.
 *
 * Safe by default: only the Standard Webhooks signature is accepted. It signs `webhook-id`,
 * `webhook-timestamp` and the body together, so a captured delivery cannot be replayed outside
 * the timestamp window nor under another id (the id receivers deduplicate by).
 *
 * 1. `webhook-signature`, `webhook-id` and `webhook-timestamp` are required; the timestamp must
 *    be within `toleranceSeconds` of now (too old or too far in the future fails); any of the
 *    space-separated `v1,<base64>` signatures may match. If this check fails the request fails:
 *    there is no fallback to the other scheme.
 * 2. Only with `{ allowLegacy: true }`, and only when there is no `webhook-signature` at all:
 *    `X-Empathy-Signature`, the hex HMAC-SHA256 of the body (a `sha256=` prefix is tolerated).
 *    It covers the body only, so it cannot stop a replay: the result has `id: null` and
 *    `timestamp: null`, whatever `webhook-id` / `webhook-timestamp` headers came with it, since
 *    nobody signed them (an attacker replaying an old body sets them freely). Without
 *    allowLegacy such a request fails: stripping `webhook-signature` from a captured delivery
 *    must not downgrade it to the weaker scheme.
 *
 * Comparisons are constant-time (crypto.timingSafeEqual after a length check). `secret` may be a
 * list (key rotation): any of them may match. Keys are derived as src/delivery/signing.ts does.
 */
import { timingSafeEqual } from "node:crypto";
import {
  EMPATHY_SIGNATURE_HEADER,
  WEBHOOK_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  bodyBytes,
  empathySignature,
  standardWebhookDigest,
  standardWebhookKey,
  type RawBody,
} from "./signing.js";

export type SignatureScheme = "standard-webhooks" | "empathy";

/** Node's IncomingHttpHeaders, a plain object (any key case), a fetch Headers, or [name, value] pairs. */
export type HeadersLike =
  { get(name: string): string | null } | Record<string, string | string[] | number | undefined> | Iterable<readonly [string, string]>;

export interface VerifyOptions {
  /** Accepted clock difference for `webhook-timestamp`, both ways; default 300 seconds. */
  toleranceSeconds?: number;
  /** The current time: a Date or Unix seconds; default the clock. */
  now?: Date | number;
  /**
   * Also accept `X-Empathy-Signature` alone (a sender that cannot send Standard Webhooks). No
   * replay protection: such a result has `id: null, timestamp: null`. Default false.
   */
  allowLegacy?: boolean;
}

/** A Standard Webhooks result carries the signed id and timestamp; a legacy one never carries unsigned values. */
export type VerifyResult =
  | { ok: true; id: string; timestamp: number; scheme: "standard-webhooks" }
  | { ok: true; id: null; timestamp: null; scheme: "empathy" }
  | { ok: false; reason: string };

export const DEFAULT_TOLERANCE_SECONDS = 300;

const HEX_SIGNATURE = /^[0-9a-fA-F]{64}$/;
const BASE64_SIGNATURE = /^[A-Za-z0-9+/]{43}=$/;

/** A header's value, case-insensitively; repeated values are joined with a space. */
export function getHeader(headers: HeadersLike, name: string): string | undefined {
  const wanted = name.toLowerCase();
  if (headers === null || typeof headers !== "object") return undefined;
  if (typeof (headers as { get?: unknown }).get === "function" && !(headers instanceof Map)) {
    const value = (headers as { get(name: string): string | null }).get(name);
    return value === null || value === undefined ? undefined : String(value);
  }
  const values: string[] = [];
  const add = (key: string, value: unknown): void => {
    if (key.toLowerCase() !== wanted || value === undefined || value === null) return;
    if (Array.isArray(value)) values.push(...value.map(String));
    else values.push(String(value));
  };
  if (Symbol.iterator in headers) {
    // A Map or [name, value] pairs.
    for (const pair of headers as Iterable<readonly [string, unknown]>) add(String(pair[0]), pair[1]);
  } else {
    for (const key of Object.keys(headers)) add(key, (headers as Record<string, unknown>)[key]);
  }
  return values.length === 0 ? undefined : values.join(" ");
}

function nowSeconds(now: Date | number | undefined): number {
  if (now === undefined) return Math.floor(Date.now() / 1000);
  return Math.floor(now instanceof Date ? now.getTime() / 1000 : now);
}

function secretsOf(secret: string | readonly string[]): string[] {
  const list = typeof secret === "string" ? [secret] : [...secret];
  return list.filter((s) => typeof s === "string" && s !== "");
}

function checkTimestamp(raw: string, toleranceSeconds: number, now: number): { ok: true; seconds: number } | { ok: false; reason: string } {
  if (!/^\d{1,15}$/.test(raw.trim())) return { ok: false, reason: "webhook-timestamp is not a number of Unix seconds" };
  const seconds = Number(raw.trim());
  if (now - seconds > toleranceSeconds) return { ok: false, reason: `webhook-timestamp is too old (more than ${toleranceSeconds} s ago)` };
  if (seconds - now > toleranceSeconds)
    return { ok: false, reason: `webhook-timestamp is too far in the future (more than ${toleranceSeconds} s ahead)` };
  return { ok: true, seconds };
}

/**
 * Verifies a delivery. `rawBody` must be the bytes as received (not re-serialised JSON).
 * Never throws for bad input: a bad request is `{ ok: false, reason }`.
 */
export function verifyWebhookSignature(
  rawBody: RawBody,
  headers: HeadersLike,
  secret: string | readonly string[],
  { toleranceSeconds = DEFAULT_TOLERANCE_SECONDS, now, allowLegacy = false }: VerifyOptions = {},
): VerifyResult {
  if (typeof rawBody !== "string" && !(rawBody instanceof Uint8Array)) {
    return { ok: false, reason: "rawBody must be the raw request body (a string or a Buffer), not a parsed object" };
  }
  const secrets = secretsOf(secret);
  if (secrets.length === 0) return { ok: false, reason: "no secret configured" };
  if (!Number.isFinite(toleranceSeconds) || toleranceSeconds < 0)
    return { ok: false, reason: "toleranceSeconds must be a non-negative number" };
  const body = bodyBytes(rawBody);
  const current = nowSeconds(now);

  const signatureHeader = getHeader(headers, WEBHOOK_SIGNATURE_HEADER);

  if (signatureHeader !== undefined) {
    const id = getHeader(headers, WEBHOOK_ID_HEADER) ?? null;
    const timestampHeader = getHeader(headers, WEBHOOK_TIMESTAMP_HEADER);
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
      let key: Buffer;
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
    const expected = Buffer.from(empathySignature(body, s), "hex");
    if (given.length === expected.length && timingSafeEqual(given, expected)) {
      // webhook-id and webhook-timestamp are not covered by this signature: not returned.
      return { ok: true, id: null, timestamp: null, scheme: "empathy" };
    }
  }
  return { ok: false, reason: `${EMPATHY_SIGNATURE_HEADER} does not match` };
}

/** Where a receiver remembers the deliveries it handled. */
export interface SeenStore {
  has(id: string): boolean | Promise<boolean>;
  add(id: string): void | Promise<void>;
}

export interface MemorySeenStoreOptions {
  /** How long an id is remembered; default 24 h (well beyond the 5 min timestamp window). */
  ttlSeconds?: number;
  /** The most ids kept; the oldest go first. Default 100,000. */
  maxEntries?: number;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
}

/** An in-process SeenStore (one process; use a shared store such as Redis or SQL for several). */
export class MemorySeenStore implements SeenStore {
  private readonly entries = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemorySeenStoreOptions = {}) {
    this.ttlMs = (options.ttlSeconds ?? 24 * 3600) * 1000;
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  has(id: string): boolean {
    const expires = this.entries.get(id);
    if (expires === undefined) return false;
    if (expires <= this.now()) {
      this.entries.delete(id);
      return false;
    }
    return true;
  }

  add(id: string): void {
    this.entries.delete(id);
    this.entries.set(id, this.now() + this.ttlMs);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
