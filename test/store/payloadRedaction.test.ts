/**
 * Job payloads hold what their job needs, redacted: a secret typed in a `/empathy` comment or
 * pasted into a prediction issue never reaches the database file (its bytes are searched after a
 * run through Probot, the queue and the fake GitHub).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { redactSecrets } from "../../src/analysis/secrets.js";
import { COMMAND_JOB, parseCommand, type CommandJob } from "../../src/github/feedback/commands.js";
import { ISSUE_CLOSED_JOB, type IssueClosedJob } from "../../src/github/feedback/feedback.js";
import { commandLine, issueFacts } from "../../src/github/feedback/feedbackEvents.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { FakeGitHub } from "../helpers/fakeGitHub.js";
import { examplePayload, withRepo } from "../helpers/webhookExamples.js";
import { createHarness, type Harness } from "../github/harness.js";
import { riskyFiles } from "../github/fixtures.js";

// GitHub classic tokens (the prefix and 36 characters), made up.
const IN_BODY = "ghp_Zq8Lr2Vx7Tm4Kp9Wn3Hd6Jc1Fb5Gs0Ya2Uez";
const AS_ARG = "ghp_Mx4Nc7Bv2Qw9Er5Ty1Ui8Op3As6Df0Gh7Jkq";
const AS_WORD = "ghp_Pl0Ok9Ij8Uh7Yg6Tf5Rd4Es3Wa2Qz1Xc5Vbw";
const IN_ISSUE = "ghp_Lk3Jh5Gf7Ds9Aq2We4Rt6Yu8Io1Pz3Xc5Vnm";
const SECRETS = [IN_BODY, AS_ARG, AS_WORD, IN_ISSUE];

describe("job payloads", () => {
  it("the secrets of this test are ones the redactor knows", () => {
    for (const s of SECRETS) expect(redactSecrets(s)).toBe("[REDACTED:github-token]");
  });

  it("a command job keeps the command line only, redacted and bounded, parsing to the same command", () => {
    expect(commandLine(`/empathy help\nmy token is ${IN_BODY}`)).toBe("/empathy help");
    expect(commandLine(`  /empathy Explain  ${AS_ARG}  \nmore`)).toBe("/empathy explain [REDACTED:github-token]");
    expect(commandLine(`/empathy ${AS_WORD} please`)).toBe("/empathy [REDACTED:github-token]");
    expect(commandLine("/empathy")).toBe("/empathy help");
    expect(commandLine("/empathy dismiss 0123abcd")).toBe("/empathy dismiss 0123abcd");
    expect(commandLine("not a command")).toBeNull();
    expect(commandLine(`/empathy explain ${"x".repeat(5000)}`)!.length).toBe(200);
    for (const body of ["/empathy review", "/empathy dismiss 0123abcd because", "/empathy config\nx", "/empathy nonsense"]) {
      expect(parseCommand(commandLine(body))).toEqual(parseCommand(body));
    }
  });

  it("an issue-closed job keeps the prediction marker and the legacy facts only", () => {
    const body = [
      "Edited by someone: " + IN_ISSUE,
      "Prediction `pred-0a1b2c` in pull request #7 may fail.",
      "<!-- empathy-bot:prediction fingerprint=0123456789abcdef -->",
    ].join("\n");
    expect(issueFacts(body)).toBe(
      ["<!-- empathy-bot:prediction fingerprint=0123456789abcdef -->", "Prediction `pred-0a1b2c`", "in pull request #7"].join("\n"),
    );
    expect(issueFacts("nothing")).toBe("");
  });

  describe("end to end", () => {
    let dir: string;
    let h: Harness;
    let seq = 0;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), "empathy-redaction-"));
    });
    afterEach(() => {
      nock.cleanAll();
      rmSync(dir, { recursive: true, force: true });
    });

    const target = () => ({ owner: h.fake.owner, repo: h.fake.repo, installationId: 2 });

    async function comment(body: string, login: string): Promise<void> {
      const payload: any = withRepo(examplePayload("issue_comment", "created"), target());
      const n = h.fake.pull.number;
      payload.issue.number = n;
      payload.issue.pull_request = {
        url: `https://api.github.com/repos/${h.fake.owner}/${h.fake.repo}/pulls/${n}`,
        html_url: `https://github.com/${h.fake.owner}/${h.fake.repo}/pull/${n}`,
        merged_at: null,
      };
      payload.issue.user = { ...payload.issue.user, login: h.fake.pull.user.login };
      payload.comment = { ...payload.comment, id: 700_000 + ++seq, body, user: { ...payload.comment.user, login, type: "User" } };
      payload.sender = { ...payload.sender, login, type: "User" };
      await h.probot.receive({ id: `redaction-comment-${seq}`, name: "issue_comment", payload } as any);
    }

    async function closeIssue(issue: any, body: string): Promise<void> {
      const payload: any = withRepo(examplePayload("issues", "opened"), target());
      payload.action = "closed";
      payload.issue = {
        ...payload.issue,
        number: issue.number,
        title: issue.title,
        body,
        state: "closed",
        state_reason: "completed",
        closed_at: new Date().toISOString(),
      };
      payload.sender = { ...payload.sender, login: "maintainer-mia", type: "User" };
      await h.probot.receive({ id: `redaction-close-${++seq}`, name: "issues", payload } as any);
    }

    it("no secret from a command comment or an edited issue reaches the database file, and the jobs still work", async () => {
      const path = join(dir, "empathy.sqlite");
      const store = new SqliteStore(path);
      const fake = new FakeGitHub();
      fake.setFiles(riskyFiles);
      fake.permissions.set("maintainer-mia", "maintain");
      h = await createHarness({ fake, store });
      await h.deliver("opened");
      await h.drain();
      const author = h.fake.pull.user.login;

      await comment(`/empathy help\nmy CI token, for the record: ${IN_BODY}`, author);
      await comment(`/empathy explain ${AS_ARG}`, author);
      await comment(`/empathy ${AS_WORD}`, author);
      const issue = h.fake.issues.find((i) => i.body.includes("<!-- empathy-bot:prediction "));
      expect(issue).toBeDefined();
      await closeIssue(issue, `${issue.body}\n\nFixed by rotating ${IN_ISSUE}`);
      await h.drain();

      const jobs = (await store.listJobs("done", 1000)).filter((j) => j.type === COMMAND_JOB).map((j) => (j.payload as CommandJob).body);
      expect(jobs).toEqual(["/empathy help", "/empathy explain [REDACTED:github-token]", "/empathy [REDACTED:github-token]"]);
      // The commands were answered from the stored line (the unknown word is help again, at most once an hour).
      const replies = h.fake.comments.filter((c) => c.body.includes("<!-- empathy-bot:reply comment=")).map((c) => c.body);
      expect(replies).toEqual([
        expect.stringContaining("Empathy understands these commands"),
        expect.stringContaining("is not a finding id"),
      ]);
      const [closed] = (await store.listJobs("done", 1000))
        .filter((j) => j.type === ISSUE_CLOSED_JOB)
        .map((j) => j.payload as IssueClosedJob);
      expect(closed.body).toMatch(/^<!-- empathy-bot:prediction fingerprint=[0-9a-f]+ -->/);
      expect(closed.body).not.toContain("ghp_");
      // ...and the feedback it carries was counted.
      expect(await store.listFeedback(`${h.fake.owner}/${h.fake.repo}`, 0)).toEqual([
        expect.objectContaining({ key: `issue:${issue.number}`, outcome: "accepted" }),
      ]);
      expect((await store.countJobs()).dead).toBe(0);

      await store.close();
      const bytes = readdirSync(dir)
        .map((f) => readFileSync(join(dir, f)).toString("latin1"))
        .join("\n");
      expect(bytes).toContain("/empathy explain [REDACTED:github-token]"); // the right file was searched
      for (const secret of SECRETS) {
        expect(bytes).not.toContain(secret);
        expect(bytes).not.toContain(secret.slice(4, 12)); // nor any 8 characters of it
      }
    });
  });
});
