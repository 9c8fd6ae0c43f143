/**
 * Handoffs: work passing from one person (or the app) to another, as `handoff_initiated`.
 *
 * - A prediction issue (its body carries the `empathy-bot:prediction` marker) assigned to a
 *   person: from the assigner ("empathy-bot" when the app assigned it) to the assignee.
 * - A review requested on an open pull request the app has reviewed (decision: any such
 *   request is a handoff; the app's record of the pull request is what makes it one the app
 *   knows about): to the requested reviewer (or `@org/team`), from the most recent earlier
 *   reviewer who is someone else, else from the person who asked. Requests on pull requests
 *   the app never reviewed, and requests of the app itself, are not handoffs.
 *
 * One event per delivery: the job is keyed by the delivery id and records itself as done
 * before emitting.
 */
import type { EventBus } from "../../events/bus.js";
import type { CoordinationStore } from "../../store/store.js";
import type { Log, Octokit } from "../api/types.js";

export const HANDOFF_JOB = "coordination_handoff";
export const APP_AGENT = "empathy-bot";

export type HandoffJob =
  | {
      kind: "prediction_issue_assigned";
      deliveryId: string;
      installationId: number;
      owner: string;
      repo: string;
      issueNumber: number;
      title: string;
      url: string;
      assignee: string;
      /** null: the app assigned it. */
      assigner: string | null;
      fingerprint: string | null;
    }
  | {
      kind: "review_requested";
      deliveryId: string;
      installationId: number;
      owner: string;
      repo: string;
      pullNumber: number;
      title: string;
      url: string;
      /** A login, or "@org/team-slug" for a team. */
      reviewer: string;
      requester: string;
    };

export interface HandoffDeps {
  store: CoordinationStore;
  bus: EventBus;
  auth: (installationId: number) => Promise<Octokit>;
  log: Log;
  /** The app's own login ("slug[bot]"), when known: its reviews are not a person's. */
  appLogin?: () => Promise<string | null>;
}

export async function runHandoff(job: HandoffJob, deps: HandoffDeps): Promise<void> {
  const repoName = `${job.owner}/${job.repo}`;
  if (job.kind === "prediction_issue_assigned") {
    if (!(await deps.store.markCoordinationDone(repoName, `handoff:${job.deliveryId}`))) return;
    const data = {
      from_agent: job.assigner ?? APP_AGENT,
      to_agent: job.assignee,
      task: `#${job.issueNumber} ${job.title}`,
      context: {
        kind: "prediction_issue",
        repo: repoName,
        issue_number: job.issueNumber,
        url: job.url,
        prediction_fingerprint: job.fingerprint,
      },
      repo: repoName,
      issue_number: job.issueNumber,
      url: job.url,
    };
    deps.bus.emit({ type: "handoff_initiated", data });
    deps.log.info({ repo: repoName, issue: job.issueNumber, to: job.assignee }, "handoff: prediction issue assigned");
    return;
  }

  const record = await deps.store.getOpenPullResources(repoName, job.pullNumber);
  if (!record) {
    deps.log.debug({ repo: repoName, pr: job.pullNumber }, "review requested on a pull request the app has not reviewed: no handoff");
    return;
  }
  if (await deps.store.isCoordinationDone(repoName, `handoff:${job.deliveryId}`)) return;
  const octokit = await deps.auth(job.installationId);
  const own = (await deps.appLogin?.()) ?? null;
  const { data: reviews } = await octokit.rest.pulls.listReviews({
    owner: job.owner,
    repo: job.repo,
    pull_number: job.pullNumber,
    per_page: 100,
  });
  const previous = [
    ...new Set(
      reviews
        .map((r) => r.user?.login)
        .filter((l): l is string => !!l && l !== own && !l.endsWith("[bot]") && `@${l}` !== job.reviewer && l !== job.reviewer),
    ),
  ];
  if (!(await deps.store.markCoordinationDone(repoName, `handoff:${job.deliveryId}`))) return;
  const from = previous.length > 0 ? previous[previous.length - 1] : job.requester;
  const data = {
    from_agent: from,
    to_agent: job.reviewer,
    task: `Review #${job.pullNumber} ${job.title}`,
    context: {
      kind: "review_requested",
      repo: repoName,
      pr_number: job.pullNumber,
      url: job.url,
      requested_by: job.requester,
      previous_reviewers: previous,
      head_sha: record.headSha,
    },
    repo: repoName,
    pr_number: job.pullNumber,
    url: job.url,
  };
  deps.bus.emit({ type: "handoff_initiated", data });
  deps.log.info({ repo: repoName, pr: job.pullNumber, from, to: job.reviewer }, "handoff: review requested");
}
