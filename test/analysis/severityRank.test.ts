import { SEVERITIES, severityRank } from "../../src/analysis/types.js";

describe("severityRank", () => {
  it("orders severities from info (lowest) to critical (highest)", () => {
    const ranks = SEVERITIES.map(severityRank);
    expect(ranks).toEqual(SEVERITIES.map((_, i) => i));
    expect(severityRank("critical")).toBeGreaterThan(severityRank("high"));
    expect(severityRank("low")).toBeGreaterThan(severityRank("info"));
  });
});
