import { isIgnoredAuthor } from "../../src/config/authors.js";
import { resolveRepoConfig } from "../../src/config/repoConfig.js";

const configWith = (ignore_authors: unknown) => {
  const { config, problems } = resolveRepoConfig({ review: { ignore_authors } });
  expect(problems).toEqual([]);
  return config;
};

describe("isIgnoredAuthor", () => {
  const config = configWith(["renovate[bot]", "*-bot", "Dependabot[bot]", "release-?"]);

  it("matches logins and globs of logins, case-insensitively (GitHub logins are)", () => {
    expect(isIgnoredAuthor(config, "renovate[bot]")).toBe(true);
    expect(isIgnoredAuthor(config, "Renovate[Bot]")).toBe(true);
    expect(isIgnoredAuthor(config, "dependabot[bot]")).toBe(true);
    expect(isIgnoredAuthor(config, "deploy-bot")).toBe(true);
    expect(isIgnoredAuthor(config, "DEPLOY-BOT")).toBe(true);
    expect(isIgnoredAuthor(config, "release-1")).toBe(true);
  });

  it("reads [bot] literally and ignores no one else", () => {
    expect(isIgnoredAuthor(config, "renovateb")).toBe(false); // not a character class
    expect(isIgnoredAuthor(config, "renovate")).toBe(false);
    expect(isIgnoredAuthor(config, "octocat")).toBe(false);
    expect(isIgnoredAuthor(config, "deploy-bots")).toBe(false);
    expect(isIgnoredAuthor(config, "release-12")).toBe(false);
    expect(isIgnoredAuthor(config, "")).toBe(false);
    expect(isIgnoredAuthor(resolveRepoConfig({}).config, "renovate[bot]")).toBe(false); // default: nobody
  });

  it("stays fast: 50 pathological globs against a 100,000-character login", () => {
    const hostile = configWith(Array.from({ length: 50 }, (_, i) => `*a*a*a*a*a*a*a*a*b${i}`));
    const started = performance.now();
    expect(isIgnoredAuthor(hostile, "a".repeat(100_000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
