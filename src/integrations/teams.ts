/**
 * Microsoft Teams: a Workflows webhook ("When a Teams webhook request is received" → post to a
 * channel; the Office 365 connectors it replaces are retired), answered 202 Accepted. The body
 * is a message with one Adaptive Card attachment:
 *
 *     { type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive",
 *       contentUrl: null, content: { $schema, type: "AdaptiveCard", version: "1.4", body: [...],
 *       actions: [{ type: "Action.OpenUrl", title, url }] } }] }
 *
 * The card: the title, the prediction text, a FactSet (confidence, severity), the repository,
 * evidence and tags, the recommendation, a subtle "Empathy Level N | Confidence: NN%" line, and
 * a button to the pull request. The webhook URL holds its signature (`sig=`): it stays in
 * memory, logs show its origin only.
 *
 * Untrusted text (all the pull request shaped) goes in `RichTextBlock` `TextRun`s, which
 * Adaptive Cards render without markdown: a `[x](https://evil.example)` stays text, and without
 * `msteams.entities` no `<at>` mention can form. TextBlock and FactSet (markdown) carry only
 * our own words and numbers.
 *
 * Honest outcomes: Workflows answers 202 before the flow posts the card, so a 202 is logged and
 * listed as `accepted`, not `delivered` (a flow that fails later is not reported back). Teams
 * limits a post to about 28 KB, counted in bytes: the body is kept under 27 KiB of UTF-8 (the
 * main text cut first), so a CJK prediction cannot overrun it. More than four requests a second
 * to one webhook are throttled: requests leave one at a time, 300 ms apart.
 */
import type { InterpretedFailure, ResponseInfo } from "../delivery/outcome.js";
import { z } from "zod";
import {
  callService,
  deliveryFromConfig,
  headerSeconds,
  scaled,
  deliveryKeys,
  IntegrationError,
  parseJson,
  serviceIntegration,
  urlSetting,
  type ClientOptions,
  type DeliveryOptions,
  type ServiceIntegration,
} from "./common.js";
import { redactDeep } from "../analysis/secrets.js";
import { fitEscaped, safeUrl, utf8Bytes } from "./markup.js";
import { contextLine, toNotice, truncate, type Notice, type NoticeEnvelope } from "./notice.js";
import { pct } from "../text/percent.js";

export const ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json";
export const ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive";
/** Teams' post limit is about 28 KB, in bytes; the body is kept 1 KiB under it. */
export const TEAMS_BODY_LIMIT_BYTES = 27 * 1024;
/** Teams throttles more than four requests a second to one webhook: ours leave 300 ms apart, a margin under it. */
export const TEAMS_REQUEST_INTERVAL_MS = 300;

export interface TeamsOptions extends DeliveryOptions, ClientOptions {
  /** The Workflows webhook URL. */
  webhookUrl: string;
}

export type AdaptiveElement = Record<string, unknown>;

export interface AdaptiveCard {
  $schema: string;
  type: "AdaptiveCard";
  version: "1.4";
  body: AdaptiveElement[];
  actions?: AdaptiveElement[];
  msteams?: { width?: "Full" };
}

export interface TeamsMessage {
  type: "message";
  attachments: { contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE; contentUrl: null; content: AdaptiveCard }[];
}

export interface TeamsIntegration extends ServiceIntegration {
  readonly service: "teams";
  buildPayload(envelope: NoticeEnvelope): TeamsMessage;
  /** Posts a card now. */
  post(card: AdaptiveCard): Promise<void>;
  /** Sends one bus event now (outside the outbox: no retry). */
  notify(envelope: NoticeEnvelope): Promise<void>;
}

const SEVERITY_COLOR: Record<string, string> = {
  critical: "Attention",
  high: "Attention",
  medium: "Warning",
  low: "Accent",
  info: "Default",
};

/** Plain text (no markdown is rendered in a TextRun). */
const run = (text: string, style: Record<string, unknown> = {}): AdaptiveElement => ({ type: "TextRun", text, ...style });

/** A RichTextBlock: untrusted text shown as is. */
const rich = (...inlines: AdaptiveElement[]): AdaptiveElement => ({ type: "RichTextBlock", inlines });

/** A "Label: value" line whose value is untrusted. */
const labelled = (label: string, value: string): AdaptiveElement => rich(run(`${label}: `, { weight: "Bolder" }), run(value));

export function adaptiveCard(notice: Notice): AdaptiveCard {
  const body: AdaptiveElement[] = [
    rich(run(fitEscaped(notice.title, 500), { size: "Large", weight: "Bolder" })),
    rich(run(fitEscaped(notice.text, 10_000))),
  ];
  // Our own values only: a FactSet renders markdown.
  const facts: { title: string; value: string }[] = [];
  if (notice.confidence !== null) facts.push({ title: "Confidence", value: pct(notice.confidence) });
  if (notice.severity !== null) facts.push({ title: "Severity", value: notice.severity });
  if (facts.length > 0) body.push({ type: "FactSet", facts });
  if (notice.repo !== null)
    body.push(labelled("Repository", `${fitEscaped(notice.repo, 500)}${notice.prNumber !== null ? `#${notice.prNumber}` : ""}`));
  if (notice.evidence !== null) body.push(labelled("Evidence", fitEscaped(notice.evidence, 1000)));
  if (notice.tags.length > 0) body.push(labelled("Tags", fitEscaped(notice.tags.join(", "), 1000)));
  if (notice.recommendation !== null) body.push(labelled("Recommendation", fitEscaped(notice.recommendation, 5000)));
  body.push({
    type: "TextBlock",
    text: contextLine(notice),
    isSubtle: true,
    size: "Small",
    wrap: true,
    ...(notice.severity !== null ? { color: SEVERITY_COLOR[notice.severity] ?? "Default" } : {}),
  });
  const card: AdaptiveCard = { $schema: ADAPTIVE_CARD_SCHEMA, type: "AdaptiveCard", version: "1.4", body, msteams: { width: "Full" } };
  const url = safeUrl(notice.url);
  if (url !== null) card.actions = [{ type: "Action.OpenUrl", title: "View pull request", url }];
  return card;
}

/** The texts cut, in this order, when a card is over Teams' byte limit, with the characters the card shows of each. */
const SHRINKABLE = { text: 10_000, recommendation: 5000, evidence: 1000, title: 500 } as const;

/** A string's bytes once in the JSON body (UTF-8, with JSON's escapes). */
const jsonBytes = (text: string) => utf8Bytes(JSON.stringify(text)) - 2;

/** The longest prefix (whole code points) whose JSON bytes are at most `budget`. */
function bytePrefix(text: string, budget: number): string {
  let used = 0;
  let end = 0;
  for (const point of text) {
    const cost = jsonBytes(point);
    if (used + cost > budget) break;
    used += cost;
    end += point.length;
  }
  return text.slice(0, end);
}

/**
 * The card for a notice, its whole request body within `limitBytes` of UTF-8: the longest texts
 * are cut (whole code points, "…"), the main text first, until it fits. Texts are redacted once,
 * before they are measured, so the body sent is the body measured.
 */
export function fittedTeamsMessage(notice: Notice, limitBytes = TEAMS_BODY_LIMIT_BYTES): TeamsMessage {
  const build = (n: Notice) => teamsMessage(adaptiveCard(n));
  const size = (m: TeamsMessage) => utf8Bytes(JSON.stringify(m));
  const current: Notice = { ...notice };
  const fields = Object.keys(SHRINKABLE) as (keyof typeof SHRINKABLE)[];
  for (const field of fields) {
    const value = current[field];
    if (typeof value === "string") current[field] = fitEscaped(value, Number.MAX_SAFE_INTEGER);
  }
  let message = build(current);
  for (const field of fields) {
    // The builder's own character caps may apply too: cut what it shows, then measure again (twice at most).
    for (let pass = 0; pass < 2 && size(message) > limitBytes; pass++) {
      const value = current[field];
      if (typeof value !== "string" || value === "" || value === "…") break;
      const shown = fitEscaped(value, SHRINKABLE[field]);
      const budget = jsonBytes(shown) - (size(message) - limitBytes) - jsonBytes("…");
      current[field] = `${bytePrefix(shown, Math.max(0, budget))}…`;
      message = build(current);
    }
  }
  return redactDeep(message) as TeamsMessage;
}

export function teamsMessage(card: AdaptiveCard): TeamsMessage {
  return { type: "message", attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, contentUrl: null, content: card }] };
}

/**
 * Workflows answers 202. A request the flow's trigger refuses gets a 4xx with
 * `{ "error": { "code": "…", "message": "…" } }`: its code is what the log shows.
 */
export function interpretTeamsResponse(response: ResponseInfo): InterpretedFailure | undefined {
  if (response.status === 413) return { ok: false, retryable: false, error: "Teams: the message is over the size limit (413)" };
  const { status } = response;
  if (status < 400 || status === 408 || status === 410 || status === 425 || status === 429 || status >= 500) return undefined;
  const error = (parseJson(response.body) as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (!error || typeof error.code !== "string") return undefined;
  return {
    ok: false,
    retryable: false,
    error: truncate(`Teams: ${error.code}${typeof error.message === "string" ? `: ${error.message}` : ""}`, 300),
  };
}

export function createTeams(options: TeamsOptions): TeamsIntegration {
  if (!options.webhookUrl) throw new IntegrationError("teams", "a Workflows webhook URL (webhookUrl / webhook_url) is required");
  const name = options.name ?? "teams";
  const integration: TeamsIntegration = serviceIntegration<TeamsIntegration>(
    {
      service: "teams",
      name,
      manager: options.manager,
      delivery: options,
      buildPayload: (envelope) => fittedTeamsMessage(toNotice(envelope)),
      interpretResponse: interpretTeamsResponse,
      target: () => ({
        url: options.webhookUrl,
        headers: {},
        // Workflows answers 202 before it posts: accepted, not delivered.
        acceptedStatuses: [202],
        pace: {
          concurrency: 1,
          intervalMs: scaled(TEAMS_REQUEST_INTERVAL_MS, options.timeScale),
          holdAfter: (r: ResponseInfo) =>
            r.status === 429 ? scaled(headerSeconds(r.headers, "retry-after") ?? 1000, options.timeScale) : null,
        },
      }),
    },
    {
      async post(card) {
        await callService(
          "teams",
          options.fetch,
          { url: options.webhookUrl, headers: {}, body: teamsMessage(card), timeoutSeconds: options.timeoutSeconds },
          interpretTeamsResponse,
        );
      },
      notify: (envelope) => integration.post(fittedTeamsMessage(toNotice(envelope)).attachments[0].content),
    },
  );
  return integration;
}

export const teamsConfigSchema = z
  .object({ ...deliveryKeys, webhook_url: urlSetting() }, { error: "must be a mapping (webhook_url:, ...)" })
  .strict();

export type TeamsConfig = z.infer<typeof teamsConfigSchema>;

export function teamsOptionsFromConfig(c: TeamsConfig): TeamsOptions {
  return { ...deliveryFromConfig(c), webhookUrl: c.webhook_url };
}
