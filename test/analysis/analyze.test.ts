import { readFileSync } from "node:fs";
import { defaultAnalyzers, runAnalysis } from "../../src/analysis/analyze.js";
import { parsePatch, parseUnifiedDiff } from "../../src/analysis/diff.js";
import type { AnalysisInput, Analyzer, DiffFile } from "../../src/analysis/types.js";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

describe("runAnalysis", () => {
  it("runs rules and predictors together", async () => {
    const files = [
      parsePatch(
        "src/db.ts",
        "@@ -1,1 +1,2 @@\n import { db } from './db.js';\n+export const find = (id: string) => db.query(`SELECT * FROM users WHERE id = ${id}`);",
      ),
      parsePatch("migrations/002_drop_email.sql", "@@ -0,0 +1 @@\n+ALTER TABLE users DROP COLUMN email;"),
    ];
    const result = await runAnalysis({ files });
    expect(result.findings.map((f) => f.rule)).toEqual(["js/sql-injection"]);
    expect(result.predictions.map((p) => p.kind)).toEqual(["migration-drop-column"]);
    expect(result.skipped).toEqual([]);
    expect(result.stats).toEqual({ files: 2, linesAnalyzed: 2 });
  });

  it("lists binary and patch-less files as skipped, with the reason", async () => {
    const files = parseUnifiedDiff(fixture("git-diff-mixed.diff"));
    files.push(parsePatch("data/huge.json", undefined, { additions: 9000, deletions: 0 }));
    files.push(parsePatch("src/moved.ts", undefined, { status: "renamed", oldPath: "src/old.ts", additions: 0, deletions: 0 }));
    const result = await runAnalysis({ files });
    expect(result.skipped).toEqual([
      { path: "src/logo.png", reason: "binary file: not analysed" },
      { path: "src/new.bin", reason: "binary file: not analysed" },
      { path: "data/huge.json", reason: expect.stringContaining("no patch available") },
    ]);
    expect(result.stats.files).toBe(10);
  });

  it("skips patches over maxPatchLines", async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `+const a${i} = ${i};`).join("\n");
    const result = await runAnalysis({ files: [parsePatch("src/gen.ts", `@@ -0,0 +1,30 @@\n${lines}`)] }, { maxPatchLines: 10 });
    expect(result.skipped).toEqual([{ path: "src/gen.ts", reason: "patch too large (30 lines, limit 10): not analysed" }]);
    expect(result.stats.linesAnalyzed).toBe(0);
  });

  it("runs secrets on files in any language, and language rules only on their languages", async () => {
    const token = ["ghp_", "R8kq2ZtY7mN4vB1xW9cD3fH6jL0pS5aE2gU8"].join("");
    const files = [
      parsePatch("deploy/values.yaml", `@@ -0,0 +1,2 @@\n+image: app\n+githubToken: ${token}`),
      parsePatch("lib/tool.rb", "@@ -0,0 +1 @@\n+eval(params[:code])"),
    ];
    const result = await runAnalysis({ files });
    expect(result.findings.map((f) => [f.rule, f.path, f.line])).toEqual([["secrets/hardcoded-secret", "deploy/values.yaml", 2]]);
    expect(JSON.stringify(result)).not.toContain(token);
    expect(result.skipped).toEqual([]);
  });

  it("dedupes findings by fingerprint and predictions by id", async () => {
    const finding = {
      rule: "x/y",
      category: "xss" as const,
      path: "a",
      line: 1,
      side: "RIGHT" as const,
      severity: "low" as const,
      confidence: 1,
      message: "m",
      recommendation: "r",
      fingerprint: "f1",
    };
    const twice: Analyzer = { name: "twice", analyze: () => ({ findings: [finding, { ...finding, line: 9 }], predictions: [] }) };
    const result = await runAnalysis({ files: [] }, { analyzers: [twice, twice] });
    expect(result.findings).toEqual([finding]);
  });

  it("reports a failing analyzer as skipped and keeps the others' results", async () => {
    const broken: Analyzer = {
      name: "broken",
      analyze() {
        throw new TypeError("cannot read properties of undefined");
      },
    };
    const files = [parsePatch("a.js", "@@ -0,0 +1 @@\n+eval(userCode);")];
    const result = await runAnalysis({ files }, { analyzers: [broken, ...defaultAnalyzers()] });
    expect(result.skipped).toEqual([{ path: "*", reason: "analyzer broken failed: cannot read properties of undefined" }]);
    expect(result.findings.map((f) => f.rule)).toEqual(["js/code-injection"]);
  });

  it("never throws on garbage, binary or malformed input", async () => {
    const garbage: unknown[] = [
      { files: parseUnifiedDiff("\u0000\u0001binary\u00ff\n@@ nonsense @@\n+++\n---") },
      { files: parseUnifiedDiff(fixture("git-diff-binary-patch.diff")) },
      { files: [null, 42, { path: 7 }, { path: "x.js" }, { path: "y.js", hunks: [{ lines: null }] }] },
      { files: "not an array" },
      {},
      null,
      { files: [{ path: "z.js", hunks: [{ lines: [{ kind: "add", content: undefined, newLine: 1 }] }], additions: 1, deletions: 0 }] },
      { files: [parsePatch("a.js", "@@ -0,0 +1 @@\n+" + "(".repeat(50_000) + "eval(x" + "`".repeat(1000))] },
    ];
    for (const input of garbage) {
      const result = await runAnalysis(input as AnalysisInput); // resolves, never rejects
      expect(Array.isArray(result?.findings)).toBe(true);
      expect(Array.isArray(result?.skipped)).toBe(true);
    }
    const bad = await runAnalysis({ files: [null, { path: "x.js" }] } as unknown as AnalysisInput);
    expect(bad.skipped).toEqual([
      { path: "?", reason: "malformed file entry: not analysed" },
      { path: "x.js", reason: "malformed file entry: not analysed" },
    ]);
  });

  it("analyses a 10,000-line diff of JS, TS and Python", async () => {
    const js = [
      "const user = await db.query(`SELECT * FROM users WHERE id = ${req.params.id}`);",
      "const total = items.reduce((sum, item) => sum + item.price * item.quantity, 0);",
      "if (!session || session.expiresAt < Date.now()) return res.status(401).json({ error: 'expired' });",
      "el.textContent = `${user.firstName} ${user.lastName}`;",
      "export function formatDate(d) { return new Intl.DateTimeFormat('en-GB').format(d); }",
      "logger.info({ userId: user.id, route: req.path }, 'request handled');",
      'const password = "Tr0ub4dor&3x";',
      "for (const [key, value] of Object.entries(headers)) res.setHeader(key, String(value));",
    ];
    const py = [
      'cursor.execute("SELECT * FROM users WHERE id = %s", (user_id,))',
      "    return [transform(x) for x in rows if x.get('active')]",
      "def handler(event, context):",
      '    subprocess.run(f"convert {path} out.png", shell=True)',
      "    data = json.loads(body)",
    ];
    const files: DiffFile[] = [];
    for (let f = 0; f < 40; f++) {
      const pool = f % 2 ? py : js;
      const body: string[] = [];
      for (let i = 0; i < 250; i++) body.push(`${i % 5 === 0 ? "-" : "+"}${pool[i % pool.length]}`);
      const oldCount = body.filter((l) => l.startsWith("-")).length;
      const newCount = body.length - oldCount;
      files.push(parsePatch(`src/mod${f}.${f % 2 ? "py" : "ts"}`, `@@ -1,${oldCount} +1,${newCount} @@\n${body.join("\n")}`));
    }
    const result = await runAnalysis({ files }); // its speed is measured by `npm run bench`, not here
    expect(result.stats.linesAnalyzed).toBe(10_000);
    expect(result.findings.length).toBeGreaterThan(0);
    expect(result.predictions.map((p) => p.kind)).toContain("large-change");
  });
});
