import { performance } from "node:perf_hooks";
import { detectSecrets } from "../../src/analysis/secrets.js";

// secretlint 12 marks the performance timeline per rule per file and keeps every mark; in a
// long-lived worker that made each file slower than the last. Detection must leave no marks.
describe("secretlint profiling", () => {
  it("leaves no performance marks behind, however many files are scanned", async () => {
    const before = performance.getEntriesByType("mark").length;
    for (let i = 0; i < 20; i++) {
      const found = await detectSecrets(`const token = "ghp_${"a1B2c3D4e5".repeat(3)}abcdef";\n`, { path: `src/file${i}.ts` });
      expect(found.length).toBeGreaterThan(0);
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(performance.getEntriesByType("mark").length).toBe(before);
  });
});
