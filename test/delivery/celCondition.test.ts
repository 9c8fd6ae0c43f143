import { CelConditionError, compileCel, CONDITION_LIMITS, type ConditionSkip } from "../../src/delivery/celCondition.js";

function refusal(source: string): string {
  try {
    compileCel(source);
  } catch (err) {
    if (err instanceof CelConditionError) return err.message;
    throw err;
  }
  throw new Error(`expected ${source} to be refused`);
}

describe("bounded CEL: regexes", () => {
  it("routes matches() to RE2: the ReDoS pattern answers at once on any length", () => {
    const started = Date.now();
    const redos = compileCel('prediction.matches("^(a+)+$")');
    for (const n of [29, 1_000, 100_000]) expect(redos({ prediction: "a".repeat(n) + "!" })).toBe(false);
    expect(redos({ prediction: "a".repeat(29) })).toBe(true);
    expect(compileCel('prediction.matches("(x+x+)+y")')({ prediction: "x".repeat(50_000) })).toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("has CEL's semantics: RE2 syntax, a match anywhere unless anchored", () => {
    expect(compileCel('s.matches("(?i)^select")')({ s: "SELECT 1" })).toBe(true); // V8's RegExp refuses (?i)
    expect(compileCel('s.matches("b")')({ s: "abc" })).toBe(true);
    expect(compileCel('s.matches("^b$")')({ s: "abc" })).toBe(false);
    expect(compileCel('tags.exists(t, t.matches("^sec"))')({ tags: ["perf", "security"] })).toBe(true);
  });

  it("refuses at load a literal pattern RE2 cannot run, or one that is too long", () => {
    expect(refusal('s.matches("(a)\\\\1")')).toMatch(/^matches\(\): "\(a\)\\\\1" is not an RE2 pattern/);
    expect(refusal('s.matches("(?<=a)b")')).toMatch(/is not an RE2 pattern/);
    expect(refusal(`s.matches("${"a".repeat(CONDITION_LIMITS.maxPatternLength + 1)}")`)).toMatch(
      /^matches\(\): the pattern is longer than 1000 characters/,
    );
  });

  it("keeps type errors in the words of the expression as written", () => {
    expect(refusal('1.matches("a")')).toMatch(/^invalid CEL expression: .*matches/);
    expect(refusal('1.matches("a")')).not.toContain("re2_");
  });

  it("runs a pattern computed from the data on RE2 as well; a bad one is false", () => {
    const computed = compileCel("s.matches(p)");
    expect(computed({ s: "a".repeat(50_000) + "!", p: "^(a+)+$" })).toBe(false);
    expect(computed({ s: "abc", p: "(?i)B" })).toBe(true);
    expect(computed({ s: "abc", p: "(" })).toBe(false);
    expect(computed({ s: "abc", p: "a".repeat(2_000) })).toBe(false);
  });
});

describe("bounded CEL: comprehensions", () => {
  it.each([
    ["all", "l.all(a, l.all(b, l.all(c, true)))"],
    ["exists", "l.exists(a, l.exists(b, l.exists(c, true)))"],
    ["exists_one", "l.exists_one(a, l.exists_one(b, l.exists_one(c, true)))"],
    ["filter", "l.filter(a, l.filter(b, l.filter(c, true).size() > 0).size() > 0).size() > 0"],
    ["map", "l.map(a, l.map(b, l.map(c, c))).size() > 0"],
    ["map with a filter", "l.map(a, a > 0.0, l.map(b, b > 0.0, l.map(c, c > 0.0, c))).size() > 0"],
    ["cel.bind", "cel.bind(x, l, cel.bind(y, x + x, cel.bind(z, y + y, size(z) > 0)))"],
  ])("refuses %s nested 3 deep", (_name, source) => {
    expect(refusal(source)).toMatch(/nest at most 2 deep; \w+\(\) here is 3 deep \(at character \d+\)$/);
  });

  it("the audit's tenfold-per-level expression is refused at load", () => {
    const digits = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]";
    const source = ["a", "b", "c", "d", "e", "f"].reduceRight((inner, v) => `${digits}.all(${v}, ${inner})`, "true");
    expect(refusal(source)).toMatch(/here is 3 deep/);
  });

  it("counts only what is inside a loop: a receiver, or loops side by side, do not add up", () => {
    const data = { l: [1, 2, 3] };
    expect(compileCel("l.map(a, a * 2.0).filter(b, b > 2.0).exists(c, l.exists(d, c == d * 2.0))")(data)).toBe(true);
    expect(compileCel("l.all(a, a > 0.0) && l.exists(b, l.exists(c, b == c))")(data)).toBe(true);
  });
});

describe("bounded CEL: evaluation", () => {
  const ids = Array.from({ length: 1_000 }, (_, i) => i);

  it("stops a run at its time budget, runs it once more, then counts it false; the evaluator stays intact", () => {
    const skips: ConditionSkip[] = [];
    const heavy = compileCel('ids.all(a, ids.all(b, !text.matches("x+y")))', { timeBudgetMs: 50 });
    const started = Date.now();
    expect(heavy({ ids, text: "x".repeat(100_000) }, (s) => skips.push(s))).toBe(false); // unbounded: minutes
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(skips).toEqual([{ reason: "time_budget", message: "was stopped after its 50 ms time budget, twice in a row" }]);
    expect(heavy({ ids: [1], text: "zz" })).toBe(true);
    expect(heavy({ ids: [1], text: "xy" })).toBe(false);
  });

  it("has a default budget that ordinary conditions never come near", () => {
    expect(CONDITION_LIMITS.timeBudgetMs).toBe(100);
    const skips: ConditionSkip[] = [];
    const ordinary = compileCel('confidence > 0.85 && "security" in tags && prediction.matches("(?i)token|password")');
    for (let i = 0; i < 5; i++) ordinary({ confidence: 0.9, tags: ["security"], prediction: "a leaked token" }, (s) => skips.push(s));
    expect(skips).toEqual([]);
  });

  it("refuses data with a list over 1,000 items or over 256 KB of JSON, before evaluating", () => {
    const skips: ConditionSkip[] = [];
    const condition = compileCel("true");
    expect(condition({ nested: { deep: [Array(1_001).fill(0)] } }, (s) => skips.push(s))).toBe(false);
    expect(condition({ text: "x".repeat(CONDITION_LIMITS.maxDataChars) }, (s) => skips.push(s))).toBe(false);
    expect(condition({ ids })).toBe(true);
    expect(skips).toEqual([
      { reason: "data_limit", message: "was not evaluated: the event data has a list of more than 1000 items" },
      { reason: "data_limit", message: "was not evaluated: the event data is over 256 KB of JSON" },
    ]);
  });

  it("is false for data that is not JSON (a cycle, a BigInt) rather than throwing", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(compileCel("true")(cyclic)).toBe(false);
    expect(compileCel("true")({ n: 1n })).toBe(false);
  });
});
