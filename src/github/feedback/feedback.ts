/**
 * Feedback from GitHub moves trust and pattern confidence through the engine's recordFeedback:
 * a prediction issue closed as completed (confirmed) or as not planned (rejected), a flagged
 * line changed or removed by a later push (accepted), a resolved review thread on a finding
 * with the code changed since (accepted), a dismissal (rejected, see commands.ts). Each piece
 * of feedback counts once: the engine records it under a key together with the trust it moved,
 * so a retried job or a redelivered event changes nothing twice, and a retry after the outbox
 * failed sends the events it owes again.
 */
import type { Finding, Prediction } from "../../analysis/types.js";
import type { EmpathyOS } from "../../engine/empathyOS.js";
import type { FeedbackStore, PostedFinding, ReviewStore, ShownItem } from "../../store/store.js";
import { breakerState, BREAKER_LOOKBACK_MS, type BreakerState } from "./feedbackBreaker.js";
import type { Log, Octokit } from "../api/types.js";
import { FINDING_MARKER, PREDICTION_MARKER } from "../api/markers.js";

export const ISSUE_CLOSED_JOB = "feedback_issue_closed";
export const THREAD_RESOLVED_JOB = "feedback_thread_resolved";

export interface IssueClosedJob {
  installationId: number;
  owner: string;
  repo: string;
  issueNumber: number;
  body: string;
  stateReason: string | null;
  closedBy: string;
}

export interface ThreadResolvedJob {
  installationId: number;
  owner: string;
  repo: string;
  pullNumber: number;
  headSha: string;
  /** The first comment of the thread: ours, with a finding marker, or not. */
  commentBody: string;
  commentCommitId: string | null;
  resolvedBy: string;
}

export type Outcome = "accepted" | "rejected";

/** The rule of a finding or the kind of a prediction: the engine's pattern key. */
export function patternKeyOf(item: Record<string, unknown>): string | undefined {
  const key = "prediction" in item ? item.kind : item.rule;
  return typeof key === "string" && key !== "" ? key : undefined;
}

export function predictionIdOf(item: Record<string, unknown>): string | undefined {
  return "prediction" in item && typeof item.id === "string" ? item.id : undefined;
}

export interface ReviewPolicy {
  suppressed: Set<string>;
  breaker: BreakerState;
}

export interface FeedbackDeps {
  store: FeedbackStore & ReviewStore;
  engine: EmpathyOS;
  auth: (installationId: number) => Promise<Octokit>;
  log: Log;
  now?: () => number;
}

export class Feedback {
  private readonly now: () => number;

  constructor(private readonly deps: FeedbackDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** What a review of the repository must respect: dismissed fingerprints and the breaker. */
  async reviewPolicy(repo: string): Promise<ReviewPolicy> {
    const now = this.now();
    const [suppressed, entries] = await Promise.all([
      this.deps.store.listSuppressed(repo),
      this.deps.store.listFeedback(repo, now - BREAKER_LOOKBACK_MS),
    ]);
    return { suppressed: new Set(suppressed), breaker: breakerState(entries, now) };
  }

  async breaker(repo: string): Promise<BreakerState> {
    return (await this.reviewPolicy(repo)).breaker;
  }

  /** Remembers what a review showed, for later feedback and `/empathy explain`. */
  async recordShown(repo: string, prNumber: number, author: string, items: (Finding | Prediction)[]): Promise<void> {
    const shown: ShownItem[] = items.map((item) => ({
      fingerprint: item.fingerprint,
      prNumber,
      author,
      item: { ...item } as Record<string, unknown>,
    }));
    if (shown.length > 0) await this.deps.store.saveShownItems(repo, shown);
  }

  /**
   * After a push: each finding commented inline on an earlier commit whose fingerprint the new
   * analysis no longer has was fixed (its line changed or removed): accepted, once.
   */
  async acceptFixed(repo: string, prNumber: number, headSha: string, posted: PostedFinding[], current: Set<string>): Promise<string[]> {
    const fixed = posted.filter((p) => p.commitSha !== headSha && !current.has(p.fingerprint));
    const accepted: string[] = [];
    for (const p of fixed) {
      if (
        await this.give(repo, {
          key: findingKey(prNumber, p.fingerprint),
          outcome: "accepted",
          fingerprint: p.fingerprint,
          reason: "the flagged line was changed",
        })
      ) {
        accepted.push(p.fingerprint);
      }
    }
    return accepted;
  }

  /**
   * Records one piece of feedback, once per key. The user whose trust moves is the author of the
   * pull request the item was shown on (or `userId` when the item is unknown). Returns false
   * when the key was already counted or nobody can be credited.
   */
  async give(
    repo: string,
    f: { key: string; outcome: Outcome; fingerprint?: string; userId?: string; reason: string; patternKey?: string; predictionId?: string },
  ): Promise<boolean> {
    const shown = f.fingerprint ? await this.deps.store.getShownItem(repo, f.fingerprint) : undefined;
    const userId = shown?.author ?? f.userId;
    if (!userId) {
      this.deps.log.warn({ repo, key: f.key }, "feedback without a known author; ignored");
      return false;
    }
    const item = shown?.item;
    const result = await this.deps.engine.recordFeedback({
      userId,
      repo,
      outcome: f.outcome,
      patternKey: (item && patternKeyOf(item)) ?? f.patternKey,
      predictionId: (item && predictionIdOf(item)) ?? f.predictionId,
      reason: f.reason,
      confidence: typeof item?.confidence === "number" ? item.confidence : undefined,
      key: f.key,
      recordedAt: this.now(),
    });
    if (!result.counted) return false;
    this.deps.log.info(
      { repo, key: f.key, outcome: f.outcome, user: userId, trust: result.trust, pattern_confidence: result.patternConfidence },
      "feedback recorded",
    );
    return true;
  }

  /** A prediction issue closed: completed = confirmed, not planned = rejected; other closes say nothing. */
  async onIssueClosed(job: IssueClosedJob): Promise<Outcome | null> {
    const repo = `${job.owner}/${job.repo}`;
    const fingerprint = PREDICTION_MARKER.exec(job.body ?? "")?.[1];
    if (!fingerprint) return null;
    // Only the issue the app opened for this prediction counts (a copied marker does not).
    if ((await this.deps.store.getPredictionIssue(repo, fingerprint)) !== job.issueNumber) return null;
    const outcome: Outcome | null = job.stateReason === "completed" ? "accepted" : job.stateReason === "not_planned" ? "rejected" : null;
    if (!outcome) return null;
    let userId: string | undefined;
    let patternKey: string | undefined;
    let predictionId: string | undefined;
    if (!(await this.deps.store.getShownItem(repo, fingerprint))) {
      // Opened before reviews remembered what they showed: the issue body names the pull request.
      predictionId = /Prediction `(pred-[0-9a-f]+)`/.exec(job.body)?.[1];
      const pr = /in pull request #(\d+)/.exec(job.body)?.[1];
      if (pr) {
        const octokit = await this.deps.auth(job.installationId);
        const { data } = await octokit.rest.pulls.get({ owner: job.owner, repo: job.repo, pull_number: Number(pr) });
        userId = data.user?.login;
      }
    }
    const reason =
      outcome === "accepted"
        ? `confirmed: issue #${job.issueNumber} closed as completed by ${job.closedBy}`
        : `issue #${job.issueNumber} closed as not planned by ${job.closedBy}`;
    const given = await this.give(repo, {
      key: `issue:${job.issueNumber}`,
      outcome,
      fingerprint,
      userId,
      patternKey,
      predictionId,
      reason,
    });
    return given ? outcome : null;
  }

  /** A resolved thread on one of our inline comments, after a push that removed the finding: accepted. */
  async onThreadResolved(job: ThreadResolvedJob): Promise<boolean> {
    const repo = `${job.owner}/${job.repo}`;
    const fingerprint = FINDING_MARKER.exec(job.commentBody ?? "")?.[1];
    if (!fingerprint) return false;
    if (!job.commentCommitId || job.commentCommitId === job.headSha) return false; // resolved without changing the code
    // When the head was reviewed, "the code changed" also means the finding is gone from it.
    const latest = await this.deps.store.getSummary(repo, job.pullNumber);
    if (latest?.lastSha === job.headSha && latest.lastFingerprints.includes(fingerprint)) return false;
    return this.give(repo, {
      key: findingKey(job.pullNumber, fingerprint),
      outcome: "accepted",
      fingerprint,
      reason: `review thread resolved by ${job.resolvedBy} after the code changed`,
    });
  }
}

/** One outcome per finding per pull request, whichever comes first (fixed, resolved, dismissed). */
export function findingKey(prNumber: number, fingerprint: string): string {
  return `finding:${prNumber}:${fingerprint}`;
}
