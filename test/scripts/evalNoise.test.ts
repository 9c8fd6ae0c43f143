import { describe, expect, it } from "@jest/globals";
import { parsePatch } from "../../src/analysis/diff.js";
import { fileClassifier } from "../../src/analysis/noise.js";
import {
  addedFilePatch,
  codeContext,
  fileCap,
  isLoweredPath,
  meansNotAnalysed,
  minifiedOrBundled,
  packageRepoPath,
  parseArgs,
  pickSample,
  printableLine,
  pythonRepoPath,
  reasonKind,
  sampleBy,
  seededRandom,
  seededShuffle,
  summarise,
  summariseGroup,
  type AnalysedFile,
  type NoiseFinding,
} from "../../scripts/evalNoise.js";

const finding = (over: Partial<NoiseFinding> = {}): NoiseFinding => ({
  language: "javascript",
  path: "pkgs/a/index.js",
  origin: "node_modules/a/index.js",
  line: 1,
  rule: "js/x",
  category: "xss",
  severity: "medium",
  confidence: 0.8,
  message: "m",
  lowered: false,
  ...over,
});

describe("repository-like paths", () => {
  it("puts dependency and stdlib files where the tool reviews them, not under node_modules/", () => {
    const classify = fileClassifier();
    const file = (path: string) => ({
      path,
      status: "added" as const,
      binary: false,
      patchMissing: false,
      additions: 1,
      deletions: 0,
      hunks: [],
    });
    const js = packageRepoPath("@octokit/rest", "lib/index.js");
    const py = pythonRepoPath("email/generator.py");
    expect(js).toBe("pkgs/@octokit/rest/lib/index.js");
    expect(py).toBe("cpython/Lib/email/generator.py");
    expect(classify(file(js))).toBeUndefined();
    expect(classify(file(py))).toBeUndefined();
    expect(classify(file("node_modules/@octokit/rest/lib/index.js"))).toMatch(/vendored/);
  });

  it("knows the files where the tool lowers findings: tests, examples, fixtures", () => {
    expect(isLoweredPath("cpython/Lib/test/test_os.py")).toBe(true);
    expect(isLoweredPath("cpython/Lib/idlelib/idle_test/test_rpc.py")).toBe(true);
    expect(isLoweredPath("pkgs/pino/test/basic.test.js")).toBe(true);
    expect(isLoweredPath("pkgs/yaml/examples/parse.js")).toBe(true);
    expect(isLoweredPath("cpython/Lib/email/generator.py")).toBe(false);
    expect(isLoweredPath("pkgs/undici/lib/fetch/index.js")).toBe(false);
  });
});

describe("minifiedOrBundled", () => {
  it("recognises minified and bundled files by name", () => {
    expect(minifiedOrBundled("pkgs/a/a.min.js", "x")).toMatch(/name/);
    expect(minifiedOrBundled("pkgs/a/dist/umd/index.js", "x")).toMatch(/name/);
    expect(minifiedOrBundled("pkgs/a/build/index.umd.js", "x")).toMatch(/name/);
  });

  it("recognises a webpack runtime, but not code that only mentions it", () => {
    expect(minifiedOrBundled("pkgs/a/index.js", "/******/ (() => { // webpackBootstrap\n")).toMatch(/webpack/);
    expect(
      minifiedOrBundled("pkgs/bindings/bindings.js", "const r = typeof __webpack_require__ === 'function' ? a : b;\n"),
    ).toBeUndefined();
  });

  it("recognises an esbuild or rollup bundle by its module markers", () => {
    const text = ["// src/a.ts", "var a = 1;", "// src/b.ts", "var b = 2;", "// node_modules/c/index.js", "var c = 3;"].join("\n");
    expect(minifiedOrBundled("pkgs/a/build/index.js", text)).toMatch(/module markers/);
    expect(minifiedOrBundled("pkgs/a/index.js", "// src/a.ts is where this came from\nvar a = 1;\n")).toBeUndefined();
  });

  it("recognises minified code by most of its text being on very long lines", () => {
    expect(minifiedOrBundled("pkgs/a/index.js", `"use strict";${"var a=1;".repeat(300)}\n`)).toMatch(/minified/);
    const ordinary = `${"const x = 1;\n".repeat(200)}const table = "${"a".repeat(1200)}";\n`;
    expect(minifiedOrBundled("pkgs/a/index.js", ordinary)).toBeUndefined();
  });
});

describe("addedFilePatch", () => {
  it("adds every line of the file, with or without a final newline", () => {
    for (const text of ["a\nb\nc\n", "a\nb\nc"]) {
      const { patch, lines } = addedFilePatch(text);
      expect(lines).toBe(3);
      const file = parsePatch("pkgs/a/index.js", patch, { status: "added" });
      expect(file.additions).toBe(3);
      expect(file.hunks[0].lines.map((l) => [l.kind, l.newLine, l.content])).toEqual([
        ["add", 1, "a"],
        ["add", 2, "b"],
        ["add", 3, "c"],
      ]);
    }
  });
});

describe("seeded sampling", () => {
  it("gives the same order for the same seed, another for another seed", () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const a = seededShuffle(items, seededRandom("1"));
    expect(seededShuffle(items, seededRandom("1"))).toEqual(a);
    expect(seededShuffle(items, seededRandom("2"))).not.toEqual(a);
    expect([...a].sort((x, y) => x - y)).toEqual(items);
  });

  it("samples at most n files, the same ones whatever the input order, in path order", () => {
    const files = Array.from({ length: 100 }, (_, i) => ({ path: `f${String(i).padStart(3, "0")}` }));
    const s1 = sampleBy(files, 10, "7", (f) => f.path);
    const s2 = sampleBy([...files].reverse(), 10, "7", (f) => f.path);
    expect(s1).toHaveLength(10);
    expect(s2.map((f) => f.path)).toEqual(s1.map((f) => f.path));
    expect(s1.map((f) => f.path)).toEqual([...s1.map((f) => f.path)].sort());
    expect(sampleBy(files, 1000, "7", (f) => f.path)).toHaveLength(100);
  });
});

describe("summaries", () => {
  it("counts findings per 10,000 lines, by severity, rule and category, and at the thresholds", () => {
    const files: AnalysedFile[] = [
      { language: "javascript", path: "pkgs/a/a.js", lines: 15_000, lowered: false },
      { language: "javascript", path: "pkgs/a/b.js", lines: 5_000, lowered: false },
    ];
    const findings = [
      finding({ rule: "js/a", category: "xss", severity: "high" }),
      finding({ rule: "js/a", category: "xss", severity: "low" }),
      finding({ rule: "js/b", category: "ssrf", severity: "info" }),
      finding({ rule: "js/b", category: "ssrf", severity: "medium" }),
    ];
    const s = summariseGroup(files, findings);
    expect(s.lines).toBe(20_000);
    expect(s.all).toEqual({ count: 4, per10k: 2 });
    expect(s.atLeastLow).toEqual({ count: 3, per10k: 1.5 });
    expect(s.atLeastMedium).toEqual({ count: 2, per10k: 1 });
    expect(s.bySeverity.high).toEqual({ count: 1, per10k: 0.5 });
    expect(s.bySeverity.critical).toEqual({ count: 0, per10k: 0 });
    expect(s.byRule.map((r) => [r.key, r.all.count, r.atLeastMedium.count])).toEqual([
      ["js/a", 2, 1],
      ["js/b", 2, 1],
    ]);
    expect(s.byCategory.find((r) => r.key === "ssrf")?.atLeastLow.count).toBe(1);
  });

  it("has no rate without lines", () => {
    expect(summariseGroup([], []).all).toEqual({ count: 0, per10k: null });
  });

  it("keeps languages apart, and tests apart from shipped code", () => {
    const files: AnalysedFile[] = [
      { language: "python", path: "cpython/Lib/os.py", lines: 10_000, lowered: false },
      { language: "python", path: "cpython/Lib/test/test_os.py", lines: 10_000, lowered: true },
      { language: "javascript", path: "pkgs/a/a.js", lines: 10_000, lowered: false },
    ];
    const findings = [
      finding({ language: "python", path: "cpython/Lib/test/test_os.py", severity: "low", lowered: true }),
      finding({ language: "python", path: "cpython/Lib/test/test_os.py", severity: "low", lowered: true }),
      finding({ language: "python", path: "cpython/Lib/os.py" }),
    ];
    const s = summarise(files, findings);
    expect(s.python.shipped.all).toEqual({ count: 1, per10k: 1 });
    expect(s.python.tests.all).toEqual({ count: 2, per10k: 2 });
    expect(s.javascript.shipped.all).toEqual({ count: 0, per10k: 0 });
    expect(s.javascript.tests.all).toEqual({ count: 0, per10k: null });
  });
});

describe("pickSample", () => {
  const many = [
    ...Array.from({ length: 30 }, (_, i) => finding({ rule: "r/common", path: `p${i % 3}.js`, line: i + 1 })),
    finding({ rule: "r/rare", line: 5 }),
    ...Array.from({ length: 5 }, (_, i) => finding({ rule: "r/mid", path: `m${i}.js`, line: 1 })),
  ];

  it("takes rules in turn, so a rare rule is not crowded out", () => {
    const s = pickSample(many, 5, "1");
    expect(s).toHaveLength(5);
    expect(new Set(s.map((f) => f.rule))).toEqual(new Set(["r/common", "r/rare", "r/mid"]));
    expect(s.filter((f) => f.rule === "r/common")).toHaveLength(2);
  });

  it("spreads a rule's share over files, shipped code first", () => {
    const list = [
      ...Array.from({ length: 10 }, (_, i) => finding({ rule: "r", path: "same.js", line: i + 1 })),
      finding({ rule: "r", path: "other.js", line: 1 }),
      finding({ rule: "r", path: "test/t.js", line: 1, lowered: true }),
    ];
    const s = pickSample(list, 3, "3");
    expect(new Set(s.slice(0, 2).map((f) => f.path))).toEqual(new Set(["same.js", "other.js"]));
    expect(s.every((f) => !f.lowered)).toBe(true);
    expect(pickSample(list, 12, "3").at(-1)?.lowered).toBe(true);
  });

  it("is deterministic for a seed, whatever the input order, and stops when findings run out", () => {
    expect(pickSample([...many].reverse(), 10, "9")).toEqual(pickSample(many, 10, "9"));
    expect(pickSample(many, 100, "9")).toHaveLength(many.length);
    expect(pickSample([], 10, "9")).toEqual([]);
  });
});

describe("printing code", () => {
  it("trims long lines to 200 characters and expands tabs", () => {
    expect(printableLine("\tx")).toBe("  x");
    const long = printableLine("a".repeat(500));
    expect(long).toHaveLength(200);
    expect(long.endsWith("…")).toBe(true);
  });

  it("never prints a found secret value in full, nor a line of a multi-line one", () => {
    const key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aozN3t\n-----END RSA PRIVATE KEY-----";
    expect(
      printableLine('const t = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";', ["ghp_abcdefghijklmnopqrstuvwxyz0123456789"]),
    ).not.toContain("abcdefghij");
    expect(printableLine("MIIEpAIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aozN3t", [key])).not.toContain("1c7+9z5P");
  });

  it("shows the line with one line of context on each side, marked and numbered", () => {
    expect(codeContext("a\nb\nc\nd\n", 2)).toEqual(["      1 | a", ">     2 | b", "      3 | c"]);
    expect(codeContext("a\nb\n", 1)).toEqual([">     1 | a", "      2 | b"]);
  });
});

describe("parseArgs", () => {
  it("has seeded defaults and reads every option", () => {
    const d = parseArgs([]);
    expect(d).toMatchObject({ all: false, seed: "1", sample: 40, json: false });
    expect(fileCap(d, "javascript")).toBe(3000);
    expect(fileCap(d, "python")).toBe(1000);
    const a = parseArgs([
      "--max-files",
      "50",
      "--seed=abc",
      "--json",
      "--lang",
      "python",
      "--sample",
      "5",
      "--sample-min-severity",
      "medium",
    ]);
    expect(a).toMatchObject({ maxFiles: 50, seed: "abc", json: true, lang: "python", sample: 5, sampleMinSeverity: "medium" });
    expect(fileCap(a, "javascript")).toBe(50);
    expect(fileCap(parseArgs(["--all"]), "python")).toBe(Number.POSITIVE_INFINITY);
  });

  it("refuses bad options", () => {
    expect(() => parseArgs(["--max-files", "x"])).toThrow(/whole number/);
    expect(() => parseArgs(["--all", "--max-files", "3"])).toThrow(/not both/);
    expect(() => parseArgs(["--lang", "go"])).toThrow(/--lang/);
    expect(() => parseArgs(["--sample-min-severity", "huge"])).toThrow(/severity/);
    expect(() => parseArgs(["--nope"])).toThrow(/unknown option/);
    expect(() => parseArgs(["--seed"])).toThrow(/needs a value/);
  });
});

describe("skipped reasons", () => {
  it("tells a file not analysed from one analysed in part", () => {
    expect(meansNotAnalysed("not analysed: time budget of 5 s exceeded")).toBe(true);
    expect(meansNotAnalysed("not analysed: the analysis process stopped on it (a parser crash, or over the 1024 MB memory cap)")).toBe(
      true,
    );
    expect(meansNotAnalysed("build output: not reviewed")).toBe(true);
    expect(meansNotAnalysed("could not be parsed in full (syntax error near line 3); analysed the parts that parse")).toBe(false);
    expect(meansNotAnalysed("could not be parsed (boom): not analysed by the AST rules")).toBe(false);
    expect(meansNotAnalysed("taint analysis stopped at its work limit (100000 steps): findings in this file may be incomplete")).toBe(
      false,
    );
  });

  it("counts alike reasons together", () => {
    expect(reasonKind("could not be parsed in full (syntax error near line 3); analysed the parts that parse")).toBe(
      reasonKind("could not be parsed in full (syntax error near line 97); analysed the parts that parse"),
    );
    expect(reasonKind("not analysed: time budget of 5 s exceeded")).toBe("not analysed: time budget of N s exceeded");
  });
});
