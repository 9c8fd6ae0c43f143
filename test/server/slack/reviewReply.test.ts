/** The `/empathy review` reply from the stored result: header, summary, level and confidence context, button. */
import { reviewReply, reviewSummaryText } from "../../../src/server/slack/reviewReply.js";
import { fitLines, SECTION_MAX } from "../../../src/server/slack/blocks.js";
import type { ReviewResult } from "../../../src/store/store.js";
import { STRIPE_SECRET } from "../../github/fixtures.js";

const result = (over: Partial<ReviewResult> = {}): ReviewResult => ({
  headSha: "0123456789abcdef",
  level: 4,
  confidence: 0.87,
  summary: "Adds an order export <script> & more.",
  notice: null,
  findingCounts: { high: 2, low: 1 },
  topFindings: [
    { category: "sql-injection", severity: "high", path: "src/orders/export.js", line: 11, title: "SQL built from <req.query>" },
    { category: "hardcoded-secret", severity: "high", path: "src/`odd`.js", line: 12, title: "A Stripe key in the code" },
  ],
  predictions: [{ title: "Dropping column email breaks the v1 client", confidence: 0.87, severity: "high", path: "db/2.sql", line: 2 }],
  summaryCommentId: 99,
  summaryUrl: "https://github.com/octo-org/shop/pull/7#issuecomment-99",
  reviewedAt: 1,
  ...over,
});
const pr = { repo: "octo-org/shop", number: 7, title: "Add order export", url: "https://github.com/octo-org/shop/pull/7" };

describe("reviewReply", () => {
  it("renders the header, the summary, the context line and the button to the summary comment", () => {
    const reply = reviewReply(result(), pr);
    expect(reply.text).toBe("Review of octo-org/shop#7: level 4, confidence 87%");
    expect(reply.blocks.map((b) => b.type)).toEqual(["header", "section", "context", "actions"]);
    expect(reply.blocks[0]).toEqual({
      type: "header",
      text: { type: "plain_text", text: "Review of octo-org/shop#7: Add order export", emoji: true },
    });
    expect(reply.blocks[2]).toEqual({ type: "context", elements: [{ type: "mrkdwn", text: "Empathy Level 4 | Confidence: 87%" }] });
    expect(reply.blocks[3]).toMatchObject({
      elements: [
        {
          type: "button",
          text: { text: "View on GitHub" },
          url: "https://github.com/octo-org/shop/pull/7#issuecomment-99",
          action_id: "empathy_open_summary",
        },
      ],
    });
    const text = (reply.blocks[1] as { text: { text: string } }).text.text;
    expect(text.split("\n")).toEqual([
      "*Level 4 · anticipatory* · confidence 87% · commit `0123456`",
      "",
      "Adds an order export &lt;script&gt; &amp; more.",
      "",
      "*Findings (3)*",
      "2 high · 1 low",
      "• *high* `src/orders/export.js:11` SQL built from &lt;req.query&gt; _(sql-injection)_",
      "• *high* `src/'odd'.js:12` A Stripe key in the code _(hardcoded-secret)_",
      "… and 1 more on GitHub",
      "",
      "*Predictions (1)*",
      "• *87%* Dropping column email breaks the v1 client `db/2.sql:2`",
    ]);
  });

  it("says the cautious mode, and links the pull request when no summary comment is known", () => {
    const reply = reviewReply(
      result({ notice: "Empathy is in cautious mode", summaryUrl: null, findingCounts: {}, topFindings: [], predictions: [] }),
      pr,
    );
    const text = (reply.blocks[1] as { text: { text: string } }).text.text;
    expect(text).toBe(
      "*Level 4 · anticipatory* · confidence 87% · commit `0123456`\n> Empathy is in cautious mode\n\nAdds an order export &lt;script&gt; &amp; more.",
    );
    expect(reply.blocks.at(-1)).toMatchObject({ elements: [{ url: pr.url }] });
  });

  it("stays within Slack's limits: a long title, many findings, a URL too long for a button", () => {
    const long = "x".repeat(400);
    const many = Array.from({ length: 40 }, (_, i) => ({
      category: "xss",
      severity: "medium",
      path: `src/${long.slice(0, 60)}${i}.js`,
      line: i,
      title: long,
    }));
    const reply = reviewReply(
      result({ topFindings: many, findingCounts: { medium: 40 }, summaryUrl: `https://github.com/${"a".repeat(3000)}` }),
      { ...pr, title: long },
    );
    expect((reply.blocks[0] as { text: { text: string } }).text.text.length).toBeLessThanOrEqual(150);
    const text = (reply.blocks[1] as { text: { text: string } }).text.text;
    expect(text.length).toBeLessThanOrEqual(SECTION_MAX);
    expect(text.endsWith("\n…")).toBe(true);
    expect(reply.blocks.map((b) => b.type)).toEqual(["header", "section", "context"]); // no button
  });

  it("redacts a secret in the pull request's title (live from GitHub, not stored)", () => {
    const reply = reviewReply(result(), { ...pr, title: `Rotate ${STRIPE_SECRET}` });
    expect(JSON.stringify(reply)).not.toContain(STRIPE_SECRET.slice(8));
  });

  it("the summary text of a level with no findings or predictions", () => {
    expect(reviewSummaryText(result({ level: 1, confidence: 0.9, summary: "", findingCounts: {}, topFindings: [], predictions: [] }))).toBe(
      "*Level 1 · reactive* · confidence 90% · commit `0123456`",
    );
  });
});

describe("fitLines", () => {
  it("keeps whole lines and ends with … once the next would not fit", () => {
    expect(fitLines(["ab", "cd"], 10)).toBe("ab\ncd");
    expect(fitLines(["abcd", "efgh", "ij"], 10)).toBe("abcd\n…");
  });
});
