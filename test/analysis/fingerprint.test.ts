import { fingerprint, normaliseCode, predictionId } from "../../src/analysis/fingerprint.js";
import { runAnalysis } from "../../src/analysis/analyze.js";
import { parsePatch } from "../../src/analysis/diff.js";

describe("fingerprint", () => {
  it("is 16 hex characters and deterministic", () => {
    const fp = fingerprint("js/xss", "src/a.ts", "el.innerHTML = html;");
    expect(fp).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprint("js/xss", "src/a.ts", "el.innerHTML = html;")).toBe(fp);
  });

  it("ignores whitespace differences but not code, rule or path", () => {
    const fp = fingerprint("r", "p", "  a  =  b(1) ");
    expect(fingerprint("r", "p", "a = b(1)")).toBe(fp);
    expect(fingerprint("r", "p", "\ta =\tb(1)")).toBe(fp);
    expect(fingerprint("r", "p", "a = b(2)")).not.toBe(fp); // literals are kept
    expect(fingerprint("r", "p", 'a = b("1")')).not.toBe(fp);
    expect(fingerprint("r2", "p", "a = b(1)")).not.toBe(fp);
    expect(fingerprint("r", "p2", "a = b(1)")).not.toBe(fp);
    expect(normaliseCode("  x \n  y ")).toBe("x y");
  });

  it("derives prediction ids", () => {
    expect(predictionId("0123456789abcdef")).toBe("pred-0123456789ab");
  });

  it("keeps a finding's fingerprint when the line moves", async () => {
    const at = async (line: number) =>
      (
        await runAnalysis({
          files: [parsePatch("src/run.js", `@@ -${line},1 +${line},2 @@\n const a = 1;\n+  eval(userInput);`)],
        })
      ).findings;
    const [first] = await at(3);
    const [moved] = await at(120);
    expect(first.rule).toBe("js/code-injection");
    expect(first.line).toBe(4);
    expect(moved.line).toBe(121);
    expect(moved.fingerprint).toBe(first.fingerprint);
  });
});
