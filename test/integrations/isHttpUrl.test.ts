import { isHttpUrl } from "../../src/integrations/common.js";

describe("isHttpUrl", () => {
  it("accepts absolute http and https URLs", () => {
    expect(isHttpUrl("https://hooks.slack.com/commands/T1/2")).toBe(true);
    expect(isHttpUrl("http://localhost:8080/x")).toBe(true);
  });

  it("refuses other schemes, relative and malformed URLs", () => {
    for (const value of [
      "ftp://example.com",
      "javascript:alert(1)",
      "file:///etc/passwd",
      "/relative/path",
      "example.com",
      "",
      "https//missing-colon",
    ]) {
      expect(isHttpUrl(value)).toBe(false);
    }
  });
});
