/**
 * The app's logger with one redaction step: every argument of every log call (messages, fields,
 * errors, a child's bindings) passes the redactor, whole, before pino serialises it. So a secret
 * from a pull request never reaches a log line, whichever module logs it, and the exact values the
 * current review found (see `withKnownSecrets`) are hidden too.
 */
import { redact } from "../analysis/secrets.js";

const LEVELS = new Set(["trace", "debug", "info", "warn", "error", "fatal"]);

/**
 * A copy of a log argument with `text` applied to every string; errors become plain fields (name,
 * message, stack, status, code), as pino would print them, without the rest of their properties
 * (an @octokit/webhooks error carries the whole request body). Class instances other than errors
 * (a request for pino-http's serializers) are kept as they are.
 */
export function mapLogValue(value: unknown, text: (s: string) => string, depth = 0): unknown {
  if (typeof value === "string") return text(value);
  if (value === null || typeof value !== "object" || depth > 32) return value;
  if (value instanceof Error) {
    const e = value as Error & { status?: unknown; code?: unknown };
    const fields = {
      name: e.name,
      message: text(e.message),
      ...(e.stack ? { stack: text(e.stack) } : {}),
      ...(e.status !== undefined ? { status: e.status } : {}),
      ...(e.code !== undefined ? { code: e.code } : {}),
    };
    // No prototype: pino's error serializer then names the type after `name`, not "Object".
    return Object.assign(Object.create(null) as object, fields);
  }
  if (Array.isArray(value)) return value.map((v) => mapLogValue(v, text, depth + 1));
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = mapLogValue(v, text, depth + 1);
  return out;
}

const redactValue = (value: unknown) => mapLogValue(value, redact);

export function redactingLog<T extends object>(log: T): T {
  return new Proxy(log, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "child") {
        return (bindings: unknown, ...rest: unknown[]) =>
          redactingLog((value as (...a: unknown[]) => object).call(target, redactValue(bindings), ...rest));
      }
      if (typeof prop === "string" && LEVELS.has(prop)) {
        return (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(target, args.map(redactValue));
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}
