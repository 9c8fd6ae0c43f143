/**
 * Checks the model's text against what it was given (prompt.ts `Grounds`). The text is prose
 * shown beside our own list of findings, so it must not contradict that list: no rule id,
 * severity, confidence, level or kind of vulnerability that was not in the input, no more
 * findings than there are, and no markup that would do more than read (links, images, HTML,
 * mentions, code blocks). A check errs on the side of refusing: the deterministic text is
 * always there to fall back on.
 */
import { redact } from "../analysis/secrets.js";
import { SEVERITIES } from "../analysis/types.js";
import type { Grounds } from "./prompt.js";

/** What a text broke: the word the fallback's log line carries. */
export type GroundingViolation =
  "empty" | "too_long" | "markup" | "link" | "mention" | "secret" | "rule_id" | "severity" | "confidence" | "level" | "category" | "count";

/** Prefixes of the analysis's rule ids (`js/sql-injection`, `secrets/hardcoded-secret`…). */
const RULE_PREFIXES = new Set(["js", "ts", "py", "python", "go", "java", "secrets", "empathy", "rules"]);

/** How each security category may be written in prose, beyond its id with spaces. */
const CATEGORY_WORDS: Record<string, string[]> = {
  "sql-injection": ["sql injection", "sqli"],
  "command-injection": ["command injection", "shell injection"],
  "code-injection": ["code injection", "eval injection"],
  xss: ["xss", "cross-site scripting", "cross site scripting"],
  "path-traversal": ["path traversal", "directory traversal"],
  "insecure-deserialization": ["insecure deserialization", "unsafe deserialization", "deserialization vulnerability"],
  "hardcoded-secret": ["hardcoded secret", "hard-coded secret", "hardcoded credential", "hard-coded credential", "leaked secret"],
  "weak-crypto": ["weak crypto", "weak hash", "weak cipher"],
  ssrf: ["ssrf", "server-side request forgery", "server side request forgery"],
  "open-redirect": ["open redirect"],
  "insecure-tls": ["insecure tls", "tls verification disabled", "certificate verification"],
  "insecure-randomness": ["insecure randomness", "insecure random", "predictable random"],
};

const NUMBER_WORDS: Record<string, number> = { one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10 };
const SEVERITY = `(${SEVERITIES.join("|")})`;

/** The first rule the text breaks, or undefined when it is grounded. `maxChars`: its longest allowed length. */
export function groundingViolation(text: string, grounds: Grounds, maxChars: number): GroundingViolation | undefined {
  const t = text.trim();
  if (t === "") return "empty";
  if (t.length > maxChars) return "too_long";
  const lower = t.toLowerCase();
  const source = grounds.sourceText;
  if (/```|~~~|!\[|<\s*[a-z!/#@]|^\s{0,3}#{1,6}\s/im.test(t)) return "markup";
  for (const m of lower.matchAll(/\b(?:https?|ftp|javascript|data):\S+|\bwww\.\S+/g)) {
    if (!source.includes(m[0].replace(/[.,;:!?)\]'"]+$/, ""))) return "link";
  }
  for (const m of lower.matchAll(/(?:^|[\s(])@([a-z0-9][a-z0-9-]*)/g)) if (!source.includes(`@${m[1]}`)) return "mention";
  if (redact(t) !== t) return "secret";

  for (const m of lower.matchAll(/(?<![\w/.-])([a-z][a-z0-9_]*)\/([a-z0-9][a-z0-9_-]*)(?![\w/-]|\.\w)/g)) {
    const looksLikeRule = RULE_PREFIXES.has(m[1]) || m[2].includes("-");
    if (looksLikeRule && !grounds.rules.has(m[0]) && !source.includes(m[0])) return "rule_id";
  }

  const severityMentions = [
    ...lower.matchAll(new RegExp(`\\b${SEVERITY}[\\s-]+(?:severity|risk|priority)\\b`, "g")),
    ...lower.matchAll(new RegExp(`\\bseverity\\W{0,3}(?:(?:of|is|was|as)\\s+)?(?:a\\s+|an\\s+)?\\**${SEVERITY}\\b`, "g")),
    ...lower.matchAll(new RegExp(`\\b${SEVERITY}\\s+(?:finding|issue|vulnerability|problem)s?\\b`, "g")),
  ];
  for (const m of severityMentions) if (!grounds.severities.has(m[1])) return "severity";

  for (const m of lower.matchAll(/(?<![\w.])(\d{1,3}(?:\.\d+)?)\s?(?:%|percent\b)/g)) {
    if (!grounds.percents.has(Math.round(Number(m[1]))) && !source.includes(m[0])) return "confidence";
  }
  for (const m of lower.matchAll(/(?<![\w.])(0?\.\d{1,4}|1\.0+)(?!\w|\.\d)/g)) {
    if (!grounds.percents.has(Math.round(Number(m[1]) * 100)) && !source.includes(m[1])) return "confidence";
  }
  for (const m of lower.matchAll(/\blevel\s+(\d+)\b/g)) {
    if (!grounds.levels.has(Number(m[1])) && !source.includes(m[0])) return "level";
  }

  for (const [category, words] of Object.entries(CATEGORY_WORDS)) {
    if (grounds.categories.has(category)) continue;
    for (const word of [category.replace(/-/g, " "), category, ...words]) {
      const found = new RegExp(`(?<![\\w-])${word.replace(/[-/\\^$*+?.()|[\]{}]/g, "\\$&")}(?![\\w-])`).test(lower);
      if (found && !source.includes(word)) return "category";
    }
  }

  const counted =
    /\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:[a-z-]+\s+)?(?:findings?|issues?|vulnerabilit(?:y|ies)|problems?)\b/g;
  for (const m of lower.matchAll(counted)) {
    const n = NUMBER_WORDS[m[1]] ?? Number(m[1]);
    if (n > grounds.findingCount) return "count";
  }
  return undefined;
}
