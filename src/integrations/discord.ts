/**
 * Discord: execute a webhook, `POST https://discord.com/api/webhooks/<id>/<token>`, answered 204
 * (or 200 with the message when `?wait=true`).
 *
 * The message: `content` (≤ 2,000 characters) and one embed: `title` (≤ 256), `description`
 * (≤ 4,096), `url` (the pull request), `color` by severity, `fields` (≤ 25; name ≤ 256, value
 * ≤ 1,024), `footer` (≤ 2,048) with the "Empathy Level N | Confidence: NN%" line, `timestamp`;
 * all of an embed's text together ≤ 6,000. `allowed_mentions: { parse: [] }`: text from a pull
 * request can never ping @everyone.
 *
 * Untrusted text is markdown-escaped after it is cut (a masked link `[x](https://evil.example)`
 * or a `<@id>` stays text) and the bold title in `content` always closes its `**`.
 *
 * Rate limits, as Discord asks: read the `X-RateLimit-*` headers of every answer and do not hit
 * the limit (repeated 429s count toward a temporary IP ban). Requests to one webhook leave one
 * at a time; `X-RateLimit-Remaining: 0` holds the webhook for `X-RateLimit-Reset-After` seconds
 * (fractional). A 429 answers `{ "message": "You are being rate limited.", "retry_after": 0.641,
 * "global": false }`: `retry_after` is in seconds and may be fractional; the next attempt waits
 * that long (rounded up to the millisecond), more precise than the whole-second Retry-After
 * header, and the webhook is held as long.
 */
import type { Severity } from "../analysis/types.js";
import type { InterpretedFailure, ResponseInfo } from "../delivery/outcome.js";
import { z } from "zod";
import { codeSpanText, escapeDiscord, fitEscaped, safeUrl } from "./markup.js";
import {
  callService,
  headerSeconds,
  scaled,
  deliveryFromConfig,
  deliveryKeys,
  IntegrationError,
  jsonField,
  serviceIntegration,
  textSetting,
  urlSetting,
  type ClientOptions,
  type DeliveryOptions,
  type ServiceIntegration,
} from "./common.js";
import { contextLine, toNotice, truncate, type Notice, type NoticeEnvelope } from "./notice.js";
import { pct } from "../text/percent.js";

export const DISCORD_LIMITS = {
  content: 2000,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  embedTotal: 6000,
} as const;

export const DISCORD_COLORS: Record<Severity, number> = {
  critical: 0x992d22,
  high: 0xe74c3c,
  medium: 0xe67e22,
  low: 0xf1c40f,
  info: 0x3498db,
};
const NEUTRAL_COLOR = 0x95a5a6;

export interface DiscordOptions extends DeliveryOptions, ClientOptions {
  webhookUrl: string;
  /** Overrides the webhook's name. */
  username?: string;
  avatarUrl?: string;
}

export interface DiscordEmbed {
  title?: string;
  description?: string;
  url?: string;
  color?: number;
  timestamp?: string;
  fields?: { name: string; value: string; inline?: boolean }[];
  footer?: { text: string };
}

export interface DiscordMessage {
  content?: string;
  username?: string;
  avatar_url?: string;
  embeds?: DiscordEmbed[];
  allowed_mentions?: { parse: string[] };
}

export interface DiscordIntegration extends ServiceIntegration {
  readonly service: "discord";
  buildPayload(envelope: NoticeEnvelope): DiscordMessage;
  /** Executes the webhook now (limits applied); returns the message id (`?wait=true`). */
  execute(message: DiscordMessage): Promise<{ id: string | null }>;
  /** Sends one bus event now (outside the outbox: no retry). */
  notify(envelope: NoticeEnvelope): Promise<{ id: string | null }>;
}

/** Cuts escaped markdown: never leaves a lone backslash that would escape the "…". */
function cutMarkdown(text: string, max: number): string {
  const cut = truncate(text, max);
  if (cut === text || !cut.endsWith("…")) return cut;
  const body = cut.slice(0, -1);
  const slashes = /\\*$/.exec(body)![0].length;
  return slashes % 2 === 1 ? `${body.slice(0, -1)}…` : cut;
}

/** Applies Discord's limits to a message: content, embed title, description, fields, footer and each embed's total. */
export function fitDiscordLimits(message: DiscordMessage): DiscordMessage {
  const out: DiscordMessage = { ...message };
  if (out.content !== undefined) out.content = cutMarkdown(out.content, DISCORD_LIMITS.content);
  if (out.embeds) {
    out.embeds = out.embeds.slice(0, 10).map((embed) => {
      const e: DiscordEmbed = { ...embed };
      if (e.title !== undefined) e.title = cutMarkdown(e.title, DISCORD_LIMITS.title);
      if (e.footer) e.footer = { text: truncate(e.footer.text, DISCORD_LIMITS.footer) };
      if (e.fields) {
        e.fields = e.fields
          .slice(0, DISCORD_LIMITS.fields)
          .map((f) => ({ ...f, name: truncate(f.name, DISCORD_LIMITS.fieldName), value: cutMarkdown(f.value, DISCORD_LIMITS.fieldValue) }));
      }
      // All of an embed's text together: title and footer first, then the description, then the fields that still fit.
      let budget = DISCORD_LIMITS.embedTotal - (e.title?.length ?? 0) - (e.footer?.text.length ?? 0);
      if (e.description !== undefined) {
        e.description = cutMarkdown(e.description, Math.max(0, Math.min(DISCORD_LIMITS.description, budget)));
        budget -= e.description.length;
      }
      if (e.fields) {
        const kept: NonNullable<DiscordEmbed["fields"]> = [];
        for (const f of e.fields) {
          const room = budget - f.name.length;
          if (room < Math.min(f.value.length, 2)) break;
          const value = cutMarkdown(f.value, room);
          kept.push({ ...f, value });
          budget -= f.name.length + value.length;
        }
        e.fields = kept;
      }
      return e;
    });
  }
  return out;
}

/** Untrusted text for Discord markdown: cut to fit once escaped, escaped after the cut. */
const md = (text: string, max: number) => fitEscaped(text, max, escapeDiscord);

export function discordEmbed(notice: Notice): DiscordEmbed {
  const fields: NonNullable<DiscordEmbed["fields"]> = [];
  if (notice.confidence !== null) fields.push({ name: "Confidence", value: pct(notice.confidence), inline: true });
  if (notice.severity !== null) fields.push({ name: "Severity", value: notice.severity, inline: true });
  if (notice.repo !== null)
    fields.push({
      name: "Repository",
      value: `${md(notice.repo, 1000)}${notice.prNumber !== null ? `#${notice.prNumber}` : ""}`,
      inline: true,
    });
  // In a code span nothing is parsed (no mention, no link): only a backtick could end it early.
  if (notice.evidence !== null)
    fields.push({ name: "Evidence", value: `\`${fitEscaped(codeSpanText(notice.evidence), DISCORD_LIMITS.fieldValue - 2)}\`` });
  if (notice.tags.length > 0) fields.push({ name: "Tags", value: md(notice.tags.join(", "), DISCORD_LIMITS.fieldValue), inline: true });
  if (notice.recommendation !== null) fields.push({ name: "Recommendation", value: md(notice.recommendation, DISCORD_LIMITS.fieldValue) });
  const embed: DiscordEmbed = {
    title: md(notice.title, DISCORD_LIMITS.title),
    description: md(notice.text, DISCORD_LIMITS.description),
    color: notice.severity !== null ? DISCORD_COLORS[notice.severity] : NEUTRAL_COLOR,
    fields,
    footer: { text: contextLine(notice) },
    timestamp: notice.timestamp,
  };
  const url = safeUrl(notice.url);
  if (url !== null) embed.url = url;
  return embed;
}

export function discordMessage(envelope: NoticeEnvelope, options: { username?: string; avatarUrl?: string } = {}): DiscordMessage {
  const notice = toNotice(envelope);
  const suffix = notice.confidence !== null ? ` (${pct(notice.confidence)})` : "";
  const message: DiscordMessage = {
    // The title is cut before it is wrapped: the closing ** is always there.
    content: `**${md(notice.title, DISCORD_LIMITS.content - 4 - suffix.length)}**${suffix}`,
    embeds: [discordEmbed(notice)],
    allowed_mentions: { parse: [] },
  };
  if (options.username) message.username = options.username;
  if (options.avatarUrl) message.avatar_url = options.avatarUrl;
  return fitDiscordLimits(message);
}

/** Discord's 429 body: `retry_after` in seconds (fractional) is the wait; 4xx bodies carry `message` and a numeric `code`. */
export function interpretDiscordResponse(response: ResponseInfo, timeScale?: number): InterpretedFailure | undefined {
  const { status, body } = response;
  if (status === 429) {
    const seconds = jsonField(body, "retry_after");
    const global = jsonField(body, "global") === true;
    if (typeof seconds === "number" && Number.isFinite(seconds) && seconds >= 0) {
      return {
        ok: false,
        retryable: true,
        retryAfterMs: scaled(Math.ceil(seconds * 1000), timeScale),
        error: `Discord rate limit${global ? " (global)" : ""}: retry after ${seconds} s`,
      };
    }
    return undefined;
  }
  if (status >= 400 && status < 500 && status !== 408 && status !== 410 && status !== 425) {
    const message = jsonField(body, "message");
    const code = jsonField(body, "code");
    if (typeof message === "string")
      return {
        ok: false,
        retryable: false,
        error: truncate(`Discord: ${message}${typeof code === "number" ? ` (code ${code})` : ""}`, 300),
      };
  }
  return undefined;
}

/**
 * How long Discord asks the webhook to be left alone after an answer: a 429's wait (its body's
 * `retry_after`, else `X-RateLimit-Reset-After`, else Retry-After), or, before the limit,
 * `X-RateLimit-Reset-After` once `X-RateLimit-Remaining` is 0. Null: go on.
 */
export function discordHoldMs(response: ResponseInfo): number | null {
  const { headers } = response;
  if (response.status === 429) {
    const seconds = jsonField(response.body, "retry_after");
    if (typeof seconds === "number" && Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
    return headerSeconds(headers, "x-ratelimit-reset-after") ?? headerSeconds(headers, "retry-after") ?? 1000;
  }
  if (headers["x-ratelimit-remaining"]?.trim() === "0") return headerSeconds(headers, "x-ratelimit-reset-after");
  return null;
}

export function createDiscord(options: DiscordOptions): DiscordIntegration {
  if (!options.webhookUrl) throw new IntegrationError("discord", "a webhook URL (webhookUrl / webhook_url) is required");
  const name = options.name ?? "discord";
  const integration: DiscordIntegration = serviceIntegration<DiscordIntegration>(
    {
      service: "discord",
      name,
      manager: options.manager,
      delivery: options,
      buildPayload: (envelope) => discordMessage(envelope, options),
      interpretResponse: (response) => interpretDiscordResponse(response, options.timeScale),
      target: () => ({
        url: options.webhookUrl,
        headers: {},
        // One request at a time per webhook, and none while Discord says its bucket is empty.
        pace: {
          concurrency: 1,
          holdAfter: (response: ResponseInfo) => {
            const ms = discordHoldMs(response);
            return ms === null ? null : scaled(ms, options.timeScale);
          },
        },
      }),
    },
    {
      async execute(message) {
        const url = new URL(options.webhookUrl);
        url.searchParams.set("wait", "true");
        const res = await callService(
          "discord",
          options.fetch,
          { url: url.href, headers: {}, body: fitDiscordLimits(message), timeoutSeconds: options.timeoutSeconds },
          interpretDiscordResponse,
        );
        const id = (res.json as { id?: string } | null)?.id;
        return { id: id ?? null };
      },
      notify: (envelope) => integration.execute(integration.buildPayload(envelope)),
    },
  );
  return integration;
}

export const discordConfigSchema = z
  .object(
    {
      ...deliveryKeys,
      webhook_url: urlSetting(),
      username: textSetting().optional(),
      avatar_url: urlSetting().optional(),
    },
    { error: "must be a mapping (webhook_url:, ...)" },
  )
  .strict();

export type DiscordConfig = z.infer<typeof discordConfigSchema>;

export function discordOptionsFromConfig(c: DiscordConfig): DiscordOptions {
  return { ...deliveryFromConfig(c), webhookUrl: c.webhook_url, username: c.username, avatarUrl: c.avatar_url };
}
