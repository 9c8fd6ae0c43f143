/**
 * Which knowledge-base entry a question is about: keyword scoring, deterministic. A phrase of
 * several words (or with punctuation) that appears in the question scores 3, a single keyword
 * found as a whole word 1, the entry's own id 2; the highest score wins, ties go to the first
 * entry in knowledge order. Below MIN_SCORE the question is not understood.
 */
import { CATEGORY_KNOWLEDGE, COMMAND_KNOWLEDGE, CONFIG_KNOWLEDGE, LEVEL_KNOWLEDGE, type KnowledgeEntry } from "./knowledge.js";

export const ALL_KNOWLEDGE: readonly KnowledgeEntry[] = [
  ...CATEGORY_KNOWLEDGE,
  ...LEVEL_KNOWLEDGE,
  ...COMMAND_KNOWLEDGE,
  ...CONFIG_KNOWLEDGE,
];

const MIN_SCORE = 1;

export interface Match {
  entry: KnowledgeEntry;
  score: number;
}

/** Lower case, with words kept apart by single spaces (so whole-word tests are substring tests). */
function normalise(text: string): string {
  return ` ${text.toLowerCase().replace(/\s+/g, " ")} `;
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[\w]/.test(c);
}

/** Whole-word occurrence: no letter or digit just before or after. */
function hasWord(haystack: string, needle: string): boolean {
  let from = 0;
  for (;;) {
    const at = haystack.indexOf(needle, from);
    if (at < 0) return false;
    if (!isWordChar(haystack[at - 1]) && !isWordChar(haystack[at + needle.length])) return true;
    from = at + 1;
  }
}

export function scoreEntry(entry: KnowledgeEntry, question: string): number {
  const q = normalise(question);
  let score = 0;
  for (const keyword of entry.keywords) {
    const k = keyword.toLowerCase();
    const phrase = /[^a-z0-9]/.test(k);
    if (phrase ? q.includes(k) : hasWord(q, k)) score += phrase ? 3 : 1;
  }
  if (entry.kind === "category" && hasWord(q, entry.id)) score += 2;
  return score;
}

/** The best entries, best first (at most `limit`), each scoring at least MIN_SCORE. */
export function matchKnowledge(question: string, limit = 3, entries: readonly KnowledgeEntry[] = ALL_KNOWLEDGE): Match[] {
  const scored = entries.map((entry, i) => ({ entry, score: scoreEntry(entry, question), i }));
  return scored
    .filter((s) => s.score >= MIN_SCORE)
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, limit)
    .map(({ entry, score }) => ({ entry, score }));
}
