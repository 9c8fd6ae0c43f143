/**
 * Modules whose imported names are resolved to the module's own (see ../../imports.ts), for the
 * rules and the taint engine, which know the modules by name.
 */
import type { Family } from "../../languages.js";

/**
 * Modules whose local names are resolved before the rules run (see ../../imports.ts): `import
 * subprocess as proc`, `from os import system as run`, `const child = require("child_process")`,
 * `import { exec as run } from "child_process"`. A use of such a name as a callee or a receiver is
 * read as the module's own name (`proc.run(...)` as `subprocess.run(...)`), so the rules and the
 * taint engine, which know the modules by name, see through the renaming.
 */
export const IMPORT_MODULES: Partial<Record<Family, ReadonlySet<string>>> = {
  python: new Set([
    "os",
    "os.path",
    "subprocess",
    "commands",
    "pty",
    "pickle",
    "cPickle",
    "_pickle",
    "dill",
    "cloudpickle",
    "marshal",
    "shelve",
    "jsonpickle",
    "joblib",
    "torch",
    "yaml",
    "flask",
    "quart",
    "bottle",
    "markupsafe",
    "jinja2",
    "django.utils.safestring",
    "django.http",
    "sqlalchemy",
    "jwt",
    "builtins",
  ]),
  js: new Set(["child_process", "fs", "fs.promises", "fs-extra", "vm", "path", "node-serialize", "jsonwebtoken"]),
};

/**
 * Names imported bare that say too little without their module (`from pickle import loads`:
 * `loads(data)` could be json's): their uses are read as `module.name` too, renamed or not.
 */
export const QUALIFY_BARE: Readonly<Record<string, ReadonlySet<string>>> = {
  pickle: new Set(["loads", "load", "Unpickler"]),
  cPickle: new Set(["loads", "load", "Unpickler"]),
  _pickle: new Set(["loads", "load", "Unpickler"]),
  dill: new Set(["loads", "load"]),
  cloudpickle: new Set(["loads", "load"]),
  marshal: new Set(["loads", "load"]),
  shelve: new Set(["open"]),
  jsonpickle: new Set(["decode", "loads"]),
  joblib: new Set(["load"]),
  torch: new Set(["load"]),
  yaml: new Set(["load", "load_all", "unsafe_load", "unsafe_load_all", "full_load", "full_load_all"]),
  jwt: new Set(["decode"]),
  // `from os.path import join`: join(BASE, name) is a path join
  "os.path": new Set(["join", "abspath", "realpath", "normpath"]),
  // `from subprocess import run`: a local `run` is not a subprocess
  subprocess: new Set(["run", "call", "Popen", "check_output", "check_call"]),
  // JavaScript: `import { join } from "path"` (join is too common a name to be read as path.join)
  path: new Set(["join", "resolve", "normalize"]),
};
