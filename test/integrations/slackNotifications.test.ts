/**
 * Proactive Slack notices of learned patterns: `pattern_learned` through the existing Slack
 * integration (the WebhookManager's outbox), configured in the operator config's
 * `integrations.slack` (`notify_patterns`, `pattern_channel`), with its own message.
 */
import nock from "nock";
import { EmpathyOS } from "../../src/engine/empathyOS.js";
import { attachIntegrations, buildIntegrations, parseIntegrationsConfig } from "../../src/integrations/index.js";
import { slackMessage, slackPatternMessage, slackOptionsFromConfig, slackConfigSchema } from "../../src/integrations/slack.js";
import type { Setup } from "../delivery/helpers.js";
import { analysis, finding } from "../engine/fixtures.js";
import { cleanNock, disableNet, emitPrediction, nockedManager, waitFor } from "./helpers.js";

const TOKEN = "xoxb-1234-5678-abcdefghijklmnop";
const WEBHOOK = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX";
const API = "https://slack.example.test/api";

const learnedData = {
  pattern_id: "pat-6c1f0a2e",
  pattern_name: "js/sql-injection",
  confidence: 0.5,
  user_id: "alice",
  repo: "octo-org/shop",
};
const envelope = { id: "evt-7", event_type: "pattern_learned", timestamp: "2026-11-27T10:00:00.000Z", data: learnedData };

describe("Slack notices of learned patterns", () => {
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

  describe("the message", () => {
    it("names the pattern, its confidence, who it was learned from, and links to the repository's prediction issues", () => {
      const message = slackPatternMessage(envelope, "https://github.com");
      expect(message.text).toBe("Pattern learned in octo-org/shop: js/sql-injection (50%)");
      expect(message.blocks).toEqual([
        { type: "header", text: { type: "plain_text", text: "Pattern learned in octo-org/shop: js/sql-injection", emoji: true } },
        {
          type: "section",
          // verbatim: Slack's automatic parsing stays off where text from events is shown (issue 11).
          text: {
            type: "mrkdwn",
            verbatim: true,
            text: "The Empathy bot learned the pattern *js/sql-injection* in octo-org/shop, from the pull requests of alice. It now weighs what it reports there with it.",
          },
        },
        {
          type: "section",
          fields: [
            { type: "mrkdwn", verbatim: true, text: "*Pattern*\njs/sql-injection" },
            { type: "mrkdwn", text: "*Confidence*\n50%" },
            { type: "mrkdwn", verbatim: true, text: "*Learned from*\nalice" },
            { type: "mrkdwn", verbatim: true, text: "*Repository*\nocto-org/shop" },
          ],
        },
        { type: "context", elements: [{ type: "mrkdwn", text: "Empathy | Confidence: 50%" }] },
        {
          type: "actions",
          elements: [
            {
              type: "button",
              text: { type: "plain_text", text: "View prediction issues", emoji: true },
              url: "https://github.com/octo-org/shop/issues?q=is%3Aissue%20label%3A%22empathy%3A%20prediction%22",
              action_id: "empathy_view_pattern",
            },
          ],
        },
      ]);
      expect(slackMessage(envelope)).toEqual(slackPatternMessage(envelope));
    });

    it("links to the pull request when the event carries its URL, to a GHE host otherwise, and escapes mrkdwn", () => {
      const withPr = slackPatternMessage({
        ...envelope,
        data: { ...learnedData, url: "https://github.com/octo-org/shop/pull/9", pr_number: 9 },
      });
      expect(withPr.blocks!.at(-1)).toMatchObject({
        elements: [{ text: { text: "View pull request" }, url: "https://github.com/octo-org/shop/pull/9" }],
      });
      const ghe = slackPatternMessage(envelope, "https://ghe.example.com/");
      expect((ghe.blocks!.at(-1) as any).elements[0].url).toMatch(/^https:\/\/ghe\.example\.com\/octo-org\/shop\/issues\?q=/);
      const odd = slackPatternMessage({ ...envelope, data: { ...learnedData, pattern_name: "<b>&", user_id: "<@U1>" } });
      expect(JSON.stringify(odd.blocks)).toContain("&lt;b&gt;&amp;");
      expect(JSON.stringify(odd.blocks)).not.toContain("<@U1>");
      // Missing pieces are left out rather than invented.
      const bare = slackPatternMessage({ ...envelope, data: { pattern_id: "pat-1" } });
      expect(bare.text).toBe("Pattern learned: pat-1");
      expect(bare.blocks!.map((b) => b.type)).toEqual(["header", "section", "section", "context"]);
    });
  });

  describe("the operator config", () => {
    it("notify_patterns adds pattern_learned to the events; pattern_channel implies it", () => {
      const parse = (c: unknown) => slackOptionsFromConfig(slackConfigSchema.parse(c));
      expect(parse({ webhook_url: WEBHOOK, notify_patterns: true }).events).toEqual(["level_4_prediction", "pattern_learned"]);
      expect(parse({ webhook_url: WEBHOOK, notify_patterns: "true" }).events).toEqual(["level_4_prediction", "pattern_learned"]);
      expect(parse({ webhook_url: WEBHOOK, events: ["*"], notify_patterns: true }).events).toEqual(["*"]);
      expect(parse({ webhook_url: WEBHOOK, events: ["pattern_learned"], notify_patterns: true }).events).toEqual(["pattern_learned"]);
      expect(parse({ webhook_url: WEBHOOK }).events).toBeUndefined();
      expect(parse({ bot_token: TOKEN, channel: "C1", pattern_channel: "C2" })).toMatchObject({
        events: ["level_4_prediction", "pattern_learned"],
        patternChannel: "C2",
      });
      expect(parse({ bot_token: TOKEN, channel: "C1", pattern_channel: "C2", notify_patterns: false }).events).toBeUndefined();
    });

    it("refuses pattern_channel with an incoming webhook, naming the key", () => {
      expect(() => parseIntegrationsConfig({ slack: { webhook_url: WEBHOOK, pattern_channel: "#patterns" } })).toThrow(
        /integrations\.slack\.pattern_channel: needs bot_token and channel instead of webhook_url/,
      );
      expect(() => parseIntegrationsConfig({ slack: { webhook_url: WEBHOOK, notify_patterns: "yes" } })).toThrow(
        /integrations\.slack\.notify_patterns: must be true or false/,
      );
    });
  });

  describe("through the manager", () => {
    it("posts a learned pattern to pattern_channel with chat.postMessage, predictions to the main channel", async () => {
      const { bus, manager } = make();
      const [slack] = buildIntegrations(
        { slack: { bot_token: TOKEN, channel: "C0MAIN", pattern_channel: "C0PATTERNS", api_url: API } },
        { manager },
      );
      attachIntegrations([slack], bus);
      expect(slack.registrationIds).toEqual(["integration:slack:level_4_prediction", "integration:slack:pattern_learned"]);
      const bodies: any[] = [];
      nock("https://slack.example.test", { reqheaders: { authorization: `Bearer ${TOKEN}` } })
        .post("/api/chat.postMessage", (b) => (bodies.push(b), true))
        .times(2)
        .reply(200, { ok: true, ts: "1712345678.000100" });
      await manager.start();
      bus.emit({ type: "pattern_learned", data: learnedData });
      emitPrediction(bus);
      await waitFor(async () => (await manager.counts()).delivered === 2);
      const byChannel = Object.fromEntries(bodies.map((b) => [b.channel, b]));
      expect(Object.keys(byChannel).sort()).toEqual(["C0MAIN", "C0PATTERNS"]);
      expect(byChannel.C0PATTERNS.text).toBe("Pattern learned in octo-org/shop: js/sql-injection (50%)");
      expect(byChannel.C0MAIN.text).toMatch(/^Prediction in octo-org\/shop#42/);
    });

    it("sends the pattern the engine learns (second pull request with the same finding) to the incoming webhook, once", async () => {
      const { bus, manager, store } = make();
      const [slack] = buildIntegrations({ slack: { webhook_url: WEBHOOK, notify_patterns: true } }, { manager });
      attachIntegrations([slack], bus);
      const bodies: any[] = [];
      nock("https://hooks.slack.com")
        .post("/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", (b) => (bodies.push(b), true))
        .reply(200, "ok");
      await manager.start();
      const engine = new EmpathyOS({ eventBus: bus, state: store });
      const a = analysis([finding("js/sql-injection")]);
      for (const n of [1, 2, 3]) {
        await engine.interact({
          userId: "alice",
          input: "Add export",
          context: { repo: "octo-org/shop", pr_number: n, url: `https://github.com/octo-org/shop/pull/${n}`, analysis: a },
        });
      }
      await waitFor(async () => (await manager.counts()).delivered === 1);
      await bus.settled();
      expect(bodies).toHaveLength(1);
      expect(bodies[0].text).toBe("Pattern learned in octo-org/shop: js/sql-injection (50%)");
      expect(JSON.stringify(bodies[0].blocks)).toContain("*Learned from*\\nalice");
      const deliveries = await manager.getDeliveryLogs();
      expect(deliveries.map((d) => d.status)).toEqual(["delivered"]);
    });
  });
});
