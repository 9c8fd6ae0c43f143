/**
 * Renders a review as Markdown: the sticky summary comment on GitHub and the CLI's
 * markdown output use the same text. The whole text passes the one redaction step last (nothing
 * in it is cut short).
 */
import type { ConfigProblem } from "../config/repoConfig.js";
import { redact } from "../analysis/secrets.js";
import { SEVERITIES, severityRank, type Finding, type Prediction, type Severity, type SkippedItem } from "../analysis/types.js";
import { LEVEL_NAMES, type EmpathyLevel } from "../engine/levels.js";
import { pct } from "../text/percent.js";

const SEVERITY_ICON: Record<Severity, string> = {
  critical: "🔴",
  high: "🟠",
  medium: "🟡",
  low: "🔵",
  info: "⚪",
};

export interface ReviewReport {
  level: number;
  confidence: number;
  response: string;
  findings: Finding[];
  predictions: Prediction[];
  clarifications: string[];
  skipped: SkippedItem[];
  configProblems?: ConfigProblem[];
  /** Findings and predictions that were not posted inline because of `max_inline_comments`. */
  notInline?: number;
  /** Compared with the previous summary of the same pull request. */
  changes?: { added: number; resolved: number; unchanged: number };
  commitSha?: string;
  /** A line shown under the heading (e.g. the trust breaker's cautious mode). */
  notice?: string;
  /**
   * The walkthrough section (src/llm/phrase.ts `walkthrough`: its own `### Walkthrough` heading,
   * per group of files our counts and the model's paragraph), when the operator configured a
   * language model and the repository allows it. Shown as given, before the findings.
   */
  walkthrough?: string;
}

function location(path: string, line: number): string {
  return `\`${path}:${line}\``;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** The engine's response without its list of questions: the report gives them their own section. */
function withoutQuestions(response: string, questions: string[]): string {
  if (questions.length === 0) return response;
  const listed = new Set(["Questions:", ...questions.map((q) => `- ${q}`)]);
  return response
    .split("\n")
    .filter((line) => !listed.has(line))
    .join("\n");
}

export function renderFinding(f: Finding): string {
  return `${SEVERITY_ICON[f.severity]} **${f.severity}** ${location(f.path, f.line)} ${oneLine(f.message)} _(${f.rule}, ${pct(f.confidence)}, id \`${f.fingerprint.slice(0, 8)}\`)_`;
}

export function renderPrediction(p: Prediction): string {
  return `**${pct(p.confidence)}** ${oneLine(p.prediction)} ${location(p.path, p.line)}\n  ↳ ${oneLine(p.recommendation)}`;
}

export function renderReport(report: ReviewReport, options: { heading?: string } = {}): string {
  const out: string[] = [];
  out.push(`## ${options.heading ?? "Empathy review"}`);
  const commit = report.commitSha ? ` · commit \`${report.commitSha.slice(0, 7)}\`` : "";
  out.push(
    `**Level ${report.level} · ${LEVEL_NAMES[report.level as EmpathyLevel] ?? "?"}** · confidence ${pct(report.confidence)}${commit}`,
  );
  if (report.notice) out.push("", `> ${oneLine(report.notice)}`);
  out.push("", oneLine(withoutQuestions(report.response, report.clarifications)));
  if (report.walkthrough) out.push("", report.walkthrough.trim());

  const bySeverity = [...report.findings].sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
  if (bySeverity.length > 0) {
    const counts = [...SEVERITIES]
      .reverse()
      .map((s) => [s, bySeverity.filter((f) => f.severity === s).length] as const)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${SEVERITY_ICON[s]} ${n} ${s}`);
    out.push("", `### Findings (${bySeverity.length})`, counts.join(" · "), "");
    for (const f of bySeverity) out.push(`- ${renderFinding(f)}`);
  }

  if (report.predictions.length > 0) {
    out.push("", `### Predictions (${report.predictions.length})`, "");
    for (const p of [...report.predictions].sort((a, b) => b.confidence - a.confidence)) out.push(`- ${renderPrediction(p)}`);
  }

  if (report.clarifications.length > 0) {
    out.push("", "### Questions", "");
    for (const q of report.clarifications) out.push(`- ${oneLine(q)}`);
  }

  if (report.changes) {
    const { added, resolved, unchanged } = report.changes;
    out.push("", "### Since the last review", `${added} new · ${resolved} resolved · ${unchanged} unchanged`);
  }

  const skippedLines = report.skipped.map((s) => `- ${s.path === "*" ? "" : `\`${s.path}\`: `}${oneLine(s.reason)}`);
  if (report.notInline) {
    skippedLines.push(`- ${report.notInline} more item(s) are listed here but not commented inline (the \`max_inline_comments\` limit).`);
  }
  if (skippedLines.length > 0) {
    out.push("", "### Skipped", "", ...skippedLines.slice(0, 50));
    if (skippedLines.length > 50) out.push(`- … and ${skippedLines.length - 50} more`);
  }

  if (report.configProblems && report.configProblems.length > 0) {
    out.push("", "### Configuration problems", "", "The review ran with the default value for each key below.", "");
    for (const p of report.configProblems) out.push(`- \`${p.file}\` \`${p.key}\`: ${oneLine(p.message)}`);
  }

  return redact(out.join("\n"));
}
