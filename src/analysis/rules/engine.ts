/**
 * The rule engine: runs line rules on the ADDED lines of a diff (what this pull request
 * introduces), with the whole file as context when it is known and the hunk otherwise.
 */
import { fingerprint } from "../fingerprint.js";
import { languageOf, type Language } from "../paths.js";
import { redactSecrets } from "../secrets.js";
import type { SyncAnalyzer, DiffFile, DiffHunk, Finding, SkippedItem } from "../types.js";
import { defaultRules } from "./index.js";
import { isSuppressed } from "./suppression.js";
import { blankNonCode, bracketDepth } from "./syntax.js";
import type { Rule, RuleContext, RuleMatch } from "./types.js";

export interface RuleEngineOptions {
  rules?: readonly Rule[];
  /** Longer lines (minified bundles) only get the language-agnostic rules. */
  maxLineLength?: number;
}

const COMMENT: Record<Language, RegExp> = {
  javascript: /^\s*(?:\/\/|\/\*|\*)/,
  python: /^\s*#/,
};

const MAX_STATEMENT_LINES = 8;
const MAX_STATEMENT_CHARS = 4000;

function splitContent(text: string): string[] {
  return text.split(/\r?\n/);
}

/** The new side of a hunk (context and added lines), and where each new line number sits in it. */
function newSide(hunk: DiffHunk): { lines: string[]; indexOf: Map<number, number> } {
  const lines: string[] = [];
  const indexOf = new Map<number, number>();
  for (const l of hunk.lines) {
    if (l.kind === "del" || l.newLine === undefined) continue;
    indexOf.set(l.newLine, lines.length);
    lines.push(l.content);
  }
  return { lines, indexOf };
}

function makeContext(
  path: string,
  language: Language | undefined,
  lineNumber: number,
  lines: readonly string[],
  index: number,
  wholeFile: boolean,
  fileText: () => string,
): RuleContext {
  let statement: string | undefined;
  let code: string | undefined;
  const scanLang: Language = language ?? "javascript";
  return {
    path,
    language,
    lineNumber,
    line: lines[index],
    lines,
    index,
    wholeFile,
    statement() {
      if (statement === undefined) {
        let s = lines[index];
        for (let j = index + 1; j < lines.length && j < index + MAX_STATEMENT_LINES; j++) {
          if (s.length > MAX_STATEMENT_CHARS || bracketDepth(s, scanLang) <= 0) break;
          s += "\n" + lines[j];
        }
        statement = s.length > MAX_STATEMENT_CHARS ? s.slice(0, MAX_STATEMENT_CHARS) : s;
      }
      return statement;
    },
    code() {
      return (code ??= blankNonCode(lines[index], scanLang));
    },
    text: fileText,
  };
}

/** Two decimals, within 0..1 (rules adjust confidences arithmetically). */
function roundConfidence(c: number): number {
  return Math.min(1, Math.max(0, Math.round(c * 100) / 100));
}

function normaliseMatch(m: boolean | RuleMatch | null | undefined): RuleMatch | null {
  if (!m) return null;
  return m === true ? {} : m;
}

export function createRuleEngine(options: RuleEngineOptions = {}): SyncAnalyzer {
  const rules = options.rules ?? defaultRules;
  const maxLineLength = options.maxLineLength ?? 4000;
  // Rule lists per language, computed once.
  const anyRules = rules.filter((r) => r.languages === "any");
  const byLanguage = new Map<Language | undefined, Rule[]>([[undefined, anyRules]]);
  for (const lang of ["javascript", "python"] as const)
    byLanguage.set(lang, rules.filter((r) => r.languages === "any" || r.languages.includes(lang)));

  return {
    name: "rules",
    analyze(input) {
      const findings: Finding[] = [];
      const skipped: SkippedItem[] = [];
      const failedRules = new Set<string>();

      const analyzeFile = (file: DiffFile) => {
        if (file.binary || file.hunks.length === 0) return;
        const language = languageOf(file.path);
        const langRules = byLanguage.get(language) ?? anyRules;
        const content = input.fileContents?.get(file.path);
        const whole = typeof content === "string" ? splitContent(content) : undefined;
        let wholeText: string | undefined;
        const wholeTextOf = () => (wholeText ??= (whole ?? []).join("\n"));

        for (const hunk of file.hunks) {
          if (!hunk.lines.some((l) => l.kind === "add")) continue;
          const side = newSide(hunk);
          let hunkText: string | undefined;
          const hunkTextOf = () => (hunkText ??= side.lines.join("\n"));

          for (const dl of hunk.lines) {
            if (dl.kind !== "add" || dl.newLine === undefined) continue;
            // Whole file only when it matches the diff (a stale or different ref is ignored).
            const useWhole = whole !== undefined && whole[dl.newLine - 1] === dl.content;
            const ctx = useWhole
              ? makeContext(file.path, language, dl.newLine, whole, dl.newLine - 1, true, wholeTextOf)
              : makeContext(file.path, language, dl.newLine, side.lines, side.indexOf.get(dl.newLine) ?? 0, false, hunkTextOf);
            if (!useWhole && side.lines[ctx.index] !== dl.content) continue;

            const codeLine = language !== undefined && dl.content.length <= maxLineLength && !COMMENT[language].test(dl.content);
            const applicable = codeLine ? langRules : anyRules;
            for (const rule of applicable) {
              if (failedRules.has(rule.id)) continue;
              let m: RuleMatch | null;
              try {
                m = normaliseMatch(rule.match(dl.content, ctx));
              } catch (err) {
                failedRules.add(rule.id);
                skipped.push({ path: file.path, reason: `rule ${rule.id} failed: ${redactSecrets(String((err as Error)?.message ?? err))}` });
                continue;
              }
              if (!m || isSuppressed(rule, ctx)) continue;
              findings.push({
                rule: rule.id,
                category: rule.category,
                path: file.path,
                line: dl.newLine,
                side: "RIGHT",
                severity: m.severity ?? rule.severity,
                confidence: roundConfidence(m.confidence ?? rule.confidence),
                message: redactSecrets(m.message ?? rule.message),
                recommendation: redactSecrets(rule.recommendation),
                // The redacted line: a fingerprint must not be a hash of a short password.
                fingerprint: fingerprint(rule.id, file.path, redactSecrets(dl.content)),
              });
            }
          }
        }
      };

      for (const file of input.files) analyzeFile(file);
      return { findings, predictions: [], skipped };
    },
  };
}
