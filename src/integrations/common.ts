/**
 * What every integration shares: registering its deliveries with the WebhookManager (so they
 * inherit the durable outbox, retries, circuit breaker, SSRF guard and delivery logs), the
 * event filters of its config, the zod pieces of its config section, and the one-shot HTTP
 * call of its direct client.
 *
 * Two paths, on purpose:
 * - events → `attach()` → registrations with the WebhookManager given at creation (it listens on
 *   the app's bus) with `buildPayload` (the service's payload, built at each attempt, never
 *   stored) and `interpretResponse` (the service's own failure signals). Nothing here retries or
 *   queues.
 * - on-demand calls (`postMessage`, `createIssue`...) → `callService`: one request, its answer
 *   read by the same interpreter, a typed IntegrationError on failure. The caller decides.
 */
import { z } from "zod";
import { redact, redactDeep } from "../analysis/secrets.js";
import { SEVERITIES, severityRank, type Severity } from "../analysis/types.js";
import type { WebhookManager } from "../delivery/manager.js";
import { parseRetryAfter, type InterpretedFailure, type ResponseInfo } from "../delivery/outcome.js";
import type { PaceOptions, PayloadEnvelope } from "../delivery/registration.js";
import { EVENT_TYPE_MESSAGE, EVENT_TYPE_PATTERN, webhookConfigKeys } from "../delivery/options.js";
import type { NoticeEnvelope } from "./notice.js";

export type { InterpretedFailure, ResponseInfo } from "../delivery/outcome.js";

export const DEFAULT_EVENTS: readonly string[] = ["level_4_prediction"];

/**
 * `min_severity` when the operator gives none: a page wakes someone, so PagerDuty only hears of
 * high and critical; every other service of medium and up. `info` sends everything.
 */
export const DEFAULT_MIN_SEVERITY = { pagerduty: "high", other: "medium" } as const satisfies Record<string, Severity>;

/** A fetch-compatible function (tests and proxies inject one). */
export type FetchFn = (url: string, init: RequestInit) => Promise<Response>;

/** Which events an integration sends, and the delivery settings the manager applies. */
export interface DeliveryOptions {
  /** Event types to send; default `["level_4_prediction"]`; `["*"]` for every event. */
  events?: string[];
  /** Events carrying a `confidence` below this are not sent (events without one are). */
  minConfidence?: number;
  /** Events carrying a `severity` below this are not sent (events without one are). Default: medium (PagerDuty: high); `info` sends all. */
  minSeverity?: Severity;
  /** Per attempt; default 5 (limits and defaults: src/delivery/options.ts, as for any webhook). */
  timeoutSeconds?: number;
  /** Retries after the first attempt; default 3 (src/delivery/options.ts). */
  retryCount?: number;
}

export interface ClientOptions {
  /** For `attach()`: the manager its deliveries go through (it listens on the bus). Direct calls work without it. */
  manager?: WebhookManager;
  /** For direct calls; default the global fetch. */
  fetch?: FetchFn;
  /**
   * Names the registrations (`integration:<name>:<event type>`), so outbox rows written before a
   * restart still belong to them after it. Default: the service's name.
   */
  name?: string;
  /**
   * For tests: multiplies every wait an integration takes from its service's documentation or
   * answers (paces, rate-limit resets, backoffs), so a stand-in server can enforce the real
   * limits in milliseconds. Default 1.
   */
  timeScale?: number;
}

/** An integration: its payload shape, its client, how to read its answers. */
export interface ServiceIntegration {
  /** The service ("slack", "jira"...). */
  readonly service: string;
  /** The registrations' name (the service's, unless configured). */
  readonly name: string;
  /** Registers its deliveries with its manager (idempotent): events reach them through the manager's bus. */
  attach(): void;
  /** Ids of its webhook registrations, once attached. */
  readonly registrationIds: readonly string[];
  /** The service's request body for one event (what a delivery sends). */
  buildPayload(envelope: NoticeEnvelope): unknown;
  /** Reads the service's failure signals from an answer (undefined: judge by the status). */
  interpretResponse(response: ResponseInfo): InterpretedFailure | undefined;
}

/** A failed direct call. Its message names the service and the origin, never a token or the URL's path. */
export class IntegrationError extends Error {
  override readonly name = "IntegrationError";
  readonly service: string;
  /** null: no answer (network error, timeout). */
  readonly status: number | null;
  readonly retryable: boolean;
  readonly retryAfterMs: number | null;

  constructor(
    service: string,
    message: string,
    details: { status?: number | null; retryable?: boolean; retryAfterMs?: number | null } = {},
  ) {
    super(`${service}: ${message}`);
    this.service = service;
    this.status = details.status ?? null;
    this.retryable = details.retryable ?? false;
    this.retryAfterMs = details.retryAfterMs ?? null;
  }
}

/** A config problem found while building an integration in code (the operator config reports them with file and line). */
export class IntegrationConfigError extends Error {
  override readonly name = "IntegrationConfigError";
}

// --- deliveries through the manager ---

/** What a service asks of its deliveries beyond a URL and headers: its pace, what its 2xx means, a start-up check. */
export interface DeliveryTarget {
  url: string;
  headers: Record<string, string>;
  /** The service's documented rate limit (per event type's registration: Slack paces per channel). */
  pace?: PaceOptions | ((eventType: string) => PaceOptions | undefined);
  /** 2xx statuses that only mean "accepted for later" (Teams Workflows: 202). */
  acceptedStatuses?: number[];
  /** Run once when the manager starts; a rejection stops start-up (JIRA's create metadata). */
  preflight?: () => Promise<void>;
  /** Values sent in the body that must never be logged or stored (PagerDuty's routing key). */
  secretValues?: string[];
}

interface DeliverySpec extends DeliveryTarget {
  service: string;
  name: string;
  buildPayload: (envelope: NoticeEnvelope) => unknown;
  interpretResponse: (response: ResponseInfo) => InterpretedFailure | undefined;
  delivery: DeliveryOptions;
}

/** The filter of `minConfidence` / `minSeverity`, or null when there is none. */
export function eventFilter(delivery: DeliveryOptions): ((data: Record<string, unknown>) => boolean) | null {
  const { minConfidence, minSeverity } = delivery;
  if (minConfidence === undefined && minSeverity === undefined) return null;
  const minRank = minSeverity === undefined ? -1 : severityRank(minSeverity);
  return (data) => {
    if (minConfidence !== undefined && typeof data.confidence === "number" && data.confidence < minConfidence) return false;
    if (minRank >= 0 && typeof data.severity === "string" && (SEVERITIES as readonly string[]).includes(data.severity)) {
      if (severityRank(data.severity as Severity) < minRank) return false;
    }
    return true;
  };
}

export function checkEvents(service: string, events: readonly string[]): void {
  if (events.length === 0) throw new IntegrationConfigError(`${service}: events must list at least one event type`);
  if (events.includes("*") && events.length > 1)
    throw new IntegrationConfigError(`${service}: events: "*" already means every event; list it alone`);
  if (new Set(events).size !== events.length) throw new IntegrationConfigError(`${service}: events lists an event type twice`);
}

/** One registration per event type, with a stable id; returns their ids. */
function registerDeliveries(manager: WebhookManager | undefined, spec: DeliverySpec): string[] {
  if (!manager) {
    throw new IntegrationConfigError(`${spec.service}: attach() sends through the WebhookManager; pass it as create…({ manager })`);
  }
  const events = spec.delivery.events ?? DEFAULT_EVENTS;
  checkEvents(spec.service, events);
  const filter = eventFilter(spec.delivery);
  const paceFor = (eventType: string) => (typeof spec.pace === "function" ? spec.pace(eventType) : spec.pace);
  // The manager hands the builder plain JSON envelopes (one per delivery: integrations do not batch).
  const buildPayload = (input: PayloadEnvelope | PayloadEnvelope[]) => spec.buildPayload(Array.isArray(input) ? input[0] : input);
  const ids: string[] = [];
  try {
    for (const eventType of events) {
      const options = {
        id: `integration:${spec.name}:${eventType}`,
        eventType,
        url: spec.url,
        headers: spec.headers,
        buildPayload,
        interpretResponse: spec.interpretResponse,
        timeoutSeconds: spec.delivery.timeoutSeconds,
        retryCount: spec.delivery.retryCount,
        pace: paceFor(eventType),
        acceptedStatuses: spec.acceptedStatuses,
        preflight: spec.preflight,
        secretValues: spec.secretValues,
      };
      ids.push(filter ? manager.registerConditional({ ...options, condition: filter }) : manager.register(options));
    }
  } catch (err) {
    for (const id of ids) manager.unregister(id);
    throw err;
  }
  return ids;
}

/**
 * The part every delivering integration shares: its payload and answer readers, and an
 * `attach` that registers its deliveries once. `target` is read at attach time (Slack checks
 * its channel and builds its auth header then). `client` is the service's own part (its direct
 * calls); it is added to the shared object so `registrationIds` stays live.
 */
export function serviceIntegration<T extends ServiceIntegration>(
  parts: {
    service: string;
    name: string;
    manager: WebhookManager | undefined;
    delivery: DeliveryOptions;
    buildPayload: (envelope: NoticeEnvelope) => unknown;
    interpretResponse: (response: ResponseInfo) => InterpretedFailure | undefined;
    target: () => DeliveryTarget;
    /** `min_severity` when none is given: DEFAULT_MIN_SEVERITY. */
    defaultMinSeverity?: Severity;
  },
  client: Omit<T, keyof ServiceIntegration>,
): T {
  let registrationIds: string[] = [];
  const integration: ServiceIntegration = {
    service: parts.service,
    name: parts.name,
    get registrationIds() {
      return registrationIds;
    },
    // Every body an integration sends passes the one redaction step (its texts were cut by `truncate`, which redacts first).
    buildPayload: (envelope) => redactDeep(parts.buildPayload(envelope)),
    interpretResponse: parts.interpretResponse,
    attach() {
      if (registrationIds.length > 0) return;
      registrationIds = registerDeliveries(parts.manager, {
        service: parts.service,
        name: parts.name,
        ...parts.target(),
        buildPayload: (envelope) => integration.buildPayload(envelope),
        interpretResponse: parts.interpretResponse,
        delivery: { ...parts.delivery, minSeverity: parts.delivery.minSeverity ?? parts.defaultMinSeverity ?? DEFAULT_MIN_SEVERITY.other },
      });
    },
  };
  return Object.assign(integration, client) as T;
}

// --- direct calls ---

export interface ServiceRequest {
  method?: "GET" | "POST" | "PUT";
  url: string;
  headers: Record<string, string>;
  /** Sent as JSON unless a string. */
  body?: unknown;
  /** Default 10. */
  timeoutSeconds?: number;
}

export interface ServiceResponse extends ResponseInfo {
  /** The body parsed as JSON, or null. */
  json: unknown;
}

const RETRYABLE_STATUS = new Set([408, 425, 429]);

/**
 * One request to a service; a non-2xx answer, or a failure the interpreter reads in a 2xx,
 * throws IntegrationError (retryable or not, with the wait asked for).
 */
export async function callService(
  service: string,
  fetchImpl: FetchFn | undefined,
  request: ServiceRequest,
  interpret: (response: ResponseInfo) => InterpretedFailure | undefined,
): Promise<ServiceResponse> {
  const url = new URL(request.url);
  const doFetch: FetchFn = fetchImpl ?? ((u, init) => fetch(u, init));
  let res: Response;
  try {
    res = await doFetch(url.href, {
      method: request.method ?? "POST",
      headers: request.body === undefined ? request.headers : { "content-type": "application/json; charset=utf-8", ...request.headers },
      body:
        request.body === undefined
          ? undefined
          : typeof request.body === "string"
            ? redact(request.body)
            : JSON.stringify(redactDeep(request.body)),
      redirect: "manual",
      signal: AbortSignal.timeout((request.timeoutSeconds ?? 10) * 1000),
    });
  } catch (err) {
    const e = err as { name?: string; message?: string; cause?: { message?: string } };
    const why =
      e?.name === "TimeoutError" ? `timed out after ${request.timeoutSeconds ?? 10} s` : (e?.cause?.message ?? e?.message ?? String(err));
    throw new IntegrationError(service, `request to ${url.origin} failed: ${why}`, { retryable: true });
  }
  const body = await res.text();
  const headers: Record<string, string> = {};
  res.headers.forEach((value, key) => (headers[key.toLowerCase()] = value));
  const response: ServiceResponse = { status: res.status, headers, body, json: parseJson(body) };
  const verdict = interpret({ status: res.status, headers, body });
  if (verdict && verdict.ok === false) {
    throw new IntegrationError(service, `HTTP ${res.status}: ${verdict.error}`, {
      status: res.status,
      retryable: verdict.retryable,
      retryAfterMs: verdict.retryAfterMs ?? parseRetryAfter(headers["retry-after"] ?? null, Date.now()),
    });
  }
  if (res.status < 200 || res.status >= 300) {
    const retryable = res.status >= 500 || RETRYABLE_STATUS.has(res.status);
    const retryAfterMs = res.status === 429 || res.status === 503 ? parseRetryAfter(headers["retry-after"] ?? null, Date.now()) : null;
    const excerpt = redact(body.replace(/\s+/g, " ").trim()).slice(0, 300);
    throw new IntegrationError(service, `HTTP ${res.status} from ${url.origin}${excerpt ? `: ${excerpt}` : ""}`, {
      status: res.status,
      retryable,
      retryAfterMs,
    });
  }
  return response;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** A JSON object's field, from a possibly truncated body (the manager keeps the first 4 KB). */
/** A wait from a service's documentation or answer, scaled for tests (ClientOptions.timeScale). */
export function scaled(ms: number, timeScale: number | undefined): number {
  const scale = timeScale !== undefined && Number.isFinite(timeScale) && timeScale > 0 ? timeScale : 1;
  return Math.max(0, Math.ceil(ms * scale));
}

/** A header's number of seconds (fractional allowed) as ms, or null. */
export function headerSeconds(headers: Record<string, string>, name: string): number | null {
  const raw = headers[name];
  if (raw === undefined || !/^\s*\d+(?:\.\d+)?\s*$/.test(raw)) return null;
  return Math.ceil(Number(raw) * 1000);
}

export function jsonField(body: string, field: string): string | boolean | number | null {
  const parsed = parseJson(body);
  if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
    const value = (parsed as Record<string, unknown>)[field];
    return typeof value === "string" || typeof value === "boolean" || typeof value === "number" ? value : null;
  }
  const escaped = field.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const m = new RegExp(`"${escaped}"\\s*:\\s*(true|false|-?\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?|"((?:[^"\\\\]|\\\\.)*)")`).exec(body);
  if (!m) return null;
  if (m[2] !== undefined) return m[2];
  if (m[1] === "true" || m[1] === "false") return m[1] === "true";
  return Number(m[1]);
}

/** Joins a base URL and a path without doubling or losing a slash. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

// --- config (snake_case, as in empathy.config.yml) ---

const toNumber = (v: unknown): unknown => (typeof v === "string" && /^\s*-?\d+(?:\.\d+)?\s*$/.test(v) ? Number(v) : v);
const toBoolean = (v: unknown): unknown =>
  typeof v === "string" && /^\s*(?:true|false)\s*$/i.test(v) ? v.trim().toLowerCase() === "true" : v;

export function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch {
    return false;
  }
}

export const urlSetting = () => z.string({ error: "must be a URL" }).refine(isHttpUrl, "must be an absolute http:// or https:// URL");
export const secretSetting = (what: string) => z.string({ error: `must be ${what} (a string)` }).min(1, "must not be empty");
export const textSetting = () => z.string({ error: "must be a string" }).min(1, "must not be empty");
export const listSetting = () =>
  z.array(z.string({ error: "must be a string" }).min(1, "must not be empty"), { error: "must be a list of strings" });

/** The keys every delivering integration accepts (timeout_seconds and retry_count: the webhooks' own, src/delivery/options.ts). */
export const deliveryKeys = {
  enabled: z.preprocess(toBoolean, z.boolean({ error: "must be true or false" })).optional(),
  events: z
    .array(z.string({ error: "must be an event type name" }).regex(EVENT_TYPE_PATTERN, EVENT_TYPE_MESSAGE), {
      error: "must be a list of event types",
    })
    .min(1, "must list at least one event type")
    .refine((list) => !list.includes("*") || list.length === 1, '"*" already means every event; list it alone')
    .refine((list) => new Set(list).size === list.length, "lists an event type twice")
    .optional(),
  min_confidence: z
    .preprocess(toNumber, z.number({ error: "must be a number from 0 to 1" }).min(0, "must be from 0 to 1").max(1, "must be from 0 to 1"))
    .optional(),
  min_severity: z.enum(SEVERITIES, { error: `must be one of ${SEVERITIES.join(", ")}` }).optional(),
  timeout_seconds: webhookConfigKeys.timeout_seconds,
  retry_count: webhookConfigKeys.retry_count,
  name: z
    .string({ error: "must be a string" })
    .regex(/^[A-Za-z0-9_.-]+$/, "must be letters, digits, _ . -")
    .optional(),
};

export const numberSetting = (min: number, max: number) =>
  z.preprocess(
    toNumber,
    z
      .number({ error: `must be a number from ${min} to ${max}` })
      .min(min, `must be from ${min} to ${max}`)
      .max(max, `must be from ${min} to ${max}`),
  );

export const booleanSetting = () => z.preprocess(toBoolean, z.boolean({ error: "must be true or false" }));

/** The snake_case delivery keys → DeliveryOptions and ClientOptions.name. */
export function deliveryFromConfig(c: {
  events?: string[];
  min_confidence?: number;
  min_severity?: Severity;
  timeout_seconds?: number;
  retry_count?: number;
  name?: string;
}): DeliveryOptions & { name?: string } {
  return {
    events: c.events,
    minConfidence: c.min_confidence,
    minSeverity: c.min_severity,
    timeoutSeconds: c.timeout_seconds,
    retryCount: c.retry_count,
    name: c.name,
  };
}
