/**
 * `npm run bench:analysis`: the analysis of a generated 50,000-line change of JS, TS and Python,
 * beside ESLint with eslint-plugin-security on the same JavaScript files, two ways:
 *
 * - **one command each**, as a user runs them: `empathy review` and `eslint` each in a fresh
 *   process (Node's start-up, module loading and the analysis workers' start-up included);
 * - **a long-running process**, as the app runs: its worker pool started once and kept, beside
 *   one ESLint instance reused; both warmed up first.
 *
 * Each figure is the median of three runs. Memory is the peak RSS of the process and its
 * analysis workers together (sampled from /proc). Then the pathological inputs
 * (bench/pathological.ts), each beside ordinary code of the same size.
 * Targets: at least 20,000 lines/s, under 300 MB, ESLint taking at least 1.5× as long.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { analyseInPool as AnalyseInPool } from "../src/analysis/pool/isolated.js";
import type { AnalysisPool as Pool } from "../src/analysis/pool/pool.js";
import type { parseUnifiedDiff as ParseUnifiedDiff } from "../src/analysis/diff.js";
import { generateFiles, toDiff, type GeneratedFile } from "./generateDiff.js";
import { benchPathological } from "./pathological.js";
import { sampleProcessMemory, type MemoryPeak } from "./processMemory.js";

// The built code, as users run it (its workers run compiled JavaScript).
const lib = (path: string) => fileURLToPath(new URL(`../lib/${path}`, import.meta.url));
const { AnalysisPool } = (await import(lib("analysis/pool/pool.js"))) as { AnalysisPool: typeof Pool };
const { analyseInPool } = (await import(lib("analysis/pool/isolated.js"))) as { analyseInPool: typeof AnalyseInPool };
const { parseUnifiedDiff } = (await import(lib("analysis/diff.js"))) as { parseUnifiedDiff: typeof ParseUnifiedDiff };
const projectRoot = fileURLToPath(new URL("..", import.meta.url));

const LINES = 50_000;
const RUNS = 3;

interface Run {
  ms: number;
  findings: number;
  memory?: MemoryPeak;
}

function median(runs: Run[]): Run {
  return [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)];
}

async function repeat(times: number, once: () => Promise<Run>): Promise<Run> {
  const runs: Run[] = [];
  for (let i = 0; i < times; i++) runs.push(await once());
  return median(runs);
}

/** Runs a command to its end; its time, its stdout, and the peak memory of it and its workers. */
function command(args: string[], cwd: string): Promise<{ ms: number; stdout: string; memory: MemoryPeak }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd, stdio: ["ignore", "pipe", "inherit"] });
    const memory = sampleProcessMemory(child.pid!, 20);
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (t: string) => (stdout += t));
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = performance.now() - started;
      const peak = memory.stop();
      // eslint exits 1 when it reports problems; empathy review exits 0 (no --fail-on).
      if (code !== 0 && code !== 1) reject(new Error(`${args.join(" ")} exited ${code}`));
      else resolve({ ms, stdout, memory: peak });
    });
  });
}

function writeTree(root: string, files: GeneratedFile[], diffName: string): string {
  for (const f of files) {
    mkdirSync(dirname(join(root, f.path)), { recursive: true });
    writeFileSync(join(root, f.path), f.text);
  }
  writeFileSync(join(root, diffName), toDiff(files));
  return diffName;
}

function linesOf(files: GeneratedFile[]): number {
  return files.reduce((n, f) => n + f.text.split("\n").length - 1, 0);
}

const mb = (m?: MemoryPeak) => (m ? `${m.peakMb.toFixed(0)} MB${m.childrenCounted ? "" : " (workers not counted)"}` : "");
const row = (run: string, lines: number, r: Run) => ({
  run,
  lines,
  ms: Math.round(r.ms),
  "lines/s": Math.round((lines / r.ms) * 1000),
  findings: r.findings,
  memory: mb(r.memory),
});

const root = mkdtempSync(join(tmpdir(), "empathy-bench-analysis-"));
try {
  const files = generateFiles(LINES);
  const jsFiles = files.filter((f) => f.path.endsWith(".js"));
  const jsLines = linesOf(jsFiles);
  const allDiff = writeTree(root, files, "all.diff");
  const jsDiff = writeTree(root, jsFiles, "js.diff");
  writeFileSync(
    join(root, "eslint.config.mjs"),
    `import security from ${JSON.stringify(join(projectRoot, "node_modules/eslint-plugin-security/index.js"))};\nexport default [security.configs.recommended];\n`,
  );
  const workers = availableParallelism(); // as the CLI sizes its pool

  // One command each.
  const empathyCli = (diff: string) => async (): Promise<Run> => {
    const out = await command([join(projectRoot, "bin/empathy.js"), "review", "--diff", diff, "--root", ".", "--format", "json"], root);
    return { ms: out.ms, findings: JSON.parse(out.stdout).findings.length, memory: out.memory };
  };
  const eslintCli = async (): Promise<Run> => {
    const out = await command(
      [join(projectRoot, "node_modules/eslint/bin/eslint.js"), "--format", "json", ...jsFiles.map((f) => f.path)],
      root,
    );
    const results = JSON.parse(out.stdout) as Array<{ messages: unknown[] }>;
    return { ms: out.ms, findings: results.reduce((n, r) => n + r.messages.length, 0), memory: out.memory };
  };
  await empathyCli(jsDiff)(); // the first run also fills the rule cache, as installing does
  const coldAll = await repeat(RUNS, empathyCli(allDiff));
  const coldJs = await repeat(RUNS, empathyCli(jsDiff));
  const coldEslint = await repeat(RUNS, eslintCli);

  // A long-running process: the pool started once, as the app does.
  const pool = new AnalysisPool({ size: workers });
  const contents = new Map(files.map((f) => [f.path, f.text]));
  const review = (diff: GeneratedFile[]) => async (): Promise<Run> => {
    const started = performance.now();
    const outcome = await analyseInPool(pool, { files: parseUnifiedDiff(toDiff(diff)), fileContents: contents });
    return { ms: performance.now() - started, findings: outcome.result.findings.length };
  };
  let warmAll: Run;
  let warmJs: Run;
  try {
    await review(jsFiles)(); // warm-up
    const memory = sampleProcessMemory();
    warmAll = await repeat(RUNS, review(files));
    warmAll.memory = memory.stop(); // ESLint is not loaded yet
    warmJs = await repeat(RUNS, review(jsFiles));
  } finally {
    await pool.destroy();
  }
  const { ESLint } = await import("eslint");
  const eslint = new ESLint({ cwd: root });
  await eslint.lintFiles(jsFiles.slice(0, 5).map((f) => f.path)); // warm-up
  const warmEslint = await repeat(RUNS, async () => {
    const started = performance.now();
    const results = await eslint.lintFiles(jsFiles.map((f) => f.path));
    return { ms: performance.now() - started, findings: results.reduce((n, r) => n + r.messages.length, 0) };
  });

  console.log(
    `Analysis throughput: ${files.length} files, ${LINES.toLocaleString("en")} changed lines (JS, TS, Python), ${workers} analysis workers; median of ${RUNS} runs`,
  );
  console.log("targets: >= 20,000 lines/s and < 300 MB on all languages; ESLint taking >= 1.5x as long on the JS files\n");
  console.log("One command each, in a fresh process (memory: the process and its workers):");
  console.table([
    row("empathy review (all languages)", LINES, coldAll),
    row("empathy review (JS files only)", jsLines, coldJs),
    row("baseline: eslint + eslint-plugin-security (JS files only)", jsLines, coldEslint),
  ]);
  console.log(`time ratio on the JS files, ESLint / empathy: ${(coldEslint.ms / coldJs.ms).toFixed(2)}\n`);
  console.log(
    "A long-running process, warmed up (the app's worker pool; one ESLint instance reused; memory: this process and its workers):",
  );
  console.table([
    row("analysis in the worker pool (all languages)", LINES, warmAll),
    row("analysis in the worker pool (JS files only)", jsLines, warmJs),
    row("baseline: ESLint + eslint-plugin-security (JS files only)", jsLines, warmEslint),
  ]);
  console.log(`time ratio on the JS files, ESLint / empathy: ${(warmEslint.ms / warmJs.ms).toFixed(2)}\n`);
  await benchPathological();
} finally {
  rmSync(root, { recursive: true, force: true });
}
