/**
 * The data fields of each catalog event at run time, so a payload template naming a field the
 * event does not have is refused when it is registered rather than failing at every delivery.
 * The compile-time checks below keep this list and the catalog's types in step.
 */
import type { EventCatalog, EventType } from "../events/catalog.js";

/** `null`: free-form data (the `test` event), nothing to check. */
export const CATALOG_FIELDS = {
  interaction_started: ["user_id", "user_input", "timestamp", "repo", "pr_number"],
  interaction_completed: ["user_id", "response", "level", "confidence", "duration_ms", "repo", "pr_number"],
  level_transition: ["user_id", "from_level", "to_level", "reason", "repo"],
  level_1_response: ["user_id", "repo", "pr_number", "response"],
  level_2_clarification: ["user_id", "repo", "pr_number", "questions"],
  level_3_proactive_suggestion: ["user_id", "repo", "pr_number", "url", "suggestions"],
  level_4_prediction: [
    "prediction_id",
    "prediction",
    "confidence",
    "severity",
    "tags",
    "recommendation",
    "user_id",
    "timestamp",
    "repo",
    "pr_number",
    "url",
    "kind",
    "impact",
    "fingerprint",
    "evidence",
    "commit_sha",
    "installation_id",
  ],
  level_5_transformation: [
    "user_id",
    "repo",
    "pr_number",
    "url",
    "pattern_id",
    "pattern_name",
    "occurrences",
    "pr_numbers",
    "confidence",
    "proposal",
  ],
  pattern_learned: ["pattern_id", "pattern_name", "confidence", "user_id", "repo"],
  pattern_applied: ["pattern_id", "pattern_name", "confidence", "success", "repo", "user_id"],
  pattern_updated: ["pattern_id", "old_confidence", "new_confidence", "pattern_name", "repo"],
  trust_increased: ["user_id", "old_trust", "new_trust", "delta", "repo"],
  trust_decreased: ["user_id", "old_trust", "new_trust", "delta", "repo"],
  trust_milestone: ["user_id", "trust_level", "milestone", "repo"],
  coordination_request: ["requesting_agent", "target_agents", "topic", "priority"],
  conflict_detected: ["agent1", "agent2", "resource", "severity"],
  handoff_initiated: ["from_agent", "to_agent", "task", "context"],
  prediction_failure: ["prediction_id", "reason", "confidence", "user_id", "repo"],
  error: ["error_type", "error_message", "context"],
  test: null,
} as const satisfies { [K in EventType]: readonly (keyof EventCatalog[K] & string)[] | null };

// Every field of every (non free-form) catalog event is listed.
type Listed<K extends EventType> = (typeof CATALOG_FIELDS)[K] extends readonly (infer F)[] ? F : string;
type Unlisted = { [K in EventType]: Exclude<keyof EventCatalog[K] & string, Listed<K>> }[EventType];
const complete: [Unlisted] extends [never] ? true : never = true;
void complete;

/** Envelope fields a template may use beside the data's own. */
export const ENVELOPE_FIELDS = ["id", "event_type", "timestamp"] as const;

/** The fields known for an event type, or null when they cannot be known (custom, "*", test). */
export function knownFields(eventType: string): Set<string> | null {
  const list = (CATALOG_FIELDS as Record<string, readonly string[] | null>)[eventType];
  if (!list) return null;
  return new Set([...list, ...ENVELOPE_FIELDS]);
}

/** The top-level name of a placeholder path: "evidence.path" -> "evidence", "tags[0]" -> "tags". */
export function rootField(path: string): string {
  return path.split(/[.[]/, 1)[0];
}
