/**
 * `/empathy` at POST /slack/commands/empathy: the app loaded into Probot, its route served on a
 * loopback port, GitHub answered by the fake, Slack's response_url and Web API by nock.
 */
import nock from "nock";
import { riskyFiles } from "../github/fixtures.js";
import { SLACK_COMMAND_JOB } from "../../src/server/slackCommands.js";
import {
  blockText,
  captureResponseUrl,
  commandBody,
  createSlackHarness,
  OPEN_ACCESS,
  postCommand,
  SIGNING_SECRET,
  type SlackHarness,
} from "./slackHarness.js";

const CONTEXT_LINE = /^Empathy Level [1-5] \| Confidence: \d{1,3}%$/;

function contextLines(message: any): string[] {
  return (message.blocks ?? []).filter((b: any) => b.type === "context").flatMap((b: any) => b.elements.map((e: any) => e.text));
}

describe("Slack slash command /empathy", () => {
  let h: SlackHarness;
  afterEach(async () => {
    await h?.close();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  async function queued(): Promise<number> {
    return (await h.store.countJobs()).queued;
  }

  describe("refused requests: nothing is queued, nothing is sent", () => {
    beforeEach(async () => {
      h = await createSlackHarness();
    });

    it("401 for a bad signature, a signature made with another secret, a missing header", async () => {
      const body = commandBody("status");
      expect((await postCommand(h.url, body, { signature: "v0=" + "0".repeat(64) })).status).toBe(401);
      expect((await postCommand(h.url, body, { secret: "not-the-secret" })).status).toBe(401);
      expect((await postCommand(h.url, body, { signature: "" })).status).toBe(401);
      // Signed, then changed on the way.
      const ts = String(Math.floor(Date.now() / 1000));
      const { slackSignature } = await import("./slackHarness.js");
      expect(
        (await postCommand(h.url, body.replace("status", "help"), { timestamp: ts, signature: slackSignature(SIGNING_SECRET, ts, body) }))
          .status,
      ).toBe(401);
      expect(await queued()).toBe(0);
    });

    it("401 for a stale timestamp (more than five minutes old or ahead), even correctly signed", async () => {
      const body = commandBody("status");
      const now = Math.floor(Date.now() / 1000);
      expect((await postCommand(h.url, body, { timestamp: String(now - 6 * 60) })).status).toBe(401);
      expect((await postCommand(h.url, body, { timestamp: String(now + 6 * 60) })).status).toBe(401);
      expect(await queued()).toBe(0);
    });

    it("400 for a malformed body: not form-encoded, or without command, text or response_url", async () => {
      const json = JSON.stringify({ command: "/empathy", text: "status" });
      expect((await postCommand(h.url, json, { contentType: "application/json" })).status).toBe(400);
      for (const missing of ["command", "text", "response_url"]) {
        const res = await postCommand(h.url, commandBody("status", { [missing]: undefined }));
        expect(res.status).toBe(400);
        expect(res.json.error).toContain(missing);
      }
      expect((await postCommand(h.url, commandBody("status", { response_url: "javascript:alert(1)" }))).status).toBe(400);
      expect(await queued()).toBe(0);
      expect(await h.drain()).toBe(0);
    });

    it("leaves other paths to the other handlers", async () => {
      const res = await fetch(`${h.url}/health`);
      expect(res.status).toBe(200);
      expect((await postCommand(h.url, commandBody("help"), { path: "/slack/commands/other" })).status).toBe(404);
      expect(await queued()).toBe(0);
    });
  });

  it("answers 404 when SLACK_SIGNING_SECRET is not set (the feature is off)", async () => {
    h = await createSlackHarness({ env: { SLACK_SIGNING_SECRET: "" } });
    const res = await postCommand(h.url, commandBody("help"));
    expect(res.status).toBe(404);
    expect(await queued()).toBe(0);
  });

  it("acks at once with an ephemeral 'Working on it…' and does the work later, in a durable job", async () => {
    h = await createSlackHarness();
    const reply = captureResponseUrl();
    const res = await postCommand(h.url, commandBody("help"));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ response_type: "ephemeral", text: "Working on it…" });
    // The answer came back before any work: the job waits in the store, Slack has heard nothing yet.
    expect(reply.bodies).toHaveLength(0);
    const jobs = await h.store.listJobs("queued");
    expect(jobs.map((j) => j.type)).toEqual([SLACK_COMMAND_JOB]);
    expect(jobs[0].payload).toMatchObject({ command: "/empathy", text: "help", user_id: "U2CERLKJA", channel_id: "C2147483705" });

    expect(await h.drain()).toBe(1);
    expect(reply.bodies).toHaveLength(1);
    expect(reply.bodies[0]).toMatchObject({ response_type: "ephemeral", replace_original: false });
    expect(blockText(reply.bodies[0])).toContain("/empathy review <pull request URL>");
  });

  it("a retried command (same trigger_id) is one job", async () => {
    h = await createSlackHarness();
    const body = commandBody("help", { trigger_id: "13345224609.738474920.8088930838d88f008e0" });
    expect((await postCommand(h.url, body)).status).toBe(200);
    expect((await postCommand(h.url, body)).status).toBe(200);
    expect(await queued()).toBe(1);
  });

  describe("commands", () => {
    beforeEach(async () => {
      // This workspace may reach octo-org/* and someone/*, replies in the channel.
      h = await createSlackHarness({ slack: OPEN_ACCESS });
    });

    it("/empathy <question>: an interaction of the Slack user, with the channel and platform in its context; blocks and the context line", async () => {
      const reply = captureResponseUrl();
      const started: any[] = [];
      h.handles.bus.on("interaction_started", (e: any) => started.push(e.data));
      const completed: any[] = [];
      h.handles.bus.on("interaction_completed", (e: any) => completed.push(e.data));
      await postCommand(h.url, commandBody("How risky is dropping a column the mobile app still reads?"));
      await h.drain();

      expect(started).toEqual([expect.objectContaining({ user_id: "U2CERLKJA", repo: "slack" })]);
      expect(completed).toHaveLength(1);
      const message = reply.bodies[0];
      expect(message.response_type).toBe("in_channel");
      expect(message.blocks[0].type).toBe("section");
      expect(message.text.length).toBeGreaterThan(0);
      const [line] = contextLines(message);
      expect(line).toMatch(CONTEXT_LINE);
      expect(line).toBe(`Empathy Level ${completed[0].level} | Confidence: ${Math.round(completed[0].confidence * 100)}%`);
    });

    it("/empathy help and any unknown word: the help text", async () => {
      const reply = captureResponseUrl();
      await postCommand(h.url, commandBody("help"));
      await postCommand(h.url, commandBody("frobnicate"));
      await postCommand(h.url, commandBody(""));
      await h.drain();
      expect(reply.bodies).toHaveLength(3);
      for (const b of reply.bodies) {
        expect(b.response_type).toBe("ephemeral");
        expect(blockText(b)).toContain("`/empathy status [owner/repo [github-login]]`");
      }
      expect(blockText(reply.bodies[1])).toContain("I do not know the command `frobnicate`");
    });

    it("/empathy status: the user's trust, learned patterns with confidence, recent predictions", async () => {
      const reply = captureResponseUrl();
      await h.store.savePattern({
        id: "pat-1",
        repo: "octo-org/shop",
        key: "sql-injection",
        name: "sql-injection",
        occurrences: 3,
        successes: 2,
        failures: 0,
        confidence: 0.83,
        learned: true,
        prNumbers: [4, 5, 7],
      });
      await h.store.saveTrust({ userId: "alice", repo: "octo-org/shop", trust: 0.72, milestones: [0.5], recentRejections: [] });
      await postCommand(h.url, commandBody("status"));
      await postCommand(h.url, commandBody("status octo-org/shop alice"));
      await postCommand(h.url, commandBody("status not a repo"));
      await h.drain();
      const [mine, repo, bad] = reply.bodies.map(blockText);
      expect(mine).toContain("*Your trust* (in Slack conversations): 50%");
      expect(mine).toContain("*Learned patterns* in slack: none yet");
      expect(repo).toContain("*Trust of alice* in octo-org/shop: 72%");
      expect(repo).toContain("• sql-injection — confidence 83%, seen in 3 pull requests");
      expect(repo).toContain("*Recent predictions* in octo-org/shop: none with an issue yet");
      expect(bad).toContain("Usage: `/empathy status");
    });

    it("/empathy review <url>: reviews the pull request through the app's installation and posts the summary back", async () => {
      h.fake.setFiles(riskyFiles);
      const reply = captureResponseUrl();
      await postCommand(h.url, commandBody(`review <https://github.com/octo-org/shop/pull/7>`));
      await h.drain();

      // The review ran like a webhook's: summary comment, review, prediction issues on GitHub.
      expect(h.fake.comments).toHaveLength(1);
      expect(h.fake.reviews).toHaveLength(1);
      expect(h.fake.issues.length).toBeGreaterThanOrEqual(1);
      expect(h.fake.problems).toEqual([]);

      const message = reply.bodies[0];
      expect(message.response_type).toBe("in_channel");
      expect(message.blocks[0]).toMatchObject({ type: "header", text: { text: "Review of octo-org/shop#7: Add order export" } });
      const text = blockText(message);
      expect(text).toContain("*Level 4 · anticipatory*");
      expect(text).toContain("*Findings");
      expect(text).not.toContain("<!--");
      expect(contextLines(message)).toEqual([
        "Empathy Level 4 | Confidence: " + /confidence (\d+)%/.exec(h.fake.comments[0].body)![1] + "%",
      ]);
      for (const b of message.blocks) if (b.type === "section" && b.text) expect(b.text.text.length).toBeLessThanOrEqual(3000);
      expect(message.blocks.at(-1).elements[0].url).toContain("https://github.com/octo-org/shop/pull/7");

      // Now the prediction issues show in the status.
      await postCommand(h.url, commandBody("status octo-org/shop"));
      await h.drain();
      const status = blockText(reply.bodies[1]);
      expect(status).toMatch(
        /\*Recent predictions\* in octo-org\/shop:\n• \d+% .*email.* — <https:\/\/github\.com\/octo-org\/shop\/issues\/\d+\|octo-org\/shop#\d+>/,
      );

      // Asking again for the same commit posts the same summary without reviewing twice.
      await postCommand(h.url, commandBody("review https://github.com/octo-org/shop/pull/7"));
      await h.drain();
      expect(h.fake.reviews).toHaveLength(1);
      expect(blockText(reply.bodies[2])).toContain("*Level 4 · anticipatory*");
    });

    it("/empathy review of a repository the app is not installed on, or not a pull request URL: a polite message", async () => {
      const reply = captureResponseUrl();
      await postCommand(h.url, commandBody("review https://github.com/someone/else/pull/3"));
      await postCommand(h.url, commandBody("review https://example.com/octo-org/shop/pull/7"));
      await postCommand(h.url, commandBody("review"));
      await h.drain();
      expect(blockText(reply.bodies[0])).toContain("The Empathy bot is not installed on *someone/else*");
      expect(blockText(reply.bodies[1])).toContain("Give me a pull request URL");
      expect(blockText(reply.bodies[2])).toContain("Give me a pull request URL");
      for (const b of reply.bodies) expect(b.response_type).toBe("ephemeral");
      expect(h.fake.comments).toHaveLength(0);
    });

    it("a failure while working is answered, and the worker goes on", async () => {
      h.fake.faults.push({ method: "GET", path: /\/pulls\/7$/, status: 500, times: 1 });
      const reply = captureResponseUrl();
      await postCommand(h.url, commandBody("review https://github.com/octo-org/shop/pull/7"));
      await postCommand(h.url, commandBody("help"));
      await h.drain();
      expect(blockText(reply.bodies[0])).toMatch(/^Sorry, that did not work: /);
      expect(blockText(reply.bodies[1])).toContain("/empathy help");
      const counts = await h.store.countJobs();
      expect(counts).toMatchObject({ queued: 0, running: 0, dead: 0 });
    });
  });

  it("replies with chat.postMessage when SLACK_BOT_TOKEN is set (SLACK_API_URL honoured), through response_url for help", async () => {
    h = await createSlackHarness({ env: { SLACK_BOT_TOKEN: "xoxb-test-token", SLACK_API_URL: "https://slack.example.test/api" } });
    const posted: any[] = [];
    const api = nock("https://slack.example.test", { reqheaders: { authorization: "Bearer xoxb-test-token" } })
      .post("/api/chat.postMessage", (b) => (posted.push(b), true))
      .reply(200, { ok: true, channel: "C2147483705", ts: "1700000000.000100" });
    const reply = captureResponseUrl();
    await postCommand(h.url, commandBody("What should I test first in a payment change?"));
    await postCommand(h.url, commandBody("help"));
    await h.drain();
    expect(api.isDone()).toBe(true);
    expect(posted).toHaveLength(1);
    expect(posted[0].channel).toBe("C2147483705");
    expect(contextLines(posted[0])[0]).toMatch(CONTEXT_LINE);
    expect(reply.bodies).toHaveLength(1); // help stays ephemeral
    expect(reply.bodies[0].response_type).toBe("ephemeral");
  });
});
