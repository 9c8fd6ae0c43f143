import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, type CliIo } from "../src/cli.js";
import { deeplyNestedPython, minifiedLine, nestedParentheses } from "./analysis/hostileInputs.js";

const SAMPLE = new URL("./fixtures/sample.diff", import.meta.url).pathname;
const SECRET = "ghp_4fR9tXb2Lq7Wz1Vn8Kc3Hs6Jd0Mp5Ye2Ua9Q";

async function run(args: string[], stdin = "", cwd = process.cwd()) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), readStdin: () => stdin, cwd };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

describe("empathy review", () => {
  it("prints JSON in the documented shape, with secrets redacted", async () => {
    const { code, stdout } = await run(["review", "--diff", SAMPLE, "--format", "json"]);
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.level).toBe(4);
    expect(out.confidence).toBeGreaterThan(0);
    const categories = out.findings.map((f: any) => f.category);
    expect(categories).toEqual(expect.arrayContaining(["sql-injection", "command-injection", "hardcoded-secret"]));
    for (const f of out.findings) {
      expect(Object.keys(f).sort()).toEqual(["category", "confidence", "line", "message", "path", "recommendation", "rule", "severity"]);
    }
    expect(out.findings.find((f: any) => f.category === "sql-injection")).toMatchObject({ path: "src/orders/export.js", line: 5 });
    expect(out.predictions.map((p: any) => p.path)).toEqual(expect.arrayContaining(["db/migrations/20261127_drop_email.sql", "api/openapi.yaml"]));
    for (const p of out.predictions) {
      expect(Object.keys(p).sort()).toEqual(["confidence", "id", "line", "path", "prediction", "recommendation", "severity", "tags"]);
    }
    expect(out.skipped).toEqual(expect.arrayContaining([expect.objectContaining({ path: "docs/logo.png" })]));
    expect(stdout).not.toContain(SECRET);
  });

  it("prints the Markdown summary and reads the diff from standard input", async () => {
    const { code, stdout } = await run(["review", "--diff", "-"], readFileSync(SAMPLE, "utf8"));
    expect(code).toBe(0);
    expect(stdout).toMatch(/^## Empathy review/);
    expect(stdout).toMatch(/### Predictions/);
    expect(stdout).not.toContain(SECRET);
  });

  it("--fail-on exits 1 when a finding reaches the severity", async () => {
    expect((await run(["review", "--diff", SAMPLE, "--fail-on", "high"])).code).toBe(1);
    const docs = join(mkdtempSync(join(tmpdir(), "empathy-cli-")), "docs.diff");
    writeFileSync(docs, "diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-old\n+new\n");
    expect((await run(["review", "--diff", docs, "--fail-on", "low"])).code).toBe(0);
  });

  it("--git runs git diff on a range, and --root gives rules the whole file", async () => {
    const repo = mkdtempSync(join(tmpdir(), "empathy-git-"));
    const git = (...a: string[]) => execFileSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...a], { cwd: repo });
    git("init", "-q");
    mkdirSync(join(repo, "app"));
    writeFileSync(join(repo, "app/views.py"), "import os\n\ndef run(request):\n    return 1\n");
    git("add", ".");
    git("commit", "-qm", "one");
    writeFileSync(join(repo, "app/views.py"), "import os\n\ndef run(request):\n    os.system('ls ' + request.args['dir'])\n    return 1\n");
    git("commit", "-qam", "two");
    const { code, stdout } = await run(["review", "--git", "HEAD~1..HEAD", "--root", repo, "--format", "json"], "", repo);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).findings).toEqual([expect.objectContaining({ category: "command-injection", path: "app/views.py", line: 4 })]);
    rmSync(repo, { recursive: true, force: true });
  });

  it("--ignore, --min-severity and the root's .gitattributes keep noise out", async () => {
    const all = JSON.parse((await run(["review", "--diff", SAMPLE, "--format", "json"])).stdout);
    const ignored = JSON.parse((await run(["review", "--diff", SAMPLE, "--format", "json", "--ignore", "src/**"])).stdout);
    expect(ignored.findings).toEqual([]);
    expect(ignored.skipped).toEqual(expect.arrayContaining([{ path: "src/orders/export.js", reason: expect.stringMatching(/ignore/) }]));
    const critical = JSON.parse((await run(["review", "--diff", SAMPLE, "--format", "json", "--min-severity", "critical"])).stdout);
    expect(critical.findings.length).toBeGreaterThan(0);
    expect(critical.findings.length).toBeLessThan(all.findings.length);
    const root = mkdtempSync(join(tmpdir(), "empathy-attrs-"));
    writeFileSync(join(root, ".gitattributes"), "src/orders/* linguist-generated\n");
    const generated = JSON.parse((await run(["review", "--diff", SAMPLE, "--format", "json", "--root", root])).stdout);
    expect(generated.findings).toEqual([]);
    rmSync(root, { recursive: true, force: true });
  });

  it("explains usage errors with exit code 2", async () => {
    for (const args of [[], ["review"], ["review", "--diff", "a", "--git", "b"], ["review", "--diff", SAMPLE, "--format", "xml"], ["review", "--diff", SAMPLE, "--fail-on", "huge"], ["lint"]]) {
      const r = await run(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^empathy: .*\n\nUsage: empathy review/s);
    }
    const missing = await run(["review", "--diff", "/no/such/file.diff"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such file/i);
    expect((await run(["--help"])).stdout).toMatch(/^Usage: empathy review/);
  });

  it("does not crash on garbage input", async () => {
    const r = await run(["review", "--diff", "-", "--format", "json"], "\u0000\u0001 not a diff at all\n@@ broken @@\n+++");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).findings).toEqual([]);
  });

  it("as a process, survives a file that crashes its parser and one over the limits: a report and exit 0, never a signal", () => {
    const dir = mkdtempSync(join(tmpdir(), "empathy-cli-hostile-"));
    const added = (path: string, text: string) => {
      const lines = text.replace(/\n$/, "").split("\n");
      return `diff --git a/${path} b/${path}\nnew file mode 100644\n--- /dev/null\n+++ b/${path}\n@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}`).join("\n")}\n`;
    };
    const diff = join(dir, "hostile.diff");
    writeFileSync(diff, added("deep.py", deeplyNestedPython(515)) + added("parens.js", nestedParentheses(300)) + added("bundle.js", minifiedLine(20_000)) + readFileSync(SAMPLE, "utf8"));
    const cli = (env: Record<string, string>) =>
      spawnSync(process.execPath, ["bin/empathy.js", "review", "--diff", diff, "--format", "json"], { env: { PATH: process.env.PATH ?? "", ...env }, encoding: "utf8", timeout: 60_000 });
    try {
      // Deep nesting let through to the parser: its worker aborts, the CLI reports and goes on.
      const crashed = cli({ EMPATHY_MAX_NESTING_DEPTH: "100000", EMPATHY_ANALYSIS_WORKERS: "1" });
      expect(crashed.signal).toBeNull();
      expect(crashed.status).toBe(0);
      const out = JSON.parse(crashed.stdout);
      expect(out.skipped).toEqual(expect.arrayContaining([{ path: "deep.py", reason: expect.stringMatching(/^not analysed: the analysis process stopped on it/) }]));
      expect(out.findings.map((f: any) => f.category)).toEqual(expect.arrayContaining(["sql-injection"]));
      // Under the default limits the same files are turned away before any parsing.
      const checked = JSON.parse(cli({}).stdout);
      expect(checked.skipped).toEqual(
        expect.arrayContaining([
          { path: "deep.py", reason: "not analysed: nesting deeper than 200 levels" },
          { path: "parens.js", reason: "not analysed: nesting deeper than 200 levels" },
          { path: "bundle.js", reason: "not analysed: a line longer than 10,000 characters (minified or generated code?)" },
        ]),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
