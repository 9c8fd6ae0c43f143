/**
 * Every rule in rules/ runs its own examples from rule-tests/ (ast-grep's test format: `id`,
 * `invalid:` must fire, `valid:` must not). A JavaScript rule's examples also run as TypeScript
 * and TSX when they parse there.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { parse as parseNapi } from "@ast-grep/napi";
import { parse as parseYaml } from "yaml";
import { NAPI_LANG, type AstLanguage } from "../../../src/analysis/ast/languages.js";
import { cachedRuleSet, type AstRule } from "../../../src/analysis/ast/ruleSet.js";
import { astRules } from "./helpers.js";

const set = cachedRuleSet();
const repo = dirname(set.dir);

const EXT: Record<AstLanguage, string> = { javascript: "js", typescript: "ts", tsx: "tsx", python: "py", go: "go", java: "java" };

interface RuleTest {
  id: string;
  /** The file the examples are analysed as (default src/example.<ext>); its extension follows the language. */
  path?: string;
  valid: string[];
  invalid: string[];
}

function testFileOf(rule: AstRule): string {
  const rel = relative(join(repo, "rules"), join(repo, rule.file)).replace(/\.ya?ml$/, "");
  return join(repo, "rule-tests", `${rel}-test.yml`);
}

function parsesCleanly(language: AstLanguage, code: string): boolean {
  try {
    return !parseNapi(NAPI_LANG[language], code)
      .root()
      .find({ rule: { kind: "ERROR" } });
  } catch {
    return false;
  }
}

const cases = set.rules.map((rule) => [rule.id, rule] as const);

describe.each(cases)("%s", (id, rule) => {
  const file = testFileOf(rule);
  const test: RuleTest | undefined = existsSync(file) ? (parseYaml(readFileSync(file, "utf8")) as RuleTest) : undefined;

  it("has examples in rule-tests/, both ways", () => {
    expect(test).toBeDefined();
    for (const e of [...(test?.valid ?? []), ...(test?.invalid ?? [])]) expect(typeof e).toBe("string"); // YAML: quote items with ": "
    expect(test?.id).toBe(id);
    expect(test?.invalid?.length).toBeGreaterThan(0);
    expect(test?.valid?.length).toBeGreaterThan(0);
  });

  const pathFor = (lang: AstLanguage) => (test?.path ?? "src/example.x").replace(/\.[^./]+$/, `.${EXT[lang]}`);
  const examples = (list: string[] | undefined) =>
    (list ?? []).filter((c) => typeof c === "string").map((code, i) => [i + 1, code.trim().split("\n")[0].slice(0, 70), code] as const);

  it.each(examples(test?.invalid))("fires on invalid #%s: %s", async (_n, _title, code) => {
    const languages = rule.languages.filter((l) => parsesCleanly(l, code));
    expect(languages.length).toBeGreaterThan(0); // an example must parse in one of the rule's languages
    for (const lang of languages)
      expect({ lang, rules: await astRules(pathFor(lang), code) }).toEqual({ lang, rules: expect.arrayContaining([id]) });
  });

  it.each(examples(test?.valid))("stays quiet on valid #%s: %s", async (_n, _title, code) => {
    const languages = rule.languages.filter((l) => parsesCleanly(l, code));
    expect(languages.length).toBeGreaterThan(0);
    for (const lang of languages)
      expect({ lang, rules: await astRules(pathFor(lang), code) }).toEqual({ lang, rules: expect.not.arrayContaining([id]) });
  });
});
