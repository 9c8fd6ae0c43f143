/**
 * GitHubIntegration over an installation Octokit (Probot's), answered by nock; every request is
 * checked against GitHub's REST API description (@octokit/openapi) like the app's own tests.
 */
import nock from "nock";
import { ProbotOctokit } from "probot";
import { EventBus } from "../../src/events/bus.js";
import { createGitHub, githubIssue, octokitForRepository, type GitHubIntegration } from "../../src/integrations/github.js";
import type { Octokit } from "../../src/github/api/types.js";
import { matchGitHubOperation, validateGitHubRequest } from "../helpers/githubApi.js";
import { cleanNock, disableNet, emitPrediction, predictionEnvelope, waitFor } from "./helpers.js";

const API = "https://api.github.com";

function octokit(): Octokit {
  return new ProbotOctokit({
    auth: { token: "ghs_installationtoken" },
    retry: { enabled: false },
    throttle: { enabled: false },
  }) as Octokit;
}

interface Seen {
  method: string;
  path: string;
  body: unknown;
  headers: Record<string, unknown>;
  operation?: string;
}

/** Records each request to api.github.com, refusing any the REST description does not allow. */
function github(seen: Seen[]) {
  const scope = nock(API);
  const record = (method: string) =>
    function (this: { req: { headers: Record<string, unknown> } }, path: string, body: unknown) {
      const problems = validateGitHubRequest({ method, path, body: body === "" ? undefined : body });
      if (problems.length > 0) throw new Error(`${method} ${path}: ${problems.join("; ")}`);
      seen.push({
        method,
        path,
        body,
        headers: this.req.headers,
        operation: matchGitHubOperation(method, path.split("?")[0])?.operationId,
      });
    };
  return { scope, record };
}

describe("GitHubIntegration", () => {
  beforeEach(disableNet);
  afterEach(cleanNock);

  it("createIssue, commentOnPr and addLabels send GitHub's documented requests", async () => {
    const seen: Seen[] = [];
    const { scope, record } = github(seen);
    const post = record("POST");
    scope
      .post("/repos/octo-org/shop/issues")
      .reply(201, function (path, body) {
        post.call(this, path, body);
        return { number: 7, html_url: "https://github.com/octo-org/shop/issues/7" };
      })
      .post("/repos/octo-org/shop/issues/42/comments")
      .reply(201, function (path, body) {
        post.call(this, path, body);
        return { id: 99, html_url: "https://github.com/octo-org/shop/pull/42#issuecomment-99" };
      })
      .post("/repos/octo-org/shop/issues/42/labels")
      .reply(200, function (path, body) {
        post.call(this, path, body);
        return [{ name: "empathy: prediction" }, { name: "bug" }];
      });
    const gh = createGitHub({ octokit: octokit() });
    const ref = { owner: "octo-org", repo: "shop" };
    await expect(gh.createIssue({ ...ref, title: "Prediction: x", body: "Because.", labels: ["empathy-bot"] })).resolves.toEqual({
      number: 7,
      url: "https://github.com/octo-org/shop/issues/7",
    });
    await expect(gh.commentOnPr({ ...ref, pullNumber: 42, body: "Heads up" })).resolves.toEqual({
      id: 99,
      url: "https://github.com/octo-org/shop/pull/42#issuecomment-99",
    });
    await expect(gh.addLabels({ ...ref, issueNumber: 42, labels: ["empathy: prediction"] })).resolves.toEqual([
      "empathy: prediction",
      "bug",
    ]);
    expect(seen.map((s) => [s.operation, s.body])).toEqual([
      ["issues/create", { title: "Prediction: x", body: "Because.", labels: ["empathy-bot"] }],
      ["issues/create-comment", { body: "Heads up" }],
      ["issues/add-labels", { labels: ["empathy: prediction"] }],
    ]);
    expect(seen[0].headers.authorization).toBe("token ghs_installationtoken");
    scope.done();
  });

  it("getPrFiles follows every page; getPrDiff asks for the diff media type", async () => {
    const seen: Seen[] = [];
    const { scope, record } = github(seen);
    const get = record("GET");
    const page = (n: number, count: number) =>
      Array.from({ length: count }, (_, i) => ({
        sha: "a".repeat(40),
        filename: `src/f${n}-${i}.ts`,
        status: "modified",
        additions: 1,
        deletions: 0,
        changes: 1,
        patch: "@@ -1 +1 @@\n-a\n+b",
      }));
    scope
      .get("/repos/octo-org/shop/pulls/42/files")
      .query({ per_page: "100" })
      .reply(
        200,
        function (path, body) {
          get.call(this, path, body);
          return page(1, 100);
        },
        {
          link: `<${API}/repositories/1/pulls/42/files?per_page=100&page=2>; rel="next", <${API}/repositories/1/pulls/42/files?per_page=100&page=2>; rel="last"`,
        },
      )
      .get("/repositories/1/pulls/42/files")
      .query({ per_page: "100", page: "2" })
      .reply(200, () => page(2, 30))
      .get("/repos/octo-org/shop/pulls/42")
      .reply(200, function (path, body) {
        get.call(this, path, body);
        return "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n";
      });
    const gh = createGitHub({ octokit: octokit() });
    const files = await gh.getPrFiles({ owner: "octo-org", repo: "shop", pullNumber: 42 });
    expect(files).toHaveLength(130);
    expect(files[129].filename).toBe("src/f2-29.ts");
    const diff = await gh.getPrDiff({ owner: "octo-org", repo: "shop", pullNumber: 42 });
    expect(diff).toMatch(/^diff --git a\/x b\/x/);
    expect(seen.map((s) => s.operation)).toEqual(["pulls/list-files", "pulls/get"]);
    expect(seen[1].headers.accept).toBe("application/vnd.github.v3.diff");
    scope.done();
  });

  it("on(event, handler) subscribes to the bus, before or after attach, and can be undone", async () => {
    const bus = new EventBus();
    const gh = createGitHub({ octokit: octokit() });
    const early: string[] = [];
    const late: string[] = [];
    gh.on("level_4_prediction", (event, github) => {
      expect(github).toBe(gh);
      early.push(event.data.fingerprint);
    });
    gh.attach(bus);
    gh.attach(bus); // idempotent
    const off = gh.on("*", (event) => void late.push(event.event_type));
    emitPrediction(bus);
    await bus.settled();
    off();
    bus.emit({ type: "test", data: {} });
    await bus.settled();
    expect(early).toEqual(["9c1b3f2a7d4e5f60"]);
    expect(late).toEqual(["level_4_prediction"]);
    expect(bus.handlers).toEqual({ level_4_prediction: 1 });
  });

  it("from the config, opens an issue in the tracking repository for each matching event, once per prediction", async () => {
    const seen: Seen[] = [];
    const { scope, record } = github(seen);
    const post = record("POST");
    scope.post("/repos/acme/incidents/issues").reply(201, function (path, body) {
      post.call(this, path, body);
      return { number: 1, html_url: "https://github.com/acme/incidents/issues/1" };
    });
    const bus = new EventBus();
    const gh: GitHubIntegration = createGitHub({
      octokit: async () => octokit(),
      repository: "acme/incidents",
      minConfidence: 0.9,
      labels: ["from-bot"],
    });
    gh.attach(bus);
    emitPrediction(bus);
    emitPrediction(bus); // the same prediction on the next push
    emitPrediction(bus, { confidence: 0.5, fingerprint: "other" });
    await bus.settled();
    await waitFor(() => seen.length === 1);
    const expected = githubIssue(predictionEnvelope(), ["from-bot"]);
    expect(seen[0].body).toEqual({ title: expected.title, body: expected.body, labels: ["from-bot"] });
    expect(expected.body).toContain("<!-- empathy-integration:9c1b3f2a7d4e5f60 -->");
    expect(expected.body).toContain("**Pull request:** https://github.com/octo-org/shop/pull/42");
    scope.done();
  });

  it("finds the installation of a repository once, then authenticates as it", async () => {
    const calls: (number | undefined)[] = [];
    const app = {
      rest: {
        apps: {
          getRepoInstallation: async ({ owner, repo }: { owner: string; repo: string }) => ({
            data: { id: owner === "acme" && repo === "incidents" ? 555 : 0 },
          }),
        },
      },
    };
    const installation = octokit();
    const auth = async (id?: number) => {
      calls.push(id);
      return (id === undefined ? app : installation) as unknown as Octokit;
    };
    const forRepo = octokitForRepository(auth);
    expect(await forRepo({ owner: "acme", repo: "incidents" })).toBe(installation);
    expect(await forRepo({ owner: "Acme", repo: "Incidents" })).toBe(installation);
    expect(calls).toEqual([undefined, 555, 555]);
  });
  it("opens issues whose text from the pull request notifies no one, cross-references nothing and links nowhere (issue 11)", () => {
    const evil = "@octo-org/security-team @alice fixes #12 <!channel> [x](https://evil.example) **bold**";
    const { body } = githubIssue(predictionEnvelope({ prediction: evil, recommendation: evil, tags: [evil] }));
    expect(body).not.toMatch(/@[A-Za-z0-9]/); // every @ is followed by a zero-width space
    expect(body.replace("**Repository:** octo-org/shop#42", "")).not.toMatch(/#\d/);
    expect(body).toContain(
      "@\u200bocto-org/security-team @\u200balice fixes #\u200b12 \\<!channel\\> \\[x\\](https://evil.example) \\*\\*bold\\*\\*",
    );
    // Our own references stay live: the repository and the pull request.
    expect(body).toContain("**Repository:** octo-org/shop#42");
    expect(body).toContain("**Pull request:** https://github.com/octo-org/shop/pull/42");
  });

  it("files only medium and up from the config unless min_severity says otherwise", async () => {
    const seen: Seen[] = [];
    const { scope, record } = github(seen);
    const post = record("POST");
    scope
      .post("/repos/acme/incidents/issues")
      .times(3)
      .reply(201, function (path, body) {
        post.call(this, path, body);
        return { number: 1, html_url: "https://github.com/acme/incidents/issues/1" };
      });
    const bus = new EventBus();
    createGitHub({ octokit: async () => octokit(), repository: "acme/incidents" }).attach(bus);
    for (const severity of ["info", "low", "medium", "high", "critical"] as const) emitPrediction(bus, { severity, fingerprint: severity });
    await bus.settled();
    await waitFor(() => seen.length === 3);
    expect(seen.map((s) => (s.body as { body: string }).body.match(/\*\*Severity:\*\* (\w+)/)![1]).sort()).toEqual([
      "critical",
      "high",
      "medium",
    ]);
  });
});
