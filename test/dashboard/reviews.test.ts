/**
 * /dashboard/reviews against a real SQLite store: the pull requests reviewed in the viewer's
 * repositories with level, confidence, findings and the time to review (from the review job's
 * queueing to the stored result, "—" once the job is gone), newest first, paged; never another
 * repository's; a tampered cursor shows nothing it should not.
 */
import type { InsightsSource } from "../../src/dashboard/insightsSource.js";
import { duration } from "../../src/dashboard/reviewsPage.js";
import { LEVEL_NAMES, type EmpathyLevel } from "../../src/engine/levels.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import type { ReviewResult } from "../../src/store/store.js";
import { request, serve, sessionCookie, type Harness } from "./harness.js";

const result = (over: Partial<ReviewResult>): ReviewResult => ({
  headSha: "abcdef1234567",
  level: 4,
  confidence: 0.87,
  summary: "Adds an export.",
  notice: null,
  findingCounts: { low: 1, high: 2 },
  topFindings: [],
  predictions: [],
  summaryCommentId: 1,
  summaryUrl: "https://github.com/Octo/App/pull/7#issuecomment-1",
  reviewedAt: Date.parse("2026-12-05T05:00:00Z"),
  ...over,
});

describe("dashboard reviews page", () => {
  let h: Harness;
  let store: SqliteStore;
  let cookie: string;

  beforeEach(async () => {
    store = new SqliteStore(":memory:");
    const insights: InsightsSource = { reads: store, levelName: (l) => LEVEL_NAMES[l as EmpathyLevel] };
    h = await serve({ insights });
    cookie = sessionCookie({ now: h.clock.now, repos: ["octo/app"] });
  });
  afterEach(async () => {
    await h.close();
    await store.close();
  });

  it("lists the reviewed pull requests with level, findings and the time to review where the job is kept", async () => {
    const reviewedAt = Date.parse("2026-12-05T05:00:00Z");
    await store.saveReviewResult("Octo/App", 7, result({ headSha: "h7", reviewedAt }));
    await store.saveReviewResult(
      "Octo/App",
      8,
      result({ headSha: "h8", level: 2, findingCounts: {}, summaryUrl: "javascript:x", reviewedAt: reviewedAt - 60_000 }),
    );
    await store.saveReviewResult("Secret/Repo", 1, result({ headSha: "s1", reviewedAt }));
    const id = (await store.enqueueJob({
      type: "review_pull_request",
      payload: { installationId: 1, owner: "Octo", repo: "App", pullNumber: 7, headSha: "h7", deliveryId: "d1", action: "opened" },
    }))!;
    store.db.prepare("UPDATE jobs SET status = 'done', created_at = ? WHERE id = ?").run(reviewedAt - 1500, id);
    const res = await request(`${h.url}/dashboard/reviews`, { cookie });
    expect(res.status).toBe(200);
    const page = res.text;
    expect(page).toContain('<a href="https://github.com/Octo/App/pull/7">Octo/App#7</a>');
    expect(page).toContain('href="https://github.com/Octo/App/pull/7#issuecomment-1"');
    expect(page).not.toContain("javascript:");
    expect(page).toContain('4 <span class="muted">anticipatory</span>');
    expect(page).toContain('3 <span class="muted">(2 high, 1 low)</span>');
    expect(page).toContain("<td>None</td>");
    expect(page).toMatch(/<td class="num">1\.5 s<\/td><td><code>h7<\/code>/);
    expect(page).toMatch(/<td class="num">—<\/td><td><code>h8<\/code>/);
    expect(page).toContain("Median on this page: 1.5 s.");
    expect(page).not.toContain("Secret/Repo");
    expect(page.indexOf("Octo/App#7")).toBeLessThan(page.indexOf("Octo/App#8"));
  });

  it("pages newest first, and a cursor naming another repository shows nothing of it", async () => {
    for (let n = 1; n <= 55; n++) await store.saveReviewResult("Octo/App", n, result({ headSha: `h${n}`, reviewedAt: 1_000_000 + n }));
    await store.saveReviewResult("Secret/Repo", 1, result({ headSha: "s1", reviewedAt: 1 }));
    const first = await request(`${h.url}/dashboard/reviews`, { cookie });
    expect((first.text.match(/>Octo\/App#\d+<\/a>/g) ?? []).length).toBe(50);
    const next = /href="([^"]+)" rel="next"/.exec(first.text)![1].replace(/&amp;/g, "&");
    expect(next).toContain("before_pr=6");
    const second = await request(`${h.url}${next}`, { cookie });
    expect((second.text.match(/>Octo\/App#\d+<\/a>/g) ?? []).length).toBe(5);
    const tampered = await request(`${h.url}/dashboard/reviews?before_at=99999999999&before_repo=Secret%2FRepo&before_pr=9`, { cookie });
    expect(tampered.text).not.toContain("Secret/Repo");
    const junk = await request(`${h.url}/dashboard/reviews?before_at=-1&before_repo=%00&before_pr=x`, { cookie });
    expect(junk.status).toBe(200);
    expect((junk.text.match(/>Octo\/App#\d+<\/a>/g) ?? []).length).toBe(50); // an invalid cursor: the first page
  });

  it("formats durations", () => {
    expect(duration(250)).toBe("250 ms");
    expect(duration(1500)).toBe("1.5 s");
    expect(duration(125_000)).toBe("2 min 5 s");
    expect(duration(2 * 3600_000 + 60_000)).toBe("2 h 1 min");
  });
});
