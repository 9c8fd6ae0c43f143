/**
 * Receives pull request events and answers at once: the review is a durable job keyed by
 * the delivery id, so a redelivery of the same event is not reviewed twice.
 */
import type { Probot } from "probot";
import type { JobQueue } from "../../jobs/queue.js";
import { REVIEW_JOB, type ReviewJobPayload } from "./reviewJob.js";
import type { SelfEvents } from "../api/selfEvents.js";

export const REVIEW_ACTIONS = ["opened", "synchronize", "reopened", "ready_for_review"] as const;

export function handlePullRequestEvents(app: Probot, queue: JobQueue, self: SelfEvents): void {
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
