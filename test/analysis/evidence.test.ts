import { runAnalysis } from "../../src/analysis/analyze.js";
import { parsePatch } from "../../src/analysis/diff.js";
import { severityFor } from "../../src/analysis/evidence.js";

describe("severityFor: severity follows evidence", () => {
  it("keeps high and critical for request input proven to reach the sink, at a confident level", () => {
    expect(severityFor("critical", "sql-injection", "request-input", 0.9)).toBe("critical");
    expect(severityFor("high", "xss", "request-input", 0.85)).toBe("high");
    expect(severityFor("low", "xss", "request-input", 0.9)).toBe("low"); // never raised
  });

  it("caps what was not proven: assembled values, local input, patterns at medium; audit-level sinks at low", () => {
    expect(severityFor("high", "sql-injection", "assembled", 0.8)).toBe("medium");
    expect(severityFor("high", "command-injection", "local-input", 0.8)).toBe("medium");
    expect(severityFor("high", "path-traversal", "local-input", 0.8)).toBe("low"); // a CLI option is the operator's own file
    expect(severityFor("high", "insecure-tls", "pattern", 0.9)).toBe("medium");
    expect(severityFor("high", "code-injection", "non-constant", 0.8)).toBe("low"); // eval(x), origin unknown
    expect(severityFor("high", "insecure-deserialization", "non-constant", 0.8)).toBe("medium");
  });

  it("never shows an unsure finding as high", () => {
    expect(severityFor("critical", "sql-injection", "request-input", 0.65)).toBe("medium");
    expect(severityFor("critical", "sql-injection", "request-input", 0.36)).toBe("low");
  });
});

describe("findings carry the severity their evidence supports", () => {
  async function severities(path: string, text: string): Promise<string[]> {
    const lines = text.split("\n");
    const file = parsePatch(path, `@@ -0,0 +1,${lines.length} @@\n` + lines.map((l) => "+" + l).join("\n"), { status: "added" });
    const result = await runAnalysis({ files: [file], fileContents: new Map([[path, text]]) });
    return result.findings.filter((f) => f.category === "sql-injection").map((f) => f.severity);
  }

  it("high for request input in SQL, medium for a value of unknown origin assembled into SQL", async () => {
    const fromRequest = [
      'const express = require("express");',
      "const app = express();",
      'app.get("/u", async (req, res) => {',
      '  const rows = await db.query("SELECT * FROM users WHERE id = " + req.query.id);',
      "  res.json(rows);",
      "});",
    ].join("\n");
    const unknown = [
      "async function find(db, id) {",
      '  return db.query("SELECT * FROM users WHERE id = " + id);',
      "}",
      "module.exports = { find };",
    ].join("\n");
    expect(await severities("src/routes.js", fromRequest)).toEqual(["high"]);
    expect(await severities("src/users.js", unknown)).toEqual(["medium"]);
  });
});
