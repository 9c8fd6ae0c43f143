/**
 * The `slack:` section of the operator config (empathy.config.yml): which Slack workspaces (and
 * optionally channels) may reach which GitHub repositories through `/empathy`, and how replies
 * about repositories are shown.
 *
 * ```yaml
 * slack:
 *   reply: ephemeral            # or in_channel; default ephemeral
 *   api_app_id: A0123           # optional: requests from another Slack app id are refused (401)
 *   access:
 *     - team_id: T0123ABCD
 *       channel_ids: [C0456EFGH]         # optional: only these channels
 *       repositories: ["octo-org/*"]     # globs of owner/repo
 * ```
 *
 * No section (or no entries) means no workspace reaches any repository: access is granted,
 * never assumed. The schema reads the file's snake_case and gives `SlackAccessConfig` (camelCase).
 */
import picomatch from "picomatch";
import { z } from "zod";

export type SlackReplyMode = "ephemeral" | "in_channel";

export interface SlackAccessEntry {
  teamId: string;
  /** Undefined: every channel of the workspace. */
  channelIds?: string[];
  /** Globs of `owner/repo`. */
  repositories: string[];
}

export interface SlackAccessConfig {
  reply: SlackReplyMode;
  apiAppId?: string;
  access: SlackAccessEntry[];
}

export const DEFAULT_SLACK_ACCESS: SlackAccessConfig = Object.freeze({ reply: "ephemeral", access: [] }) as SlackAccessConfig;

const nullToUndefined = (v: unknown): unknown => (v === null ? undefined : v);

/** The object's own issues: a wrong type, or keys it does not know (listed, for a quick fix). */
function objectError(what: string, keys: () => readonly string[]) {
  return (issue: { code?: string; keys?: string[] }) =>
    issue.code === "unrecognized_keys"
      ? `unknown key${(issue.keys?.length ?? 0) > 1 ? "s" : ""} ${issue.keys?.join(", ")}; known keys: ${keys().join(", ")}`
      : what;
}

const slackId = (kind: string, pattern: RegExp, example: string) =>
  z
    .string({ error: (iss) => (iss.input === undefined ? "is required" : `must be a Slack ${kind} id in a string, e.g. ${example}`) })
    .trim()
    .regex(pattern, `must be a Slack ${kind} id (capital letters and digits), e.g. ${example}`);

/** owner/repo, each part a glob; exactly one slash, as repository names have. */
const REPOSITORY_GLOB = /^[^/\s]+\/[^/\s]+$/;

const repositoryGlob = z
  .string({ error: 'must be a glob of owner/repo in a string, e.g. "octo-org/*"' })
  .trim()
  .regex(REPOSITORY_GLOB, 'must be a glob of owner/repo, e.g. "octo-org/*" or "octo-org/shop"')
  .refine((glob) => {
    try {
      picomatch.makeRe(glob);
      return true;
    } catch {
      return false;
    }
  }, "is not a valid glob");

export const slackAccessEntryShape = {
  team_id: slackId("team (workspace)", /^[TE][A-Z0-9]+$/, "T0123ABCD"),
  channel_ids: z.preprocess(
    nullToUndefined,
    z
      .array(slackId("channel", /^[CGD][A-Z0-9]+$/, "C0456EFGH"), { error: "must be a list of Slack channel ids, e.g. [C0456EFGH]" })
      .min(1, "must list at least one channel id, or be left out (every channel of the workspace)")
      .optional(),
  ),
  repositories: z
    .array(repositoryGlob, {
      error: (iss) =>
        iss.input === undefined
          ? 'is required: a list of owner/repo globs, e.g. ["octo-org/*"]'
          : 'must be a list of owner/repo globs, e.g. ["octo-org/*"]',
    })
    .min(1, 'must list at least one owner/repo glob, e.g. ["octo-org/*"]'),
};

const slackAccessEntrySchema = z
  .object(slackAccessEntryShape, {
    error: objectError("each entry must be a mapping (team_id:, repositories:, optional channel_ids:)", () =>
      Object.keys(slackAccessEntryShape),
    ),
  })
  .strict();

export const slackSectionShape = {
  reply: z.preprocess(nullToUndefined, z.enum(["ephemeral", "in_channel"], { error: 'must be "ephemeral" or "in_channel"' }).optional()),
  api_app_id: z.preprocess(nullToUndefined, slackId("app", /^A[A-Z0-9]+$/, "A0123ABCD").optional()),
  access: z.preprocess(
    nullToUndefined,
    z.array(slackAccessEntrySchema, { error: "must be a list of entries (team_id:, repositories:, optional channel_ids:)" }).optional(),
  ),
};

/** The `slack:` section as written (snake_case), checked, turned into `SlackAccessConfig`. */
export const slackAccessConfigSchema = z
  .object(slackSectionShape, {
    error: objectError("must be a mapping (reply:, api_app_id:, access:)", () => Object.keys(slackSectionShape)),
  })
  .strict()
  .transform((s): SlackAccessConfig => {
    const out: SlackAccessConfig = {
      reply: s.reply ?? DEFAULT_SLACK_ACCESS.reply,
      access: (s.access ?? []).map((e) => ({
        teamId: e.team_id,
        ...(e.channel_ids !== undefined ? { channelIds: e.channel_ids } : {}),
        repositories: e.repositories,
      })),
    };
    if (s.api_app_id !== undefined) out.apiAppId = s.api_app_id;
    return out;
  });

/** Keys known under `slack` and under each `slack.access[i]` (for "did you mean" in config errors). */
export const SLACK_KNOWN_KEYS = {
  slack: Object.keys(slackSectionShape),
  access: Object.keys(slackAccessEntryShape),
} as const;

export class SlackAccessConfigError extends Error {
  override readonly name = "SlackAccessConfigError";
}

/** Checks a `slack:` section on its own (null/undefined: the default); throws naming each wrong key (`slack.access[0].team_id: …`). */
export function parseSlackAccessConfig(section: unknown): SlackAccessConfig {
  const parsed = slackAccessConfigSchema.safeParse(section ?? {});
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const key = ["slack", ...issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))].join("");
    return `${key}: ${issue.message}`;
  });
  throw new SlackAccessConfigError(lines.join("\n"));
}
