/** GitHub's rate limit as the app's calls see it (GitHubCalls keeps the headers), exposed per installation and resource. */
import { Octokit as RestOctokit } from "@octokit/rest";
import nock from "nock";
import { ProbotOctokit } from "probot";
import { GitHubCalls, MAX_RATE_LIMIT_SAMPLES } from "../../src/github/api/githubCalls.js";
import type { Octokit } from "../../src/github/api/types.js";
import { AppMetrics } from "../../src/metrics/metrics.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { samplesOf, valueOf } from "./exposition.js";

// Probot's own Octokit, retries and throttling on, as the app gets it from app.auth().
const octokit = () => new ProbotOctokit({ auth: { token: "t" }, retry: { retryAfterBaseValue: 1 } }) as unknown as Octokit;

const limitHeaders = (remaining: number, resetAt: number, resource = "core", limit = 5000) => ({
  "x-ratelimit-limit": String(limit),
  "x-ratelimit-remaining": String(remaining),
  "x-ratelimit-reset": String(Math.floor(resetAt / 1000)),
  "x-ratelimit-resource": resource,
});

describe("AppMetrics: GitHub rate limit", () => {
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it("reports the remaining requests of the last answer per installation and resource, failed calls included", async () => {
    let now = Date.now();
    const calls = new GitHubCalls(() => now);
    const metrics = new AppMetrics({
      store: new SqliteStore(":memory:"),
      processMetrics: false,
      githubRateLimits: () => calls.rateLimits(),
    });
    const reset = now + 3_600_000;
    const api = nock("https://api.github.com");
    api.get("/repos/o/r").reply(200, {}, limitHeaders(4999, reset));
    api.get("/repos/o/r").reply(200, {}, limitHeaders(4998, reset));
    api
      .get("/search/issues")
      .query(true)
      .reply(200, { items: [] }, limitHeaders(29, reset, "search", 30));
    api.get("/repos/o/missing").reply(404, { message: "Not Found" }, limitHeaders(4100, reset));
    api.get("/app").reply(200, {}, limitHeaders(4900, reset));

    const first = calls.bound(octokit(), { installationId: 42 });
    await first.rest.repos.get({ owner: "o", repo: "r" });
    await first.rest.repos.get({ owner: "o", repo: "r" });
    await first.rest.search.issuesAndPullRequests({ q: "is:pr" });
    const second = calls.bound(octokit(), { installationId: 7 });
    await expect(second.rest.repos.get({ owner: "o", repo: "missing" })).rejects.toMatchObject({ status: 404 });
    await calls.bound(octokit()).rest.apps.getAuthenticated();

    let t = (await metrics.exposition()).body;
    const remaining = (installation: string, resource = "core") =>
      valueOf(t, "empathy_github_rate_limit_remaining", { installation, resource });
    expect(remaining("42")).toBe(4998);
    expect(remaining("42", "search")).toBe(29);
    expect(valueOf(t, "empathy_github_rate_limit_limit", { installation: "42", resource: "search" })).toBe(30);
    expect(remaining("7")).toBe(4100);
    expect(remaining("app")).toBe(4900);
    expect(samplesOf(t, "empathy_github_rate_limit_remaining")).toHaveLength(4);

    // Once the window has reset, GitHub has restored the whole quota.
    now = reset + 1000;
    t = (await metrics.exposition()).body;
    expect(remaining("42")).toBe(5000);
  });

  it(`keeps at most ${MAX_RATE_LIMIT_SAMPLES} installation and resource pairs, dropping the least recently seen`, async () => {
    const calls = new GitHubCalls();
    const reset = Date.now() + 3_600_000;
    const installations = MAX_RATE_LIMIT_SAMPLES + 20;
    nock("https://api.github.com")
      .get("/repos/o/r")
      .times(installations + 1)
      .reply(200, {}, limitHeaders(10, reset, "a_resource_github_never_had"));
    // A plain Octokit: hundreds of Probot ones (throttling, retries) take seconds to build.
    const plain = () => new RestOctokit({ auth: "t" }) as unknown as Octokit;
    for (let i = 0; i < installations; i++) await calls.bound(plain(), { installationId: i }).rest.repos.get({ owner: "o", repo: "r" });
    // Installation 0 is seen again: it is now the most recent, 1..20 are the ones dropped.
    await calls.bound(plain(), { installationId: 0 }).rest.repos.get({ owner: "o", repo: "r" });
    const samples = calls.rateLimits();
    expect(samples).toHaveLength(MAX_RATE_LIMIT_SAMPLES);
    expect(new Set(samples.map((s) => s.resource))).toEqual(new Set(["other"]));
    const kept = new Set(samples.map((s) => s.installation));
    expect(kept.has("0")).toBe(true);
    expect(kept.has("20")).toBe(false);
    expect(kept.has("21")).toBe(true);
  });

  it("sees nothing in an answer without the headers", async () => {
    const calls = new GitHubCalls();
    nock("https://api.github.com").get("/repos/o/r").reply(200, {});
    await calls.bound(octokit(), { installationId: 1 }).rest.repos.get({ owner: "o", repo: "r" });
    expect(calls.rateLimits()).toEqual([]);
  });
});
