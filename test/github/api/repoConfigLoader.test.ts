/**
 * `.github/empathy.yml` read bounded: Probot's file order and `_extends` rules, the deep merge,
 * and every file-level problem (an alias bomb, a file too large, invalid YAML, an `_extends`
 * loop) reported as a config problem while the review goes on with the defaults.
 */
import nock from "nock";
import { Octokit as RestOctokit } from "@octokit/rest";
import { DEFAULT_CONFIG } from "../../../src/config/repoConfig.js";
import { loadRepoConfig } from "../../../src/github/api/repoConfigLoader.js";
import type { Log, Octokit } from "../../../src/github/api/types.js";
import { FakeGitHub } from "../../helpers/fakeGitHub.js";
import { aliasBomb, wideAliases } from "../../helpers/yamlBombs.js";
import { createHarness, type Harness } from "../harness.js";
import { riskyFiles } from "../fixtures.js";

const API = "https://api.github.com";
const home = { owner: "octo-org", repo: "shop" };

type Served = string | number | { body: string; contentType: string };

/** Files by `owner/repo:path`: text, an HTTP status, or a body with its content type. */
function serve(files: Record<string, Served>): { requests: string[] } {
  const requests: string[] = [];
  nock(API)
    .persist()
    .get(/^\/repos\/[^/]+\/[^/]+\/contents\//)
    .reply(function (uri) {
      const m = /^\/repos\/([^/]+)\/([^/]+)\/contents\/([^?]+)/.exec(uri)!;
      const key = `${m[1]}/${m[2]}:${decodeURIComponent(m[3])}`;
      requests.push(key);
      expect(this.req.headers.accept).toMatch(/application\/vnd\.github\.v3\.raw/);
      const file = files[key];
      if (file === undefined) return [404, { message: "Not Found" }];
      if (typeof file === "number") return [file, { message: `status ${file}` }];
      if (typeof file === "object") return [200, file.body, { "content-type": file.contentType }];
      return [200, file, { "content-type": "text/plain; charset=utf-8" }];
    });
  return { requests };
}

function quietLog(): Log & { warnings: unknown[] } {
  const warnings: unknown[] = [];
  return { warnings, debug() {}, info() {}, warn: (obj, msg) => void warnings.push([obj, msg]), error() {} };
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const octokit = () => new RestOctokit({ baseUrl: API, log: silent }) as unknown as Octokit;

describe("loadRepoConfig", () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  it("reads the repository's file", async () => {
    const { requests } = serve({ "octo-org/shop:.github/empathy.yml": "target_level: 3\nignore: [docs/**]\n" });
    const { config, problems } = await loadRepoConfig(octokit(), home, quietLog());
    expect(problems).toEqual([]);
    expect(config).toEqual({ ...DEFAULT_CONFIG, target_level: 3, ignore: ["docs/**"] });
    expect(requests).toEqual(["octo-org/shop:.github/empathy.yml"]);
  });

  it("without a file, reads the owner's .github repository; with neither, the defaults and no problem", async () => {
    let served = serve({ "octo-org/.github:.github/empathy.yml": "target_level: 2\n" });
    expect((await loadRepoConfig(octokit(), home, quietLog())).config.target_level).toBe(2);
    expect(served.requests).toEqual(["octo-org/shop:.github/empathy.yml", "octo-org/.github:.github/empathy.yml"]);
    nock.cleanAll();
    served = serve({});
    expect(await loadRepoConfig(octokit(), home, quietLog())).toEqual({ config: DEFAULT_CONFIG, problems: [] });
  });

  it("follows _extends like Probot: the base first, the repository's values win, lists are joined", async () => {
    serve({
      "octo-org/shop:.github/empathy.yml": "_extends: platform\nreview: { max_inline_comments: 3 }\nignore: [docs/**]\n",
      "octo-org/platform:.github/empathy.yml":
        "_extends: acme/defaults:config/empathy.yaml\nreview: { max_inline_comments: 9, drafts: true }\nignore: ['**/*.snap']\n",
      "acme/defaults:config/empathy.yaml": "target_level: 4\n",
    });
    const { config, problems } = await loadRepoConfig(octokit(), home, quietLog());
    expect(problems).toEqual([]);
    expect(config.review).toMatchObject({ max_inline_comments: 3, drafts: true });
    expect(config.target_level).toBe(4);
    expect(config.ignore).toEqual(["**/*.snap", "docs/**"]);
  });

  it.each([
    [
      "the billion-laughs bomb",
      aliasBomb(),
      /^could not be read: the YAML expands to more than 10,000 values once its aliases are expanded \(an alias bomb\?\)$/,
    ],
    ["a quadratic alias fan-out", wideAliases(1_000, 20), /^could not be read: the YAML expands to more than 10,000 values/],
    ["a file over 64 KB", `target_level: 3\n# ${"x".repeat(70_000)}\n`, /^could not be read: the YAML is 69 KB, over the 64 KB limit$/],
    ["invalid YAML", "review: [unclosed\n  drafts: true", /^could not be read: invalid YAML: .* at line \d+, column \d+$/],
  ])("reports %s in the repository's file as a config problem and uses the defaults", async (_label, text, message) => {
    serve({ "octo-org/shop:.github/empathy.yml": text, "octo-org/.github:.github/empathy.yml": "target_level: 1\n" });
    const log = quietLog();
    const started = Date.now();
    const { config, problems } = await loadRepoConfig(octokit(), home, log);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(problems).toEqual([{ file: ".github/empathy.yml", key: "(file)", message: expect.stringMatching(message) }]);
    expect(JSON.stringify(log.warnings)).not.toContain("lol");
  });

  it("bounds a body that arrives as bytes as well", async () => {
    const binary = "application/octet-stream";
    serve({ "octo-org/shop:.github/empathy.yml": { body: "target_level: 2\n", contentType: binary } });
    expect((await loadRepoConfig(octokit(), home, quietLog())).config.target_level).toBe(2);
    nock.cleanAll();
    serve({ "octo-org/shop:.github/empathy.yml": { body: `# ${"x".repeat(70_000)}\n`, contentType: binary } });
    expect((await loadRepoConfig(octokit(), home, quietLog())).problems).toEqual([
      { file: ".github/empathy.yml", key: "(file)", message: "could not be read: the YAML is 69 KB, over the 64 KB limit" },
    ]);
    nock.cleanAll();
    serve({ "octo-org/shop:.github/empathy.yml": { body: "[]", contentType: "application/json; charset=utf-8" } });
    expect((await loadRepoConfig(octokit(), home, quietLog())).problems).toEqual([
      { file: ".github/empathy.yml", key: "(file)", message: "could not be read: it is a directory or a submodule, not a file" },
    ]);
  });

  it("reports a bomb in an extended file under that file's name", async () => {
    serve({
      "octo-org/shop:.github/empathy.yml": "_extends: .github\ntarget_level: 3\n",
      "octo-org/.github:.github/empathy.yml": aliasBomb(),
    });
    const { config, problems } = await loadRepoConfig(octokit(), home, quietLog());
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(problems).toEqual([
      { file: "octo-org/.github:.github/empathy.yml", key: "(file)", message: expect.stringMatching(/alias bomb/) },
    ]);
  });

  it("stops an _extends loop, a chain of more than five files and an _extends that is not a repository", async () => {
    serve({ "octo-org/shop:.github/empathy.yml": "_extends: a\n", "octo-org/a:.github/empathy.yml": "_extends: shop\n" });
    expect((await loadRepoConfig(octokit(), home, quietLog())).problems).toEqual([
      {
        file: "octo-org/a:.github/empathy.yml",
        key: "_extends",
        message: 'could not be read: _extends "shop" leads back to a file already read',
      },
    ]);
    nock.cleanAll();
    const chain: Record<string, string> = { "octo-org/shop:.github/empathy.yml": "_extends: r1\n" };
    for (let i = 1; i <= 10; i++) chain[`octo-org/r${i}:.github/empathy.yml`] = `_extends: r${i + 1}\n`;
    const served = serve(chain);
    expect((await loadRepoConfig(octokit(), home, quietLog())).problems).toEqual([
      { file: "octo-org/r4:.github/empathy.yml", key: "_extends", message: "could not be read: more than 5 files through _extends" },
    ]);
    expect(served.requests).toHaveLength(5);
    nock.cleanAll();
    serve({ "octo-org/shop:.github/empathy.yml": "_extends: [not, a, repo]\n" });
    expect((await loadRepoConfig(octokit(), home, quietLog())).problems).toEqual([
      {
        file: ".github/empathy.yml",
        key: "_extends",
        message: expect.stringMatching(/^could not be read: _extends \["not","a","repo"\] is not/),
      },
    ]);
  });

  it("reports a file that is not a mapping; an empty file is an empty config", async () => {
    serve({ "octo-org/shop:.github/empathy.yml": "- a\n- b\n" });
    expect((await loadRepoConfig(octokit(), home, quietLog())).problems).toEqual([
      { file: ".github/empathy.yml", key: "(root)", message: "the file must be a YAML mapping of keys to values" },
    ]);
    nock.cleanAll();
    const served = serve({ "octo-org/shop:.github/empathy.yml": "", "octo-org/.github:.github/empathy.yml": "target_level: 1\n" });
    expect(await loadRepoConfig(octokit(), home, quietLog())).toEqual({ config: DEFAULT_CONFIG, problems: [] });
    expect(served.requests).toHaveLength(1); // like Probot: an empty file is a file
  });

  it("throws when GitHub is unavailable (the queue retries), reports other failures", async () => {
    serve({ "octo-org/shop:.github/empathy.yml": 502 });
    await expect(loadRepoConfig(octokit(), home, quietLog())).rejects.toMatchObject({ status: 502 });
    nock.cleanAll();
    serve({ "octo-org/shop:.github/empathy.yml": 403 });
    expect((await loadRepoConfig(octokit(), home, quietLog())).problems).toEqual([
      { file: ".github/empathy.yml", key: "(file)", message: expect.stringMatching(/^could not be read: /) },
    ]);
  });
});

describe("a review with a hostile .github/empathy.yml", () => {
  let h: Harness;
  afterEach(() => {
    nock.cleanAll();
    expect(h.fake.problems).toEqual([]);
  });

  it("is posted with the defaults, the bomb listed under configuration problems", async () => {
    const fake = new FakeGitHub();
    fake.setFiles(riskyFiles);
    fake.configYaml = aliasBomb();
    h = await createHarness({ fake });
    const started = Date.now();
    await h.deliver("opened");
    await h.drain();
    expect(Date.now() - started).toBeLessThan(30_000); // the whole review; the bomb itself costs nothing
    expect(fake.reviews).toHaveLength(1);
    const summary = fake.comments[0].body as string;
    expect(summary).toContain("### Configuration problems");
    expect(summary).toMatch(
      /`\.github\/empathy\.yml` `\(file\)`: could not be read: the YAML expands to more than 10,000 values once its aliases are expanded \(an alias bomb\?\)/,
    );
    expect(summary).not.toContain("lol");
  });
});
