/**
 * Datadog Events API v1 (https://docs.datadoghq.com/api/latest/events/#post-an-event): the
 * site's host, the DD-API-KEY header, the body's fields and the 4,000-character text limit.
 */
import nock from "nock";
import { DATADOG_SITES, createDatadog, datadogApiBase, datadogEvent, alertType } from "../../src/integrations/datadog.js";
import type { Setup } from "../webhooks/helpers.js";
import { cleanNock, disableNet, emitPrediction, nockedManager, predictionEnvelope, storedText, waitFor } from "./helpers.js";

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
    createDatadog({ apiKey: KEY, site: "us5.datadoghq.com", tags: ["env:prod"], manager: s.manager }).attach(s.bus);
    let body: Record<string, unknown> | undefined;
    const scope = nock("https://api.us5.datadoghq.com", { reqheaders: { "dd-api-key": KEY, "content-type": "application/json", accept: "application/json" } })
      .post("/api/v1/events", (b) => ((body = b), true))
      .reply(202, { status: "ok", event: { id: 7_421_000_000_123, title: "x" } });
    await s.manager.start();
    const envelope = emitPrediction(s.bus);
    await waitFor(async () => (await s.manager.counts()).delivered === 1);
    scope.done();
    expect(body).toEqual({
      title: 'Prediction in octo-org/shop#42: Dropping the column "legacy_id" breaks the mobile client, which still reads it.',
      text: expect.stringMatching(/^%%% \nDropping the column[^]*\*\*Recommendation:\*\* Keep the column[^]*\[View pull request\]\(https:\/\/github\.com\/octo-org\/shop\/pull\/42\)[^]*_Empathy Level 4 \| Confidence: 92%_\n %%%$/),
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

  it("caps the text at 4,000 characters, %%% markers included", () => {
    const event = datadogEvent(predictionEnvelope({ prediction: "A".repeat(10_000) }));
    expect(event.text).toHaveLength(4000);
    expect(event.text.startsWith("%%% \nAAAA")).toBe(true);
    expect(event.text.endsWith("…\n %%%")).toBe(true);
    expect(datadogEvent(predictionEnvelope({ fingerprint: "f".repeat(300) })).aggregation_key).toHaveLength(100);
  });

  it("maps severity to alert_type", () => {
    expect(["critical", "high", "medium", "low", "info", null].map((s) => alertType(s as never))).toEqual(["error", "error", "warning", "info", "info", "info"]);
  });

  it("does not retry a refused API key (403)", async () => {
    const s = nockedManager();
    setups.push(s);
    createDatadog({ apiKey: KEY, manager: s.manager }).attach(s.bus);
    nock("https://api.datadoghq.com").post("/api/v1/events").reply(403, { errors: ["Forbidden"] });
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
});
