/**
 * The optional language model's two uses: phrasing an answer, and the pull request walkthrough.
 * Each returns the model's prose, or undefined when the deterministic text must stand: no model
 * configured, the repository said `llm: false`, the budget is spent, or the call failed or broke
 * grounding (one log line with the reason, never the prompt, the text or the key). Nothing here
 * decides a finding, a severity or a confidence: callers render those themselves, beside the prose.
 */
import { redact } from "../analysis/secrets.js";
import type { DiffFile } from "../analysis/types.js";
import type { LlmSettings } from "../config/env.js";
import type { Log } from "../logging/log.js";
import { estimateTokens, type LlmSpendStore } from "./budget.js";
import { chatCompletion, LlmError, type ChatMessage } from "./client.js";
import { groundingViolation } from "./grounding.js";
import {
  answerPrompt,
  groupFiles,
  walkthroughPrompt,
  type AnswerInput,
  type WalkthroughAnalysis,
  type WalkthroughGroup,
} from "./prompt.js";

export interface LlmDeps {
  /** `settings.llm`: undefined when the operator configured no model (then nothing is ever sent). */
  settings: LlmSettings | undefined;
  /** The repository's `llm` key (.github/empathy.yml); false: nothing is sent. A Slack question about no repository: true. */
  repoAllows: boolean;
  /** Where the spend is kept: the store in the app, so every instance and job shares one budget per key. */
  spend: LlmSpendStore;
  /** Whose budget: `owner/repo#123` for a pull request (its review, re-reviews and `/empathy explain` share it). */
  budgetKey: string;
  log: Pick<Log, "warn" | "debug">;
  /** The exact secret values found in the change or the question: never sent (the job's `withKnownSecrets` scope is honoured too). */
  secretValues?: readonly string[];
  /** The job's stop. */
  signal?: AbortSignal;
  now?: () => number;
}

/** A completion's caps: an answer is a paragraph, a walkthrough a paragraph per group. */
const ANSWER_MAX_TOKENS = 400;
const WALKTHROUGH_MAX_TOKENS = 900;
const ANSWER_MAX_CHARS = 2000;
const PARAGRAPH_MAX_CHARS = 700;

type Use = "answer" | "walkthrough";

/** The answer's prose from the model, grounded on `answer`; undefined: show `answer.deterministicText`. */
export async function phraseAnswer(answer: AnswerInput, deps: LlmDeps): Promise<string | undefined> {
  if (!enabled(deps)) return undefined;
  const prompt = answerPrompt(answer, deps.secretValues ?? []);
  const content = await complete("answer", prompt.messages, ANSWER_MAX_TOKENS, deps);
  if (content === undefined) return undefined;
  const violation = groundingViolation(content, prompt.grounds, ANSWER_MAX_CHARS);
  if (violation) return fallback(deps, "answer", "grounding", { check: violation });
  return redact(content.trim());
}

/**
 * The walkthrough section of the summary comment (Markdown, starting with its heading): per group
 * of changed files, our heading and counts, then the model's paragraph. Undefined: no section.
 */
export async function walkthrough(files: DiffFile[], analysis: WalkthroughAnalysis, deps: LlmDeps): Promise<string | undefined> {
  if (!enabled(deps) || files.length === 0) return undefined;
  const groups = groupFiles(files);
  const prompt = walkthroughPrompt(groups, analysis, deps.secretValues ?? []);
  const content = await complete("walkthrough", prompt.messages, WALKTHROUGH_MAX_TOKENS, deps);
  if (content === undefined) return undefined;
  const paragraphs = parseGroups(content, groups);
  if (typeof paragraphs === "string") return fallback(deps, "walkthrough", paragraphs);
  for (const text of paragraphs.values()) {
    const violation = groundingViolation(text, prompt.grounds, PARAGRAPH_MAX_CHARS);
    if (violation) return fallback(deps, "walkthrough", "grounding", { check: violation });
  }
  return renderWalkthrough(groups, paragraphs);
}

function enabled(deps: LlmDeps): deps is LlmDeps & { settings: LlmSettings } {
  return deps.settings !== undefined && deps.repoAllows;
}

/**
 * One call within the budget: reserve the most it can cost, call, settle to the real count (the
 * response's usage, else an estimate). A failed call keeps its reservation: the provider may have
 * billed it.
 */
async function complete(use: Use, messages: ChatMessage[], maxTokens: number, deps: LlmDeps & { settings: LlmSettings }) {
  const secrets = (deps.secretValues ?? []).filter((v) => v.length >= 6);
  if (messages.some((m) => secrets.some((s) => m.content.includes(s)))) return fallback(deps, use, "secret_in_prompt");
  const now = deps.now ?? Date.now;
  const promptTokens = messages.reduce((n, m) => n + estimateTokens(m.content), 0);
  const reserved = promptTokens + maxTokens;
  try {
    if (!(await deps.spend.reserveLlmTokens(deps.budgetKey, reserved, deps.settings.tokenBudget, now()))) {
      return fallback(deps, use, "budget");
    }
  } catch {
    return fallback(deps, use, "budget_store");
  }
  let result;
  try {
    result = await chatCompletion(deps.settings, { messages, maxTokens, signal: deps.signal });
  } catch (error) {
    if (error instanceof LlmError) return fallback(deps, use, error.reason, error.status === undefined ? {} : { status: error.status });
    return fallback(deps, use, "error");
  }
  const spent = result.totalTokens ?? promptTokens + estimateTokens(result.content);
  try {
    await deps.spend.adjustLlmTokens(deps.budgetKey, spent - reserved, now());
  } catch {
    // The reservation stands: the budget errs on the side of spent.
  }
  deps.log.debug({ llm: use, tokens: spent }, "language model text received");
  return result.content;
}

function fallback(deps: LlmDeps, use: Use, reason: string, extra: Record<string, string | number> = {}): undefined {
  deps.log.warn({ llm: use, reason, ...extra }, "language model not used: the deterministic text stands");
  return undefined;
}

/** The model's `{"groups": {...}}`: every key one of ours, every value a string; else the reason it is refused. */
function parseGroups(content: string, groups: WalkthroughGroup[]): Map<string, string> | "malformed" | "unknown_group" {
  const start = content.indexOf("{");
  const end = content.lastIndexOf("}");
  if (start < 0 || end < start) return "malformed";
  let parsed: unknown;
  try {
    parsed = JSON.parse(content.slice(start, end + 1));
  } catch {
    return "malformed";
  }
  const entries = (parsed as { groups?: unknown } | null)?.groups;
  if (typeof entries !== "object" || entries === null || Array.isArray(entries)) return "malformed";
  const names = new Set(groups.map((g) => g.name));
  const out = new Map<string, string>();
  for (const [name, text] of Object.entries(entries)) {
    if (!names.has(name)) return "unknown_group";
    if (typeof text !== "string") return "malformed";
    if (text.trim() !== "") out.set(name, text.trim());
  }
  return out.size === 0 ? "malformed" : out;
}

function renderWalkthrough(groups: WalkthroughGroup[], paragraphs: Map<string, string>): string {
  const out = ["### Walkthrough", "", "_Written by a language model from the changed files; the findings below are the analysis's own._"];
  for (const g of groups) {
    const name = g.name === "(root)" || g.name === "(other folders)" ? g.name : `\`${g.name}\``;
    const counts = `${g.files.length} file${g.files.length === 1 ? "" : "s"}, +${g.additions} −${g.deletions}`;
    const text =
      paragraphs.get(g.name) ??
      `Changed: ${g.files
        .slice(0, 5)
        .map((f) => `\`${f.path}\``)
        .join(", ")}${g.files.length > 5 ? ", …" : ""}.`;
    out.push("", `**${name}** · ${counts}`, "", text.replace(/\s+/g, " "));
  }
  return redact(out.join("\n"));
}
