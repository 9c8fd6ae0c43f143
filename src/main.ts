/**
 * `npm start`: Probot's `run` (server, setup page, webhook proxy, all from the environment and
 * `.env`) with the app and the redacting process logger. With `REDIS_URL` set, Probot shares its
 * GitHub write pacing between instances through that Redis (its `run` reads the variable); the
 * Redis is checked first, so a wrong or unreachable one stops start-up with one clear line.
 */
import { readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { run } from "probot";
import { APP_SHUTDOWN } from "./app.js";
import { checkRedis, githubPacing, RedisUrlError } from "./github/api/pacing.js";
import app from "./index.js";
import { processLog, processLogFlushed } from "./logging/processLog.js";

// `run` applies `.env` over the environment the same way, but after the logger has read LOG_*.
try {
  Object.assign(process.env, parseEnv(readFileSync(".env", "utf8")));
} catch (err) {
  if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
}
const log = await processLog();
// Before Probot opens its own Redis client (which would retry, and log each failure, forever).
try {
  const pacing = githubPacing();
  if (pacing.mode === "redis") await checkRedis(pacing);
} catch (err) {
  if (!(err instanceof RedisUrlError)) throw err;
  log.error(err.message);
  await processLogFlushed();
  process.exit(1);
}
await run(app, { log });
// Probot's `run` adds a SIGINT handler that exits at once; the app's own stops gracefully
// (the running job released, deliveries kept, the log flushed). Only the app's stays.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  for (const listener of process.listeners(signal)) {
    if (!(listener as unknown as Record<symbol, unknown>)[APP_SHUTDOWN]) process.off(signal, listener);
  }
}
