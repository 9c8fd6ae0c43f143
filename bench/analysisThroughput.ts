/**
 * `npm run bench:analysis`: reviews a generated 50,000-line diff of JS, TS and Python through
 * the CLI (the same engine as the app, with --root so rules see whole files) and prints lines
 * per second and peak memory; then runs ESLint with eslint-plugin-security on the same
 * JavaScript files and prints the ratio of the two times (target: ESLint takes at least 1.5× as
 * long). Memory counts the analysis workers too. Then the pathological inputs
 * (bench/pathological.ts), each beside ordinary code of the same size.
 * Targets: at least 20,000 lines/s on one core, under 300 MB.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ESLint } from "eslint";
import security from "eslint-plugin-security";
import type { runCli as RunCli } from "../src/cli.js";

// The built CLI, as users run it: its workers run compiled JavaScript (from source they would load through tsx).
const built: string = "../lib/cli.js";
const { runCli } = (await import(built)) as { runCli: typeof RunCli };
import { generateFiles, toDiff, type GeneratedFile } from "./generateDiff.js";
import { benchPathological } from "./pathological.js";
import { sampleProcessMemory } from "./processMemory.js";

const LINES = 50_000;

async function reviewWithCli(root: string, diffPath: string): Promise<{ ms: number; findings: number }> {
  let stdout = "";
  const started = performance.now();
  const code = await runCli(["review", "--diff", diffPath, "--root", root, "--format", "json"], {
    stdout: (t) => (stdout += t),
    stderr: (t) => process.stderr.write(t),
    readStdin: () => "",
    cwd: root,
  });
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`empathy review exited ${code}`);
  return { ms, findings: JSON.parse(stdout).findings.length };
}

function writeTree(root: string, files: GeneratedFile[], diffName: string): string {
  for (const f of files) {
    mkdirSync(dirname(join(root, f.path)), { recursive: true });
    writeFileSync(join(root, f.path), f.text);
  }
  const diffPath = join(root, diffName);
  writeFileSync(diffPath, toDiff(files));
  return diffPath;
}

const root = mkdtempSync(join(tmpdir(), "empathy-bench-analysis-"));
try {
  const files = generateFiles(LINES);
  const jsFiles = files.filter((f) => f.path.endsWith(".js"));
  const jsLines = jsFiles.reduce((n, f) => n + f.text.split("\n").length - 1, 0);
  const allDiff = writeTree(root, files, "all.diff");
  const jsDiff = writeTree(root, jsFiles, "js.diff");

  await reviewWithCli(root, jsDiff); // warm-up: rule loading and JIT, as a long-running app would be
  const memory = sampleProcessMemory();
  const all = await reviewWithCli(root, allDiff);
  const peak = memory.stop(); // before ESLint is loaded
  const js = await reviewWithCli(root, jsDiff);

  const eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: [security.configs.recommended] });
  await eslint.lintText("const warm = 1;");
  const eslintStarted = performance.now();
  const results = await eslint.lintFiles(jsFiles.map((f) => f.path));
  const eslintMs = performance.now() - eslintStarted;
  const eslintWarnings = results.reduce((n, r) => n + r.messages.length, 0);

  console.log(`Analysis throughput: ${files.length} files, ${LINES.toLocaleString("en")} changed lines (JS, TS, Python); targets: >= 20,000 lines/s, < 300 MB`);
  console.table([
    { run: "empathy review (all languages)", lines: LINES, ms: all.ms.toFixed(0), "lines/s": Math.round((LINES / all.ms) * 1000), findings: all.findings },
    { run: "empathy review (JS files only)", lines: jsLines, ms: js.ms.toFixed(0), "lines/s": Math.round((jsLines / js.ms) * 1000), findings: js.findings },
    { run: "baseline: ESLint + eslint-plugin-security (JS files only)", lines: jsLines, ms: eslintMs.toFixed(0), "lines/s": Math.round((jsLines / eslintMs) * 1000), findings: eslintWarnings },
  ]);
  console.log(
    peak.childrenCounted
      ? `peak memory during the all-languages run: ${peak.peakMb.toFixed(0)} MB (this process + up to ${peak.peakChildren} analysis worker(s), RSS sampled every 50 ms)`
      : `peak memory during the all-languages run: ${peak.peakMb.toFixed(0)} MB (this process only: workers are not counted on ${process.platform})`,
  );
  console.log(`time ratio on the same JS files, ESLint / empathy: ${(eslintMs / js.ms).toFixed(2)}`);
  await benchPathological();
} finally {
  rmSync(root, { recursive: true, force: true });
}
