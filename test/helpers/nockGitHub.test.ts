import nock from "nock";
import { Octokit } from "@octokit/rest";
import { Probot, ProbotOctokit } from "probot";
import { githubApiRecorder } from "./nockGitHub.js";
import { testPrivateKey } from "./keys.js";
import { exampleEvent } from "./webhookExamples.js";

const octokit = (baseUrl = "https://api.github.com") =>
  new Octokit({ auth: "test-token", baseUrl, log: { debug() {}, info() {}, warn() {}, error() {} } });

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe("githubApiRecorder", () => {
  it("records valid requests made through Octokit", async () => {
    const api = githubApiRecorder();
    api
      .scope("https://api.github.com")
      .post("/repos/o/r/issues")
      .reply(201, { number: 5 })
      .get("/search/issues")
      .query(true)
      .reply(200, { total_count: 0, incomplete_results: false, items: [] })
      .get("/repos/o/r/contents/docs%2Fa%20b.md")
      .reply(200, {});

    await octokit().rest.issues.create({ owner: "o", repo: "r", title: "Prediction", labels: ["empathy"] });
    await octokit().rest.search.issuesAndPullRequests({ q: "repo:o/r is:issue", per_page: 10 });
    await octokit().rest.repos.getContent({ owner: "o", repo: "r", path: "docs/a b.md" });

    api.assertValid();
    expect(api.problems).toEqual([]);
    expect(api.requests.map((r) => `${r.method} ${r.operation?.operationId}`)).toEqual([
      "POST issues/create",
      "GET search/issues-and-pull-requests",
      "GET repos/get-content",
    ]);
    expect(api.find("POST", "/repos/{owner}/{repo}/issues")[0].body).toEqual({ title: "Prediction", labels: ["empathy"] });
    expect(api.find("GET", "/search/issues")[0].query).toEqual({ q: "repo:o/r is:issue", per_page: "10" });
    expect(api.requests[2].operation?.params.path).toBe("docs/a b.md");
  });

  it("fails assertValid with a readable list of invalid requests", async () => {
    const api = githubApiRecorder();
    api
      .scope("https://api.github.com")
      .post("/repos/o/r/pulls/3/reviews")
      .reply(200, { id: 1 })
      .post("/repos/o/r/issues")
      .reply(201, {});

    await octokit().rest.pulls.createReview({
      owner: "o",
      repo: "r",
      pull_number: 3,
      event: "COMMENT",
      comments: [{ path: "a.ts", line: 2, side: "MIDDLE", body: "hm" }],
    });
    // @ts-expect-error title is required — exactly the kind of mistake the recorder exists for
    await octokit().rest.issues.create({ owner: "o", repo: "r", body: "no title" });

    expect(() => api.assertValid()).toThrow(
      [
        "2 of 2 GitHub API request(s) do not match GitHub's REST API description:",
        "  POST /repos/o/r/pulls/3/reviews  [pulls/create-review: POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews]",
        '    - body.comments[0].side: must be one of "LEFT", "RIGHT", got "MIDDLE"',
        "  POST /repos/o/r/issues  [issues/create: POST /repos/{owner}/{repo}/issues]",
        "    - body.title: required property is missing",
      ].join("\n"),
    );
    expect(api.problems).toEqual([
      'POST /repos/o/r/pulls/3/reviews: body.comments[0].side: must be one of "LEFT", "RIGHT", got "MIDDLE"',
      "POST /repos/o/r/issues: body.title: required property is missing",
    ]);
    api.reset();
    expect(api.requests).toEqual([]);
    api.assertValid();
  });

  it("records requests no interceptor matched, on the recorder's hosts only", async () => {
    const api = githubApiRecorder();
    api.scope("https://api.github.com").get("/repos/o/r").reply(200, {});

    await expect(octokit().request("GET /repos/{owner}/{repo}/empathy", { owner: "o", repo: "r" })).rejects.toThrow();
    await expect(fetch("https://elsewhere.example/x")).rejects.toThrow();

    expect(api.requests).toHaveLength(1);
    expect(api.requests[0]).toMatchObject({ method: "GET", path: "/repos/o/r/empathy", matched: false });
    expect(() => api.assertValid()).toThrow(/no nock interceptor matched this request\n {4}- unknown endpoint/);
    api.dispose();

    const lenient = githubApiRecorder({ failOnUnmatched: false });
    lenient.scope("https://api.github.com").get("/repos/o/r").reply(200, {});
    await expect(octokit().rest.pulls.get({ owner: "o", repo: "r", pull_number: 1 })).rejects.toThrow();
    expect(lenient.requests[0]).toMatchObject({ matched: false, operation: { operationId: "pulls/get" } });
    lenient.assertValid();
    lenient.dispose();
  });

  it("validates GitHub Enterprise Server requests under /api/v3", async () => {
    const api = githubApiRecorder();
    api
      .scope("https://ghe.example.com/api/v3")
      .post("/repos/o/r/issues/4/labels")
      .reply(200, [])
      .patch("/repos/o/r/issues/comments/9")
      .reply(200, {});
    const ghe = octokit("https://ghe.example.com/api/v3");
    await ghe.rest.issues.addLabels({ owner: "o", repo: "r", issue_number: 4, labels: ["a"] });
    await ghe.rest.issues.updateComment({ owner: "o", repo: "r", comment_id: 9, body: "edited" });

    api.assertValid();
    expect(api.requests.map((r) => r.path)).toEqual(["/api/v3/repos/o/r/issues/4/labels", "/api/v3/repos/o/r/issues/comments/9"]);
    expect(api.find("PATCH", "/repos/o/r/issues/comments/9")).toHaveLength(1);
  });

  it("checks a Probot app end to end: installation token, webhook example, API call", async () => {
    const api = githubApiRecorder();
    const event = exampleEvent("pull_request.opened", { owner: "octo", repo: "hello", installationId: 4242 });
    const number = event.payload.number;
    api
      .scope("https://api.github.com")
      .post("/app/installations/4242/access_tokens")
      .reply(201, { token: "ghs_test", expires_at: "2999-01-01T00:00:00Z", permissions: { issues: "write" } })
      .post(`/repos/octo/hello/issues/${number}/comments`)
      .reply(201, { id: 1 });

    const probot = new Probot({
      appId: 1,
      privateKey: testPrivateKey(),
      logLevel: "fatal",
      Octokit: ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } }),
    });
    await probot.load((app) => {
      app.on("pull_request.opened", async (context) => {
        await context.octokit.rest.issues.createComment(context.issue({ body: "Thanks!" }));
      });
    });
    await probot.receive(event);

    api.assertValid();
    expect(api.requests.map((r) => r.operation?.operationId)).toEqual(["apps/create-installation-access-token", "issues/create-comment"]);
    expect(api.find("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments")[0].body).toEqual({ body: "Thanks!" });
  });
});
