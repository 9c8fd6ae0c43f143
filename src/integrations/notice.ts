/**
 * What an event says, read once for every service: a title, the main text, level, confidence,
 * severity, the pull request's link, tags and a few facts. Each integration turns a Notice into
 * its own payload shape (Slack blocks, an Adaptive Card, a JIRA document...).
 *
 * Event data keeps the catalog's snake_case; anything may be missing from a custom event, so
 * every field is read defensively.
 */
import { redact } from "../analysis/secrets.js";
import { SEVERITIES, type Severity } from "../analysis/types.js";
import { pct } from "../text/percent.js";
import { truncate as cut } from "../text/truncate.js";

/** The envelope as stored and replayed by the webhook manager (plain JSON). */
export interface NoticeEnvelope {
  id: string;
  event_type: string;
  timestamp: string;
  data: unknown;
}

export interface Notice {
  eventId: string;
  eventType: string;
  /** ISO 8601 */
  timestamp: string;
  /** One line, e.g. "Prediction for o/r#7: migration". */
  title: string;
  /** The main text: the prediction, the proposal, the response... */
  text: string;
  /** 1..5 when the event is about a level. */
  level: number | null;
  /** 0..1 */
  confidence: number | null;
  severity: Severity | null;
  repo: string | null;
  prNumber: number | null;
  /** The pull request's page, when known. */
  url: string | null;
  tags: string[];
  recommendation: string | null;
  impact: string | null;
  /** `path:line` of the evidence, when known. */
  evidence: string | null;
  /** Stable across pushes (predictions, suggestions): what services deduplicate on. */
  fingerprint: string | null;
  kind: string | null;
  /** Other facts worth a line (label, value), already formatted. */
  facts: [string, string][];
}

/**
 * Redacts, then cuts text to at most `max` characters (code points are not split), ending with
 * "…" when cut. Redacted whole first: a cut can leave a token's head no pattern recognises.
 */
export function truncate(raw: string, max: number): string {
  return cut(redact(raw), max);
}

/** "level_4_prediction" → "Level 4 prediction"; "deploy_finished" → "Deploy finished". */
export function humanize(eventType: string): string {
  const words = eventType.replace(/[_.:/-]+/g, " ").trim();
  return words === "" ? "Event" : words[0].toUpperCase() + words.slice(1);
}

function str(value: unknown): string | null {
  return typeof value === "string" && value.trim() !== "" ? value : null;
}

function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function severityOf(value: unknown): Severity | null {
  return typeof value === "string" && (SEVERITIES as readonly string[]).includes(value) ? (value as Severity) : null;
}

function levelOf(eventType: string, data: Record<string, unknown>): number | null {
  const m = /^level_([1-5])_/.exec(eventType);
  if (m) return Number(m[1]);
  return num(data.level) ?? num(data.to_level);
}

function firstSentence(text: string): string {
  const first = text.split(/(?<=[.!?])\s/)[0] ?? text;
  return first.replace(/\s+/g, " ").trim();
}

/** The main text of each catalog event; a custom event shows its data as `key: value` facts. */
function mainText(eventType: string, d: Record<string, unknown>): string {
  switch (eventType) {
    case "level_4_prediction":
      return str(d.prediction) ?? "A prediction";
    case "level_5_transformation":
      return str(d.proposal) ?? `The pattern ${str(d.pattern_name) ?? ""} keeps coming back.`.replace("  ", " ");
    case "level_1_response":
    case "interaction_completed":
      return str(d.response) ?? humanize(eventType);
    case "level_2_clarification":
      return Array.isArray(d.questions)
        ? d.questions
            .filter((q) => typeof q === "string")
            .map((q) => `• ${q}`)
            .join("\n")
        : "Questions";
    case "level_3_proactive_suggestion": {
      const suggestions = Array.isArray(d.suggestions) ? (d.suggestions as Record<string, unknown>[]) : [];
      return suggestions.length === 0
        ? "Suggestions"
        : suggestions
            .slice(0, 10)
            .map((s) => `• ${str(s?.message) ?? str(s?.rule) ?? "suggestion"}${str(s?.path) ? ` (${s.path}:${num(s.line) ?? "?"})` : ""}`)
            .join("\n") + (suggestions.length > 10 ? `\n… and ${suggestions.length - 10} more` : "");
    }
    case "level_transition":
      return `Level ${num(d.from_level) ?? "?"} → ${num(d.to_level) ?? "?"}${str(d.reason) ? `: ${d.reason}` : ""}`;
    case "pattern_learned":
    case "pattern_applied":
      return `Pattern "${str(d.pattern_name) ?? str(d.pattern_id) ?? "?"}"${num(d.confidence) !== null ? ` (confidence ${pct(d.confidence as number)})` : ""}`;
    case "pattern_updated":
      return `Pattern "${str(d.pattern_name) ?? str(d.pattern_id) ?? "?"}": confidence ${pct(num(d.old_confidence) ?? 0)} → ${pct(num(d.new_confidence) ?? 0)}`;
    case "trust_increased":
    case "trust_decreased":
      return `Trust of ${str(d.user_id) ?? "?"}: ${pct(num(d.old_trust) ?? 0)} → ${pct(num(d.new_trust) ?? 0)}`;
    case "trust_milestone":
      return `Trust of ${str(d.user_id) ?? "?"} reached ${pct(num(d.milestone) ?? 0)}`;
    case "prediction_failure":
      return `Prediction ${str(d.prediction_id) ?? "?"} was wrong: ${str(d.reason) ?? "no reason given"}`;
    case "error":
      return `${str(d.error_type) ?? "error"}: ${str(d.error_message) ?? ""}`;
    default: {
      const entries = Object.entries(d).filter(([, v]) => v !== null && v !== undefined);
      return entries.length === 0
        ? humanize(eventType)
        : entries
            .slice(0, 20)
            .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
            .join("\n");
    }
  }
}

function titleOf(eventType: string, d: Record<string, unknown>, repo: string | null, prNumber: number | null): string {
  const where = repo ? (prNumber !== null ? ` in ${repo}#${prNumber}` : ` in ${repo}`) : "";
  switch (eventType) {
    case "level_4_prediction":
      return `Prediction${where}: ${firstSentence(str(d.prediction) ?? str(d.kind) ?? "a future failure")}`;
    case "level_5_transformation":
      return `Recurring problem${where}: ${str(d.pattern_name) ?? "a pattern"}`;
    case "level_3_proactive_suggestion":
      return `Suggestions${where}`;
    case "level_2_clarification":
      return `Questions${where}`;
    default:
      return `${humanize(eventType)}${where}`;
  }
}

/** Reads an envelope (catalog or custom event) into a Notice. */
export function toNotice(envelope: NoticeEnvelope): Notice {
  const d = (envelope.data !== null && typeof envelope.data === "object" ? envelope.data : {}) as Record<string, unknown>;
  const repo = str(d.repo);
  const prNumber = num(d.pr_number);
  const evidence = d.evidence !== null && typeof d.evidence === "object" ? (d.evidence as Record<string, unknown>) : null;
  const facts: [string, string][] = [];
  if (str(d.user_id)) facts.push(["Author", d.user_id as string]);
  if (str(d.kind)) facts.push(["Kind", d.kind as string]);
  if (envelope.event_type === "level_5_transformation" && num(d.occurrences) !== null) facts.push(["Occurrences", String(d.occurrences)]);
  return {
    eventId: envelope.id,
    eventType: envelope.event_type,
    timestamp: envelope.timestamp,
    title: titleOf(envelope.event_type, d, repo, prNumber),
    text: mainText(envelope.event_type, d),
    level: levelOf(envelope.event_type, d),
    confidence: num(d.confidence),
    severity: severityOf(d.severity),
    repo,
    prNumber,
    url: str(d.url),
    tags: Array.isArray(d.tags) ? d.tags.filter((t): t is string => typeof t === "string") : [],
    recommendation: str(d.recommendation),
    impact: str(d.impact),
    evidence: evidence && str(evidence.path) ? `${evidence.path}${num(evidence.line) !== null ? `:${evidence.line}` : ""}` : null,
    fingerprint: str(d.fingerprint),
    kind: str(d.kind),
    facts,
  };
}

/** "Empathy Level 4 | Confidence: 92%" (parts that are unknown are left out). */
export function contextLine(notice: Notice): string {
  const parts = ["Empathy" + (notice.level !== null ? ` Level ${notice.level}` : "")];
  if (notice.confidence !== null) parts.push(`Confidence: ${pct(notice.confidence)}`);
  return parts.join(" | ");
}
