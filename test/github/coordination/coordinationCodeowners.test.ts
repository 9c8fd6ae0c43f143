import {
  MAX_CODEOWNERS_RULES,
  MAX_PATTERN_LENGTH,
  ownersOf,
  ownersOfPaths,
  parseCodeowners,
} from "../../../src/github/coordination/coordinationCodeowners.js";

describe("CODEOWNERS patterns, as GitHub documents them", () => {
  const rules = parseCodeowners(
    [
      "*.js        @js-owner",
      "*.go        docs@example.com",
      "/build/logs/ @doctocat",
      "docs/*      @docs-writer",
      "apps/       @octocat",
      "/scripts/   @scripts-team",
      "**/logs     @log-team",
      "/assets/    @design",
      "/assets/icons",
      "notes/my\\ file.md @spaces",
      "\\#tag.txt  @hash",
      "src/*.ts?   @ts-team",
    ].join("\n"),
  );

  it.each([
    ["index.js", ["@js-owner"]],
    ["deep/er/index.js", ["@js-owner"]],
    ["main.go", ["docs@example.com"]],
    ["build/logs/today.log", ["@log-team"]], // `**/logs` comes later and matches the folder too
    ["docs/getting-started.md", ["@docs-writer"]],
    ["docs/build-app/troubleshooting.md", []], // `docs/*` is not recursive
    ["apps/web/main.rb", ["@octocat"]],
    ["services/apps/main.rb", ["@octocat"]], // a trailing slash alone does not anchor
    ["scripts/deploy.sh", ["@scripts-team"]],
    ["tools/scripts/deploy.sh", []], // a leading slash anchors
    ["deeply/nested/logs/x.txt", ["@log-team"]],
    ["assets/logo.png", ["@design"]],
    ["assets/icons/a.svg", []], // a later pattern with no owners
    ["notes/my file.md", ["@spaces"]],
    ["#tag.txt", ["@hash"]],
    ["src/a.tsx", ["@ts-team"]],
    ["src/a.ts", []],
  ])("%p is owned by %p", (path, owners) => {
    expect(ownersOf(rules, path)).toEqual(owners);
  });

  it("skips negations and character ranges, which GitHub does not support", () => {
    expect(parseCodeowners("!*.md @x\n*.[jt]s @y\n*.md @z").map((r) => r.pattern)).toEqual(["*.md"]);
  });
});

describe("a hostile CODEOWNERS file", () => {
  it("a pathological pattern against a long path stays fast", () => {
    const started = performance.now();
    const rules = parseCodeowners("*a*a*a*a*a*a*a*a*b @x\n");
    for (const n of [50, 70, 10_000]) expect(ownersOf(rules, "a".repeat(n))).toEqual([]);
    expect(ownersOf(rules, "dir/aaaaaaaab")).toEqual(["@x"]);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("many rules × many long paths: bounded by the budget, then no owner", () => {
    const alternating = "*a".repeat(100);
    const literal = `*${"a".repeat(198)}b*`;
    const text = Array.from({ length: 2_000 }, (_, i) => `${i % 2 ? `${alternating}*b` : literal} @team${i}`).join("\n");
    const paths = Array.from({ length: 200 }, (_, i) => `ab${"a".repeat(10_000)}c${i}`);
    const started = performance.now();
    const owned = ownersOfPaths(parseCodeowners(text), paths);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(owned.size).toBe(0);
  });

  it("an owner that is no owner costs no regex time (a long `a@....@`)", () => {
    const started = performance.now();
    const rules = parseCodeowners(`*.js a@${".".repeat(200_000)}@ @real\n`);
    expect(rules[0].owners).toEqual(["@real"]);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("keeps at most MAX_CODEOWNERS_RULES rules, and no pattern longer than MAX_PATTERN_LENGTH", () => {
    const lines = Array.from({ length: MAX_CODEOWNERS_RULES + 5 }, (_, i) => `f${i}.txt @x`);
    expect(parseCodeowners(lines.join("\n"))).toHaveLength(MAX_CODEOWNERS_RULES);
    expect(parseCodeowners(`${"x".repeat(MAX_PATTERN_LENGTH + 1)} @x\nok.txt @y`).map((r) => r.pattern)).toEqual(["ok.txt"]);
  });
});
