import { compilePathGlob, pathGlobMatch, wildcardMatch } from "../../src/config/globs.js";

describe("wildcardMatch", () => {
  it.each([
    ["renovate[bot]", "renovate[bot]", true],
    ["renovate[bot]", "renovateb", false], // [bot] is literal, not a class
    ["renovate[bot]", "renovate[bot]x", false],
    ["*-bot", "ci-bot", true],
    ["*-bot", "-bot", true],
    ["*-bot", "ci-bots", false],
    ["*", "", true],
    ["", "", true],
    ["", "a", false],
    ["?", "", false],
    ["a?c", "abc", true],
    ["a?c", "ac", false],
    ["*a*b*", "xxaxxbxx", true],
    ["*a*b", "xxbxxa", false],
    ["a*b*c", "abc", true],
    ["a*b*c", "abcbc", true],
    ["a*b*c", "acb", false],
    ["**", "anything/at/all", true],
    ["dependabot*", "dependabot[bot]", true],
  ])("%p against %p: %p", (pattern, text, expected) => {
    expect(wildcardMatch(pattern, text)).toBe(expected);
  });

  it("stays fast on a pathological pattern against a long text (no backtracking blow-up)", () => {
    const started = performance.now();
    expect(wildcardMatch("*a*a*a*a*a*a*a*a*b", "a".repeat(100_000))).toBe(false);
    expect(wildcardMatch(`${"*a".repeat(50)}*b`, "a".repeat(10_000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe("pathGlobMatch", () => {
  const m = (glob: string, path: string) => pathGlobMatch(compilePathGlob(glob), path);

  it.each([
    ["services/payments/**", "services/payments/api.ts", true],
    ["services/payments/**", "services/payments/deep/er/api.ts", true],
    ["services/payments/**", "services/payments-v2/api.ts", false],
    ["services/payments/**", "services/payments", false], // what is inside the folder, as in .gitignore
    ["services/payments/**", "other/services/payments/api.ts", false],
    ["services/*/api.ts", "services/payments/api.ts", true],
    ["services/*/api.ts", "services/a/b/api.ts", false], // * stays within a folder name
    ["**/*.sql", "db.sql", true],
    ["**/*.sql", "services/db/migrations/001.sql", true],
    ["**/*.sql", "services/db.sql.ts", false],
    ["*.sql", "services/db.sql", false], // anchored at the root, as `ignore` is
    ["services/**/test/**", "services/a/b/test/x.ts", true],
    ["services/**/test/**", "services/test/x.ts", true],
    ["services/**/test/**", "services/a/tests/x.ts", false],
    ["/docs/**", "docs/a.md", true],
    ["./docs/**", "docs/a.md", true],
    ["docs/", "docs/deep/a.md", true], // a folder, as in .gitignore
    ["docs/", "docs.md", false],
    ["docs/?.md", "docs/a.md", true],
    ["docs/?.md", "docs/ab.md", false],
    ["docs/[draft].md", "docs/[draft].md", true],
    ["docs/[draft].md", "docs/d.md", false],
    [".github/**", ".github/workflows/ci.yml", true],
    ["**", "any/file", true],
  ])("%p against %p: %p", (glob, path, expected) => {
    expect(m(glob, path)).toBe(expected);
  });

  it("takes the literal text before the first wildcard as the glob's prefix", () => {
    expect(compilePathGlob("services/payments/**").literalPrefix).toBe("services/payments/");
    expect(compilePathGlob("./services/pay?ents/**").literalPrefix).toBe("services/pay");
    expect(compilePathGlob("**/*.sql").literalPrefix).toBe("");
    expect(compilePathGlob("README.md").literalPrefix).toBe("README.md");
  });

  it("stays fast on pathological globs against long hostile paths", () => {
    const started = performance.now();
    const deep = Array.from({ length: 2_000 }, () => "a").join("/");
    expect(m("**/**/**/**/**/**/**/b", deep)).toBe(false);
    expect(m("**/*a*a*a*a*a*a*a*a*b", `x/${"a".repeat(10_000)}`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
