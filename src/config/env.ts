/**
 * The process settings, read from the environment in one place: the runner (main.ts; the CLI
 * for its commands) calls `readSettings` once and passes the result down; no other module reads
 * `process.env`. Probot reads its own variables (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET, PORT...);
 * the ones of them the app also needs (GHE_HOST, REDIS_URL, LOG_*) are read here too.
 */
import { DEFAULT_LIMITS, type AnalysisLimits } from "../analysis/limits.js";
import { defaultPoolSize } from "../analysis/pool/pool.js";
import type { WebhookTuning } from "../delivery/settings.js";
import { dashboardSettingsFromEnv, type DashboardSettings } from "../dashboard/settings.js";
import { GITHUB_WEB_URL, SLACK_API_URL } from "../integrations/urls.js";
import { DEFAULT_RETENTION_DAYS, MAX_RETENTION_DAYS } from "../jobs/retention.js";
import type { ProcessLogSettings } from "../logging/processLog.js";

/** The Slack command's settings (src/server/slackCommands.ts). */
export interface SlackSettings {
  /** SLACK_SIGNING_SECRET; without it the route answers 404 (the command is off). */
  signingSecret?: string;
  /** SLACK_BOT_TOKEN: replies with chat.postMessage when set. */
  botToken?: string;
  /** SLACK_API_URL (default https://slack.com/api). */
  apiUrl: string;
}

/**
 * The optional language model (src/llm/): an OpenAI-compatible chat-completions endpoint that may
 * phrase answers and the pull request walkthrough, grounded on the analysis. Undefined (the
 * default): no model, every text is the deterministic one.
 */
export interface LlmSettings {
  /** EMPATHY_LLM_URL: the API's base URL (`https://api.example.com/v1`); requests go to `<url>/chat/completions`. */
  url: string;
  /** EMPATHY_LLM_MODEL: the model name sent with each request. */
  model: string;
  /** EMPATHY_LLM_API_KEY: sent only as `Authorization: Bearer`; unset for a local server without keys. A secret: never logged. */
  apiKey?: string;
  /** EMPATHY_LLM_TIMEOUT_SECONDS (default 10): one request's time limit. */
  timeoutMs: number;
  /** EMPATHY_LLM_TOKEN_BUDGET (default 20000): prompt and completion tokens one pull request may spend, across instances. */
  tokenBudget: number;
}

/** Where GitHub is, for the links the app builds (Probot reads the same variables for its API calls). */
export interface GitHubSettings {
  /** GHE_HOST: the web host of GitHub Enterprise Server; undefined: github.com. */
  host?: string;
  /** GitHub's web address: `GHE_PROTOCOL://GHE_HOST` (protocol default https), else https://github.com. */
  webUrl: string;
}

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
  /** EMPATHY_RETENTION_DAYS: days finished jobs, webhook history and closed pull requests' shown items are kept; 0 keeps them. */
  retentionDays: number;
  /**
   * EMPATHY_LEASE_SECONDS (default 30): how long an instance holds a claimed job or webhook
   * delivery without renewing it. Its heartbeat renews it every third of that while the work
   * runs; when an instance dies, its work waits this long before another instance takes it.
   */
  leaseMs: number;
  /** EMPATHY_CONFIG: the operator config file; undefined: ./empathy.config.yml if present, else none. */
  operatorConfigPath: string | undefined;
  /** EMPATHY_WEBHOOK_*: the delivery loop's tuning; only the keys the environment sets (the others keep their defaults). */
  webhookTuning: WebhookTuning;
  /** REDIS_URL, as given (src/github/api/pacing.ts checks it): GitHub write pacing shared through Redis; unset or blank: per process. */
  redisUrl: string | undefined;
  github: GitHubSettings;
  slack: SlackSettings;
  /** The web dashboard: GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET, EMPATHY_PUBLIC_URL, EMPATHY_SESSION_SECRET, EMPATHY_DASHBOARD_ADMINS (off without the first three). */
  dashboard: DashboardSettings;
  /** EMPATHY_METRICS_TOKEN: the bearer token Prometheus sends to GET /metrics; unset or blank: /metrics is off (404). */
  metricsToken: string | undefined;
  /** EMPATHY_LLM_*: the optional language model; undefined unless EMPATHY_LLM_URL is set. */
  llm: LlmSettings | undefined;
  /** LOG_*, NODE_ENV, SENTRY_DSN: the process logger's (src/logging/processLog.ts), as Probot reads them. */
  log: ProcessLogSettings;
}

/** The integer variable `name`; undefined when unset or blank. Any other value outside min..max stops start-up. */
function integer(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  return integer(env, name, min, max) ?? fallback;
}

/** A text variable, trimmed; undefined when unset or blank. */
function text(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

const WEBHOOK_VARIABLES: { name: string; key: keyof WebhookTuning; min: number; max: number }[] = [
  { name: "EMPATHY_WEBHOOK_BASE_DELAY_MS", key: "baseDelayMs", min: 0, max: 3_600_000 },
  { name: "EMPATHY_WEBHOOK_MAX_DELAY_MS", key: "maxDelayMs", min: 0, max: 86_400_000 },
  { name: "EMPATHY_WEBHOOK_CONCURRENCY", key: "concurrency", min: 1, max: 256 },
  { name: "EMPATHY_WEBHOOK_ENDPOINT_CONCURRENCY", key: "perEndpointConcurrency", min: 1, max: 256 },
  { name: "EMPATHY_WEBHOOK_BREAKER_THRESHOLD", key: "breakerThreshold", min: 1, max: 1000 },
  { name: "EMPATHY_WEBHOOK_BREAKER_COOLOFF_MS", key: "breakerCooloffMs", min: 0, max: 86_400_000 },
  { name: "EMPATHY_WEBHOOK_POLL_INTERVAL_MS", key: "pollIntervalMs", min: 10, max: 60_000 },
];

function webhookTuning(env: NodeJS.ProcessEnv): WebhookTuning {
  const tuning: WebhookTuning = {};
  for (const { name, key, min, max } of WEBHOOK_VARIABLES) {
    const value = integer(env, name, min, max);
    if (value !== undefined) tuning[key] = value;
  }
  return tuning;
}

function githubSettings(env: NodeJS.ProcessEnv): GitHubSettings {
  const host = text(env.GHE_HOST);
  return { host, webUrl: host ? `${text(env.GHE_PROTOCOL) ?? "https"}://${host.replace(/\/+$/, "")}` : GITHUB_WEB_URL };
}

function logSettings(env: NodeJS.ProcessEnv): ProcessLogSettings {
  return {
    level: env.LOG_LEVEL || "info",
    // Probot's rule: LOG_FORMAT if set (anything but "pretty" is JSON), else JSON in production.
    format: env.LOG_FORMAT ? (env.LOG_FORMAT === "pretty" ? "pretty" : "json") : env.NODE_ENV === "production" ? "json" : "pretty",
    levelInString: env.LOG_LEVEL_IN_STRING === "true",
    messageKey: env.LOG_MESSAGE_KEY || "msg",
    sentryDsn: env.SENTRY_DSN,
  };
}

/**
 * EMPATHY_LLM_*: off unless EMPATHY_LLM_URL is set; then EMPATHY_LLM_MODEL is required. The
 * messages name variables, never a value: the URL may carry a key in its query.
 */
function llmSettings(env: NodeJS.ProcessEnv): LlmSettings | undefined {
  const url = text(env.EMPATHY_LLM_URL);
  const model = text(env.EMPATHY_LLM_MODEL);
  const apiKey = text(env.EMPATHY_LLM_API_KEY);
  const timeoutMs = intFrom(env, "EMPATHY_LLM_TIMEOUT_SECONDS", 10, 1, 300) * 1000;
  const tokenBudget = intFrom(env, "EMPATHY_LLM_TOKEN_BUDGET", 20_000, 1, 10_000_000);
  if (url === undefined) {
    if (model !== undefined || apiKey !== undefined) throw new Error("EMPATHY_LLM_MODEL and EMPATHY_LLM_API_KEY need EMPATHY_LLM_URL");
    return undefined;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error("EMPATHY_LLM_URL must be an http:// or https:// URL");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new Error("EMPATHY_LLM_URL must be an http:// or https:// URL");
  if (parsed.username || parsed.password) throw new Error("EMPATHY_LLM_URL must not carry credentials: use EMPATHY_LLM_API_KEY");
  if (model === undefined) throw new Error("EMPATHY_LLM_MODEL is required with EMPATHY_LLM_URL");
  return { url: url.replace(/\/+$/, ""), model, apiKey, timeoutMs, tokenBudget };
}

/** DATABASE_URL; undefined when unset or blank. The CLI's store commands read it alone: they need no other setting. */
export function readDatabaseUrl(env: NodeJS.ProcessEnv): string | undefined {
  return text(env.DATABASE_URL) === undefined ? undefined : env.DATABASE_URL;
}

/**
 * Every setting, from `env` (the runner passes process.env, the default). A bad value throws,
 * naming the variable. `defaults` replaces a default where an entry point has its own: the CLI
 * analyses with every core, the app leaves one to the server.
 */
export function readSettings(env: NodeJS.ProcessEnv = process.env, defaults: { analysisWorkers?: number } = {}): Settings {
  const seconds = (name: string, fallbackMs: number, max: number) => intFrom(env, name, fallbackMs / 1000, 1, max) * 1000;
  return {
    databaseUrl: readDatabaseUrl(env),
    databasePoolSize: intFrom(env, "EMPATHY_DATABASE_POOL_SIZE", 10, 1, 1000),
    workerConcurrency: intFrom(env, "EMPATHY_WORKER_CONCURRENCY", 1, 1, 16),
    jobMaxAttempts: intFrom(env, "EMPATHY_JOB_MAX_ATTEMPTS", 6, 1, 50),
    jobBaseDelayMs: intFrom(env, "EMPATHY_JOB_BASE_DELAY_MS", 2000, 0, 3_600_000),
    jobTimeoutMs: seconds("EMPATHY_JOB_TIMEOUT_SECONDS", 300_000, 86_400),
    forcedReviewIntervalMs: intFrom(env, "EMPATHY_FORCED_REVIEW_INTERVAL_SECONDS", 300, 0, 86_400) * 1000,
    analysisWorkers: intFrom(env, "EMPATHY_ANALYSIS_WORKERS", defaults.analysisWorkers ?? defaultPoolSize(), 1, 64),
    analysisWorkerMaxTasks: intFrom(env, "EMPATHY_ANALYSIS_WORKER_MAX_TASKS", 2000, 1, 100_000),
    analysisWorkerMemoryMb: intFrom(env, "EMPATHY_ANALYSIS_WORKER_MEMORY_MB", 1024, 128, 65_536),
    analysisLimits: {
      maxFileBytes: intFrom(env, "EMPATHY_MAX_FILE_BYTES", DEFAULT_LIMITS.maxFileBytes, 1, 100_000_000),
      maxLineLength: intFrom(env, "EMPATHY_MAX_LINE_LENGTH", DEFAULT_LIMITS.maxLineLength, 1, 10_000_000),
      maxNestingDepth: intFrom(env, "EMPATHY_MAX_NESTING_DEPTH", DEFAULT_LIMITS.maxNestingDepth, 1, 100_000),
      fileTimeBudgetMs: seconds("EMPATHY_FILE_TIME_BUDGET_SECONDS", DEFAULT_LIMITS.fileTimeBudgetMs, 3_600),
      reviewTimeBudgetMs: seconds("EMPATHY_REVIEW_TIME_BUDGET_SECONDS", DEFAULT_LIMITS.reviewTimeBudgetMs, 86_400),
    },
    retentionDays: intFrom(env, "EMPATHY_RETENTION_DAYS", DEFAULT_RETENTION_DAYS, 0, MAX_RETENTION_DAYS),
    leaseMs: seconds("EMPATHY_LEASE_SECONDS", 30_000, 3_600),
    operatorConfigPath: env.EMPATHY_CONFIG || undefined,
    webhookTuning: webhookTuning(env),
    redisUrl: env.REDIS_URL,
    github: githubSettings(env),
    slack: {
      signingSecret: text(env.SLACK_SIGNING_SECRET),
      botToken: text(env.SLACK_BOT_TOKEN),
      apiUrl: text(env.SLACK_API_URL) ?? SLACK_API_URL,
    },
    dashboard: dashboardSettingsFromEnv(env),
    metricsToken: text(env.EMPATHY_METRICS_TOKEN),
    llm: llmSettings(env),
    log: logSettings(env),
  };
}
