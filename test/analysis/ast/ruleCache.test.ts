import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultRulesDir, loadRuleSet as load, type RuleSet } from "../../../src/analysis/ast/ruleSet.js";

// The shipped rules are validated once and then read from a cache (node_modules/.cache in use;
// a folder of this test's own here, so other suites never see what it writes): what comes out
// of the cache must be the rule set that validation builds.
const cacheDir = join(mkdtempSync(join(tmpdir(), "empathy-rule-cache-")), "cache");
const loadRuleSet = () => load(defaultRulesDir(), { cacheDir });
const cacheFiles = () => (existsSync(cacheDir) ? readdirSync(cacheDir).filter((n) => /^rules-[0-9a-f]+\.json$/.test(n)) : []);

afterAll(() => rmSync(join(cacheDir, ".."), { recursive: true, force: true }));

/** A rule set as comparable data: regexes as their sources, glob matchers by presence. */
function snapshot(set: RuleSet): string {
  return JSON.stringify({ rules: set.rules, byLanguage: [...set.byLanguage], unavailable: set.unavailable }, (_key, value: unknown) =>
    value instanceof RegExp
      ? `/${value.source}/${value.flags}`
      : typeof value === "function"
        ? "[function]"
        : value instanceof Map
          ? [...value]
          : value,
  );
}

describe("the rule cache", () => {
  it("gives the same rules as validating the YAML files, and is written once", () => {
    rmSync(cacheDir, { recursive: true, force: true });
    const validated = loadRuleSet();
    expect(cacheFiles()).toHaveLength(1);
    const fromCache = loadRuleSet();
    expect(fromCache.rules.length).toBeGreaterThan(50);
    expect(snapshot(fromCache)).toBe(snapshot(validated));
    expect(cacheFiles()).toHaveLength(1);
  });

  it("is what later loads read (not the YAML again)", () => {
    loadRuleSet();
    const [name] = cacheFiles();
    const file = join(cacheDir, name);
    const cached = JSON.parse(readFileSync(file, "utf8")) as { rules: Array<{ raw: { message: string } }> };
    cached.rules[0].raw.message = "read from the cache";
    writeFileSync(file, JSON.stringify(cached));
    expect(loadRuleSet().rules[0].message).toBe("read from the cache");
    rmSync(file);
    expect(loadRuleSet().rules[0].message).not.toBe("read from the cache");
  });

  it("validates an edited rule afresh, and keeps one cache file", () => {
    const rules = join(cacheDir, "..", "rules");
    mkdirSync(rules, { recursive: true });
    const original = readFileSync(join(defaultRulesDir(), "javascript", "command-injection.yml"), "utf8");
    writeFileSync(join(rules, "rule.yml"), original);
    const own = join(cacheDir, "..", "own-cache");
    const first = load(rules, { cacheDir: own });
    writeFileSync(join(rules, "rule.yml"), original.replace(/^message: .*$/m, "message: edited since"));
    const second = load(rules, { cacheDir: own });
    expect(second.rules[0].message).toBe("edited since");
    expect(first.rules[0].message).not.toBe("edited since");
    expect(readdirSync(own)).toHaveLength(1);
  });

  it("ignores a cache file that is not valid and validates the rules again", () => {
    const validated = loadRuleSet();
    const [name] = cacheFiles();
    writeFileSync(join(cacheDir, name), "{ not json");
    expect(snapshot(loadRuleSet())).toBe(snapshot(validated));
    writeFileSync(join(cacheDir, name), JSON.stringify({ rules: "nope" }));
    expect(snapshot(loadRuleSet())).toBe(snapshot(validated));
    writeFileSync(join(cacheDir, name), JSON.stringify({ rules: [{ display: "rules/x.yml", raw: {}, configs: {} }], unavailable: [] }));
    expect(snapshot(loadRuleSet())).toBe(snapshot(validated));
  });
});
