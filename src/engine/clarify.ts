/** Level 2: the questions worth asking before reviewing further (missing intent, missing tests). */

export interface ClarifySignals {
  /** True for a pull request; a plain question or a local diff gets no PR-hygiene questions. */
  isPullRequest: boolean;
  title?: string;
  description?: string;
  filesChanged?: number;
  testsChanged?: boolean;
}

/** Descriptions shorter than this say too little about intent to review against. */
export const MIN_DESCRIPTION_CHARS = 30;

const VAGUE_TITLES = /^(wip|fix(es)?|bug ?fix|update[sd]?|changes?|misc|stuff|tmp|temp|test(ing)?|minor|tweaks?|cleanup|refactor|\W*)$/i;

export function clarifyingQuestions(s: ClarifySignals): string[] {
  const questions: string[] = [];
  if (!s.isPullRequest) return questions;
  const description = (s.description ?? "").trim();
  if (description.length < MIN_DESCRIPTION_CHARS) {
    questions.push(
      description === ""
        ? "The description is empty: what does this change do, and why?"
        : "The description is very short: what problem does this solve, and how was it tested?",
    );
  }
  if (s.testsChanged === false && (s.filesChanged ?? 0) > 0) {
    questions.push("Code changed but no tests did: how is this change verified? Could a test cover it?");
  }
  if (s.title !== undefined && isUnclearTitle(s.title)) {
    questions.push(`The title "${s.title.trim()}" doesn't say what changes: could it name the intent?`);
  }
  return questions;
}

export function isUnclearTitle(title: string): boolean {
  const t = title.trim().replace(/^\[?wip\]?:?\s*/i, "");
  const words = t.split(/\s+/).filter((w) => /\w/.test(w));
  return t.length < 8 || words.length < 2 || VAGUE_TITLES.test(t);
}
