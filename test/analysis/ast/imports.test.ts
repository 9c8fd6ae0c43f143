/**
 * Renamed imports of the modules the rules know are read under the module's own name before the
 * rules run (src/analysis/ast/imports.ts), and rule regexes get ASCII classes (ruleSet.ts).
 */
import { asciiClasses } from "../../../src/analysis/ast/ruleSet.js";
import { importAliases } from "../../../src/analysis/ast/imports.js";
import { astFindings } from "./helpers.js";

describe("importAliases", () => {
  it("Python: `import m as x`, `from m import n as x`, ambiguous bare names, __import__", () => {
    const text = [
      "import subprocess as proc",
      "import numpy as np",
      "from os import system as run_shell, path",
      "from pickle import loads",
      "from json import loads as jloads",
      "from flask import (Flask,",
      "    request as req)",
      "osmod = __import__('os')",
    ].join("\n");
    expect(Object.fromEntries(importAliases("python", text))).toEqual({
      proc: "subprocess",
      run_shell: "os.system",
      loads: "pickle.loads",
      req: "flask.request",
      osmod: "os",
    });
  });

  it("JavaScript: require, destructuring with renames, import clauses", () => {
    const text = [
      'const child = require("child_process");',
      'const fs = require("fs");',
      'const { exec: run, spawn } = require("node:child_process");',
      'const go = require("child_process").execSync;',
      'import * as fsp from "fs/promises";',
      'import { readFile as read, writeFile } from "node:fs/promises";',
      'import { join } from "path";',
      'import express from "express";',
    ].join("\n");
    expect(Object.fromEntries(importAliases("js", text))).toEqual({
      child: "child_process",
      run: "child_process.exec",
      go: "child_process.execSync",
      fsp: "fs.promises",
      read: "fs.promises.readFile",
      join: "path.join",
    });
  });

  it("stays linear on an `import` without `from` repeated", () => {
    const text = "import x ".repeat(50_000);
    const t0 = performance.now();
    importAliases("js", text);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe("rules see through renamed imports", () => {
  it("a renamed os.system, subprocess module and pickle.loads", async () => {
    const code = [
      "import subprocess as proc",
      "from os import system as run_shell",
      "from pickle import loads",
      "",
      "def view(request):",
      "    run_shell('ping ' + request.GET['host'])",
      "    proc.run('du -sh ' + request.GET['d'], shell=True)",
      "    return loads(request.body)",
    ].join("\n");
    const rules = (await astFindings("app/views.py", code)).map((f) => [f.rule, f.line]);
    expect(rules).toEqual(
      expect.arrayContaining([
        ["py/command-injection", 6],
        ["py/command-injection", 7],
        ["py/insecure-deserialization", 8],
      ]),
    );
  });

  it("__import__('os').system and a required child_process under another name", async () => {
    expect(
      (await astFindings("app/v.py", "def v(request):\n    __import__('os').system('ls ' + request.GET['d'])")).map((f) => f.rule),
    ).toContain("py/command-injection");
    const js = 'const child = require("child_process");\napp.get("/x", (req, res) => child.exec("ls " + req.query.d));';
    expect((await astFindings("src/x.js", js)).map((f) => f.rule)).toContain("js/command-injection");
  });

  it("line numbers hold when a rewritten name is longer than the original", async () => {
    const code =
      'import { exec as x } from "child_process";\n\napp.get("/a", (req, res) => {\n  x("ls " + req.query.d); x("echo " + req.query.e);\n});';
    const f = await astFindings("src/a.js", code);
    expect(f.map((x) => x.line)).toEqual([4]);
  });
});

describe("asciiClasses", () => {
  it.each([
    ["\\w+\\s*=", "(?-u:\\w)+(?-u:\\s)*="],
    ["[\\w.]+", "[0-9A-Za-z_.]+"],
    ["[^\\s<]", "[^\\t\\n\\x0B\\f\\r <]"],
    ["^\\d{3}$", "^(?-u:\\d){3}$"],
    ["a\\\\w\\.b", "a\\\\w\\.b"],
    ["[]\\w]", "[]0-9A-Za-z_]"],
    ["\\bx\\b", "\\bx\\b"],
  ])("%s", (input, output) => {
    expect(asciiClasses(input)).toBe(output);
  });
});

describe("secondary rules", () => {
  it("a path built from input is reported where no sink in the function shows its use, not beside one", async () => {
    const handedOn =
      'const path = require("path");\napp.post("/i", (req, res) => {\n  const dest = path.join("imports", req.body.name);\n  extract(req, dest);\n});';
    expect((await astFindings("src/i.js", handedOn)).map((f) => [f.rule, f.line])).toEqual([["js/path-traversal-join", 3]]);
    const opened =
      'const path = require("path");\napp.get("/f", (req, res) => {\n  const p = path.join("files", req.query.name);\n  const x = 1;\n  fs.readFile(p, (e, d) => res.send(d));\n});';
    expect((await astFindings("src/f.js", opened)).map((f) => [f.rule, f.line])).toEqual([["js/path-traversal", 5]]);
  });
});
