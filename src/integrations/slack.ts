/**
 * Slack: incoming webhooks (`POST <webhook URL>`, `{ text, blocks }`, answered "ok") and the Web
 * API's `chat.postMessage` (`POST <api>/chat.postMessage`, `Authorization: Bearer xoxb-…`,
 * `{ channel, text, blocks }`).
 *
 * Reading the answers: the Web API answers 200 even when it failed, with `{ "ok": false,
 * "error": "<code>" }`; `ratelimited` (and Slack's transient server codes) are retried, any
 * other code is not (a wrong channel or a revoked token will not fix itself). A 429 carries
 * `Retry-After` (seconds), honoured by the manager. Incoming webhooks answer errors with a
 * status and a plain-text code (`invalid_payload`, `no_service`...), shown in the log.
 *
 * The message: a header, the prediction text, confidence and severity, a context line
 * "Empathy Level N | Confidence: NN%", and a link button to the pull request. `text` is the
 * notification fallback. Slack's limits are kept (header 150, section 3,000, field 2,000).
 *
 * Untrusted text (everything the pull request shaped) is escaped for mrkdwn (`&`, `<`, `>`) in
 * every mrkdwn text and in the top-level `text` Slack notifies with, after it is cut, so
 * `<!channel>` or `<@U1>` from a pull request never becomes a mention and an `&amp;` is never
 * cut in half; `link_names` is never sent, so a plain `@channel` stays text, and the mrkdwn
 * objects holding it are `verbatim` (Slack's automatic parsing of plain text is off). The header
 * is `plain_text`, which Slack does not parse.
 *
 * Pace: Slack posts about one message per second per channel (short bursts tolerated); events
 * to one channel (the incoming webhook's, or each chat.postMessage channel) leave one at a time,
 * a second apart, and a 429's Retry-After holds that channel.
 *
 * `api_url` (default https://slack.com/api) points the Web API elsewhere: tests, a proxy, a
 * Slack-compatible server.
 *
 * Learned patterns (`pattern_learned`): `notify_patterns: true` adds the event to `events`, and
 * `pattern_channel` (chat.postMessage only; setting it also turns the notice on) sends them to
 * their own channel. The message names the pattern, its confidence, who it was learned from,
 * and links to the pull request when the event carries its URL, else to the repository's
 * prediction issues (label "empathy: prediction", the default of the repository config).
 */
import type { InterpretedFailure, ResponseInfo } from "../delivery/outcome.js";
import { z } from "zod";
import {
  callService,
  DEFAULT_EVENTS,
  headerSeconds,
  scaled,
  deliveryFromConfig,
  deliveryKeys,
  IntegrationError,
  jsonField,
  joinUrl,
  serviceIntegration,
  secretSetting,
  booleanSetting,
  textSetting,
  urlSetting,
  type ClientOptions,
  type DeliveryOptions,
  type ServiceIntegration,
} from "./common.js";
import { codeSpanText, escapeSlack, fitEscaped, safeUrl } from "./markup.js";
import { contextLine, toNotice, truncate, type Notice, type NoticeEnvelope } from "./notice.js";
import { pct } from "../text/percent.js";
import { GITHUB_WEB_URL, SLACK_API_URL } from "./urls.js";

/** Slack's documented pace for posting: about one message per second per channel. */
export const SLACK_MESSAGE_INTERVAL_MS = 1000;

/** Web API error codes worth another try (the rest are permanent for this message). */
const RETRYABLE_ERRORS = new Set(["ratelimited", "rate_limited", "service_unavailable", "request_timeout"]);

export interface SlackOptions extends DeliveryOptions, ClientOptions {
  /** An incoming webhook (https://hooks.slack.com/services/…): events go there when set. */
  webhookUrl?: string;
  /** A bot token (xoxb-…) for chat.postMessage. */
  botToken?: string;
  /** The channel events are posted to with the bot token (an id like C0123, or #name). */
  channel?: string;
  /** Web API base; default https://slack.com/api. */
  apiUrl?: string;
  /** The channel `pattern_learned` events go to with the bot token (default: `channel`). */
  patternChannel?: string;
  /** GitHub's web address for links built from a repository name (the app gives settings.github.webUrl); default https://github.com. */
  githubUrl?: string;
  /**
   * The app's public base URL (EMPATHY_PUBLIC_URL, settings.dashboard.publicUrl): a learned
   * pattern's "View pattern" button opens its dashboard page there. Absent: the button links to
   * the pull request or the repository's prediction issues.
   */
  dashboardUrl?: string;
}

export type SlackBlock = Record<string, unknown>;

export interface SlackMessage {
  text: string;
  blocks?: SlackBlock[];
}

export interface SlackPostMessage extends SlackMessage {
  /** Default: the configured channel. */
  channel?: string;
  /** Reply in a thread. */
  threadTs?: string;
}

export interface SlackIntegration extends ServiceIntegration {
  readonly service: "slack";
  /** Which way events go: the incoming webhook, else chat.postMessage. */
  readonly mode: "webhook" | "chat.postMessage";
  buildPayload(envelope: NoticeEnvelope): SlackMessage & { channel?: string };
  /** chat.postMessage now (bot token); returns the channel and the message's ts. */
  postMessage(message: SlackPostMessage): Promise<{ channel: string; ts: string }>;
  /** POSTs a message to the incoming webhook now. */
  postWebhook(message: SlackMessage): Promise<void>;
  /** Sends one event now, the configured way (outside the outbox: no retry). */
  notify(envelope: NoticeEnvelope): Promise<void>;
}

/** `&`, `<` and `>` are control characters in Slack's mrkdwn and must be escaped. */
export const escapeMrkdwn = escapeSlack;

/** Untrusted text for mrkdwn: cut to fit `max` once escaped, escaped after the cut. */
const mrkdwn = (text: string, max: number) => fitEscaped(text, max, escapeSlack);

const SEVERITY_EMOJI: Record<string, string> = {
  critical: ":red_circle:",
  high: ":large_orange_circle:",
  medium: ":large_yellow_circle:",
  low: ":large_blue_circle:",
  info: ":white_circle:",
};

/** Block Kit blocks for a notice. */
export function slackBlocks(notice: Notice): SlackBlock[] {
  const blocks: SlackBlock[] = [
    { type: "header", text: { type: "plain_text", text: truncate(notice.title, 150), emoji: true } },
    { type: "section", text: { type: "mrkdwn", verbatim: true, text: mrkdwn(notice.text, 3000) } },
  ];
  const fields: SlackBlock[] = [];
  if (notice.confidence !== null) fields.push({ type: "mrkdwn", text: `*Confidence*\n${pct(notice.confidence)}` });
  if (notice.severity !== null)
    fields.push({ type: "mrkdwn", text: `*Severity*\n${SEVERITY_EMOJI[notice.severity] ?? ""} ${notice.severity}`.replace("\n ", "\n") });
  if (notice.repo !== null)
    fields.push({
      type: "mrkdwn",
      verbatim: true,
      text: `*Repository*\n${mrkdwn(notice.repo, 1900)}${notice.prNumber !== null ? `#${notice.prNumber}` : ""}`,
    });
  if (notice.evidence !== null)
    fields.push({ type: "mrkdwn", verbatim: true, text: `*Evidence*\n\`${mrkdwn(codeSpanText(notice.evidence), 1980)}\`` });
  if (fields.length > 0) blocks.push({ type: "section", fields: fields.slice(0, 10) });
  if (notice.recommendation !== null) {
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", verbatim: true, text: `*Recommendation:* ${mrkdwn(notice.recommendation, 3000 - 18)}` },
    });
  }
  blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: contextLine(notice) }] });
  const url = safeUrl(notice.url);
  if (url !== null && url.length <= 3000) {
    blocks.push({
      type: "actions",
      elements: [
        { type: "button", text: { type: "plain_text", text: "View pull request", emoji: true }, url, action_id: "empathy_open_pr" },
      ],
    });
  }
  return blocks;
}

/** The label prediction issues carry unless a repository configures others. */
export const PREDICTION_ISSUE_LABEL = "empathy: prediction";

/** The dashboard page of a pattern: the public URL's, for an id as the engine makes them; else null. */
export function patternPageUrl(dashboardUrl: string | undefined, patternId: string | null): string | null {
  if (!dashboardUrl || !patternId || !/^pat-[0-9a-f]{12}$/.test(patternId)) return null;
  const base = safeUrl(dashboardUrl.replace(/\/+$/, ""));
  return base ? `${base}/dashboard/patterns/${patternId}` : null;
}

/** A learned pattern: name, confidence, who it was learned from, and where to look (its dashboard page when the public URL is set). */
export function slackPatternMessage(envelope: NoticeEnvelope, githubUrl = GITHUB_WEB_URL, dashboardUrl?: string): SlackMessage {
  const d = (envelope.data !== null && typeof envelope.data === "object" ? envelope.data : {}) as Record<string, unknown>;
  const s = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v : null);
  const name = s(d.pattern_name) ?? s(d.pattern_id) ?? "a pattern";
  const repo = s(d.repo);
  const user = s(d.user_id);
  const confidence = typeof d.confidence === "number" && Number.isFinite(d.confidence) ? d.confidence : null;
  const prUrl = s(d.url);
  const prNumber = typeof d.pr_number === "number" ? d.pr_number : null;
  const title = `Pattern learned${repo ? ` in ${repo}` : ""}: ${name}`;
  const text = `The Empathy bot learned the pattern *${mrkdwn(name, 900)}*${repo ? ` in ${mrkdwn(repo, 900)}` : ""}${user ? `, from the pull requests of ${mrkdwn(user, 900)}` : ""}. It now weighs what it reports there with it.`;
  const fields: SlackBlock[] = [{ type: "mrkdwn", verbatim: true, text: `*Pattern*\n${mrkdwn(name, 1980)}` }];
  if (confidence !== null) fields.push({ type: "mrkdwn", text: `*Confidence*\n${pct(confidence)}` });
  if (user) fields.push({ type: "mrkdwn", verbatim: true, text: `*Learned from*\n${mrkdwn(user, 1980)}` });
  if (repo)
    fields.push({ type: "mrkdwn", verbatim: true, text: `*Repository*\n${mrkdwn(repo, 1900)}${prNumber !== null ? `#${prNumber}` : ""}` });
  const blocks: SlackBlock[] = [
    { type: "header", text: { type: "plain_text", text: truncate(title, 150), emoji: true } },
    { type: "section", text: { type: "mrkdwn", verbatim: true, text: truncate(text, 3000) } },
    { type: "section", fields },
    { type: "context", elements: [{ type: "mrkdwn", text: `Empathy${confidence !== null ? ` | Confidence: ${pct(confidence)}` : ""}` }] },
  ];
  // Where to see it: its dashboard page, else the pull request when the event names one, else the repository's prediction issues.
  const page = patternPageUrl(dashboardUrl, s(d.pattern_id));
  const link = page
    ? { text: "View pattern", url: page }
    : safeUrl(prUrl)
      ? { text: "View pull request", url: prUrl! }
      : repo && /^[\w.-]+\/[\w.-]+$/.test(repo)
        ? {
            text: "View prediction issues",
            url: `${githubUrl.replace(/\/+$/, "")}/${repo}/issues?q=${encodeURIComponent(`is:issue label:"${PREDICTION_ISSUE_LABEL}"`)}`,
          }
        : null;
  if (link && link.url.length <= 3000) {
    blocks.push({
      type: "actions",
      elements: [
        { type: "button", text: { type: "plain_text", text: link.text, emoji: true }, url: link.url, action_id: "empathy_view_pattern" },
      ],
    });
  }
  const suffix = confidence !== null ? ` (${pct(confidence)})` : "";
  return { text: `${mrkdwn(title, 3000 - suffix.length)}${suffix}`, blocks };
}

/** `text` (the notification fallback) and `blocks` for an event. */
export function slackMessage(envelope: NoticeEnvelope, options: { githubUrl?: string; dashboardUrl?: string } = {}): SlackMessage {
  if (envelope.event_type === "pattern_learned") return slackPatternMessage(envelope, options.githubUrl, options.dashboardUrl);
  const notice = toNotice(envelope);
  const confidence = notice.confidence !== null ? ` (${pct(notice.confidence)})` : "";
  // `text` is what Slack notifies with: mrkdwn too, so escaped like the blocks.
  return { text: `${mrkdwn(notice.title, 3000 - confidence.length)}${confidence}`, blocks: slackBlocks(notice) };
}

/** Slack's own failure signals: `ok: false` in a 200, a plain-text code in an incoming webhook's error. */
export function interpretSlackResponse(response: ResponseInfo): InterpretedFailure | undefined {
  const { status, body } = response;
  if (status >= 200 && status < 300) {
    if (jsonField(body, "ok") !== false) return undefined;
    const code = jsonField(body, "error");
    const error = typeof code === "string" && code !== "" ? code : "ok: false";
    return { ok: false, retryable: RETRYABLE_ERRORS.has(error), error: `Slack error ${error}` };
  }
  // 410 (channel_is_archived) and 429 keep their usual meaning: disabled, retried after Retry-After.
  if (status === 410 || status === 429 || status >= 500) return undefined;
  if (status >= 400) {
    const code = jsonField(body, "error") ?? body.trim();
    if (typeof code === "string" && /^[a-z_]{2,64}$/.test(code)) return { ok: false, retryable: false, error: `Slack error ${code}` };
  }
  return undefined;
}

export function createSlack(options: SlackOptions): SlackIntegration {
  const { webhookUrl, botToken, channel, patternChannel, manager, fetch } = options;
  const githubUrl = options.githubUrl ?? GITHUB_WEB_URL;
  const apiUrl = options.apiUrl ?? SLACK_API_URL;
  if (!webhookUrl && !botToken)
    throw new IntegrationError("slack", "give a webhookUrl (incoming webhook) or a botToken (chat.postMessage)");
  const mode = webhookUrl ? "webhook" : "chat.postMessage";
  if (patternChannel && mode === "webhook") {
    throw new IntegrationError(
      "slack",
      "pattern_channel needs chat.postMessage (bot_token and channel, without webhook_url): an incoming webhook posts to its own channel",
    );
  }
  const name = options.name ?? "slack";
  const authHeaders = () => {
    if (!botToken) throw new IntegrationError("slack", "chat.postMessage needs a bot token (botToken / bot_token)");
    return { authorization: `Bearer ${botToken}` };
  };

  const integration: SlackIntegration = serviceIntegration<SlackIntegration>(
    {
      service: "slack",
      name,
      manager,
      delivery: options,
      buildPayload(envelope) {
        const message = slackMessage(envelope, { githubUrl, dashboardUrl: options.dashboardUrl });
        if (mode === "webhook") return message;
        return { channel: (envelope.event_type === "pattern_learned" && patternChannel) || channel!, ...message };
      },
      interpretResponse: interpretSlackResponse,
      target: () => {
        // One message a second per channel; a 429's Retry-After holds the channel.
        const pace = (key: string | undefined) => ({
          key,
          concurrency: 1,
          intervalMs: scaled(SLACK_MESSAGE_INTERVAL_MS, options.timeScale),
          holdAfter: (r: ResponseInfo) =>
            r.status === 429 ? scaled(headerSeconds(r.headers, "retry-after") ?? SLACK_MESSAGE_INTERVAL_MS, options.timeScale) : null,
        });
        if (mode === "webhook") return { url: webhookUrl!, headers: {}, pace: pace(undefined) };
        if (!channel) throw new IntegrationError("slack", "sending events with the bot token needs a channel");
        return {
          url: joinUrl(apiUrl, "chat.postMessage"),
          headers: { ...authHeaders(), "content-type": "application/json; charset=utf-8" },
          pace: (eventType: string) => pace(`channel:${(eventType === "pattern_learned" && patternChannel) || channel}`),
        };
      },
    },
    {
      mode,
      async postMessage(message) {
        const target = message.channel ?? channel;
        if (!target) throw new IntegrationError("slack", "postMessage needs a channel");
        const body: Record<string, unknown> = { channel: target, text: message.text };
        if (message.blocks) body.blocks = message.blocks;
        if (message.threadTs) body.thread_ts = message.threadTs;
        const res = await callService(
          "slack",
          fetch,
          { url: joinUrl(apiUrl, "chat.postMessage"), headers: authHeaders(), body, timeoutSeconds: options.timeoutSeconds },
          interpretSlackResponse,
        );
        const json = (res.json ?? {}) as { channel?: string; ts?: string };
        return { channel: json.channel ?? target, ts: json.ts ?? "" };
      },
      async postWebhook(message) {
        if (!webhookUrl) throw new IntegrationError("slack", "postWebhook needs an incoming webhook URL (webhookUrl / webhook_url)");
        await callService(
          "slack",
          fetch,
          { url: webhookUrl, headers: {}, body: message, timeoutSeconds: options.timeoutSeconds },
          interpretSlackResponse,
        );
      },
      async notify(envelope) {
        const message = slackMessage(envelope, { githubUrl, dashboardUrl: options.dashboardUrl });
        if (mode === "webhook") await integration.postWebhook(message);
        else
          await integration.postMessage({
            ...message,
            channel: (envelope.event_type === "pattern_learned" && patternChannel) || undefined,
          });
      },
    },
  );
  return integration;
}

export const slackConfigSchema = z
  .object(
    {
      ...deliveryKeys,
      webhook_url: urlSetting().optional(),
      bot_token: secretSetting("a bot token").optional(),
      channel: textSetting().optional(),
      api_url: urlSetting().optional(),
      notify_patterns: booleanSetting().optional(),
      pattern_channel: textSetting().optional(),
    },
    { error: "must be a mapping (webhook_url:, or bot_token: and channel:)" },
  )
  .strict()
  .superRefine((c, ctx) => {
    if (c.webhook_url === undefined && c.bot_token === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["webhook_url"],
        message: "is required: set webhook_url (incoming webhook) or bot_token and channel (chat.postMessage)",
      });
    } else if (c.webhook_url === undefined && c.channel === undefined) {
      ctx.addIssue({ code: "custom", path: ["channel"], message: "is required with bot_token (the channel events are posted to)" });
    }
    if (c.pattern_channel !== undefined && c.webhook_url !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["pattern_channel"],
        message: "needs bot_token and channel instead of webhook_url (an incoming webhook posts to its own channel)",
      });
    }
  });

export type SlackConfig = z.infer<typeof slackConfigSchema>;

export function slackOptionsFromConfig(c: SlackConfig): SlackOptions {
  const delivery = deliveryFromConfig(c);
  // notify_patterns (or a pattern_channel) adds pattern_learned to the events sent.
  const notifyPatterns = c.notify_patterns ?? c.pattern_channel !== undefined;
  const events = delivery.events ?? [...DEFAULT_EVENTS];
  if (notifyPatterns && !events.includes("*") && !events.includes("pattern_learned")) delivery.events = [...events, "pattern_learned"];
  return {
    ...delivery,
    webhookUrl: c.webhook_url,
    botToken: c.bot_token,
    channel: c.channel,
    apiUrl: c.api_url,
    patternChannel: c.pattern_channel,
  };
}
