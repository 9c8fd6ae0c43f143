/**
 * `empathy config check`: a repository config checked locally says what the app would say, word
 * for word (the app's loader is run on the same texts), with each problem's line and a
 * did-you-mean for mistyped keys.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { Octokit as RestOctokit } from "@octokit/rest";
import { runCli, type CliIo } from "../../src/cli.js";
import { checkRepoConfigText } from "../../src/cli/repoConfigFile.js";
import { loadRepoConfig } from "../../src/github/api/repoConfigLoader.js";
import type { Octokit } from "../../src/github/api/types.js";
import { aliasBomb } from "../helpers/yamlBombs.js";

const API = "https://api.github.com";
const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function run(args: string[], cwd: string) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), readStdin: () => "", cwd, env: {} };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

/** What the app reports for this text as octo-org/shop's .github/empathy.yml. */
async function appProblems(text: string) {
  nock(API).get("/repos/octo-org/shop/contents/.github%2Fempathy.yml").reply(200, text, { "content-type": "text/plain; charset=utf-8" });
  const octokit = new RestOctokit({ baseUrl: API, log: silent }) as unknown as Octokit;
  return loadRepoConfig(octokit, { owner: "octo-org", repo: "shop" }, silent);
}

const TYPOS =
  "target_level: 3\nreview:\n  min_severty: high\n  drafts: true\n  colour: red\nignroe: [docs/**]\nissues:\n  min_confidence: 1.5\n";

describe("empathy config check", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "empathy-config-check-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe("says what the app says, for the same file", () => {
    beforeAll(() => nock.disableNetConnect());
    afterEach(() => nock.cleanAll());
    afterAll(() => nock.enableNetConnect());

    it.each([
      ["valid", "target_level: 2\nreview: { min_severity: low }\n"],
      ["empty", ""],
      ["mistyped keys and bad values", TYPOS],
      ["camelCase keys", "targetLevel: 2\nreview:\n  minSeverity: high\n"],
      ["a bad list", "ignore: [1, 2]\nissues: { labels: [] }\n"],
      ["not a mapping", "- docs/**\n"],
      ["invalid YAML", "review: [unclosed\n  drafts: true"],
      ["an alias bomb", aliasBomb()],
      ["a file over 64 KB", `target_level: 3\n# ${"x".repeat(70_000)}\n`],
    ])("%s", async (_label, text) => {
      const app = await appProblems(text);
      const local = checkRepoConfigText(text, ".github/empathy.yml");
      const byKey = (a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key);
      expect(local.problems.map(({ file, key, message }) => ({ file, key, message })).sort(byKey)).toEqual([...app.problems].sort(byKey));
      expect(local.config).toEqual(app.config);
    });

    it("the app's summary has the did-you-mean too", async () => {
      const { problems } = await appProblems(TYPOS);
      expect(problems).toContainEqual({
        file: ".github/empathy.yml",
        key: "review.min_severty",
        message: expect.stringMatching(/^unknown key \(did you mean min_severity\?\); known keys: /),
      });
      expect(problems).toContainEqual({
        file: ".github/empathy.yml",
        key: "ignroe",
        message: expect.stringMatching(/^unknown key \(did you mean ignore\?\)/),
      });
    });
  });

  it("lists each problem with its line, says what the app would do, and exits 1", async () => {
    mkdirSync(join(dir, ".github"));
    writeFileSync(join(dir, ".github/empathy.yml"), TYPOS);
    const r = await run(["config", "check"], dir);
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n").slice(0, 4)).toEqual([
      ".github/empathy.yml:3: review.min_severty: unknown key (did you mean min_severity?); known keys: enabled, drafts, max_inline_comments, min_severity, labels, ignore_authors",
      ".github/empathy.yml:5: review.colour: unknown key; known keys: enabled, drafts, max_inline_comments, min_severity, labels, ignore_authors",
      ".github/empathy.yml:6: ignroe: unknown key (did you mean ignore?); known keys: target_level, review, issues, ignore, analysis, paths, checks, llm",
      ".github/empathy.yml:8: issues.min_confidence: Too big: expected number to be <=1",
    ]);
    expect(r.stdout).toMatch(
      /4 problems: the app would review with the default value for each of these keys, and list them under "Configuration problems"/,
    );
    expect(r.stderr).toBe("");

    const json = JSON.parse((await run(["config", "check", ".github/empathy.yml", "--json"], dir)).stdout);
    expect(json).toMatchObject({ file: ".github/empathy.yml", valid: false, notes: [] });
    expect(json.problems).toHaveLength(4);
    expect(json.problems[0]).toEqual({
      file: ".github/empathy.yml",
      key: "review.min_severty",
      line: 3,
      message: expect.stringMatching(/did you mean min_severity/),
    });
    // The valid keys kept, the others at their defaults: what the app would use.
    expect(json.config).toMatchObject({
      target_level: 3,
      review: { drafts: true, min_severity: "medium" },
      issues: { min_confidence: 0.85 },
    });
  });

  it("passes a valid file, notes an _extends it cannot follow, and reports a file-level problem", async () => {
    writeFileSync(join(dir, "good.yml"), "_extends: .github\ntarget_level: 4\nignore: ['**/*.snap']\n");
    const good = await run(["config", "check", "good.yml"], dir);
    expect(good.code).toBe(0);
    expect(good.stdout).toBe(
      'good.yml: note: _extends: ".github" is followed by the app, which reads that file on GitHub (this file\'s own values win); here this file is checked alone\ngood.yml: no problems\n',
    );
    writeFileSync(join(dir, "broken.yml"), "review:\n  drafts: [\n");
    const broken = await run(["config", "check", "broken.yml"], dir);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^broken\.yml(:\d+)?: \(file\): could not be read: invalid YAML: /);
    expect(broken.stdout).toMatch(/the app would review with the defaults for every key/);
  });

  it("exits 2 with a clear message when there is no file, or the command is mistyped", async () => {
    const none = await run(["config", "check"], dir);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(`empathy: no .github/empathy.yml in ${dir} (give the file: empathy config check path/to/empathy.yml)\n`);
    expect((await run(["config", "check", "nope.yml"], dir)).stderr).toBe("empathy: nope.yml: no such file\n");
    expect((await run(["config", "check", "."], dir)).stderr).toBe("empathy: .: is a folder, not a file\n");
    const sub = await run(["config", "chek"], dir);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toMatch(
      /^empathy: unknown config subcommand "chek": the only one is check; the commands are review, config check, jobs/,
    );
    expect((await run(["config", "check", "a.yml", "b.yml"], dir)).stderr).toMatch(
      /^empathy: unexpected argument "b.yml": config check takes one file/,
    );
  });

  it("as a process: exit codes CI can use", () => {
    writeFileSync(join(dir, "bad.yml"), "review:\n  minSeverity: high\n");
    writeFileSync(join(dir, "good.yml"), "review:\n  min_severity: high\n");
    const cli = (file: string) =>
      spawnSync(process.execPath, [join(process.cwd(), "bin/empathy.js"), "config", "check", file], {
        cwd: dir,
        encoding: "utf8",
        timeout: 30_000,
      });
    const bad = cli("bad.yml");
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/^bad\.yml:2: review\.minSeverity: unknown key \(did you mean min_severity\?\)/);
    expect(cli("good.yml").status).toBe(0);
    expect(cli("missing.yml").status).toBe(2);
  });
});
