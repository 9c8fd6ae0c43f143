/**
 * The persistence boundary. Everything durable goes through this interface so that a
 * PostgreSQL adapter can replace the embedded SQLite one; callers never see SQL.
 * Methods are async for that reason even though better-sqlite3 is synchronous.
 */
import type { EngineState } from "../engine/state.js";
import type { EventLogStore, SecretStore } from "./events.js";
import type { IssuePolicyRecord, PredictionIssueDetails, PredictionIssueRecord, ReviewResult } from "./results.js";
import type { WebhookInsightStore } from "./webhookInsights.js";
import type { DashboardReadStore } from "./dashboardReads.js";

export type { EventLogStore, NewStoredEvent, SecretStore, StoredEnvelope, StoredEventPage, StoredEventQuery } from "./events.js";
export { MAX_EVENT_PAGE, MAX_EVENT_QUERY_REPOS, MAX_EVENTS_AFTER } from "./events.js";

export type {
  IssuePolicyRecord,
  PredictionIssueDetails,
  PredictionIssueRecord,
  ReviewResult,
  StoredFinding,
  StoredPrediction,
} from "./results.js";

export type JobStatus = "queued" | "running" | "done" | "dead";

export interface JobRecord {
  id: number;
  type: string;
  payload: unknown;
  dedupeKey: string | null;
  status: JobStatus;
  attempts: number;
  runAt: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface NewJob {
  type: string;
  payload: unknown;
  /** A second job with the same key is not added (e.g. the X-GitHub-Delivery id). */
  dedupeKey?: string;
  runAt?: number;
}

/**
 * A claim's lease: who holds it (an instance id made at start) and until when. The holder's
 * heartbeat renews it while the work runs; only an expired lease is taken back, by any instance.
 */
export interface Lease {
  owner: string;
  expiresAt: number;
}

/**
 * The pull request a job is about, from its payload (`owner`, `repo`, `pullNumber`), as
 * "owner/repo#number" in lower case; null for other jobs. A store never runs two jobs with the
 * same subject at once, on any instance.
 */
export function jobSubjectKey(payload: unknown): string | null {
  const p = (payload ?? {}) as { owner?: unknown; repo?: unknown; pullNumber?: unknown };
  if (typeof p.owner !== "string" || typeof p.repo !== "string" || typeof p.pullNumber !== "number") return null;
  return `${p.owner}/${p.repo}#${p.pullNumber}`.toLowerCase();
}

/** The lease of a claim made without one (tests, the CLI): nobody's, a minute long. */
export const DEFAULT_LEASE_MS = 60_000;

export interface JobStore {
  /** Returns the new job's id, or null when a job with the same dedupe key exists. */
  enqueueJob(job: NewJob): Promise<number | null>;
  /**
   * Atomically takes the next due queued job and marks it running, held by `lease` (one
   * statement: two instances never take the same job). A job whose subject (jobSubjectKey) has
   * a job running is passed over until that one ends.
   */
  claimJob(now: number, lease?: Lease): Promise<JobRecord | null>;
  /**
   * The outcome of a claimed job. With `owner`, only while that owner still holds it (a lease
   * lost to another instance is not overwritten); returns whether the job was changed.
   */
  completeJob(id: number, owner?: string): Promise<boolean>;
  retryJob(id: number, runAt: number, error: string, owner?: string): Promise<boolean>;
  killJob(id: number, error: string, owner?: string): Promise<boolean>;
  /** The owner's heartbeat: extends the leases of the running jobs it holds; returns their ids. */
  renewJobLeases(owner: string, expiresAt: number): Promise<number[]>;
  /**
   * Running jobs whose lease expired (their instance died or hangs) go back to the queue; those
   * already claimed `maxAttempts` times are dead-lettered instead (a job that takes its process
   * down must not take every instance down forever). Live leases are left alone, whoever holds them.
   */
  /** `except`: the caller's own instance id; its leases are never taken back by itself (only a late heartbeat). */
  reclaimExpiredJobs(now: number, maxAttempts?: number, except?: string | null): Promise<{ requeued: number; dead: JobRecord[] }>;
  /** Earliest run time of a queued job that could be claimed now (none waiting for its subject). */
  nextJobRunAt(): Promise<number | null>;
  countJobs(): Promise<Record<JobStatus, number>>;
  /**
   * Oldest first by default (the queue's order); "newest" orders by last update, most recent
   * first: what any "recent" listing (health, Slack status) must use.
   */
  listJobs(status: JobStatus, limit?: number, order?: "oldest" | "newest"): Promise<JobRecord[]>;
}

export interface PostedFinding {
  fingerprint: string;
  path: string;
  line: number;
  commitSha: string;
}

export interface SummaryState {
  commentId: number | null;
  /** Fingerprints of the findings and predictions shown in the last summary, for "what changed". */
  lastFingerprints: string[];
  lastSha: string | null;
}

export interface ReviewStore {
  getReview(repo: string, prNumber: number, commitSha: string): Promise<{ reviewId: number | null } | undefined>;
  saveReview(repo: string, prNumber: number, commitSha: string, reviewId: number | null): Promise<void>;
  listPostedFindings(repo: string, prNumber: number): Promise<PostedFinding[]>;
  savePostedFindings(repo: string, prNumber: number, findings: PostedFinding[]): Promise<void>;
  getSummary(repo: string, prNumber: number): Promise<SummaryState | undefined>;
  saveSummary(repo: string, prNumber: number, state: SummaryState): Promise<void>;
  getPredictionIssue(repo: string, fingerprint: string): Promise<number | undefined>;
  /** One link per repository and fingerprint; a second save updates its issue number and details, never its time. */
  savePredictionIssue(repo: string, fingerprint: string, issueNumber: number, details?: PredictionIssueDetails): Promise<void>;
  /**
   * Prediction issues, most recently recorded first (one indexed query): of one repository (its
   * name as stored, exact), or of all of them.
   */
  listPredictionIssues(query: { repo?: string; limit: number }): Promise<PredictionIssueRecord[]>;
  /** Replaces the pull request's result (each review of a new head). */
  saveReviewResult(repo: string, prNumber: number, result: ReviewResult): Promise<void>;
  getReviewResult(repo: string, prNumber: number): Promise<ReviewResult | undefined>;
}

export type WebhookDeliveryStatus = "pending" | "in_flight" | "delivered" | "dead";
/** Outcome of one attempt: delivered, failed (another attempt is scheduled) or dead (no more). */
export type WebhookAttemptStatus = "delivered" | "failed" | "dead";

export interface NewWebhookDelivery {
  /** The webhook-id: the same on every attempt and replay. */
  id: string;
  registrationId: string;
  eventType: string;
  /** Its events (written with `enqueueWebhookEvent`'s `events`). */
  eventIds: string[];
  /**
   * The rendered request body. null: the body is made from `envelopes` when sent (the envelope,
   * or the array of them for a batch, when there is no template; else the template again, e.g.
   * for a replayed dead letter whose rendering had failed).
   */
  body: string | null;
  status: "pending" | "dead";
  nextAttemptAt: number;
  /** For a delivery dead on arrival (a template error): the error, also logged as attempt 1. */
  error?: string;
  /** A delivery whose key this registration already had is not written (the same prediction on every push). */
  dedupeKey?: string;
}

export interface WebhookDeliveryRecord {
  id: string;
  registrationId: string;
  eventType: string;
  eventIds: string[];
  /** The events' envelopes as a JSON array text, in eventIds order. */
  envelopes: string;
  body: string | null;
  status: WebhookDeliveryStatus;
  /** Attempts in the current round (a replay starts a new round). */
  attempts: number;
  /** Attempts ever made, numbering the delivery log. */
  totalAttempts: number;
  nextAttemptAt: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

export interface NewWebhookEvent {
  id: string;
  eventType: string;
  /** The envelope's JSON text. */
  envelope: string;
}

export interface NewWebhookBatchItem {
  registrationId: string;
  eventId: string;
  eventType: string;
  /** As for a delivery: an item whose key this registration already had is not written. */
  dedupeKey?: string;
}

export interface WebhookBatchItem extends NewWebhookBatchItem {
  seq: number;
  /** The event's envelope JSON text. */
  envelope: string;
  createdAt: number;
}

export interface WebhookAttemptRecord {
  deliveryId: string;
  registrationId: string;
  eventType: string;
  attempt: number;
  status: WebhookAttemptStatus;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** At most 4 KB of the response body. */
  responseExcerpt: string | null;
  nextAttemptAt: number | null;
  attemptedAt: number;
}

/** What an attempt did to its delivery, stored with the attempt in one transaction. */
export interface WebhookAttemptResult {
  deliveryId: string;
  /** The instance that made the attempt: recorded only while it still holds the delivery's lease. */
  leaseOwner?: string;
  status: WebhookAttemptStatus;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseExcerpt: string | null;
  /** When status is "failed": the next attempt's time. */
  nextAttemptAt: number | null;
  attemptedAt: number;
}

export interface WebhookCircuitState {
  endpointKey: string;
  consecutiveFailures: number;
  openUntil: number | null;
}

export interface WebhookRegistrationState {
  id: string;
  disabledAt: number | null;
  disabledReason: string | null;
}

export interface WebhookAttemptQuery {
  eventType?: string;
  status?: WebhookAttemptStatus;
  deliveryId?: string;
  /** ms since the epoch: attempts at or after it. */
  since?: number;
  limit?: number;
}

export interface WebhookStore {
  /** Writes events (each once), their deliveries and batch items, in one transaction. */
  enqueueWebhookEvent(
    input: { events: NewWebhookEvent[]; deliveries: NewWebhookDelivery[]; batchItems: NewWebhookBatchItem[] },
    now: number,
  ): Promise<void>;
  /**
   * Atomically takes up to `limit` due pending deliveries of these registrations, oldest first, and
   * marks them in flight (attempts + 1), held by `lease`: one instance sends a delivery at a time.
   */
  claimWebhookDeliveries(registrationIds: string[], now: number, limit: number, lease?: Lease): Promise<WebhookDeliveryRecord[]>;
  /** The owner's heartbeat: extends the leases of the in-flight deliveries it holds; returns their ids. */
  renewWebhookDeliveryLeases(owner: string, expiresAt: number): Promise<string[]>;
  /** Logs the attempt and moves its delivery to delivered, pending (retry) or dead, in one transaction. */
  recordWebhookAttempt(result: WebhookAttemptResult): Promise<void>;
  /** Several attempts' results in one transaction. */
  recordWebhookAttempts(results: WebhookAttemptResult[]): Promise<void>;
  /** Puts an in-flight delivery back without counting the attempt (the process is stopping); with `owner`, only while it holds it. */
  releaseWebhookDelivery(id: string, now: number, owner?: string): Promise<void>;
  /**
   * In-flight deliveries whose lease expired (their instance died) go back to pending, the
   * interrupted attempt not counted (as with release). Live leases are left alone.
   */
  reclaimExpiredWebhookDeliveries(now: number, except?: string | null): Promise<number>;
  /** Earliest next attempt among pending deliveries of these registrations. */
  nextWebhookDeliveryAt(registrationIds: string[]): Promise<number | null>;
  getWebhookDelivery(id: string): Promise<WebhookDeliveryRecord | undefined>;
  /** Oldest created first by default; "newest": last updated first (for "recent" listings). */
  listWebhookDeliveries(query: {
    status?: WebhookDeliveryStatus;
    registrationId?: string;
    since?: number;
    limit?: number;
    order?: "oldest" | "newest";
  }): Promise<WebhookDeliveryRecord[]>;
  countWebhookDeliveries(): Promise<Record<WebhookDeliveryStatus, number>>;
  /** Attempts, newest first. */
  listWebhookAttempts(query: WebhookAttemptQuery): Promise<WebhookAttemptRecord[]>;
  /** Dead letters back to pending with a fresh retry budget: by ids, or all finished since a time. Returns their ids. */
  replayWebhookDeliveries(query: { ids?: string[]; since?: number; registrationIds?: string[] }, now: number): Promise<string[]>;
  /** Dead-letters every pending delivery of a registration (it was disabled). */
  killWebhookDeliveries(registrationId: string, error: string, now: number): Promise<number>;
  /** Pending batch items per registration: count and oldest. */
  webhookBatchStats(): Promise<{ registrationId: string; count: number; oldestAt: number }[]>;
  listWebhookBatchItems(registrationId: string, limit: number): Promise<WebhookBatchItem[]>;
  /**
   * Turns batch items into one delivery: removes the items and inserts it, in one transaction.
   * When another instance flushed any of these items first, nothing is written: false.
   */
  flushWebhookBatch(items: WebhookBatchItem[], delivery: NewWebhookDelivery, now: number): Promise<boolean>;
  getWebhookRegistrationState(id: string): Promise<WebhookRegistrationState | undefined>;
  /** reason null: enabled again. */
  setWebhookRegistrationDisabled(id: string, reason: string | null, now: number): Promise<void>;
  listWebhookCircuits(): Promise<WebhookCircuitState[]>;
  saveWebhookCircuit(state: WebhookCircuitState, now: number): Promise<void>;
  /**
   * Deletes delivered deliveries (and their attempts) finished before a time, and events nothing
   * refers to any more, in batches (the RetentionStore deletes); dead letters are kept. Returns
   * how many deliveries went.
   */
  pruneWebhookHistory(before: number): Promise<number>;
}

/** A finding or prediction as a review showed it (the JSON of the analysis item). */
export interface ShownItem {
  fingerprint: string;
  prNumber: number;
  /** The pull request's author: feedback on the item moves this user's trust. */
  author: string;
  item: Record<string, unknown>;
}

export interface FeedbackEntry {
  key: string;
  outcome: "accepted" | "rejected";
  userId: string;
  createdAt: number;
}

export interface FeedbackStore {
  saveShownItems(repo: string, items: ShownItem[]): Promise<void>;
  getShownItem(repo: string, fingerprint: string): Promise<ShownItem | undefined>;
  /** Items whose fingerprint starts with `prefix` (an id as typed by a user), at most `limit`. */
  findShownItems(repo: string, prefix: string, limit?: number): Promise<ShownItem[]>;
  /** Feedback is recorded, once per key, by the engine (EngineState.saveFeedback). */
  /** Feedback recorded at or after `since`, oldest first. */
  listFeedback(repo: string, since: number): Promise<FeedbackEntry[]>;
  suppressFinding(repo: string, fingerprint: string, userId: string): Promise<void>;
  listSuppressed(repo: string): Promise<string[]>;
  getTransformationIssue(repo: string, patternKey: string): Promise<number | undefined>;
  saveTransformationIssue(repo: string, patternKey: string, issueNumber: number): Promise<void>;
  /** Replaces the repository's issue policy (written by each review, before the engine runs). */
  saveIssuePolicy(repo: string, policy: IssuePolicyRecord): Promise<void>;
  getIssuePolicy(repo: string): Promise<IssuePolicyRecord | undefined>;
}

/** An open pull request's sensitive resources, as last reviewed (see github/coordination/coordinationResources.ts). */
export interface OpenPullResources {
  prNumber: number;
  author: string;
  headSha: string;
  url: string;
  title: string;
  /** Resource objects, stored as given. */
  resources: unknown[];
}

export interface CoordinationStore {
  /** Replaces the pull request's record (each review of a new head). */
  saveOpenPullResources(repo: string, record: OpenPullResources): Promise<void>;
  getOpenPullResources(repo: string, prNumber: number): Promise<OpenPullResources | undefined>;
  listOpenPullResources(repo: string): Promise<OpenPullResources[]>;
  deleteOpenPullResources(repo: string, prNumber: number): Promise<void>;
  /** Records a coordination step as done; true only the first time for that key. */
  markCoordinationDone(repo: string, key: string): Promise<boolean>;
  isCoordinationDone(repo: string, key: string): Promise<boolean>;
}

/** A rate slot: taken, or refused with when it was last taken and when it may be taken next. */
export type RateSlotClaim = { ok: true } | { ok: false; lastAt: number; nextAt: number };

export interface RateSlotStore {
  /**
   * Takes the slot when nobody took it in the last `intervalMs`, atomically (one statement: safe
   * with several processes on one store). `claimant` names the request (e.g. a comment): the same
   * claimant is let through again within the window, so a retried or redelivered request is not
   * refused by its own claim, and does not extend it.
   */
  claimRateSlot(slot: string, claimant: string, now: number, intervalMs: number): Promise<RateSlotClaim>;
}

/**
 * The optional language model's token spend per budget key (src/llm/budget.ts `LlmSpendStore`,
 * the same shape): one atomic statement each, so instances racing never spend past the limit.
 */
export interface LlmTokenSpendStore {
  /** Adds `tokens` to `key`'s spend only if the total stays at most `limit`; false (nothing added) when it would not. */
  reserveLlmTokens(key: string, tokens: number, limit: number, now: number): Promise<boolean>;
  /** Adds `delta` (negative: gives back) to `key`'s spend, never below 0. */
  adjustLlmTokens(key: string, delta: number, now: number): Promise<void>;
}

/**
 * Batch deletes for the retention loop (jobs/retention.ts). Each deletes at most `limit` rows
 * older than `before` (ms since the epoch) in one short statement and returns how many went, so
 * the caller repeats it, yielding in between, until it returns less than `limit`. None touches
 * what is still needed: queued or running jobs, pending or in-flight deliveries, anything newer
 * than `before`, shown items of open pull requests.
 */
export interface RetentionStore {
  /** Done jobs and dead jobs (dead letters) last updated before `before`. */
  pruneJobs(before: number, limit: number): Promise<number>;
  /** Delivered deliveries and dead letters finished before `before`, with their attempts. */
  pruneWebhookDeliveries(before: number, limit: number): Promise<number>;
  /** Attempts made before `before` of deliveries that are delivered or gone (a pending delivery or a dead letter keeps its log). */
  pruneWebhookAttempts(before: number, limit: number): Promise<number>;
  /** Events stored before `before` that no delivery or batch item refers to any more. */
  pruneWebhookEvents(before: number, limit: number): Promise<number>;
  /** Shown items last shown before `before` whose pull request is not open (no open_pull_resources row). */
  pruneShownItems(before: number, limit: number): Promise<number>;
  /** Recorded bus events (the dashboard's history, EventLogStore) whose envelope's time is before `before`, oldest first. */
  pruneEvents(before: number, limit: number): Promise<number>;
}

export interface Store
  extends
    JobStore,
    ReviewStore,
    EngineState,
    WebhookStore,
    FeedbackStore,
    CoordinationStore,
    RateSlotStore,
    LlmTokenSpendStore,
    RetentionStore,
    OperatorStore,
    DataDeletionStore,
    SecretStore,
    EventLogStore,
    WebhookInsightStore,
    DashboardReadStore {
  /**
   * The readiness probe's question (GET /health/ready): resolves when the store answers a
   * trivial query (`SELECT 1`), rejects when it cannot (a closed store, a database that is down).
   * It reads no table, so it stays cheap however large the store grows.
   */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * What the operator commands (`empathy jobs`, `empathy deliveries`) need beyond the queue's own
 * methods. Each is one short statement, so they run while the app works on the same store.
 */
export interface OperatorStore {
  getJob(id: number): Promise<JobRecord | undefined>;
  /** Jobs last updated first, optionally of one status and type, updated at or after `since` (ms). */
  listRecentJobs(query: { status?: JobStatus; type?: string; since?: number; limit?: number }): Promise<JobRecord[]>;
  /**
   * Dead jobs back to the queue, due at `now`, with a fresh attempt budget (attempts 0; the last
   * error is kept until the job succeeds): by ids, or every job dead-lettered at or after `since`.
   * Jobs that are not dead are left alone. Returns the ids requeued.
   */
  replayDeadJobs(query: { ids?: number[]; since?: number }, now: number): Promise<number[]>;
  /**
   * Webhook dead letters back to pending with a fresh retry budget, as replayWebhookDeliveries,
   * but never those of a registration that is disabled (a 410 Gone): by ids, or every dead
   * letter finished at or after `since` (of one registration, with `registrationId`). Returns
   * the ids replayed and the dead letters left because their registration is disabled.
   */
  replayDeadWebhookDeliveries(
    query: { ids?: string[]; since?: number; registrationId?: string },
    now: number,
  ): Promise<{ replayed: string[]; disabled: { id: string; registrationId: string; reason: string | null }[] }>;
}

/** What a data deletion removed (or would remove), one line per kind of record. */
export interface DeletionCount {
  /** The table. */
  table: string;
  /** What its rows are, for people: "trust scores", "stored webhook events"… */
  what: string;
  count: number;
  /** Rows deleted, or kept with the person's name replaced (a repository's decision they made). */
  action: "deleted" | "anonymised";
}

/**
 * Deleting a repository's or a person's data (`empathy data delete`), for privacy requests and
 * uninstalls. Rows are found by their columns and, in JSON (job payloads, stored events), by the
 * fields that name a repository or a person; deleted in batches of short transactions, with
 * SQLite's secure_delete on. `dryRun`: count only.
 */
export interface DataDeletionStore {
  /**
   * Everything stored about a repository (`owner/name`, matched without regard to case as GitHub
   * does): reviews, review results, summaries, posted and shown findings, feedback, suppressions,
   * trust, patterns, prediction and transformation issue links, issue policies, coordination rows, rate slots, jobs (any status)
   * whose payload names it, the webhook events that name it with their deliveries, attempts,
   * batch items and dedupe keys, and the recorded bus events (EventLogStore) that name it.
   */
  deleteRepositoryData(repo: string, options?: { dryRun?: boolean }): Promise<DeletionCount[]>;
  /**
   * Everything stored about a person (a GitHub login, without regard to case), in every
   * repository: their trust scores, the feedback they gave, the findings shown on their pull
   * requests, their open pull requests' coordination records, their rate slots, jobs whose
   * payload names them (author, commenter, assignee, reviewer…), the webhook events that name
   * them with their deliveries, and the recorded bus events that name them. Suppressions they made stay (a repository's decision) with the
   * name replaced.
   */
  deleteUserData(login: string, options?: { dryRun?: boolean }): Promise<DeletionCount[]>;
}
