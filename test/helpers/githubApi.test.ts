import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { loadGitHubSpec, matchGitHubOperation, validateGitHubRequest } from "./githubApi.js";

describe("loadGitHubSpec", () => {
  it("loads GitHub's REST API description", () => {
    const info = loadGitHubSpec();
    expect(info.file).toMatch(/@octokit\/openapi\/generated\/api\.github\.com\.json$/);
    expect(info.pathCount).toBeGreaterThan(500);
  });
});

describe("matchGitHubOperation", () => {
  it("prefers literal segments over parameters", () => {
    expect(matchGitHubOperation("PATCH", "/repos/o/r/issues/comments/1")).toMatchObject({
      operationId: "issues/update-comment",
      template: "/repos/{owner}/{repo}/issues/comments/{comment_id}",
      params: { owner: "o", repo: "r", comment_id: "1" },
    });
    expect(matchGitHubOperation("GET", "/repos/o/r/issues/12")).toMatchObject({ operationId: "issues/get" });
  });

  it("handles multi-segment parameters, HEAD, full URLs and the GHES prefix", () => {
    expect(matchGitHubOperation("GET", "/repos/o/r/contents/src/deep/file.ts")).toMatchObject({
      operationId: "repos/get-content",
      params: { path: "src/deep/file.ts" },
    });
    expect(matchGitHubOperation("HEAD", "/repos/o/r")).toMatchObject({ operationId: "repos/get", method: "GET" });
    expect(matchGitHubOperation("GET", "https://ghe.example.com/api/v3/repos/o/r/pulls/3?per_page=1")).toMatchObject({
      operationId: "pulls/get",
    });
    expect(matchGitHubOperation("GET", "/nope")).toBeUndefined();
  });
});

describe("validateGitHubRequest", () => {
  const review = (side: string) => ({
    method: "POST",
    path: "/repos/octo/hello/pulls/7/reviews",
    body: {
      commit_id: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
      body: "Some thoughts",
      event: "COMMENT",
      comments: [{ path: "src/index.ts", line: 12, side, body: "Consider naming this." }],
    },
  });

  it("accepts a valid pull request review with line comments", () => {
    expect(validateGitHubRequest(review("RIGHT"))).toEqual([]);
    // also without the optional top-level fields
    expect(
      validateGitHubRequest({
        method: "POST",
        path: "/repos/o/r/pulls/1/reviews",
        body: { event: "COMMENT", comments: [{ path: "a.ts", line: 1, side: "RIGHT", body: "x" }] },
      }),
    ).toEqual([]);
  });

  it("rejects a review comment on side MIDDLE", () => {
    expect(validateGitHubRequest(review("MIDDLE"))).toEqual([
      'body.comments[0].side: must be equal to one of the allowed values (LEFT, RIGHT), got "MIDDLE"',
    ]);
    const { body, ...request } = review("RIGHT");
    const comments = [{ ...body.comments[0], start_line: 10, start_side: "right" }];
    expect(validateGitHubRequest({ ...request, body: { ...body, comments } })).toEqual([
      'body.comments[0].start_side: must be equal to one of the allowed values (LEFT, RIGHT), got "right"',
    ]);
  });

  it("rejects a review with an unknown event and a comment without path", () => {
    const problems = validateGitHubRequest({
      method: "POST",
      path: "/repos/o/r/pulls/1/reviews",
      body: { event: "COMMENTED", comments: [{ line: "12", body: "x" }] },
    });
    expect(problems).toEqual([
      'body.event: must be equal to one of the allowed values (APPROVE, REQUEST_CHANGES, COMMENT), got "COMMENTED"',
      "body.comments[0].path: required property is missing",
      'body.comments[0].line: must be integer, got "12"',
    ]);
  });

  it("rejects an issue without title", () => {
    const problems = validateGitHubRequest({ method: "POST", path: "/repos/o/r/issues", body: { body: "no title" } });
    expect(problems).toEqual(["body.title: required property is missing"]);
    expect(validateGitHubRequest({ method: "POST", path: "/repos/o/r/issues", body: { title: "t", labels: ["bug"] } })).toEqual([]);
  });

  it("checks oneOf alternatives", () => {
    expect(validateGitHubRequest({ method: "POST", path: "/repos/o/r/issues", body: { title: true } })).toEqual([
      "body.title: must be string, got true",
      "body.title: must be integer, got true",
      "body.title: must match exactly one schema in oneOf, got true",
    ]);
    expect(validateGitHubRequest({ method: "PATCH", path: "/repos/o/r/issues/1", body: { state: "done" } })).toEqual([
      'body.state: must be equal to one of the allowed values (open, closed), got "done"',
    ]);
  });

  it("understands OpenAPI 3.0 nullable as GitHub writes it", () => {
    const patchIssue = (body: object) => validateGitHubRequest({ method: "PATCH", path: "/repos/o/r/issues/1", body });
    // milestone: `nullable: true` beside oneOf string|integer, without `type`
    expect(patchIssue({ milestone: null })).toEqual([]);
    expect(patchIssue({ milestone: 3 })).toEqual([]);
    expect(patchIssue({ milestone: true })).toEqual([
      "body.milestone: must be string, got true",
      "body.milestone: must be integer, got true",
      "body.milestone: must match exactly one schema in oneOf, got true",
    ]);
    // state_reason: nullable string enum that leaves null out of the enum
    expect(patchIssue({ state: "open", state_reason: null })).toEqual([]);
    expect(patchIssue({ state_reason: "fixed" })).toEqual([
      'body.state_reason: must be equal to one of the allowed values (completed, not_planned, duplicate, reopened, null), got "fixed"',
    ]);
    // a nullable property elsewhere in the body is still nullable only where described
    expect(patchIssue({ body: null, labels: null })).toEqual(["body.labels: must be array, got null"]);
  });

  it("enforces additionalProperties: false", () => {
    const problems = validateGitHubRequest({
      method: "POST",
      path: "/repos/o/r/hooks",
      body: { config: { url: "https://example.com/hook" }, events: ["push"], colour: "red" },
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^body\.colour: unknown property \(allowed: .*config.*\)$/);
  });

  it("rejects unknown paths and undescribed methods", () => {
    expect(validateGitHubRequest({ method: "GET", path: "/repos/o/r/empathy" })).toEqual([
      "unknown endpoint: no path in GitHub's REST API description matches GET /repos/o/r/empathy",
    ]);
    expect(validateGitHubRequest({ method: "DELETE", path: "/repos/o/r/issues/1" })).toEqual([
      "method DELETE is not described for /repos/{owner}/{repo}/issues/{issue_number} (described: GET, PATCH)",
    ]);
  });

  it("accepts updating an issue comment", () => {
    expect(validateGitHubRequest({ method: "PATCH", path: "/repos/o/r/issues/comments/1", body: { body: "edited" } })).toEqual([]);
    expect(validateGitHubRequest({ method: "PATCH", path: "/repos/o/r/issues/comments/1", body: {} })).toEqual([
      "body.body: required property is missing",
    ]);
  });

  it("accepts adding labels", () => {
    expect(validateGitHubRequest({ method: "POST", path: "/repos/o/r/issues/1/labels", body: { labels: ["a"] } })).toEqual([]);
    expect(validateGitHubRequest({ method: "POST", path: "/repos/o/r/issues/1/labels", body: { labels: [] } })).toEqual([
      "body.labels: must NOT have fewer than 1 items",
      "body: must match exactly one schema in oneOf",
    ]);
  });

  it("checks query and path parameters", () => {
    expect(validateGitHubRequest({ method: "GET", path: "/search/issues?q=repo%3Ao%2Fr+is%3Apr&per_page=5" })).toEqual([]);
    expect(validateGitHubRequest({ method: "GET", path: "/search/issues", query: { q: "is:issue", page: 2 } })).toEqual([]);
    expect(validateGitHubRequest({ method: "GET", path: "/search/issues?per_page=5" })).toEqual(["query.q: required property is missing"]);
    expect(validateGitHubRequest({ method: "GET", path: "/search/issues?q=x&sort=stars&limit=3" })).toEqual([
      expect.stringMatching(/^query\.limit: unknown property \(allowed: q, sort, order, per_page, page/),
      'query.sort: must be equal to one of the allowed values (comments, reactions, reactions-+1, reactions--1, reactions-smile, reactions-thinking_face, reactions-heart, reactions-tada, interactions, created, updated), got "stars"',
    ]);
    expect(validateGitHubRequest({ method: "GET", path: "/search/issues?q=x&q=y" })).toEqual(["query.q: given 2 times, expected once"]);
    expect(validateGitHubRequest({ method: "GET", path: "/notifications?all=true&per_page=50" })).toEqual([]);
    expect(validateGitHubRequest({ method: "GET", path: "/notifications?all=maybe" })).toEqual(['query.all: must be boolean, got "maybe"']);
    expect(validateGitHubRequest({ method: "GET", path: "/repos/o/r/pulls/abc" })).toEqual([
      'path.pull_number: must be integer, got "abc"',
    ]);
  });

  it("accepts the GHES /api/v3 prefix", () => {
    expect(validateGitHubRequest(review("RIGHT"))).toEqual([]);
    expect(validateGitHubRequest({ ...review("RIGHT"), path: "/api/v3/repos/octo/hello/pulls/7/reviews" })).toEqual([]);
    expect(validateGitHubRequest({ ...review("MIDDLE"), path: "/api/v3/repos/octo/hello/pulls/7/reviews" })).toHaveLength(1);
    expect(validateGitHubRequest({ method: "POST", path: "/api/v3/repos/o/r/issues", body: {} })).toEqual([
      "body.title: required property is missing",
    ]);
  });

  it("parses raw JSON bodies and flags bodies on body-less operations", () => {
    expect(validateGitHubRequest({ method: "POST", path: "/repos/o/r/issues", body: '{"title":"t"}' })).toEqual([]);
    expect(validateGitHubRequest({ method: "POST", path: "/repos/o/r/issues", body: "title=t" })).toEqual([
      'body: expected JSON (application/json), got "title=t"',
    ]);
    expect(validateGitHubRequest({ method: "GET", path: "/repos/o/r", body: { name: "x" } })).toEqual([
      "body: repos/get takes no request body, but one was sent",
    ]);
    expect(validateGitHubRequest({ method: "PUT", path: "/user/starred/o/r", body: "" })).toEqual([]);
  });

  it("accepts GitHub's own request examples for the endpoints the bot uses", () => {
    const require = createRequire(import.meta.url);
    const file = require.resolve("@octokit/openapi/package.json").replace(/package\.json$/, "generated/api.github.com.json");
    const spec = JSON.parse(readFileSync(file, "utf8"));
    const deref = (o: { $ref?: string }) =>
      o?.$ref
        ? o.$ref
            .split("/")
            .slice(1)
            .reduce((a: Record<string, unknown>, k: string) => a[k] as Record<string, unknown>, spec)
        : o;
    const problems: string[] = [];
    let checked = 0;
    for (const [template, item] of Object.entries<Record<string, { operationId: string; requestBody?: { $ref?: string } }>>(spec.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!/^(issues|pulls|reactions|checks|search)\//.test(op.operationId)) continue;
        const json =
          op.requestBody && (deref(op.requestBody) as { content?: Record<string, { examples?: object }> }).content?.["application/json"];
        const path = template.replace(/\{[^}]+\}/g, (p) => (/number|_id\}/.test(p) ? "1" : "x"));
        for (const [name, example] of Object.entries(json?.examples ?? {})) {
          checked++;
          const value = (deref(example) as { value: unknown }).value;
          for (const p of validateGitHubRequest({ method, path, body: value })) problems.push(`${op.operationId} [${name}]: ${p}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(30);
    expect(problems).toEqual([]);
  });
});
