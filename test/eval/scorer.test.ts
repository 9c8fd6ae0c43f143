import { describe, expect, it } from "@jest/globals";
import { aggregate, counts, parseAnnotations, parseArgs, scoreCase, type Label, type ScoredCase } from "../../scripts/eval.js";

const L = (line: number, category: Label["category"]): Label => ({ line, category });

describe("parseAnnotations", () => {
  it("reads trailing comments in every comment style, 1-based", () => {
    const text = [
      'const q = "x";',
      "db.query(q + id); // expect: sql-injection",
      "os.system(cmd)  # expect: command-injection, code-injection",
      "el.innerHTML = html; /* expect: xss */",
      "<div dangerouslySetInnerHTML={{ __html: h }} /> {/* expect: xss */}",
    ].join("\n");
    const parsed = parseAnnotations(text);
    expect(parsed.errors).toEqual([]);
    expect(parsed.labels).toEqual([L(2, "sql-injection"), L(3, "command-injection"), L(3, "code-injection"), L(4, "xss"), L(5, "xss")]);
  });

  it("removes the annotations from the text the engine sees, keeping line numbers", () => {
    const text = "a();\nb(); // expect: xss\nc();\n";
    const parsed = parseAnnotations(text);
    expect(parsed.stripped).toBe("a();\nb();\nc();\n");
    expect(parsed.stripped).not.toMatch(/expect/);
  });

  it("reports unknown categories, empty lists and stray expect: markers", () => {
    const parsed = parseAnnotations(["x(); // expect: sql-injektion", "y(); // expect:", 'const s = "expect: xss";'].join("\n"));
    expect(parsed.labels).toEqual([]);
    expect(parsed.errors).toHaveLength(3);
    expect(parsed.errors[0]).toMatch(/line 1: unknown category "sql-injektion"/);
    expect(parsed.errors[1]).toMatch(/line 2: empty/);
    expect(parsed.errors[2]).toMatch(/line 3: "expect:" outside a trailing comment/);
  });

  it("does not accept categories outside the security vocabulary", () => {
    const parsed = parseAnnotations("console.log(x); // expect: debug-leftover");
    expect(parsed.errors).toHaveLength(1);
  });

  it("treats a file without annotations as a negative case", () => {
    const parsed = parseAnnotations("const x = 1;\n// a comment about eval()\n");
    expect(parsed.labels).toEqual([]);
    expect(parsed.errors).toEqual([]);
  });
});

describe("scoreCase", () => {
  it("counts a finding on the annotated line with the same category as a true positive", () => {
    const s = scoreCase([L(10, "sql-injection")], [{ line: 10, category: "sql-injection" }]);
    expect(s.tp).toHaveLength(1);
    expect(s.fp).toEqual([]);
    expect(s.fn).toEqual([]);
  });

  it("accepts a finding one line away, not two", () => {
    expect(scoreCase([L(10, "xss")], [{ line: 11, category: "xss" }]).tp).toHaveLength(1);
    expect(scoreCase([L(10, "xss")], [{ line: 9, category: "xss" }]).tp).toHaveLength(1);
    const far = scoreCase([L(10, "xss")], [{ line: 12, category: "xss" }]);
    expect(far.tp).toHaveLength(0);
    expect(far.fp).toEqual([{ line: 12, category: "xss" }]);
    expect(far.fn).toEqual([L(10, "xss")]);
  });

  it("a finding of another category on the annotated line is both a miss and a false alarm", () => {
    const s = scoreCase([L(5, "ssrf")], [{ line: 5, category: "path-traversal" }]);
    expect(s.tp).toHaveLength(0);
    expect(s.fp).toEqual([{ line: 5, category: "path-traversal" }]);
    expect(s.fn).toEqual([L(5, "ssrf")]);
  });

  it("every finding in a negative file is a false positive", () => {
    const s = scoreCase(
      [],
      [
        { line: 3, category: "xss" },
        { line: 8, category: "sql-injection" },
      ],
    );
    expect(s.tp).toHaveLength(0);
    expect(s.fn).toHaveLength(0);
    expect(s.fp).toHaveLength(2);
  });

  it("counts the same line and category once, and a duplicate next to a matched annotation not at all", () => {
    const s = scoreCase(
      [L(10, "command-injection")],
      [
        { line: 10, category: "command-injection", rule: "a" },
        { line: 10, category: "command-injection", rule: "b" },
        { line: 11, category: "command-injection", rule: "c" },
      ],
    );
    expect(s.tp).toHaveLength(1);
    expect(s.fp).toEqual([]);
    expect(s.fn).toEqual([]);
  });

  it("uses each finding for one annotation only, exact lines first", () => {
    // Two annotated lines, one finding between them on line 11 and one exactly on line 12.
    const s = scoreCase(
      [L(11, "weak-crypto"), L(12, "weak-crypto")],
      [
        { line: 12, category: "weak-crypto" },
        { line: 11, category: "weak-crypto" },
      ],
    );
    expect(s.tp.map((t) => [t.label.line, t.finding.line])).toEqual([
      [11, 11],
      [12, 12],
    ]);
    // One finding cannot satisfy two adjacent annotations.
    const one = scoreCase([L(11, "weak-crypto"), L(12, "weak-crypto")], [{ line: 12, category: "weak-crypto" }]);
    expect(one.tp).toHaveLength(1);
    expect(one.fn).toEqual([L(11, "weak-crypto")]);
    expect(one.fp).toEqual([]);
  });

  it("ignores findings outside the evaluated categories", () => {
    const s = scoreCase(
      [],
      [
        { line: 1, category: "debug-leftover" },
        { line: 2, category: "missing-tests" },
      ],
    );
    expect(s).toEqual({ tp: [], fp: [], fn: [] });
  });

  it("handles several categories on one line", () => {
    const s = scoreCase([L(4, "sql-injection"), L(4, "xss")], [{ line: 4, category: "xss" }]);
    expect(s.tp).toHaveLength(1);
    expect(s.fn).toEqual([L(4, "sql-injection")]);
  });
});

describe("aggregate", () => {
  const scored: ScoredCase[] = [
    {
      path: "javascript/sql-injection/a.js",
      language: "javascript",
      positive: true,
      score: scoreCase(
        [L(3, "sql-injection"), L(9, "sql-injection")],
        [
          { line: 3, category: "sql-injection" },
          { line: 20, category: "xss", rule: "js/xss" },
        ],
      ),
    },
    {
      path: "python/sql-injection/b.py",
      language: "python",
      positive: false,
      score: scoreCase([], [{ line: 7, category: "sql-injection", rule: "py/sql" }]),
    },
    {
      path: "go/xss/c.go",
      language: "go",
      positive: true,
      score: scoreCase([L(5, "xss")], [{ line: 5, category: "xss" }]),
      skipped: ["parse error"],
    },
  ];
  const report = aggregate(scored);

  it("sums per category", () => {
    expect(report.byCategory["sql-injection"]).toEqual(counts(1, 1, 1));
    expect(report.byCategory["sql-injection"].precision).toBe(0.5);
    expect(report.byCategory["sql-injection"].recall).toBe(0.5);
    expect(report.byCategory.xss).toEqual({ tp: 1, fp: 1, fn: 0, precision: 0.5, recall: 1 });
  });

  it("sums per language and separates Go/Java from the rest", () => {
    expect(report.byLanguage.javascript).toEqual(counts(1, 1, 1));
    expect(report.byLanguage.python).toEqual(counts(0, 1, 0));
    expect(report.byLanguage.go).toEqual(counts(1, 0, 0));
    expect(report.core).toEqual(counts(1, 2, 1));
    expect(report.goJava).toEqual(counts(1, 0, 0));
    expect(report.overall).toEqual(counts(2, 2, 1));
  });

  it("lists misses and false alarms so a developer can act, and engine notes", () => {
    expect(report.misses).toEqual([{ path: "javascript/sql-injection/a.js", line: 9, category: "sql-injection" }]);
    expect(report.falseAlarms.map((f) => `${f.path}:${f.line} ${f.category}`)).toEqual([
      "javascript/sql-injection/a.js:20 xss",
      "python/sql-injection/b.py:7 sql-injection",
    ]);
    expect(report.cases).toEqual({ total: 3, positive: 2, negative: 1, negativesWithFindings: 1 });
    expect(report.skipped).toEqual([{ path: "go/xss/c.go", reason: "parse error" }]);
  });

  it("reports n/a (null) precision when nothing was reported and recall when nothing was expected", () => {
    expect(counts(0, 0, 3)).toEqual({ tp: 0, fp: 0, fn: 3, precision: null, recall: 0 });
    expect(counts(0, 2, 0)).toEqual({ tp: 0, fp: 2, fn: 0, precision: 0, recall: null });
  });
});

describe("parseArgs", () => {
  it("reads --category, --lang and --json in both spellings", () => {
    expect(parseArgs(["--category", "xss", "--lang=python", "--json"])).toEqual({ category: "xss", lang: "python", json: true });
    expect(parseArgs([])).toEqual({ json: false });
  });

  it("reads --min-severity (a severity) and --blind", () => {
    expect(parseArgs(["--min-severity", "high", "--blind"])).toEqual({ json: false, minSeverity: "high", blind: true });
    expect(() => parseArgs(["--min-severity=severe"])).toThrow(/must be one of info, low, medium, high, critical/);
  });

  it("rejects unknown options and missing values", () => {
    expect(() => parseArgs(["--verbose"])).toThrow(/unknown option/);
    expect(() => parseArgs(["--lang"])).toThrow(/needs a value/);
  });
});
