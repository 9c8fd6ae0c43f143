/**
 * Prediction issues: a bus subscriber turns each `level_4_prediction` whose confidence reaches
 * the repository's `issues.min_confidence` into a durable job; the job opens one GitHub issue
 * per distinct prediction. Never twice: the job's dedupe key, the stored fingerprint, and a
 * look through the repository's issues for the hidden marker before creating.
 */
import { redact, redactDeep } from "../../analysis/secrets.js";
import type { RepoConfig } from "../../config/repoConfig.js";
import type { EventBus } from "../../events/bus.js";
import type { EventEnvelope } from "../../events/catalog.js";
import type { JobQueue } from "../../jobs/queue.js";
import { pct } from "../../text/percent.js";
import type { ReviewStore } from "../../store/store.js";
import { ensureLabel } from "../api/labels.js";
import { predictionIssueMarker } from "../api/markers.js";
import type { Log, Octokit, RepoRef } from "../api/types.js";

export const PREDICTION_ISSUE_JOB = "prediction_issue";

export type IssuePolicy = RepoConfig["issues"];

export type PredictionData = EventEnvelope<"level_4_prediction">["data"];

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
  const first = redact(p.prediction.split(/(?<=[.!?])\s/)[0].replace(/\s+/g, " ").trim());
  const short = first.length > 110 ? `${first.slice(0, 107)}…` : first;
  return `Prediction (${pct(p.confidence)}): ${short}`;
}

export function issueBody(p: PredictionData): string {
  const prUrl = p.url ?? "";
  const repoUrl = prUrl.replace(/\/pull\/\d+$/, "");
  const evidence = p.evidence;
  const blob = evidence && p.commit_sha && repoUrl && evidence.side !== "LEFT" ? `${repoUrl}/blob/${p.commit_sha}/${evidence.path}#L${evidence.line}` : `${prUrl}/files`;
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
  private policies = new Map<string, IssuePolicy>();

  constructor(
    private readonly deps: {
      queue: JobQueue;
      store: ReviewStore;
      auth: (installationId: number) => Promise<Octokit>;
      log: Log;
    },
  ) {}

  /** The review job sets the repository's policy before the engine emits its predictions. */
  setPolicy(repo: string, policy: IssuePolicy): void {
    this.policies.set(repo, policy);
  }

  subscribe(bus: EventBus): void {
    bus.on("level_4_prediction", (event) => this.onPrediction(event));
  }

  private async onPrediction(event: EventEnvelope<"level_4_prediction">): Promise<void> {
    const p = event.data;
    const policy = this.policies.get(p.repo);
    if (!policy || !policy.enabled || p.confidence < policy.min_confidence || p.installation_id === undefined) return;
    const { owner, repo } = splitRepo(p.repo);
    // A stored row: redacted like everything written (the event's data already is; this keeps it so if the source changes).
    const payload: PredictionIssueJob = { installationId: p.installation_id, owner, repo, labels: policy.labels, prediction: redactDeep(p) };
    await this.deps.queue.enqueue({ type: PREDICTION_ISSUE_JOB, dedupeKey: `prediction:${p.repo}:${p.fingerprint}`, payload });
  }

  async run(job: PredictionIssueJob): Promise<void> {
    const ref = { owner: job.owner, repo: job.repo };
    const fullName = `${job.owner}/${job.repo}`;
    const p = job.prediction;
    if ((await this.deps.store.getPredictionIssue(fullName, p.fingerprint)) !== undefined) return;
    const octokit = await this.deps.auth(job.installationId);
    const existing = await this.findIssue(octokit, ref, p.fingerprint, job.labels[0]);
    if (existing !== null) {
      await this.deps.store.savePredictionIssue(fullName, p.fingerprint, existing);
      return;
    }
    for (const label of job.labels) await ensureLabel(octokit, ref, label);
    const { data } = await octokit.rest.issues.create({ ...ref, title: issueTitle(p), body: issueBody(p), labels: job.labels });
    await this.deps.store.savePredictionIssue(fullName, p.fingerprint, data.number);
    this.deps.log.info({ repo: fullName, issue: data.number, prediction_id: p.prediction_id }, "prediction issue opened");
  }

  /** Open and closed issues carrying the app's label are searched for the prediction's marker. */
  private async findIssue(octokit: Octokit, ref: RepoRef, fingerprint: string, label: string | undefined): Promise<number | null> {
    const marker = predictionIssueMarker(fingerprint);
    const params = { ...ref, state: "all" as const, per_page: 100, ...(label ? { labels: label } : {}) };
    for await (const page of octokit.paginate.iterator(octokit.rest.issues.listForRepo, params)) {
      const found = page.data.find((i) => !i.pull_request && (i.body ?? "").includes(marker));
      if (found) return found.number;
    }
    return null;
  }
}
