/**
 * Datadog Events API v1 (https://docs.datadoghq.com/api/latest/events/#post-an-event): the
 * site's host, the DD-API-KEY header, the body's fields and the 4,000-character text limit.
 */
import nock from "nock";
import { DATADOG_SITES, createDatadog, datadogApiBase, datadogEvent, datadogHoldMs, alertType } from "../../src/integrations/datadog.js";
import { setup, type Setup } from "../delivery/helpers.js";
import { cleanNock, disableNet, emitPrediction, nockedManager, predictionEnvelope, storedText, waitFor } from "./helpers.js";
import { StandIn, WindowLimit } from "./standIn.js";

/** What a pull request can write to try to notify someone or plant a link. */
const EVIL = "<!channel> @everyone <@U1> [x](https://evil.example) %%% @pagerduty-oncall";

const KEY = "0123456789abcdef0123456789abcdef";

describe("Datadog", () => {
  const setups: Setup[] = [];
  beforeEach(disableNet);
  afterEach(async () => {
    for (const s of setups.splice(0)) await s.manager.stop();
    cleanNock();
  });

  it("posts to the API host of each site", () => {
    expect(Object.fromEntries(DATADOG_SITES.map((s) => [s, datadogApiBase(s)]))).toEqual({
      "datadoghq.com": "https://api.datadoghq.com",
      "us3.datadoghq.com": "https://api.us3.datadoghq.com",
      "us5.datadoghq.com": "https://api.us5.datadoghq.com",
      "datadoghq.eu": "https://api.datadoghq.eu",
      "ap1.datadoghq.com": "https://api.ap1.datadoghq.com",
      "ap2.datadoghq.com": "https://api.ap2.datadoghq.com",
      "uk1.datadoghq.com": "https://api.uk1.datadoghq.com",
      "ddog-gov.com": "https://api.ddog-gov.com",
      "us2.ddog-gov.com": "https://api.us2.ddog-gov.com",
    });
    expect(datadogApiBase()).toBe("https://api.datadoghq.com");
    expect(datadogApiBase("app.datadoghq.eu")).toBe("https://api.datadoghq.eu");
    expect(datadogApiBase("https://us5.datadoghq.com/")).toBe("https://api.us5.datadoghq.com");
    expect(() => datadogApiBase("datadoghq.de")).toThrow(/unknown site "datadoghq.de"/);
    expect(createDatadog({ apiKey: KEY, site: "ap1.datadoghq.com" }).eventsUrl).toBe("https://api.ap1.datadoghq.com/api/v1/events");
  });

  it("sends POST /api/v1/events with DD-API-KEY and the event's title, markdown text, tags, alert_type, aggregation_key", async () => {
    const s = nockedManager();
    setups.push(s);
    createDatadog({ apiKey: KEY, site: "us5.datadoghq.com", tags: ["env:prod"], manager: s.manager }).attach();
    let body: Record<string, unknown> | undefined;
    const scope = nock("https://api.us5.datadoghq.com", {
      reqheaders: { "dd-api-key": KEY, "content-type": "application/json", accept: "application/json" },
    })
      .post("/api/v1/events", (b) => ((body = b), true))
      .reply(202, { status: "ok", event: { id: 7_421_000_000_123, title: "x" } });
    await s.manager.start();
    const envelope = emitPrediction(s.bus);
    await waitFor(async () => (await s.manager.counts()).delivered === 1);
    scope.done();
    expect(body).toEqual({
      title: 'Prediction in octo-org/shop#42: Dropping the column "legacy_id" breaks the mobile client, which still reads it.',
      text: expect.stringMatching(
        /^%%% \nDropping the column[^]*\*\*Recommendation:\*\* Keep the column[^]*\[View pull request\]\(https:\/\/github\.com\/octo-org\/shop\/pull\/42\)[^]*_Empathy Level 4 \| Confidence: 92%_\n %%%$/,
      ),
      tags: [
        "source:empathy-bot",
        "event_type:level_4_prediction",
        "repo:octo-org/shop",
        "pr:42",
        "severity:high",
        "level:4",
        "kind:migration-drop-column",
        "tag:breaking-change",
        "tag:database",
        "env:prod",
      ],
      alert_type: "error",
      aggregation_key: "9c1b3f2a7d4e5f60",
      source_type_name: "empathy-bot",
      priority: "normal",
      date_happened: Math.floor(Date.parse(envelope.timestamp) / 1000),
    });
    expect(storedText(s.store)).not.toContain(KEY);
    expect(s.logs.text()).not.toContain(KEY);
  });

  it("caps the text at 4,000 characters, %%% markers included, cutting the prediction and keeping the facts and link", () => {
    const event = datadogEvent(predictionEnvelope({ prediction: "A".repeat(10_000) }), {
      now: () => Date.parse("2025-03-01T10:05:00.000Z"),
    });
    expect(event.text).toHaveLength(4000);
    expect(event.text.startsWith("%%% \nAAAA")).toBe(true);
    // The cut falls in the prediction (escaping after it); our own lines follow it whole.
    expect(event.text).toMatch(
      /A…\n\nConfidence: 92% · Severity: high[^]*\[View pull request\]\(https:\/\/github\.com\/octo-org\/shop\/pull\/42\)\n\n_Empathy Level 4 \| Confidence: 92%_\n %%%$/,
    );
    expect(datadogEvent(predictionEnvelope({ fingerprint: "f".repeat(300) })).aggregation_key).toHaveLength(100);
  });

  it("maps severity to alert_type", () => {
    expect(["critical", "high", "medium", "low", "info", null].map((s) => alertType(s as never))).toEqual([
      "error",
      "error",
      "warning",
      "info",
      "info",
      "info",
    ]);
  });

  it("does not retry a refused API key (403)", async () => {
    const s = nockedManager();
    setups.push(s);
    createDatadog({ apiKey: KEY, manager: s.manager }).attach();
    nock("https://api.datadoghq.com")
      .post("/api/v1/events")
      .reply(403, { errors: ["Forbidden"] });
    await s.manager.start();
    emitPrediction(s.bus);
    await waitFor(async () => (await s.manager.counts()).dead === 1);
    expect((await s.manager.getDeliveryLogs())[0]).toMatchObject({ attempt: 1, error: "HTTP 403: Datadog refused the API key (403)" });
  });

  it("postEvent, a direct call, returns the event id", async () => {
    const dd = createDatadog({ apiKey: KEY, site: "datadoghq.eu" });
    nock("https://api.datadoghq.eu", { reqheaders: { "dd-api-key": KEY } })
      .post("/api/v1/events", { title: "Deploy", text: "x".repeat(3999) + "…" })
      .reply(202, { status: "ok", event: { id: 42 } });
    await expect(dd.postEvent({ title: "Deploy", text: "x".repeat(5000) })).resolves.toEqual({ id: 42 });
  });
  it("takes every site of Datadog's list, by its parameter, its name or its address", () => {
    expect(datadogApiBase("uk1.datadoghq.com")).toBe("https://api.uk1.datadoghq.com");
    expect(datadogApiBase("UK1")).toBe("https://api.uk1.datadoghq.com");
    expect(datadogApiBase("US1")).toBe("https://api.datadoghq.com");
    expect(datadogApiBase("eu1")).toBe("https://api.datadoghq.eu");
    expect(datadogApiBase("US1-FED")).toBe("https://api.ddog-gov.com");
    expect(datadogApiBase("AP2")).toBe("https://api.ap2.datadoghq.com");
    expect(datadogApiBase("https://app.uk1.datadoghq.com/dashboard")).toBe("https://api.uk1.datadoghq.com");
    expect(createDatadog({ apiKey: KEY, site: "uk1" }).eventsUrl).toBe("https://api.uk1.datadoghq.com/api/v1/events");
  });

  it("sends an event older than the 18 hours the API accepts with the current time, and its own time in the text", () => {
    const happened = "2025-03-01T10:00:00.000Z";
    const fresh = datadogEvent(predictionEnvelope(), { now: () => Date.parse(happened) + 60 * 60_000 });
    expect(fresh.date_happened).toBe(Date.parse(happened) / 1000);
    expect(fresh.text).not.toContain("Originally at");
    const now = Date.parse(happened) + 20 * 60 * 60_000; // a replay 20 hours later
    const late = datadogEvent({ ...predictionEnvelope(), timestamp: happened }, { now: () => now });
    expect(late.date_happened).toBe(Math.floor(now / 1000));
    expect(late.text).toContain(`Originally at ${happened}`);
    expect(late.text.length).toBeLessThanOrEqual(4000);
  });

  it("escapes text from the pull request for its markdown and defuses @ notifications and %%%", async () => {
    const s = nockedManager();
    setups.push(s);
    createDatadog({ apiKey: KEY, manager: s.manager }).attach();
    let body: any;
    const scope = nock("https://api.datadoghq.com")
      .post("/api/v1/events", (b) => ((body = b), true))
      .reply(202, { status: "ok" });
    await s.manager.start();
    emitPrediction(s.bus, { prediction: EVIL, recommendation: EVIL, impact: EVIL });
    await waitFor(async () => (await s.manager.counts()).delivered === 1);
    scope.done();
    const inner = body.text.slice("%%% \n".length, -"\n %%%".length);
    expect(inner).not.toContain("@"); // no @handle Datadog would notify
    expect(inner).not.toContain("%%%"); // the markdown block cannot be closed early
    expect(inner).toContain("\\<\\!channel\\> ＠everyone \\<＠U1\\> \\[x\\]\\(https://evil.example\\) \\%\\%\\% ＠pagerduty\\-oncall");
    // The only link is ours.
    expect(inner.replace(/\\[^]/g, "").match(/\[[^\]]*\]\([^)]*\)/g)).toEqual([
      "[View pull request](https://github.com/octo-org/shop/pull/42)",
    ]);
    expect(body.title).not.toContain("@");
  });

  describe("rate limits (issue 11: X-RateLimit-Reset)", () => {
    const SCALE = 0.2; // Datadog's second is 200 ms here
    const stands: StandIn[] = [];
    afterEach(async () => {
      for (const st of stands.splice(0)) await st.close();
    });

    /** 3 events per 1-second period (scaled), `X-RateLimit-Reset` in whole seconds as Datadog sends it. */
    async function datadogStandIn(withRemaining: boolean): Promise<StandIn> {
      const limit = new WindowLimit(3, 1000 * SCALE);
      const stand = await new StandIn((_req, at, st) => {
        const r = limit.take("org", at);
        const reset = String(Math.max(1, Math.ceil(r.resetMs / (1000 * SCALE))));
        const headers: Record<string, string> = { "x-ratelimit-limit": "3", "x-ratelimit-period": "1", "x-ratelimit-reset": reset };
        if (withRemaining) headers["x-ratelimit-remaining"] = String(r.remaining);
        if (r.ok) return { status: 202, headers, body: { status: "ok" } };
        st.refused++;
        if (r.afterRefusal) st.violations++;
        return { status: 429, headers: { ...headers, "x-ratelimit-remaining": "0" }, body: { errors: ["Too many requests"] } };
      }).listen();
      stands.push(stand);
      return stand;
    }

    it("holds the site until X-RateLimit-Reset after a 429 and retries then: nothing reaches it while it refuses", async () => {
      const stand = await datadogStandIn(false);
      const s = setup({ perEndpointConcurrency: 1 });
      setups.push(s);
      createDatadog({ apiKey: KEY, apiUrl: stand.url(), timeScale: SCALE, manager: s.manager }).attach();
      await s.manager.start();
      for (let i = 0; i < 7; i++) emitPrediction(s.bus, { fingerprint: `f${i}` });
      await waitFor(async () => (await s.manager.counts()).delivered === 7, 10_000, "7 events");
      expect(stand.refused).toBeGreaterThan(0);
      expect(stand.violations).toBe(0);
      expect(stand.requests).toHaveLength(7 + stand.refused);
      const limited = (await s.manager.getDeliveryLogs({ status: "failed" }))[0];
      expect(limited.error).toMatch(/^HTTP 429: Datadog rate limit: retry when the window resets in 1 s$/);
      expect(await s.manager.getDeliveryLogs({ status: "dead" })).toEqual([]);
    });

    it("waits for the reset once X-RateLimit-Remaining is 0, so it never gets a 429", async () => {
      const stand = await datadogStandIn(true);
      // One request at a time, so each answer's headers are read before the next leaves.
      const s = setup({ perEndpointConcurrency: 1 });
      setups.push(s);
      createDatadog({ apiKey: KEY, apiUrl: stand.url(), timeScale: SCALE, manager: s.manager }).attach();
      await s.manager.start();
      for (let i = 0; i < 7; i++) emitPrediction(s.bus, { fingerprint: `f${i}` });
      await waitFor(async () => (await s.manager.counts()).delivered === 7, 10_000, "7 events");
      expect(stand.refused).toBe(0);
    });

    it("reads the reset in seconds from a 429, else its Retry-After, else the period", () => {
      expect(datadogHoldMs({ status: 429, headers: { "x-ratelimit-reset": "7", "retry-after": "2" }, body: "" })).toBe(7000);
      expect(datadogHoldMs({ status: 429, headers: { "retry-after": "2" }, body: "" })).toBe(2000);
      expect(datadogHoldMs({ status: 429, headers: { "x-ratelimit-period": "10" }, body: "" })).toBe(10_000);
      expect(datadogHoldMs({ status: 202, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "3" }, body: "" })).toBe(3000);
      expect(datadogHoldMs({ status: 202, headers: { "x-ratelimit-remaining": "5", "x-ratelimit-reset": "3" }, body: "" })).toBeNull();
    });
  });
});
