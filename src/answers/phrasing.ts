/**
 * An answer handed to an optional phrasing layer (the operator's language model, src/llm/): what
 * the model may reword (the explanation and the fix in words) and the facts it must stay within.
 * The structured parts (findings, fixed code, example, level, confidence, link) are never
 * reworded: the answer keeps them as they are and only its prose is replaced.
 */
import type { Answer } from "./answer.js";

/** What a phrasing layer is given (the shape src/llm/prompt.ts `AnswerInput` reads). */
export interface PhrasingInput {
  question: string;
  facts: string[];
  findings: Array<{
    rule: string;
    category: string;
    severity: Answer["findings"][number]["severity"];
    confidence: number;
    line: number;
    message?: string;
  }>;
  predictions: string[];
  level: number;
  confidence: number;
  deterministicText: string;
}

/** Rewords an answer's prose; undefined: keep the deterministic text (no model, a failure, the budget spent). */
export type PhraseAnswer = (input: PhrasingInput) => Promise<string | undefined>;

export function phrasingInput(question: string, answer: Answer): PhrasingInput {
  const deterministicText = [answer.explanation, answer.fix].filter(Boolean).join(" ");
  return {
    question,
    facts: [answer.explanation, ...(answer.fix ? [answer.fix] : []), ...answer.notes],
    findings: answer.findings.map((f) => ({
      rule: f.rule,
      category: f.category,
      severity: f.severity,
      confidence: f.confidence,
      line: f.line,
      message: f.message,
    })),
    predictions: answer.predictions,
    level: answer.level,
    confidence: answer.confidence,
    deterministicText,
  };
}

/**
 * The answer with its prose worded by `phrase`, or as it was. An answer to a question the bot
 * cannot answer stays as it is: its honest "I can't answer that" is not the model's to reword.
 */
export async function phrased(question: string, answer: Answer, phrase: PhraseAnswer | undefined): Promise<Answer> {
  if (!phrase || answer.kind === "unknown") return answer;
  try {
    const text = await phrase(phrasingInput(question, answer));
    return text ? { ...answer, explanation: text, fix: undefined } : answer;
  } catch {
    return answer; // the phrasing layer logs its own failures; the answer never depends on it
  }
}
