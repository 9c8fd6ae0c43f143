/**
 * The generic secret check (see secrets.ts): high-entropy literal values assigned to secret-looking
 * names (`password = "…"`, `API_KEY=…`, setters, credential calls, environment fallbacks), in code
 * and configuration files, plus passwords in connection strings, `Authorization` headers and
 * `curl -u`. Each regex runs in linear time, only after a cheap test that a secret name occurs.
 */
import { SpanIndex, type FoundSecret, type SecretMatch } from "./secretMatches.js";
import { isPlaceholder, looksSecret, NAMES_ITSELF, weakValue } from "./secretValues.js";

/** Names whose value is a credential. The name must END in one of these (tokenType, passwordHash do not). */
const SECRET_NAMES =
  "password|passwd|passphrase|pwd|(?<![a-z])pass|secret|secret[_-]?key|token|api[_-]?key|apikey|access[_-]?key|client[_-]?secret|private[_-]?key|auth|auth[_-]?key|signing[_-]?key|encryption[_-]?key|" +
  "jwt[_-]?key|hmac[_-]?key|master[_-]?key|session[_-]?key|app[_-]?key|crypt[_-]?key|cipher[_-]?key|aes[_-]?key|sign[_-]?key|credentials?";

/**
 * A conversion around a literal (`[]byte("...")` in Go, `Buffer.from("...")`, `b"..."` in
 * Python, `"...".getBytes()` needs none, `Keys.hmacShaKeyFor(...)`): the literal is still the secret.
 */
const WRAPPED = String.raw`(?:(?:\[\](?:byte|rune)|(?:new\s+)?String|Buffer\.from|bytes|str|(?:new\s+)?TextEncoder\(\)\.encode|(?:Keys\.)?hmacShaKeyFor|new\s+SecretKeySpec|(?:base64\.)?(?:urlsafe_)?b64decode|Base64\.get(?:Url|Mime)?Decoder\(\)\.decode|hex\.DecodeString)\(\s{0,8})?(?:[rbuRBU]{1,2}(?=["']))?`;

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
const BEARER =
  /(?:["'`]|authorization["']?[ \t]{0,4}[:=][ \t]{0,4}["']?)(?:bearer|token)[ \t]{1,4}(?<secret>[\w\-.~+/]{16,512}={0,2})(?![\w\-.~+/=])/dgi;
/** `Authorization: Basic <base64 of user:password>`. */
const BASIC =
  /(?:["'`]|authorization["']?[ \t]{0,4}[:=][ \t]{0,4}["']?)basic[ \t]{1,4}(?<secret>[A-Za-z0-9+/]{8,512}={0,2})(?![A-Za-z0-9+/=])/dgi;
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
const CLI_FLAG =
  /(?:^|\s)--(?:password|passwd|token|api-key|apikey|secret|client-secret|access-token)[ \t]{1,4}(?<bare>[^\s"'$-][^\s"']{7,255})/dgi;

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
export function lineStartWithin(text: string, at: number, max: number): number {
  const floor = Math.max(0, at - max);
  for (let i = at - 1; i >= floor; i--) if (text.charCodeAt(i) === 10) return i + 1;
  return floor;
}

export function lineEndWithin(text: string, at: number, max: number): number {
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
function collect(
  re: RegExp,
  text: string,
  out: FoundSecret[],
  accept: (value: string, m: RegExpExecArray, quoted: boolean) => string | false | undefined,
): void {
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
export function scanGeneric(text: string, options: GenericSecretOptions = {}): FoundSecret[] {
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
  collect(
    CREDENTIAL_CALL,
    text,
    out,
    (value, m) => m[0].split(value).length === 2 && !/^anonymous/i.test(value) && looksSecret(value, true) && "password",
  );
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
    collect(
      DSN_PASSWORD,
      text,
      out,
      (value, m) =>
        insideString(text, m.index) &&
        DSN_CONTEXT.test(lineAround(text, m.index, m.index + m[0].length)) &&
        looksSecret(value, true) &&
        "password in a connection string",
    );
  } else {
    collect(
      DSN_PASSWORD,
      text,
      out,
      (value, m) =>
        DSN_CONTEXT.test(lineAround(text, m.index, m.index + m[0].length)) && looksSecret(value, true) && "password in a connection string",
    );
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
