/**
 * The docs check: every command in README.md and examples/receiver/README.md is run or checked,
 * so the docs cannot go stale.
 *
 * - ```sh blocks: each line (continuations joined, `# comments` dropped; a comment line right
 *   after a command is its expected output) is split into its steps (`&&`) and stages (`|`), and
 *   every stage must have a known shape:
 *   - `empathy …` / `node bin/empathy.js …`, alone or fed by `git diff RANGE`: run as written
 *     with bash, through the built CLI (`empathy` is a shim on PATH), in a scratch git
 *     repository with `change.diff`, `.github/empathy.yml` and a seeded store at the default
 *     `./data/empathy.sqlite`; exit 0 or 1 (the command's "no"), never 2 (usage or input error);
 *   - `npm run X`, `npm test`, `npm start`: the script exists in package.json;
 *   - the receiver example's `export`, server and `send.mjs` lines: run in order, as written, on a
 *     free port instead of 8787, each output as the README shows it;
 *   - anything else must be in NOT_RUN below with the reason it is not run here. A command of an
 *     unknown shape fails the check, so a new command is never silently skipped.
 * - Inline `empathy …` / `npm …` / `git …` / `docker …` / `node …` spans in the text: a CLI
 *   command must exist (`empathy CMD [SUB] --help` exits 0 and names it) with every option the
 *   span gives; npm scripts must exist; other shapes as above.
 * - Links (`[x](path)`, `#anchors`), backticked repository paths (`src/…`, `docs/…`, …) and root
 *   files (`app.yml`, `.env.example`, …) exist.
 * - The environment table and the code agree: every variable in the table is read by `src/` or
 *   is Probot's, every variable `src/` reads is in the table, and `.env.example` names only
 *   variables of the table.
 * - The `.github/empathy.yml` example passes `empathy config check` and shows the defaults.
 * - The receiver README's own receiver runs from a folder outside this repository with nothing
 *   but the copied `verify.mjs` (and `send.mjs` to talk to it).
 *
 * It needs the built CLI (`npm run build`, which `npm test` runs first).
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { SqliteStore } from "../../src/store/sqlite/index.js";

const ROOT = resolve(import.meta.dirname ?? process.cwd(), "..", "..");
const CLI = join(ROOT, "bin", "empathy.js");
const DOCS = ["README.md", "examples/receiver/README.md"] as const;
type DocFile = (typeof DOCS)[number];
const TEXT: Record<DocFile, string> = Object.fromEntries(DOCS.map((f) => [f, readFileSync(join(ROOT, f), "utf8")])) as Record<
  DocFile,
  string
>;
const PACKAGE = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };

/** Commands the docs show that this test does not run, and why. Keyed by the step as written. */
const NOT_RUN: Record<string, string> = {
  "npm install": "installs the dependencies from the registry: this test runs inside that installation",
  "npm ci --omit=dev":
    "a production install replaces node_modules (and this test's dev dependencies); the Dockerfile and a fresh clone exercise it",
  "npm link": "puts `empathy` on the machine's PATH, a global change; this test puts its own shim on PATH instead",
  "git clone <this repository> empathy-bot": "needs the network and the repository's URL",
  "cd empathy-bot": "follows the clone",
  "git pull": "needs the repository's remote",
  "docker build -t empathy-bot .": "no Docker on the project's machines (the Dockerfile is not built in CI, as the README says)",
  "docker run -p 3000:3000 -v empathy-data:/data --env-file .env empathy-bot": "no Docker on the project's machines",
  'sqlite3 data/empathy.sqlite ".backup backup.sqlite"':
    "the sqlite3 shell is not a dependency of the project; SQLite's online backup is its own documented feature",
  "git diff": "git's own command, named in the text; the examples that pipe a `git diff RANGE` into empathy are run",
};

/** Why npm scripts are only checked to exist. */
const SCRIPT_NOT_RUN =
  "`npm test` is the suite this check belongs to, `npm start` serves the app until stopped (test/process runs the app as a process), and builds, benchmarks and evaluations take from seconds to minutes";

/** Scripts npm runs by itself, which the README need not name. */
const LIFECYCLE_SCRIPTS: Record<string, string> = {
  prepare: "the build at `npm install` / `npm ci`",
  prestart: "the build before `npm start`",
};

/** Probot's own variables (it reads them; the app passes them through). */
const PROBOT_VARIABLES = new Set([
  "APP_ID",
  "PRIVATE_KEY",
  "PRIVATE_KEY_PATH",
  "WEBHOOK_SECRET",
  "WEBHOOK_PROXY_URL",
  "PORT",
  "HOST",
  "LOG_LEVEL",
  "LOG_FORMAT",
  "LOG_LEVEL_IN_STRING",
  "LOG_MESSAGE_KEY",
  "SENTRY_DSN",
  "GHE_HOST",
  "GHE_PROTOCOL",
  "GH_ORG",
  "REDIS_URL",
  "NODE_ENV",
  "WEBHOOK_PATH",
]);

/** Names that look like variables `src/` reads but are not settings. */
const NOT_SETTINGS: Record<string, string> = {
  TAINT_DEBUG: "a developer's switch that prints the taint engine's swallowed errors",
  EMPATHY_CONDITION_SKIPPED: "the code of a process warning, not a variable",
};

/** Backticked root files the README names that are not in the repository. */
const NOT_REPOSITORY_FILES: Record<string, string> = {
  "empathy.config.yml": "the operator's file, on their server",
};

// ---------------------------------------------------------------------------------------------
// Markdown

interface Block {
  file: DocFile;
  lang: string;
  line: number;
  lines: string[];
}

function fencedBlocks(file: DocFile): Block[] {
  const lines = TEXT[file].split("\n");
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const indent = open[1].length;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^ *```\s*$/.test(lines[j]); j++)
      body.push(lines[j].slice(Math.min(indent, lines[j].length - lines[j].trimStart().length)));
    out.push({ file, lang: open[2], line: i + 1, lines: body });
    i = j;
  }
  return out;
}

/** The text outside fenced blocks (blocks blanked line for line). */
function prose(file: DocFile): string {
  let inside = false;
  return TEXT[file]
    .split("\n")
    .map((line) => {
      if (/^ *```/.test(line)) {
        inside = !inside;
        return "";
      }
      return inside ? "" : line;
    })
    .join("\n");
}

/** Inline code spans (a span may wrap across lines). */
function spans(file: DocFile): string[] {
  return [...prose(file).matchAll(/`([^`]+)`/g)].map((m) => m[1].replace(/\s+/g, " ").trim());
}

/** GitHub's heading anchors. */
function anchors(file: DocFile): Set<string> {
  const out = new Set<string>();
  for (const m of prose(file).matchAll(/^#{1,6} +(.+)$/gm)) {
    out.add(
      m[1]
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-"),
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Shell lines

/** Splits at top-level operators (outside quotes); returns the raw pieces, trimmed. */
function splitTop(text: string, operators: string[]): string[] {
  const out: string[] = [];
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === "\\") i++;
    else {
      const op = operators.find((o) => text.startsWith(o, i) && !(o === "|" && (text[i + 1] === "|" || text[i - 1] === "|")));
      if (op) {
        out.push(text.slice(start, i).trim());
        i += op.length - 1;
        start = i + 1;
      }
    }
  }
  out.push(text.slice(start).trim());
  return out;
}

/** A command's words, unquoted as a POSIX shell would (no expansions). */
function words(text: string): string[] {
  const out: string[] = [];
  let word: string | null = null;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === "\\" && /["\\$`]/.test(text[i + 1] ?? "")) word += text[++i];
      else word += c;
    } else if (/\s/.test(c)) {
      if (word !== null) out.push(word);
      word = null;
    } else {
      word ??= "";
      if (c === "'" || c === '"') quote = c;
      else if (c === "\\") word += text[++i] ?? "";
      else word += c;
    }
  }
  if (word !== null) out.push(word);
  return out;
}

/** `line` without a trailing `# comment` (a # outside quotes, at the start or after a space). */
function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i).trimEnd();
  }
  return line.trimEnd();
}

interface Command {
  file: DocFile;
  line: number;
  block: number;
  text: string;
  /** Comment lines right after it: what it prints. */
  output: string[];
}

function shCommands(): Command[] {
  const out: Command[] = [];
  for (const file of DOCS) {
    for (const [b, block] of fencedBlocks(file).entries()) {
      if (block.lang !== "sh") continue;
      let last: Command | undefined;
      for (let i = 0; i < block.lines.length; i++) {
        const raw = block.lines[i];
        if (/^\s*#/.test(raw)) {
          if (last) last.output.push(raw.replace(/^\s*#\s?/, ""));
          continue;
        }
        let text = stripComment(raw);
        const line = block.line + 1 + i;
        while (text.endsWith("\\") && i + 1 < block.lines.length) text = `${text.slice(0, -1)} ${stripComment(block.lines[++i]).trim()}`;
        if (text.trim() === "") {
          last = undefined;
          continue;
        }
        last = { file, line, block: b, text: text.trim().replace(/\s+/g, " "), output: [] };
        out.push(last);
      }
    }
  }
  return out;
}

type Verdict =
  | { kind: "cli"; args: string[] }
  | { kind: "git-range" }
  | { kind: "script"; script: string }
  | { kind: "export"; name: string; value: string }
  | { kind: "receiver-server" }
  | { kind: "receiver-send" }
  | { kind: "receiver-copy" }
  | { kind: "not-run"; reason: string }
  | { kind: "unknown"; why: string };

/** One stage of a pipeline: what it is and how this test covers it. */
function classify(stage: string, file: DocFile): Verdict {
  if (NOT_RUN[stage] !== undefined) return { kind: "not-run", reason: NOT_RUN[stage] };
  const all = words(stage);
  let n = 0;
  while (n < all.length && /^[A-Z_][A-Z0-9_]*=/.test(all[n])) n++;
  const argv = all.slice(n);
  const [cmd, ...rest] = argv;
  if (/[<>]/.test(stage.replace(/<[a-z -]+>/g, ""))) return { kind: "unknown", why: "redirections are not supported here" };
  if (cmd === "empathy") return { kind: "cli", args: rest };
  if (cmd === "node" && rest[0] === "bin/empathy.js") return { kind: "cli", args: rest.slice(1) };
  if (cmd === "npm") {
    if (rest[0] === "run" && rest[1] !== undefined) return { kind: "script", script: rest[1] };
    if ((rest[0] === "test" || rest[0] === "start") && rest.length === 1) return { kind: "script", script: rest[0] };
    return { kind: "unknown", why: `npm ${rest.join(" ")}: not a script; list it in NOT_RUN with the reason if it cannot run here` };
  }
  if (cmd === "git" && rest[0] === "diff" && rest.length === 2 && /^[\w./~^-]*\.\.\.?[\w./~^-]*$/.test(rest[1]))
    return { kind: "git-range" };
  if (file === "examples/receiver/README.md") {
    if (cmd === "export" && rest.length === 1 && /^[A-Z_]+=/.test(rest[0])) {
      const [name, ...value] = rest[0].split("=");
      return { kind: "export", name, value: value.join("=") };
    }
    if (cmd === "npx" && rest.join(" ") === "tsx examples/receiver/server.ts") return { kind: "receiver-server" };
    if (cmd === "node" && rest[0] === "examples/receiver/send.mjs") return { kind: "receiver-send" };
    // The README's own receiver, run from a copy outside the repository (the last test below).
    if (cmd === "node" && rest.length === 1 && rest[0] === "receiver.mjs") return { kind: "receiver-copy" };
  }
  return { kind: "unknown", why: "no handler for this shape: run it in this test, or list it in NOT_RUN with the reason" };
}

function stagesOf(text: string): string[] {
  return splitTop(text, ["&&", ";"]).flatMap((step) => splitTop(step, ["|"]));
}

const COMMANDS = shCommands();
const VERDICTS = new Map(COMMANDS.map((c) => [c, stagesOf(c.text).map((s) => ({ stage: s, verdict: classify(s, c.file) }))]));

// ---------------------------------------------------------------------------------------------
// Running

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  // No NODE_OPTIONS (jest's), no DATABASE_URL or EMPATHY_* from the outside.
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? tmpdir(), LANG: "C.UTF-8", ...extra };
}

function run(command: string, args: string[], cwd: string, env: Record<string, string>, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

const bash = (text: string, cwd: string, env: Record<string, string>) => run("bash", ["-o", "pipefail", "-c", text], cwd, env);

/** A long-running process in its own group, stopped with the whole group. */
function startServer(command: string, args: string[], cwd: string, env: Record<string, string>, ready: RegExp) {
  const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const started = new Promise<RegExpExecArray>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready within 30 s: ${output}`)), 30_000);
    const check = () => {
      const m = ready.exec(output);
      if (m) {
        clearTimeout(timer);
        resolvePromise(m);
      }
    };
    child.stdout!.on("data", check);
    child.on("exit", (code) => reject(new Error(`exited with ${code}: ${output}`)));
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 3000)))]);
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, "SIGKILL");
  };
  return { started, stop, output: () => output };
}

/** Polls until `done()` (output read from a pipe may lag the answer a little), at most 10 s. */
async function waitFor(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 50));
}

function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolvePromise(port));
    });
    server.on("error", reject);
  });
}

/** A scratch git repository for the CLI examples: main, a feature branch with a change, change.diff, a config, a seeded store. */
async function makeSandbox(): Promise<{ dir: string; repo: string; env: Record<string, string> }> {
  const dir = mkdtempSync(join(tmpdir(), "empathy-docs-"));
  const shims = join(dir, "bin");
  mkdirSync(shims);
  writeFileSync(join(shims, "empathy"), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  chmodSync(join(shims, "empathy"), 0o755);
  const repo = join(dir, "repo");
  mkdirSync(join(repo, ".github"), { recursive: true });
  mkdirSync(join(repo, "src"));
  const gitEnv = {
    ...baseEnv(),
    GIT_AUTHOR_NAME: "docs",
    GIT_AUTHOR_EMAIL: "docs@example.com",
    GIT_COMMITTER_NAME: "docs",
    GIT_COMMITTER_EMAIL: "docs@example.com",
  };
  const git = (...args: string[]) => {
    const r = spawnSync("git", args, { cwd: repo, env: gitEnv, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  };
  git("init", "-q", "-b", "main");
  writeFileSync(join(repo, ".github", "empathy.yml"), 'review:\n  min_severity: low\nignore: ["docs/**"]\n');
  writeFileSync(
    join(repo, "src", "files.js"),
    'const { execFile } = require("child_process");\n\nexports.list = (req, res) => execFile("ls", [req.query.dir], (e, out) => res.send(out));\n',
  );
  git("add", ".");
  git("commit", "-q", "-m", "initial");
  git("checkout", "-q", "-b", "feature");
  writeFileSync(
    join(repo, "src", "files.js"),
    'const { exec } = require("child_process");\n\nexports.list = (req, res) => exec("ls " + req.query.dir, (e, out) => res.send(out));\n',
  );
  git("commit", "-q", "-am", "list with a shell");
  copyFileSync(join(ROOT, "test", "fixtures", "sample.diff"), join(repo, "change.diff"));
  writeFileSync(join(repo, ".gitignore"), "change.diff\ndata/\n");

  // The app's default store, ./data/empathy.sqlite, with what the operator examples name: job 42
  // dead-lettered, delivery msg_0abc dead, data about octo-org/shop and alice.
  const store = new SqliteStore(join(repo, "data", "empathy.sqlite"));
  try {
    const payload = (n: number) => ({
      installationId: 1,
      owner: "octo-org",
      repo: "shop",
      pullNumber: n,
      headSha: `sha${n}`,
      author: "alice",
    });
    for (let n = 1; n <= 42; n++) await store.enqueueJob({ type: "review", payload: payload(n), dedupeKey: `d${n}` });
    for (let n = 1; n <= 41; n++) await store.completeJob(n);
    await store.killJob(42, "GitHub answered 502");
    const now = Date.now();
    const envelope = JSON.stringify({
      id: "ev1",
      event_type: "level_4_prediction",
      timestamp: new Date(now).toISOString(),
      data: { repo: "octo-org/shop", user_id: "alice", prediction: "p" },
    });
    await store.enqueueWebhookEvent(
      {
        events: [{ id: "ev1", eventType: "level_4_prediction", envelope }],
        deliveries: [
          {
            id: "msg_0abc",
            registrationId: "wh_a",
            eventType: "level_4_prediction",
            eventIds: ["ev1"],
            body: null,
            status: "pending",
            nextAttemptAt: now,
          },
        ],
        batchItems: [],
      },
      now,
    );
    for (const d of await store.claimWebhookDeliveries(["wh_a"], now, 10)) {
      await store.recordWebhookAttempt({
        deliveryId: d.id,
        status: "dead",
        statusCode: 500,
        durationMs: 5,
        error: "HTTP 500",
        responseExcerpt: "down",
        nextAttemptAt: null,
        attemptedAt: now,
      });
    }
  } finally {
    await store.close();
  }
  return { dir, repo, env: baseEnv({ PATH: `${shims}:${process.env.PATH ?? "/usr/bin:/bin"}`, EMPATHY_ANALYSIS_WORKERS: "1" }) };
}

// ---------------------------------------------------------------------------------------------

const label = (c: Command) => `${c.file}:${c.line} \`${c.text}\``;
const describeVerdicts = (c: Command) =>
  VERDICTS.get(c)!
    .map(({ stage, verdict }) =>
      verdict.kind === "not-run"
        ? `${stage}: not run here, because ${verdict.reason}`
        : verdict.kind === "script"
          ? `${stage}: the script exists (not run here, because ${SCRIPT_NOT_RUN})`
          : `${stage}: ${verdict.kind}`,
    )
    .join("; ");

describe("the docs check", () => {
  beforeAll(() => {
    if (!existsSync(join(ROOT, "lib", "cli.js"))) throw new Error("the docs check runs the built CLI: npm run build first");
  });

  it("finds the commands (the parser works on these files)", () => {
    expect(COMMANDS.filter((c) => c.file === "README.md").length).toBeGreaterThanOrEqual(15);
    expect(COMMANDS.filter((c) => c.file === "examples/receiver/README.md").length).toBeGreaterThanOrEqual(3);
  });

  it("labels every code block with a language it knows (commands go in ```sh blocks, where they are checked)", () => {
    const known = new Set(["sh", "yaml", "json", "js", "ts"]);
    const unlabelled = DOCS.flatMap((f) => fencedBlocks(f))
      .filter((b) => !known.has(b.lang))
      .map((b) => `${b.file}:${b.line} \`\`\`${b.lang}`);
    expect(unlabelled).toEqual([]);
  });

  describe("every command has a known shape", () => {
    it.each(COMMANDS.map((c) => [`${label(c)} → ${describeVerdicts(c)}`, c] as const))("%s", (_label, c) => {
      const unknown = VERDICTS.get(c)!
        .filter((v) => v.verdict.kind === "unknown")
        .map((v) => `${v.stage}: ${(v.verdict as { why: string }).why}`);
      expect(unknown).toEqual([]);
      // Scripts exist; commands not run have their reason in NOT_RUN; the others are run below.
      for (const { verdict } of VERDICTS.get(c)!)
        if (verdict.kind === "script") expect(Object.keys(PACKAGE.scripts)).toContain(verdict.script);
    });
  });

  describe("README.md's CLI examples, run as written in a scratch repository", () => {
    let sandbox: Awaited<ReturnType<typeof makeSandbox>>;
    const results = new Map<Command, Promise<Run>>();
    const runnable = COMMANDS.filter((c) => c.file === "README.md" && VERDICTS.get(c)!.some((v) => v.verdict.kind === "cli"));

    beforeAll(async () => {
      sandbox = await makeSandbox();
      // Blocks run side by side; a block that changes the store runs its lines in order.
      const byBlock = new Map<number, Command[]>();
      for (const c of runnable) byBlock.set(c.block, [...(byBlock.get(c.block) ?? []), c]);
      for (const commands of byBlock.values()) {
        const stateful = commands.some((c) =>
          VERDICTS.get(c)!.some(
            (v) => v.verdict.kind === "cli" && ["jobs", "deliveries", "data"].includes((v.verdict as { args: string[] }).args[0]),
          ),
        );
        let previous: Promise<unknown> = Promise.resolve();
        for (const c of commands) {
          const started: Promise<Run> = stateful
            ? previous.then(() => bash(c.text, sandbox.repo, sandbox.env))
            : bash(c.text, sandbox.repo, sandbox.env);
          results.set(c, started);
          previous = started;
        }
      }
      await Promise.all(results.values());
    }, 120_000);

    afterAll(() => {
      if (sandbox) rmSync(sandbox.dir, { recursive: true, force: true });
    });

    it("runs the examples of each kind", () => {
      const args = runnable.flatMap((c) => VERDICTS.get(c)!.flatMap((v) => (v.verdict.kind === "cli" ? [v.verdict.args[0]] : [])));
      expect(new Set(args)).toEqual(new Set(["review", "config", "jobs", "deliveries", "data"]));
    });

    it.each(runnable.map((c) => [label(c), c] as const))("%s is accepted (exit 0 or 1, not a usage or input error)", async (_label, c) => {
      const r = await results.get(c)!;
      if (r.code !== 0 && r.code !== 1) throw new Error(`${c.text}: exit ${r.code}\n${r.stderr}${r.stdout}`);
      expect(r.stderr).not.toMatch(/^Usage: |--help tells more/m);
      expect(r.stdout.length).toBeGreaterThan(0);
    });

    it("the review examples review the change and the gate fails on it", async () => {
      const byText = (t: string) => results.get(runnable.find((c) => c.text.startsWith(t))!)!;
      expect((await byText("empathy review --diff change.diff --format json")).code).toBe(1);
      expect(JSON.parse((await byText("empathy review --diff change.diff --format json")).stdout).findings.length).toBeGreaterThan(0);
      // The scratch repository's one changed file reached the review, from git and from a pipe.
      expect((await byText("git diff main... |")).stdout).toMatch(/1 file\(s\) changed/);
      expect((await byText("empathy review --git main...HEAD")).stdout).toMatch(/1 file\(s\) changed/);
    });

    it("the operator examples find what they name", async () => {
      const byText = (t: string) => results.get(runnable.find((c) => c.text.startsWith(t))!)!;
      expect((await byText("empathy jobs show 42")).code).toBe(0);
      expect((await byText("empathy jobs replay 42")).code).toBe(0);
      expect((await byText("empathy deliveries show msg_0abc")).code).toBe(0);
      expect((await byText("empathy deliveries replay --since 2h")).code).toBe(0);
      expect((await byText("empathy data delete --user alice --yes")).code).toBe(0);
    });
  });

  describe("commands named in the text", () => {
    const inline = DOCS.flatMap((file) => spans(file).map((span) => ({ file, span }))).filter(({ span }) =>
      /^(empathy|npm|npx|node|git|docker|sqlite3|curl)(\s|$)/.test(span),
    );
    const unique = [...new Map(inline.map((i) => [`${i.file} ${i.span}`, i])).values()];
    let help: Map<string, Run>;
    let commands: string[];

    /** For a span naming the CLI: the commands (and subcommand) whose --help must exist, and the options it gives. */
    function cliNamed(span: string): { named: string[][]; options: string[] } | undefined {
      const tokens = span.split(" ");
      if (tokens[0] !== "empathy" && !(tokens[0] === "node" && tokens[1] === "bin/empathy.js")) return undefined;
      const args = tokens[0] === "empathy" ? tokens.slice(1) : tokens.slice(2);
      const options = args.filter((a) => a.startsWith("--") && a !== "--help").map((a) => a.split("=")[0]);
      if (args[0] === "<command>") return { named: commands.map((c) => [c]), options };
      const words = [];
      for (const a of args.slice(0, 2))
        if (/^[a-z]+$/.test(a)) words.push(a);
        else break;
      return { named: [words], options };
    }

    beforeAll(() => {
      // Every --help in one process of the built CLI (its runCli and COMMANDS): quick.
      const script = `import { runCli, COMMANDS } from ${JSON.stringify(new URL(`file://${join(ROOT, "lib", "cli.js")}`).href)};
        const out = { commands: COMMANDS, runs: {} };
        for (const argv of JSON.parse(process.argv[1])) {
          let stdout = "", stderr = "";
          const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), readStdin: () => "", cwd: process.cwd(), env: {} });
          out.runs[argv.join(" ")] = { code, stdout, stderr };
        }
        process.stdout.write(JSON.stringify(out));`;
      const list = (argvs: string[][]) => {
        const r = spawnSync(process.execPath, ["--input-type=module", "-e", script, JSON.stringify(argvs)], {
          cwd: ROOT,
          env: baseEnv(),
          encoding: "utf8",
        });
        if (r.status !== 0) throw new Error(`the built CLI did not load: ${r.stderr}`);
        return JSON.parse(r.stdout) as { commands: string[]; runs: Record<string, Run> };
      };
      commands = list([]).commands;
      const argvs = [["--help"], ...unique.flatMap(({ span }) => cliNamed(span)?.named.map((n) => [...n, "--help"]) ?? [])];
      help = new Map(Object.entries(list(argvs).runs));
    });

    it("names some", () => {
      expect(unique.length).toBeGreaterThanOrEqual(10);
      // `empathy --help` lists every command the CLI has.
      for (const c of commands) expect(help.get("--help")!.stdout).toMatch(new RegExp(`^  ${c}\\b`, "m"));
    });

    it.each(unique.map((i) => [`${i.file}: \`${i.span}\``, i] as const))("%s", (_label, { file, span }) => {
      const cli = cliNamed(span);
      if (cli) {
        for (const named of cli.named) {
          const r = help.get([...named, "--help"].join(" "))!;
          expect(r.code).toBe(0);
          expect(r.stdout).toContain(`empathy ${named.join(" ")}`.trim());
          for (const option of cli.options) expect(r.stdout).toContain(option);
        }
        return;
      }
      const verdicts = stagesOf(span).map((s) => classify(s, file));
      for (const v of verdicts) {
        expect(v.kind).not.toBe("unknown");
        if (v.kind === "script") expect(Object.keys(PACKAGE.scripts)).toContain(v.script);
      }
    });

    it("every npm script is named in README.md (npm's lifecycle scripts apart)", () => {
      const named = new Set(
        spans("README.md").flatMap((s) => [...s.matchAll(/\bnpm (?:run ([\w:-]+)|(test|start)\b)/g)].map((m) => m[1] ?? m[2])),
      );
      for (const c of COMMANDS) for (const { verdict } of VERDICTS.get(c)!) if (verdict.kind === "script") named.add(verdict.script);
      const unnamed = Object.keys(PACKAGE.scripts).filter((s) => !named.has(s) && LIFECYCLE_SCRIPTS[s] === undefined);
      expect(unnamed).toEqual([]);
    });
  });

  it("README.md's .github/empathy.yml example passes config check and shows the defaults", () => {
    const block = fencedBlocks("README.md").find((b) => b.lang === "yaml" && b.lines.some((l) => l.startsWith("target_level:")));
    expect(block).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), "empathy-docs-config-"));
    try {
      writeFileSync(join(dir, "example.yml"), block!.lines.join("\n"));
      writeFileSync(join(dir, "empty.yml"), "");
      const check = (f: string) =>
        spawnSync(process.execPath, [CLI, "config", "check", f, "--json"], { cwd: dir, env: baseEnv(), encoding: "utf8" });
      const example = check("example.yml");
      expect(example.status).toBe(0);
      const defaults = JSON.parse(check("empty.yml").stdout).config;
      expect(JSON.parse(example.stdout).config).toEqual(defaults);
      expect(defaults).toMatchObject(parseYaml(block!.lines.join("\n")) as object);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("links and paths exist", () => {
    it.each(DOCS.map((f) => [f] as const))("%s", (file) => {
      const here = dirname(join(ROOT, file));
      const missing: string[] = [];
      const text = prose(file);
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1];
        if (/^(https?:|mailto:)/.test(target)) continue;
        if (target.startsWith("#")) {
          if (!anchors(file).has(target.slice(1))) missing.push(`anchor ${target}`);
          continue;
        }
        if (!existsSync(resolve(here, target.split("#")[0]))) missing.push(`link ${target}`);
      }
      for (const span of spans(file)) {
        if (/\s/.test(span)) continue;
        const path = span.replace(/[<*].*$/, "").replace(/:\d+$/, "");
        if (/^(src|test|docs|examples|bench|scripts|schema|rules|rule-tests|bin|lib)\//.test(path)) {
          if (!existsSync(join(ROOT, path))) missing.push(`path ${span}`);
        } else if (/^(?:[\w-]+\.(?:md|ya?ml|json)|\.env\.example|Dockerfile)$/.test(path) && NOT_REPOSITORY_FILES[path] === undefined) {
          if (!existsSync(join(ROOT, path)) && !existsSync(join(here, path))) missing.push(`file ${span}`);
        }
      }
      expect(missing).toEqual([]);
    });
  });

  describe("environment variables: README.md's table and the code agree", () => {
    const table = envTable();
    const read = variablesReadBySrc();

    it("finds the table", () => {
      expect(table.size).toBeGreaterThanOrEqual(30);
    });

    it("every variable in the table is read by src/ or is Probot's", () => {
      expect([...table].filter((v) => !read.has(v) && !PROBOT_VARIABLES.has(v))).toEqual([]);
    });

    it("every variable src/ reads is in the table", () => {
      expect([...read].filter((v) => !table.has(v) && NOT_SETTINGS[v] === undefined)).toEqual([]);
    });

    it("every variable of .env.example is in the table", () => {
      const example = [...readFileSync(join(ROOT, ".env.example"), "utf8").matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]);
      expect(example.length).toBeGreaterThan(10);
      expect(example.filter((v) => !table.has(v))).toEqual([]);
    });
  });

  describe("examples/receiver/README.md", () => {
    it("its commands run as written, in order (on a free port instead of 8787), and print what it shows", async () => {
      const port = String(await freePort());
      const env = baseEnv();
      const servers: ReturnType<typeof startServer>[] = [];
      const ran: string[] = [];
      try {
        for (const c of COMMANDS.filter((x) => x.file === "examples/receiver/README.md")) {
          const text = c.text.replaceAll("8787", port);
          const expected = c.output.map((o) => o.replaceAll("8787", port));
          const [{ verdict }] = VERDICTS.get(c)!;
          if (verdict.kind === "export") {
            env[verdict.name] = verdict.value;
          } else if (verdict.kind === "receiver-server") {
            const server = startServer("bash", ["-c", text], ROOT, env, /listening on \S+/);
            servers.push(server);
            const [line] = await server.started;
            expect(expected).toEqual([line]);
          } else if (verdict.kind === "receiver-send") {
            const r = await bash(text, ROOT, env);
            expect({ code: r.code, stdout: r.stdout.trim().split("\n") }).toEqual({ code: 0, stdout: expected });
          } else {
            throw new Error(`${label(c)}: ${verdict.kind} is not run by this test`);
          }
          ran.push(verdict.kind);
        }
        expect(ran).toEqual(["export", "receiver-server", "receiver-send", "receiver-send"]);
        await waitFor(() => /test event evt_/.test(servers[0].output()));
        expect(servers[0].output().match(/test event evt_/g)).toHaveLength(1);
      } finally {
        for (const s of servers) await s.stop();
      }
    }, 90_000);

    it("its receiver runs from a folder outside this repository with only verify.mjs (and send.mjs talks to it)", async () => {
      const block = fencedBlocks("examples/receiver/README.md").find((b) => b.lang === "js");
      expect(block).toBeDefined();
      const dir = mkdtempSync(join(tmpdir(), "empathy-receiver-copy-"));
      const secret = "the secret: of the registration";
      let server: ReturnType<typeof startServer> | undefined;
      try {
        for (const f of ["verify.mjs", "verify.d.mts", "send.mjs"]) copyFileSync(join(ROOT, "examples", "receiver", f), join(dir, f));
        writeFileSync(join(dir, "receiver.mjs"), block!.lines.join("\n"));
        expect(readdirSync(dir).sort()).toEqual(["receiver.mjs", "send.mjs", "verify.d.mts", "verify.mjs"]);
        const env = baseEnv({ EMPATHY_WEBHOOK_SECRET: secret });
        server = startServer(process.execPath, ["receiver.mjs"], dir, { ...env, PORT: "0" }, /listening on port (\d+)/);
        const [, port] = await server.started;
        const url = `http://127.0.0.1:${port}/`;
        const send = () => run(process.execPath, ["send.mjs", url, "--id", "msg_copy"], dir, env);
        expect((await send()).stdout.trim()).toBe("200 ok");
        expect((await send()).stdout.trim()).toBe("200 duplicate");
        const forged = await run(process.execPath, ["send.mjs", url], dir, { ...env, EMPATHY_WEBHOOK_SECRET: "another secret" });
        expect({ code: forged.code, stdout: forged.stdout.trim() }).toEqual({ code: 1, stdout: "401 webhook-signature does not match" });
        await waitFor(() => /^test: /m.test(server!.output()));
        expect(server.output().match(/^test: \{"note":"sent by hand"\}$/gm)).toHaveLength(1);
      } finally {
        await server?.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000);
  });
});

/** The variables in README.md's "Environment variables" table. */
function envTable(): Set<string> {
  const text = prose("README.md");
  const start = text.indexOf("### Environment variables");
  const table = text.slice(start).split("\n\n")[1] ?? "";
  const out = new Set<string>();
  for (const row of table.split("\n").slice(2)) {
    const first = row.split("|")[1] ?? "";
    for (const m of first.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) out.add(m[1]);
  }
  return out;
}

/** Every environment variable src/ reads: `env.NAME`, `env["NAME"]` and the names settings helpers are given. */
function variablesReadBySrc(): Set<string> {
  const out = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts")) {
        const code = readFileSync(path, "utf8")
          .replace(/\/\*[\s\S]*?\*\//g, "")
          .replace(/^\s*\/\/.*$/gm, "");
        for (const m of code.matchAll(/\benv(?:\.|\[")([A-Z][A-Z0-9_]+)/g)) out.add(m[1]);
        for (const m of code.matchAll(/(?:intFrom\(env, |seconds\(|name: )"([A-Z][A-Z0-9_]+)"/g)) out.add(m[1]);
      }
    }
  };
  walk(join(ROOT, "src"));
  return out;
}
