/**
 * The AST analyser: runs the YAML rules (rules/) on the changed files of supported languages
 * and reports what they find on ADDED lines.
 *
 * Each file is parsed once (the whole file when its content is known and matches the diff,
 * otherwise the new side of its hunks with the gaps left blank so line numbers hold), and one
 * traversal with every rule of its language finds the candidates; only candidates touching an
 * added line are checked rule by rule, and injection rules then ask the taint engine what the
 * sink receives. Bad input never throws: binary content, minified lines and code that does not
 * parse are skipped or analysed in the parts that parse, and said so in `skipped`.
 */
import { parse as parseNapi, type SgNode, type SgRoot } from "@ast-grep/napi";
import { severityFor, type Evidence } from "../evidence.js";
import { fingerprint } from "../fingerprint.js";
import { isSuppressed } from "../suppression.js";
import { redactSecrets } from "../secrets.js";
import { isTestFile } from "../paths.js";
import type { Analyzer, AnalysisInput, AnalyzerOutput, DiffFile, Finding, SkippedItem } from "../types.js";
import { FAMILY, NAPI_LANG, astLanguageOf, type AstLanguage } from "./languages.js";
import { cachedRuleSet, hitMarker, matcherFor, metavarPrefix, type AstRule, type CompiledLanguage, type RuleSet, type TaintSpec } from "./ruleSet.js";
import { ParsedTreeBudget } from "./memory.js";
import { DEFAULT_MAX_TAINT_STEPS, TaintBudget, TaintEngine, fld } from "./taint/engine.js";
import { aliasNames } from "./textScan.js";
import { importAliases, rewriteImports } from "./imports.js";
import { CLEAN, SOURCE, UNKNOWN, concat, type Val } from "./taint/value.js";
import { SYNTAX } from "./taint/syntax.js";

export interface AstAnalyzerOptions {
  /** A loaded rule set (default: the repository's rules/, loaded once per process). */
  ruleSet?: RuleSet;
  rulesDir?: string;
  /** Longer lines (minified code) are left out of the AST analysis. */
  maxLineLength?: number;
  /** Whole files larger than this are analysed through their hunks only. */
  maxWholeFileChars?: number;
  /**
   * Taint propagation work allowed per file (see TaintBudget). A file that reaches it keeps the
   * findings made so far and is listed as skipped with the reason.
   */
  maxTaintSteps?: number;
}

const DEFAULT_MAX_LINE = 4000;
const DEFAULT_MAX_WHOLE = 2_000_000;
/** Lines of a region that does not parse which are retried one by one, at most. */
const MAX_FALLBACK_LINES = 2000;

interface Source {
  text: string;
  lines: string[];
  whole: boolean;
}

interface Unit {
  root: SgNode;
  /** The text parsed (node offsets index it). */
  text: string;
  /** Added to the unit's 0-based line numbers to get the file's 1-based ones. */
  lineBase: number;
  /** Identifier nodes by name, built once the unit is asked often enough (see usesOf). */
  identifiers?: Map<string, Array<{ node: SgNode; start: number; end: number }>>;
  identifierQueries: number;
}

/** ERROR regions of a unit, merged, for checks of "does this overlap one" in logarithmic time. */
interface ErrorRegions {
  /** Disjoint line ranges covered by ERROR nodes, in order. */
  lines: Array<[number, number]>;
  /** ERROR spans by start, with the furthest end reached so far (containment checks). */
  starts: number[];
  maxEnd: number[];
}

interface FileWork {
  path: string;
  language: AstLanguage;
  compiled: CompiledLanguage;
  /** The rules this file can trigger and their combined matcher. */
  matcher: ReturnType<typeof matcherFor>;
  source: Source;
  added: Set<number>;
  findings: Finding[];
  seen: Set<string>;
  /** Findings per rule and code text: the same line of code twice in a file is two findings with two fingerprints. */
  occurrences: Map<string, number>;
  /** A test file (tests, specs, conftest.py, *Test.java): rules with `skipInTests` do not run. */
  isTest: boolean;
  /** Added lines in order, for range queries. */
  addedSorted: number[];
  /** The taint work allowed for the file, shared by its units. */
  budget: TaintBudget;
  /** Per-file answers to whole-text regexes a check asks again and again. */
  textTests: Map<RegExp | string, boolean>;
  aliasNames: Map<AstRule, string[]>;
  /** Findings of `secondary` rules, with the lines of the function they are in (see settleSecondary). */
  pending: Array<{ finding: Finding; from: number; to: number; deferTo: readonly string[] }>;
  /** Lines of the candidates of other rules, by category (see settleSecondary). */
  sinkLines: Map<string, number[]>;
  /** Answers to `guardedBy` per function node and rule (a function's text is tested once). */
  guards: Map<string, boolean>;
}

/** The first element of a sorted array in [lo, hi], or undefined (binary search). */
function firstInRange(sorted: readonly number[], lo: number, hi: number): number | undefined {
  let a = 0;
  let b = sorted.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (sorted[mid] < lo) a = mid + 1;
    else b = mid;
  }
  return a < sorted.length && sorted[a] <= hi ? sorted[a] : undefined;
}

/** Merges a unit's ERROR spans (nested and overlapping ones are common) for the checks in runUnit. */
function errorRegions(spans: ReadonlyArray<{ start: number; end: number; startLine: number; endLine: number }>): ErrorRegions {
  const byLine = [...spans].sort((a, b) => a.startLine - b.startLine);
  const lines: Array<[number, number]> = [];
  for (const e of byLine) {
    const last = lines[lines.length - 1];
    if (last && e.startLine <= last[1]) last[1] = Math.max(last[1], e.endLine);
    else lines.push([e.startLine, e.endLine]);
  }
  const byStart = [...spans].sort((a, b) => a.start - b.start);
  const starts: number[] = [];
  const maxEnd: number[] = [];
  for (const e of byStart) {
    starts.push(e.start);
    maxEnd.push(Math.max(e.end, maxEnd.length ? maxEnd[maxEnd.length - 1] : -Infinity));
  }
  return { lines, starts, maxEnd };
}

/** Whether lines [a, b] overlap an ERROR region. */
function overlapsError(regions: ErrorRegions, a: number, b: number): boolean {
  const { lines } = regions;
  let lo = 0;
  let hi = lines.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (lines[mid][1] < a) lo = mid + 1;
    else hi = mid;
  }
  return lo < lines.length && lines[lo][0] <= b;
}

/** Whether an ERROR span contains [start, end]. */
function insideError(regions: ErrorRegions, start: number, end: number): boolean {
  const { starts, maxEnd } = regions;
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid] <= start) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && maxEnd[lo - 1] >= end;
}

/** Whether the file's text matches a regex (a RegExp, or a pattern's source), asked once per file. */
function testText(work: FileWork, re: RegExp | string): boolean {
  let hit = work.textTests.get(re);
  if (hit === undefined) {
    hit = (typeof re === "string" ? new RegExp(re) : re).test(work.source.text);
    work.textTests.set(re, hit);
  }
  return hit;
}

function roundConfidence(c: number): number {
  return Math.min(1, Math.max(0, Math.round(c * 100) / 100));
}

/** The new file's text: whole when known and consistent with the diff, else the hunks' new side. */
function newSource(file: DiffFile, content: string | undefined, maxWhole: number): Source {
  if (typeof content === "string" && content.length <= maxWhole) {
    const lines = content.split(/\r?\n/);
    let consistent = true;
    for (const h of file.hunks)
      for (const l of h.lines) if (l.kind !== "del" && l.newLine !== undefined && lines[l.newLine - 1] !== l.content) consistent = false;
    if (consistent) return { text: content, lines, whole: true };
  }
  let max = 0;
  for (const h of file.hunks) for (const l of h.lines) if (l.kind !== "del" && l.newLine !== undefined && l.newLine > max) max = l.newLine;
  const lines = new Array<string>(max).fill("");
  for (const h of file.hunks) for (const l of h.lines) if (l.kind !== "del" && l.newLine !== undefined && l.newLine >= 1) lines[l.newLine - 1] = l.content;
  return { text: lines.join("\n"), lines, whole: false };
}

const WORD_SPLIT = /[^a-z0-9]+/;

/** Lower-case words of identifiers in a text (camelCase and snake_case split), plus adjacent pairs joined. */
function words(text: string): Set<string> {
  const list = text
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(WORD_SPLIT)
    .filter(Boolean);
  const out = new Set(list);
  for (let i = 0; i + 1 < list.length; i++) out.add(list[i] + list[i + 1]);
  return out;
}

function contextMatches(vocabulary: readonly string[], found: Set<string>): boolean {
  for (const w of found) for (const e of vocabulary) if (w === e || (e.length >= 5 && w.startsWith(e))) return true;
  return false;
}

const STATEMENT_KIND = /statement$|declaration$|^assignment$|^pair$|^keyword_argument$|^variable_declarator$|^short_var_declaration$|^field_declaration$/;

export function createAstAnalyzer(options: AstAnalyzerOptions = {}): Analyzer {
  let ruleSet: RuleSet | undefined = options.ruleSet;
  let loadError: Error | undefined;
  if (!ruleSet) {
    try {
      ruleSet = cachedRuleSet(options.rulesDir);
    } catch (err) {
      loadError = err as Error;
    }
  }
  const maxLine = options.maxLineLength ?? DEFAULT_MAX_LINE;
  const maxWhole = options.maxWholeFileChars ?? DEFAULT_MAX_WHOLE;
  const maxTaintSteps = options.maxTaintSteps ?? DEFAULT_MAX_TAINT_STEPS;
  // One budget for every file this analyser parses, not one per call: a worker analyses one file
  // per call, and its dead trees would otherwise wait for V8 (which does not see their size).
  const budget = new ParsedTreeBudget();

  return {
    name: "ast-rules",
    async analyze(input: AnalysisInput): Promise<AnalyzerOutput> {
      // A bad rule file is a bug of this app: say which file, let the other analysers run.
      if (!ruleSet) throw loadError ?? new Error("AST rules not loaded");
      const findings: Finding[] = [];
      const skipped: SkippedItem[] = [];
      for (const file of input.files ?? []) {
        let parsed = 0;
        try {
          parsed = analyzeFile(file, input.fileContents?.get(file.path), ruleSet, findings, skipped);
        } catch (err) {
          skipped.push({ path: file.path, reason: `AST analysis failed: ${redactSecrets(String((err as Error)?.message ?? err)).slice(0, 200)}` });
        }
        if (parsed > 0) await budget.spend(parsed);
      }
      return { findings, predictions: [], skipped };
    },
  };

  /** Analyses one file; returns how many source characters it parsed. */
  function analyzeFile(file: DiffFile, content: string | undefined, set: RuleSet, findings: Finding[], skipped: SkippedItem[]): number {
    if (file.binary || file.hunks.length === 0) return 0;
    const language = astLanguageOf(file.path);
    if (!language) return 0;
    const compiled = set.byLanguage.get(language);
    if (!compiled) return 0;
    const added = new Set<number>();
    for (const h of file.hunks) for (const l of h.lines) if (l.kind === "add" && l.newLine !== undefined) added.add(l.newLine);
    if (added.size === 0) return 0;

    // Hunks far down a file (`@@ -1 +900000000 @@`) would be rebuilt as that many blank lines.
    let lastLine = 0;
    for (const h of file.hunks) for (const l of h.lines) if (l.newLine !== undefined && l.newLine > lastLine) lastLine = l.newLine;
    if (lastLine > maxWhole + 1) {
      skipped.push({ path: file.path, reason: `changes at line ${lastLine}, beyond the ${maxWhole} lines the AST analysis rebuilds from hunks: not analysed by the AST rules` });
      return 0;
    }
    const source = newSource(file, content, maxWhole);
    if (source.text.includes("\u0000")) {
      skipped.push({ path: file.path, reason: "binary content (NUL bytes): not analysed by the AST rules" });
      return 0;
    }
    // Minified or generated lines: blanked (same line numbers), the rest is still analysed.
    let longLines = 0;
    for (let i = 0; i < source.lines.length; i++) {
      if (source.lines[i].length > maxLine) {
        if (added.has(i + 1)) longLines++;
        source.lines[i] = "";
      }
    }
    if (longLines > 0) {
      source.text = source.lines.join("\n");
      skipped.push({
        path: file.path,
        reason: `${longLines} added line${longLines === 1 ? "" : "s"} longer than ${maxLine} characters (minified code?) not analysed by the AST rules`,
      });
    }

    const work: FileWork = {
      path: file.path,
      language,
      compiled,
      matcher: matcherFor(compiled, source.text),
      source,
      added,
      findings,
      seen: new Set(),
      occurrences: new Map(),
      isTest: isTestFile(file.path) || /(?:^|\/)conftest\.py$|(?:Tests?|IT)\.java$/.test(file.path),
      addedSorted: [...added].sort((a, b) => a - b),
      budget: new TaintBudget(maxTaintSteps),
      textTests: new Map(),
      aliasNames: new Map(),
      pending: [],
      sinkLines: new Map(),
      guards: new Map(),
    };
    const parsed = analyzeSource(work, file, skipped);
    settleSecondary(work);
    if (work.budget.stopped) {
      skipped.push({ path: file.path, reason: `taint analysis stopped at its work limit (${maxTaintSteps} steps): findings in this file may be incomplete` });
    }
    return parsed;
  }

  /** Parses and analyses a file's source (whole, then the lines of regions that do not parse); returns the characters parsed. */
  function analyzeSource(work: FileWork, file: DiffFile, skipped: SkippedItem[]): number {
    const { source, language, compiled } = work;
    let root: SgRoot;
    try {
      root = parseNapi(NAPI_LANG[language], source.text);
    } catch (err) {
      skipped.push({ path: file.path, reason: `could not be parsed (${String((err as Error)?.message ?? err).slice(0, 120)}): not analysed by the AST rules` });
      return 0;
    }
    // Renamed imports of the modules the rules know (`import subprocess as proc`): read under their own names.
    let text = source.text;
    const aliases = importAliases(FAMILY[language], text);
    if (aliases.size > 0 || (language === "python" && /__import__|import_module/.test(text))) {
      const rewritten = rewriteImports(FAMILY[language], root.root(), text, aliases);
      if (rewritten !== undefined) {
        try {
          const again = parseNapi(NAPI_LANG[language], rewritten);
          // (a rewrite that breaks the syntax somewhere is not used)
          if (!again.root().find({ rule: { kind: "ERROR" } }) || root.root().find({ rule: { kind: "ERROR" } })) {
            root = again;
            text = rewritten;
            work.matcher = matcherFor(compiled, text);
          }
        } catch {
          /* keep the first parse */
        }
      }
    }
    const errors = runUnit(work, { root: root.root(), text, lineBase: 1, identifierQueries: 0 });
    if (errors.length === 0) return source.text.length;

    // Code that does not parse: retry the added lines inside broken regions one by one, at most
    // MAX_FALLBACK_LINES of them counting repeats (regions nest), as a walk over each region's
    // lines would; the lines are found by binary search instead of walking regions again and again.
    const eligible = work.addedSorted.filter((line) => source.lines[line - 1]?.trim());
    const retry: number[] = [];
    const seenLines = new Set<number>();
    let counted = 0;
    for (const e of errors) {
      if (counted >= MAX_FALLBACK_LINES) break;
      let lo = 0;
      let hi = eligible.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (eligible[mid] < e.startLine) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < eligible.length && eligible[i] <= e.endLine && counted < MAX_FALLBACK_LINES; i++) {
        counted++;
        if (!seenLines.has(eligible[i])) {
          seenLines.add(eligible[i]);
          retry.push(eligible[i]);
        }
      }
    }
    if (retry.length === 0) return source.text.length;
    let lost = 0;
    // Lines a rule of this file's language could be about (its triggers occur in them).
    const relevant = (text: string) => work.matcher.indices.some((i) => compiled.rules[i].triggers?.test(text) ?? true);
    for (const line of retry) {
      const text = source.lines[line - 1];
      // A comment's middle (` * ...`) is not code even if it looks like code.
      if (/^\s*(?:\*|\/\/|#|\/\*)/.test(text)) continue;
      let unitRoot: SgNode;
      try {
        unitRoot = parseNapi(NAPI_LANG[language], text).root();
        // Only lines that parse cleanly on their own: error recovery on one line invents structure.
        if (unitRoot.find({ rule: { kind: "ERROR" } })) {
          if (relevant(text)) lost++;
          continue;
        }
      } catch {
        if (relevant(text)) lost++;
        continue;
      }
      runUnit(work, { root: unitRoot, text, lineBase: line, identifierQueries: 0 });
    }
    // A whole file that does not parse is worth saying; partial hunks only when something relevant was lost.
    if (source.whole || lost > 0) {
      const first = errors[0].startLine;
      skipped.push({
        path: file.path,
        reason: `could not be parsed in full (syntax error near line ${first}); analysed the parts that parse`,
      });
    }
    return source.text.length;
  }

  /** Runs every rule of the file's language on one parsed unit; returns the unit's ERROR regions (file lines). */
  function runUnit(work: FileWork, unit: Unit): Array<{ startLine: number; endLine: number }> {
    const { compiled } = work;
    const candidates = unit.root.findAll(work.matcher.config);
    const errorSpans: Array<{ start: number; end: number; startLine: number; endLine: number }> = [];
    const rest: Array<{ node: SgNode; start: number; end: number; startLine: number; endLine: number }> = [];
    for (const node of candidates) {
      const r = node.range();
      const entry = { node, start: r.start.index, end: r.end.index, startLine: r.start.line + unit.lineBase, endLine: r.end.line + unit.lineBase };
      if (node.kind() === "ERROR") errorSpans.push(entry);
      else rest.push(entry);
    }
    let engine: TaintEngine | undefined;
    const newEngine = () => new TaintEngine(work.language, unit.root, { budget: work.budget });
    const regions = errorRegions(errorSpans);
    for (const c of rest) {
      if (firstInRange(work.addedSorted, c.startLine, c.endLine) === undefined) continue;
      // Matches in, around or on the same line as code that did not parse may be artefacts of error
      // recovery (containing or being contained implies sharing a line: the line check covers all three).
      if (overlapsError(regions, c.startLine, c.endLine)) continue;
      for (const i of work.matcher.indices) {
        // The combined matcher marks every rule that matched this node (see ruleSet.ts).
        if (!c.node.getMatch(hitMarker(i))) continue;
        const rule = compiled.rules[i];
        if (rule.files && !rule.files(work.path)) continue;
        if (rule.ignores && rule.ignores(work.path)) continue;
        const config = rule.configs[work.language] ?? rule.config;
        if (config.constraints) {
          // Constraints are not part of the combined matcher: check them here (rare).
          try {
            if (!c.node.matches(config)) continue;
          } catch {
            continue;
          }
        }
        engine ??= newEngine();
        const prefix = metavarPrefix(i);
        check(work, unit, rule, c.node, c.startLine, c.endLine, engine, (name) => prefix + name);
      }
    }
    runAliases(work, unit, regions, () => (engine ??= newEngine()));
    return errorSpans.map((e) => ({ startLine: e.startLine, endLine: e.endLine }));
  }

  /** Calls through local aliases of a rule's callee (`const sh = promisify(exec); sh(cmd)`). */
  function runAliases(work: FileWork, unit: Unit, regions: ErrorRegions, engineOf: () => TaintEngine): void {
    for (const rule of work.compiled.rules) {
      if (!rule.aliases) continue;
      // The names come from the whole file: found once per file, not once per unit.
      let names = work.aliasNames.get(rule);
      if (!names) {
        names = testText(work, rule.aliases.definition) ? aliasNames(work.source.text, rule.aliases.definition.source, 5) : [];
        work.aliasNames.set(rule, names);
      }
      for (const name of names) {
        let matches: SgNode[];
        try {
          matches = unit.root.findAll({ rule: { any: rule.aliases.patterns.map((p) => ({ pattern: p.split("$ALIAS").join(name) })) } });
        } catch {
          continue;
        }
        for (const m of matches) {
          const r = m.range();
          const startLine = r.start.line + unit.lineBase;
          const endLine = r.end.line + unit.lineBase;
          if (insideError(regions, r.start.index, r.end.index)) continue;
          if (firstInRange(work.addedSorted, startLine, endLine) !== undefined) check(work, unit, rule, m, startLine, endLine, engineOf(), (n) => n);
        }
      }
    }
  }

  /** `mv` maps a rule's metavariable name to the one bound in the match (prefixed in the combined matcher). */
  function check(work: FileWork, unit: Unit, rule: AstRule, match: SgNode, startLine: number, endLine: number, engine: TaintEngine, mv: (name: string) => string): void {
    const { source, added } = work;
    if (rule.skipInTests && work.isTest) return;
    if (!rule.secondary) {
      const lines = work.sinkLines.get(rule.category);
      if (lines) lines.push(startLine);
      else work.sinkLines.set(rule.category, [startLine]);
    }
    let confidence = rule.confidence;
    let evidence: Evidence = "pattern";
    let note = "";
    const preferLines: number[] = [startLine];
    let penalty = 0;
    const anchor = anchorLine(match) + unit.lineBase;
    if (anchor !== startLine) preferLines.unshift(anchor);

    if (rule.fileContains && !testText(work, rule.fileContains)) {
      if (source.whole) return;
      penalty = 0.15; // the import may be outside the hunks
    }
    if (rule.constant) {
      // `createCipheriv(ALGO, ...)` with `const ALGO = "aes-128-ecb"`: the constant's text decides.
      const node = match.getMatch(mv(rule.constant.name));
      if (node) {
        const v = engine.valueOf(node, { category: rule.category, sanitizers: [] });
        // Cut short by the work limit: no verdict (the file is reported as incomplete).
        if (engine.stopped) return;
        if (v.level !== CLEAN || !rule.constant.regex.test(v.text)) return;
      }
    }
    if (rule.context) {
      const { near, quiet, all } = contextWords(match, unit, work.language, engine);
      if (rule.context.unless.length > 0 && contextMatches(rule.context.unless, quiet)) return;
      if (!contextMatches(rule.context.words, all) && !contextMatches(rule.context.weak, near)) return;
    }
    if (rule.guardedBy) {
      // The function around the match, its text tested once per rule (many matches in one function stay linear).
      const fn = enclosingFunction(match, work, engine);
      const key = `${fn ? fn.id() : "root"}|${rule.id}`;
      let guarded = work.guards.get(key);
      if (guarded === undefined) {
        guarded = rule.guardedBy.test(fn ? head(unit, fn, 200_000) : unit.text);
        work.guards.set(key, guarded);
      }
      if (guarded) return;
    }
    if (rule.taint) {
      const verdict = judge(rule, rule.taint, match, engine, mv, (re) => testText(work, re));
      if (!verdict || engine.stopped) return;
      confidence = verdict.confidence;
      evidence = verdict.evidence;
      note = verdict.note;
      preferLines.push(...verdict.lines.map((l) => l + unit.lineBase));
    }
    let line: number | undefined;
    for (const l of preferLines) if (added.has(l)) {
      line = l;
      break;
    }
    line ??= firstInRange(work.addedSorted, startLine, endLine);
    if (line === undefined) return;
    const key = `${rule.id}:${line}`;
    if (work.seen.has(key)) return;
    const index = line - 1;
    if (isSuppressed(rule, { line: source.lines[index] ?? "", lines: source.lines, index })) return;
    work.seen.add(key);
    const code = source.lines[index] ?? "";
    // Fingerprints leave the line number out (code moves): a repeated line (two `AES.new(KEY, AES.MODE_ECB)`)
    // gets its occurrence number, so it is not taken for the first one and dropped.
    const occurrenceKey = `${rule.id}\u0000${code.replace(/\s+/g, " ").trim()}`;
    const occurrence = (work.occurrences.get(occurrenceKey) ?? 0) + 1;
    work.occurrences.set(occurrenceKey, occurrence);
    const printed = redactSecrets(code);
    const finding: Finding = {
      rule: rule.id,
      category: rule.category,
      path: work.path,
      line,
      side: "RIGHT",
      severity: severityFor(rule.severity, rule.category, evidence, confidence - penalty),
      confidence: roundConfidence(confidence - penalty),
      message: redactSecrets(note ? `${rule.message} ${note}` : rule.message),
      recommendation: redactSecrets(rule.recommendation),
      fingerprint: fingerprint(rule.id, work.path, occurrence === 1 ? printed : `${printed}\u0000#${occurrence}`),
    };
    if (!rule.secondary) {
      work.findings.push(finding);
      return;
    }
    // Reported only if no other rule of its category reports in the same function (see settleSecondary).
    const r = enclosingFunction(match, work, engine)?.range();
    work.pending.push({ finding, from: r ? r.start.line + unit.lineBase : 1, to: r ? r.end.line + unit.lineBase : Number.MAX_SAFE_INTEGER, deferTo: rule.secondary });
  }

  /**
   * A `secondary` rule reports where a value is prepared for a sink the rules may not know
   * (`new File(dir, name)`, a path resolved from request input). When a rule of the same category
   * (or one it defers to: a path put into a shell command) matches a sink in the same function,
   * that rule's verdict says it all (a finding there, or a check before it found the value safe):
   * the secondary one would only be noise.
   */
  function settleSecondary(work: FileWork): void {
    if (work.pending.length === 0) return;
    for (const lines of work.sinkLines.values()) lines.sort((a, b) => a - b);
    for (const p of work.pending) {
      if (p.deferTo.some((c) => firstInRange(work.sinkLines.get(c) ?? [], p.from, p.to) !== undefined)) continue;
      work.findings.push(p.finding);
    }
  }

  /**
   * Identifier words around a match: its statement, the names it is assigned to and the statements
   * that use them, its function's name and parameters, and, for a helper, the statements that call
   * it and the functions those are in (two levels: `randomChars` <- `makeInvite` <- `createInvite`).
   */
  function contextWords(match: SgNode, unit: Unit, language: AstLanguage, engine: TaintEngine): { near: Set<string>; quiet: Set<string>; all: Set<string> } {
    const syntax = SYNTAX[FAMILY[language]];
    let stmt: SgNode = match;
    let bound: string | undefined;
    let cur = engine.parentOf(match);
    for (let i = 0; cur && i < 12; i++) {
      const k = cur.kind() as string;
      if (syntax.functionKinds.has(k)) break;
      bound ??= boundName(cur, k);
      stmt = cur;
      if (STATEMENT_KIND.test(k) && !/^(?:pair|keyword_argument|variable_declarator)$/.test(k)) break;
      cur = engine.parentOf(cur);
    }
    let text = head(unit, stmt, 400);
    // Near (for weak words): the statement, the name it is assigned to, that name's uses, the function's
    // name and the statements calling it. Quiet (for words of a harmless use): the statement, the
    // function's name and the names the value is assigned on to (`boundary = ... token ...`).
    let near = text;
    let quiet = text;
    const fnOf = (n: SgNode): SgNode | null => {
      // The nearest named function: inline callbacks (`Array.from(..., () => pick())`) belong to the one around them.
      let f = engine.parentOf(n);
      for (let i = 0; f && i < 60; i++) {
        if (syntax.functionKinds.has(f.kind() as string) && engine.functionName(f)) return f;
        f = engine.parentOf(f);
      }
      return null;
    };
    const statementOf = (n: SgNode, max: number): string => {
      let s: SgNode | null = n;
      for (let j = 0; s && j < 6 && !STATEMENT_KIND.test(s.kind() as string); j++) s = engine.parentOf(s);
      return head(unit, s ?? n, max);
    };
    const seenFns = new Set<number>();
    const addFunction = (fn: SgNode, depth: number): void => {
      if (seenFns.has(fn.id()) || seenFns.size > 6) return;
      seenFns.add(fn.id());
      const params = fld(fn, "parameters");
      text += ` ${engine.functionName(fn)} ${params ? head(unit, params, 120) : ""}`;
      if (depth >= 2) return;
      // A helper (randomHex) is named for how, its callers for what: `const apiKey = randomHex(40)`.
      for (const call of engine.callSites(fn).slice(0, 3)) {
        text += ` ${statementOf(call, 200)}`;
        const caller = fnOf(call);
        if (caller) addFunction(caller, depth + 1);
      }
    };
    // An inline callback (`Array.from(..., () => Math.random())`) belongs to the statement around it.
    let fn = engine.parentOf(stmt);
    for (let i = 0; fn && i < 40; i++) {
      const fk = fn.kind() as string;
      if (syntax.functionKinds.has(fk) && !fld(fn, "name") && engine.parentOf(fn)?.kind() === "arguments") {
        text += ` ${statementOf(engine.parentOf(fn)!, 300)}`;
        fn = engine.parentOf(fn);
        continue;
      }
      if (syntax.functionKinds.has(fk)) {
        const named = engine.functionName(fn) ? fn : fnOf(fn);
        if (named) addFunction(named, 0);
        // Its function's name is near too (`jitter()`, `shuffle(list)`), and its callers' statements
        // (`const key = this.generate()`).
        if (named) {
          // A method's class names its purpose too (`ApiKeyService.generate`, `ResetTokenGenerator.next`).
          let cls = engine.parentOf(named);
          for (let j = 0; cls && j < 8 && !/^class(?:_declaration|_definition)?$/.test(cls.kind() as string); j++) cls = engine.parentOf(cls);
          const className = cls ? fld(cls, "name")?.text() : undefined;
          if (className) text += ` ${className}`;
          near += ` ${engine.functionName(named)}`;
          quiet += ` ${engine.functionName(named)}`;
          for (const call of engine.callSites(named).slice(0, 3)) near += ` ${statementOf(call, 200)}`;
        }
        break;
      }
      fn = engine.parentOf(fn);
    }
    // What the value is used for: `rnd.nextInt(...)` in newResetToken(), `md.update(password)`.
    if (bound) {
      const scope = (fnOf(match) ?? (engine.parentOf(stmt) ? engine.parentOf(engine.parentOf(stmt)!) : null) ?? engine.parentOf(stmt)) as SgNode | null;
      const uses = scope ? usesOf(unit, scope, language, bound) : [];
      const at = stmt.range();
      let n = 0;
      for (let i = 0; i < uses.length && n < 4; i++) {
        const { node: u, start, end } = uses[i];
        if (start >= at.start.index && end <= at.end.index) {
          // Uses inside the statement itself are consecutive: skip past them at once.
          while (i + 1 < uses.length && uses[i + 1].start < at.end.index) i++;
          continue;
        }
        n++;
        const used = statementOf(u, 200);
        text += ` ${used}`;
        near += ` ${used}`;
        const onward = /^\s*(?:(?:const|let|var)\s+)?([\w.]+)\s*(?::\s*[\w.]+\s*)?=(?!=)/.exec(used);
        if (onward) quiet += ` ${onward[1]}`;
        const f = fnOf(u);
        if (f) text += ` ${engine.functionName(f)}`;
      }
    }
    return { near: words(near), quiet: words(quiet), all: words(text) };
  }
}

/** The nearest function around a match (null at the top level). */
function enclosingFunction(match: SgNode, work: FileWork, engine: TaintEngine): SgNode | null {
  const kinds = SYNTAX[FAMILY[work.language]].functionKinds;
  let fn: SgNode | null = engine.parentOf(match);
  for (let i = 0; fn && i < 200 && !kinds.has(fn.kind() as string); i++) fn = engine.parentOf(fn);
  return fn && kinds.has(fn.kind() as string) ? fn : null;
}

/** `node.text().slice(0, max)` from the unit's text, without copying all of a large node. */
function head(unit: Unit, node: SgNode, max: number): string {
  const r = node.range();
  return unit.text.slice(r.start.index, Math.min(r.end.index, r.start.index + max));
}

/**
 * The identifiers named `name` inside `scope`, in document order. The first few questions of a
 * unit search the scope; after that every identifier of the unit is indexed once, so a file with
 * many such checks does not search the same large scope again and again.
 */
function usesOf(unit: Unit, scope: SgNode, language: AstLanguage, name: string): Array<{ node: SgNode; start: number; end: number }> {
  const kinds = IDENTIFIER_KINDS[FAMILY[language]];
  const withSpan = (node: SgNode) => {
    const r = node.range();
    return { node, start: r.start.index, end: r.end.index };
  };
  if (++unit.identifierQueries <= 8 && !unit.identifiers) {
    try {
      return scope.findAll({ rule: { any: kinds.map((kind) => ({ kind })), regex: `^${name.replace(/[$]/g, "\\$")}$` } } as never).map(withSpan);
    } catch {
      return [];
    }
  }
  if (!unit.identifiers) {
    unit.identifiers = new Map();
    try {
      for (const node of unit.root.findAll({ rule: { any: kinds.map((kind) => ({ kind })) } } as never)) {
        const text = node.text();
        const list = unit.identifiers.get(text);
        if (list) list.push(withSpan(node));
        else unit.identifiers.set(text, [withSpan(node)]);
      }
    } catch {
      /* none */
    }
  }
  const all = unit.identifiers.get(name) ?? [];
  const r = scope.range();
  let lo = 0;
  let hi = all.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (all[mid].start < r.start.index) lo = mid + 1;
    else hi = mid;
  }
  const out: Array<{ node: SgNode; start: number; end: number }> = [];
  for (let i = lo; i < all.length && all[i].end <= r.end.index; i++) out.push(all[i]);
  return out;
}

/** Identifier node kinds per family (plain names and member names: `random`, `this.random`). */
const IDENTIFIER_KINDS: Record<string, string[]> = {
  js: ["identifier", "property_identifier"],
  python: ["identifier"],
  go: ["identifier", "field_identifier"],
  java: ["identifier"],
};

/** The simple name a declaration or assignment binds (`rnd` in `Random rnd = new Random()`, `self.rng = ...`). */
function boundName(n: SgNode, kind: string): string | undefined {
  let target: SgNode | null = null;
  if (kind === "variable_declarator" || kind === "var_spec" || kind === "const_spec") target = fld(n, "name");
  else if (kind === "assignment" || kind === "assignment_expression" || kind === "short_var_declaration" || kind === "assignment_statement") target = fld(n, "left");
  if (!target) return undefined;
  const t = target.text().trim();
  const m = /^(?:(?:this|self)\.)?#?([A-Za-z_$][\w$]*)$/.exec(t) ?? /^([A-Za-z_$][\w$]*)\s*(?:,|$)/.exec(t);
  return m && m[1].length >= 2 ? m[1] : undefined;
}

/** Where a call "is": the line of its method name (`.whereRaw(` in a chain that starts lines above). */
function anchorLine(match: SgNode): number {
  const kind = match.kind() as string;
  let at: SgNode | null = null;
  if (kind === "method_invocation") at = fld(match, "name");
  else if (kind === "call_expression" || kind === "call" || kind === "new_expression") {
    const fn = fld(match, "function");
    at = fld(fn, "property") ?? fld(fn, "attribute") ?? fld(fn, "field") ?? fn;
  }
  return (at ?? match).range().start.line;
}

interface Verdict {
  confidence: number;
  evidence: Evidence;
  note: string;
  /** 0-based unit lines of the tainted value (where to report when the call's line is not added). */
  lines: number[];
}

/** The values a sink consumes, from the rule's metavariables. */
function sinkNodes(spec: TaintSpec, match: SgNode, mv: (name: string) => string, engine: TaintEngine, testFile: (re: RegExp | string) => boolean): SgNode[] {
  const out: SgNode[] = [];
  for (const ref of spec.sinks) {
    if (!ref.index) {
      const n = match.getMatch(mv(ref.name));
      // (a Python keyword argument matched by `f($PATH, ...)` is not the positional sink: `keywords` names those)
      if (n) {
        if (n.kind() !== "keyword_argument") out.push(n);
      }
      else {
        const multi = match.getMultipleMatches(mv(ref.name)).filter((x) => x.isNamed() && !/comment/.test(x.kind() as string));
        out.push(...multi.filter((x) => x.kind() !== "keyword_argument"));
      }
      continue;
    }
    const list = match
      .getMultipleMatches(mv(ref.name))
      .filter((x) => x.isNamed() && !/comment/.test(x.kind() as string) && x.kind() !== "keyword_argument");
    const idx = ref.index;
    if ("at" in idx) {
      const i = idx.at < 0 ? list.length + idx.at : idx.at;
      if (list[i]) out.push(list[i]);
    } else out.push(...list.slice(idx.from, idx.to));
  }
  if (spec.keywords.length > 0 || spec.keywordsMarked) {
    // Python keyword arguments: requests.get(url=...), subprocess.run(args=...); with `keywordsMarked`,
    // those the file marks (`{{ bio|safe }}` for `bio=...`), also as keys of a dict argument.
    const marked = (name: string) => {
      if (!spec.keywordsMarked || !/^\w+$/.test(name)) return false;
      return testFile(spec.keywordsMarked.split("NAME").join(name));
    };
    const args = fld(match, "arguments");
    for (const a of args?.namedChildren() ?? []) {
      if (a.kind() === "keyword_argument") {
        const name = fld(a, "name")?.text();
        const value = fld(a, "value");
        if (!name || !value) continue;
        if (spec.keywords.includes(name)) out.push(value);
        // A dict passed for a marked name (`user={"name": name}` for `{{ user.name|safe }}`): its values.
        else if (marked(name)) out.push(...(value.kind() === "dictionary" ? value.namedChildren().flatMap((p) => (p.kind() === "pair" && fld(p, "value") ? [fld(p, "value")!] : [])) : [value]));
        continue;
      }
      if (!spec.keywordsMarked) continue;
      // template.render({"bio": bio}), template.render(Context({"bio": bio})), ejs.render(tpl, { bio }), a name bound to such an object
      const dict =
        a.kind() === "dictionary" || a.kind() === "object"
          ? a
          : a.kind() === "call"
            ? (fld(a, "arguments")?.namedChildren() ?? []).find((c) => c.kind() === "dictionary")
            : (engine.objectLiteralOf(a) ?? undefined);
      const valuesOf = (v: SgNode): SgNode[] =>
        v.kind() === "dictionary" || v.kind() === "object" ? v.namedChildren().flatMap((p) => (p.kind() === "pair" && fld(p, "value") ? [fld(p, "value")!] : p.kind() === "shorthand_property_identifier" ? [p] : [])) : [v];
      for (const pair of dict?.namedChildren() ?? []) {
        if (pair.kind() === "shorthand_property_identifier") {
          if (marked(pair.text())) out.push(pair);
          continue;
        }
        if (pair.kind() !== "pair") continue;
        const key = fld(pair, "key");
        const value = fld(pair, "value");
        if (!key || !value || !/^(?:string|property_identifier)$/.test(key.kind() as string)) continue;
        if (marked(key.text().replace(/^[a-zA-Z]*["'`]|["'`]$/g, ""))) out.push(...valuesOf(value));
      }
    }
  }
  if (spec.objectKeys.length > 0) {
    // Options objects: http.get({ host: userHost, path }), axios(config) with config = { url }.
    for (const n of [...out]) {
      const obj = engine.objectLiteralOf(n);
      if (!obj) continue;
      for (const pair of obj.namedChildren()) {
        const kind = pair.kind() as string;
        if (kind === "shorthand_property_identifier" && spec.objectKeys.includes(pair.text())) out.push(pair);
        if (kind !== "pair") continue;
        const key = fld(pair, "key")?.text().replace(/^["'`]|["'`]$/g, "");
        const value = fld(pair, "value");
        if (key && value && spec.objectKeys.includes(key)) out.push(value);
      }
    }
  }
  return out;
}

/** A literal origin at the start of a URL or path: `/local/path`, `https://host/`, `https://host?`. */
function fixedOrigin(prefix: string | undefined): boolean {
  if (prefix === undefined) return false;
  prefix = prefix.replace(/^(?:redirect|forward):/, ""); // Spring view names
  return /^(?:https?:)?\/\/[^/?#\s]+[/?#]/i.test(prefix) || /^\/(?![/\\])/.test(prefix) || /^\.\.?\//.test(prefix) || /^[\w.-]+\//.test(prefix);
}

function judge(rule: AstRule, spec: TaintSpec, match: SgNode, engine: TaintEngine, mv: (name: string) => string, testFile: (re: RegExp | string) => boolean): Verdict | undefined {
  const nodes = sinkNodes(spec, match, mv, engine, testFile);
  const opts = { category: rule.category, sanitizers: spec.sanitizers };
  const values: Array<[SgNode, Val]> = nodes.map((n) => [n, engine.valueOf(n, opts)]);
  if (spec.joinSinks && values.length > 1) values.splice(0, values.length, [nodes[0], concat(values.map(([, v]) => v))]);
  let best: Verdict | undefined;
  for (const [node, v] of values) {
    // An object literal is not text (res.send({...}) answers JSON); functions are not evaluated strings.
    if (v.shape === "object" || (spec.skipArrays && v.shape === "array")) continue;
    if (v.shape === "function" || v.container) {
      if (!(v.level === SOURCE && v.source)) continue;
    }
    let level = v.level;
    // A local source (argv) counts for remote-only rules when it is put under a fixed base (`join(BASE, argv[1])`).
    if (level === SOURCE && spec.sources === "remote" && !v.source?.remote && !(spec.localWhenBuilt && v.built && v.prefix)) level = UNKNOWN;
    if (level < UNKNOWN) continue;
    if (spec.fixedPrefixSafe && fixedOrigin(v.prefix)) continue;
    if (spec.safePrefix && v.prefix !== undefined && spec.safePrefix.test(v.prefix)) continue;
    if (spec.literal && (spec.literalFor === "always" || level === UNKNOWN) && !spec.literal.test(v.text) && !(spec.literalUnlessFile && testFile(spec.literalUnlessFile))) continue;
    let verdict: Verdict | undefined;
    if (level === SOURCE && v.source) {
      verdict = {
        confidence: v.source.remote ? rule.confidence : spec.localConfidence,
        evidence: v.source.remote ? "request-input" : "local-input",
        note: `Data from \`${v.source.label}\` (${v.source.remote ? "request input" : "local input"}) reaches it.`,
        lines: [],
      };
    } else if (spec.unknownUnlessFile && testFile(spec.unknownUnlessFile)) {
      continue;
    } else if (spec.policy === "any" || (spec.policy === "built" && v.built)) {
      verdict = {
        confidence: spec.unknownConfidence,
        evidence: v.built ? "assembled" : "non-constant",
        note: v.built ? "The value is assembled at runtime from values whose origin is not checked here." : "The value is not a constant.",
        lines: [],
      };
    }
    if (!verdict) continue;
    verdict.lines.push(node.range().start.line);
    if (!best || verdict.confidence > best.confidence) best = verdict;
  }
  return best;
}
