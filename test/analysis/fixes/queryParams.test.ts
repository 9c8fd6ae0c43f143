import { applied, suggest } from "./helpers.js";

const JS = "js/sql-injection";
const PY = "py/sql-injection";
const pg = 'const { Pool } = require("pg");';
const mysql = 'import mysql from "mysql2/promise";';

describe("suggested fix: a parameterised query (JavaScript)", () => {
  it("binds a concatenated value as $1 with pg", () => {
    const code = [pg, 'const { rows } = await pool.query("SELECT * FROM users WHERE id = " + req.params.id);'];
    expect(suggest(JS, "javascript", code, "pool.query")?.replacement).toBe(
      'const { rows } = await pool.query("SELECT * FROM users WHERE id = $1", [req.params.id]);',
    );
  });

  it("binds a template literal's value as ? with mysql, keeping the template and a callback", () => {
    const code = [mysql, "conn.query(`SELECT * FROM t WHERE name LIKE ${name} LIMIT 5`, (err, rows) => done(rows));"];
    expect(suggest(JS, "typescript", code, "conn.query")?.replacement).toBe(
      "conn.query(`SELECT * FROM t WHERE name LIKE ? LIMIT 5`, [name], (err, rows) => done(rows));",
    );
  });

  it("drops the quotes around a templated value and works over several lines", () => {
    const code = [pg, "const r = await this.db.query(", "  `SELECT id", "   FROM users WHERE email = '${email}'`,", ");"];
    const s = suggest(JS, "javascript", code, "this.db.query", [2, 5])!;
    expect(s).toEqual({
      startLine: 2,
      endLine: 4,
      replacement: "const r = await this.db.query(\n  `SELECT id\n   FROM users WHERE email = $1`, [email],",
    });
    expect(applied(code, s)[4]).toBe(");");
  });

  it.each([
    ["the driver is not known (a local module)", ['const db = require("./db");', 'db.query("SELECT * FROM u WHERE id = " + id);']],
    ["two drivers", [pg, mysql, 'db.query("SELECT * FROM u WHERE id = " + id);']],
    ["a query builder beside the driver", [pg, 'const knex = require("knex");', 'db.query("SELECT * FROM u WHERE id = " + id);']],
    ["two concatenations", [pg, 'db.query("SELECT * FROM u WHERE name = \'" + name + "\'");']],
    ["two values in a template", [pg, "db.query(`SELECT * FROM u WHERE a = ${a} AND b = ${b}`);"]],
    ["a table name", [pg, "db.query(`SELECT * FROM ${table}`);"]],
    ["inside LIKE '%…%'", [pg, "db.query(`SELECT * FROM u WHERE n LIKE '%${q}%'`);"]],
    ["values already passed", [pg, 'db.query("SELECT * FROM u WHERE id = " + id, params);']],
    ["a placeholder already in the text", [pg, 'db.query("SELECT * FROM u WHERE a = $1 AND id = " + id, [a]);']],
    ["a call as the value", [pg, 'db.query("SELECT * FROM u WHERE id = " + getId());']],
    ["execute with pg (no such method)", [pg, 'db.execute("SELECT * FROM u WHERE id = " + id);']],
    ["the object is a call's result", [pg, 'getPool().query("SELECT * FROM u WHERE id = " + id);']],
  ])("no suggestion: %s", (_why, code) => {
    expect(suggest(JS, "javascript", code, code[code.length - 1])).toBeUndefined();
  });
});

describe("suggested fix: a parameterised query (Python)", () => {
  it("turns `%` formatting into a bound parameter with psycopg2", () => {
    const code = ["import psycopg2", "", "def find(cur, uid):", '    cur.execute("SELECT * FROM users WHERE id = %s" % uid)'];
    expect(suggest(PY, "python", code, "cur.execute")?.replacement).toBe('    cur.execute("SELECT * FROM users WHERE id = %s", (uid,))');
  });

  it("turns an f-string into placeholders with sqlite3, quotes around a value dropped", () => {
    const code = [
      "import sqlite3",
      "def find(conn, name, age):",
      "    conn.execute(f\"SELECT * FROM t WHERE name = '{name}' AND age >= {age}\")",
    ];
    expect(suggest(PY, "python", code, "conn.execute")?.replacement).toBe(
      '    conn.execute("SELECT * FROM t WHERE name = ? AND age >= ?", (name, age))',
    );
  });

  it("keeps a tuple operand and works over several lines (Django)", () => {
    const code = [
      "from django.db import connection",
      "with connection.cursor() as cursor:",
      "    cursor.execute(",
      '        """SELECT * FROM t',
      "           WHERE a = '%s' AND b < %s\"\"\" % (self.a, row['b'])",
      "    )",
    ];
    const s = suggest(PY, "python", code, "cursor.execute", [3, 6])!;
    expect(s).toEqual({
      startLine: 3,
      endLine: 5,
      replacement: '    cursor.execute(\n        """SELECT * FROM t\n           WHERE a = %s AND b < %s""", (self.a, row[\'b\'])',
    });
  });

  it.each([
    ["no driver import", ["def f(cur, x):", '    cur.execute("SELECT * FROM t WHERE id = %s" % x)']],
    ["SQLAlchemy in the file", ["import psycopg2", "from sqlalchemy import text", 'cur.execute("SELECT * FROM t WHERE id = %s" % x)']],
    ["a table name", ["import psycopg2", 'cur.execute(f"SELECT * FROM {table}")']],
    ["a format spec", ["import psycopg2", 'cur.execute(f"SELECT * FROM t WHERE id = {x!r}")']],
    ["a literal % beside the value (psycopg)", ["import psycopg2", "cur.execute(f\"SELECT * FROM t WHERE a LIKE 'x%' AND id = {x}\")"]],
    ["%d formatting", ["import psycopg2", 'cur.execute("SELECT * FROM t WHERE id = %d" % x)']],
    ["a named mapping", ["import psycopg2", 'cur.execute("SELECT * FROM t WHERE id = %(id)s" % row)']],
    ["too few values", ["import psycopg2", 'cur.execute("SELECT * FROM t WHERE a = %s AND b = %s" % x)']],
    ["parameters already passed", ["import psycopg2", 'cur.execute(f"SELECT * FROM t WHERE id = {x}", params)']],
    ["a bytes string", ["import psycopg2", 'cur.execute(b"SELECT * FROM t WHERE id = %s" % x)']],
    ["concatenation", ["import psycopg2", 'cur.execute("SELECT * FROM t WHERE id = " + x)']],
    ["a call as the value", ["import psycopg2", 'cur.execute(f"SELECT * FROM t WHERE id = {get()}")']],
  ])("no suggestion: %s", (_why, code) => {
    expect(suggest(PY, "python", code, code[code.length - 1])).toBeUndefined();
  });
});
