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
 *
 * Beside it: fileWork.ts (a file's state and range checks), matchCheck.ts (one match checked into
 * a finding), matchContext.ts (the words around a match) and taintVerdict.ts (what a sink receives).
 */
import { parse as parseNapi, type SgNode, type SgRoot } from "@ast-grep/napi";
import { redactSecrets } from "../secrets.js";
import { isTestFile } from "../paths.js";
import type { Analyzer, AnalysisInput, AnalyzerOutput, DiffFile, Finding, SkippedItem } from "../types.js";
import { FAMILY, NAPI_LANG, astLanguageOf } from "./languages.js";
import { hitMarker, matcherFor, metavarPrefix } from "./ruleMatcher.js";
import { cachedRuleSet } from "./ruleSet.js";
import type { RuleSet } from "./ruleTypes.js";
import { ParsedTreeBudget } from "./memory.js";
import { DEFAULT_MAX_TAINT_STEPS, TaintBudget, TaintEngine } from "./taint/engine.js";
import { aliasNames } from "./textScan.js";
import { importAliases, rewriteImports } from "./imports.js";
import {
  errorRegions,
  firstInRange,
  insideError,
  newSource,
  overlapsError,
  testText,
  type ErrorRegions,
  type FileWork,
  type Unit,
} from "./fileWork.js";
import { checkMatch, settleSecondary } from "./matchCheck.js";

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
          skipped.push({
            path: file.path,
            reason: `AST analysis failed: ${redactSecrets(String((err as Error)?.message ?? err)).slice(0, 200)}`,
          });
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
      skipped.push({
        path: file.path,
        reason: `changes at line ${lastLine}, beyond the ${maxWhole} lines the AST analysis rebuilds from hunks: not analysed by the AST rules`,
      });
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
      skipped.push({
        path: file.path,
        reason: `taint analysis stopped at its work limit (${maxTaintSteps} steps): findings in this file may be incomplete`,
      });
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
      skipped.push({
        path: file.path,
        reason: `could not be parsed (${String((err as Error)?.message ?? err).slice(0, 120)}): not analysed by the AST rules`,
      });
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
      const entry = {
        node,
        start: r.start.index,
        end: r.end.index,
        startLine: r.start.line + unit.lineBase,
        endLine: r.end.line + unit.lineBase,
      };
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
        // The combined matcher marks every rule that matched this node (see ruleMatcher.ts).
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
        checkMatch(work, unit, rule, c.node, c.startLine, c.endLine, engine, (name) => prefix + name);
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
          if (firstInRange(work.addedSorted, startLine, endLine) !== undefined)
            checkMatch(work, unit, rule, m, startLine, endLine, engineOf(), (n) => n);
        }
      }
    }
  }
}
