/**
 * Trust per (user, repository): pure functions over TrustRecord.
 * Rejections weigh more than acceptances, so a bot that annoys loses autonomy quickly and
 * has to earn it back slowly.
 */
import type { TrustRecord } from "./state.js";

export const INITIAL_TRUST = 0.5;
export const ACCEPT_DELTA = 0.05;
export const REJECT_DELTA = 0.12;
export const TRUST_MILESTONES = [0.5, 0.75, 0.9] as const;
/** Enough history for a later circuit breaker, bounded so the record stays small. */
export const MAX_RECENT_REJECTIONS = 20;

export type Outcome = "accepted" | "rejected";

export interface TrustChange {
  record: TrustRecord;
  oldTrust: number;
  newTrust: number;
  /** newTrust - oldTrust (0 when already at a bound). */
  delta: number;
  /** Milestones crossed upward for the first time by this change. */
  milestones: number[];
}

export function newTrustRecord(userId: string, repo: string): TrustRecord {
  return { userId, repo, trust: INITIAL_TRUST, milestones: [], recentRejections: [] };
}

/** Applies one outcome; returns a new record (the input is not modified). */
export function applyOutcome(record: TrustRecord, outcome: Outcome, nowMs: number): TrustChange {
  const oldTrust = record.trust;
  const step = outcome === "accepted" ? ACCEPT_DELTA : -REJECT_DELTA;
  const newTrust = round(clamp(oldTrust + step));
  const milestones = TRUST_MILESTONES.filter((m) => oldTrust < m && newTrust >= m && !record.milestones.includes(m));
  const recentRejections =
    outcome === "rejected" ? [...record.recentRejections, nowMs].slice(-MAX_RECENT_REJECTIONS) : [...record.recentRejections];
  return {
    record: { ...record, trust: newTrust, milestones: [...record.milestones, ...milestones], recentRejections },
    oldTrust,
    newTrust,
    delta: round(newTrust - oldTrust),
    milestones,
  };
}

function clamp(x: number): number {
  return Math.min(1, Math.max(0, x));
}

/** Keeps values like 0.75 exact instead of 0.7500000000000001, so milestone checks are reliable. */
function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
