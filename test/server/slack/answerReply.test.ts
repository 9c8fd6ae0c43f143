/** The Slack rendering of an answer: the fix first, code in code blocks, a screenful at most. */
import type { Answer } from "../../../src/answers/answer.js";
import { answerReply, codeBlock, CODE_LINES } from "../../../src/server/slack/answerReply.js";

function answer(over: Partial<Answer> = {}): Answer {
  return {
    kind: "code",
    topic: "sql-injection",
    title: "SQL injection",
    findings: [
      {
        rule: "js/sql-injection",
        category: "sql-injection",
        title: "SQL injection",
        severity: "high",
        confidence: 0.9,
        line: 2,
        code: "db.query('x' + id)",
        message: "SQL text is built from a runtime value.",
      },
    ],
    moreFindings: 0,
    explanation: "SQL text is built from a runtime value. Whoever controls it can change the query.",
    fix: "Pass the values apart.",
    fixedCode: { language: "javascript", code: "db.query('x $1', [id])" },
    level: 3,
    levelName: "proactive",
    confidence: 0.9,
    predictions: ["If this ships, anyone can read any row."],
    link: { label: "CWE-89", url: "https://cwe.mitre.org/data/definitions/89.html" },
    notes: [],
    ...over,
  };
}

const texts = (blocks: any[]) => blocks.filter((b) => b.type === "section").map((b) => b.text.text as string);

describe("answerReply", () => {
  it("title, then the fixed code in a code block, then what and why; level and confidence in the context line", () => {
    const { text, blocks } = answerReply(answer());
    expect(texts(blocks)[1]).toBe("*Fixed code*\n```\ndb.query('x $1', [id])\n```");
    expect(texts(blocks)[2]).toContain("*Why it matters:*");
    expect(blocks.at(-1)).toEqual({ type: "context", elements: [{ type: "mrkdwn", text: "Empathy Level 3 | Confidence: 90%" }] });
    expect(text).toBe("SQL injection: level 3, confidence 90%");
  });

  it("without a mechanical fix: the example, labelled as not the user's code", () => {
    const { blocks } = answerReply(answer({ fixedCode: undefined, example: { language: "javascript", before: "a + b", after: "a, [b]" } }));
    expect(texts(blocks)[1]).toMatch(/^\*How the fix looks\* \(an example, not your code\)/);
  });

  it("a screenful: long code is cut to whole lines, long prose to Slack's limit", () => {
    const long = Array.from({ length: 100 }, (_, i) => `line${i}();`).join("\n");
    const { blocks } = answerReply(answer({ fixedCode: { language: "javascript", code: long }, explanation: "word ".repeat(2_000) }));
    const code = texts(blocks)[1];
    expect(code.split("\n").filter((l) => /^line\d+/.test(l))).toHaveLength(CODE_LINES);
    expect(code).toContain(`… (${100 - CODE_LINES} more lines)`);
    for (const t of texts(blocks)) expect(t.length).toBeLessThanOrEqual(3000);
    expect(texts(blocks).join("").length).toBeLessThan(3_000);
  });

  it("limits met and assumptions made go beside the level, where a long answer cannot push them out", () => {
    const { blocks } = answerReply(
      answer({ explanation: "word ".repeat(2_000), notes: ["50 or more pieces of code found; the first 3 were analysed."] }),
    );
    expect(blocks.at(-1)).toEqual({
      type: "context",
      elements: [
        { type: "mrkdwn", text: "Empathy Level 3 | Confidence: 90%" },
        { type: "mrkdwn", text: "50 or more pieces of code found; the first 3 were analysed." },
      ],
    });
  });

  it("code cannot end its block early or inject markup", () => {
    expect(codeBlock("a ``` <b>")).toBe("```\na `\u200b`` &lt;b&gt;\n```");
  });
});
