import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import {
  CATEGORIES,
  SEVERITIES,
  type AnalysisResult,
  type Category,
  type Finding,
  type Prediction,
  type Severity,
} from "../../src/analysis/types.js";
import { buildSarifLog, cweOf, FINGERPRINT_KEY, repositoryUri, SARIF_SCHEMA, SECURITY_SEVERITY, SRCROOT } from "../../src/report/sarif.js";
import { sarifSchemaErrors } from "../helpers/sarifSchema.js";

const TOOL = { version: "1.2.3", informationUri: "https://example.org/empathy-bot" };

function finding(over: Partial<Finding> = {}): Finding {
  return {
    rule: "js/sql-injection",
    category: "sql-injection",
    path: "src/orders/export.js",
    line: 5,
    side: "RIGHT",
    severity: "high",
    confidence: 0.9,
    message: "SQL text is built from a runtime value.",
    recommendation: "Pass values as parameters.",
    fingerprint: "0123456789abcdef",
    ...over,
  };
}

const prediction: Prediction = {
  id: "pred-aaaaaaaaaaaa",
  kind: "migration-drop-column",
  prediction: "Readers of users.email break.",
  confidence: 0.8,
  severity: "critical",
  impact: "Every service reading users.email.",
  tags: ["database"],
  recommendation: "Deprecate the column first.",
  path: "db/migrations/1_drop.sql",
  line: 2,
  side: "RIGHT",
  fingerprint: "fedcba9876543210",
};

describe("buildSarifLog", () => {
  it("writes one run that the official SARIF 2.1.0 schema accepts, with a rule per rule id that has a result", () => {
    const log = buildSarifLog(
      {
        findings: [
          finding(),
          finding({
            rule: "py/command-injection",
            category: "command-injection",
            path: "app/views.py",
            line: 8,
            fingerprint: "1111111111111111",
          }),
          finding({ line: 9, fingerprint: "2222222222222222", severity: "medium" }),
        ],
      },
      TOOL,
    );
    expect(sarifSchemaErrors(log)).toEqual([]);
    expect(log.$schema).toBe(SARIF_SCHEMA);
    expect(log.version).toBe("2.1.0");
    expect(log.runs).toHaveLength(1);
    const [run] = log.runs;
    expect(run.tool.driver).toMatchObject({ name: "Empathy bot", version: "1.2.3", informationUri: TOOL.informationUri });
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(["js/sql-injection", "py/command-injection"]);
    const [sql, cmd] = run.tool.driver.rules;
    expect(sql).toMatchObject({
      name: "SqlInjection",
      shortDescription: { text: "SQL injection (JavaScript)" },
      helpUri: "https://cwe.mitre.org/data/definitions/89.html",
      properties: { tags: ["security", "external/cwe/cwe-89"], "security-severity": "8.0" },
    });
    expect(sql.fullDescription.text).toMatch(/\(CWE-89\)\.$/);
    expect(sql.help.text).toContain("Pass values as parameters.");
    expect(cmd.shortDescription.text).toBe("Command injection (Python)");
    expect(cmd.properties.tags).toEqual(["security", "external/cwe/cwe-78"]);

    expect(run.results.map((r) => [r.ruleId, r.ruleIndex, r.locations[0].physicalLocation.artifactLocation.uri])).toEqual([
      ["py/command-injection", 1, "app/views.py"],
      ["js/sql-injection", 0, "src/orders/export.js"],
      ["js/sql-injection", 0, "src/orders/export.js"],
    ]);
    const first = run.results[1];
    expect(first).toMatchObject({
      level: "error",
      message: { text: "SQL text is built from a runtime value." },
      locations: [
        {
          physicalLocation: { artifactLocation: { uri: "src/orders/export.js", uriBaseId: SRCROOT }, region: { startLine: 5, endLine: 5 } },
        },
      ],
      partialFingerprints: { primaryLocationLineHash: "0123456789abcdef", [FINGERPRINT_KEY]: "0123456789abcdef" },
    });
    expect(run.results[2].level).toBe("warning");
    expect(Object.keys(run.originalUriBaseIds)).toEqual([SRCROOT]);
  });

  it("maps each severity to GitHub's security-severity band and to a SARIF level", () => {
    const levels: Record<Severity, string> = { critical: "error", high: "error", medium: "warning", low: "note", info: "note" };
    const band: Record<Severity, [number, number]> = {
      critical: [9, 10],
      high: [7, 8.9],
      medium: [4, 6.9],
      low: [0.1, 3.9],
      info: [0.1, 3.9],
    };
    expect(SECURITY_SEVERITY).toEqual({ critical: "9.5", high: "8.0", medium: "5.5", low: "3.0", info: "1.0" });
    for (const severity of SEVERITIES) {
      const log = buildSarifLog({ findings: [finding({ severity })] }, TOOL);
      const score = log.runs[0].tool.driver.rules[0].properties["security-severity"]!;
      expect([severity, typeof score, Number(score) >= band[severity][0] && Number(score) <= band[severity][1]]).toEqual([
        severity,
        "string",
        true,
      ]);
      expect([severity, log.runs[0].results[0].level]).toEqual([severity, levels[severity]]);
    }
  });

  it("gives a rule the worst severity of its results, and no security-severity or security tag outside security categories", () => {
    const mixed = buildSarifLog(
      {
        findings: [
          finding({ severity: "low", fingerprint: "a" }),
          finding({ severity: "critical", line: 7, fingerprint: "b" }),
          finding({ rule: "js/debugger-statement", category: "debug-leftover", severity: "low", fingerprint: "c" }),
        ],
      },
      TOOL,
    );
    const rules = Object.fromEntries(mixed.runs[0].tool.driver.rules.map((r) => [r.id, r]));
    expect(rules["js/sql-injection"].properties["security-severity"]).toBe("9.5");
    expect(rules["js/debugger-statement"].properties).toEqual({ tags: ["maintainability", "external/cwe/cwe-489"] });
    expect(sarifSchemaErrors(mixed)).toEqual([]);
    // A category without a CWE: no CWE tag, no help link.
    const plain = buildSarifLog({ findings: [finding({ rule: "diff/large-change", category: "large-change" })] }, TOOL);
    expect(plain.runs[0].tool.driver.rules[0].properties).toEqual({ tags: ["maintainability"] });
    expect(plain.runs[0].tool.driver.rules[0].helpUri).toBeUndefined();
    expect(sarifSchemaErrors(plain)).toEqual([]);
  });

  it("describes every category in a way the schema accepts", () => {
    const findings = CATEGORIES.map((category: Category, i) => finding({ rule: `x/${category}`, category, fingerprint: `f${i}` }));
    const log = buildSarifLog({ findings }, { version: "0.1.0" });
    expect(log.runs[0].tool.driver.rules).toHaveLength(CATEGORIES.length);
    for (const rule of log.runs[0].tool.driver.rules) expect(rule.shortDescription.text.length).toBeGreaterThan(0);
    expect(log.runs[0].tool.driver).not.toHaveProperty("informationUri");
    expect(sarifSchemaErrors(log)).toEqual([]);
  });

  it("tags each rule with the CWE its rule file names (rules/), and other rules with their category's", () => {
    const root = new URL("../../rules/", import.meta.url).pathname;
    let checked = 0;
    for (const lang of readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      for (const file of readdirSync(join(root, lang.name)).filter((f) => f.endsWith(".yml"))) {
        const rule = parse(readFileSync(join(root, lang.name, file), "utf8")) as {
          id: string;
          metadata: { category: Category; cwe?: string };
        };
        if (rule.metadata.cwe === undefined) continue;
        expect([rule.id, cweOf(rule.id, rule.metadata.category)]).toEqual([rule.id, rule.metadata.cwe]);
        const log = buildSarifLog({ findings: [finding({ rule: rule.id, category: rule.metadata.category })] }, TOOL);
        const tags = log.runs[0].tool.driver.rules[0].properties.tags.filter((t) => t.startsWith("external/cwe/"));
        expect([rule.id, tags]).toEqual([rule.id, [`external/cwe/${rule.metadata.cwe.toLowerCase()}`]]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(90);
    expect(cweOf("secrets/hardcoded-secret", "hardcoded-secret")).toBe("CWE-798");
  });

  it("is the same text for the same findings in any order, and leaves predictions out", () => {
    const findings = [
      finding(),
      finding({ path: "a.js", fingerprint: "9" }),
      finding({ rule: "secrets/hardcoded-secret", category: "hardcoded-secret", fingerprint: "8" }),
      finding({ line: 2, fingerprint: "7" }),
    ];
    const a = JSON.stringify(buildSarifLog({ findings }, TOOL));
    const b = JSON.stringify(buildSarifLog({ findings: [...findings].reverse() }, TOOL));
    expect(a).toBe(b);
    const analysis: AnalysisResult = { findings, predictions: [prediction], skipped: [], stats: { files: 1, linesAnalyzed: 1 } };
    const withPrediction = buildSarifLog(analysis, TOOL);
    expect(JSON.stringify(withPrediction)).toBe(a);
    expect(JSON.stringify(withPrediction)).not.toContain(prediction.fingerprint);
  });

  it("is a valid empty run when there is nothing to report", () => {
    const log = buildSarifLog({ findings: [] }, TOOL);
    expect(log.runs[0].results).toEqual([]);
    expect(log.runs[0].tool.driver.rules).toEqual([]);
    expect(sarifSchemaErrors(log)).toEqual([]);
  });

  it("never writes a secret, even one a message or recommendation would carry", () => {
    const token = ["ghp_", "4fR9tXb2Lq7Wz1Vn8Kc3Hs6Jd0Mp5Ye2Ua9Q"].join("");
    const log = buildSarifLog(
      { findings: [finding({ message: `Token ${token} is committed.`, recommendation: `Revoke ${token}.` })] },
      TOOL,
    );
    const text = JSON.stringify(log);
    expect(text).not.toContain(token);
    expect(text).toContain("[REDACTED");
    expect(sarifSchemaErrors(log)).toEqual([]);
  });

  it("places a finding on a deleted line at its file only: that line is not in the analysed commit", () => {
    const log = buildSarifLog({ findings: [finding({ side: "LEFT", line: 3 })] }, TOOL);
    expect(log.runs[0].results[0].locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: "src/orders/export.js", uriBaseId: SRCROOT },
    });
    expect(sarifSchemaErrors(log)).toEqual([]);
  });

  it("writes paths as relative URIs and leaves out findings whose path is not inside the repository", () => {
    expect(repositoryUri("dir with space/a#b%.js")).toBe("dir%20with%20space/a%23b%25.js");
    expect(repositoryUri("src/ünï/çödé.py")).toBe("src/%C3%BCn%C3%AF/%C3%A7%C3%B6d%C3%A9.py");
    for (const bad of [
      "",
      "/etc/passwd",
      "../secrets.env",
      "a/../../b",
      "./a.js",
      "a//b.js",
      "C:\\Windows\\x.js",
      "c:/x.js",
      "a\u0000b.js",
      "a\nb.js",
    ]) {
      expect([bad, repositoryUri(bad)]).toEqual([bad, undefined]);
    }
    const log = buildSarifLog(
      {
        findings: [
          finding({ path: "../outside.js", fingerprint: "1" }),
          finding({ path: "/abs.js", fingerprint: "2" }),
          finding({ path: "odd name #1.js", fingerprint: "3" }),
        ],
      },
      TOOL,
    );
    expect(log.runs[0].results.map((r) => r.locations[0].physicalLocation.artifactLocation.uri)).toEqual(["odd%20name%20%231.js"]);
    expect(sarifSchemaErrors(log)).toEqual([]);
  });

  it("the schema check itself rejects a log that breaks the schema", () => {
    const log = buildSarifLog({ findings: [finding()] }, TOOL) as unknown as { runs: { results: { level: string }[] }[] };
    log.runs[0].results[0].level = "critical";
    expect(sarifSchemaErrors(log).length).toBeGreaterThan(0);
    expect(
      sarifSchemaErrors({ version: "2.1.0", runs: [{ tool: { driver: { name: "x", informationUri: "not a uri" } } }] }).length,
    ).toBeGreaterThan(0);
  });
});
