import { truncate } from "../../src/text/truncate.js";

describe("truncate", () => {
  it("keeps text that fits as it is", () => {
    expect(truncate("hello", 5)).toBe("hello");
    expect(truncate("", 0)).toBe("");
  });

  it("cuts to at most max characters, ending with …", () => {
    expect(truncate("hello world", 6)).toBe("hello…");
    expect(truncate("hello world", 6)).toHaveLength(6);
  });

  it("never splits a surrogate pair (an emoji) in half", () => {
    const text = `ab${"😀".repeat(5)}`;
    for (let max = 2; max < text.length; max++) {
      const out = truncate(text, max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    }
    expect(truncate(text, 4)).toBe("ab…");
  });

  it("has no room for … at a max of 0 or 1", () => {
    expect(truncate("hello", 1)).toBe("h");
    expect(truncate("hello", 0)).toBe("");
    expect(truncate("hello", -3)).toBe("");
  });
});
