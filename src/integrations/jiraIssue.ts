/**
 * The issue the JIRA integration creates (see jira.ts): its fields, the description in Atlassian
 * Document Format (Cloud) or wiki markup (Data Center) with every untrusted text made literal,
 * its labels, issue type and priority, in the project's own spelling when its metadata is known.
 */
import type { Severity } from "../analysis/types.js";
import { pct } from "../text/percent.js";
import type { JiraOptions } from "./jiraConfig.js";
import { codeSpanText, escapeJiraWiki, fitEscaped, safeUrl, stripControl } from "./markup.js";
import { contextLine, toNotice, truncate, type Notice, type NoticeEnvelope } from "./notice.js";
import { scaleColumn, scaleSeverity } from "./scale.js";

export const JIRA_SUMMARY_LIMIT = 255;
/** Data Center's description (a text field) holds at most this many characters. */
export const JIRA_WIKI_DESCRIPTION_LIMIT = 32_767;
export const DEFAULT_ISSUE_TYPE = "Task";
export const DEFAULT_BUG_ISSUE_TYPE = "Bug";

/** An ADF node (https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/). */
export type AdfNode = {
  type: string;
  text?: string;
  attrs?: Record<string, unknown>;
  marks?: { type: string; attrs?: Record<string, unknown> }[];
  content?: AdfNode[];
};
export type AdfDoc = { type: "doc"; version: 1; content: AdfNode[] };

export interface JiraIssueFields {
  project: { key: string };
  summary: string;
  /** ADF (Cloud) or wiki markup (Data Center). */
  description: AdfDoc | string;
  issuetype: { name: string };
  /** Absent when the project's create screen has no priority field. */
  priority?: { name: string };
  labels: string[];
  [field: string]: unknown;
}

/** What the start-up check learned of the project (cached). */
export interface JiraCreateMeta {
  projectKey: string;
  /** By the configured name, lower case: the project's issue type, and its priorities (null: no priority field on its create screen). */
  issueTypes: Map<string, { id: string; name: string; priorities: Map<string, string> | null }>;
}

/** A literal text node: ADF renders no markup in it. */
const text = (value: string, marks?: AdfNode["marks"]): AdfNode => {
  const clean = stripControl(value);
  return marks ? { type: "text", text: clean, marks } : { type: "text", text: clean };
};
const paragraph = (...content: AdfNode[]): AdfNode => ({ type: "paragraph", content: content.filter((n) => n.text !== "") });
const strong = [{ type: "strong" }];

/** The issue's description as an ADF document (Cloud). */
export function jiraDescription(notice: Notice): AdfDoc {
  const content: AdfNode[] = [];
  // Text nodes must not be empty; each paragraph of the text becomes a paragraph.
  for (const part of notice.text.split(/\n{2,}/)) {
    if (part.trim() !== "") content.push(paragraph(text(truncate(part, 20_000))));
  }
  const facts: string[] = [];
  if (notice.confidence !== null) facts.push(`Confidence: ${pct(notice.confidence)}`);
  if (notice.severity !== null) facts.push(`Severity: ${notice.severity}`);
  if (notice.tags.length > 0) facts.push(`Tags: ${notice.tags.join(", ")}`);
  if (facts.length > 0) content.push(paragraph(text(truncate(facts.join(" · "), 2000))));
  if (notice.impact) content.push(paragraph(text("Impact: ", strong), text(truncate(notice.impact, 5000))));
  if (notice.evidence) content.push(paragraph(text("Evidence: ", strong), text(truncate(notice.evidence, 1000), [{ type: "code" }])));
  if (notice.recommendation) content.push(paragraph(text("Recommendation: ", strong), text(truncate(notice.recommendation, 5000))));
  const url = safeUrl(notice.url);
  if (url) {
    const label = notice.repo && notice.prNumber !== null ? truncate(`${notice.repo}#${notice.prNumber}`, 300) : "View pull request";
    content.push(paragraph(text("Pull request: ", strong), text(label, [{ type: "link", attrs: { href: url } }])));
  }
  content.push(paragraph(text(contextLine(notice), [{ type: "em" }])));
  return { type: "doc", version: 1, content };
}

/** The description in wiki markup (Data Center), every untrusted text escaped after its cut. */
export function jiraWikiDescription(notice: Notice): string {
  const wiki = (value: string, max: number) => fitEscaped(value, max, escapeJiraWiki);
  const tail: string[] = [];
  const facts: string[] = [];
  if (notice.confidence !== null) facts.push(`Confidence: ${pct(notice.confidence)}`);
  if (notice.severity !== null) facts.push(`Severity: ${notice.severity}`);
  if (notice.tags.length > 0) facts.push(`Tags: ${wiki(notice.tags.join(", "), 1000)}`);
  if (facts.length > 0) tail.push(facts.join(" · "));
  if (notice.impact) tail.push(`*Impact:* ${wiki(notice.impact, 5000)}`);
  if (notice.evidence) tail.push(`*Evidence:* {{${wiki(codeSpanText(notice.evidence), 1000)}}}`);
  if (notice.recommendation) tail.push(`*Recommendation:* ${wiki(notice.recommendation, 5000)}`);
  const url = safeUrl(notice.url);
  if (url && !/[|\]\s]/.test(url)) {
    const label = notice.repo && notice.prNumber !== null ? wiki(`${notice.repo}#${notice.prNumber}`, 300) : "View pull request";
    tail.push(`*Pull request:* [${label}|${url}]`);
  }
  tail.push(`_${contextLine(notice)}_`);
  const rest = tail.join("\n\n");
  return `${wiki(notice.text, Math.max(0, JIRA_WIKI_DESCRIPTION_LIMIT - rest.length - 2))}\n\n${rest}`;
}

/** JIRA labels: no whitespace, at most 255 characters. */
export function jiraLabel(label: string): string {
  return truncate(label.trim().replace(/\s+/g, "-"), 255);
}

/** The configured issue type for a prediction: the bug type when it is tagged `bug`. */
export function jiraIssueType(tags: readonly string[], types: { issueType?: string; bugIssueType?: string } = {}): string {
  return tags.some((t) => t.toLowerCase() === "bug")
    ? (types.bugIssueType ?? DEFAULT_BUG_ISSUE_TYPE)
    : (types.issueType ?? DEFAULT_ISSUE_TYPE);
}

/** The priority from the severity table (an event without a severity takes its `info` row; a low confidence caps it). */
export function jiraPriority(
  severity: Severity | null,
  confidence: number | null = null,
  overrides?: Partial<Record<Severity, string>>,
): string {
  return scaleColumn("jiraPriority", overrides)[scaleSeverity(severity, confidence)];
}

type FieldOptions = Pick<JiraOptions, "projectKey" | "labels" | "issueFields" | "issueType" | "bugIssueType" | "priorities" | "deployment">;

export function jiraFields(envelope: NoticeEnvelope, options: FieldOptions, meta: JiraCreateMeta | null = null): JiraIssueFields {
  const notice = toNotice(envelope);
  const labels = [...(options.labels ?? ["empathy-bot"]), ...notice.tags].map(jiraLabel).filter((l) => l !== "");
  const typeName = jiraIssueType(notice.tags, options);
  const priorityName = jiraPriority(notice.severity, notice.confidence, options.priorities);
  // With the project's metadata: its own spelling, and no priority where it has no such field.
  const type = meta?.issueTypes.get(typeName.toLowerCase());
  const fields: JiraIssueFields = {
    ...options.issueFields,
    project: { key: options.projectKey },
    summary: truncate(stripControl(notice.title.replace(/\s+/g, " ")), JIRA_SUMMARY_LIMIT),
    description: options.deployment === "data_center" ? jiraWikiDescription(notice) : jiraDescription(notice),
    issuetype: { name: type?.name ?? typeName },
    priority: { name: type?.priorities?.get(priorityName.toLowerCase()) ?? priorityName },
    labels: [...new Set(labels)],
  };
  if (type && type.priorities === null) delete fields.priority;
  return fields;
}
