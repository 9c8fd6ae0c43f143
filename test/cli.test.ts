import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, type CliIo } from "../src/cli.js";
import { deeplyNestedPython, minifiedLine, nestedParentheses } from "./analysis/hostileInputs.js";

const SAMPLE = new URL("./fixtures/sample.diff", import.meta.url).pathname;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const SECRET = "ghp_4fR9tXb2Lq7Wz1Vn8Kc3Hs6Jd0Mp5Ye2Ua9Q";

async function run(args: string[], stdin = "", cwd = process.cwd()) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    readStdin: () => stdin,
    cwd,
    env: { EMPATHY_ANALYSIS_WORKERS: "1" },
  };
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
    expect(out.predictions.map((p: any) => p.path)).toEqual(
      expect.arrayContaining(["db/migrations/20261127_drop_email.sql", "api/openapi.yaml"]),
    );
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

  it("--fail-on judges every finding and prediction, whatever the level cap or the minimum severity leaves out of the report", async () => {
    const dir = mkdtempSync(join(tmpdir(), "empathy-gate-"));
    // A committed AWS key pair (assembled here, so no scanner flags this file).
    const keyId = ["AK", "IA", "QX7RZ2M4T9WB3KLN"].join("");
    const secret = ["wJalrXUtnFEMI", "K7MDENGbPxRfiCY", "9f3kQz2LmNpR8s"].join("");
    const diff = join(dir, "aws.diff");
    writeFileSync(
      diff,
      `diff --git a/config/aws.js b/config/aws.js\nnew file mode 100644\n--- /dev/null\n+++ b/config/aws.js\n@@ -0,0 +1,3 @@\n+module.exports = {\n+  aws: { accessKeyId: "${keyId}", secretAccessKey: "${secret}" },\n+};\n`,
    );
    try {
      const all = JSON.parse((await run(["review", "--diff", diff, "--format", "json"])).stdout);
      const key = all.findings.find((f: any) => f.category === "hardcoded-secret");
      expect(key).toBeDefined();
      const severity: string = key.severity;
      expect(["high", "critical"]).toContain(severity);
      for (const level of ["1", "2"]) {
        // The report stops below level 3: no findings in it, and yet the gate sees the key.
        const r = await run(["review", "--diff", diff, "--format", "json", "--target-level", level, "--fail-on", severity]);
        expect([level, r.code]).toEqual([level, 1]);
        expect(JSON.parse(r.stdout).findings).toEqual([]);
        expect(r.stderr).toContain(
          `empathy: --fail-on ${severity}: 1 finding(s) at ${severity} or above:\n  ${severity.padEnd(8)} config/aws.js:2  An AWS access key`,
        );
        expect(r.stderr).toContain(`(not in the report: it stops at level ${level}, the target level being ${level})`);
        expect(r.stdout + r.stderr).not.toContain(secret);
      }
      // Left out by the minimum severity: still judged.
      const trimmed = await run(["review", "--diff", diff, "--min-severity", "critical", "--fail-on", "low"]);
      if (severity !== "critical") {
        expect(trimmed.code).toBe(1);
        expect(trimmed.stderr).toContain("(not in the report: below the minimum severity, critical)");
      }
      // Shown in the report: listed without a remark; under the threshold: exit 0.
      const shown = await run(["review", "--diff", diff, "--fail-on", severity]);
      expect(shown.code).toBe(1);
      expect(shown.stderr).not.toContain("not in the report");
      if (severity === "high") expect((await run(["review", "--diff", diff, "--target-level", "2", "--fail-on", "critical"])).code).toBe(0);
      // What CI runs: the process's exit status.
      const p = spawnSync(process.execPath, ["bin/empathy.js", "review", "--diff", diff, "--target-level", "2", "--fail-on", severity], {
        env: { PATH: process.env.PATH ?? "", EMPATHY_ANALYSIS_WORKERS: "1" },
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(p.status).toBe(1);
      expect(p.stdout).toMatch(/^## Empathy review\n\*\*Level [12]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("names what it reviewed without a title, and asks level-2 questions about --title and --body", async () => {
    const plain = await run(["review", "--diff", SAMPLE]);
    expect(plain.stdout).not.toContain('Reviewed ""');
    expect(plain.stdout).toContain('Reviewed "sample.diff": ');
    expect(JSON.parse((await run(["review", "--diff", SAMPLE, "--format", "json"])).stdout).clarifications).toEqual([]);
    const stdin = await run(["review", "--diff", "-"], readFileSync(SAMPLE, "utf8"));
    expect(stdin.stdout).toContain('Reviewed "standard input": ');

    const vague = JSON.parse((await run(["review", "--diff", SAMPLE, "--format", "json", "--title", "fix"])).stdout);
    expect(vague.clarifications).toEqual(
      expect.arrayContaining([
        "The description is empty: what does this change do, and why?",
        'The title "fix" doesn\'t say what changes: could it name the intent?',
      ]),
    );
    const clear = JSON.parse(
      (
        await run([
          "review",
          "--diff",
          SAMPLE,
          "--format",
          "json",
          "--title",
          "Export orders as CSV for the finance team",
          "--body",
          "Adds an export endpoint the finance team asked for; tested by hand against staging data.",
        ])
      ).stdout,
    );
    expect(clear.clarifications.some((q: string) => /title|description/.test(q))).toBe(false);
    // Level 2 is where the questions show: the cap keeps them, and findings out.
    const capped = await run(["review", "--diff", SAMPLE, "--title", "fix", "--target-level", "2"]);
    expect(capped.stdout).toMatch(/\*\*Level 2 · guided\*\*/);
    expect(capped.stdout).toContain("### Questions");
    expect(capped.stdout).toContain('Reviewed "fix"');
  }, 120_000);

  it("--git: tells git's error once and briefly, says when the folder is not a repository or does not exist, and takes no changes calmly", () => {
    const outside = mkdtempSync(join(tmpdir(), "empathy-no-repo-"));
    const repo = mkdtempSync(join(tmpdir(), "empathy-git-errors-"));
    const cli = (args: string[], cwd: string) =>
      spawnSync(process.execPath, [join(process.cwd(), "bin/empathy.js"), "review", ...args], { cwd, encoding: "utf8", timeout: 60_000 });
    try {
      // Outside a repository git prints pages of usage: none of it here, one line instead.
      const notRepo = cli(["--git", "main...HEAD"], outside);
      expect(notRepo.status).toBe(2);
      expect(notRepo.stderr).toBe(
        `empathy: --git: ${outside} is not in a git repository (run empathy there, give --root DIR, or use --diff FILE)\n`,
      );
      expect(notRepo.stdout).toBe("");

      execFileSync("git", ["init", "-q"], { cwd: repo });
      execFileSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "one"], { cwd: repo });
      const badRange = cli(["--git", "nope...HEAD"], repo);
      expect(badRange.status).toBe(2);
      expect(badRange.stderr).toMatch(/^empathy: git diff nope\.\.\.HEAD failed:\nfatal: [^\n]*nope[^\n]*\n$/);
      expect(badRange.stderr.match(/fatal:/g)).toHaveLength(1);

      const noRoot = cli(["--git", "HEAD", "--root", "/nonexistent/empathy"], repo);
      expect(noRoot.status).toBe(2);
      expect(noRoot.stderr).toBe("empathy: --root /nonexistent/empathy: no such folder\n");
      writeFileSync(join(repo, "file.txt"), "x\n");
      expect(cli(["--git", "HEAD", "--root", "file.txt"], repo).stderr).toBe("empathy: --root file.txt: is a file, not a folder\n");

      const empty = cli(["--git", "HEAD..HEAD", "--fail-on", "info", "--format", "json"], repo);
      expect(empty.status).toBe(0);
      expect(empty.stderr).toBe("empathy: git diff HEAD..HEAD shows no changes: nothing to review\n");
      expect(JSON.parse(empty.stdout)).toMatchObject({ findings: [], predictions: [] });
    } finally {
      rmSync(outside, { recursive: true, force: true });
      rmSync(repo, { recursive: true, force: true });
    }
  }, 120_000);

  it("reads the repository config: with --git as of the range's base, so a change cannot loosen its own review", async () => {
    const repo = mkdtempSync(join(tmpdir(), "empathy-config-git-"));
    const git = (...a: string[]) => execFileSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...a], { cwd: repo });
    const review = async (...args: string[]) => {
      const r = await run(["review", "--git", "main...HEAD", "--format", "json", ...args], "", repo);
      return { ...r, json: r.code === 0 || r.code === 1 ? JSON.parse(r.stdout) : undefined };
    };
    try {
      git("init", "-q", "-b", "main");
      mkdirSync(join(repo, ".github"));
      mkdirSync(join(repo, "src"));
      mkdirSync(join(repo, "tools"));
      writeFileSync(join(repo, ".github/empathy.yml"), 'ignore: ["tools/**"]\nreview:\n  min_severty: high\n');
      writeFileSync(join(repo, "src/views.py"), "import os\n");
      writeFileSync(join(repo, "tools/run.py"), "import os\n");
      git("add", ".");
      git("commit", "-qm", "base");
      git("checkout", "-qb", "feature");
      const risky = "import os\n\ndef run(request):\n    os.system('ls ' + request.args['dir'])\n";
      writeFileSync(join(repo, "src/views.py"), risky);
      writeFileSync(join(repo, "tools/run.py"), risky);
      // The change also tries to ignore everything.
      writeFileSync(join(repo, ".github/empathy.yml"), 'ignore: ["**"]\n');
      git("commit", "-qam", "change");

      const withConfig = await review();
      expect(withConfig.code).toBe(0);
      expect(withConfig.json.findings.map((f: any) => f.path)).toEqual(["src/views.py"]);
      expect(withConfig.json.skipped).toEqual(expect.arrayContaining([{ path: "tools/run.py", reason: expect.stringMatching(/ignore/) }]));
      expect(withConfig.stderr).toMatch(
        /^empathy: the change edits \.github\/empathy\.yml; as the app does, the review uses the base's \(\.github\/empathy\.yml as of [0-9a-f]{12}\)/m,
      );
      // The base's problems, in the app's words, with the line; the review goes on.
      expect(withConfig.stderr).toMatch(
        /^empathy: config problem: \.github\/empathy\.yml as of [0-9a-f]{12}:3: review\.min_severty: unknown key \(did you mean min_severity\?\); known keys: /m,
      );
      expect(withConfig.stderr).toContain("empathy: the review uses the default value for each key above, as the app does\n");

      const without = await review("--no-config");
      expect(without.json.findings.map((f: any) => f.path).sort()).toEqual(["src/views.py", "tools/run.py"]);
      expect(without.stderr).toBe("");
      // --config FILE: that file instead (here the change's own).
      const own = await review("--config", ".github/empathy.yml");
      expect(own.json.findings).toEqual([]);
      const missing = await review("--config", "nope.yml");
      expect(missing.code).toBe(2);
      expect(missing.stderr).toBe("empathy: --config nope.yml: no such file\n");
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  }, 120_000);

  it("applies the config's paths per folder: each finding by its file's min_severity, the highest target_level among the files", async () => {
    const root = mkdtempSync(join(tmpdir(), "empathy-cli-paths-"));
    try {
      mkdirSync(join(root, ".github"));
      writeFileSync(
        join(root, ".github/empathy.yml"),
        "target_level: 1\nreview:\n  min_severity: critical\npaths:\n  - glob: src/\n    min_severity: info\n    target_level: 4\n",
      );
      const review = async (...extra: string[]) =>
        JSON.parse((await run(["review", "--diff", SAMPLE, "--root", root, "--format", "json", ...extra])).stdout);
      const all = JSON.parse((await run(["review", "--diff", SAMPLE, "--format", "json", "--min-severity", "info"])).stdout);
      const inSrc = all.findings.filter((f: any) => f.path.startsWith("src/"));
      const outside = all.findings.filter((f: any) => !f.path.startsWith("src/") && f.severity !== "critical");
      expect(inSrc.length).toBeGreaterThan(0);
      const out = await review();
      expect(out.findings.filter((f: any) => f.path.startsWith("src/"))).toHaveLength(inSrc.length);
      for (const f of outside) expect(out.findings).not.toContainEqual(f);
      expect(out.level).toBeGreaterThan(1);
      // Options on the command line win over every folder.
      expect((await review("--min-severity", "critical")).findings.every((f: any) => f.severity === "critical")).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("reads the repository config in --root for a --diff: its ignore, minimum severity, target level and analysis limits, options winning", async () => {
    const root = mkdtempSync(join(tmpdir(), "empathy-config-root-"));
    const write = (config: string) => {
      mkdirSync(join(root, ".github"), { recursive: true });
      writeFileSync(join(root, ".github/empathy.yml"), config);
    };
    const review = async (...args: string[]) => {
      const r = await run(["review", "--diff", SAMPLE, "--root", root, "--format", "json", ...args]);
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout);
    };
    try {
      const none = await review();
      expect(none.findings.map((f: any) => f.path)).toContain("src/orders/export.js");

      write('ignore: ["src/**"]\n');
      const ignored = await review();
      expect(ignored.findings.filter((f: any) => f.path.startsWith("src/"))).toEqual([]);
      expect(ignored.skipped).toEqual(expect.arrayContaining([{ path: "src/orders/export.js", reason: expect.stringMatching(/ignore/) }]));
      expect((await review("--no-config")).findings.map((f: any) => f.path)).toContain("src/orders/export.js");

      write("review:\n  min_severity: critical\ntarget_level: 3\n");
      const strict = await review();
      expect(strict.level).toBe(3);
      expect(strict.predictions).toEqual([]);
      expect(strict.findings.every((f: any) => f.severity === "critical")).toBe(true);
      const overridden = await review("--min-severity", "info", "--target-level", "5");
      expect(overridden.level).toBe(4);
      expect(overridden.findings.length).toBeGreaterThan(strict.findings.length);

      write("review:\n  enabled: false\n");
      const disabled = await run(["review", "--diff", SAMPLE, "--root", root, "--format", "json"]);
      expect(disabled.code).toBe(0);
      expect(disabled.stderr).toBe(
        `empathy: ${join(root, ".github/empathy.yml")} has review.enabled: false: the app does not review pull requests here; reviewing anyway\n`,
      );
      expect(JSON.parse(disabled.stdout).findings.length).toBeGreaterThan(0);

      write("analysis:\n  max_line_length: 40\n");
      const limited = await review();
      expect(limited.skipped).toEqual(
        expect.arrayContaining([
          { path: "src/orders/export.js", reason: "not analysed: a line longer than 40 characters (minified or generated code?)" },
        ]),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 120_000);

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
    expect(JSON.parse(stdout).findings).toEqual([
      expect.objectContaining({ category: "command-injection", path: "app/views.py", line: 4 }),
    ]);
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
  }, 120_000);

  it("explains usage errors with exit code 2: the mistake, then the command's usage", async () => {
    for (const args of [
      ["review"],
      ["review", "--diff", "a", "--git", "b"],
      ["review", "--diff", SAMPLE, "--format", "xml"],
      ["review", "--diff", SAMPLE, "--fail-on", "huge"],
      ["review", "--diff", SAMPLE, "--target-level", "7"],
      ["review", "--diff", SAMPLE, "--fail-om", "high"],
      ["review", "--git", "--cached"],
      ["review", "--git=--output=/tmp/x"],
    ]) {
      const r = await run(args);
      expect([args, r.code]).toEqual([args, 2]);
      expect(r.stderr).toMatch(
        /^empathy: [^\n]+\n\nUsage: empathy review \(--diff FILE\|- \| --git RANGE\) \[options\]\n\(empathy review --help tells more\)\n$/,
      );
      expect(r.stdout).toBe("");
    }
    expect((await run(["review", "--diff", SAMPLE, "--fail-om", "high"])).stderr).toMatch(
      /^empathy: unknown option --fail-om \(did you mean --fail-on\?\)/,
    );
    for (const args of [[], ["lint"]]) {
      const r = await run(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^empathy: .*\n\nUsage: empathy <command> \[options\]\n\nCommands:\n  review /s);
    }
    const missing = await run(["review", "--diff", "/no/such/file.diff"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe("empathy: --diff /no/such/file.diff: no such file\n");
    expect((await run(["--help"])).stdout).toMatch(/^Usage: empathy <command>/);
    expect((await run(["review", "--help"])).stdout).toMatch(/^Usage: empathy review/);
    expect((await run(["help", "jobs"])).stdout).toMatch(/^Usage: empathy jobs list/);
  });

  it("names the commands there are for an unknown command or an extra argument", async () => {
    const commands =
      "the commands are review, config check, jobs list|show|replay, deliveries list|show|replay, data delete and store copy (empathy --help)";
    expect((await run(["lint"])).stderr).toMatch(new RegExp(`^empathy: unknown command "lint"; ${escape(commands)}\n`));
    expect((await run(["reveiw", "--diff", SAMPLE])).stderr).toMatch(
      /^empathy: unknown command "reveiw" \(did you mean review\?\); the commands are/,
    );
    const extra = await run(["review", "--diff", SAMPLE, "now"]);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(new RegExp(`^empathy: unexpected argument "now": review takes options only; ${escape(commands)}\n`));
    // An argument that is a file: what was probably meant.
    expect((await run(["review", SAMPLE])).stderr).toMatch(
      new RegExp(
        `^empathy: unexpected argument "${escape(SAMPLE)}": review takes options only \\(to review that file: --diff ${escape(SAMPLE)}\\);`,
      ),
    );
    expect((await run(["--diff", SAMPLE])).stderr).toMatch(
      /^empathy: --diff comes after a command \(empathy review --diff …\); the commands are/,
    );
  });

  it("refuses input that is not a unified diff with exit code 2 and says why, whatever --fail-on says", async () => {
    const dir = mkdtempSync(join(tmpdir(), "empathy-not-a-diff-"));
    const png = Buffer.from([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x01, 0x00,
    ]);
    writeFileSync(join(dir, "logo.png"), png);
    writeFileSync(join(dir, "views.py"), "import os\n\ndef run(request):\n    os.system('ls ' + request.args['dir'])\n");
    writeFileSync(join(dir, "empty.diff"), "");
    writeFileSync(join(dir, "blank.diff"), "\n  \n");
    try {
      const cases: [string[], string, RegExp][] = [
        [["--diff", "logo.png"], "", /^empathy: logo\.png is not a unified diff: it holds binary data \(give the output of git diff/],
        [
          ["--diff", "views.py"],
          "",
          /^empathy: views\.py is not a unified diff: it has no file headers \(diff --git, ---\/\+\+\+\) with hunks \(@@\)/,
        ],
        [["--diff", "empty.diff"], "", /^empathy: empty\.diff is empty: there is no diff to review/],
        [["--diff", "blank.diff"], "", /^empathy: blank\.diff is empty/],
        [["--diff", "-"], "", /^empathy: standard input is empty/],
        [["--diff", "-"], "\u0000\u0001 not a diff at all\n@@ broken @@\n+++", /^empathy: standard input is not a unified diff/],
        [["--diff", "-"], "def f():\n    return 1\n", /^empathy: standard input is not a unified diff/],
      ];
      for (const [args, stdin, message] of cases) {
        const r = await run(["review", ...args, "--fail-on", "info", "--format", "json"], stdin, dir);
        expect([args, r.code]).toEqual([args, 2]);
        expect(r.stderr).toMatch(message);
        expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(1);
        expect(r.stdout).toBe("");
      }
      // As a process, reading the PNG's bytes itself.
      const p = spawnSync(process.execPath, [join(process.cwd(), "bin/empathy.js"), "review", "--diff", "logo.png", "--fail-on", "info"], {
        cwd: dir,
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(p.status).toBe(2);
      expect(p.stderr).toMatch(/^empathy: logo\.png is not a unified diff: it holds binary data/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("survives a diff with garbage in it: what parses is reviewed, the rest dropped", async () => {
    const diff =
      "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n@@ -1 +1,2 @@\n import os\n+os.system('ls ' + input())\n@@ broken @@\n+++\ngarbage \u0001\n";
    const r = await run(["review", "--diff", "-", "--format", "json"], diff);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).findings.map((f: any) => f.path)).toEqual(["app.py"]);
  });

  it("as a process, survives a file that crashes its parser and one over the limits: a report and exit 0, never a signal", () => {
    const dir = mkdtempSync(join(tmpdir(), "empathy-cli-hostile-"));
    const added = (path: string, text: string) => {
      const lines = text.replace(/\n$/, "").split("\n");
      return `diff --git a/${path} b/${path}\nnew file mode 100644\n--- /dev/null\n+++ b/${path}\n@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}`).join("\n")}\n`;
    };
    const diff = join(dir, "hostile.diff");
    writeFileSync(
      diff,
      added("deep.py", deeplyNestedPython(515)) +
        added("parens.js", nestedParentheses(300)) +
        added("bundle.js", minifiedLine(20_000)) +
        readFileSync(SAMPLE, "utf8"),
    );
    const cli = (env: Record<string, string>) =>
      spawnSync(process.execPath, ["bin/empathy.js", "review", "--diff", diff, "--format", "json"], {
        env: { PATH: process.env.PATH ?? "", ...env },
        encoding: "utf8",
        timeout: 60_000,
      });
    try {
      // Deep nesting let through to the parser: its worker aborts, the CLI reports and goes on.
      const crashed = cli({ EMPATHY_MAX_NESTING_DEPTH: "100000", EMPATHY_ANALYSIS_WORKERS: "1" });
      expect(crashed.signal).toBeNull();
      expect(crashed.status).toBe(0);
      const out = JSON.parse(crashed.stdout);
      expect(out.skipped).toEqual(
        expect.arrayContaining([{ path: "deep.py", reason: expect.stringMatching(/^not analysed: the analysis process stopped on it/) }]),
      );
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
