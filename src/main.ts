/** `npm start`: the runner (runner.ts) with Probot's defaults. */
import { runApp } from "./runner.js";

await runApp();
