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
 *
 * This file holds the redaction step and is the one import path for all of it; the parts live
 * beside it: secretValues.ts (placeholders, entropy, what a secret value looks like),
 * secretMatches.ts (what the scans return), secretGenericScan.ts (the generic check),
 * secretFormatScan.ts (the format table's scan, AWS pairs, PEM blocks, `findSecrets`) and
 * secretDetection.ts (`detectSecrets`, with secretlint).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { findSecrets } from "./secretFormatScan.js";

export { isPlaceholder, isPlaceholderToken, shannonEntropy } from "./secretValues.js";
export type { FoundSecret, SecretKind, SecretMatch } from "./secretMatches.js";
export { findGenericSecrets, type GenericSecretOptions } from "./secretGenericScan.js";
export { findSecrets, scanFormats } from "./secretFormatScan.js";
export { detectSecrets, type DetectedSecret, type DetectSecretsOptions } from "./secretDetection.js";

// ---------------------------------------------------------------------------------------------
// The redactor
// ---------------------------------------------------------------------------------------------

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
