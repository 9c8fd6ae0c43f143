/**
 * A shell command built from one value → the program run directly with an argument array:
 * `exec("git log " + branch, cb)` → `execFile("git", ["log", branch], cb)`, and `execSync(`…`)` →
 * `execFileSync(…)`. Only when the command is a literal program, literal words and the value as
 * one whole word (no quotes, no shell syntax), and the new name is bound to child_process's own
 * function: imported in the file under that name, or the call is on the module object.
 */
import type { FixInput } from "./index.js";
import { allMatches, callArgs, parseJsConcat, type JsPart } from "./scan.js";

const CALL = /(?<![\w$])(exec|execSync)\s*\(/g;
const PROGRAM = /^[A-Za-z0-9_./-]+$/;
/** Words the shell passes on as they are (`%` is left out: cmd.exe expands it). */
const WORD = /^[A-Za-z0-9_./:=,@+-]+$/;
const MODULE = String.raw`["'](?:node:)?child_process["']`;

export function fixCommand({ text, fileText }: FixInput): string | undefined {
  const calls = allMatches(text, CALL);
  if (calls.length !== 1) return undefined;
  const m = calls[0];
  const name = m[1];
  const newName = name === "exec" ? "execFile" : "execFileSync";
  const before = text.slice(0, m.index);
  const member = /\.\s*$/.exec(before);
  if (member) {
    const object = /(?:[A-Za-z_$][\w$]*|require\(\s*(["'])(?:node:)?child_process\1\s*\))\s*$/.exec(before.slice(0, member.index));
    if (!object || /[\w$.]$/.test(before.slice(0, member.index - object[0].length))) return undefined;
    if (!object[0].startsWith("require(") && !moduleObject(fileText(), object[0].trim())) return undefined;
  } else if (!importedAsItself(fileText(), name) || !importedAsItself(fileText(), newName)) return undefined;

  const open = m.index + m[0].length - 1;
  const call = callArgs(text, open, "js");
  if (!call || call.args.length === 0 || call.args.length > 3) return undefined;
  const rest = call.args.slice(1).map((a) => text.slice(a.start, a.end));
  // Options that ask for a shell again (or anything we cannot read) make it no mechanical change.
  if (rest.some((r) => /\bshell\b/.test(r))) return undefined;
  const cmd = call.args[0];
  const parts = parseJsConcat(text, cmd);
  const argv = parts && commandWords(parts);
  if (!argv) return undefined;
  // The quotes the code already uses (a template's value gets double quotes).
  const first = parts![0];
  const q = first.kind === "string" ? first.quote : '"';
  const words = argv.words.map((w) => (w.value ? w.text : `${q}${w.text}${q}`));
  const replacement = `${q}${argv.program}${q}, [${words.join(", ")}]`;
  return text.slice(0, m.index) + newName + text.slice(m.index + name.length, cmd.start) + replacement + text.slice(cmd.end);
}

/** The program and its words, the one value among them, or undefined. */
function commandWords(parts: JsPart[]): { program: string; words: Array<{ text: string; value: boolean }> } | undefined {
  let before: string;
  let value: string;
  let after = "";
  if (parts.length === 1 && parts[0].kind === "template" && parts[0].holes.length === 1) {
    [before, after] = parts[0].chunks;
    value = parts[0].holes[0];
  } else if (parts.length >= 2 && parts.length <= 3 && parts[0].kind === "string" && parts[1].kind === "value") {
    before = parts[0].raw;
    value = parts[1].text;
    if (parts.length === 3) {
      if (parts[2].kind !== "string") return undefined;
      after = parts[2].raw;
    }
  } else return undefined;
  // The value must be a word of its own: a space before it, a space or the end after it.
  if (!/^\S.* $/.test(before) || !(after === "" || after.startsWith(" "))) return undefined;
  const head = before.split(/ +/).filter(Boolean);
  const tail = after.split(/ +/).filter(Boolean);
  const program = head.shift();
  if (!program || !PROGRAM.test(program) || ![...head, ...tail].every((w) => WORD.test(w))) return undefined;
  return {
    program,
    words: [...head.map((text) => ({ text, value: false })), { text: value, value: true }, ...tail.map((text) => ({ text, value: false }))],
  };
}

/** `import { exec } from "child_process"` / `const { exec } = require("node:child_process")`, not renamed, not redeclared. */
function importedAsItself(file: string, name: string): boolean {
  const lists = [
    ...allMatches(file, new RegExp(String.raw`import\s*\{([^{}]{0,2000})\}\s*from\s*${MODULE}`, "g")),
    ...allMatches(file, new RegExp(String.raw`(?:const|let|var)\s*\{([^{}]{0,2000})\}\s*=\s*require\(\s*${MODULE}\s*\)`, "g")),
  ];
  const entries = lists.flatMap((l) => l[1].split(",").map((e) => e.trim()));
  if (!entries.includes(name)) return false;
  // Another binding of the same name (a renamed import, a promisified copy) leaves it unclear which one runs.
  const other = new RegExp(String.raw`(?:\bas\s+|:\s*|\b(?:const|let|var|function)\s+)${name}\b`);
  return !other.test(file);
}

/** `import * as cp from "child_process"`, `import cp from …`, `const cp = require("child_process")`. */
function moduleObject(file: string, name: string): boolean {
  if (!/^[A-Za-z_$][\w$]*$/.test(name)) return false;
  const esc = name.replace(/\$/g, "\\$");
  return (
    new RegExp(String.raw`import\s+(?:\*\s*as\s+)?${esc}\s+from\s*${MODULE}`).test(file) ||
    new RegExp(String.raw`(?:const|let|var)\s+${esc}\s*=\s*require\(\s*${MODULE}\s*\)`).test(file)
  );
}
