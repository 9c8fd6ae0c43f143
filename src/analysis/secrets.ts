/**
 * Secrets: detecting them in changed files, and redacting them from everything the bot writes.
 *
 * - Detection (`detectSecrets`, async) runs secretlint's recommended rule preset, a maintained
 *   detector library, once on a whole text, plus `findGenericSecrets`: high-entropy values
 *   assigned to names like `password`, `secret`, `token`, `api_key`, which secretlint lacks.
 * - Redaction (`redactSecrets`, sync) is the safety net on every output (comments, issues,
 *   logs, event text, webhook payloads). It knows the well-known token shapes, PEM private key
 *   blocks, credentials in URLs and the generic assignment check, so that a secret pasted into a
 *   pull request title or body, or quoted in a code snippet, is never echoed. It is a redactor,
 *   not the detector: it errs on the side of hiding. `redactKnownSecrets` hides exact values
 *   (those the detector found).
 * - `redact` is the one step every boundary applies, to the whole text before any cut: the
 *   shapes above plus the exact values found in the pull request the current job reviews
 *   (`withKnownSecrets`, memory only). It knows every format the detector reports.
 */
import { AsyncLocalStorage } from "node:async_hooks";

// ---------------------------------------------------------------------------------------------
// Placeholders and entropy
// ---------------------------------------------------------------------------------------------

/** Values that are obviously not real secrets: documentation examples, templates, lookups. */
const PLACEHOLDER =
  /example|xxx|changeme|change[_-]me|placeholder|your[_-]|yourpass|<|>|\$\{|\{\{|\$\(|%\(|%s|process\.env|os\.environ|getenv|env\(|\benv\.|dummy|redacted|\*\*\*|\.\.\.|sample|fake|test|mock|secret_?here|key_?here|token_?here/i;

/** Runs and ascending sequences ("00000", "12345", "abcde") mark hand-typed example values. */
const TYPED_PATTERN = /(.)\1{4,}|01234|12345|23456|34567|45678|56789|abcde|bcdef/i;

/**
 * Whether a value assigned to a secret-looking name, or a password in a URL, is a placeholder
 * (`EXAMPLE`, `xxx`, `changeme`, `your-key-here`, `<key>`, `${VAR}`, `{{ var }}`, `%(pw)s`,
 * `process.env.X`, `dummy`, `test`, `****`, `00000`, `12345`...).
 */
export function isPlaceholder(value: string): boolean {
  return PLACEHOLDER.test(value) || TYPED_PATTERN.test(value) || /^[$%]/.test(value);
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
// The generic check: high-entropy values assigned to secret-looking names
// ---------------------------------------------------------------------------------------------

const DOTTED_IDENTIFIER = /^[A-Za-z_$#][\w$#]*(?:\??\.[A-Za-z_$#][\w$#]*)+$/;
/** File paths and URLs are configuration, not secrets. */
const PATH_OR_URL = /^(?:[~.]?\/)[\w./-]*$|:\/\/|^[\w.-]+(?:\/[\w.-]+)+$|\.(?:pem|key|crt|cer|pub|p12|pfx|jks|json|txt|ya?ml|env|ini|conf)$/i;
/** A value that repeats the secret word ("token123", "mypassword1") is an example. */
const NAMES_ITSELF = /passw(?:or)?d|secret|token|api_?key/i;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const CAMEL_WORDS = /^[a-z]+(?:[A-Z][a-z]*)+$/;
/** GITHUB_TOKEN, DB_PASSWORD_V2, PROD: the name of a variable, not its value. */
const CONSTANT_NAME = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$|^[A-Z]+$/;
const WORDS = /^[a-z]+(?:[_.-][a-z]+)*$/;
/** "Passwort", "Geheimnis": one word. */
const ONE_WORD = /^[A-Z]?[a-z]+$/;

/**
 * Whether a value assigned to a secret-looking name is plausibly a real secret. Words,
 * identifiers, paths and names of environment variables are not; short passwords get a lower
 * entropy bar because their maximum entropy is lower.
 */
function looksSecret(value: string, quoted: boolean): boolean {
  if (value.length < 8 || /\s/.test(value) || isPlaceholder(value) || NAMES_ITSELF.test(value)) return false;
  if (
    DOTTED_IDENTIFIER.test(value) ||
    PATH_OR_URL.test(value) ||
    CAMEL_WORDS.test(value) ||
    CONSTANT_NAME.test(value) ||
    WORDS.test(value) ||
    ONE_WORD.test(value)
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

/** Names whose value is a credential. The name must END in one of these (tokenType, passwordHash do not). */
const SECRET_NAMES =
  "password|passwd|passphrase|pwd|secret|secret[_-]?key|token|api[_-]?key|apikey|access[_-]?key|client[_-]?secret|private[_-]?key|auth|auth[_-]?key|signing[_-]?key|encryption[_-]?key|" +
  "jwt[_-]?key|hmac[_-]?key|master[_-]?key|session[_-]?key|app[_-]?key|crypt[_-]?key|cipher[_-]?key|aes[_-]?key|sign[_-]?key|credentials?";

/**
 * A conversion around a literal (`[]byte("...")` in Go, `Buffer.from("...")`, `b"..."` in
 * Python, `"...".getBytes()` needs none, `Keys.hmacShaKeyFor(...)`): the literal is still the secret.
 */
const WRAPPED =
  String.raw`(?:(?:\[\](?:byte|rune)|(?:new\s+)?String|Buffer\.from|bytes|str|(?:new\s+)?TextEncoder\(\)\.encode|(?:Keys\.)?hmacShaKeyFor|new\s+SecretKeySpec|(?:base64\.)?(?:urlsafe_)?b64decode|Base64\.get(?:Url|Mime)?Decoder\(\)\.decode|hex\.DecodeString)\(\s*)?(?:[rbuRBU]{1,2}(?=["']))?`;

/**
 * name, optional type annotation, operator, value: `x = "..."`, `x: "..."`, `"x": "..."`,
 * `X=...`, `x := "..."`, `'x' => '...'`, `config["x"] = "..."`, Go's `var x string = "..."` and
 * `x = []byte("...")`. A quoted value is a literal; a bare one is a literal only in configuration
 * formats (.env, YAML, properties); in code it is a reference.
 */
const GENERIC = new RegExp(
  String.raw`(?:${SECRET_NAMES})(?![\w-])["']?\]?(?:\s*\??:\s*[A-Za-z_][\w.<>\[\]|]*|[ \t]+(?:\[\])?[A-Za-z_][\w.]*)?\s*(?<op>=>|:=|===?|!==?|=|:)\s*` +
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
  String.raw`(?:(?:\b(?:set|with)\w*?|(?<=\.))(?:${SECRET_NAMES})\s*\(\s*|(?:${SECRET_NAMES})["']\s*,\s*)${WRAPPED}(?<q>["'\x60])(?<secret>[^"'\x60\r\n]{8,256}?)\k<q>`,
  "dgi",
);

/** Cheap test before the regex: the line mentions a secret-looking name at all. */
const GENERIC_HINT = /pass|pwd|secret|token|key|auth/i;

export interface GenericSecretOptions {
  /**
   * Only quoted values count (code: JS, TS, Python, Go, Java...), where an unquoted value is a
   * variable or a call. Default false (configuration files, free text).
   */
  quotedOnly?: boolean;
}

/** Whether `at` is inside a `${...}` parameter expansion on its line. */
function insideExpansion(text: string, at: number): boolean {
  const open = text.lastIndexOf("${", at);
  if (open < 0) return false;
  const between = text.slice(open + 2, at);
  return !/[}\n]/.test(between);
}

/** High-entropy literal values assigned to secret-looking names. Offsets are the value's. */
export function findGenericSecrets(text: string, options: GenericSecretOptions = {}): SecretMatch[] {
  if (typeof text !== "string" || text.length < 10 || !GENERIC_HINT.test(text)) return [];
  const out: SecretMatch[] = [];
  GENERIC.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = GENERIC.exec(text)) !== null) {
    const quoted = m.groups?.secret !== undefined;
    const span = m.indices?.groups?.[quoted ? "secret" : "bare"];
    const value = m.groups?.[quoted ? "secret" : "bare"] ?? "";
    if (!span) continue;
    if (!quoted && options.quotedOnly) continue;
    // `token == other` compares two variables; only a quoted value is a literal secret.
    if (!quoted && /^[=!]=/.test(m.groups?.op ?? "")) continue;
    // `${DB_PASSWORD:?message}` (compose, shell): a required variable and its error message, not a value.
    if (!quoted && value.startsWith("?") && insideExpansion(text, m.index)) continue;
    if (looksSecret(value, quoted)) out.push({ start: span[0], end: span[1], kind: "generic-secret" });
  }
  GENERIC_CALL.lastIndex = 0;
  while ((m = GENERIC_CALL.exec(text)) !== null) {
    const span = m.indices?.groups?.secret;
    const value = m.groups?.secret ?? "";
    if (!span || out.some((o) => o.start < span[1] && span[0] < o.end)) continue;
    if (looksSecret(value, true)) out.push({ start: span[0], end: span[1], kind: "generic-secret" });
  }
  return out.sort((a, b) => a.start - b.start);
}

// ---------------------------------------------------------------------------------------------
// The redactor's detectors (sync): well-known token shapes, PEM blocks, URL credentials, generic
// ---------------------------------------------------------------------------------------------

export type SecretKind =
  | "aws-access-key-id"
  | "aws-secret-access-key"
  | "github-token"
  | "gitlab-token"
  | "slack-token"
  | "slack-webhook"
  | "stripe-key"
  | "google-api-key"
  | "npm-token"
  | "sendgrid-key"
  | "openai-key"
  | "anthropic-key"
  | "huggingface-token"
  | "pypi-token"
  | "twilio-key"
  | "azure-storage-key"
  | "shopify-token"
  | "grafana-token"
  | "groq-key"
  | "linear-key"
  | "notion-token"
  | "onepassword-token"
  | "vault-token"
  | "vercel-token"
  | "databricks-token"
  | "docker-token"
  | "figma-token"
  | "cloudflare-token"
  | "tailscale-key"
  | "private-key"
  | "jwt"
  | "url-credentials"
  | "generic-secret";

export interface SecretMatch {
  start: number;
  end: number;
  kind: SecretKind;
}

/** A detector: a global regex (precompiled once); the `secret` group, if any, is what gets redacted. */
interface Detector {
  kind: SecretKind;
  re: RegExp;
  accept?: (value: string, m: RegExpExecArray) => boolean;
}

/** Documentation hosts (RFC 2606). */
const EXAMPLE_HOST = /(?:^|\.)example\.(?:com|org|net)$|\.(?:example|test|invalid)$/i;

/** Passwords in URLs that are the word itself, or the user name again, are examples. */
function isPlaceholderUrlPassword(password: string, user: string | undefined, host: string | undefined): boolean {
  return (
    password.length < 3 ||
    password === user ||
    EXAMPLE_HOST.test(host ?? "") ||
    isPlaceholder(password) ||
    /^(?:pass(?:word|wd)?|pwd|secret|user(?:name)?|postgres|root|admin|guest)$/i.test(password)
  );
}

const DETECTORS: Detector[] = [
  { kind: "private-key", re: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/g },
  { kind: "aws-access-key-id", re: /(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Z0-9])/g },
  {
    kind: "aws-secret-access-key",
    re: /(?:aws[_-]?secret[_-]?(?:access[_-]?)?key|secret[_-]?access[_-]?key)["']?\s*(?:=>|:=|=|:)\s*["']?(?<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/dgi,
  },
  // The new app installation token (ghs_<app id>_<JWT>) first: the classic shape would stop at its first dot.
  { kind: "github-token", re: /(?<![A-Za-z0-9_])ghs_[0-9]{1,20}_[A-Za-z0-9_-]{1,1000}\.[A-Za-z0-9_-]{1,10000}\.[A-Za-z0-9_-]{1,1000}/g },
  { kind: "github-token", re: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9_]{36,251}|github_pat_[A-Za-z0-9_]{22,255})(?![A-Za-z0-9_])/g },
  // `TOKEN:x-oauth-basic@github.com`: the token is the URL's user name, not its password.
  { kind: "github-token", re: /(?<secret>[^\s:/?#@'"`]{8,256}):x-oauth-basic@/dg },
  { kind: "gitlab-token", re: /(?<![A-Za-z0-9_-])glpat-[A-Za-z0-9_-]{20,128}(?![A-Za-z0-9_-])/g },
  { kind: "slack-webhook", re: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9]{2,}\/[A-Za-z0-9]{2,}\/[A-Za-z0-9]{8,}/gi },
  { kind: "slack-token", re: /(?<![A-Za-z0-9])(?:xox[abeoprs]|xapp)-[A-Za-z0-9-]{10,}/g },
  { kind: "stripe-key", re: /(?<![A-Za-z0-9])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}/g },
  { kind: "google-api-key", re: /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g },
  { kind: "npm-token", re: /(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])/g },
  // .npmrc: `//registry/:_authToken=...` and `_auth=...` (legacy UUID tokens, base64 user:password).
  { kind: "npm-token", re: /(?<![A-Za-z0-9])_auth(?:Token)?\s*=\s*["']?(?<secret>[^\s"'$]{8,})/dg },
  { kind: "sendgrid-key", re: /(?<![A-Za-z0-9_])SG\.[\w-]{16,32}\.[\w-]{16,64}(?![\w-])/g },
  { kind: "anthropic-key", re: /(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{20,200}/g },
  { kind: "openai-key", re: /(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,200}T3BlbkFJ[A-Za-z0-9_-]{20,200}/g },
  { kind: "huggingface-token", re: /(?<![A-Za-z0-9_])hf_[A-Za-z0-9]{30,64}(?![A-Za-z0-9_])/g },
  { kind: "pypi-token", re: /(?<![A-Za-z0-9_-])pypi-AgE[A-Za-z0-9_-]{50,}/g },
  { kind: "twilio-key", re: /(?<![A-Za-z0-9])SK[0-9a-f]{32}(?![A-Za-z0-9])/g },
  // The other formats secretlint's recommended preset reports (its own patterns, a little looser).
  { kind: "shopify-token", re: /(?<![A-Za-z0-9])(?:shppa|shpca|shpat|shpss)_[A-Za-z0-9]{32,64}(?![A-Za-z0-9])/g },
  { kind: "grafana-token", re: /(?<![A-Za-z0-9])(?:glc_[A-Za-z0-9+/]{32,400}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})(?![A-Za-z0-9+/=])/g },
  { kind: "groq-key", re: /(?<![A-Za-z0-9])gsk_[A-Za-z0-9]{52}(?![A-Za-z0-9])/g },
  { kind: "linear-key", re: /(?<![A-Za-z0-9])lin_api_[A-Za-z0-9_]{32,128}(?![A-Za-z0-9_])/g },
  { kind: "notion-token", re: /(?<![A-Za-z0-9])ntn_[0-9]{11}[A-Za-z0-9]{35}(?![A-Za-z0-9])/g },
  { kind: "onepassword-token", re: /(?<![A-Za-z0-9])ops_ey[A-Za-z0-9+/=]{100,1280}/g },
  { kind: "vault-token", re: /(?<![A-Za-z0-9])hv[sbr]\.[A-Za-z0-9_-]{90,300}(?![A-Za-z0-9_-])/g },
  { kind: "vercel-token", re: /(?<![A-Za-z0-9])vc[piark]_[A-Za-z0-9]{20,60}(?![A-Za-z0-9])/g },
  { kind: "databricks-token", re: /(?<![A-Za-z0-9])dapi[A-Fa-f0-9]{32}(?:-[0-9])?(?![A-Fa-f0-9])/g },
  { kind: "docker-token", re: /(?<![A-Za-z0-9])dckr_pat_[A-Za-z0-9_-]{27,}/g },
  { kind: "figma-token", re: /(?<![A-Za-z0-9])figd_[A-Za-z0-9_-]{40,200}/g },
  { kind: "cloudflare-token", re: /(?<![A-Za-z0-9])(?:cfk|cfut|cfat)_[A-Za-z0-9]{48}(?![A-Za-z0-9])/g },
  { kind: "tailscale-key", re: /(?<![A-Za-z0-9])tskey-[a-z]{2,20}-[0-9A-Za-z_]{8,40}-[0-9A-Za-z_]{16,60}(?![0-9A-Za-z_])/g },
  { kind: "azure-storage-key", re: /AccountKey=(?<secret>[A-Za-z0-9+/]{86}==)/dg },
  { kind: "jwt", re: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g },
  {
    kind: "url-credentials",
    re: /\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}:\/\/(?<user>[^\s:/?#@'"`]+):(?<secret>[^\s/?#@'"`]+)@(?<host>[^\s/:'"`]+)/dg,
    accept: (value, m) => !isPlaceholderUrlPassword(value, m.groups?.user, m.groups?.host),
  },
];

function groupSpan(m: RegExpExecArray): [number, number, string] {
  const span = m.indices?.groups?.secret;
  if (span) return [span[0], span[1], m.groups?.secret ?? ""];
  return [m.index, m.index + m[0].length, m[0]];
}

/**
 * All secrets the redactor recognises in the text, in order, without overlaps (a vendor shape
 * wins over the generic check). Sync and cheap: for free text and output, not for detection.
 */
export function findSecrets(text: string): SecretMatch[] {
  if (typeof text !== "string" || text.length === 0) return [];
  const found: (SecretMatch & { rank: number })[] = [];
  DETECTORS.forEach((d, rank) => {
    d.re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = d.re.exec(text)) !== null) {
      if (m[0].length === 0) {
        d.re.lastIndex++;
        continue;
      }
      const [start, end, value] = groupSpan(m);
      let ok: boolean;
      if (d.accept) ok = d.accept(value, m);
      else if (d.kind === "private-key") ok = !isPlaceholderKey(value);
      else ok = !isPlaceholderToken(value);
      if (ok) found.push({ start, end, kind: d.kind, rank });
    }
  });
  for (const g of findGenericSecrets(text)) found.push({ ...g, rank: DETECTORS.length });
  found.sort((a, b) => a.start - b.start || a.rank - b.rank || b.end - a.end);
  const out: SecretMatch[] = [];
  let lastEnd = -1;
  for (const f of found) {
    if (f.start < lastEnd) continue;
    out.push({ start: f.start, end: f.end, kind: f.kind });
    lastEnd = f.end;
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
// Detection with secretlint (async)
// ---------------------------------------------------------------------------------------------

type LintSource = typeof import("@secretlint/core").lintSource;
type LintConfig = Parameters<LintSource>[0]["options"]["config"];
type LintMessage = Awaited<ReturnType<LintSource>>["messages"][number];

const PRESET_ID = "@secretlint/secretlint-rule-preset-recommend";

/** A secret kind secretlint reports: what to call it in a message, and how bad it is. */
interface KindInfo {
  label: string;
  critical: boolean;
  confidence: number;
}

const vendor = (label: string, confidence = 0.9): KindInfo => ({ label, critical: true, confidence });
const lesser = (label: string, confidence: number): KindInfo => ({ label, critical: false, confidence });

/** By secretlint message id (stable across versions; the message text holds the secret). */
const KINDS: Record<string, KindInfo> = {
  AWSAccessKeyID: vendor("AWS access key ID"),
  AWSSecretAccessKey: vendor("AWS secret access key"),
  AWSAccountID: lesser("AWS account ID", 0.5),
  PrivateKeyJSON: vendor("GCP service account private key", 0.95),
  PrivateKeyP12: vendor("GCP service account private key (p12)", 0.95),
  PrivateKey: vendor("private key", 0.95),
  PackageJSON_xOauthToken: vendor("GitHub OAuth token in a URL"),
  Npmrc_authToken: vendor("npm auth token"),
  NPM_ACCESS_TOKEN: vendor("npm access token"),
  BasicAuth: lesser("password in a URL (basic auth)", 0.75),
  SLACK_TOKEN: vendor("Slack token"),
  IncomingWebhook: lesser("Slack incoming webhook URL", 0.85),
  SENDGRID_KEY: vendor("SendGrid API key"),
  SHOPIFY_KEY: vendor("Shopify API key"),
  STRIPE_SECRET_KEY_LIVE: vendor("Stripe live secret key", 0.95),
  STRIPE_RESTRICTED_KEY_LIVE: vendor("Stripe live restricted key", 0.95),
  STRIPE_SECRET_KEY_TEST: lesser("Stripe test secret key", 0.7),
  STRIPE_RESTRICTED_KEY_TEST: lesser("Stripe test restricted key", 0.7),
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
  MongoDBConnection: lesser("MongoDB connection string with a password", 0.8),
  MySQLConnection: lesser("MySQL connection string with a password", 0.8),
  PostgreSQLConnection: lesser("PostgreSQL connection string with a password", 0.8),
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

/** The generic check's kind. */
export const GENERIC_KIND: KindInfo = lesser("password or secret", 0.6);

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
  /** Where the secret comes from: secretlint's rule id, or "generic". */
  source: string;
  /** secretlint's message id, or "generic-secret". */
  messageId: string;
  /** What to call it in a message, e.g. "AWS access key ID". Never the value. */
  label: string;
  /** Vendor credentials and private keys: usable as they are by anyone who reads them. */
  critical: boolean;
  /** 0..1 */
  confidence: number;
  /** Offsets of the match in the scanned text (may span lines: a PEM block). */
  start: number;
  end: number;
  /** The exact secret strings, for redaction only: never print them. */
  values: string[];
}

export interface DetectSecretsOptions {
  /** Path of the file (its extension selects rules: `.json` for GCP keys, `.npmrc`...). */
  path?: string;
}

let lintSourcePromise: Promise<{ lintSource: LintSource; config: LintConfig }> | undefined;

/** secretlint is loaded on first use, so the many modules that only redact do not pay for it. */
function loadSecretlint(): Promise<{ lintSource: LintSource; config: LintConfig }> {
  lintSourcePromise ??= Promise.all([import("@secretlint/core"), import("@secretlint/secretlint-rule-preset-recommend")]).then(
    ([core, preset]) => ({
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
    }),
  );
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
 */
const PEM_HEADER = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----/g;
const PEM_MAX_BODY = 12_000;

function findPemKeys(text: string, taken: readonly DetectedSecret[]): DetectedSecret[] {
  if (!text.includes("PRIVATE KEY-----") || !text.includes("-----END ")) return [];
  // END markers once, in order: each header looks up the next one (no rescans on hostile input).
  const ends: number[] = [];
  for (let i = text.indexOf("-----END "); i !== -1; i = text.indexOf("-----END ", i + 1)) ends.push(i);
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
    if (taken.some((t) => t.start < end && start < t.end)) continue;
    const body = text.slice(bodyStart, endAt).replace(/\\[nr]|\s/g, "");
    if (body.length < 40 || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) continue;
    const kind = KINDS.PrivateKey;
    out.push({ source: "empathy/pem-private-key", messageId: "PrivateKey", label: kind.label, critical: kind.critical, confidence: kind.confidence, start, end, values: [text.slice(start, end)] });
    PEM_HEADER.lastIndex = end;
  }
  return out;
}

/**
 * Runs secretlint's recommended preset once on the text and returns what it found, without
 * placeholders, plus the PEM private keys its rule misses. Async (secretlint is). Rejects only
 * if secretlint itself fails to load or run.
 */
export async function detectSecrets(text: string, options: DetectSecretsOptions = {}): Promise<DetectedSecret[]> {
  if (typeof text !== "string" || text.length === 0) return [];
  const { lintSource, config } = await loadSecretlint();
  const path = options.path ?? "file.txt";
  const result = await lintSource({
    source: { content: text, filePath: path, ext: extOf(path), contentType: "text" },
    options: { config, noPhysicFilePath: true, locale: "en" },
  });
  const out: DetectedSecret[] = [];
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
    const kind = kindOf(m.messageId, m.ruleId);
    out.push({ source: m.ruleId, messageId: m.messageId, label: kind.label, critical: kind.critical, confidence: kind.confidence, start, end, values });
  }
  out.push(...findPemKeys(text, out));
  return out;
}
