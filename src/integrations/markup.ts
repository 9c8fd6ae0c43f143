/**
 * Untrusted text (a prediction, a file path, a recommendation: anything a pull request shapes)
 * made inert for each service's markup, so that it can neither ping anyone nor become a link:
 *
 * - Slack mrkdwn: `&`, `<`, `>` as entities (mentions `<!channel>`, `<@U1>` and links `<url|x>`
 *   all need `<`); plain `@channel` is not parsed without `link_names`, which we never send.
 * - Discord and Datadog markdown: every markup character backslash-escaped (CommonMark), so
 *   `[x](https://evil.example)`, `**`, `<@123>` stay text; Discord also gets `allowed_mentions`,
 *   Datadog's `@handle` notifications get a full-width `＠` (U+FF20) and `%%%` cannot close its
 *   markdown block.
 * - JIRA wiki markup (Data Center): markup characters backslash-escaped (`[~user]` mentions,
 *   `[x|url]` links, `{macros}`).
 * - GitHub markdown (issues the GitHub integration opens): backslash escapes, and a zero-width
 *   space after `@` and in `#123`, so no user is notified and no issue cross-referenced.
 * - Teams: untrusted text goes in Adaptive Card `TextRun`s, which render no markdown at all (see
 *   teams.ts); JIRA Cloud: ADF text nodes, which are literal (see jiraIssue.ts).
 *
 * Escaping comes after the cut: `fitEscaped` finds the longest prefix whose escaped form fits,
 * so an entity (`&amp;`) or an escape (`\*`) is never cut in half and nothing is cut twice.
 */
import { redact } from "../analysis/secrets.js";

/** Slack mrkdwn's three control characters. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Discord markdown: any markup character (a backslash before ASCII punctuation shows it as is). */
export function escapeDiscord(text: string): string {
  return text.replace(/[\\*_~`|>#<[\]@-]/g, (c) => `\\${c}`);
}

/** Datadog's event markdown: markup backslash-escaped, `@` notifications and `%%%` defused. */
export function escapeDatadog(text: string): string {
  return text.replace(/[\\*_~`|>#<[\]()!%-]/g, (c) => `\\${c}`).replace(/@/g, "＠");
}

/**
 * GitHub markdown (an issue body): markup backslash-escaped, and a zero-width space after `@` and
 * before a `#number`, so no `@user` or `@org/team` is notified and no issue is cross-referenced.
 */
export function escapeGitHub(text: string): string {
  return text
    .replace(/[\\*_~`|<>[\]]/g, (c) => `\\${c}`)
    .replace(/@/g, "@\u200b")
    .replace(/#(?=\d)/g, "#\u200b");
}

/** JIRA wiki markup (Data Center's `description`): its markup characters backslash-escaped. */
export function escapeJiraWiki(text: string): string {
  return text.replace(/[\\*_\-+^~?[\]{}|!#@]/g, (c) => `\\${c}`);
}

/** Control characters (but tab and newline) that services refuse or render as boxes. */
export function stripControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, "");
}

/** Text inside a code span: no backtick can end it early. */
export function codeSpanText(text: string): string {
  return text.replace(/`/g, "'");
}

/**
 * Redacts the whole text, then keeps the longest prefix (whole code points) whose escaped form,
 * with "…" when cut, is at most `max` characters. Escaping after the cut: entities and escapes
 * are never split.
 */
export function fitEscaped(raw: string, max: number, escape: (text: string) => string = (t) => t): string {
  const text = stripControl(redact(raw));
  const whole = escape(text);
  if (whole.length <= max) return whole;
  if (max <= 0) return "";
  const points = Array.from(text);
  let lo = 0;
  let hi = points.length;
  // The largest k with escape(first k code points) + "…" fitting.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (escape(points.slice(0, mid).join("")).length + 1 <= max) lo = mid;
    else hi = mid - 1;
  }
  return `${escape(points.slice(0, lo).join(""))}…`;
}

/** UTF-8 bytes of a string. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** A URL a button or link may carry: http(s) only (never `javascript:` or `data:` from event data). */
export function safeUrl(url: string | null): string | null {
  if (url === null) return null;
  try {
    const u = new URL(url);
    return u.protocol === "https:" || u.protocol === "http:" ? url : null;
  } catch {
    return null;
  }
}
