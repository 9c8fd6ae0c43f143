/** "Re-run" on the app's check run or check suite: a forced review of that commit, reported in a new check run. */
import nock from "nock";
import { CHECK_NAME } from "../../../src/github/checks/checkRun.js";
import { examplePayload, withRepo } from "../../helpers/webhookExamples.js";
import { ChecksGitHub } from "../checks/checksGitHub.js";
import { createHarness, type Harness } from "../harness.js";
import { riskyFiles } from "../fixtures.js";

let h: Harness;
let fake: ChecksGitHub;
let deliveries = 0;

/** GitHub's own check_run.rerequested example, on the fake's repository and one of its runs. */
function checkRunRerequested(over: { slug?: string; name?: string; headSha?: string; externalId?: string } = {}) {
  const payload: any = withRepo(examplePayload("check_run", "rerequested"), { owner: fake.owner, repo: fake.repo, installationId: 2 });
  const first = fake.checkRuns[0];
  payload.check_run.name = over.name ?? CHECK_NAME;
  payload.check_run.head_sha = over.headSha ?? first.head_sha;
  payload.check_run.external_id = over.externalId ?? first.external_id;
  payload.check_run.app = { ...payload.check_run.app, slug: over.slug ?? fake.appSlug }; // real payloads name the app by slug too
  // The example lists no pull request, as GitHub does for a fork's: the external id names it.
  expect(payload.check_run.pull_requests).toEqual([]);
  return payload;
}

function checkSuiteRerequested(over: { slug?: string; number?: number; headSha?: string } = {}) {
  const payload: any = withRepo(examplePayload("check_suite", "rerequested"), { owner: fake.owner, repo: fake.repo, installationId: 2 });
  const sha = over.headSha ?? fake.pull.head.sha;
  payload.check_suite.head_sha = sha;
  payload.check_suite.app = { ...payload.check_suite.app, slug: over.slug ?? fake.appSlug };
  payload.check_suite.pull_requests[0].number = over.number ?? fake.pull.number;
  payload.check_suite.pull_requests[0].head.sha = sha;
  return payload;
}

async function receive(name: "check_run" | "check_suite", payload: unknown, id = `rerun-${++deliveries}`): Promise<void> {
  await h.probot.receive({ id, name, payload } as any);
}

describe("re-running the Empathy review check", () => {
  beforeEach(async () => {
    fake = new ChecksGitHub();
    fake.setFiles(riskyFiles);
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    expect(fake.checkRuns).toHaveLength(1);
  });
  afterEach(() => {
    nock.cleanAll();
    expect(fake.problems).toEqual([]);
  });

  it("check_run.rerequested reviews the commit again, forced, in a new check run", async () => {
    await receive("check_run", checkRunRerequested(), "rerun-delivery-1");
    expect(await h.drain()).toBe(1);
    expect(fake.find("GET", /\/pulls\/7$/)).toHaveLength(2); // reviewed again, though this commit was reviewed
    expect(fake.checkRuns).toHaveLength(2);
    const [first, second] = fake.checkRuns;
    expect(second).toMatchObject({ head_sha: fake.pull.head.sha, status: "completed", conclusion: "failure" });
    expect(second.external_id).toBe("empathy-review:7:rerun-delivery-1");
    expect(first.conclusion).toBe("failure"); // the old run is left as it was
    expect(fake.comments).toHaveLength(1); // the summary is edited, not posted again
  });

  it("check_suite.rerequested reviews each pull request the commit heads", async () => {
    await receive("check_suite", checkSuiteRerequested());
    expect(await h.drain()).toBe(1);
    expect(fake.checkRuns).toHaveLength(2);
    expect(fake.checkRuns[1]).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(fake.checkRuns[1].external_id).toMatch(/^empathy-review:7:rerun-\d+$/);
  });

  it("a redelivered re-run is reviewed once", async () => {
    const payload = checkRunRerequested();
    await receive("check_run", payload, "same-rerun");
    await receive("check_run", payload, "same-rerun");
    await h.drain();
    await receive("check_run", payload, "same-rerun");
    await h.drain();
    expect(fake.checkRuns).toHaveLength(2);
  });

  it("ignores re-runs of another app's checks, of other check names, and of suites that head no pull request", async () => {
    const before = fake.requests.length;
    await receive("check_run", checkRunRerequested({ slug: "someone-elses-ci" }));
    await receive("check_suite", checkSuiteRerequested({ slug: "someone-elses-ci" }));
    await receive("check_run", checkRunRerequested({ name: "build" }));
    const suite = checkSuiteRerequested();
    suite.check_suite.pull_requests[0].head.sha = "e".repeat(40); // the pull request has moved on
    await receive("check_suite", suite);
    expect(await h.drain()).toBe(0);
    expect(fake.checkRuns).toHaveLength(1);
    expect(fake.requests.slice(before).filter((r) => r.path !== "/app" && !r.path.includes("access_tokens"))).toEqual([]);
    expect(h.logs.join("")).toMatch(/re-run of another app's check; ignored/);
    expect(h.logs.join("")).toMatch(/heads no known pull request; ignored/);
  });

  it("a re-run of a commit that is no longer the head is skipped without a new check run", async () => {
    const old = fake.pull.head.sha;
    fake.pull.head.sha = "c".repeat(40);
    await receive("check_run", checkRunRerequested({ headSha: old }));
    expect(await h.drain()).toBe(1);
    expect(fake.checkRuns).toHaveLength(1);
    expect(h.logs.join("")).toMatch(/a newer commit was pushed/);
  });
});
