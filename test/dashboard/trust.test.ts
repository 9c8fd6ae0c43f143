/**
 * /dashboard/trust against a real SQLite store written by the real engine (EmpathyOS
 * recordFeedback): per author and repository the trust now and replayed over time with the
 * engine's rule (the replay ends where the stored record is), and the circuit breaker's state per
 * repository from the app's own breaker function; only the viewer's repositories; the chart's
 * data block cannot be closed by a label.
 */
import { chartFigure } from "../../src/dashboard/insightsCommon.js";
import type { InsightsSource } from "../../src/dashboard/insightsSource.js";
import { trustLines } from "../../src/dashboard/trustPage.js";
import { EmpathyOS } from "../../src/engine/empathyOS.js";
import { applyOutcome, INITIAL_TRUST, newTrustRecord } from "../../src/engine/trust.js";
import { EventBus } from "../../src/events/bus.js";
import { breakerState, BREAKER_LOOKBACK_MS } from "../../src/github/feedback/feedbackBreaker.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { request, serve, sessionCookie, type Harness } from "./harness.js";

const HOUR = 3600_000;

function insightsOf(store: SqliteStore): InsightsSource {
  return {
    reads: store,
    trust: { initial: INITIAL_TRUST, after: (trust, outcome) => applyOutcome({ ...newTrustRecord("", ""), trust }, outcome, 0).newTrust },
    breaker: {
      lookbackMs: BREAKER_LOOKBACK_MS,
      state: (entries, now) =>
        breakerState(
          entries.map((e) => ({ ...e, key: "" })),
          now,
        ),
    },
  };
}

describe("dashboard trust page", () => {
  let h: Harness;
  let store: SqliteStore;
  let engine: EmpathyOS;
  let cookie: string;

  beforeEach(async () => {
    store = new SqliteStore(":memory:");
    engine = new EmpathyOS({ eventBus: new EventBus(), state: store });
    h = await serve({ insights: insightsOf(store) });
    cookie = sessionCookie({ now: h.clock.now, repos: ["octo/app", "octo/lib"] });
  });
  afterEach(async () => {
    await h.close();
    await store.close();
  });

  let n = 0;
  const give = (repo: string, userId: string, outcome: "accepted" | "rejected", at: number) =>
    engine.recordFeedback({ userId, repo, outcome, key: `finding:1:k${++n}`, recordedAt: at, reason: "test" });

  it("shows trust now and over time per author and repository, and the breaker open where rejections piled up", async () => {
    const now = h.clock.now;
    await give("Octo/App", "alice", "accepted", now - 40 * 24 * HOUR);
    await give("Octo/App", "alice", "accepted", now - 30 * HOUR);
    await give("Octo/App", "bob", "rejected", now - 3 * HOUR);
    await give("Octo/App", "bob", "rejected", now - 2 * HOUR);
    await give("Octo/App", "alice", "rejected", now - 1 * HOUR);
    await give("Octo/Lib", "carol", "accepted", now - 2 * HOUR);
    await give("Secret/Repo", "mallory", "rejected", now - HOUR);
    const res = await request(`${h.url}/dashboard/trust`, { cookie });
    expect(res.status).toBe(200);
    const page = res.text;
    const stored = (await store.getTrust("alice", "Octo/App"))!.trust;
    expect(stored).toBeCloseTo(0.48, 6); // 0.5 + 0.05 + 0.05 - 0.12
    expect(page).toMatch(
      /<th scope="row">alice<\/th><td>Octo\/App<\/td><td class="num">48.0 %<\/td><td class="num">2<\/td><td class="num">1<\/td>/,
    );
    expect(page).toMatch(
      /<th scope="row">bob<\/th><td>Octo\/App<\/td><td class="num">26.0 %<\/td><td class="num">0<\/td><td class="num">2<\/td>/,
    );
    // The breaker: three rejections within a day in Octo/App; Octo/Lib closed.
    expect(page).toMatch(/<th scope="row">Octo\/App<\/th><td><span class="circuit circuit-open">Open \(cautious mode\)<\/span><\/td>/);
    expect(page).toMatch(/<th scope="row">Octo\/Lib<\/th><td><span class="circuit circuit-closed">Closed<\/span><\/td>/);
    expect(page).not.toContain("Secret/Repo");
    expect(page).not.toContain("mallory");
    // Over time: the chart's series, stepped, ending at the stored value.
    const spec = JSON.parse(/<script type="application\/json" id="trust-chart-data">([^<]*)<\/script>/.exec(page)![1]);
    const alice = spec.series.find((s: { label: string }) => s.label === "alice in Octo/App");
    expect(alice.values.at(-1)).toBeCloseTo(stored, 6);
    expect(alice.values[0]).toBeCloseTo(0.55, 6);
    expect(spec.x).toHaveLength(5); // bob and carol at the same time: one x
    // The changes table, newest first.
    expect(page).toMatch(/<th scope="row">alice<\/th><td>Octo\/App<\/td><td>Rejected<\/td><td class="num">48.0 %<\/td>/);
    // Filtered to one repository.
    const lib = await request(`${h.url}/dashboard/trust?repo=octo%2Flib`, { cookie });
    expect(lib.text).toContain("carol");
    expect(lib.text).not.toContain("bob");
  });

  it("says so when there is nothing yet, and when the breaker is not wired", async () => {
    const empty = await request(`${h.url}/dashboard/trust`, { cookie });
    expect(empty.text).toContain("No trust recorded yet");
    expect(empty.text).toContain("the breaker is closed everywhere");
    const bare = await serve({ insights: { reads: store } });
    try {
      const res = await request(`${bare.url}/dashboard/trust`, { cookie: sessionCookie({ now: bare.clock.now, repos: ["octo/app"] }) });
      expect(res.text).toContain("not wired into this dashboard");
    } finally {
      await bare.close();
    }
  });

  it("replays without the engine's rule as counts only, and keeps a chart's data block closed whatever its labels say", () => {
    const lines = trustLines(
      [{ userId: "a", repo: "o/r", trust: 0.6 }],
      [{ repo: "o/r", userId: "a", outcome: "accepted", createdAt: 1 }],
      undefined,
    );
    expect(lines).toEqual([{ repo: "o/r", userId: "a", now: 0.6, accepted: 1, rejected: 0, points: [] }]);
    const fig = chartFigure("c", "cap", "alt", {
      x: [1],
      xKind: "time",
      xLabel: "t",
      yLabel: "y",
      percent: true,
      series: [{ label: "</script><script>alert(1)</script>\u2028", values: [0.5] }],
    }).text;
    expect(fig.match(/<\/script>/g)).toHaveLength(1);
    const json = /<script type="application\/json" id="c-data">(.*)<\/script>/s.exec(fig)![1];
    expect(JSON.parse(json).series[0].label).toBe("</script><script>alert(1)</script>\u2028");
  });
});
