/**
 * The dashboard's keys and the primitives built on them. One session secret, several keys
 * derived from it (HKDF-SHA256, one label per use), so a value signed for one purpose (the OAuth
 * state) is never accepted for another (the session, a CSRF token).
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";

export interface DashboardKeys {
  /** HMAC key of the session cookie. */
  sessionMac: Buffer;
  /** AES-256-GCM key of the session cookie's content (it holds the user's GitHub token). */
  sessionEnc: Buffer;
  /** HMAC key of the short-lived OAuth state cookie. */
  stateMac: Buffer;
  /** HMAC key of CSRF tokens (bound to the session id). */
  csrf: Buffer;
}

/** A secret shorter than this is refused: it would be guessable. */
export const MIN_SECRET_LENGTH = 32;

export function deriveKeys(secret: string): DashboardKeys {
  if (secret.length < MIN_SECRET_LENGTH) throw new Error(`the dashboard session secret must be at least ${MIN_SECRET_LENGTH} characters`);
  const derive = (label: string) => Buffer.from(hkdfSync("sha256", secret, "empathy-dashboard", label, 32));
  return {
    sessionMac: derive("session-mac-v1"),
    sessionEnc: derive("session-enc-v1"),
    stateMac: derive("oauth-state-v1"),
    csrf: derive("csrf-v1"),
  };
}

export function b64url(buf: Buffer): string {
  return buf.toString("base64url");
}

/** Random URL-safe text with `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  return b64url(randomBytes(bytes));
}

export function hmac(key: Buffer, text: string): string {
  return b64url(createHmac("sha256", key).update(text).digest());
}

/** Constant-time equality of two strings (the length alone may leak, which is public here). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `payload.mac`: the payload must hold no "." of its own (base64url text never does). */
export function sign(key: Buffer, payload: string): string {
  return `${payload}.${hmac(key, payload)}`;
}

/** The payload of a `sign`ed value, or undefined when the signature does not match. */
export function verify(key: Buffer, signed: string): string | undefined {
  const dot = signed.lastIndexOf(".");
  if (dot <= 0) return undefined;
  const payload = signed.slice(0, dot);
  return safeEqual(signed.slice(dot + 1), hmac(key, payload)) ? payload : undefined;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** AES-256-GCM: iv | ciphertext | tag, base64url. */
export function seal(key: Buffer, plaintext: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return b64url(Buffer.concat([iv, body, cipher.getAuthTag()]));
}

/** The plaintext, or undefined when the box was not sealed with this key or was altered. */
export function open(key: Buffer, box: string): string | undefined {
  const raw = Buffer.from(box, "base64url");
  if (raw.length < IV_BYTES + TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString("utf8");
  } catch {
    return undefined;
  }
}
