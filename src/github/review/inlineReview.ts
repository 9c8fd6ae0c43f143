/**
 * The pull request review with inline comments: one per head commit, only for findings not
 * posted before, each anchored on a line GitHub accepts (checked against the diff hunks, so
 * the API never answers 422), and capped by `max_inline_comments`. A finding's suggested change
 * (analysis/fixes) goes in its comment as a ```suggestion block over exactly its lines, only when
 * those lines are all in one hunk of the new side (else GitHub rejects the whole review).
 */
import { commentableLines, suggestionFits } from "../../analysis/diff.js";
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
  /** The first line of a comment over several lines (a suggestion replacing `startLine`..`line`). */
  startLine?: number;
}

export interface InlineSelection {
  comments: InlineComment[];
  /** New items that had a valid anchor but were over the limit. */
  overLimit: number;
  /** New items whose line is not part of the diff (reported in the summary only). */
  unanchored: number;
}

type Item = Finding | Prediction;

type Suggestion = NonNullable<Finding["suggestion"]>;

function commentBody(item: Item, suggestion?: Suggestion): string {
  const head =
    "prediction" in item
      ? `**Prediction** (${pct(item.confidence)}, ${item.severity}): ${item.prediction}`
      : `**${item.severity}** · ${item.category} (${pct(item.confidence)}): ${item.message}`;
  const rule = "prediction" in item ? item.kind : item.rule;
  const block = suggestion ? `${suggestionBlock(suggestion.replacement)}\n\n` : "";
  return redact(
    `${head}\n\n${item.recommendation}\n\n${block}<sub>empathy · ${rule} · id \`${item.fingerprint.slice(0, 8)}\`</sub>\n${findingMarker(item.fingerprint)}`,
  );
}

/** A ```suggestion block, fenced with more backticks than the code has in a row. */
function suggestionBlock(replacement: string): string {
  const longest = Math.max(0, ...(replacement.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}suggestion\n${replacement}\n${fence}`;
}

/** The comment for an anchored item: with its suggestion when it fits the diff and survives redaction unchanged. */
function commentFor(item: Item, file: DiffFile | undefined): InlineComment {
  const base = { fingerprint: item.fingerprint, path: item.path, side: item.side };
  const suggestion = "rule" in item ? item.suggestion : undefined;
  if (suggestion && item.side === "RIGHT" && file && suggestionFits(suggestion, item.line, file)) {
    const body = commentBody(item, suggestion);
    // A suggestion is committed as written: if redaction touched it, it is not sent at all.
    if (body.includes(suggestionBlock(suggestion.replacement))) {
      const { startLine, endLine } = suggestion;
      return { ...base, line: endLine, ...(startLine < endLine ? { startLine } : {}), body };
    }
  }
  return { ...base, line: item.line, body: commentBody(item) };
}

export function selectInlineComments(items: Item[], files: DiffFile[], alreadyPosted: Set<string>, max: number): InlineSelection {
  const anchors = new Map(files.map((f) => [f.path, commentableLines(f)]));
  const byPath = new Map(files.map((f) => [f.path, f]));
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
    comments: chosen.map((i) => commentFor(i, byPath.get(i.path))),
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
    comments: comments.map(({ path, line, side, body, startLine }) => ({
      path,
      line,
      side,
      body,
      ...(startLine !== undefined ? { start_line: startLine, start_side: side } : {}),
    })),
  });
  return data.id;
}
