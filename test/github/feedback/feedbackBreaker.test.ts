/** The trust circuit breaker as a pure function of a repository's feedback log: when it opens and closes. */
import {
  breakerNotice,
  breakerState,
  BREAKER_COOLDOWN_MS,
  BREAKER_RECOVERY_ACCEPTANCES,
  BREAKER_REJECTIONS,
  BREAKER_WINDOW_MS,
} from "../../../src/github/feedback/feedbackBreaker.js";
import type { FeedbackEntry } from "../../../src/store/store.js";

const HOUR = 3600_000;
const t0 = Date.UTC(2026, 10, 1);
let n = 0;
const rejected = (at: number): FeedbackEntry => ({ key: `k${++n}`, outcome: "rejected", userId: "u", createdAt: at });
const accepted = (at: number): FeedbackEntry => ({ key: `k${++n}`, outcome: "accepted", userId: "u", createdAt: at });

describe("trust circuit breaker", () => {
  it("is closed with no feedback, and with fewer rejections than the threshold", () => {
    expect(breakerState([], t0).open).toBe(false);
    const two = Array.from({ length: BREAKER_REJECTIONS - 1 }, (_, i) => rejected(t0 + i * HOUR));
    expect(breakerState(two, t0 + 3 * HOUR)).toMatchObject({ open: false, recentRejections: BREAKER_REJECTIONS - 1 });
  });

  it(`opens at ${BREAKER_REJECTIONS} rejections within the window, not when they are spread wider`, () => {
    const close = [rejected(t0), rejected(t0 + HOUR), rejected(t0 + 2 * HOUR)];
    expect(breakerState(close, t0 + 3 * HOUR)).toMatchObject({
      open: true,
      openedAt: t0 + 2 * HOUR,
      acceptancesToRecover: BREAKER_RECOVERY_ACCEPTANCES,
    });
    const spread = [rejected(t0), rejected(t0 + BREAKER_WINDOW_MS / 2 + HOUR), rejected(t0 + BREAKER_WINDOW_MS + HOUR)];
    expect(breakerState(spread, t0 + BREAKER_WINDOW_MS + 2 * HOUR).open).toBe(false);
  });

  it("closes when trust recovers: enough acceptances, or a quiet period", () => {
    const tripped = [rejected(t0), rejected(t0 + 1), rejected(t0 + 2)];
    const some = [...tripped, ...Array.from({ length: BREAKER_RECOVERY_ACCEPTANCES - 1 }, (_, i) => accepted(t0 + HOUR + i))];
    expect(breakerState(some, t0 + 2 * HOUR)).toMatchObject({ open: true, acceptancesToRecover: 1 });
    expect(breakerState([...some, accepted(t0 + 2 * HOUR)], t0 + 3 * HOUR).open).toBe(false);
    expect(breakerState(tripped, t0 + BREAKER_COOLDOWN_MS + 10).open).toBe(false);
    expect(breakerState(tripped, t0 + BREAKER_COOLDOWN_MS - HOUR).open).toBe(true);
  });

  it("acceptances before the trip do not count toward recovery, and a new burst reopens it", () => {
    const entries = [accepted(t0), accepted(t0 + 1), accepted(t0 + 2), rejected(t0 + 3), rejected(t0 + 4), rejected(t0 + 5)];
    expect(breakerState(entries, t0 + HOUR).open).toBe(true);
    const recovered = [...entries, accepted(t0 + 6), accepted(t0 + 7), accepted(t0 + 8)];
    expect(breakerState(recovered, t0 + HOUR).open).toBe(false);
    const again = [...recovered, rejected(t0 + 9)];
    expect(breakerState(again, t0 + HOUR).open).toBe(true); // still 3+ rejections in the window
  });

  it("the notice says what is limited and how it recovers", () => {
    const state = breakerState([rejected(t0), rejected(t0 + 1), rejected(t0 + 2)], t0 + 3);
    expect(breakerNotice(state)).toMatch(
      /cautious mode.*3 more accepted.*opens no issues, posts at most 5 inline comments and asks questions instead of making predictions/,
    );
  });
});
