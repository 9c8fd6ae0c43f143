/**
 * Datadog Events API v1: `POST https://api.<site>/api/v1/events` with the `DD-API-KEY` header,
 * answered 202 `{ "status": "ok", "event": {...} }`.
 *
 * The host follows the account's site (datadoghq.com, us3.datadoghq.com, us5.datadoghq.com,
 * datadoghq.eu, ap1.datadoghq.com, ap2.datadoghq.com, ddog-gov.com, us2.ddog-gov.com; an
 * `app.` prefix as copied from the browser is accepted). The body: `title`, `text` in Datadog's
 * markdown (`%%% … %%%`) capped at 4,000 characters as the API requires, `tags` (`repo:o/r`,
 * `pr:7`, `severity:high`, `level:4`, `event_type:…`, the prediction's tags as `tag:…`, plus the
 * configured ones), `alert_type` from the severity, `aggregation_key` (the prediction's
 * fingerprint, ≤ 100 characters, so pushes of one prediction group together),
 * `source_type_name`, `priority` and `date_happened`.
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
  listSetting,
  serviceIntegration,
  secretSetting,
  textSetting,
  urlSetting,
  type ClientOptions,
  type DeliveryOptions,
  type ServiceIntegration,
} from "./common.js";
import { contextLine, pct, toNotice, truncate, type Notice, type NoticeEnvelope } from "./notice.js";

export const DATADOG_SITES = [
  "datadoghq.com",
  "us3.datadoghq.com",
  "us5.datadoghq.com",
  "datadoghq.eu",
  "ap1.datadoghq.com",
  "ap2.datadoghq.com",
  "ddog-gov.com",
  "us2.ddog-gov.com",
] as const;

export type DatadogSite = (typeof DATADOG_SITES)[number];

export const DATADOG_TEXT_LIMIT = 4000;
const AGGREGATION_KEY_LIMIT = 100;

export interface DatadogOptions extends DeliveryOptions, ClientOptions {
  apiKey: string;
  /** Default datadoghq.com. */
  site?: string;
  /** Overrides the host the site gives (a proxy, tests). */
  apiUrl?: string;
  /** Added to every event, e.g. `env:prod`, `team:payments`. */
  tags?: string[];
  /** Default "empathy-bot". */
  sourceTypeName?: string;
}

export interface DatadogEvent {
  title: string;
  text: string;
  tags?: string[];
  alert_type?: "error" | "warning" | "info" | "success" | "user_update" | "recommendation" | "snapshot";
  aggregation_key?: string;
  source_type_name?: string;
  priority?: "normal" | "low";
  date_happened?: number;
  host?: string;
}

export interface DatadogIntegration extends ServiceIntegration {
  readonly service: "datadog";
  /** e.g. https://api.datadoghq.eu/api/v1/events */
  readonly eventsUrl: string;
  buildPayload(envelope: NoticeEnvelope): DatadogEvent;
  /** Posts an event now; returns Datadog's event id when it gives one. */
  postEvent(event: DatadogEvent): Promise<{ id: number | string | null }>;
  /** Sends one bus event now (outside the outbox: no retry). */
  notify(envelope: NoticeEnvelope): Promise<{ id: number | string | null }>;
}

/** `datadoghq.eu` → `https://api.datadoghq.eu`; throws for an unknown site. */
export function datadogApiBase(site: string = "datadoghq.com"): string {
  const normalized = normalizeSite(site);
  if (!(DATADOG_SITES as readonly string[]).includes(normalized)) {
    throw new IntegrationError("datadog", `unknown site "${site}"; one of ${DATADOG_SITES.join(", ")}`);
  }
  return `https://api.${normalized}`;
}

function normalizeSite(site: string): string {
  return site
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, "")
    .replace(/\/.*$/, "")
    .replace(/^(?:app|api)\./, "");
}

export function alertType(severity: Severity | null): DatadogEvent["alert_type"] {
  if (severity === "critical" || severity === "high") return "error";
  if (severity === "medium") return "warning";
  return "info";
}

/** Datadog tags: lower case, no spaces, at most 200 characters. */
export function datadogTag(key: string, value: string): string {
  return truncate(`${key}:${value}`.toLowerCase().replace(/\s+/g, "_").replace(/,/g, "_"), 200);
}

/** The markdown body, wrapped in `%%%` and capped at 4,000 characters (markers included). */
export function datadogText(notice: Notice): string {
  const lines = [notice.text];
  if (notice.impact) lines.push("", `**Impact:** ${notice.impact}`);
  if (notice.evidence) lines.push("", `**Evidence:** \`${notice.evidence}\``);
  if (notice.recommendation) lines.push("", `**Recommendation:** ${notice.recommendation}`);
  const facts: string[] = [];
  if (notice.confidence !== null) facts.push(`Confidence: ${pct(notice.confidence)}`);
  if (notice.severity !== null) facts.push(`Severity: ${notice.severity}`);
  for (const [k, v] of notice.facts) facts.push(`${k}: ${v}`);
  if (facts.length > 0) lines.push("", facts.join(" · "));
  if (notice.url) lines.push("", `[View pull request](${notice.url})`);
  lines.push("", `_${contextLine(notice)}_`);
  const open = "%%% \n";
  const close = "\n %%%";
  return `${open}${truncate(lines.join("\n"), DATADOG_TEXT_LIMIT - open.length - close.length)}${close}`;
}

export function datadogEvent(envelope: NoticeEnvelope, options: { tags?: string[]; sourceTypeName?: string } = {}): DatadogEvent {
  const notice = toNotice(envelope);
  const tags = [datadogTag("source", "empathy-bot"), datadogTag("event_type", notice.eventType)];
  if (notice.repo) tags.push(datadogTag("repo", notice.repo));
  if (notice.prNumber !== null) tags.push(datadogTag("pr", String(notice.prNumber)));
  if (notice.severity) tags.push(datadogTag("severity", notice.severity));
  if (notice.level !== null) tags.push(datadogTag("level", String(notice.level)));
  if (notice.kind) tags.push(datadogTag("kind", notice.kind));
  for (const t of notice.tags) tags.push(datadogTag("tag", t));
  for (const t of options.tags ?? []) tags.push(t);
  const time = Date.parse(notice.timestamp);
  const aggregation = notice.fingerprint ?? (notice.repo ? `${notice.repo}${notice.prNumber !== null ? `#${notice.prNumber}` : ""}:${notice.eventType}` : null);
  const event: DatadogEvent = {
    title: truncate(notice.title, 500),
    text: datadogText(notice),
    tags: [...new Set(tags)],
    alert_type: alertType(notice.severity),
    source_type_name: options.sourceTypeName ?? "empathy-bot",
    priority: notice.severity === "info" || notice.severity === "low" ? "low" : "normal",
  };
  if (aggregation) event.aggregation_key = truncate(aggregation, AGGREGATION_KEY_LIMIT);
  if (Number.isFinite(time)) event.date_happened = Math.floor(time / 1000);
  return event;
}

/** Datadog reports failures by status (400 bad event, 403 bad key, 429); a 2xx with `errors` is a failure too. */
export function interpretDatadogResponse(response: ResponseInfo): InterpretedFailure | undefined {
  if (response.status >= 200 && response.status < 300) {
    return jsonField(response.body, "status") === "error" ? { ok: false, retryable: false, error: "Datadog answered status: error" } : undefined;
  }
  if (response.status === 403) return { ok: false, retryable: false, error: "Datadog refused the API key (403)" };
  return undefined;
}

export function createDatadog(options: DatadogOptions): DatadogIntegration {
  if (!options.apiKey) throw new IntegrationError("datadog", "an API key (apiKey / api_key) is required");
  const base = options.apiUrl ?? datadogApiBase(options.site);
  const eventsUrl = joinUrl(base, "api/v1/events");
  const headers = { "dd-api-key": options.apiKey, accept: "application/json" };
  const name = options.name ?? "datadog";
  const integration: DatadogIntegration = serviceIntegration<DatadogIntegration>(
    {
      service: "datadog",
      name,
      manager: options.manager,
      delivery: options,
      buildPayload: (envelope) => datadogEvent(envelope, options),
      interpretResponse: interpretDatadogResponse,
      target: () => ({ url: eventsUrl, headers }),
    },
    {
      eventsUrl,
      async postEvent(event) {
        const res = await callService(
          "datadog",
          options.fetch,
          { url: eventsUrl, headers, body: { ...event, text: truncate(event.text, DATADOG_TEXT_LIMIT) }, timeoutSeconds: options.timeoutSeconds },
          interpretDatadogResponse,
        );
        const id = (res.json as { event?: { id?: number | string } } | null)?.event?.id;
        return { id: id ?? null };
      },
      notify: (envelope) => integration.postEvent(integration.buildPayload(envelope)),
    },
  );
  return integration;
}

export const datadogConfigSchema = z
  .object(
    {
      ...deliveryKeys,
      api_key: secretSetting("an API key"),
      site: z
        .string({ error: "must be a Datadog site" })
        .refine((s) => (DATADOG_SITES as readonly string[]).includes(normalizeSite(s)), `must be one of ${DATADOG_SITES.join(", ")}`)
        .optional(),
      api_url: urlSetting().optional(),
      tags: listSetting().optional(),
      source_type_name: textSetting().optional(),
    },
    { error: "must be a mapping (api_key:, site:, ...)" },
  )
  .strict();

export type DatadogConfig = z.infer<typeof datadogConfigSchema>;

export function datadogOptionsFromConfig(c: DatadogConfig): DatadogOptions {
  return { ...deliveryFromConfig(c), apiKey: c.api_key, site: c.site, apiUrl: c.api_url, tags: c.tags, sourceTypeName: c.source_type_name };
}
