/**
 * `npm start`: Probot's `run` (server, setup page, webhook proxy, all from the environment and
 * `.env`) with the app and the redacting process logger.
 */
import { readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { run } from "probot";
import app from "./index.js";
import { processLog } from "./logging/processLog.js";

// `run` applies `.env` over the environment the same way, but after the logger has read LOG_*.
try {
  Object.assign(process.env, parseEnv(readFileSync(".env", "utf8")));
} catch (err) {
  if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
}
await run(app, { log: await processLog() });
