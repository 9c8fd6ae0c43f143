/**
 * The pull request review with inline comments: one per head commit, only for findings not
 * posted before, each anchored on a line GitHub accepts (checked against the diff hunks, so
 * the API never answers 422), and capped by `max_inline_comments`.
 */
import { commentableLines } from "../../analysis/diff.js";
import { redact } from "../../analysis/secrets.js";
import { severityRank, type DiffFile, type Finding, type Prediction, type Side } from "../../analysis/types.js";
import { pct } from "../../text/percent.js";
import { findingMarker, reviewMarker } from "../api/markers.js";
import type { Octokit, RepoRef } from "../api/types.js";

export interface InlineComment {
  fingerprint: string;
  path: string;
  line: number;
  side: Side;
  body: string;
}

export interface InlineSelection {
  comments: InlineComment[];
  /** New items that had a valid anchor but were over the limit. */
  overLimit: number;
  /** New items whose line is not part of the diff (reported in the summary only). */
  unanchored: number;
}

type Item = Finding | Prediction;

function commentBody(item: Item): string {
  const head =
    "prediction" in item
      ? `**Prediction** (${pct(item.confidence)}, ${item.severity}): ${item.prediction}`
      : `**${item.severity}** · ${item.category} (${pct(item.confidence)}): ${item.message}`;
  const rule = "prediction" in item ? item.kind : item.rule;
  return redact(
    `${head}\n\n${item.recommendation}\n\n<sub>empathy · ${rule} · id \`${item.fingerprint.slice(0, 8)}\`</sub>\n${findingMarker(item.fingerprint)}`,
  );
}

export function selectInlineComments(items: Item[], files: DiffFile[], alreadyPosted: Set<string>, max: number): InlineSelection {
  const anchors = new Map(files.map((f) => [f.path, commentableLines(f)]));
  const fresh = items
    .filter((i) => !alreadyPosted.has(i.fingerprint))
    .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || b.confidence - a.confidence);
  const seen = new Set<string>();
  const anchored: Item[] = [];
  let unanchored = 0;
  for (const item of fresh) {
    if (seen.has(item.fingerprint)) continue;
    seen.add(item.fingerprint);
    if (anchors.get(item.path)?.[item.side].has(item.line)) anchored.push(item);
    else unanchored++;
  }
  const chosen = anchored.slice(0, max);
  return {
    comments: chosen.map((i) => ({ fingerprint: i.fingerprint, path: i.path, line: i.line, side: i.side, body: commentBody(i) })),
    overLimit: anchored.length - chosen.length,
    unanchored,
  };
}

/** Finds the review this app already posted on this commit (a crash may have interrupted the job after posting). */
async function findExistingReview(octokit: Octokit, ref: RepoRef, pullNumber: number, commitSha: string): Promise<number | null> {
  const marker = reviewMarker(commitSha);
  for await (const page of octokit.paginate.iterator(octokit.rest.pulls.listReviews, { ...ref, pull_number: pullNumber, per_page: 100 })) {
    const found = page.data.find((r) => r.commit_id === commitSha && (r.body ?? "").includes(marker));
    if (found) return found.id;
  }
  return null;
}

export async function postInlineReview(
  octokit: Octokit,
  ref: RepoRef,
  pullNumber: number,
  commitSha: string,
  comments: InlineComment[],
  summaryUrl: string | null,
): Promise<number> {
  const existing = await findExistingReview(octokit, ref, pullNumber, commitSha);
  if (existing !== null) return existing;
  const pointer = summaryUrl ? ` The full picture is in the [summary comment](${summaryUrl}).` : "";
  const { data } = await octokit.rest.pulls.createReview({
    ...ref,
    pull_number: pullNumber,
    commit_id: commitSha,
    event: "COMMENT",
    body: `Empathy found ${comments.length} new item(s) in this commit.${pointer}\n${reviewMarker(commitSha)}`,
    comments: comments.map(({ path, line, side, body }) => ({ path, line, side, body })),
  });
  return data.id;
}
