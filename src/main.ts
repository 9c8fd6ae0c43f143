/**
 * `npm start`: Probot's `run` (server, setup page, webhook proxy, all from the environment and
 * `.env`) with the app and the redacting process logger.
 */
import { readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { run } from "probot";
import { APP_SHUTDOWN } from "./app.js";
import app from "./index.js";
import { processLog } from "./logging/processLog.js";

// `run` applies `.env` over the environment the same way, but after the logger has read LOG_*.
try {
  Object.assign(process.env, parseEnv(readFileSync(".env", "utf8")));
} catch (err) {
  if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
}
await run(app, { log: await processLog() });
// Probot's `run` adds a SIGINT handler that exits at once; the app's own stops gracefully
// (the running job released, deliveries kept, the log flushed). Only the app's stays.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  for (const listener of process.listeners(signal)) {
    if (!(listener as unknown as Record<symbol, unknown>)[APP_SHUTDOWN]) process.off(signal, listener);
  }
}
