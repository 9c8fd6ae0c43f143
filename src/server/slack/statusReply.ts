/**
 * The "recent predictions" lines of `/empathy status`, from the stored prediction issues
 * (PredictionIssueRecord, newest first): confidence, the prediction, and a link to its issue.
 * Pure: the caller reads the store and says which repositories the request may see.
 */
import { escapeMrkdwn } from "../../integrations/slack.js";
import type { PredictionIssueRecord } from "../../store/store.js";
import { pct } from "../../text/percent.js";
import { truncate } from "../../integrations/notice.js";

/** Lines a status lists. */
export const RECENT_PREDICTIONS = 5;
/**
 * Newest issues read when the status covers every repository the request may see (its globs are
 * matched here, not in SQL): as many as the job rows the status used to read.
 */
export const RECENT_PREDICTIONS_SCAN = 200;

/** One line per issue of a repository `visible` accepts, newest first, at most `limit`. */
export function recentPredictionLines(
  issues: PredictionIssueRecord[],
  visible: (repo: string) => boolean,
  limit = RECENT_PREDICTIONS,
): string[] {
  return issues
    .filter((i) => visible(i.repo))
    .slice(0, limit)
    .map(predictionLine);
}

/** "85% Dropping the column breaks… — <url|owner/repo#12>" (details unknown for links recorded before they were kept). */
export function predictionLine(issue: PredictionIssueRecord): string {
  const what = [
    issue.confidence === null ? undefined : pct(issue.confidence),
    escapeMrkdwn(truncate(issue.title ?? "Prediction issue", 200)),
  ]
    .filter(Boolean)
    .join(" ");
  const label = escapeMrkdwn(`${issue.repo}#${issue.issueNumber}`);
  // A link's address must not hold what ends it in mrkdwn; GitHub's never does.
  const where = issue.url !== null && /^https?:\/\/[^\s|<>]+$/.test(issue.url) ? `<${issue.url}|${label}>` : label;
  return `${what} — ${where}`;
}
