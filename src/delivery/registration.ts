/**
 * Webhook registrations: the options an operator gives, checked and normalised once, with a
 * stable id so that outbox rows written before a restart still belong to the same registration
 * after it (registrations are rebuilt from the operator config at every start).
 */
import { createHash } from "node:crypto";
import type { ConditionSkip } from "./celCondition.js";
import { compileCondition, ConditionError, type EventCondition } from "./condition.js";
import { EVENT_TYPE_MESSAGE, EVENT_TYPE_PATTERN, parsePace, parseSettings } from "./options.js";
import { compileTemplate, type CompiledTemplate } from "./template.js";
import { knownFields, rootField } from "./catalogFields.js";
import { standardWebhookKey } from "./signing.js";
import type { ResponseInfo, ResponseInterpreter } from "./outcome.js";
import type { Log } from "../logging/log.js";

/** What a payload builder receives: the event's envelope (an array of them when batching). */
export interface PayloadEnvelope {
  id: string;
  event_type: string;
  timestamp: string;
  data: unknown;
}

/** Builds a request body from the envelope, or from the batch's envelopes; a string is sent as is, anything else as JSON. */
export type PayloadBuilder = (input: PayloadEnvelope | PayloadEnvelope[]) => unknown;

export type { EventCondition } from "./condition.js";

export interface BuildRegistrationContext {
  /** Without it, the warning goes to process.emitWarning. */
  log?: Pick<Log, "warn">;
}

export interface RegisterOptions {
  /** A catalog or custom event type, or "*" for every event. */
  eventType: string;
  url: string;
  headers?: Record<string, string>;
  /** `{field}` placeholders over the event data (or `{events}`/`{count}` when batching); none: the envelope. */
  payloadTemplate?: unknown;
  /** Signs every request (X-Empathy-Signature and Standard Webhooks); `whsec_` secrets are base64. */
  secret?: string;
  /** false accepts any TLS certificate (this registration only). Default true. Limits and defaults of these five: options.ts. */
  verifySsl?: boolean;
  /** Per attempt, more than 0 and at most 300. Default 5. */
  timeoutSeconds?: number;
  /** Retries after the first attempt, 0..20. Default 3. */
  retryCount?: number;
  /** Events per request, 1..1,000; 1 (default) sends each event alone. */
  batchSize?: number;
  /** A partial batch is sent this long after its first event, more than 0 and at most 3,600. Default 5. */
  batchTimeoutSeconds?: number;
  /** Default: a hash of eventType, url and payloadTemplate. */
  id?: string;
  /**
   * Builds the body in code instead of a template (integrations: Slack blocks, JIRA fields...).
   * Called at each attempt from the stored envelope: the body, which may hold a service key
   * (PagerDuty's routing_key), is never written to the store.
   */
  buildPayload?: PayloadBuilder;
  /** Reads a service's own failure signals from an answer (see outcome.ts `interpretOutcome`). */
  interpretResponse?: ResponseInterpreter;
  /**
   * Default true: an event that names a prediction (`data.fingerprint`) reaches this registration
   * once per repository and fingerprint, not again on every push that still predicts it.
   */
  dedupe?: boolean;
  /** The service's rate limit, kept before it is hit (see PaceOptions). */
  pace?: PaceOptions;
  /**
   * 2xx statuses that mean "accepted, to be processed later" (Teams Workflows answers 202 before
   * it posts the card): such attempts are logged and listed as `accepted`, not `delivered`.
   */
  acceptedStatuses?: number[];
  /**
   * A check run once when the manager starts (JIRA's create metadata); a rejection stops `start()`
   * with its message. Registrations sharing one function run it once.
   */
  preflight?: () => Promise<void>;
  /** Values the body carries that must never be logged or stored (PagerDuty's routing key): cut from errors and excerpts like header values. */
  secretValues?: string[];
}

/**
 * A service's documented rate limit, kept before it is hit (integrations set it). Deliveries of
 * registrations with the same URL and `key` share one pace: at most `concurrency` requests in
 * flight, starts at least `intervalMs` apart, and nothing while a hold read from an answer lasts.
 */
export interface PaceOptions {
  /** What the limit is counted per (a Slack channel, a PagerDuty routing key): hashed, never logged. Default: the URL. */
  key?: string;
  /** Requests in flight at once. Default: the manager's per-endpoint limit. */
  concurrency?: number;
  /** Least time between the starts of two requests, in ms. Default 0. */
  intervalMs?: number;
  /**
   * Reads an answer (any status): how long to leave the key alone, in ms (a `X-RateLimit-Reset`,
   * `X-RateLimit-Remaining: 0` with its reset, a 429's backoff); 0 or null: no hold.
   */
  holdAfter?: (response: ResponseInfo) => number | null | undefined;
}

export interface ConditionalRegisterOptions extends RegisterOptions {
  /** A function of the event data, or a CEL expression over it (`confidence > 0.85 && "security" in tags`; see condition.ts). */
  condition: EventCondition | string;
}

export interface Registration {
  id: string;
  eventType: string;
  url: URL;
  /** scheme://host:port: what logs and errors may show (the path and query often hold a token). */
  origin: string;
  /** Circuit breaker key: a hash of the URL. */
  endpointKey: string;
  headers: Record<string, string>;
  template: CompiledTemplate | null;
  secret: string | null;
  verifySsl: boolean;
  timeoutMs: number;
  retryCount: number;
  batchSize: number;
  batchTimeoutMs: number;
  condition: EventCondition | null;
  buildPayload: PayloadBuilder | null;
  interpretResponse: ResponseInterpreter | null;
  dedupe: boolean;
  /** Deliveries with the same key share one queue, pace and in-flight count: the endpoint, or the endpoint and the pace's key. */
  paceKey: string;
  pace: { concurrency: number | null; intervalMs: number; holdAfter: PaceOptions["holdAfter"] | null } | null;
  acceptedStatuses: ReadonlySet<number>;
  preflight: (() => Promise<void>) | null;
  secretValues: readonly string[];
}

/** What `list()` shows: never the full URL, the headers or the secret. */
export interface RegistrationInfo {
  id: string;
  eventType: string;
  origin: string;
  hasSecret: boolean;
  verifySsl: boolean;
  timeoutSeconds: number;
  retryCount: number;
  batchSize: number;
  batchTimeoutSeconds: number;
  conditional: boolean;
  disabled: boolean;
  disabledReason: string | null;
}

export class WebhookRegistrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebhookRegistrationError";
  }
}

/** Headers the manager sets itself; a registration cannot override them. */
const RESERVED_HEADERS = new Set(["x-empathy-signature", "webhook-id", "webhook-timestamp", "webhook-signature", "content-length", "host"]);

export function registrationId(eventType: string, url: string, template: unknown): string {
  return `wh_${createHash("sha256")
    .update(JSON.stringify([eventType, url, template ?? null]))
    .digest("hex")
    .slice(0, 24)}`;
}

export function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid URL)";
  }
}

/**
 * A function is used as is; a string is compiled by condition.ts (the one compiler, shared with
 * the operator config: bounded, and the envelope's event_type wins over a data field of that name).
 */
function conditionOf(condition: EventCondition | string): EventCondition {
  if (typeof condition === "function") return condition;
  if (typeof condition !== "string" || condition.trim() === "") {
    throw new WebhookRegistrationError("condition must be a function or a CEL expression");
  }
  try {
    return compileCondition(condition);
  } catch (err) {
    if (!(err instanceof ConditionError)) throw err;
    throw new WebhookRegistrationError(`condition: ${err.message}`);
  }
}

/**
 * The condition as the manager calls it: a run cut short by a bound counts as false and is
 * logged once per registration and reason, naming the registration, never the event data.
 */
function reportingCondition(
  condition: EventCondition,
  who: { id: string; eventType: string; origin: string },
  log: Pick<Log, "warn"> | undefined,
): EventCondition {
  const reported = new Set<ConditionSkip["reason"]>();
  const report = (skip: ConditionSkip): void => {
    if (reported.has(skip.reason)) return;
    reported.add(skip.reason);
    const message = `webhook condition of ${who.id} (${who.eventType} to ${who.origin}) ${skip.message}; it counts as false (logged once for this registration)`;
    if (log) log.warn({ registration_id: who.id, event_type: who.eventType, origin: who.origin, reason: skip.reason }, message);
    else process.emitWarning(message, { code: "EMPATHY_CONDITION_SKIPPED" });
  };
  return (data, envelope) => condition(data, envelope, report);
}

export function buildRegistration(
  options: RegisterOptions,
  condition: EventCondition | string | null,
  context: BuildRegistrationContext = {},
): Registration {
  if (options === null || typeof options !== "object") throw new WebhookRegistrationError("register: options must be an object");
  const { eventType, url } = options;
  if (typeof eventType !== "string" || eventType.trim() === "") throw new WebhookRegistrationError("eventType must be a non-empty string");
  if (!EVENT_TYPE_PATTERN.test(eventType))
    throw new WebhookRegistrationError(`eventType ${EVENT_TYPE_MESSAGE}, got ${JSON.stringify(eventType)}`);
  if (typeof url !== "string") throw new WebhookRegistrationError("url must be a string");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WebhookRegistrationError(`url for ${eventType} is not a valid URL`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new WebhookRegistrationError(`url for ${eventType} must be http(s), got ${parsed.protocol}`);
  }
  const origin = parsed.origin;

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (typeof value !== "string" && typeof value !== "number") {
      throw new WebhookRegistrationError(`header "${name}" for ${origin} must be a string`);
    }
    const text = String(value);
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || /[\r\n\0]/.test(text)) {
      throw new WebhookRegistrationError(`header "${name}" for ${origin} is not a valid HTTP header`);
    }
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      throw new WebhookRegistrationError(`header "${name}" for ${origin} is set by the bot and cannot be configured`);
    }
    headers[name] = text;
  }

  const secret = options.secret ?? null;
  if (secret !== null && (typeof secret !== "string" || secret === "")) {
    throw new WebhookRegistrationError(`secret for ${origin} must be a non-empty string`);
  }
  if (secret !== null) {
    try {
      standardWebhookKey(secret);
    } catch (err) {
      throw new WebhookRegistrationError(`secret for ${origin}: ${(err as Error).message}`);
    }
  }
  const settings = parseSettings(options);
  if (typeof settings === "string") throw new WebhookRegistrationError(`${settings} (${eventType} to ${origin})`);
  const { verifySsl, timeoutSeconds, retryCount, batchSize, batchTimeoutSeconds } = settings;

  for (const hook of ["buildPayload", "interpretResponse"] as const) {
    if (options[hook] !== undefined && options[hook] !== null && typeof options[hook] !== "function") {
      throw new WebhookRegistrationError(`${hook} for ${eventType} (${origin}) must be a function`);
    }
  }
  const buildPayload = options.buildPayload ?? null;
  if (buildPayload && options.payloadTemplate !== undefined && options.payloadTemplate !== null) {
    throw new WebhookRegistrationError(`${eventType} (${origin}): give a payloadTemplate or buildPayload, not both`);
  }

  let template: CompiledTemplate | null = null;
  if (options.payloadTemplate !== undefined && options.payloadTemplate !== null) {
    try {
      template = compileTemplate(options.payloadTemplate);
    } catch (err) {
      throw new WebhookRegistrationError(`payloadTemplate for ${eventType} (${origin}): ${(err as Error).message}`);
    }
    checkTemplateFields(eventType, batchSize, template);
  }

  const pace = buildPace(options.pace, `${eventType} (${origin})`);
  const acceptedStatuses = new Set<number>();
  for (const status of options.acceptedStatuses ?? []) {
    if (!Number.isInteger(status) || status < 200 || status > 299) {
      throw new WebhookRegistrationError(
        `acceptedStatuses for ${eventType} (${origin}) must be 2xx status codes, got ${JSON.stringify(status)}`,
      );
    }
    acceptedStatuses.add(status);
  }
  if (options.preflight !== undefined && options.preflight !== null && typeof options.preflight !== "function") {
    throw new WebhookRegistrationError(`preflight for ${eventType} (${origin}) must be a function`);
  }
  const endpointKey = createHash("sha256").update(parsed.href).digest("hex").slice(0, 24);

  const id = options.id ?? registrationId(eventType, url, options.payloadTemplate);
  if (typeof id !== "string" || id.trim() === "") throw new WebhookRegistrationError("id must be a non-empty string");

  return {
    id,
    eventType,
    url: parsed,
    origin,
    endpointKey,
    headers,
    template,
    secret,
    verifySsl,
    timeoutMs: Math.max(1, Math.round(timeoutSeconds * 1000)),
    retryCount,
    batchSize,
    batchTimeoutMs: Math.max(1, Math.round(batchTimeoutSeconds * 1000)),
    condition: condition === null ? null : reportingCondition(conditionOf(condition), { id, eventType, origin }, context.log),
    buildPayload,
    interpretResponse: options.interpretResponse ?? null,
    dedupe: options.dedupe !== false,
    paceKey: pace?.key === undefined ? endpointKey : `${endpointKey}:${createHash("sha256").update(pace.key).digest("hex").slice(0, 16)}`,
    pace: pace ? { concurrency: pace.concurrency, intervalMs: pace.intervalMs, holdAfter: pace.holdAfter } : null,
    acceptedStatuses,
    preflight: options.preflight ?? null,
    secretValues: (options.secretValues ?? []).filter((v) => typeof v === "string" && v.length >= 4),
  };
}

function buildPace(
  pace: PaceOptions | undefined,
  who: string,
): { key?: string; concurrency: number | null; intervalMs: number; holdAfter: PaceOptions["holdAfter"] | null } | null {
  if (pace === undefined || pace === null) return null;
  if (typeof pace !== "object") throw new WebhookRegistrationError(`pace for ${who} must be an object`);
  if (pace.key !== undefined && (typeof pace.key !== "string" || pace.key === ""))
    throw new WebhookRegistrationError(`pace.key for ${who} must be a non-empty string`);
  if (pace.holdAfter !== undefined && pace.holdAfter !== null && typeof pace.holdAfter !== "function") {
    throw new WebhookRegistrationError(`pace.holdAfter for ${who} must be a function`);
  }
  const numbers = parsePace(pace);
  if (typeof numbers === "string") throw new WebhookRegistrationError(`${numbers} (${who})`);
  return { key: pace.key, concurrency: numbers.concurrency ?? null, intervalMs: numbers.intervalMs, holdAfter: pace.holdAfter ?? null };
}

/**
 * A template naming a field the event cannot have is a registration error, when that can be
 * known: a catalog event type (not the free-form `test`, not "*" or a custom type), or a batch
 * template (which sees only `events` and `count`).
 */
/** What a batch template renders over (template.ts's batchTemplateData). */
const BATCH_FIELDS = ["events", "count", "event_type", "timestamp", "id"];

function checkTemplateFields(eventType: string, batchSize: number, template: CompiledTemplate): void {
  const known = batchSize > 1 ? new Set(BATCH_FIELDS) : knownFields(eventType);
  if (!known) return;
  const missing = [...new Set([...template.fields].map(rootField))].filter((f) => !known.has(f));
  if (missing.length > 0) {
    const what = batchSize > 1 ? "a batch template" : `${eventType} events`;
    throw new WebhookRegistrationError(
      `payloadTemplate for ${eventType} uses ${missing.map((f) => `{${f}}`).join(", ")}, which ${what} do not have; available: ${[...known].join(", ")}`,
    );
  }
}

/** The key under which a registration receives an event once: a prediction's repository and fingerprint. */
export function dedupeKey(registration: Pick<Registration, "dedupe">, envelope: { event_type: string; data: unknown }): string | undefined {
  if (!registration.dedupe) return undefined;
  const data = envelope.data as { fingerprint?: unknown; repo?: unknown } | null;
  if (typeof data?.fingerprint !== "string" || data.fingerprint === "") return undefined;
  return `${envelope.event_type}:${typeof data.repo === "string" ? data.repo : ""}:${data.fingerprint}`;
}
