#!/usr/bin/env node
// The `empathy` command; the TypeScript is compiled to lib/ by `npm install` (prepare) or `npm run build`.
import { readFileSync } from "node:fs";
import { runCli } from "../lib/cli.js";

const code = await runCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readStdin: () => readFileSync(0, "utf8"),
  cwd: process.cwd(),
});
process.exitCode = code;
