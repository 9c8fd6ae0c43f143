/**
 * A synthetic but realistic change: new JS, TS and Python modules made of request handlers
 * and helpers, mostly ordinary code with a few risky lines, as a unified diff.
 */

export interface GeneratedFile {
  path: string;
  text: string;
}

function jsFunction(n: number, ts: boolean): string[] {
  const t = (s: string) => (ts ? s : "");
  const risky = n % 9 === 0;
  return [
    `router.get("/items${n}/:id", async (req${t(": Request")}, res${t(": Response")}) => {`,
    `  const id = req.params.id;`,
    `  const limit = Math.min(Number(req.query.limit ?? 20), 100);`,
    risky
      ? `  const rows = await db.query("SELECT * FROM items WHERE owner = '" + id + "'");`
      : `  const rows = await db.query("SELECT * FROM items WHERE owner = $1 LIMIT $2", [id, limit]);`,
    `  if (rows.length === 0) {`,
    `    return res.status(404).json({ error: "not found" });`,
    `  }`,
    `  const total = rows.reduce((sum${t(": number")}, row${t(": Row")}) => sum + row.price * row.qty, 0);`,
    `  logger.info({ id, count: rows.length }, "items listed");`,
    `  res.json({ items: rows.map(toDto), total });`,
    `});`,
    ``,
    `export function formatPrice${n}(cents${t(": number")})${t(": string")} {`,
    `  const value = (cents / 100).toFixed(2);`,
    `  return \`\${value} EUR\`;`,
    `}`,
    ``,
  ];
}

function pyFunction(n: number): string[] {
  const risky = n % 9 === 0;
  return [
    `@app.route("/items${n}/<item_id>")`,
    `def items_${n}(item_id):`,
    `    limit = min(int(request.args.get("limit", 20)), 100)`,
    risky
      ? `    cursor.execute(f"SELECT * FROM items WHERE owner = '{request.args['owner']}'")`
      : `    cursor.execute("SELECT * FROM items WHERE owner = %s LIMIT %s", (item_id, limit))`,
    `    rows = cursor.fetchall()`,
    `    if not rows:`,
    `        abort(404)`,
    `    total = sum(row["price"] * row["qty"] for row in rows)`,
    `    logger.info("items listed %s", item_id)`,
    `    return jsonify(items=[to_dto(r) for r in rows], total=total)`,
    ``,
    ``,
    `def format_price_${n}(cents):`,
    `    value = cents / 100`,
    `    return f"{value:.2f} EUR"`,
    ``,
  ];
}

const JS_HEADER = [
  'import express from "express";',
  'import { db } from "../db.js";',
  'import { logger, toDto } from "../util.js";',
  "",
  "const router = express.Router();",
  "",
];
const TS_HEADER = [
  'import express, { type Request, type Response } from "express";',
  'import { db, type Row } from "../db.js";',
  'import { logger, toDto } from "../util.js";',
  "",
  "const router = express.Router();",
  "",
];
const PY_HEADER = [
  "import logging",
  "from flask import Flask, abort, jsonify, request",
  "from .db import cursor, to_dto",
  "",
  "app = Flask(__name__)",
  "logger = logging.getLogger(__name__)",
  "",
  "",
];

/** Files totalling about `targetLines` lines, a third each JS, TS and Python. */
export function generateFiles(targetLines: number, linesPerFile = 200): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  let total = 0;
  for (let i = 0; total < targetLines; i++) {
    const kind = i % 3;
    const ext = kind === 0 ? "js" : kind === 1 ? "ts" : "py";
    const lines = [...(ext === "py" ? PY_HEADER : ext === "ts" ? TS_HEADER : JS_HEADER)];
    for (let n = i * 100; lines.length < linesPerFile && total + lines.length < targetLines; n++) {
      lines.push(...(ext === "py" ? pyFunction(n) : jsFunction(n, ext === "ts")));
    }
    files.push({ path: `src/module${i}/handlers${i}.${ext}`, text: `${lines.join("\n")}\n` });
    total += lines.length;
  }
  return files;
}

/** The files as a diff that adds them. */
export function toDiff(files: GeneratedFile[]): string {
  const out: string[] = [];
  for (const f of files) {
    const lines = f.text.replace(/\n$/, "").split("\n");
    out.push(
      `diff --git a/${f.path} b/${f.path}`,
      "new file mode 100644",
      "--- /dev/null",
      `+++ b/${f.path}`,
      `@@ -0,0 +1,${lines.length} @@`,
      ...lines.map((l) => `+${l}`),
    );
  }
  return `${out.join("\n")}\n`;
}

export function generateDiff(targetLines: number): string {
  return toDiff(generateFiles(targetLines));
}
