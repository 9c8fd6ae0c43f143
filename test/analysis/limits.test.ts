import { runAnalysis } from "../../src/analysis/analyze.js";
import { DEFAULT_LIMITS, lowerLimits, nestingDepth, precheckText } from "../../src/analysis/limits.js";
import { addedFile, deeplyNestedPython, minifiedLine, nestedParentheses, repeatedStatement, SQL_INJECTION_JS } from "./hostileInputs.js";

describe("analysis limits", () => {
  it("measures nesting by brackets and by indentation", () => {
    expect(nestingDepth("a(b[c{d}])")).toBe(3);
    expect(nestingDepth("def f():\n    if x:\n        return 1\n    return 2\n")).toBe(2);
    expect(nestingDepth(deeplyNestedPython(300))).toBeGreaterThanOrEqual(300);
    expect(nestingDepth(nestedParentheses(10_000))).toBe(10_000);
    // Unbalanced closers do not go below zero, tabs count as indentation.
    expect(nestingDepth(")))(\n\tx\n")).toBe(1);
  });

  it("turns away what is over a limit, with the reason, and lets ordinary code through", () => {
    expect(precheckText(SQL_INJECTION_JS, DEFAULT_LIMITS)).toBeUndefined();
    expect(precheckText(repeatedStatement(50_000).slice(0, 900_000), DEFAULT_LIMITS)).toBeUndefined();
    expect(precheckText(deeplyNestedPython(515), DEFAULT_LIMITS)).toBe("not analysed: nesting deeper than 200 levels");
    expect(precheckText(nestedParentheses(10_000), DEFAULT_LIMITS)).toBe("not analysed: nesting deeper than 200 levels");
    expect(precheckText(minifiedLine(200_000), DEFAULT_LIMITS)).toBe(
      "not analysed: a line longer than 10,000 characters (minified or generated code?)",
    );
    expect(precheckText(minifiedLine(5_000_000), DEFAULT_LIMITS)).toBe("not analysed: larger than 1,000,000 bytes");
    // Bytes, not characters: 400,000 three-byte characters are 1.2 MB.
    expect(precheckText("€".repeat(400_000), { ...DEFAULT_LIMITS, maxLineLength: 1e9 })).toBe("not analysed: larger than 1,000,000 bytes");
  });

  it("lowers, never raises", () => {
    expect(lowerLimits(DEFAULT_LIMITS, { maxNestingDepth: 50, maxFileBytes: 5e9, fileTimeBudgetMs: Number.NaN })).toEqual({
      ...DEFAULT_LIMITS,
      maxNestingDepth: 50,
    });
  });

  it("skips a file over a limit before any analyser sees it; the rest is analysed", async () => {
    const result = await runAnalysis({
      files: [
        addedFile("deep.py", deeplyNestedPython(515)),
        addedFile("app.min.ts", minifiedLine(50_000)),
        addedFile("src/app.js", SQL_INJECTION_JS),
      ],
    });
    expect(result.skipped).toEqual([
      { path: "deep.py", reason: "not analysed: nesting deeper than 200 levels" },
      { path: "app.min.ts", reason: "not analysed: a line longer than 10,000 characters (minified or generated code?)" },
    ]);
    expect(result.findings.map((f) => [f.path, f.category])).toEqual([["src/app.js", "sql-injection"]]);
  });

  it("analyses a whole file too large from its diff alone", async () => {
    const file = addedFile("src/app.js", SQL_INJECTION_JS);
    const huge = `${SQL_INJECTION_JS}${"// padding\n".repeat(200_000)}`;
    const result = await runAnalysis({ files: [file], fileContents: new Map([["src/app.js", huge]]) });
    expect(result.skipped).toEqual([]);
    expect(result.findings.map((f) => f.category)).toEqual(["sql-injection"]);
  });
});
