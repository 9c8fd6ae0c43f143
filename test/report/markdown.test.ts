import { EmpathyOS } from "../../src/engine/empathyOS.js";
import { renderReport } from "../../src/report/markdown.js";

describe("renderReport", () => {
  it("lists the engine's questions once, in their own section, not inline in the summary paragraph", async () => {
    const engine = new EmpathyOS();
    const result = await engine.interact({
      input: "Fix",
      context: { repo: "o/r", pr_number: 1, title: "Fix", files_changed: 3, tests_changed: false },
    });
    expect(result.clarifications.length).toBeGreaterThan(0);
    expect(result.response).toContain("Questions:"); // the engine's own text has them
    const text = renderReport({
      level: result.level,
      confidence: result.confidence,
      response: result.response,
      findings: [],
      predictions: [],
      clarifications: result.clarifications,
      skipped: [],
    });
    const paragraph = text.split("\n")[3];
    expect(paragraph).toMatch(/^Reviewed "Fix"/);
    expect(paragraph).not.toContain("Questions:");
    for (const q of result.clarifications) {
      expect(text.split(q).length - 1).toBe(1); // once
      expect(text).toContain(`- ${q}`);
    }
    expect(text).toContain("### Questions");
  });
});
