/**
 * The store contract for what reviews concluded (store/results.ts), on SQLite (two store
 * instances on one file) and a real PostgreSQL started for this suite (two pools on one
 * database): review results per pull request, prediction issues with their details listed
 * newest first, issue policies per repository. Data deletion and `empathy store copy` of these
 * rows are in storeContract.test.ts and copy.test.ts.
 */
import { jest } from "@jest/globals";
import { storeBackends, type StorePair } from "./contractBackends.js";
import { postgresForSuite } from "./postgresSuite.js";
import { reviewResult } from "./storeFixtures.js";

jest.setTimeout(60_000);

const server = postgresForSuite();

describe.each(storeBackends(() => server))("review results contract: %s", (_name, open) => {
  let s: StorePair;
  beforeEach(async () => {
    s = await open();
  });
  afterEach(async () => {
    await s.close();
  });

  it("keeps the last review result per pull request, as given, whichever instance wrote it", async () => {
    const { a, b } = s;
    expect(await a.getReviewResult("o/r", 1)).toBeUndefined();
    await a.saveReviewResult("o/r", 1, reviewResult({ headSha: "sha1", level: 3 }));
    const latest = reviewResult({
      headSha: "sha2",
      notice: "cautious mode",
      summaryCommentId: 2 ** 40,
      summaryUrl: "https://github.com/o/r/pull/1#issuecomment-1",
      summary: "nul \u0000 and é ✓",
    });
    await b.saveReviewResult("o/r", 1, latest);
    await b.saveReviewResult(
      "o/r",
      2,
      reviewResult({ headSha: "other", summaryCommentId: null, summaryUrl: null, findingCounts: {}, topFindings: [], predictions: [] }),
    );
    // PostgreSQL refuses NUL in TEXT: it becomes U+FFFD there, as everywhere the store writes text.
    expect(await a.getReviewResult("o/r", 1)).toEqual({
      ...latest,
      summary: _name === "PostgreSQL" ? "nul \uFFFD and é ✓" : latest.summary,
    });
    expect(await a.getReviewResult("o/r", 2)).toMatchObject({
      headSha: "other",
      summaryCommentId: null,
      findingCounts: {},
      topFindings: [],
    });
    expect(await a.getReviewResult("O/r", 1)).toBeUndefined(); // names are matched as given
  });

  it("records prediction issues with their details and lists them newest first, of one repository or all, with a limit", async () => {
    const { a, b } = s;
    const details = (title: string, confidence: number) => ({
      title,
      confidence,
      url: `https://github.com/o/r/issues/${title.split(" ")[0]}`,
    });
    await a.savePredictionIssue("o/r", "fp-old", 1); // recorded before details were kept
    await a.savePredictionIssue("o/r", "fp-a", 2, details("Drops column email", 0.9));
    await b.savePredictionIssue("o/s", "fp-b", 3, details("Breaks the v1 client", 0.87));
    await b.savePredictionIssue("o/r", "fp-c", 4, details("Leaks the token", 0.95));
    const at = (fingerprint: string, createdAt: number) =>
      s.sql("UPDATE prediction_issues SET created_at = ? WHERE fingerprint = ?", createdAt, fingerprint);
    await at("fp-old", 1000);
    await at("fp-a", 2000);
    await at("fp-b", 3000);
    await at("fp-c", 3000);
    // A second save (the job found the issue again) changes the number, keeps the time and the details it does not give.
    await a.savePredictionIssue("o/r", "fp-a", 5);
    const all = await b.listPredictionIssues({ limit: 10 });
    expect(all.map((i) => [i.repo, i.fingerprint, i.issueNumber, i.createdAt])).toEqual([
      ["o/s", "fp-b", 3, 3000], // ties in time: by repository, then fingerprint, descending
      ["o/r", "fp-c", 4, 3000],
      ["o/r", "fp-a", 5, 2000],
      ["o/r", "fp-old", 1, 1000],
    ]);
    expect(all[2]).toEqual({
      repo: "o/r",
      fingerprint: "fp-a",
      issueNumber: 5,
      title: "Drops column email",
      confidence: 0.9,
      url: "https://github.com/o/r/issues/Drops",
      createdAt: 2000,
    });
    expect(all[3]).toMatchObject({ title: null, confidence: null, url: null });
    expect((await a.listPredictionIssues({ repo: "o/r", limit: 2 })).map((i) => i.fingerprint)).toEqual(["fp-c", "fp-a"]);
    expect(await a.listPredictionIssues({ repo: "O/R", limit: 5 })).toEqual([]);
    expect(await a.listPredictionIssues({ limit: 1 })).toHaveLength(1);
  });

  it("keeps one issue policy per repository, the last one written", async () => {
    const { a, b } = s;
    expect(await a.getIssuePolicy("o/r")).toBeUndefined();
    await a.saveIssuePolicy("o/r", { enabled: true, installationId: 2 });
    await b.saveIssuePolicy("o/r", { enabled: false, installationId: 2 ** 40 });
    await b.saveIssuePolicy("o/s", { enabled: true, installationId: 7 });
    expect(await a.getIssuePolicy("o/r")).toEqual({ enabled: false, installationId: 2 ** 40 });
    expect(await a.getIssuePolicy("o/s")).toEqual({ enabled: true, installationId: 7 });
  });
});
