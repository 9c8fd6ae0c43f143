/**
 * A thrown value as text. Errors are judged by shape, not `instanceof`: they may come from another
 * realm (undici's DOMException, a test VM), and a library may throw a plain `{ message }`.
 */

/** The value's `message` when it is an object with a string one; otherwise undefined. */
export function messageOf(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && typeof (err as { message?: unknown }).message === "string"
    ? (err as { message: string }).message
    : undefined;
}

/** The error's message, or String() of anything else that was thrown. */
export function errorMessage(err: unknown): string {
  return messageOf(err) ?? String(err);
}
