/**
 * Learned patterns: a finding rule or prediction kind that keeps coming back in a repository.
 * Pure functions over PatternRecord; EmpathyOS loads and saves them.
 */
import { createHash } from "node:crypto";
import type { PatternRecord } from "./state.js";

/** Seen in this many distinct pull requests: learned. */
export const LEARN_AFTER_PRS = 2;
/** Seen in this many: the rule of three, time for a systemic fix (level 5). */
export const RULE_OF_THREE = 3;
/**
 * Pull requests a pattern remembers: the most recent ones. The record is read and written whole on
 * every review that sees the pattern, so it must not grow with the repository's history.
 * `occurrences` keeps counting every distinct pull request ever seen.
 */
export const MAX_PATTERN_PRS = 50;
/** Outcomes at which a pattern's confidence and an item's own weigh equally when blended. */
export const BLEND_HALF_WEIGHT = 5;

export function patternId(repo: string, key: string): string {
  return "pat-" + createHash("sha256").update(`${repo}\u0000${key}`).digest("hex").slice(0, 12);
}

export function newPattern(repo: string, key: string): PatternRecord {
  return {
    id: patternId(repo, key),
    repo,
    key,
    name: key,
    occurrences: 0,
    successes: 0,
    failures: 0,
    confidence: patternConfidence(0, 0),
    learned: false,
    prNumbers: [],
  };
}

/**
 * Laplace's rule of succession: 0.5 with no outcomes, near the prior with few, and tending to
 * the observed success rate as outcomes accumulate (80 of 100 accepted gives ~0.79).
 */
export function patternConfidence(successes: number, failures: number): number {
  return round((successes + 1) / (successes + failures + 2));
}

export interface OccurrenceResult {
  record: PatternRecord;
  /** True when this occurrence made the pattern learned (fire pattern_learned once). */
  newlyLearned: boolean;
}

/**
 * Counts one sighting in a pull request; a second sighting in the same PR counts nothing (while
 * that PR is among the MAX_PATTERN_PRS remembered: an older one seen again counts again).
 */
export function recordOccurrence(record: PatternRecord, prNumber: number): OccurrenceResult {
  if (record.prNumbers.includes(prNumber)) return { record, newlyLearned: false };
  const seen = [...record.prNumbers, prNumber];
  const prNumbers = seen.slice(-MAX_PATTERN_PRS);
  const occurrences = pullRequestCount(record) + 1;
  const learned = record.learned || occurrences >= LEARN_AFTER_PRS;
  return {
    record: { ...record, prNumbers, occurrences, learned },
    newlyLearned: learned && !record.learned,
  };
}

export interface OutcomeResult {
  record: PatternRecord;
  oldConfidence: number;
  newConfidence: number;
}

export function recordPatternOutcome(record: PatternRecord, success: boolean): OutcomeResult {
  const successes = record.successes + (success ? 1 : 0);
  const failures = record.failures + (success ? 0 : 1);
  const newConfidence = patternConfidence(successes, failures);
  return {
    record: { ...record, successes, failures, confidence: newConfidence },
    oldConfidence: record.confidence,
    newConfidence,
  };
}

/** The distinct pull requests a pattern was seen in (prNumbers keeps only the most recent; records older than the cap may lack occurrences). */
export function pullRequestCount(record: PatternRecord): number {
  return Math.max(record.occurrences, record.prNumbers.length);
}

/** Learned and seen in at least three distinct pull requests. */
export function isTransformative(record: PatternRecord): boolean {
  return record.learned && pullRequestCount(record) >= RULE_OF_THREE;
}

/**
 * A finding's or prediction's confidence, corrected by what feedback taught about its pattern.
 * The pattern's weight grows with its number of outcomes, so an untested pattern changes nothing.
 */
export function blendConfidence(itemConfidence: number, record: PatternRecord): number {
  const outcomes = record.successes + record.failures;
  const w = outcomes / (outcomes + BLEND_HALF_WEIGHT);
  return round((1 - w) * itemConfidence + w * record.confidence);
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
