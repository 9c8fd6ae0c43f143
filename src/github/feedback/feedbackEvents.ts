/**
 * Webhook handlers for feedback: they only check the event is for the app and enqueue a job
 * keyed by the delivery id (a redelivery is not handled twice); the work runs in the worker.
 * A job payload is stored (and kept until retention prunes it), so it holds only what its job
 * reads, redacted: never a comment's or an issue's whole text.
 */
import type { Probot } from "probot";
import { redactSecrets } from "../../analysis/secrets.js";
import type { EmpathyOS } from "../../engine/empathyOS.js";
import type { JobHandlers } from "../../jobs/handlers.js";
import type { JobQueue } from "../../jobs/queue.js";
import type { Store } from "../../store/store.js";
import { Commands, COMMAND_JOB, COMMAND_PREFIX, parseCommand, type CommandJob } from "./commands.js";
import { Feedback, ISSUE_CLOSED_JOB, THREAD_RESOLVED_JOB, type IssueClosedJob, type ThreadResolvedJob } from "./feedback.js";
import type { SelfEvents } from "../api/selfEvents.js";
import { TRANSFORMATION_JOB, TransformationIssues, type TransformationJob } from "../predictions/transformation.js";
import type { Log, Octokit } from "../api/types.js";
import { FINDING_MARKER, FINDING_MARKER_PREFIX, PREDICTION_MARKER, PREDICTION_MARKER_PREFIX } from "../api/markers.js";

export interface FeedbackFeature {
  /** For the review job (its `feedback` dep). */
  feedback: Feedback;
  /** For the review job, and to subscribe to the bus (rule-of-three issues). */
  transformations: TransformationIssues;
  /** The feedback, command and rule-of-three jobs, for the composition root to register. */
  jobs: JobHandlers;
}

/** Builds feedback, commands and rule-of-three issues and their job handlers; the composition root registers and subscribes them. */
export function buildFeedback(deps: {
  queue: JobQueue;
  store: Store;
  engine: EmpathyOS;
  auth: (installationId: number) => Promise<Octokit>;
  log: Log;
  forcedReviewIntervalMs?: number;
}): FeedbackFeature {
  const { queue, store, engine, auth, log } = deps;
  const feedback = new Feedback({ store, engine, auth, log });
  const transformations = new TransformationIssues({ queue, store, auth, log });
  const commands = new Commands({ store, feedback, queue, auth, log, forcedReviewIntervalMs: deps.forcedReviewIntervalMs });
  const jobs: JobHandlers = {
    [ISSUE_CLOSED_JOB]: async (payload: IssueClosedJob) => void (await feedback.onIssueClosed(payload)),
    [THREAD_RESOLVED_JOB]: async (payload: ThreadResolvedJob) => void (await feedback.onThreadResolved(payload)),
    [COMMAND_JOB]: async (payload: CommandJob) => void (await commands.run(payload)),
    [TRANSFORMATION_JOB]: (payload: TransformationJob) => transformations.run(payload),
  };
  return { feedback, transformations, jobs };
}

export function handleFeedbackEvents(app: Probot, queue: JobQueue, self: SelfEvents): void {
  app.on("issues.closed", async (context) => {
    const { payload } = context;
    const body = payload.issue.body ?? "";
    if (!payload.installation || !body.includes(PREDICTION_MARKER_PREFIX)) return;
    const job: IssueClosedJob = {
      installationId: payload.installation.id,
      owner: payload.repository.owner.login,
      repo: payload.repository.name,
      issueNumber: payload.issue.number,
      body: issueFacts(body),
      stateReason: payload.issue.state_reason ?? null,
      closedBy: payload.sender?.login ?? "someone",
    };
    await enqueue(queue, context, ISSUE_CLOSED_JOB, job);
  });

  app.on("issue_comment.created", async (context) => {
    const { payload } = context;
    if (!payload.installation || !payload.issue.pull_request) return;
    const line = commandLine(payload.comment.body);
    if (line === null) return;
    if (await self.isOwn(payload.sender)) return;
    const job: CommandJob = {
      installationId: payload.installation.id,
      owner: payload.repository.owner.login,
      repo: payload.repository.name,
      pullNumber: payload.issue.number,
      commentId: payload.comment.id,
      author: payload.comment.user?.login ?? payload.sender.login,
      prAuthor: payload.issue.user?.login,
      // Commands.run parses `body`: the command line rebuilt from what was parsed is all it needs.
      body: line,
      deliveryId: context.id,
    };
    await enqueue(queue, context, COMMAND_JOB, job);
  });

  app.on("pull_request_review_thread.resolved", async (context) => {
    const { payload } = context;
    const first = payload.thread.comments[0];
    if (!payload.installation || !first || !(first.body ?? "").includes(FINDING_MARKER_PREFIX)) return;
    const job: ThreadResolvedJob = {
      installationId: payload.installation.id,
      owner: payload.repository.owner.login,
      repo: payload.repository.name,
      pullNumber: payload.pull_request.number,
      headSha: payload.pull_request.head.sha,
      commentBody: FINDING_MARKER.exec(first.body)?.[0] ?? "",
      commentCommitId: first.original_commit_id ?? first.commit_id ?? null,
      resolvedBy: payload.sender?.login ?? "someone",
    };
    await enqueue(queue, context, THREAD_RESOLVED_JOB, job);
  });
}

async function enqueue(
  queue: JobQueue,
  context: { id: string; name: string; log: Pick<Log, "info"> },
  type: string,
  payload: object,
): Promise<void> {
  const id = await queue.enqueue({ type, dedupeKey: `delivery:${context.id}`, payload });
  context.log.info({ delivery: context.id, job_id: id, type }, id === null ? "delivery already received; ignored" : "feedback queued");
}

/** Longest command line stored: a finding id is at most 64 characters; the rest is noise. */
const MAX_COMMAND_LINE = 200;

/**
 * The command a comment holds, as `/empathy <word> <argument>` (redacted, bounded), or null when
 * the comment is not a command. It parses to the same command as the comment did; the comment's
 * other text is dropped.
 */
export function commandLine(body: unknown): string | null {
  const parsed = parseCommand(body);
  if (!parsed) return null;
  const word = parsed.unknown ?? parsed.name;
  const line = redactSecrets([COMMAND_PREFIX, word, parsed.arg].filter((part) => part !== "").join(" "));
  return line.length > MAX_COMMAND_LINE ? line.slice(0, MAX_COMMAND_LINE) : line;
}

/** What an issue opened before shown items were stored names (feedback's fallback). */
const LEGACY_ISSUE_FACTS = [/Prediction `pred-[0-9a-f]+`/, /in pull request #\d+/];

/** The parts of a prediction issue's body the feedback job reads, one per line (anyone may edit the rest). */
export function issueFacts(body: string): string {
  return [PREDICTION_MARKER, ...LEGACY_ISSUE_FACTS]
    .map((re) => re.exec(body)?.[0])
    .filter((fact): fact is string => fact !== undefined)
    .join("\n");
}
