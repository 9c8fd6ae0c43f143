/**
 * The operator config's `slack:` section (src/config/slackAccessConfig.ts) and the pure access
 * checks built from it (src/server/slack/access.ts).
 */
import {
  DEFAULT_SLACK_ACCESS,
  parseSlackAccessConfig,
  SLACK_KNOWN_KEYS,
  slackAccessConfigSchema,
} from "../../src/config/slackAccessConfig.js";
import { accessSnippet, SlackAccessPolicy } from "../../src/server/slack/access.js";

function errorOf(section: unknown): string {
  try {
    parseSlackAccessConfig(section);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected the section to be refused");
}

describe("slack: section schema", () => {
  it("reads the issue's example into camelCase", () => {
    expect(
      parseSlackAccessConfig({
        reply: "in_channel",
        api_app_id: "A0123",
        access: [
          { team_id: "T0123ABCD", channel_ids: ["C0456EFGH"], repositories: ["octo-org/*"] },
          { team_id: "T0999", repositories: ["octo-org/shop", "partner/*"] },
        ],
      }),
    ).toEqual({
      reply: "in_channel",
      apiAppId: "A0123",
      access: [
        { teamId: "T0123ABCD", channelIds: ["C0456EFGH"], repositories: ["octo-org/*"] },
        { teamId: "T0999", repositories: ["octo-org/shop", "partner/*"] },
      ],
    });
  });

  it("defaults: ephemeral replies, no entries, no app id", () => {
    expect(parseSlackAccessConfig(undefined)).toEqual({ reply: "ephemeral", access: [] });
    expect(parseSlackAccessConfig({ reply: null, access: null })).toEqual({ reply: "ephemeral", access: [] });
    expect(DEFAULT_SLACK_ACCESS).toEqual({ reply: "ephemeral", access: [] });
  });

  it.each([
    [{ reply: "public" }, 'slack.reply: must be "ephemeral" or "in_channel"'],
    [{ api_app_id: "a0123" }, "slack.api_app_id: must be a Slack app id (capital letters and digits), e.g. A0123ABCD"],
    [{ access: { team_id: "T1" } }, "slack.access: must be a list of entries"],
    [{ access: ["T1"] }, "slack.access[0]: each entry must be a mapping (team_id:, repositories:, optional channel_ids:)"],
    [{ access: [{ repositories: ["o/r"] }] }, "slack.access[0].team_id: is required"],
    [
      { access: [{ team_id: "t0123", repositories: ["o/r"] }] },
      "slack.access[0].team_id: must be a Slack team (workspace) id (capital letters and digits), e.g. T0123ABCD",
    ],
    [{ access: [{ team_id: "T1" }] }, "slack.access[0].repositories: is required"],
    [{ access: [{ team_id: "T1", repositories: [] }] }, "slack.access[0].repositories: must list at least one owner/repo glob"],
    [{ access: [{ team_id: "T1", repositories: "octo-org/*" }] }, "slack.access[0].repositories: must be a list of owner/repo globs"],
    [
      { access: [{ team_id: "T1", repositories: ["octo-org"] }] },
      'slack.access[0].repositories[0]: must be a glob of owner/repo, e.g. "octo-org/*"',
    ],
    [{ access: [{ team_id: "T1", repositories: ["*"] }] }, "slack.access[0].repositories[0]: must be a glob of owner/repo"],
    [{ access: [{ team_id: "T1", repositories: ["a/b/c"] }] }, "slack.access[0].repositories[0]: must be a glob of owner/repo"],
    [
      { access: [{ team_id: "T1", channel_ids: [], repositories: ["o/r"] }] },
      "slack.access[0].channel_ids: must list at least one channel id, or be left out",
    ],
    [
      { access: [{ team_id: "T1", channel_ids: ["#general"], repositories: ["o/r"] }] },
      "slack.access[0].channel_ids[0]: must be a Slack channel id",
    ],
    [{ acess: [] }, "slack: unknown key acess; known keys: reply, api_app_id, access"],
    [
      { access: [{ team_id: "T1", repos: ["o/r"], repositories: ["o/r"] }] },
      "slack.access[0]: unknown key repos; known keys: team_id, channel_ids, repositories",
    ],
    ["yes", "slack: must be a mapping (reply:, api_app_id:, access:)"],
  ])("refuses %j with a clear message", (section, message) => {
    expect(errorOf(section)).toContain(message);
  });

  it("names every problem at once", () => {
    const message = errorOf({ reply: "loud", access: [{ team_id: "x", repositories: [] }] });
    expect(message.split("\n")).toHaveLength(3);
  });

  it("exposes the keys for the operator config's did-you-mean, and is a zod schema it can embed", () => {
    expect(SLACK_KNOWN_KEYS).toEqual({ slack: ["reply", "api_app_id", "access"], access: ["team_id", "channel_ids", "repositories"] });
    expect(slackAccessConfigSchema.safeParse({ access: [{ team_id: "T1", repositories: ["o/*"] }] }).success).toBe(true);
  });
});

describe("SlackAccessPolicy", () => {
  const policy = new SlackAccessPolicy(
    parseSlackAccessConfig({
      api_app_id: "A0EMPATHY",
      access: [
        { team_id: "T1", repositories: ["octo-org/*", "partner/exact"] },
        { team_id: "T1", channel_ids: ["C0OPS"], repositories: ["infra/*"] },
        { team_id: "T2", channel_ids: ["C0A", "C0B"], repositories: ["*/*"] },
      ],
    }),
  );

  it("allows a workspace what its entries' globs match, in the channels they list", () => {
    expect(policy.check({ teamId: "T1", channelId: "C0X" }, "octo-org/shop")).toEqual({ allowed: true });
    expect(policy.check({ teamId: "T1", channelId: "C0X" }, "Octo-Org/Shop")).toEqual({ allowed: true });
    expect(policy.check({ teamId: "T1", channelId: "C0X" }, "octo-org/.github")).toEqual({ allowed: true });
    expect(policy.check({ teamId: "T1", channelId: "C0X" }, "partner/exact")).toEqual({ allowed: true });
    expect(policy.check({ teamId: "T1", channelId: "C0OPS" }, "infra/terraform")).toEqual({ allowed: true });
    expect(policy.check({ teamId: "T2", channelId: "C0B" }, "anyone/anything")).toEqual({ allowed: true });
  });

  it("refuses, saying why (for the operator's fix)", () => {
    expect(policy.check({ teamId: "T9", channelId: "C0X" }, "octo-org/shop")).toEqual({ allowed: false, reason: "no_entry" });
    expect(policy.check({ channelId: "C0X" }, "octo-org/shop")).toEqual({ allowed: false, reason: "no_entry" });
    expect(policy.check({ teamId: "T1", channelId: "C0X" }, "infra/terraform")).toEqual({ allowed: false, reason: "channel" });
    expect(policy.check({ teamId: "T1" }, "infra/terraform")).toEqual({ allowed: false, reason: "channel" });
    expect(policy.check({ teamId: "T2", channelId: "C0C" }, "octo-org/shop")).toEqual({ allowed: false, reason: "channel" });
    expect(policy.check({ teamId: "T1", channelId: "C0X" }, "partner/exact2")).toEqual({ allowed: false, reason: "repository" });
    expect(policy.check({ teamId: "T1", channelId: "C0X" }, "octo-org-x/shop")).toEqual({ allowed: false, reason: "repository" });
    // Not a repository name at all: no glob sees it.
    expect(policy.check({ teamId: "T2", channelId: "C0A" }, "octo-org/shop/extra")).toEqual({ allowed: false, reason: "repository" });
    expect(policy.check({ teamId: "T2", channelId: "C0A" }, "../etc")).toEqual({ allowed: false, reason: "repository" });
    // Longer than GitHub allows (owner 39, name 100): refused before any glob runs on it.
    expect(policy.check({ teamId: "T2", channelId: "C0A" }, `${"o".repeat(39)}/${"r".repeat(100)}`)).toEqual({ allowed: true });
    expect(policy.check({ teamId: "T2", channelId: "C0A" }, `${"o".repeat(40)}/shop`)).toEqual({ allowed: false, reason: "repository" });
    expect(policy.check({ teamId: "T2", channelId: "C0A" }, `octo/${"r".repeat(5000)}`)).toEqual({ allowed: false, reason: "repository" });
  });

  it("visibleTo filters listings the same way", () => {
    const t1 = policy.visibleTo({ teamId: "T1", channelId: "C0X" });
    expect(["octo-org/shop", "infra/net", "partner/exact", "private/payments"].filter(t1)).toEqual(["octo-org/shop", "partner/exact"]);
    const ops = policy.visibleTo({ teamId: "T1", channelId: "C0OPS" });
    expect(["octo-org/shop", "infra/net", "private/payments"].filter(ops)).toEqual(["octo-org/shop", "infra/net"]);
    expect(["octo-org/shop"].filter(policy.visibleTo({ teamId: "T9" }))).toEqual([]);
    expect(["octo-org/shop"].filter(new SlackAccessPolicy().visibleTo({ teamId: "T1" }))).toEqual([]);
  });

  it("no config: nothing is reachable, replies are ephemeral, any app id is accepted", () => {
    const none = new SlackAccessPolicy();
    expect(none.mayReach({ teamId: "T1", channelId: "C1" }, "octo-org/shop")).toBe(false);
    expect(none.reply).toBe("ephemeral");
    expect(none.acceptsApp("A0ANY")).toBe(true);
    expect(none.acceptsApp(null)).toBe(true);
  });

  it("with api_app_id, only that app", () => {
    expect(policy.acceptsApp("A0EMPATHY")).toBe(true);
    expect(policy.acceptsApp("A0OTHER")).toBe(false);
    expect(policy.acceptsApp(null)).toBe(false);
    expect(policy.acceptsApp(undefined)).toBe(false);
  });

  it("the snippet an operator can paste is valid for the schema", async () => {
    const { parse } = await import("yaml");
    const yaml = accessSnippet({ teamId: "T1DC2JH3J", channelId: "C2147483705" }, "octo-org/shop");
    expect(parseSlackAccessConfig(parse(yaml).slack)).toEqual({
      reply: "ephemeral",
      access: [{ teamId: "T1DC2JH3J", channelIds: ["C2147483705"], repositories: ["octo-org/shop"] }],
    });
  });
});
