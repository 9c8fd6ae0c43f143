/**
 * JIRA Cloud REST v3, create issue
 * (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-post):
 * basic auth with email and API token, the fields, the description in Atlassian Document
 * Format, and the priority and issue type rules.
 */
import nock from "nock";
import { IntegrationConfigError, IntegrationError } from "../../src/integrations/common.js";
import { attachIntegrations, buildIntegrations } from "../../src/integrations/index.js";
import {
  createJira,
  jiraBaseUrl,
  jiraDescription,
  jiraFields,
  jiraIssueType,
  jiraPriority,
  jiraWikiDescription,
  type AdfNode,
} from "../../src/integrations/jira.js";
import { toNotice } from "../../src/integrations/notice.js";
import type { Setup } from "../delivery/helpers.js";
import { cleanNock, disableNet, emitPrediction, nockedManager, predictionEnvelope, storedText, waitFor } from "./helpers.js";

const EMAIL = "empathy-bot@acme.com";
const TOKEN = "ATATT3xFfGF0-jira-token";
const BASIC = `Basic ${Buffer.from(`${EMAIL}:${TOKEN}`).toString("base64")}`;
const EVIL = "<!channel> @everyone <@U1> [x](https://evil.example) [~admin] {code}\u0007";

/** The project's create metadata, as JIRA Cloud pages it. */
function createMeta(scope: nock.Scope, options: { types?: string[]; priorities?: string[] | null; prefix?: string } = {}) {
  const prefix = options.prefix ?? "/rest/api/3";
  const types = options.types ?? ["Task", "Bug", "Story"];
  const priorities = options.priorities === undefined ? ["Highest", "High", "Medium", "Low", "Lowest"] : options.priorities;
  const calls = { types: 0, fields: 0 };
  scope
    .get(`${prefix}/issue/createmeta/ENG/issuetypes`)
    .query(true)
    .reply(
      () => (
        calls.types++,
        [
          200,
          {
            startAt: 0,
            maxResults: 100,
            total: types.length,
            issueTypes: types.map((name, i) => ({ id: String(10001 + i), name, subtask: false })),
          },
        ]
      ),
    )
    .get(new RegExp(`^${prefix}/issue/createmeta/ENG/issuetypes/\\d+`))
    .query(true)
    .times(2)
    .reply(() => {
      calls.fields++;
      const fields: Record<string, unknown>[] = [{ fieldId: "summary", name: "Summary", required: true }];
      if (priorities)
        fields.push({
          fieldId: "priority",
          name: "Priority",
          required: false,
          allowedValues: priorities.map((name, i) => ({ id: String(i + 1), name })),
        });
      return [200, { startAt: 0, maxResults: 100, total: fields.length, fields }];
    });
  return calls;
}

/** Every node of an ADF document is one the format allows, and text nodes are not empty. */
function checkAdf(node: AdfNode): void {
  expect(["doc", "paragraph", "text"]).toContain(node.type);
  if (node.type === "text") {
    expect(typeof node.text).toBe("string");
    expect(node.text!.length).toBeGreaterThan(0);
    for (const mark of node.marks ?? []) expect(["strong", "em", "code", "link"]).toContain(mark.type);
  } else for (const child of node.content ?? []) checkAdf(child);
}

describe("JIRA", () => {
  const setups: Setup[] = [];
  beforeEach(disableNet);
  afterEach(async () => {
    for (const s of setups.splice(0)) await s.manager.stop();
    cleanNock();
  });

  it("creates an issue with basic auth, project, summary, an ADF description, type, priority and labels", async () => {
    const jira = createJira({ site: "acme", email: EMAIL, apiToken: TOKEN, projectKey: "ENG", labels: ["empathy bot", "predictions"] });
    let body: { fields: Record<string, unknown> } | undefined;
    nock("https://acme.atlassian.net", {
      reqheaders: { authorization: BASIC, accept: "application/json", "content-type": "application/json; charset=utf-8" },
    })
      .post("/rest/api/3/issue", (b) => ((body = b), true))
      .reply(201, { id: "10042", key: "ENG-42", self: "https://acme.atlassian.net/rest/api/3/issue/10042" });
    const created = await jira.createIssue(predictionEnvelope({ confidence: 0.95, tags: ["bug", "data loss"] }));
    expect(created).toEqual({
      id: "10042",
      key: "ENG-42",
      self: "https://acme.atlassian.net/rest/api/3/issue/10042",
      url: "https://acme.atlassian.net/browse/ENG-42",
    });
    const fields = body!.fields;
    expect(fields.project).toEqual({ key: "ENG" });
    expect(fields.summary).toBe(
      'Prediction in octo-org/shop#42: Dropping the column "legacy_id" breaks the mobile client, which still reads it.',
    );
    expect(fields.issuetype).toEqual({ name: "Bug" });
    expect(fields.priority).toEqual({ name: "High" });
    expect(fields.labels).toEqual(["empathy-bot", "predictions", "bug", "data-loss"]);
    const description = fields.description as AdfNode & { version: number };
    expect(description.type).toBe("doc");
    expect(description.version).toBe(1);
    checkAdf(description);
    expect(description.content![0]).toEqual({ type: "paragraph", content: [{ type: "text", text: predictionEnvelope().data.prediction }] });
    expect(description.content).toContainEqual({
      type: "paragraph",
      content: [
        { type: "text", text: "Pull request: ", marks: [{ type: "strong" }] },
        { type: "text", text: "octo-org/shop#42", marks: [{ type: "link", attrs: { href: "https://github.com/octo-org/shop/pull/42" } }] },
      ],
    });
    expect(description.content).toContainEqual({
      type: "paragraph",
      content: [
        { type: "text", text: "Evidence: ", marks: [{ type: "strong" }] },
        { type: "text", text: "db/migrate/20250301_drop_legacy_id.sql:3", marks: [{ type: "code" }] },
      ],
    });
  });

  it("is a Bug only when tagged bug, and takes its priority from the severity table, capped by a low confidence", () => {
    expect(jiraIssueType(["security"])).toBe("Task");
    expect(jiraIssueType(["Bug"])).toBe("Bug");
    expect(jiraIssueType(["bug"], { bugIssueType: "Defect", issueType: "Story" })).toBe("Defect");
    // The issue's examples: a critical at 0.85 is not Medium, an info at 0.91 is not High.
    expect(jiraPriority("critical", 0.85)).toBe("Highest");
    expect(jiraPriority("info", 0.91)).toBe("Lowest");
    expect(["critical", "high", "medium", "low", "info"].map((s) => jiraPriority(s as never, 0.95))).toEqual([
      "Highest",
      "High",
      "Medium",
      "Low",
      "Lowest",
    ]);
    expect(jiraPriority("critical", 0.6)).toBe("Medium"); // unsure: at most medium
    expect(jiraPriority("high", 0.4)).toBe("Low"); // very unsure: at most low
    expect(jiraPriority(null)).toBe("Lowest"); // no severity (not a finding): the info row
    expect(jiraPriority("critical", 0.95, { critical: "P1" })).toBe("P1");
    const task = jiraFields(predictionEnvelope({ confidence: 0.9, severity: "medium", tags: ["security"] }), { projectKey: "OPS" });
    expect([task.issuetype, task.priority, task.labels]).toEqual([{ name: "Task" }, { name: "Medium" }, ["empathy-bot", "security"]]);
    expect(jiraFields(predictionEnvelope({ prediction: "x".repeat(400) }), { projectKey: "OPS" }).summary.length).toBeLessThanOrEqual(255);
    // Extra fields are added, never in place of the rules' own.
    const extra = jiraFields(predictionEnvelope(), {
      projectKey: "OPS",
      issueFields: { components: [{ name: "api" }], priority: { name: "Lowest" } },
    });
    expect([extra.components, extra.priority]).toEqual([[{ name: "api" }], { name: "High" }]);
  });

  it("names the site's host", () => {
    expect(jiraBaseUrl("acme")).toBe("https://acme.atlassian.net");
    expect(jiraBaseUrl("acme.atlassian.net")).toBe("https://acme.atlassian.net");
    expect(jiraBaseUrl("https://acme.atlassian.net/")).toBe("https://acme.atlassian.net");
    expect(() => jiraBaseUrl("evil.com/x")).toThrow(/not a JIRA Cloud site/);
  });

  it("reports JIRA's field errors, not retryable", async () => {
    const jira = createJira({ url: "https://jira.acme.test", email: EMAIL, apiToken: TOKEN, projectKey: "ENG" });
    nock("https://jira.acme.test")
      .post("/rest/api/3/issue")
      .reply(400, { errorMessages: [], errors: { priority: "Specify the Priority (name) in the string format" } });
    const err = await jira.createIssue(predictionEnvelope()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrationError);
    expect(err).toMatchObject({
      status: 400,
      retryable: false,
      message: "jira: HTTP 400: JIRA: priority: Specify the Priority (name) in the string format",
    });
  });

  it("opens issues from events through the manager, without the token in logs or the store", async () => {
    const s = nockedManager();
    setups.push(s);
    createJira({ site: "acme.atlassian.net", email: EMAIL, apiToken: TOKEN, projectKey: "ENG", manager: s.manager }).attach();
    const scope = nock("https://acme.atlassian.net", { reqheaders: { authorization: BASIC } })
      .post("/rest/api/3/issue", (b) => b.fields.project.key === "ENG" && b.fields.priority.name === "High")
      .reply(503, "busy", { "Retry-After": "0" })
      .post("/rest/api/3/issue")
      .reply(201, { id: "1", key: "ENG-1", self: "x" });
    await s.manager.start();
    emitPrediction(s.bus);
    await waitFor(async () => (await s.manager.counts()).delivered === 1);
    scope.done();
    expect(storedText(s.store)).not.toContain(TOKEN);
    expect(storedText(s.store)).not.toContain(BASIC.slice(6));
    expect(s.logs.text()).not.toContain(TOKEN);
  });
  it("keeps text from the pull request in literal ADF text nodes: no mention node, no link but the pull request's, no control characters", () => {
    const doc = jiraDescription(toNotice(predictionEnvelope({ prediction: EVIL, recommendation: EVIL, impact: EVIL })));
    checkAdf(doc);
    const nodes: AdfNode[] = [];
    const walk = (n: AdfNode) => (nodes.push(n), n.content?.forEach(walk));
    walk(doc);
    expect(nodes.filter((n) => n.text?.includes("<!channel> @everyone <@U1> [x](https://evil.example) [~admin] {code}"))).toHaveLength(3);
    expect(nodes.some((n) => n.text?.includes("\u0007"))).toBe(false);
    const links = nodes.flatMap((n) => (n.marks ?? []).filter((m) => m.type === "link").map((m) => m.attrs!.href));
    expect(links).toEqual(["https://github.com/octo-org/shop/pull/42"]);
    expect(
      jiraDescription(toNotice(predictionEnvelope({ url: "javascript:alert(1)" as never }))).content.some((p) =>
        JSON.stringify(p).includes("javascript:"),
      ),
    ).toBe(false);
  });

  it("creates Data Center issues through REST v2 with a personal access token and an escaped wiki-markup description", async () => {
    const jira = createJira({
      deployment: "data_center",
      url: "https://jira.acme.test/jira",
      personalAccessToken: "PAT-0123456789abcdef",
      projectKey: "ENG",
    });
    expect(jira.baseUrl).toBe("https://jira.acme.test/jira");
    let body: any;
    nock("https://jira.acme.test", { reqheaders: { authorization: "Bearer PAT-0123456789abcdef" } })
      .post("/jira/rest/api/2/issue", (b) => ((body = b), true))
      .reply(201, { id: "7", key: "ENG-7", self: "https://jira.acme.test/jira/rest/api/2/issue/7" });
    await expect(jira.createIssue(predictionEnvelope({ prediction: EVIL }))).resolves.toMatchObject({
      key: "ENG-7",
      url: "https://jira.acme.test/jira/browse/ENG-7",
    });
    const description = body.fields.description as string;
    expect(typeof description).toBe("string");
    expect(description.startsWith("<\\!channel> \\@everyone <\\@U1> \\[x\\](https://evil.example) \\[\\~admin\\] \\{code\\}")).toBe(true);
    expect(description).toContain("*Pull request:* [octo\\-org/shop\\#42|https://github.com/octo-org/shop/pull/42]");
    // Every [ of the pull request's text is escaped: the only link is ours.
    expect(description.replace(/\\[^]/g, "").match(/\[/g)).toHaveLength(1);
    expect(jiraWikiDescription(toNotice(predictionEnvelope({ prediction: "x".repeat(40_000) }))).length).toBeLessThanOrEqual(32_767);
    expect(() => createJira({ deployment: "data_center", url: "https://jira.acme.test", projectKey: "ENG" })).toThrow(
      /personalAccessToken/,
    );
  });

  it("keeps JIRA's error details in the delivery log, without a credential it echoes", async () => {
    const s = nockedManager();
    setups.push(s);
    createJira({ url: "https://jira.acme.test", email: EMAIL, apiToken: TOKEN, projectKey: "ENG", manager: s.manager }).attach();
    nock("https://jira.acme.test")
      .get(/createmeta/)
      .query(true)
      .reply(503)
      .post("/rest/api/3/issue")
      .reply(400, {
        errorMessages: [`Token ${TOKEN} may not set the reporter`],
        errors: { components: "Component name 'api' is not valid" },
      });
    await s.manager.start();
    emitPrediction(s.bus);
    await waitFor(async () => (await s.manager.counts()).dead === 1);
    const [dead] = await s.manager.getDeliveryLogs();
    expect(dead.error).toBe("HTTP 400: JIRA: Token [secret] may not set the reporter; components: Component name 'api' is not valid");
    expect(JSON.stringify(await s.manager.getDeliveryLogs())).not.toContain(TOKEN);
    expect(s.logs.text()).not.toContain(TOKEN);
  });

  describe("checked against the project's create metadata at start-up (issue 11)", () => {
    function make(options: Partial<Parameters<typeof createJira>[0]> = {}) {
      const s = nockedManager();
      setups.push(s);
      const jira = createJira({
        site: "acme",
        email: EMAIL,
        apiToken: TOKEN,
        projectKey: "ENG",
        manager: s.manager,
        log: s.logs.log,
        ...options,
      });
      jira.attach();
      return { s, jira };
    }

    it("stops start-up naming the project and the priority it lacks", async () => {
      const { s } = make();
      createMeta(nock("https://acme.atlassian.net"), { priorities: ["P1", "P2", "P3"] });
      await expect(s.manager.start()).rejects.toThrow(
        'integrations.jira: JIRA project ENG has no priority "Highest", "High", "Medium", "Low" for Task issues (it has: P1, P2, P3); map the severities to its priorities with priorities: (e.g. { critical: P1 })',
      );
    });

    it("stops start-up naming the project and the issue type it lacks", async () => {
      const { s } = make();
      createMeta(nock("https://acme.atlassian.net"), { types: ["Task", "Story"] });
      const err = await s.manager.start().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IntegrationConfigError);
      expect((err as Error).message).toBe(
        'integrations.jira: JIRA project ENG has no issue type "Bug" (it has: Task, Story); set bug_issue_type to one of them',
      );
    });

    it("stops start-up when the project is not there, and names it", async () => {
      const { s } = make();
      nock("https://acme.atlassian.net")
        .get(/createmeta/)
        .query(true)
        .reply(404, { errorMessages: ["No project could be found with key 'ENG'."], errors: {} });
      await expect(s.manager.start()).rejects.toThrow(
        /^integrations\.jira: could not read its issue types .* for JIRA project ENG: JIRA project ENG was not found, or this account may not create issues in it \(HTTP 404\)$/,
      );
    });

    it("accepts the project's own spelling and the operator's priorities, caches the answer, and leaves out a priority the create screen lacks", async () => {
      const { s, jira } = make({ issueType: "task", bugIssueType: "bug", priorities: { critical: "Highest" } });
      const scope = nock("https://acme.atlassian.net");
      const calls = createMeta(scope, { priorities: null });
      const bodies: any[] = [];
      scope
        .post("/rest/api/3/issue", (b) => (bodies.push(b), true))
        .times(2)
        .reply(201, { id: "1", key: "ENG-1", self: "x" });
      await s.manager.start();
      expect(await jira.verify()).toMatchObject({ projectKey: "ENG" });
      emitPrediction(s.bus, { tags: ["bug"], fingerprint: "a" });
      emitPrediction(s.bus, { tags: [], fingerprint: "b" });
      await waitFor(async () => (await s.manager.counts()).delivered === 2);
      // One look at the metadata (types once, fields once per type), however many issues and checks.
      expect(calls).toEqual({ types: 1, fields: 2 });
      expect(bodies.map((b) => b.fields.issuetype.name).sort()).toEqual(["Bug", "Task"]);
      expect(bodies.every((b) => !("priority" in b.fields))).toBe(true);
      expect(s.logs.lines.map((l) => l.msg)).toContain(
        "integrations.jira: the create screen of Task issues in JIRA project ENG has no priority field: its issues are created without a priority",
      );
    });

    it("starts with a warning when JIRA cannot be reached, and checks again with the next issue", async () => {
      const { s } = make();
      const scope = nock("https://acme.atlassian.net")
        .get(/createmeta/)
        .query(true)
        .reply(503, "down for maintenance");
      await s.manager.start();
      expect(s.logs.lines.map((l) => l.msg)).toContain(
        "integrations.jira: could not check JIRA project ENG's issue types and priorities now; checked again with the next issue",
      );
      scope.done();
      const calls = createMeta(scope);
      scope.post("/rest/api/3/issue").reply(201, { id: "1", key: "ENG-1", self: "x" });
      emitPrediction(s.bus);
      await waitFor(async () => (await s.manager.counts()).delivered === 1);
      await waitFor(() => calls.fields === 2);
      expect(calls.types).toBe(1);
    });

    it("is wired from the operator config (issue_type, bug_issue_type, priorities, deployment)", async () => {
      const s = nockedManager();
      setups.push(s);
      const [jira] = buildIntegrations(
        {
          jira: {
            deployment: "data_center",
            url: "https://jira.acme.test",
            personal_access_token: "PAT-0123456789",
            project_key: "ENG",
            issue_type: "Story",
            bug_issue_type: "Defect",
            priorities: { critical: "Blocker", high: "Critical", medium: "Major", low: "Minor", info: "Trivial" },
          },
        },
        { manager: s.manager, log: s.logs.log },
      );
      attachIntegrations([jira], s.bus);
      createMeta(nock("https://jira.acme.test"), {
        prefix: "/rest/api/2",
        types: ["Story", "Defect"],
        priorities: ["Blocker", "Critical", "Major", "Minor", "Trivial"],
      });
      await s.manager.start();
      expect(s.logs.lines.map((l) => l.msg)).toContain(
        "integrations.jira: JIRA project ENG takes the configured issue types and priorities",
      );
    });
  });
});
