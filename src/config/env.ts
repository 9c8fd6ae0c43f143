/** Process settings read from the environment (Probot reads its own: APP_ID, PRIVATE_KEY, WEBHOOK_SECRET, GHE_HOST...). */

export interface Settings {
  databaseUrl: string | undefined;
  workerConcurrency: number;
  jobMaxAttempts: number;
  jobBaseDelayMs: number;
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
  return {
    databaseUrl: env.DATABASE_URL,
    workerConcurrency: intFrom(env, "EMPATHY_WORKER_CONCURRENCY", 1, 1, 16),
    jobMaxAttempts: intFrom(env, "EMPATHY_JOB_MAX_ATTEMPTS", 6, 1, 50),
    jobBaseDelayMs: intFrom(env, "EMPATHY_JOB_BASE_DELAY_MS", 2000, 0, 3_600_000),
  };
}
