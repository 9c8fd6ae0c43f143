/** GitHubCalls: one attempt per call, a time limit per call, and the degraded state `/health` reports. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import nock from "nock";
import { ProbotOctokit } from "probot";
import { DEGRADED_AFTER_FAILURES, GitHubCalls } from "../../../src/github/api/githubCalls.js";
import type { Octokit } from "../../../src/github/api/types.js";

// Probot's own Octokit, retries and throttling on, as the app gets it from app.auth().
const octokit = (baseUrl = "https://api.github.com") =>
  new ProbotOctokit({ auth: { token: "t" }, baseUrl, retry: { retryAfterBaseValue: 1 } }) as unknown as Octokit;

describe("GitHubCalls", () => {
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it("makes one attempt per call: a 502 is not retried inside the job (the job queue retries the job)", async () => {
    const calls = new GitHubCalls();
    let requests = 0;
    nock("https://api.github.com")
      .get("/repos/o/r")
      .times(10)
      .reply(() => [502, { message: `Bad Gateway ${++requests}` }]);
    await expect(calls.bound(octokit()).rest.repos.get({ owner: "o", repo: "r" })).rejects.toMatchObject({ status: 502 });
    expect(requests).toBe(1);
    // Without the binding, Probot's retry plugin tries again inside the call.
    await expect(octokit().rest.repos.get({ owner: "o", repo: "r" })).rejects.toMatchObject({ status: 502 });
    expect(requests).toBeGreaterThan(2);
  });

  it(`is degraded after ${DEGRADED_AFTER_FAILURES} failed calls in a row; a 404 is GitHub answering; a success clears it`, async () => {
    let now = Date.parse("2026-12-05T10:00:00Z");
    const calls = new GitHubCalls(() => now);
    const client = calls.bound(octokit());
    const api = nock("https://api.github.com");
    api.get("/repos/o/r").times(DEGRADED_AFTER_FAILURES).reply(503, { message: "unavailable" });
    for (let i = 0; i < DEGRADED_AFTER_FAILURES; i++) {
      expect(calls.health().status).toBe("ok");
      await expect(client.rest.repos.get({ owner: "o", repo: "r" })).rejects.toThrow();
      now += 1000;
    }
    expect(calls.health()).toMatchObject({
      status: "degraded",
      consecutive_failures: DEGRADED_AFTER_FAILURES,
      failing_since: "2026-12-05T10:00:00.000Z",
    });
    expect(calls.health().last_error).toMatch(/^HTTP 503/);
    api.get("/repos/o/missing").reply(404, { message: "Not Found" });
    await expect(client.rest.repos.get({ owner: "o", repo: "missing" })).rejects.toMatchObject({ status: 404 });
    expect(calls.health()).toMatchObject({
      status: "ok",
      consecutive_failures: 0,
      failing_since: null,
      last_success: new Date(now).toISOString(),
    });
  });

  it("gives up on a call GitHub never answers after the time limit", async () => {
    nock.enableNetConnect("127.0.0.1");
    const server: Server = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const calls = new GitHubCalls();
      const client = calls.bound(octokit(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), 200);
      // Without the limit the call would wait for ever (and the test time out).
      await expect(client.rest.repos.get({ owner: "o", repo: "r" })).rejects.toThrow();
      expect(calls.health().consecutive_failures).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
