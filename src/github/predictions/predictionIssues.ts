/**
 * Prediction issues: the review job hands over the predictions its interaction showed, with the
 * repository's `issues` policy from the config it read (enabled, min_confidence, labels); each
 * prediction the policy lets through becomes a durable job, and the job opens one GitHub issue
 * per distinct prediction. The policy travels with the call and the job's payload, never through
 * state kept between them, so only a review (with issues enabled) opens issues. Never twice: the
 * job's dedupe key, the stored fingerprint (one row per repository and fingerprint), and a look
 * through the repository's issues for the hidden marker before creating.
 */
import { redact, redactDeep } from "../../analysis/secrets.js";
import type { Prediction } from "../../analysis/types.js";
import type { RepoConfig } from "../../config/repoConfig.js";
import type { EventEnvelope } from "../../events/catalog.js";
import type { JobQueue } from "../../jobs/queue.js";
import { pct } from "../../text/percent.js";
import { truncate } from "../../text/truncate.js";
import type { PredictionIssueDetails, ReviewStore } from "../../store/store.js";
import { ensureLabel } from "../api/labels.js";
import { predictionIssueMarker } from "../api/markers.js";
import type { Log, Octokit, RepoRef } from "../api/types.js";

export const PREDICTION_ISSUE_JOB = "prediction_issue";

export type IssuePolicy = RepoConfig["issues"];

/** A prediction as its issue job carries it: the `level_4_prediction` event's data (jobs queued by earlier versions hold exactly that). */
export type PredictionData = EventEnvelope<"level_4_prediction">["data"];

/** The pull request whose review made the predictions. */
export interface PredictionSource {
  installationId: number;
  /** owner/name */
  repo: string;
  prNumber: number;
  url: string;
  commitSha: string;
  /** The pull request's author (the interaction's user). */
  userId: string;
}

export interface PredictionIssueJob {
  installationId: number;
  owner: string;
  repo: string;
  labels: string[];
  prediction: PredictionData;
}

function splitRepo(fullName: string): RepoRef {
  const [owner, repo] = fullName.split("/");
  return { owner, repo };
}

export function issueTitle(p: PredictionData): string {
  // Redacted whole before the cut: a cut token is no longer recognised.
  const first = redact(
    p.prediction
      .split(/(?<=[.!?])\s/)[0]
      .replace(/\s+/g, " ")
      .trim(),
  );
  const short = first.length > 110 ? `${first.slice(0, 107)}…` : first;
  return `Prediction (${pct(p.confidence)}): ${short}`;
}

export function issueBody(p: PredictionData): string {
  const prUrl = p.url ?? "";
  const repoUrl = prUrl.replace(/\/pull\/\d+$/, "");
  const evidence = p.evidence;
  const blob =
    evidence && p.commit_sha && repoUrl && evidence.side !== "LEFT"
      ? `${repoUrl}/blob/${p.commit_sha}/${evidence.path}#L${evidence.line}`
      : `${prUrl}/files`;
  const lines = [
    predictionIssueMarker(p.fingerprint),
    `**Empathy predicts:** ${p.prediction}`,
    "",
    `| Confidence | Severity | Tags |`,
    `|---|---|---|`,
    `| ${pct(p.confidence)} | ${p.severity} | ${p.tags.join(", ") || "–"} |`,
    "",
    `**Impact:** ${p.impact || "–"}`,
    "",
    `**Evidence:** ${evidence ? `[\`${evidence.path}:${evidence.line}\`](${blob})` : "–"} in pull request #${p.pr_number}${prUrl ? ` (${prUrl})` : ""}`,
    "",
    `**Recommendation:** ${p.recommendation}`,
    "",
    `<sub>Prediction \`${p.prediction_id}\`. Close this issue as completed if it was right, or as not planned if it was wrong: Empathy learns from both.</sub>`,
  ];
  return redact(lines.join("\n"));
}

export class PredictionIssues {
  constructor(
    private readonly deps: {
      queue: JobQueue;
      store: ReviewStore;
      auth: (installationId: number) => Promise<Octokit>;
      log: Log;
      now?: () => number;
    },
  ) {}

  /**
   * Queues the issue job of each prediction whose confidence reaches the policy's
   * `min_confidence` (none when issues are off); returns how many were new. Called by the review
   * job, inside its secret scope: the payload is redacted with the values its analysis found.
   */
  async queueIssues(predictions: Prediction[], source: PredictionSource, policy: IssuePolicy): Promise<number> {
    if (!policy.enabled) return 0;
    const { owner, repo } = splitRepo(source.repo);
    let queued = 0;
    for (const p of predictions) {
      if (p.confidence < policy.min_confidence) continue;
      const payload: PredictionIssueJob = {
        installationId: source.installationId,
        owner,
        repo,
        labels: policy.labels,
        prediction: redactDeep(this.predictionData(p, source)),
      };
      const id = await this.deps.queue.enqueue({
        type: PREDICTION_ISSUE_JOB,
        dedupeKey: `prediction:${source.repo}:${p.fingerprint}`,
        payload,
      });
      if (id !== null) queued++;
    }
    return queued;
  }

  /** The same fields as the engine's `level_4_prediction` (the payload shape issue jobs have always had). */
  private predictionData(p: Prediction, source: PredictionSource): PredictionData {
    return {
      prediction_id: p.id,
      prediction: p.prediction,
      confidence: p.confidence,
      severity: p.severity,
      tags: [...p.tags],
      recommendation: p.recommendation,
      user_id: source.userId,
      timestamp: new Date((this.deps.now ?? Date.now)()).toISOString(),
      repo: source.repo,
      pr_number: source.prNumber,
      url: source.url,
      kind: p.kind,
      impact: p.impact,
      fingerprint: p.fingerprint,
      evidence: { path: p.path, line: p.line, side: p.side },
      commit_sha: source.commitSha,
      installation_id: source.installationId,
    };
  }

  async run(job: PredictionIssueJob): Promise<void> {
    const ref = { owner: job.owner, repo: job.repo };
    const fullName = `${job.owner}/${job.repo}`;
    const p = job.prediction;
    if ((await this.deps.store.getPredictionIssue(fullName, p.fingerprint)) !== undefined) return;
    const octokit = await this.deps.auth(job.installationId);
    const existing = await this.findIssue(octokit, ref, p.fingerprint, job.labels[0]);
    if (existing !== null) {
      await this.deps.store.savePredictionIssue(fullName, p.fingerprint, existing.number, issueDetails(p, existing.url));
      return;
    }
    for (const label of job.labels) await ensureLabel(octokit, ref, label);
    const { data } = await octokit.rest.issues.create({ ...ref, title: issueTitle(p), body: issueBody(p), labels: job.labels });
    await this.deps.store.savePredictionIssue(fullName, p.fingerprint, data.number, issueDetails(p, data.html_url));
    this.deps.log.info({ repo: fullName, issue: data.number, prediction_id: p.prediction_id }, "prediction issue opened");
  }

  /** Open and closed issues carrying the app's label are searched for the prediction's marker. */
  private async findIssue(
    octokit: Octokit,
    ref: RepoRef,
    fingerprint: string,
    label: string | undefined,
  ): Promise<{ number: number; url: string } | null> {
    const marker = predictionIssueMarker(fingerprint);
    const params = { ...ref, state: "all" as const, per_page: 100, ...(label ? { labels: label } : {}) };
    for await (const page of octokit.paginate.iterator(octokit.rest.issues.listForRepo, params)) {
      const found = page.data.find((i) => !i.pull_request && (i.body ?? "").includes(marker));
      if (found) return { number: found.number, url: found.html_url };
    }
    return null;
  }
}

/** What "recent predictions" lists about the issue: the prediction in one line (as long as a Slack line allows), redacted. */
export function issueDetails(p: PredictionData, url: string | null): PredictionIssueDetails {
  return { title: truncate(redact(p.prediction.replace(/\s+/g, " ").trim()), 200), confidence: p.confidence, url };
}
