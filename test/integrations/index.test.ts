/**
 * Building the integrations an operator enables in empathy.config.yml, and the errors for a
 * wrong section (each names its key).
 */
import nock from "nock";
import { ProbotOctokit } from "probot";
import { parseOperatorConfig } from "../../src/config/operatorConfig.js";
import {
  attachIntegrations,
  buildIntegrations,
  GitHubIntegration,
  IntegrationConfigError,
  parseIntegrationsConfig,
} from "../../src/integrations/index.js";
import type { Octokit } from "../../src/github/api/types.js";
import type { Setup } from "../delivery/helpers.js";
import { cleanNock, disableNet, emitPrediction, nockedManager, storedText, waitFor } from "./helpers.js";

const YAML = `
integrations:
  slack:
    webhook_url: \${SLACK_WEBHOOK_URL}
    events: [level_4_prediction, level_5_transformation]
    min_confidence: \${SLACK_MIN_CONFIDENCE:-0.85}
  datadog: { api_key: '\${DD_API_KEY}', site: datadoghq.eu, tags: [env:prod] }
  jira:
    site: acme
    email: bot@acme.com
    api_token: \${JIRA_API_TOKEN}
    project_key: ENG
    enabled: false
  pagerduty: { routing_key: '\${PD_ROUTING_KEY}', min_severity: high, retry_count: 5, timeout_seconds: 2 }
  teams:
  discord: { webhook_url: 'https://discord.com/api/webhooks/1/tok', events: ["*"] }
  github: { repository: acme/incidents, events: [level_5_transformation] }
`;

const ENV = {
  SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T1/B1/s3cr3t",
  DD_API_KEY: "dd-key-0123456789",
  JIRA_API_TOKEN: "jira-token",
  PD_ROUTING_KEY: "pd-routing-key-0123456789",
};

describe("buildIntegrations", () => {
  const setups: Setup[] = [];
  beforeEach(disableNet);
  afterEach(async () => {
    for (const s of setups.splice(0)) await s.manager.stop();
    cleanNock();
  });
  function make(): Setup {
    const s = nockedManager();
    setups.push(s);
    return s;
  }

  it("builds the enabled services of the operator config and registers their deliveries with stable ids", () => {
    const config = parseOperatorConfig(YAML, { env: ENV });
    const { bus, manager } = make();
    const octokit = new ProbotOctokit({ auth: { token: "t" } }) as Octokit;
    const integrations = buildIntegrations(config.integrations, { manager, octokit });
    expect(integrations.map((i) => i.name)).toEqual(["slack", "datadog", "pagerduty", "discord", "github"]);
    expect(integrations[4]).toBeInstanceOf(GitHubIntegration);
    attachIntegrations(integrations, bus);
    expect(manager.list().map((r) => [r.id, r.eventType, r.origin, r.conditional, r.retryCount, r.timeoutSeconds])).toEqual([
      ["integration:slack:level_4_prediction", "level_4_prediction", "https://hooks.slack.com", true, 3, 5],
      ["integration:slack:level_5_transformation", "level_5_transformation", "https://hooks.slack.com", true, 3, 5],
      // Every delivery is conditional now: min_severity defaults to medium (PagerDuty: high).
      ["integration:datadog:level_4_prediction", "level_4_prediction", "https://api.datadoghq.eu", true, 3, 5],
      ["integration:pagerduty:level_4_prediction", "level_4_prediction", "https://events.pagerduty.com", true, 5, 2],
      ["integration:discord:*", "*", "https://discord.com", true, 3, 5],
    ]);
    expect(bus.handlers.level_5_transformation).toBe(1); // the GitHub issue opener
    expect(JSON.stringify(manager.list())).not.toMatch(/s3cr3t|dd-key|pd-routing/);
  });

  it("sends a configured integration's events end to end, secrets kept out of the store", async () => {
    const config = parseOperatorConfig("integrations:\n  datadog: { api_key: '${DD_API_KEY}', min_confidence: 0.9 }\n", { env: ENV });
    const { bus, manager, store } = make();
    attachIntegrations(buildIntegrations(config.integrations, { manager }), bus);
    const scope = nock("https://api.datadoghq.com", { reqheaders: { "dd-api-key": ENV.DD_API_KEY } })
      .post("/api/v1/events")
      .reply(202, { status: "ok" });
    await manager.start();
    emitPrediction(bus, { confidence: 0.8 });
    emitPrediction(bus, { confidence: 0.95 });
    await waitFor(async () => (await manager.counts()).delivered === 1);
    scope.done();
    expect(await manager.getDeliveryLogs()).toHaveLength(1);
    expect(storedText(store)).not.toContain(ENV.DD_API_KEY);
  });

  it("names the wrong key in its errors", () => {
    const error = (section: unknown) => {
      try {
        parseIntegrationsConfig(section);
      } catch (err) {
        expect(err).toBeInstanceOf(IntegrationConfigError);
        return (err as Error).message;
      }
      throw new Error("no error");
    };
    expect(error({ slack: {} })).toBe(
      "integrations.slack.webhook_url: is required: set webhook_url (incoming webhook) or bot_token and channel (chat.postMessage)",
    );
    expect(error({ slack: { bot_token: "xoxb-1" } })).toBe(
      "integrations.slack.channel: is required with bot_token (the channel events are posted to)",
    );
    expect(error({ slack: { webhook_url: "hooks.slack.com/x" } })).toBe(
      "integrations.slack.webhook_url: must be an absolute http:// or https:// URL",
    );
    expect(error({ jira: { site: "acme", email: "nope", api_token: "t", project_key: "eng" } })).toBe(
      "integrations.jira.email: must be an email address\nintegrations.jira.project_key: must be a JIRA project key (upper case, e.g. ENG)",
    );
    expect(error({ pagerduty: { routing_key: "k", min_severity: "urgent" } })).toBe(
      "integrations.pagerduty.min_severity: must be one of info, low, medium, high, critical",
    );
    expect(error({ github: { repository: "acme" } })).toBe("integrations.github.repository: must be a repository (owner/name)");
    expect(error({ hipchat: {} })).toMatch(
      /^integrations\.hipchat: unknown key; known keys: slack, datadog, jira, pagerduty, teams, discord, github$/,
    );
    expect(error({ teams: { webhook_url: "https://x.test", colour: "red" } })).toMatch(
      /^integrations\.teams\.colour: unknown key; known keys: enabled, events, /,
    );
    expect(error([])).toMatch(/^integrations: must be a mapping of integration names/);
  });

  it("needs the app's GitHub credentials for integrations.github", () => {
    const { manager } = make();
    expect(() => buildIntegrations({ github: { repository: "acme/incidents" } }, { manager })).toThrow(
      "integrations.github: needs the app's GitHub credentials (buildIntegrations({ octokit }))",
    );
    expect(buildIntegrations({ github: { repository: "acme/incidents", enabled: "false" } }, { manager })).toEqual([]);
    expect(buildIntegrations(undefined, { manager })).toEqual([]);
  });

  it("refuses a second registration under the same name, naming it", () => {
    const { bus, manager } = make();
    const [first] = buildIntegrations({ teams: { webhook_url: "https://x.test/a" } }, { manager });
    attachIntegrations([first], bus);
    attachIntegrations([first], bus); // idempotent
    const [second] = buildIntegrations({ teams: { webhook_url: "https://x.test/b" } }, { manager });
    expect(() => attachIntegrations([second], bus)).toThrow(/already registered .*give one an explicit id/);
    const [named] = buildIntegrations({ teams: { webhook_url: "https://x.test/b", name: "teams-oncall" } }, { manager });
    attachIntegrations([named], bus);
    expect(manager.list().map((r) => r.id)).toEqual([
      "integration:teams:level_4_prediction",
      "integration:teams-oncall:level_4_prediction",
    ]);
  });
  it("sends PagerDuty only high and critical, and every other service medium and up, unless min_severity says otherwise", async () => {
    const { bus, manager } = make();
    const section = {
      slack: { webhook_url: "https://hooks.slack.com/services/T1/B1/default" },
      discord: { webhook_url: "https://discord.com/api/webhooks/1/everything", min_severity: "info" },
      pagerduty: { routing_key: "pd-routing-key-0123456789" },
    };
    attachIntegrations(buildIntegrations(section, { manager }), bus);
    const sent: Record<string, string[]> = { slack: [], discord: [], pagerduty: [] };
    nock("https://hooks.slack.com")
      .post(/.*/)
      .times(5)
      .reply(200, (_u, b: any) => (sent.slack.push(b.blocks[2].fields[1].text.split(" ").pop()), "ok"));
    nock("https://discord.com")
      .post(/.*/)
      .times(5)
      .reply(204, (_u, b: any) => (sent.discord.push(b.embeds[0].fields[1].value), ""));
    nock("https://events.pagerduty.com")
      .post("/v2/enqueue")
      .times(5)
      .reply(202, (_u, b: any) => (sent.pagerduty.push(b.payload.custom_details.severity), { status: "success" }));
    await manager.start();
    const severities = ["info", "low", "medium", "high", "critical"] as const;
    for (const severity of severities) emitPrediction(bus, { severity, fingerprint: severity });
    await waitFor(async () => (await manager.counts()).delivered === 3 + 5 + 2);
    const order = (list: string[]) => [...list].sort((a, b) => severities.indexOf(a as never) - severities.indexOf(b as never));
    expect(order(sent.slack)).toEqual(["medium", "high", "critical"]);
    expect(order(sent.discord)).toEqual(["info", "low", "medium", "high", "critical"]);
    expect(order(sent.pagerduty)).toEqual(["high", "critical"]);
  });
});
