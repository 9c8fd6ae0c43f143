/**
 * PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/):
 * the enqueue request, dedup_key from the fingerprint, the severity mapping, the summary limit,
 * 202 as success, and the routing key kept out of the store.
 */
import nock from "nock";
import { attachIntegrations, buildIntegrations } from "../../src/integrations/index.js";
import {
  createPagerDuty,
  PAGERDUTY_PAYLOAD_LIMIT_BYTES,
  pagerDutyEvent,
  pagerDutySeverity,
  pagerDutyThrottleBackoffMs,
} from "../../src/integrations/pagerduty.js";
import { utf8Bytes } from "../../src/integrations/markup.js";
import { setup, type Setup } from "../delivery/helpers.js";
import { cleanNock, disableNet, emitPrediction, nockedManager, predictionEnvelope, storedText, waitFor } from "./helpers.js";
import { StandIn, WindowLimit } from "./standIn.js";

const EVIL = "<!channel> @everyone <@U1> [x](https://evil.example)";

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
    pd.attach();
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
    expect(["critical", "high", "medium", "low", "info", null].map((s) => pagerDutySeverity(s as never))).toEqual([
      "critical",
      "error",
      "warning",
      "info",
      "info",
      "info",
    ]);
    const long = pagerDutyEvent(predictionEnvelope({ prediction: "y".repeat(3000) }), { routingKey: ROUTING_KEY });
    expect(long.payload!.summary.length).toBe(1024);
    const custom = pagerDutyEvent(
      { id: "evt-9", event_type: "deploy_failed", timestamp: "2025-03-01T10:00:00.000Z", data: { service: "api" } },
      { routingKey: ROUTING_KEY, source: "ci" },
    );
    expect(custom).toMatchObject({
      dedup_key: "deploy_failed:evt-9",
      payload: { summary: "Deploy failed", source: "ci", severity: "info" },
    });
    expect(custom.links).toBeUndefined();
  });

  it("does not retry an invalid event (400), keeping its errors[] in the log, and retries a 429", async () => {
    const s = nockedManager();
    setups.push(s);
    // timeScale: the 429's one-minute backoff lasts 60 ms here.
    createPagerDuty({
      routingKey: ROUTING_KEY,
      manager: s.manager,
      events: ["level_4_prediction", "level_5_transformation"],
      timeScale: 0.001,
    }).attach();
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
      data: {
        user_id: "a",
        repo: "o/r",
        pr_number: 3,
        url: null,
        pattern_id: "p",
        pattern_name: "unsafe SQL",
        occurrences: 3,
        pr_numbers: [1, 2, 3],
        confidence: 0.8,
        proposal: "Use a query builder.",
      },
    });
    await waitFor(async () => {
      const c = await s.manager.counts();
      return c.delivered === 1 && c.dead === 1;
    });
    const dead = await s.manager.getDeliveryLogs({ status: "dead" });
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({
      eventType: "level_5_transformation",
      attempt: 1,
      error: "HTTP 400: PagerDuty: Event object is invalid: 'routing_key' is invalid",
    });
    expect(s.logs.text()).toContain("'routing_key' is invalid");
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
  it("sends text from the pull request as the plain text PagerDuty shows, and links only to the pull request's http(s) URL", () => {
    const event = pagerDutyEvent(predictionEnvelope({ prediction: EVIL, recommendation: EVIL }), { routingKey: ROUTING_KEY });
    // PagerDuty renders summary and custom details as plain text: nothing to escape, nothing that becomes a mention or link.
    expect(event.payload!.summary).toBe(`Prediction in octo-org/shop#42: ${EVIL}`);
    expect(event.payload!.custom_details!.recommendation).toBe(EVIL);
    expect(event.links).toEqual([{ href: "https://github.com/octo-org/shop/pull/42", text: "Pull request octo-org/shop#42" }]);
    const sneaky = pagerDutyEvent(predictionEnvelope({ url: "javascript:alert(1)" as never }), { routingKey: ROUTING_KEY });
    expect(sneaky.links).toBeUndefined();
    expect(sneaky.client_url).toBeUndefined();
  });

  it("keeps the event under the 512 KB PagerDuty counts in bytes, whatever the script", () => {
    const cjk = "予測".repeat(30_000); // 180 KB of UTF-8 in each of three fields
    expect(utf8Bytes(cjk) * 3).toBeGreaterThan(PAGERDUTY_PAYLOAD_LIMIT_BYTES);
    const event = pagerDutyEvent(predictionEnvelope({ prediction: cjk, recommendation: cjk, impact: cjk }), { routingKey: ROUTING_KEY });
    expect(utf8Bytes(JSON.stringify(event))).toBeLessThanOrEqual(PAGERDUTY_PAYLOAD_LIMIT_BYTES);
  });

  it("sends to the EU service region with region: eu", async () => {
    const s = nockedManager();
    setups.push(s);
    attachIntegrations(buildIntegrations({ pagerduty: { routing_key: ROUTING_KEY, region: "eu" } }, { manager: s.manager }), s.bus);
    const scope = nock("https://events.eu.pagerduty.com").post("/v2/enqueue").reply(202, { status: "success" });
    await s.manager.start();
    emitPrediction(s.bus);
    await waitFor(async () => (await s.manager.counts()).delivered === 1);
    scope.done();
    expect(s.manager.list()[0].origin).toBe("https://events.eu.pagerduty.com");
  });

  it("pages only for high and critical unless min_severity says otherwise", async () => {
    const s = nockedManager();
    setups.push(s);
    createPagerDuty({ routingKey: ROUTING_KEY, manager: s.manager }).attach();
    const severities: string[] = [];
    const scope = nock("https://events.pagerduty.com")
      .post("/v2/enqueue", (b) => (severities.push(b.custom_details?.severity ?? b.payload.custom_details.severity), true))
      .times(2)
      .reply(202, { status: "success" });
    await s.manager.start();
    for (const severity of ["info", "low", "medium", "high", "critical"] as const)
      emitPrediction(s.bus, { severity, fingerprint: severity });
    await waitFor(async () => (await s.manager.counts()).delivered === 2);
    scope.done();
    expect(severities.sort()).toEqual(["critical", "high"]);
    expect(await s.manager.getDeliveryLogs()).toHaveLength(2); // the others were never queued
  });

  it("keeps the routing key out of a 400's error even when PagerDuty echoes it", async () => {
    const s = nockedManager();
    setups.push(s);
    createPagerDuty({ routingKey: ROUTING_KEY, manager: s.manager }).attach();
    nock("https://events.pagerduty.com")
      .post("/v2/enqueue")
      .reply(400, { status: "invalid event", message: "Event object is invalid", errors: [`'routing_key' ${ROUTING_KEY} is not active`] });
    await s.manager.start();
    emitPrediction(s.bus);
    await waitFor(async () => (await s.manager.counts()).dead === 1);
    const [dead] = await s.manager.getDeliveryLogs();
    expect(dead.error).toBe("HTTP 400: PagerDuty: Event object is invalid: 'routing_key' [routing_key] is not active");
    expect(JSON.stringify(dead)).not.toContain(ROUTING_KEY);
    expect(storedText(s.store)).not.toContain(ROUTING_KEY);
    expect(s.logs.text()).not.toContain(ROUTING_KEY);
  });

  describe("rate limits (issue 11: 120 events a minute per routing key, 429 backoff in minutes)", () => {
    const SCALE = 0.01; // PagerDuty's minute is 600 ms here
    const WINDOW = 60_000 * SCALE;
    const stands: StandIn[] = [];
    afterEach(async () => {
      for (const st of stands.splice(0)) await st.close();
    });

    /** The Events API: 120 events per minute per routing key, then 429 (without Retry-After). */
    async function eventsStandIn(limit: WindowLimit): Promise<StandIn> {
      const stand = await new StandIn(
        (req, at, st) => {
          const r = limit.take(req.json.routing_key, at);
          if (r.ok) return { status: 202, body: { status: "success", message: "Event processed", dedup_key: req.json.dedup_key } };
          st.refused++;
          if (r.afterRefusal) st.violations++;
          return {
            status: 429,
            body: { status: "throttle exceeded", message: "Requests for this service are arriving too quickly. Please retry later." },
          };
        },
        (req) => String(req.json?.routing_key).slice(0, 5),
      ).listen();
      stands.push(stand);
      return stand;
    }

    it("queues a burst by design: 130 events to one key and 10 to another go out paced, and the stand-in never throttles one", async () => {
      const stand = await eventsStandIn(new WindowLimit(120, WINDOW));
      const s = setup();
      setups.push(s);
      createPagerDuty({
        routingKey: "KEYAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        name: "pd-a",
        apiUrl: stand.url(),
        timeScale: SCALE,
        manager: s.manager,
      }).attach();
      createPagerDuty({
        routingKey: "KEYBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
        name: "pd-b",
        apiUrl: stand.url(),
        timeScale: SCALE,
        manager: s.manager,
        events: ["deploy_failed"],
      }).attach();
      await s.manager.start();
      for (let i = 0; i < 130; i++) emitPrediction(s.bus, { fingerprint: `f${i}`, severity: "critical" });
      for (let i = 0; i < 10; i++) s.bus.emit({ type: "deploy_failed", data: { service: `api-${i}` } });
      await waitFor(async () => (await s.manager.counts()).delivered === 140, 20_000, "140 events");
      expect(stand.refused).toBe(0);
      expect(stand.requests).toHaveLength(140);
      // One at a time per key; the second key is not queued behind the first one's burst.
      expect(stand.maxInFlight).toBeLessThanOrEqual(2);
      expect(stand.order.lastIndexOf("KEYBB")).toBeLessThan(stand.order.lastIndexOf("KEYAA"));
      expect(s.logs.lines.map((l) => l.msg)).not.toContain("webhook endpoint circuit opened: pausing deliveries");
    });

    it("after a 429 holds the key for a minute and retries the event in minutes: no page is lost, nothing reaches a throttled key, the breaker stays closed", async () => {
      // Another sender already used 115 of this minute's 120.
      const stand = await eventsStandIn(new WindowLimit(120, WINDOW, { KEYAAAAAAAAAAAAAAAAAAAAAAAAAAAAA: 115 }));
      const s = setup({ breakerThreshold: 2 });
      setups.push(s);
      createPagerDuty({
        routingKey: "KEYAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        apiUrl: stand.url(),
        timeScale: SCALE,
        manager: s.manager,
      }).attach();
      await s.manager.start();
      for (let i = 0; i < 8; i++) emitPrediction(s.bus, { fingerprint: `f${i}`, severity: "critical" });
      await waitFor(async () => (await s.manager.counts()).delivered === 8, 20_000, "8 events");
      expect(stand.refused).toBe(1);
      expect(stand.violations).toBe(0);
      expect(stand.requests).toHaveLength(9);
      const [throttled] = await s.manager.getDeliveryLogs({ status: "failed" });
      expect(throttled).toMatchObject({ statusCode: 429, error: "HTTP 429: PagerDuty throttled the routing key: retry in 1 min" });
      expect(await s.manager.getDeliveryLogs({ status: "dead" })).toEqual([]);
      expect(s.logs.lines.map((l) => l.msg)).not.toContain("webhook endpoint circuit opened: pausing deliveries");
      expect(s.logs.lines.map((l) => l.msg)).toContain("webhook endpoint rate limit: holding deliveries until its window resets");
    });

    it("waits 1, 2, 4... minutes between tries of a throttled event, at most 16", () => {
      expect([1, 2, 3, 4, 5, 6, 7].map((a) => pagerDutyThrottleBackoffMs(a) / 60_000)).toEqual([1, 2, 4, 8, 16, 16, 16]);
    });
  });
});
