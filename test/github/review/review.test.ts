/** Reviewing a pull request end to end through Probot, the job queue and the fake GitHub. */
import nock from "nock";
import { FakeGitHub } from "../../helpers/fakeGitHub.js";
import { createHarness, type Harness } from "../harness.js";
import { docsOnlyFiles, riskyExportJs, riskyFiles, riskyFilesNextPush, STRIPE_SECRET } from "../fixtures.js";

const SUMMARY_MARKER = "<!-- empathy-bot:summary -->";

function everythingWritten(h: Harness): string {
  return JSON.stringify(h.fake.writes().map((r) => r.body)) + h.logs.join("");
}

describe("reviewing a pull request", () => {
  let h: Harness;
  afterEach(() => {
    nock.cleanAll();
    expect(h.fake.problems).toEqual([]); // every request the app sent is one GitHub accepts
  });

  it("posts one review with anchored inline comments, one summary, labels and prediction issues for a risky change", async () => {
    const fake = new FakeGitHub();
    fake.setFiles(riskyFiles);
    h = await createHarness({ fake });
    await h.deliver("opened");
    expect(await h.drain()).toBeGreaterThanOrEqual(1);

    expect(fake.reviews).toHaveLength(1);
    expect(fake.reviews[0].commit_id).toBe(fake.pull.head.sha);
    const inline = fake.reviewComments.map((c) => `${c.path}:${c.line}:${c.side}`);
    expect(inline).toEqual(
      expect.arrayContaining([
        "src/orders/export.js:11:RIGHT",
        "src/orders/export.js:12:RIGHT",
        "db/migrations/20261127_drop_email.sql:2:RIGHT",
      ]),
    );

    expect(fake.comments).toHaveLength(1);
    const summary = fake.comments[0].body as string;
    expect(summary).toContain(SUMMARY_MARKER);
    expect(summary).toMatch(/Level 4 · anticipatory/);
    expect(summary).toMatch(/### Findings/);
    expect(summary).toMatch(/### Predictions/);
    expect(summary).toMatch(/`docs\/logo\.png`: /); // skipped: no patch

    expect([...fake.labels.keys()]).toEqual(expect.arrayContaining(["empathy: security", "empathy: prediction"]));
    expect(fake.pull.labels.map((l: any) => l.name)).toEqual(expect.arrayContaining(["empathy: security", "empathy: prediction"]));

    expect(fake.issues.length).toBeGreaterThanOrEqual(1);
    const issue = fake.issues.find((i) => /email/i.test(i.body));
    expect(issue).toBeDefined();
    expect(issue.title).toMatch(/^Prediction \(\d+%\): /);
    expect(issue.body).toContain("https://github.com/octo-org/shop/pull/7");
    expect(issue.body).toMatch(/db\/migrations\/20261127_drop_email\.sql:2/);
    expect(issue.labels.map((l: any) => l.name)).toEqual(["empathy: prediction"]);

    // The same result as data (what Slack replies from), and the issues with what listings show.
    const stored = (await h.handles.store.getReviewResult("octo-org/shop", 7))!;
    expect(stored).toMatchObject({
      headSha: fake.pull.head.sha,
      level: 4,
      summaryCommentId: fake.comments[0].id,
      summaryUrl: fake.comments[0].html_url,
      notice: null,
    });
    expect(summary).toContain(`**Level 4 · anticipatory** · confidence ${Math.round(stored.confidence * 100)}%`);
    expect(summary).toContain(stored.summary.slice(0, 40));
    const findingsShown = Number(/### Findings \((\d+)\)/.exec(summary)![1]);
    expect(Object.values(stored.findingCounts).reduce((a, b) => a + b, 0)).toBe(findingsShown);
    expect(stored.topFindings[0]).toMatchObject({
      path: expect.any(String),
      line: expect.any(Number),
      severity: expect.any(String),
      category: expect.any(String),
    });
    expect(stored.predictions.some((p) => /email/i.test(p.title))).toBe(true);
    const listed = await h.handles.store.listPredictionIssues({ repo: "octo-org/shop", limit: 10 });
    expect(listed.map((i) => i.issueNumber).sort()).toEqual(fake.issues.map((i) => i.number).sort());
    expect(listed.find((i) => i.issueNumber === issue.number)).toMatchObject({
      url: issue.html_url,
      confidence: expect.any(Number),
      title: expect.stringMatching(/email/i),
    });
    expect(JSON.stringify([stored, listed])).not.toContain(STRIPE_SECRET.slice(8));

    expect(everythingWritten(h)).not.toContain(STRIPE_SECRET);
    expect(everythingWritten(h)).not.toContain(STRIPE_SECRET.slice(8));
  });

  it("reads whole files at the head for context, and skips what .gitattributes marks generated", async () => {
    const fake = new FakeGitHub();
    const generated = { ...riskyFiles[0], filename: "src/gen/client.js" };
    fake.setFiles([riskyFiles[0], generated]);
    fake.contents.set(".gitattributes", "src/gen/** linguist-generated=true\n");
    fake.contents.set("src/orders/export.js", riskyExportJs);
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    const reads = fake.find("GET", /\/contents\//).map((r) => `${r.path.replace(/^.*\/contents\//, "")}@${r.query.get("ref")}`);
    expect(reads).toEqual(expect.arrayContaining([`.gitattributes@${fake.pull.head.sha}`, `src/orders/export.js@${fake.pull.head.sha}`]));
    expect(reads.some((r) => r.startsWith("src/gen/"))).toBe(false);
    expect(fake.reviewComments.map((c) => `${c.path}:${c.line}`)).toEqual(
      expect.arrayContaining(["src/orders/export.js:11", "src/orders/export.js:12"]),
    );
    expect(fake.reviewComments.map((c) => c.path)).not.toContain("src/gen/client.js");
    expect(fake.comments[0].body).toMatch(/`src\/gen\/client\.js`: generated file \(`linguist-generated` in \.gitattributes\)/);
  });

  it("handles a redelivered delivery once", async () => {
    const fake = new FakeGitHub();
    fake.setFiles(riskyFiles);
    h = await createHarness({ fake });
    await h.deliver("opened", { id: "same-delivery" });
    await h.deliver("opened", { id: "same-delivery" });
    await h.drain();
    await h.deliver("opened", { id: "same-delivery" });
    await h.drain();
    expect(fake.reviews).toHaveLength(1);
    expect(fake.comments).toHaveLength(1);
    expect(fake.find("GET", /\/pulls\/7$/)).toHaveLength(1);
  });

  it("on a new push comments only new findings, even when old ones moved, and edits the summary in place", async () => {
    const fake = new FakeGitHub();
    fake.setFiles(riskyFiles);
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    const firstInline = fake.reviewComments.length;
    const issues = fake.issues.length;

    fake.pull.head.sha = "c".repeat(40);
    fake.setFiles(riskyFilesNextPush);
    await h.deliver("synchronize");
    await h.drain();

    expect(fake.reviews).toHaveLength(2);
    const second = fake.reviewComments.slice(firstInline);
    expect(second.map((c) => `${c.path}:${c.line}`)).toEqual(["src/orders/export.js:16"]); // only the eval
    expect(fake.comments).toHaveLength(1);
    expect(fake.find("PATCH", /\/issues\/comments\/\d+$/)).toHaveLength(1);
    expect(fake.comments[0].body).toMatch(/### Since the last review\n1 new · 0 resolved · \d+ unchanged/);
    expect(fake.issues).toHaveLength(issues); // the same predictions: no new issues
  });

  it("writes no inline comments and opens no issues for a docs-only change", async () => {
    const fake = new FakeGitHub();
    fake.setFiles(docsOnlyFiles);
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    expect(fake.reviews).toHaveLength(0);
    expect(fake.issues).toHaveLength(0);
    expect(fake.comments).toHaveLength(1);
    expect(fake.pull.labels).toEqual([]);
  });

  it("lets drafts wait until they are ready for review", async () => {
    const fake = new FakeGitHub({ draft: true });
    fake.setFiles(riskyFiles);
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    expect(fake.writes().filter((r) => !r.path.includes("access_tokens"))).toEqual([]);

    fake.pull.draft = false;
    await h.deliver("ready_for_review");
    await h.drain();
    expect(fake.reviews).toHaveLength(1);
  });

  it("skips pull requests by review.ignore_authors with a log line and no write at all", async () => {
    const fake = new FakeGitHub();
    fake.setFiles(riskyFiles);
    fake.configYaml = 'review:\n  ignore_authors: ["renovate[bot]", "ALI*"]\n'; // the fake's author is alice
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    expect(fake.writes().filter((r) => !r.path.includes("access_tokens"))).toEqual([]);
    expect(fake.find("GET", /\/files/)).toEqual([]); // not even read
    const skipped = h.logs.map((l) => JSON.parse(l)).find((l) => l.msg === "review skipped");
    expect(skipped).toMatchObject({ reason: "author ignored by review.ignore_authors", repo: "octo-org/shop", pr: 7 });
  });

  it("judges each file by its folder's min_severity and acts at the highest target_level among the files (paths)", async () => {
    const fake = new FakeGitHub();
    fake.setFiles(riskyFiles);
    fake.configYaml = [
      "target_level: 1",
      "review:",
      "  min_severity: critical", // alone, it would drop both high findings
      "paths:",
      "  - glob: src/orders/**", // more specific than src/**: wins
      "    min_severity: high",
      "  - glob: src/**",
      "    min_severity: critical",
      "  - glob: db/**",
      "    target_level: 4",
      "",
    ].join("\n");
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    const stored = (await h.handles.store.getReviewResult("octo-org/shop", 7))!;
    expect(stored.level).toBe(4); // db/ asks for 4: the top level's 1 does not cap the pull request
    expect(stored.findingCounts).toEqual({ high: 2 });
    expect(fake.comments[0].body).toMatch(/Level 4 · anticipatory/);
  });

  it("reports nothing below a folder's stricter min_severity (paths), whatever the top level says", async () => {
    const fake = new FakeGitHub();
    fake.setFiles(riskyFiles);
    fake.configYaml = "review:\n  min_severity: info\npaths:\n  - glob: src/orders/\n    min_severity: critical\n";
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    expect((await h.handles.store.getReviewResult("octo-org/shop", 7))!.findingCounts).toEqual({});
    expect(fake.reviewComments.map((c) => c.path)).not.toContain("src/orders/export.js");
  });

  it("reviews drafts when the config says so", async () => {
    const fake = new FakeGitHub({ draft: true });
    fake.setFiles(riskyFiles);
    fake.configYaml = "review:\n  drafts: true\n";
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    expect(fake.reviews).toHaveLength(1);
  });

  it("follows _extends to the organisation's .github repository", async () => {
    const fake = new FakeGitHub({ draft: true });
    fake.setFiles(riskyFiles);
    fake.configYaml = "_extends: .github\nreview:\n  max_inline_comments: 1\n";
    fake.orgConfigYaml = "review:\n  drafts: true\n  max_inline_comments: 5\n";
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    expect(fake.reviews).toHaveLength(1); // drafts: true came from the organisation
    expect(fake.reviewComments).toHaveLength(1); // the repository's own value wins
  });

  it("still reviews with a broken config file and says exactly what is wrong", async () => {
    const fake = new FakeGitHub();
    fake.setFiles(riskyFiles);
    fake.configYaml = "review:\n  max_inline_comments: lots\n  colour: red\nissues:\n  min_confidence: 2\n";
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    const summary = fake.comments[0].body as string;
    expect(summary).toContain("### Configuration problems");
    expect(summary).toContain("`.github/empathy.yml` `review.max_inline_comments`: Invalid input: expected number, received string");
    expect(summary).toContain("`.github/empathy.yml` `review.colour`: unknown key");
    expect(summary).toContain("`.github/empathy.yml` `issues.min_confidence`");
    expect(fake.reviews).toHaveLength(1);
  });

  it("reports invalid YAML and runs with defaults", async () => {
    const fake = new FakeGitHub();
    fake.setFiles(riskyFiles);
    fake.configYaml = "review: [unclosed\n  drafts: true";
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    expect(fake.comments[0].body).toMatch(/`\.github\/empathy\.yml` `\(file\)`: could not be read: /);
    expect(fake.reviews).toHaveLength(1);
  });

  it("caps inline comments at max_inline_comments and lists the rest in the summary", async () => {
    const fake = new FakeGitHub();
    fake.setFiles(riskyFiles);
    fake.configYaml = "review:\n  max_inline_comments: 1\n";
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    expect(fake.reviewComments).toHaveLength(1);
    expect(fake.comments[0].body).toMatch(/more item\(s\) are listed here but not commented inline/);
  });

  it("ignores events the app itself caused", async () => {
    const fake = new FakeGitHub();
    fake.setFiles(riskyFiles);
    h = await createHarness({ fake });
    await h.deliver("opened", { sender: { login: "empathy-test[bot]", type: "Bot" } });
    expect(await h.drain()).toBe(0);
    expect(fake.writes().filter((r) => !r.path.includes("access_tokens"))).toEqual([]);
    // another bot (e.g. a dependency updater) is reviewed
    await h.deliver("opened", { sender: { login: "dependabot[bot]", type: "Bot" } });
    expect(await h.drain()).toBeGreaterThan(0);
  });

  it("reads all pages of a 300-file pull request and says which files had no patch", async () => {
    const fake = new FakeGitHub();
    const files = Array.from({ length: 300 }, (_, i) =>
      i % 50 === 0
        ? { filename: `assets/blob-${i}.bin`, status: "added" as const }
        : { filename: `src/module${i}.js`, status: "added" as const, additions: 1, patch: `@@ -0,0 +1 @@\n+export const n${i} = ${i};` },
    );
    fake.setFiles(files);
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    expect(fake.find("GET", /\/pulls\/7\/files$/)).toHaveLength(3);
    const summary = fake.comments[0].body as string;
    for (let i = 0; i < 300; i += 50) expect(summary).toContain(`assets/blob-${i}.bin`);
  });

  it("retries GitHub failures (5xx, secondary rate limit) and posts once", async () => {
    const fake = new FakeGitHub();
    fake.setFiles(riskyFiles);
    fake.faults.push({ method: "POST", path: /\/pulls\/7\/reviews$/, status: 502 });
    fake.faults.push({ method: "PATCH", path: /\/issues\/comments\//, status: 403, headers: { "retry-after": "0" } });
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    await h.drain();
    expect(fake.reviews).toHaveLength(1);
    expect(fake.comments).toHaveLength(1);
    expect(await h.handles.store.countJobs()).toMatchObject({ queued: 0, dead: 0 });
  });

  it("dead-letters a review that keeps failing and logs it", async () => {
    const fake = new FakeGitHub();
    fake.setFiles(riskyFiles);
    fake.faults.push({ method: "GET", path: /\/pulls\/7$/, status: 500, times: 100 });
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    expect(await h.handles.store.countJobs()).toMatchObject({ queued: 0, dead: 1 });
    expect(h.logs.join("")).toMatch(/job dead-lettered/);
    fake.problems = [];
  });
});
