/** `git` for `empathy review --git`: its output captured, its errors told once and briefly. */
import { spawnSync } from "node:child_process";
import { InputError } from "./common.js";

const MAX_OUTPUT = 512 * 1024 * 1024;

interface GitResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function git(args: string[], cwd: string): GitResult {
  const r = spawnSync("git", args, { cwd, encoding: "utf8", maxBuffer: MAX_OUTPUT, stdio: ["ignore", "pipe", "pipe"] });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new InputError("--git runs `git diff`, and git is not installed (or not on PATH)");
    if (code === "ENOBUFS") throw new InputError(`git ${args[0]} wrote more than ${MAX_OUTPUT / 1024 / 1024} MB: give a smaller range`);
    throw new InputError(`git ${args[0]} could not run: ${r.error.message}`);
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * What git said, briefly: its `fatal:`/`error:` lines (at most three), else its first lines;
 * never the pages of usage it prints for some mistakes.
 */
export function briefGitError(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const errors = lines.filter((l) => /^(fatal|error):/i.test(l));
  const chosen = (errors.length > 0 ? errors : lines).slice(0, 3).map((l) => (l.length > 300 ? `${l.slice(0, 299)}…` : l));
  return chosen.length > 0 ? chosen.join("\n") : "git failed without saying why";
}

function insideRepository(cwd: string): boolean {
  const r = git(["rev-parse", "--is-inside-work-tree"], cwd);
  return r.status === 0 && r.stdout.trim() === "true";
}

/** `git diff RANGE` in `cwd`; an InputError that says what went wrong when git fails. */
export function gitDiff(range: string, cwd: string): string {
  const r = git(["diff", "--no-color", "--no-ext-diff", range, "--"], cwd);
  if (r.status === 0) return r.stdout;
  if (!insideRepository(cwd))
    throw new InputError(`--git: ${cwd} is not in a git repository (run empathy there, give --root DIR, or use --diff FILE)`);
  throw new InputError(`git diff ${range} failed:\n${briefGitError(r.stderr)}`);
}

/**
 * The commit a range is compared against: `A...B` their merge base, `A..B` A, a single revision
 * itself (git diff REV compares the working tree with it). An empty side is HEAD, as for git.
 */
export function rangeBase(range: string, cwd: string): string | null {
  if (range.includes("...")) {
    const [a, b] = range.split("...", 2);
    const r = git(["merge-base", a || "HEAD", b || "HEAD"], cwd);
    return r.status === 0 ? r.stdout.trim() : null;
  }
  if (range.includes("..")) return range.split("..", 1)[0] || "HEAD";
  return range;
}

/** A file's text at a revision; null when the revision does not have it (or cannot be read). */
export function fileAtRevision(revision: string, path: string, cwd: string): string | null {
  const r = git(["show", `${revision}:${path}`], cwd);
  return r.status === 0 ? r.stdout : null;
}
