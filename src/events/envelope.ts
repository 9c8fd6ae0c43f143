/** Builds the `{ id, event_type, timestamp, data }` envelope. */
import { randomUUID } from "node:crypto";
import { types } from "node:util";
import { redact } from "../analysis/secrets.js";
import type { EventData, EventEnvelope } from "./catalog.js";
import { errorMessage } from "../text/errorMessage.js";

export interface EnvelopeOptions {
  /** Clock, injectable for tests. */
  now?: () => Date;
  /** Id factory, injectable for tests; defaults to newEventId. */
  newId?: () => string;
}

// --- ids ---

/** The 4,096 three-digit hex strings, so the hot path of newEventId neither formats nor pads. */
const HEX3 = Array.from({ length: 4096 }, (_, i) => i.toString(16).padStart(3, "0"));
/** 2^48: the counter fills the last 12 hex digits of the UUID. */
const COUNTER_LIMIT = 2 ** 48;

/** `xxxxxxxx-xxxx-4xxx-yxxx-`: the random part of a version 4 UUID (74 random bits). */
function randomPrefix(): string {
  return randomUUID().slice(0, 24);
}

let idPrefix = randomPrefix();
let idCounter = 0;
let idBlock = "";

/**
 * A unique event id in the version 4 UUID format: a per-process random prefix (74 random bits,
 * drawn again when the counter wraps) and a 48-bit counter. Unique within the process by the
 * counter and across processes and restarts by the prefix, at a fraction of the cost of a
 * `randomUUID()` per event (which would draw 122 fresh random bits each time).
 */
export function newEventId(): string {
  const low = idCounter & 0xfff;
  if (low === 0) {
    if (idCounter >= COUNTER_LIMIT) {
      idPrefix = randomPrefix();
      idCounter = 0;
    }
    idBlock = idPrefix + (idCounter / 4096).toString(16).padStart(9, "0");
  }
  idCounter++;
  return idBlock + HEX3[low];
}

// --- timestamps ---

let lastMs = Number.NaN;
let lastIso = "";

/** `new Date().toISOString()`, formatted once per millisecond rather than once per call. */
export function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

// --- envelopes ---

/**
 * The data is deep-copied and the result deep-frozen: handlers run later than the emitter,
 * so neither the emitter's later mutations nor one handler's edits may change what others see.
 * Every string (keys too) passes `redact` in the copy: the one redaction step for everything an
 * event reaches (the outbox, webhooks, integrations, issues opened from predictions). It runs in
 * the emitter's context, so a review's found secret values are hidden too.
 */
export function createEnvelope<T extends string>(type: T, data: EventData<T>, options: EnvelopeOptions = {}): EventEnvelope<T> {
  if (typeof type !== "string" || type.trim() === "") {
    throw new TypeError("event type must be a non-empty string");
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new TypeError(`data of event "${type}" must be an object`);
  }
  return Object.freeze({
    id: options.newId === undefined ? newEventId() : options.newId(),
    event_type: type,
    timestamp: options.now === undefined ? isoNow() : options.now().toISOString(),
    data: frozenCopy(type, data),
  });
}

/** Thrown inside the fast copy when the value is better left to structuredClone (deep, or a DAG that keeps growing). */
const FALLBACK = Symbol("fallback");
const MAX_DEPTH = 64;
const MAX_NODES = 10_000;
let nodes = 0;

/**
 * A deep, frozen copy with the semantics of `structuredClone` (then frozen). Plain objects and
 * arrays, the whole of an event's data in practice, are copied and frozen in one pass; anything
 * else (a Date, a Map, a class instance) goes through structuredClone, and so does the whole
 * value when it is very deep or keeps growing (a cycle, a DAG).
 */
function frozenCopy<D extends object>(type: string, data: D): D {
  try {
    nodes = 0;
    try {
      return copyObject(data, 0) as D;
    } catch (err) {
      if (err !== FALLBACK) throw err;
      return deepFreeze(redactInPlace(structuredClone(data)));
    }
  } catch (err) {
    throw new TypeError(`data of event "${type}" is not serialisable: ${describe(err)}`);
  }
}

const hasOwn = Object.prototype.hasOwnProperty;

/** A plain object (prototype Object.prototype or null): own enumerable string keys, like structuredClone. */
function copyObject(value: object, depth: number): object {
  if (depth >= MAX_DEPTH || ++nodes > MAX_NODES) throw FALLBACK;
  const out: Record<string, unknown> = {};
  for (const key in value) {
    if (!hasOwn.call(value, key)) continue;
    const v = copyValue((value as Record<string, unknown>)[key], depth);
    const k = redact(key);
    if (k === "__proto__") Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    else out[k] = v;
  }
  return Object.freeze(out);
}

function copyArray(value: unknown[], depth: number): readonly unknown[] {
  if (depth >= MAX_DEPTH || ++nodes > MAX_NODES) throw FALLBACK;
  const out: unknown[] = [];
  for (let i = 0; i < value.length; i++) out.push(copyValue(value[i], depth));
  return Object.freeze(out);
}

/** A value found at `depth`: primitives as they are, containers copied one level deeper. */
function copyValue(v: unknown, depth: number): unknown {
  if (typeof v === "object") {
    if (v === null) return v;
    if (Array.isArray(v))
      return Object.getPrototypeOf(v) === Array.prototype ? copyArray(v, depth + 1) : deepFreeze(redactInPlace(structuredClone(v)));
    const proto: unknown = Object.getPrototypeOf(v);
    return proto === Object.prototype || proto === null ? copyObject(v, depth + 1) : deepFreeze(redactInPlace(structuredClone(v)));
  }
  if (typeof v === "string") return redact(v);
  if (typeof v === "function") throw new TypeError(`${v.name || "anonymous"}() could not be cloned`);
  if (typeof v === "symbol") throw new TypeError(`${String(v)} could not be cloned`);
  return v;
}

function describe(err: unknown): string {
  try {
    return errorMessage(err);
  } catch {
    return "unknown error";
  }
}

/** Strings in a fresh structuredClone result (objects, arrays, Map values), redacted in place; cycles are visited once. */
function redactInPlace<T>(value: T, seen = new Set<object>()): T {
  if (value === null || typeof value !== "object" || seen.has(value)) return value;
  seen.add(value);
  if (types.isMap(value)) {
    // util.types, not instanceof: structuredClone may build the Map in another realm (vm contexts).
    const map = value as unknown as Map<unknown, unknown>;
    for (const [k, v] of map) map.set(k, typeof v === "string" ? redact(v) : redactInPlace(v, seen));
    return value;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const v = record[key];
    record[key] = typeof v === "string" ? redact(v) : redactInPlace(v, seen);
  }
  return value;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
