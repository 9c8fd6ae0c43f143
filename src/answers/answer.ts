/**
 * A question answered without a language model: the code in it analysed like a pull request
 * (the analysis function is injected: the worker pool in the app), the engine deciding the level
 * and confidence from the findings, the fix taken from the mechanical fixes of suggested changes
 * (analysis/fixes) or, where none applies, the category's example from the knowledge base; a
 * question without code answered from the knowledge base; anything else gets an honest "I can't
 * answer that" with what can be asked. The result is data (`Answer`), so a phrasing layer can
 * reword it and fall back to `answerMarkdown` (render.ts). Everything shown is redacted.
 */
import { suggestFix, type Suggestion } from "../analysis/fixes/index.js";
import type { AnalyseChange } from "../analysis/pool/isolated.js";
import { redactKnownSecrets, redactSecrets } from "../analysis/secrets.js";
import { severityRank, type AnalysisResult, type Category, type Finding, type Prediction, type Severity } from "../analysis/types.js";
import type { EmpathyOS } from "../engine/empathyOS.js";
import { LEVEL_NAMES, type EmpathyLevel } from "../engine/levels.js";
import type { InteractionContext } from "../engine/types.js";
import { CATEGORY_KNOWLEDGE, type CategoryEntry, type CodeExample, type KnowledgeEntry } from "./knowledge.js";
import { matchKnowledge } from "./match.js";
import { extractCode, MAX_QUESTION_CHARS, MAX_SNIPPETS, normaliseQuestion, snippetDiff, type Snippet } from "./snippets.js";

/** Findings explained in one answer (the most severe first); the rest are counted. */
export const MAX_FINDINGS_SHOWN = 3;
/** A snippet longer than this shows the fixed lines with a few around them, not the whole snippet. */
const WHOLE_SNIPPET_LINES = 25;
const CONTEXT_LINES = 3;
/** A question's analysis is small: tighter budgets than a pull request's. */
export const QUESTION_ANALYSIS_LIMITS = { fileTimeBudgetMs: 5_000, reviewTimeBudgetMs: 15_000 };

export interface FixedCode {
  language: string;
  code: string;
  /** What the fix assumed (e.g. the database driver), when the snippet did not say. */
  note?: string;
}

export interface AnsweredFinding {
  rule: string;
  category: Category;
  title: string;
  severity: Severity;
  confidence: number;
  /** 1-based line in its snippet. */
  line: number;
  /** The line as written (redacted). */
  code: string;
  message: string;
  fixedCode?: FixedCode;
  /** The knowledge base's before/after, when no mechanical fix applies. */
  example?: CodeExample;
}

export interface Answer {
  /** code: code was analysed; knowledge: answered from the knowledge base; unknown: not understood. */
  kind: "code" | "knowledge" | "unknown";
  /** A category id, a knowledge entry id, "no-findings" or "unknown". */
  topic: string;
  title: string;
  findings: AnsweredFinding[];
  /** Findings found beyond those explained. */
  moreFindings: number;
  /** Two or three sentences: what it is and why it matters. */
  explanation: string;
  /** How to fix it, in words. */
  fix?: string;
  /** The fixed code of the most severe finding, when a mechanical fix applies. */
  fixedCode?: FixedCode;
  /** Otherwise the knowledge base's example (shown labelled as an example). */
  example?: CodeExample;
  level: EmpathyLevel;
  levelName: string;
  confidence: number;
  /** "If this ships, …": the engine's predictions and the consequences of what was found. */
  predictions: string[];
  link?: { label: string; url: string };
  /** Limits met, assumptions made. */
  notes: string[];
  /** What can be asked, for an unknown question. */
  topics?: string[];
}

export interface AnswerDeps {
  engine: Pick<EmpathyOS, "interact">;
  /** The review's analysis (the worker pool in the app); absent: code is not analysed. */
  analyse?: AnalyseChange;
  userId: string;
  /** The interaction's context (repo "slack", the channel…). */
  context: InteractionContext;
  signal?: AbortSignal;
}

const KNOWLEDGE_BY_CATEGORY = new Map<Category, CategoryEntry>(CATEGORY_KNOWLEDGE.map((e) => [e.id, e]));

export function categoryKnowledge(category: Category): CategoryEntry | undefined {
  return KNOWLEDGE_BY_CATEGORY.get(category);
}

/** What the answer to an unknown question offers instead. */
export function answerableTopics(): string[] {
  return [
    ...CATEGORY_KNOWLEDGE.map((e) => e.title),
    "the empathy levels (1–5)",
    "the /empathy commands in Slack and in pull requests",
    "the .github/empathy.yml configuration",
  ];
}

export async function answerQuestion(question: string, deps: AnswerDeps): Promise<Answer> {
  const text = normaliseQuestion(question.slice(0, MAX_QUESTION_CHARS + 1));
  const extracted = extractCode(text);
  const notes: string[] = [];
  if (extracted.truncated) notes.push(`Only the first ${MAX_QUESTION_CHARS.toLocaleString("en")} characters of the question were read.`);
  if (extracted.found > extracted.snippets.length) {
    notes.push(
      `${extracted.found}${extracted.scanStopped ? " or more" : ""} pieces of code found; the first ${MAX_SNIPPETS} were analysed.`,
    );
  }

  let analysis: AnalysisResult | undefined;
  let secretValues: string[] = [];
  if (extracted.snippets.length > 0 && deps.analyse) {
    try {
      const outcome = await deps.analyse(
        {
          files: extracted.snippets.map(snippetDiff),
          fileContents: new Map(extracted.snippets.map((s) => [s.path, s.code])),
        },
        { limits: QUESTION_ANALYSIS_LIMITS, signal: deps.signal },
      );
      analysis = outcome.result;
      secretValues = outcome.secretValues;
    } catch (err) {
      if (deps.signal?.aborted) throw err;
      notes.push("The code could not be analysed this time.");
    }
    for (const s of analysis?.skipped ?? []) notes.push(`${s.path}: ${s.reason}`);
  } else if (extracted.snippets.length > 0) {
    notes.push("Code analysis is not available here; the answer comes from the knowledge base.");
  }
  if (analysis)
    analysis = { ...analysis, findings: [...analysis.findings, ...redactedSecretFindings(extracted.snippets, analysis.findings)] };

  const hide = (s: string) => redactKnownSecrets(redactSecrets(s), secretValues);
  const result = await deps.engine.interact({
    userId: deps.userId,
    input: text.slice(0, MAX_QUESTION_CHARS),
    context: { ...deps.context, question: true, ...(analysis ? { analysis } : {}) },
  });
  const level = result.level;
  const base = { level, levelName: LEVEL_NAMES[level], confidence: result.confidence, notes: notes.map(hide) };

  const shown = [...result.findings].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || b.confidence - a.confidence);
  const predictions = result.predictions.map((p: Prediction) => hide(`If this ships: ${p.prediction}`));
  if (shown.length > 0) {
    const bySnippet = new Map(extracted.snippets.map((s) => [s.path, s]));
    const findings = shown.slice(0, MAX_FINDINGS_SHOWN).map((f) => answeredFinding(f, bySnippet.get(f.path), hide));
    const worst = findings[0];
    const kb = categoryKnowledge(worst.category);
    for (const category of new Set(findings.map((f) => f.category))) {
      const consequence = categoryKnowledge(category)?.ifShips;
      if (consequence) predictions.push(`${consequence[0].toUpperCase()}${consequence.slice(1)}.`);
    }
    return {
      kind: "code",
      topic: worst.category,
      title: kb?.title ?? worst.category,
      findings,
      moreFindings: shown.length - findings.length,
      explanation: [worst.message, kb?.exploit].filter(Boolean).join(" "),
      fix: kb?.fix,
      fixedCode: worst.fixedCode,
      example: worst.fixedCode ? undefined : worst.example,
      predictions,
      link: kb?.link,
      ...base,
    };
  }

  const match = matchKnowledge(extracted.prose || text)[0]?.entry;
  if (extracted.snippets.length > 0 && analysis) {
    const languages = [...new Set(extracted.snippets.map((s) => s.language))].join(", ");
    const found = analysis.findings.length > 0 ? " (what it found is below the level this conversation may show)" : "";
    const about = match ? knowledgeAnswer(match, base, predictions) : undefined;
    return {
      kind: "code",
      topic: "no-findings",
      title: "No problems found in the code",
      findings: [],
      moreFindings: 0,
      explanation:
        `I analysed the code (${languages}) with the same rules as a pull request review and found nothing to fix${found}.` +
        (about ? ` About ${about.title}: ${about.explanation}` : ""),
      fix: about?.fix,
      example: about?.example,
      link: about?.link,
      predictions,
      ...base,
    };
  }
  if (match) return knowledgeAnswer(match, base, predictions);
  const topics = answerableTopics();
  return {
    kind: "unknown",
    topic: "unknown",
    title: "I can't answer that",
    findings: [],
    moreFindings: 0,
    explanation:
      "I can't answer that: it matches nothing I know about, and it has no code for me to analyse. I can explain the security and review problems my analysis finds, the empathy levels, my commands and the repository configuration; paste code (in backticks or after a colon) and I will analyse it and show the fix.",
    predictions,
    topics,
    ...base,
  };
}

type AnswerBase = Pick<Answer, "level" | "levelName" | "confidence" | "notes">;

function knowledgeAnswer(entry: KnowledgeEntry, base: AnswerBase, predictions: string[]): Answer {
  if (entry.kind === "category") {
    return {
      kind: "knowledge",
      topic: entry.id,
      title: entry.title,
      findings: [],
      moreFindings: 0,
      explanation: `${entry.what} ${entry.exploit}`,
      fix: entry.fix,
      example: entry.example,
      link: entry.link,
      predictions,
      ...base,
    };
  }
  return {
    kind: "knowledge",
    topic: entry.id,
    title: entry.title,
    findings: [],
    moreFindings: 0,
    explanation: entry.text,
    predictions,
    ...base,
  };
}

/** The rules that fix only when the file names its library: what to assume when a snippet does not. */
const FIX_ASSUMPTIONS: Record<string, { lines: string[]; note: string }> = {
  "js/sql-injection": {
    lines: ['const { Pool } = require("pg");'],
    note: "Assuming node-postgres (`pg`); with mysql or mysql2 the placeholder is `?`.",
  },
  "py/sql-injection": { lines: ["import psycopg2"], note: "Assuming psycopg (PostgreSQL); with sqlite3 the placeholder is `?`." },
  "py/unsafe-yaml": { lines: ["import yaml"], note: "Assuming PyYAML." },
  "js/command-injection": {
    lines: ['const { exec, execSync, execFile, execFileSync } = require("child_process");'],
    note: "Import `execFile` (or `execFileSync`) from child_process beside `exec`.",
  },
};

function answeredFinding(f: Finding, snippet: Snippet | undefined, hide: (s: string) => string): AnsweredFinding {
  const kb = categoryKnowledge(f.category);
  const lines = snippet ? snippet.code.split("\n") : [];
  const base: AnsweredFinding = {
    rule: f.rule,
    category: f.category,
    title: kb?.title ?? f.category,
    severity: f.severity,
    confidence: f.confidence,
    line: f.line,
    code: hide(lines[f.line - 1] ?? ""),
    message: hide(f.message),
  };
  const fixed = snippet ? fixedCode(f, snippet, lines) : undefined;
  if (fixed && redactSecrets(fixed.code) === fixed.code) return { ...base, fixedCode: { ...fixed, code: hide(fixed.code) } };
  return { ...base, example: kb?.example };
}

/** The snippet with the finding's suggestion applied: the analysis's own, else the same fixer with the library assumed. */
function fixedCode(f: Finding, snippet: Snippet, lines: string[]): FixedCode | undefined {
  let suggestion: Suggestion | undefined = f.suggestion;
  let note: string | undefined;
  if (!suggestion) {
    const assumption = FIX_ASSUMPTIONS[f.rule];
    if (!assumption) return undefined;
    // Appended after the snippet: line numbers stay, the fixer sees the library it needs.
    suggestion = suggestFix({ rule: f.rule, line: f.line }, [...lines, ...assumption.lines], snippet.language);
    note = assumption.note;
    if (!suggestion || suggestion.endLine > lines.length) return undefined;
  }
  const replacement = suggestion.replacement.split("\n");
  const after = [...lines.slice(0, suggestion.startLine - 1), ...replacement, ...lines.slice(suggestion.endLine)];
  let code: string;
  if (after.length <= WHOLE_SNIPPET_LINES) code = after.join("\n");
  else {
    const from = Math.max(0, suggestion.startLine - 1 - CONTEXT_LINES);
    const to = Math.min(after.length, suggestion.startLine - 1 + replacement.length + CONTEXT_LINES);
    code = [from > 0 ? "…" : "", ...after.slice(from, to), to < after.length ? "…" : ""]
      .filter((l, i, a) => !(l === "" && (i === 0 || i === a.length - 1)))
      .join("\n");
  }
  return { language: snippet.language, code, ...(note ? { note } : {}) };
}

const REDACTION_MARK = /\[REDACTED(?::([\w-]{1,40}))?\]/;

/**
 * A secret hidden before the question reached us (Slack commands are redacted on arrival) is a
 * hard-coded secret the analysis can no longer see: the redactor's verdict is the finding.
 */
function redactedSecretFindings(snippets: Snippet[], found: Finding[]): Finding[] {
  const out: Finding[] = [];
  for (const s of snippets) {
    s.code.split("\n").forEach((line, i) => {
      const m = REDACTION_MARK.exec(line);
      if (!m) return;
      if (found.some((f) => f.path === s.path && f.line === i + 1 && f.category === "hardcoded-secret")) return;
      const what = m[1] ? `A secret (${m[1]})` : "A secret";
      out.push({
        rule: "secrets/hardcoded-secret",
        category: "hardcoded-secret",
        path: s.path,
        line: i + 1,
        side: "RIGHT",
        severity: "high",
        confidence: 0.9,
        message: `${what} is written in this code; it was hidden before your question was stored, but treat it as exposed.`,
        recommendation: categoryKnowledge("hardcoded-secret")?.fix ?? "",
        fingerprint: `question:${s.path}:${i + 1}:hardcoded-secret`,
      });
    });
  }
  return out;
}
