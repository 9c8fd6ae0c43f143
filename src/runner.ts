/**
 * The runner behind `npm start` (main.ts) and the scale bench's app process: Probot's `run`
 * (server, setup page, webhook proxy, all from the environment and `.env`) with the app and the
 * redacting process logger. The environment is read here, once, into the settings the app gets.
 * With `REDIS_URL` set, Probot shares its GitHub write pacing between instances through that
 * Redis (its `run` reads the variable); the Redis is checked first, so a wrong or unreachable one
 * stops start-up with one clear line. Signals are the runner's: SIGTERM or SIGINT closes the app
 * gracefully, then exits.
 */
import { readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { run, type ProbotOctokit } from "probot";
import type { Logger } from "pino";
import { empathyApp, type EmpathyHandles } from "./app.js";
import { readSettings } from "./config/env.js";
import { checkRedis, githubPacing, RedisUrlError } from "./github/api/pacing.js";
import { processLog, processLogFlushed } from "./logging/processLog.js";

export interface RunOptions {
  /** The Octokit class Probot builds clients from (the scale bench passes one without pacing). */
  Octokit?: typeof ProbotOctokit;
  /** Called with the process logger before Probot starts (the bench says what it changed). */
  onLog?: (log: Logger) => void;
}

export async function runApp(options: RunOptions = {}): Promise<void> {
  // `run` applies `.env` over the environment the same way, but after the settings (LOG_* too) are read here.
  try {
    Object.assign(process.env, parseEnv(readFileSync(".env", "utf8")));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const settings = readSettings(process.env);
  const log = await processLog(settings.log);
  options.onLog?.(log);
  // Before Probot opens its own Redis client (which would retry, and log each failure, forever).
  try {
    const pacing = githubPacing(settings.redisUrl);
    if (pacing.mode === "redis") await checkRedis(pacing);
  } catch (err) {
    if (!(err instanceof RedisUrlError)) throw err;
    log.error(err.message);
    await processLogFlushed();
    process.exit(1);
  }

  let app: EmpathyHandles | undefined;
  // Probot's `run` adds a SIGINT handler that exits at once, without closing the app: the runner
  // removes the handlers `run` added and installs its own.
  const before = { SIGINT: process.listeners("SIGINT"), SIGTERM: process.listeners("SIGTERM") };
  const appFn = empathyApp({ settings, env: process.env, onReady: (handles) => (app = handles) });
  await run(appFn, options.Octokit ? { log, Octokit: options.Octokit } : { log });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    for (const listener of process.listeners(signal)) if (!before[signal].includes(listener)) process.off(signal, listener);
  }

  // A deploy's SIGTERM (or Ctrl-C) gives the running job a few seconds, then releases it for a
  // later run; anything queued waits in the store, and so do webhook deliveries not yet sent
  // (requests in flight get a few seconds). `once`: a second Ctrl-C ends the process at once.
  const stop = async (signal: NodeJS.Signals) => {
    log.info({ signal }, "stopping: the running job has a few seconds to finish");
    await app?.close();
    log.info({ signal }, "stopped");
    await processLogFlushed();
    process.exit(0);
  };
  process.once("SIGTERM", (signal) => void stop(signal));
  process.once("SIGINT", (signal) => void stop(signal));
}
