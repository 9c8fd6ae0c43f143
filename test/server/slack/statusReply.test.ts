/** The "recent predictions" lines of `/empathy status`, from stored prediction issues. */
import { predictionLine, RECENT_PREDICTIONS, recentPredictionLines } from "../../../src/server/slack/statusReply.js";
import type { PredictionIssueRecord } from "../../../src/store/store.js";

const issue = (repo: string, n: number, over: Partial<PredictionIssueRecord> = {}): PredictionIssueRecord => ({
  repo,
  fingerprint: `fp-${n}`,
  issueNumber: n,
  title: `Prediction ${n} <b>`,
  confidence: 0.9,
  url: `https://github.com/${repo}/issues/${n}`,
  createdAt: 1000 - n,
  ...over,
});

describe("recent predictions", () => {
  it("one line per issue: confidence, the prediction (escaped) and the link to the issue", () => {
    expect(predictionLine(issue("octo-org/shop", 12))).toBe(
      "90% Prediction 12 &lt;b&gt; — <https://github.com/octo-org/shop/issues/12|octo-org/shop#12>",
    );
  });

  it("an issue recorded before details were kept, or with an address that is not a plain link, still gets a line", () => {
    expect(predictionLine(issue("o/r", 3, { title: null, confidence: null, url: null }))).toBe("Prediction issue — o/r#3");
    expect(predictionLine(issue("o/r", 4, { url: "javascript:alert(1)" }))).toBe("90% Prediction 4 &lt;b&gt; — o/r#4");
    expect(predictionLine(issue("o/r", 5, { url: "https://github.com/o/r/issues/5|fake>" }))).toBe("90% Prediction 5 &lt;b&gt; — o/r#5");
  });

  it("only repositories the request may see, newest first as listed, at most five", () => {
    const issues = [
      issue("octo-org/shop", 1),
      issue("private/vault", 2),
      ...Array.from({ length: 8 }, (_, i) => issue("octo-org/api", 10 + i)),
    ];
    const lines = recentPredictionLines(issues, (repo) => repo.startsWith("octo-org/"));
    expect(lines).toHaveLength(RECENT_PREDICTIONS);
    expect(lines[0]).toContain("octo-org/shop#1");
    expect(lines.join("\n")).not.toContain("vault");
    expect(recentPredictionLines(issues, () => false)).toEqual([]);
  });
});
