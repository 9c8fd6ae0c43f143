/**
 * The JIRA integration's options (see jira.ts), and the `integrations.jira` settings of the
 * configuration file that produce them: Cloud or Data Center, credentials, project, labels,
 * issue types, priorities and extra fields, checked with the errors a user can act on.
 */
import { z } from "zod";
import type { Severity } from "../analysis/types.js";
import type { Log } from "../github/api/types.js";
import {
  deliveryFromConfig,
  deliveryKeys,
  listSetting,
  numberSetting,
  secretSetting,
  textSetting,
  urlSetting,
  type ClientOptions,
  type DeliveryOptions,
} from "./common.js";
import { scaleOverrideSetting } from "./scale.js";

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

const jiraName = () => z.string({ error: "must be a name" }).min(1, "must not be empty").max(255, "must be at most 255 characters");

export const jiraConfigSchema = z
  .object(
    {
      ...deliveryKeys,
      site: z
        .string({ error: "must be a JIRA Cloud site name (acme or acme.atlassian.net)" })
        .regex(
          /^(?:https?:\/\/)?[A-Za-z0-9][A-Za-z0-9-]*(?:\.atlassian\.net)?\/?$/,
          "must be a JIRA Cloud site name (acme or acme.atlassian.net); use url: for another host",
        )
        .optional(),
      url: urlSetting().optional(),
      deployment: z.enum(["cloud", "data_center"], { error: "must be cloud or data_center" }).optional(),
      email: z
        .string({ error: "must be the account's email address" })
        .regex(/^[^\s@]+@[^\s@]+$/, "must be an email address")
        .optional(),
      api_token: secretSetting("an API token").optional(),
      personal_access_token: secretSetting("a personal access token").optional(),
      username: textSetting().optional(),
      password: secretSetting("a password").optional(),
      project_key: z
        .string({ error: "must be a project key" })
        .regex(/^[A-Z][A-Z0-9_]{0,254}$/, "must be a JIRA project key (upper case, e.g. ENG)"),
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
    if (c.site === undefined && c.url === undefined)
      ctx.addIssue({ code: "custom", path: ["site"], message: "is required (or url: for a JIRA not on atlassian.net)" });
    if (c.site !== undefined && c.url !== undefined)
      ctx.addIssue({ code: "custom", path: ["url"], message: "give site: or url:, not both" });
    if (c.deployment === "data_center") {
      if (c.site !== undefined)
        ctx.addIssue({ code: "custom", path: ["site"], message: "is for JIRA Cloud; a Data Center JIRA is reached by url:" });
      if (
        c.personal_access_token === undefined &&
        (c.username === undefined || c.password === undefined) &&
        (c.email === undefined || c.api_token === undefined)
      ) {
        ctx.addIssue({
          code: "custom",
          path: ["personal_access_token"],
          message: "is required for Data Center (or username: and password:)",
        });
      }
    } else {
      if (c.email === undefined) ctx.addIssue({ code: "custom", path: ["email"], message: "is required" });
      if (c.api_token === undefined) ctx.addIssue({ code: "custom", path: ["api_token"], message: "is required" });
      for (const key of ["personal_access_token", "username", "password"] as const) {
        if (c[key] !== undefined)
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: "is for Data Center (deployment: data_center); JIRA Cloud takes email: and api_token:",
          });
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
