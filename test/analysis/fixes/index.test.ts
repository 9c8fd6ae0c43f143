import { suggestFix } from "../../../src/analysis/fixes/index.js";
import { astFindings } from "../ast/helpers.js";
import { applied } from "./helpers.js";

const GH = ["ghp_", "R8kq2ZtY7mN4vB1xW9cD3fH6jL0pS5aE2gU8"].join("");

describe("suggestFix: what every suggestion holds to", () => {
  const code = ["import yaml", "cfg = yaml.load(text)"];

  it("suggests nothing for a rule without a fix, or out-of-range lines", () => {
    expect(suggestFix({ rule: "py/weak-hash", line: 2 }, code, "python")).toBeUndefined();
    expect(suggestFix({ rule: "py/unsafe-yaml", line: 3 }, code, "python")).toBeUndefined();
    expect(suggestFix({ rule: "py/unsafe-yaml", line: 2, startLine: 3, endLine: 3 }, code, "python")).toBeUndefined();
    expect(suggestFix({ rule: "py/unsafe-yaml", line: 2, startLine: 0, endLine: 2 }, code, "python")).toBeUndefined();
    expect(suggestFix({ rule: "py/unsafe-yaml", line: 2 }, code, "go")).toBeUndefined();
    expect(suggestFix({ rule: "py/unsafe-yaml", line: 2 }, code, "python")).toEqual({
      startLine: 2,
      endLine: 2,
      replacement: "cfg = yaml.safe_load(text)",
    });
  });

  it("never carries a secret: a line with a token on it gets no suggestion", () => {
    const withToken = ["import yaml", `cfg = yaml.load(text)  # token ${GH}`];
    expect(suggestFix({ rule: "py/unsafe-yaml", line: 2 }, withToken, "python")).toBeUndefined();
  });

  it("does not rewrite lines whose text is unknown (blanked by the analysis, a gap between hunks) or too long", () => {
    const gap = ["import yaml", "cfg = yaml.load(", "", "    text)"];
    expect(suggestFix({ rule: "py/unsafe-yaml", line: 2, startLine: 2, endLine: 4 }, gap, "python")).toBeUndefined();
    const long = ["import yaml", `cfg = yaml.load(text)  # ${"x".repeat(2000)}`];
    expect(suggestFix({ rule: "py/unsafe-yaml", line: 2 }, long, "python")).toBeUndefined();
  });
});

describe("suggestFix on hostile input", () => {
  it("answers quickly on a 2 MB file full of half-written imports and deeply nested brackets", () => {
    const filler = Array.from({ length: 100_000 }, (_, i) => (i % 2 ? "const { exec" : "import { x as exec"));
    const lines = ['const { exec, execFile } = require("child_process");', ...filler, 'exec("ls " + dir);'];
    const started = Date.now();
    expect(suggestFix({ rule: "js/command-injection", line: lines.length }, lines, "javascript")).toBeUndefined();
    const nested = ["import yaml", `x = yaml.load(${"(".repeat(450)}a${")".repeat(450)})`];
    expect(suggestFix({ rule: "py/unsafe-yaml", line: 2 }, nested, "python")?.replacement).toMatch(/^x = yaml\.safe_load\(/);
    const template = ["el.innerHTML = `" + "${`".repeat(300) + "x" + "`}".repeat(300) + "`;"];
    expect(suggestFix({ rule: "js/xss-dom", line: 1 }, template, "javascript")).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe("findings carry their suggestion from the AST analysis", () => {
  it("makes no finding, so no suggestion, when the loader is already safe", async () => {
    expect(await astFindings("app/s.py", "import yaml\ncfg = yaml.load(text, Loader=yaml.SafeLoader)\n")).toEqual([]);
  });

  it("attaches it to a yaml.load finding, and committing it leaves a file the rule no longer flags", async () => {
    const code = [
      "import yaml",
      "",
      "def read(path):",
      "    with open(path) as f:",
      "        return yaml.load(f, Loader=yaml.FullLoader)",
      "",
    ];
    const [f] = await astFindings("app/settings.py", code.join("\n"));
    expect(f).toMatchObject({ rule: "py/unsafe-yaml", line: 5, suggestion: { startLine: 5, endLine: 5 } });
    const fixed = applied(code, f.suggestion!);
    expect(fixed[4]).toBe("        return yaml.safe_load(f)");
    expect(await astFindings("app/settings.py", fixed.join("\n"))).toEqual([]);
  });

  it("spans a statement over several lines from the match, and the fixed query is no finding", async () => {
    const code = [
      'import { Pool } from "pg";',
      "const pool = new Pool();",
      "export async function find(req: any) {",
      "  const { rows } = await pool.query(",
      "    `SELECT * FROM orders WHERE id = ${req.params.id}`,",
      "  );",
      "  return rows;",
      "}",
    ];
    const [f] = await astFindings("src/orders.ts", code.join("\n"));
    expect(f.rule).toBe("js/sql-injection");
    expect(f.suggestion).toBeDefined();
    const { startLine, endLine } = f.suggestion!;
    expect(startLine <= f.line && f.line <= endLine).toBe(true);
    const fixed = applied(code, f.suggestion!);
    expect(fixed.slice(3, 6)).toEqual([
      "  const { rows } = await pool.query(",
      "    `SELECT * FROM orders WHERE id = $1`, [req.params.id],",
      "  );",
    ]);
    expect(await astFindings("src/orders.ts", fixed.join("\n"))).toEqual([]);
  });

  it("suggests nothing where the code was read under a rewritten import (`import yaml as y`)", async () => {
    const code = ["import yaml as y", "cfg = y.load(open('c.yml'))", ""];
    const [f] = await astFindings("app/c.py", code.join("\n"));
    expect(f?.rule).toBe("py/unsafe-yaml");
    expect(f.suggestion).toBeUndefined();
  });

  it("suggests nothing for the execFile fix when execFile is not imported, and does when it is", async () => {
    const base = ["function run(req, res) {", "  exec('git log ' + req.query.branch, (e, out) => res.send(out));", "}"];
    const without = await astFindings("src/run.js", ["const { exec } = require('child_process');", ...base].join("\n"));
    expect(without[0]?.rule).toBe("js/command-injection");
    expect(without[0].suggestion).toBeUndefined();
    const withIt = await astFindings("src/run.js", ["const { exec, execFile } = require('child_process');", ...base].join("\n"));
    expect(withIt[0].suggestion?.replacement).toBe("  execFile('git', ['log', req.query.branch], (e, out) => res.send(out));");
  });
});
