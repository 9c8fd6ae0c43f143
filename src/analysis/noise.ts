/**
 * Noise control: which files are not worth reviewing (generated, vendored, minified, lock
 * files, ignored by the repository config), `empathy-ignore` comments, lower confidence in
 * test files, and the severity threshold. Quiet is a feature: a finding in a generated file
 * is noise by definition.
 */
import { compileGlob, gitPattern, gitPatternMatch, globMatch, GlobBudget } from "../text/glob.js";
import { isTestFile } from "./paths.js";
import { silences } from "./suppression.js";
import { severityRank, type DiffFile, type Finding, type Severity } from "./types.js";

const LOCK_FILES = new Set([
  "package-lock.json",
  "npm-shrinkwrap.json",
  "yarn.lock",
  "pnpm-lock.yaml",
  "bun.lockb",
  "poetry.lock",
  "Pipfile.lock",
  "uv.lock",
  "go.sum",
  "Cargo.lock",
  "composer.lock",
  "Gemfile.lock",
]);

const VENDORED = /(^|\/)(node_modules|vendor|third_party|bower_components|\.yarn)\//;
const BUILD_OUTPUT = /(^|\/)(dist|out)\//;
const MINIFIED = /\.min\.(js|css|mjs)$|[.-]bundle\.js$/;
const GENERATED = /(^|\/)(__generated__|generated)\/|\.(generated|gen)\.[a-z]+$|_pb2(_grpc)?\.py$|\.pb\.go$|\.pb\.(cc|h)$|_generated\.go$/;

/** Files whose first lines say so are generated too (the convention Go and many generators follow). */
const GENERATED_HEADER = /(^|\n).{0,10}(code generated .* do not edit|@generated|auto-?generated (file|code))/i;

/**
 * Bounds on what a repository's patterns may cost the review (they run in the serving process):
 * the rules kept from `.gitattributes`, the length of one pattern (git itself ignores an attributes
 * line over 2,048 bytes), and the matching steps of one classifier, all files and patterns together
 * (each match is at most pattern × path steps; past the budget nothing more matches, so the file
 * is reviewed, and `budgetExhausted` says so).
 */
export const MAX_GITATTRIBUTES_RULES = 1_000;
export const MAX_PATTERN_LENGTH = 1_000;
export const MATCH_BUDGET = 10_000_000;

export interface GitAttributeRule {
  match: (path: string) => boolean;
  generated?: boolean;
  vendored?: boolean;
}

/**
 * Reads `.gitattributes` for `linguist-generated` and `linguist-vendored` (set, `=true`,
 * unset with `-` or `=false`). Later lines win, as in git. Patterns follow git's syntax (see
 * text/glob.ts); as this bot always has, a pattern also covers what is inside a folder it
 * matches (`third/ linguist-vendored` vendors `third/lib/x.js`). A negative pattern (`!x`) is
 * ignored, as git ignores it in attributes files.
 */
export function parseGitattributes(text: string, budget?: GlobBudget): GitAttributeRule[] {
  const rules: GitAttributeRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    if (rules.length >= MAX_GITATTRIBUTES_RULES) break;
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith("!")) continue;
    const [pattern, ...attrs] = line.split(/\s+/);
    if (pattern.length > MAX_PATTERN_LENGTH) continue;
    const rule: Omit<GitAttributeRule, "match"> = {};
    for (const attr of attrs) {
      const m = /^(-?)(linguist-generated|linguist-vendored)(?:=(true|false))?$/.exec(attr);
      if (!m) continue;
      const value = m[1] !== "-" && m[3] !== "false";
      if (m[2] === "linguist-generated") rule.generated = value;
      else rule.vendored = value;
    }
    if (rule.generated === undefined && rule.vendored === undefined) continue;
    const compiled = gitPattern(pattern, { classes: true, escapes: true, recursive: true });
    if (compiled) rules.push({ ...rule, match: (path) => gitPatternMatch(compiled, path, budget) });
  }
  return rules;
}

export interface NoiseOptions {
  /** `.gitattributes` at the head, when known. */
  gitattributes?: string;
  /** Globs from the repository config's `ignore`. */
  ignore?: string[];
}

export interface FileClassifier {
  (file: DiffFile, content?: string): string | undefined;
  /** True once the repository's patterns spent the matching budget: later files were not matched against them. */
  readonly budgetExhausted: boolean;
}

/**
 * An `ignore` glob, from the repository root like `paths` (`docs/**`, `**\/*.snap`; `*` within a
 * folder, a trailing `/` the whole folder), with git's `[...]` classes and `\` escapes.
 */
function ignoreGlob(glob: string) {
  return compileGlob(
    glob
      .trim()
      .replace(/^(?:\.?\/)+/, "")
      .replace(/\/$/, "/**"),
    { classes: true, escapes: true },
  );
}

/** Returns why a file is not reviewed, or undefined when it is. */
export function fileClassifier(options: NoiseOptions = {}, budget = new GlobBudget(MATCH_BUDGET)): FileClassifier {
  const attributes = options.gitattributes ? parseGitattributes(options.gitattributes, budget) : [];
  const ignore = (options.ignore ?? []).filter((g) => typeof g === "string" && g.trim() && g.length <= MAX_PATTERN_LENGTH).map(ignoreGlob);
  const classify = (file: DiffFile, content?: string): string | undefined => {
    const path = file.path;
    if (ignore.some((g) => globMatch(g, path, budget))) return "ignored by the repository config (`ignore`)";
    let generated: boolean | undefined;
    let vendored: boolean | undefined;
    for (const rule of attributes) {
      if (!rule.match(path)) continue;
      if (rule.generated !== undefined) generated = rule.generated;
      if (rule.vendored !== undefined) vendored = rule.vendored;
    }
    if (generated) return "generated file (`linguist-generated` in .gitattributes): not reviewed";
    if (vendored) return "vendored file (`linguist-vendored` in .gitattributes): not reviewed";
    if (generated === false || vendored === false) return undefined; // the repository says review it
    const name = path.slice(path.lastIndexOf("/") + 1);
    if (LOCK_FILES.has(name)) return "lock file: not reviewed";
    if (VENDORED.test(path)) return "vendored code: not reviewed";
    if (MINIFIED.test(path)) return "minified file: not reviewed";
    if (BUILD_OUTPUT.test(path)) return "build output: not reviewed";
    if (GENERATED.test(path)) return "generated file: not reviewed";
    if (content !== undefined && GENERATED_HEADER.test(content.slice(0, 600))) return "generated file (its header says so): not reviewed";
    return undefined;
  };
  return Object.defineProperty(classify, "budgetExhausted", { get: () => budget.exhausted }) as FileClassifier;
}

/** True when the line or the one above carries `empathy-ignore` (for every rule, or for this rule or category). */
export function isSuppressedByComment(finding: Finding, lineText: (line: number) => string | undefined): boolean {
  const rule = { id: finding.rule, category: finding.category };
  return silences(lineText(finding.line), rule) || silences(lineText(finding.line - 1), rule);
}

/** How much less sure a finding in a test file is: tests often hold vulnerable code on purpose. */
export const TEST_FILE_CONFIDENCE_FACTOR = 0.6;

/** Code that does not ship: examples, fixtures, demos and samples hold risky code on purpose, like tests. */
const NOT_SHIPPED = /(?:^|\/)(?:examples?|fixtures?|demos?|samples?)\//i;

/** Findings in tests, examples, fixtures and demos: less sure, and at most low (they do not run in production). */
export function adjustForTestFile(finding: Finding): Finding {
  if (!isTestFile(finding.path) && !NOT_SHIPPED.test(finding.path)) return finding;
  const severity = severityRank(finding.severity) > severityRank("low") ? "low" : finding.severity;
  return { ...finding, severity, confidence: Math.round(finding.confidence * TEST_FILE_CONFIDENCE_FACTOR * 100) / 100 };
}

export function atLeast(severity: Severity): (f: Finding) => boolean {
  const min = severityRank(severity);
  return (f) => severityRank(f.severity) >= min;
}
