/**
 * The state of one file's AST analysis (see analyzer.ts): its new source, the units parsed from it,
 * their ERROR regions, the findings so far and the per-file caches, with the range checks the
 * analyser and the rule checks ask of them (binary searches over sorted lines and spans).
 */
import type { SgNode } from "@ast-grep/napi";
import type { DiffFile, Finding } from "../types.js";
import type { AstLanguage } from "./languages.js";
import type { matcherFor } from "./ruleMatcher.js";
import type { AstRule, CompiledLanguage } from "./ruleTypes.js";
import type { TaintBudget } from "./taint/engine.js";

export interface Source {
  text: string;
  lines: string[];
  whole: boolean;
}

export interface Unit {
  root: SgNode;
  /** The text parsed (node offsets index it). */
  text: string;
  /** Added to the unit's 0-based line numbers to get the file's 1-based ones. */
  lineBase: number;
  /** Identifier nodes by name, built once the unit is asked often enough (see usesOf in matchContext.ts). */
  identifiers?: Map<string, Array<{ node: SgNode; start: number; end: number }>>;
  identifierQueries: number;
}

/** ERROR regions of a unit, merged, for checks of "does this overlap one" in logarithmic time. */
export interface ErrorRegions {
  /** Disjoint line ranges covered by ERROR nodes, in order. */
  lines: Array<[number, number]>;
  /** ERROR spans by start, with the furthest end reached so far (containment checks). */
  starts: number[];
  maxEnd: number[];
}

export interface FileWork {
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
  /** Findings of `secondary` rules, with the lines of the function they are in (see settleSecondary in matchCheck.ts). */
  pending: Array<{ finding: Finding; from: number; to: number; deferTo: readonly string[] }>;
  /** Lines of the candidates of other rules, by category (see settleSecondary in matchCheck.ts). */
  sinkLines: Map<string, number[]>;
  /** Answers to `guardedBy` per function node and rule (a function's text is tested once). */
  guards: Map<string, boolean>;
}

/** The first element of a sorted array in [lo, hi], or undefined (binary search). */
export function firstInRange(sorted: readonly number[], lo: number, hi: number): number | undefined {
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
export function errorRegions(spans: ReadonlyArray<{ start: number; end: number; startLine: number; endLine: number }>): ErrorRegions {
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
export function overlapsError(regions: ErrorRegions, a: number, b: number): boolean {
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
export function insideError(regions: ErrorRegions, start: number, end: number): boolean {
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
export function testText(work: FileWork, re: RegExp | string): boolean {
  let hit = work.textTests.get(re);
  if (hit === undefined) {
    hit = (typeof re === "string" ? new RegExp(re) : re).test(work.source.text);
    work.textTests.set(re, hit);
  }
  return hit;
}

/** The new file's text: whole when known and consistent with the diff, else the hunks' new side. */
export function newSource(file: DiffFile, content: string | undefined, maxWhole: number): Source {
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
  for (const h of file.hunks)
    for (const l of h.lines) if (l.kind !== "del" && l.newLine !== undefined && l.newLine >= 1) lines[l.newLine - 1] = l.content;
  return { text: lines.join("\n"), lines, whole: false };
}
