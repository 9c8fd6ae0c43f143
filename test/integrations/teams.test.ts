/**
 * Microsoft Teams through a Workflows webhook
 * (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook):
 * a message whose attachment is an Adaptive Card 1.4, answered 202.
 */
import nock from "nock";
import { ADAPTIVE_CARD_SCHEMA, adaptiveCard, createTeams } from "../../src/integrations/teams.js";
import { toNotice } from "../../src/integrations/notice.js";
import type { Setup } from "../webhooks/helpers.js";
import { cleanNock, disableNet, emitPrediction, nockedManager, predictionEnvelope, storedText, waitFor } from "./helpers.js";

const HOST = "https://prod-12.westeurope.logic.azure.com:443";
const PATH = "/workflows/0123abcd/triggers/manual/paths/invoke";
const QUERY = "api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=S1GNATURE-abcdef";
const URL_ = `${HOST}${PATH}?${QUERY}`;

describe("Microsoft Teams", () => {
  const setups: Setup[] = [];
  beforeEach(disableNet);
  afterEach(async () => {
    for (const s of setups.splice(0)) await s.manager.stop();
    cleanNock();
  });

  it("POSTs a message with an Adaptive Card attachment to the Workflows URL; 202 is delivered", async () => {
    const s = nockedManager();
    setups.push(s);
    createTeams({ webhookUrl: URL_, manager: s.manager }).attach(s.bus);
    let body: any;
    const scope = nock(HOST)
      .post(`${PATH}?${QUERY}`, (b) => ((body = b), true))
      .reply(202);
    await s.manager.start();
    emitPrediction(s.bus);
    await waitFor(async () => (await s.manager.counts()).delivered === 1);
    scope.done();
    expect(body.type).toBe("message");
    expect(body.attachments).toHaveLength(1);
    const [attachment] = body.attachments;
    expect(attachment.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(attachment.contentUrl).toBeNull();
    const card = attachment.content;
    expect([card.$schema, card.type, card.version]).toEqual([ADAPTIVE_CARD_SCHEMA, "AdaptiveCard", "1.4"]);
    expect(card.body[0]).toMatchObject({ type: "TextBlock", size: "Large", weight: "Bolder", wrap: true, text: expect.stringMatching(/^Prediction in octo-org\/shop#42: /) });
    expect(card.body[1]).toEqual({ type: "TextBlock", text: predictionEnvelope().data.prediction, wrap: true });
    expect(card.body[2]).toEqual({
      type: "FactSet",
      facts: [
        { title: "Confidence", value: "92%" },
        { title: "Severity", value: "high" },
        { title: "Repository", value: "octo-org/shop#42" },
        { title: "Evidence", value: "db/migrate/20250301_drop_legacy_id.sql:3" },
        { title: "Tags", value: "breaking-change, database" },
      ],
    });
    expect(card.body.at(-1)).toMatchObject({ type: "TextBlock", text: "Empathy Level 4 | Confidence: 92%", isSubtle: true, color: "Attention" });
    expect(card.actions).toEqual([{ type: "Action.OpenUrl", title: "View pull request", url: "https://github.com/octo-org/shop/pull/42" }]);
    // The URL's signature stays out of logs and the store.
    expect(s.logs.text()).not.toContain("S1GNATURE");
    expect(storedText(s.store)).not.toContain("S1GNATURE");
  });

  it("only uses elements of Adaptive Cards 1.4, and no button without a link", () => {
    const card = adaptiveCard(toNotice(predictionEnvelope({ url: null })));
    const types = new Set(card.body.map((e) => e.type));
    expect([...types].every((t) => ["TextBlock", "FactSet"].includes(String(t)))).toBe(true);
    expect(card.actions).toBeUndefined();
  });

  it("shows the flow's error code and does not retry a refused request", async () => {
    const s = nockedManager();
    setups.push(s);
    createTeams({ webhookUrl: URL_, manager: s.manager }).attach(s.bus);
    nock(HOST)
      .post(`${PATH}?${QUERY}`)
      .reply(400, { error: { code: "TriggerInputSchemaMismatch", message: "The input body for trigger 'manual' of type 'Request' did not match its schema definition." } });
    await s.manager.start();
    emitPrediction(s.bus);
    await waitFor(async () => (await s.manager.counts()).dead === 1);
    expect((await s.manager.getDeliveryLogs())[0].error).toMatch(/^HTTP 400: Teams: TriggerInputSchemaMismatch: The input body/);
  });

  it("post, a direct call", async () => {
    const teams = createTeams({ webhookUrl: URL_ });
    const card = adaptiveCard(toNotice(predictionEnvelope()));
    const scope = nock(HOST)
      .post(`${PATH}?${QUERY}`, { type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null, content: card }] } as never)
      .reply(202);
    await teams.post(card);
    scope.done();
  });
});
