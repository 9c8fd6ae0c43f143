/**
 * `npm run eval`: measures the detection engine on the labelled corpus in
 * test/fixtures/corpus (see its README for the format).
 *
 * Every corpus file is analysed as a newly added file (one hunk that adds every line, the whole
 * text as file content), then its findings are matched to the `expect:` annotations by line and
 * category. It prints precision and recall per category and per language, and the cases to act
 * on (misses and false alarms). It is a measurement, not a gate: it exits 0 whatever the
 * figures, and 1 only when the corpus itself is malformed.
 *
 *   npx tsx scripts/eval.ts [--category CAT] [--lang LANG] [--json] [--corpus DIR] [--min-cases N]
 *                           [--min-severity SEV] [--blind]
 *
 * Without `--corpus` it measures the three corpora in turn: test/fixtures/corpus, the held-out
 * set (test/fixtures/holdout) and the blind set (test/fixtures/blind), whose report never names a
 * case (`--blind` does the same for any corpus). Findings below `--min-severity` (default
 * medium, the repository config's default threshold) are not counted: the figures are those a
 * user sees.
 *
 * `--min-cases N` replaces the minimum numbers of positive and negative cases (300 and 150) by
 * N each, for smaller corpora passed with `--corpus` (a held-out set, say); `--min-cases 0`
 * drops the check.
 *
 * The loading and scoring functions are exported (and unit-tested in test/eval); `main` runs
 * only when the file is executed directly.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { SECURITY_CATEGORY_LIST, SEVERITIES, severityRank, type Severity } from "../src/analysis/types.js";

/** The categories the corpus measures: the security part of the finding vocabulary. */
export const EVAL_CATEGORIES = SECURITY_CATEGORY_LIST;
export type EvalCategory = (typeof EVAL_CATEGORIES)[number];

export const LANGUAGES = ["javascript", "typescript", "python", "go", "java"] as const;
export type CorpusLanguage = (typeof LANGUAGES)[number];

/** File extensions allowed under each language folder. */
export const LANGUAGE_EXTENSIONS: Record<CorpusLanguage, readonly string[]> = {
  javascript: [".js"],
  typescript: [".ts", ".tsx"],
  python: [".py"],
  go: [".go"],
  java: [".java"],
};

/** Go and Java are measured, but reported apart: detection there is expected to be weaker. */
export const CORE_LANGUAGES: ReadonlySet<CorpusLanguage> = new Set(["javascript", "typescript", "python"]);

export const MIN_POSITIVE_CASES = 300;
export const MIN_NEGATIVE_CASES = 150;
/** A finding this many lines away from an annotated line still matches it (multi-line statements). */
export const LINE_TOLERANCE = 1;

const CATEGORY_SET: ReadonlySet<string> = new Set(EVAL_CATEGORIES);
const LANGUAGE_SET: ReadonlySet<string> = new Set(LANGUAGES);

export function isEvalCategory(c: string): c is EvalCategory {
  return CATEGORY_SET.has(c);
}

// ---------------------------------------------------------------------------------------------
// Annotations

export interface Label {
  line: number;
  category: EvalCategory;
}

export interface ParsedAnnotations {
  labels: Label[];
  /** The text with every annotation comment removed (same line count), what the engine sees. */
  stripped: string;
  /** Problems with the annotations (unknown category, empty list). */
  errors: string[];
}

/**
 * An annotation is a trailing comment: `// expect: a, b`, `# expect: a`, `/* expect: a *\/` or,
 * inside JSX, `{/* expect: a *\/}`. It runs to the end of the line.
 */
const ANNOTATION = /\s*(?:\{\s*\/\*|\/\*|\/\/|#)\s*expect:(.*)$/;

/** Reads the `expect:` annotations of one file, line by line (1-based). */
export function parseAnnotations(text: string): ParsedAnnotations {
  const labels: Label[] = [];
  const errors: string[] = [];
  const lines = text.split("\n");
  const out: string[] = [];
  lines.forEach((raw, i) => {
    const m = ANNOTATION.exec(raw);
    if (!m) {
      if (/\bexpect:/.test(raw)) errors.push(`line ${i + 1}: "expect:" outside a trailing comment`);
      out.push(raw);
      return;
    }
    const list = m[1].replace(/\*\/\s*\}?\s*$/, "").trim();
    const cats = list
      .split(",")
      .map((c) => c.trim())
      .filter((c) => c !== "");
    if (cats.length === 0) errors.push(`line ${i + 1}: empty "expect:" annotation`);
    for (const c of cats) {
      if (isEvalCategory(c)) {
        if (!labels.some((l) => l.line === i + 1 && l.category === c)) labels.push({ line: i + 1, category: c });
      } else errors.push(`line ${i + 1}: unknown category "${c}"`);
    }
    // The engine must never see the annotation: it is a label, not code.
    out.push(raw.slice(0, m.index).replace(/\s+$/, ""));
  });
  return { labels, stripped: out.join("\n"), errors };
}

// ---------------------------------------------------------------------------------------------
// Corpus

export interface CorpusCase {
  /** Path relative to the corpus root, with `/` separators: `<language>/<category>/<name>.<ext>`. */
  path: string;
  language: CorpusLanguage;
  /** The category folder the case lives in. */
  folder: EvalCategory;
  labels: Label[];
  /** Text given to the engine (annotations removed). */
  text: string;
  positive: boolean;
}

export interface Corpus {
  root: string;
  cases: CorpusCase[];
  /** Malformed corpus: each entry is one problem, prefixed by the file. */
  errors: string[];
}

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures");
export const DEFAULT_CORPUS_DIR = join(FIXTURES, "corpus");
/** Cases kept apart from the rules: rules were not tuned on them. */
export const HOLDOUT_CORPUS_DIR = join(FIXTURES, "holdout");
/** Cases written by someone who never saw the rules; whoever writes rules sees only its figures, never its cases. */
export const BLIND_CORPUS_DIR = join(FIXTURES, "blind");
/** The repository config's default `review.min_severity`: what a user sees without configuring anything. */
export const DEFAULT_MIN_SEVERITY: Severity = "medium";

/** Tool droppings that are not cases: dotfiles (.DS_Store) and Python byte-code caches. */
const IGNORED = /^(?:\..*|__pycache__)$/;

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (IGNORED.test(name)) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...walk(full));
    else out.push(full);
  }
  return out;
}

/** The least numbers of positive and negative cases a corpus must hold. */
export interface CorpusMinimums {
  positive: number;
  negative: number;
}

/**
 * Loads every case of the corpus and checks its shape: `<language>/<category>/<name>.<ext>`,
 * a known language and category, an extension of that language, valid annotations, and at
 * least the minimum numbers of positive and negative cases (by default 300 and 150).
 */
export function loadCorpus(
  root: string = DEFAULT_CORPUS_DIR,
  minimums: CorpusMinimums = { positive: MIN_POSITIVE_CASES, negative: MIN_NEGATIVE_CASES },
): Corpus {
  const cases: CorpusCase[] = [];
  const errors: string[] = [];
  for (const full of walk(root)) {
    const rel = relative(root, full).split(sep).join("/");
    const parts = rel.split("/");
    if (parts.length === 1) {
      if (!/^README(\.md)?$/i.test(rel)) errors.push(`${rel}: a case must live in <language>/<category>/`);
      continue;
    }
    if (parts.length !== 3) {
      errors.push(`${rel}: expected <language>/<category>/<name>.<ext>`);
      continue;
    }
    const [lang, folder] = parts;
    if (!LANGUAGE_SET.has(lang)) {
      errors.push(`${rel}: unknown language folder "${lang}"`);
      continue;
    }
    const language = lang as CorpusLanguage;
    if (!isEvalCategory(folder)) {
      errors.push(`${rel}: unknown category folder "${folder}"`);
      continue;
    }
    if (!LANGUAGE_EXTENSIONS[language].includes(extname(rel))) {
      errors.push(`${rel}: extension ${extname(rel) || "(none)"} does not belong to ${language}`);
      continue;
    }
    const parsed = parseAnnotations(readFileSync(full, "utf8"));
    for (const e of parsed.errors) errors.push(`${rel}: ${e}`);
    cases.push({ path: rel, language, folder, labels: parsed.labels, text: parsed.stripped, positive: parsed.labels.length > 0 });
  }
  const positives = cases.filter((c) => c.positive).length;
  const negatives = cases.length - positives;
  if (positives < minimums.positive) errors.push(`corpus: ${positives} positive cases, at least ${minimums.positive} needed`);
  if (negatives < minimums.negative) errors.push(`corpus: ${negatives} negative cases, at least ${minimums.negative} needed`);
  return { root, cases, errors };
}

// ---------------------------------------------------------------------------------------------
// Scoring

/** A finding as the scorer sees it. Findings of categories outside EVAL_CATEGORIES are ignored. */
export interface Observed {
  line: number;
  category: string;
  rule?: string;
  message?: string;
}

export interface TruePositive {
  label: Label;
  finding: Observed;
}

export interface CaseScore {
  tp: TruePositive[];
  /** Findings matching no annotation; one per distinct (line, category). */
  fp: Observed[];
  /** Annotations no finding matched. */
  fn: Label[];
}

/**
 * Matches the findings of one file to its annotations.
 *
 * - Findings with the same line and category count once (two rules on one line are one comment).
 * - An annotation is a true positive when a finding of its category is on its line, or failing
 *   that within ±tolerance lines; each finding matches at most one annotation, exact lines first.
 * - A finding left over is a false positive, unless it is within ±tolerance of an annotation of
 *   its category that another finding already matched (a duplicate report of the same problem).
 * - An annotation left over is a false negative.
 */
export function scoreCase(labels: readonly Label[], findings: readonly Observed[], tolerance = LINE_TOLERANCE): CaseScore {
  const seen = new Set<string>();
  const obs: Observed[] = [];
  for (const f of findings) {
    if (!isEvalCategory(f.category)) continue;
    const key = `${f.line}:${f.category}`;
    if (seen.has(key)) continue;
    seen.add(key);
    obs.push(f);
  }
  obs.sort((a, b) => a.line - b.line);
  const sortedLabels = [...labels].sort((a, b) => a.line - b.line || a.category.localeCompare(b.category));

  const usedFinding = new Set<number>();
  const matched = new Map<Label, Observed>();
  for (let distance = 0; distance <= tolerance; distance++) {
    for (const label of sortedLabels) {
      if (matched.has(label)) continue;
      const i = obs.findIndex(
        (f, idx) => !usedFinding.has(idx) && f.category === label.category && Math.abs(f.line - label.line) === distance,
      );
      if (i >= 0) {
        usedFinding.add(i);
        matched.set(label, obs[i]);
      }
    }
  }

  const tp: TruePositive[] = [];
  const fn: Label[] = [];
  for (const label of sortedLabels) {
    const f = matched.get(label);
    if (f) tp.push({ label, finding: f });
    else fn.push(label);
  }
  const fp: Observed[] = [];
  obs.forEach((f, i) => {
    if (usedFinding.has(i)) return;
    const duplicate = sortedLabels.some((l) => l.category === f.category && Math.abs(l.line - f.line) <= tolerance && matched.has(l));
    if (!duplicate) fp.push(f);
  });
  return { tp, fp, fn };
}

export interface Counts {
  tp: number;
  fp: number;
  fn: number;
  /** TP / (TP + FP); null when nothing was reported. */
  precision: number | null;
  /** TP / (TP + FN); null when nothing was expected. */
  recall: number | null;
}

export interface ScoredCase {
  path: string;
  language: CorpusLanguage;
  positive: boolean;
  score: CaseScore;
  /** Why the engine did not (fully) analyse the file, if it said so. */
  skipped?: string[];
}

export interface Issue {
  path: string;
  line: number;
  category: string;
  rule?: string;
  message?: string;
}

export interface Report {
  cases: { total: number; positive: number; negative: number; negativesWithFindings: number };
  overall: Counts;
  /** JavaScript, TypeScript and Python only. */
  core: Counts;
  /** Go and Java only. */
  goJava: Counts;
  byCategory: Record<string, Counts>;
  byLanguage: Record<string, Counts>;
  /** False negatives: annotated lines nothing was reported on. */
  misses: Issue[];
  /** False positives, in positive and negative files alike. */
  falseAlarms: Issue[];
  skipped: Array<{ path: string; reason: string }>;
}

function ratio(num: number, den: number): number | null {
  return den === 0 ? null : num / den;
}

export function counts(tp: number, fp: number, fn: number): Counts {
  return { tp, fp, fn, precision: ratio(tp, tp + fp), recall: ratio(tp, tp + fn) };
}

type Tally = { tp: number; fp: number; fn: number };

function add(map: Map<string, Tally>, key: string, field: keyof Tally, n = 1): void {
  const t = map.get(key) ?? { tp: 0, fp: 0, fn: 0 };
  t[field] += n;
  map.set(key, t);
}

function finish(map: Map<string, Tally>, keys: readonly string[]): Record<string, Counts> {
  const out: Record<string, Counts> = {};
  for (const k of keys) {
    const t = map.get(k);
    if (t) out[k] = counts(t.tp, t.fp, t.fn);
  }
  for (const [k, t] of map) if (!(k in out)) out[k] = counts(t.tp, t.fp, t.fn);
  return out;
}

/** Sums per-file scores into per-category, per-language and overall precision and recall. */
export function aggregate(scored: readonly ScoredCase[]): Report {
  const byCat = new Map<string, Tally>();
  const byLang = new Map<string, Tally>();
  const groups = new Map<string, Tally>();
  const misses: Issue[] = [];
  const falseAlarms: Issue[] = [];
  const skipped: Array<{ path: string; reason: string }> = [];
  let negativesWithFindings = 0;
  for (const c of scored) {
    const group = CORE_LANGUAGES.has(c.language) ? "core" : "goJava";
    const bump = (cat: string, field: keyof Tally) => {
      add(byCat, cat, field);
      add(byLang, c.language, field);
      add(groups, group, field);
      add(groups, "overall", field);
    };
    for (const t of c.score.tp) bump(t.label.category, "tp");
    for (const f of c.score.fp) {
      bump(f.category, "fp");
      falseAlarms.push({ path: c.path, line: f.line, category: f.category, rule: f.rule, message: f.message });
    }
    for (const l of c.score.fn) {
      bump(l.category, "fn");
      misses.push({ path: c.path, line: l.line, category: l.category });
    }
    if (!c.positive && c.score.fp.length > 0) negativesWithFindings++;
    for (const reason of c.skipped ?? []) skipped.push({ path: c.path, reason });
  }
  const g = (k: string) => {
    const t = groups.get(k) ?? { tp: 0, fp: 0, fn: 0 };
    return counts(t.tp, t.fp, t.fn);
  };
  const positive = scored.filter((c) => c.positive).length;
  return {
    cases: { total: scored.length, positive, negative: scored.length - positive, negativesWithFindings },
    overall: g("overall"),
    core: g("core"),
    goJava: g("goJava"),
    byCategory: finish(byCat, EVAL_CATEGORIES),
    byLanguage: finish(byLang, LANGUAGES),
    misses,
    falseAlarms,
    skipped,
  };
}

// ---------------------------------------------------------------------------------------------
// Running the engine

/** Analyses one corpus case as a newly added file and returns its findings as the scorer sees them. */
export async function analyseCase(
  c: CorpusCase,
  minSeverity: Severity = DEFAULT_MIN_SEVERITY,
): Promise<{ findings: Observed[]; skipped: string[] }> {
  const { runAnalysis } = await import("../src/analysis/analyze.js");
  const { parsePatch } = await import("../src/analysis/diff.js");
  const lines = c.text.split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  const patch = `@@ -0,0 +1,${lines.length} @@\n` + lines.map((l) => "+" + l).join("\n");
  const file = parsePatch(c.path, patch, { status: "added" });
  const result = await runAnalysis({ files: [file], fileContents: new Map([[c.path, c.text]]) });
  const findings = result.findings
    .filter((f) => f.path === c.path && f.side !== "LEFT" && severityRank(f.severity) >= severityRank(minSeverity))
    .map((f) => ({ line: f.line, category: f.category, rule: f.rule, message: f.message }));
  const skipped = result.skipped.filter((s) => s.path === c.path || s.path === "*").map((s) => s.reason);
  return { findings, skipped };
}

// ---------------------------------------------------------------------------------------------
// Output

function pct(x: number | null): string {
  return x === null ? "n/a" : x.toFixed(3);
}

function table(title: string, rows: Array<[string, Counts]>): string {
  const head = [title, "TP", "FP", "FN", "precision", "recall"];
  const body = rows.map(([k, c]) => [k, String(c.tp), String(c.fp), String(c.fn), pct(c.precision), pct(c.recall)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ");
  return [fmt(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(fmt)].join("\n");
}

export function formatReport(report: Report): string {
  const out: string[] = [];
  const { cases } = report;
  out.push(
    `Corpus: ${cases.total} cases (${cases.positive} positive, ${cases.negative} negative); ` +
      `${cases.negativesWithFindings} negative file(s) with findings`,
  );
  out.push("");
  out.push(table("category", Object.entries(report.byCategory)));
  out.push("");
  out.push(table("language", Object.entries(report.byLanguage)));
  out.push("");
  out.push(
    table("overall", [
      ["JS/TS/Python", report.core],
      ["Go/Java", report.goJava],
      ["all", report.overall],
    ]),
  );
  const list = (title: string, items: Issue[]) => {
    out.push("");
    out.push(`${title} (${items.length}):`);
    if (items.length === 0) out.push("  none");
    for (const i of items) out.push(`  ${i.path}:${i.line} ${i.category}${i.rule ? ` [${i.rule}]` : ""}`);
  };
  list("Misses (annotated, not reported)", report.misses);
  list("False alarms (reported, not annotated)", report.falseAlarms);
  if (report.skipped.length > 0) {
    out.push("");
    out.push(`Engine notes (${report.skipped.length}):`);
    for (const s of report.skipped) out.push(`  ${s.path}: ${s.reason}`);
  }
  return out.join("\n");
}

// ---------------------------------------------------------------------------------------------
// CLI

export interface EvalArgs {
  category?: string;
  lang?: string;
  json: boolean;
  corpus?: string;
  /** Replaces both minimum case counts (`--min-cases N`). */
  minCases?: number;
  /** Findings below it are not counted (`--min-severity`, default DEFAULT_MIN_SEVERITY). */
  minSeverity?: Severity;
  /** Figures only, no case names (`--blind`; always for the blind corpus). */
  blind?: boolean;
}

function wholeNumber(name: string, v: string): number {
  if (!/^\d+$/.test(v)) throw new Error(`${name} needs a whole number, not "${v}"`);
  return Number(v);
}

function severity(v: string): Severity {
  if (!(SEVERITIES as readonly string[]).includes(v)) throw new Error(`--min-severity must be one of ${SEVERITIES.join(", ")}, not "${v}"`);
  return v as Severity;
}

export function parseArgs(argv: readonly string[]): EvalArgs {
  const args: EvalArgs = { json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (name: string): string => {
      const eq = a.indexOf("=");
      if (eq >= 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    if (a === "--json") args.json = true;
    else if (a === "--category" || a.startsWith("--category=")) args.category = value("--category");
    else if (a === "--lang" || a.startsWith("--lang=")) args.lang = value("--lang");
    else if (a === "--corpus" || a.startsWith("--corpus=")) args.corpus = value("--corpus");
    else if (a === "--min-cases" || a.startsWith("--min-cases=")) args.minCases = wholeNumber("--min-cases", value("--min-cases"));
    else if (a === "--min-severity" || a.startsWith("--min-severity=")) args.minSeverity = severity(value("--min-severity"));
    else if (a === "--blind") args.blind = true;
    else if (a === "--help" || a === "-h") throw new Error("usage");
    else throw new Error(`unknown option ${a}`);
  }
  return args;
}

const USAGE =
  "usage: tsx scripts/eval.ts [--category CATEGORY] [--lang javascript|typescript|python|go|java] [--json] [--corpus DIR] [--min-cases N] [--min-severity SEVERITY] [--blind]";

interface CorpusRun {
  name: string;
  dir: string;
  minimums: CorpusMinimums;
  blind: boolean;
}

/** `--corpus DIR` alone, or the three corpora: ours (with its minimum sizes), the held-out set and the blind set. */
function corporaToRun(args: EvalArgs): CorpusRun[] {
  const given = args.minCases === undefined ? undefined : { positive: args.minCases, negative: args.minCases };
  if (args.corpus !== undefined) {
    const dir = resolve(args.corpus);
    return [
      {
        name: relative(process.cwd(), dir) || dir,
        dir,
        minimums: given ?? { positive: MIN_POSITIVE_CASES, negative: MIN_NEGATIVE_CASES },
        blind: args.blind === true || dir === BLIND_CORPUS_DIR,
      },
    ];
  }
  const none = { positive: 0, negative: 0 };
  const runs: CorpusRun[] = [
    {
      name: "corpus",
      dir: DEFAULT_CORPUS_DIR,
      minimums: given ?? { positive: MIN_POSITIVE_CASES, negative: MIN_NEGATIVE_CASES },
      blind: args.blind === true,
    },
    { name: "holdout", dir: HOLDOUT_CORPUS_DIR, minimums: none, blind: args.blind === true },
    { name: "blind", dir: BLIND_CORPUS_DIR, minimums: none, blind: true },
  ];
  return runs.filter((r) => existsSync(r.dir));
}

/** A blind corpus's report: its figures, no case names, lines or messages. */
function figuresOnly(report: Report): Report {
  return { ...report, misses: [], falseAlarms: [], skipped: [] };
}

export async function main(argv: readonly string[]): Promise<number> {
  let args: EvalArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    const msg = (err as Error).message;
    console.error(msg === "usage" ? USAGE : `${msg}\n${USAGE}`);
    return msg === "usage" ? 0 : 2;
  }
  if (args.category !== undefined && !isEvalCategory(args.category)) {
    console.error(`unknown category "${args.category}"; one of: ${EVAL_CATEGORIES.join(", ")}`);
    return 2;
  }
  if (args.lang !== undefined && !LANGUAGE_SET.has(args.lang)) {
    console.error(`unknown language "${args.lang}"; one of: ${LANGUAGES.join(", ")}`);
    return 2;
  }

  const minSeverity = args.minSeverity ?? DEFAULT_MIN_SEVERITY;
  const results: Array<{ name: string; blind: boolean; seconds: number; files: number; report: Report }> = [];
  for (const run of corporaToRun(args)) {
    const corpus = loadCorpus(run.dir, run.minimums);
    if (corpus.errors.length > 0) {
      console.error(`The corpus in ${corpus.root} is malformed:`);
      // A blind corpus names no case, even when malformed: its writer checks it alone.
      for (const e of run.blind ? [`${corpus.errors.length} error(s)`] : corpus.errors) console.error(`  ${e}`);
      return 1;
    }
    const selected = corpus.cases.filter(
      (c) => (args.category === undefined || c.folder === args.category) && (args.lang === undefined || c.language === args.lang),
    );
    const started = Date.now();
    const scored: ScoredCase[] = [];
    for (const c of selected) {
      const { findings, skipped } = await analyseCase(c, minSeverity);
      scored.push({ path: c.path, language: c.language, positive: c.positive, score: scoreCase(c.labels, findings), skipped });
    }
    const report = aggregate(scored);
    results.push({
      name: run.name,
      blind: run.blind,
      seconds: (Date.now() - started) / 1000,
      files: selected.length,
      report: run.blind ? figuresOnly(report) : report,
    });
  }

  const filters = { category: args.category ?? null, lang: args.lang ?? null, min_severity: minSeverity };
  if (args.json) {
    console.log(
      JSON.stringify(
        { filters, corpora: results.map((r) => ({ name: r.name, blind: r.blind, seconds: r.seconds, ...r.report })) },
        null,
        2,
      ),
    );
    return 0;
  }
  const shown = [
    args.category && `category ${args.category}`,
    args.lang && `language ${args.lang}`,
    `findings of severity ${minSeverity} and above`,
  ].filter(Boolean);
  console.log(`Counted: ${shown.join(", ")}.`);
  for (const r of results) {
    console.log("");
    console.log(`=== ${r.name}${r.blind ? " (blind: figures only)" : ""} ===`);
    console.log(formatReport(r.report));
    console.log(`Analysed ${r.files} file(s) in ${r.seconds.toFixed(1)} s.`);
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
