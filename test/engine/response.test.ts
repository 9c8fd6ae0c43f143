/** The level-1 summary: a question is summarised by what was done, never echoed; reviews are unchanged. */
import { summarize } from "../../src/engine/response.js";

describe("summarize", () => {
  it("a question: what was done, without the question's text", () => {
    expect(summarize({ title: "How do I fix this SQL injection?", isPullRequest: false, isQuestion: true })).toBe("Answered a question.");
    expect(summarize({ title: "db.query('x' + id)", isPullRequest: false, isQuestion: true, filesChanged: 1, linesAnalyzed: 3 })).toBe(
      "Answered a question: 3 line(s) of code in it analysed.",
    );
  });

  it("anything else as before", () => {
    expect(summarize({ title: "hello", isPullRequest: false })).toBe('Noted: "hello".');
    expect(summarize({ title: "Add export", isPullRequest: true, filesChanged: 2, linesAnalyzed: 10, testsChanged: true })).toBe(
      'Reviewed "Add export": 2 file(s) changed, 10 line(s) analysed, tests updated.',
    );
  });
});
