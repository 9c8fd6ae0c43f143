/** Builds the `{ id, event_type, timestamp, data }` envelope. */
import { randomUUID } from "node:crypto";
import type { EventData, EventEnvelope } from "./catalog.js";

export interface EnvelopeOptions {
  /** Clock, injectable for tests. */
  now?: () => Date;
  /** Id factory, injectable for tests; defaults to crypto.randomUUID. */
  newId?: () => string;
}

/**
 * The data is deep-copied and the result deep-frozen: handlers run later than the emitter,
 * so neither the emitter's later mutations nor one handler's edits may change what others see.
 */
export function createEnvelope<T extends string>(
  type: T,
  data: EventData<T>,
  options: EnvelopeOptions = {},
): EventEnvelope<T> {
  if (typeof type !== "string" || type.trim() === "") {
    throw new TypeError("event type must be a non-empty string");
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new TypeError(`data of event "${type}" must be an object`);
  }
  let copy: EventData<T>;
  try {
    copy = structuredClone(data);
  } catch (err) {
    throw new TypeError(`data of event "${type}" is not serialisable: ${(err as Error).message}`);
  }
  const envelope: EventEnvelope<T> = {
    id: (options.newId ?? randomUUID)(),
    event_type: type,
    timestamp: (options.now?.() ?? new Date()).toISOString(),
    data: copy,
  };
  return deepFreeze(envelope);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
