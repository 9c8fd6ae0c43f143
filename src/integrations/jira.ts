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
 *
 * This file holds the integration (connection, start-up check, delivery); beside it:
 * jiraIssue.ts (the issue's fields and descriptions) and jiraConfig.ts (options and settings).
 */
import { SEVERITIES, severityRank } from "../analysis/types.js";
import type { InterpretedFailure, ResponseInfo } from "../delivery/outcome.js";
import {
  callService,
  DEFAULT_MIN_SEVERITY,
  IntegrationConfigError,
  IntegrationError,
  joinUrl,
  parseJson,
  serviceIntegration,
  type ServiceIntegration,
} from "./common.js";
import type { JiraDeployment, JiraOptions } from "./jiraConfig.js";
import {
  DEFAULT_BUG_ISSUE_TYPE,
  DEFAULT_ISSUE_TYPE,
  JIRA_SUMMARY_LIMIT,
  jiraFields,
  type JiraCreateMeta,
  type JiraIssueFields,
} from "./jiraIssue.js";
import { truncate, type NoticeEnvelope } from "./notice.js";
import { CONFIDENCE_CAPS, scaleColumn, UNRATED_SEVERITY } from "./scale.js";
import { errorMessage } from "../text/errorMessage.js";

export { jiraConfigSchema, jiraOptionsFromConfig, type JiraConfig, type JiraDeployment, type JiraOptions } from "./jiraConfig.js";
export {
  DEFAULT_BUG_ISSUE_TYPE,
  DEFAULT_ISSUE_TYPE,
  JIRA_SUMMARY_LIMIT,
  JIRA_WIKI_DESCRIPTION_LIMIT,
  jiraDescription,
  jiraFields,
  jiraIssueType,
  jiraLabel,
  jiraPriority,
  jiraWikiDescription,
  type AdfDoc,
  type AdfNode,
  type JiraCreateMeta,
  type JiraIssueFields,
} from "./jiraIssue.js";

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
  const host = site
    .trim()
    .replace(/^https?:\/\//, "")
    .replace(/\/.*$/, "");
  if (!/^[A-Za-z0-9][A-Za-z0-9-]*(?:\.atlassian\.net)?$/.test(host)) {
    throw new IntegrationError(
      "jira",
      `site "${site}" is not a JIRA Cloud site name (acme, or acme.atlassian.net); use url for another host`,
    );
  }
  return `https://${host.includes(".") ? host : `${host}.atlassian.net`}`;
}

/** The REST API's root: v3 (ADF) on Cloud, v2 (wiki markup) on Data Center. */
export function jiraApiRoot(baseUrl: string, deployment: JiraDeployment = "cloud"): string {
  return joinUrl(baseUrl, deployment === "cloud" ? "rest/api/3" : "rest/api/2");
}

/** JIRA's `{ errorMessages: [...], errors: { field: message } }`, as one line for the log. */
export function interpretJiraResponse(response: ResponseInfo): InterpretedFailure | undefined {
  if (response.status < 400 || response.status === 410 || response.status === 429 || response.status >= 500) return undefined;
  const json = parseJson(response.body) as { errorMessages?: unknown; errors?: unknown } | null;
  if (!json || typeof json !== "object") return undefined;
  const messages = Array.isArray(json.errorMessages) ? json.errorMessages.filter((m): m is string => typeof m === "string") : [];
  const fields =
    json.errors && typeof json.errors === "object"
      ? Object.entries(json.errors as Record<string, unknown>).map(([k, v]) => `${k}: ${String(v)}`)
      : [];
  const all = [...messages, ...fields];
  if (all.length === 0) return undefined;
  return { ok: false, retryable: response.status === 408 || response.status === 425, error: truncate(`JIRA: ${all.join("; ")}`, 1000) };
}

function isEnvelope(input: unknown): input is NoticeEnvelope {
  return (
    input !== null && typeof input === "object" && typeof (input as NoticeEnvelope).event_type === "string" && "data" in (input as object)
  );
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
  if (options.site && deployment === "data_center")
    throw new IntegrationError("jira", "a Data Center JIRA is reached by its url, not a site name");
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
    const res = await callService(
      "jira",
      options.fetch,
      { method: "GET", url: joinUrl(apiRoot, path), headers, timeoutSeconds: options.timeoutSeconds },
      interpretJiraResponse,
    );
    return res.json;
  };
  const getAll = async (path: string, ...names: string[]): Promise<Record<string, unknown>[]> => {
    const out: Record<string, unknown>[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const json = (await get(`${path}?startAt=${out.length}&maxResults=${PAGE_SIZE}`)) as { total?: unknown; isLast?: unknown } | null;
      const items = pageItems(json, ...names);
      out.push(...items);
      const total = typeof json?.total === "number" ? json.total : null;
      if (
        items.length === 0 ||
        json?.isLast === true ||
        (total !== null && out.length >= total) ||
        (total === null && json?.isLast === undefined && items.length < PAGE_SIZE)
      )
        break;
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
    const reachable = [...SEVERITIES]
      .reverse()
      .filter((s) => severityRank(s) >= minRank || CONFIDENCE_CAPS.some((c) => c.atMost === s) || (unrated && s === UNRATED_SEVERITY));
    const priorityNames = [...new Set(reachable.map((s) => column[s]))];
    const issueTypes: JiraCreateMeta["issueTypes"] = new Map();
    for (const wantedType of wanted) {
      const found = types.find((t) => typeof t.name === "string" && t.name.toLowerCase() === wantedType.toLowerCase());
      if (!found) {
        const key =
          wantedType === (options.bugIssueType ?? DEFAULT_BUG_ISSUE_TYPE) && wantedType !== (options.issueType ?? DEFAULT_ISSUE_TYPE)
            ? "bug_issue_type"
            : "issue_type";
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
        const allowed = pageItems({ v: priorityField.allowedValues }, "v")
          .map((p) => String(p.name ?? ""))
          .filter((n) => n !== "");
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
    options.log?.info(
      { project, issue_types: [...issueTypes.values()].map((t) => t.name) },
      `${who}: JIRA project ${project} takes the configured issue types and priorities`,
    );
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
    if (wanted && !meta && !checking)
      void verify().catch((err: unknown) => options.log?.error({ project, err: (err as Error).message }, (err as Error).message));
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
          fields = {
            project: { key: project },
            issuetype: { name: meta?.issueTypes.get(typeName.toLowerCase())?.name ?? typeName },
            ...input,
          };
          if (typeof fields.summary === "string") fields.summary = truncate(fields.summary, JIRA_SUMMARY_LIMIT);
        }
        const res = await callService(
          "jira",
          options.fetch,
          { url: issueUrl, headers, body: { fields }, timeoutSeconds: options.timeoutSeconds },
          interpretJiraResponse,
        );
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
