/**
 * `/empathy` commands in pull request comments, run as durable jobs: dismiss, explain, review,
 * config and help. Every command gets an answer as a pull request comment; bad input (unknown
 * words, an id that matches nothing, a user without write access) gets a polite one instead of
 * an error, so nothing a user types can make the job fail. Replies carry a hidden marker naming
 * the command's comment, so a retried job never answers twice.
 */
import { redactSecrets } from "../analysis/secrets.js";
import type { JobQueue } from "../jobs/queue.js";
import { pct } from "../report/markdown.js";
import type { FeedbackStore } from "../store/store.js";
import { findingKey, patternKeyOf, type Feedback } from "./feedback.js";
import { breakerNotice } from "./feedbackBreaker.js";
import { loadRepoConfig } from "./repoConfigLoader.js";
import { REVIEW_JOB, type ReviewJobPayload } from "./reviewJob.js";
import type { Log, Octokit, RepoRef } from "./types.js";

export const COMMAND_JOB = "pr_comment_command";
export const COMMAND_PREFIX = "/empathy";
/** Shortest finding id accepted (a prefix of the fingerprint, as shown in inline comments). */
export const MIN_ID_LENGTH = 8;
const WRITE_ROLES = new Set(["admin", "maintain", "write"]);

export interface CommandJob {
  installationId: number;
  owner: string;
  repo: string;
  pullNumber: number;
  commentId: number;
  author: string;
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

export function helpText(unknown?: string): string {
  const intro = unknown !== undefined ? `I don't know the command \`${sanitize(unknown)}\`. ` : "";
  return [
    `${intro}Empathy understands these commands in a pull request comment:`,
    "",
    "- `/empathy dismiss <finding id>`: the finding is a false positive; it is not reported again in this repository (needs write access).",
    "- `/empathy explain <finding id>`: what the finding is, why it matters and how to fix it.",
    "- `/empathy review`: review the latest commit again now.",
    "- `/empathy config`: the configuration in effect, with any problems in `.github/empathy.yml`.",
    "- `/empathy help`: this text.",
    "",
    `The finding id is shown under each inline comment (\`id …\`); its first ${MIN_ID_LENGTH} characters are enough.`,
  ].join("\n");
}

function sanitize(text: string): string {
  return redactSecrets(text.replace(/[`\r\n]/g, "").slice(0, 60));
}

export function replyMarker(commentId: number): string {
  return `<!-- empathy-bot:reply comment=${commentId} -->`;
}

export interface CommandDeps {
  store: FeedbackStore;
  feedback: Feedback;
  queue: JobQueue;
  auth: (installationId: number) => Promise<Octokit>;
  log: Log;
}

export class Commands {
  constructor(private readonly deps: CommandDeps) {}

  async run(job: CommandJob): Promise<string | null> {
    const parsed = parseCommand(job.body);
    if (!parsed || typeof job.pullNumber !== "number" || typeof job.owner !== "string" || typeof job.repo !== "string") return null;
    const ref = { owner: job.owner, repo: job.repo };
    const octokit = await this.deps.auth(job.installationId);
    if (await this.alreadyAnswered(octokit, ref, job)) return null;
    const answer = await this.answer(parsed, job, octokit, ref);
    await octokit.rest.issues.createComment({ ...ref, issue_number: job.pullNumber, body: `${redactSecrets(answer)}\n\n${replyMarker(job.commentId)}` });
    this.deps.log.info({ repo: `${job.owner}/${job.repo}`, pr: job.pullNumber, command: parsed.name, user: job.author }, "command answered");
    return answer;
  }

  private async answer(cmd: ParsedCommand, job: CommandJob, octokit: Octokit, ref: RepoRef): Promise<string> {
    const mention = `@${job.author}`;
    switch (cmd.name) {
      case "help":
        return helpText(cmd.unknown);
      case "review":
        return this.review(job, octokit, ref);
      case "config":
        return this.config(job, octokit, ref);
      case "explain":
      case "dismiss": {
        const found = await this.resolve(`${job.owner}/${job.repo}`, cmd.arg);
        if (typeof found === "string") return `${mention} ${found}`;
        if (cmd.name === "explain") return explain(found.fingerprint, found.item);
        if (!(await this.canWrite(octokit, ref, job.author))) {
          return `Sorry ${mention}, only people with write access to this repository can dismiss findings. You can ask a maintainer to do it, or use \`/empathy explain ${found.fingerprint.slice(0, MIN_ID_LENGTH)}\`.`;
        }
        return this.dismiss(job, found);
      }
    }
  }

  /** The item an id names, or the sentence saying why there is none. */
  private async resolve(repo: string, arg: string): Promise<{ fingerprint: string; item: Record<string, unknown>; prNumber: number } | string> {
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
    try {
      const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...ref, username });
      return WRITE_ROLES.has(data.role_name) || data.permission === "admin" || data.permission === "write";
    } catch (error: any) {
      if (error?.status === 404 || error?.status === 403) return false; // not a collaborator
      throw error;
    }
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
    await this.deps.queue.enqueue({ type: REVIEW_JOB, dedupeKey: `command:${job.deliveryId}`, payload });
    return `Reviewing commit \`${pr.head.sha.slice(0, 7)}\` again now, as @${job.author} asked. The summary comment will be updated.`;
  }

  private async config(job: CommandJob, octokit: Octokit, ref: RepoRef): Promise<string> {
    const { config, problems } = await loadRepoConfig(octokit, ref, this.deps.log, job.deliveryId);
    const lines = ["The configuration in effect for this repository (`.github/empathy.yml` with defaults):", "", "```json", JSON.stringify(config, null, 2), "```"];
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
    for await (const page of octokit.paginate.iterator(octokit.rest.issues.listComments, { ...ref, issue_number: job.pullNumber, per_page: 100 })) {
      if (page.data.some((c) => (c.body ?? "").includes(marker))) return true;
    }
    return false;
  }
}

/** What, why and how to fix, from what the review showed. */
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
