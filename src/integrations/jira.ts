/**
 * JIRA Cloud: create an issue, `POST https://<site>.atlassian.net/rest/api/3/issue`, basic auth
 * with the account's email and an API token, answered 201 `{ id, key, self }`.
 *
 * Fields: `project: { key }`, `summary` (≤ 255 characters), `description` in Atlassian Document
 * Format (v3 takes ADF, not wiki text: a `doc` of paragraphs of `text` nodes, with `strong`,
 * `code` and `link` marks), `issuetype: { name: "Bug" }` when the prediction is tagged `bug`,
 * else `"Task"`, `priority: { name: "High" }` when its confidence is above 0.90 (configurable),
 * else `"Medium"`, and `labels` (JIRA labels cannot hold spaces: they become dashes).
 *
 * A JIRA answer says what was wrong in `errorMessages` and `errors` (per field); they are shown
 * in the delivery log. 400/401/403/404 are not retried; 429 with Retry-After and 5xx are.
 * JIRA has no idempotency key: a delivery retried after a timeout whose request did arrive can
 * create a second issue.
 */
import type { InterpretedFailure, ResponseInfo } from "../webhooks/outcome.js";
import { z } from "zod";
import {
  callService,
  deliveryFromConfig,
  deliveryKeys,
  IntegrationError,
  joinUrl,
  listSetting,
  numberSetting,
  parseJson,
  serviceIntegration,
  secretSetting,
  urlSetting,
  type ClientOptions,
  type DeliveryOptions,
  type ServiceIntegration,
} from "./common.js";
import { contextLine, pct, toNotice, truncate, type Notice, type NoticeEnvelope } from "./notice.js";

export const JIRA_SUMMARY_LIMIT = 255;
export const DEFAULT_PRIORITY_THRESHOLD = 0.9;

export interface JiraOptions extends DeliveryOptions, ClientOptions {
  /** The Cloud site: "acme" or "acme.atlassian.net". */
  site?: string;
  /** The base URL instead of a site (https://jira.acme.com, a proxy, tests). */
  url?: string;
  email: string;
  apiToken: string;
  projectKey: string;
  /** Default ["empathy-bot"]; the prediction's tags are added. */
  labels?: string[];
  /** Confidence above which the priority is High (else Medium). Default 0.90. */
  priorityThreshold?: number;
  /** More fields for every issue (components, a custom field...); they do not replace the ones above. */
  issueFields?: Record<string, unknown>;
}

/** An ADF node (https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/). */
export type AdfNode = { type: string; text?: string; attrs?: Record<string, unknown>; marks?: { type: string; attrs?: Record<string, unknown> }[]; content?: AdfNode[] };
export type AdfDoc = { type: "doc"; version: 1; content: AdfNode[] };

export interface JiraIssueFields {
  project: { key: string };
  summary: string;
  description: AdfDoc;
  issuetype: { name: string };
  priority: { name: string };
  labels: string[];
  [field: string]: unknown;
}

export interface JiraCreatedIssue {
  id: string;
  key: string;
  self: string;
  /** The issue's page: <base>/browse/<key>. */
  url: string;
}

export interface JiraIntegration extends ServiceIntegration {
  readonly service: "jira";
  /** e.g. https://acme.atlassian.net */
  readonly baseUrl: string;
  buildPayload(envelope: NoticeEnvelope): { fields: JiraIssueFields };
  /** Creates an issue now: from an event, or from fields of your own (project defaults to the configured one). */
  createIssue(input: NoticeEnvelope | (Partial<JiraIssueFields> & { summary: string })): Promise<JiraCreatedIssue>;
}

/** "acme" or "acme.atlassian.net" → https://acme.atlassian.net */
export function jiraBaseUrl(site: string): string {
  const host = site.trim().replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  if (!/^[A-Za-z0-9][A-Za-z0-9-]*(?:\.atlassian\.net)?$/.test(host)) {
    throw new IntegrationError("jira", `site "${site}" is not a JIRA Cloud site name (acme, or acme.atlassian.net); use url for another host`);
  }
  return `https://${host.includes(".") ? host : `${host}.atlassian.net`}`;
}

const text = (value: string, marks?: AdfNode["marks"]): AdfNode => (marks ? { type: "text", text: value, marks } : { type: "text", text: value });
const paragraph = (...content: AdfNode[]): AdfNode => ({ type: "paragraph", content: content.filter((n) => n.text !== "") });
const strong = [{ type: "strong" }];

/** The issue's description as an ADF document. */
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
  if (facts.length > 0) content.push(paragraph(text(facts.join(" · "))));
  if (notice.impact) content.push(paragraph(text("Impact: ", strong), text(notice.impact)));
  if (notice.evidence) content.push(paragraph(text("Evidence: ", strong), text(notice.evidence, [{ type: "code" }])));
  if (notice.recommendation) content.push(paragraph(text("Recommendation: ", strong), text(notice.recommendation)));
  if (notice.url) {
    const label = notice.repo && notice.prNumber !== null ? `${notice.repo}#${notice.prNumber}` : "View pull request";
    content.push(paragraph(text("Pull request: ", strong), text(label, [{ type: "link", attrs: { href: notice.url } }])));
  }
  content.push(paragraph(text(contextLine(notice), [{ type: "em" }])));
  return { type: "doc", version: 1, content };
}

/** JIRA labels: no whitespace, at most 255 characters. */
export function jiraLabel(label: string): string {
  return truncate(label.trim().replace(/\s+/g, "-"), 255);
}

export function jiraIssueType(tags: readonly string[]): "Bug" | "Task" {
  return tags.some((t) => t.toLowerCase() === "bug") ? "Bug" : "Task";
}

export function jiraPriority(confidence: number | null, threshold = DEFAULT_PRIORITY_THRESHOLD): "High" | "Medium" {
  return confidence !== null && confidence > threshold ? "High" : "Medium";
}

export function jiraFields(
  envelope: NoticeEnvelope,
  options: { projectKey: string; labels?: string[]; priorityThreshold?: number; issueFields?: Record<string, unknown> },
): JiraIssueFields {
  const notice = toNotice(envelope);
  const labels = [...(options.labels ?? ["empathy-bot"]), ...notice.tags].map(jiraLabel).filter((l) => l !== "");
  return {
    ...options.issueFields,
    project: { key: options.projectKey },
    summary: truncate(notice.title.replace(/\s+/g, " "), JIRA_SUMMARY_LIMIT),
    description: jiraDescription(notice),
    issuetype: { name: jiraIssueType(notice.tags) },
    priority: { name: jiraPriority(notice.confidence, options.priorityThreshold) },
    labels: [...new Set(labels)],
  };
}

/** JIRA's `{ errorMessages: [...], errors: { field: message } }`, as one line for the log. */
export function interpretJiraResponse(response: ResponseInfo): InterpretedFailure | undefined {
  if (response.status < 400 || response.status === 410 || response.status === 429 || response.status >= 500) return undefined;
  const json = parseJson(response.body) as { errorMessages?: unknown; errors?: unknown } | null;
  if (!json || typeof json !== "object") return undefined;
  const messages = Array.isArray(json.errorMessages) ? json.errorMessages.filter((m): m is string => typeof m === "string") : [];
  const fields =
    json.errors && typeof json.errors === "object" ? Object.entries(json.errors as Record<string, unknown>).map(([k, v]) => `${k}: ${String(v)}`) : [];
  const all = [...messages, ...fields];
  if (all.length === 0) return undefined;
  return { ok: false, retryable: response.status === 408 || response.status === 425, error: truncate(`JIRA: ${all.join("; ")}`, 500) };
}

function isEnvelope(input: unknown): input is NoticeEnvelope {
  return input !== null && typeof input === "object" && typeof (input as NoticeEnvelope).event_type === "string" && "data" in (input as object);
}

export function createJira(options: JiraOptions): JiraIntegration {
  if (!options.email || !options.apiToken) throw new IntegrationError("jira", "email and apiToken (api_token) are required");
  if (!options.projectKey) throw new IntegrationError("jira", "projectKey (project_key) is required");
  if (!options.url && !options.site) throw new IntegrationError("jira", "give the site (acme) or the url");
  const baseUrl = (options.url ?? jiraBaseUrl(options.site!)).replace(/\/+$/, "");
  const issueUrl = joinUrl(baseUrl, "rest/api/3/issue");
  const headers = {
    authorization: `Basic ${Buffer.from(`${options.email}:${options.apiToken}`, "utf8").toString("base64")}`,
    accept: "application/json",
  };
  const name = options.name ?? "jira";
  const integration: JiraIntegration = serviceIntegration<JiraIntegration>(
    {
      service: "jira",
      name,
      manager: options.manager,
      delivery: options,
      buildPayload: (envelope) => ({ fields: jiraFields(envelope, options) }),
      interpretResponse: interpretJiraResponse,
      target: () => ({ url: issueUrl, headers }),
    },
    {
      baseUrl,
      async createIssue(input) {
        let fields: Record<string, unknown>;
        if (isEnvelope(input)) fields = { ...jiraFields(input, options) };
        else {
          fields = { project: { key: options.projectKey }, issuetype: { name: "Task" }, ...input };
          if (typeof fields.summary === "string") fields.summary = truncate(fields.summary, JIRA_SUMMARY_LIMIT);
        }
        const res = await callService("jira", options.fetch, { url: issueUrl, headers, body: { fields }, timeoutSeconds: options.timeoutSeconds }, interpretJiraResponse);
        const json = (res.json ?? {}) as { id?: string; key?: string; self?: string };
        if (!json.key) throw new IntegrationError("jira", `HTTP ${res.status}: the answer has no issue key`, { status: res.status });
        return { id: String(json.id ?? ""), key: json.key, self: json.self ?? "", url: `${baseUrl}/browse/${json.key}` };
      },
    },
  );
  return integration;
}

export const jiraConfigSchema = z
  .object(
    {
      ...deliveryKeys,
      site: z.string({ error: "must be a JIRA Cloud site name (acme or acme.atlassian.net)" }).regex(/^(?:https?:\/\/)?[A-Za-z0-9][A-Za-z0-9-]*(?:\.atlassian\.net)?\/?$/, "must be a JIRA Cloud site name (acme or acme.atlassian.net); use url: for another host").optional(),
      url: urlSetting().optional(),
      email: z.string({ error: "must be the account's email address" }).regex(/^[^\s@]+@[^\s@]+$/, "must be an email address"),
      api_token: secretSetting("an API token"),
      project_key: z.string({ error: "must be a project key" }).regex(/^[A-Z][A-Z0-9_]{0,254}$/, "must be a JIRA project key (upper case, e.g. ENG)"),
      labels: listSetting().optional(),
      priority_threshold: numberSetting(0, 1).optional(),
      issue_fields: z.record(z.string(), z.unknown(), { error: "must be a mapping of JIRA field ids to values" }).optional(),
    },
    { error: "must be a mapping (site:, email:, api_token:, project_key:, ...)" },
  )
  .strict()
  .superRefine((c, ctx) => {
    if (c.site === undefined && c.url === undefined) ctx.addIssue({ code: "custom", path: ["site"], message: "is required (or url: for a JIRA not on atlassian.net)" });
    if (c.site !== undefined && c.url !== undefined) ctx.addIssue({ code: "custom", path: ["url"], message: "give site: or url:, not both" });
  });

export type JiraConfig = z.infer<typeof jiraConfigSchema>;

export function jiraOptionsFromConfig(c: JiraConfig): JiraOptions {
  return {
    ...deliveryFromConfig(c),
    site: c.site,
    url: c.url,
    email: c.email,
    apiToken: c.api_token,
    projectKey: c.project_key,
    labels: c.labels,
    priorityThreshold: c.priority_threshold,
    issueFields: c.issue_fields,
  };
}
