/**
 * What a candidate secret's value looks like, part of the secret scans (see secrets.ts): placeholders
 * and documentation examples, Shannon entropy, and the checks that tell a value assigned to a
 * secret-looking name (or a password in a URL) from a word, a name, a path, a call or a pattern.
 */

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
export function isPlaceholderKey(block: string): boolean {
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

const DOTTED_IDENTIFIER = /^[A-Za-z_$#][\w$#]*(?:\??\.[A-Za-z_$#][\w$#]*)+$/;
/** File paths and URLs are configuration, not secrets. */
const PATH_OR_URL =
  /^(?:[~.]?\/)[\w./-]*$|:\/\/|^[\w.-]+(?:\/[\w.-]+)+$|\.(?:pem|key|crt|cer|pub|p12|pfx|jks|json|txt|ya?ml|env|ini|conf)$/i;
/** A value that repeats the secret word ("token123", "mypassword1") is an example. */
export const NAMES_ITSELF = /passw(?:or)?d|secret|token|api_?key/i;
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
// eslint-disable-next-line no-control-regex -- the range starts at NUL on purpose: every ASCII character
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
export function looksSecret(value: string, quoted: boolean): boolean {
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
export function weakValue(value: string): boolean {
  return value.length < 10 || /^[A-Za-z]{2,20}[0-9]{1,6}[!@#$%^&*?.]?$/.test(value);
}

/** Documentation hosts (RFC 2606). */
const EXAMPLE_HOST = /(?:^|\.)example\.(?:com|org|net)$|\.(?:example|test|invalid)$/i;

/** Passwords in URLs that are the word itself, or the user name again, are examples. */
export function isPlaceholderUrlPassword(password: string, user: string | undefined, host: string | undefined): boolean {
  return (
    password.length < 3 ||
    password === user ||
    password === "x-oauth-basic" ||
    EXAMPLE_HOST.test(host ?? "") ||
    isPlaceholder(password) ||
    /^(?:pass(?:word|wd)?|pwd|secret|user(?:name)?|postgres|root|admin|guest)$/i.test(password)
  );
}
