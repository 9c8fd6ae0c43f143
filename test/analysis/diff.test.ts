import { readFileSync } from "node:fs";
import { commentableLines, parsePatch, parseUnifiedDiff } from "../../src/analysis/diff.js";
import type { DiffFile } from "../../src/analysis/types.js";

// Recorded with `git diff --cached -M` (and `--binary`) from a scratch repository.
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
const byPath = (files: DiffFile[], path: string) => {
  const f = files.find((x) => x.path === path);
  if (!f) throw new Error(`no ${path} in ${files.map((x) => x.path).join(", ")}`);
  return f;
};

describe("parseUnifiedDiff on real git output", () => {
  const files = parseUnifiedDiff(fixture("git-diff-mixed.diff"));

  it("finds every file in order", () => {
    expect(files.map((f) => f.path)).toEqual([
      "docs/new-name.md",
      "src/app.js",
      "src/crlf.txt",
      "src/gone.py",
      "src/logo.png",
      "src/new.bin",
      "src/new.ts",
      "src/nonl.txt",
    ]);
  });

  it("reads a rename with edits", () => {
    const f = byPath(files, "docs/new-name.md");
    expect(f).toMatchObject({
      status: "renamed",
      oldPath: "docs/old-name.md",
      additions: 1,
      deletions: 0,
      binary: false,
      patchMissing: false,
    });
    expect(f.hunks[0].lines.at(-1)).toEqual({ kind: "add", content: "more", newLine: 3 });
  });

  it("numbers lines across several hunks", () => {
    const f = byPath(files, "src/app.js");
    expect(f).toMatchObject({ status: "modified", additions: 3, deletions: 3 });
    expect(f.hunks).toHaveLength(2);
    expect(f.hunks[1]).toMatchObject({ oldStart: 9, oldLines: 7, newStart: 10, newLines: 6, header: "@@ -9,7 +10,6 @@ line8" });
    const h1 = f.hunks[0].lines;
    expect(h1[1]).toEqual({ kind: "del", content: "line2", oldLine: 2 });
    expect(h1[2]).toEqual({ kind: "add", content: "line2 changed", newLine: 2 });
    expect(h1[4]).toEqual({ kind: "add", content: "inserted after 3", newLine: 4 });
    expect(h1[5]).toEqual({ kind: "context", content: "line4", oldLine: 4, newLine: 5 });
    const h2 = f.hunks[1].lines;
    expect(h2.find((l) => l.kind === "del" && l.content === "line14")).toEqual({ kind: "del", content: "line14", oldLine: 14 });
    expect(h2.at(-1)).toEqual({ kind: "context", content: "line15", oldLine: 15, newLine: 15 });
  });

  it("strips the CR of CRLF lines", () => {
    const f = byPath(files, "src/crlf.txt");
    expect(f.hunks[0].lines.map((l) => l.content)).toEqual(["a", "b", "B", "c"]);
  });

  it("reads deleted and new files", () => {
    expect(byPath(files, "src/gone.py")).toMatchObject({ status: "removed", additions: 0, deletions: 2 });
    expect(byPath(files, "src/new.ts")).toMatchObject({ status: "added", additions: 2, deletions: 0 });
    expect(byPath(files, "src/new.ts").hunks[0]).toMatchObject({ oldStart: 0, oldLines: 0, newStart: 1, newLines: 2 });
  });

  it("marks binary files", () => {
    expect(byPath(files, "src/logo.png")).toMatchObject({ binary: true, patchMissing: true, status: "modified", hunks: [] });
    expect(byPath(files, "src/new.bin")).toMatchObject({ binary: true, patchMissing: true, status: "added" });
  });

  it("ignores the no-newline marker and reads counts-free hunk headers", () => {
    const f = byPath(files, "src/nonl.txt");
    expect(f.hunks[0]).toMatchObject({ oldStart: 1, oldLines: 1, newStart: 1, newLines: 1 });
    expect(f.hunks[0].lines).toEqual([
      { kind: "del", content: "no newline at end", oldLine: 1 },
      { kind: "add", content: "no newline at end, edited", newLine: 1 },
    ]);
  });

  it("gives the same result for a CRLF-encoded diff", () => {
    const crlf = parseUnifiedDiff(fixture("git-diff-mixed.diff").replace(/\r?\n/g, "\r\n"));
    expect(crlf).toEqual(files);
  });
});

describe("parseUnifiedDiff edge cases", () => {
  it("skips GIT binary patch data", () => {
    const files = parseUnifiedDiff(fixture("git-diff-binary-patch.diff"));
    expect(byPath(files, "src/logo.png")).toMatchObject({ binary: true, hunks: [] });
    expect(byPath(files, "src/new.bin")).toMatchObject({ binary: true, status: "added" });
    // Files after the binary patch are still read.
    expect(byPath(files, "src/new.ts").additions).toBe(2);
    expect(files).toHaveLength(8);
  });

  it("reads quoted non-ASCII paths, paths with spaces and pure renames", () => {
    const files = parseUnifiedDiff(fixture("git-diff-paths.diff"));
    expect(files.map((f) => f.path)).toEqual(["src/naïve.txt", "src/pure-renamed.txt", "src/with space.txt"]);
    expect(byPath(files, "src/pure-renamed.txt")).toMatchObject({
      status: "renamed",
      oldPath: "src/pure.txt",
      hunks: [],
      patchMissing: false,
    });
    expect(byPath(files, "src/with space.txt").hunks[0].lines).toHaveLength(2);
  });

  it("treats a deleted line starting with '--' as content, not a header", () => {
    const text = ["diff --git a/q.sql b/q.sql", "--- a/q.sql", "+++ b/q.sql", "@@ -1,2 +1,1 @@", "--- a comment", " SELECT 1;"].join("\n");
    const [f] = parseUnifiedDiff(text);
    expect(f.hunks[0].lines[0]).toEqual({ kind: "del", content: "-- a comment", oldLine: 1 });
    expect(f.deletions).toBe(1);
  });

  it("reads plain `diff -u` output without `diff --git` lines", () => {
    const text = [
      "--- a/one.txt\t2024-01-01 00:00:00",
      "+++ b/one.txt\t2024-01-01 00:00:01",
      "@@ -1 +1 @@",
      "-a",
      "+b",
      "--- a/two.txt",
      "+++ b/two.txt",
      "@@ -1,0 +2 @@",
      "+c",
    ].join("\n");
    const files = parseUnifiedDiff(text);
    expect(files.map((f) => [f.path, f.additions, f.deletions])).toEqual([
      ["one.txt", 1, 1],
      ["two.txt", 1, 0],
    ]);
    expect(files[1].hunks[0].lines[0]).toEqual({ kind: "add", content: "c", newLine: 2 });
  });

  it("reads a lone `Binary files` line from plain diff output", () => {
    expect(parseUnifiedDiff("Binary files a/img.png and b/img.png differ\n")).toEqual([
      { path: "img.png", status: "modified", binary: true, patchMissing: true, additions: 0, deletions: 0, hunks: [] },
    ]);
  });

  it("keeps what it could parse from malformed input and never throws", () => {
    const truncated = ["diff --git a/x.js b/x.js", "--- a/x.js", "+++ b/x.js", "@@ -1,5 +1,5 @@", " a", "-b", "+c"].join("\n");
    const [f] = parseUnifiedDiff(truncated);
    expect(f).toMatchObject({ path: "x.js", additions: 1, deletions: 1 });
    for (const garbage of [
      "",
      "hello\nworld",
      "@@ -1 +1 @@\n+x",
      "diff --git",
      "@@ -a,b +c,d @@",
      "\u0000\u0001\u0002",
      "--- \n+++ \n@@ -1 +1 @@\n-x\n+y",
    ]) {
      expect(() => parseUnifiedDiff(garbage)).not.toThrow();
    }
    expect(parseUnifiedDiff("@@ -1 +1 @@\n+x")).toEqual([]); // a hunk with no file
    expect(() => parseUnifiedDiff(undefined as unknown as string)).not.toThrow();
  });

  it("accepts an empty context line whose leading space was stripped", () => {
    const [f] = parseUnifiedDiff(["diff --git a/a b/a", "--- a/a", "+++ b/a", "@@ -1,3 +1,3 @@", " x", "", "-y", "+z"].join("\n"));
    expect(f.hunks[0].lines.map((l) => l.kind)).toEqual(["context", "context", "del", "add"]);
    expect(f.hunks[0].lines[3].newLine).toBe(3);
  });
});

describe("parsePatch (GitHub's per-file patch)", () => {
  const patch =
    "@@ -10,3 +10,4 @@ function f() {\n   const a = 1;\n-  const b = 2;\n+  const b = 3;\n+  const c = 4;\n   return a;\n\\ No newline at end of file";

  it("reads hunks without file headers", () => {
    const f = parsePatch("src/f.ts", patch, { status: "modified", additions: 2, deletions: 1 });
    expect(f).toMatchObject({ path: "src/f.ts", status: "modified", binary: false, patchMissing: false, additions: 2, deletions: 1 });
    expect(f.hunks[0].lines).toEqual([
      { kind: "context", content: "  const a = 1;", oldLine: 10, newLine: 10 },
      { kind: "del", content: "  const b = 2;", oldLine: 11 },
      { kind: "add", content: "  const b = 3;", newLine: 11 },
      { kind: "add", content: "  const c = 4;", newLine: 12 },
      { kind: "context", content: "  return a;", oldLine: 12, newLine: 13 },
    ]);
  });

  it("counts and infers status when no meta is given", () => {
    expect(parsePatch("n.ts", "@@ -0,0 +1,2 @@\n+a\n+b")).toMatchObject({ status: "added", additions: 2, deletions: 0 });
    expect(parsePatch("r.ts", "@@ -1 +0,0 @@\n-a")).toMatchObject({ status: "removed", deletions: 1 });
    expect(parsePatch("m.ts", "@@ -1 +1 @@\n-a\n+b", { oldPath: "old.ts" })).toMatchObject({ status: "renamed", oldPath: "old.ts" });
  });

  it("marks a missing patch", () => {
    expect(parsePatch("big.json", undefined, { status: "modified", additions: 5000, deletions: 10 })).toMatchObject({
      patchMissing: true,
      hunks: [],
      additions: 5000,
    });
  });
});

describe("commentableLines", () => {
  it("lists new lines of added and context lines on RIGHT, old lines of deleted and context lines on LEFT", () => {
    const [f] = parseUnifiedDiff(fixture("git-diff-mixed.diff")).filter((x) => x.path === "src/app.js");
    const { RIGHT, LEFT } = commentableLines(f);
    expect([...RIGHT].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15]);
    expect([...LEFT].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 14, 15]);
    expect(RIGHT.has(8)).toBe(false); // between hunks
  });
});
