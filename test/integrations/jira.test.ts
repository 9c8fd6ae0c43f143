/**
 * JIRA Cloud REST v3, create issue
 * (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-post):
 * basic auth with email and API token, the fields, the description in Atlassian Document
 * Format, and the priority and issue type rules.
 */
import nock from "nock";
import { IntegrationError } from "../../src/integrations/common.js";
import { createJira, jiraBaseUrl, jiraFields, jiraIssueType, jiraPriority, type AdfNode } from "../../src/integrations/jira.js";
import type { Setup } from "../webhooks/helpers.js";
import { cleanNock, disableNet, emitPrediction, nockedManager, predictionEnvelope, storedText, waitFor } from "./helpers.js";

const EMAIL = "empathy-bot@acme.com";
const TOKEN = "ATATT3xFfGF0-jira-token";
const BASIC = `Basic ${Buffer.from(`${EMAIL}:${TOKEN}`).toString("base64")}`;

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
    nock("https://acme.atlassian.net", { reqheaders: { authorization: BASIC, accept: "application/json", "content-type": "application/json; charset=utf-8" } })
      .post("/rest/api/3/issue", (b) => ((body = b), true))
      .reply(201, { id: "10042", key: "ENG-42", self: "https://acme.atlassian.net/rest/api/3/issue/10042" });
    const created = await jira.createIssue(predictionEnvelope({ confidence: 0.95, tags: ["bug", "data loss"] }));
    expect(created).toEqual({ id: "10042", key: "ENG-42", self: "https://acme.atlassian.net/rest/api/3/issue/10042", url: "https://acme.atlassian.net/browse/ENG-42" });
    const fields = body!.fields;
    expect(fields.project).toEqual({ key: "ENG" });
    expect(fields.summary).toBe('Prediction in octo-org/shop#42: Dropping the column "legacy_id" breaks the mobile client, which still reads it.');
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

  it("is a Bug only when tagged bug, and High only above 0.90 confidence", () => {
    expect(jiraIssueType(["security"])).toBe("Task");
    expect(jiraIssueType(["Bug"])).toBe("Bug");
    expect(jiraPriority(0.9)).toBe("Medium");
    expect(jiraPriority(0.9001)).toBe("High");
    expect(jiraPriority(null)).toBe("Medium");
    expect(jiraPriority(0.8, 0.75)).toBe("High");
    const task = jiraFields(predictionEnvelope({ confidence: 0.9, tags: ["security"] }), { projectKey: "OPS" });
    expect([task.issuetype, task.priority, task.labels]).toEqual([{ name: "Task" }, { name: "Medium" }, ["empathy-bot", "security"]]);
    expect(jiraFields(predictionEnvelope({ prediction: "x".repeat(400) }), { projectKey: "OPS" }).summary.length).toBeLessThanOrEqual(255);
    // Extra fields are added, never in place of the rules' own.
    const extra = jiraFields(predictionEnvelope(), { projectKey: "OPS", issueFields: { components: [{ name: "api" }], priority: { name: "Lowest" } } });
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
    expect(err).toMatchObject({ status: 400, retryable: false, message: "jira: HTTP 400: JIRA: priority: Specify the Priority (name) in the string format" });
  });

  it("opens issues from events through the manager, without the token in logs or the store", async () => {
    const s = nockedManager();
    setups.push(s);
    createJira({ site: "acme.atlassian.net", email: EMAIL, apiToken: TOKEN, projectKey: "ENG", manager: s.manager }).attach(s.bus);
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
});
