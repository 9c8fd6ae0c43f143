/** The Block Kit pieces every `/empathy` reply is made of. */
import type { SlackBlock } from "../../integrations/slack.js";
import { pct } from "../../text/percent.js";
// Redacts, then cuts: a title from GitHub is shown as the old replies showed it.
import { truncate } from "../../integrations/notice.js";

/** Slack's limit for a section's text. */
export const SECTION_MAX = 3000;
/** Slack's limit for a header's text. */
export const HEADER_MAX = 150;
/** Slack's limit for a button's URL. */
const BUTTON_URL_MAX = 3000;

/** mrkdwn text in a section, redacted and cut to Slack's limit (the caller escaped it). */
export function section(text: string): SlackBlock {
  return { type: "section", text: { type: "mrkdwn", text: truncate(text, SECTION_MAX) } };
}

export function header(text: string): SlackBlock {
  return { type: "header", text: { type: "plain_text", text: truncate(text, HEADER_MAX), emoji: true } };
}

/** "Empathy Level N | Confidence: NN%" */
export function contextBlock(level: number, confidence: number): SlackBlock {
  return { type: "context", elements: [{ type: "mrkdwn", text: `Empathy Level ${level} | Confidence: ${pct(confidence)}` }] };
}

/** The "View on GitHub" button, or undefined when the URL is longer than Slack takes. */
export function viewOnGitHub(url: string, actionId: string): SlackBlock | undefined {
  if (url.length > BUTTON_URL_MAX) return undefined;
  return {
    type: "actions",
    elements: [{ type: "button", text: { type: "plain_text", text: "View on GitHub", emoji: true }, url, action_id: actionId }],
  };
}

/**
 * Lines joined into one section's text, whole lines only: once the next line would pass Slack's
 * limit, the rest is replaced by "…" (a cut inside a line could split an escape or a link).
 */
export function fitLines(lines: string[], max = SECTION_MAX): string {
  const out: string[] = [];
  let length = 0;
  for (const line of lines) {
    const added = (out.length > 0 ? 1 : 0) + line.length;
    if (length + added > max - 2) {
      out.push("…");
      break;
    }
    out.push(line);
    length += added;
  }
  return out.join("\n");
}
