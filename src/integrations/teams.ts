/**
 * Microsoft Teams: a Workflows webhook ("When a Teams webhook request is received" → post to a
 * channel; the Office 365 connectors it replaces are retired), answered 202 Accepted. The body
 * is a message with one Adaptive Card attachment:
 *
 *     { type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive",
 *       contentUrl: null, content: { $schema, type: "AdaptiveCard", version: "1.4", body: [...],
 *       actions: [{ type: "Action.OpenUrl", title, url }] } }] }
 *
 * The card: the title, the prediction text, a FactSet (confidence, severity, repository,
 * evidence), the recommendation, a subtle "Empathy Level N | Confidence: NN%" line, and a button
 * to the pull request. The webhook URL holds its signature (`sig=`): it stays in memory, logs
 * show its origin only.
 */
import type { InterpretedFailure, ResponseInfo } from "../webhooks/outcome.js";
import { z } from "zod";
import {
  callService,
  deliveryFromConfig,
  deliveryKeys,
  IntegrationError,
  parseJson,
  serviceIntegration,
  urlSetting,
  type ClientOptions,
  type DeliveryOptions,
  type ServiceIntegration,
} from "./common.js";
import { contextLine, pct, toNotice, truncate, type Notice, type NoticeEnvelope } from "./notice.js";

export const ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json";
export const ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive";

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

const SEVERITY_COLOR: Record<string, string> = { critical: "Attention", high: "Attention", medium: "Warning", low: "Accent", info: "Default" };

export function adaptiveCard(notice: Notice): AdaptiveCard {
  const body: AdaptiveElement[] = [
    { type: "TextBlock", text: truncate(notice.title, 500), size: "Large", weight: "Bolder", wrap: true },
    { type: "TextBlock", text: truncate(notice.text, 10_000), wrap: true },
  ];
  const facts: { title: string; value: string }[] = [];
  if (notice.confidence !== null) facts.push({ title: "Confidence", value: pct(notice.confidence) });
  if (notice.severity !== null) facts.push({ title: "Severity", value: notice.severity });
  if (notice.repo !== null) facts.push({ title: "Repository", value: `${notice.repo}${notice.prNumber !== null ? `#${notice.prNumber}` : ""}` });
  if (notice.evidence !== null) facts.push({ title: "Evidence", value: notice.evidence });
  if (notice.tags.length > 0) facts.push({ title: "Tags", value: notice.tags.join(", ") });
  if (facts.length > 0) body.push({ type: "FactSet", facts });
  if (notice.recommendation !== null) body.push({ type: "TextBlock", text: `**Recommendation:** ${truncate(notice.recommendation, 5000)}`, wrap: true });
  body.push({
    type: "TextBlock",
    text: contextLine(notice),
    isSubtle: true,
    size: "Small",
    wrap: true,
    ...(notice.severity !== null ? { color: SEVERITY_COLOR[notice.severity] ?? "Default" } : {}),
  });
  const card: AdaptiveCard = { $schema: ADAPTIVE_CARD_SCHEMA, type: "AdaptiveCard", version: "1.4", body, msteams: { width: "Full" } };
  if (notice.url !== null) card.actions = [{ type: "Action.OpenUrl", title: "View pull request", url: notice.url }];
  return card;
}

export function teamsMessage(card: AdaptiveCard): TeamsMessage {
  return { type: "message", attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, contentUrl: null, content: card }] };
}

/**
 * Workflows answers 202. A request the flow's trigger refuses gets a 4xx with
 * `{ "error": { "code": "…", "message": "…" } }`: its code is what the log shows.
 */
export function interpretTeamsResponse(response: ResponseInfo): InterpretedFailure | undefined {
  const { status } = response;
  if (status < 400 || status === 408 || status === 410 || status === 425 || status === 429 || status >= 500) return undefined;
  const error = (parseJson(response.body) as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (!error || typeof error.code !== "string") return undefined;
  return { ok: false, retryable: false, error: truncate(`Teams: ${error.code}${typeof error.message === "string" ? `: ${error.message}` : ""}`, 300) };
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
      buildPayload: (envelope) => teamsMessage(adaptiveCard(toNotice(envelope))),
      interpretResponse: interpretTeamsResponse,
      target: () => ({ url: options.webhookUrl, headers: {} }),
    },
    {
      async post(card) {
        await callService("teams", options.fetch, { url: options.webhookUrl, headers: {}, body: teamsMessage(card), timeoutSeconds: options.timeoutSeconds }, interpretTeamsResponse);
      },
      notify: (envelope) => integration.post(adaptiveCard(toNotice(envelope))),
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
