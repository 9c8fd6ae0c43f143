/**
 * The integrations an operator enables in `empathy.config.yml`:
 *
 * ```yaml
 * integrations:
 *   slack:
 *     webhook_url: ${SLACK_WEBHOOK_URL}      # or bot_token: ${SLACK_BOT_TOKEN} + channel: "#alerts"
 *     events: [level_4_prediction]           # default; "*" for every event
 *     min_confidence: 0.85
 *   jira: { site: acme, email: bot@acme.com, api_token: ${JIRA_API_TOKEN}, project_key: ENG }
 *   pagerduty: { routing_key: ${PAGERDUTY_ROUTING_KEY}, region: eu }   # min_severity: high by default
 * ```
 *
 * `min_severity` defaults to `high` for PagerDuty (a page wakes someone) and `medium` for every
 * other service; `info` sends everything. Severity maps to each service's scale through one
 * table (scale.ts), overridable per service.
 *
 * `integrationsSchema` checks the section (the operator config uses it, so a mistake stops
 * start-up with the file, line and key); `buildIntegrations` turns it into integrations, and
 * `attachIntegrations` starts them once (the app's composition root calls it): a delivering one
 * registers its deliveries with the WebhookManager, the GitHub one subscribes to the bus. A
 * service set to null, or with `enabled: false`, is left out.
 */
import { z } from "zod";
import type { EventBus } from "../events/bus.js";
import type { Log } from "../github/api/types.js";
import type { WebhookManager } from "../delivery/manager.js";
import { IntegrationConfigError, type FetchFn } from "./common.js";
import { createDatadog, datadogConfigSchema, datadogOptionsFromConfig, type DatadogIntegration } from "./datadog.js";
import { createDiscord, discordConfigSchema, discordOptionsFromConfig, type DiscordIntegration } from "./discord.js";
import { createGitHub, GitHubIntegration, githubConfigSchema, githubOptionsFromConfig, type OctokitSource } from "./github.js";
import { createJira, jiraConfigSchema, jiraOptionsFromConfig, type JiraIntegration } from "./jira.js";
import { createPagerDuty, pagerDutyConfigSchema, pagerDutyOptionsFromConfig, type PagerDutyIntegration } from "./pagerduty.js";
import { createSlack, slackConfigSchema, slackOptionsFromConfig, type SlackIntegration } from "./slack.js";
import { createTeams, teamsConfigSchema, teamsOptionsFromConfig, type TeamsIntegration } from "./teams.js";

export { IntegrationError, IntegrationConfigError, type ServiceIntegration, type DeliveryOptions, type FetchFn } from "./common.js";
export { createSlack, type SlackIntegration, type SlackOptions } from "./slack.js";
export { createDatadog, type DatadogIntegration, type DatadogOptions } from "./datadog.js";
export { createJira, type JiraIntegration, type JiraOptions } from "./jira.js";
export { createPagerDuty, type PagerDutyIntegration, type PagerDutyOptions } from "./pagerduty.js";
export { createTeams, type TeamsIntegration, type TeamsOptions } from "./teams.js";
export { createDiscord, type DiscordIntegration, type DiscordOptions } from "./discord.js";
export { createGitHub, GitHubIntegration, octokitForRepository, type GitHubOptions } from "./github.js";

const SERVICE_SCHEMAS = {
  slack: slackConfigSchema,
  datadog: datadogConfigSchema,
  jira: jiraConfigSchema,
  pagerduty: pagerDutyConfigSchema,
  teams: teamsConfigSchema,
  discord: discordConfigSchema,
  github: githubConfigSchema,
} as const;

export type IntegrationService = keyof typeof SERVICE_SCHEMAS;
export const INTEGRATION_SERVICES = Object.keys(SERVICE_SCHEMAS) as IntegrationService[];

const nullToUndefined = (v: unknown): unknown => (v === null ? undefined : v);

/** The `integrations:` section (snake_case keys, as in the file). */
export const integrationsSchema = z
  .object(
    Object.fromEntries(Object.entries(SERVICE_SCHEMAS).map(([k, schema]) => [k, z.preprocess(nullToUndefined, schema.optional())])) as {
      [K in IntegrationService]: z.ZodPipe<z.ZodTransform<unknown, unknown>, z.ZodOptional<(typeof SERVICE_SCHEMAS)[K]>>;
    },
    { error: "must be a mapping of integration names (slack, datadog, jira, pagerduty, teams, discord, github) to settings" },
  )
  .strict();

export type IntegrationsConfig = z.infer<typeof integrationsSchema>;

/** The keys each service accepts (for "did you mean" in config errors). */
export function integrationKeys(service?: string): readonly string[] {
  if (service === undefined) return INTEGRATION_SERVICES;
  const schema = SERVICE_SCHEMAS[service as IntegrationService];
  if (!schema) return [];
  // Strict objects, some with a refinement around them: the shape is on the inner object.
  const inner = schema as unknown as {
    shape?: Record<string, unknown>;
    def?: { in?: { shape?: Record<string, unknown> }; schema?: { shape?: Record<string, unknown> } };
  };
  const shape = inner.shape ?? inner.def?.in?.shape ?? inner.def?.schema?.shape;
  return shape ? Object.keys(shape) : [];
}

/** Checks the section; throws IntegrationConfigError naming each wrong key (`integrations.slack.webhook_url: …`). */
export function parseIntegrationsConfig(section: unknown): IntegrationsConfig {
  const parsed = integrationsSchema.safeParse(section ?? {});
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const path = ["integrations", ...issue.path.map(String)];
    if (issue.code === "unrecognized_keys") {
      return issue.keys
        .map(
          (k) =>
            `${[...path, k].join(".")}: unknown key; known keys: ${integrationKeys(issue.path.length === 0 ? undefined : String(issue.path[0])).join(", ")}`,
        )
        .join("\n");
    }
    const value = issue.path.reduce<unknown>(
      (v, seg) => (v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[seg as PropertyKey] : undefined),
      section,
    );
    return `${path.join(".")}: ${value === undefined && issue.code === "invalid_type" ? "is required" : issue.message}`;
  });
  throw new IntegrationConfigError(lines.join("\n"));
}

export type AnyIntegration =
  | SlackIntegration
  | DatadogIntegration
  | JiraIntegration
  | PagerDutyIntegration
  | TeamsIntegration
  | DiscordIntegration
  | GitHubIntegration;

export interface BuildIntegrationsDeps {
  /** Delivering integrations register with it in attach(). */
  manager: WebhookManager;
  /** For `integrations.github`: an installation Octokit, or how to get one per repository. */
  octokit?: OctokitSource;
  /** For the integrations' direct calls (tests, proxies). */
  fetch?: FetchFn;
  log?: Log;
  /** GitHub's web address, for links Slack builds from a repository name (settings.github.webUrl); default https://github.com. */
  githubUrl?: string;
  /** The app's public base URL (settings.dashboard.publicUrl): Slack's "View pattern" button opens the pattern's dashboard page there. */
  dashboardUrl?: string;
}

/** The enabled integrations of the section, ready for attachIntegrations. Throws IntegrationConfigError for a bad section. */
export function buildIntegrations(section: unknown, deps: BuildIntegrationsDeps): AnyIntegration[] {
  const config = parseIntegrationsConfig(section);
  const common = { manager: deps.manager, fetch: deps.fetch };
  const enabled = <T extends { enabled?: boolean }>(c: T | undefined): c is T => c !== undefined && c.enabled !== false;
  const out: AnyIntegration[] = [];
  const build = (service: string, make: () => AnyIntegration) => {
    try {
      out.push(make());
    } catch (err) {
      throw new IntegrationConfigError(`integrations.${service}: ${(err as Error).message.replace(new RegExp(`^${service}: `), "")}`);
    }
  };
  if (enabled(config.slack))
    build("slack", () =>
      createSlack({ ...slackOptionsFromConfig(config.slack!), ...common, githubUrl: deps.githubUrl, dashboardUrl: deps.dashboardUrl }),
    );
  if (enabled(config.datadog)) build("datadog", () => createDatadog({ ...datadogOptionsFromConfig(config.datadog!), ...common }));
  if (enabled(config.jira)) build("jira", () => createJira({ ...jiraOptionsFromConfig(config.jira!), ...common, log: deps.log }));
  if (enabled(config.pagerduty)) build("pagerduty", () => createPagerDuty({ ...pagerDutyOptionsFromConfig(config.pagerduty!), ...common }));
  if (enabled(config.teams)) build("teams", () => createTeams({ ...teamsOptionsFromConfig(config.teams!), ...common }));
  if (enabled(config.discord)) build("discord", () => createDiscord({ ...discordOptionsFromConfig(config.discord!), ...common }));
  if (enabled(config.github)) {
    build("github", () => {
      if (!deps.octokit) throw new IntegrationConfigError("needs the app's GitHub credentials (buildIntegrations({ octokit }))");
      return createGitHub(githubOptionsFromConfig(config.github!, deps.octokit, deps.log));
    });
  }
  return out;
}

/**
 * Starts the integrations, once: a delivering one registers its deliveries with the manager it
 * was built with (which listens on `bus`), the GitHub one subscribes to `bus` itself.
 */
export function attachIntegrations(integrations: readonly AnyIntegration[], bus: EventBus): void {
  for (const integration of integrations) {
    if (integration instanceof GitHubIntegration) integration.attach(bus);
    else integration.attach();
  }
}
