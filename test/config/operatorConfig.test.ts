import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadOperatorConfig, OperatorConfigError, parseOperatorConfig, type OperatorConfig } from "../../src/config/operatorConfig.js";
import { readSettings } from "../../src/config/env.js";
import { compileCondition, ConditionError } from "../../src/delivery/condition.js";
import { eventTemplateData } from "../../src/delivery/template.js";
import type { ConditionSkip } from "../../src/delivery/celCondition.js";
import { aliasBomb, wideAliases } from "../helpers/yamlBombs.js";

const EXAMPLE = [
  /* 1 */ "webhooks:",
  /* 2 */ '  - event_type: level_4_prediction      # or "*"',
  /* 3 */ "    url: ${SLACK_WEBHOOK_URL}",
  /* 4 */ "    headers: { Content-Type: application/json }",
  /* 5 */ '    payload_template: { text: "Prediction: {prediction} ({confidence:.0%})" }',
  /* 6 */ "    condition: 'confidence > 0.85 && \"security\" in tags'",
  /* 7 */ "    secret: ${EMPATHY_WEBHOOK_SECRET}",
  /* 8 */ "    timeout_seconds: 5",
  /* 9 */ "    retry_count: 3",
  /* 10 */ "    batch_size: 10",
  /* 11 */ "    batch_timeout_seconds: 5",
  /* 12 */ "network:",
  /* 13 */ '  allow_private: ["127.0.0.0/8"]',
].join("\n");

const SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXXSLACKTOKENXXXX";
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ENV = { SLACK_WEBHOOK_URL: SLACK_URL, EMPATHY_WEBHOOK_SECRET: SECRET };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "empathy-operator-config-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function configError(text: string, env: NodeJS.ProcessEnv = ENV): OperatorConfigError {
  try {
    parseOperatorConfig(text, { env });
  } catch (err) {
    if (err instanceof OperatorConfigError) return err;
    throw err;
  }
  throw new Error("expected an OperatorConfigError");
}

function withoutFunctions(config: OperatorConfig) {
  return {
    ...config,
    webhooks: config.webhooks.map(({ condition, ...rest }) => ({ ...rest, hasCondition: typeof condition === "function" })),
  };
}

describe("loadOperatorConfig: a valid file", () => {
  it("reads the issue's example into camelCase registrations with interpolated values", () => {
    const path = file("empathy.config.yml", EXAMPLE);
    const config = loadOperatorConfig(path, ENV);
    expect(withoutFunctions(config)).toEqual({
      file: path,
      webhooks: [
        {
          eventType: "level_4_prediction",
          url: SLACK_URL,
          headers: { "Content-Type": "application/json" },
          payloadTemplate: { text: "Prediction: {prediction} ({confidence:.0%})" },
          conditionSource: 'confidence > 0.85 && "security" in tags',
          hasCondition: true,
          secret: SECRET,
          verifySsl: true,
          timeoutSeconds: 5,
          retryCount: 3,
          batchSize: 10,
          batchTimeoutSeconds: 5,
          location: `${path}:2`,
        },
      ],
      network: { allowPrivate: ["127.0.0.0/8"] },
      integrations: {},
      slack: { reply: "ephemeral", access: [] },
      warnings: [],
    });
  });

  it("applies the defaults, checks integrations (coercing numbers from variables), and normalises CIDRs", () => {
    const config = parseOperatorConfig(
      [
        "webhooks:",
        '  - event_type: "*"',
        "    url: https://example.com/hook",
        "network:",
        "  allow_private: [10.0.0.0/8, 192.168.1.7, 'fd00::/8', '::1']",
        "integrations:",
        "  slack: { bot_token: '${SLACK_TOKEN}', channel: '#alerts' }",
        "  jira: { url: https://acme.atlassian.net, email: bot@acme.com, api_token: '${JIRA_TOKEN}', project_key: ENG, priority_threshold: '${THRESHOLD}' }",
        "  pagerduty: null",
      ].join("\n"),
      { env: { SLACK_TOKEN: "xoxb-123-456", JIRA_TOKEN: "jira-token-1", THRESHOLD: "0.9" } },
    );
    expect(config.webhooks).toEqual([
      {
        eventType: "*",
        url: "https://example.com/hook",
        headers: {},
        verifySsl: true,
        timeoutSeconds: 5,
        retryCount: 3,
        batchSize: 1,
        batchTimeoutSeconds: 5,
        location: "empathy.config.yml:2",
      },
    ]);
    expect(config.network.allowPrivate).toEqual(["10.0.0.0/8", "192.168.1.7/32", "fd00::/8", "::1/128"]);
    expect(config.integrations).toEqual({
      slack: { bot_token: "xoxb-123-456", channel: "#alerts" },
      jira: {
        url: "https://acme.atlassian.net",
        email: "bot@acme.com",
        api_token: "jira-token-1",
        project_key: "ENG",
        priority_threshold: 0.9,
      },
    });
  });

  it("takes the path from EMPATHY_CONFIG, and gives an empty config when there is neither a file nor the variable", () => {
    const path = file("from-env.yml", EXAMPLE);
    expect(loadOperatorConfig(readSettings({ EMPATHY_CONFIG: path }).operatorConfigPath, ENV).webhooks).toHaveLength(1);
    const cwd = process.cwd();
    const empty = mkdtempSync(join(tmpdir(), "empathy-no-config-"));
    try {
      process.chdir(empty);
      expect(loadOperatorConfig(readSettings({}).operatorConfigPath, {})).toEqual({
        file: null,
        webhooks: [],
        network: { allowPrivate: [] },
        integrations: {},
        slack: { reply: "ephemeral", access: [] },
        warnings: [],
      });
      writeFileSync(join(empty, "empathy.config.yml"), EXAMPLE);
      expect(loadOperatorConfig(undefined, ENV).file).toBe("empathy.config.yml");
    } finally {
      process.chdir(cwd);
      rmSync(empty, { recursive: true, force: true });
    }
    expect(parseOperatorConfig("", { env: {} }).webhooks).toEqual([]);
    expect(parseOperatorConfig("# nothing yet\nwebhooks:\n", { env: {} }).webhooks).toEqual([]);
  });

  it("refuses a path given explicitly that does not exist", () => {
    const missing = join(dir, "nope.yml");
    expect(() => loadOperatorConfig(missing, {})).toThrow(
      new OperatorConfigError(missing, [{ line: null, key: "", message: "file not found" }]),
    );
    expect(() => loadOperatorConfig(readSettings({ EMPATHY_CONFIG: missing }).operatorConfigPath, {})).toThrow(
      `${missing}: file not found`,
    );
  });
});

describe("${VAR} interpolation", () => {
  it("replaces variables anywhere in string values, with defaults and $${ escapes", () => {
    const config = parseOperatorConfig(
      [
        "webhooks:",
        "  - event_type: ${EVENT:-level_4_prediction}",
        "    url: https://${HOST}/hooks/${PATH_PART}?a=1",
        "    headers:",
        "      Authorization: Bearer ${TOKEN}",
        "      X-Literal: 'cost: $${PRICE}'",
        "    payload_template: { text: '{prediction} for ${TEAM}', note: 'costs $5, $${not_a_var}' }",
        "    timeout_seconds: ${TIMEOUT}",
        "    verify_ssl: ${VERIFY:-true}",
        "    retry_count: ${RETRIES:-2}",
      ].join("\n"),
      { env: { HOST: "hooks.example.com", PATH_PART: "a/b", TOKEN: "tok-123", TEAM: "payments", TIMEOUT: "2.5", RETRIES: "" } },
    );
    expect(config.webhooks[0]).toMatchObject({
      eventType: "level_4_prediction",
      url: "https://hooks.example.com/hooks/a/b?a=1",
      headers: { Authorization: "Bearer tok-123", "X-Literal": "cost: ${PRICE}" },
      payloadTemplate: { text: "{prediction} for payments", note: "costs $5, ${not_a_var}" },
      timeoutSeconds: 2.5,
      verifySsl: true,
      retryCount: 2,
    });
  });

  it("names the variable, key and line of an unset variable, and reports every one", () => {
    const err = configError(EXAMPLE, {});
    expect(err.message).toBe(
      [
        "empathy.config.yml:3: webhooks[0].url: environment variable SLACK_WEBHOOK_URL is not set",
        "empathy.config.yml:7: webhooks[0].secret: environment variable EMPATHY_WEBHOOK_SECRET is not set",
      ].join("\n"),
    );
    expect(err.issues).toEqual([
      { line: 3, key: "webhooks[0].url", message: "environment variable SLACK_WEBHOOK_URL is not set" },
      { line: 7, key: "webhooks[0].secret", message: "environment variable EMPATHY_WEBHOOK_SECRET is not set" },
    ]);
    const path = file("unset.yml", EXAMPLE);
    expect(() => loadOperatorConfig(path, { EMPATHY_WEBHOOK_SECRET: SECRET })).toThrow(
      `${path}:3: webhooks[0].url: environment variable SLACK_WEBHOOK_URL is not set`,
    );
  });

  it("refuses a malformed reference", () => {
    expect(configError("webhooks:\n  - event_type: test\n    url: https://x.test/${BAD-NAME}\n").message).toBe(
      "empathy.config.yml:3: webhooks[0].url: malformed ${...} reference: write ${NAME} (letters, digits, _), ${NAME:-default}, or $${ for a literal ${",
    );
    expect(configError("webhooks:\n  - event_type: test\n    url: https://x.test/${OPEN\n").issues[0]).toMatchObject({
      line: 3,
      key: "webhooks[0].url",
    });
  });
});

describe("errors name the key and line", () => {
  const hook = (extra: string[]) =>
    ["webhooks:", "  - event_type: level_4_prediction", "    url: https://example.com/hook", ...extra].join("\n");

  it.each([
    [
      "an unknown key, with a suggestion",
      hook(["    retry_cont: 3"]),
      4,
      "webhooks[0].retry_cont",
      /^unknown key \(did you mean retry_count\?\); known keys: event_type, url, /,
    ],
    ["a camelCase key", hook(["    timeoutSeconds: 3"]), 4, "webhooks[0].timeoutSeconds", /did you mean timeout_seconds\?/],
    ["an unknown top-level key", "webhook:\n  - url: x\n", 1, "webhook", /did you mean webhooks\?/],
    ["an unknown network key", "network:\n  allowPrivate: []\n", 2, "network.allowPrivate", /did you mean allow_private\?/],
    [
      "a CEL syntax error",
      hook(["    condition: 'confidence > '"]),
      4,
      "webhooks[0].condition",
      /^invalid CEL expression: Unexpected token: EOF \(at character 14\)$/,
    ],
    [
      "a CEL type error",
      hook(["    condition: '\"a\" + 1 == 2'"]),
      4,
      "webhooks[0].condition",
      /^invalid CEL expression: no such overload: string \+ int/,
    ],
    [
      "a CEL expression that is not boolean",
      hook(["    condition: 'size(tags) + 1'"]),
      4,
      "webhooks[0].condition",
      /must give a bool, it gives int/,
    ],
    ["an empty condition", hook(["    condition: ''"]), 4, "webhooks[0].condition", /empty/],
    [
      "a malformed template placeholder",
      hook(["    payload_template:", "      blocks:", "        - text: 'Confidence {confidence:.0q}'"]),
      6,
      "webhooks[0].payload_template.blocks[0].text",
      /^placeholder "\{confidence:\.0q\}": unknown format type "q"/,
    ],
    ["a wrong type", hook(["    batch_size: ten"]), 4, "webhooks[0].batch_size", /^must be a whole number$/],
    ["an out-of-range number", hook(["    retry_count: 50"]), 4, "webhooks[0].retry_count", /^must be from 0 to 20$/],
    ["a zero timeout", hook(["    timeout_seconds: 0"]), 4, "webhooks[0].timeout_seconds", /more than 0 seconds/],
    ["a non-boolean verify_ssl", hook(["    verify_ssl: maybe"]), 4, "webhooks[0].verify_ssl", /true or false/],
    [
      "a bad event type",
      hook(["    secret: abcd"]).replace("level_4_prediction", "'level 4'"),
      2,
      "webhooks[0].event_type",
      /event type name/,
    ],
    [
      "a URL that is not http(s)",
      hook([]).replace("https://example.com/hook", "ftp://example.com/x"),
      3,
      "webhooks[0].url",
      /absolute http:\/\/ or https:\/\/ URL/,
    ],
    ["a reserved header", hook(["    headers:", "      webhook-id: x"]), 5, 'webhooks[0].headers["webhook-id"]', /set by the bot itself/],
    [
      "an invalid header name",
      hook(["    headers: { 'Bad Header': x }"]),
      4,
      'webhooks[0].headers["Bad Header"]',
      /not a valid HTTP header name/,
    ],
    ["a whsec_ secret that is not base64", hook(["    secret: whsec_???"]), 4, "webhooks[0].secret", /not valid base64/],
    ["a missing url", "webhooks:\n  - event_type: test\n    retry_count: 1\n", 2, "webhooks[0].url", /^is required$/],
    ["a webhook that is not a mapping", "webhooks:\n  - just a string\n", 2, "webhooks[0]", /must be a mapping/],
    ["webhooks that are not a list", "webhooks:\n  event_type: test\n", 2, "webhooks", /must be a list of webhooks/],
    [
      "an invalid CIDR",
      "network:\n  allow_private:\n    - 10.0.0.0/8\n    - 10.0.0.0/33\n",
      4,
      "network.allow_private[1]",
      /"10\.0\.0\.0\/33" is not a CIDR/,
    ],
    ["integrations that are not a mapping", "integrations:\n  - slack\n", 2, "integrations", /must be a mapping/],
    [
      "an unknown integration",
      "integrations:\n  msteams: { webhook_url: https://x.test/h }\n",
      2,
      "integrations.msteams",
      /unknown key \(did you mean teams\?\)/,
    ],
    [
      "an unknown integration key",
      "integrations:\n  slack:\n    webhook_url: https://hooks.slack.test/T/B/x\n    min_confidance: 0.8\n",
      4,
      "integrations.slack.min_confidance",
      /did you mean min_confidence\?/,
    ],
    [
      "a Slack integration with neither webhook nor token",
      "integrations:\n  slack:\n    channel: '#alerts'\n",
      3,
      "integrations.slack.webhook_url",
      /set webhook_url .* or bot_token and channel/,
    ],
    [
      "a JIRA integration without its token",
      "integrations:\n  jira:\n    site: acme\n    email: a@b.c\n    project_key: ENG\n",
      3,
      "integrations.jira.api_token",
      /^is required$/,
    ],
    [
      "an unknown Datadog site",
      "integrations:\n  datadog:\n    api_key: k\n    site: datadoghq.de\n",
      4,
      "integrations.datadog.site",
      /must be one of datadoghq\.com, us3\.datadoghq\.com/,
    ],
    [
      "a confidence out of range",
      "integrations:\n  discord:\n    webhook_url: https://discord.test/api/webhooks/1/t\n    min_confidence: 85\n",
      4,
      "integrations.discord.min_confidence",
      /must be from 0 to 1/,
    ],
    [
      '"*" beside other events',
      "integrations:\n  teams:\n    webhook_url: https://x.test/h\n    events: ['*', level_4_prediction]\n",
      4,
      "integrations.teams.events",
      /list it alone/,
    ],
    [
      "a PagerDuty region it does not have",
      "integrations:\n  pagerduty:\n    routing_key: k\n    region: asia\n",
      4,
      "integrations.pagerduty.region",
      /must be us \(events\.pagerduty\.com\) or eu \(events\.eu\.pagerduty\.com\)/,
    ],
    [
      "a severity map with an unknown severity",
      "integrations:\n  pagerduty:\n    routing_key: k\n    severities:\n      urgent: critical\n",
      5,
      "integrations.pagerduty.severities.urgent",
      /is not a severity/,
    ],
    [
      "a Data Center JIRA named by a Cloud site",
      "integrations:\n  jira:\n    deployment: data_center\n    site: acme\n    personal_access_token: t\n    project_key: ENG\n",
      4,
      "integrations.jira.site",
      /a Data Center JIRA is reached by url:/,
    ],
    [
      "a Cloud JIRA given a personal access token",
      "integrations:\n  jira:\n    site: acme\n    email: a@b.c\n    api_token: t\n    personal_access_token: p\n    project_key: ENG\n",
      6,
      "integrations.jira.personal_access_token",
      /is for Data Center/,
    ],
  ])("%s", (_label, text, line, key, message) => {
    const err = configError(text);
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]).toEqual({ line, key, message: expect.stringMatching(message) });
    expect(err.message).toBe(`empathy.config.yml:${line}: ${key}: ${err.issues[0].message}`);
  });

  it("reports YAML syntax errors and duplicate keys with their line", () => {
    expect(configError("webhooks:\n  - event_type: test\n    url: https://x.test\n    url: https://y.test\n").issues[0]).toMatchObject({
      line: 4,
      message: expect.stringMatching(/^invalid YAML: Map keys must be unique/),
    });
    expect(configError("webhooks:\n  - event_type: [unclosed\n").issues[0]).toMatchObject({
      message: expect.stringMatching(/^invalid YAML/),
    });
    expect(configError("integrations:\n  slack: { token: ${SLACK_TOKEN} }\n").issues[0]).toMatchObject({
      line: 2,
      message: expect.stringMatching(/quote values that hold \$\{VAR\}: '\$\{VAR\}'\)$/),
    });
    expect(configError("- a\n- b\n").message).toBe("empathy.config.yml:1: the file must be a mapping (webhooks:, network:, integrations:)");
  });

  it("reports every problem at once, in line order", () => {
    const err = configError(
      [
        "webhooks:",
        "  - event_type: test",
        "    url: nope",
        "    retries: 3",
        "  - event_type: test",
        "    url: https://ok.test",
        "    condition: 'a &&'",
      ].join("\n"),
    );
    expect(err.issues.map((i) => `${i.line} ${i.key}`)).toEqual(["3 webhooks[0].url", "4 webhooks[0].retries", "7 webhooks[1].condition"]);
  });
});

describe("secrets never appear in messages", () => {
  it("redacts interpolated values from errors and warnings", () => {
    const token = "SUPERSECRETTOKEN42";
    const cases: [string, NodeJS.ProcessEnv][] = [
      ["webhooks:\n  - event_type: test\n    url: ${URL}\n", { URL: `not a url ${token}` }],
      [
        "webhooks:\n  - event_type: test\n    url: https://x.test\n    headers: { Authorization: '${AUTH}' }\n",
        { AUTH: `Bearer ${token}\r\nX-Injected: 1` },
      ],
      ["webhooks:\n  - event_type: test\n    url: https://x.test\n    secret: ${S}\n", { S: `whsec_${token}!!` }],
      ["webhooks:\n  - event_type: test\n    url: https://x.test\n    condition: 'confidence > ${T}'\n", { T: `${token} &&` }],
      ["webhooks:\n  - event_type: ${E}\n    url: https://x.test\n", { E: `${token} spaces` }],
      ["webhooks:\n  - event_type: test\n    url: https://x.test\n    payload_template: { t: '${P}' }\n", { P: `{${token}` }],
    ];
    for (const [text, env] of cases) {
      const err = configError(text, env);
      expect(err.message).not.toContain(token);
      expect(err.message).toMatch(/^empathy\.config\.yml:\d+: webhooks\[0\]\./);
    }
    const warned = parseOperatorConfig("webhooks:\n  - event_type: ${E}\n    url: http://example.com/x\n    verify_ssl: false\n", {
      env: { E: `custom_${token}` },
    });
    expect(warned.warnings.join("\n")).not.toContain(token);
  });
});

describe("integration settings of issue 11", () => {
  it("reads the region, the severity maps, a Data Center JIRA and Datadog's site names", () => {
    const config = parseOperatorConfig(
      [
        "integrations:",
        "  pagerduty: { routing_key: '${PD_KEY}', region: eu, severities: { high: critical } }",
        "  datadog: { api_key: k, site: UK1, alert_types: { medium: info }, priorities: { medium: low } }",
        "  jira:",
        "    deployment: data_center",
        "    url: https://jira.acme.test/jira",
        "    personal_access_token: '${JIRA_PAT}'",
        "    project_key: ENG",
        "    issue_type: Story",
        "    bug_issue_type: Defect",
        "    priorities: { critical: Blocker, info: Trivial }",
      ].join("\n"),
      { env: { PD_KEY: "pd-key-0123456789", JIRA_PAT: "pat-0123456789" } },
    );
    expect(config.integrations).toEqual({
      pagerduty: { routing_key: "pd-key-0123456789", region: "eu", severities: { high: "critical" } },
      datadog: { api_key: "k", site: "UK1", alert_types: { medium: "info" }, priorities: { medium: "low" } },
      jira: {
        deployment: "data_center",
        url: "https://jira.acme.test/jira",
        personal_access_token: "pat-0123456789",
        project_key: "ENG",
        issue_type: "Story",
        bug_issue_type: "Defect",
        priorities: { critical: "Blocker", info: "Trivial" },
      },
    });
    expect(config.warnings).toEqual([]);
  });

  it("warns that jira.priority_threshold no longer does anything", () => {
    const config = parseOperatorConfig(
      [
        "integrations:",
        "  jira:",
        "    site: acme",
        "    email: a@b.c",
        "    api_token: t",
        "    project_key: ENG",
        "    priority_threshold: 0.9",
      ].join("\n"),
      { env: {} },
    );
    expect(config.warnings).toEqual([
      "empathy.config.yml:7: integrations.jira.priority_threshold: is no longer used: the priority follows the severity and confidence (see the README's mapping table); map severities to priorities with priorities:",
    ]);
  });
});

describe("warnings", () => {
  it("flags a non-catalog event type (with a suggestion), plain http and verify_ssl: false", () => {
    const config = parseOperatorConfig(
      [
        "webhooks:",
        "  - event_type: level_4_predicton",
        "    url: http://example.com/x",
        "    verify_ssl: false",
        "  - event_type: deploy_finished",
        "    url: http://127.0.0.1:9/x",
      ].join("\n"),
      { env: {} },
    );
    expect(config.warnings).toEqual([
      'empathy.config.yml:2: webhooks[0].event_type: "level_4_predicton" is not a catalog event type (did you mean level_4_prediction?); it fires only for custom events of that name',
      "empathy.config.yml:3: webhooks[0].url: plain http: payloads and signatures travel unencrypted",
      "empathy.config.yml:4: webhooks[0].verify_ssl: TLS certificates of this endpoint are not verified",
      'empathy.config.yml:5: webhooks[1].event_type: "deploy_finished" is not a catalog event type; it fires only for custom events of that name',
    ]);
  });
});

describe("CEL conditions", () => {
  const event = {
    id: "evt_1",
    event_type: "level_4_prediction",
    timestamp: "2025-01-01T00:00:00.000Z",
    data: {
      prediction: "p",
      confidence: 0.9,
      tags: ["security", "sql"],
      severity: "high",
      pr_number: 12,
      evidence: { path: "a.ts", line: 3 },
    },
  };

  it("compiled from the file: true and false", () => {
    const [hook] = parseOperatorConfig(EXAMPLE, { env: ENV }).webhooks;
    expect(hook.condition!(event.data)).toBe(true);
    expect(hook.condition!({ ...event.data, confidence: 0.8 })).toBe(false);
    expect(hook.condition!({ ...event.data, tags: ["style"] })).toBe(false);
  });

  it.each([
    ['confidence > 0.85 && "security" in tags', true],
    ['severity in ["high", "critical"] && pr_number == 12', true],
    ["pr_number >= 10 && evidence.line < 4", true],
    ['tags.exists(t, t.startsWith("sq"))', true],
    ['event_type == "level_4_prediction"', true],
    ['event_type == "test"', false],
    ['id == "evt_1" && timestamp.startsWith("2025")', true],
    ["has(evidence.path) && !has(evidence.side)", true],
    ["int(pr_number) + 1 == 13", true],
    ["confidence > 0.95", false],
  ])("%s → %p against the event data plus event_type", (source, expected) => {
    const condition = compileCondition(source);
    expect(condition(eventTemplateData(event))).toBe(expected);
    expect(condition(event.data, event)).toBe(expected);
  });

  it.each([
    ["missing_field > 1", "a missing field"],
    ["pr_number + 1 == 13", "an int/double arithmetic mix (JSON numbers are doubles)"],
    ["tags[5] == 'x'", "an index out of range"],
    ["confidence / 0.0 > 1.0 && missing", "a runtime error after a partial result"],
    ["confidence", "a non-boolean result (a number)"],
    ["prediction", "a non-boolean result (a string)"],
  ])("%s counts as false (%s)", (source) => {
    expect(compileCondition(source)(event.data, event)).toBe(false);
  });

  it("the envelope's event_type wins over a data field of that name", () => {
    expect(compileCondition('event_type == "test"')({ event_type: "test" }, { event_type: "level_4_prediction" })).toBe(false);
  });

  it("refuses bad expressions with ConditionError", () => {
    expect(() => compileCondition("a &&")).toThrow(ConditionError);
    expect(() => compileCondition("1 + 2")).toThrow("the CEL expression must give a bool, it gives int");
    expect(() => compileCondition("   ")).toThrow("the CEL expression is empty");
  });
});

describe("bounded YAML in the operator config", () => {
  it("stops start-up on an alias bomb, naming the file and line, without expanding it", () => {
    const path = file("bomb.yml", `webhooks: []\n${aliasBomb()}`);
    const started = Date.now();
    let err: unknown;
    try {
      loadOperatorConfig(path, {});
    } catch (e) {
      err = e;
    }
    expect(Date.now() - started).toBeLessThan(5_000); // main expanded it itself: past 60 s
    expect(err).toBeInstanceOf(OperatorConfigError);
    expect((err as OperatorConfigError).message).toMatch(
      new RegExp(
        `^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+: the YAML expands to more than 100,000 values once its aliases are expanded \\(an alias bomb\\?\\); the file is not read$`,
      ),
    );
  });

  it("stops start-up on a quadratic alias fan-out and on a file over 1 MB", () => {
    expect(configError(wideAliases(2_000, 60)).message).toMatch(/^empathy\.config\.yml:\d+: the YAML expands to more than 100,000 values/);
    expect(configError(`webhooks: []\n# ${"x".repeat(1_100_000)}\n`).message).toBe(
      "empathy.config.yml: the YAML is 1,075 KB, over the 1,024 KB limit; the file is not read",
    );
  });

  it("still reads anchors and aliases used as intended", () => {
    const config = parseOperatorConfig(
      [
        "webhooks:",
        "  - { event_type: test, url: 'https://a.test/h', headers: &headers { Content-Type: application/json } }",
        "  - { event_type: test, url: 'https://b.test/h', headers: *headers }",
      ].join("\n"),
      { env: {} },
    );
    expect(config.webhooks.map((w) => w.headers)).toEqual([{ "Content-Type": "application/json" }, { "Content-Type": "application/json" }]);
  });
});

describe("bounded CEL conditions", () => {
  const hostile = "a".repeat(29) + "!";

  it("runs matches() on RE2: the ReDoS pattern is linear, and RE2 syntax works", () => {
    const started = Date.now();
    const redos = compileCondition('prediction.matches("^(a+)+$")');
    expect(redos({ prediction: hostile })).toBe(false);
    expect(redos({ prediction: "a".repeat(100_000) + "!" })).toBe(false);
    expect(redos({ prediction: "aaaa" })).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000); // a backtracking engine: 1.9 s at 29 characters, doubling with each
    expect(compileCondition('prediction.matches("(?i)^drop")')({ prediction: "DROP TABLE users" })).toBe(true);
  });

  it.each([
    [
      "a backreference",
      `prediction.matches("(a)\\\\1")`,
      /^matches\(\): "\(a\)\\\\1" is not an RE2 pattern \(invalid escape sequence: `\\1`\); RE2 has no backreferences or lookaround \(at character 20\)$/,
    ],
    ["a lookahead", `prediction.matches("a(?=b)")`, /is not an RE2 pattern \(invalid or unsupported Perl syntax: `\(\?=`\)/],
    [
      "comprehensions 3 deep",
      "tags.all(a, tags.all(b, tags.exists(c, a == b && b == c)))",
      /^comprehensions \(all, exists, exists_one, map, filter\) and cel\.bind nest at most 2 deep; exists\(\) here is 3 deep/,
    ],
    [
      "map inside filter inside cel.bind",
      "cel.bind(t, tags, t.filter(a, t.map(b, b + a).size() > 0).size() > 0)",
      /map\(\) here is 3 deep/,
    ],
    [
      "a list literal of 201 items",
      `prediction in [${Array.from({ length: 201 }, (_, i) => `"p${i}"`).join(", ")}]`,
      /^invalid CEL expression: Exceeded maxListElements \(200\)/,
    ],
    [
      "more than 1,000 nodes",
      Array.from({ length: 400 }, (_, i) => `c > ${i}.0`).join(" || "),
      /^invalid CEL expression: Exceeded maxAstNodes \(1000\)/,
    ],
  ])("refuses %s at load, with the file, line and key", (_label, source, message) => {
    expect(() => compileCondition(source)).toThrow(ConditionError);
    const err = configError(`webhooks:\n  - event_type: test\n    url: https://x.test/h\n    condition: '${source.replace(/'/g, "''")}'\n`);
    expect(err.issues).toEqual([{ line: 4, key: "webhooks[0].condition", message: expect.stringMatching(message) }]);
    expect(err.message).toMatch(/^empathy\.config\.yml:4: webhooks\[0\]\.condition: /);
  });

  it("accepts two levels of comprehension and patterns computed from the data", () => {
    expect(compileCondition("tags.exists(a, tags.exists(b, a != b))")({ tags: ["x", "y"] })).toBe(true);
    const computed = compileCondition("prediction.matches(pattern)");
    expect(computed({ prediction: hostile, pattern: "^(a+)+$" })).toBe(false);
    expect(computed({ prediction: "ab", pattern: "^a" })).toBe(true);
    expect(computed({ prediction: "ab", pattern: "(a)\\1" })).toBe(false); // not RE2: an evaluation error, so false
  });

  it("counts a run past its time budget as false and says so, without the data", () => {
    const skips: ConditionSkip[] = [];
    const heavy = compileCondition('ids.all(a, ids.all(b, !prediction.matches("x+y")))');
    const data = { ids: Array.from({ length: 1_000 }, (_, i) => i), prediction: "x".repeat(100_000) };
    const started = Date.now();
    expect(heavy(data, undefined, (skip) => skips.push(skip))).toBe(false); // unbounded: a million scans of 100 KB, minutes
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(skips).toEqual([{ reason: "time_budget", message: "was stopped after its 100 ms time budget, twice in a row" }]);
    // The evaluator is intact afterwards.
    expect(heavy({ ids: [1, 2], prediction: "xy" }, undefined, (skip) => skips.push(skip))).toBe(false);
    expect(heavy({ ids: [1, 2], prediction: "zz" })).toBe(true);
    expect(skips).toHaveLength(1);
  });

  it("does not evaluate over data with a list of more than 1,000 items or over 256 KB of JSON", () => {
    const skips: ConditionSkip[] = [];
    const condition = compileCondition("size(tags) > 0");
    expect(condition({ tags: Array(1_001).fill("t") }, undefined, (s) => skips.push(s))).toBe(false);
    expect(condition({ tags: ["t"], prediction: "p".repeat(300_000) }, undefined, (s) => skips.push(s))).toBe(false);
    expect(condition({ tags: Array(1_000).fill("t") })).toBe(true);
    expect(skips.map((s) => s.reason)).toEqual(["data_limit", "data_limit"]);
    expect(JSON.stringify(skips)).not.toContain("ppp");
  });
});
