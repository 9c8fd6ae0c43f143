/** Turns an interaction's outcome into the plain-text response and suggestion lines. */
import { severityRank, type Category, type Finding, type Prediction } from "../analysis/types.js";
import { pullRequestCount } from "./patterns.js";
import type { PatternRecord } from "./state.js";
import { truncate } from "./text.js";
import { pct } from "../text/percent.js";

export interface SummaryInput {
  title: string;
  isPullRequest: boolean;
  filesChanged?: number;
  linesAnalyzed?: number;
  testsChanged?: boolean;
  /** A question someone asked (src/answers): summarised by what was done, not echoed. */
  isQuestion?: boolean;
}

/** Level 1: what the change is, in one line. */
export function summarize(s: SummaryInput): string {
  if (s.isQuestion) {
    return s.linesAnalyzed !== undefined
      ? `Answered a question: ${s.linesAnalyzed} line(s) of code in it analysed.`
      : "Answered a question.";
  }
  const title = truncate(s.title, 120);
  if (!s.isPullRequest && s.filesChanged === undefined) return `Noted: "${title}".`;
  const parts: string[] = [];
  if (s.filesChanged !== undefined) parts.push(`${s.filesChanged} file(s) changed`);
  if (s.linesAnalyzed !== undefined) parts.push(`${s.linesAnalyzed} line(s) analysed`);
  if (s.testsChanged === true) parts.push("tests updated");
  return `Reviewed "${title}"` + (parts.length ? `: ${parts.join(", ")}.` : ".");
}

export function suggestionText(f: Finding): string {
  return `${f.path}:${f.line} [${f.severity}] ${f.message} Fix: ${f.recommendation}`;
}

/** Systemic fixes by category: the rule of three asks for a fix of the class, not the instance. */
const SYSTEMIC_FIX: Partial<Record<Category, string>> = {
  "sql-injection": "route queries through one data-access layer with parameterised queries and forbid string-built SQL in lint",
  "command-injection": "wrap process execution in one helper that takes argument arrays, and lint against shell strings",
  "code-injection": "ban eval-like calls with a lint rule and provide a safe alternative",
  xss: "render through an auto-escaping template layer and lint against raw HTML sinks",
  "path-traversal": "resolve user paths through one helper that confines them to a base directory",
  "hardcoded-secret": "move secrets to a secrets manager and add secret scanning as a required CI check",
  "weak-crypto": "centralise crypto in one vetted module and lint against weak algorithms",
  "insecure-tls": "configure TLS once in a shared HTTP client and forbid disabling verification",
  "insecure-randomness": "provide a crypto-random helper and lint against Math.random for tokens",
  ssrf: "send outbound requests through one client with an allow-list and private-address guard",
  "debug-leftover": "add a lint rule (no-console / no-debugger) that fails CI",
  "missing-tests": "make tests a required CI check, with a coverage gate on changed lines",
  "breaking-change": "add a contract or compatibility test to CI and a deprecation policy",
  "dependency-risk": "pin and review dependencies with an automated update and audit workflow",
  "large-change": "agree on a size limit for pull requests and split work behind feature flags",
};

export function transformationProposal(record: PatternRecord, category?: Category): string {
  const fix =
    (category && SYSTEMIC_FIX[category]) ??
    "fix the class of problem once (a shared helper, a lint rule or a CI check) rather than case by case";
  const count = pullRequestCount(record);
  const prs = record.prNumbers.map((n) => `#${n}`).join(", ");
  return `"${record.name}" has come up in ${count} pull requests (${count > record.prNumbers.length ? "most recently " : ""}${prs}): ${fix}.`;
}

export interface ResponseInput {
  summary: string;
  questions: string[];
  findings: Finding[];
  predictions: Prediction[];
  recurring: PatternRecord[];
  proposals: string[];
}

export function buildResponse(r: ResponseInput): string {
  const lines = [r.summary];
  if (r.questions.length) lines.push("Questions:", ...r.questions.map((q) => `- ${q}`));
  if (r.findings.length) {
    const worst = [...r.findings].sort((a, b) => severityRank(b.severity) - severityRank(a.severity))[0];
    lines.push(`Found ${r.findings.length} issue(s) to fix now (most severe: ${worst.severity}).`);
  }
  if (r.predictions.length) {
    const top = [...r.predictions].sort((a, b) => b.confidence - a.confidence)[0];
    lines.push(`Predicted ${r.predictions.length} future failure(s); most likely (${pct(top.confidence)}): ${top.prediction}`);
  }
  for (const p of r.recurring) lines.push(`Recurring: "${p.name}" seen in ${pullRequestCount(p)} pull requests.`);
  if (r.proposals.length) lines.push("Systemic fix:", ...r.proposals.map((p) => `- ${p}`));
  return lines.join("\n");
}
