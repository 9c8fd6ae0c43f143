/**
 * The dashboard's insight reads (store/dashboardReads.ts) on SQLite and a real PostgreSQL started
 * for this suite: predictions with their outcome derived from the recorded feedback (an issue
 * closed as completed or not planned, a dismissal), paged newest first; the resolved ones for
 * accuracy and calibration; a pattern by id; trust and feedback; review results with the time
 * their review job was queued. Every read keeps to the repositories asked for, matched without
 * regard to case, and a limit above the cap is capped.
 */
import { jest } from "@jest/globals";
import { newPattern } from "../../src/engine/patterns.js";
import { newTrustRecord } from "../../src/engine/trust.js";
import { MAX_DASHBOARD_PAGE } from "../../src/store/dashboardReads.js";
import type { Store } from "../../src/store/store.js";
import { storeBackends, type StorePair } from "./contractBackends.js";
import { postgresForSuite } from "./postgresSuite.js";
import { reviewResult } from "./storeFixtures.js";

jest.setTimeout(60_000);

const server = postgresForSuite();

const prediction = (fingerprint: string, confidence: number, id = `pred-${fingerprint}`) => ({
  id,
  kind: "migration-drop-column",
  prediction: `Dropping the column breaks readers of ${fingerprint}. More text here.`,
  confidence,
  severity: "high",
  path: "db/m.sql",
  line: 3,
  fingerprint,
});

async function feedback(s: Store, repo: string, key: string, outcome: "accepted" | "rejected", at: number, user = "alice") {
  return s.saveFeedback({ repo, key, outcome, userId: user, createdAt: at, trust: newTrustRecord(user, repo), events: [] });
}

describe.each(storeBackends(() => server))("dashboard reads: %s", (_name, open) => {
  let s: StorePair;
  beforeEach(async () => {
    s = await open();
  });
  afterEach(async () => {
    await s.close();
  });

  /** Octo/App (stored with capitals): p1 issue confirmed, p2 issue rejected, p3 dismissed, p4 open; a finding; Other/Repo: p9. */
  async function seed() {
    const { a } = s;
    await a.saveShownItems("Octo/App", [
      { fingerprint: "p1", prNumber: 7, author: "alice", item: prediction("p1", 0.82) },
      { fingerprint: "p2", prNumber: 7, author: "alice", item: prediction("p2", 0.35) },
      { fingerprint: "p3", prNumber: 8, author: "bob", item: prediction("p3", 0.61) },
      { fingerprint: "p4", prNumber: 8, author: "bob", item: prediction("p4", 0.9) },
      { fingerprint: "f1", prNumber: 8, author: "bob", item: { rule: "sql-injection", message: "x", confidence: 0.9, fingerprint: "f1" } },
    ]);
    await a.saveShownItems("Other/Repo", [{ fingerprint: "p9", prNumber: 1, author: "eve", item: prediction("p9", 0.5) }]);
    for (const [fp, at] of [
      ["p1", 1000],
      ["p2", 2000],
      ["p3", 3000],
      ["p4", 4000],
      ["f1", 4500],
    ] as const)
      await s.sql("UPDATE shown_items SET created_at = ? WHERE repo = ? AND fingerprint = ?", at, "Octo/App", fp);
    await a.savePredictionIssue("Octo/App", "p1", 11, {
      title: "Prediction (82%): Dropping",
      confidence: 0.82,
      url: "https://github.com/Octo/App/issues/11",
    });
    await a.savePredictionIssue("Octo/App", "p2", 12, { title: "Prediction (35%): Other", confidence: 0.35, url: null });
    // An issue whose shown item is gone (pruned): still listed, from its issue.
    await a.savePredictionIssue("Octo/App", "p0", 10, { title: "Old prediction", confidence: 0.15, url: null });
    await s.sql("UPDATE prediction_issues SET created_at = ? WHERE fingerprint = ?", 500, "p0");
    await feedback(a, "Octo/App", "issue:11", "accepted", 5000);
    await feedback(a, "Octo/App", "issue:12", "rejected", 6000);
    await feedback(a, "Octo/App", "finding:8:p3", "rejected", 7000, "bob");
    await feedback(a, "Octo/App", "finding:8:f1", "rejected", 7500, "bob"); // a finding: no prediction
    await feedback(a, "Octo/App", "issue:10", "rejected", 8000);
    await feedback(a, "Other/Repo", "finding:1:p9", "accepted", 9000, "eve");
  }

  it("lists predictions with their outcome from the feedback, newest first, a page at a time, of the repositories asked only", async () => {
    await seed();
    const first = await s.b.listDashboardPredictions({ repos: ["octo/app"], limit: 3 });
    expect(first.map((p) => [p.fingerprint, p.outcome])).toEqual([
      ["p4", "open"],
      ["p3", "rejected"],
      ["p2", "rejected"],
    ]);
    expect(first[0]).toMatchObject({ repo: "Octo/App", prNumber: 8, confidence: 0.9, issueNumber: null, predictionId: "pred-p4" });
    expect(first[1]).toMatchObject({ outcomeAt: 7000, kind: "migration-drop-column", title: "Dropping the column breaks readers of p3." });
    const last = first[first.length - 1];
    const second = await s.b.listDashboardPredictions({
      repos: ["octo/app"],
      before: { at: last.at, repo: last.repo, fingerprint: last.fingerprint },
      limit: 3,
    });
    expect(second.map((p) => [p.fingerprint, p.outcome, p.issueNumber])).toEqual([
      ["p1", "confirmed", 11],
      ["p0", "rejected", 10],
    ]);
    expect(second[0]).toMatchObject({ issueUrl: "https://github.com/Octo/App/issues/11", prNumber: 7, outcomeAt: 5000 });
    expect(second[1]).toMatchObject({ prNumber: null, confidence: 0.15, title: "Old prediction" });
    // Never another repository's, nor a finding.
    const all = await s.a.listDashboardPredictions({ repos: ["octo/app", "nobody/else"], limit: 50 });
    expect(all.map((p) => p.fingerprint).sort()).toEqual(["p0", "p1", "p2", "p3", "p4"]);
    expect(await s.a.listDashboardPredictions({ repos: ["nobody/else"], limit: 50 })).toEqual([]);
    expect(await s.a.listDashboardPredictions({ repos: [], limit: 50 })).toEqual([]);
  });

  it("reads the resolved predictions with their confidence, newest outcome first", async () => {
    await seed();
    const resolved = await s.a.listResolvedPredictions({ repos: ["OCTO/APP"], limit: 100 });
    expect(resolved.map((r) => [r.confidence, r.outcome, r.at])).toEqual([
      [0.15, "rejected", 8000],
      [0.61, "rejected", 7000],
      [0.35, "rejected", 6000],
      [0.82, "confirmed", 5000],
    ]);
    expect((await s.a.listResolvedPredictions({ repos: ["octo/app"], limit: 2 })).length).toBe(2);
    expect(await s.a.listResolvedPredictions({ repos: ["other/repo"], limit: 10 })).toEqual([
      { repo: "Other/Repo", confidence: 0.5, outcome: "confirmed", at: 9000 },
    ]);
  });

  it("finds a pattern by id only in the repositories asked", async () => {
    const p = { ...newPattern("Octo/App", "sql-injection"), occurrences: 3, prNumbers: [1, 2, 3] };
    await s.a.savePattern(p);
    await s.a.savePattern(newPattern("Other/Repo", "sql-injection"));
    expect(await s.b.getDashboardPattern({ repos: ["octo/app"], id: p.id })).toEqual(p);
    expect(await s.b.getDashboardPattern({ repos: ["other/repo"], id: p.id })).toBeUndefined();
    expect(await s.b.getDashboardPattern({ repos: ["octo/app"], id: "pat-000000000000" })).toBeUndefined();
    expect(await s.b.getDashboardPattern({ repos: ["octo/app"], id: "x' OR '1'='1" })).toBeUndefined();
  });

  it("lists trust records and feedback of the repositories asked, bounded", async () => {
    await seed();
    await s.a.saveTrust({ ...newTrustRecord("alice", "Octo/App"), trust: 0.43 });
    await s.a.saveTrust(newTrustRecord("eve", "Other/Repo"));
    const trust = await s.a.listDashboardTrust({ repos: ["octo/app"], limit: 10 });
    expect(trust.map((t) => [t.userId, t.trust])).toEqual([
      ["alice", 0.43],
      ["bob", 0.5],
    ]);
    expect((await s.a.listDashboardTrust({ repos: ["octo/app"], limit: 1 })).length).toBe(1);
    const fb = await s.a.listDashboardFeedback({ repos: ["octo/app"], since: 5500, limit: 10 });
    expect(fb.map((f) => [f.userId, f.outcome, f.createdAt])).toEqual([
      ["alice", "rejected", 6000],
      ["bob", "rejected", 7000],
      ["bob", "rejected", 7500],
      ["alice", "rejected", 8000],
    ]);
    expect(fb.every((f) => f.repo === "Octo/App")).toBe(true);
  });

  it("lists review results newest first with the time their review job was queued, and caps the page", async () => {
    await s.a.saveReviewResult("Octo/App", 7, reviewResult({ headSha: "h7", reviewedAt: 10_000 }));
    await s.a.saveReviewResult("Octo/App", 8, reviewResult({ headSha: "h8", reviewedAt: 20_000, findingCounts: { low: 4 } }));
    await s.a.saveReviewResult("Other/Repo", 1, reviewResult({ headSha: "x", reviewedAt: 30_000 }));
    const job = (pullNumber: number, headSha: string) => ({
      type: "review_pull_request",
      payload: {
        installationId: 1,
        owner: "Octo",
        repo: "App",
        pullNumber,
        headSha,
        deliveryId: `d-${pullNumber}-${headSha}`,
        action: "opened",
      },
    });
    const id = (await s.a.enqueueJob(job(8, "h8")))!;
    const other = (await s.a.enqueueJob(job(8, "older")))!;
    await s.sql("UPDATE jobs SET status = 'done', created_at = ? WHERE id = ?", 18_500, id);
    await s.sql("UPDATE jobs SET status = 'done', created_at = ? WHERE id = ?", 19_000, other);
    const reviews = await s.b.listDashboardReviews({ repos: ["octo/app"], limit: 1 });
    expect(reviews).toEqual([
      expect.objectContaining({
        repo: "Octo/App",
        prNumber: 8,
        headSha: "h8",
        level: 4,
        findingCounts: { low: 4 },
        reviewedAt: 20_000,
        queuedAt: 18_500,
      }),
    ]);
    const next = await s.b.listDashboardReviews({
      repos: ["octo/app"],
      before: { reviewedAt: 20_000, repo: "Octo/App", prNumber: 8 },
      limit: 10,
    });
    expect(next.map((r) => [r.prNumber, r.queuedAt])).toEqual([[7, null]]);
    for (let n = 100; n < 100 + MAX_DASHBOARD_PAGE + 5; n++) await s.a.saveReviewResult("Octo/App", n, reviewResult({ reviewedAt: n }));
    expect((await s.a.listDashboardReviews({ repos: ["octo/app"], limit: 10_000 })).length).toBe(MAX_DASHBOARD_PAGE);
  });
});
