/**
 * Slack access control, through the app: signed slash commands against the fake GitHub, with the
 * operator's `slack:` section given to the harness. A refused command must not touch GitHub.
 */
import nock from "nock";
import type { SlackAccessConfig } from "../../src/config/slackAccessConfig.js";
import { riskyFiles } from "../github/fixtures.js";
import { FakeGitHub } from "../helpers/fakeGitHub.js";
import {
  blockText,
  captureResponseUrl,
  CHANNEL_ID,
  commandBody,
  createSlackHarness,
  postCommand,
  TEAM_ID,
  type SlackHarness,
} from "./slackHarness.js";

const PR = "https://github.com/octo-org/shop/pull/7";

describe("Slack access control", () => {
  let h: SlackHarness;
  afterEach(async () => {
    await h?.close();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  async function run(...texts: (string | [string, Record<string, string>])[]): Promise<any[]> {
    const reply = captureResponseUrl();
    for (const t of texts) {
      const [text, overrides] = typeof t === "string" ? [t, {}] : t;
      expect((await postCommand(h.url, commandBody(text, overrides))).status).toBe(200);
    }
    await h.drain();
    return reply.bodies;
  }

  describe("a workspace without an entry", () => {
    it("is refused for review and for a repository's status, ephemerally, with the YAML that allows it, and GitHub is not called", async () => {
      // Another workspace has an entry; this one does not.
      h = await createSlackHarness({ slack: { reply: "in_channel", access: [{ teamId: "T0OTHER", repositories: ["*/*"] }] } });
      h.fake.setFiles(riskyFiles);
      const replies = await run(
        `review <${PR}>`,
        "status octo-org/shop",
        "status octo-org/shop alice",
        `review https://github.com/private-org/secret/pull/1`,
      );
      expect(replies).toHaveLength(4);
      for (const r of replies) {
        expect(r.response_type).toBe("ephemeral");
        const text = blockText(r);
        expect(text).toContain("this Slack workspace may not use the Empathy bot on");
        expect(text).toContain("empathy.config.yml");
        expect(text).toContain(`team_id: ${TEAM_ID}`);
      }
      expect(blockText(replies[0])).toContain('repositories: ["octo-org/shop"]');
      expect(blockText(replies[3])).toContain('repositories: ["private-org/secret"]');
      // Nothing about the repository was read: not the installation, not the pull request, not the store's trust.
      expect(blockText(replies[2])).not.toContain("Trust of alice");
      expect(h.githubRequests()).toEqual([]);
      expect(h.fake.comments).toHaveLength(0);
    });

    it("with no slack section at all: the same refusal; questions and help still answer", async () => {
      h = await createSlackHarness();
      const replies = await run(`review ${PR}`, "help", "Is it safe to rename a column?");
      expect(blockText(replies[0])).toContain("may not use the Empathy bot on *octo-org/shop*");
      expect(blockText(replies[1])).toContain("/empathy help");
      expect(replies[2].blocks.some((b: any) => b.type === "context")).toBe(true);
      expect(h.githubRequests()).toEqual([]);
    });

    it("a command queued without a team_id is refused too", async () => {
      h = await createSlackHarness({ slack: { reply: "ephemeral", access: [{ teamId: TEAM_ID, repositories: ["*/*"] }] } });
      const replies = await run(["status octo-org/shop", { team_id: "" }]);
      expect(blockText(replies[0])).toContain("may not use the Empathy bot");
    });
  });

  it("an entry with channel_ids refuses the workspace's other channels", async () => {
    h = await createSlackHarness({
      slack: { reply: "ephemeral", access: [{ teamId: TEAM_ID, channelIds: ["C0ALLOWED"], repositories: ["octo-org/*"] }] },
    });
    const replies = await run(
      `review ${PR}`, // from CHANNEL_ID, not listed
      "status octo-org/shop",
      ["status octo-org/shop", { channel_id: "C0ALLOWED" }],
      ["status octo-org/shop", { team_id: "T0OTHER", channel_id: "C0ALLOWED" }], // the channel alone is not enough
    );
    expect(blockText(replies[0])).toContain("this channel may not use the Empathy bot on *octo-org/shop*");
    expect(blockText(replies[0])).toContain(`channel_ids: [${CHANNEL_ID}]`);
    expect(blockText(replies[1])).toContain("this channel may not use");
    expect(blockText(replies[2])).toContain("*Learned patterns* in octo-org/shop");
    expect(blockText(replies[3])).toContain("this Slack workspace may not use");
    expect(h.githubRequests()).toEqual([]);
  });

  it("globs allow and refuse (owner/repo, case-insensitive; * stays within owner or repo)", async () => {
    h = await createSlackHarness({
      slack: { reply: "ephemeral", access: [{ teamId: TEAM_ID, repositories: ["octo-org/sh*", "Partner/exact"] }] },
    });
    const replies = await run(
      "status octo-org/shop",
      "status partner/EXACT",
      "status octo-org/admin",
      "status partner/exact-not",
      "status octo-org-evil/shop",
      "review https://github.com/octo-org/admin/pull/1",
    );
    const allowed = (r: any) => !blockText(r).includes("may not use");
    expect(replies.map(allowed)).toEqual([true, true, false, false, false, false]);
    expect(h.githubRequests()).toEqual([]);
  });

  it("a pull request whose repository now has another name (renamed, transferred) is checked under that name too", async () => {
    const fake = new FakeGitHub({ base: { sha: "b".repeat(40), ref: "main", repo: { full_name: "private-org/moved" } } });
    h = await createSlackHarness({ fake, slack: { reply: "ephemeral", access: [{ teamId: TEAM_ID, repositories: ["octo-org/*"] }] } });
    fake.setFiles(riskyFiles);
    const replies = await run(`review ${PR}`);
    expect(blockText(replies[0])).toContain("may not use the Empathy bot on *private-org/moved*");
    expect(fake.reviews).toHaveLength(0);
    // Only the installation token was asked for: nothing written to GitHub.
    expect(fake.writes().map((r) => r.path)).toEqual(["/app/installations/2/access_tokens"]);
  });

  it("an allowed review reaches GitHub, and its summary is ephemeral by default (not posted to the channel even with a bot token)", async () => {
    h = await createSlackHarness({
      env: { SLACK_BOT_TOKEN: "xoxb-test-token", SLACK_API_URL: "https://slack.example.test/api" },
      slack: { reply: "ephemeral", access: [{ teamId: TEAM_ID, repositories: ["octo-org/*"] }] },
    });
    h.fake.setFiles(riskyFiles);
    const posted: any[] = [];
    nock("https://slack.example.test")
      .persist()
      .post("/api/chat.postMessage", (b) => (posted.push(b), true))
      .reply(200, { ok: true });
    const replies = await run(`review ${PR}`, "status octo-org/shop", "status");
    expect(h.githubRequests()).toContain("GET /repos/octo-org/shop/installation");
    expect(h.fake.reviews).toHaveLength(1);
    expect(replies[0].blocks[0]).toMatchObject({ type: "header", text: { text: "Review of octo-org/shop#7: Add order export" } });
    for (const r of replies) expect(r.response_type).toBe("ephemeral");
    expect(posted).toEqual([]);
  });

  it("reply: in_channel posts replies about repositories in the channel", async () => {
    h = await createSlackHarness({
      env: { SLACK_BOT_TOKEN: "xoxb-test-token", SLACK_API_URL: "https://slack.example.test/api" },
      slack: { reply: "in_channel", access: [{ teamId: TEAM_ID, repositories: ["octo-org/*"] }] },
    });
    const posted: any[] = [];
    nock("https://slack.example.test")
      .persist()
      .post("/api/chat.postMessage", (b) => (posted.push(b), true))
      .reply(200, { ok: true });
    const replies = await run("status octo-org/shop", "status other-org/private-elsewhere");
    expect(posted).toHaveLength(1);
    expect(posted[0].channel).toBe(CHANNEL_ID);
    expect(blockText(posted[0])).toContain("*Learned patterns* in octo-org/shop");
    // A refusal stays with the asker whatever the reply mode.
    expect(replies).toHaveLength(1);
    expect(replies[0].response_type).toBe("ephemeral");
    expect(blockText(replies[0])).toContain("may not use the Empathy bot on *other-org/private-elsewhere*");
  });

  it("/empathy status without a repository lists only predictions of repositories the workspace may see", async () => {
    const slack: SlackAccessConfig = {
      reply: "ephemeral",
      access: [
        { teamId: TEAM_ID, repositories: ["octo-org/*"] },
        { teamId: TEAM_ID, channelIds: ["C0SECRET"], repositories: ["vault/*"] },
      ],
    };
    h = await createSlackHarness({ slack });
    const predictions = [
      ["octo-org", "shop", "Export leaks customer email addresses"],
      ["private-org", "payments", "Migration drops column card_token"],
      ["vault", "keys", "Rotation script prints the master key"],
    ];
    for (const [owner, repo, text] of predictions) {
      await h.store.savePredictionIssue(`${owner}/${repo}`, `fp-${repo}`, 1, {
        title: text,
        confidence: 0.9,
        url: `https://github.com/${owner}/${repo}/issues/1`,
      });
    }
    const replies = await run("status", ["status", { channel_id: "C0SECRET" }], ["status", { team_id: "T0OTHER" }]);
    const [here, secretChannel, otherTeam] = replies.map(blockText);
    expect(here).toContain("Export leaks customer email addresses");
    expect(here).not.toContain("card_token");
    expect(here).not.toContain("master key");
    expect(secretChannel).toContain("Rotation script prints the master key");
    expect(secretChannel).toContain("Export leaks customer email addresses");
    expect(secretChannel).not.toContain("card_token");
    expect(otherTeam).toContain("*Recent predictions*: none with an issue yet");
    expect(otherTeam).not.toContain("Export leaks");
    for (const r of replies) expect(r.response_type).toBe("ephemeral");
  });

  describe("api_app_id", () => {
    const slack: SlackAccessConfig = {
      reply: "ephemeral",
      apiAppId: "A0EMPATHY",
      access: [{ teamId: TEAM_ID, repositories: ["octo-org/*"] }],
    };

    it("a request for another Slack app, or without an app id, is a 401 and nothing is queued", async () => {
      h = await createSlackHarness({ slack });
      const other = await postCommand(h.url, commandBody(`review ${PR}`, { api_app_id: "A0OTHER" }));
      expect(other.status).toBe(401);
      expect((await postCommand(h.url, commandBody("help", { api_app_id: undefined }))).status).toBe(401);
      expect((await h.store.countJobs()).queued).toBe(0);
      expect(await h.drain()).toBe(0);
      expect(h.githubRequests()).toEqual([]);
    });

    it("the configured app id is accepted and stored with the job", async () => {
      h = await createSlackHarness({ slack });
      const res = await postCommand(h.url, commandBody("status octo-org/shop", { api_app_id: "A0EMPATHY" }));
      expect(res.status).toBe(200);
      const [job] = await h.store.listJobs("queued");
      expect(job.payload).toMatchObject({ team_id: TEAM_ID, api_app_id: "A0EMPATHY" });
    });

    it("without api_app_id configured, any app id is accepted", async () => {
      h = await createSlackHarness({ slack: { ...slack, apiAppId: undefined } });
      expect((await postCommand(h.url, commandBody("help", { api_app_id: "A0ANY" }))).status).toBe(200);
    });
  });
});
