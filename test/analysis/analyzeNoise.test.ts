import { runAnalysis } from "../../src/analysis/analyze.js";
import { parsePatch } from "../../src/analysis/diff.js";

const added = (path: string, lines: string[]) =>
  parsePatch(path, `@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}`).join("\n")}`, { status: "added" });

const risky = ["app.get('/run', (req, res) => {", "  eval(req.query.code);", "});"];

describe("runAnalysis noise control", () => {
  it("reports generated, vendored, minified, lock and ignored files as skipped, with no findings in them", async () => {
    const result = await runAnalysis(
      {
        files: [
          added("src/server.js", risky),
          added("api/client/gen.js", risky),
          added("public/app.min.js", risky),
          added("vendor/lib/x.js", risky),
          added("scripts/tmp/run.js", risky),
          added("package-lock.json", ['{ "lockfileVersion": 3 }']),
        ],
        gitattributes: "api/client/** linguist-generated=true\n",
      },
      { ignore: ["scripts/tmp/**"] },
    );
    expect(result.findings.map((f) => f.path)).toEqual(["src/server.js"]);
    expect(result.skipped.map((s) => s.path).sort()).toEqual([
      "api/client/gen.js",
      "package-lock.json",
      "public/app.min.js",
      "scripts/tmp/run.js",
      "vendor/lib/x.js",
    ]);
  });

  it("honours empathy-ignore, lowers confidence in tests, and applies the severity threshold", async () => {
    const silenced = ["app.get('/run', (req, res) => {", "  // empathy-ignore: code-injection", "  eval(req.query.code);", "});"];
    const quiet = await runAnalysis({ files: [added("src/a.js", silenced)] });
    expect(quiet.findings).toEqual([]);

    const [inApp] = (await runAnalysis({ files: [added("src/a.js", risky)] })).findings;
    const [inTest] = (await runAnalysis({ files: [added("test/a.test.js", risky)] })).findings;
    expect(inTest.confidence).toBeLessThan(inApp.confidence);

    const high = await runAnalysis({ files: [added("src/a.js", risky)] }, { minSeverity: inApp.severity });
    expect(high.findings).toHaveLength(1);
    const above = await runAnalysis({ files: [added("src/a.js", risky)] }, { minSeverity: "critical" });
    expect(above.findings.filter((f) => f.severity !== "critical")).toEqual([]);
  });
});
