import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runAnalysis } from "../../../src/analysis/analyze.js";
import { createAstAnalyzer } from "../../../src/analysis/ast/analyzer.js";
import { languageSupport } from "../../../src/analysis/ast/languages.js";
import { loadRuleSet, RuleFileError } from "../../../src/analysis/ast/ruleSet.js";
import { parsePatch } from "../../../src/analysis/diff.js";
import { addedFilePatch, astFindings, astRules, astScan } from "./helpers.js";

const GH = ["ghp_", "R8kq2ZtY7mN4vB1xW9cD3fH6jL0pS5aE2gU8"].join("");

describe("AST analyzer: findings", () => {
  it("fills a complete finding on the added line, naming the source", async () => {
    const code = [
      "// orders",
      "app.get('/o/:id', async (req, res) => {",
      "  const rows = await db.query(`SELECT * FROM orders WHERE id = ${req.params.id}`);",
      "});",
    ].join("\n");
    const [f] = await astFindings("src/orders.js", code);
    expect(f).toMatchObject({
      rule: "js/sql-injection",
      category: "sql-injection",
      path: "src/orders.js",
      line: 3,
      side: "RIGHT",
      severity: "high",
      confidence: 0.9,
    });
    expect(f.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(f.message).toContain("req.params.id");
    expect(f.recommendation).toMatch(/parameter/i);
  });

  it("rates a query built from a value of unknown origin lower than one built from request input", async () => {
    const [f] = await astFindings("src/db.ts", "export const find = (id: string) => db.query(`SELECT * FROM users WHERE id = ${id}`);");
    expect(f).toMatchObject({ rule: "js/sql-injection", confidence: 0.65 });
  });

  it("reports only findings on ADDED lines (not context, not deleted)", async () => {
    const patch = [
      "@@ -1,4 +1,4 @@",
      " app.get('/a', (req, res) => {",
      "-  eval(req.query.old);",
      "+  const x = 1;",
      "   eval(req.query.code);",
      " });",
    ].join("\n");
    const out = await createAstAnalyzer().analyze({ files: [parsePatch("a.js", patch)] });
    expect(out.findings).toEqual([]);
  });

  it("uses the whole file when it matches the diff (taint from a line outside the hunk), the hunks otherwise", async () => {
    const py = ["def a(request):", "    cmd = 'ls ' + request.args['dir']", "    log(cmd)", "    log(cmd)", "    os.system(cmd)", ""].join(
      "\n",
    );
    const patch = "@@ -4,1 +4,2 @@\n     log(cmd)\n+    os.system(cmd)";
    const file = parsePatch("app/a.py", patch);
    const analyzer = createAstAnalyzer();
    // The hunk alone: a shell command of unknown origin, an audit-level (low) finding.
    const audit = (findings: Array<{ severity: string }>) => findings.map((f) => f.severity);
    expect(audit((await analyzer.analyze({ files: [file] })).findings)).toEqual(["low"]);
    const whole = await analyzer.analyze({ files: [file], fileContents: new Map([["app/a.py", py]]) });
    expect(whole.findings.map((f) => [f.rule, f.line, f.severity])).toEqual([["py/command-injection", 5, "critical"]]);
    // Stale contents (another commit) are ignored rather than misread.
    expect(audit((await analyzer.analyze({ files: [file], fileContents: new Map([["app/a.py", "something else"]]) })).findings)).toEqual([
      "low",
    ]);
  });

  it("keeps line numbers across hunks (gaps between hunks are blank lines)", async () => {
    const patch = [
      "@@ -1,2 +1,2 @@",
      " import os",
      "-x = 1",
      "+x = 2",
      "@@ -40,2 +40,3 @@",
      " def run(request):",
      "+    os.system('ls ' + request.args['d'])",
      "     return 1",
    ].join("\n");
    const out = await createAstAnalyzer().analyze({ files: [parsePatch("app/v.py", patch)] });
    expect(out.findings.map((f) => [f.rule, f.line])).toEqual([["py/command-injection", 41]]);
  });

  it("covers JS, TS, TSX, Python, Go and Java files, and ignores declarations and other languages", async () => {
    for (const ext of ["js", "jsx", "mjs", "cjs", "ts", "tsx"])
      expect(await astRules(`a.${ext}`, "eval(userCode);")).toEqual(["js/code-injection"]);
    expect(await astRules("a.py", "eval(user_code)")).toEqual(["py/code-injection"]);
    expect(await astRules("a.d.ts", "declare function eval(x: string): void;")).toEqual([]);
    const rb = await astScan("lib/tool.rb", "eval(params[:code])");
    expect(rb).toEqual({ findings: [], predictions: [], skipped: [] });
  });

  it("Go and Java grammars are available here", () => {
    const { available, problems } = languageSupport();
    expect([...available].sort()).toEqual(["go", "java", "javascript", "python", "tsx", "typescript"]);
    expect([...problems]).toEqual([]);
  });

  it("without the whole file, a bare exec( whose import is not in view is reported with lower confidence", async () => {
    const [f] = await astFindings("a.js", "app.get('/x', (req, res) => exec(`git log ${req.query.branch}`));", { wholeFile: false });
    expect(f.rule).toBe("js/command-injection");
    expect(f.confidence).toBeLessThan(0.9);
    // With the whole file known and no child_process import, exec is something else.
    expect(await astRules("a.js", "app.get('/x', (req, res) => exec(`git log ${req.query.branch}`));")).toEqual([]);
  });

  it("does not report MD5 outside a password/token/signature context", async () => {
    expect(await astRules("etag.js", "const etag = crypto.createHash('md5').update(body).digest('hex');")).toEqual([]);
  });

  it("redacts secrets in messages and recommendations", async () => {
    const dir = mkdtempSync(join(tmpdir(), "empathy-rules-"));
    try {
      mkdirSync(join(dir, "rules"));
      writeFileSync(
        join(dir, "rules", "leaky.yml"),
        [
          "id: js/leaky",
          "language: JavaScript",
          "severity: info",
          `message: "found ${GH}"`,
          "rule:",
          "  pattern: leak()",
          "metadata:",
          "  category: debug-leftover",
          "  confidence: 1",
          `  recommendation: "rotate ${GH}"`,
        ].join("\n"),
      );
      const analyzer = createAstAnalyzer({ ruleSet: loadRuleSet(join(dir, "rules")) });
      const [f] = (await analyzer.analyze({ files: [parsePatch("a.js", "@@ -0,0 +1 @@\n+leak();")] })).findings;
      expect(f.message).toBe("found [REDACTED:github-token]");
      expect(f.recommendation).toBe("rotate [REDACTED:github-token]");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("AST analyzer: where and how often", () => {
  const added = (path: string, code: string) => {
    const lines = code.split("\n");
    return parsePatch(path, `@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}`).join("\n")}`);
  };

  it("the same weak line twice in a file is two findings with two fingerprints (both survive runAnalysis)", async () => {
    const code = [
      "from Crypto.Cipher import AES",
      "def encrypt(key, data):",
      "    cipher = AES.new(key, AES.MODE_ECB)",
      "    return cipher.encrypt(data)",
      "def decrypt(key, blob):",
      "    cipher = AES.new(key, AES.MODE_ECB)",
      "    return cipher.decrypt(blob)",
    ].join("\n");
    const direct = (await astFindings("app/crypto.py", code)).filter((f) => f.rule === "py/weak-cipher");
    expect(direct.map((f) => f.line)).toEqual([3, 6]);
    expect(new Set(direct.map((f) => f.fingerprint)).size).toBe(2);
    const result = await runAnalysis({ files: [added("app/crypto.py", code)], fileContents: new Map([["app/crypto.py", code]]) });
    expect(result.findings.filter((f) => f.rule === "py/weak-cipher").map((f) => f.line)).toEqual([3, 6]);
  });

  it("TLS checks turned off in a test file are not reported (tests talk to their own servers)", async () => {
    const code =
      "def test_health(live_server):\n    r = requests.get(f'https://localhost:{live_server.port}/health', verify=False)\n    assert r.ok";
    expect(await astRules("tests/test_health.py", code)).not.toContain("py/insecure-tls");
    expect(await astRules("app/health.py", code)).toContain("py/insecure-tls");
    expect(await astRules("src/client.test.ts", "const agent = new https.Agent({ rejectUnauthorized: false });")).not.toContain(
      "js/insecure-tls",
    );
  });

  it("java.util.Random: a field is reported where it is made, a local where it is drawn from", async () => {
    const field = [
      "import java.util.Random;",
      "public class ResetTokenService {",
      "    private final Random random = new Random();",
      "    public String newResetToken() {",
      "        StringBuilder sb = new StringBuilder();",
      "        for (int i = 0; i < 32; i++) {",
      "            sb.append(Integer.toHexString(random.nextInt(16)));",
      "        }",
      "        return sb.toString();",
      "    }",
      "}",
    ].join("\n");
    expect(
      (await astFindings("src/ResetTokenService.java", field)).filter((f) => f.rule === "java/insecure-randomness").map((f) => f.line),
    ).toEqual([3]);
    const local = field
      .replace("    private final Random random = new Random();\n", "")
      .replace("        StringBuilder sb = new StringBuilder();", "        Random random = new Random();");
    expect(
      (await astFindings("src/ResetTokenService.java", local)).filter((f) => f.rule === "java/insecure-randomness").map((f) => f.line),
    ).toEqual([6]);
  });

  it("Go: a rand.New generator is reported where it is made, not at each draw", async () => {
    const code = [
      "package auth",
      "",
      'import (\n\t"math/rand"\n\t"time"\n)',
      "",
      "var seededRand = rand.New(rand.NewSource(time.Now().UnixNano()))",
      "",
      "func NewAPIToken() string {",
      "\tb := make([]byte, 40)",
      "\tfor i := range b {",
      "\t\tb[i] = charset[seededRand.Intn(len(charset))]",
      "\t}",
      "\treturn string(b)",
      "}",
    ].join("\n");
    const lines = (await astFindings("auth/token.go", code)).filter((f) => f.rule === "go/insecure-randomness").map((f) => f.line);
    expect(lines).toEqual([8]);
  });

  it("a helper's purpose is read from its callers, two calls up (`randomChars` <- `makeInvite` <- `createInvite`)", async () => {
    const code = [
      "const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';",
      "function randomChars(len) {",
      "  let out = '';",
      "  for (let i = 0; i < len; i++) out += ALPHABET[Math.floor(Math.random() * ALPHABET.length)];",
      "  return out;",
      "}",
      "function makeInvite() { return randomChars(10); }",
      "async function createInvite(db, teamId) { await db.invites.insert({ teamId, invite: makeInvite() }); }",
    ].join("\n");
    expect(await astRules("src/invites.js", code)).toContain("js/insecure-randomness");
    const shuffle =
      "function shuffle(a) { for (let i = a.length - 1; i > 0; i--) { const j = Math.floor(Math.random() * (i + 1)); [a[i], a[j]] = [a[j], a[i]]; } return a; }";
    expect(await astRules("src/shuffle.js", shuffle)).not.toContain("js/insecure-randomness");
  });

  it("a weak hash's purpose is read from what it hashes (`md.update(password)`)", async () => {
    const code = [
      "class Accounts {",
      "    String store(String email, String password) throws Exception {",
      '        MessageDigest md = MessageDigest.getInstance("MD5");',
      "        md.update(password.getBytes());",
      "        return hex(md.digest());",
      "    }",
      "}",
    ].join("\n");
    expect(await astRules("src/Accounts.java", code)).toContain("java/weak-hash");
    expect(await astRules("src/Files.java", code.replace(/password/g, "content").replace("Accounts", "Files"))).not.toContain(
      "java/weak-hash",
    );
  });
});

describe("AST analyzer: empathy-ignore", () => {
  it("silences every rule on the same line or the line below", async () => {
    expect(await astRules("a.js", "eval(userCode); // empathy-ignore")).toEqual([]);
    expect(await astRules("a.js", "// empathy-ignore\neval(userCode);")).toEqual([]);
    expect(await astRules("a.py", "# empathy-ignore\nexec(code)")).toEqual([]);
  });

  it("silences only the named rule ids or categories", async () => {
    expect(await astRules("a.js", "// empathy-ignore: js/code-injection\neval(userCode);")).toEqual([]);
    expect(await astRules("a.js", "eval(userCode); // empathy-ignore: code-injection, js/xss-dom")).toEqual([]);
    expect(await astRules("a.js", "// empathy-ignore: js/xss-dom\neval(userCode);")).toEqual(["js/code-injection"]);
    expect(await astRules("a.js", "// empathy-ignore\n\neval(userCode);")).toEqual(["js/code-injection"]); // two lines above
  });

  it("ignores commented-out code", async () => {
    expect(await astRules("a.ts", "// eval(userCode);\n/* el.innerHTML = location.hash; */\n * document.write(location.hash)")).toEqual([]);
    expect(await astRules("a.py", "# os.system('ls ' + request.args['d'])")).toEqual([]);
  });
});

describe("AST analyzer: bad input", () => {
  it("a file with a syntax error: analyses the lines that parse on their own and says so", async () => {
    const code = ["function broken( {", "  const x = ;", "  eval(req.query.code);", "}}}", "const ok = 1;"].join("\n");
    const out = await astScan("src/broken.js", code);
    expect(out.findings.map((f) => [f.rule, f.line])).toEqual([["js/code-injection", 3]]);
    expect(out.skipped).toEqual([
      { path: "src/broken.js", reason: expect.stringMatching(/could not be parsed in full .*analysed the parts that parse/) },
    ]);
  });

  it("partial code from hunks (unbalanced braces) still yields findings, without a note when nothing was lost", async () => {
    const patch = ["@@ -10,3 +10,3 @@", "   if (x) {", "-    run();", "+    eval(req.body.expr);", "   }", " }"].join("\n");
    const out = await createAstAnalyzer().analyze({ files: [parsePatch("src/h.js", patch)] });
    expect(out.findings.map((f) => [f.rule, f.line])).toEqual([["js/code-injection", 11]]);
    expect(out.skipped).toEqual([]);
  });

  it("binary content (NUL bytes) is skipped with a reason, no findings", async () => {
    const out = await astScan("src/blob.js", "eval(req.query.x)\u0000\u0001\u0002");
    expect(out.findings).toEqual([]);
    expect(out.skipped).toEqual([{ path: "src/blob.js", reason: expect.stringContaining("binary content") }]);
  });

  it("a huge single-line (minified) file: the long line is left out, the rest analysed, and said so", async () => {
    const code = `${"var a=1;".repeat(2000)}eval(req.query.x);\napp.get('/', (req, res) => eval(req.query.y));`;
    const out = await astScan("dist/app.js", code);
    expect(out.findings.map((f) => [f.rule, f.line])).toEqual([["js/code-injection", 2]]);
    expect(out.skipped).toEqual([{ path: "dist/app.js", reason: expect.stringContaining("minified") }]);
  });

  it("garbage never throws and never invents findings", async () => {
    const inputs = [
      "(".repeat(50_000) + "eval(x" + "`".repeat(1000),
      "\u00ff\u00fe garbage ]]]]",
      "",
      "def (:\n  ))))",
      "<?php echo $_GET['x']; ?>",
    ];
    for (const [i, code] of inputs.entries()) {
      const ext = ["js", "ts", "py", "py", "go"][i];
      const out = await astScan(`src/g.${ext}`, code);
      expect(out.findings).toEqual([]);
    }
  });

  it("through runAnalysis: a bad rule directory is reported as a failed analyser naming the file, others still run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "empathy-rules-"));
    try {
      writeFileSync(
        join(dir, "bad.yml"),
        "id: js/bad\nlanguage: JavaScript\nseverity: error\nmessage: m\nrule:\n  pattern: x(\nmetadata:\n  category: nope\n  confidence: 1\n  recommendation: r\n",
      );
      const analyzer = createAstAnalyzer({ rulesDir: dir });
      const result = await runAnalysis({ files: [parsePatch("a.js", "@@ -0,0 +1 @@\n+eval(x);")] }, { analyzers: [analyzer] });
      expect(result.skipped).toEqual([{ path: "*", reason: expect.stringContaining("bad.yml") }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("rule files", () => {
  const cases: Array<[string, string, RegExp]> = [
    ["invalid YAML", "id: js/x\nlanguage: JavaScript\n  bad: [", /invalid YAML/],
    [
      "unknown category",
      "id: js/x\nlanguage: JavaScript\nseverity: error\nmessage: m\nrule:\n  pattern: eval($A)\nmetadata:\n  category: sqli\n  confidence: 1\n  recommendation: r\n",
      /metadata\.category/,
    ],
    [
      "unknown language",
      "id: js/x\nlanguage: Cobol\nseverity: error\nmessage: m\nrule:\n  pattern: eval($A)\nmetadata:\n  category: xss\n  confidence: 1\n  recommendation: r\n",
      /not supported/,
    ],
    [
      "sink metavariable not in the rule",
      "id: js/x\nlanguage: JavaScript\nseverity: error\nmessage: m\nrule:\n  pattern: eval($A)\nmetadata:\n  category: xss\n  confidence: 1\n  recommendation: r\n  taint:\n    sink: B\n    policy: source\n",
      /\$B does not appear/,
    ],
    [
      "unknown node kind",
      "id: js/x\nlanguage: JavaScript\nseverity: error\nmessage: m\nrule:\n  kind: no_such_kind\nmetadata:\n  category: xss\n  confidence: 1\n  recommendation: r\n",
      /ast-grep rejects the rule/,
    ],
    [
      "a constant metavariable not in the rule",
      "id: js/x\nlanguage: JavaScript\nseverity: error\nmessage: m\nrule:\n  pattern: eval($A)\nmetadata:\n  category: xss\n  confidence: 1\n  recommendation: r\n  constant:\n    value: B\n    regex: x\n",
      /\$B does not appear/,
    ],
    [
      "keywordsMarked without NAME",
      "id: py/x\nlanguage: Python\nseverity: error\nmessage: m\nrule:\n  pattern: f($$$A)\nmetadata:\n  category: xss\n  confidence: 1\n  recommendation: r\n  taint:\n    sink: A[*]\n    policy: source\n    keywordsMarked: safe\n",
      /NAME/,
    ],
    [
      "a typo in a field name",
      "id: js/x\nlanguage: JavaScript\nseverity: error\nmesage: m\nrule:\n  pattern: eval($A)\nmetadata:\n  category: xss\n  confidence: 1\n  recommendation: r\n",
      /mesage|message/,
    ],
  ];

  it.each(cases)("%s is an error naming the file", (_name, text, detail) => {
    const dir = mkdtempSync(join(tmpdir(), "empathy-rules-"));
    try {
      writeFileSync(join(dir, "broken-rule.yml"), text);
      let error: unknown;
      try {
        loadRuleSet(dir);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(RuleFileError);
      expect(String((error as Error).message)).toMatch(/broken-rule\.yml: /);
      expect(String((error as Error).message)).toMatch(detail);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("duplicate ids are an error naming both files", () => {
    const dir = mkdtempSync(join(tmpdir(), "empathy-rules-"));
    try {
      const rule =
        "id: js/x\nlanguage: JavaScript\nseverity: error\nmessage: m\nrule:\n  pattern: eval($A)\nmetadata:\n  category: xss\n  confidence: 1\n  recommendation: r\n";
      writeFileSync(join(dir, "a.yml"), rule);
      writeFileSync(join(dir, "b.yml"), rule);
      expect(() => loadRuleSet(dir)).toThrow(/b\.yml: id "js\/x" is already used by .*a\.yml/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the repository's rules all load, for every language", () => {
    const set = loadRuleSet();
    expect(set.unavailable).toEqual([]);
    const languages = new Set(set.rules.flatMap((r) => r.languages));
    expect([...languages].sort()).toEqual(["go", "java", "javascript", "python", "tsx", "typescript"]);
  });
});

describe("AST analyzer: work that grows with the input", () => {
  /** `function f_i(a) { return g_i(a); }` + `function g_i(b) { sink }` + a route calling f_i with request input. */
  const routes = (n: number) =>
    Array.from({ length: n }, (_, i) =>
      [
        `function f${i}(a) { return g${i}(a); }`,
        `function g${i}(b) { return db.query("SELECT " + b); }`,
        `app.get("/r${i}", (req, res) => { res.send(f${i}(req.query.x)); });`,
      ].join("\n"),
    ).join("\n");

  it("finds every tainted flow through many function pairs (the call sites are indexed once per file)", async () => {
    const n = 300;
    const findings = await astFindings("src/routes.js", routes(n));
    expect(findings).toHaveLength(n);
    // g_i's query is on line 3i+2; each flow is traced back to the request through f_i's call.
    expect(findings.map((f) => f.line)).toEqual(Array.from({ length: n }, (_, i) => 3 * i + 2));
    for (const f of findings) {
      expect(f).toMatchObject({ rule: "js/sql-injection", confidence: 0.9 });
      expect(f.message).toContain("req.query.x");
    }
    // The same functions, never called: the parameters' origin is unknown.
    const uncalled = Array.from(
      { length: n },
      (_, i) => `function f${i}(a) { return g${i}(a); }\nfunction g${i}(b) { return db.query("SELECT " + b); }`,
    ).join("\n");
    expect(new Set((await astFindings("src/helpers.js", uncalled)).map((f) => f.confidence))).toEqual(new Set([0.65]));
  });

  it("finds them in Python, and through methods called on this or an instance", async () => {
    const py = ["from flask import request"];
    for (let i = 0; i < 150; i++)
      py.push(
        `def f${i}(a):\n    return g${i}(a)\n\ndef g${i}(b):\n    return cursor.execute("SELECT " + b)\n\n@app.route("/r${i}")\ndef h${i}():\n    return f${i}(request.args["x"])\n`,
      );
    const pyFindings = await astFindings("app/views.py", py.join("\n"));
    expect(pyFindings).toHaveLength(150);
    expect(new Set(pyFindings.map((f) => `${f.rule} ${f.confidence}`))).toEqual(new Set(["py/sql-injection 0.9"]));

    const js = ["class Store {"];
    for (let i = 0; i < 100; i++) js.push(`  m${i}(a) { return this.q${i}(a); }`, `  q${i}(b) { return this.db.query("SELECT " + b); }`);
    js.push("}", "const store = new Store();");
    for (let i = 0; i < 100; i++) js.push(`app.get("/r${i}", (req, res) => store.m${i}(req.query.x));`);
    const jsFindings = await astFindings("src/store.js", js.join("\n"));
    expect(jsFindings).toHaveLength(100);
    expect(new Set(jsFindings.map((f) => `${f.rule} ${f.confidence}`))).toEqual(new Set(["js/sql-injection 0.9"]));
  });

  it("stops taint propagation at the work limit, keeps what it found, and lists the file as skipped", async () => {
    const code = routes(100);
    const full = await astScan("src/routes.js", code);
    expect(full.findings).toHaveLength(100);
    expect(full.skipped).toEqual([]);

    const small = "app.get('/o', (req, res) => db.query('SELECT * FROM t WHERE id = ' + req.query.id));";
    const files = [parsePatch("src/routes.js", addedFilePatch(code)), parsePatch("src/small.js", addedFilePatch(small))];
    const out = await createAstAnalyzer({ maxTaintSteps: 200 }).analyze({
      files,
      fileContents: new Map([
        ["src/routes.js", code],
        ["src/small.js", small],
      ]),
    });
    expect(out.skipped).toEqual([
      { path: "src/routes.js", reason: "taint analysis stopped at its work limit (200 steps): findings in this file may be incomplete" },
    ]);
    const cut = out.findings.filter((f) => f.path === "src/routes.js");
    // What was found before the limit is kept (and is what the full analysis found there); nothing is made up after it.
    expect(cut.length).toBeGreaterThan(0);
    expect(cut.length).toBeLessThan(100);
    expect(cut).toEqual(full.findings.slice(0, cut.length));
    // The limit is per file: the next file is analysed in full.
    expect(out.findings.filter((f) => f.path === "src/small.js").map((f) => [f.rule, f.confidence])).toEqual([["js/sql-injection", 0.9]]);
  });

  it("follows a value built from many optional parts (each `+=` read once, not once per path)", async () => {
    const filters = Array.from({ length: 40 }, (_, i) => `  if (req.query.f${i}) q += " AND c${i} = " + req.query.f${i};`);
    const code = [
      "app.get('/search', (req, res) => {",
      "  let q = 'SELECT * FROM items WHERE 1 = 1';",
      ...filters,
      "  db.query(q);",
      "});",
    ].join("\n");
    const [f] = await astFindings("src/search.js", code);
    expect(f).toMatchObject({ rule: "js/sql-injection", line: 43, confidence: 0.9 });
  });

  it("finds sinks deep in a long else-if chain and a long promise chain", async () => {
    const branches = Array.from({ length: 300 }, (_, i) => `  else if (kind === ${i}) { db.query("SELECT " + req.query.x${i}); }`);
    const elseIf = ["app.get('/', (req, res) => {", "  const kind = settings.kind;", "  if (kind < 0) {}", ...branches, "});"].join("\n");
    const inBranches = await astFindings("src/kinds.js", elseIf);
    expect(inBranches).toHaveLength(300);
    expect(new Set(inBranches.map((f) => `${f.rule} ${f.confidence}`))).toEqual(new Set(["js/sql-injection 0.9"]));

    const links = Array.from({ length: 300 }, (_, i) => `    .then(() => db.query("SELECT " + req.query.x${i}))`);
    const chain = ["app.get('/', (req, res) => {", "  load()", ...links, "  ;", "});"].join("\n");
    const found = await astFindings("src/chain.js", chain);
    expect(found).toHaveLength(300);
    expect(found.map((f) => f.line)).toEqual(Array.from({ length: 300 }, (_, i) => i + 3));
  });

  it("does not rebuild hunks far down a file as millions of blank lines", async () => {
    const out = await createAstAnalyzer().analyze({
      files: [parsePatch("src/far.js", "@@ -8999999,1 +9000000,2 @@\n x();\n+eval(req.query.code);")],
    });
    expect(out.findings).toEqual([]);
    expect(out.skipped).toEqual([
      {
        path: "src/far.js",
        reason: expect.stringMatching(/^changes at line 9000001, beyond the 2000000 lines the AST analysis rebuilds from hunks/),
      },
    ]);
  });
});
