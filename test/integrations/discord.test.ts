/**
 * Discord webhooks (https://discord.com/developers/docs/resources/webhook#execute-webhook):
 * content and embeds within Discord's limits, colour by severity, and a 429's `retry_after`
 * (fractional seconds) honoured.
 */
import nock from "nock";
import { createDiscord, DISCORD_COLORS, discordMessage, fitDiscordLimits, interpretDiscordResponse } from "../../src/integrations/discord.js";
import type { Setup } from "../webhooks/helpers.js";
import { cleanNock, disableNet, emitPrediction, nockedManager, predictionEnvelope, storedText, waitFor } from "./helpers.js";

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
    createDiscord({ webhookUrl: HOOK, username: "Empathy", manager: s.manager }).attach(s.bus);
    let body: any;
    const scope = nock("https://discord.com")
      .post(HOOK_PATH, (b) => ((body = b), true))
      .reply(204);
    await s.manager.start();
    const envelope = emitPrediction(s.bus, { severity: "critical" });
    await waitFor(async () => (await s.manager.counts()).delivered === 1);
    scope.done();
    expect(body).toEqual({
      content: '**Prediction in octo-org/shop#42: Dropping the column "legacy_id" breaks the mobile client, which still reads it.** (92%)',
      username: "Empathy",
      allowed_mentions: { parse: [] },
      embeds: [
        {
          title: 'Prediction in octo-org/shop#42: Dropping the column "legacy_id" breaks the mobile client, which still reads it.',
          description: envelope.data.prediction,
          url: "https://github.com/octo-org/shop/pull/42",
          color: DISCORD_COLORS.critical,
          fields: [
            { name: "Confidence", value: "92%", inline: true },
            { name: "Severity", value: "critical", inline: true },
            { name: "Repository", value: "octo-org/shop#42", inline: true },
            { name: "Evidence", value: "`db/migrate/20250301_drop_legacy_id.sql:3`" },
            { name: "Tags", value: "breaking-change, database", inline: true },
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
    const total = embed.title!.length + embed.description!.length + embed.footer!.text.length + embed.fields!.reduce((n, f) => n + f.name.length + f.value.length, 0);
    expect(total).toBeLessThanOrEqual(6000);
    expect(embed.description).toHaveLength(6000 - 256 - 2048); // what title and footer leave of the 6,000
    expect(embed.fields!.length).toBe(0);
    const small = fitDiscordLimits({ embeds: [{ title: "t", description: "d".repeat(5000) }] }).embeds![0];
    expect(small.description).toHaveLength(4096);
    const many = fitDiscordLimits({ embeds: [{ description: "d", fields: Array.from({ length: 30 }, (_, i) => ({ name: `n${i}`.repeat(200), value: "v".repeat(2000) })) }] }).embeds![0];
    expect(many.fields!.every((f) => f.name.length <= 256 && f.value.length <= 1024)).toBe(true);
    expect(many.fields!.length).toBeLessThanOrEqual(25);
    expect(many.fields!.reduce((n, f) => n + f.name.length + f.value.length, 1)).toBeLessThanOrEqual(6000);
    expect(many.fields!.length).toBe(5); // 4 whole fields of 1,280 characters, the fifth cut to fit
  });

  it("waits the 429's retry_after (fractional seconds) before the next attempt", async () => {
    const s = nockedManager();
    setups.push(s);
    createDiscord({ webhookUrl: HOOK, manager: s.manager }).attach(s.bus);
    const at: number[] = [];
    nock("https://discord.com")
      .post(HOOK_PATH)
      .reply(() => (at.push(Date.now()), [429, { message: "You are being rate limited.", retry_after: 0.75, global: false }, { "Retry-After": "5" }]))
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
    expect(interpretDiscordResponse({ status: 429, headers: {}, body: '{"message":"You are being rate limited.","retry_after":64.57,"global":true}' })).toEqual({
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
    nock("https://discord.com").post(HOOK_PATH).query(true).reply(429, { message: "You are being rate limited.", retry_after: 0.2, global: false });
    await expect(discord.execute({ content: "x" })).rejects.toMatchObject({ status: 429, retryable: true, retryAfterMs: 200 });
  });
});
