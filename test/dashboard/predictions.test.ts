/**
 * /dashboard/predictions against a real SQLite store: every prediction of the viewer's
 * repositories with its confidence, pull request, issue and outcome (derived from the recorded
 * feedback), paged and filterable; accuracy per week and the calibration buckets in tables and in
 * the charts' data; never another repository's prediction, whatever the query says; text escaped.
 */
import { newTrustRecord } from "../../src/engine/trust.js";
import { patternId } from "../../src/engine/patterns.js";
import { accuracyByWeek, calibration, weekStart } from "../../src/dashboard/predictionsPage.js";
import type { InsightsSource } from "../../src/dashboard/insightsSource.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { request, serve, sessionCookie, type Harness } from "./harness.js";

const prediction = (fingerprint: string, confidence: number, text = `Readers of ${fingerprint} break.`) => ({
  id: `pred-${fingerprint}`,
  kind: "migration-drop-column",
  prediction: text,
  confidence,
  severity: "high",
  path: "db/m.sql",
  line: 3,
  fingerprint,
});

const DAY = 24 * 3600_000;
const T0 = Date.parse("2026-11-02T10:00:00Z"); // a Monday

async function feedback(store: SqliteStore, repo: string, key: string, outcome: "accepted" | "rejected", at: number) {
  await store.saveFeedback({ repo, key, outcome, userId: "alice", createdAt: at, trust: newTrustRecord("alice", repo), events: [] });
}

/** Data blocks of the page's charts, parsed. */
function chartData(page: string, id: string): { x: number[]; series: { label: string; values: (number | null)[] }[] } {
  const m = new RegExp(`<script type="application/json" id="${id}-data">([^<]*)</script>`).exec(page);
  if (!m) throw new Error(`no data block ${id}`);
  return JSON.parse(m[1]);
}

describe("dashboard predictions page", () => {
  let h: Harness;
  let store: SqliteStore;
  let cookie: string;

  beforeEach(async () => {
    store = new SqliteStore(":memory:");
    const insights: InsightsSource = { reads: store, patternId };
    h = await serve({ insights });
    cookie = sessionCookie({ now: h.clock.now, repos: ["octo/app"] });
  });
  afterEach(async () => {
    await h.close();
    await store.close();
  });

  async function seed() {
    await store.saveShownItems("Octo/App", [
      { fingerprint: "a1", prNumber: 7, author: "alice", item: prediction("a1", 0.85, "The <script>alert(1)</script> export breaks.") },
      { fingerprint: "a2", prNumber: 7, author: "alice", item: prediction("a2", 0.82) },
      { fingerprint: "a3", prNumber: 8, author: "alice", item: prediction("a3", 0.31) },
      { fingerprint: "a4", prNumber: 9, author: "alice", item: prediction("a4", 0.55) },
    ]);
    await store.saveShownItems("Secret/Repo", [
      { fingerprint: "s1", prNumber: 1, author: "eve", item: prediction("s1", 0.9, "SECRET-PREDICTION") },
    ]);
    await store.savePredictionIssue("Octo/App", "a1", 21, {
      title: "Prediction (85%): The export breaks",
      confidence: 0.85,
      url: "https://github.com/Octo/App/issues/21",
    });
    await store.savePredictionIssue("Octo/App", "a2", 22, {
      title: "Prediction (82%): Readers break",
      confidence: 0.82,
      url: "javascript:alert(1)",
    });
    await feedback(store, "Octo/App", "issue:21", "accepted", T0); // week of Nov 2: confirmed
    await feedback(store, "Octo/App", "issue:22", "rejected", T0 + 8 * DAY); // week of Nov 9: rejected
    await feedback(store, "Octo/App", "finding:8:a3", "rejected", T0 + 9 * DAY); // dismissed
    await feedback(store, "Secret/Repo", "finding:1:s1", "accepted", T0);
  }

  it("lists the viewer's predictions with confidence, pull request, issue and outcome, and the figures in tables and chart data", async () => {
    await seed();
    const res = await request(`${h.url}/dashboard/predictions`, { cookie });
    expect(res.status).toBe(200);
    const page = res.text;
    expect(page).toContain('<a href="https://github.com/Octo/App/pull/7">#7</a>');
    expect(page).toContain('<a href="https://github.com/Octo/App/issues/21">#21</a>');
    // A stored issue address that is not http(s) is never a link: the issue's address is built instead.
    expect(page).not.toContain("javascript:");
    expect(page).toContain('<a href="https://github.com/Octo/App/issues/22">#22</a>');
    expect(page).toContain("Prediction (85%): The export breaks");
    expect(page).toContain("Readers of a4 break.");
    expect(page).toContain(`/dashboard/patterns/${patternId("Octo/App", "migration-drop-column")}`);
    expect((page.match(/class="outcome-confirmed">Confirmed/g) ?? []).length).toBe(1);
    expect((page.match(/class="outcome-rejected">Rejected/g) ?? []).length).toBe(2);
    expect((page.match(/class="outcome-open">Open/g) ?? []).length).toBe(1);
    expect(page).toContain("85.0 %");
    expect(page).not.toContain("SECRET-PREDICTION");
    expect(page).not.toContain("Secret/Repo");
    // Accuracy per week: 1/1 then 0/2; calibration: 80–90 % has 2 predictions, 1 came true; 30–40 % has 1, none.
    expect(page).toMatch(/<th scope="row">2026-11-02<\/th><td class="num">1<\/td><td class="num">0<\/td><td class="num">100.0 %<\/td>/);
    expect(page).toMatch(/<th scope="row">2026-11-09<\/th><td class="num">0<\/td><td class="num">2<\/td><td class="num">0.0 %<\/td>/);
    expect(page).toMatch(/<th scope="row">80–90 %<\/th><td class="num">2<\/td><td class="num">1<\/td><td class="num">50.0 %<\/td>/);
    expect(page).toMatch(/<th scope="row">30–40 %<\/th><td class="num">1<\/td><td class="num">0<\/td><td class="num">0.0 %<\/td>/);
    const cal = chartData(page, "calibration-chart");
    expect(cal.x).toHaveLength(12);
    expect(cal.series[0].values[9]).toBe(0.5); // bucket 8 (80–90 %) at index 9 (after the 0 end point)
    expect(cal.series[0].values[4]).toBe(0);
    expect(cal.series[0].values[1]).toBeNull(); // no prediction in 0–10 %
    expect(cal.series[1].values).toEqual(cal.x); // the diagonal
    const acc = chartData(page, "accuracy-chart");
    expect(acc.x).toEqual([Date.parse("2026-11-02T00:00:00Z"), Date.parse("2026-11-09T00:00:00Z")]);
    expect(acc.series[0].values).toEqual([1, 0]);
    // Served by the app: uPlot and the chart script, no CDN.
    expect(page).toContain('src="/dashboard/assets/uplot.min.js"');
    expect(page).toContain('src="/dashboard/assets/insights.js"');
    expect(page).toContain('href="/dashboard/assets/uplot.min.css"');
    expect(page).not.toMatch(/https:\/\/(cdn|unpkg|jsdelivr)/);
    expect(page).toContain('aria-current="page">Predictions');
    const js = await request(`${h.url}/dashboard/assets/insights.js`);
    expect(js.status).toBe(200);
    expect(js.text).toContain("new uPlot(");
  });

  it("escapes prediction text, and keeps the chart data blocks closed", async () => {
    await store.saveShownItems("Octo/App", [
      { fingerprint: "x1", prNumber: 1, author: "alice", item: prediction("x1", 0.5, "Breaks </script><script>alert(1)</script> here.") },
    ]);
    await feedback(store, "Octo/App", "finding:1:x1", "rejected", T0);
    const page = (await request(`${h.url}/dashboard/predictions`, { cookie })).text;
    expect(page).not.toContain("<script>alert(1)");
    expect(page).toContain("&lt;/script&gt;&lt;script&gt;alert(1)");
  });

  it("filters by one of the viewer's repositories, and ignores a repository the viewer may not see", async () => {
    await seed();
    await store.saveShownItems("Octo/Lib", [
      { fingerprint: "l1", prNumber: 3, author: "bob", item: prediction("l1", 0.4, "LIB-PREDICTION") },
    ]);
    const both = sessionCookie({ now: h.clock.now, repos: ["octo/app", "octo/lib"] });
    const all = await request(`${h.url}/dashboard/predictions`, { cookie: both });
    expect(all.text).toContain("LIB-PREDICTION");
    expect(all.text).toContain('<option value="octo/lib">octo/lib</option>');
    const lib = await request(`${h.url}/dashboard/predictions?repo=octo%2Flib`, { cookie: both });
    expect(lib.text).toContain("LIB-PREDICTION");
    expect(lib.text).not.toContain("Readers of a4 break.");
    expect(lib.text).toContain('<option value="octo/lib" selected>');
    const hostile = await request(`${h.url}/dashboard/predictions?repo=secret%2Frepo`, { cookie });
    expect(hostile.status).toBe(200);
    expect(hostile.text).not.toContain("SECRET-PREDICTION");
    const cursor = await request(`${h.url}/dashboard/predictions?before_at=99999999999999&before_repo=Secret%2FRepo&before_fp=s2`, {
      cookie,
    });
    expect(cursor.text).not.toContain("SECRET-PREDICTION");
  });

  it("pages through the predictions, newest first", async () => {
    const items = Array.from({ length: 55 }, (_, i) => ({
      fingerprint: `f${String(i).padStart(2, "0")}`,
      prNumber: 100 + i,
      author: "alice",
      item: prediction(`f${String(i).padStart(2, "0")}`, 0.5, `Prediction number ${i}.`),
    }));
    await store.saveShownItems("Octo/App", items);
    for (let i = 0; i < 55; i++)
      store.db.prepare("UPDATE shown_items SET created_at = ? WHERE fingerprint = ?").run(T0 + i * 1000, items[i].fingerprint);
    const first = await request(`${h.url}/dashboard/predictions`, { cookie });
    expect((first.text.match(/Prediction number \d+\./g) ?? []).length).toBe(50);
    expect(first.text).toContain("Prediction number 54.");
    expect(first.text).not.toContain("Prediction number 4.");
    const next = /href="([^"]+)" rel="next"/.exec(first.text)![1].replace(/&amp;/g, "&");
    const second = await request(`${h.url}${next}`, { cookie });
    expect((second.text.match(/Prediction number \d+\./g) ?? []).length).toBe(5);
    expect(second.text).toContain("Prediction number 0.");
    expect(second.text).not.toContain('rel="next"');
    expect(second.text).toContain("Newest predictions");
  });

  it("says when nothing has an outcome yet, and when the store's insights are not wired", async () => {
    const empty = await request(`${h.url}/dashboard/predictions`, { cookie });
    expect(empty.text).toContain("No prediction has an outcome yet");
    expect(empty.text).toContain("No prediction yet in these repositories.");
    const bare = await serve();
    try {
      const res = await request(`${bare.url}/dashboard/predictions`, { cookie: sessionCookie({ now: bare.clock.now }) });
      expect(res.status).toBe(503);
      expect(res.text).toContain("not wired");
      expect((await request(`${bare.url}/dashboard/predictions`)).status).toBe(302); // no session: sign in first
    } finally {
      await bare.close();
    }
  });
});

describe("accuracy and calibration", () => {
  it("buckets confidence in tenths (1.0 in the last) and counts what came true", () => {
    const b = calibration([
      { repo: "r", confidence: 0, outcome: "rejected", at: 0 },
      { repo: "r", confidence: 0.1, outcome: "confirmed", at: 0 },
      { repo: "r", confidence: 0.99, outcome: "confirmed", at: 0 },
      { repo: "r", confidence: 1, outcome: "rejected", at: 0 },
    ]);
    expect(b.map((x) => x.count)).toEqual([1, 1, 0, 0, 0, 0, 0, 0, 0, 2]);
    expect(b[9]).toMatchObject({ confirmed: 1, observed: 0.5, meanConfidence: 0.995 });
    expect(b[2].observed).toBeNull();
  });

  it("groups outcomes by UTC week from Monday, oldest first, the newest weeks only", () => {
    expect(weekStart(Date.parse("2026-11-08T23:59:00Z"))).toBe(Date.parse("2026-11-02T00:00:00Z")); // a Sunday
    expect(weekStart(Date.parse("2026-11-09T00:00:00Z"))).toBe(Date.parse("2026-11-09T00:00:00Z"));
    const resolved = Array.from({ length: 30 }, (_, i) => ({
      repo: "r",
      confidence: 0.5,
      outcome: i % 2 === 0 ? ("confirmed" as const) : ("rejected" as const),
      at: T0 + i * 7 * DAY,
    }));
    const weeks = accuracyByWeek(resolved, 26);
    expect(weeks).toHaveLength(26);
    expect(weeks[0].weekStart).toBe(weekStart(T0 + 4 * 7 * DAY));
    expect(weeks.map((w) => w.accuracy).slice(0, 2)).toEqual([1, 0]);
  });
});
