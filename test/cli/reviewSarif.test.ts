/**
 * `empathy review --format sarif`: a SARIF 2.1.0 log the official schema accepts, whose
 * fingerprints do not change between runs or when the code moves, and which never holds a
 * committed secret's value.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, type CliIo } from "../../src/cli.js";
import type { SarifLog } from "../../src/report/sarif.js";
import { sarifSchemaErrors } from "../helpers/sarifSchema.js";

// A committed AWS key pair (assembled here, so no scanner flags this file).
const KEY_ID = ["AK", "IA", "QX7RZ2M4T9WB3KLN"].join("");
const SECRET = ["wJalrXUtnFEMI", "K7MDENGbPxRfiCY", "9f3kQz2LmNpR8s"].join("");
const VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** The change: a SQL injection, the key pair, a Python command injection and a migration (a prediction). `above` lines push each file's code down. */
function change(above = 0): string {
  const pad = (n: number) => Array.from({ length: n }, (_, i) => `+// note ${i}\n`).join("");
  const pyPad = (n: number) => Array.from({ length: n }, (_, i) => `+# note ${i}\n`).join("");
  return [
    "diff --git a/src/orders/export.js b/src/orders/export.js",
    "new file mode 100644",
    "--- /dev/null",
    "+++ b/src/orders/export.js",
    `@@ -0,0 +1,${6 + above} @@`,
    `${pad(above)}+const db = require("../db");`,
    "+async function exportOrders(req, res) {",
    '+  const rows = await db.query("SELECT * FROM orders WHERE customer_id = " + req.params.id);',
    "+  res.json(rows);",
    "+}",
    "+module.exports = { exportOrders };",
    "diff --git a/config/aws.js b/config/aws.js",
    "new file mode 100644",
    "--- /dev/null",
    "+++ b/config/aws.js",
    `@@ -0,0 +1,${3 + above} @@`,
    `${pad(above)}+module.exports = {`,
    `+  aws: { accessKeyId: "${KEY_ID}", secretAccessKey: "${SECRET}" },`,
    "+};",
    "diff --git a/app/views.py b/app/views.py",
    "new file mode 100644",
    "--- /dev/null",
    "+++ b/app/views.py",
    `@@ -0,0 +1,${7 + above} @@`,
    `${pyPad(above)}+import subprocess`,
    "+from flask import Flask, request",
    "+app = Flask(__name__)",
    '+@app.route("/ping")',
    "+def ping():",
    '+    host = request.args.get("host")',
    '+    return subprocess.check_output("ping -c 1 " + host, shell=True)',
    "diff --git a/db/migrations/20261127_drop_email.sql b/db/migrations/20261127_drop_email.sql",
    "new file mode 100644",
    "--- /dev/null",
    "+++ b/db/migrations/20261127_drop_email.sql",
    "@@ -0,0 +1,1 @@",
    "+ALTER TABLE users DROP COLUMN email;",
    "",
  ].join("\n");
}

async function run(args: string[], stdin = "") {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    readStdin: () => stdin,
    cwd: process.cwd(),
    env: { EMPATHY_ANALYSIS_WORKERS: "1" },
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

/** ruleId -> [fingerprint, startLine] of each result. */
function byRule(log: SarifLog): Record<string, [string, number | undefined]> {
  return Object.fromEntries(
    log.runs[0].results.map((r) => [
      r.ruleId,
      [r.partialFingerprints.primaryLocationLineHash, r.locations[0].physicalLocation.region?.startLine],
    ]),
  );
}

describe("empathy review --format sarif", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "empathy-sarif-"));
    writeFileSync(join(dir, "change.diff"), change());
    writeFileSync(join(dir, "moved.diff"), change(3));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes a log the official SARIF 2.1.0 schema accepts: the findings, no prediction, no secret", async () => {
    const { code, stdout, stderr } = await run(["review", "--diff", join(dir, "change.diff"), "--format", "sarif"]);
    expect([code, stderr]).toEqual([0, ""]);
    const log = JSON.parse(stdout) as SarifLog;
    expect(sarifSchemaErrors(log)).toEqual([]);
    expect(log.runs).toHaveLength(1);
    expect(log.runs[0].tool.driver).toMatchObject({ name: "Empathy bot", version: VERSION });
    const rules = Object.fromEntries(log.runs[0].tool.driver.rules.map((r) => [r.id, r]));
    expect(Object.keys(rules).sort()).toEqual(["js/sql-injection", "py/command-injection", "secrets/hardcoded-secret"]);
    expect(rules["js/sql-injection"].properties.tags).toEqual(["security", "external/cwe/cwe-89"]);
    expect(rules["py/command-injection"].properties).toEqual({ tags: ["security", "external/cwe/cwe-78"], "security-severity": "9.5" });
    expect(rules["secrets/hardcoded-secret"].properties.tags).toContain("external/cwe/cwe-798");
    expect(log.runs[0].results.map((r) => r.locations[0].physicalLocation.artifactLocation)).toEqual(
      expect.arrayContaining([
        { uri: "src/orders/export.js", uriBaseId: "%SRCROOT%" },
        { uri: "config/aws.js", uriBaseId: "%SRCROOT%" },
        { uri: "app/views.py", uriBaseId: "%SRCROOT%" },
      ]),
    );
    expect(byRule(log)["js/sql-injection"][1]).toBe(3);
    // The migration's prediction is left out, and the key pair is named, never shown.
    expect(stdout).not.toContain("db/migrations");
    expect(stdout).not.toContain(SECRET);
    expect(stdout).not.toContain(KEY_ID);
    expect(stdout).not.toContain(SECRET.slice(0, 12));
  });

  it("keeps each finding's fingerprint from run to run and when its code moves down the file", async () => {
    const first = await run(["review", "--diff", join(dir, "change.diff"), "--format", "sarif"]);
    const again = await run(["review", "--diff", "-", "--format", "sarif"], change());
    expect(again.stdout).toBe(first.stdout);
    const moved = await run(["review", "--diff", join(dir, "moved.diff"), "--format", "sarif"]);
    expect(sarifSchemaErrors(JSON.parse(moved.stdout))).toEqual([]);
    const before = byRule(JSON.parse(first.stdout) as SarifLog);
    const after = byRule(JSON.parse(moved.stdout) as SarifLog);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    for (const rule of Object.keys(before)) {
      expect([rule, after[rule][0]]).toEqual([rule, before[rule][0]]);
      expect([rule, after[rule][1]]).toEqual([rule, before[rule][1]! + 3]);
    }
  });

  it("reports what --min-severity keeps, whatever the target level, and the gate says what the log leaves out", async () => {
    const capped = await run(["review", "--diff", join(dir, "change.diff"), "--format", "sarif", "--target-level", "1"]);
    expect(Object.keys(byRule(JSON.parse(capped.stdout) as SarifLog)).sort()).toEqual([
      "js/sql-injection",
      "py/command-injection",
      "secrets/hardcoded-secret",
    ]);
    const critical = await run([
      "review",
      "--diff",
      join(dir, "change.diff"),
      "--format",
      "sarif",
      "--min-severity",
      "critical",
      "--fail-on",
      "high",
    ]);
    expect(critical.code).toBe(1);
    const log = JSON.parse(critical.stdout) as SarifLog;
    expect(log.runs[0].results.map((r) => r.ruleId)).toEqual(["py/command-injection"]);
    expect(sarifSchemaErrors(log)).toEqual([]);
    expect(critical.stderr).toContain("(not in the report: below the minimum severity, critical)");
    expect(critical.stderr).toContain("[migration-drop-column] (not in the SARIF log: predictions are not code scanning results)");
    expect(critical.stderr).not.toContain(SECRET);
  });

  it("leaves out a finding whose diff path climbs out of the repository, and the gate says so", async () => {
    const evil = [
      "diff --git a/../outside.js b/../outside.js",
      "new file mode 100644",
      "--- /dev/null",
      "+++ b/../outside.js",
      "@@ -0,0 +1,4 @@",
      '+const db = require("../db");',
      "+async function f(req) {",
      '+  return db.query("SELECT * FROM orders WHERE customer_id = " + req.params.id);',
      "+}",
      "",
    ].join("\n");
    const r = await run(["review", "--diff", "-", "--format", "sarif", "--fail-on", "high"], evil);
    expect(r.code).toBe(1);
    const log = JSON.parse(r.stdout) as SarifLog;
    expect(log.runs[0].results).toEqual([]);
    expect(sarifSchemaErrors(log)).toEqual([]);
    expect(r.stdout).not.toContain("outside.js");
    expect(r.stderr).toContain("../outside.js:3");
    expect(r.stderr).toContain("[js/sql-injection] (not in the SARIF log: its path is not a repository path)");
  });

  it("names sarif in --help and in the error for an unknown format", async () => {
    expect((await run(["review", "--help"])).stdout).toContain("markdown (default), json, or sarif");
    const bad = await run(["review", "--diff", join(dir, "change.diff"), "--format", "xml"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--format is markdown, json or sarif");
  });
});
