/**
 * Feedback from GitHub, end to end through Probot, the job queue and the fake GitHub: prediction
 * issues closed, flagged lines fixed by a push, resolved review threads, `/empathy` commands in
 * pull request comments, the rule of three and the trust circuit breaker.
 *
 * Payloads are GitHub's own examples from @octokit/webhooks-examples. Two are adapted because the
 * package has no example for them: `issues.closed` is built from `issues.opened` (state "closed",
 * `state_reason` set, as GitHub sends it), and `issue_comment.created` on a pull request gets the
 * `issue.pull_request` object GitHub adds for pull request comments (all five examples are on
 * plain issues).
 */
import nock from "nock";
import { FakeGitHub } from "../../helpers/fakeGitHub.js";
import { examplePayload, withRepo } from "../../helpers/webhookExamples.js";
import { createHarness, type Harness } from "../harness.js";
import { riskyFiles } from "../fixtures.js";
import { ACCEPT_DELTA, INITIAL_TRUST, newTrustRecord, REJECT_DELTA } from "../../../src/engine/trust.js";
import { patternConfidence } from "../../../src/engine/patterns.js";
import { BREAKER_REJECTIONS } from "../../../src/github/feedback/feedbackBreaker.js";
import { replyMarker } from "../../../src/github/feedback/commands.js";
import type { EventEnvelope } from "../../../src/events/catalog.js";

const REPO = "octo-org/shop";
let seq = 0;

/** riskyFiles after a push that fixed the SQL injection (the concatenation is gone). */
const fixedSqlFiles = [
  {
    ...riskyFiles[0],
    patch: [
      "@@ -10,5 +10,7 @@ const db = require('../db');",
      " async function exportOrders(req, res) {",
      "   const rows = await db.query('SELECT * FROM orders WHERE id = $1', [req.params.id]);",
      `+  const stripe = new Stripe("${riskyFiles[0].patch!.split('Stripe("')[1].split('"')[0]}");`,
      "+  const csv = toCsv(rows);",
      "+  res.send(csv);",
      "   return rows;",
      " }",
      " ",
    ].join("\n"),
  },
  riskyFiles[1],
  riskyFiles[2],
];

function target(h: Harness) {
  return { owner: h.fake.owner, repo: h.fake.repo, installationId: 2 };
}

async function closeIssue(h: Harness, issue: any, reason: "completed" | "not_planned", id = `close-${++seq}`): Promise<void> {
  const payload: any = withRepo(examplePayload("issues", "opened"), target(h));
  payload.action = "closed";
  payload.issue = {
    ...payload.issue,
    number: issue.number,
    title: issue.title,
    body: issue.body,
    state: "closed",
    state_reason: reason,
    closed_at: new Date().toISOString(),
  };
  payload.sender = { ...payload.sender, login: "maintainer-mia", type: "User" };
  await h.probot.receive({ id, name: "issues", payload } as any);
}

async function comment(h: Harness, body: string, login: string, opts: { id?: string; type?: string } = {}): Promise<number> {
  const payload: any = withRepo(examplePayload("issue_comment", "created"), target(h));
  const n = h.fake.pull.number;
  payload.issue.number = n;
  payload.issue.pull_request = {
    url: `https://api.github.com/repos/${REPO}/pulls/${n}`,
    html_url: `https://github.com/${REPO}/pull/${n}`,
    diff_url: `https://github.com/${REPO}/pull/${n}.diff`,
    patch_url: `https://github.com/${REPO}/pull/${n}.patch`,
    merged_at: null,
  };
  payload.issue.user = { ...payload.issue.user, login: h.fake.pull.user.login }; // the pull request's author
  const commentId = 900_000 + ++seq;
  payload.comment = { ...payload.comment, id: commentId, body, user: { ...payload.comment.user, login, type: opts.type ?? "User" } };
  payload.sender = { ...payload.sender, login, type: opts.type ?? "User" };
  await h.probot.receive({ id: opts.id ?? `comment-${seq}`, name: "issue_comment", payload } as any);
  return commentId;
}

function replyTo(h: Harness, commentId: number): string {
  const found = h.fake.comments.filter((c) => c.body.includes(`<!-- empathy-bot:reply comment=${commentId} -->`));
  expect(found).toHaveLength(1);
  return found[0].body;
}

async function resolveThread(h: Harness, reviewComment: any, commitId: string): Promise<void> {
  const payload: any = withRepo(examplePayload("pull_request_review_thread", "resolved"), target(h));
  payload.pull_request.number = h.fake.pull.number;
  payload.pull_request.head.sha = h.fake.pull.head.sha;
  payload.thread.comments[0] = {
    ...payload.thread.comments[0],
    body: reviewComment.body,
    path: reviewComment.path,
    line: reviewComment.line,
    commit_id: commitId,
    original_commit_id: commitId,
  };
  await h.probot.receive({ id: `thread-${++seq}`, name: "pull_request_review_thread", payload } as any);
}

async function shown(h: Harness) {
  return h.handles.store.findShownItems(REPO, "", 100);
}

function collect(h: Harness, ...types: string[]): EventEnvelope<any>[] {
  const events: EventEnvelope<any>[] = [];
  for (const t of types) h.handles.bus.on(t, (e) => void events.push(e));
  return events;
}

async function deadJobs(h: Harness): Promise<number> {
  return (await h.handles.store.countJobs()).dead;
}

describe("feedback from GitHub", () => {
  let h: Harness;
  afterEach(async () => {
    expect(h.fake.problems).toEqual([]); // every request the app sent is one GitHub accepts
    expect(await deadJobs(h)).toBe(0); // no job failed, whatever came in
    nock.cleanAll();
  });

  async function reviewed(): Promise<Harness> {
    const fake = new FakeGitHub();
    fake.setFiles(riskyFiles);
    fake.permissions.set("maintainer-mia", "maintain");
    fake.permissions.set("reader-rita", "read");
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    return h;
  }

  describe("prediction issues closed", () => {
    it("completed confirms the prediction: the author's trust and the pattern go up, once", async () => {
      await reviewed();
      const events = collect(h, "trust_increased", "pattern_updated", "prediction_failure");
      const issue = h.fake.issues.find((i) => /email/i.test(i.body));
      const fp = /fingerprint=([0-9a-f]+)/.exec(issue.body)![1];
      const item = (await h.handles.store.getShownItem(REPO, fp))!;
      const kind = item.item.kind as string;
      const before = (await h.handles.store.getPattern(REPO, kind))!;

      await closeIssue(h, issue, "completed", "close-once");
      await closeIssue(h, issue, "completed", "close-once"); // redelivery
      await closeIssue(h, issue, "completed"); // a second delivery of the same close
      await h.drain();

      expect(await h.handles.engine.getTrust("alice", REPO)).toBeCloseTo(INITIAL_TRUST + ACCEPT_DELTA, 6);
      const after = (await h.handles.store.getPattern(REPO, kind))!;
      expect(after.successes).toBe(before.successes + 1);
      expect(after.failures).toBe(before.failures);
      expect(after.confidence).toBeCloseTo(patternConfidence(1, 0), 6);
      expect(events.map((e) => e.event_type)).toEqual(["trust_increased", "pattern_updated"]);
      expect(events[0].data).toMatchObject({ user_id: "alice", old_trust: 0.5, new_trust: 0.55, repo: REPO });
    });

    it("not planned rejects it: prediction_failure, trust and pattern down", async () => {
      await reviewed();
      const events = collect(h, "trust_decreased", "pattern_updated", "prediction_failure");
      const issue = h.fake.issues.find((i) => /email/i.test(i.body));
      const fp = /fingerprint=([0-9a-f]+)/.exec(issue.body)![1];
      const kind = (await h.handles.store.getShownItem(REPO, fp))!.item.kind as string;

      await closeIssue(h, issue, "not_planned");
      await h.drain();

      expect(await h.handles.engine.getTrust("alice", REPO)).toBeCloseTo(INITIAL_TRUST - REJECT_DELTA, 6);
      const pattern = (await h.handles.store.getPattern(REPO, kind))!;
      expect(pattern.failures).toBe(1);
      expect(pattern.confidence).toBeCloseTo(patternConfidence(0, 1), 6);
      expect(events.map((e) => e.event_type).sort()).toEqual(["pattern_updated", "prediction_failure", "trust_decreased"]);
      expect(events.find((e) => e.event_type === "prediction_failure")!.data).toMatchObject({
        prediction_id: `pred-${fp.slice(0, 12)}`,
        user_id: "alice",
        repo: REPO,
      });
    });

    it("ignores issues without the marker, with a copied marker, or closed for another reason", async () => {
      await reviewed();
      const issue = h.fake.issues.find((i) => /email/i.test(i.body));
      await closeIssue(h, { ...issue, number: 999 }, "completed"); // the marker copied into another issue
      await closeIssue(h, { ...issue, body: "no marker here" }, "completed");
      const payload: any = withRepo(examplePayload("issues", "opened"), target(h));
      payload.action = "closed";
      payload.issue = { ...payload.issue, number: issue.number, body: issue.body, state: "closed", state_reason: null };
      await h.probot.receive({ id: `close-${++seq}`, name: "issues", payload } as any);
      await h.drain();
      expect(await h.handles.engine.getTrust("alice", REPO)).toBe(INITIAL_TRUST);
    });
  });

  it("a flagged line changed by a later push: the finding was accepted, once", async () => {
    await reviewed();
    const sql = (await shown(h)).find((s) => /sql/i.test(String(s.item.rule ?? "")))!;
    expect(sql).toBeDefined();
    const rule = sql.item.rule as string;
    expect(h.fake.reviewComments.some((c) => c.body.includes(sql.fingerprint))).toBe(true);

    h.fake.pull.head.sha = "c".repeat(40);
    h.fake.setFiles(fixedSqlFiles);
    await h.deliver("synchronize");
    await h.drain();
    expect(await h.handles.engine.getTrust("alice", REPO)).toBeCloseTo(INITIAL_TRUST + ACCEPT_DELTA, 6);
    const pattern = (await h.handles.store.getPattern(REPO, rule))!;
    expect([pattern.successes, pattern.failures]).toEqual([1, 0]);

    h.fake.pull.head.sha = "d".repeat(40);
    await h.deliver("synchronize");
    await h.drain();
    expect(await h.handles.engine.getTrust("alice", REPO)).toBeCloseTo(INITIAL_TRUST + ACCEPT_DELTA, 6);
    expect((await h.handles.store.getPattern(REPO, rule))!.successes).toBe(1);
  });

  it("a resolved review thread on a finding, with the code changed since: accepted; without a change: nothing", async () => {
    await reviewed();
    const first = h.fake.reviewComments[0];
    const fp = /fingerprint=([0-9a-f]+)/.exec(first.body)![1];
    await resolveThread(h, first, h.fake.pull.head.sha); // resolved on the same commit: no evidence of a fix
    await h.drain();
    expect(await h.handles.engine.getTrust("alice", REPO)).toBe(INITIAL_TRUST);

    // A push that leaves the flagged code as it was (reviewed: the finding is still there): nothing.
    h.fake.pull.head.sha = "d".repeat(40);
    await h.deliver("synchronize");
    await h.drain();
    await resolveThread(h, first, "a".repeat(40));
    await h.drain();
    expect(await h.handles.engine.getTrust("alice", REPO)).toBe(INITIAL_TRUST);

    h.fake.pull.head.sha = "e".repeat(40); // pushed since (the push's own review is not run here)
    await resolveThread(h, first, "a".repeat(40));
    await h.drain();
    expect(await h.handles.engine.getTrust("alice", REPO)).toBeCloseTo(INITIAL_TRUST + ACCEPT_DELTA, 6);
    const key = (await h.handles.store.getShownItem(REPO, fp))!.item;
    const pattern = (await h.handles.store.getPattern(REPO, (key.rule ?? key.kind) as string))!;
    expect(pattern.successes).toBe(1);
  });

  describe("/empathy commands in pull request comments", () => {
    it("dismiss by a maintainer: trust and pattern down, fingerprint suppressed in later reviews", async () => {
      await reviewed();
      const sql = (await shown(h)).find((s) => /sql/i.test(String(s.item.rule ?? "")))!;
      const id = sql.fingerprint.slice(0, 8);
      expect(h.fake.reviewComments.find((c) => c.body.includes(sql.fingerprint)).body).toContain(`id \`${id}\``);
      const events = collect(h, "trust_decreased", "pattern_updated");

      const cid = await comment(h, `/empathy dismiss ${id}\nthis is a constant, not user input`, "maintainer-mia");
      await h.drain();
      expect(replyTo(h, cid)).toMatch(/^Dismissed `[0-9a-f]{8}` \(.*\) as a false positive, thanks @maintainer-mia/);
      expect(await h.handles.engine.getTrust("alice", REPO)).toBeCloseTo(INITIAL_TRUST - REJECT_DELTA, 6);
      const pattern = (await h.handles.store.getPattern(REPO, sql.item.rule as string))!;
      expect([pattern.successes, pattern.failures, pattern.confidence]).toEqual([0, 1, patternConfidence(0, 1)]);
      expect(events.map((e) => e.event_type).sort()).toEqual(["pattern_updated", "trust_decreased"]);
      expect(await h.handles.store.listSuppressed(REPO)).toEqual([sql.fingerprint]);

      // The next push still has the line: it is neither commented nor listed again.
      const inlineBefore = h.fake.reviewComments.length;
      h.fake.pull.head.sha = "f".repeat(40);
      await h.deliver("synchronize");
      await h.drain();
      expect(h.fake.reviewComments.slice(inlineBefore).some((c) => c.body.includes(sql.fingerprint))).toBe(false);
      const summary = h.fake.comments.find((c) => c.body.includes("<!-- empathy-bot:summary -->")).body;
      expect(summary).not.toContain(id);
      // The dismissal is the finding's one outcome: it disappearing later is not an acceptance.
      expect(await h.handles.engine.getTrust("alice", REPO)).toBeCloseTo(INITIAL_TRUST - REJECT_DELTA, 6);
    });

    it("refuses dismissal politely to the author without write access; others without it get nothing at all", async () => {
      await reviewed();
      const id = (await shown(h))[0].fingerprint.slice(0, 10);
      const author = await comment(h, `/empathy dismiss ${id}`, "alice");
      const reader = await comment(h, `/empathy dismiss ${id}`, "reader-rita");
      const stranger = await comment(h, `/empathy dismiss ${id}`, "passer-by");
      const writes = h.fake.writes().length;
      await h.drain();
      expect(replyTo(h, author)).toMatch(/^Sorry @alice, only people with write access/);
      expect(h.fake.comments.filter((c) => c.body.includes(replyMarker(reader)) || c.body.includes(replyMarker(stranger)))).toEqual([]);
      expect(h.fake.writes().length).toBe(writes + 1); // the author's reply only
      expect(await h.handles.engine.getTrust("alice", REPO)).toBe(INITIAL_TRUST);
      expect(await h.handles.store.listSuppressed(REPO)).toEqual([]);
      expect(h.fake.find("GET", /\/collaborators\/reader-rita\/permission$/)).toHaveLength(1);
      expect(h.logs.filter((l) => l.includes("command ignored"))).toHaveLength(2);
    });

    it("from anyone but the author and writers, explain, review and config do nothing; help answers anyone once an hour", async () => {
      await reviewed();
      const id = (await shown(h))[0].fingerprint.slice(0, 10);
      const jobsBefore = (await h.handles.store.countJobs()).done;
      const writes = h.fake.writes().length;
      for (const body of [`/empathy explain ${id}`, "/empathy review", "/empathy config"]) {
        await comment(h, body, "passer-by");
        await comment(h, body, "reader-rita");
      }
      await h.drain();
      expect(h.fake.writes().length).toBe(writes);
      expect((await h.handles.store.countJobs()).done).toBe(jobsBefore + 6); // six command jobs, no review job
      // Help: once per person and pull request within the hour.
      const first = await comment(h, "/empathy help", "passer-by");
      const second = await comment(h, "/empathy what", "passer-by");
      const other = await comment(h, "/empathy help", "reader-rita");
      await h.drain();
      expect(replyTo(h, first)).toMatch(/^Empathy understands these commands/);
      expect(h.fake.comments.some((c) => c.body.includes(replyMarker(second)))).toBe(false);
      expect(replyTo(h, other)).toMatch(/^Empathy understands these commands/);
    });

    it("explain answers what, why and how to fix", async () => {
      await reviewed();
      const sql = (await shown(h)).find((s) => /sql/i.test(String(s.item.rule ?? "")))!;
      const cid = await comment(h, `/empathy explain \`${sql.fingerprint}\``, "alice");
      await h.drain();
      const reply = replyTo(h, cid);
      expect(reply).toContain(`**Finding \`${sql.fingerprint.slice(0, 8)}\`** at \`src/orders/export.js:11\``);
      expect(reply).toContain(`**What:** ${sql.item.message}`);
      expect(reply).toContain(`rule \`${sql.item.rule}\``);
      expect(reply).toContain(`**How to fix:** ${sql.item.recommendation}`);
    });

    it("review runs a fresh review of the head even though this commit was reviewed", async () => {
      await reviewed();
      const filesReads = h.fake.find("GET", /\/pulls\/7\/files$/).length;
      const cid = await comment(h, "/empathy review", "alice");
      await h.drain();
      expect(replyTo(h, cid)).toMatch(/^Reviewing commit `aaaaaaa` again now/);
      expect(h.fake.find("GET", /\/pulls\/7\/files$/).length).toBe(filesReads + 1);
      expect(h.fake.reviews).toHaveLength(1); // nothing new to comment inline: no second review
      expect(h.fake.find("PATCH", /\/issues\/comments\/\d+$/)).toHaveLength(1); // the summary was refreshed
    });

    it("config shows the effective config and its problems", async () => {
      const fake = new FakeGitHub();
      fake.setFiles(riskyFiles);
      fake.configYaml = "review:\n  max_inline_comments: lots\nunknown_key: 1\n";
      h = await createHarness({ fake });
      const cid = await comment(h, "/empathy config", "alice");
      await h.drain();
      const reply = replyTo(h, cid);
      expect(reply).toContain('"max_inline_comments": 20');
      expect(reply).toMatch(/`review\.max_inline_comments`/);
      expect(reply).toMatch(/`unknown_key`: unknown key/);
    });

    it("bad input: unknown words get the help text, unknown or malformed ids say so, nothing fails", async () => {
      await reviewed();
      const unknown = await comment(h, "/empathy frobnicate now", "passer-by");
      const bare = await comment(h, "/empathy", "alice");
      const missing = await comment(h, "/empathy explain deadbeef0000", "alice");
      const malformed = await comment(h, "/empathy dismiss <script>", "maintainer-mia");
      const empty = await comment(h, "/empathy explain", "alice");
      const short = await comment(h, "/empathy explain abc", "alice");
      await comment(h, "thanks! /empathy help", "passer-by"); // not at the start: not a command
      await h.drain();
      expect(replyTo(h, unknown)).toMatch(/^I don't know the command `frobnicate`\. Empathy understands/);
      expect(replyTo(h, unknown)).toContain("/empathy dismiss <finding id>");
      expect(replyTo(h, bare)).toMatch(/^Empathy understands these commands/);
      expect(replyTo(h, missing)).toBe(
        "@alice no finding with id `deadbeef0000` exists in this repository.\n\n<!-- empathy-bot:reply comment=" + missing + " -->",
      );
      expect(replyTo(h, malformed)).toMatch(/is not a finding id/);
      expect(replyTo(h, empty)).toMatch(/please give the id of a finding/);
      expect(replyTo(h, short)).toMatch(/is not a finding id/);
      expect(h.fake.comments.filter((c) => c.body.includes("empathy-bot:reply"))).toHaveLength(6);
      expect(await h.handles.engine.getTrust("alice", REPO)).toBe(INITIAL_TRUST);
    });

    it("ignores the app's own comments and comments on plain issues; answers a redelivery once", async () => {
      await reviewed();
      const jobs = (await h.handles.store.countJobs()).done;
      await comment(h, "/empathy help", `${h.fake.appSlug}[bot]`, { type: "Bot" });
      const payload: any = withRepo(examplePayload("issue_comment", "created"), target(h));
      payload.comment.body = "/empathy help";
      await h.probot.receive({ id: `plain-${++seq}`, name: "issue_comment", payload } as any);
      expect((await h.handles.store.countJobs()).queued).toBe(0);
      const cid = await comment(h, "/empathy help", "passer-by", { id: "same" });
      await comment(h, "/empathy help", "passer-by", { id: "same" });
      await h.drain();
      expect((await h.handles.store.countJobs()).done).toBe(jobs + 1);
      replyTo(h, cid);
    });

    it("a job with a broken payload does not fail", async () => {
      await reviewed();
      await h.handles.queue.enqueue({ type: "pr_comment_command", payload: { body: 42 } });
      await h.handles.queue.enqueue({
        type: "feedback_issue_closed",
        payload: { owner: "octo-org", repo: "shop", issueNumber: 1, body: null },
      });
      await h.handles.queue.enqueue({ type: "feedback_thread_resolved", payload: { owner: "octo-org", repo: "shop", commentBody: null } });
      await h.drain();
      // Handled as "nothing to do", not retried or dead-lettered: the worker goes on.
      expect(await h.handles.store.countJobs()).toMatchObject({ queued: 0, running: 0, dead: 0 });
    });
  });

  it("rule of three: a pattern found in three pull requests gets one systemic-fix issue and level_5_transformation", async () => {
    const fake = new FakeGitHub();
    fake.setFiles(riskyFiles);
    h = await createHarness({ fake });
    const level5 = collect(h, "level_5_transformation");
    const openPr = async (n: number) => {
      fake.pull.number = n;
      fake.pull.html_url = `https://github.com/${REPO}/pull/${n}`;
      fake.pull.head.sha = n.toString(16).padStart(40, "0");
      fake.comments = [];
      fake.reviews = [];
      await h.deliver("opened");
      await h.drain();
    };
    await openPr(7);
    await openPr(8);
    expect(level5).toHaveLength(0);
    const systemic = () => fake.issues.filter((i) => i.body.includes("<!-- empathy-bot:transformation "));
    expect(systemic()).toHaveLength(0);
    await openPr(9);
    expect(level5.length).toBeGreaterThan(0);
    const patterns = level5.map((e) => e.data.pattern_name);
    expect(systemic()).toHaveLength(patterns.length);
    expect(new Set(systemic().map((i) => i.title)).size).toBe(patterns.length);
    const issue = systemic()[0];
    expect(issue.title).toMatch(/^Systemic fix: `.+` keeps coming back \(3 pull requests\)$/);
    expect(issue.body).toContain("[#7](https://github.com/octo-org/shop/pull/7), [#8]");
    expect(issue.labels.map((l: any) => l.name)).toEqual(["empathy: systemic-fix"]);
    for (const p of patterns) expect(await h.handles.store.getTransformationIssue(REPO, p)).toBeGreaterThan(0);
    // Opened with the policy the review stored (in the store, not in this process's memory).
    expect(await h.handles.store.getIssuePolicy(REPO)).toEqual({ enabled: true, installationId: 2 });

    await openPr(10);
    expect(systemic()).toHaveLength(patterns.length); // once per pattern
    expect(level5).toHaveLength(patterns.length);
  });

  describe("trust circuit breaker", () => {
    it(`${BREAKER_REJECTIONS} rejections within a day: no issues, at most 5 inline comments, no predictions, said in the summary`, async () => {
      const fake = new FakeGitHub();
      fake.setFiles(riskyFiles);
      fake.permissions.set("maintainer-mia", "admin");
      h = await createHarness({ fake });
      // Rejections recorded earlier in this repository (e.g. dismissals on other pull requests).
      for (let i = 0; i < BREAKER_REJECTIONS - 1; i++) {
        const at = Date.now() - 3600_000;
        await h.handles.store.saveFeedback({
          repo: REPO,
          key: `finding:1:${i}`,
          outcome: "rejected",
          userId: "bob",
          createdAt: at,
          trust: newTrustRecord("bob", REPO),
          events: [],
        });
      }
      await h.deliver("opened");
      await h.drain();
      const issuesBefore = fake.issues.length;
      expect(issuesBefore).toBeGreaterThan(0); // not yet open: predictions and issues as usual
      const items = await shown(h);
      const secret = items.find((s) => !/sql/i.test(String(s.item.rule ?? "")) && !("prediction" in s.item))!;
      const cid = await comment(h, `/empathy dismiss ${secret.fingerprint.slice(0, 8)}`, "maintainer-mia");
      await h.drain();
      expect(replyTo(h, cid)).toContain("Empathy is in cautious mode in this repository");

      // A new pull request in the same repository, with a new prediction.
      fake.pull.number = 8;
      fake.pull.html_url = `https://github.com/${REPO}/pull/8`;
      fake.pull.head.sha = "9".repeat(40);
      fake.comments = [];
      fake.reviews = [];
      fake.setFiles([
        ...riskyFiles,
        {
          filename: "db/migrations/20261128_drop_phone.sql",
          status: "added",
          additions: 1,
          deletions: 0,
          patch: "@@ -0,0 +1 @@\n+ALTER TABLE users DROP COLUMN phone;",
        },
      ]);
      await h.deliver("opened");
      await h.drain();
      const summary = fake.comments.find((c) => c.body.includes("<!-- empathy-bot:summary -->")).body as string;
      expect(summary).toContain("Empathy is in cautious mode in this repository");
      expect(summary).toMatch(/\*\*Level [1-3] · /);
      expect(summary).not.toMatch(/### Predictions/);
      expect(fake.issues).toHaveLength(issuesBefore);
      // The stored result says so too, and the repository's stored issue policy is off.
      expect((await h.handles.store.getReviewResult(REPO, 8))!.notice).toContain("Empathy is in cautious mode in this repository");
      expect(await h.handles.store.getIssuePolicy(REPO)).toEqual({ enabled: false, installationId: 2 });
      expect(fake.reviewComments.filter((c) => c.commit_id === "9".repeat(40)).length).toBeLessThanOrEqual(5);
    });
  });
});
