/**
 * PagerDuty Events API v2: `POST https://events.pagerduty.com/v2/enqueue`, answered 202
 * `{ "status": "success", "message": "Event processed", "dedup_key": "…" }`.
 *
 * A trigger: `routing_key` (the service integration's key), `event_action: "trigger"`,
 * `dedup_key` = the prediction's fingerprint (so every push that repeats a prediction updates
 * one incident instead of paging again; events without one use their event id), `payload`
 * (`summary` ≤ 1,024 characters, `source`, `severity` critical|error|warning|info mapped from
 * ours, `timestamp`, `component`, `group`, `class`, `custom_details`), `links` to the pull
 * request, `client`.
 *
 * The routing key travels in the body: the manager builds it at each attempt from the stored
 * envelope, so it is never written to the outbox, and it is cut from errors and excerpts. 400
 * (invalid event) is not retried, its `errors[]` kept in the delivery log; 429 and 5xx are.
 *
 * Severity follows the one severity table (scale.ts). `min_severity` defaults to `high`: a page
 * wakes someone. `region: eu` sends to events.eu.pagerduty.com.
 *
 * Rate limits: the Events API takes 120 events a minute per routing key. Events to one key leave
 * one at a time, paced a little under that (one every 510 ms), so a burst is queued by design;
 * a 429 (it has no Retry-After) holds the key for a minute and retries the event after 1, 2,
 * 4... minutes (at most 16), so a throttle window never spends a page's retries. The event's
 * texts are capped (summary 1,024, details 8,000 characters each), which keeps it far under the
 * 512 KB (bytes) PagerDuty accepts, even in a 4-byte script.
 */
import type { Severity } from "../analysis/types.js";
import type { InterpretedFailure, ResponseInfo } from "../delivery/outcome.js";
import { z } from "zod";
import { safeUrl } from "./markup.js";
import { PAGERDUTY_SEVERITIES, scaleColumn, scaleOverrideSetting, scaleSeverity, type PagerDutySeverity } from "./scale.js";
import {
  callService,
  DEFAULT_MIN_SEVERITY,
  parseJson,
  scaled,
  deliveryFromConfig,
  deliveryKeys,
  IntegrationError,
  joinUrl,
  jsonField,
  serviceIntegration,
  secretSetting,
  textSetting,
  urlSetting,
  type ClientOptions,
  type DeliveryOptions,
  type ServiceIntegration,
} from "./common.js";
import { contextLine, toNotice, truncate, type NoticeEnvelope } from "./notice.js";

export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com";
export const PAGERDUTY_EU_EVENTS_URL = "https://events.eu.pagerduty.com";
export const PAGERDUTY_REGIONS = { us: PAGERDUTY_EVENTS_URL, eu: PAGERDUTY_EU_EVENTS_URL } as const;
export const PAGERDUTY_SUMMARY_LIMIT = 1024;
/** The Events API's limit on an event, in bytes (the texts' caps keep an event far under it). */
export const PAGERDUTY_PAYLOAD_LIMIT_BYTES = 512 * 1024;
/** 120 events a minute per routing key, paced 2% under so network jitter cannot push one over. */
export const PAGERDUTY_EVENT_INTERVAL_MS = 510;
/** A 429 holds the routing key this long, and the event's retries wait this long, doubled each time... */
export const PAGERDUTY_THROTTLE_BACKOFF_MS = 60_000;
/** ...up to this. */
export const PAGERDUTY_THROTTLE_BACKOFF_MAX_MS = 16 * 60_000;
const DEDUP_KEY_LIMIT = 255;

export type { PagerDutySeverity } from "./scale.js";

export interface PagerDutyOptions extends DeliveryOptions, ClientOptions {
  /** The 32-character integration key of an Events API v2 integration. */
  routingKey: string;
  /** `us` (default): events.pagerduty.com; `eu`: events.eu.pagerduty.com (accounts in PagerDuty's EU service region). */
  region?: keyof typeof PAGERDUTY_REGIONS;
  /** Overrides the region's host (a proxy, tests). */
  apiUrl?: string;
  /** The severity table's PagerDuty column, overridden row by row. */
  severities?: Partial<Record<Severity, PagerDutySeverity>>;
  /** payload.source; default "empathy-bot". */
  source?: string;
  component?: string;
  group?: string;
}

export interface PagerDutyEvent {
  routing_key: string;
  event_action: "trigger" | "acknowledge" | "resolve";
  dedup_key?: string;
  payload?: {
    summary: string;
    source: string;
    severity: PagerDutySeverity;
    timestamp?: string;
    component?: string;
    group?: string;
    class?: string;
    custom_details?: Record<string, unknown>;
  };
  links?: { href: string; text?: string }[];
  images?: { src: string; href?: string; alt?: string }[];
  client?: string;
  client_url?: string;
}

export interface PagerDutyIntegration extends ServiceIntegration {
  readonly service: "pagerduty";
  buildPayload(envelope: NoticeEnvelope): PagerDutyEvent;
  /** Sends an event now; returns the dedup key PagerDuty filed it under. */
  enqueue(event: Omit<PagerDutyEvent, "routing_key"> & { routing_key?: string }): Promise<{ dedupKey: string | null }>;
  /** Triggers (or updates) the incident for a bus event now (outside the outbox: no retry). */
  trigger(envelope: NoticeEnvelope): Promise<{ dedupKey: string | null }>;
  /** Resolves the incident of a dedup key (a prediction's fingerprint), e.g. after a fix. */
  resolve(dedupKey: string): Promise<{ dedupKey: string | null }>;
}

/** PagerDuty's severity from the severity table (an event without a severity takes its `info` row; a low confidence caps it). */
export function pagerDutySeverity(
  severity: Severity | null,
  confidence: number | null = null,
  overrides?: Partial<Record<Severity, PagerDutySeverity>>,
): PagerDutySeverity {
  return scaleColumn("pagerDutySeverity", overrides)[scaleSeverity(severity, confidence)];
}

export function pagerDutyEvent(
  envelope: NoticeEnvelope,
  options: {
    routingKey: string;
    source?: string;
    component?: string;
    group?: string;
    severities?: Partial<Record<Severity, PagerDutySeverity>>;
  },
): PagerDutyEvent {
  const notice = toNotice(envelope);
  const details: Record<string, unknown> = { event_type: notice.eventType, event_id: notice.eventId, context: contextLine(notice) };
  if (notice.repo) details.repo = notice.repo;
  if (notice.prNumber !== null) details.pr_number = notice.prNumber;
  if (notice.confidence !== null) details.confidence = notice.confidence;
  if (notice.severity) details.severity = notice.severity;
  if (notice.tags.length > 0) details.tags = notice.tags;
  if (notice.impact) details.impact = truncate(notice.impact, 8000);
  if (notice.evidence) details.evidence = truncate(notice.evidence, 1000);
  if (notice.recommendation) details.recommendation = truncate(notice.recommendation, 8000);
  if (notice.text !== notice.title) details.text = truncate(notice.text, 8000);
  const event: PagerDutyEvent = {
    routing_key: options.routingKey,
    event_action: "trigger",
    dedup_key: truncate(notice.fingerprint ?? `${notice.eventType}:${notice.eventId}`, DEDUP_KEY_LIMIT),
    payload: {
      summary: truncate(notice.title.replace(/\s+/g, " "), PAGERDUTY_SUMMARY_LIMIT),
      source: options.source ?? (notice.repo ? `empathy-bot/${notice.repo}` : "empathy-bot"),
      severity: pagerDutySeverity(notice.severity, notice.confidence, options.severities),
      timestamp: notice.timestamp,
      custom_details: details,
    },
    client: "Empathy bot",
  };
  if (options.component ?? notice.evidence) event.payload!.component = options.component ?? notice.evidence!;
  if (options.group ?? notice.repo) event.payload!.group = options.group ?? notice.repo!;
  if (notice.kind) event.payload!.class = notice.kind;
  const url = safeUrl(notice.url);
  if (url) {
    event.links = [
      { href: url, text: notice.repo && notice.prNumber !== null ? `Pull request ${notice.repo}#${notice.prNumber}` : "Pull request" },
    ];
    event.client_url = url;
  }
  return event;
}

/** The wait before an event's next try after a 429: a minute, doubled with each attempt, at most 16 minutes. */
export function pagerDutyThrottleBackoffMs(attempt: number | undefined): number {
  return Math.min(PAGERDUTY_THROTTLE_BACKOFF_MAX_MS, PAGERDUTY_THROTTLE_BACKOFF_MS * 2 ** Math.max(0, (attempt ?? 1) - 1));
}

/**
 * PagerDuty answers 202 on success; anything else in a 2xx with `status` other than "success" is
 * a failure. A 400 keeps its `message` and `errors[]` (what was invalid); a 429 waits minutes.
 */
export function interpretPagerDutyResponse(
  response: ResponseInfo,
  options: { timeScale?: number; routingKey?: string } = {},
): InterpretedFailure | undefined {
  const hide = (text: string) =>
    options.routingKey && options.routingKey.length >= 4 ? text.split(options.routingKey).join("[routing_key]") : text;
  if (response.status >= 200 && response.status < 300) {
    const status = jsonField(response.body, "status");
    return typeof status === "string" && status !== "success"
      ? { ok: false, retryable: false, error: hide(`PagerDuty status ${status}`) }
      : undefined;
  }
  if (response.status === 400) {
    const message = jsonField(response.body, "message");
    const json = parseJson(response.body) as { errors?: unknown } | null;
    const errors = Array.isArray(json?.errors) ? json.errors.filter((e): e is string => typeof e === "string") : [];
    const detail = `${typeof message === "string" ? message : "invalid event"}${errors.length > 0 ? `: ${errors.join("; ")}` : ""}`;
    return { ok: false, retryable: false, error: hide(truncate(`PagerDuty: ${detail}`, 1000)) };
  }
  if (response.status === 429) {
    const wait = pagerDutyThrottleBackoffMs(response.attempt);
    return {
      ok: false,
      retryable: true,
      retryAfterMs: scaled(wait, options.timeScale),
      error: `PagerDuty throttled the routing key: retry in ${wait / 60_000} min`,
    };
  }
  return undefined;
}

export function createPagerDuty(options: PagerDutyOptions): PagerDutyIntegration {
  if (!options.routingKey) throw new IntegrationError("pagerduty", "a routing key (routingKey / routing_key) is required");
  const enqueueUrl = joinUrl(options.apiUrl ?? PAGERDUTY_REGIONS[options.region ?? "us"], "v2/enqueue");
  const interpret = (response: ResponseInfo) =>
    interpretPagerDutyResponse(response, { timeScale: options.timeScale, routingKey: options.routingKey });
  const name = options.name ?? "pagerduty";
  const integration: PagerDutyIntegration = serviceIntegration<PagerDutyIntegration>(
    {
      service: "pagerduty",
      name,
      manager: options.manager,
      delivery: options,
      buildPayload: (envelope) => pagerDutyEvent(envelope, options),
      interpretResponse: interpret,
      defaultMinSeverity: DEFAULT_MIN_SEVERITY.pagerduty,
      target: () => ({
        url: enqueueUrl,
        headers: { accept: "application/json" },
        secretValues: [options.routingKey],
        // Per routing key: one at a time, ~118 a minute; a 429 holds the key for a minute.
        pace: {
          key: `routing_key:${options.routingKey}`,
          concurrency: 1,
          intervalMs: scaled(PAGERDUTY_EVENT_INTERVAL_MS, options.timeScale),
          holdAfter: (response: ResponseInfo) =>
            response.status === 429 ? scaled(PAGERDUTY_THROTTLE_BACKOFF_MS, options.timeScale) : null,
        },
      }),
    },
    {
      async enqueue(event) {
        const body = { ...event, routing_key: event.routing_key ?? options.routingKey };
        const res = await callService(
          "pagerduty",
          options.fetch,
          { url: enqueueUrl, headers: { accept: "application/json" }, body, timeoutSeconds: options.timeoutSeconds },
          interpret,
        );
        const key = (res.json as { dedup_key?: string } | null)?.dedup_key;
        return { dedupKey: key ?? body.dedup_key ?? null };
      },
      trigger: (envelope) => integration.enqueue(integration.buildPayload(envelope)),
      resolve: (dedupKey) => integration.enqueue({ event_action: "resolve", dedup_key: dedupKey }),
    },
  );
  return integration;
}

export const pagerDutyConfigSchema = z
  .object(
    {
      ...deliveryKeys,
      routing_key: secretSetting("an Events API v2 integration key"),
      region: z.enum(["us", "eu"], { error: "must be us (events.pagerduty.com) or eu (events.eu.pagerduty.com)" }).optional(),
      api_url: urlSetting().optional(),
      severities: scaleOverrideSetting(
        z.enum(PAGERDUTY_SEVERITIES, { error: `must be one of ${PAGERDUTY_SEVERITIES.join(", ")}` }),
        "PagerDuty severities",
      ).optional(),
      source: textSetting().optional(),
      component: textSetting().optional(),
      group: textSetting().optional(),
    },
    { error: "must be a mapping (routing_key:, ...)" },
  )
  .strict();

export type PagerDutyConfig = z.infer<typeof pagerDutyConfigSchema>;

export function pagerDutyOptionsFromConfig(c: PagerDutyConfig): PagerDutyOptions {
  return {
    ...deliveryFromConfig(c),
    routingKey: c.routing_key,
    region: c.region,
    apiUrl: c.api_url,
    severities: c.severities,
    source: c.source,
    component: c.component,
    group: c.group,
  };
}
