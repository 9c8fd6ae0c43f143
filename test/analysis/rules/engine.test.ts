import { parsePatch } from "../../../src/analysis/diff.js";
import { createRuleEngine } from "../../../src/analysis/rules/engine.js";
import { isSuppressed } from "../../../src/analysis/rules/suppression.js";
import type { Rule } from "../../../src/analysis/rules/types.js";
import { rulesFound, scan } from "./helpers.js";

const GH = ["ghp_", "R8kq2ZtY7mN4vB1xW9cD3fH6jL0pS5aE2gU8"].join("");

describe("hardcoded-secret rule", () => {
  it("reports a secret on an added line of any text file, naming the kind but never the value", () => {
    for (const path of ["config/app.yml", "src/a.ts", "scripts/deploy.sh", ".env"]) {
      const [f] = scan(path, `token: ${GH}`);
      expect(f).toMatchObject({ rule: "secrets/hardcoded-secret", category: "hardcoded-secret", severity: "critical", line: 1 });
      expect(f.message).toContain("GitHub token");
      expect(JSON.stringify(f)).not.toContain(GH);
    }
  });

  it("does not report placeholders", () => {
    expect(rulesFound("config/app.yml", "password: changeme\ntoken: ${GITHUB_TOKEN}\napi_key: <your-api-key>")).toEqual([]);
  });

  it("gives a fingerprint that does not depend on the secret's value", () => {
    const other = ["ghp_", "Z9aQ3wE7rT1yU5iO8pA2sD6fG0hJ4kL7zX3c"].join("");
    expect(scan("a.yml", `token: ${GH}`)[0].fingerprint).toBe(scan("a.yml", `token: ${other}`)[0].fingerprint);
  });
});

describe("suppression comments", () => {
  it("silences every rule on the same line or the line below", () => {
    expect(rulesFound("a.js", "eval(userCode); // empathy-ignore")).toEqual([]);
    expect(rulesFound("a.js", "// empathy-ignore\neval(userCode);")).toEqual([]);
    expect(rulesFound("a.py", "# empathy-ignore\nexec(code)")).toEqual([]);
  });

  it("silences only the named rule ids or categories", () => {
    expect(rulesFound("a.js", "// empathy-ignore: js/code-injection\neval(userCode);")).toEqual([]);
    expect(rulesFound("a.js", "eval(userCode); // empathy-ignore: code-injection, js/xss")).toEqual([]);
    expect(rulesFound("a.js", "// empathy-ignore: js/xss\neval(userCode);")).toEqual(["js/code-injection"]);
    expect(rulesFound("a.js", "// empathy-ignore\n\neval(userCode);")).toEqual(["js/code-injection"]); // two lines above
  });

  it("isSuppressed reads the line above from the context", () => {
    const rule = { id: "js/xss", category: "xss" as const };
    expect(isSuppressed(rule, { line: "x", lines: ["// empathy-ignore: xss", "x"], index: 1 })).toBe(true);
    expect(isSuppressed(rule, { line: "x", lines: ["x"], index: 0 })).toBe(false);
  });
});

describe("rule engine", () => {
  it("looks at added lines only", () => {
    const patch = "@@ -1,3 +1,3 @@\n eval(contextCode);\n-eval(oldCode);\n+const x = 1;\n eval(more);";
    expect(createRuleEngine().analyze({ files: [parsePatch("a.js", patch)] }).findings).toEqual([]);
  });

  it("uses the whole file as context when it matches the diff, the hunk otherwise", () => {
    // The assignment is outside the hunk: only the whole file shows the query is built.
    const content = "const sql = `SELECT * FROM t WHERE id = ${id}`;\nfunction f() {}\nfunction g() {}\nfunction h() {}\ndb.query(sql);\n";
    const patch = "@@ -4,1 +4,2 @@\n function h() {}\n+db.query(sql);";
    const file = parsePatch("a.js", patch);
    const engine = createRuleEngine();
    expect(engine.analyze({ files: [file] }).findings).toEqual([]);
    expect(engine.analyze({ files: [file], fileContents: new Map([["a.js", content]]) }).findings.map((f) => [f.rule, f.line])).toEqual([
      ["js/sql-injection", 5],
    ]);
    // Stale contents (another commit) are ignored rather than misread.
    expect(engine.analyze({ files: [file], fileContents: new Map([["a.js", "something else"]]) }).findings).toEqual([]);
  });

  it("keeps going when a rule throws, and says which one failed", () => {
    const boom: Rule = {
      id: "test/boom",
      category: "debug-leftover",
      severity: "low",
      confidence: 1,
      languages: "any",
      message: "m",
      recommendation: "r",
      match() {
        throw new Error("kaboom");
      },
    };
    const ok: Rule = { ...boom, id: "test/ok", match: (line) => line.includes("x") };
    const out = createRuleEngine({ rules: [boom, ok] }).analyze({ files: [parsePatch("a.txt", "@@ -0,0 +1,2 @@\n+x\n+x2")] });
    expect(out.findings.map((f) => f.rule)).toEqual(["test/ok", "test/ok"]);
    expect(out.skipped).toEqual([{ path: "a.txt", reason: "rule test/boom failed: kaboom" }]);
  });

  it("redacts secrets in rule messages", () => {
    const leaky: Rule = {
      id: "test/leaky",
      category: "debug-leftover",
      severity: "low",
      confidence: 1,
      languages: "any",
      message: "m",
      recommendation: `rotate ${GH}`,
      match: (line) => ({ message: `found ${line}` }),
    };
    const [f] = createRuleEngine({ rules: [leaky] }).analyze({ files: [parsePatch("a.txt", `@@ -0,0 +1 @@\n+t = ${GH}`)] }).findings;
    expect(f.message).toBe("found t = [REDACTED:github-token]");
    expect(f.recommendation).toBe("rotate [REDACTED:github-token]");
  });

  it("only runs language-agnostic rules on very long (minified) lines", () => {
    const long = `${"a".repeat(5000)};eval(userCode); const t = "${GH}";`;
    expect(rulesFound("bundle.js", long)).toEqual(["secrets/hardcoded-secret"]);
  });
});
