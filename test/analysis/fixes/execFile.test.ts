import { applied, suggest } from "./helpers.js";

const RULE = "js/command-injection";
const cjs = 'const { exec, execFile, execSync, execFileSync } = require("child_process");';
const esm = 'import { exec, execFile } from "node:child_process";';

describe("suggested fix: execFile with an argument array", () => {
  it("turns a concatenated command into the program and its arguments, with the callback kept", () => {
    const code = [cjs, "function log(branch, cb) {", '  exec("git log --oneline " + branch, cb); // history', "}"];
    expect(suggest(RULE, "javascript", code, "exec(")).toEqual({
      startLine: 3,
      endLine: 3,
      replacement: '  execFile("git", ["log", "--oneline", branch], cb); // history',
    });
  });

  it("reads a template literal, keeps the code's quotes, and maps execSync to execFileSync", () => {
    const code = [cjs, "const out = execSync(`convert ${input} -resize 50% out.png`);"];
    // `%` is shell syntax on Windows (cmd.exe): not rewritten.
    expect(suggest(RULE, "typescript", code, "execSync(")).toBeUndefined();
    const ok = [cjs, "const out = execSync(`convert ${input} -resize 50x50 out.png`, { encoding: 'utf8' });"];
    expect(suggest(RULE, "typescript", ok, "execSync(")?.replacement).toBe(
      'const out = execFileSync("convert", [input, "-resize", "50x50", "out.png"], { encoding: \'utf8\' });',
    );
    const single = [esm, "exec('ls -la ' + dir.path, done);"];
    expect(suggest(RULE, "javascript", single, "exec(")?.replacement).toBe("execFile('ls', ['-la', dir.path], done);");
  });

  it("rewrites a call on the module object, and on require() in the same line", () => {
    const mod = ['import * as cp from "child_process";', 'cp.exec("rm -f " + file);'];
    expect(suggest(RULE, "javascript", mod, "cp.exec")?.replacement).toBe('cp.execFile("rm", ["-f", file]);');
    const req = ['require("child_process").execSync("git checkout " + ref);'];
    expect(suggest(RULE, "javascript", req, "execSync")?.replacement).toBe(
      'require("child_process").execFileSync("git", ["checkout", ref]);',
    );
  });

  it("rewrites a call over several lines, changing only what it must", () => {
    const code = [esm, "exec(", '  "git show " + sha,', "  (err, out) => done(err, out),", ");"];
    const s = suggest(RULE, "javascript", code, "exec(", [2, 5], 3)!;
    expect(s).toEqual({ startLine: 2, endLine: 3, replacement: 'execFile(\n  "git", ["show", sha],' });
    expect(applied(code, s).slice(1)).toEqual(["execFile(", '  "git", ["show", sha],', "  (err, out) => done(err, out),", ");"]);
  });

  it.each([
    ["execFile not imported", ['const { exec } = require("child_process");', 'exec("git log " + b);']],
    ["exec renamed on import", ['const { exec: run, execFile } = require("child_process");', 'exec("git log " + b);']],
    ["exec promisified (another exec)", [cjs, "const exec = promisify(cp.exec);", 'exec("git log " + b);']],
    ["no import seen", ['exec("git log " + b);']],
    ["an object that is not child_process (shelljs)", ['const shell = require("shelljs");', 'shell.exec("git log " + b);']],
    ["two concatenations of values", [cjs, 'exec("cp " + a + " " + b);']],
    ["the value inside a word", [cjs, 'exec("git log --author=" + who);']],
    ["the value quoted for the shell", [cjs, 'exec("git log \'" + b + "\'");']],
    ["shell syntax in the literal", [cjs, 'exec("cat " + f + " | wc -l");']],
    ["a redirect", [cjs, "exec(`ls ${dir} > out.txt`);"]],
    ["the program itself is the value", [cjs, "exec(tool + ' --version');"]],
    ["an environment assignment", [cjs, 'exec("LANG=C sort " + f);']],
    ["a call as the value", [cjs, 'exec("git log " + branch());']],
    ["options asking for a shell", [cjs, 'exec("git log " + b, { shell: "/bin/bash" });']],
    ["a regex literal in the callback (cannot be read without a parser)", [cjs, 'exec("ls " + d, (e, o) => f(o.split(/\\n/)));']],
  ])("no suggestion: %s", (_why, code) => {
    expect(suggest(RULE, "javascript", code, "exec")).toBeUndefined();
  });
});
