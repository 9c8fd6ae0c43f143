/**
 * Level 5, the rule of three: the engine emits `level_5_transformation` once per pattern seen
 * in three or more pull requests of a repository; a bus subscriber turns it into a durable job
 * that opens one issue proposing a systemic fix. Never twice: the job's dedupe key, the stored
 * pattern key and a look through the repository's issues for the hidden marker.
 *
 * The event carries what the engine knows (its result does not), not whether the repository
 * allows issues nor its installation: the review job records those in the store (the issue
 * policy, one row per repository) before it asks the engine, and the subscriber reads them
 * there, on whichever instance, after a restart too. An event of an interaction that is not
 * about a pull request, or of a repository no review has recorded a policy for, opens nothing.
 */
import { redact } from "../../analysis/secrets.js";
import type { EventBus } from "../../events/bus.js";
import type { EventEnvelope } from "../../events/catalog.js";
import type { JobQueue } from "../../jobs/queue.js";
import { pct } from "../../text/percent.js";
import type { FeedbackStore, IssuePolicyRecord } from "../../store/store.js";
import { ensureLabel } from "../api/labels.js";
import type { Log, Octokit, RepoRef } from "../api/types.js";
import { transformationMarker } from "../api/markers.js";

export const TRANSFORMATION_JOB = "transformation_issue";
export const TRANSFORMATION_LABEL = "empathy: systemic-fix";

export type TransformationData = EventEnvelope<"level_5_transformation">["data"];

export interface TransformationJob {
  installationId: number;
  owner: string;
  repo: string;
  transformation: TransformationData;
}

export function transformationTitle(t: TransformationData): string {
  return redact(`Systemic fix: \`${t.pattern_name}\` keeps coming back (${t.occurrences} pull requests)`);
}

export function transformationBody(t: TransformationData): string {
  const repoUrl = (t.url ?? "").replace(/\/pull\/\d+$/, "");
  const prs = t.pr_numbers.map((n) => (repoUrl ? `[#${n}](${repoUrl}/pull/${n})` : `#${n}`)).join(", ");
  return redact(
    [
      transformationMarker(t.pattern_name),
      `**The same problem, \`${t.pattern_name}\`, was found in ${t.occurrences} pull requests:** ${prs}.`,
      "",
      "Fixing it one pull request at a time keeps it coming back. A change to the codebase or the process would stop it for good:",
      "",
      `**Proposal:** ${t.proposal}`,
      "",
      `<sub>Pattern \`${t.pattern_id}\`, confidence ${pct(t.confidence)}. Empathy proposes this once per pattern (the rule of three).</sub>`,
    ].join("\n"),
  );
}

export class TransformationIssues {
  constructor(
    private readonly deps: { queue: JobQueue; store: FeedbackStore; auth: (installationId: number) => Promise<Octokit>; log: Log },
  ) {}

  /**
   * Stores whether issues may be opened in the repository (its `issues.enabled`, and the trust
   * breaker closed) and through which installation: the review job, before the engine runs.
   */
  async recordPolicy(repo: string, policy: IssuePolicyRecord): Promise<void> {
    await this.deps.store.saveIssuePolicy(repo, policy);
  }

  subscribe(bus: EventBus): void {
    bus.on("level_5_transformation", (event) => this.onTransformation(event));
  }

  private async onTransformation(event: EventEnvelope<"level_5_transformation">): Promise<void> {
    const t = event.data;
    if (t.pr_number === null) return; // not a pull request's review
    const policy = await this.deps.store.getIssuePolicy(t.repo);
    if (!policy?.enabled) return;
    const [owner, repo] = t.repo.split("/");
    const payload: TransformationJob = { installationId: policy.installationId, owner, repo, transformation: t };
    await this.deps.queue.enqueue({ type: TRANSFORMATION_JOB, dedupeKey: `transformation:${t.repo}:${t.pattern_name}`, payload });
  }

  async run(job: TransformationJob): Promise<void> {
    const ref = { owner: job.owner, repo: job.repo };
    const fullName = `${job.owner}/${job.repo}`;
    const t = job.transformation;
    if ((await this.deps.store.getTransformationIssue(fullName, t.pattern_name)) !== undefined) return;
    const octokit = await this.deps.auth(job.installationId);
    const existing = await this.findIssue(octokit, ref, t.pattern_name);
    if (existing !== null) {
      await this.deps.store.saveTransformationIssue(fullName, t.pattern_name, existing);
      return;
    }
    await ensureLabel(octokit, ref, TRANSFORMATION_LABEL);
    const { data } = await octokit.rest.issues.create({
      ...ref,
      title: transformationTitle(t),
      body: transformationBody(t),
      labels: [TRANSFORMATION_LABEL],
    });
    await this.deps.store.saveTransformationIssue(fullName, t.pattern_name, data.number);
    this.deps.log.info({ repo: fullName, issue: data.number, pattern: t.pattern_name }, "systemic fix proposed");
  }

  private async findIssue(octokit: Octokit, ref: RepoRef, patternKey: string): Promise<number | null> {
    const marker = transformationMarker(patternKey);
    const params = { ...ref, state: "all" as const, per_page: 100, labels: TRANSFORMATION_LABEL };
    for await (const page of octokit.paginate.iterator(octokit.rest.issues.listForRepo, params)) {
      const found = page.data.find((i) => !i.pull_request && (i.body ?? "").includes(marker));
      if (found) return found.number;
    }
    return null;
  }
}
