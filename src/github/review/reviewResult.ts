/**
 * The structured result of a review, as the store keeps it per pull request (ReviewResult): what
 * readers such as Slack's `/empathy review` show, so none of them parses the summary comment's
 * Markdown. Built from the same values the summary is rendered from; every text redacted.
 */
import { redact, redactDeep } from "../../analysis/secrets.js";
import { severityRank, type Finding, type Prediction } from "../../analysis/types.js";
import type { ReviewResult } from "../../store/store.js";
import { truncate } from "../../text/truncate.js";

/** Findings and predictions kept in full; the counts cover every finding. */
export const RESULT_TOP_ITEMS = 10;
/** A title's length in the stored result (one line of a listing). */
const TITLE_MAX = 200;

export interface ReviewResultInput {
  headSha: string;
  level: number;
  confidence: number;
  /** The engine's response, and the questions it lists (the summary gives them their own section). */
  response: string;
  clarifications: string[];
  notice?: string;
  findings: Finding[];
  predictions: Prediction[];
  summaryComment: { id: number; url: string } | null;
  reviewedAt: number;
}

export function reviewResultOf(input: ReviewResultInput): ReviewResult {
  const findingCounts: Record<string, number> = {};
  for (const f of input.findings) findingCounts[f.severity] = (findingCounts[f.severity] ?? 0) + 1;
  const topFindings = [...input.findings]
    .sort((a, b) => severityRank(b.severity) - severityRank(a.severity))
    .slice(0, RESULT_TOP_ITEMS)
    .map((f) => ({ category: f.category, severity: f.severity, path: f.path, line: f.line, title: title(f.message) }));
  const predictions = [...input.predictions]
    .sort((a, b) => b.confidence - a.confidence)
    .slice(0, RESULT_TOP_ITEMS)
    .map((p) => ({ title: title(p.prediction), confidence: p.confidence, severity: p.severity, path: p.path, line: p.line }));
  // Redacted whole, with the secrets this job's analysis found (the review runs in their scope).
  return redactDeep({
    headSha: input.headSha,
    level: input.level,
    confidence: input.confidence,
    summary: oneLine(withoutQuestions(input.response, input.clarifications)),
    notice: input.notice === undefined ? null : oneLine(input.notice),
    findingCounts,
    topFindings,
    predictions,
    summaryCommentId: input.summaryComment?.id ?? null,
    summaryUrl: input.summaryComment?.url ?? null,
    reviewedAt: input.reviewedAt,
  });
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** Redacted before the cut: a cut token is no longer recognised. */
function title(text: string): string {
  return truncate(redact(oneLine(text)), TITLE_MAX);
}

/** The response without its list of questions, as the summary comment shows it (report/markdown.ts). */
function withoutQuestions(response: string, questions: string[]): string {
  if (questions.length === 0) return response;
  const listed = new Set(["Questions:", ...questions.map((q) => `- ${q}`)]);
  return response
    .split("\n")
    .filter((line) => !listed.has(line))
    .join("\n");
}
