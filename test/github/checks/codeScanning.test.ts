/** Uploading a review's findings to code scanning: gzip + base64 SARIF, and a review that does not depend on it. */
import { gunzipSync } from "node:zlib";
import nock from "nock";
import { encodeSarif, pullRequestRef } from "../../../src/github/checks/codeScanning.js";
import { sarifSchemaErrors } from "../../helpers/sarifSchema.js";
import { createHarness, type Harness } from "../harness.js";
import { riskyFiles, riskyFilesNextPush, STRIPE_SECRET } from "../fixtures.js";
import { ChecksGitHub } from "./checksGitHub.js";

const WARN = 40; // pino's level number

function decode(sarif: string): any {
  expect(sarif).toMatch(/^[A-Za-z0-9+/]+={0,2}$/); // plain base64, one line
  const zipped = Buffer.from(sarif, "base64");
  expect(zipped.toString("base64")).toBe(sarif);
  expect([zipped[0], zipped[1]]).toEqual([0x1f, 0x8b]); // gzip's magic number
  return JSON.parse(gunzipSync(zipped).toString("utf8"));
}

function warnings(h: Harness, text: string): string[] {
  return h.logs.filter((l) => l.includes(text) && JSON.parse(l).level === WARN);
}

describe("code scanning upload", () => {
  let h: Harness;
  let fake: ChecksGitHub;
  beforeEach(() => {
    fake = new ChecksGitHub();
    fake.setFiles(riskyFiles);
  });
  afterEach(() => {
    nock.cleanAll();
    expect(fake.problems).toEqual([]);
  });

  it("encodes any log as gzip + base64 that decodes to the same JSON", () => {
    const log = { version: "2.1.0", runs: [{ note: "é😀".repeat(1000) }] };
    expect(decode(encodeSarif(log))).toEqual(log);
    expect(pullRequestRef(42)).toBe("refs/pull/42/head");
  });

  it("uploads the review's SARIF log for the head commit under the pull request's head ref when code_scanning is on", async () => {
    fake.configYaml = "checks:\n  code_scanning: true\n";
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();

    expect(fake.sarifUploads).toHaveLength(1);
    const [upload] = fake.sarifUploads;
    expect(upload).toMatchObject({ commit_sha: fake.pull.head.sha, ref: "refs/pull/7/head", tool_name: "Empathy bot" });
    const log = decode(upload.sarif);
    expect(sarifSchemaErrors(log)).toEqual([]);
    const results = log.runs[0].results;
    // The same findings the check run annotates, at the same places.
    const annotated = fake.checkRuns[0].annotations.map((a) => `${a.path}:${a.start_line}:${a.title}`).sort();
    expect(
      results
        .map(
          (r: any) =>
            `${r.locations[0].physicalLocation.artifactLocation.uri}:${r.locations[0].physicalLocation.region.startLine}:${r.ruleId}`,
        )
        .sort(),
    ).toEqual(annotated);
    expect(JSON.stringify(log)).not.toContain(STRIPE_SECRET.slice(8));
    // After the check run is completed: the upload is an extra, not part of the verdict.
    const completed = fake.requests.findIndex((r) => r.method === "PATCH" && r.body?.conclusion);
    expect(completed).toBeLessThan(fake.requests.findIndex((r) => r.path.endsWith("/code-scanning/sarifs")));
  });

  it("uploads nothing by default", async () => {
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    expect(fake.checkRuns).toHaveLength(1);
    expect(fake.sarifUploads).toEqual([]);
    expect(fake.find("POST", /code-scanning/)).toEqual([]);
  });

  it.each([
    [403, "no security_events permission"],
    [404, "code scanning not enabled"],
  ])("a %i (%s) is said once per repository and the review still succeeds", async (status) => {
    fake.codeScanningStatus = status;
    fake.repo = `shop-${status}`; // "once" is per repository and process: a repository of its own per case
    fake.configYaml = "checks:\n  code_scanning: true\n";
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    fake.pull.head.sha = "c".repeat(40);
    fake.setFiles(riskyFilesNextPush);
    await h.deliver("synchronize");
    await h.drain();

    expect(fake.sarifUploads).toHaveLength(2); // tried for each commit
    expect(await h.handles.store.countJobs()).toMatchObject({ queued: 0, dead: 0 });
    expect(fake.reviews).toHaveLength(2);
    expect(fake.checkRuns.map((r) => r.conclusion)).toEqual(["failure", "failure"]);
    expect(await h.handles.store.getReview(`${fake.owner}/${fake.repo}`, 7, "c".repeat(40))).toBeTruthy();
    expect(warnings(h, "code scanning upload not allowed")).toHaveLength(1);
    expect(warnings(h, "code scanning upload not allowed")[0]).toContain("security_events: write");
  });

  it("a failed upload (5xx) is logged and does not fail or repeat the review", async () => {
    fake.configYaml = "checks:\n  code_scanning: true\n";
    fake.faults.push({ method: "POST", path: /\/code-scanning\/sarifs$/, status: 500 });
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    expect(await h.handles.store.countJobs()).toMatchObject({ queued: 0, dead: 0 });
    expect(fake.reviews).toHaveLength(1);
    expect(fake.checkRuns).toHaveLength(1);
    expect(warnings(h, "code scanning upload failed")).toHaveLength(1);
  });
});
