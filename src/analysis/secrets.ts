/**
 * Secrets: detecting them in changed files, and redacting them from everything the bot writes.
 *
 * - Provider token formats live in one table (`secretFormats.ts`), read by both sides: the
 *   detector reports them, the redactor hides them. `scanFormats` finds every format's anchor in
 *   one regex pass, then tries only the formats whose anchors it met, at their positions.
 * - Detection (`detectSecrets`, async) adds secretlint's recommended rule preset (a maintained
 *   detector library, run once on a whole text), strict PEM private keys, and the generic
 *   check (`findGenericSecrets`): high-entropy values assigned to names like `password`,
 *   `secret`, `token`, `api_key`, in code and in configuration files (.env, YAML, properties,
 *   INI, TOML, Dockerfiles, shell), plus passwords in connection strings, credential calls and
 *   `Authorization` headers.
 * - Redaction (`redactSecrets`, sync) is the safety net on every output (comments, issues,
 *   logs, event text, webhook payloads). It runs the same table, looser PEM blocks and the
 *   generic check, so that a secret pasted into a pull request title or body, or quoted in a
 *   code snippet, is never echoed. It errs on the side of hiding. `redactKnownSecrets` hides
 *   exact values (those the detector found).
 * - `redact` is the one step every boundary applies, to the whole text before any cut: the
 *   shapes above plus the exact values found in the pull request the current job reviews
 *   (`withKnownSecrets`, memory only). It knows every format the detector reports.
 *
 * Severity follows evidence: a provider format (distinctive prefix or shape, a check digit when
 * the format has one) is high, critical for root keys (AWS secret keys, private keys); a
 * secret-looking name with a high-entropy value is medium; weak values are low.
 *
 * Everything here runs in time linear in the text's length: bounded quantifiers, no nested
 * ones, and regexes tried only where a cheap anchor or name was found.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { DEFAULT_RIGHT, TOKEN_FORMATS, type TokenFormat } from "./secretFormats.js";
import type { Severity } from "./types.js";

// ---------------------------------------------------------------------------------------------
// Placeholders and entropy
// ---------------------------------------------------------------------------------------------

/** Values that are obviously not real secrets: documentation examples, templates, lookups. */
const PLACEHOLDER =
  /example|xxx|changeme|change[_-]me|placeholder|your[_-]|yourpass|<|>|\$\{|\{\{|\$\(|%\(|%s|process\.env|os\.environ|getenv|env\(|\benv\.|dummy|redacted|\*\*\*|\.\.\.|sample|fake|test|mock|secret_?here|key_?here|token_?here/i;

/** Runs and ascending sequences ("00000", "12345", "abcde") mark hand-typed example values. */
const TYPED_PATTERN = /(.)\1{4,}|01234|12345|23456|34567|45678|56789|abcde|bcdef/i;

/** Template and format references: `{name}`, `{{ name }}`, `%NAME%`, `@NAME@`, `:name`, `$NAME`. */
const TEMPLATE = /^(?:\{\{?[ \t]*[\w.|() -]{1,80}[ \t]*\}?\}|%[\w.]{1,80}%|@[\w.]{1,80}@|:[A-Za-z_]\w{0,80}|\$\{?[\w.]{1,80}\}?)$/;

/**
 * Whether a value assigned to a secret-looking name, or a password in a URL, is a placeholder
 * (`EXAMPLE`, `xxx`, `changeme`, `your-key-here`, `<key>`, `${VAR}`, `{{ var }}`, `{var}`,
 * `%(pw)s`, `process.env.X`, `dummy`, `test`, `****`, `00000`, `12345`...).
 */
export function isPlaceholder(value: string): boolean {
  return PLACEHOLDER.test(value) || TYPED_PATTERN.test(value) || /^[$%]/.test(value) || TEMPLATE.test(value);
}

/**
 * The narrower check for values that already have a vendor's token shape (`ghp_...`,
 * `sk_test_...`): "test" is part of real key names there, and random tokens may hold short runs.
 */
const PLACEHOLDER_TOKEN = /example|xxxx|placeholder|your[_-]|<|>|\$\{|\{\{|redacted|\*\*\*|\.\.\.|(.)\1{5,}|0123456|1234567|abcdefg/i;

export function isPlaceholderToken(value: string): boolean {
  return PLACEHOLDER_TOKEN.test(value);
}

/** A PEM block whose body is "...", "<key>" or "xxx" is documentation. */
function isPlaceholderKey(block: string): boolean {
  const afterHeader = block.replace(/^-----BEGIN[^-]*-----/, "");
  // The string or code span closes right after the header: a constant naming the format, not a key.
  if (/^\s*["'`|)]/.test(afterHeader)) return true;
  const body = afterHeader.replace(/\\n|\s|["'`]/g, "").slice(0, 24);
  return body.length === 0 ? false : /^\.\.\.|<|xxx|example|your|redacted/i.test(body);
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

// ---------------------------------------------------------------------------------------------
// What the scans return
// ---------------------------------------------------------------------------------------------

/** The redaction tag: a format's `kind` ("github-token", "aws-access-key-id"...), "private-key", "generic-secret". */
export type SecretKind = string;

export interface SecretMatch {
  start: number;
  end: number;
  kind: SecretKind;
}

/** One secret a scan found: where the value is, what it is, and how much the evidence is worth. */
export interface FoundSecret extends SecretMatch {
  /** Where the match came from: a format id ("github-pat"), "generic", "pem". */
  source: string;
  label: string;
  severity: Severity;
  confidence: number;
  /** The exact secret (for redaction of the same value elsewhere; never print it). */
  value: string;
  /** False: hidden by the redactor, not reported by the detector (public keys, documentation). */
  report: boolean;
  /** The whole match (the value may be a part of it: `AccountKey=<value>`, `DD_API_KEY=<value>`). */
  matchStart: number;
  matchEnd: number;
}

interface Span {
  start: number;
  end: number;
}

/**
 * Which spans a new one would overlap, in O(log n): spans sorted by start, with the largest end
 * seen so far. (A hostile text may hold many thousands of secrets: pairwise checks would be quadratic.)
 */
class SpanIndex {
  private readonly starts: number[];
  private readonly maxEnds: number[];
  constructor(spans: readonly Span[]) {
    const sorted = [...spans].sort((a, b) => a.start - b.start);
    this.starts = sorted.map((x) => x.start);
    this.maxEnds = [];
    let max = -1;
    for (const x of sorted) this.maxEnds.push((max = Math.max(max, x.end)));
  }
  overlaps(span: Span): boolean {
    // The last span starting before `span` ends; any span up to it that ends after `span` starts overlaps.
    let lo = 0;
    let hi = this.starts.length - 1;
    let last = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] < span.end) [last, lo] = [mid, mid + 1];
      else hi = mid - 1;
    }
    return last >= 0 && this.maxEnds[last] > span.start;
  }
}

// ---------------------------------------------------------------------------------------------
// The generic check: high-entropy values assigned to secret-looking names
// ---------------------------------------------------------------------------------------------

const DOTTED_IDENTIFIER = /^[A-Za-z_$#][\w$#]*(?:\??\.[A-Za-z_$#][\w$#]*)+$/;
/** File paths and URLs are configuration, not secrets. */
const PATH_OR_URL = /^(?:[~.]?\/)[\w./-]*$|:\/\/|^[\w.-]+(?:\/[\w.-]+)+$|\.(?:pem|key|crt|cer|pub|p12|pfx|jks|json|txt|ya?ml|env|ini|conf)$/i;
/** A value that repeats the secret word ("token123", "mypassword1") is an example. */
const NAMES_ITSELF = /passw(?:or)?d|secret|token|api_?key/i;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
/** camelCase and PascalCase words ("passwordInput", "GoogleMapsKey"): a name, not a value. */
const CAMEL_WORDS = /^[A-Za-z][a-z]+(?:[A-Z][a-z]+)+$|^[a-z]+(?:[A-Z][a-z]*)+$/;
/** GITHUB_TOKEN, DB_PASSWORD_V2, PROD: the name of a variable, not its value. */
const CONSTANT_NAME = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$|^[A-Z]+$/;
const WORDS = /^[a-z]+(?:[_.-][a-z]+)*$/;
/** "Passwort", "Geheimnis": one word. */
const ONE_WORD = /^[A-Z]?[a-z]+$/;
/** `VARCHAR(255)`, `uuid4()`, `bcrypt.hash(x)`: a call or a column type. */
const CALL_LIKE = /^[A-Za-z_][\w.]{0,80}\([^)]{0,200}\)$/;
/** A validation pattern: `^(?=.*\d).{8,}$`, `[A-Za-z0-9]{32}` (Django's keys start with `^` too: the syntax decides). */
const REGEX_LIKE = /\(\?[=!:<]|\\[dswDSWbB]|\[[^\]]{1,40}\][*+?{]|\.[*+]|\{\d{1,3},\d{0,3}\}|^\^[\w\\[(.]{0,200}\$$/;
/** Framework validation rules: `required|string|min:8|confirmed`. */
const RULES_LIKE = /^[a-z_]{2,30}(?::[\w,.]{1,40})?(?:\|[a-z_]{2,30}(?::[\w,.]{1,40})?){1,20}$/;
/** Letters outside ASCII: a word in another language ("Contraseña", "Mot de passe"). */
const NON_ASCII = /[^\x00-\x7F]/;

/** A base64 value that decodes to a placeholder (`cGFzc3dvcmQ=` is "password"). */
function decodesToPlaceholder(value: string): boolean {
  if (value.length < 8 || value.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  const decoded = Buffer.from(value, "base64").toString("latin1");
  return /^[\x20-\x7e]+$/.test(decoded) && (isPlaceholder(decoded) || NAMES_ITSELF.test(decoded) || /^[a-z]+$/i.test(decoded));
}

/**
 * Whether a value assigned to a secret-looking name is plausibly a real secret. Words,
 * identifiers, paths, calls, patterns and names of environment variables are not; short
 * passwords get a lower entropy bar because their maximum entropy is lower.
 */
function looksSecret(value: string, quoted: boolean): boolean {
  if (value.length < 8 || /\s/.test(value) || NON_ASCII.test(value) || isPlaceholder(value) || NAMES_ITSELF.test(value)) return false;
  if (
    DOTTED_IDENTIFIER.test(value) ||
    PATH_OR_URL.test(value) ||
    CAMEL_WORDS.test(value) ||
    CONSTANT_NAME.test(value) ||
    WORDS.test(value) ||
    ONE_WORD.test(value) ||
    CALL_LIKE.test(value) ||
    REGEX_LIKE.test(value) ||
    RULES_LIKE.test(value) ||
    decodesToPlaceholder(value)
  )
    return false;
  let classes = 0;
  if (/[a-z]/.test(value)) classes++;
  if (/[A-Z]/.test(value)) classes++;
  if (/\d/.test(value)) classes++;
  if (/[^\w.-]/.test(value)) classes++;
  if (classes < 2) return false;
  if (!quoted && IDENTIFIER.test(value) && !(value.length >= 16 && /\d/.test(value))) return false;
  const bar = quoted ? Math.min(3.0, 0.8 * Math.log2(value.length)) : Math.min(3.5, 0.85 * Math.log2(value.length));
  return shannonEntropy(value) >= bar;
}

/**
 * A value that passes the generic check but is a guessable word with digits ("admin123",
 * "Welcome2024!") or short: weak evidence of a production secret. Reported low.
 */
function weakValue(value: string): boolean {
  return value.length < 10 || /^[A-Za-z]{2,20}[0-9]{1,6}[!@#$%^&*?.]?$/.test(value);
}

/** Names whose value is a credential. The name must END in one of these (tokenType, passwordHash do not). */
const SECRET_NAMES =
  "password|passwd|passphrase|pwd|(?<![a-z])pass|secret|secret[_-]?key|token|api[_-]?key|apikey|access[_-]?key|client[_-]?secret|private[_-]?key|auth|auth[_-]?key|signing[_-]?key|encryption[_-]?key|" +
  "jwt[_-]?key|hmac[_-]?key|master[_-]?key|session[_-]?key|app[_-]?key|crypt[_-]?key|cipher[_-]?key|aes[_-]?key|sign[_-]?key|credentials?";

/**
 * A conversion around a literal (`[]byte("...")` in Go, `Buffer.from("...")`, `b"..."` in
 * Python, `"...".getBytes()` needs none, `Keys.hmacShaKeyFor(...)`): the literal is still the secret.
 */
const WRAPPED =
  String.raw`(?:(?:\[\](?:byte|rune)|(?:new\s+)?String|Buffer\.from|bytes|str|(?:new\s+)?TextEncoder\(\)\.encode|(?:Keys\.)?hmacShaKeyFor|new\s+SecretKeySpec|(?:base64\.)?(?:urlsafe_)?b64decode|Base64\.get(?:Url|Mime)?Decoder\(\)\.decode|hex\.DecodeString)\(\s{0,8})?(?:[rbuRBU]{1,2}(?=["']))?`;

/**
 * name, optional type annotation, operator, value: `x = "..."`, `x: "..."`, `"x": "..."`,
 * `X=...`, `x := "..."`, `'x' => '...'`, `config["x"] = "..."`, Go's `var x string = "..."` and
 * `x = []byte("...")`. A quoted value is a literal; a bare one is a literal only in configuration
 * formats (.env, YAML, properties); in code it is a reference. One line only.
 */
const GENERIC = new RegExp(
  String.raw`(?:${SECRET_NAMES})(?![\w-])["']?\]?(?:[ \t]{0,8}\??:[ \t]{0,8}[A-Za-z_][\w.<>\[\]|]{0,80}|[ \t]{1,8}(?:\[\])?[A-Za-z_][\w.]{0,80})?[ \t]{0,20}(?<op>=>|:=|===?|!==?|=|:)[ \t]{0,20}` +
    String.raw`(?:${WRAPPED}(?<q>["'\x60])(?<secret>[^"'\x60\r\n]{8,256}?)\k<q>|(?<bare>[^\s"'\x60,;:(){}\[\]<>]{8,256}))`,
  "dgi",
);

/**
 * Secrets passed to a setter or builder (`cfg.setPassword("...")`, `sgMail.setApiKey("...")`,
 * `.password("...")`, `withSecret("...")`) or stored under a secret-looking key
 * (`props.put("mail.smtp.password", "...")`, `os.Setenv("DB_PASSWORD", "...")`,
 * `os.getenv("API_TOKEN", "...")`): quoted values only.
 */
const GENERIC_CALL = new RegExp(
  String.raw`(?:(?:\b(?:set|with)\w{0,40}?|(?<=\.))(?:${SECRET_NAMES})\s{0,8}\(\s{0,8}|(?:${SECRET_NAMES})["']\s{0,8},\s{0,8})${WRAPPED}(?<q>["'\x60])(?<secret>[^"'\x60\r\n]{8,256}?)\k<q>`,
  "dgi",
);

/** One argument of a call: a string literal or a plain expression. */
const ARG = String.raw`(?:"[^"\r\n]{0,200}"|'[^'\r\n]{0,200}'|[\w.$\[\]]{1,100})`;

/**
 * Calls whose last argument is a password: `DriverManager.getConnection(url, "app", "…")`,
 * `smtp.login("me@x.io", "…")`, `new PasswordAuthentication("u", "…".toCharArray())`,
 * `HTTPBasicAuth("u", "…")`, `auth=("u", "…")`.
 */
const CREDENTIAL_CALL = new RegExp(
  String.raw`(?:\b(?:getConnection|NetworkCredential|UsernamePasswordCredentials|UsernamePasswordAuthenticationToken|PasswordAuthentication|HTTPBasicAuth|HTTPDigestAuth|HttpBasicAuth|BasicAuth|basicAuth|setBasicAuth|basic|SimpleCredentials|login|authenticate)\(|\bauth[ \t]{0,4}=[ \t]{0,4}\()` +
    String.raw`[ \t]{0,4}(?:${ARG}[ \t]{0,4},[ \t]{0,4}){1,3}(?<q>["'])(?<secret>[^"'\r\n]{6,256}?)\k<q>(?:\.toCharArray\(\))?[ \t]{0,4}[,)]`,
  "dg",
);

/**
 * A fallback literal after an environment lookup: `process.env.JWT_SECRET || "…"`,
 * `os.getenv("DB_PASSWORD") or "…"`, `ENV.fetch("API_KEY") ?? "…"`. The literal ships with the code.
 */
const FALLBACK = new RegExp(
  String.raw`(?:${SECRET_NAMES})(?![\w-])["']?\]?[ \t]{0,8}(?:=|:|=>)[ \t]{0,8}[^\n"'\x60]{0,40}?(?:env|environ|getenv|config|settings|options)\b[^\n]{0,100}?(?:\|\||\?\?|\bor\b)[ \t]{0,8}(?<q>["'\x60])(?<secret>[^"'\x60\r\n]{8,256}?)\k<q>`,
  "dgi",
);

/** `password=…` inside a connection string (libpq, ADO.NET, JDBC query, ODBC); in code, only inside a string. */
const DSN_PASSWORD = /(?<![\w.-])(?:password|passwd|pwd)[ \t]{0,3}=[ \t]{0,3}(?<secret>[^\s;"'&)`]{6,128})/dgi;
const DSN_CONTEXT = /(?:^|[\s;"'?&])(?:user(?:name)?|user id|uid|host|server|data source|dbname|database|initial catalog)[ \t]{0,3}=/i;

/** `Authorization: Bearer <token>` and `"Bearer <token>"` with a literal token. */
const BEARER = /(?:["'`]|authorization["']?[ \t]{0,4}[:=][ \t]{0,4}["']?)(?:bearer|token)[ \t]{1,4}(?<secret>[\w\-.~+/]{16,512}={0,2})(?![\w\-.~+/=])/dgi;
/** `Authorization: Basic <base64 of user:password>`. */
const BASIC = /(?:["'`]|authorization["']?[ \t]{0,4}[:=][ \t]{0,4}["']?)basic[ \t]{1,4}(?<secret>[A-Za-z0-9+/]{8,512}={0,2})(?![A-Za-z0-9+/=])/dgi;
/** `curl -u user:password`, `--user user:password`. */
const CURL_USER = /(?:^|[\s"'])(?:-u|--user)[ =]{1,3}["']?[^\s:"'$]{1,64}:(?<secret>[^\s"'@$]{6,128})/dg;

/** Configuration only: a YAML env list (`- name: DB_PASSWORD` then `value: …`, Kubernetes, Compose, Actions). */
const YAML_PAIR = new RegExp(
  String.raw`(?:^|\n)[ \t]{0,40}-?[ \t]{0,4}name:[ \t]{0,4}["']?[\w.-]{0,60}?(?:${SECRET_NAMES})(?![\w-])["']?[ \t]{0,8}\r?\n[ \t]{0,40}value:[ \t]{0,4}(?:(?<q>["'])(?<secret>[^"'\r\n]{8,256})\k<q>|(?<bare>[^\s"'#]{8,256}))`,
  "dgi",
);
/** Configuration only: Dockerfile `ENV DB_PASSWORD value` (the space form) and `ARG`. */
const DOCKER_ENV = new RegExp(
  String.raw`^[ \t]{0,20}(?:ENV|ARG)[ \t]{1,20}[\w.-]{0,60}?(?:${SECRET_NAMES})(?![\w-])[ \t]{1,20}(?:(?<q>["'])(?<secret>[^"'\r\n]{8,256})\k<q>|(?<bare>[^\s="']{8,256}))[ \t]*$`,
  "dgim",
);
/** Configuration only: command-line flags, `--password value`. */
const CLI_FLAG = /(?:^|\s)--(?:password|passwd|token|api-key|apikey|secret|client-secret|access-token)[ \t]{1,4}(?<bare>[^\s"'$-][^\s"']{7,255})/dgi;

/** Cheap test before the regexes: the text mentions a secret-looking name at all. */
const GENERIC_HINT = /pass|pwd|secret|token|key|auth|credential|bearer|basic|login|getconnection|--user|-u /i;

export interface GenericSecretOptions {
  /**
   * Only quoted values count (code: JS, TS, Python, Go, Java...), where an unquoted value is a
   * variable or a call. Default false (configuration files, free text).
   */
  quotedOnly?: boolean;
}

/**
 * Where the line holding `at` starts, looking back at most `max` characters (on a 1 MB line,
 * `lastIndexOf` from every match would make the scan quadratic).
 */
function lineStartWithin(text: string, at: number, max: number): number {
  const floor = Math.max(0, at - max);
  for (let i = at - 1; i >= floor; i--) if (text.charCodeAt(i) === 10) return i + 1;
  return floor;
}

function lineEndWithin(text: string, at: number, max: number): number {
  const ceiling = Math.min(text.length, at + max);
  for (let i = at; i < ceiling; i++) if (text.charCodeAt(i) === 10) return i;
  return ceiling;
}

/** Whether `at` is inside a `${...}` parameter expansion on its line. */
function insideExpansion(text: string, at: number): boolean {
  const line = text.slice(lineStartWithin(text, at, 400), at);
  const open = line.lastIndexOf("${");
  return open >= 0 && !line.slice(open + 2).includes("}");
}

/** Whether `at` is inside a string literal on its line (an odd number of quotes before it, looking back 400 characters). */
function insideString(text: string, at: number): boolean {
  let quotes = 0;
  let quote = "";
  for (let i = lineStartWithin(text, at, 400); i < at; i++) {
    const c = text[i];
    if (quote === "" && (c === '"' || c === "'" || c === "`")) {
      quote = c;
      quotes++;
    } else if (c === quote && text[i - 1] !== "\\") {
      quote = "";
      quotes++;
    }
  }
  return quotes % 2 === 1;
}

/** The line around a span, at most 300 characters each side. */
function lineAround(text: string, start: number, end: number): string {
  return text.slice(lineStartWithin(text, start, 300), lineEndWithin(text, end, 300));
}

function genericFound(start: number, end: number, value: string, label = "password or secret"): FoundSecret {
  const weak = weakValue(value);
  return {
    start,
    end,
    matchStart: start,
    matchEnd: end,
    kind: "generic-secret",
    source: "generic",
    label,
    severity: weak ? "low" : "medium",
    confidence: weak ? 0.4 : 0.6,
    value,
    report: true,
  };
}

/** Runs a global regex with a `secret` (or `bare`) group and pushes what `accept` keeps. */
function collect(re: RegExp, text: string, out: FoundSecret[], accept: (value: string, m: RegExpExecArray, quoted: boolean) => string | false | undefined): void {
  // The spans earlier passes found (one regex's own matches never overlap).
  const taken = new SpanIndex(out);
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    const quoted = m.groups?.secret !== undefined;
    const span = m.indices?.groups?.[quoted ? "secret" : "bare"];
    const value = m.groups?.[quoted ? "secret" : "bare"] ?? "";
    if (!span) continue;
    const label = accept(value, m, quoted);
    if (label === false || label === undefined) continue;
    if (taken.overlaps({ start: span[0], end: span[1] })) continue;
    out.push(genericFound(span[0], span[1], value, label));
  }
}

/** The generic check, with labels and severities. */
function scanGeneric(text: string, options: GenericSecretOptions = {}): FoundSecret[] {
  if (typeof text !== "string" || text.length < 10 || !GENERIC_HINT.test(text)) return [];
  const code = options.quotedOnly === true;
  const out: FoundSecret[] = [];
  const label = "password or secret";
  collect(GENERIC, text, out, (value, m, quoted) => {
    if (!quoted && code) return false;
    // `token == other` compares two variables; only a quoted value is a literal secret.
    if (!quoted && /^[=!]=/.test(m.groups?.op ?? "")) return false;
    // `${DB_PASSWORD:?message}` (compose, shell): a required variable and its error message, not a value.
    if (!quoted && value.startsWith("?") && insideExpansion(text, m.index)) return false;
    return looksSecret(value, quoted) && label;
  });
  collect(GENERIC_CALL, text, out, (value) => looksSecret(value, true) && label);
  collect(FALLBACK, text, out, (value) => looksSecret(value, true) && label);
  // The password is not the user name again, nor anonymous FTP's e-mail address.
  collect(CREDENTIAL_CALL, text, out, (value, m) => m[0].split(value).length === 2 && !/^anonymous/i.test(value) && looksSecret(value, true) && "password");
  collect(BEARER, text, out, (value) => looksSecret(value, true) && "bearer token");
  collect(BASIC, text, out, (value) => {
    const decoded = Buffer.from(value, "base64").toString("latin1");
    const colon = decoded.indexOf(":");
    if (colon < 1 || !/^[\x20-\x7e]+$/.test(decoded)) return false;
    const password = decoded.slice(colon + 1);
    return password.length >= 6 && !isPlaceholder(password) && !NAMES_ITSELF.test(password) && "password in a basic auth header";
  });
  collect(CURL_USER, text, out, (value) => looksSecret(value, true) && "password");
  if (code) {
    collect(DSN_PASSWORD, text, out, (value, m) => insideString(text, m.index) && DSN_CONTEXT.test(lineAround(text, m.index, m.index + m[0].length)) && looksSecret(value, true) && "password in a connection string");
  } else {
    collect(DSN_PASSWORD, text, out, (value, m) => DSN_CONTEXT.test(lineAround(text, m.index, m.index + m[0].length)) && looksSecret(value, true) && "password in a connection string");
    collect(YAML_PAIR, text, out, (value, _m, quoted) => looksSecret(value, quoted) && label);
    collect(DOCKER_ENV, text, out, (value, _m, quoted) => looksSecret(value, quoted) && label);
    collect(CLI_FLAG, text, out, (value) => looksSecret(value, false) && label);
  }
  return out.sort((a, b) => a.start - b.start);
}

/** High-entropy literal values assigned to secret-looking names. Offsets are the value's. */
export function findGenericSecrets(text: string, options: GenericSecretOptions = {}): SecretMatch[] {
  return scanGeneric(text, options).map((f) => ({ start: f.start, end: f.end, kind: f.kind }));
}

// ---------------------------------------------------------------------------------------------
// Provider formats: one anchor pass, then each format tried where its anchor is
// ---------------------------------------------------------------------------------------------

interface Compiled {
  f: TokenFormat;
  sticky: RegExp;
  left: boolean;
  right: RegExp | false;
}

const WORD_CHAR = /[A-Za-z0-9_]/;

function compile(f: TokenFormat): Compiled {
  const flags = `dy${f.re.flags.includes("i") ? "i" : ""}`;
  const firstAnchorChar = f.anchors[0]?.[0] ?? "";
  return {
    f,
    sticky: new RegExp(f.re.source, flags),
    // Anchors that start with punctuation (`://`, `.atlasv1.`) need no word boundary before them.
    left: f.left !== false && (f.back !== undefined || WORD_CHAR.test(firstAnchorChar)),
    right: f.right === false ? false : (f.right ?? DEFAULT_RIGHT),
  };
}

const COMPILED = TOKEN_FORMATS.map(compile);
const EXACT = new Map<string, Compiled[]>();
const FOLDED = new Map<string, Compiled[]>();
for (const c of COMPILED)
  for (const a of c.f.anchors) {
    const map = c.f.ignoreCase ? FOLDED : EXACT;
    const key = c.f.ignoreCase ? a.toLowerCase() : a;
    map.set(key, [...(map.get(key) ?? []), c]);
  }

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** An alternation of anchors, longest first (an alternation takes the first that matches). */
const alternation = (anchors: Iterable<string>, flags: string) =>
  new RegExp([...anchors].sort((x, y) => y.length - x.length).map(escapeRe).join("|"), flags);

/** Every case-sensitive anchor, and every provider name (two passes: one mixed pass defeats the engine's literal search). */
const EXACT_ANCHORS = alternation(EXACT.keys(), "g");
const FOLDED_ANCHORS = alternation(FOLDED.keys(), "gi");

/** The formats to try for an anchor hit: those of every anchor the hit starts with (`sk-ant-` also tries `sk-`). */
const closures = new Map<string, Compiled[]>();
function formatsFor(hit: string, ignoreCase: boolean): Compiled[] {
  const key = ignoreCase ? hit.toLowerCase() : hit;
  const known = closures.get(key);
  if (known) return known;
  const out: Compiled[] = [];
  for (const [a, cs] of ignoreCase ? FOLDED : EXACT) if (key.startsWith(a)) out.push(...cs);
  // Most specific first: the table's order.
  const list = [...new Set(out)].sort((x, y) => COMPILED.indexOf(x) - COMPILED.indexOf(y));
  closures.set(key, list);
  return list;
}

/** Documentation hosts (RFC 2606). */
const EXAMPLE_HOST = /(?:^|\.)example\.(?:com|org|net)$|\.(?:example|test|invalid)$/i;
const LOCAL_HOST = /^(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]|host\.docker\.internal)$/i;

/** Passwords in URLs that are the word itself, or the user name again, are examples. */
function isPlaceholderUrlPassword(password: string, user: string | undefined, host: string | undefined): boolean {
  return (
    password.length < 3 ||
    password === user ||
    password === "x-oauth-basic" ||
    EXAMPLE_HOST.test(host ?? "") ||
    isPlaceholder(password) ||
    /^(?:pass(?:word|wd)?|pwd|secret|user(?:name)?|postgres|root|admin|guest)$/i.test(password)
  );
}

/** One format tried at one anchor hit. */
function tryFormat(c: Compiled, text: string, at: number): FoundSecret | undefined {
  const f = c.f;
  let start = at;
  if (f.back) while (start > 0 && at - start < f.back.max && f.back.chars.test(text[start - 1])) start--;
  if (c.left && start > 0 && WORD_CHAR.test(text[start - 1])) return undefined;
  c.sticky.lastIndex = start;
  const m = c.sticky.exec(text);
  if (!m) return undefined;
  const matchEnd = start + m[0].length;
  if (c.right && matchEnd < text.length && c.right.test(text[matchEnd])) return undefined;
  const span = m.indices?.groups?.secret ?? [start, matchEnd];
  const value = text.slice(span[0], span[1]);
  let severity: Severity = f.severity;
  let confidence = f.confidence ?? 0.9;
  let label = f.label;
  let report = true;
  if (f.kind === "url-credentials") {
    const host = m.groups?.host ?? "";
    if (isPlaceholderUrlPassword(value, m.groups?.user, host)) return undefined;
    // A password for a developer's own machine is weak evidence; a random one for a real host is strong.
    if (LOCAL_HOST.test(host)) [severity, confidence] = ["low", 0.5];
    else if (value.length >= 10 && looksSecret(value, true)) [severity, confidence] = ["high", 0.85];
  } else {
    if (!f.runsAllowed && isPlaceholderToken(value)) return undefined;
    if (shannonEntropy(value) < (f.minEntropy ?? (value.length >= 20 ? 3.0 : 2.5))) return undefined;
  }
  const near = () => text.slice(Math.max(0, start - 160), Math.min(text.length, matchEnd + 40));
  if (f.context && !f.context.test(near())) return undefined;
  if (f.refine) {
    const r = f.refine(value, m[0], near(), text.slice(Math.max(0, start - 160), start));
    if (r === false) return undefined;
    if (r) {
      severity = r.severity ?? severity;
      confidence = r.confidence ?? confidence;
      label = r.label ?? label;
      report = r.report ?? report;
    }
  }
  return { start: span[0], end: span[1], matchStart: start, matchEnd, kind: f.kind, source: f.id, label, severity, confidence, value, report };
}

/** AWS keys come in pairs: a 40-character secret near an access key id is its secret key. */
const AWS_SECRET_SHAPE = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
const MAX_AWS_PAIRS = 20;

/** Three lines up and down from a span, at most 600 characters each way. */
function linesAround(text: string, start: number, end: number): [number, number] {
  let from = start;
  for (let n = 0; n < 4 && from > 0 && start - from < 600; n++) from = lineStartWithin(text, from - 1, 600 - (start - from));
  let to = end;
  for (let n = 0; n < 4 && to < text.length && to - end < 600; n++) to = lineEndWithin(text, to + 1, 600 - (to - end));
  return [from, to];
}

function pairAwsKeys(text: string, found: FoundSecret[]): void {
  const ids = found.filter((f) => f.source === "aws-access-key-id").slice(0, MAX_AWS_PAIRS);
  for (const id of ids) {
    const [from, to] = linesAround(text, id.start, id.end);
    const window = text.slice(from, to);
    const nearby = found.filter((f) => f.end > from && f.start < to);
    AWS_SECRET_SHAPE.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = AWS_SECRET_SHAPE.exec(window)) !== null) {
      const start = from + m.index;
      const end = start + 40;
      const value = m[0];
      if (nearby.some((f) => f.start < end && start < f.end)) continue;
      if (!/[a-z]/.test(value) || !/[A-Z]/.test(value) || !/\d/.test(value) || shannonEntropy(value) < 4.0 || isPlaceholderToken(value)) continue;
      const pair: FoundSecret = { start, end, matchStart: start, matchEnd: end, kind: "aws-secret-access-key", source: "aws-secret-access-key-pair", label: "AWS secret access key", severity: "critical", confidence: 0.85, value, report: true };
      found.push(pair);
      nearby.push(pair);
    }
  }
  // An access key id whose secret key is committed with it is the whole credential.
  const secrets = found.filter((f) => f.kind === "aws-secret-access-key");
  for (const id of ids) if (secrets.some((f) => Math.abs(f.start - id.start) < 1200)) id.severity = "critical";
}

/**
 * Every provider format in the text (see secretFormats.ts), in order of their anchors,
 * including those hidden but not reported (`report: false`).
 */
export function scanFormats(text: string): FoundSecret[] {
  if (typeof text !== "string" || text.length < 8) return [];
  const out: FoundSecret[] = [];
  let coveredUntil = 0;
  /** Where each anchor's last hit ended: a run of one anchor (`AAAAAAAAAAAA`) is tried once. */
  const lastHit = new Map<string, number>();
  // The two passes, merged in order of position. Anchors may overlap (`sk-ant-` holds `sk-`):
  // each pass moves one character on after a hit, not past it.
  const next = (re: RegExp, from: number) => {
    re.lastIndex = from;
    return re.exec(text);
  };
  let exact = next(EXACT_ANCHORS, 0);
  let folded = next(FOLDED_ANCHORS, 0);
  while (exact !== null || folded !== null) {
    const ignoreCase = exact === null || (folded !== null && folded.index < exact.index);
    const m = ignoreCase ? folded! : exact!;
    if (ignoreCase) folded = next(FOLDED_ANCHORS, m.index + 1);
    else exact = next(EXACT_ANCHORS, m.index + 1);
    const at = m.index;
    const hit = m[0];
    if (at < coveredUntil) continue;
    const previous = lastHit.get(hit);
    lastHit.set(hit, at + hit.length);
    if (previous !== undefined && at < previous) continue;
    let best: FoundSecret | undefined;
    for (const c of formatsFor(hit, ignoreCase)) {
      const found = tryFormat(c, text, at);
      if (found && (!best || found.matchEnd - found.matchStart > best.matchEnd - best.matchStart)) best = found;
    }
    if (best) {
      out.push(best);
      // A URL's password may itself be a provider token (`https://x-access-token:ghp_…@github.com`):
      // its anchor is still tried, and the token's own format replaces the URL's below.
      if (best.kind !== "url-credentials") coveredUntil = best.matchEnd;
    }
  }
  if (out.some((f) => f.source === "aws-access-key-id")) pairAwsKeys(text, out);
  const tokens = new SpanIndex(out.filter((f) => f.kind !== "url-credentials"));
  return out.filter((f) => f.kind !== "url-credentials" || !tokens.overlaps(f)).sort((a, b) => a.start - b.start);
}

// ---------------------------------------------------------------------------------------------
// The redactor
// ---------------------------------------------------------------------------------------------

/** PEM private key blocks, to their END line or, cut short, to the end of the text. */
const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|$)/g;

function findPemBlocks(text: string): FoundSecret[] {
  if (!text.includes("PRIVATE KEY")) return [];
  const out: FoundSecret[] = [];
  PEM_BLOCK.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = PEM_BLOCK.exec(text)) !== null) {
    if (m[0].length === 0) {
      PEM_BLOCK.lastIndex++;
      continue;
    }
    if (isPlaceholderKey(m[0])) continue;
    const end = m.index + m[0].length;
    out.push({ start: m.index, end, matchStart: m.index, matchEnd: end, kind: "private-key", source: "pem", label: "private key", severity: "critical", confidence: 0.95, value: m[0], report: true });
  }
  return out;
}

/**
 * All secrets the redactor recognises in the text, in order, without overlaps (a vendor shape
 * wins over the generic check; overlapping spans are merged, so nothing is half hidden). Sync
 * and cheap: for free text and output, not for detection.
 */
export function findSecrets(text: string): SecretMatch[] {
  if (typeof text !== "string" || text.length === 0) return [];
  const ranked: (SecretMatch & { rank: number })[] = [
    ...findPemBlocks(text).map((f) => ({ start: f.start, end: f.end, kind: f.kind, rank: 0 })),
    ...scanFormats(text).map((f) => ({ start: f.start, end: f.end, kind: f.kind, rank: 1 })),
    ...scanGeneric(text).map((f) => ({ start: f.start, end: f.end, kind: f.kind, rank: 2 })),
  ];
  ranked.sort((a, b) => a.start - b.start || a.rank - b.rank || b.end - a.end);
  const out: SecretMatch[] = [];
  for (const f of ranked) {
    const last = out[out.length - 1];
    if (last && f.start < last.end) {
      last.end = Math.max(last.end, f.end);
      continue;
    }
    out.push({ start: f.start, end: f.end, kind: f.kind });
  }
  return out;
}

/** Replaces every secret the redactor recognises with `[REDACTED:<kind>]`. */
export function redactSecrets(text: string): string {
  if (typeof text !== "string") return text;
  const found = findSecrets(text);
  if (found.length === 0) return text;
  let out = "";
  let pos = 0;
  for (const s of found) {
    out += text.slice(pos, s.start) + `[REDACTED:${s.kind}]`;
    pos = s.end;
  }
  return out + text.slice(pos);
}

/** Shorter values would redact ordinary words. */
const MIN_KNOWN_SECRET_LENGTH = 6;

/**
 * Replaces every occurrence of the given exact values (secrets a detector found) with
 * `[REDACTED]`; longest first, so a value containing another is hidden whole. Multi-line values
 * (a PEM block) are also hidden line by line, for text that holds only part of them.
 */
export function redactKnownSecrets(text: string, values: Iterable<string>): string {
  if (typeof text !== "string" || text.length === 0) return text;
  const all = new Set<string>();
  for (const v of values) {
    if (typeof v !== "string") continue;
    all.add(v);
    if (v.includes("\n")) for (const part of v.split(/\r?\n|\\n/)) all.add(part.trim());
  }
  const sorted = [...all].filter((v) => v.length >= MIN_KNOWN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  let out = text;
  for (const v of sorted) if (out.includes(v)) out = out.split(v).join("[REDACTED]");
  return out;
}

// ---------------------------------------------------------------------------------------------
// The one redaction step at every boundary
// ---------------------------------------------------------------------------------------------

/**
 * The exact secret values found in the pull request the current job reviews. A mutable list:
 * the review job opens the scope first and fills it once its analysis has found them. Memory
 * only; AsyncLocalStorage keeps one job's values out of another's outputs.
 */
const knownSecrets = new AsyncLocalStorage<readonly string[]>();

/**
 * Runs `fn` with these exact values hidden by every `redact` call it makes (directly, in awaited
 * calls, in events it emits). The list may still be filled after the call starts.
 */
export function withKnownSecrets<T>(values: readonly string[], fn: () => T): T {
  return knownSecrets.run(values, fn);
}

/** Shorter strings hold no secret the redactor could recognise: cheap exit for ids, numbers, enums. */
const MIN_REDACTABLE_LENGTH = 8;

/**
 * The one redaction step for everything the app writes or sends (comments, issues, event data,
 * integration bodies, stored rows, log lines): the exact values found in the pull request being
 * reviewed, then every known token shape. Apply it to the whole text BEFORE cutting it short:
 * a cut can leave a token's head that no pattern recognises any more.
 */
export function redact(text: string): string {
  if (typeof text !== "string" || text.length < MIN_REDACTABLE_LENGTH) return text;
  const known = knownSecrets.getStore();
  return redactSecrets(known && known.length > 0 ? redactKnownSecrets(text, known) : text);
}

/**
 * `redact` on every string in a JSON-like value (plain objects and arrays, keys included), as a
 * copy; other values are returned as they are. For whole records (a stored row, a payload).
 */
export function redactDeep<T>(value: T, depth = 0): T {
  if (typeof value === "string") return redact(value) as T;
  if (value === null || typeof value !== "object" || depth > 64) return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1)) as T;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[redact(k)] = redactDeep(v, depth + 1);
  return out as T;
}

// ---------------------------------------------------------------------------------------------
// Detection: secretlint, the format table, strict PEM keys, the generic check (async)
// ---------------------------------------------------------------------------------------------

type LintSource = typeof import("@secretlint/core").lintSource;
type LintConfig = Parameters<LintSource>[0]["options"]["config"];
type LintMessage = Awaited<ReturnType<LintSource>>["messages"][number];

const PRESET_ID = "@secretlint/secretlint-rule-preset-recommend";

/** A secret kind secretlint reports: what to call it in a message, and how bad it is. */
interface KindInfo {
  label: string;
  severity: Severity;
  confidence: number;
}

const kindInfo = (label: string, severity: Severity, confidence = 0.9): KindInfo => ({ label, severity, confidence });
const vendor = (label: string, confidence = 0.9): KindInfo => kindInfo(label, "high", confidence);
const root = (label: string, confidence = 0.95): KindInfo => kindInfo(label, "critical", confidence);

/** By secretlint message id (stable across versions; the message text holds the secret). */
const KINDS: Record<string, KindInfo> = {
  AWSAccessKeyID: vendor("AWS access key ID"),
  AWSSecretAccessKey: root("AWS secret access key"),
  AWSAccountID: kindInfo("AWS account ID", "low", 0.5),
  PrivateKeyJSON: root("GCP service account private key"),
  PrivateKeyP12: root("GCP service account private key (p12)"),
  PrivateKey: root("private key"),
  PackageJSON_xOauthToken: vendor("GitHub OAuth token in a URL"),
  Npmrc_authToken: vendor("npm auth token"),
  NPM_ACCESS_TOKEN: vendor("npm access token"),
  BasicAuth: kindInfo("password in a URL (basic auth)", "medium", 0.75),
  SLACK_TOKEN: vendor("Slack token"),
  IncomingWebhook: vendor("Slack incoming webhook URL", 0.85),
  SENDGRID_KEY: vendor("SendGrid API key"),
  SHOPIFY_KEY: vendor("Shopify API key"),
  STRIPE_SECRET_KEY_LIVE: vendor("Stripe live secret key", 0.95),
  STRIPE_RESTRICTED_KEY_LIVE: vendor("Stripe live restricted key", 0.95),
  STRIPE_SECRET_KEY_TEST: kindInfo("Stripe test secret key", "medium", 0.8),
  STRIPE_RESTRICTED_KEY_TEST: kindInfo("Stripe test restricted key", "medium", 0.8),
  GITHUB_TOKEN: vendor("GitHub token", 0.95),
  GITLAB_PERSONAL_ACCESS_TOKEN: vendor("GitLab personal access token", 0.95),
  GRAFANA_CLOUD_API_TOKEN: vendor("Grafana Cloud API token"),
  GRAFANA_SERVICE_ACCOUNT_TOKEN: vendor("Grafana service account token"),
  OPENAI_TOKEN: vendor("OpenAI API key"),
  ANTHROPIC_API_KEY: vendor("Anthropic API key"),
  GROQ_API_KEY: vendor("Groq API key"),
  HUGGINGFACE_USER_ACCESS_TOKEN: vendor("Hugging Face access token"),
  LINEAR_API_TOKEN: vendor("Linear API key"),
  NOTION_INTEGRATION_TOKEN: vendor("Notion integration token"),
  OPS_TOKEN: vendor("1Password service account token"),
  MongoDBConnection: kindInfo("MongoDB connection string with a password", "medium", 0.8),
  MySQLConnection: kindInfo("MySQL connection string with a password", "medium", 0.8),
  PostgreSQLConnection: kindInfo("PostgreSQL connection string with a password", "medium", 0.8),
  HASHICORP_VAULT_SERVICE_TOKEN: vendor("HashiCorp Vault token"),
  HASHICORP_VAULT_BATCH_TOKEN: vendor("HashiCorp Vault batch token"),
  HASHICORP_VAULT_RECOVERY_TOKEN: vendor("HashiCorp Vault recovery token"),
  VERCEL_PERSONAL_ACCESS_TOKEN: vendor("Vercel access token"),
  VERCEL_INTEGRATION_TOKEN: vendor("Vercel integration token"),
  VERCEL_APP_ACCESS_TOKEN: vendor("Vercel app access token"),
  VERCEL_APP_REFRESH_TOKEN: vendor("Vercel app refresh token"),
  VERCEL_AI_GATEWAY_API_KEY: vendor("Vercel AI Gateway API key"),
  DATABRICKS_PERSONAL_ACCESS_TOKEN: vendor("Databricks access token"),
  DOCKER_PERSONAL_ACCESS_TOKEN: vendor("Docker Hub access token"),
  FIGMA_PERSONAL_ACCESS_TOKEN: vendor("Figma access token"),
  CLOUDFLARE_GLOBAL_API_KEY: vendor("Cloudflare global API key"),
  CLOUDFLARE_USER_API_TOKEN: vendor("Cloudflare API token"),
  CLOUDFLARE_ACCOUNT_API_TOKEN: vendor("Cloudflare account API token"),
  TAILSCALE_API_KEY: vendor("Tailscale API key"),
  TAILSCALE_AUTH_KEY: vendor("Tailscale auth key"),
  TAILSCALE_CLIENT_KEY: vendor("Tailscale OAuth client secret"),
  TAILSCALE_SCIM_KEY: vendor("Tailscale SCIM key"),
  TAILSCALE_WEBHOOK_KEY: vendor("Tailscale webhook secret"),
  TAILSCALE_KEY: vendor("Tailscale key"),
};

/** A message id this table does not know yet (a newer preset): a readable label from the id itself. */
function kindOf(messageId: string, ruleId: string): KindInfo {
  const known = KINDS[messageId];
  if (known) return known;
  const words = (messageId || ruleId.replace(/^.*secretlint-rule-/, ""))
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .toLowerCase()
    .trim();
  return vendor(words || "secret", 0.8);
}

/** Data keys of secretlint messages that hold the secret (others: `typeName`, `FILE_NAME`). */
const VALUE_KEYS = new Set(["KEY", "TOKEN", "ID", "URI", "URL", "CREDENTIAL"]);

/** Rule ids whose values are URLs with a password in them. */
const URL_MESSAGES = new Set(["BasicAuth", "MongoDBConnection", "MySQLConnection", "PostgreSQLConnection", "PackageJSON_xOauthToken"]);
const URL_PARTS = /^[a-z][a-z0-9+.:-]*:\/\/(?<user>[^:/\s@]+):(?<password>[^@/\s]+)@(?<host>[^/\s?:]+)/i;

export interface DetectedSecret {
  /** Where the secret comes from: secretlint's rule id, "empathy/format/<id>", "empathy/generic", "empathy/pem-private-key". */
  source: string;
  /** secretlint's message id, the format id, or "generic-secret". */
  messageId: string;
  /** What to call it in a message, e.g. "AWS access key ID". Never the value. */
  label: string;
  /** How bad it is, given the evidence: critical (root keys), high (provider formats), medium, low. */
  severity: Severity;
  /** 0..1 */
  confidence: number;
  /** Offsets of the match in the scanned text (may span lines: a PEM block). */
  start: number;
  end: number;
  /** The exact secret strings, for redaction only: never print them. */
  values: string[];
  /** A provider format, a private key or a secretlint rule (not the generic check). */
  format: boolean;
}

export interface DetectSecretsOptions {
  /** Path of the file (its extension selects rules: `.json` for GCP keys, `.npmrc`...). */
  path?: string;
  /** The generic check counts quoted values only (code files). Default false. */
  quotedOnly?: boolean;
  /** Skip secretlint (the table and checks here only). Default false. */
  withoutSecretlint?: boolean;
}

let lintSourcePromise: Promise<{ lintSource: LintSource; config: LintConfig }> | undefined;

/** secretlint is loaded on first use, so the many modules that only redact do not pay for it. */
function loadSecretlint(): Promise<{ lintSource: LintSource; config: LintConfig }> {
  // The profiler first and alone: a module imported twice at once (by core too) trips some ESM loaders.
  lintSourcePromise ??= import("./secretlintProfiler.js").then(async ({ disableSecretlintProfiling }) => {
    disableSecretlintProfiling();
    const [core, preset] = await Promise.all([import("@secretlint/core"), import("@secretlint/secretlint-rule-preset-recommend")]);
    return {
      lintSource: core.lintSource,
      config: {
        rules: [
          {
            id: PRESET_ID,
            rule: preset.creator,
            rules: [
              // Access key ids are off by default in the preset; an account id is not a secret.
              { id: "@secretlint/secretlint-rule-aws", options: { enableIDScanRule: true }, allowMessageIds: ["AWSAccountID"] },
            ],
          },
        ],
      },
    };
  });
  lintSourcePromise.catch(() => (lintSourcePromise = undefined));
  return lintSourcePromise;
}

function extOf(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot) : dot === 0 ? name : "";
}

function messageValues(m: LintMessage, text: string): string[] {
  const data = (m.data ?? {}) as Record<string, unknown>;
  const values = Object.entries(data)
    .filter(([k, v]) => VALUE_KEYS.has(k) && typeof v === "string" && v.length > 0)
    .map(([, v]) => v as string);
  if (values.length === 0 && m.messageId !== "PrivateKeyJSON") values.push(text.slice(m.range[0], m.range[1]));
  return values;
}

/** The password inside a URL value, or undefined when it is a placeholder (so: not a finding). */
function urlPassword(uri: string): string | undefined | null {
  const parts = URL_PARTS.exec(uri)?.groups;
  if (!parts) return null; // no user:password shape (x-oauth-basic token): keep the whole value
  return isPlaceholderUrlPassword(parts.password, parts.user, parts.host) ? undefined : parts.password;
}

/**
 * PEM private key blocks secretlint's rule leaves out: it wants a body of 100+ characters that
 * starts like a long ASN.1 sequence ("MI..."), which misses P-256 EC keys in SEC1 form ("MHcC...")
 * and Ed25519 keys. A format, not a vendor: a base64 body between matching BEGIN/END lines.
 * A key in a `private_key` field of a file about a `service_account` is a GCP service account key.
 */
const PEM_HEADER = /-----BEGIN ((?:[A-Z0-9]{1,20} ){0,4})PRIVATE KEY(?: BLOCK)?-----/g;
const PEM_MAX_BODY = 12_000;

function findPemKeys(text: string, taken: readonly DetectedSecret[]): DetectedSecret[] {
  if (!text.includes("PRIVATE KEY-----") || !text.includes("-----END ")) return [];
  // END markers once, in order: each header looks up the next one (no rescans on hostile input).
  const ends: number[] = [];
  for (let i = text.indexOf("-----END "); i !== -1; i = text.indexOf("-----END ", i + 1)) ends.push(i);
  const serviceAccount = text.includes("service_account");
  const takenIndex = new SpanIndex(taken);
  const out: DetectedSecret[] = [];
  let next = 0;
  PEM_HEADER.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = PEM_HEADER.exec(text)) !== null) {
    const start = m.index;
    const bodyStart = start + m[0].length;
    while (next < ends.length && ends[next] < bodyStart) next++;
    if (next === ends.length) break;
    const endAt = ends[next];
    if (endAt - bodyStart > PEM_MAX_BODY) continue;
    const footer = new RegExp(`^-----END ${m[1]}PRIVATE KEY(?: BLOCK)?-----`).exec(text.slice(endAt, endAt + 80));
    if (!footer) continue;
    const end = endAt + footer[0].length;
    if (takenIndex.overlaps({ start, end })) continue;
    const body = text.slice(bodyStart, endAt).replace(/\\[nr]|\s/g, "");
    if (body.length < 40 || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) continue;
    const gcp = serviceAccount && /["']?private_key["']?\s{0,4}[:=]\s{0,4}["'`]?$/.test(text.slice(Math.max(0, start - 40), start));
    const kind = gcp ? KINDS.PrivateKeyJSON : KINDS.PrivateKey;
    out.push({ source: "empathy/pem-private-key", messageId: gcp ? "PrivateKeyJSON" : "PrivateKey", label: kind.label, severity: kind.severity, confidence: kind.confidence, start, end, values: [text.slice(start, end)], format: true });
    PEM_HEADER.lastIndex = end;
  }
  return out;
}

/**
 * Every secret in a text, with what it is and how sure: the format table, strict PEM private
 * keys, secretlint's recommended preset (async; once on the whole text) and the generic check.
 * Placeholders are left out. A value two sources report is reported once: the table's entry
 * over secretlint's (its label and severity follow our data), any format over the generic check.
 * Rejects only if secretlint itself fails to load or run.
 */
export async function detectSecrets(text: string, options: DetectSecretsOptions = {}): Promise<DetectedSecret[]> {
  if (typeof text !== "string" || text.length === 0) return [];
  const out: DetectedSecret[] = [];
  const formats = scanFormats(text);
  for (const f of formats) {
    if (!f.report) continue;
    out.push({ source: `empathy/format/${f.source}`, messageId: f.source, label: f.label, severity: f.severity, confidence: f.confidence, start: f.matchStart, end: f.matchEnd, values: [f.value], format: true });
  }
  if (!options.withoutSecretlint) {
    const { lintSource, config } = await loadSecretlint();
    const tableSpans = new SpanIndex(formats.map((f) => ({ start: f.matchStart, end: f.matchEnd })));
    const path = options.path ?? "file.txt";
    const result = await lintSource({
      source: { content: text, filePath: path, ext: extOf(path), contentType: "text" },
      options: { config, noPhysicFilePath: true, locale: "en" },
    });
    for (const m of result.messages) {
      if (m.type !== "message") continue;
      let values = messageValues(m, text);
      if (URL_MESSAGES.has(m.messageId)) {
        const passwords = values.map(urlPassword);
        if (passwords.some((p) => p === undefined)) continue;
        values = [...values, ...passwords.filter((p): p is string => typeof p === "string")];
      } else if (m.messageId !== "PrivateKey" && m.messageId !== "PrivateKeyJSON" && values.some(isPlaceholderToken)) continue;
      let [start, end] = m.range;
      if (m.messageId === "PrivateKeyJSON") {
        // The rule reports the whole file: point at the key itself.
        const at = text.indexOf('"private_key"');
        if (at >= 0) [start, end] = [at, at + '"private_key"'.length];
      }
      // The table knows this value: its entry (or its verdict that the value is no secret, `report: false`) stands.
      if (tableSpans.overlaps({ start, end })) continue;
      const kind = kindOf(m.messageId, m.ruleId);
      out.push({ source: m.ruleId, messageId: m.messageId, label: kind.label, severity: kind.severity, confidence: kind.confidence, start, end, values, format: true });
    }
  }
  out.push(...findPemKeys(text, out));
  const known = new SpanIndex(out);
  for (const g of scanGeneric(text, { quotedOnly: options.quotedOnly })) {
    // A vendor token assigned to `token = ...`: the vendor kind says more.
    if (known.overlaps(g)) continue;
    out.push({ source: "empathy/generic", messageId: "generic-secret", label: g.label, severity: g.severity, confidence: g.confidence, start: g.start, end: g.end, values: [g.value], format: false });
  }
  return out.sort((a, b) => a.start - b.start);
}
