/**
 * JIRA: create an issue, answered 201 `{ id, key, self }`.
 *
 * - **Cloud** (`site: acme` → https://acme.atlassian.net, or `url:`): `POST /rest/api/3/issue`,
 *   basic auth with the account's email and an API token, the description in Atlassian Document
 *   Format (a `doc` of paragraphs of `text` nodes, with `strong`, `code` and `link` marks).
 * - **Data Center** (`deployment: data_center`, `url: https://jira.acme.com` with any context
 *   path): `POST /rest/api/2/issue`, a personal access token (`Authorization: Bearer`) or a
 *   username and password (basic), the description in wiki markup.
 *
 * Fields: `project: { key }`, `summary` (≤ 255 characters), `description`, `issuetype` (the
 * `bug_issue_type`, default "Bug", when the prediction is tagged `bug`, else the `issue_type`,
 * default "Task"), `priority` from the severity table (scale.ts: critical Highest, high High,
 * medium Medium, low Low, info Lowest; a low confidence caps it; `priorities:` overrides), and
 * `labels` (JIRA labels cannot hold spaces: they become dashes).
 *
 * Checked at start-up, against the project's create metadata
 * (`GET …/issue/createmeta/{project}/issuetypes` and `…/issuetypes/{id}`): the issue types and
 * every priority the table can give must exist, else start-up stops with an error naming the
 * project and the missing value. The answer is cached; the issues then use the project's own
 * spelling, and leave out the priority when the project's create screen has no priority field
 * (team-managed projects often have none). JIRA unreachable at start-up: a warning, and the
 * check runs again with the next issue.
 *
 * Untrusted text: ADF text nodes are literal (no markdown, no mention node is ever made from
 * text, a link mark only for the pull request's http(s) URL); wiki markup is backslash-escaped
 * (`[~user]` mentions, `[x|url]` links, `{macros}`).
 *
 * A JIRA answer says what was wrong in `errorMessages` and `errors` (per field); they are kept,
 * redacted, in the delivery log. 400/401/403/404 are not retried; 429 with Retry-After and 5xx
 * are. JIRA has no idempotency key: a delivery retried after a timeout whose request did arrive
 * can create a second issue.
 */
import { SEVERITIES, severityRank, type Severity } from "../analysis/types.js";
import type { Log } from "../github/api/types.js";
import type { InterpretedFailure, ResponseInfo } from "../delivery/outcome.js";
import { z } from "zod";
import {
  callService,
  DEFAULT_MIN_SEVERITY,
  deliveryFromConfig,
  deliveryKeys,
  IntegrationConfigError,
  IntegrationError,
  joinUrl,
  listSetting,
  numberSetting,
  parseJson,
  serviceIntegration,
  secretSetting,
  textSetting,
  urlSetting,
  type ClientOptions,
  type DeliveryOptions,
  type ServiceIntegration,
} from "./common.js";
import { codeSpanText, escapeJiraWiki, fitEscaped, safeUrl, stripControl } from "./markup.js";
import { contextLine, toNotice, truncate, type Notice, type NoticeEnvelope } from "./notice.js";
import { pct } from "../text/percent.js";
import { CONFIDENCE_CAPS, scaleColumn, scaleOverrideSetting, scaleSeverity, UNRATED_SEVERITY } from "./scale.js";
import { errorMessage } from "../text/errorMessage.js";

export const JIRA_SUMMARY_LIMIT = 255;
/** Data Center's description (a text field) holds at most this many characters. */
export const JIRA_WIKI_DESCRIPTION_LIMIT = 32_767;
export const DEFAULT_ISSUE_TYPE = "Task";
export const DEFAULT_BUG_ISSUE_TYPE = "Bug";

export type JiraDeployment = "cloud" | "data_center";

export interface JiraOptions extends DeliveryOptions, ClientOptions {
  /** The Cloud site: "acme" or "acme.atlassian.net". */
  site?: string;
  /** The base URL instead of a site (Data Center: https://jira.acme.com or https://acme.com/jira; a proxy, tests). */
  url?: string;
  /** Default "cloud". */
  deployment?: JiraDeployment;
  /** Cloud: the account's email (with apiToken). */
  email?: string;
  /** Cloud: an API token. */
  apiToken?: string;
  /** Data Center: a personal access token (Bearer). */
  personalAccessToken?: string;
  /** Data Center: basic auth, when there is no personal access token. */
  username?: string;
  password?: string;
  projectKey: string;
  /** Default ["empathy-bot"]; the prediction's tags are added. */
  labels?: string[];
  /** Default "Task". */
  issueType?: string;
  /** For predictions tagged `bug`; default "Bug". */
  bugIssueType?: string;
  /** The severity table's JIRA column, overridden row by row (names of the project's priorities). */
  priorities?: Partial<Record<Severity, string>>;
  /** More fields for every issue (components, a custom field...); they do not replace the ones above. */
  issueFields?: Record<string, unknown>;
  /** Where the start-up check says what it found. */
  log?: Log;
}

/** An ADF node (https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/). */
export type AdfNode = { type: string; text?: string; attrs?: Record<string, unknown>; marks?: { type: string; attrs?: Record<string, unknown> }[]; content?: AdfNode[] };
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

export interface JiraCreatedIssue {
  id: string;
  key: string;
  self: string;
  /** The issue's page: <base>/browse/<key>. */
  url: string;
}

/** What the start-up check learned of the project (cached). */
export interface JiraCreateMeta {
  projectKey: string;
  /** By the configured name, lower case: the project's issue type, and its priorities (null: no priority field on its create screen). */
  issueTypes: Map<string, { id: string; name: string; priorities: Map<string, string> | null }>;
}

export interface JiraIntegration extends ServiceIntegration {
  readonly service: "jira";
  /** e.g. https://acme.atlassian.net */
  readonly baseUrl: string;
  readonly deployment: JiraDeployment;
  buildPayload(envelope: NoticeEnvelope): { fields: JiraIssueFields };
  /** Creates an issue now: from an event, or from fields of your own (project defaults to the configured one). */
  createIssue(input: NoticeEnvelope | (Partial<JiraIssueFields> & { summary: string })): Promise<JiraCreatedIssue>;
  /**
   * Checks the issue types and priorities against the project's create metadata (once; cached).
   * Rejects with IntegrationConfigError naming the project and the missing value; resolves null
   * (after a warning) when JIRA cannot be reached now.
   */
  verify(): Promise<JiraCreateMeta | null>;
}

/** "acme" or "acme.atlassian.net" → https://acme.atlassian.net */
export function jiraBaseUrl(site: string): string {
  const host = site.trim().replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  if (!/^[A-Za-z0-9][A-Za-z0-9-]*(?:\.atlassian\.net)?$/.test(host)) {
    throw new IntegrationError("jira", `site "${site}" is not a JIRA Cloud site name (acme, or acme.atlassian.net); use url for another host`);
  }
  return `https://${host.includes(".") ? host : `${host}.atlassian.net`}`;
}

/** The REST API's root: v3 (ADF) on Cloud, v2 (wiki markup) on Data Center. */
export function jiraApiRoot(baseUrl: string, deployment: JiraDeployment = "cloud"): string {
  return joinUrl(baseUrl, deployment === "cloud" ? "rest/api/3" : "rest/api/2");
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
  return tags.some((t) => t.toLowerCase() === "bug") ? (types.bugIssueType ?? DEFAULT_BUG_ISSUE_TYPE) : (types.issueType ?? DEFAULT_ISSUE_TYPE);
}

/** The priority from the severity table (an event without a severity takes its `info` row; a low confidence caps it). */
export function jiraPriority(severity: Severity | null, confidence: number | null = null, overrides?: Partial<Record<Severity, string>>): string {
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
  return { ok: false, retryable: response.status === 408 || response.status === 425, error: truncate(`JIRA: ${all.join("; ")}`, 1000) };
}

function isEnvelope(input: unknown): input is NoticeEnvelope {
  return input !== null && typeof input === "object" && typeof (input as NoticeEnvelope).event_type === "string" && "data" in (input as object);
}

/** The items of one of JIRA's pages, whatever the deployment calls them. */
function pageItems(json: unknown, ...names: string[]): Record<string, unknown>[] {
  if (json === null || typeof json !== "object") return [];
  for (const name of names) {
    const list = (json as Record<string, unknown>)[name];
    if (Array.isArray(list)) return list.filter((x): x is Record<string, unknown> => x !== null && typeof x === "object");
  }
  return [];
}

const PAGE_SIZE = 100;
const MAX_PAGES = 20;

export function createJira(options: JiraOptions): JiraIntegration {
  const deployment: JiraDeployment = options.deployment ?? "cloud";
  const auth = jiraAuthorization(options, deployment);
  if (!options.projectKey) throw new IntegrationError("jira", "projectKey (project_key) is required");
  if (!options.url && !options.site) throw new IntegrationError("jira", "give the site (acme) or the url");
  if (options.site && deployment === "data_center") throw new IntegrationError("jira", "a Data Center JIRA is reached by its url, not a site name");
  const baseUrl = (options.url ?? jiraBaseUrl(options.site!)).replace(/\/+$/, "");
  const apiRoot = jiraApiRoot(baseUrl, deployment);
  const issueUrl = joinUrl(apiRoot, "issue");
  const headers = { authorization: auth, accept: "application/json" };
  const name = options.name ?? "jira";
  const who = `integrations.jira${name !== "jira" ? ` (${name})` : ""}`;
  const project = options.projectKey;

  let meta: JiraCreateMeta | null = null;
  let checking: Promise<JiraCreateMeta | null> | null = null;
  /** verify() has been asked for (the manager's start-up): until it succeeds, each issue tries again. */
  let wanted = false;

  const get = async (path: string): Promise<unknown> => {
    const res = await callService("jira", options.fetch, { method: "GET", url: joinUrl(apiRoot, path), headers, timeoutSeconds: options.timeoutSeconds }, interpretJiraResponse);
    return res.json;
  };
  const getAll = async (path: string, ...names: string[]): Promise<Record<string, unknown>[]> => {
    const out: Record<string, unknown>[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const json = (await get(`${path}?startAt=${out.length}&maxResults=${PAGE_SIZE}`)) as { total?: unknown; isLast?: unknown } | null;
      const items = pageItems(json, ...names);
      out.push(...items);
      const total = typeof json?.total === "number" ? json.total : null;
      if (items.length === 0 || json?.isLast === true || (total !== null && out.length >= total) || (total === null && json?.isLast === undefined && items.length < PAGE_SIZE)) break;
    }
    return out;
  };

  const check = async (): Promise<JiraCreateMeta> => {
    const typesPath = `issue/createmeta/${encodeURIComponent(project)}/issuetypes`;
    let types: Record<string, unknown>[];
    try {
      types = await getAll(typesPath, "issueTypes", "values", "createMetaIssueType");
    } catch (err) {
      throw metadataError(err, `its issue types (GET ${new URL(issueUrl).origin}/…/issue/createmeta/${project}/issuetypes)`);
    }
    const available = types.map((t) => String(t.name ?? "")).filter((n) => n !== "");
    const wanted = [...new Set([options.issueType ?? DEFAULT_ISSUE_TYPE, options.bugIssueType ?? DEFAULT_BUG_ISSUE_TYPE])];
    // The priorities the table can give here: rows at or above min_severity, and those a low confidence caps to.
    const minRank = severityRank(options.minSeverity ?? DEFAULT_MIN_SEVERITY.other);
    const column = scaleColumn("jiraPriority", options.priorities);
    // Events without a severity (any but predictions) take the info row.
    const unrated = (options.events ?? ["level_4_prediction"]).some((e) => e !== "level_4_prediction");
    const reachable = [...SEVERITIES].reverse().filter((s) => severityRank(s) >= minRank || CONFIDENCE_CAPS.some((c) => c.atMost === s) || (unrated && s === UNRATED_SEVERITY));
    const priorityNames = [...new Set(reachable.map((s) => column[s]))];
    const issueTypes: JiraCreateMeta["issueTypes"] = new Map();
    for (const wantedType of wanted) {
      const found = types.find((t) => typeof t.name === "string" && t.name.toLowerCase() === wantedType.toLowerCase());
      if (!found) {
        const key = wantedType === (options.bugIssueType ?? DEFAULT_BUG_ISSUE_TYPE) && wantedType !== (options.issueType ?? DEFAULT_ISSUE_TYPE) ? "bug_issue_type" : "issue_type";
        throw new IntegrationConfigError(
          `${who}: JIRA project ${project} has no issue type "${wantedType}" (it has: ${available.join(", ") || "none this account may create"}); set ${key} to one of them`,
        );
      }
      const id = String(found.id ?? "");
      let fieldList: Record<string, unknown>[];
      try {
        fieldList = await getAll(`${typesPath}/${encodeURIComponent(id)}`, "fields", "values", "results");
      } catch (err) {
        throw metadataError(err, `the fields of issue type ${String(found.name)}`);
      }
      const priorityField = fieldList.find((f) => f.fieldId === "priority" || f.key === "priority");
      let priorities: Map<string, string> | null = null;
      if (!priorityField) {
        options.log?.warn(
          { project, issue_type: found.name },
          `${who}: the create screen of ${String(found.name)} issues in JIRA project ${project} has no priority field: its issues are created without a priority`,
        );
      } else {
        const allowed = pageItems({ v: priorityField.allowedValues }, "v").map((p) => String(p.name ?? "")).filter((n) => n !== "");
        priorities = new Map(allowed.map((p) => [p.toLowerCase(), p]));
        const missing = priorityNames.filter((p) => !priorities!.has(p.toLowerCase()));
        if (missing.length > 0) {
          throw new IntegrationConfigError(
            `${who}: JIRA project ${project} has no priority ${missing.map((m) => `"${m}"`).join(", ")} for ${String(found.name)} issues (it has: ${allowed.join(", ") || "none"}); map the severities to its priorities with priorities: (e.g. { critical: ${allowed[0] ?? "High"} })`,
          );
        }
      }
      issueTypes.set(wantedType.toLowerCase(), { id, name: String(found.name), priorities });
    }
    options.log?.info({ project, issue_types: [...issueTypes.values()].map((t) => t.name) }, `${who}: JIRA project ${project} takes the configured issue types and priorities`);
    return { projectKey: project, issueTypes };
  };

  /** A failed metadata request: a definitive answer is a config error; no answer (or 5xx, 429) is for later. */
  const metadataError = (err: unknown, what: string): Error => {
    if (!(err instanceof IntegrationError) || err.retryable || err.status === null) return err as Error;
    const hint =
      err.status === 401 || err.status === 403
        ? "JIRA refused the credentials (check email and api_token, or personal_access_token)"
        : err.status === 404
          ? `JIRA project ${project} was not found, or this account may not create issues in it${deployment === "data_center" ? " (Data Center before 8.4 lacks this API)" : ""}`
          : err.message.replace(/^jira: /, "");
    return new IntegrationConfigError(`${who}: could not read ${what} for JIRA project ${project}: ${hint} (HTTP ${err.status})`);
  };

  const verify = (): Promise<JiraCreateMeta | null> => {
    wanted = true;
    if (meta) return Promise.resolve(meta);
    checking ??= check().then(
      (found) => {
        meta = found;
        return found;
      },
      (err: unknown) => {
        checking = null; // a later call checks again
        if (err instanceof IntegrationConfigError) throw err;
        options.log?.warn(
          { project, err: errorMessage(err) },
          `${who}: could not check JIRA project ${project}'s issue types and priorities now; checked again with the next issue`,
        );
        return null;
      },
    );
    return checking;
  };

  /** Fields for an event: with the cached metadata when there is some; else the check is started for the next one. */
  const fieldsFor = (envelope: NoticeEnvelope) => {
    if (wanted && !meta && !checking) void verify().catch((err: unknown) => options.log?.error({ project, err: (err as Error).message }, (err as Error).message));
    return jiraFields(envelope, { ...options, deployment }, meta);
  };

  const integration: JiraIntegration = serviceIntegration<JiraIntegration>(
    {
      service: "jira",
      name,
      manager: options.manager,
      delivery: options,
      buildPayload: (envelope) => ({ fields: fieldsFor(envelope) }),
      interpretResponse: interpretJiraResponse,
      target: () => ({
        url: issueUrl,
        headers,
        // A JIRA error that echoes a credential (the raw token is not in the encoded header) is cut from logs too.
        secretValues: [options.apiToken, options.personalAccessToken, options.password].filter((v): v is string => typeof v === "string"),
        preflight: async () => {
          await verify();
        },
      }),
    },
    {
      baseUrl,
      deployment,
      verify,
      async createIssue(input) {
        let fields: Record<string, unknown>;
        if (isEnvelope(input)) fields = { ...fieldsFor(input) };
        else {
          const typeName = options.issueType ?? DEFAULT_ISSUE_TYPE;
          fields = { project: { key: project }, issuetype: { name: meta?.issueTypes.get(typeName.toLowerCase())?.name ?? typeName }, ...input };
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

/** Cloud: basic email:API token. Data Center: Bearer personal access token, or basic username:password. */
function jiraAuthorization(options: JiraOptions, deployment: JiraDeployment): string {
  const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`, "utf8").toString("base64")}`;
  if (deployment === "data_center") {
    if (options.personalAccessToken) return `Bearer ${options.personalAccessToken}`;
    if (options.username && options.password) return basic(options.username, options.password);
    if (options.email && options.apiToken) return basic(options.email, options.apiToken);
    throw new IntegrationError("jira", "Data Center needs a personalAccessToken (personal_access_token), or a username and password");
  }
  if (!options.email || !options.apiToken) throw new IntegrationError("jira", "email and apiToken (api_token) are required");
  return basic(options.email, options.apiToken);
}

const jiraName = () => z.string({ error: "must be a name" }).min(1, "must not be empty").max(255, "must be at most 255 characters");

export const jiraConfigSchema = z
  .object(
    {
      ...deliveryKeys,
      site: z.string({ error: "must be a JIRA Cloud site name (acme or acme.atlassian.net)" }).regex(/^(?:https?:\/\/)?[A-Za-z0-9][A-Za-z0-9-]*(?:\.atlassian\.net)?\/?$/, "must be a JIRA Cloud site name (acme or acme.atlassian.net); use url: for another host").optional(),
      url: urlSetting().optional(),
      deployment: z.enum(["cloud", "data_center"], { error: "must be cloud or data_center" }).optional(),
      email: z.string({ error: "must be the account's email address" }).regex(/^[^\s@]+@[^\s@]+$/, "must be an email address").optional(),
      api_token: secretSetting("an API token").optional(),
      personal_access_token: secretSetting("a personal access token").optional(),
      username: textSetting().optional(),
      password: secretSetting("a password").optional(),
      project_key: z.string({ error: "must be a project key" }).regex(/^[A-Z][A-Z0-9_]{0,254}$/, "must be a JIRA project key (upper case, e.g. ENG)"),
      labels: listSetting().optional(),
      issue_type: jiraName().optional(),
      bug_issue_type: jiraName().optional(),
      priorities: scaleOverrideSetting(jiraName(), "JIRA priority names").optional(),
      /** No longer used: the priority follows the severity table (`priorities:`). Accepted, with a warning. */
      priority_threshold: numberSetting(0, 1).optional(),
      issue_fields: z.record(z.string(), z.unknown(), { error: "must be a mapping of JIRA field ids to values" }).optional(),
    },
    { error: "must be a mapping (site:, email:, api_token:, project_key:, ...)" },
  )
  .strict()
  .superRefine((c, ctx) => {
    if (c.site === undefined && c.url === undefined) ctx.addIssue({ code: "custom", path: ["site"], message: "is required (or url: for a JIRA not on atlassian.net)" });
    if (c.site !== undefined && c.url !== undefined) ctx.addIssue({ code: "custom", path: ["url"], message: "give site: or url:, not both" });
    if (c.deployment === "data_center") {
      if (c.site !== undefined) ctx.addIssue({ code: "custom", path: ["site"], message: "is for JIRA Cloud; a Data Center JIRA is reached by url:" });
      if (c.personal_access_token === undefined && (c.username === undefined || c.password === undefined) && (c.email === undefined || c.api_token === undefined)) {
        ctx.addIssue({ code: "custom", path: ["personal_access_token"], message: "is required for Data Center (or username: and password:)" });
      }
    } else {
      if (c.email === undefined) ctx.addIssue({ code: "custom", path: ["email"], message: "is required" });
      if (c.api_token === undefined) ctx.addIssue({ code: "custom", path: ["api_token"], message: "is required" });
      for (const key of ["personal_access_token", "username", "password"] as const) {
        if (c[key] !== undefined) ctx.addIssue({ code: "custom", path: [key], message: "is for Data Center (deployment: data_center); JIRA Cloud takes email: and api_token:" });
      }
    }
  });

export type JiraConfig = z.infer<typeof jiraConfigSchema>;

export function jiraOptionsFromConfig(c: JiraConfig): JiraOptions {
  return {
    ...deliveryFromConfig(c),
    site: c.site,
    url: c.url,
    deployment: c.deployment,
    email: c.email,
    apiToken: c.api_token,
    personalAccessToken: c.personal_access_token,
    username: c.username,
    password: c.password,
    projectKey: c.project_key,
    labels: c.labels,
    issueType: c.issue_type,
    bugIssueType: c.bug_issue_type,
    priorities: c.priorities,
    issueFields: c.issue_fields,
  };
}
