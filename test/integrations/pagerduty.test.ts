/**
 * PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/):
 * the enqueue request, dedup_key from the fingerprint, the severity mapping, the summary limit,
 * 202 as success, and the routing key kept out of the store.
 */
import nock from "nock";
import { createPagerDuty, pagerDutyEvent, pagerDutySeverity } from "../../src/integrations/pagerduty.js";
import type { Setup } from "../webhooks/helpers.js";
import { cleanNock, disableNet, emitPrediction, nockedManager, predictionEnvelope, storedText, waitFor } from "./helpers.js";

const ROUTING_KEY = "R0UT1NGKEY0123456789abcdefabcdef";

describe("PagerDuty", () => {
  const setups: Setup[] = [];
  beforeEach(disableNet);
  afterEach(async () => {
    for (const s of setups.splice(0)) await s.manager.stop();
    cleanNock();
  });

  it("triggers through the manager: routing_key, dedup_key = fingerprint, payload, links; 202 is success; the key is never stored", async () => {
    const s = nockedManager();
    setups.push(s);
    const pd = createPagerDuty({ routingKey: ROUTING_KEY, manager: s.manager, minSeverity: "high" });
    pd.attach(s.bus);
    const bodies: Record<string, unknown>[] = [];
    const scope = nock("https://events.pagerduty.com", { reqheaders: { "content-type": "application/json", accept: "application/json" } })
      .post("/v2/enqueue", (b) => (bodies.push(b), true))
      .reply(202, { status: "success", message: "Event processed", dedup_key: "9c1b3f2a7d4e5f60" });
    await s.manager.start();
    emitPrediction(s.bus, { severity: "medium" }); // below min_severity
    const envelope = emitPrediction(s.bus, { severity: "critical" });
    await waitFor(async () => (await s.manager.counts()).delivered === 1);
    scope.done();
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toEqual({
      routing_key: ROUTING_KEY,
      event_action: "trigger",
      dedup_key: "9c1b3f2a7d4e5f60",
      payload: {
        summary: 'Prediction in octo-org/shop#42: Dropping the column "legacy_id" breaks the mobile client, which still reads it.',
        source: "empathy-bot/octo-org/shop",
        severity: "critical",
        timestamp: envelope.timestamp,
        component: "db/migrate/20250301_drop_legacy_id.sql:3",
        group: "octo-org/shop",
        class: "migration-drop-column",
        custom_details: {
          event_type: "level_4_prediction",
          event_id: envelope.id,
          context: "Empathy Level 4 | Confidence: 92%",
          repo: "octo-org/shop",
          pr_number: 42,
          confidence: 0.92,
          severity: "critical",
          tags: ["breaking-change", "database"],
          impact: "Mobile clients before 5.2 crash on login",
          evidence: "db/migrate/20250301_drop_legacy_id.sql:3",
          recommendation: "Keep the column one more release and stop reading it in the client first.",
          text: envelope.data.prediction,
        },
      },
      links: [{ href: "https://github.com/octo-org/shop/pull/42", text: "Pull request octo-org/shop#42" }],
      client: "Empathy bot",
      client_url: "https://github.com/octo-org/shop/pull/42",
    });
    expect(storedText(s.store)).not.toContain(ROUTING_KEY);
    expect(s.logs.text()).not.toContain(ROUTING_KEY);
  });

  it("maps our severities to PagerDuty's, caps the summary at 1,024, and falls back to the event id for dedup", () => {
    expect(["critical", "high", "medium", "low", "info", null].map((s) => pagerDutySeverity(s as never))).toEqual(["critical", "error", "warning", "info", "info", "info"]);
    const long = pagerDutyEvent(predictionEnvelope({ prediction: "y".repeat(3000) }), { routingKey: ROUTING_KEY });
    expect(long.payload!.summary.length).toBe(1024);
    const custom = pagerDutyEvent({ id: "evt-9", event_type: "deploy_failed", timestamp: "2025-03-01T10:00:00.000Z", data: { service: "api" } }, { routingKey: ROUTING_KEY, source: "ci" });
    expect(custom).toMatchObject({ dedup_key: "deploy_failed:evt-9", payload: { summary: "Deploy failed", source: "ci", severity: "info" } });
    expect(custom.links).toBeUndefined();
  });

  it("does not retry an invalid event (400), and retries a 429", async () => {
    const s = nockedManager();
    setups.push(s);
    createPagerDuty({ routingKey: ROUTING_KEY, manager: s.manager, events: ["level_4_prediction", "level_5_transformation"] }).attach(s.bus);
    nock("https://events.pagerduty.com")
      .post("/v2/enqueue", (b) => b.payload.class === "migration-drop-column")
      .reply(429, "", { "Retry-After": "0" })
      .post("/v2/enqueue", (b) => b.payload.class === "migration-drop-column")
      .reply(202, { status: "success", message: "Event processed" })
      .post("/v2/enqueue")
      .reply(400, { status: "invalid event", message: "Event object is invalid", errors: ["'routing_key' is invalid"] });
    await s.manager.start();
    emitPrediction(s.bus);
    s.bus.emit({
      type: "level_5_transformation",
      data: { user_id: "a", repo: "o/r", pr_number: 3, url: null, pattern_id: "p", pattern_name: "unsafe SQL", occurrences: 3, pr_numbers: [1, 2, 3], confidence: 0.8, proposal: "Use a query builder." },
    });
    await waitFor(async () => {
      const c = await s.manager.counts();
      return c.delivered === 1 && c.dead === 1;
    });
    const dead = await s.manager.getDeliveryLogs({ status: "dead" });
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ eventType: "level_5_transformation", attempt: 1, error: "HTTP 400: PagerDuty: Event object is invalid" });
  });

  it("trigger and resolve, as direct calls", async () => {
    const pd = createPagerDuty({ routingKey: ROUTING_KEY, apiUrl: "https://events.eu.pagerduty.com" });
    nock("https://events.eu.pagerduty.com")
      .post("/v2/enqueue", (b) => b.event_action === "trigger" && b.dedup_key === "9c1b3f2a7d4e5f60")
      .reply(202, { status: "success", dedup_key: "9c1b3f2a7d4e5f60" })
      .post("/v2/enqueue", { routing_key: ROUTING_KEY, event_action: "resolve", dedup_key: "9c1b3f2a7d4e5f60" })
      .reply(202, { status: "success", dedup_key: "9c1b3f2a7d4e5f60" });
    await expect(pd.trigger(predictionEnvelope())).resolves.toEqual({ dedupKey: "9c1b3f2a7d4e5f60" });
    await expect(pd.resolve("9c1b3f2a7d4e5f60")).resolves.toEqual({ dedupKey: "9c1b3f2a7d4e5f60" });
  });
});
