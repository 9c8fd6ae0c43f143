/**
 * The typed event catalog: one entry per event of DESIGN.md's Events section.
 *
 * Field names are snake_case on purpose: receivers (webhook templates, Slack, the dashboard)
 * read them by these names, so they are a wire format, not a TypeScript style choice.
 * Data shapes are type literals (not interfaces) so they stay assignable to
 * `Record<string, unknown>` for generic consumers.
 *
 * Custom events: emit any string type (data is then loosely typed), or augment this interface
 * (`declare module ".../events/catalog.js" { interface EventCatalog { my_event: {...} } }`)
 * to type it.
 */
import type { Category, Severity, Side } from "../analysis/types.js";

/** A PR's number when the interaction concerns one; null for a question or a local diff. */
type PrNumber = number | null;

/** One level 3 suggestion: a finding present now, with its fix. */
export type SuggestionData = {
  rule: string;
  category: Category;
  path: string;
  line: number;
  severity: Severity;
  confidence: number;
  message: string;
  recommendation: string;
  /** Extra: lets receivers deduplicate across pushes. */
  fingerprint: string;
};

export interface EventCatalog {
  // interaction
  interaction_started: {
    user_id: string;
    /** Truncated and redacted: the raw PR text may hold a pasted secret. */
    user_input: string;
    timestamp: string;
    repo: string;
    pr_number: PrNumber;
  };
  interaction_completed: {
    user_id: string;
    response: string;
    level: number;
    confidence: number;
    duration_ms: number;
    repo: string;
    pr_number: PrNumber;
  };

  // levels
  level_transition: {
    user_id: string;
    from_level: number;
    to_level: number;
    reason: string;
    repo: string;
  };
  level_1_response: {
    user_id: string;
    repo: string;
    pr_number: PrNumber;
    response: string;
  };
  level_2_clarification: {
    user_id: string;
    repo: string;
    pr_number: PrNumber;
    questions: string[];
  };
  level_3_proactive_suggestion: {
    user_id: string;
    repo: string;
    pr_number: PrNumber;
    url: string | null;
    suggestions: SuggestionData[];
  };
  level_4_prediction: {
    prediction_id: string;
    prediction: string;
    confidence: number;
    severity: Severity;
    tags: string[];
    recommendation: string;
    user_id: string;
    timestamp: string;
    repo: string;
    pr_number: PrNumber;
    url: string | null;
    kind: string;
    impact: string;
    fingerprint: string;
    /** side: RIGHT is the head (linkable as a blob), LEFT the base. */
    evidence: { path: string; line: number; side: Side };
    commit_sha?: string;
    installation_id?: number;
  };
  level_5_transformation: {
    user_id: string;
    repo: string;
    pr_number: PrNumber;
    url: string | null;
    pattern_id: string;
    pattern_name: string;
    /** Distinct pull requests the pattern was seen in. */
    occurrences: number;
    pr_numbers: number[];
    confidence: number;
    /** The systemic fix proposed. */
    proposal: string;
  };

  // patterns
  pattern_learned: {
    pattern_id: string;
    pattern_name: string;
    confidence: number;
    user_id: string;
    repo: string;
  };
  pattern_applied: {
    pattern_id: string;
    pattern_name: string;
    confidence: number;
    /** True: the learned pattern's confidence was applied to this interaction's result. */
    success: boolean;
    repo: string;
    user_id: string;
  };
  pattern_updated: {
    pattern_id: string;
    old_confidence: number;
    new_confidence: number;
    pattern_name: string;
    repo: string;
  };

  // trust
  trust_increased: { user_id: string; old_trust: number; new_trust: number; delta: number; repo: string };
  trust_decreased: { user_id: string; old_trust: number; new_trust: number; delta: number; repo: string };
  trust_milestone: { user_id: string; trust_level: number; milestone: number; repo: string };

  // coordination
  coordination_request: {
    requesting_agent: string;
    target_agents: string[];
    topic: string;
    priority: string;
  };
  conflict_detected: { agent1: string; agent2: string; resource: string; severity: string };
  handoff_initiated: {
    from_agent: string;
    to_agent: string;
    task: string;
    context: Record<string, unknown>;
  };

  // failures
  prediction_failure: {
    prediction_id: string;
    reason: string;
    /** The rejected prediction's confidence, when known. */
    confidence: number | null;
    user_id?: string;
    repo?: string;
  };
  error: {
    error_type: string;
    error_message: string;
    context: Record<string, unknown>;
  };

  /** Free-form, for checking a pipeline end to end. */
  test: Record<string, unknown>;
}

export type EventType = keyof EventCatalog;

export const EVENT_TYPES = [
  "interaction_started",
  "interaction_completed",
  "level_transition",
  "level_1_response",
  "level_2_clarification",
  "level_3_proactive_suggestion",
  "level_4_prediction",
  "level_5_transformation",
  "pattern_learned",
  "pattern_applied",
  "pattern_updated",
  "trust_increased",
  "trust_decreased",
  "trust_milestone",
  "coordination_request",
  "conflict_detected",
  "handoff_initiated",
  "prediction_failure",
  "error",
  "test",
] as const;

// Compile-time guard: the array and the catalog list the same events.
type MissingFromArray = Exclude<EventType, (typeof EVENT_TYPES)[number]>;
type ExtraInArray = Exclude<(typeof EVENT_TYPES)[number], EventType>;
const exhaustive: [MissingFromArray | ExtraInArray] extends [never] ? true : never = true;
void exhaustive;

export function isEventType(type: string): type is EventType {
  return (EVENT_TYPES as readonly string[]).includes(type);
}

/** Data of an event type: the catalog's shape, or loose for custom types. */
export type EventData<T extends string> = T extends EventType ? EventCatalog[T] : Record<string, unknown>;

/** The envelope on the bus and on the wire. `id` is made once at emit, so retries keep it. */
export type EventEnvelope<T extends string = EventType> = {
  id: string;
  event_type: T;
  /** ISO 8601 */
  timestamp: string;
  data: EventData<T>;
};

/** What a wildcard handler or a generic consumer (webhooks, dashboard) receives. */
export type AnyEventEnvelope = EventEnvelope<string>;
