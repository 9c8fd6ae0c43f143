/**
 * The review of one pull request head commit, run by the job worker. Every write checks
 * what is already on GitHub or in the store first, so a job re-run after a crash or a
 * retry never posts anything twice.
 */
import { DEFAULT_LIMITS, lowerLimits, type AnalysisLimits } from "../../analysis/limits.js";
import type { AnalyseChange } from "../../analysis/pool/isolated.js";
import { repoAnalysisLimits } from "../../config/repoConfig.js";
import { isIgnoredAuthor } from "../../config/authors.js";
import { PathOverrides } from "../../config/pathOverrides.js";
import { fileClassifier } from "../../analysis/noise.js";
import { isTestFile } from "../../analysis/paths.js";
import type { Finding, Prediction } from "../../analysis/types.js";
import type { EmpathyOS } from "../../engine/empathyOS.js";
import { withKnownSecrets } from "../../analysis/secrets.js";
import { hideFoundSecrets } from "../../analysis/secretsAnalyzer.js";
import { renderReport } from "../../report/markdown.js";
import type { ReviewStore } from "../../store/store.js";
import { selectInlineComments, postInlineReview } from "./inlineReview.js";
import { addLabels, labelsFor } from "../api/labels.js";
import type { ReviewJobPayload } from "../api/jobs.js";

export { REVIEW_JOB, type ReviewJobPayload } from "../api/jobs.js";
import type { PredictionIssues } from "../predictions/predictionIssues.js";
import type { Coordination } from "../coordination/coordination.js";
import type { Feedback } from "../feedback/feedback.js";
import { breakerNotice, BREAKER_LEVEL_CAP, BREAKER_MAX_INLINE_COMMENTS } from "../feedback/feedbackBreaker.js";
import type { TransformationIssues } from "../predictions/transformation.js";
import { loadFileContents, readFileAt } from "../api/fileContents.js";
import { loadPullRequestFiles } from "./pullRequestFiles.js";
import { loadRepoConfig } from "../api/repoConfigLoader.js";
import { upsertSummaryComment } from "./summaryComment.js";
import { reviewResultOf } from "./reviewResult.js";
import type { Log, Octokit, RepoRef } from "../api/types.js";
import type { ConfigProblem, RepoConfig } from "../../config/repoConfig.js";
import { ReviewCheck, type JobAttempt } from "../checks/checkRun.js";
import type { LlmSettings } from "../../config/env.js";
import type { LlmSpendStore } from "../../llm/budget.js";
import { walkthrough } from "../../llm/phrase.js";
import { uploadCodeScanning } from "../checks/codeScanning.js";

export interface ReviewDeps {
  /** Analyses the change: in the worker pool in the app, so untrusted code is never parsed here. */
  analyse: AnalyseChange;
  /** The operator's analysis limits (default DEFAULT_LIMITS); the repository config may lower them. */
  limits?: AnalysisLimits;
  store: ReviewStore;
  engine: EmpathyOS;
  predictionIssues: PredictionIssues;
  auth: (installationId: number) => Promise<Octokit>;
  log: Log;
  /** Suppressed fingerprints, the trust breaker, and acceptance of fixed findings. */
  feedback?: Feedback;
  transformations?: TransformationIssues;
  /** Records the pull request's sensitive resources and queues its conflict and CODEOWNERS check. */
  coordination?: Coordination;
  /**
   * Resolves once this job's events are stored (the webhook outbox); throws when they could not
   * be, so the review is not recorded as done and its retry emits them again.
   */
  eventsStored?: () => Promise<void>;
  /** The optional language model (EMPATHY_LLM_*) and where its token spend is kept; absent: no walkthrough. */
  llm?: { settings: LlmSettings; spend: LlmSpendStore };
}

export type ReviewOutcome = "reviewed" | "skipped";

/**
 * `signal`: the job's time limit; the review stops at the next step once it is aborted. The
 * exact secret values the analysis finds are hidden in every output of the job (comments,
 * events, stored rows, logs that pass `redact`): in memory, for this job only. `attempt`: which
 * try of the queued job this is, so a failure says on the check run whether it is retried
 * (without it, as for a direct call, every failure is the last).
 */
export async function runReviewJob(
  job: ReviewJobPayload,
  deps: ReviewDeps,
  signal?: AbortSignal,
  attempt?: JobAttempt,
): Promise<ReviewOutcome> {
  const foundSecrets: string[] = [];
  return withKnownSecrets(foundSecrets, () => review(job, deps, foundSecrets, signal, attempt));
}

type PullRequest = Awaited<ReturnType<Octokit["rest"]["pulls"]["get"]>>["data"];

/** What the review of one head commit works with, once it is known there is something to review. */
interface HeadReview {
  job: ReviewJobPayload;
  deps: ReviewDeps;
  foundSecrets: string[];
  signal?: AbortSignal;
  octokit: Octokit;
  ref: RepoRef;
  repoName: string;
  log: Log;
  pr: PullRequest;
  config: RepoConfig;
  problems: ConfigProblem[];
  check: ReviewCheck | null;
}

async function review(
  job: ReviewJobPayload,
  deps: ReviewDeps,
  foundSecrets: string[],
  signal?: AbortSignal,
  attempt?: JobAttempt,
): Promise<ReviewOutcome> {
  const ref = { owner: job.owner, repo: job.repo };
  const repoName = `${job.owner}/${job.repo}`;
  const log = deps.log.child?.({ repo: repoName, pr: job.pullNumber, delivery: job.deliveryId }) ?? deps.log;
  const octokit = await deps.auth(job.installationId);

  const { data: pr } = await octokit.rest.pulls.get({ ...ref, pull_number: job.pullNumber });
  if (pr.state !== "open") return skip(log, "pull request is not open");
  if (pr.head.sha !== job.headSha) return skip(log, "a newer commit was pushed; its own job reviews it");
  if (!job.force && (await deps.store.getReview(repoName, pr.number, pr.head.sha))) return skip(log, "this commit was already reviewed");

  const { config, problems } = await loadRepoConfig(octokit, ref, log, job.deliveryId);
  if (!config.review.enabled) return skip(log, "reviews are disabled in the repository config");
  if (pr.draft && !config.review.drafts) return skip(log, "draft: waiting until ready for review");
  // Before any write (the check run included): Renovate's pull requests cost nothing.
  if (isIgnoredAuthor(config, pr.user.login)) return skip(log, "author ignored by review.ignore_authors");

  // From here there is a commit to review: its check run says so until the review ends, however it ends.
  signal?.throwIfAborted();
  const check = await ReviewCheck.start(octokit, ref, { headSha: pr.head.sha, pullNumber: pr.number, deliveryId: job.deliveryId }, log);
  // A time limit or a stop can leave the work below waiting on a call: the check is told at once.
  const onAbort = () => void check?.interrupted(signal?.reason, attempt);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    return await reviewHead({ job, deps, foundSecrets, signal, octokit, ref, repoName, log, pr, config, problems, check });
  } catch (error) {
    await check?.interrupted(signal?.aborted ? signal.reason : error, attempt);
    throw error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

async function reviewHead(h: HeadReview): Promise<ReviewOutcome> {
  const { job, deps, foundSecrets, signal, octokit, ref, repoName, log, pr, config, problems, check } = h;
  const { files, skipped: notRead } = await loadPullRequestFiles(octokit, ref, pr.number, { changedFiles: pr.changed_files });
  const limits = lowerLimits(deps.limits ?? DEFAULT_LIMITS, repoAnalysisLimits(config));
  const fetchLimits = { maxFiles: config.analysis.max_files, maxFileBytes: limits.maxFileBytes };
  const gitattributes = await readFileAt(octokit, ref, ".gitattributes", pr.head.sha, fetchLimits.maxFileBytes);
  const notReviewed = fileClassifier({ gitattributes, ignore: config.ignore });
  const reviewed = files.filter((f) => !notReviewed(f));
  // `paths`: the level of the most demanding folder touched; each file's own minimum severity.
  const overrides = new PathOverrides(config);
  const settings = overrides.forPullRequest(reviewed.map((f) => f.path));
  const { contents, skipped: notWhole } = await loadFileContents(octokit, ref, pr.head.sha, reviewed, fetchLimits);
  signal?.throwIfAborted();
  const { result: analysis, secretValues } = await deps.analyse(
    { files, fileContents: contents, gitattributes, title: pr.title, body: pr.body ?? "" },
    {
      largeChangeLines: config.analysis.large_change_lines,
      ignore: config.ignore,
      minSeverity: settings.minSeverity, // the lowest any reviewed file asks for: keepBySeverity judges each below
      limits,
      signal,
    },
  );
  analysis.skipped = [...notRead, ...notWhole, ...analysis.skipped];
  // The values found by the workers: hidden in every output of this job from here on.
  foundSecrets.push(...secretValues);
  hideFoundSecrets(analysis, foundSecrets);
  analysis.findings = overrides.keepBySeverity(analysis.findings);
  signal?.throwIfAborted();
  await deps.coordination?.afterReview({
    installationId: job.installationId,
    ...ref,
    number: pr.number,
    author: pr.user.login,
    headSha: pr.head.sha,
    baseRef: pr.base.ref,
    url: pr.html_url,
    title: pr.title,
    files,
    contents,
  });

  // Feedback: findings posted on earlier commits and gone now were fixed (accepted); dismissed
  // fingerprints are not reported again; the trust breaker lowers autonomy while it is open.
  const postedBefore = await deps.store.listPostedFindings(repoName, pr.number);
  if (deps.feedback) {
    const current = new Set([...analysis.findings, ...analysis.predictions].map((i) => i.fingerprint));
    await deps.feedback.acceptFixed(repoName, pr.number, pr.head.sha, postedBefore, current);
  }
  const policy = deps.feedback ? await deps.feedback.reviewPolicy(repoName) : undefined;
  const cautious = policy?.breaker.open === true;
  if (policy && policy.suppressed.size > 0) {
    analysis.findings = analysis.findings.filter((f) => !policy.suppressed.has(f.fingerprint));
    analysis.predictions = analysis.predictions.filter((p) => !policy.suppressed.has(p.fingerprint));
  }
  const issuesAllowed = config.issues.enabled && !cautious;
  // The rule of three fires inside the engine, and its event is all the listener gets: the
  // repository's policy is stored for it first (durable, seen by every instance).
  await deps.transformations?.recordPolicy(repoName, { enabled: issuesAllowed, installationId: job.installationId });
  const result = await deps.engine.interact({
    userId: pr.user.login,
    input: `${pr.title}\n\n${pr.body ?? ""}`,
    targetLevel: cautious ? Math.min(settings.targetLevel, BREAKER_LEVEL_CAP) : settings.targetLevel,
    context: {
      repo: repoName,
      pr_number: pr.number,
      url: pr.html_url,
      commit_sha: pr.head.sha,
      installation_id: job.installationId,
      analysis,
      files_changed: files.length,
      tests_changed: files.some((f) => isTestFile(f.path)),
      description: pr.body ?? "",
      title: pr.title,
    },
  });

  // Prediction issues: queued here with the policy this job read (the engine shows predictions
  // only at level 4 and up, so these are exactly the ones it announced).
  await deps.predictionIssues.queueIssues(
    result.predictions,
    {
      installationId: job.installationId,
      repo: repoName,
      prNumber: pr.number,
      url: pr.html_url,
      commitSha: pr.head.sha,
      userId: pr.user.login,
    },
    { ...config.issues, enabled: issuesAllowed },
  );

  // Inline comments: only what was never posted on this pull request, on lines of the diff.
  const posted = new Set(postedBefore.map((p) => p.fingerprint));
  const items: (Finding | Prediction)[] = [...result.findings, ...result.predictions];
  await deps.feedback?.recordShown(repoName, pr.number, pr.user.login, items);
  const maxInline = cautious ? Math.min(config.review.max_inline_comments, BREAKER_MAX_INLINE_COMMENTS) : config.review.max_inline_comments;
  const selection = selectInlineComments(items, files, posted, maxInline);

  // The summary first: the review's body links to it.
  const previous = await deps.store.getSummary(repoName, pr.number);
  const current = items.map((i) => i.fingerprint);
  const changes = previous
    ? {
        added: current.filter((f) => !previous.lastFingerprints.includes(f)).length,
        resolved: previous.lastFingerprints.filter((f) => !current.includes(f)).length,
        unchanged: current.filter((f) => previous.lastFingerprints.includes(f)).length,
      }
    : undefined;
  signal?.throwIfAborted();
  const notice = cautious && policy ? breakerNotice(policy.breaker) : undefined;
  // The walkthrough, when the operator configured a model and the repository allows it: the
  // reviewed files only (never what the repository ignores), the values found hidden.
  const walkthroughText = deps.llm
    ? await walkthrough(
        reviewed,
        { findings: result.findings, predictions: result.predictions },
        {
          settings: deps.llm.settings,
          repoAllows: config.llm,
          spend: deps.llm.spend,
          budgetKey: `${repoName}#${pr.number}`,
          log,
          secretValues: foundSecrets,
          signal,
        },
      )
    : undefined;
  signal?.throwIfAborted();
  const markdown = renderReport({
    level: result.level,
    confidence: result.confidence,
    response: result.response,
    findings: result.findings,
    predictions: result.predictions,
    clarifications: result.clarifications,
    skipped: analysis.skipped,
    configProblems: problems,
    notInline: selection.overLimit + selection.unanchored,
    changes,
    commitSha: pr.head.sha,
    notice,
    walkthrough: walkthroughText,
  });
  const summary = await upsertSummaryComment(octokit, ref, pr.number, markdown, previous?.commentId ?? null);
  await deps.store.saveSummary(repoName, pr.number, { commentId: summary.id, lastFingerprints: current, lastSha: pr.head.sha });
  // The same result as data, for readers that must not parse the Markdown (Slack).
  await deps.store.saveReviewResult(
    repoName,
    pr.number,
    reviewResultOf({
      headSha: pr.head.sha,
      level: result.level,
      confidence: result.confidence,
      response: result.response,
      clarifications: result.clarifications,
      notice,
      findings: result.findings,
      predictions: result.predictions,
      summaryComment: summary,
      reviewedAt: Date.now(),
    }),
  );

  let reviewId: number | null = null;
  if (selection.comments.length > 0) {
    reviewId = await postInlineReview(octokit, ref, pr.number, pr.head.sha, selection.comments, summary.url);
    await deps.store.savePostedFindings(
      repoName,
      pr.number,
      selection.comments.map((c) => ({ fingerprint: c.fingerprint, path: c.path, line: c.line, commitSha: pr.head.sha })),
    );
  }

  if (config.review.labels) {
    const wanted = labelsFor(result.findings, result.predictions);
    await addLabels(
      octokit,
      ref,
      pr.number,
      wanted,
      pr.labels.map((l) => l.name),
    );
  }

  // The check last among the writes: completed means the review's comments and labels are there.
  signal?.throwIfAborted();
  const conclusion = await check?.complete({ findings: result.findings, failOn: config.checks.fail_on, summary: markdown });
  if (config.checks.code_scanning) {
    await uploadCodeScanning(octokit, ref, { pullNumber: pr.number, headSha: pr.head.sha, findings: result.findings }, log);
  }

  await deps.eventsStored?.(); // before the "reviewed" mark: a retry must not stop at "already reviewed"
  await deps.store.saveReview(repoName, pr.number, pr.head.sha, reviewId);
  log.info(
    {
      level: result.level,
      findings: result.findings.length,
      predictions: result.predictions.length,
      inline: selection.comments.length,
      skipped: analysis.skipped.length,
      check: conclusion ?? null,
    },
    "pull request reviewed",
  );
  return "reviewed";
}

function skip(log: Log, reason: string): ReviewOutcome {
  log.info({ reason }, "review skipped");
  return "skipped";
}
