/**
 * The "Empathy review" check run of a pull request's head commit: what branch protection can
 * require. Created `in_progress` when the review job starts on a commit, completed with a
 * conclusion from `checks.fail_on` and every finding as an annotation; a review that fails for
 * good completes it `neutral` with the reason, so it is never left in progress.
 *
 * GitHub is the durable record: each check run carries an `external_id` naming the pull request
 * and the job's delivery, so a retry (after a failure or a crash, on any instance) finds the run
 * its first attempt created and goes on with it; no table and no window between "created on
 * GitHub" and "remembered here". A completed run cannot go back to in progress, so a failed
 * attempt that will be retried keeps the run in progress with a note instead of completing it.
 */
import { redact } from "../../analysis/secrets.js";
import { severityRank, type Finding, type Severity } from "../../analysis/types.js";
import { repositoryUri } from "../../report/sarif.js";
import { errorMessage } from "../../text/errorMessage.js";
import { truncate } from "../../text/truncate.js";
import { classifyGitHubError, httpStatus } from "../api/errors.js";
import type { Log, Octokit, RepoRef } from "../api/types.js";

export const CHECK_NAME = "Empathy review";
/** GitHub's limit on annotations in one create or update request. */
export const ANNOTATIONS_PER_REQUEST = 50;
/** Most annotations on one run: 20 requests. A bound against a change with thousands of findings (the rest are counted in the summary). */
export const MAX_ANNOTATIONS = 1000;
/** GitHub's limit on `output.summary` (and `output.text`). */
export const OUTPUT_MAX = 65_535;
const EXTERNAL_ID_PREFIX = "empathy-review";

export type CheckConclusion = "success" | "neutral" | "failure";
type AnnotationLevel = "failure" | "warning" | "notice";

export interface CheckAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: AnnotationLevel;
  message: string;
  title: string;
}

/** Which attempt of a queued job this is; absent when nothing retries it (a direct call). */
export interface JobAttempt {
  attempt: number;
  maxAttempts: number;
}

/** The run's reference on our side: the pull request (so a re-run of a fork's check still finds it) and the job's delivery. */
export function checkExternalId(pullNumber: number, deliveryId: string): string {
  return `${EXTERNAL_ID_PREFIX}:${pullNumber}:${deliveryId}`;
}

/** The pull request number in one of our external ids, or undefined for anything else. */
export function pullNumberOfExternalId(externalId: string | null | undefined): number | undefined {
  const m = /^empathy-review:(\d{1,9}):/.exec(externalId ?? "");
  return m ? Number(m[1]) : undefined;
}

/** failure: a finding at or above `failOn`; neutral: findings, all below it; success: none. */
export function conclusionFor(findings: readonly Pick<Finding, "severity">[], failOn: Severity): CheckConclusion {
  if (findings.some((f) => severityRank(f.severity) >= severityRank(failOn))) return "failure";
  return findings.length > 0 ? "neutral" : "success";
}

const LEVEL: Record<Severity, AnnotationLevel> = { critical: "failure", high: "failure", medium: "warning", low: "notice", info: "notice" };

/**
 * One annotation per finding on a line of the head commit. A finding on a deleted line (LEFT) has
 * no line in this commit, and one whose path is not a plain repository path has no file: both are
 * left out (the summary lists them).
 */
export function annotationsFor(findings: readonly Finding[]): CheckAnnotation[] {
  return findings
    .filter((f) => f.side === "RIGHT" && Number.isInteger(f.line) && f.line >= 1 && repositoryUri(f.path) !== undefined)
    .map((f) => ({
      path: f.path,
      start_line: f.line,
      end_line: f.line,
      annotation_level: LEVEL[f.severity],
      message: truncate(redact(f.recommendation ? `${f.message}\n\n${f.recommendation}` : f.message), 4000),
      title: truncate(f.rule, 255),
    }));
}

export function batches<T>(items: readonly T[], size = ANNOTATIONS_PER_REQUEST): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Text within GitHub's output limit, counted in UTF-8 bytes (stricter than characters, so safe either way). */
export function boundedOutput(text: string, note = "\n\n… (cut: the whole report is in the pull request's summary comment)"): string {
  if (Buffer.byteLength(text) <= OUTPUT_MAX) return text;
  let cut = text.slice(0, OUTPUT_MAX - Buffer.byteLength(note));
  while (Buffer.byteLength(cut) + Buffer.byteLength(note) > OUTPUT_MAX) cut = cut.slice(0, -Math.max(1, cut.length >> 6));
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut + note;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export function completionTitle(findings: readonly Pick<Finding, "severity">[], failOn: Severity): string {
  const blocking = findings.filter((f) => severityRank(f.severity) >= severityRank(failOn)).length;
  if (findings.length === 0) return "No findings";
  if (blocking > 0) return `${plural(blocking, "finding")} at ${failOn} or above`;
  return `${plural(findings.length, "finding")}, none at ${failOn} or above`;
}

/** Why a review stopped, in words for the check (no stack, no secret, one short line). */
export function interruptionReason(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === "JobTimeoutError") return "it ran longer than its time limit";
  if (name === "JobReleasedError") return "the app stopped while reviewing";
  const status = httpStatus(error);
  const first = errorMessage(error).split("\n")[0];
  return truncate(redact(status ? `GitHub answered ${status} (${first})` : first), 300);
}

/** Whether the job queue runs this review again after `error` (the queue's own rules, with GitHub's classifier). */
export function willRetry(error: unknown, attempt: JobAttempt | undefined): boolean {
  if (!attempt) return false;
  const name = (error as { name?: unknown } | null)?.name;
  if (name === "JobReleasedError") return true; // not counted: it runs again after the restart
  if (attempt.attempt >= attempt.maxAttempts) return false;
  return name === "JobTimeoutError" || classifyGitHubError(error).retryable;
}

// Installations that have not accepted `checks: write` yet: said once per repository, not at every review.
const noPermissionLogged = new Set<string>();

interface ExistingRun {
  id: number;
  status: string;
  external_id: string | null;
  output: { annotations_count: number };
}

/** The check run of one review of one commit. Every method after start() is a no-op once the run is settled. */
export class ReviewCheck {
  private settled = false;

  private constructor(
    private readonly octokit: Octokit,
    private readonly ref: RepoRef,
    readonly id: number,
    private readonly log: Log,
  ) {}

  /**
   * Finds this job's run (a retry) or creates it, in progress. Null when the installation may not
   * write checks (403/404: the permission was not accepted yet): the review goes on without one.
   */
  static async start(
    octokit: Octokit,
    ref: RepoRef,
    run: { headSha: string; pullNumber: number; deliveryId: string },
    log: Log,
  ): Promise<ReviewCheck | null> {
    const externalId = checkExternalId(run.pullNumber, run.deliveryId);
    const reviewing = { title: "Reviewing…", summary: `The Empathy bot is reviewing commit ${run.headSha.slice(0, 7)}.` };
    try {
      const existing = await findRun(octokit, ref, run.headSha, externalId);
      if (existing && existing.status !== "completed" && existing.output.annotations_count === 0) {
        await octokit.rest.checks.update({ ...ref, check_run_id: existing.id, status: "in_progress", output: reviewing });
        log.info({ check_run_id: existing.id }, "check run resumed");
        return new ReviewCheck(octokit, ref, existing.id, log);
      }
      if (existing && existing.status !== "completed") {
        // Annotations are append-only: an attempt that got as far as sending some starts a new run, and closes this one.
        await octokit.rest.checks.update({
          ...ref,
          check_run_id: existing.id,
          conclusion: "neutral",
          completed_at: new Date().toISOString(),
          output: { title: "Superseded", summary: "The review was retried: its result is in the newer Empathy review check run." },
        });
      }
      const { data } = await octokit.rest.checks.create({
        ...ref,
        name: CHECK_NAME,
        head_sha: run.headSha,
        external_id: externalId,
        status: "in_progress",
        started_at: new Date().toISOString(),
        output: reviewing,
      });
      return new ReviewCheck(octokit, ref, data.id, log);
    } catch (error) {
      const status = httpStatus(error);
      if (status === 422) {
        // e.g. "No commit found for SHA": the check is an extra view of the review, never a reason to drop it.
        log.warn({ status, err: redact(errorMessage(error)) }, "no check run: GitHub refused it; the review goes on without one");
        return null;
      }
      if (status !== 403 && status !== 404) throw error;
      if (classifyGitHubError(error).retryable) throw error; // a rate limit, not a missing permission
      const repo = `${ref.owner}/${ref.repo}`;
      if (!noPermissionLogged.has(repo)) {
        if (noPermissionLogged.size >= 10_000) noPermissionLogged.clear();
        noPermissionLogged.add(repo);
        log.warn(
          { status },
          "no check run: the installation may not write checks (accept the app's `checks: write` permission); the review goes on without one",
        );
      }
      return null;
    }
  }

  /** Completes the run: conclusion, the summary, and the annotations (in batches of 50, the last batch with the completion). */
  async complete(result: { findings: readonly Finding[]; failOn: Severity; summary: string }): Promise<CheckConclusion | null> {
    if (this.settled) return null;
    const conclusion = conclusionFor(result.findings, result.failOn);
    const all = annotationsFor(result.findings);
    const annotations = all.slice(0, MAX_ANNOTATIONS);
    const over = all.length - annotations.length;
    const summary =
      over > 0 ? `${result.summary}\n\n${over} more finding(s) are not annotated here (at most ${MAX_ANNOTATIONS}).` : result.summary;
    const output = { title: completionTitle(result.findings, result.failOn), summary: boundedOutput(redact(summary)) };
    const parts = batches(annotations);
    // Every batch but the last while still in progress: the run is not seen completed with half its annotations.
    for (const part of parts.slice(0, -1)) {
      await this.octokit.rest.checks.update({ ...this.ref, check_run_id: this.id, output: { ...output, annotations: part } });
    }
    const last = parts.at(-1);
    await this.octokit.rest.checks.update({
      ...this.ref,
      check_run_id: this.id,
      status: "completed",
      conclusion,
      completed_at: new Date().toISOString(),
      output: last ? { ...output, annotations: last } : output,
    });
    this.settled = true;
    return conclusion;
  }

  /**
   * The review stopped. Retried: the run stays in progress with a note (its retry goes on with it);
   * for good: completed neutral with the reason. A lost lease leaves the run to the instance that
   * holds the job now. Never throws: the review's own error is what matters.
   */
  async interrupted(error: unknown, attempt: JobAttempt | undefined): Promise<void> {
    if (this.settled) return;
    if ((error as { name?: unknown } | null)?.name === "JobLeaseLostError") return;
    const reason = interruptionReason(error);
    const retry = willRetry(error, attempt);
    this.settled = true; // once, whether the abort or the thrown error says it first
    try {
      if (retry) {
        await this.octokit.rest.checks.update({
          ...this.ref,
          check_run_id: this.id,
          output: { title: "Retrying…", summary: `The review could not finish: ${reason}; it will be retried.` },
        });
      } else {
        await this.octokit.rest.checks.update({
          ...this.ref,
          check_run_id: this.id,
          conclusion: "neutral",
          completed_at: new Date().toISOString(),
          output: {
            title: "The review could not finish",
            summary: `The review could not finish: ${reason}. Push a commit, re-run this check or comment \`/empathy review\` to try again.`,
          },
        });
      }
    } catch (updateError) {
      this.log.warn(
        { check_run_id: this.id, err: redact(errorMessage(updateError)) },
        "could not update the check run of a stopped review",
      );
    }
  }
}

/** This job's run on the commit, found by its external id (a retry's, or one whose create answer was lost). */
async function findRun(octokit: Octokit, ref: RepoRef, headSha: string, externalId: string): Promise<ExistingRun | undefined> {
  let pages = 0;
  for await (const page of octokit.paginate.iterator(octokit.rest.checks.listForRef, {
    ...ref,
    ref: headSha,
    check_name: CHECK_NAME,
    filter: "all",
    per_page: 100,
  })) {
    const found = (page.data as unknown as ExistingRun[]).find((r) => r.external_id === externalId);
    if (found) return found;
    if (++pages >= 5) break; // 500 runs of our name on one commit: it is not among them in any useful sense
  }
  return undefined;
}
