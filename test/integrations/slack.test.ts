/**
 * Slack: incoming webhooks and chat.postMessage, as Slack documents them
 * (https://api.slack.com/messaging/webhooks, https://api.slack.com/methods/chat.postMessage),
 * answered by nock at the network edge; events go through the WebhookManager.
 */
import nock from "nock";
import { IntegrationError } from "../../src/integrations/common.js";
import { createSlack, interpretSlackResponse, slackMessage } from "../../src/integrations/slack.js";
import { setup, type Setup } from "../delivery/helpers.js";
import { cleanNock, disableNet, emitPrediction, nockedManager, predictionEnvelope, storedText, waitFor } from "./helpers.js";
import { StandIn, TokenBucket } from "./standIn.js";

/** What a pull request can write to try to ping a team or plant a link. */
const EVIL = "<!channel> @everyone <@U1> [x](https://evil.example) & more";

const WEBHOOK = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX";
const TOKEN = "xoxb-1234-5678-abcdefghijklmnop";

describe("Slack", () => {
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
    it("has a header, the prediction, confidence and severity, the context line and a button to the pull request", () => {
      const { text, blocks } = slackMessage(predictionEnvelope());
      expect(text).toBe(
        'Prediction in octo-org/shop#42: Dropping the column "legacy_id" breaks the mobile client, which still reads it. (92%)',
      );
      expect(blocks).toEqual([
        {
          type: "header",
          text: {
            type: "plain_text",
            text: 'Prediction in octo-org/shop#42: Dropping the column "legacy_id" breaks the mobile client, which still reads it.',
            emoji: true,
          },
        },
        // verbatim: Slack's automatic parsing stays off where text from the pull request is shown (issue 11).
        {
          type: "section",
          text: {
            type: "mrkdwn",
            verbatim: true,
            text: expect.stringMatching(/^Dropping the column "legacy_id" breaks .* crash on login\.$/),
          },
        },
        {
          type: "section",
          fields: [
            { type: "mrkdwn", text: "*Confidence*\n92%" },
            { type: "mrkdwn", text: "*Severity*\n:large_orange_circle: high" },
            { type: "mrkdwn", verbatim: true, text: "*Repository*\nocto-org/shop#42" },
            { type: "mrkdwn", verbatim: true, text: "*Evidence*\n`db/migrate/20250301_drop_legacy_id.sql:3`" },
          ],
        },
        {
          type: "section",
          text: {
            type: "mrkdwn",
            verbatim: true,
            text: "*Recommendation:* Keep the column one more release and stop reading it in the client first.",
          },
        },
        { type: "context", elements: [{ type: "mrkdwn", text: "Empathy Level 4 | Confidence: 92%" }] },
        {
          type: "actions",
          elements: [
            {
              type: "button",
              text: { type: "plain_text", text: "View pull request", emoji: true },
              url: "https://github.com/octo-org/shop/pull/42",
              action_id: "empathy_open_pr",
            },
          ],
        },
      ]);
    });

    it("escapes mrkdwn control characters and keeps Slack's block limits", () => {
      const { blocks } = slackMessage(predictionEnvelope({ prediction: `<!channel> a & b ${"x".repeat(5000)}` }));
      const header = (blocks![0] as { text: { text: string } }).text.text;
      const section = (blocks![1] as { text: { text: string } }).text.text;
      expect(header.length).toBeLessThanOrEqual(150);
      expect(section.length).toBe(3000);
      expect(section.startsWith("&lt;!channel&gt; a &amp; b")).toBe(true);
    });
  });

  describe("incoming webhook, through the manager", () => {
    it("POSTs { text, blocks } to the webhook URL, signed with a webhook-id, and only events over min_confidence", async () => {
      const { bus, manager, store, logs } = make();
      const slack = createSlack({ webhookUrl: WEBHOOK, minConfidence: 0.85, manager });
      slack.attach();
      expect(slack.registrationIds).toEqual(["integration:slack:level_4_prediction"]);
      let received: { headers: Record<string, string>; body: unknown } | undefined;
      const scope = nock("https://hooks.slack.com")
        .post("/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX")
        .reply(function (_uri, body) {
          received = { headers: this.req.headers as Record<string, string>, body };
          return [200, "ok", { "content-type": "text/plain" }];
        });
      await manager.start();
      emitPrediction(bus, { confidence: 0.5 });
      emitPrediction(bus);
      await waitFor(async () => (await manager.counts()).delivered === 1);
      scope.done();
      expect(await manager.getDeliveryLogs()).toHaveLength(1); // the 0.5 prediction was never queued
      expect(received!.headers["content-type"]).toBe("application/json");
      expect(received!.headers["webhook-id"]).toMatch(/^msg_/);
      expect(received!.body).toEqual(slackMessage(predictionEnvelope()));
      // The webhook URL's path is its secret: logs and stored rows name the origin only.
      expect(logs.text()).not.toContain("XXXXXXXXXXXXXXXXXXXXXXXX");
      expect(JSON.stringify(await manager.getDeliveryLogs())).not.toContain("XXXXXXXXXXXXXXXXXXXXXXXX");
      expect(manager.list()[0].origin).toBe("https://hooks.slack.com");
      expect(storedText(store)).not.toContain("T00000000/B00000000");
    });

    it("shows Slack's plain-text error code and does not retry a 400 invalid_payload; a 410 disables the registration", async () => {
      const { bus, manager } = make();
      createSlack({ webhookUrl: WEBHOOK, manager }).attach();
      nock("https://hooks.slack.com").post(/.*/).reply(400, "invalid_payload").post(/.*/).reply(410, "channel_is_archived");
      await manager.start();
      emitPrediction(bus);
      await waitFor(async () => (await manager.counts()).dead === 1);
      expect((await manager.getDeliveryLogs())[0]).toMatchObject({
        status: "dead",
        statusCode: 400,
        error: "HTTP 400: Slack error invalid_payload",
      });
      emitPrediction(bus, { fingerprint: "another-prediction" }); // the same one again would not be re-sent
      await waitFor(async () => manager.list()[0].disabled);
    });
  });

  describe("chat.postMessage, through the manager", () => {
    const API = "https://slack.example.test/api";

    it("POSTs { channel, text, blocks } with the bot token to the configured API, retrying ok:false ratelimited", async () => {
      const { bus, manager, store, logs } = make();
      createSlack({ botToken: TOKEN, channel: "C0123ABCD", apiUrl: API, manager }).attach();
      const bodies: unknown[] = [];
      const auth: string[] = [];
      const scope = nock("https://slack.example.test")
        .post("/api/chat.postMessage")
        .times(2)
        .reply(function (_uri, body) {
          bodies.push(body);
          auth.push(String(this.req.headers.authorization));
          expect(this.req.headers["content-type"]).toBe("application/json; charset=utf-8");
          return bodies.length === 1
            ? [200, { ok: false, error: "ratelimited" }]
            : [200, { ok: true, channel: "C0123ABCD", ts: "1712345678.000100" }];
        });
      await manager.start();
      emitPrediction(bus);
      await waitFor(async () => (await manager.counts()).delivered === 1);
      scope.done();
      expect(auth).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
      expect(bodies[0]).toEqual({ channel: "C0123ABCD", ...slackMessage(predictionEnvelope()) });
      const attempts = await manager.getDeliveryLogs();
      expect(attempts.map((a) => [a.status, a.statusCode, a.error])).toEqual([
        ["delivered", 200, null],
        ["failed", 200, "HTTP 200: Slack error ratelimited"],
      ]);
      expect(logs.text()).not.toContain(TOKEN);
      expect(storedText(store)).not.toContain(TOKEN);
    });

    it("dead-letters ok:false channel_not_found at once (a 200 that is not a success)", async () => {
      const { bus, manager } = make();
      createSlack({ botToken: TOKEN, channel: "C404", apiUrl: API, manager }).attach();
      nock("https://slack.example.test").post("/api/chat.postMessage").reply(200, { ok: false, error: "channel_not_found" });
      await manager.start();
      emitPrediction(bus);
      await waitFor(async () => (await manager.counts()).dead === 1);
      expect((await manager.getDeliveryLogs())[0]).toMatchObject({
        attempt: 1,
        status: "dead",
        error: "HTTP 200: Slack error channel_not_found",
      });
    });

    it("waits the Retry-After of a 429 before the next attempt", async () => {
      const { bus, manager } = make();
      createSlack({ botToken: TOKEN, channel: "C0123ABCD", apiUrl: API, manager }).attach();
      nock("https://slack.example.test")
        .post("/api/chat.postMessage")
        .reply(429, { ok: false, error: "ratelimited" }, { "Retry-After": "1" });
      nock("https://slack.example.test").post("/api/chat.postMessage").reply(200, { ok: true, ts: "1.2" });
      await manager.start();
      emitPrediction(bus);
      await waitFor(async () => (await manager.counts()).delivered === 1, 5000);
      const [delivered, limited] = await manager.getDeliveryLogs();
      expect(limited.statusCode).toBe(429);
      expect(Date.parse(limited.nextAttemptAt!) - Date.parse(limited.attemptedAt)).toBeGreaterThanOrEqual(1000);
      expect(Date.parse(delivered.attemptedAt)).toBeGreaterThanOrEqual(Date.parse(limited.nextAttemptAt!));
    });

    it("needs a channel to send events with a token, and a manager to attach", () => {
      const { manager } = make();
      expect(() => createSlack({ botToken: TOKEN, manager }).attach()).toThrow(/needs a channel/);
      expect(() => createSlack({ webhookUrl: WEBHOOK }).attach()).toThrow(/WebhookManager/);
      expect(() => createSlack({})).toThrow(/webhookUrl .* or a botToken/);
    });
  });

  describe("direct calls", () => {
    it("postMessage returns the channel and ts", async () => {
      const slack = createSlack({ botToken: TOKEN, channel: "C0123ABCD" });
      nock("https://slack.com", { reqheaders: { authorization: `Bearer ${TOKEN}` } })
        .post("/api/chat.postMessage", { channel: "C999", text: "hello", thread_ts: "1.1" })
        .reply(200, { ok: true, channel: "C999", ts: "1712345678.000200", message: { text: "hello" } });
      await expect(slack.postMessage({ channel: "C999", text: "hello", threadTs: "1.1" })).resolves.toEqual({
        channel: "C999",
        ts: "1712345678.000200",
      });
    });

    it("throws IntegrationError for ok:false (retryable only when rate limited) and for a 429 with its Retry-After", async () => {
      const slack = createSlack({ botToken: TOKEN, channel: "C1" });
      nock("https://slack.com").post("/api/chat.postMessage").reply(200, { ok: false, error: "invalid_auth" });
      const denied = await slack.postMessage({ text: "x" }).catch((e: unknown) => e);
      expect(denied).toBeInstanceOf(IntegrationError);
      expect(denied).toMatchObject({
        service: "slack",
        status: 200,
        retryable: false,
        message: "slack: HTTP 200: Slack error invalid_auth",
      });
      expect((denied as Error).message).not.toContain(TOKEN);

      nock("https://slack.com").post("/api/chat.postMessage").reply(200, { ok: false, error: "ratelimited" });
      await expect(slack.postMessage({ text: "x" })).rejects.toMatchObject({ retryable: true });

      nock("https://slack.com").post("/api/chat.postMessage").reply(429, "", { "Retry-After": "30" });
      await expect(slack.postMessage({ text: "x" })).rejects.toMatchObject({ status: 429, retryable: true, retryAfterMs: 30_000 });
    });

    it("notify posts an event to the incoming webhook", async () => {
      const slack = createSlack({ webhookUrl: WEBHOOK });
      const scope = nock("https://hooks.slack.com")
        .post("/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", slackMessage(predictionEnvelope()) as never)
        .reply(200, "ok");
      await slack.notify(predictionEnvelope());
      scope.done();
    });
  });

  it("reads ok:false even from a truncated 4 KB excerpt", () => {
    const body = `{"ok":false,"error":"ratelimited","response_metadata":{"messages":["${"x".repeat(5000)}`.slice(0, 4096);
    expect(interpretSlackResponse({ status: 200, headers: {}, body })).toEqual({
      ok: false,
      retryable: true,
      error: "Slack error ratelimited",
    });
    expect(interpretSlackResponse({ status: 200, headers: {}, body: '{"ok":true,"ts":"1"}' })).toBeUndefined();
    expect(interpretSlackResponse({ status: 200, headers: {}, body: "ok" })).toBeUndefined();
  });
  describe("text from the pull request (issue 11)", () => {
    it("is escaped in the top-level text Slack notifies with and in every mrkdwn text: no mention or link forms", async () => {
      const { bus, manager } = make();
      createSlack({ webhookUrl: WEBHOOK, manager }).attach();
      let body: any;
      const scope = nock("https://hooks.slack.com")
        .post(/.*/, (b) => ((body = b), true))
        .reply(200, "ok");
      await manager.start();
      emitPrediction(bus, {
        prediction: EVIL,
        recommendation: EVIL,
        evidence: { path: `src/${EVIL}.ts`, line: 1, side: "RIGHT" },
        repo: "octo-org/shop",
      });
      await waitFor(async () => (await manager.counts()).delivered === 1);
      scope.done();
      const escaped = "&lt;!channel&gt; @everyone &lt;@U1&gt; [x](https://evil.example) &amp; more";
      expect(body.text).toBe(`Prediction in octo-org/shop#42: ${escaped} (92%)`);
      const mrkdwn = JSON.stringify(body.blocks.filter((b: any) => b.type !== "header"));
      for (const raw of ["<!channel>", "<@U1>", "<https://evil.example", "& more"]) {
        expect(JSON.stringify(body.text)).not.toContain(raw);
        expect(mrkdwn).not.toContain(raw);
      }
      expect(body.blocks[1].text).toEqual({ type: "mrkdwn", verbatim: true, text: escaped });
      expect(body.blocks[3].text.text).toBe(`*Recommendation:* ${escaped}`);
      // The header is plain_text, which Slack never parses; Slack is never asked to link names.
      expect(body.blocks[0].text.type).toBe("plain_text");
      expect(body).not.toHaveProperty("link_names");
      expect(body).not.toHaveProperty("parse");
    });

    it("cuts before it escapes, so an entity is never cut in half", () => {
      const { text, blocks } = slackMessage(predictionEnvelope({ prediction: `${"a".repeat(2990)}&<>&<>&<>` }));
      const section = (blocks![1] as { text: { text: string } }).text.text;
      expect(section.length).toBeLessThanOrEqual(3000);
      expect(section).toMatch(/^a{2990}&amp;&lt;(?:&gt;)?…$/);
      expect(text.length).toBeLessThanOrEqual(3000);
      expect(text).not.toMatch(/&(?!amp;|lt;|gt;)/);
    });
  });

  describe("pace (issue 11: about one message per second per channel)", () => {
    const SCALE = 0.05; // Slack's second is 50 ms here
    const INTERVAL = 1000 * SCALE;
    const stands: StandIn[] = [];
    afterEach(async () => {
      for (const st of stands.splice(0)) await st.close();
    });

    /** chat.postMessage answering as Slack does: one message a second per channel, short bursts of 2, then 429 ratelimited. */
    async function slackStandIn(bucket: TokenBucket, retryAfter = "1"): Promise<StandIn> {
      const stand = await new StandIn(
        (req, at, st) => {
          const result = bucket.take(req.json.channel, at);
          if (result.ok) return { body: { ok: true, channel: req.json.channel, ts: `${req.index}.0` } };
          st.refused++;
          if (result.afterRefusal) st.violations++;
          return { status: 429, headers: { "retry-after": retryAfter }, body: { ok: false, error: "ratelimited" } };
        },
        (req) => req.json?.channel ?? "?",
      ).listen();
      stands.push(stand);
      return stand;
    }

    it("sends each channel's messages a second apart, one at a time, channels side by side: the stand-in never refuses one", async () => {
      const stand = await slackStandIn(new TokenBucket(2, INTERVAL));
      const s = setup();
      setups.push(s);
      for (const channel of ["CA", "CB"]) {
        createSlack({
          botToken: TOKEN,
          channel,
          apiUrl: stand.url("/api"),
          name: `slack-${channel}`,
          timeScale: SCALE,
          manager: s.manager,
        }).attach();
      }
      await s.manager.start();
      for (let i = 0; i < 5; i++) emitPrediction(s.bus, { fingerprint: `f${i}` });
      await waitFor(async () => (await s.manager.counts()).delivered === 10, 10_000, "10 messages");
      expect(stand.refused).toBe(0);
      expect(stand.requests).toHaveLength(10);
      // At most one message in flight per channel; B does not wait for A's five.
      expect(stand.maxInFlight).toBeLessThanOrEqual(2);
      expect(stand.order.indexOf("CB")).toBeLessThan(stand.order.lastIndexOf("CA"));
      expect(stand.order.filter((c) => c === "CA")).toHaveLength(5);
    });

    it("holds a channel for the Retry-After of a 429 (another poster used its budget): nothing reaches it before that", async () => {
      const stand = await slackStandIn(new TokenBucket(2, INTERVAL, { CA: 0 }), "2");
      const s = setup();
      setups.push(s);
      createSlack({ botToken: TOKEN, channel: "CA", apiUrl: stand.url("/api"), timeScale: SCALE, manager: s.manager }).attach();
      await s.manager.start();
      for (let i = 0; i < 3; i++) emitPrediction(s.bus, { fingerprint: `f${i}` });
      await waitFor(async () => (await s.manager.counts()).delivered === 3, 10_000, "3 messages");
      expect(stand.refused).toBe(1); // the first, while the channel's budget was spent
      expect(stand.violations).toBe(0); // nothing sent again before Retry-After
      expect(stand.requests).toHaveLength(4);
      expect(await s.manager.getDeliveryLogs({ status: "dead" })).toEqual([]);
    });
  });
});
