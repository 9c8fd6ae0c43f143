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
 * envelope, so it is never written to the outbox. 400 (invalid event) is not retried; 429 and
 * 5xx are.
 */
import type { Severity } from "../analysis/types.js";
import type { InterpretedFailure, ResponseInfo } from "../webhooks/outcome.js";
import { z } from "zod";
import {
  callService,
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
export const PAGERDUTY_SUMMARY_LIMIT = 1024;
const DEDUP_KEY_LIMIT = 255;

export type PagerDutySeverity = "critical" | "error" | "warning" | "info";

export interface PagerDutyOptions extends DeliveryOptions, ClientOptions {
  /** The 32-character integration key of an Events API v2 integration. */
  routingKey: string;
  /** Default https://events.pagerduty.com (EU accounts may use https://events.eu.pagerduty.com). */
  apiUrl?: string;
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

export function pagerDutySeverity(severity: Severity | null): PagerDutySeverity {
  switch (severity) {
    case "critical":
      return "critical";
    case "high":
      return "error";
    case "medium":
      return "warning";
    default:
      return "info";
  }
}

export function pagerDutyEvent(envelope: NoticeEnvelope, options: { routingKey: string; source?: string; component?: string; group?: string }): PagerDutyEvent {
  const notice = toNotice(envelope);
  const details: Record<string, unknown> = { event_type: notice.eventType, event_id: notice.eventId, context: contextLine(notice) };
  if (notice.repo) details.repo = notice.repo;
  if (notice.prNumber !== null) details.pr_number = notice.prNumber;
  if (notice.confidence !== null) details.confidence = notice.confidence;
  if (notice.severity) details.severity = notice.severity;
  if (notice.tags.length > 0) details.tags = notice.tags;
  if (notice.impact) details.impact = notice.impact;
  if (notice.evidence) details.evidence = notice.evidence;
  if (notice.recommendation) details.recommendation = notice.recommendation;
  if (notice.text !== notice.title) details.text = truncate(notice.text, 8000);
  const event: PagerDutyEvent = {
    routing_key: options.routingKey,
    event_action: "trigger",
    dedup_key: truncate(notice.fingerprint ?? `${notice.eventType}:${notice.eventId}`, DEDUP_KEY_LIMIT),
    payload: {
      summary: truncate(notice.title.replace(/\s+/g, " "), PAGERDUTY_SUMMARY_LIMIT),
      source: options.source ?? (notice.repo ? `empathy-bot/${notice.repo}` : "empathy-bot"),
      severity: pagerDutySeverity(notice.severity),
      timestamp: notice.timestamp,
      custom_details: details,
    },
    client: "Empathy bot",
  };
  if (options.component ?? notice.evidence) event.payload!.component = options.component ?? notice.evidence!;
  if (options.group ?? notice.repo) event.payload!.group = options.group ?? notice.repo!;
  if (notice.kind) event.payload!.class = notice.kind;
  if (notice.url) {
    event.links = [{ href: notice.url, text: notice.repo && notice.prNumber !== null ? `Pull request ${notice.repo}#${notice.prNumber}` : "Pull request" }];
    event.client_url = notice.url;
  }
  return event;
}

/** PagerDuty answers 202 on success; anything else in a 2xx with `status` other than "success" is a failure. */
export function interpretPagerDutyResponse(response: ResponseInfo): InterpretedFailure | undefined {
  if (response.status >= 200 && response.status < 300) {
    const status = jsonField(response.body, "status");
    return typeof status === "string" && status !== "success" ? { ok: false, retryable: false, error: `PagerDuty status ${status}` } : undefined;
  }
  if (response.status === 400) {
    const message = jsonField(response.body, "message");
    return { ok: false, retryable: false, error: `PagerDuty: ${typeof message === "string" ? message : "invalid event"}` };
  }
  return undefined;
}

export function createPagerDuty(options: PagerDutyOptions): PagerDutyIntegration {
  if (!options.routingKey) throw new IntegrationError("pagerduty", "a routing key (routingKey / routing_key) is required");
  const enqueueUrl = joinUrl(options.apiUrl ?? PAGERDUTY_EVENTS_URL, "v2/enqueue");
  const name = options.name ?? "pagerduty";
  const integration: PagerDutyIntegration = serviceIntegration<PagerDutyIntegration>(
    {
      service: "pagerduty",
      name,
      manager: options.manager,
      delivery: options,
      buildPayload: (envelope) => pagerDutyEvent(envelope, options),
      interpretResponse: interpretPagerDutyResponse,
      target: () => ({ url: enqueueUrl, headers: { accept: "application/json" } }),
    },
    {
      async enqueue(event) {
        const body = { ...event, routing_key: event.routing_key ?? options.routingKey };
        const res = await callService("pagerduty", options.fetch, { url: enqueueUrl, headers: { accept: "application/json" }, body, timeoutSeconds: options.timeoutSeconds }, interpretPagerDutyResponse);
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
      api_url: urlSetting().optional(),
      source: textSetting().optional(),
      component: textSetting().optional(),
      group: textSetting().optional(),
    },
    { error: "must be a mapping (routing_key:, ...)" },
  )
  .strict();

export type PagerDutyConfig = z.infer<typeof pagerDutyConfigSchema>;

export function pagerDutyOptionsFromConfig(c: PagerDutyConfig): PagerDutyOptions {
  return { ...deliveryFromConfig(c), routingKey: c.routing_key, apiUrl: c.api_url, source: c.source, component: c.component, group: c.group };
}
