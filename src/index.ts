/**
 * The Probot app `npm start` runs (main.ts builds it the same way, with its own runner's signal
 * handling), for `probot run ./lib/index.js`: the settings are read from the environment when
 * Probot loads it. Under Probot's runner, signals are Probot's (SIGINT stops its server and
 * exits); main.ts's runner stops the app gracefully (`close()`).
 */
import type { ApplicationFunction } from "probot";
import { empathyApp } from "./app.js";
import { readSettings } from "./config/env.js";

const app: ApplicationFunction = (probot, options) =>
  empathyApp({ settings: readSettings(process.env), env: process.env })(probot, options);

export default app;
