/**
 * The trust circuit breaker: several rejections (dismissed findings, prediction issues closed
 * as not planned) in a short window lower the app's autonomy in that repository: no issues
 * opened on its own, fewer inline comments, questions instead of predictions. It closes again
 * when trust recovers: enough acceptances since it opened, or a quiet period without rejections.
 * A pure function over the repository's feedback log, so a restart changes nothing.
 */
import type { FeedbackEntry } from "../../store/store.js";

/** This many rejections... */
export const BREAKER_REJECTIONS = 3;
/** ...within this window open the breaker. */
export const BREAKER_WINDOW_MS = 24 * 60 * 60_000;
/** Accepted feedback since it opened that closes it again. */
export const BREAKER_RECOVERY_ACCEPTANCES = 3;
/** Without a new rejection for this long, it closes by itself. */
export const BREAKER_COOLDOWN_MS = 7 * 24 * 60 * 60_000;
/** How far back the log is read (older entries cannot matter). */
export const BREAKER_LOOKBACK_MS = 30 * 24 * 60 * 60_000;
/** While open: at most this many inline comments per review. */
export const BREAKER_MAX_INLINE_COMMENTS = 5;
/** While open: the highest level (3: questions and findings, no predictions, no level 5). */
export const BREAKER_LEVEL_CAP = 3;

export interface BreakerState {
  open: boolean;
  /** When it (last) opened. */
  openedAt: number | null;
  /** Rejections within the window ending now. */
  recentRejections: number;
  /** Acceptances still needed to close it (0 when closed). */
  acceptancesToRecover: number;
}

export function breakerState(entries: FeedbackEntry[], now: number): BreakerState {
  const sorted = [...entries].sort((a, b) => a.createdAt - b.createdAt);
  let open = false;
  let openedAt: number | null = null;
  let accepted = 0;
  let lastRejection = -Infinity;
  const rejections: number[] = [];
  for (const e of sorted) {
    if (open && e.createdAt - lastRejection >= BREAKER_COOLDOWN_MS) open = false;
    if (e.outcome === "rejected") {
      rejections.push(e.createdAt);
      lastRejection = e.createdAt;
      const inWindow = rejections.filter((t) => e.createdAt - t < BREAKER_WINDOW_MS).length;
      if (inWindow >= BREAKER_REJECTIONS) {
        if (!open) openedAt = e.createdAt;
        open = true;
        accepted = 0;
      }
    } else if (open) {
      accepted++;
      if (accepted >= BREAKER_RECOVERY_ACCEPTANCES) open = false;
    }
  }
  if (open && now - lastRejection >= BREAKER_COOLDOWN_MS) open = false;
  return {
    open,
    openedAt: open ? openedAt : null,
    recentRejections: rejections.filter((t) => now - t < BREAKER_WINDOW_MS).length,
    acceptancesToRecover: open ? BREAKER_RECOVERY_ACCEPTANCES - accepted : 0,
  };
}

/** The line the summary comment carries while the breaker is open. */
export function breakerNotice(state: BreakerState): string {
  return (
    `Empathy is in cautious mode in this repository: ${BREAKER_REJECTIONS} or more findings or predictions were rejected within ` +
    `${Math.round(BREAKER_WINDOW_MS / 3_600_000)} hours. Until trust recovers (${state.acceptancesToRecover} more accepted ` +
    `finding(s), or ${Math.round(BREAKER_COOLDOWN_MS / 86_400_000)} days without a rejection) it opens no issues, posts at most ` +
    `${BREAKER_MAX_INLINE_COMMENTS} inline comments and asks questions instead of making predictions.`
  );
}
