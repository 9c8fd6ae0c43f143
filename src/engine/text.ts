/**
 * Small text helpers for what the engine puts into events. PR text is user input that may hold
 * a pasted token, and events leave the process (webhooks, Slack), so it is redacted and bounded.
 */
// The one redaction step (also hides the found secret values of the review running this code).
export { redact } from "../analysis/secrets.js";
export { truncate } from "../text/truncate.js";

/** First non-empty line, e.g. a PR title out of "title\n\nbody". */
export function firstLine(text: string): string {
  return (
    text
      .split(/\r?\n/)
      .find((l) => l.trim() !== "")
      ?.trim() ?? ""
  );
}
