/**
 * Which of the five empathy levels an interaction gets: the highest one it warrants, within the
 * configured target level and within what the user's trust allows.
 */

export type EmpathyLevel = 1 | 2 | 3 | 4 | 5;

export const LEVEL_NAMES: Record<EmpathyLevel, string> = {
  1: "reactive",
  2: "guided",
  3: "proactive",
  4: "anticipatory",
  5: "transformative",
};

/** Below this trust the bot keeps to questions and suggestions: no predictions, no level 5. */
export const LOW_TRUST_THRESHOLD = 0.25;
export const LOW_TRUST_CAP: EmpathyLevel = 3;

export interface LevelSignals {
  questions: number;
  findings: number;
  predictions: number;
  /** Learned patterns of this interaction seen in >= 3 pull requests. */
  recurringPatterns: number;
}

export interface LevelDecision {
  level: EmpathyLevel;
  /** Highest level the interaction warrants, before caps. */
  warranted: EmpathyLevel;
  /** min(targetLevel, trust cap): what may be shown (findings need >= 3, predictions >= 4). */
  cap: EmpathyLevel;
  reason: string;
}

/** Accepts anything, returns 1..5: a bad config value must not break a review. */
export function normalizeLevel(value: unknown, fallback: EmpathyLevel = 5): EmpathyLevel {
  const n = typeof value === "number" && Number.isFinite(value) ? Math.trunc(value) : fallback;
  return Math.min(5, Math.max(1, n)) as EmpathyLevel;
}

export function levelCap(targetLevel: number, trust: number): EmpathyLevel {
  const target = normalizeLevel(targetLevel);
  return trust < LOW_TRUST_THRESHOLD ? (Math.min(target, LOW_TRUST_CAP) as EmpathyLevel) : target;
}

export function warrantedLevel(s: LevelSignals): EmpathyLevel {
  if (s.recurringPatterns > 0) return 5;
  if (s.predictions > 0) return 4;
  if (s.findings > 0) return 3;
  if (s.questions > 0) return 2;
  return 1;
}

export function decideLevel(signals: LevelSignals, targetLevel: number, trust: number): LevelDecision {
  const warranted = warrantedLevel(signals);
  const cap = levelCap(targetLevel, trust);
  const level = Math.min(warranted, cap) as EmpathyLevel;
  return { level, warranted, cap, reason: explain(signals, warranted, level, normalizeLevel(targetLevel), trust) };
}

function explain(s: LevelSignals, warranted: EmpathyLevel, level: EmpathyLevel, target: EmpathyLevel, trust: number): string {
  const why: Record<EmpathyLevel, string> = {
    1: "a summary of the change",
    2: `${s.questions} clarifying question(s)`,
    3: `${s.findings} finding(s) present`,
    4: `${s.predictions} prediction(s)`,
    5: `${s.recurringPatterns} recurring pattern(s) (rule of three)`,
  };
  if (level === warranted) return `${LEVEL_NAMES[level]}: ${why[level]}`;
  const capNote =
    trust < LOW_TRUST_THRESHOLD && level === LOW_TRUST_CAP && target > LOW_TRUST_CAP
      ? `low trust (${trust.toFixed(2)})`
      : `target level ${target}`;
  return `${LEVEL_NAMES[level]}: ${why[warranted]} warranted level ${warranted}, capped by ${capNote}`;
}
