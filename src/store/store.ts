/**
 * The persistence boundary. Everything durable goes through this interface so that a
 * PostgreSQL adapter can replace the embedded SQLite one; callers never see SQL.
 * Methods are async for that reason even though better-sqlite3 is synchronous.
 */
import type { EngineState } from "../engine/state.js";

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

export interface JobStore {
  /** Returns the new job's id, or null when a job with the same dedupe key exists. */
  enqueueJob(job: NewJob): Promise<number | null>;
  /** Atomically takes the next due queued job and marks it running. */
  claimJob(now: number): Promise<JobRecord | null>;
  completeJob(id: number): Promise<void>;
  retryJob(id: number, runAt: number, error: string): Promise<void>;
  killJob(id: number, error: string): Promise<void>;
  /** Jobs left running by a process that died go back to the queue. */
  requeueRunningJobs(): Promise<number>;
  nextJobRunAt(): Promise<number | null>;
  countJobs(): Promise<Record<JobStatus, number>>;
  listJobs(status: JobStatus, limit?: number): Promise<JobRecord[]>;
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
  savePredictionIssue(repo: string, fingerprint: string, issueNumber: number): Promise<void>;
}

export interface Store extends JobStore, ReviewStore, EngineState {
  close(): Promise<void>;
}
