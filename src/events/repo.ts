/** The repository an envelope concerns: shared by the dashboard's live stream and the event log, so both scope an event alike. */
import type { AnyEventEnvelope } from "./catalog.js";

/** The repository an envelope concerns (lower-cased `owner/name`), or null when it names none. */
export function repoOf(env: AnyEventEnvelope): string | null {
  const repo = (env.data as { repo?: unknown } | null | undefined)?.repo;
  return typeof repo === "string" && /^[^/\s]+\/[^/\s]+$/.test(repo) ? repo.toLowerCase() : null;
}
