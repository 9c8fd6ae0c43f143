/** Pull request files for the scenarios: a risky change, its next push, a docs-only change. */
import type { FakeFile } from "../helpers/fakeGitHub.js";

export const STRIPE_SECRET = "sk_live_51HxQe2LkdIwHu7ixh3mF0qZ9yT8rV6wB4nJ2cX7";

export const riskyFiles: FakeFile[] = [
  {
    filename: "src/orders/export.js",
    status: "modified",
    additions: 4,
    deletions: 1,
    patch: [
      "@@ -10,5 +10,8 @@ const db = require('../db');",
      " async function exportOrders(req, res) {",
      "-  const rows = await db.query('SELECT * FROM orders WHERE id = $1', [req.params.id]);",
      '+  const rows = await db.query("SELECT * FROM orders WHERE id = " + req.params.id);',
      `+  const stripe = new Stripe("${STRIPE_SECRET}");`,
      "+  const csv = toCsv(rows);",
      "+  res.send(csv);",
      "   return rows;",
      " }",
      " ",
    ].join("\n"),
  },
  {
    filename: "db/migrations/20261127_drop_email.sql",
    status: "added",
    additions: 2,
    deletions: 0,
    patch: ["@@ -0,0 +1,2 @@", "+-- the mobile app still reads users.email", "+ALTER TABLE users DROP COLUMN email;"].join("\n"),
  },
  {
    filename: "docs/logo.png",
    status: "added",
    additions: 0,
    deletions: 0,
  },
];

/** src/orders/export.js at the head of `riskyFiles`, whole (the patch shows lines 10 to 17). */
export const riskyExportJs = [
  "const db = require('../db');",
  "const Stripe = require('stripe');",
  "const { toCsv } = require('./csv');",
  "",
  "// Exports a customer's orders for the finance team.",
  "// The CSV has one row per order.",
  "",
  "",
  "",
  "async function exportOrders(req, res) {",
  '  const rows = await db.query("SELECT * FROM orders WHERE id = " + req.params.id);',
  `  const stripe = new Stripe("${STRIPE_SECRET}");`,
  "  const csv = toCsv(rows);",
  "  res.send(csv);",
  "  return rows;",
  "}",
  "",
].join("\n");

/** The next push: the same code moved down two lines, and one new problem. */
export const riskyFilesNextPush: FakeFile[] = [
  {
    filename: "src/orders/export.js",
    status: "modified",
    additions: 6,
    deletions: 1,
    patch: [
      "@@ -10,5 +10,10 @@ const db = require('../db');",
      " async function exportOrders(req, res) {",
      "+  // export for finance",
      "+  audit(req.user);",
      "-  const rows = await db.query('SELECT * FROM orders WHERE id = $1', [req.params.id]);",
      '+  const rows = await db.query("SELECT * FROM orders WHERE id = " + req.params.id);',
      `+  const stripe = new Stripe("${STRIPE_SECRET}");`,
      "+  const csv = toCsv(rows);",
      "+  eval(req.query.transform);",
      "   return rows;",
      " }",
      " ",
    ].join("\n"),
  },
  riskyFiles[1],
];

export const docsOnlyFiles: FakeFile[] = [
  {
    filename: "README.md",
    status: "modified",
    additions: 1,
    deletions: 1,
    patch: ["@@ -1,3 +1,3 @@", " # Shop", "-Old intro.", "+A clearer intro for new contributors.", " "].join("\n"),
  },
];
