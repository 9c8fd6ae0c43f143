/** The explanation of one shown finding (pure): code at the line, why, the fix; odd stored items do not break it. */
import { explainFinding } from "../../src/answers/explain.js";

const item = {
  rule: "py/unsafe-yaml",
  category: "insecure-deserialization",
  path: "app/config.py",
  line: 3,
  side: "RIGHT",
  severity: "medium",
  confidence: 0.85,
  message: "YAML is loaded with a loader that can construct arbitrary Python objects.",
  recommendation: "Use yaml.safe_load.",
};
const lines = ["import yaml", "", "cfg = yaml.load(body)", "print(cfg)"];

describe("explainFinding", () => {
  it("shows the lines around the finding in the file's language, and the suggestion block when given", () => {
    const text = explainFinding({
      fingerprint: "0123456789abcdef",
      item,
      fileLines: lines,
      suggestion: { startLine: 3, endLine: 3, replacement: "cfg = yaml.safe_load(body)" },
      idLength: 8,
    });
    expect(text).toMatch(
      /^\*\*Finding `01234567`\*\* at `app\/config\.py:3`: Insecure deserialisation \(medium, confidence 85%, rule `py\/unsafe-yaml`\)/,
    );
    expect(text).toContain("The code (lines 1–4):\n```python\nimport yaml\n\ncfg = yaml.load(body)\nprint(cfg)\n```");
    expect(text).toContain("```suggestion\ncfg = yaml.safe_load(body)\n```");
    expect(text).toContain("https://cheatsheetseries.owasp.org/cheatsheets/Deserialization_Cheat_Sheet.html");
    expect(text).not.toContain("Example (not your code)");
  });

  it("without the file or a suggestion: no code, the example instead", () => {
    const text = explainFinding({ fingerprint: "0123456789abcdef", item, idLength: 8 });
    expect(text).not.toContain("The code");
    expect(text).toContain("_Example (not your code):_\n```python\n# before\n");
  });

  it("a line outside the file, an unknown category and a prediction are explained without failing", () => {
    expect(explainFinding({ fingerprint: "ab".repeat(8), item: { ...item, line: 99 }, fileLines: lines, idLength: 8 })).not.toContain(
      "The code",
    );
    expect(explainFinding({ fingerprint: "ab".repeat(8), item: { category: "nonsense", path: "a`b" }, idLength: 8 })).toContain("`a'b:?`");
    const prediction = explainFinding({
      fingerprint: "cd".repeat(8),
      item: { prediction: "The mobile app breaks.", kind: "migration-drop-column", severity: "high", confidence: 0.8, impact: "Crashes." },
      idLength: 8,
    });
    expect(prediction).toContain("**What:** The mobile app breaks.");
    expect(prediction).toContain("A high prediction (migration-drop-column, confidence 80%). Crashes.");
  });
});
