/**
 * Finding and redacting secrets in text. Everything the bot writes (comments, logs, issues,
 * webhook payloads) goes through `redactSecrets`, so a secret pushed in a diff is never echoed.
 * The detectors here are regexes; a detector library may replace them later behind the same
 * two functions.
 */

export type SecretKind =
  | "aws-access-key-id"
  | "aws-secret-access-key"
  | "github-token"
  | "slack-token"
  | "slack-webhook"
  | "stripe-secret-key"
  | "google-api-key"
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

/** Values that are obviously not real secrets: documentation examples, templates, lookups. */
const PLACEHOLDER =
  /example|xxx|changeme|change[_-]me|placeholder|your[_-]|yourpass|<|>|\$\{|\{\{|\$\(|%\(|%s|process\.env|os\.environ|getenv|env\(|\benv\.|dummy|redacted|\*\*\*|\.\.\.|sample|fake/i;

/** Runs and ascending sequences ("00000", "12345", "abcde") mark hand-typed example values. */
const TYPED_PATTERN = /(.)\1{4,}|01234|12345|23456|34567|45678|56789|abcde|bcdef/i;

export function isPlaceholder(value: string): boolean {
  return PLACEHOLDER.test(value) || TYPED_PATTERN.test(value) || /^[$%]/.test(value);
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

const DOTTED_IDENTIFIER = /^[A-Za-z_$#][\w$#]*(?:\??\.[A-Za-z_$#][\w$#]*)+$/;
/** File paths and URLs are configuration, not secrets. */
const PATH_OR_URL = /^(?:[~.]?\/)[\w./-]*$|:\/\//;
/** A value that repeats the secret word ("token123", "mypassword1") is an example. */
const NAMES_ITSELF = /passw(?:or)?d|secret|token|api_?key/i;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const CAMEL_WORDS = /^[a-z]+(?:[A-Z][a-z]*)+$/;
const CONSTANT_NAME = /^[A-Z][A-Z0-9_]*$/;
const WORDS = /^[a-z]+(?:[_.-][a-z]+)*$/;

/**
 * Whether a value assigned to a secret-looking name is plausibly a real secret. Words,
 * identifiers and names of environment variables are not; short passwords get a lower entropy
 * bar because their maximum entropy is lower.
 */
function looksSecret(value: string, quoted: boolean): boolean {
  if (value.length < 8 || /\s/.test(value) || isPlaceholder(value) || NAMES_ITSELF.test(value)) return false;
  if (DOTTED_IDENTIFIER.test(value) || PATH_OR_URL.test(value) || CAMEL_WORDS.test(value) || CONSTANT_NAME.test(value) || WORDS.test(value))
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

/** Documentation hosts (RFC 2606). */
const EXAMPLE_HOST = /(?:^|\.)example\.(?:com|org|net)$|\.(?:example|test|invalid)$/i;

const SECRET_NAMES =
  "password|passwd|pwd|secret|secret[_-]?key|token|api[_-]?key|apikey|access[_-]?key|client[_-]?secret|private[_-]?key|auth[_-]?key|signing[_-]?key|encryption[_-]?key";

const DETECTORS: Detector[] = [
  { kind: "private-key", re: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/g },
  { kind: "aws-access-key-id", re: /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g },
  {
    kind: "aws-secret-access-key",
    re: /(?:aws[_-]?secret[_-]?(?:access[_-]?)?key|secret[_-]?access[_-]?key)["']?\s*(?:=>|:=|=|:)\s*["']?(?<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/dgi,
  },
  { kind: "github-token", re: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,255})(?![A-Za-z0-9_])/g },
  { kind: "slack-webhook", re: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9]{6,}\/[A-Za-z0-9]{6,}\/[A-Za-z0-9]{12,}/g },
  { kind: "slack-token", re: /(?<![A-Za-z0-9])xox[abprs]-[A-Za-z0-9-]{10,}/g },
  { kind: "stripe-secret-key", re: /(?<![A-Za-z0-9])(?:sk|rk)_live_[A-Za-z0-9]{16,}/g },
  { kind: "google-api-key", re: /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g },
  { kind: "jwt", re: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g },
  {
    kind: "url-credentials",
    re: /\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}:\/\/(?<user>[^\s:/?#@'"`]+):(?<secret>[^\s/?#@'"`]+)@(?<host>[^\s/:'"`]+)/dg,
    accept: (value, m) =>
      value.length >= 3 &&
      !EXAMPLE_HOST.test(m.groups?.host ?? "") &&
      value !== m.groups?.user &&
      !isPlaceholder(value) &&
      !/^(?:pass(?:word|wd)?|pwd|secret|user(?:name)?)$/i.test(value),
  },
  {
    kind: "generic-secret",
    // name ... operator ... value; the name must END in a secret word (tokenType, passwordHash do not).
    re: new RegExp(
      String.raw`(?:${SECRET_NAMES})(?![\w-])["']?(?:\s*\??:\s*[A-Za-z_][\w.<>\[\]|]*)?\s*(?<op>=>|:=|===?|=|:)\s*` +
        String.raw`(?:(?<q>["'\x60])(?<secret>[^"'\x60\r\n]{8,256}?)\k<q>|(?<bare>[^\s"'\x60,;:(){}\[\]<>]{8,256}))`,
      "dgi",
    ),
  },
];

function groupSpan(m: RegExpExecArray): [number, number, string] {
  const groups = m.indices?.groups;
  for (const name of ["secret", "bare"]) {
    const span = groups?.[name];
    if (span) return [span[0], span[1], m.groups?.[name] ?? ""];
  }
  return [m.index, m.index + m[0].length, m[0]];
}

/** All secrets in the text, in order, without overlaps (a specific detector wins over generic). */
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
      else if (d.kind === "generic-secret") {
        const quoted = m.groups?.secret !== undefined;
        // `token == other` compares two variables; only a quoted value is a literal secret.
        ok = (quoted || !m.groups?.op?.startsWith("==")) && looksSecret(value, quoted);
      }
      else if (d.kind === "private-key") ok = !isPlaceholderKey(value);
      else ok = !isPlaceholder(value);
      if (ok) found.push({ start, end, kind: d.kind, rank });
    }
  });
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

/** Replaces every secret with `[REDACTED:<kind>]`. */
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
