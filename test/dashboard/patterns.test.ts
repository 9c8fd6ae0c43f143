/**
 * /dashboard/patterns/:id against a real SQLite store: the pattern with its confidence, uses and
 * pull requests; the same 404 for an unknown id, a malformed one and another repository's pattern
 * (its existence does not leak). Also what leads there: Slack's "View pattern" button (the public
 * URL's page when it is set, today's link otherwise), and the bound on a pattern's pull requests.
 */
import { isTransformative, MAX_PATTERN_PRS, newPattern, recordOccurrence } from "../../src/engine/patterns.js";
import type { InsightsSource } from "../../src/dashboard/insightsSource.js";
import { buildIntegrations } from "../../src/integrations/index.js";
import { patternPageUrl, slackMessage, slackPatternMessage, type SlackIntegration } from "../../src/integrations/slack.js";
import { setup } from "../delivery/helpers.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import type { NoticeEnvelope } from "../../src/integrations/notice.js";
import { request, serve, sessionCookie, type Harness } from "./harness.js";

describe("dashboard pattern page", () => {
  let h: Harness;
  let store: SqliteStore;
  let cookie: string;

  beforeEach(async () => {
    store = new SqliteStore(":memory:");
    const insights: InsightsSource = { reads: store };
    h = await serve({ insights });
    cookie = sessionCookie({ now: h.clock.now, repos: ["octo/app"] });
  });
  afterEach(async () => {
    await h.close();
    await store.close();
  });

  it("shows the pattern, its confidence, uses and the pull requests it came from, newest first", async () => {
    const p = {
      ...newPattern("Octo/App", "js/sql-injection"),
      occurrences: 3,
      successes: 4,
      failures: 1,
      confidence: 0.714286,
      learned: true,
      prNumbers: [3, 5, 9],
    };
    await store.savePattern(p);
    const res = await request(`${h.url}/dashboard/patterns/${p.id}`, { cookie });
    expect(res.status).toBe(200);
    expect(res.text).toContain("<h1>Pattern: js/sql-injection</h1>");
    expect(res.text).toContain("71.4 %");
    expect(res.text).toContain("3 pull requests");
    expect(res.text).toContain("4 accepted or confirmed, 1 rejected");
    const links = [...res.text.matchAll(/<a href="(https:\/\/github\.com\/Octo\/App\/pull\/\d+)">/g)].map((m) => m[1]);
    expect(links).toEqual([
      "https://github.com/Octo/App/pull/9",
      "https://github.com/Octo/App/pull/5",
      "https://github.com/Octo/App/pull/3",
    ]);
  });

  it("answers an unknown id, a malformed one and another repository's pattern with the same 404", async () => {
    const theirs = newPattern("Secret/Repo", "js/sql-injection");
    await store.savePattern(theirs);
    const other = await request(`${h.url}/dashboard/patterns/${theirs.id}`, { cookie });
    const unknown = await request(`${h.url}/dashboard/patterns/pat-000000000000`, { cookie });
    const malformed = await request(`${h.url}/dashboard/patterns/..%2F..%2Fetc`, { cookie });
    for (const r of [other, unknown, malformed]) expect(r.status).toBe(404);
    expect(other.text).toBe(unknown.text);
    expect(other.text).not.toContain("Secret");
    // The owner sees it.
    const owner = sessionCookie({ now: h.clock.now, repos: ["secret/repo"] });
    expect((await request(`${h.url}/dashboard/patterns/${theirs.id}`, { cookie: owner })).status).toBe(200);
  });
});

describe("Slack's View pattern button", () => {
  const envelope = (data: Record<string, unknown>) =>
    ({ event_type: "pattern_learned", event_id: "e1", timestamp: "2026-12-05T06:00:00Z", data }) as unknown as NoticeEnvelope;
  const data = { pattern_id: "pat-0123456789ab", pattern_name: "js/sql-injection", confidence: 0.5, user_id: "alice", repo: "octo/app" };
  const button = (m: { blocks?: Record<string, unknown>[] }) =>
    (m.blocks!.at(-1) as { elements: { text: { text: string }; url: string; action_id: string }[] }).elements[0];

  it("opens the pattern's dashboard page when the public URL is set", () => {
    const b = button(slackPatternMessage(envelope(data), "https://github.com", "https://empathy.example.com/bot/"));
    expect(b).toMatchObject({
      url: "https://empathy.example.com/bot/dashboard/patterns/pat-0123456789ab",
      action_id: "empathy_view_pattern",
    });
    expect(b.text.text).toBe("View pattern");
    expect(button(slackMessage(envelope(data), { dashboardUrl: "https://empathy.example.com" })).url).toBe(
      "https://empathy.example.com/dashboard/patterns/pat-0123456789ab",
    );
  });

  it("is wired from the operator config with the app's public URL (buildIntegrations), and without it keeps today's link", async () => {
    const d = setup();
    try {
      const section = { slack: { webhook_url: "https://hooks.slack.com/services/T0/B0/x", notify_patterns: true } };
      const [withUrl] = buildIntegrations(section, {
        manager: d.manager,
        dashboardUrl: "https://empathy.example.com",
      }) as SlackIntegration[];
      expect(button(withUrl.buildPayload(envelope(data))).url).toBe("https://empathy.example.com/dashboard/patterns/pat-0123456789ab");
      const [without] = buildIntegrations(section, { manager: d.manager }) as SlackIntegration[];
      expect(button(without.buildPayload(envelope(data))).text.text).toBe("View prediction issues");
    } finally {
      await d.manager.stop();
    }
  });

  it("keeps today's link without a public URL, for an id that is not a pattern id, or a URL that is not http(s)", () => {
    expect(button(slackPatternMessage(envelope(data))).text.text).toBe("View prediction issues");
    expect(button(slackPatternMessage(envelope({ ...data, pattern_id: "pat-../../x" }), undefined, "https://e.example")).text.text).toBe(
      "View prediction issues",
    );
    expect(patternPageUrl("javascript:alert(1)//", "pat-0123456789ab")).toBeNull();
    expect(patternPageUrl(undefined, "pat-0123456789ab")).toBeNull();
  });
});

describe("a pattern's pull requests", () => {
  it(`keeps the ${MAX_PATTERN_PRS} most recent and counts every one`, () => {
    let p = newPattern("o/r", "k");
    for (let n = 1; n <= MAX_PATTERN_PRS + 10; n++) p = recordOccurrence(p, n).record;
    expect(p.prNumbers).toHaveLength(MAX_PATTERN_PRS);
    expect(p.prNumbers[0]).toBe(11);
    expect(p.prNumbers.at(-1)).toBe(MAX_PATTERN_PRS + 10);
    expect(p.occurrences).toBe(MAX_PATTERN_PRS + 10);
    expect(recordOccurrence(p, MAX_PATTERN_PRS + 10).record.occurrences).toBe(MAX_PATTERN_PRS + 10); // the same PR again: nothing
    expect(isTransformative(p)).toBe(true);
  });

  it("reads an older, unbounded record and bounds it at its next occurrence", () => {
    const old = { ...newPattern("o/r", "k"), learned: true, prNumbers: Array.from({ length: 80 }, (_, i) => i + 1), occurrences: 80 };
    const next = recordOccurrence(old, 500).record;
    expect(next.prNumbers).toHaveLength(MAX_PATTERN_PRS);
    expect(next.prNumbers.at(-1)).toBe(500);
    expect(next.occurrences).toBe(81);
  });
});
