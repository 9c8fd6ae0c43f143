/**
 * Receives pull request events and answers at once: the review is a durable job keyed by
 * the delivery id, so a redelivery of the same event is not reviewed twice. "Re-run" on the
 * app's check run (`check_run.rerequested`) or its suite (`check_suite.rerequested`) queues a
 * forced review of that commit the same way, reported in a new check run.
 */
import type { Probot } from "probot";
import type { JobQueue } from "../../jobs/queue.js";
import { REVIEW_JOB, type ReviewJobPayload } from "./reviewJob.js";
import type { SelfEvents } from "../api/selfEvents.js";
import { CHECK_NAME, pullNumberOfExternalId } from "../checks/checkRun.js";

/** At most this many pull requests reviewed for one re-run (one commit can head several). */
export const MAX_RERUN_PULLS = 10;

export const REVIEW_ACTIONS = ["opened", "synchronize", "reopened", "ready_for_review"] as const;

/** Everything that asks for a review of a head commit: pull request events, and re-runs of the app's check. */
export function handlePullRequestEvents(app: Probot, queue: JobQueue, self: SelfEvents): void {
  handleCheckRerunEvents(app, queue, self);
  app.on(
    REVIEW_ACTIONS.map((a) => `pull_request.${a}` as const),
    async (context) => {
      const { payload } = context;
      if (await self.isOwn(payload.sender)) return;
      if (!payload.installation) {
        context.log.warn({ delivery: context.id }, "pull_request event without installation; ignored");
        return;
      }
      const job: ReviewJobPayload = {
        installationId: payload.installation.id,
        owner: payload.repository.owner.login,
        repo: payload.repository.name,
        pullNumber: payload.pull_request.number,
        headSha: payload.pull_request.head.sha,
        deliveryId: context.id,
        action: payload.action,
      };
      const id = await queue.enqueue({ type: REVIEW_JOB, dedupeKey: `delivery:${context.id}`, payload: job });
      context.log.info(
        { delivery: context.id, job_id: id, repo: payload.repository.full_name, pr: job.pullNumber, action: job.action },
        id === null ? "delivery already received; ignored" : "review queued",
      );
    },
  );
}

interface RerunSource {
  headSha: string;
  app: { slug?: string } | null | undefined;
  pullRequests: { number: number; head: { sha: string } }[];
  /** check_run only: our external id names the pull request, also when GitHub lists none (a fork's). */
  externalId?: string | null;
}

/** check_run.rerequested and check_suite.rerequested on the app's own runs: a forced review of that commit, per pull request. */
export function handleCheckRerunEvents(app: Probot, queue: JobQueue, self: SelfEvents): void {
  app.on("check_run.rerequested", async (context) => {
    const run = context.payload.check_run;
    if (run.name !== CHECK_NAME) return;
    await queueRerun(context, queue, self, {
      headSha: run.head_sha,
      app: run.app,
      pullRequests: run.pull_requests,
      externalId: run.external_id,
    });
  });
  app.on("check_suite.rerequested", async (context) => {
    const suite = context.payload.check_suite;
    await queueRerun(context, queue, self, { headSha: suite.head_sha, app: suite.app, pullRequests: suite.pull_requests });
  });
}

type RerunContext = {
  id: string;
  name: string;
  payload: {
    action: string;
    installation?: { id: number };
    repository: { name: string; full_name: string; owner: { login: string } };
    sender?: { login: string; type: string } | null;
  };
  log: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
};

async function queueRerun(context: RerunContext, queue: JobQueue, self: SelfEvents, source: RerunSource): Promise<void> {
  const { payload } = context;
  const event = `${context.name}.${payload.action}`;
  // Only the app's own runs: GitHub sends these to their app, and this is checked, not assumed.
  if (!source.app?.slug || !(await self.isOwn({ login: `${source.app.slug}[bot]`, type: "Bot" }))) {
    context.log.info({ delivery: context.id, event }, "re-run of another app's check; ignored");
    return;
  }
  if (payload.sender && (await self.isOwn(payload.sender))) return;
  if (!payload.installation) {
    context.log.warn({ delivery: context.id, event }, `${event} event without installation; ignored`);
    return;
  }
  const numbers = new Set(source.pullRequests.filter((p) => p.head.sha === source.headSha).map((p) => p.number));
  const named = pullNumberOfExternalId(source.externalId);
  if (named !== undefined) numbers.add(named);
  if (numbers.size === 0) {
    context.log.info(
      { delivery: context.id, event, repo: payload.repository.full_name, head_sha: source.headSha },
      "re-run of a commit that heads no known pull request; ignored (comment `/empathy review` on the pull request instead)",
    );
    return;
  }
  for (const pullNumber of [...numbers].slice(0, MAX_RERUN_PULLS)) {
    const job: ReviewJobPayload = {
      installationId: payload.installation.id,
      owner: payload.repository.owner.login,
      repo: payload.repository.name,
      pullNumber,
      headSha: source.headSha,
      deliveryId: context.id,
      action: event,
      force: true,
    };
    const id = await queue.enqueue({ type: REVIEW_JOB, dedupeKey: `delivery:${context.id}:${pullNumber}`, payload: job });
    context.log.info(
      { delivery: context.id, job_id: id, repo: payload.repository.full_name, pr: pullNumber, action: event },
      id === null ? "delivery already received; ignored" : "forced review queued (check re-run)",
    );
  }
}
