/** The review's result as the store keeps it: counts of every finding, the top ones in order, texts in one line, redacted. */
import { withKnownSecrets } from "../../../src/analysis/secrets.js";
import type { Finding, Prediction, Severity } from "../../../src/analysis/types.js";
import { RESULT_TOP_ITEMS, reviewResultOf } from "../../../src/github/review/reviewResult.js";

const finding = (severity: Severity, n: number, message = `Finding ${n}\nsecond line`): Finding => ({
  rule: "js/sql-injection",
  category: "sql-injection",
  path: `src/f${n}.js`,
  line: n,
  side: "RIGHT",
  severity,
  confidence: 0.8,
  message,
  recommendation: "Use parameters.",
  fingerprint: `fp-${n}`,
});

const prediction = (confidence: number, text: string): Prediction => ({
  id: `pred-${confidence}`,
  kind: "migration-drop-column",
  prediction: text,
  confidence,
  severity: "high",
  impact: "",
  tags: [],
  recommendation: "",
  path: "db/1.sql",
  line: 2,
  side: "RIGHT",
  fingerprint: `p-${confidence}`,
});

const base = {
  headSha: "abc1234def",
  level: 4,
  confidence: 0.9,
  response: "Adds an export.\nQuestions:\n- Is this tested?\nFound 3 issue(s) to fix now (most severe: high).",
  clarifications: ["Is this tested?"],
  findings: [] as Finding[],
  predictions: [] as Prediction[],
  summaryComment: { id: 5, url: "https://github.com/o/r/pull/1#issuecomment-5" },
  reviewedAt: 1234,
};

describe("reviewResultOf", () => {
  it("counts every finding by severity, keeps the most severe first and the most confident predictions first", () => {
    const findings = [finding("low", 1), finding("critical", 2), finding("medium", 3), finding("critical", 4)];
    const r = reviewResultOf({ ...base, findings, predictions: [prediction(0.7, "Later"), prediction(0.95, "First  \n one")] });
    expect(r.findingCounts).toEqual({ low: 1, critical: 2, medium: 1 });
    expect(r.topFindings.map((f) => [f.severity, f.line])).toEqual([
      ["critical", 2],
      ["critical", 4],
      ["medium", 3],
      ["low", 1],
    ]);
    expect(r.topFindings[0]).toEqual({
      category: "sql-injection",
      severity: "critical",
      path: "src/f2.js",
      line: 2,
      title: "Finding 2 second line",
    });
    expect(r.predictions.map((p) => p.title)).toEqual(["First one", "Later"]);
    expect(r).toMatchObject({
      headSha: "abc1234def",
      level: 4,
      confidence: 0.9,
      notice: null,
      summaryCommentId: 5,
      summaryUrl: base.summaryComment.url,
      reviewedAt: 1234,
    });
  });

  it("the summary is the response in one line without its questions, as the summary comment shows it", () => {
    expect(reviewResultOf(base).summary).toBe("Adds an export. Found 3 issue(s) to fix now (most severe: high).");
    expect(reviewResultOf({ ...base, notice: "Cautious\nmode." }).notice).toBe("Cautious mode.");
  });

  it("keeps at most the top items, with the counts of all", () => {
    const many = Array.from({ length: RESULT_TOP_ITEMS + 5 }, (_, i) => finding("high", i));
    const r = reviewResultOf({
      ...base,
      findings: many,
      predictions: many.map((_, i) => prediction(i / 100, `p${i}`)),
      summaryComment: null,
    });
    expect(r.topFindings).toHaveLength(RESULT_TOP_ITEMS);
    expect(r.predictions).toHaveLength(RESULT_TOP_ITEMS);
    expect(r.findingCounts).toEqual({ high: RESULT_TOP_ITEMS + 5 });
    expect(r).toMatchObject({ summaryCommentId: null, summaryUrl: null });
  });

  it("bounds titles and redacts every text, with the secrets the job's analysis found", () => {
    const found = "an-internal-password-without-any-vendor-shape-42";
    const r = withKnownSecrets([found], () =>
      reviewResultOf({
        ...base,
        response: `Rotates ${found}.`,
        findings: [finding("high", 1, `Uses ${found} ${"x".repeat(500)}`)],
        predictions: [prediction(0.9, `Leaks ${found}`)],
      }),
    );
    expect(JSON.stringify(r)).not.toContain(found);
    expect(r.topFindings[0].title.length).toBeLessThanOrEqual(200);
    expect(r.topFindings[0].title.endsWith("…")).toBe(true);
  });
});
