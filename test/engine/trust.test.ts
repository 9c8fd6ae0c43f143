import { ACCEPT_DELTA, applyOutcome, INITIAL_TRUST, MAX_RECENT_REJECTIONS, newTrustRecord, REJECT_DELTA } from "../../src/engine/trust.js";
import type { TrustRecord } from "../../src/engine/state.js";

function run(record: TrustRecord, outcomes: ("accepted" | "rejected")[]) {
  const fired: number[] = [];
  for (const o of outcomes) {
    const c = applyOutcome(record, o, 1000);
    fired.push(...c.milestones);
    record = c.record;
  }
  return { record, fired };
}

describe("trust", () => {
  it("starts at 0.5, rises by 0.05 and falls by 0.12", () => {
    const r = newTrustRecord("alice", "o/r");
    expect(r.trust).toBe(INITIAL_TRUST);
    expect(INITIAL_TRUST).toBe(0.5);
    const up = applyOutcome(r, "accepted", 0);
    expect(up).toMatchObject({ oldTrust: 0.5, newTrust: 0.55, delta: 0.05 });
    const down = applyOutcome(r, "rejected", 0);
    expect(down).toMatchObject({ oldTrust: 0.5, newTrust: 0.38, delta: -0.12 });
    expect(REJECT_DELTA).toBeGreaterThan(2 * ACCEPT_DELTA);
    expect(r.trust).toBe(0.5); // pure: input untouched
  });

  it("is asymmetric: one rejection undoes more than two acceptances", () => {
    const { record } = run(newTrustRecord("a", "o/r"), ["accepted", "accepted", "rejected"]);
    expect(record.trust).toBe(0.48);
  });

  it("is clamped to 0..1 and reports a zero delta at the bounds", () => {
    const high = run(newTrustRecord("a", "o/r"), Array(20).fill("accepted")).record;
    expect(high.trust).toBe(1);
    expect(applyOutcome(high, "accepted", 0).delta).toBe(0);
    const low = run(newTrustRecord("a", "o/r"), Array(10).fill("rejected")).record;
    expect(low.trust).toBe(0);
    expect(applyOutcome(low, "rejected", 0).delta).toBe(0);
  });

  it("fires 0.75 and 0.9 once each when crossed upward", () => {
    const { record, fired } = run(newTrustRecord("a", "o/r"), Array(8).fill("accepted"));
    expect(record.trust).toBe(0.9);
    expect(fired).toEqual([0.75, 0.9]);
    // fall below both and climb back: nothing fires again
    const again = run(record, ["rejected", "rejected", "rejected", ...Array(10).fill("accepted")]);
    expect(again.fired).toEqual([]);
    expect(again.record.milestones).toEqual([0.75, 0.9]);
  });

  it("fires 0.5 when climbing back to it from below, once", () => {
    const { fired, record } = run(newTrustRecord("a", "o/r"), ["rejected", "accepted", "accepted", "accepted"]);
    expect(record.trust).toBe(0.53);
    expect(fired).toEqual([0.5]);
    expect(run(record, ["rejected", "accepted", "accepted", "accepted"]).fired).toEqual([]);
  });

  it("remembers recent rejections, bounded", () => {
    const { record } = run(newTrustRecord("a", "o/r"), Array(30).fill("rejected"));
    expect(record.recentRejections).toHaveLength(MAX_RECENT_REJECTIONS);
  });
});
