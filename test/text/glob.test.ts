import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileGlob, gitPattern, gitPatternMatch, globMatch, GlobBudget, wildcardMatch } from "../../src/text/glob.js";

/**
 * Pattern, path, and what `git check-attr` 2.39 says (a `.gitattributes` line `PATTERN tN`, the
 * path's `tN` set or not): git's own rule, where a pattern naming a folder sets nothing on its files.
 */
const GIT: Array<[string, string, boolean]> = [
  ["*.js", "a.js", true],
  ["*.js", "src/a.js", true],
  ["*.js", "a.jsx", false],
  ["*.js", "src/a.js/x", false],
  ["*.js", "a/b/c.js", true],
  ["*.js", ".js", true],
  ["/a.js", "a.js", true],
  ["/a.js", "src/a.js", false],
  ["src/*.js", "src/a.js", true],
  ["src/*.js", "src/b/a.js", false],
  ["src/*.js", "x/src/a.js", false],
  ["src/", "src", false],
  ["src/", "src/a.js", false],
  ["src", "src", true],
  ["src", "x/src", true],
  ["src", "src/a.js", false],
  ["doc/**", "doc", false],
  ["doc/**", "doc/a", true],
  ["doc/**", "doc/a/b", true],
  ["**/foo", "foo", true],
  ["**/foo", "a/foo", true],
  ["**/foo", "a/b/foo", true],
  ["**/foo", "foo/x", false],
  ["**/foo/bar", "foo/bar", true],
  ["**/foo/bar", "x/foo/bar", true],
  ["**/foo/bar", "foo/x/bar", false],
  ["a/**/b", "a/b", true],
  ["a/**/b", "a/x/b", true],
  ["a/**/b", "a/x/y/b", true],
  ["a/**/b", "a/xb", false],
  ["a/**/b", "ab", false],
  ["a/**b", "a/b", true],
  ["a/**b", "a/xb", true],
  ["a/**b", "a/x/b", false],
  ["a**b", "ab", true],
  ["a**b", "axb", true],
  ["a**b", "a/b", false],
  ["**", "a", true],
  ["**", "a/b", true],
  ["*", "a", true],
  ["*", "a/b", true],
  ["?.txt", "a.txt", true],
  ["?.txt", "ab.txt", false],
  ["?.txt", "x/a.txt", true],
  ["a?b", "a/b", false],
  ["a?b", "axb", true],
  ["[abc].txt", "a.txt", true],
  ["[abc].txt", "d.txt", false],
  ["[abc].txt", "x/b.txt", true],
  ["[a-c]x", "bx", true],
  ["[a-c]x", "dx", false],
  ["[!a-c]x", "bx", false],
  ["[!a-c]x", "dx", true],
  ["[^a]x", "ax", false],
  ["[^a]x", "bx", true],
  ["[]]x", "]x", true],
  ["[]]x", "ax", false],
  ["[!]]x", "]x", false],
  ["[!]]x", "ax", true],
  ["[a-]x", "-x", true],
  ["[a-]x", "ax", true],
  ["[a-]x", "bx", false],
  ["[[:digit:]]x", "1x", true],
  ["[[:digit:]]x", "ax", false],
  ["[[:upper:][:digit:]]x", "Ax", true],
  ["[[:upper:][:digit:]]x", "1x", true],
  ["[[:upper:][:digit:]]x", "ax", false],
  ["[[:bogus:]]x", "bx", false],
  ["[[:bogus:]]x", "[x", false],
  ["[abc", "[abc", false],
  ["[abc", "a", false],
  ["a\\*b", "a*b", true],
  ["a\\*b", "axb", false],
  ["a\\[b]", "a[b]", true],
  ["a\\[b]", "ab", false],
  ["\\#x", "#x", true],
  ["a\\", "a", false],
  ["a\\", "a\\", false],
  ["A.js", "a.js", false],
  ["A.js", "A.js", true],
  ["a/b/", "a/b", false],
  ["a/b/", "a/b/c", false],
  ["/a/", "a", false],
  ["/a/", "a/c", false],
  ["x/*/y", "x/a/y", true],
  ["x/*/y", "x/y", false],
  ["x/*/y", "x/a/b/y", false],
  ["*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false],
  ["*a*a*a*a*a*a*a*a*b", "aaaaaaaab", true],
  ["*a*a*a*a*a*a*a*a*b", "x/aaaaaaaab", true],
  [".*", ".env", true],
  [".*", "a/.env", true],
  [".*", "a.env", false],
  ["dir/**/*.md", "dir/a.md", true],
  ["dir/**/*.md", "dir/x/y/a.md", true],
  ["dir/**/*.md", "x/dir/a.md", false],
  ["[a/b]x", "ax", true],
  ["[a/b]x", "/x", false],
  ["[a/b]x", "a/b]x", false],
  ["*.[jt]s", "a.js", true],
  ["*.[jt]s", "a.ts", true],
  ["*.[jt]s", "a.cs", false],
  ["*.[jt]s", "src/a.ts", true],
];

const strict = (pattern: string, path: string) => {
  const p = gitPattern(pattern, { classes: true, escapes: true, recursive: false });
  return p !== undefined && gitPatternMatch(p, path);
};

describe("git patterns, as git check-attr reads them", () => {
  it.each(GIT)("%p against %p: %p", (pattern, path, expected) => {
    expect(strict(pattern, path)).toBe(expected);
  });

  const git = spawnSync("git", ["--version"], { encoding: "utf8" });
  (git.status === 0 ? it : it.skip)("the table above is what the installed git says", () => {
    const dir = mkdtempSync(join(tmpdir(), "glob-oracle-"));
    try {
      expect(spawnSync("git", ["init", "-q", dir]).status).toBe(0);
      const patterns = [...new Set(GIT.map(([p]) => p))];
      writeFileSync(join(dir, ".gitattributes"), patterns.map((p, i) => `${p} t${i}`).join("\n") + "\n");
      const disagreements: string[] = [];
      for (const [pattern, path, expected] of GIT) {
        const attr = `t${patterns.indexOf(pattern)}`;
        const r = spawnSync("git", ["check-attr", attr, "--", path], { cwd: dir, encoding: "utf8" });
        const set = r.stdout.trim().endsWith(": set");
        if (set !== expected) disagreements.push(`${pattern} ${path}: git says ${set}`);
      }
      expect(disagreements).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("git patterns that also cover what is inside a folder (recursive)", () => {
  const recursive = (pattern: string, path: string) => {
    const p = gitPattern(pattern, { classes: true, escapes: true, recursive: true });
    return p !== undefined && gitPatternMatch(p, path);
  };

  it.each([
    ["src/", "src/a.js", true],
    ["src/", "x/src/deep/a.js", true], // a trailing slash alone does not anchor
    ["src/", "src", false], // a folder, not a file of that name
    ["/src/", "x/src/a.js", false],
    ["a/b/", "a/b/c", true],
    ["a/b/", "x/a/b/c", false], // an inner slash anchors
    ["src", "src/a.js", true],
    ["src", "src", true],
    ["*.js", "x.js/inner.txt", true],
    ["docs/*", "docs/a.md", true],
    ["docs/*", "docs/a/b.md", true], // recursive: docs/a is matched, so is what is inside
    ["x/*/y", "x/a/y/z", true],
    ["x/*/y", "x/a/b/y", false],
    ["/", "anything/at/all", true],
    ["**", "a", true],
  ])("%p against %p: %p", (pattern, path, expected) => {
    expect(recursive(pattern, path)).toBe(expected);
  });
});

describe("compileGlob (from the root)", () => {
  it.each([
    ["docs/**", "docs/a/b.md", true],
    ["docs/**", "docs", false], // what is inside, not the folder
    ["*/**", "a", false],
    ["*/**", "a/b", true],
    ["a/**/b", "a/b", true],
    ["*.md", "docs/a.md", false], // anchored: no basename rule here
    ["a**b/c", "axxb/c", true], // `**` inside a segment is `*`
    ["a**b/c", "a/b/c", false],
    ["[ab]", "[ab]", true], // no classes unless asked
    ["a\\*", "a\\x", true], // no escapes unless asked
  ])("%p against %p: %p", (pattern, path, expected) => {
    expect(globMatch(compileGlob(pattern), path)).toBe(expected);
  });

  it("reads classes and escapes when asked", () => {
    expect(globMatch(compileGlob("src/*.[jt]s", { classes: true }), "src/a.ts")).toBe(true);
    expect(globMatch(compileGlob("src/*.[jt]s", { classes: true }), "src/a.cs")).toBe(false);
    expect(globMatch(compileGlob("a\\*", { escapes: true }), "a*")).toBe(true);
    expect(globMatch(compileGlob("a\\*", { escapes: true }), "ab")).toBe(false);
    expect(globMatch(compileGlob("[abc", { classes: true }), "[abc")).toBe(false); // malformed: nothing
  });

  it("knows the literal text before the first wildcard", () => {
    expect(compileGlob("services/payments/**").literalPrefix).toBe("services/payments/");
    expect(compileGlob("services/pay?ents/**").literalPrefix).toBe("services/pay");
    expect(compileGlob("a\\*b/c", { escapes: true }).literalPrefix).toBe("a*b/c");
    expect(compileGlob("**/x").literalPrefix).toBe("");
  });
});

describe("wildcardMatch (a whole string)", () => {
  it.each([
    ["*-bot", "ci-bot", true],
    ["renovate[bot]", "renovate[bot]", true],
    ["a*c", "a/b/c", true], // `*` crosses `/` here
    ["a?c", "a/c", true],
  ])("%p against %p: %p", (pattern, text, expected) => {
    expect(wildcardMatch(pattern, text)).toBe(expected);
  });
});

describe("cost", () => {
  it("a hostile pattern against a long name stays fast, one match and many", () => {
    const started = performance.now();
    const hostile = gitPattern("*a*a*a*a*a*a*a*a*b", { classes: true, escapes: true, recursive: true })!;
    expect(gitPatternMatch(hostile, "a".repeat(50))).toBe(false);
    expect(gitPatternMatch(hostile, "a".repeat(70))).toBe(false);
    expect(gitPatternMatch(hostile, `x/${"a".repeat(10_000)}`)).toBe(false);
    expect(gitPatternMatch(hostile, "aaaaaaaab")).toBe(true);
    const alternating = compileGlob(`**/${"*a".repeat(100)}*b`, { classes: true });
    // `ab` first: every character and pair the pattern names is there, so the matcher itself runs.
    for (let i = 0; i < 100; i++) expect(globMatch(alternating, `d/ab${"a".repeat(10_000)}`)).toBe(false);
    const deep = ["x", "y", ...Array.from({ length: 5_000 }, () => "a"), "c"].join("/");
    expect(globMatch(compileGlob("**/**/x/**/**/**/y/**/b"), deep)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("a budget caps the steps of many matches: once spent, nothing more matches", () => {
    const worst = compileGlob(`*${"a".repeat(500)}b*`);
    const path = `ab${"a".repeat(5_000)}`; // every character and pair the pattern names is there
    const budget = new GlobBudget(1_000_000);
    const started = performance.now();
    for (let i = 0; i < 1_000; i++) globMatch(worst, path, budget); // unbudgeted: ~2.5M steps each
    expect(budget.exhausted).toBe(true);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(globMatch(compileGlob("**"), "a", budget)).toBe(false);
    expect(globMatch(compileGlob("**"), "a", new GlobBudget(100))).toBe(true);
  });

  it("a class costs its size, so a long class does not escape the budget", () => {
    const text = `${"a".repeat(1_000)}xa`; // `x` is there, so only the full match says no
    const long = new GlobBudget(100_000);
    const short = new GlobBudget(100_000);
    for (let i = 0; i < 10; i++) {
      globMatch(compileGlob(`*[${"a".repeat(900)}b]x`, { classes: true }), text, long);
      globMatch(compileGlob("*[ab]x", { classes: true }), text, short);
    }
    expect(long.exhausted).toBe(true);
    expect(short.exhausted).toBe(false);
  });
});
