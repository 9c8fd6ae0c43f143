/**
 * The Slack slash command `/empathy`, at `POST /slack/commands/empathy` on the app's own server.
 *
 * The request: form-encoded (`command`, `text`, `user_id`, `channel_id`, `response_url`...),
 * signed by Slack (src/server/slack/signature.ts). A bad signature or a stale timestamp is a
 * 401, a malformed body a 400, and nothing is queued. A good request is queued as a durable
 * `slack_command` job and answered at once with an ephemeral "Working on it…" (Slack gives a
 * command 3 seconds); the job does the work and replies through `response_url`, or with
 * `chat.postMessage` when a bot token is set and the command came from a channel.
 *
 * Commands:
 * - `/empathy <question>`: an answer (src/answers): code in the question analysed like a pull request
 *   (with `deps.analyse`, the worker pool in the app) with the fixed code, else the knowledge base;
 *   the engine decides the level (repo "slack", the channel and platform in the context);
 * - `/empathy review <pull request URL>`: reviews the pull request through the app's installation
 *   on that repository (the same review as a webhook's) and posts the summary back;
 * - `/empathy status [owner/repo [github-login]]`: trust, learned patterns, recent predictions;
 * - `/empathy help`, and any single unknown word: the help text.
 *
 * Access (src/server/slack/access.ts, the operator config's `slack:` section): a command about a
 * repository (review, status of a repository) runs only when an entry allows the request's
 * workspace (team_id) and channel to reach that repository; the check comes before any GitHub
 * call or store read, and a refusal says how an operator allows it. Status without a repository
 * lists only what the workspace may see. With `api_app_id` set, other Slack apps get a 401 and
 * nothing is queued. Replies about repositories are ephemeral unless `reply: in_channel`.
 *
 * Settings (`settings.slack`, from SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN and SLACK_API_URL):
 * without a signing secret the route answers 404 (the feature is off); a bot token (optional)
 * replies with chat.postMessage; the API URL defaults to https://slack.com/api.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AnalyseChange } from "../analysis/pool/isolated.js";
import { redactSecrets } from "../analysis/secrets.js";
import type { EmpathyOS } from "../engine/empathyOS.js";
import type { EngineState } from "../engine/state.js";
import type { ReviewJobPayload, ReviewOutcome } from "../github/review/reviewJob.js";
import type { Log, Octokit } from "../github/api/types.js";
import { callService, isHttpUrl, type FetchFn } from "../integrations/common.js";
import { truncate } from "../integrations/notice.js";
import { createSlack, escapeMrkdwn, interpretSlackResponse, type SlackBlock } from "../integrations/slack.js";
import type { ReviewStore } from "../store/store.js";
import { errorMessage } from "../text/errorMessage.js";
import { pct } from "../text/percent.js";
import type { SlackAccessConfig } from "../config/slackAccessConfig.js";
import type { SlackSettings } from "../config/env.js";
import type { JobHandlers } from "../jobs/handlers.js";
import type { JobQueue } from "../jobs/queue.js";
import { accessSnippet, SlackAccessPolicy, type SlackRequester } from "./slack/access.js";
import { verifySlackSignature } from "./slack/signature.js";
import { questionReply } from "./slack/answerReply.js";
import type { PhrasingInput } from "../answers/phrasing.js";
import { reviewReply } from "./slack/reviewReply.js";
import { RECENT_PREDICTIONS, RECENT_PREDICTIONS_SCAN, recentPredictionLines } from "./slack/statusReply.js";

export const SLACK_COMMAND_PATH = "/slack/commands/empathy";
export const SLACK_COMMAND_JOB = "slack_command";
/** Slack's limit for a section's text. */
const SECTION_MAX = 3000;
/** Slash command bodies are small; anything bigger is not Slack. */
const MAX_BODY_BYTES = 64 * 1024;
/** A command's text kept in the job: a question with a pasted snippet fits (the answer reads at most 8,000 characters). */
const MAX_COMMAND_TEXT = 8_000;

export interface SlackCommandSettings extends SlackSettings {
  /** Web host of GitHub Enterprise Server (settings.github.host), accepted in review URLs besides github.com. */
  gheHost?: string;
}

/** What a queued command carries (Slack's field names). */
export interface SlackCommandJob {
  command: string;
  text: string;
  user_id: string;
  user_name?: string;
  channel_id?: string;
  team_id?: string;
  /** The Slack app the command was sent to (checked on the route when the operator sets api_app_id). */
  api_app_id?: string;
  response_url: string;
}

export interface SlackCommandDeps {
  queue: Pick<JobQueue, "enqueue">;
  store: EngineState & Pick<ReviewStore, "getReviewResult" | "listPredictionIssues">;
  engine: EmpathyOS;
  /** An installation's Octokit. */
  auth: (installationId: number) => Promise<Octokit>;
  /** The app's own (JWT) Octokit, to find an installation: Probot's `app.auth()`. */
  appAuth: () => Promise<Pick<Octokit, "request">>;
  /** Runs a review like the review job (runReviewJob with the app's deps). */
  review: (payload: ReviewJobPayload) => Promise<ReviewOutcome>;
  /** The review's analysis (the worker pool in the app), for code pasted in a question; absent: questions are answered from the knowledge base. */
  analyse?: AnalyseChange;
  /** The operator's language model wording a question's answer (src/llm), within the budget of `budgetKey`; absent: the deterministic answer. */
  phraseAnswer?: (input: PhrasingInput, budgetKey: string) => Promise<string | undefined>;
  log: Log;
  /** The operator's `slack:` section; absent: no entries, so no repository is reachable. */
  access?: SlackAccessConfig;
  settings: SlackCommandSettings;
  /** For replies (tests, proxies); default the global fetch. */
  fetch?: FetchFn;
  now?: () => number;
}

export interface SlackReply {
  text: string;
  blocks: SlackBlock[];
  /** Help and errors are only for the person who asked. */
  ephemeral?: boolean;
}

export const HELP_TEXT = [
  "*/empathy* — ask the Empathy bot",
  "• `/empathy <question>` — ask about a security or review problem, or paste code (in backticks or after a colon): it is analysed like a pull request and the fix shown, with the empathy level and confidence",
  "• `/empathy review <pull request URL>` — review a pull request of a repository the app is installed on",
  "• `/empathy status [owner/repo [github-login]]` — trust, learned patterns and recent predictions",
  "• `/empathy help` — this text",
].join("\n");

export function helpReply(intro?: string): SlackReply {
  const text = intro ? `${intro}\n\n${HELP_TEXT}` : HELP_TEXT;
  return { text: "Empathy bot: how to use /empathy", blocks: [section(text)], ephemeral: true };
}

function section(text: string): SlackBlock {
  return { type: "section", text: { type: "mrkdwn", text: truncate(text, SECTION_MAX) } };
}

function errorReply(message: string): SlackReply {
  return { text: message, blocks: [section(message)], ephemeral: true };
}

// --- the HTTP route ---

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) tooBig = true;
      else chunks.push(c);
    });
    req.on("end", () => resolve(tooBig ? null : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function send(res: ServerResponse, status: number, body: unknown): true {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
  return true;
}

/** The command's fields, or why the body is not one. */
export function parseCommandBody(contentType: string | undefined, raw: string): SlackCommandJob | { error: string } {
  if (!/^application\/x-www-form-urlencoded\b/i.test(contentType ?? ""))
    return { error: "the body must be application/x-www-form-urlencoded" };
  const form = new URLSearchParams(raw);
  for (const field of ["command", "text", "response_url", "user_id"]) {
    if (!form.has(field)) return { error: `${field} is missing` };
  }
  const responseUrl = form.get("response_url")!;
  if (!isHttpUrl(responseUrl)) return { error: "response_url must be an http(s) URL" };
  const opt = (k: string) => (form.get(k) || undefined) ?? undefined;
  return {
    command: form.get("command")!,
    // Stored in the job: redacted whole, then bounded (a slash command's text is short anyway).
    text: redactSecrets(form.get("text")!).slice(0, MAX_COMMAND_TEXT),
    user_id: form.get("user_id")!,
    user_name: opt("user_name"),
    channel_id: opt("channel_id"),
    team_id: opt("team_id"),
    api_app_id: opt("api_app_id"),
    response_url: responseUrl,
  };
}

export class SlackCommands {
  private readonly settings: SlackCommandSettings;
  private readonly now: () => number;
  private readonly access: SlackAccessPolicy;

  constructor(private readonly deps: SlackCommandDeps) {
    this.settings = deps.settings;
    this.now = deps.now ?? Date.now;
    this.access = new SlackAccessPolicy(deps.access);
  }

  /** The `slack_command` job, for the composition root to register (even with the feature off: jobs queued before a restart still run). */
  jobs(): JobHandlers {
    return { [SLACK_COMMAND_JOB]: (payload: SlackCommandJob, job) => this.run(payload, job.id) };
  }

  /** For Probot's addHandler: false for any other path. */
  readonly handler = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if ((req.url ?? "").split("?")[0] !== SLACK_COMMAND_PATH) return false;
    const secret = this.settings.signingSecret;
    if (!secret) return send(res, 404, { error: "Not found" });
    if (req.method !== "POST") {
      res.setHeader("allow", "POST");
      return send(res, 405, { error: "Method not allowed" });
    }
    const raw = await readBody(req);
    if (raw === null) return send(res, 413, { error: "Payload too large" });
    const verdict = verifySlackSignature({
      secret,
      timestamp: header(req, "x-slack-request-timestamp"),
      signature: header(req, "x-slack-signature"),
      rawBody: raw,
      now: this.now(),
    });
    if (!verdict.ok) {
      this.deps.log.warn({ reason: verdict.reason }, "slack command refused");
      return send(res, 401, { error: "Invalid signature" });
    }
    // Signed with our secret but sent to another Slack app (one secret shared by several apps).
    const appId = new URLSearchParams(raw).get("api_app_id");
    if (!this.access.acceptsApp(appId)) {
      this.deps.log.warn({ api_app_id: appId?.slice(0, 40) ?? null }, "slack command refused: unknown api_app_id");
      return send(res, 401, { error: "Unknown Slack app" });
    }
    const parsed = parseCommandBody(header(req, "content-type"), raw);
    if ("error" in parsed) return send(res, 400, { error: `Malformed slash command: ${parsed.error}` });
    const triggerId = new URLSearchParams(raw).get("trigger_id");
    // Slack retries a command it thinks failed; the trigger id keeps it one job.
    await this.deps.queue.enqueue({ type: SLACK_COMMAND_JOB, payload: parsed, dedupeKey: triggerId ? `slack:${triggerId}` : undefined });
    return send(res, 200, { response_type: "ephemeral", text: "Working on it…" });
  };

  /** The job: works out the reply and sends it. Work errors become a polite reply; a reply that cannot be sent throws (the queue retries). */
  async run(job: SlackCommandJob, jobId = 0): Promise<void> {
    let reply: SlackReply;
    try {
      reply = await this.reply(job, jobId);
    } catch (err) {
      this.deps.log.error({ err: errorMessage(err), command: job.command }, "slack command failed");
      reply = errorReply(`Sorry, that did not work: ${escapeMrkdwn(errorMessage(err).slice(0, 500))}`);
    }
    await this.send(job, reply);
  }

  /** The reply to a command (exported for tests through run). */
  async reply(job: SlackCommandJob, jobId = 0): Promise<SlackReply> {
    const text = job.text.trim();
    const [first = "", ...rest] = text.split(/\s+/);
    const word = first.toLowerCase();
    const args = rest.join(" ");
    if (text === "" || word === "help") return helpReply();
    if (word === "review") return this.review(job, args, jobId);
    if (word === "status") return this.status(job, args);
    // One word that is not a command (and not a question) is most likely a mistyped command.
    if (rest.length === 0 && !text.endsWith("?")) return helpReply(`I do not know the command \`${escapeMrkdwn(truncate(first, 50))}\`.`);
    return this.question(job, text);
  }

  /** A question: code in it analysed like a pull request, else the knowledge base (src/answers). Not about a repository: in the channel as before. */
  private async question(job: SlackCommandJob, text: string): Promise<SlackReply> {
    const phrase = this.deps.phraseAnswer;
    // A question is about no repository: its model budget is the asker's, per workspace and UTC day.
    const budgetKey = `slack:${job.team_id ?? "-"}:${job.user_id}:${new Date(this.now()).toISOString().slice(0, 10)}`;
    const { text: fallback, blocks } = await questionReply(
      text,
      {
        engine: this.deps.engine,
        analyse: this.deps.analyse,
        userId: job.user_id,
        context: { repo: "slack", channel_id: job.channel_id ?? null, platform: "slack" },
      },
      phrase && ((input) => phrase(input, budgetKey)),
    );
    return { text: truncate(fallback, SECTION_MAX), blocks };
  }

  /** The reply refusing a repository this request may not reach; undefined when it may. */
  private refusal(job: SlackCommandJob, repo: string): SlackReply | undefined {
    const who: SlackRequester = { teamId: job.team_id, channelId: job.channel_id };
    const decision = this.access.check(who, repo);
    if (decision.allowed) return undefined;
    this.deps.log.info(
      { team_id: job.team_id ?? null, channel_id: job.channel_id ?? null, repo, reason: decision.reason },
      "slack command refused: no access",
    );
    const scope = decision.reason === "channel" ? "this channel" : "this Slack workspace";
    const message = [
      `Sorry, ${scope} may not use the Empathy bot on *${escapeMrkdwn(repo)}*.`,
      "An operator of the bot can allow it in `empathy.config.yml` (then restart the app):",
      "```",
      escapeMrkdwn(accessSnippet(who, repo)),
      "```",
    ].join("\n");
    return errorReply(message);
  }

  /** Replies about repositories: only the asker sees them unless the operator chose in_channel. */
  private get repositoryReplyEphemeral(): boolean {
    return this.access.reply !== "in_channel";
  }

  private async review(job: SlackCommandJob, args: string, jobId: number): Promise<SlackReply> {
    const ref = parsePullRequestUrl(args, this.settings.gheHost);
    if (!ref) {
      return errorReply("Give me a pull request URL, e.g. `/empathy review https://github.com/owner/repo/pull/123`.");
    }
    const name = `${ref.owner}/${ref.repo}`;
    // Before any GitHub call: a refused request learns nothing about the repository.
    const refused = this.refusal(job, name);
    if (refused) return refused;
    const appOctokit = await this.deps.appAuth();
    let installationId: number;
    try {
      const { data } = await appOctokit.request("GET /repos/{owner}/{repo}/installation", { owner: ref.owner, repo: ref.repo });
      installationId = (data as { id: number }).id;
    } catch (err) {
      if ((err as { status?: number }).status === 404) {
        return errorReply(
          `The Empathy bot is not installed on *${escapeMrkdwn(name)}*, so I cannot review it. An admin of the repository can install the app.`,
        );
      }
      throw err;
    }
    const octokit = await this.deps.auth(installationId);
    let pr: {
      number: number;
      state: string;
      draft?: boolean;
      head: { sha: string };
      base?: { repo?: { full_name?: string } };
      html_url: string;
      title: string;
    };
    try {
      pr = (await octokit.rest.pulls.get({ owner: ref.owner, repo: ref.repo, pull_number: ref.number })).data;
    } catch (err) {
      if ((err as { status?: number }).status === 404)
        return errorReply(`I cannot find pull request #${ref.number} in *${escapeMrkdwn(name)}*.`);
      throw err;
    }
    // A renamed or transferred repository answers under its old name: check the name it has now too.
    const actual = pr.base?.repo?.full_name;
    if (actual && actual.toLowerCase() !== name.toLowerCase()) {
      const refusedNow = this.refusal(job, actual);
      if (refusedNow) return refusedNow;
    }
    const link = `<${pr.html_url}|${escapeMrkdwn(`${name}#${pr.number}`)}>`;
    if (pr.state !== "open")
      return errorReply(`${link} is ${pr.state === "closed" ? "closed" : pr.state}: I only review open pull requests.`);
    const outcome = await this.deps.review({
      installationId,
      owner: ref.owner,
      repo: ref.repo,
      pullNumber: pr.number,
      headSha: pr.head.sha,
      deliveryId: `slack-command-${jobId}`,
      action: "slack_review",
    });
    // What the review stored (now, or earlier for this same commit): data, not the comment's Markdown.
    const result = await this.deps.store.getReviewResult(name, pr.number);
    if (!result || result.headSha !== pr.head.sha) {
      const why = pr.draft ? "it is a draft" : "reviews are off for it, or it changed while I was looking";
      return errorReply(`I did not review ${link}: ${why}. (${outcome})`);
    }
    return {
      ...reviewReply(result, { repo: name, number: pr.number, title: pr.title, url: pr.html_url }),
      ephemeral: this.repositoryReplyEphemeral,
    };
  }

  private async status(job: SlackCommandJob, args: string): Promise<SlackReply> {
    const [repoArg, login] = args.split(/\s+/).filter(Boolean);
    if (repoArg !== undefined && !/^[\w.-]+\/[\w.-]+$/.test(repoArg)) {
      return errorReply("Usage: `/empathy status [owner/repo [github-login]]`.");
    }
    if (repoArg !== undefined) {
      const refused = this.refusal(job, repoArg);
      if (refused) return refused;
    }
    const repo = repoArg ?? "slack";
    const lines: string[] = [];
    if (repoArg === undefined) {
      const trust = await this.deps.engine.getTrust(job.user_id, "slack");
      lines.push(`*Your trust* (in Slack conversations): ${pct(trust)}`);
    } else if (login !== undefined) {
      const trust = await this.deps.engine.getTrust(login, repo);
      lines.push(`*Trust of ${escapeMrkdwn(login)}* in ${escapeMrkdwn(repo)}: ${pct(trust)}`);
    } else {
      lines.push(`*Trust* is kept per GitHub user: \`/empathy status ${escapeMrkdwn(repo)} <github-login>\``);
    }

    const patterns = (await this.deps.store.listPatterns(repo)).sort(
      (a, b) => Number(b.learned) - Number(a.learned) || b.confidence - a.confidence,
    );
    const learned = patterns.filter((p) => p.learned);
    lines.push("", `*Learned patterns* in ${escapeMrkdwn(repo)}: ${learned.length === 0 ? "none yet" : ""}`.trimEnd());
    for (const p of learned.slice(0, 10)) {
      const prs = Math.max(p.occurrences, p.prNumbers.length); // prNumbers keeps the most recent only
      lines.push(`• ${escapeMrkdwn(p.name)} — confidence ${pct(p.confidence)}, seen in ${prs} pull request${prs === 1 ? "" : "s"}`);
    }
    if (learned.length > 10) lines.push(`… and ${learned.length - 10} more`);
    const watching = patterns.length - learned.length;
    if (watching > 0) lines.push(`(${watching} more seen, not yet learned)`);

    // Recent predictions: the prediction issues the app opened, newest first.
    const visible =
      repoArg !== undefined
        ? (name: string) => name === repoArg
        : this.access.visibleTo({ teamId: job.team_id, channelId: job.channel_id });
    const predictions = await this.recentPredictions(visible, repoArg);
    lines.push(
      "",
      `*Recent predictions*${repoArg ? ` in ${escapeMrkdwn(repoArg)}` : ""}: ${predictions.length === 0 ? "none with an issue yet" : ""}`.trimEnd(),
    );
    for (const p of predictions) lines.push(`• ${p}`);

    const blocks: SlackBlock[] = [
      { type: "header", text: { type: "plain_text", text: truncate(`Empathy status${repoArg ? `: ${repoArg}` : ""}`, 150), emoji: true } },
      section(lines.join("\n")),
    ];
    // Recent predictions come from repositories, so both forms follow the reply policy.
    return { text: `Empathy status${repoArg ? ` of ${repoArg}` : ""}`, blocks, ephemeral: this.repositoryReplyEphemeral };
  }

  /** The newest prediction issues of repositories `visible` accepts: one indexed query, of `repo` alone when the status names one. */
  private async recentPredictions(visible: (repo: string) => boolean, repo?: string): Promise<string[]> {
    const issues = await this.deps.store.listPredictionIssues(
      repo !== undefined ? { repo, limit: RECENT_PREDICTIONS } : { limit: RECENT_PREDICTIONS_SCAN },
    );
    return recentPredictionLines(issues, visible);
  }

  private async send(job: SlackCommandJob, reply: SlackReply): Promise<void> {
    const { botToken, apiUrl } = this.settings;
    if (!reply.ephemeral && botToken && job.channel_id) {
      try {
        await createSlack({ botToken, apiUrl, fetch: this.deps.fetch }).postMessage({
          channel: job.channel_id,
          text: reply.text,
          blocks: reply.blocks,
        });
        return;
      } catch (err) {
        // e.g. not_in_channel: the response URL still reaches the person who asked.
        this.deps.log.warn({ err: (err as Error).message }, "chat.postMessage failed; replying through response_url");
      }
    }
    const body = {
      response_type: reply.ephemeral ? "ephemeral" : "in_channel",
      replace_original: false,
      text: reply.text,
      blocks: reply.blocks,
    };
    await callService("slack", this.deps.fetch, { url: job.response_url, headers: {}, body }, interpretSlackResponse);
  }
}

/** owner/repo/number of a pull request URL on github.com or the GHE host; Slack's `<url|label>` wrapping is accepted. */
export function parsePullRequestUrl(input: string, gheHost?: string): { owner: string; repo: string; number: number } | null {
  const raw = input.trim().replace(/^<([^|>]+)(?:\|[^>]*)?>$/, "$1");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  const hosts = [
    "github.com",
    "www.github.com",
    ...(gheHost
      ? [
          gheHost
            .toLowerCase()
            .replace(/^https?:\/\//, "")
            .replace(/\/.*$/, ""),
        ]
      : []),
  ];
  if (!hosts.includes(url.host.toLowerCase())) return null;
  const m = /^\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)\/pull\/(\d+)(?:\/.*)?$/.exec(url.pathname);
  if (!m) return null;
  return { owner: m[1], repo: m[2], number: Number(m[3]) };
}

/** Builds the route and the job (`jobs()`). */
export function slackCommands(deps: SlackCommandDeps): SlackCommands {
  return new SlackCommands(deps);
}
