/**
 * Checking one candidate match of a rule (see analyzer.ts): test files, the file's imports, the
 * constant, context, guard and taint conditions, then the finding on an added line, fingerprinted
 * and redacted; `secondary` rules' findings wait for `settleSecondary` at the end of the file.
 */
import type { SgNode } from "@ast-grep/napi";
import { severityFor, type Evidence } from "../evidence.js";
import { fingerprint } from "../fingerprint.js";
import { isSuppressed } from "../suppression.js";
import { redactSecrets } from "../secrets.js";
import type { Finding } from "../types.js";
import { suggestFix } from "../fixes/index.js";
import { FAMILY } from "./languages.js";
import { firstInRange, testText, type FileWork, type Unit } from "./fileWork.js";
import { contextMatches, contextWords, enclosingFunction, head } from "./matchContext.js";
import type { AstRule } from "./ruleTypes.js";
import { fld, type TaintEngine } from "./taint/engine.js";
import { CLEAN } from "./taint/value.js";
import { judge } from "./taintVerdict.js";

function roundConfidence(c: number): number {
  return Math.min(1, Math.max(0, Math.round(c * 100) / 100));
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

/** `mv` maps a rule's metavariable name to the one bound in the match (prefixed in the combined matcher). */
export function checkMatch(
  work: FileWork,
  unit: Unit,
  rule: AstRule,
  match: SgNode,
  startLine: number,
  endLine: number,
  engine: TaintEngine,
  mv: (name: string) => string,
): void {
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
  for (const l of preferLines)
    if (added.has(l)) {
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
  // A one-click fix over the matched lines, read from the file's own text (not the import-rewritten one).
  const suggestion = suggestFix({ rule: rule.id, line, startLine, endLine }, source.lines, FAMILY[work.language]);
  if (suggestion) finding.suggestion = suggestion;
  if (!rule.secondary) {
    work.findings.push(finding);
    return;
  }
  // Reported only if no other rule of its category reports in the same function (see settleSecondary).
  const r = enclosingFunction(match, work, engine)?.range();
  work.pending.push({
    finding,
    from: r ? r.start.line + unit.lineBase : 1,
    to: r ? r.end.line + unit.lineBase : Number.MAX_SAFE_INTEGER,
    deferTo: rule.secondary,
  });
}

/**
 * A `secondary` rule reports where a value is prepared for a sink the rules may not know
 * (`new File(dir, name)`, a path resolved from request input). When a rule of the same category
 * (or one it defers to: a path put into a shell command) matches a sink in the same function,
 * that rule's verdict says it all (a finding there, or a check before it found the value safe):
 * the secondary one would only be noise.
 */
export function settleSecondary(work: FileWork): void {
  if (work.pending.length === 0) return;
  for (const lines of work.sinkLines.values()) lines.sort((a, b) => a - b);
  for (const p of work.pending) {
    if (p.deferTo.some((c) => firstInRange(work.sinkLines.get(c) ?? [], p.from, p.to) !== undefined)) continue;
    work.findings.push(p.finding);
  }
}
