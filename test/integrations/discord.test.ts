/**
 * Discord webhooks (https://discord.com/developers/docs/resources/webhook#execute-webhook):
 * content and embeds within Discord's limits, colour by severity, and a 429's `retry_after`
 * (fractional seconds) honoured.
 */
import nock from "nock";
import {
  createDiscord,
  DISCORD_COLORS,
  discordHoldMs,
  discordMessage,
  fitDiscordLimits,
  interpretDiscordResponse,
} from "../../src/integrations/discord.js";
import { setup, type Setup } from "../delivery/helpers.js";
import { cleanNock, disableNet, emitPrediction, nockedManager, predictionEnvelope, storedText, waitFor } from "./helpers.js";
import { StandIn, WindowLimit } from "./standIn.js";

/** What a pull request can write to try to ping a server or plant a masked link. */
const EVIL = "<!channel> @everyone <@U1> [x](https://evil.example) **bold";

const HOOK_PATH = "/api/webhooks/1234567890/T0KEN-abcdefghijklmnopqrstuvwxyz";
const HOOK = `https://discord.com${HOOK_PATH}`;

describe("Discord", () => {
  const setups: Setup[] = [];
  beforeEach(disableNet);
  afterEach(async () => {
    for (const s of setups.splice(0)) await s.manager.stop();
    cleanNock();
  });

  it("executes the webhook with content and an embed (title, description, url, colour by severity, fields, footer)", async () => {
    const s = nockedManager();
    setups.push(s);
    createDiscord({ webhookUrl: HOOK, username: "Empathy", manager: s.manager }).attach();
    let body: any;
    const scope = nock("https://discord.com")
      .post(HOOK_PATH, (b) => ((body = b), true))
      .reply(204);
    await s.manager.start();
    const envelope = emitPrediction(s.bus, { severity: "critical" });
    await waitFor(async () => (await s.manager.counts()).delivered === 1);
    scope.done();
    // Text from the pull request is markdown-escaped (issue 11): legacy\_id renders as legacy_id.
    expect(body).toEqual({
      content:
        '**Prediction in octo\\-org/shop\\#42: Dropping the column "legacy\\_id" breaks the mobile client, which still reads it.** (92%)',
      username: "Empathy",
      allowed_mentions: { parse: [] },
      embeds: [
        {
          title: 'Prediction in octo\\-org/shop\\#42: Dropping the column "legacy\\_id" breaks the mobile client, which still reads it.',
          description: envelope.data.prediction.replace("legacy_id", "legacy\\_id"),
          url: "https://github.com/octo-org/shop/pull/42",
          color: DISCORD_COLORS.critical,
          fields: [
            { name: "Confidence", value: "92%", inline: true },
            { name: "Severity", value: "critical", inline: true },
            { name: "Repository", value: "octo\\-org/shop#42", inline: true },
            { name: "Evidence", value: "`db/migrate/20250301_drop_legacy_id.sql:3`" },
            { name: "Tags", value: "breaking\\-change, database", inline: true },
            { name: "Recommendation", value: "Keep the column one more release and stop reading it in the client first." },
          ],
          footer: { text: "Empathy Level 4 | Confidence: 92%" },
          timestamp: envelope.timestamp,
        },
      ],
    });
    expect(s.logs.text()).not.toContain("T0KEN");
    expect(storedText(s.store)).not.toContain("T0KEN");
  });

  it("caps content at 2,000 characters and keeps every embed limit", () => {
    const message = discordMessage(predictionEnvelope({ prediction: "z".repeat(9000), recommendation: "r".repeat(3000) }));
    expect(message.content!.length).toBeLessThanOrEqual(2000);
    const fitted = fitDiscordLimits({
      content: "c".repeat(2500),
      embeds: [
        {
          title: "t".repeat(300),
          description: "d".repeat(5000),
          fields: Array.from({ length: 30 }, (_, i) => ({ name: `n${i}`.repeat(100), value: "v".repeat(2000) })),
          footer: { text: "f".repeat(3000) },
        },
      ],
    });
    const embed = fitted.embeds![0];
    expect(fitted.content).toHaveLength(2000);
    expect(embed.title).toHaveLength(256);
    expect(embed.footer!.text).toHaveLength(2048);
    const total =
      embed.title!.length +
      embed.description!.length +
      embed.footer!.text.length +
      embed.fields!.reduce((n, f) => n + f.name.length + f.value.length, 0);
    expect(total).toBeLessThanOrEqual(6000);
    expect(embed.description).toHaveLength(6000 - 256 - 2048); // what title and footer leave of the 6,000
    expect(embed.fields!.length).toBe(0);
    const small = fitDiscordLimits({ embeds: [{ title: "t", description: "d".repeat(5000) }] }).embeds![0];
    expect(small.description).toHaveLength(4096);
    const many = fitDiscordLimits({
      embeds: [
        { description: "d", fields: Array.from({ length: 30 }, (_, i) => ({ name: `n${i}`.repeat(200), value: "v".repeat(2000) })) },
      ],
    }).embeds![0];
    expect(many.fields!.every((f) => f.name.length <= 256 && f.value.length <= 1024)).toBe(true);
    expect(many.fields!.length).toBeLessThanOrEqual(25);
    expect(many.fields!.reduce((n, f) => n + f.name.length + f.value.length, 1)).toBeLessThanOrEqual(6000);
    expect(many.fields!.length).toBe(5); // 4 whole fields of 1,280 characters, the fifth cut to fit
  });

  it("waits the 429's retry_after (fractional seconds) before the next attempt", async () => {
    const s = nockedManager();
    setups.push(s);
    createDiscord({ webhookUrl: HOOK, manager: s.manager }).attach();
    const at: number[] = [];
    nock("https://discord.com")
      .post(HOOK_PATH)
      .reply(
        () => (
          at.push(Date.now()),
          [429, { message: "You are being rate limited.", retry_after: 0.75, global: false }, { "Retry-After": "5" }]
        ),
      )
      .post(HOOK_PATH)
      .reply(() => (at.push(Date.now()), [204]));
    await s.manager.start();
    emitPrediction(s.bus);
    await waitFor(async () => (await s.manager.counts()).delivered === 1, 5000);
    const [delivered, limited] = await s.manager.getDeliveryLogs();
    expect(limited).toMatchObject({ statusCode: 429, status: "failed", error: "HTTP 429: Discord rate limit: retry after 0.75 s" });
    expect(Date.parse(limited.nextAttemptAt!) - Date.parse(limited.attemptedAt)).toBeGreaterThanOrEqual(750);
    expect(Date.parse(limited.nextAttemptAt!) - Date.parse(limited.attemptedAt)).toBeLessThan(5000); // the body's 0.75 s, not the header's 5 s
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(740);
    expect(delivered.status).toBe("delivered");
  });

  it("reads Discord's answers", () => {
    expect(
      interpretDiscordResponse({
        status: 429,
        headers: {},
        body: '{"message":"You are being rate limited.","retry_after":64.57,"global":true}',
      }),
    ).toEqual({
      ok: false,
      retryable: true,
      retryAfterMs: 64570,
      error: "Discord rate limit (global): retry after 64.57 s",
    });
    // No JSON body: the manager's Retry-After reading applies.
    expect(interpretDiscordResponse({ status: 429, headers: { "retry-after": "3" }, body: "" })).toBeUndefined();
    expect(interpretDiscordResponse({ status: 404, headers: {}, body: '{"message": "Unknown Webhook", "code": 10015}' })).toEqual({
      ok: false,
      retryable: false,
      error: "Discord: Unknown Webhook (code 10015)",
    });
    expect(interpretDiscordResponse({ status: 204, headers: {}, body: "" })).toBeUndefined();
  });

  it("execute, a direct call, waits for the message and returns its id", async () => {
    const discord = createDiscord({ webhookUrl: HOOK });
    nock("https://discord.com")
      .post(HOOK_PATH, (b) => b.content.length === 2000)
      .query({ wait: "true" })
      .reply(200, { id: "1122334455", type: 0, content: "..." });
    await expect(discord.execute({ content: "x".repeat(2500) })).resolves.toEqual({ id: "1122334455" });
    nock("https://discord.com")
      .post(HOOK_PATH)
      .query(true)
      .reply(429, { message: "You are being rate limited.", retry_after: 0.2, global: false });
    await expect(discord.execute({ content: "x" })).rejects.toMatchObject({ status: 429, retryable: true, retryAfterMs: 200 });
  });
  describe("text from the pull request (issue 11)", () => {
    it("is markdown-escaped everywhere Discord renders it, with allowed_mentions empty: no ping, no masked link", async () => {
      const s = nockedManager();
      setups.push(s);
      createDiscord({ webhookUrl: HOOK, manager: s.manager }).attach();
      let body: any;
      const scope = nock("https://discord.com")
        .post(HOOK_PATH, (b) => ((body = b), true))
        .reply(204);
      await s.manager.start();
      emitPrediction(s.bus, { prediction: EVIL, recommendation: EVIL, tags: [EVIL] });
      await waitFor(async () => (await s.manager.counts()).delivered === 1);
      scope.done();
      expect(body.allowed_mentions).toEqual({ parse: [] });
      const escaped = "\\<!channel\\> \\@everyone \\<\\@U1\\> \\[x\\](https://evil.example) \\*\\*bold";
      const embed = body.embeds[0];
      expect(embed.description).toBe(escaped);
      expect(embed.fields.find((f: any) => f.name === "Recommendation").value).toBe(escaped);
      expect(embed.fields.find((f: any) => f.name === "Tags").value).toBe(escaped);
      expect(body.content).toBe(`**Prediction in octo\\-org/shop\\#42: ${escaped}** (92%)`);
      // No unescaped mention, link or bold marker anywhere in what Discord renders.
      const rendered = [body.content, embed.title, embed.description, ...embed.fields.map((f: any) => f.value)].join("\n");
      expect(rendered.replace(/\\[^]/g, "")).not.toMatch(/[<@[\]]/);
    });

    it("cuts the title before wrapping it in **, so the bold always closes, and escapes after the cut", () => {
      const message = discordMessage(predictionEnvelope({ prediction: `${"_".repeat(3000)}` }));
      expect(message.content!.length).toBeLessThanOrEqual(2000);
      expect(message.content).toMatch(/^\*\*Prediction in octo\\-org\/shop\\#42: (?:\\_)+…\*\* \(92%\)$/);
      expect(message.embeds![0].description!.length).toBeLessThanOrEqual(4096);
      expect(message.embeds![0].description).toMatch(/^(?:\\_)+…$/);
    });
  });

  describe("rate limits (issue 11: X-RateLimit-* honoured before the limit, one request at a time per webhook)", () => {
    const stands: StandIn[] = [];
    afterEach(async () => {
      for (const st of stands.splice(0)) await st.close();
    });

    it("reads X-RateLimit-Remaining and Reset-After on every answer and waits for the reset before the bucket is empty: the stand-in never has to send a 429", async () => {
      // A webhook bucket of 3 requests per 150 ms, answered 10 ms later (so parallel requests would overlap).
      const limit = new WindowLimit(3, 150);
      const stand = await new StandIn((_req, at, st) => {
        const r = limit.take("webhook", at);
        const headers = {
          "x-ratelimit-limit": "3",
          "x-ratelimit-remaining": String(r.remaining),
          "x-ratelimit-reset-after": (r.resetMs / 1000).toFixed(3),
          "x-ratelimit-bucket": "abcd1234",
        };
        if (r.ok) return { status: 204, headers, delayMs: 10 };
        st.refused++;
        if (r.afterRefusal) st.violations++;
        return {
          status: 429,
          headers: { ...headers, "retry-after": "1" },
          body: { message: "You are being rate limited.", retry_after: r.resetMs / 1000, global: false },
        };
      }).listen();
      stands.push(stand);
      const s = setup();
      setups.push(s);
      createDiscord({ webhookUrl: stand.url("/api/webhooks/1/tok"), manager: s.manager }).attach();
      await s.manager.start();
      for (let i = 0; i < 8; i++) emitPrediction(s.bus, { fingerprint: `f${i}` });
      await waitFor(async () => (await s.manager.counts()).delivered === 8, 10_000, "8 messages");
      expect(stand.refused).toBe(0);
      expect(stand.maxInFlight).toBe(1);
      expect(stand.requests).toHaveLength(8);
    });

    it("after a 429 (its retry_after), leaves the webhook alone until then", async () => {
      // Another client emptied the bucket: the first request is refused, with retry_after.
      const limit = new WindowLimit(3, 120, { webhook: 3 });
      const stand = await new StandIn((_req, at, st) => {
        const r = limit.take("webhook", at);
        if (r.ok)
          return {
            status: 204,
            headers: { "x-ratelimit-remaining": String(r.remaining), "x-ratelimit-reset-after": (r.resetMs / 1000).toFixed(3) } as Record<
              string,
              string
            >,
          };
        st.refused++;
        if (r.afterRefusal) st.violations++;
        return {
          status: 429,
          headers: { "x-ratelimit-remaining": "0" },
          body: { message: "You are being rate limited.", retry_after: r.resetMs / 1000, global: false },
        };
      }).listen();
      stands.push(stand);
      const s = setup();
      setups.push(s);
      createDiscord({ webhookUrl: stand.url("/api/webhooks/1/tok"), manager: s.manager }).attach();
      await s.manager.start();
      for (let i = 0; i < 4; i++) emitPrediction(s.bus, { fingerprint: `f${i}` });
      await waitFor(async () => (await s.manager.counts()).delivered === 4, 10_000, "4 messages");
      expect(stand.refused).toBe(1);
      expect(stand.violations).toBe(0);
      expect(stand.requests).toHaveLength(5);
    });

    it("reads the wait from a 429's body, then its headers, and holds nothing while requests remain", () => {
      expect(discordHoldMs({ status: 429, headers: { "x-ratelimit-reset-after": "2.5" }, body: '{"retry_after": 0.25}' })).toBe(250);
      expect(discordHoldMs({ status: 429, headers: { "x-ratelimit-reset-after": "2.5" }, body: "" })).toBe(2500);
      expect(discordHoldMs({ status: 204, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset-after": "0.731" }, body: "" })).toBe(
        731,
      );
      expect(
        discordHoldMs({ status: 204, headers: { "x-ratelimit-remaining": "2", "x-ratelimit-reset-after": "0.731" }, body: "" }),
      ).toBeNull();
    });
  });
});
