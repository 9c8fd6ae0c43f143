/**
 * What delivery logs and stored errors may show: an error's text (redacted and cut), a network
 * error's cause, and a registration's text with its URL path, secret, header values and secret
 * body values taken out (webhook URLs carry tokens in their path or query).
 */
import { redact } from "../analysis/secrets.js";
import { errorMessage, messageOf } from "../text/errorMessage.js";
import type { Registration } from "./registration.js";

/** Errors may come from another realm (undici's DOMException, a test VM): judged by shape, not instanceof. */
export function errorName(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && typeof (err as { name?: unknown }).name === "string"
    ? (err as { name: string }).name
    : undefined;
}

export function errorText(err: unknown): string {
  const text = redact(errorMessage(err)); // whole, before the cut
  return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
}

/** fetch's "fetch failed" says little: the cause (ECONNREFUSED, ENOTFOUND, a TLS error) says what. */
export function networkErrorText(err: unknown): string {
  const message = errorText(err);
  const cause = typeof err === "object" && err !== null ? (err as { cause?: unknown }).cause : undefined;
  const causeMessage = messageOf(cause);
  if (causeMessage === undefined) return message;
  const code = (cause as { code?: unknown }).code;
  return `${message}: ${typeof code === "string" && !causeMessage.includes(code) ? `${code} ` : ""}${causeMessage}`;
}

/** Text as it may be logged and stored: no URL path (it often holds a token), secret, header value or token. */
export function redactForRegistration(text: string, reg: Registration, max = 2000): string {
  let out = text.split(reg.url.href).join(reg.origin);
  const tail = reg.url.href.slice(reg.origin.length);
  if (tail.length > 1) out = out.split(tail).join("/…");
  if (reg.secret) out = out.split(reg.secret).join("[secret]");
  for (const value of reg.secretValues) out = out.split(value).join("[secret]");
  // Header values carry API keys and bearer tokens (Slack, Datadog, JIRA), also as the bare token.
  for (const [name, value] of Object.entries(reg.headers)) {
    if (/^(content-type|accept|user-agent)$/i.test(name)) continue;
    for (const part of [value, ...value.split(/\s+/)]) if (part.length >= 8) out = out.split(part).join("[header]");
  }
  out = redact(out); // the whole text, before the cut
  return out.length > max ? `${out.slice(0, max)}…` : out;
}
