/** Process settings read from the environment (Probot reads its own: APP_ID, PRIVATE_KEY, WEBHOOK_SECRET, GHE_HOST...). */
import { DEFAULT_LIMITS, type AnalysisLimits } from "../analysis/limits.js";
import { defaultPoolSize } from "../analysis/pool/pool.js";
import { readRetentionDays } from "../jobs/retention.js";

export interface Settings {
  databaseUrl: string | undefined;
  /** EMPATHY_DATABASE_POOL_SIZE (default 10): connections in the PostgreSQL pool (a postgres:// DATABASE_URL). */
  databasePoolSize: number;
  workerConcurrency: number;
  jobMaxAttempts: number;
  jobBaseDelayMs: number;
  /** A job running longer than this fails and is retried like any other failure. */
  jobTimeoutMs: number;
  /** `/empathy review` at most once per pull request in this time. */
  forcedReviewIntervalMs: number;
  analysisWorkers: number;
  analysisWorkerMaxTasks: number;
  analysisWorkerMemoryMb: number;
  /** The operator's limits; a repository may lower them. */
  analysisLimits: AnalysisLimits;
  /** Days finished jobs, webhook history and closed pull requests' shown items are kept; 0 keeps them. */
  retentionDays: number;
  /**
   * EMPATHY_LEASE_SECONDS (default 30): how long an instance holds a claimed job or webhook
   * delivery without renewing it. Its heartbeat renews it every third of that while the work
   * runs; when an instance dies, its work waits this long before another instance takes it.
   */
  leaseMs: number;
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const seconds = (name: string, fallbackMs: number, max: number) => intFrom(env, name, fallbackMs / 1000, 1, max) * 1000;
  return {
    databaseUrl: env.DATABASE_URL,
    databasePoolSize: intFrom(env, "EMPATHY_DATABASE_POOL_SIZE", 10, 1, 1000),
    workerConcurrency: intFrom(env, "EMPATHY_WORKER_CONCURRENCY", 1, 1, 16),
    jobMaxAttempts: intFrom(env, "EMPATHY_JOB_MAX_ATTEMPTS", 6, 1, 50),
    jobBaseDelayMs: intFrom(env, "EMPATHY_JOB_BASE_DELAY_MS", 2000, 0, 3_600_000),
    jobTimeoutMs: seconds("EMPATHY_JOB_TIMEOUT_SECONDS", 300_000, 86_400),
    forcedReviewIntervalMs: intFrom(env, "EMPATHY_FORCED_REVIEW_INTERVAL_SECONDS", 300, 0, 86_400) * 1000,
    analysisWorkers: intFrom(env, "EMPATHY_ANALYSIS_WORKERS", defaultPoolSize(), 1, 64),
    analysisWorkerMaxTasks: intFrom(env, "EMPATHY_ANALYSIS_WORKER_MAX_TASKS", 2000, 1, 100_000),
    analysisWorkerMemoryMb: intFrom(env, "EMPATHY_ANALYSIS_WORKER_MEMORY_MB", 1024, 128, 65_536),
    analysisLimits: {
      maxFileBytes: intFrom(env, "EMPATHY_MAX_FILE_BYTES", DEFAULT_LIMITS.maxFileBytes, 1, 100_000_000),
      maxLineLength: intFrom(env, "EMPATHY_MAX_LINE_LENGTH", DEFAULT_LIMITS.maxLineLength, 1, 10_000_000),
      maxNestingDepth: intFrom(env, "EMPATHY_MAX_NESTING_DEPTH", DEFAULT_LIMITS.maxNestingDepth, 1, 100_000),
      fileTimeBudgetMs: seconds("EMPATHY_FILE_TIME_BUDGET_SECONDS", DEFAULT_LIMITS.fileTimeBudgetMs, 3_600),
      reviewTimeBudgetMs: seconds("EMPATHY_REVIEW_TIME_BUDGET_SECONDS", DEFAULT_LIMITS.reviewTimeBudgetMs, 86_400),
    },
    retentionDays: readRetentionDays(env),
    leaseMs: seconds("EMPATHY_LEASE_SECONDS", 30_000, 3_600),
  };
}
