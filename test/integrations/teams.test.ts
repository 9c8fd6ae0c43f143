/**
 * Microsoft Teams through a Workflows webhook
 * (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook):
 * a message whose attachment is an Adaptive Card 1.4, answered 202.
 */
import nock from "nock";
import {
  ADAPTIVE_CARD_SCHEMA,
  adaptiveCard,
  createTeams,
  fittedTeamsMessage,
  TEAMS_BODY_LIMIT_BYTES,
} from "../../src/integrations/teams.js";
import { toNotice } from "../../src/integrations/notice.js";
import { setup, type Setup } from "../delivery/helpers.js";
import { cleanNock, disableNet, emitPrediction, nockedManager, predictionEnvelope, storedText, waitFor } from "./helpers.js";
import { StandIn, WindowLimit } from "./standIn.js";

const EVIL = "<!channel> @everyone <@U1> [x](https://evil.example) <at>Everyone</at> **bold**";

/** Every element of a card, depth first. */
function elements(node: unknown): Record<string, unknown>[] {
  if (Array.isArray(node)) return node.flatMap(elements);
  if (node === null || typeof node !== "object") return [];
  const o = node as Record<string, unknown>;
  return [o, ...Object.values(o).flatMap(elements)];
}

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

  it("POSTs a message with an Adaptive Card attachment to the Workflows URL; 202 is recorded as accepted, not delivered", async () => {
    const s = nockedManager();
    setups.push(s);
    createTeams({ webhookUrl: URL_, manager: s.manager }).attach();
    let body: any;
    const scope = nock(HOST)
      .post(`${PATH}?${QUERY}`, (b) => ((body = b), true))
      .reply(202);
    await s.manager.start();
    emitPrediction(s.bus);
    await waitFor(async () => (await s.manager.counts()).delivered === 1);
    scope.done();
    // Workflows answers 202 before the flow posts the card: the log says accepted, never delivered.
    const [attempt] = await s.manager.getDeliveryLogs();
    expect([attempt.status, attempt.statusCode]).toEqual(["accepted", 202]);
    expect(await s.manager.getDeliveryLogs({ status: "delivered" })).toEqual([]);
    expect(await s.manager.getDeliveryLogs({ status: "accepted" })).toHaveLength(1);
    expect(s.logs.lines.map((l) => l.msg)).toContain("webhook accepted: the service processes it later and does not report the outcome");
    expect(s.logs.lines.map((l) => l.msg)).not.toContain("webhook delivered");
    expect(body.type).toBe("message");
    expect(body.attachments).toHaveLength(1);
    const [attachment] = body.attachments;
    expect(attachment.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(attachment.contentUrl).toBeNull();
    const card = attachment.content;
    expect([card.$schema, card.type, card.version]).toEqual([ADAPTIVE_CARD_SCHEMA, "AdaptiveCard", "1.4"]);
    // Text from the pull request goes in TextRuns (no markdown); the FactSet holds our own values only (issue 11).
    expect(card.body[0]).toEqual({
      type: "RichTextBlock",
      inlines: [{ type: "TextRun", text: expect.stringMatching(/^Prediction in octo-org\/shop#42: /), size: "Large", weight: "Bolder" }],
    });
    expect(card.body[1]).toEqual({ type: "RichTextBlock", inlines: [{ type: "TextRun", text: predictionEnvelope().data.prediction }] });
    expect(card.body[2]).toEqual({
      type: "FactSet",
      facts: [
        { title: "Confidence", value: "92%" },
        { title: "Severity", value: "high" },
      ],
    });
    const line = (label: string, value: string) => ({
      type: "RichTextBlock",
      inlines: [
        { type: "TextRun", text: `${label}: `, weight: "Bolder" },
        { type: "TextRun", text: value },
      ],
    });
    expect(card.body.slice(3, 7)).toEqual([
      line("Repository", "octo-org/shop#42"),
      line("Evidence", "db/migrate/20250301_drop_legacy_id.sql:3"),
      line("Tags", "breaking-change, database"),
      line("Recommendation", "Keep the column one more release and stop reading it in the client first."),
    ]);
    expect(card.body.at(-1)).toMatchObject({
      type: "TextBlock",
      text: "Empathy Level 4 | Confidence: 92%",
      isSubtle: true,
      color: "Attention",
    });
    expect(card.actions).toEqual([{ type: "Action.OpenUrl", title: "View pull request", url: "https://github.com/octo-org/shop/pull/42" }]);
    // The URL's signature stays out of logs and the store.
    expect(s.logs.text()).not.toContain("S1GNATURE");
    expect(storedText(s.store)).not.toContain("S1GNATURE");
  });

  it("only uses elements of Adaptive Cards 1.4, and no button without a link", () => {
    const card = adaptiveCard(toNotice(predictionEnvelope({ url: null })));
    const types = new Set(card.body.map((e) => e.type));
    expect([...types].every((t) => ["TextBlock", "RichTextBlock", "FactSet"].includes(String(t)))).toBe(true);
    expect(card.actions).toBeUndefined();
  });

  it("shows the flow's error code and does not retry a refused request", async () => {
    const s = nockedManager();
    setups.push(s);
    createTeams({ webhookUrl: URL_, manager: s.manager }).attach();
    nock(HOST)
      .post(`${PATH}?${QUERY}`)
      .reply(400, {
        error: {
          code: "TriggerInputSchemaMismatch",
          message: "The input body for trigger 'manual' of type 'Request' did not match its schema definition.",
        },
      });
    await s.manager.start();
    emitPrediction(s.bus);
    await waitFor(async () => (await s.manager.counts()).dead === 1);
    expect((await s.manager.getDeliveryLogs())[0].error).toMatch(/^HTTP 400: Teams: TriggerInputSchemaMismatch: The input body/);
  });

  it("post, a direct call", async () => {
    const teams = createTeams({ webhookUrl: URL_ });
    const card = adaptiveCard(toNotice(predictionEnvelope()));
    const scope = nock(HOST)
      .post(`${PATH}?${QUERY}`, {
        type: "message",
        attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null, content: card }],
      } as never)
      .reply(202);
    await teams.post(card);
    scope.done();
  });
  describe("text from the pull request (issue 11)", () => {
    it("goes only in TextRuns, which render no markdown: no link, no mention; markdown elements hold our own words", () => {
      const card = adaptiveCard(
        toNotice(predictionEnvelope({ prediction: EVIL, recommendation: EVIL, tags: [EVIL], repo: "octo-org/shop" })),
      );
      const all = elements(card.body);
      const markdown = all.filter((e) => e.type === "TextBlock" || e.type === "FactSet");
      expect(JSON.stringify(markdown)).not.toMatch(/evil\.example|@everyone|<at>|channel/);
      const runs = all.filter((e) => e.type === "TextRun").map((e) => String(e.text));
      expect(runs).toContain(EVIL);
      expect(runs.filter((t) => t.includes(EVIL))).toHaveLength(4); // title, text, tags, recommendation
      // No msteams.entities: an <at> can never become a mention; the only action is ours.
      expect(card.msteams).toEqual({ width: "Full" });
      expect(card.actions).toEqual([
        { type: "Action.OpenUrl", title: "View pull request", url: "https://github.com/octo-org/shop/pull/42" },
      ]);
      expect(adaptiveCard(toNotice(predictionEnvelope({ url: "javascript:alert(1)" as never }))).actions).toBeUndefined();
    });
  });

  describe("size and pace (issue 11: Teams counts its ~28 KB in bytes; more than 4 requests a second are throttled)", () => {
    const SCALE = 0.2; // Teams' second is 200 ms here
    const stands: StandIn[] = [];
    afterEach(async () => {
      for (const st of stands.splice(0)) await st.close();
    });

    it("keeps a CJK prediction's body under the limit in UTF-8 bytes, cutting the text, not the card", () => {
      const cjk = "移行によりモバイルクライアントが壊れます。".repeat(2500); // 52,500 characters, 157 KB
      const message = fittedTeamsMessage(toNotice(predictionEnvelope({ prediction: cjk, recommendation: cjk })));
      const bytes = Buffer.byteLength(JSON.stringify(message), "utf8");
      expect(bytes).toBeLessThanOrEqual(TEAMS_BODY_LIMIT_BYTES);
      expect(bytes).toBeGreaterThan(TEAMS_BODY_LIMIT_BYTES - 64); // cut to the limit, not far under it
      const card = message.attachments[0].content;
      const text = (card.body[1] as any).inlines[0].text as string;
      expect(text.endsWith("…")).toBe(true);
      expect(card.actions).toHaveLength(1); // the button stays
      expect(JSON.stringify(message)).not.toContain("\uFFFD");
    });

    it("passes a stand-in that refuses bodies over 28 KB", async () => {
      const stand = await new StandIn((req, _at, st) => {
        if (Buffer.byteLength(req.body, "utf8") <= 28 * 1024) return { status: 202 };
        st.refused++;
        return { status: 413, body: { error: { code: "MessageSizeExceeded", message: "The message is too large." } } };
      }).listen();
      stands.push(stand);
      const s = setup();
      setups.push(s);
      createTeams({
        webhookUrl: stand.url("/workflows/1/triggers/manual/paths/invoke?sig=S"),
        timeScale: SCALE,
        manager: s.manager,
      }).attach();
      await s.manager.start();
      const cjk = "移行によりモバイルクライアントが壊れます。".repeat(1000); // 63 KB of UTF-8, 21,000 characters
      for (let i = 0; i < 2; i++) emitPrediction(s.bus, { fingerprint: `f${i}`, prediction: cjk, recommendation: cjk });
      await waitFor(async () => (await s.manager.getDeliveryLogs({ status: "accepted" })).length === 2, 10_000, "2 cards accepted");
      expect(stand.refused).toBe(0);
      expect(stand.requests.every((r) => Buffer.byteLength(r.body, "utf8") <= TEAMS_BODY_LIMIT_BYTES)).toBe(true);
    });

    it("sends one request at a time, under four a second: a stand-in that throttles above that never has to", async () => {
      const rate = new WindowLimit(4, 1000 * SCALE);
      const stand = await new StandIn((_req, at, st) => {
        const r = rate.take("hook", at);
        if (r.ok) return { status: 202, delayMs: 5 };
        st.refused++;
        if (r.afterRefusal) st.violations++;
        return { status: 429, headers: { "retry-after": "1" } };
      }).listen();
      stands.push(stand);
      const s = setup();
      setups.push(s);
      createTeams({
        webhookUrl: stand.url("/workflows/1/triggers/manual/paths/invoke?sig=S"),
        timeScale: SCALE,
        manager: s.manager,
      }).attach();
      await s.manager.start();
      for (let i = 0; i < 6; i++) emitPrediction(s.bus, { fingerprint: `f${i}` });
      await waitFor(async () => (await s.manager.getDeliveryLogs({ status: "accepted" })).length === 6, 10_000, "6 cards accepted");
      expect(stand.refused).toBe(0);
      expect(stand.maxInFlight).toBe(1);
    });
  });
});
