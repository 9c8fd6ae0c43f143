/**
 * Datadog Events API v1: `POST https://api.<site>/api/v1/events` with the `DD-API-KEY` header,
 * answered 202 `{ "status": "ok", "event": {...} }`.
 *
 * The host follows the account's site, from Datadog's list (US1 datadoghq.com, US3
 * us3.datadoghq.com, US5 us5.datadoghq.com, EU1 datadoghq.eu, AP1 ap1.datadoghq.com, AP2
 * ap2.datadoghq.com, UK1 uk1.datadoghq.com, US1-FED ddog-gov.com, US2-FED us2.ddog-gov.com): the
 * site parameter, its name (`EU1`, `us1-fed`), or the browser's address (`app.datadoghq.eu`).
 * The body: `title`, `text` in Datadog's markdown (`%%% … %%%`) capped at 4,000 characters as
 * the API requires, `tags` (`repo:o/r`, `pr:7`, `severity:high`, `level:4`, `event_type:…`, the
 * prediction's tags as `tag:…`, plus the configured ones), `alert_type` and `priority` from the
 * severity table (scale.ts), `aggregation_key` (the prediction's fingerprint, ≤ 100 characters,
 * so pushes of one prediction group together), `source_type_name` and `date_happened`.
 *
 * Untrusted text is markdown-escaped after it is cut, and its `@` becomes `＠` (U+FF20): Datadog
 * notifies `@handles` named in an event's text, and a pull request must not. The API takes
 * events at most 18 hours old: an older one (a replay, a long Retry-After) is sent with the
 * current time and its own time in the text.
 *
 * Rate limits: a 429 or an answer with `X-RateLimit-Remaining: 0` holds the site for
 * `X-RateLimit-Reset` seconds (the time until the window resets), and the delivery is retried
 * then, not after the usual backoff.
 */
import type { Severity } from "../analysis/types.js";
import type { InterpretedFailure, ResponseInfo } from "../delivery/outcome.js";
import { z } from "zod";
import { escapeDatadog, fitEscaped, safeUrl } from "./markup.js";
import {
  scaleColumn,
  scaleOverrideSetting,
  scaleSeverity,
  DATADOG_ALERT_TYPES,
  DATADOG_PRIORITIES,
  type DatadogAlertType,
  type DatadogPriority,
} from "./scale.js";
import {
  callService,
  headerSeconds,
  scaled,
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
import { contextLine, toNotice, truncate, type Notice, type NoticeEnvelope } from "./notice.js";
import { pct } from "../text/percent.js";

export const DATADOG_SITES = [
  "datadoghq.com",
  "us3.datadoghq.com",
  "us5.datadoghq.com",
  "datadoghq.eu",
  "ap1.datadoghq.com",
  "ap2.datadoghq.com",
  "uk1.datadoghq.com",
  "ddog-gov.com",
  "us2.ddog-gov.com",
] as const;

export type DatadogSite = (typeof DATADOG_SITES)[number];

/** Datadog's names for its sites. */
export const DATADOG_SITE_NAMES: Readonly<Record<string, DatadogSite>> = {
  us1: "datadoghq.com",
  us3: "us3.datadoghq.com",
  us5: "us5.datadoghq.com",
  eu1: "datadoghq.eu",
  eu: "datadoghq.eu",
  ap1: "ap1.datadoghq.com",
  ap2: "ap2.datadoghq.com",
  uk1: "uk1.datadoghq.com",
  "us1-fed": "ddog-gov.com",
  "us2-fed": "us2.ddog-gov.com",
};

export const DATADOG_TEXT_LIMIT = 4000;
/** The Events API refuses events older than this. */
export const DATADOG_MAX_EVENT_AGE_MS = 18 * 60 * 60_000;
/** Kept under it, so an event built now is not refused a moment later. */
const EVENT_AGE_MARGIN_MS = 10 * 60_000;
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
  /** The severity table's `alert_type` column, overridden row by row. */
  alertTypes?: Partial<Record<Severity, DatadogAlertType>>;
  /** The severity table's `priority` column, overridden row by row. */
  priorities?: Partial<Record<Severity, DatadogPriority>>;
  /** Clock in ms (tests). */
  now?: () => number;
}

export interface DatadogEvent {
  title: string;
  text: string;
  tags?: string[];
  alert_type?: DatadogAlertType;
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

/** `datadoghq.eu` (or `EU1`, `app.datadoghq.eu`) → `https://api.datadoghq.eu`; throws for an unknown site. */
export function datadogApiBase(site: string = "datadoghq.com"): string {
  const normalized = normalizeSite(site);
  if (!(DATADOG_SITES as readonly string[]).includes(normalized)) {
    throw new IntegrationError(
      "datadog",
      `unknown site "${site}"; one of ${DATADOG_SITES.join(", ")} (or ${Object.keys(DATADOG_SITE_NAMES)
        .map((n) => n.toUpperCase())
        .join(", ")})`,
    );
  }
  return `https://api.${normalized}`;
}

function normalizeSite(site: string): string {
  const host = site
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, "")
    .replace(/\/.*$/, "")
    .replace(/^(?:app|api)\./, "");
  return DATADOG_SITE_NAMES[host] ?? host;
}

/** `alert_type` from the severity table (an event without a severity takes its `info` row; a low confidence caps it). */
export function alertType(
  severity: Severity | null,
  confidence: number | null = null,
  overrides?: Partial<Record<Severity, DatadogAlertType>>,
): DatadogAlertType {
  return scaleColumn("datadogAlertType", overrides)[scaleSeverity(severity, confidence)];
}

/** `priority` from the severity table. */
export function datadogPriority(
  severity: Severity | null,
  confidence: number | null = null,
  overrides?: Partial<Record<Severity, DatadogPriority>>,
): DatadogPriority {
  return scaleColumn("datadogPriority", overrides)[scaleSeverity(severity, confidence)];
}

/** Datadog notifies `@handles` in an event: untrusted text is escaped and its `@` defused. */
const ddText = (text: string, max: number) => fitEscaped(text, max, escapeDatadog);

/** Datadog tags: lower case, no spaces, at most 200 characters. */
export function datadogTag(key: string, value: string): string {
  return truncate(`${key}:${value}`.toLowerCase().replace(/\s+/g, "_").replace(/,/g, "_"), 200);
}

/** The markdown body, wrapped in `%%%` and capped at 4,000 characters (markers included). */
export function datadogText(notice: Notice, originalTime: string | null = null): string {
  const open = "%%% \n";
  const close = "\n %%%";
  // Our own lines first (they are short), then the untrusted ones, each escaped after its cut.
  const tail: string[] = [];
  const facts: string[] = [];
  if (notice.confidence !== null) facts.push(`Confidence: ${pct(notice.confidence)}`);
  if (notice.severity !== null) facts.push(`Severity: ${notice.severity}`);
  for (const [k, v] of notice.facts) facts.push(`${k}: ${ddText(v, 200)}`);
  if (facts.length > 0) tail.push("", facts.join(" · "));
  const url = safeUrl(notice.url);
  if (url && !/[()\s]/.test(url)) tail.push("", `[View pull request](${url})`);
  if (originalTime) tail.push("", `Originally at ${originalTime} (sent later, beyond the 18 hours Datadog accepts as the event's time)`);
  tail.push("", `_${contextLine(notice)}_`);
  // What is left for the untrusted parts: the tail follows them after one newline.
  let budget = DATADOG_TEXT_LIMIT - open.length - close.length - tail.join("\n").length - 1;
  const parts: string[] = [];
  const add = (prefix: string, text: string | null, suffix = "") => {
    if (!text || budget <= prefix.length + suffix.length + 2) return;
    const line = `${prefix}${ddText(text, budget - prefix.length - suffix.length - (parts.length > 0 ? 2 : 0))}${suffix}`;
    parts.push(line);
    budget -= line.length + (parts.length > 1 ? 2 : 0);
  };
  add("", notice.text);
  add("**Impact:** ", notice.impact);
  add("**Evidence:** ", notice.evidence);
  add("**Recommendation:** ", notice.recommendation);
  return `${open}${[parts.join("\n\n"), ...tail].join("\n")}${close}`;
}

export function datadogEvent(
  envelope: NoticeEnvelope,
  options: Pick<DatadogOptions, "tags" | "sourceTypeName" | "alertTypes" | "priorities" | "now"> = {},
): DatadogEvent {
  const notice = toNotice(envelope);
  const now = options.now?.() ?? Date.now();
  const tags = [datadogTag("source", "empathy-bot"), datadogTag("event_type", notice.eventType)];
  if (notice.repo) tags.push(datadogTag("repo", notice.repo));
  if (notice.prNumber !== null) tags.push(datadogTag("pr", String(notice.prNumber)));
  if (notice.severity) tags.push(datadogTag("severity", notice.severity));
  if (notice.level !== null) tags.push(datadogTag("level", String(notice.level)));
  if (notice.kind) tags.push(datadogTag("kind", notice.kind));
  for (const t of notice.tags) tags.push(datadogTag("tag", t));
  for (const t of options.tags ?? []) tags.push(t);
  const time = Date.parse(notice.timestamp);
  // Older than the API accepts: sent as of now, its own time in the text.
  const tooOld = Number.isFinite(time) && now - time > DATADOG_MAX_EVENT_AGE_MS - EVENT_AGE_MARGIN_MS;
  const aggregation =
    notice.fingerprint ??
    (notice.repo ? `${notice.repo}${notice.prNumber !== null ? `#${notice.prNumber}` : ""}:${notice.eventType}` : null);
  const event: DatadogEvent = {
    title: truncate(notice.title.replace(/@/g, "＠"), 500),
    text: datadogText(notice, tooOld ? new Date(time).toISOString() : null),
    tags: [...new Set(tags)],
    alert_type: alertType(notice.severity, notice.confidence, options.alertTypes),
    source_type_name: options.sourceTypeName ?? "empathy-bot",
    priority: datadogPriority(notice.severity, notice.confidence, options.priorities),
  };
  if (aggregation) event.aggregation_key = truncate(aggregation, AGGREGATION_KEY_LIMIT);
  if (Number.isFinite(time)) event.date_happened = Math.floor((tooOld ? now : time) / 1000);
  return event;
}

/**
 * How long Datadog asks to be left alone: `X-RateLimit-Reset` (seconds until the window resets)
 * on a 429, or once `X-RateLimit-Remaining` is 0; a 429 without it waits its Retry-After, else
 * `X-RateLimit-Period`. Null: go on.
 */
export function datadogHoldMs(response: ResponseInfo): number | null {
  const { headers } = response;
  const reset = headerSeconds(headers, "x-ratelimit-reset");
  if (response.status === 429)
    return reset ?? headerSeconds(headers, "retry-after") ?? headerSeconds(headers, "x-ratelimit-period") ?? 1000;
  if (headers["x-ratelimit-remaining"]?.trim() === "0") return reset;
  return null;
}

/** Datadog reports failures by status (400 bad event, 403 bad key, 429); a 2xx with `errors` is a failure too. */
export function interpretDatadogResponse(response: ResponseInfo, timeScale?: number): InterpretedFailure | undefined {
  if (response.status >= 200 && response.status < 300) {
    return jsonField(response.body, "status") === "error"
      ? { ok: false, retryable: false, error: "Datadog answered status: error" }
      : undefined;
  }
  if (response.status === 403) return { ok: false, retryable: false, error: "Datadog refused the API key (403)" };
  if (response.status === 429) {
    const wait = datadogHoldMs(response)!;
    return {
      ok: false,
      retryable: true,
      retryAfterMs: scaled(wait, timeScale),
      error: `Datadog rate limit: retry when the window resets in ${wait / 1000} s`,
    };
  }
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
      interpretResponse: (response) => interpretDatadogResponse(response, options.timeScale),
      target: () => ({
        url: eventsUrl,
        headers,
        pace: {
          holdAfter: (response: ResponseInfo) => {
            const ms = datadogHoldMs(response);
            return ms === null ? null : scaled(ms, options.timeScale);
          },
        },
      }),
    },
    {
      eventsUrl,
      async postEvent(event) {
        const res = await callService(
          "datadog",
          options.fetch,
          {
            url: eventsUrl,
            headers,
            body: { ...event, text: truncate(event.text, DATADOG_TEXT_LIMIT) },
            timeoutSeconds: options.timeoutSeconds,
          },
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
        .refine(
          (s) => (DATADOG_SITES as readonly string[]).includes(normalizeSite(s)),
          `must be one of ${DATADOG_SITES.join(", ")} (or ${Object.keys(DATADOG_SITE_NAMES)
            .map((n) => n.toUpperCase())
            .join(", ")})`,
        )
        .optional(),
      api_url: urlSetting().optional(),
      tags: listSetting().optional(),
      source_type_name: textSetting().optional(),
      alert_types: scaleOverrideSetting(
        z.enum(DATADOG_ALERT_TYPES, { error: `must be one of ${DATADOG_ALERT_TYPES.join(", ")}` }),
        "alert types",
      ).optional(),
      priorities: scaleOverrideSetting(
        z.enum(DATADOG_PRIORITIES, { error: `must be one of ${DATADOG_PRIORITIES.join(", ")}` }),
        "priorities (normal, low)",
      ).optional(),
    },
    { error: "must be a mapping (api_key:, site:, ...)" },
  )
  .strict();

export type DatadogConfig = z.infer<typeof datadogConfigSchema>;

export function datadogOptionsFromConfig(c: DatadogConfig): DatadogOptions {
  return {
    ...deliveryFromConfig(c),
    apiKey: c.api_key,
    site: c.site,
    apiUrl: c.api_url,
    tags: c.tags,
    sourceTypeName: c.source_type_name,
    alertTypes: c.alert_types,
    priorities: c.priorities,
  };
}
