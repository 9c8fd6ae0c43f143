/**
 * `npm run eval:noise`: how noisy the analysis is on real code nobody on the team wrote.
 *
 * The corpus evaluation (scripts/eval.ts) measures precision on small hand-written cases; this
 * measures the other side on a large body of real, mostly benign code: the JavaScript of the
 * project's installed production dependencies (node_modules, `npm ls --omit=dev`) and the
 * machine's Python standard library. Every file is analysed as a newly added file (one hunk that
 * adds every line, the whole text as content), as scripts/eval.ts does, but through the worker
 * pool the CLI uses (`analyseInPool`), under the app's limits: a pathological file costs its own
 * time budget and nothing else.
 *
 * Files are given repository-like paths (`pkgs/<package>/<file>`, `cpython/Lib/<file>`): under
 * `node_modules/` the tool would skip them as vendored. Files the tool would not analyse anyway
 * (build output, generated, over the size, line-length or nesting limits) and minified or bundled
 * files are counted and left out; identical copies count once.
 *
 * It prints findings per 10,000 analysed lines, by severity, rule and category, for each
 * language, with test and example files (where the tool lowers findings to low) apart, and a
 * seeded sample of findings with their code, to read. It is a measurement, not a gate: it exits 0
 * whatever the figures, 1 only when it fails itself, 2 on bad options.
 *
 *   npx tsx scripts/evalNoise.ts [--all | --max-files N] [--seed S] [--lang javascript|python]
 *                                [--sample N] [--sample-min-severity SEV] [--json]
 *
 * The pure parts (paths, file filters, sampling, summaries, output) are exported and
 * unit-tested in test/scripts/evalNoise.test.ts; `main` runs only when the file is executed.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DEFAULT_LIMITS, precheckText } from "../src/analysis/limits.js";
import { fileClassifier } from "../src/analysis/noise.js";
import { isTestFile } from "../src/analysis/paths.js";
import { SEVERITIES, severityRank, type Finding, type Severity } from "../src/analysis/types.js";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export type NoiseLanguage = "javascript" | "python";
export const NOISE_LANGUAGES: readonly NoiseLanguage[] = ["javascript", "python"];

/** Default sample sizes: a few minutes on two cores. */
export const DEFAULT_MAX_FILES: Record<NoiseLanguage, number> = { javascript: 3000, python: 1000 };
export const DEFAULT_SAMPLE_SIZE = 40;
export const DEFAULT_SEED = "1";
/** Files per call to the pool; two calls are in flight so no worker waits at a batch's end. */
const BATCH_SIZE = 25;
const BATCHES_IN_FLIGHT = 2;
/** Longest code line printed in the sample. */
const MAX_PRINTED_LINE = 200;

// ---------------------------------------------------------------------------------------------
// Paths and file filters

/** Where a production dependency's file is analysed: a repository-like path, never under node_modules/. */
export function packageRepoPath(packageDir: string, relInPackage: string): string {
  return `pkgs/${packageDir}/${relInPackage.split(sep).join("/")}`;
}

/** Where a file of the Python standard library is analysed. */
export function pythonRepoPath(relInStdlib: string): string {
  return `cpython/Lib/${relInStdlib.split(sep).join("/")}`;
}

/** Code that does not ship, where the tool lowers findings to at most low (src/analysis/noise.ts `adjustForTestFile`). */
const NOT_SHIPPED = /(?:^|\/)(?:examples?|fixtures?|demos?|samples?)\//i;

export function isLoweredPath(path: string): boolean {
  return isTestFile(path) || NOT_SHIPPED.test(path);
}

export const JS_FILE = /\.(?:js|mjs|cjs)$/;

/**
 * Why a JavaScript file looks minified or bundled (so it is not hand-written code), or undefined.
 * By name (`.min.js`, `-bundle.js`, `umd/`), by content (a webpack runtime, an esbuild or rollup
 * bundle's `// node_modules/...` module markers), or by shape (most of the text on very long lines).
 */
export function minifiedOrBundled(path: string, text: string): string | undefined {
  if (/\.min\.[cm]?js$|[.-]bundle\.[cm]?js$|\.umd\.[cm]?js$|(?:^|\/)umd\//.test(path)) return "minified or bundled (by name)";
  if (/webpackBootstrap|__webpack_modules__|function __webpack_require__\(|^\/\*{6}\/ /m.test(text)) return "bundled (webpack)";
  const markers = text.match(/^\/\/ (?:node_modules|\.\.?|src|lib)\/\S+\.[cm]?[jt]sx?$/gm);
  if (markers && markers.length >= 3) return "bundled (module markers)";
  let long = 0;
  let total = 0;
  for (const line of text.split("\n")) {
    total += line.length + 1;
    if (line.length > 1000) long += line.length;
  }
  if (total > 0 && long / total > 0.5) return "minified (mostly long lines)";
  return undefined;
}

/** Lines of a text as a diff counts them (a final newline ends the last line, it does not start one). */
export function textLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** The patch of a newly added file: one hunk that adds every line (as scripts/eval.ts builds it). */
export function addedFilePatch(text: string): { patch: string; lines: number } {
  const lines = textLines(text);
  return { patch: `@@ -0,0 +1,${lines.length} @@\n` + lines.map((l) => "+" + l).join("\n"), lines: lines.length };
}

// ---------------------------------------------------------------------------------------------
// Seeded sampling

/** A seeded pseudo-random generator (mulberry32 on a hash of the seed): the same seed, the same sample. */
export function seededRandom(seed: string): () => number {
  let a = createHash("sha256").update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates with a seeded generator; the input is not changed. */
export function seededShuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** At most n items, chosen by the seed from items in a stable order (by key), returned in that order. */
export function sampleBy<T>(items: readonly T[], n: number, seed: string, key: (item: T) => string): T[] {
  const sorted = [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  if (n >= sorted.length) return sorted;
  const chosen = new Set(seededShuffle(sorted, seededRandom(seed)).slice(0, Math.max(0, n)));
  return sorted.filter((x) => chosen.has(x));
}

// ---------------------------------------------------------------------------------------------
// Findings and summaries

/** A finding as the benchmark keeps it. */
export interface NoiseFinding {
  language: NoiseLanguage;
  /** The repository-like path it was analysed under. */
  path: string;
  /** Where the file really is (relative to the project for node_modules, absolute for the stdlib). */
  origin: string;
  line: number;
  rule: string;
  category: string;
  severity: Severity;
  confidence: number;
  message: string;
  /** In a test, example or fixture file: the tool lowered it to at most low. */
  lowered: boolean;
}

/** An analysed file: its lines count towards the rates. */
export interface AnalysedFile {
  language: NoiseLanguage;
  path: string;
  lines: number;
  lowered: boolean;
}

export interface Rate {
  count: number;
  /** Findings per 10,000 analysed lines (null with no lines). */
  per10k: number | null;
}

export interface RuleRow {
  key: string;
  all: Rate;
  atLeastLow: Rate;
  atLeastMedium: Rate;
}

export interface GroupSummary {
  files: number;
  lines: number;
  all: Rate;
  /** At the repository config's default `review.min_severity` (low). */
  atLeastLow: Rate;
  /** At medium and above: what reaches a reviewer's attention. */
  atLeastMedium: Rate;
  bySeverity: Record<Severity, Rate>;
  byRule: RuleRow[];
  byCategory: RuleRow[];
}

export interface LanguageSummary {
  /** Shipped code: not a test, example or fixture file. */
  shipped: GroupSummary;
  /** Test, example and fixture files (the tool lowers their findings to at most low). */
  tests: GroupSummary;
}

export function rate(count: number, lines: number): Rate {
  return { count, per10k: lines === 0 ? null : (count * 10_000) / lines };
}

function rows(findings: readonly NoiseFinding[], lines: number, key: (f: NoiseFinding) => string): RuleRow[] {
  const groups = new Map<string, NoiseFinding[]>();
  for (const f of findings) {
    const k = key(f);
    const list = groups.get(k) ?? [];
    list.push(f);
    groups.set(k, list);
  }
  const low = severityRank("low");
  const medium = severityRank("medium");
  return [...groups.entries()]
    .map(([k, list]) => ({
      key: k,
      all: rate(list.length, lines),
      atLeastLow: rate(list.filter((f) => severityRank(f.severity) >= low).length, lines),
      atLeastMedium: rate(list.filter((f) => severityRank(f.severity) >= medium).length, lines),
    }))
    .sort((a, b) => b.atLeastMedium.count - a.atLeastMedium.count || b.all.count - a.all.count || (a.key < b.key ? -1 : 1));
}

/** Rates of one group of files and their findings. */
export function summariseGroup(files: readonly AnalysedFile[], findings: readonly NoiseFinding[]): GroupSummary {
  const lines = files.reduce((n, f) => n + f.lines, 0);
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, rate(findings.filter((f) => f.severity === s).length, lines)])) as Record<
    Severity,
    Rate
  >;
  return {
    files: files.length,
    lines,
    all: rate(findings.length, lines),
    atLeastLow: rate(findings.filter((f) => severityRank(f.severity) >= severityRank("low")).length, lines),
    atLeastMedium: rate(findings.filter((f) => severityRank(f.severity) >= severityRank("medium")).length, lines),
    bySeverity,
    byRule: rows(findings, lines, (f) => f.rule),
    byCategory: rows(findings, lines, (f) => f.category),
  };
}

/** Per language, shipped code and tests apart. */
export function summarise(files: readonly AnalysedFile[], findings: readonly NoiseFinding[]): Record<NoiseLanguage, LanguageSummary> {
  const out = {} as Record<NoiseLanguage, LanguageSummary>;
  for (const lang of NOISE_LANGUAGES) {
    const f = files.filter((x) => x.language === lang);
    const g = findings.filter((x) => x.language === lang);
    out[lang] = {
      shipped: summariseGroup(
        f.filter((x) => !x.lowered),
        g.filter((x) => !x.lowered),
      ),
      tests: summariseGroup(
        f.filter((x) => x.lowered),
        g.filter((x) => x.lowered),
      ),
    };
  }
  return out;
}

/**
 * Up to n findings to read, spread over rules and files: the rules in a seeded order, then one
 * finding per rule in turn (round-robin) until n are taken. A rule with many findings gets no
 * more turns than one with few, so a rare rule is never crowded out. Within a rule, findings in
 * shipped code come before those in tests (`lowered`), and files take turns too (seeded), so one
 * file repeating the same pattern does not fill a rule's share.
 */
export function pickSample<T extends { rule: string; path: string; line: number; lowered?: boolean }>(
  findings: readonly T[],
  n: number,
  seed: string,
): T[] {
  const random = seededRandom(`sample:${seed}`);
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const stable = [...findings].sort((a, b) => cmp(a.rule, b.rule) || cmp(a.path, b.path) || a.line - b.line);
  const byRule = new Map<string, T[]>();
  for (const f of stable) byRule.set(f.rule, [...(byRule.get(f.rule) ?? []), f]);
  /** One rule's findings: shipped files first, files taking turns, each file's findings shuffled. */
  const queue = (list: T[]): T[] => {
    const out: T[] = [];
    for (const lowered of [false, true]) {
      const byFile = new Map<string, T[]>();
      for (const f of list) if ((f.lowered ?? false) === lowered) byFile.set(f.path, [...(byFile.get(f.path) ?? []), f]);
      const files = seededShuffle([...byFile.keys()], random).map((p) => seededShuffle(byFile.get(p)!, random));
      for (let round = 0; files.some((q) => round < q.length); round++) for (const q of files) if (round < q.length) out.push(q[round]);
    }
    return out;
  };
  const queues = seededShuffle([...byRule.keys()], random).map((rule) => queue(byRule.get(rule)!));
  const out: T[] = [];
  for (let round = 0; out.length < n; round++) {
    let took = false;
    for (const q of queues) {
      if (round < q.length && out.length < n) {
        out.push(q[round]);
        took = true;
      }
    }
    if (!took) break;
  }
  return out;
}

/** A code line for printing: tabs as spaces, at most 200 characters, and no secret value in full. */
export function printableLine(text: string | undefined, secretValues: readonly string[] = []): string {
  if (text === undefined) return "";
  let out = text.replace(/\t/g, "  ").replace(/\r$/, "");
  // A multi-line value (a private key) shows up line by line: each of its lines is hidden too.
  const pieces = [
    ...secretValues.filter((v) => v.length >= 4),
    ...secretValues.flatMap((v) => (v.includes("\n") ? v.split("\n").map((l) => l.trim()) : [])).filter((l) => l.length >= 8),
  ];
  for (const v of pieces.sort((a, b) => b.length - a.length)) {
    if (out.includes(v)) out = out.split(v).join(`«secret ${v.slice(0, 4)}… ${v.length} chars»`);
  }
  return out.length > MAX_PRINTED_LINE ? `${out.slice(0, MAX_PRINTED_LINE - 1)}…` : out;
}

/** The finding's line with one line of context before and after, numbered, the finding's line marked. */
export function codeContext(text: string, line: number, secretValues: readonly string[] = []): string[] {
  const lines = textLines(text);
  const out: string[] = [];
  for (let n = line - 1; n <= line + 1; n++) {
    if (n < 1 || n > lines.length) continue;
    out.push(`${n === line ? ">" : " "} ${String(n).padStart(5)} | ${printableLine(lines[n - 1], secretValues)}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Options

export interface NoiseArgs {
  all: boolean;
  /** Per language; replaces the defaults (3,000 JavaScript, 1,000 Python files). */
  maxFiles?: number;
  seed: string;
  lang?: NoiseLanguage;
  sample: number;
  sampleMinSeverity: Severity;
  json: boolean;
}

function wholeNumber(name: string, v: string): number {
  if (!/^\d+$/.test(v)) throw new Error(`${name} needs a whole number, not "${v}"`);
  return Number(v);
}

export function parseArgs(argv: readonly string[]): NoiseArgs {
  const args: NoiseArgs = { all: false, seed: DEFAULT_SEED, sample: DEFAULT_SAMPLE_SIZE, sampleMinSeverity: "info", json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (name: string): string => {
      const eq = a.indexOf("=");
      if (eq >= 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    const is = (name: string) => a === name || a.startsWith(`${name}=`);
    if (a === "--json") args.json = true;
    else if (a === "--all") args.all = true;
    else if (is("--max-files")) args.maxFiles = wholeNumber("--max-files", value("--max-files"));
    else if (is("--seed")) args.seed = value("--seed");
    else if (is("--sample")) args.sample = wholeNumber("--sample", value("--sample"));
    else if (is("--sample-min-severity")) {
      const s = value("--sample-min-severity");
      if (!SEVERITIES.includes(s as Severity)) throw new Error(`--sample-min-severity is one of ${SEVERITIES.join(", ")}`);
      args.sampleMinSeverity = s as Severity;
    } else if (is("--lang")) {
      const l = value("--lang");
      if (!NOISE_LANGUAGES.includes(l as NoiseLanguage)) throw new Error(`--lang is one of ${NOISE_LANGUAGES.join(", ")}`);
      args.lang = l as NoiseLanguage;
    } else if (a === "--help" || a === "-h") throw new Error("usage");
    else throw new Error(`unknown option ${a}`);
  }
  if (args.all && args.maxFiles !== undefined) throw new Error("give --all or --max-files, not both");
  return args;
}

/** How many files of a language are analysed at most. */
export function fileCap(args: NoiseArgs, lang: NoiseLanguage): number {
  if (args.all) return Number.POSITIVE_INFINITY;
  return args.maxFiles ?? DEFAULT_MAX_FILES[lang];
}

const USAGE =
  "usage: tsx scripts/evalNoise.ts [--all | --max-files N] [--seed S] [--lang javascript|python] [--sample N] [--sample-min-severity SEV] [--json]";

// ---------------------------------------------------------------------------------------------
// Collecting the code

export interface SourceFile {
  language: NoiseLanguage;
  path: string;
  origin: string;
  text: string;
  lines: number;
  lowered: boolean;
}

export interface Collection {
  language: NoiseLanguage;
  /** Where the code came from (packages, the stdlib folder), or why there is none. */
  source: string;
  found: { files: number; lines: number };
  /** Files left out, by reason. */
  excluded: Record<string, { files: number; lines: number }>;
  eligible: SourceFile[];
}

function tally(map: Record<string, { files: number; lines: number }>, reason: string, lines: number): void {
  const t = (map[reason] ??= { files: 0, lines: 0 });
  t.files++;
  t.lines += lines;
}

function walk(dir: string, keep: (name: string) => boolean, skipDir: (name: string, full: string) => boolean): string[] {
  const out: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = join(dir, e.name);
    if (e.isDirectory()) {
      if (!skipDir(e.name, full)) out.push(...walk(full, keep, skipDir));
    } else if (e.isFile() && keep(e.name)) out.push(full);
  }
  return out;
}

/** Folders of the installed production dependencies (`npm ls --omit=dev`, else package-lock.json). */
export function productionPackageDirs(root: string = PROJECT_ROOT): string[] {
  const res = spawnSync("npm", ["ls", "--omit=dev", "--all", "--parseable"], { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const listed = (res.stdout ?? "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && resolve(l) !== resolve(root) && existsSync(l));
  if (listed.length > 0) return [...new Set(listed)].sort();
  // npm missing or failing: the lock file says which packages are not for development only.
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as { packages?: Record<string, { dev?: boolean }> };
  return Object.entries(lock.packages ?? {})
    .filter(([key, meta]) => key !== "" && key.includes("node_modules/") && meta.dev !== true && existsSync(join(root, key)))
    .map(([key]) => join(root, key))
    .sort();
}

interface Candidate {
  path: string;
  origin: string;
  full: string;
}

/** Reads candidates, applies the filters, keeps what the tool would analyse. */
function filterCandidates(language: NoiseLanguage, source: string, candidates: Candidate[], limits = DEFAULT_LIMITS): Collection {
  const classify = fileClassifier();
  const excluded: Record<string, { files: number; lines: number }> = {};
  const eligible: SourceFile[] = [];
  const seen = new Set<string>();
  let files = 0;
  let lines = 0;
  for (const c of candidates) {
    let text: string;
    try {
      if (statSync(c.full).size > 50 * limits.maxFileBytes) continue; // not code anyone writes by hand
      text = readFileSync(c.full, "utf8");
    } catch {
      continue;
    }
    const n = textLines(text).length;
    files++;
    lines += n;
    if (Buffer.byteLength(text, "utf8") > limits.maxFileBytes) {
      tally(excluded, `larger than the analysis limit of ${num(limits.maxFileBytes)} bytes`, n);
      continue;
    }
    const hash = createHash("sha1").update(text).digest("hex");
    if (seen.has(hash)) {
      tally(excluded, "identical to a file already taken", n);
      continue;
    }
    seen.add(hash);
    const bundled = language === "javascript" ? minifiedOrBundled(c.path, text) : undefined;
    if (bundled) {
      tally(excluded, bundled, n);
      continue;
    }
    const fakeFile = { path: c.path, status: "added" as const, binary: false, patchMissing: false, additions: n, deletions: 0, hunks: [] };
    const toolSkips = classify(fakeFile, text) ?? precheckText(text, limits);
    if (toolSkips) {
      tally(excluded, `the tool skips it: ${toolSkips.replace(/\d[\d,]*/g, "N")}`, n);
      continue;
    }
    eligible.push({ language, path: c.path, origin: c.origin, text, lines: n, lowered: isLoweredPath(c.path) });
  }
  return { language, source, found: { files, lines }, excluded, eligible };
}

/** The JavaScript of the production dependencies, under `pkgs/<package>/…`. */
export function collectJavaScript(root: string = PROJECT_ROOT): Collection {
  const dirs = productionPackageDirs(root);
  const names = new Map<string, string>(); // repository-like folder -> package dir
  const candidates: Candidate[] = [];
  for (const dir of dirs) {
    let name: string;
    let version = "";
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      name = pkg.name ?? "";
      version = pkg.version ?? "";
    } catch {
      name = "";
    }
    if (!name)
      name = relative(root, dir)
        .split(sep)
        .join("/")
        .replace(/^.*node_modules\//, "");
    let folder = name;
    if (names.has(folder) && names.get(folder) !== dir) folder = `${name}@${version || names.size}`;
    names.set(folder, dir);
    const files = walk(
      dir,
      (f) => JS_FILE.test(f),
      (d) => d === "node_modules" || d === ".git",
    );
    for (const full of files) {
      const rel = relative(dir, full);
      candidates.push({ path: packageRepoPath(folder, rel), origin: relative(root, full).split(sep).join("/"), full });
    }
  }
  return filterCandidates("javascript", `${dirs.length} production package folders in node_modules`, candidates);
}

/** The machine's Python standard library (site-packages left out), under `cpython/Lib/…`. */
export function collectPython(): Collection {
  const res = spawnSync("python3", ["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], { encoding: "utf8" });
  const stdlib = res.status === 0 ? res.stdout.trim() : "";
  if (!stdlib || !existsSync(stdlib)) {
    return {
      language: "python",
      source: "no python3 standard library on this machine",
      found: { files: 0, lines: 0 },
      excluded: {},
      eligible: [],
    };
  }
  const files = walk(
    stdlib,
    (f) => f.endsWith(".py"),
    (d) => d === "site-packages" || d === "dist-packages" || d === "__pycache__",
  );
  const candidates = files.map((full) => ({ path: pythonRepoPath(relative(stdlib, full)), origin: full, full }));
  return filterCandidates("python", `the Python standard library in ${stdlib}`, candidates);
}

// ---------------------------------------------------------------------------------------------
// Running the analysis

/** A skipped-item reason that means the file was not analysed at all (not merely in part). */
export function meansNotAnalysed(reason: string): boolean {
  return /not (?:analysed|reviewed)/.test(reason) && !/by the AST rules|parts that parse|may be incomplete/.test(reason);
}

/** A reason with its numbers and details taken out, to count alike reasons together. */
export function reasonKind(reason: string): string {
  return reason
    .replace(/\([^)]*\)/g, "(…)")
    .replace(/\d[\d,.]*/g, "N")
    .slice(0, 160);
}

export interface RunResult {
  analysed: AnalysedFile[];
  findings: NoiseFinding[];
  /** Files not analysed at all, by kind of reason. */
  notAnalysed: Record<string, number>;
  /** The same, file by file. */
  notAnalysedFiles: Array<{ origin: string; reason: string }>;
  /** Notes on files analysed in part (a parse error, the taint work limit), by kind. */
  notes: Record<string, number>;
  secretValues: string[];
  seconds: number;
}

async function analyse(files: SourceFile[], progress: (done: number) => void): Promise<RunResult> {
  const { AnalysisPool } = await import("../src/analysis/pool/pool.js");
  const { analyseInPool } = await import("../src/analysis/pool/isolated.js");
  const { parsePatch } = await import("../src/analysis/diff.js");
  const { hideFoundSecrets } = await import("../src/analysis/secretsAnalyzer.js");
  const { readSettings } = await import("../src/config/env.js");

  const settings = readSettings();
  // As the CLI sizes it: every core analyses, unless the operator says otherwise.
  const size = process.env.EMPATHY_ANALYSIS_WORKERS ? settings.analysisWorkers : availableParallelism();
  const pool = new AnalysisPool({ size, memoryMb: settings.analysisWorkerMemoryMb });
  // The per-file budget is the app's; a batch is not a pull request, so its own budget is only a backstop.
  const limits = { ...settings.analysisLimits, reviewTimeBudgetMs: Math.max(settings.analysisLimits.reviewTimeBudgetMs, 30 * 60_000) };

  const started = Date.now();
  const byPath = new Map(files.map((f) => [f.path, f]));
  const analysed: AnalysedFile[] = [];
  const findings: NoiseFinding[] = [];
  const notAnalysed: Record<string, number> = {};
  const notAnalysedFiles: Array<{ origin: string; reason: string }> = [];
  const notes: Record<string, number> = {};
  const secretValues = new Set<string>();
  let done = 0;

  const runBatch = async (batch: SourceFile[]) => {
    const diffFiles = batch.map((f) => parsePatch(f.path, addedFilePatch(f.text).patch, { status: "added" }));
    const outcome = await analyseInPool(pool, { files: diffFiles, fileContents: new Map(batch.map((f) => [f.path, f.text])) }, { limits });
    hideFoundSecrets(outcome.result, outcome.secretValues);
    for (const v of outcome.secretValues) secretValues.add(v);
    const failed = new Set<string>();
    for (const s of outcome.result.skipped) {
      if (s.path === "*") {
        // The cross-file predictors (size, migrations) say nothing about noise in findings.
        if (!/^predictions across files/.test(s.reason)) notes[reasonKind(s.reason)] = (notes[reasonKind(s.reason)] ?? 0) + 1;
        continue;
      }
      const kind = reasonKind(s.reason);
      if (meansNotAnalysed(s.reason)) {
        if (!failed.has(s.path)) {
          notAnalysed[kind] = (notAnalysed[kind] ?? 0) + 1;
          notAnalysedFiles.push({ origin: byPath.get(s.path)?.origin ?? s.path, reason: s.reason });
        }
        failed.add(s.path);
      } else notes[kind] = (notes[kind] ?? 0) + 1;
    }
    for (const f of batch) {
      if (!failed.has(f.path)) analysed.push({ language: f.language, path: f.path, lines: f.lines, lowered: f.lowered });
    }
    for (const x of outcome.result.findings as Finding[]) {
      const file = byPath.get(x.path);
      if (!file || x.side === "LEFT" || failed.has(x.path)) continue;
      findings.push({
        language: file.language,
        path: x.path,
        origin: file.origin,
        line: x.line,
        rule: x.rule,
        category: x.category,
        severity: x.severity,
        confidence: x.confidence,
        message: x.message,
        lowered: file.lowered,
      });
    }
    done += batch.length;
    progress(done);
  };

  try {
    pool.start();
    const batches: SourceFile[][] = [];
    for (let i = 0; i < files.length; i += BATCH_SIZE) batches.push(files.slice(i, i + BATCH_SIZE));
    let next = 0;
    const lane = async () => {
      while (next < batches.length) await runBatch(batches[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(BATCHES_IN_FLIGHT, batches.length) }, lane));
  } finally {
    await pool.destroy();
  }
  findings.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line || (a.rule < b.rule ? -1 : 1)));
  return {
    analysed,
    findings,
    notAnalysed,
    notAnalysedFiles,
    notes,
    secretValues: [...secretValues],
    seconds: (Date.now() - started) / 1000,
  };
}

// ---------------------------------------------------------------------------------------------
// Output

function num(n: number): string {
  return n.toLocaleString("en-US");
}

function per(r: Rate): string {
  return r.per10k === null ? "n/a" : r.per10k.toFixed(2);
}

export function table(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? "").length)));
  const fmt = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ");
  return [fmt(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(fmt)].join("\n");
}

/** Rows of findings by rule or category: shipped code with its rates, tests beside. */
function ruleTable(title: string, shipped: GroupSummary, tests: GroupSummary, pick: (g: GroupSummary) => RuleRow[]): string {
  const testRows = new Map(pick(tests).map((r) => [r.key, r]));
  const keys = [
    ...pick(shipped).map((r) => r.key),
    ...pick(tests)
      .map((r) => r.key)
      .filter((k) => !pick(shipped).some((r) => r.key === k)),
  ];
  const shippedRows = new Map(pick(shipped).map((r) => [r.key, r]));
  const body = keys.map((k) => {
    const s = shippedRows.get(k);
    const t = testRows.get(k);
    return [
      k,
      num(s?.all.count ?? 0),
      s ? per(s.all) : "0.00",
      num(s?.atLeastMedium.count ?? 0),
      s ? per(s.atLeastMedium) : "0.00",
      num(t?.all.count ?? 0),
      t ? per(t.all) : "0.00",
    ];
  });
  return table([title, "shipped", "/10k", "≥medium", "/10k", "tests", "/10k"], body);
}

export interface NoiseReport {
  seed: string;
  seconds: number;
  collections: Array<
    Omit<Collection, "eligible"> & { eligible: { files: number; lines: number }; sampled: { files: number; lines: number } }
  >;
  analysed: Record<NoiseLanguage, { files: number; lines: number }>;
  notAnalysed: Record<string, number>;
  notAnalysedFiles: Array<{ origin: string; reason: string }>;
  notes: Record<string, number>;
  summary: Record<NoiseLanguage, LanguageSummary>;
  overall: GroupSummary;
  sample: Array<NoiseFinding & { code: string[] }>;
}

export function formatReport(report: NoiseReport): string {
  const out: string[] = [];
  out.push(`Noise benchmark (seed ${report.seed}): real code, each file analysed as a newly added file through the analysis pool.`);
  out.push("");
  out.push("Code found:");
  for (const c of report.collections) {
    out.push(`  ${c.language}: ${c.source}`);
    out.push(
      `    found ${num(c.found.files)} files, ${num(c.found.lines)} lines; eligible ${num(c.eligible.files)} files, ${num(c.eligible.lines)} lines; sampled ${num(c.sampled.files)} files, ${num(c.sampled.lines)} lines`,
    );
    for (const [reason, t] of Object.entries(c.excluded).sort((a, b) => b[1].files - a[1].files)) {
      out.push(`    left out: ${num(t.files)} files, ${num(t.lines)} lines — ${reason}`);
    }
  }
  const notAnalysed = Object.entries(report.notAnalysed);
  if (notAnalysed.length > 0) {
    out.push("  not analysed by the pool:");
    for (const [k, n] of notAnalysed.sort((a, b) => b[1] - a[1])) out.push(`    ${num(n)} × ${k}`);
    for (const f of report.notAnalysedFiles.slice(0, 20)) out.push(`      ${f.origin}: ${f.reason}`);
  }
  const notes = Object.entries(report.notes);
  if (notes.length > 0) {
    out.push("  analysed in part:");
    for (const [k, n] of notes.sort((a, b) => b[1] - a[1]).slice(0, 10)) out.push(`    ${num(n)} × ${k}`);
  }

  out.push("");
  const o = report.overall;
  out.push(
    `Overall: ${num(o.lines)} lines in ${num(o.files)} files analysed in ${report.seconds.toFixed(1)} s; ` +
      `${num(o.all.count)} findings = ${per(o.all)} per 10k lines; ≥low ${per(o.atLeastLow)}; ≥medium ${num(o.atLeastMedium.count)} = ${per(o.atLeastMedium)} per 10k lines`,
  );
  for (const lang of NOISE_LANGUAGES) {
    const { shipped, tests } = report.summary[lang];
    if (shipped.files + tests.files === 0) continue;
    out.push("");
    out.push(`== ${lang} ==`);
    out.push(
      `shipped code: ${num(shipped.lines)} lines in ${num(shipped.files)} files; ${num(shipped.all.count)} findings = ${per(shipped.all)}/10k; ` +
        `≥low ${num(shipped.atLeastLow.count)} = ${per(shipped.atLeastLow)}/10k; ≥medium ${num(shipped.atLeastMedium.count)} = ${per(shipped.atLeastMedium)}/10k`,
    );
    out.push(
      `tests/examples: ${num(tests.lines)} lines in ${num(tests.files)} files; ${num(tests.all.count)} findings = ${per(tests.all)}/10k ` +
        `(the tool lowers them to at most low); ≥low ${num(tests.atLeastLow.count)} = ${per(tests.atLeastLow)}/10k`,
    );
    out.push("");
    out.push(
      table(
        ["severity", "shipped", "/10k", "tests", "/10k"],
        [...SEVERITIES]
          .reverse()
          .map((s) => [
            s,
            num(shipped.bySeverity[s].count),
            per(shipped.bySeverity[s]),
            num(tests.bySeverity[s].count),
            per(tests.bySeverity[s]),
          ]),
      ),
    );
    out.push("");
    out.push(ruleTable("rule", shipped, tests, (g) => g.byRule));
    out.push("");
    out.push(ruleTable("category", shipped, tests, (g) => g.byCategory));
  }

  out.push("");
  out.push(`Sample to read (${report.sample.length} findings, round-robin over rules):`);
  report.sample.forEach((f, i) => {
    out.push("");
    out.push(
      `[${i + 1}] ${f.origin}:${f.line}  ${f.rule} (${f.category})  ${f.severity}, confidence ${f.confidence.toFixed(2)}${f.lowered ? "  [test/example file]" : ""}`,
    );
    out.push(`    analysed as ${f.path}`);
    out.push(`    ${f.message.replace(/\s+/g, " ").slice(0, 300)}`);
    for (const l of f.code) out.push(`    ${l}`);
  });
  return out.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Main

export async function main(argv: readonly string[]): Promise<number> {
  let args: NoiseArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    const msg = (err as Error).message;
    console.error(msg === "usage" ? USAGE : `${msg}\n${USAGE}`);
    return msg === "usage" ? 0 : 2;
  }
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const collectStart = Date.now();
  const collections: Collection[] = [];
  for (const lang of NOISE_LANGUAGES) {
    if (args.lang !== undefined && args.lang !== lang) continue;
    collections.push(lang === "javascript" ? collectJavaScript() : collectPython());
  }
  const sampled = collections.map((c) => sampleBy(c.eligible, fileCap(args, c.language), `${args.seed}:${c.language}`, (f) => f.path));
  const files = sampled.flat();
  log(
    `collected in ${((Date.now() - collectStart) / 1000).toFixed(1)} s; analysing ${num(files.length)} files (${num(files.reduce((n, f) => n + f.lines, 0))} lines)…`,
  );

  let lastLog = Date.now();
  const run = await analyse(files, (done) => {
    if (Date.now() - lastLog > 15_000 || done === files.length) {
      lastLog = Date.now();
      log(`  ${num(done)}/${num(files.length)} files`);
    }
  });

  const texts = new Map(files.map((f) => [f.path, f.text]));
  const minRank = severityRank(args.sampleMinSeverity);
  const sample = pickSample(
    run.findings.filter((f) => severityRank(f.severity) >= minRank),
    args.sample,
    args.seed,
  ).map((f) => ({ ...f, code: codeContext(texts.get(f.path) ?? "", f.line, run.secretValues) }));

  const lines = (list: { lines: number }[]) => list.reduce((n, f) => n + f.lines, 0);
  const analysedBy = (lang: NoiseLanguage) => {
    const list = run.analysed.filter((f) => f.language === lang);
    return { files: list.length, lines: lines(list) };
  };
  const report: NoiseReport = {
    seed: args.seed,
    seconds: run.seconds,
    collections: collections.map((c, i) => ({
      language: c.language,
      source: c.source,
      found: c.found,
      excluded: c.excluded,
      eligible: { files: c.eligible.length, lines: lines(c.eligible) },
      sampled: { files: sampled[i].length, lines: lines(sampled[i]) },
    })),
    analysed: { javascript: analysedBy("javascript"), python: analysedBy("python") },
    notAnalysed: run.notAnalysed,
    notAnalysedFiles: run.notAnalysedFiles,
    notes: run.notes,
    summary: summarise(run.analysed, run.findings),
    overall: summariseGroup(run.analysed, run.findings),
    sample,
  };

  if (args.json) {
    // Every finding, for other tools; the sample keeps its code lines.
    console.log(JSON.stringify({ ...report, findings: run.findings }, null, 2));
  } else {
    console.log(formatReport(report));
  }
  return 0;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
