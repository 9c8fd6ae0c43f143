import { pct } from "../../src/text/percent.js";

describe("pct", () => {
  it("shows a 0..1 fraction as a whole percentage, rounded", () => {
    expect(pct(0)).toBe("0%");
    expect(pct(1)).toBe("100%");
    expect(pct(0.856)).toBe("86%");
    expect(pct(0.854)).toBe("85%");
    expect(pct(0.005)).toBe("1%");
  });
});
