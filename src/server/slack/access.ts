/**
 * Who in Slack may reach which repository: the operator's `slack.access` entries
 * (src/config/slackAccessConfig.ts), as pure checks. A request reaches a repository when an
 * entry names its workspace (`team_id`), lists its channel or lists no channels, and has a glob
 * matching `owner/repo`. Entries add up; nothing is reachable without one.
 */
import picomatch from "picomatch";
import {
  DEFAULT_SLACK_ACCESS,
  type SlackAccessConfig,
  type SlackAccessEntry,
  type SlackReplyMode,
} from "../../config/slackAccessConfig.js";

/** Where a command came from (Slack's team_id and channel_id). */
export interface SlackRequester {
  teamId?: string;
  channelId?: string;
}

export type AccessDecision =
  | { allowed: true }
  /** no_entry: nothing for this workspace; channel: only in other channels; repository: no glob matches. */
  | { allowed: false; reason: "no_entry" | "channel" | "repository" };

/**
 * What a repository name must look like before any glob sees it: GitHub's characters and lengths
 * (an owner at most 39, a name at most 100), one slash. A name from a Slack command is bounded
 * before the operator's globs (picomatch regexes) run on it.
 */
const REPOSITORY_NAME = /^[A-Za-z0-9_.-]{1,39}\/[A-Za-z0-9_.-]{1,100}$/;

interface CompiledEntry {
  entry: SlackAccessEntry;
  matches: (repo: string) => boolean;
}

export class SlackAccessPolicy {
  readonly reply: SlackReplyMode;
  readonly apiAppId: string | undefined;
  private readonly entries: CompiledEntry[];

  constructor(config: SlackAccessConfig = DEFAULT_SLACK_ACCESS) {
    this.reply = config.reply;
    this.apiAppId = config.apiAppId;
    // GitHub names are case-insensitive; dot: "octo-org/*" also covers "octo-org/.github".
    this.entries = config.access.map((entry) => ({ entry, matches: picomatch(entry.repositories, { nocase: true, dot: true }) }));
  }

  /** May a command from this workspace/channel reach `owner/repo`? */
  check(who: SlackRequester, repo: string): AccessDecision {
    const mine = this.entries.filter((e) => who.teamId !== undefined && e.entry.teamId === who.teamId);
    if (mine.length === 0) return { allowed: false, reason: "no_entry" };
    if (!REPOSITORY_NAME.test(repo)) return { allowed: false, reason: "repository" };
    const here = mine.filter((e) => inChannel(e.entry, who.channelId));
    if (here.some((e) => e.matches(repo))) return { allowed: true };
    // Said only to guide the operator's fix; either way nothing is read.
    return mine.some((e) => e.matches(repo)) ? { allowed: false, reason: "channel" } : { allowed: false, reason: "repository" };
  }

  mayReach(who: SlackRequester, repo: string): boolean {
    return this.check(who, repo).allowed;
  }

  /** The filter for listings (status without a repository): only what this workspace/channel may see. */
  visibleTo(who: SlackRequester): (repo: string) => boolean {
    const here = this.entries.filter((e) => who.teamId !== undefined && e.entry.teamId === who.teamId && inChannel(e.entry, who.channelId));
    return (repo) => REPOSITORY_NAME.test(repo) && here.some((e) => e.matches(repo));
  }

  /** True when no app id is configured, or the request's equals it. */
  acceptsApp(apiAppId: string | null | undefined): boolean {
    return this.apiAppId === undefined || apiAppId === this.apiAppId;
  }
}

function inChannel(entry: SlackAccessEntry, channelId: string | undefined): boolean {
  return entry.channelIds === undefined || (channelId !== undefined && entry.channelIds.includes(channelId));
}

/** The lines an operator adds to allow this request (for the refusal reply). */
export function accessSnippet(who: SlackRequester, repo: string): string {
  return [
    "slack:",
    "  access:",
    `    - team_id: ${who.teamId ?? "T0123ABCD"}`,
    `      channel_ids: [${who.channelId ?? "C0456EFGH"}]   # optional: only this channel`,
    `      repositories: ["${repo}"]   # globs, e.g. "${repo.split("/")[0]}/*"`,
  ].join("\n");
}
