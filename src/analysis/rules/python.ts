/**
 * Rules for Python added lines. Like the JavaScript rules they flag values spliced into
 * queries, shells and evaluators, and stay quiet on literals and parameterised calls
 * (`cursor.execute("... %s", (x,))`).
 */
import type { Rule, RuleMatch } from "./types.js";
import { argWithValue, callArgs, classifyArg, isBuilt, openParens, type ArgKind } from "./syntax.js";

const PY = ["python"] as const;

const SQL_WORDS = /\b(?:select|insert|update|delete|from|where|values|order\s+by|join|create|drop|alter)\b/i;
/** Values a client controls in Flask / Django / FastAPI handlers. */
const REQUEST_INPUT = /\brequest\.(?:args|form|values|files|json|data|GET|POST|query_params|path_params|cookies|headers)\b/;

function byKind(kind: ArgKind, built: number, dynamic: number): RuleMatch | false {
  if (isBuilt(kind)) return { confidence: built };
  if (kind === "dynamic") return { confidence: dynamic };
  return false;
}

const SQL_CALL = /\.(?:execute|executemany|executescript|raw|extra)\s*\(/g;
const TEXT_CALL = /(?<![\w.])(?:sa\.|sqlalchemy\.)?text\s*\(/g;

export const pySqlInjection: Rule = {
  id: "py/sql-injection",
  category: "sql-injection",
  severity: "high",
  confidence: 0.85,
  languages: PY,
  message: "SQL text is built with an f-string, `%`, `.format()` or `+` from a runtime value: an attacker who controls the value can change the query.",
  recommendation: "Pass values as query parameters: `cursor.execute(\"SELECT * FROM users WHERE id = %s\", (user_id,))`, or `text(\"... :id\")` with bound parameters.",
  match(line, ctx) {
    const stmt = ctx.statement();
    for (const [re, needsSqlWords] of [[SQL_CALL, false], [TEXT_CALL, true]] as const) {
      for (const open of openParens(re, ctx.code())) {
        const [first] = callArgs(stmt, open, "python");
        if (!isBuilt(classifyArg(first, ctx, "python"))) continue;
        const hasSql = SQL_WORDS.test(argWithValue(first, ctx, "python"));
        if (needsSqlWords && !hasSql) continue;
        return { confidence: hasSql ? 0.9 : 0.6 };
      }
    }
    return false;
  },
};

const OS_SHELL = /\bos\.(?:system|popen)\s*\(|\bsubprocess\.(?:getoutput|getstatusoutput)\s*\(/g;
const SUBPROCESS = /\bsubprocess\.(?:run|call|Popen|check_output|check_call)\s*\(/g;
const SHELL_TRUE = /\bshell\s*=\s*True\b/;

export const pyCommandInjection: Rule = {
  id: "py/command-injection",
  category: "command-injection",
  severity: "critical",
  confidence: 0.8,
  languages: PY,
  message: "A shell command is built from a runtime value: shell metacharacters in it (`;`, `$(...)`, `|`) run arbitrary commands.",
  recommendation: "Call `subprocess.run([program, arg, ...])` with a list and without `shell=True`; use `shlex.quote` only as a last resort.",
  match(line, ctx) {
    const stmt = ctx.statement();
    for (const open of openParens(OS_SHELL, ctx.code())) {
      const m = byKind(classifyArg(callArgs(stmt, open, "python")[0], ctx, "python"), 0.85, 0.6);
      if (m) return m;
    }
    if (SHELL_TRUE.test(stmt)) {
      for (const open of openParens(SUBPROCESS, ctx.code())) {
        const m = byKind(classifyArg(callArgs(stmt, open, "python")[0], ctx, "python"), 0.85, 0.65);
        if (m) return m;
      }
    }
    return false;
  },
};

const EVAL_CALL = /(?<![\w.])(?:eval|exec)\s*\(/g;

export const pyCodeInjection: Rule = {
  id: "py/code-injection",
  category: "code-injection",
  severity: "critical",
  confidence: 0.75,
  languages: PY,
  message: "`eval`/`exec` runs a runtime string as Python: whoever controls the string runs code in the process.",
  recommendation: "Use `ast.literal_eval` for literals, `json.loads` for data, or a dispatch table of allowed functions.",
  match(line, ctx) {
    const stmt = ctx.statement();
    for (const open of openParens(EVAL_CALL, ctx.code())) {
      const m = byKind(classifyArg(callArgs(stmt, open, "python")[0], ctx, "python"), 0.85, 0.7);
      if (m) return m;
    }
    return false;
  },
};

const PICKLE = /\b(?:pickle|cPickle|_pickle|dill|cloudpickle|jsonpickle)\.(loads?|decode)\s*\(/;
const MARSHAL = /\bmarshal\.loads?\s*\(/;
const YAML_LOAD = /\byaml\.load\s*\(/;
const YAML_UNSAFE = /\byaml\.(?:unsafe_load|full_load|load_all)\s*\(/;
const SAFE_LOADER = /\b(?:SafeLoader|CSafeLoader|BaseLoader)\b/;
const UNSAFE_LOADER = /Loader\s*=\s*(?:yaml\.)?(?:Loader|UnsafeLoader|FullLoader|CLoader|CUnsafeLoader|CFullLoader)\b/;

export const pyInsecureDeserialization: Rule = {
  id: "py/insecure-deserialization",
  category: "insecure-deserialization",
  severity: "critical",
  confidence: 0.75,
  languages: PY,
  message: "Data is deserialised with a format that can construct arbitrary objects (pickle, marshal, unsafe YAML): a crafted payload runs code.",
  recommendation: "Use JSON, or `yaml.safe_load`; only unpickle data this service wrote itself and that nobody else can modify (sign it, e.g. with hmac).",
  match(line, ctx) {
    const code = ctx.code();
    const pickle = PICKLE.exec(code);
    if (pickle) return { confidence: pickle[1] === "load" ? 0.6 : 0.75 };
    if (MARSHAL.test(code)) return { confidence: 0.7 };
    if (YAML_UNSAFE.test(code) && !SAFE_LOADER.test(ctx.statement())) return { confidence: 0.8 };
    if (YAML_LOAD.test(code)) {
      const stmt = ctx.statement();
      if (SAFE_LOADER.test(stmt)) return false;
      return { confidence: UNSAFE_LOADER.test(stmt) ? 0.85 : 0.7 };
    }
    return false;
  },
};

const WEAK_HASH = /\bhashlib\.(?:md5|sha1)\s*\(|\bhashlib\.new\s*\(\s*['"](?:md5|sha1)['"]/i;
const NOT_FOR_SECURITY = /\busedforsecurity\s*=\s*False\b/;
const SECURITY_CONTEXT = /passw|secret|token|sign|auth|salt|credential|session|nonce|api_?key/i;

export const pyWeakCrypto: Rule = {
  id: "py/weak-crypto",
  category: "weak-crypto",
  severity: "medium",
  confidence: 0.5,
  languages: PY,
  message: "MD5/SHA-1 is used: both have practical collisions and must not protect passwords, signatures or tokens.",
  recommendation: "Use `hashlib.sha256` (or better); for passwords `hashlib.scrypt`, argon2 or bcrypt; pass `usedforsecurity=False` when the hash is only a checksum.",
  match(line, ctx) {
    if (!WEAK_HASH.test(line) || !/\bhashlib\./.test(ctx.code())) return false;
    if (NOT_FOR_SECURITY.test(ctx.statement())) return false; // declared as a checksum
    return SECURITY_CONTEXT.test(line) ? { confidence: 0.85, severity: "high" } : { confidence: 0.5, severity: "low" };
  },
};

const PY_RANDOM = /\brandom\.(?:random|randint|choice|choices|randrange|getrandbits|sample)\s*\(/;
const SECRET_NAME = /token|secret|passw|nonce|salt|otp|session|api_?key|\bkey\b|\bid\b|_id\b/i;

export const pyInsecureRandomness: Rule = {
  id: "py/insecure-randomness",
  category: "insecure-randomness",
  severity: "medium",
  confidence: 0.7,
  languages: PY,
  message: "The `random` module generates a token, secret or id: its output is predictable and must not protect anything.",
  recommendation: "Use the `secrets` module: `secrets.token_urlsafe(32)`, `secrets.choice(...)`.",
  match(line, ctx) {
    const code = ctx.code();
    return PY_RANDOM.test(code) && SECRET_NAME.test(code);
  },
};

const FILE_SINK = /(?<![\w.])open\s*\(|\bio\.open\s*\(|\bsend_file\s*\(|\bos\.path\.join\s*\(/g;
const SAFE_NAME = /\b(?:secure_filename|basename|safe_join)\s*\(/;

export const pyPathTraversal: Rule = {
  id: "py/path-traversal",
  category: "path-traversal",
  severity: "high",
  confidence: 0.75,
  languages: PY,
  message: "A file path is built from request input: `../` in it reads or writes files outside the intended directory.",
  recommendation: "Use `werkzeug.utils.secure_filename` or `send_from_directory`, or resolve the path and check it stays under the intended root.",
  match(line, ctx) {
    for (const open of openParens(FILE_SINK, ctx.code())) {
      const args = callArgs(ctx.statement(), open, "python");
      const text = args.map((a) => argWithValue(a, ctx, "python")).join(" ");
      if (REQUEST_INPUT.test(text) && !SAFE_NAME.test(text)) return true;
    }
    return false;
  },
};

const HTTP_CALL = /\b(?:requests|httpx)\.(?:get|post|put|patch|delete|head|request|stream)\s*\(|(?<![\w])(?:urllib\.request\.)?urlopen\s*\(/g;

export const pySsrf: Rule = {
  id: "py/ssrf",
  category: "ssrf",
  severity: "high",
  confidence: 0.8,
  languages: PY,
  message: "The server requests a URL taken from the request: an attacker can make it call internal services or cloud metadata (SSRF).",
  recommendation: "Do not fetch user-supplied URLs; if you must, allow-list hosts, resolve and reject private/link-local addresses, and disable redirects.",
  match(line, ctx) {
    for (const open of openParens(HTTP_CALL, ctx.code())) {
      const args = callArgs(ctx.statement(), open, "python");
      // requests.request(method, url): the URL is the second argument.
      const urlArgs = /\.request\s*\($/.test(line.slice(0, open + 1)) ? args.slice(0, 2) : args.slice(0, 1);
      if (urlArgs.some((a) => REQUEST_INPUT.test(argWithValue(a, ctx, "python")))) return true;
    }
    return false;
  },
};

const TLS_OFF =
  /\bverify\s*=\s*False\b|\bssl\._create_unverified_context\s*\(|\.check_hostname\s*=\s*False\b|\b(?:verify_mode|cert_reqs)\s*=\s*ssl\.CERT_NONE\b/;

export const pyInsecureTls: Rule = {
  id: "py/insecure-tls",
  category: "insecure-tls",
  severity: "high",
  confidence: 0.9,
  languages: PY,
  message: "TLS certificate verification is turned off: anyone on the network path can read and alter the traffic.",
  recommendation: "Keep verification on; for a private CA pass its bundle: `verify=\"/path/to/ca.pem\"` (or REQUESTS_CA_BUNDLE).",
  match(line) {
    return TLS_OFF.test(line);
  },
};

/** app.run / socketio.run, not asyncio.run (whose debug flag is harmless). */
const DEBUG_RUN = /\b(?!asyncio\.)\w+\.run\s*\(/;
const DEBUG_TRUE = /\bdebug\s*=\s*True\b/;

export const pyDebugLeftover: Rule = {
  id: "py/debug-leftover",
  category: "debug-leftover",
  severity: "medium",
  confidence: 0.8,
  languages: PY,
  message: "The Flask app runs with `debug=True`: the Werkzeug debugger lets anyone who reaches it run code on the server.",
  recommendation: "Drive debug mode from the environment (`FLASK_DEBUG`) and never enable it in production.",
  match(line, ctx) {
    return DEBUG_RUN.test(ctx.code()) && DEBUG_TRUE.test(ctx.statement());
  },
};

export const pythonRules: readonly Rule[] = [
  pySqlInjection,
  pyCommandInjection,
  pyCodeInjection,
  pyInsecureDeserialization,
  pyWeakCrypto,
  pyInsecureRandomness,
  pyPathTraversal,
  pySsrf,
  pyInsecureTls,
  pyDebugLeftover,
];
