/**
 * Coordination between people: the pieces, and their job handlers (`jobs()`, registered by the
 * composition root).
 *
 * - The review job calls `afterReview` once it has the diff: the pull request's sensitive
 *   resources are stored (replacing the previous head's) and a durable check job is queued
 *   for that head (conflicts with other open pull requests, CODEOWNERS).
 * - Webhook handlers only queue durable jobs keyed by the delivery id: `pull_request.closed`
 *   forgets the pull request's resources, `issues.assigned` on a prediction issue and
 *   `pull_request.review_requested` become handoffs.
 */
import { redact, redactDeep } from "../../analysis/secrets.js";
import type { Probot } from "probot";
import type { DiffFile } from "../../analysis/types.js";
import type { EventBus } from "../../events/bus.js";
import type { JobHandlers } from "../../jobs/handlers.js";
import type { JobQueue } from "../../jobs/queue.js";
import type { CoordinationStore } from "../../store/store.js";
import { COORDINATION_CHECK_JOB, runCoordinationCheck, type CoordinationCheckJob } from "./coordinationConflicts.js";
import { HANDOFF_JOB, runHandoff, type HandoffJob } from "./coordinationHandoffs.js";
import { PREDICTION_MARKER_PREFIX, predictionFingerprint } from "../api/markers.js";
import { extractResources } from "./coordinationResources.js";
import type { SelfEvents } from "../api/selfEvents.js";
import type { Log, Octokit } from "../api/types.js";

export const COORDINATION_CLOSED_JOB = "coordination_pr_closed";

/** At most this many changed paths go to CODEOWNERS matching (GitHub lists at most 3000 files). */
const MAX_PATHS = 3000;

export interface CoordinationClosedJob {
  owner: string;
  repo: string;
  pullNumber: number;
}

export interface ReviewedPullRequest {
  installationId: number;
  owner: string;
  repo: string;
  number: number;
  author: string;
  headSha: string;
  baseRef: string;
  url: string;
  title: string;
  files: DiffFile[];
  /** Whole files at the head, when read (helps find an OpenAPI path above a change). */
  contents?: Map<string, string>;
}

export class Coordination {
  constructor(
    private readonly deps: {
      queue: JobQueue;
      store: CoordinationStore;
      bus: EventBus;
      auth: (installationId: number) => Promise<Octokit>;
      log: Log;
      self?: SelfEvents;
    },
  ) {}

  /** The jobs' handlers, for the composition root to register. */
  jobs(): JobHandlers {
    const { store, bus, auth, log } = this.deps;
    return {
      [COORDINATION_CHECK_JOB]: (job: CoordinationCheckJob) => runCoordinationCheck(job, { store, bus, auth, log }),
      [HANDOFF_JOB]: (job: HandoffJob) => runHandoff(job, { store, bus, auth, log }),
      [COORDINATION_CLOSED_JOB]: async (job: CoordinationClosedJob) => {
        await store.deleteOpenPullResources(`${job.owner}/${job.repo}`, job.pullNumber);
        log.info({ repo: `${job.owner}/${job.repo}`, pr: job.pullNumber }, "closed pull request forgotten for coordination");
      },
    };
  }

  /** Stores the reviewed head's resources and queues its coordination check. */
  async afterReview(pr: ReviewedPullRequest): Promise<void> {
    const repoName = `${pr.owner}/${pr.repo}`;
    const resources = extractResources(pr.files, pr.contents);
    // A stored row, later quoted in comments and events: redacted whole (the title may hold a pasted token).
    await this.deps.store.saveOpenPullResources(
      repoName,
      redactDeep({ prNumber: pr.number, author: pr.author, headSha: pr.headSha, url: pr.url, title: pr.title, resources }),
    );
    const job: CoordinationCheckJob = {
      installationId: pr.installationId,
      owner: pr.owner,
      repo: pr.repo,
      pullNumber: pr.number,
      headSha: pr.headSha,
      baseRef: pr.baseRef,
      author: pr.author,
      paths: pr.files.flatMap((f) => (f.oldPath && f.oldPath !== f.path ? [f.path, f.oldPath] : [f.path])).slice(0, MAX_PATHS),
    };
    await this.deps.queue.enqueue({
      type: COORDINATION_CHECK_JOB,
      dedupeKey: `coordination:${repoName}#${pr.number}@${pr.headSha}`,
      payload: job,
    });
  }

  /** Webhook handlers: each only queues a job keyed by its delivery. */
  handleEvents(app: Probot): void {
    const queue = this.deps.queue;
    const key = (id: string) => `coordination:delivery:${id}`;

    app.on("pull_request.closed", async (context) => {
      const { payload } = context;
      const job: CoordinationClosedJob = {
        owner: payload.repository.owner.login,
        repo: payload.repository.name,
        pullNumber: payload.pull_request.number,
      };
      await queue.enqueue({ type: COORDINATION_CLOSED_JOB, dedupeKey: key(context.id), payload: job });
    });

    app.on("issues.assigned", async (context) => {
      const { payload } = context;
      const body = payload.issue.body ?? "";
      const assignee = payload.assignee;
      if (!body.includes(PREDICTION_MARKER_PREFIX) || !assignee || !payload.installation) return;
      const fromApp = await this.isOwn(payload.sender);
      const job: HandoffJob = {
        kind: "prediction_issue_assigned",
        deliveryId: context.id,
        installationId: payload.installation.id,
        owner: payload.repository.owner.login,
        repo: payload.repository.name,
        issueNumber: payload.issue.number,
        title: redact(payload.issue.title), // job payloads are stored rows
        url: payload.issue.html_url,
        assignee: assignee.login,
        assigner: fromApp ? null : payload.sender.login,
        fingerprint: predictionFingerprint(body),
      };
      await queue.enqueue({ type: HANDOFF_JOB, dedupeKey: key(context.id), payload: job });
      context.log.info({ delivery: context.id, issue: job.issueNumber }, "handoff queued");
    });

    app.on("pull_request.review_requested", async (context) => {
      const { payload } = context;
      if (!payload.installation || (await this.isOwn(payload.sender))) return;
      const reviewer =
        "requested_reviewer" in payload && payload.requested_reviewer
          ? payload.requested_reviewer.type === "Bot"
            ? null
            : payload.requested_reviewer.login
          : "requested_team" in payload && payload.requested_team
            ? `@${payload.organization?.login ?? payload.repository.owner.login}/${payload.requested_team.slug}`
            : null;
      if (!reviewer) return;
      const job: HandoffJob = {
        kind: "review_requested",
        deliveryId: context.id,
        installationId: payload.installation.id,
        owner: payload.repository.owner.login,
        repo: payload.repository.name,
        pullNumber: payload.pull_request.number,
        title: redact(payload.pull_request.title),
        url: payload.pull_request.html_url,
        reviewer,
        requester: payload.sender.login,
      };
      await queue.enqueue({ type: HANDOFF_JOB, dedupeKey: key(context.id), payload: job });
      context.log.info({ delivery: context.id, pr: job.pullNumber }, "handoff queued");
    });
  }

  private async isOwn(sender: { login: string; type: string } | undefined): Promise<boolean> {
    return (await this.deps.self?.isOwn(sender)) ?? false;
  }
}
