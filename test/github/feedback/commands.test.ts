/** `/empathy` commands: parsing, the help and explain texts, and the per-pull-request limit on forced reviews. */
import nock from "nock";
import {
  COMMAND_JOB,
  Commands,
  explain,
  forcedReviewRefusal,
  helpText,
  parseCommand,
  replyMarker,
  type CommandJob,
} from "../../../src/github/feedback/commands.js";
import { Feedback } from "../../../src/github/feedback/feedback.js";
import { REVIEW_JOB, type ReviewJobPayload } from "../../../src/github/review/reviewJob.js";
import type { JobStatus } from "../../../src/store/store.js";
import { FakeGitHub } from "../../helpers/fakeGitHub.js";
import { examplePayload, withRepo } from "../../helpers/webhookExamples.js";
import { riskyFiles } from "../fixtures.js";
import { createHarness, type Harness } from "../harness.js";

const MIN = 60_000;

describe("parsing /empathy commands", () => {
  it("reads the command on the first line", () => {
    expect(parseCommand("/empathy dismiss abcdef12\nbecause it is a constant")).toEqual({ name: "dismiss", arg: "abcdef12" });
    expect(parseCommand("  /EMPATHY Explain `abcdef12`  ")).toEqual({ name: "explain", arg: "`abcdef12`" });
    expect(parseCommand("/empathy review")).toEqual({ name: "review", arg: "" });
    expect(parseCommand("/empathy")).toEqual({ name: "help", arg: "" });
  });

  it("unknown words become help; non-commands and non-strings are null", () => {
    expect(parseCommand("/empathy please-fix")).toEqual({ name: "help", arg: "", unknown: "please-fix" });
    expect(parseCommand("/empathyx help")).toBeNull();
    expect(parseCommand("LGTM /empathy review")).toBeNull();
    expect(parseCommand(undefined)).toBeNull();
    expect(parseCommand(42)).toBeNull();
  });

  it("help never echoes markup from the unknown word", () => {
    expect(helpText("`rm -rf`\n@all")).toMatch(/^I don't know the command `rm -rf@all`/);
  });

  it("help states the forced-review limit", () => {
    expect(helpText()).toContain(
      "- `/empathy review`: review the latest commit again now (at most once every 5 minutes per pull request).",
    );
    expect(helpText(undefined, 0)).toContain("- `/empathy review`: review the latest commit again now.");
  });

  it("a refused forced review says when the last one was and when the next can run, never too early", () => {
    const t = Date.UTC(2025, 0, 1, 21, 40);
    expect(forcedReviewRefusal(t, t + 5 * MIN, t + 2 * MIN + 10_000)).toBe(
      "A review of this pull request was already forced 2 minutes ago; `/empathy review` can run again in 3 minutes (at 21:45 UTC).",
    );
    expect(forcedReviewRefusal(t, t + 5 * MIN, t + 200)).toMatch(/forced just now; .* again in 5 minutes \(at 21:45 UTC\)\.$/);
    expect(forcedReviewRefusal(t, t + 5 * MIN, t + 5 * MIN - 20_500)).toMatch(
      /forced 4 minutes ago; .* again in 21 seconds \(at 21:45:00 UTC\)\.$/,
    );
    expect(forcedReviewRefusal(t, t + 5 * MIN, t + 1_000)).toMatch(/forced 1 second ago; .* again in 5 minutes \(at 21:45 UTC\)\.$/);
    // A long interval crossing midnight (UTC): hours, and the date.
    expect(forcedReviewRefusal(t, t + 3 * 60 * MIN, t + 30 * MIN)).toMatch(
      /forced 30 minutes ago; .* again in 2 hours 30 minutes \(at 2025-01-02 00:40 UTC\)\.$/,
    );
    expect(forcedReviewRefusal(t, t + 2 * 60 * MIN, t)).toMatch(/again in 2 hours \(at 23:40 UTC\)\.$/);
  });

  it("explains a prediction with its impact", () => {
    const text = explain("0123456789abcdef", {
      id: "pred-0123",
      kind: "migration-drop-column",
      prediction: "The app breaks.",
      severity: "high",
      impact: "Mobile users.",
      recommendation: "Deprecate first.",
      path: "db/m.sql",
      line: 2,
      confidence: 0.8,
    });
    expect(text).toContain("**What:** The app breaks.");
    expect(text).toContain("**Why it matters:** A high prediction (migration-drop-column, confidence 80%). Mobile users.");
    expect(text).toContain("**How to fix:** Deprecate first.");
  });
});

/**
 * `/empathy review` through Probot, the job queue and the fake GitHub: at most one forced review
 * per pull request per interval, answered in the command's reply when refused.
 */
describe("/empathy review is bounded per pull request", () => {
  let h: Harness;
  let seq = 0;
  afterEach(async () => {
    expect(h.fake.problems).toEqual([]); // every request the app sent is one GitHub accepts
    expect((await h.handles.store.countJobs()).dead).toBe(0);
    nock.cleanAll();
  });

  async function reviewed(): Promise<Harness> {
    const fake = new FakeGitHub();
    fake.setFiles(riskyFiles);
    fake.permissions.set("mallory", "write"); // a collaborator; "alice" is the pull request's author
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    return h;
  }

  /** A pull request comment as GitHub delivers it; `commentId` delivers an existing comment again. */
  async function comment(body: string, login: string, opts: { pull?: number; id?: string; commentId?: number } = {}): Promise<number> {
    const payload: any = withRepo(examplePayload("issue_comment", "created"), {
      owner: h.fake.owner,
      repo: h.fake.repo,
      installationId: 2,
    });
    const n = opts.pull ?? h.fake.pull.number;
    const repo = `${h.fake.owner}/${h.fake.repo}`;
    payload.issue.number = n;
    payload.issue.pull_request = {
      url: `https://api.github.com/repos/${repo}/pulls/${n}`,
      html_url: `https://github.com/${repo}/pull/${n}`,
      diff_url: `https://github.com/${repo}/pull/${n}.diff`,
      patch_url: `https://github.com/${repo}/pull/${n}.patch`,
      merged_at: null,
    };
    payload.issue.user = { ...payload.issue.user, login: h.fake.pull.user.login }; // the pull request's author
    const commentId = opts.commentId ?? 950_000 + ++seq;
    payload.comment = { ...payload.comment, id: commentId, body, user: { ...payload.comment.user, login, type: "User" } };
    payload.sender = { ...payload.sender, login, type: "User" };
    await h.probot.receive({ id: opts.id ?? `forced-${++seq}`, name: "issue_comment", payload } as any);
    return commentId;
  }

  /** The app's replies to a command comment (without the marker). */
  function replies(commentId: number, pull = h.fake.pull.number): string[] {
    const comments: any[] = pull === h.fake.pull.number ? h.fake.comments : (h.fake.issueComments.get(pull) ?? []);
    const marker = replyMarker(commentId);
    return comments.filter((c) => c.body.includes(marker)).map((c) => c.body.replace(`\n\n${marker}`, ""));
  }

  /** Review jobs queued by commands, whatever became of them. */
  async function forcedReviews(): Promise<ReviewJobPayload[]> {
    const jobs = [];
    for (const status of ["queued", "running", "done", "dead"] as JobStatus[]) jobs.push(...(await h.handles.store.listJobs(status, 1000)));
    return jobs
      .filter((j) => j.type === REVIEW_JOB && (j.payload as ReviewJobPayload).action === "command")
      .map((j) => j.payload as ReviewJobPayload);
  }

  /** Runs commands with this clock and interval instead of the app's (Date.now, the default). */
  function useCommands(options: { now: () => number; forcedReviewIntervalMs?: number }): void {
    const auth = (installationId: number) => h.probot.auth(installationId);
    const { store, engine, queue } = h.handles;
    const feedback = new Feedback({ store, engine, auth, log: h.probot.log });
    const commands = new Commands({ store, feedback, queue, auth, log: h.probot.log, ...options });
    queue.register(COMMAND_JOB, async (payload: CommandJob) => void (await commands.run(payload)));
  }

  it("as the app is wired (5 minutes): a second review right after the first is refused, with when it can run again, and queues nothing", async () => {
    await reviewed();
    const filesReads = h.fake.find("GET", /\/pulls\/7\/files$/).length;
    const first = await comment("/empathy review", "alice");
    await h.drain();
    const second = await comment("/empathy review", "mallory");
    await h.drain();
    expect(replies(first)).toEqual([expect.stringMatching(/^Reviewing commit `aaaaaaa` again now/)]);
    expect(replies(second)).toEqual([
      expect.stringMatching(
        /^A review of this pull request was already forced (just now|\d+ seconds? ago); `\/empathy review` can run again in 5 minutes \(at (\d{4}-\d\d-\d\d )?\d\d:\d\d UTC\)\.$/,
      ),
    ]);
    expect(await forcedReviews()).toHaveLength(1);
    expect(h.fake.find("GET", /\/pulls\/7\/files$/).length).toBe(filesReads + 1); // one analysis, not two
    expect(h.logs.some((l) => l.includes("forced review refused"))).toBe(true);
  });

  it("within the interval every other command is refused; from its end a review runs again", async () => {
    await reviewed();
    const t = Date.UTC(2025, 0, 1, 21, 40);
    let now = t;
    useCommands({ now: () => now, forcedReviewIntervalMs: 5 * MIN });
    const filesReads = h.fake.find("GET", /\/pulls\/7\/files$/).length;

    const first = await comment("/empathy review", "alice");
    await h.drain();
    expect(replies(first)).toEqual([expect.stringMatching(/^Reviewing commit `aaaaaaa` again now/)]);

    now = t + 2 * MIN + 10_000;
    const second = await comment("/empathy review", "mallory");
    await h.drain();
    expect(replies(second)).toEqual([
      "A review of this pull request was already forced 2 minutes ago; `/empathy review` can run again in 3 minutes (at 21:45 UTC).",
    ]);

    now = t + 5 * MIN - 1_000;
    const third = await comment("/empathy review", "mallory");
    await h.drain();
    expect(replies(third)).toEqual([
      "A review of this pull request was already forced 4 minutes ago; `/empathy review` can run again in 1 second (at 21:45:00 UTC).",
    ]);
    expect(await forcedReviews()).toHaveLength(1);

    now = t + 5 * MIN;
    const fourth = await comment("/empathy review", "mallory");
    await h.drain();
    expect(replies(fourth)).toEqual([expect.stringMatching(/^Reviewing commit `aaaaaaa` again now, as @mallory asked/)]);
    expect(await forcedReviews()).toHaveLength(2);
    expect(h.fake.find("GET", /\/pulls\/7\/files$/).length).toBe(filesReads + 2);

    // The window starts again from the review that ran.
    now = t + 6 * MIN;
    const fifth = await comment("/empathy review", "alice");
    await h.drain();
    expect(replies(fifth)).toEqual([
      "A review of this pull request was already forced 1 minute ago; `/empathy review` can run again in 4 minutes (at 21:50 UTC).",
    ]);
    expect(await forcedReviews()).toHaveLength(2);
  });

  it("a command retried after its reply failed is not refused by its own claim", async () => {
    await reviewed();
    h.fake.faults.push({ method: "POST", path: /\/issues\/7\/comments$/, status: 502 }); // the reply, after the slot was taken
    const cid = await comment("/empathy review", "alice");
    await h.drain();
    expect(replies(cid)).toEqual([expect.stringMatching(/^Reviewing commit `aaaaaaa` again now/)]);
    const commandJobs = (await h.handles.store.listJobs("done", 1000)).filter((j) => j.type === COMMAND_JOB);
    expect(commandJobs.map((j) => j.attempts)).toEqual([2]); // it was retried
    expect(await forcedReviews()).toHaveLength(1);
    expect(h.logs.some((l) => l.includes("forced review refused"))).toBe(false);
  });

  it("the same comment delivered again (another delivery id) before it was answered is not refused and is one review", async () => {
    await reviewed();
    // Both deliveries take the slot before either reply gets through, whichever runs first.
    h.fake.faults.push({ method: "POST", path: /\/issues\/7\/comments$/, status: 502, times: 2 });
    const cid = await comment("/empathy review", "alice", { id: "first-delivery" });
    await comment("/empathy review", "alice", { id: "second-delivery", commentId: cid });
    await h.drain();
    expect(replies(cid)).toEqual([expect.stringMatching(/^Reviewing commit `aaaaaaa` again now/)]);
    expect(await forcedReviews()).toHaveLength(1);
    expect(h.logs.some((l) => l.includes("forced review refused"))).toBe(false);
  });

  it("two pull requests do not share a slot", async () => {
    await reviewed();
    h.fake.otherPulls.push({
      ...h.fake.pull,
      number: 8,
      head: { sha: "c".repeat(40), ref: "other" },
      html_url: "https://github.com/octo-org/shop/pull/8",
      labels: [],
    });
    // The fake serves one pull request's files: the reviews are recorded here instead of run.
    const ran: ReviewJobPayload[] = [];
    h.handles.queue.register(REVIEW_JOB, async (payload: ReviewJobPayload) => void ran.push(payload));
    const on7 = await comment("/empathy review", "alice", { pull: 7 });
    const on8 = await comment("/empathy review", "alice", { pull: 8 });
    await h.drain();
    const again8 = await comment("/empathy review", "alice", { pull: 8 });
    await h.drain();
    expect(replies(on7, 7)).toEqual([expect.stringMatching(/^Reviewing commit `aaaaaaa` again now/)]);
    expect(replies(on8, 8)).toEqual([expect.stringMatching(/^Reviewing commit `ccccccc` again now/)]);
    expect(replies(again8, 8)).toEqual([expect.stringMatching(/^A review of this pull request was already forced/)]);
    expect(ran.map((p) => [p.pullNumber, p.headSha.slice(0, 1), p.force])).toEqual([
      [7, "a", true],
      [8, "c", true],
    ]);
  });
});
