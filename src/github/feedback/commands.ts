/**
 * `/empathy` commands in pull request comments, run as durable jobs: dismiss, explain, review,
 * config and help. Every command gets an answer as a pull request comment; bad input (unknown
 * words, an id that matches nothing, a user without write access) gets a polite one instead of
 * an error, so nothing a user types can make the job fail. Replies carry a hidden marker naming
 * the command's comment, so a retried job never answers twice.
 */
import { parsePatch, suggestionFits } from "../../analysis/diff.js";
import { redactSecrets } from "../../analysis/secrets.js";
import { explainFinding } from "../../answers/explain.js";
import type { JobQueue } from "../../jobs/queue.js";
import { pct } from "../../text/percent.js";
import type { FeedbackStore, RateSlotStore } from "../../store/store.js";
import { findingKey, patternKeyOf, type Feedback } from "./feedback.js";
import { breakerNotice } from "./feedbackBreaker.js";
import { loadRepoConfig } from "../api/repoConfigLoader.js";
import { REVIEW_JOB, type ReviewJobPayload } from "../api/jobs.js";
import type { Log, Octokit, RepoRef } from "../api/types.js";
import { replyMarker } from "../api/markers.js";
import { httpStatus } from "../api/errors.js";
import { readFileAt } from "../api/fileContents.js";
// The same test the review uses before it offers a suggestion (see the report's note on the import rule).

export const COMMAND_JOB = "pr_comment_command";
export const COMMAND_PREFIX = "/empathy";
/** Shortest finding id accepted (a prefix of the fingerprint, as shown in inline comments). */
export const MIN_ID_LENGTH = 8;
const WRITE_ROLES = new Set(["admin", "maintain", "write"]);
/** Help answers anyone, but each person at most once per pull request in this time. */
const HELP_INTERVAL_MS = 60 * 60_000;
/** Largest file read to show the code of a finding being explained. */
const EXPLAIN_MAX_FILE_BYTES = 1_000_000;
/** How long a collaborator permission read from GitHub is trusted. */
const PERMISSION_TTL_MS = 60_000;
/** Least time between two forced reviews of one pull request, unless the deps say otherwise. */
export const DEFAULT_FORCED_REVIEW_INTERVAL_MS = 300_000;

export interface CommandJob {
  installationId: number;
  owner: string;
  repo: string;
  pullNumber: number;
  commentId: number;
  /** Who wrote the command. */
  author: string;
  /** Who opened the pull request (absent in jobs queued before it was recorded: then asked of GitHub). */
  prAuthor?: string;
  body: string;
  deliveryId: string;
}

export type CommandName = "dismiss" | "explain" | "review" | "config" | "help";

export interface ParsedCommand {
  name: CommandName;
  arg: string;
  /** The word typed when it was not a known command (answered with the help text). */
  unknown?: string;
}

/** The command on the comment's first line, or null when the comment is not a command. */
export function parseCommand(body: unknown): ParsedCommand | null {
  if (typeof body !== "string") return null;
  const first = body.trimStart().split(/\r?\n/)[0].trim();
  const match = /^\/empathy(?:\s+(\S+))?(?:\s+(.*))?$/i.exec(first);
  if (!match) return null;
  const word = (match[1] ?? "help").toLowerCase();
  const arg = (match[2] ?? "").trim();
  if (word === "dismiss" || word === "explain" || word === "review" || word === "config" || word === "help") return { name: word, arg };
  return { name: "help", arg: "", unknown: match[1] };
}

export function helpText(unknown?: string, forcedReviewIntervalMs = DEFAULT_FORCED_REVIEW_INTERVAL_MS): string {
  const limit = forcedReviewIntervalMs > 0 ? ` (at most once every ${duration(forcedReviewIntervalMs, Math.ceil)} per pull request)` : "";
  const intro = unknown !== undefined ? `I don't know the command \`${sanitize(unknown)}\`. ` : "";
  return [
    `${intro}Empathy understands these commands in a pull request comment:`,
    "",
    "- `/empathy dismiss <finding id>`: the finding is a false positive; it is not reported again in this repository (needs write access).",
    "- `/empathy explain <finding id>`: the finding's code, why it matters and how to fix it (the suggested change when there is one).",
    `- \`/empathy review\`: review the latest commit again now${limit}.`,
    "- `/empathy config`: the configuration in effect, with any problems in `.github/empathy.yml`.",
    "- `/empathy help`: this text.",
    "",
    `The finding id is shown under each inline comment (\`id …\`); its first ${MIN_ID_LENGTH} characters are enough.`,
  ].join("\n");
}

function sanitize(text: string): string {
  return redactSecrets(text.replace(/[`\r\n]/g, "").slice(0, 60));
}

export { replyMarker };

export interface CommandDeps {
  store: FeedbackStore & RateSlotStore;
  feedback: Feedback;
  queue: JobQueue;
  auth: (installationId: number) => Promise<Octokit>;
  log: Log;
  /**
   * `/empathy review` runs at most once per pull request in this many ms (anyone can type it and
   * each one is a full analysis); 0 turns the limit off. Default DEFAULT_FORCED_REVIEW_INTERVAL_MS.
   */
  forcedReviewIntervalMs?: number;
  now?: () => number;
}

export class Commands {
  private readonly now: () => number;
  private readonly forcedReviewIntervalMs: number;
  /** `repo:login` -> write access, briefly: a burst of commands asks GitHub once. */
  private readonly permissions = new Map<string, { write: boolean; at: number }>();

  constructor(private readonly deps: CommandDeps) {
    this.now = deps.now ?? Date.now;
    const interval = deps.forcedReviewIntervalMs;
    this.forcedReviewIntervalMs =
      typeof interval === "number" && Number.isFinite(interval) && interval >= 0 ? interval : DEFAULT_FORCED_REVIEW_INTERVAL_MS;
  }

  async run(job: CommandJob): Promise<string | null> {
    const parsed = parseCommand(job.body);
    if (!parsed || typeof job.pullNumber !== "number" || typeof job.owner !== "string" || typeof job.repo !== "string") return null;
    const ref = { owner: job.owner, repo: job.repo };
    const octokit = await this.deps.auth(job.installationId);
    // Who may ask is decided before anything is read or written for the command.
    const refusal = await this.refusal(parsed, job, octokit, ref);
    if (refusal) {
      this.deps.log.info(
        { repo: `${job.owner}/${job.repo}`, pr: job.pullNumber, command: parsed.name, user: job.author, reason: refusal },
        "command ignored",
      );
      return null;
    }
    if (await this.alreadyAnswered(octokit, ref, job)) return null;
    const answer = await this.answer(parsed, job, octokit, ref);
    await octokit.rest.issues.createComment({
      ...ref,
      issue_number: job.pullNumber,
      body: `${redactSecrets(answer)}\n\n${replyMarker(job.commentId)}`,
    });
    this.deps.log.info(
      { repo: `${job.owner}/${job.repo}`, pr: job.pullNumber, command: parsed.name, user: job.author },
      "command answered",
    );
    return answer;
  }

  private async answer(cmd: ParsedCommand, job: CommandJob, octokit: Octokit, ref: RepoRef): Promise<string> {
    const mention = `@${job.author}`;
    switch (cmd.name) {
      case "help":
        return helpText(cmd.unknown, this.forcedReviewIntervalMs);
      case "review":
        return this.review(job, octokit, ref);
      case "config":
        return this.config(job, octokit, ref);
      case "explain":
      case "dismiss": {
        const found = await this.resolve(`${job.owner}/${job.repo}`, cmd.arg);
        if (typeof found === "string") return `${mention} ${found}`;
        if (cmd.name === "explain") return this.explain(found, octokit, ref, job);
        if (!(await this.canWrite(octokit, ref, job.author))) {
          return `Sorry ${mention}, only people with write access to this repository can dismiss findings. You can ask a maintainer to do it, or use \`/empathy explain ${found.fingerprint.slice(0, MIN_ID_LENGTH)}\`.`;
        }
        return this.dismiss(job, found);
      }
    }
  }

  /**
   * Why the command is ignored without a word, or undefined when it is answered: help answers
   * anyone once an hour per person and pull request; every other command answers the pull
   * request's author and people with write access only (anyone else could use it to spam the
   * thread or to start reviews).
   */
  private async refusal(cmd: ParsedCommand, job: CommandJob, octokit: Octokit, ref: RepoRef): Promise<string | undefined> {
    const repo = `${job.owner}/${job.repo}`;
    if (cmd.name === "help") {
      const slot = `help:${repo}#${job.pullNumber}:${job.author.toLowerCase()}`;
      const claim = await this.deps.store.claimRateSlot(slot, commandKey(job), this.now(), HELP_INTERVAL_MS);
      return claim.ok ? undefined : "help already given to this user on this pull request within the hour";
    }
    const prAuthor = job.prAuthor ?? (await octokit.rest.pulls.get({ ...ref, pull_number: job.pullNumber })).data.user?.login;
    if (prAuthor && prAuthor.toLowerCase() === job.author.toLowerCase()) return undefined;
    return (await this.canWrite(octokit, ref, job.author)) ? undefined : "not the pull request's author and no write access";
  }

  /**
   * The explanation of a shown finding, with the code at its line from the file at the pull
   * request's head and its suggested change when that still fits the pull request's diff.
   */
  private async explain(
    found: { fingerprint: string; item: Record<string, unknown> },
    octokit: Octokit,
    ref: RepoRef,
    job: CommandJob,
  ): Promise<string> {
    const { item } = found;
    const path = typeof item.path === "string" ? item.path : undefined;
    let fileLines: string[] | undefined;
    let suggestion: Suggestion | undefined;
    if (path && item.side !== "LEFT") {
      const { data: pr } = await octokit.rest.pulls.get({ ...ref, pull_number: job.pullNumber });
      const text = await readFileAt(octokit, ref, path, pr.head.sha, EXPLAIN_MAX_FILE_BYTES);
      fileLines = text?.split(/\r?\n/);
      const offered = shownSuggestion(item);
      if (offered && typeof item.line === "number") {
        const file = await this.pullRequestFile(octokit, ref, job.pullNumber, path);
        if (file && suggestionFits(offered, item.line, file)) suggestion = offered;
      }
    }
    return explainFinding({ fingerprint: found.fingerprint, item, fileLines, suggestion, idLength: MIN_ID_LENGTH });
  }

  /** One changed file of the pull request, parsed; pages are read until it is found. */
  private async pullRequestFile(octokit: Octokit, ref: RepoRef, pullNumber: number, path: string) {
    for await (const page of octokit.paginate.iterator(octokit.rest.pulls.listFiles, { ...ref, pull_number: pullNumber, per_page: 100 })) {
      const f = page.data.find((x) => x.filename === path);
      if (f) return parsePatch(f.filename, f.patch);
    }
    return undefined;
  }

  /** The item an id names, or the sentence saying why there is none. */
  private async resolve(
    repo: string,
    arg: string,
  ): Promise<{ fingerprint: string; item: Record<string, unknown>; prNumber: number } | string> {
    const id = arg.split(/\s+/)[0]?.replace(/^`|`$/g, "").toLowerCase() ?? "";
    if (id === "") return "please give the id of a finding, e.g. `/empathy explain 1a2b3c4d` (the id is shown under each inline comment).";
    if (!/^[0-9a-f]+$/.test(id) || id.length < MIN_ID_LENGTH || id.length > 64) {
      return `\`${sanitize(id)}\` is not a finding id: ids are ${MIN_ID_LENGTH} to 16 hexadecimal characters, as shown under each inline comment.`;
    }
    const matches = await this.deps.store.findShownItems(repo, id, 2);
    if (matches.length === 0) return `no finding with id \`${id}\` exists in this repository.`;
    if (matches.length > 1) return `\`${id}\` matches more than one finding; please give more characters of the id.`;
    return matches[0];
  }

  private async canWrite(octokit: Octokit, ref: RepoRef, username: string): Promise<boolean> {
    const key = `${ref.owner}/${ref.repo}:${username.toLowerCase()}`;
    const cached = this.permissions.get(key);
    if (cached && this.now() - cached.at < PERMISSION_TTL_MS) return cached.write;
    let write: boolean;
    try {
      const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...ref, username });
      write = WRITE_ROLES.has(data.role_name) || data.permission === "admin" || data.permission === "write";
    } catch (error) {
      if (httpStatus(error) !== 404 && httpStatus(error) !== 403) throw error;
      write = false; // not a collaborator
    }
    if (this.permissions.size >= 1000) this.permissions.clear(); // a cache, not a record: bounded
    this.permissions.set(key, { write, at: this.now() });
    return write;
  }

  private async dismiss(job: CommandJob, found: { fingerprint: string; item: Record<string, unknown>; prNumber: number }): Promise<string> {
    const repo = `${job.owner}/${job.repo}`;
    const counted = await this.deps.feedback.give(repo, {
      key: findingKey(found.prNumber, found.fingerprint),
      outcome: "rejected",
      fingerprint: found.fingerprint,
      reason: `dismissed as a false positive by ${job.author}`,
    });
    await this.deps.store.suppressFinding(repo, found.fingerprint, job.author);
    const id = found.fingerprint.slice(0, MIN_ID_LENGTH);
    const what = patternKeyOf(found.item) ?? "finding";
    const lines = [
      counted
        ? `Dismissed \`${id}\` (${what}) as a false positive, thanks @${job.author}. Empathy will not report it again in this repository and trusts this kind of finding a little less.`
        : `\`${id}\` (${what}) was already counted; it stays dismissed and will not be reported again in this repository.`,
    ];
    const breaker = await this.deps.feedback.breaker(repo);
    if (breaker.open) lines.push("", breakerNotice(breaker));
    return lines.join("\n");
  }

  private async review(job: CommandJob, octokit: Octokit, ref: RepoRef): Promise<string> {
    const { data: pr } = await octokit.rest.pulls.get({ ...ref, pull_number: job.pullNumber });
    if (pr.state !== "open") return "This pull request is closed: there is nothing to review.";
    // The slot is taken in the store, not in memory, so the limit holds across processes; the
    // command itself is the claimant, so its own retry (or a redelivery) is not refused.
    const repo = `${job.owner}/${job.repo}`;
    const now = this.now();
    const claim = await this.deps.store.claimRateSlot(
      `forced-review:${repo}#${job.pullNumber}`,
      commandKey(job),
      now,
      this.forcedReviewIntervalMs,
    );
    if (!claim.ok) {
      this.deps.log.info(
        { repo, pr: job.pullNumber, user: job.author, next_at: new Date(claim.nextAt).toISOString() },
        "forced review refused: too soon after the last one",
      );
      return forcedReviewRefusal(claim.lastAt, claim.nextAt, now);
    }
    const payload: ReviewJobPayload = {
      installationId: job.installationId,
      owner: job.owner,
      repo: job.repo,
      pullNumber: job.pullNumber,
      headSha: pr.head.sha,
      deliveryId: job.deliveryId,
      action: "command",
      force: true,
    };
    // Keyed by the command like the slot: a redelivery of the same comment is one review.
    await this.deps.queue.enqueue({ type: REVIEW_JOB, dedupeKey: `command:${commandKey(job)}`, payload });
    return `Reviewing commit \`${pr.head.sha.slice(0, 7)}\` again now, as @${job.author} asked. The summary comment will be updated.`;
  }

  private async config(job: CommandJob, octokit: Octokit, ref: RepoRef): Promise<string> {
    const { config, problems } = await loadRepoConfig(octokit, ref, this.deps.log, job.deliveryId);
    const lines = [
      "The configuration in effect for this repository (`.github/empathy.yml` with defaults):",
      "",
      "```json",
      JSON.stringify(config, null, 2),
      "```",
    ];
    if (problems.length > 0) {
      lines.push("", "**Problems** (each key below uses its default):", "");
      for (const p of problems) lines.push(`- \`${p.file}\` \`${p.key}\`: ${p.message.replace(/\s+/g, " ")}`);
    } else {
      lines.push("", "No problems found.");
    }
    const breaker = await this.deps.feedback.breaker(`${job.owner}/${job.repo}`);
    if (breaker.open) lines.push("", breakerNotice(breaker));
    return lines.join("\n");
  }

  private async alreadyAnswered(octokit: Octokit, ref: RepoRef, job: CommandJob): Promise<boolean> {
    const marker = replyMarker(job.commentId);
    for await (const page of octokit.paginate.iterator(octokit.rest.issues.listComments, {
      ...ref,
      issue_number: job.pullNumber,
      per_page: 100,
    })) {
      if (page.data.some((c) => (c.body ?? "").includes(marker))) return true;
    }
    return false;
  }
}

/** The command's identity across retries and redeliveries: its comment (the delivery if the payload has none). */
function commandKey(job: CommandJob): string {
  return typeof job.commentId === "number" ? `comment:${job.commentId}` : `delivery:${job.deliveryId}`;
}

/** The answer to a forced review over the limit: when the last one was and when the next may run. */
export function forcedReviewRefusal(lastAt: number, nextAt: number, now: number): string {
  const ago = now - lastAt < 1000 ? "just now" : `${duration(now - lastAt, Math.floor)} ago`;
  const wait = Math.max(nextAt - now, 1000);
  return `A review of this pull request was already forced ${ago}; \`/empathy review\` can run again in ${duration(wait, Math.ceil)} (at ${clockTime(now + wait, Math.ceil(wait / 1000) < 60, now)}).`;
}

/** "45 seconds", "3 minutes", "1 hour 5 minutes"; `round` says which way (ago: down, wait: up, never early). */
function duration(ms: number, round: (x: number) => number): string {
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const seconds = round(ms / 1000);
  if (seconds < 60) return unit(Math.max(1, seconds), "second");
  const minutes = round(ms / 60_000);
  if (minutes < 60) return unit(minutes, "minute");
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? unit(hours, "hour") : `${unit(hours, "hour")} ${unit(minutes % 60, "minute")}`;
}

/** "21:45 UTC" (rounded up to the minute, so never before it can run), with seconds under a minute away, and the date when not today. */
function clockTime(at: number, withSeconds: boolean, now: number): string {
  const when = new Date(withSeconds ? Math.ceil(at / 1000) * 1000 : Math.ceil(at / 60_000) * 60_000);
  const iso = when.toISOString();
  const time = iso.slice(11, withSeconds ? 19 : 16);
  const sameDay = iso.slice(0, 10) === new Date(now).toISOString().slice(0, 10);
  return `${sameDay ? "" : `${iso.slice(0, 10)} `}${time} UTC`;
}

type Suggestion = { startLine: number; endLine: number; replacement: string };

/** The suggestion a stored finding carried, when its shape is intact. */
function shownSuggestion(item: Record<string, unknown>): Suggestion | undefined {
  const s = item.suggestion as Partial<Suggestion> | undefined;
  if (!s || typeof s !== "object") return undefined;
  const { startLine, endLine, replacement } = s;
  if (!Number.isInteger(startLine) || !Number.isInteger(endLine) || typeof replacement !== "string") return undefined;
  return { startLine: startLine!, endLine: endLine!, replacement };
}

/** What, why and how to fix, from what the review showed (without the code: the command's answer is `explainFinding`). */
export function explain(fingerprint: string, item: Record<string, unknown>): string {
  const str = (k: string) => (typeof item[k] === "string" ? (item[k] as string) : "");
  const where = str("path") ? `\`${str("path")}:${String(item.line ?? "?")}\`` : "this pull request";
  const confidence = typeof item.confidence === "number" ? pct(item.confidence) : "?";
  const isPrediction = "prediction" in item;
  const what = isPrediction ? str("prediction") : str("message");
  const why = isPrediction
    ? `A ${str("severity")} prediction (${str("kind")}, confidence ${confidence}). ${str("impact")}`.trim()
    : `A ${str("severity")} ${str("category")} finding from rule \`${str("rule")}\` (confidence ${confidence}).`;
  return [
    `**Finding \`${fingerprint.slice(0, MIN_ID_LENGTH)}\`** at ${where}`,
    "",
    `**What:** ${what || "–"}`,
    "",
    `**Why it matters:** ${why}`,
    "",
    `**How to fix:** ${str("recommendation") || "–"}`,
    "",
    `If this is a false positive, someone with write access can reply \`/empathy dismiss ${fingerprint.slice(0, MIN_ID_LENGTH)}\`.`,
  ].join("\n");
}
