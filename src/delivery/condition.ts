/**
 * Webhook conditions: the one compiler for a registration's `condition` (the operator config's
 * `condition:` and `registerConditional({ condition: "…" })`), and what a condition sees.
 *
 * A condition is a CEL expression, bounded (celCondition.ts: RE2 regexes, limited size and
 * nesting, capped data, a time budget). It sees the event's `data` fields plus the envelope's
 * `id` and `timestamp` where the data has no field of that name, and the envelope's
 * `event_type` always: the envelope's own fields are the event's identity, so a data field named
 * `event_type` cannot make an event pass for another type (the same data a payload template
 * renders over: template.ts `eventTemplateData`).
 *
 * It holds only when it evaluates to true. An evaluation error (a field the event lacks, a type
 * error) or a result other than a bool is false; a run cut short by a bound is false and
 * `report` is told why (never with the event data).
 */
import { CelConditionError, compileCel, type ConditionSkipReporter } from "./celCondition.js";

/**
 * Called with the event's data and its envelope (a registration always passes it; without it,
 * the data is all the condition sees). Function conditions given in code have the same shape.
 */
export type EventCondition = (
  data: Record<string, unknown>,
  envelope?: { id?: string; event_type?: string; timestamp?: string },
  report?: ConditionSkipReporter,
) => boolean;

/** The expression cannot be used: syntax or type error, a non-boolean result type, a bound passed, a pattern RE2 refuses. */
export class ConditionError extends Error {
  override readonly name = "ConditionError";
}

/** What a condition evaluates over: the data, the envelope's id and timestamp unless the data has them, the envelope's event_type. */
export function conditionContext(
  data: Record<string, unknown>,
  envelope?: { id?: string; event_type?: string; timestamp?: string },
): Record<string, unknown> {
  const context: Record<string, unknown> = { ...data };
  if (envelope) {
    if (envelope.id !== undefined && context.id === undefined) context.id = envelope.id;
    if (envelope.timestamp !== undefined && context.timestamp === undefined) context.timestamp = envelope.timestamp;
    if (envelope.event_type !== undefined) context.event_type = envelope.event_type;
  }
  return context;
}

/** Compiles a CEL condition; throws ConditionError. Call it with `(envelope.data, envelope)` or with `eventTemplateData(envelope)`. */
export function compileCondition(source: string): EventCondition {
  let predicate: ReturnType<typeof compileCel>;
  try {
    predicate = compileCel(source);
  } catch (err) {
    if (!(err instanceof CelConditionError)) throw err;
    throw new ConditionError(err.message);
  }
  return (data, envelope, report) => predicate(conditionContext(data, envelope), report);
}
