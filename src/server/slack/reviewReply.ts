/**
 * The reply to `/empathy review`: the review's stored result (ReviewResult, written by the review
 * job) and the pull request's facts as Block Kit: a header, the summary (level, the engine's
 * summary, findings by severity with the most severe, predictions), the level and confidence
 * context line, and a button to the summary comment. Pure: no store, no GitHub.
 */
import { LEVEL_NAMES, type EmpathyLevel } from "../../engine/levels.js";
import { escapeMrkdwn, type SlackBlock } from "../../integrations/slack.js";
import type { ReviewResult } from "../../store/store.js";
import { pct } from "../../text/percent.js";
import { truncate } from "../../integrations/notice.js";
import { contextBlock, fitLines, header, section, SECTION_MAX, viewOnGitHub } from "./blocks.js";

/** Most severe first, as the summary comment counts them. */
const SEVERITY_ORDER = ["critical", "high", "medium", "low", "info"];

/** What the command knows about the pull request (from GitHub, at the time of the command). */
export interface PullRequestFacts {
  /** owner/name */
  repo: string;
  number: number;
  title: string;
  /** The pull request's web address: the button's target when the result has no summary comment. */
  url: string;
}

export function reviewReply(result: ReviewResult, pr: PullRequestFacts): { text: string; blocks: SlackBlock[] } {
  const blocks: SlackBlock[] = [
    header(`Review of ${pr.repo}#${pr.number}: ${pr.title}`),
    section(reviewSummaryText(result)),
    contextBlock(result.level, result.confidence),
  ];
  const button = viewOnGitHub(result.summaryUrl ?? pr.url, "empathy_open_summary");
  if (button) blocks.push(button);
  return {
    text: truncate(`Review of ${pr.repo}#${pr.number}: level ${result.level}, confidence ${pct(result.confidence)}`, SECTION_MAX),
    blocks,
  };
}

/** The summary comment's content in mrkdwn, from the stored result; every stored text escaped. */
export function reviewSummaryText(result: ReviewResult): string {
  const name = LEVEL_NAMES[result.level as EmpathyLevel] ?? "?";
  const lines = [`*Level ${result.level} · ${name}* · confidence ${pct(result.confidence)} · commit \`${result.headSha.slice(0, 7)}\``];
  if (result.notice) lines.push(`> ${escapeMrkdwn(result.notice)}`);
  if (result.summary) lines.push("", escapeMrkdwn(result.summary));

  const total = Object.values(result.findingCounts).reduce((sum, n) => sum + n, 0);
  if (total > 0) {
    const counts = SEVERITY_ORDER.filter((s) => (result.findingCounts[s] ?? 0) > 0).map((s) => `${result.findingCounts[s]} ${s}`);
    lines.push("", `*Findings (${total})*`, counts.join(" · "));
    for (const f of result.topFindings) {
      lines.push(`• *${escapeMrkdwn(f.severity)}* ${location(f.path, f.line)} ${escapeMrkdwn(f.title)} _(${escapeMrkdwn(f.category)})_`);
    }
    if (total > result.topFindings.length) lines.push(`… and ${total - result.topFindings.length} more on GitHub`);
  }
  if (result.predictions.length > 0) {
    lines.push("", `*Predictions (${result.predictions.length})*`);
    for (const p of result.predictions) lines.push(`• *${pct(p.confidence)}* ${escapeMrkdwn(p.title)} ${location(p.path, p.line)}`);
  }
  return fitLines(lines);
}

/** `path:line` as code; a backtick in the path would end the code span. */
function location(path: string, line: number): string {
  return `\`${escapeMrkdwn(path.replace(/`/g, "'"))}:${line}\``;
}
