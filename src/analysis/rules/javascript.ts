/**
 * Rules for JavaScript and TypeScript added lines. Each aims at a real vulnerable pattern and
 * stays quiet on its safe twin: literal arguments, parameterised queries, tagged templates,
 * sanitised HTML. Regexes are compiled once, here.
 */
import type { Rule, RuleContext, RuleMatch } from "./types.js";
import { callArgs, classifyArg, argWithValue, isBuilt, openParens, takeExpression, type ArgKind } from "./syntax.js";

const JS = ["javascript"] as const;

const SQL_WORDS = /\b(?:select|insert|update|delete|from|where|values|order\s+by|join|create|drop|alter)\b/i;
/** Values a client controls in Express / Koa handlers. */
const REQUEST_INPUT = /\b(?:req|request)\.(?:params|query|body|headers|cookies)\b|\bctx\.(?:params|query|request\.body)\b/;
const SANITISED = /\b(?:DOMPurify\.sanitize|sanitize(?:Html|HTML)?|purify|escapeHtml|escapeHTML|encodeHTML|xss)\s*\(/;

/** Higher confidence when a value is visibly spliced in than when it merely is a variable. */
function byKind(kind: ArgKind, built: number, dynamic: number): RuleMatch | false {
  if (isBuilt(kind)) return { confidence: built };
  if (kind === "dynamic") return { confidence: dynamic };
  return false;
}

const SQL_CALL = /\.(?:query|execute|raw|whereRaw|orWhereRaw|havingRaw|joinRaw|\$queryRawUnsafe|\$executeRawUnsafe)\s*\(/g;

export const jsSqlInjection: Rule = {
  id: "js/sql-injection",
  category: "sql-injection",
  severity: "high",
  confidence: 0.85,
  languages: JS,
  message: "SQL text is built from a template literal or string concatenation with a runtime value: an attacker who controls the value can change the query.",
  recommendation: "Pass values as parameters (`db.query('SELECT * FROM users WHERE id = $1', [id])`, `?` placeholders, or a tagged template such as Prisma's `$queryRaw`), never by splicing them into the SQL text.",
  match(line, ctx) {
    for (const open of openParens(SQL_CALL, ctx.code())) {
      const [first] = callArgs(ctx.statement(), open, "javascript");
      const kind = classifyArg(first, ctx, "javascript");
      if (isBuilt(kind)) return { confidence: SQL_WORDS.test(argWithValue(first, ctx, "javascript")) ? 0.9 : 0.6 };
    }
    return false;
  },
};

const EXEC_CALL = /(?:\b(?:child_process|childProcess|cp|shell)\.|(?<![\w.$]))(?:exec|execSync)\s*\(/g;
const SPAWN_CALL = /(?:\b(?:child_process|childProcess|cp)\.|(?<![\w.$]))(?:spawn|spawnSync|execFile|execFileSync)\s*\(/g;
const SHELL_TRUE = /\bshell\s*:\s*true\b/;
const IMPORTS_SHELL = /child_process|shelljs/;

export const jsCommandInjection: Rule = {
  id: "js/command-injection",
  category: "command-injection",
  severity: "critical",
  confidence: 0.8,
  languages: JS,
  message: "A shell command is built from a runtime value: shell metacharacters in it (`;`, `$(...)`, `|`) run arbitrary commands.",
  recommendation: "Use `execFile`/`spawn` with the program and an argument array and no `shell: true`; validate the value against an allow-list.",
  match(line, ctx) {
    for (const open of openParens(EXEC_CALL, ctx.code())) {
      // A bare `exec(` is only child_process's when the file imports it (regex.exec is not).
      const bare = !/\.\s*exec(?:Sync)?\s*\($/.test(ctx.code().slice(0, open + 1));
      const importSeen = bare && IMPORTS_SHELL.test(ctx.text());
      if (bare && ctx.wholeFile && !importSeen) continue;
      const [first] = callArgs(ctx.statement(), open, "javascript");
      const kind = classifyArg(first, ctx, "javascript");
      // Import not in view (hunk only): a bare exec(variable) is too likely some other exec.
      if (bare && !importSeen) {
        if (isBuilt(kind)) return { confidence: 0.7 };
        continue;
      }
      const m = byKind(kind, 0.85, 0.55);
      if (m) return m;
    }
    const stmt = ctx.statement();
    if (SHELL_TRUE.test(stmt)) {
      for (const open of openParens(SPAWN_CALL, ctx.code())) {
        const args = callArgs(stmt, open, "javascript");
        const cmd = classifyArg(args[0], ctx, "javascript");
        const argv = args.length >= 3 ? classifyArg(args[1], ctx, "javascript") : "literal";
        if (cmd !== "literal" || argv !== "literal") return { confidence: 0.75 };
      }
    }
    return false;
  },
};

const EVAL_CALL = /(?<![\w.$])eval\s*\(|(?<![\w.$])(?:setTimeout|setInterval)\s*\(|\bvm\.(?:runInNewContext|runInThisContext|runInContext|compileFunction)\s*\(|\bnew\s+vm\.Script\s*\(/g;
const FUNCTION_CTOR = /\bnew\s+Function\s*\(/g;

export const jsCodeInjection: Rule = {
  id: "js/code-injection",
  category: "code-injection",
  severity: "critical",
  confidence: 0.75,
  languages: JS,
  message: "Code is evaluated from a runtime string (eval, new Function, vm): whoever controls the string runs code in the process.",
  recommendation: "Do not evaluate strings; use JSON.parse for data, a lookup table of functions for dispatch, or a real sandbox (a separate process) for untrusted code.",
  match(line, ctx) {
    const stmt = ctx.statement();
    for (const open of openParens(EVAL_CALL, ctx.code())) {
      const isTimer = /(?:setTimeout|setInterval)\s*\($/.test(ctx.code().slice(0, open + 1));
      const [first] = callArgs(stmt, open, "javascript");
      const kind = classifyArg(first, ctx, "javascript");
      // setTimeout(fn, ms) is normal; only a string built at runtime is evaluated.
      if (isTimer) {
        if (isBuilt(kind)) return { confidence: 0.7 };
        continue;
      }
      const m = byKind(kind, 0.85, 0.7);
      if (m) return m;
    }
    for (const open of openParens(FUNCTION_CTOR, ctx.code())) {
      const args = callArgs(stmt, open, "javascript");
      const kinds = args.map((a) => classifyArg(a, ctx, "javascript"));
      if (kinds.some(isBuilt)) return { confidence: 0.85 };
      if (kinds.some((k) => k === "dynamic")) return { confidence: 0.7 };
    }
    return false;
  },
};

const HTML_ASSIGN = /\.(?:innerHTML|outerHTML)\s*\+?=(?!=)/g;
const DOC_WRITE = /\bdocument\.write(?:ln)?\s*\(/g;
const ADJACENT_HTML = /\.insertAdjacentHTML\s*\(/g;
const DANGEROUS_HTML = /dangerouslySetInnerHTML\s*=\s*\{\s*\{\s*__html\s*:/g;

function unsafeHtml(value: string | undefined, ctx: RuleContext): RuleMatch | false {
  if (value === undefined || SANITISED.test(value)) return false;
  return byKind(classifyArg(value, ctx, "javascript"), 0.8, 0.6);
}

export const jsXss: Rule = {
  id: "js/xss",
  category: "xss",
  severity: "high",
  confidence: 0.7,
  languages: JS,
  message: "HTML is written from a runtime value without sanitising it: markup or script in the value runs in the user's browser (cross-site scripting).",
  recommendation: "Set `textContent` instead of `innerHTML`, let the framework escape the value, or sanitise it with `DOMPurify.sanitize(value)` first.",
  match(line, ctx) {
    const stmt = ctx.statement();
    for (const re of [HTML_ASSIGN, DANGEROUS_HTML]) {
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(ctx.code())) !== null) {
        const r = unsafeHtml(takeExpression(stmt, m.index + m[0].length, "javascript"), ctx);
        if (r) return r;
      }
    }
    for (const open of openParens(DOC_WRITE, ctx.code())) {
      const r = unsafeHtml(callArgs(stmt, open, "javascript")[0], ctx);
      if (r) return r;
    }
    for (const open of openParens(ADJACENT_HTML, ctx.code())) {
      const r = unsafeHtml(callArgs(stmt, open, "javascript")[1], ctx);
      if (r) return r;
    }
    return false;
  },
};

const FILE_SINK =
  /\b(?:fs|fsp|fsPromises)(?:\.promises)?\.(?:readFile|readFileSync|createReadStream|writeFile|writeFileSync|createWriteStream|appendFile|appendFileSync|unlink|unlinkSync|rm|rmSync|readdir|readdirSync|open|openSync)\s*\(|(?<![\w.$])(?:readFile|readFileSync|createReadStream)\s*\(|\bres\.(?:sendFile|download)\s*\(|\bpath\.(?:join|resolve)\s*\(/g;

export const jsPathTraversal: Rule = {
  id: "js/path-traversal",
  category: "path-traversal",
  severity: "high",
  confidence: 0.75,
  languages: JS,
  message: "A file path is built from request input: `../` in it reads or writes files outside the intended directory.",
  recommendation: "Reduce the input to a file name with `path.basename`, resolve it under a fixed root and check the result still starts with that root (or use `res.sendFile(name, { root })`).",
  match(line, ctx) {
    for (const open of openParens(FILE_SINK, ctx.code())) {
      const args = callArgs(ctx.statement(), open, "javascript");
      const text = args.map((a) => argWithValue(a, ctx, "javascript")).join(" ");
      if (!REQUEST_INPUT.test(text)) continue;
      if (/\bbasename\s*\(/.test(text) || /\broot\s*:/.test(text)) continue;
      return true;
    }
    return false;
  },
};

const UNSERIALIZE = /(?:\b\w+\.|(?<![\w.$]))unserialize\s*\(/g;
const YAML_LOAD = /\b(?:yaml|jsyaml|jsYaml|YAML)\.load\s*\(/g;

export const jsInsecureDeserialization: Rule = {
  id: "js/insecure-deserialization",
  category: "insecure-deserialization",
  severity: "critical",
  confidence: 0.7,
  languages: JS,
  message: "Data is deserialised with a format that can carry functions (node-serialize, js-yaml full schema): a crafted payload runs code.",
  recommendation: "Use JSON.parse, or js-yaml 4's `load` with its default safe schema; never deserialise untrusted data into functions.",
  match(line, ctx) {
    const stmt = ctx.statement();
    for (const open of openParens(UNSERIALIZE, ctx.code())) {
      const kind = classifyArg(callArgs(stmt, open, "javascript")[0], ctx, "javascript");
      if (kind === "literal" || kind === "empty") continue;
      return { confidence: ctx.wholeFile && /node-serialize/.test(ctx.text()) ? 0.85 : 0.6 };
    }
    // js-yaml < 4: load with the full schema builds functions (conservative: only when explicit).
    if (openParens(YAML_LOAD, ctx.code()).length > 0 && /DEFAULT_FULL_SCHEMA/.test(stmt)) return { confidence: 0.8 };
    return false;
  },
};

const WEAK_HASH = /\bcreateHash\s*\(\s*(['"`])(?:md5|md4|sha1)\1/i;
const OLD_CIPHER = /\bcreate(?:Cipher|Decipher)\s*\(/;
const SECURITY_CONTEXT = /passw|secret|token|sign|auth|salt|credential|session|nonce|api_?key/i;

export const jsWeakCrypto: Rule = {
  id: "js/weak-crypto",
  category: "weak-crypto",
  severity: "medium",
  confidence: 0.5,
  languages: JS,
  message: "A broken algorithm is used: MD5/SHA-1 collide, and `crypto.createCipher` derives its key and IV without salt (deprecated).",
  recommendation: "Use SHA-256 or better for hashing, a password hash (scrypt, argon2, bcrypt) for passwords, and `createCipheriv` with a random IV (AES-256-GCM).",
  match(line, ctx) {
    if (OLD_CIPHER.test(ctx.code()))
      return { confidence: 0.9, message: "`crypto.createCipher`/`createDecipher` is deprecated: it derives key and IV from a password with MD5 and no salt." };
    if (WEAK_HASH.test(line))
      return SECURITY_CONTEXT.test(line) ? { confidence: 0.85, severity: "high" } : { confidence: 0.5, severity: "low" };
    return false;
  },
};

const MATH_RANDOM = /\bMath\.random\s*\(\s*\)/;
const SECRET_NAME = /token|secret|passw|nonce|salt|otp|session|api_?key|\bkey\b|uuid|guid|\bid\b|_id\b/i;
const CAMEL_ID = /[a-z]Id\b|[a-z]Key\b|Token/;

export const jsInsecureRandomness: Rule = {
  id: "js/insecure-randomness",
  category: "insecure-randomness",
  severity: "medium",
  confidence: 0.7,
  languages: JS,
  message: "`Math.random()` generates a token, secret or id: its output is predictable and must not protect anything.",
  recommendation: "Use `crypto.randomUUID()` or `crypto.randomBytes(32).toString('hex')`.",
  match(line, ctx) {
    const code = ctx.code();
    return MATH_RANDOM.test(code) && (SECRET_NAME.test(code) || CAMEL_ID.test(code));
  },
};

const HTTP_CALL =
  /(?<![\w.$])(?:fetch|axios(?:\.(?:get|post|put|patch|delete|head|request))?|got(?:\.(?:get|post|put|patch|delete|stream))?|request(?:\.(?:get|post))?|needle|superagent\.(?:get|post)|https?\.(?:get|request))\s*\(/g;

export const jsSsrf: Rule = {
  id: "js/ssrf",
  category: "ssrf",
  severity: "high",
  confidence: 0.8,
  languages: JS,
  message: "The server requests a URL taken from the request: an attacker can make it call internal services or cloud metadata (SSRF).",
  recommendation: "Do not fetch user-supplied URLs; if you must, allow-list hosts, resolve and reject private/link-local addresses, and disable redirects.",
  match(line, ctx) {
    for (const open of openParens(HTTP_CALL, ctx.code())) {
      const [first] = callArgs(ctx.statement(), open, "javascript");
      if (REQUEST_INPUT.test(argWithValue(first, ctx, "javascript"))) return true;
    }
    return false;
  },
};

const TLS_OFF = /\brejectUnauthorized\s*:\s*false\b|NODE_TLS_REJECT_UNAUTHORIZED['"`]?\]?\s*[:=]\s*['"`]?0\b|\bstrictSSL\s*:\s*false\b/;

export const jsInsecureTls: Rule = {
  id: "js/insecure-tls",
  category: "insecure-tls",
  severity: "high",
  confidence: 0.9,
  languages: JS,
  message: "TLS certificate verification is turned off: anyone on the network path can read and alter the traffic.",
  recommendation: "Keep verification on; for a private CA pass its certificate with the `ca` option (or NODE_EXTRA_CA_CERTS).",
  match(line) {
    return TLS_OFF.test(line);
  },
};

export const javascriptRules: readonly Rule[] = [
  jsSqlInjection,
  jsCommandInjection,
  jsCodeInjection,
  jsXss,
  jsPathTraversal,
  jsInsecureDeserialization,
  jsWeakCrypto,
  jsInsecureRandomness,
  jsSsrf,
  jsInsecureTls,
];
