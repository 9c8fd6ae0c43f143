/**
 * Slack's request signing (https://api.slack.com/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature` is `v0=` + hex HMAC-SHA256 of `v0:<X-Slack-Request-Timestamp>:<raw body>`
 * keyed with the app's signing secret. Requests older (or newer) than five minutes are refused,
 * so a captured request cannot be replayed later.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** Slack's replay window. */
export const SLACK_MAX_AGE_SECONDS = 5 * 60;

export function signSlackRequest(secret: string, timestamp: string | number, rawBody: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${rawBody}`).digest("hex")}`;
}

export type SignatureVerdict =
  { ok: true } | { ok: false; reason: "missing headers" | "bad timestamp" | "stale timestamp" | "bad signature" };

export function verifySlackSignature(args: {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: string;
  /** ms; default Date.now() */
  now?: number;
}): SignatureVerdict {
  const { secret, timestamp, signature, rawBody } = args;
  if (!timestamp || !signature) return { ok: false, reason: "missing headers" };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "bad timestamp" };
  const nowSeconds = Math.floor((args.now ?? Date.now()) / 1000);
  if (Math.abs(nowSeconds - Number(timestamp)) > SLACK_MAX_AGE_SECONDS) return { ok: false, reason: "stale timestamp" };
  const expected = Buffer.from(signSlackRequest(secret, timestamp, rawBody), "utf8");
  const given = Buffer.from(signature, "utf8");
  // timingSafeEqual needs equal lengths; a length mismatch is a bad signature either way.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "bad signature" };
  return { ok: true };
}
