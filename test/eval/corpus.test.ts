import { describe, expect, it } from "@jest/globals";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CATEGORIES } from "../../src/analysis/types.js";
import {
  EVAL_CATEGORIES,
  LANGUAGE_EXTENSIONS,
  MIN_NEGATIVE_CASES,
  MIN_POSITIVE_CASES,
  loadCorpus,
  parseAnnotations,
} from "../../scripts/eval.js";
import { readFileSync } from "node:fs";

const corpus = loadCorpus();

describe("the labelled corpus", () => {
  it("is well formed", () => {
    expect(corpus.errors).toEqual([]);
  });

  it(`has at least ${MIN_POSITIVE_CASES} positive and ${MIN_NEGATIVE_CASES} negative cases`, () => {
    const positives = corpus.cases.filter((c) => c.positive);
    const negatives = corpus.cases.filter((c) => !c.positive);
    expect(positives.length).toBeGreaterThanOrEqual(MIN_POSITIVE_CASES);
    expect(negatives.length).toBeGreaterThanOrEqual(MIN_NEGATIVE_CASES);
  });

  it("only uses categories of the finding vocabulary", () => {
    const vocabulary = new Set<string>(CATEGORIES);
    for (const c of EVAL_CATEGORIES) expect(vocabulary.has(c)).toBe(true);
    for (const c of corpus.cases) {
      expect(EVAL_CATEGORIES).toContain(c.folder);
      for (const l of c.labels) expect(EVAL_CATEGORIES).toContain(l.category);
    }
  });

  it("labels every positive file and no negative file, on lines that exist", () => {
    for (const c of corpus.cases) {
      const raw = readFileSync(join(corpus.root, c.path), "utf8");
      const lines = raw.split("\n");
      const annotated = lines.filter((l) => /\bexpect:/.test(l)).length;
      if (c.positive) {
        expect(c.labels.length).toBeGreaterThan(0);
        expect(annotated).toBeGreaterThan(0);
      } else {
        expect(annotated).toBe(0);
      }
      for (const l of c.labels) {
        expect(l.line).toBeGreaterThanOrEqual(1);
        expect(l.line).toBeLessThanOrEqual(lines.length);
        // The annotated line has code on it, not just the comment.
        expect(c.text.split("\n")[l.line - 1].trim()).not.toBe("");
      }
      // What the engine sees carries no annotation.
      expect(c.text).not.toMatch(/\bexpect:/);
    }
  });

  it("covers every category, with at least 15 positives per main injection category", () => {
    const positivesPer = new Map<string, number>();
    for (const c of corpus.cases) {
      if (!c.positive) continue;
      for (const cat of new Set(c.labels.map((l) => l.category))) positivesPer.set(cat, (positivesPer.get(cat) ?? 0) + 1);
    }
    for (const cat of EVAL_CATEGORIES) expect(positivesPer.get(cat) ?? 0).toBeGreaterThan(0);
    for (const cat of ["sql-injection", "command-injection", "code-injection", "xss", "path-traversal"]) {
      expect(positivesPer.get(cat) ?? 0).toBeGreaterThanOrEqual(15);
    }
    const negativeFolders = new Set(corpus.cases.filter((c) => !c.positive).map((c) => c.folder));
    for (const cat of EVAL_CATEGORIES) expect(negativeFolders.has(cat)).toBe(true);
  });

  it("covers every language, with extensions that belong to it", () => {
    for (const lang of Object.keys(LANGUAGE_EXTENSIONS)) {
      expect(corpus.cases.some((c) => c.language === lang && c.positive)).toBe(true);
    }
    expect(corpus.cases.some((c) => c.path.endsWith(".tsx"))).toBe(true);
  });

  it("names no case like a test, a vendored or a generated file (the engine treats those differently)", () => {
    for (const c of corpus.cases) {
      const name = c.path.split("/").pop()!;
      expect(name).not.toMatch(/^test_|_test\.|\.test\.|\.spec\.|\.min\.|^(vendor|dist)$/);
    }
  });

  it("has no duplicate file contents", () => {
    const seen = new Map<string, string>();
    for (const c of corpus.cases) {
      const other = seen.get(c.text);
      expect(other === undefined ? c.path : `${c.path} duplicates ${other}`).toBe(c.path);
      seen.set(c.text, c.path);
    }
  });
});

describe("loadCorpus on a malformed corpus", () => {
  function tempCorpus(files: Record<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), "corpus-"));
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), text);
    }
    return root;
  }

  it("reports unknown categories, folders, extensions and too few cases", () => {
    const root = tempCorpus({
      "README.md": "# corpus",
      "javascript/xss/a.js": "el.innerHTML = x; // expect: xsss\n",
      "javascript/csrf/b.js": "x();\n",
      "ruby/xss/c.rb": "x\n",
      "python/xss/d.js": "x();\n",
      "stray.js": "x();\n",
    });
    try {
      const c = loadCorpus(root);
      const text = c.errors.join("\n");
      expect(text).toMatch(/javascript\/xss\/a\.js: line 1: unknown category "xsss"/);
      expect(text).toMatch(/javascript\/csrf\/b\.js: unknown category folder "csrf"/);
      expect(text).toMatch(/ruby\/xss\/c\.rb: unknown language folder "ruby"/);
      expect(text).toMatch(/python\/xss\/d\.js: extension \.js does not belong to python/);
      expect(text).toMatch(/stray\.js: a case must live in/);
      expect(text).toMatch(/0 positive cases, at least 300 needed/);
      expect(text).toMatch(/negative cases, at least 150 needed/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("reads a well-formed small corpus", () => {
    const root = tempCorpus({
      "python/sql-injection/a.py": 'cur.execute("SELECT " + x)  # expect: sql-injection\n',
      "python/sql-injection/b.py": 'cur.execute("SELECT 1")\n',
      "python/sql-injection/.DS_Store": "binary",
      "python/sql-injection/__pycache__/a.cpython-311.pyc": "binary",
    });
    try {
      const c = loadCorpus(root);
      expect(c.cases.map((k) => [k.path, k.positive, k.labels])).toEqual([
        ["python/sql-injection/a.py", true, [{ line: 1, category: "sql-injection" }]],
        ["python/sql-injection/b.py", false, []],
      ]);
      expect(parseAnnotations(c.cases[0].text).labels).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
