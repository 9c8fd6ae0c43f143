/** The "Empathy review" check run: created when a review starts, completed from its findings, never left in progress. */
import nock from "nock";
import { PredictionIssues } from "../../../src/github/predictions/predictionIssues.js";
import { runReviewJob, type ReviewDeps, type ReviewJobPayload } from "../../../src/github/review/reviewJob.js";
import {
  annotationsFor,
  batches,
  boundedOutput,
  CHECK_NAME,
  conclusionFor,
  OUTPUT_MAX,
  pullNumberOfExternalId,
  checkExternalId,
  MAX_ANNOTATIONS,
  ReviewCheck,
  willRetry,
} from "../../../src/github/checks/checkRun.js";
import type { Finding } from "../../../src/analysis/types.js";
import { analyseInProcess } from "../../helpers/inProcessAnalysis.js";
import { createHarness, type Harness } from "../harness.js";
import { docsOnlyFiles, riskyFiles, riskyFilesNextPush, STRIPE_SECRET } from "../fixtures.js";
import { ChecksGitHub } from "./checksGitHub.js";

function addedFile(filename: string, text: string) {
  const lines = text.split("\n");
  return {
    filename,
    status: "added" as const,
    additions: lines.length,
    deletions: 0,
    patch: `@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}`).join("\n")}`,
  };
}

/** Only medium findings (a weak hash), below the default fail_on of high. */
const mediumOnlyFiles = [
  addedFile("src/hash.js", `const crypto = require("crypto");\nconst h = crypto.createHash("md5").update(password).digest("hex");`),
];

function finding(severity: Finding["severity"], over: Partial<Finding> = {}): Finding {
  return {
    rule: "js/x",
    category: "code-injection",
    path: "src/a.js",
    line: 3,
    side: "RIGHT",
    severity,
    confidence: 0.9,
    message: "m",
    recommendation: "r",
    fingerprint: "f",
    ...over,
  };
}

describe("check run rules", () => {
  it("concludes failure at or above fail_on, neutral below it, success without findings", () => {
    expect(conclusionFor([], "high")).toBe("success");
    expect(conclusionFor([finding("medium"), finding("low")], "high")).toBe("neutral");
    expect(conclusionFor([finding("medium"), finding("high")], "high")).toBe("failure");
    expect(conclusionFor([finding("critical")], "high")).toBe("failure");
    expect(conclusionFor([finding("high")], "critical")).toBe("neutral");
    expect(conclusionFor([finding("info")], "info")).toBe("failure");
  });

  it("maps severities to annotation levels and leaves out what has no line in the head commit", () => {
    const out = annotationsFor([
      finding("critical", { line: 4, rule: "js/sql-injection" }),
      finding("medium"),
      finding("info"),
      finding("high", { side: "LEFT" }),
      finding("high", { path: "../etc/passwd" }),
      finding("high", { line: 0 }),
    ]);
    expect(out.map((a) => a.annotation_level)).toEqual(["failure", "warning", "notice"]);
    expect(out[0]).toEqual({
      path: "src/a.js",
      start_line: 4,
      end_line: 4,
      annotation_level: "failure",
      message: "m\n\nr",
      title: "js/sql-injection",
    });
  });

  it("cuts 120 items in batches of at most 50", () => {
    expect(batches(Array.from({ length: 120 }, (_, i) => i)).map((b) => b.length)).toEqual([50, 50, 20]);
    expect(batches([])).toEqual([]);
  });

  it("bounds the output to GitHub's limit in bytes, multi-byte text and emoji included, without splitting a pair", () => {
    const text = "é😀".repeat(40_000);
    const out = boundedOutput(text);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(OUTPUT_MAX);
    expect(out.length).toBeGreaterThan(10_000);
    expect(out).toMatch(/cut: the whole report is in the pull request's summary comment\)$/);
    expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    expect(boundedOutput("short")).toBe("short");
  });

  it("reads only its own external ids", () => {
    expect(pullNumberOfExternalId(checkExternalId(7, "abc-def"))).toBe(7);
    expect(pullNumberOfExternalId("")).toBeUndefined();
    expect(pullNumberOfExternalId(null)).toBeUndefined();
    expect(pullNumberOfExternalId("someone-else:7:x")).toBeUndefined();
    expect(pullNumberOfExternalId("empathy-review:99999999999999:x")).toBeUndefined();
  });

  it("says a failure is retried only when the queue retries it", () => {
    const http = (status: number) => Object.assign(new Error("x"), { status });
    expect(willRetry(http(502), { attempt: 1, maxAttempts: 3 })).toBe(true);
    expect(willRetry(http(502), { attempt: 3, maxAttempts: 3 })).toBe(false);
    expect(willRetry(http(422), { attempt: 1, maxAttempts: 3 })).toBe(false);
    expect(willRetry(http(502), undefined)).toBe(false);
    expect(willRetry(Object.assign(new Error("t"), { name: "JobTimeoutError" }), { attempt: 1, maxAttempts: 3 })).toBe(true);
    expect(willRetry(Object.assign(new Error("r"), { name: "JobReleasedError" }), { attempt: 3, maxAttempts: 3 })).toBe(true);
  });
});

describe("the Empathy review check run", () => {
  let h: Harness;
  let fake: ChecksGitHub;
  beforeEach(() => {
    fake = new ChecksGitHub();
  });
  afterEach(() => {
    nock.cleanAll();
    expect(fake.problems).toEqual([]); // every request is one GitHub's API description accepts
  });

  it("fails a commit with findings at or above high, with the summary and an annotation per finding", async () => {
    fake.setFiles(riskyFiles);
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();

    expect(fake.checkRuns).toHaveLength(1);
    const [run] = fake.checkRuns;
    expect(run).toMatchObject({ name: CHECK_NAME, head_sha: fake.pull.head.sha, status: "completed", conclusion: "failure" });
    expect(run.started_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(run.completed_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(run.output.title).toMatch(/^\d+ findings? at high or above$/);
    expect(run.output.summary).toBe(fake.comments[0].body.replace(/^<!-- empathy-bot:summary -->\n/, "")); // the summary comment's text
    // The create was in progress, before any review was posted.
    const create = fake.find("POST", /\/check-runs$/)[0];
    expect(create.body).toMatchObject({ status: "in_progress", name: CHECK_NAME, head_sha: fake.pull.head.sha });
    expect(fake.requests.indexOf(create)).toBeLessThan(
      fake.requests.findIndex((r) => r.method === "POST" && /\/pulls\/7\/reviews$/.test(r.path)),
    );

    const lines = run.annotations.map((a) => `${a.path}:${a.start_line}:${a.annotation_level}:${a.title}`);
    expect(lines).toEqual(expect.arrayContaining(["src/orders/export.js:11:failure:js/sql-injection"]));
    expect(run.annotations.every((a) => a.start_line === a.end_line && a.message.length > 0)).toBe(true);
    const stored = (await h.handles.store.getReviewResult("octo-org/shop", 7))!;
    expect(run.annotations.length).toBe(Object.values(stored.findingCounts).reduce((a, b) => a + b, 0));
    expect(JSON.stringify(fake.checkRuns)).not.toContain(STRIPE_SECRET.slice(8));
  });

  it("is neutral when every finding is below fail_on, and success without findings", async () => {
    fake.setFiles(mediumOnlyFiles);
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    expect(fake.checkRuns.map((r) => [r.conclusion, r.output.title])).toEqual([
      ["neutral", expect.stringMatching(/, none at high or above$/)],
    ]);
    expect(fake.checkRuns[0].annotations.map((a) => a.annotation_level)).toContain("warning");

    fake.pull.head.sha = "c".repeat(40);
    fake.setFiles(docsOnlyFiles);
    await h.deliver("synchronize");
    await h.drain();
    expect(fake.runsFor("c".repeat(40)).map((r) => [r.conclusion, r.output.title, r.annotations.length])).toEqual([
      ["success", "No findings", 0],
    ]);
  });

  it("takes fail_on from the repository config", async () => {
    fake.setFiles(mediumOnlyFiles);
    fake.configYaml = "checks:\n  fail_on: medium\n";
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    expect(fake.checkRuns.map((r) => [r.conclusion, r.output.title])).toEqual([["failure", "1 finding at medium or above"]]);
  });

  it("sends 120 findings' annotations in batches of at most 50, the last with the completion", async () => {
    fake.setFiles([addedFile("src/evals.js", Array.from({ length: 120 }, (_, i) => `eval(req.query.x${i});`).join("\n"))]);
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    const [run] = fake.checkRuns;
    const evals = run.annotations.filter((a) => a.path === "src/evals.js");
    expect(evals).toHaveLength(120);
    expect(new Set(evals.map((a) => a.start_line)).size).toBe(120);
    expect(run.annotationBatches).toEqual([50, 50, run.annotations.length - 100]);
    const updates = fake.find("PATCH", /\/check-runs\/\d+$/).filter((r) => r.body.output?.annotations);
    expect(updates.map((u) => u.body.output.annotations.length)).toEqual(run.annotationBatches);
    // In progress until the last batch, which completes it.
    expect(updates.map((u) => u.body.conclusion ?? null)).toEqual([null, null, "failure"]);
    expect(run.conclusion).toBe("failure");
  });

  it("creates none for what is not reviewed: drafts, disabled repositories, a commit already reviewed", async () => {
    fake = new ChecksGitHub({ draft: true });
    fake.setFiles(riskyFiles);
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    expect(fake.checkRuns).toEqual([]);
    expect(fake.writes().filter((r) => !r.path.includes("access_tokens"))).toEqual([]);

    fake.pull.draft = false;
    await h.deliver("ready_for_review");
    await h.drain();
    expect(fake.checkRuns).toHaveLength(1);
    await h.deliver("reopened"); // the same commit again: already reviewed, its run stands
    await h.drain();
    expect(fake.checkRuns).toHaveLength(1);

    fake.configYaml = "review:\n  enabled: false\n";
    fake.pull.head.sha = "d".repeat(40);
    await h.deliver("synchronize");
    await h.drain();
    expect(fake.checkRuns).toHaveLength(1);
  });

  it("reviews without a check run when the installation may not write checks, and says so once", async () => {
    fake.checksStatus = 403;
    fake.setFiles(riskyFiles);
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    fake.pull.head.sha = "c".repeat(40);
    fake.setFiles(riskyFilesNextPush);
    await h.deliver("synchronize");
    await h.drain();
    expect(fake.reviews).toHaveLength(2);
    expect(fake.find("POST", /\/check-runs$/)).toEqual([]);
    expect(h.logs.filter((l) => l.includes("may not write checks"))).toHaveLength(1);
    expect(await h.handles.store.countJobs()).toMatchObject({ queued: 0, dead: 0 });
  });

  it("reviews without a check run when GitHub refuses to create one (422)", async () => {
    fake.setFiles(riskyFiles);
    fake.faults.push({ method: "POST", path: /\/check-runs$/, status: 422 });
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    expect(fake.checkRuns).toEqual([]);
    expect(fake.reviews).toHaveLength(1);
    expect(await h.handles.store.countJobs()).toMatchObject({ queued: 0, dead: 0 });
    expect(h.logs.join("")).toMatch(/no check run: GitHub refused it/);
    fake.problems = [];
  });

  it("completes the run neutral, saying why, when the review fails for good", async () => {
    fake.setFiles(riskyFiles);
    // 422: not worth a retry; the job is dead-lettered after this one attempt.
    fake.faults.push({ method: "POST", path: /\/pulls\/7\/reviews$/, status: 422, times: 10 });
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    expect(await h.handles.store.countJobs()).toMatchObject({ dead: 1 });
    expect(fake.checkRuns).toHaveLength(1);
    const [run] = fake.checkRuns;
    expect(run).toMatchObject({ status: "completed", conclusion: "neutral", annotations: [] });
    expect(run.output.title).toBe("The review could not finish");
    expect(run.output.summary).toMatch(
      /^The review could not finish: GitHub answered 422 \(fault injected \(422\)\)\. Push a commit, re-run/,
    );
    fake.problems = [];
  });

  it("never leaves the run in progress when every attempt fails", async () => {
    fake.setFiles(riskyFiles);
    fake.faults.push({ method: "POST", path: /\/pulls\/7\/reviews$/, status: 502, times: 100 });
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    expect(await h.handles.store.countJobs()).toMatchObject({ queued: 0, dead: 1 });
    expect(fake.checkRuns.length).toBeGreaterThanOrEqual(1);
    expect(fake.checkRuns.every((r) => r.status === "completed" && r.conclusion === "neutral")).toBe(true);
    expect(fake.checkRuns.at(-1)!.output.summary).toContain("GitHub answered 502");
    fake.problems = [];
  });

  it("annotates at most 1000 findings (20 requests) and counts the rest in the summary", async () => {
    h = await createHarness({ fake });
    const octokit = (await h.probot.auth(2)) as never;
    const log = { debug() {}, info() {}, warn() {}, error() {} };
    const ref = { owner: fake.owner, repo: fake.repo };
    const check = (await ReviewCheck.start(octokit, ref, { headSha: fake.pull.head.sha, pullNumber: 7, deliveryId: "d-bound" }, log))!;
    const many = Array.from({ length: MAX_ANNOTATIONS + 234 }, (_, i) => finding("high", { line: i + 1, fingerprint: `f${i}` }));
    expect(await check.complete({ findings: many, failOn: "high", summary: "## Empathy review" })).toBe("failure");
    const [run] = fake.checkRuns;
    expect(run.annotations).toHaveLength(MAX_ANNOTATIONS);
    expect(run.annotationBatches).toEqual(Array(20).fill(50));
    expect(run.output.summary).toBe("## Empathy review\n\n234 more finding(s) are not annotated here (at most 1000).");
    expect(run.output.title).toBe("1234 findings at high or above");
    // Settled: a late interruption does not touch the completed run.
    const requests = fake.requests.length;
    await check.interrupted(new Error("late"), undefined);
    expect(fake.requests.length).toBe(requests);
  });

  // These two need src/app.ts to pass the job's attempt to runReviewJob (see the review job's handler there).
  it("through the queue: a retried failure keeps one run, which the retry completes", async () => {
    fake.setFiles(riskyFiles);
    fake.faults.push({ method: "POST", path: /\/pulls\/7\/reviews$/, status: 502 });
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    await h.drain();
    expect(await h.handles.store.countJobs()).toMatchObject({ queued: 0, dead: 0 });
    expect(fake.checkRuns).toHaveLength(1);
    expect(fake.checkRuns[0]).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(fake.find("PATCH", /\/check-runs\//).some((r) => r.body.output?.title === "Retrying…")).toBe(true);
    fake.problems = [];
  });

  it("through the queue: every attempt failing ends in one run, completed neutral", async () => {
    fake.setFiles(riskyFiles);
    fake.faults.push({ method: "POST", path: /\/pulls\/7\/reviews$/, status: 502, times: 100 });
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    expect(await h.handles.store.countJobs()).toMatchObject({ queued: 0, dead: 1 });
    expect(fake.checkRuns).toHaveLength(1);
    expect(fake.checkRuns[0]).toMatchObject({ status: "completed", conclusion: "neutral" });
    expect(fake.find("PATCH", /\/check-runs\//).filter((r) => r.body.output?.title === "Retrying…")).toHaveLength(3); // jobMaxAttempts 4
    fake.problems = [];
  });

  describe("the job's attempts (runReviewJob as the queue runs it)", () => {
    const payload = (): ReviewJobPayload => ({
      installationId: 2,
      owner: fake.owner,
      repo: fake.repo,
      pullNumber: 7,
      headSha: fake.pull.head.sha,
      deliveryId: "delivery-attempts",
      action: "opened",
    });
    async function deps(): Promise<ReviewDeps> {
      h = await createHarness({ fake });
      const auth = (id: number) => h.probot.auth(id) as never;
      const log = { debug() {}, info() {}, warn() {}, error() {} };
      const predictionIssues = new PredictionIssues({ queue: h.handles.queue, store: h.handles.store, auth, log });
      return { analyse: analyseInProcess, store: h.handles.store, engine: h.handles.engine, predictionIssues, auth, log };
    }

    it("keeps the run in progress with a note when the failure is retried, and the retry completes that same run", async () => {
      fake.setFiles(riskyFiles);
      fake.faults.push({ method: "POST", path: /\/pulls\/7\/reviews$/, status: 502 });
      const d = await deps();
      await expect(runReviewJob(payload(), d, undefined, { attempt: 1, maxAttempts: 3 })).rejects.toMatchObject({ status: 502 });
      expect(fake.checkRuns).toHaveLength(1);
      expect(fake.checkRuns[0]).toMatchObject({ status: "in_progress", conclusion: null, output: { title: "Retrying…" } });
      expect(fake.checkRuns[0].output.summary).toBe(
        "The review could not finish: GitHub answered 502 (fault injected (502)); it will be retried.",
      );

      expect(await runReviewJob(payload(), d, undefined, { attempt: 2, maxAttempts: 3 })).toBe("reviewed");
      expect(fake.checkRuns).toHaveLength(1); // the same run, found by its external id
      expect(fake.find("POST", /\/check-runs$/)).toHaveLength(1);
      expect(fake.checkRuns[0]).toMatchObject({ status: "completed", conclusion: "failure" });
      expect(fake.checkRuns[0].annotations.length).toBeGreaterThan(0);
      fake.problems = [];
    });

    it("a retry after annotations were sent starts a new run and closes the old one", async () => {
      fake.setFiles([addedFile("src/evals.js", Array.from({ length: 60 }, (_, i) => `eval(req.query.x${i});`).join("\n"))]);
      // The completing update (with the second batch) fails: the first 50 annotations are on the run already.
      fake.completionFaults = 1;
      const d = await deps();
      await expect(runReviewJob(payload(), d, undefined, { attempt: 1, maxAttempts: 3 })).rejects.toMatchObject({ status: 502 });
      expect(fake.checkRuns[0].annotations).toHaveLength(50);
      expect(fake.checkRuns[0].status).toBe("in_progress");

      expect(await runReviewJob(payload(), d, undefined, { attempt: 2, maxAttempts: 3 })).toBe("reviewed");
      expect(fake.checkRuns).toHaveLength(2);
      expect(fake.checkRuns[0]).toMatchObject({ status: "completed", conclusion: "neutral", output: { title: "Superseded" } });
      expect(fake.checkRuns[1]).toMatchObject({ status: "completed", conclusion: "failure" });
      expect(fake.checkRuns[1].annotations.length).toBe(fake.checkRuns[0].annotations.length + 10); // no duplicates on the new run
      fake.problems = [];
    });

    it("completes the run neutral on the last attempt", async () => {
      fake.setFiles(riskyFiles);
      fake.faults.push({ method: "POST", path: /\/pulls\/7\/reviews$/, status: 502 });
      const d = await deps();
      await expect(runReviewJob(payload(), d, undefined, { attempt: 3, maxAttempts: 3 })).rejects.toMatchObject({ status: 502 });
      expect(fake.checkRuns[0]).toMatchObject({
        status: "completed",
        conclusion: "neutral",
        output: { title: "The review could not finish" },
      });
      fake.problems = [];
    });

    it("completes the run at once when the job's time limit aborts the review, even while a call still waits", async () => {
      fake.setFiles(riskyFiles);
      fake.faults.push({ method: "POST", path: /\/pulls\/7\/reviews$/, status: 200, delayMs: 400 });
      const d = await deps();
      const controller = new AbortController();
      const running = runReviewJob(payload(), d, controller.signal, { attempt: 3, maxAttempts: 3 });
      while (fake.find("POST", /\/pulls\/7\/reviews$/).length === 0) await new Promise((r) => setTimeout(r, 5));
      controller.abort(Object.assign(new Error("the job ran longer than its time limit of 1 s"), { name: "JobTimeoutError" }));
      await new Promise((r) => setTimeout(r, 100));
      // Told before the waiting call returned.
      expect(fake.checkRuns[0]).toMatchObject({ status: "completed", conclusion: "neutral" });
      expect(fake.checkRuns[0].output.summary).toContain("it ran longer than its time limit");
      await expect(running).rejects.toBeDefined();
      expect(fake.checkRuns[0].conclusion).toBe("neutral"); // not overwritten by a late completion
      expect(fake.checkRuns).toHaveLength(1);
    });
  });
});
