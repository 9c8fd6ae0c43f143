/**
 * Secrets committed in a pull request, in any text file. An asynchronous analyser: one scan per
 * changed file, on the file's new content (the whole file when known, else the new side of the
 * hunks): the provider format table, secretlint's recommended preset, PEM private keys and the
 * generic check (secret-looking names with high-entropy values, connection strings, credential
 * calls), see secrets.ts. Only secrets on ADDED lines are reported; a secret that was already
 * there is not this pull request's doing. Messages name the kind of secret, never its value;
 * fingerprints hash the line with the secret redacted.
 *
 * Severity follows evidence: the detector rates each secret (critical: root keys such as AWS
 * secret keys and private keys; high: a provider's format; medium: a secret-looking name with a
 * high-entropy value; low: weak values). Here, test data is lowered: a password, a sample token
 * or anything else below high in a test, fixture or end-to-end folder is at most low.
 */
import { fingerprint } from "./fingerprint.js";
import { detectSecrets, redactKnownSecrets, redactSecrets, type DetectedSecret } from "./secrets.js";
import type { Analyzer, AnalysisInput, AnalysisResult, AnalyzerOutput, DiffFile, Finding, Severity, SkippedItem } from "./types.js";
import { severityRank } from "./types.js";
import { errorMessage } from "../text/errorMessage.js";

export const SECRETS_RULE_ID = "secrets/hardcoded-secret";

const RECOMMENDATION =
  "Revoke and rotate the secret now (it is in the git history), then load it from the environment or a secret manager instead of the code.";

/** Larger whole files are scanned through their hunks only (bounded work per file). */
const MAX_SCAN_CHARS = 2_000_000;

/**
 * Programming languages, where an unquoted value is a variable or a call, never a literal:
 * the generic check only counts quoted values there. Elsewhere (.env, YAML, properties, TOML,
 * shell, Dockerfile, docs) a bare value is a literal.
 */
const CODE_FILE =
  /\.(?:[cm]?[jt]sx?|py|pyi|go|java|kt|kts|scala|groovy|rb|php|cs|fs|rs|swift|m|mm|c|cc|cpp|cxx|h|hh|hpp|dart|lua|ex|exs|erl|clj|vue|svelte)$/i;

/**
 * Test data: tests, fixtures, mocks, seeds and end-to-end suites. A password there (`admin123`
 * for a test user) is at most low; a provider token keeps its rating (it is live wherever it sits).
 */
const TEST_DATA =
  /(?:^|\/)(?:tests?|__tests__|specs?|e2e|cypress|playwright|fixtures?|__fixtures__|__mocks__|mocks?|testdata|test[_-]data|seeds?)\//i;
const TEST_FILE =
  /\.(?:test|spec|e2e|cy)\.[^/]+$|(?:^|\/)test_[^/]*\.py$|_test\.(?:py|go)$|(?:Test|Tests|IT|Spec)\.(?:java|kt|scala|groovy)$|_spec\.rb$/;

function isTestData(path: string): boolean {
  return TEST_DATA.test(path) || TEST_FILE.test(path);
}

/** Lines of the new file the secrets scan sees, and which of them this pull request added. */
interface ScanTarget {
  text: string;
  /** New-file line number of each line of `text` (undefined for separators between hunks). */
  lineNumbers: (number | undefined)[];
  /** Added lines: new-file line number -> content. */
  added: Map<number, string>;
}

function addedLines(file: DiffFile): Map<number, string> {
  const added = new Map<number, string>();
  for (const h of file.hunks) for (const l of h.lines) if (l.kind === "add" && l.newLine !== undefined) added.set(l.newLine, l.content);
  return added;
}

const stripCr = (s: string) => (s.endsWith("\r") ? s.slice(0, -1) : s);

/** The whole file when it is known, fits and matches the diff (a stale or different ref is ignored); else the hunks. */
function scanTarget(file: DiffFile, content: string | undefined, added: Map<number, string>): ScanTarget {
  if (typeof content === "string" && content.length <= MAX_SCAN_CHARS) {
    const lines = content.split("\n");
    let matches = true;
    for (const [n, text] of added)
      if (lines[n - 1] === undefined || stripCr(lines[n - 1]) !== stripCr(text)) {
        matches = false;
        break;
      }
    if (matches) return { text: content, lineNumbers: lines.map((_, i) => i + 1), added };
  }
  const lines: string[] = [];
  const lineNumbers: (number | undefined)[] = [];
  for (const h of file.hunks) {
    if (lines.length > 0) {
      lines.push(""); // hunks are not contiguous: keep them apart
      lineNumbers.push(undefined);
    }
    for (const l of h.lines) {
      if (l.kind === "del" || l.newLine === undefined) continue;
      lines.push(l.content);
      lineNumbers.push(l.newLine);
    }
  }
  return { text: lines.join("\n"), lineNumbers, added };
}

/** Index of the line holding `offset`, by binary search over line starts. */
function lineIndexer(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
}

interface LineSecrets {
  kinds: Pick<DetectedSecret, "label" | "severity" | "confidence">[];
  values: string[];
}

function article(label: string): string {
  // "an AWS key", "an npm token", "an RSA key"; "a GitHub token".
  return /^(?:[aeiou]|npm|RSA|SSH|SMTP|FTP|HTTP|S3)/i.test(label) ? "An" : "A";
}

/** "A GitHub token is committed...", "An AWS access key ID and a private key are committed..." */
function describe(labels: string[]): string {
  const named = labels.map((l, i) => `${i === 0 ? article(l) : article(l).toLowerCase()} ${l}`);
  const list = named.length === 1 ? named[0] : `${named.slice(0, -1).join(", ")} and ${named[named.length - 1]}`;
  const [verb, pronoun] = labels.length === 1 ? ["is", "it"] : ["are", "them"];
  return `${list} ${verb} committed in the code: anyone who can read the repository can use ${pronoun}.`;
}

function toFinding(path: string, line: number, lineText: string, s: LineSecrets, occurrence = 1): Finding {
  const labels = [...new Set(s.kinds.map((k) => k.label))];
  const severity = s.kinds.reduce<Severity>((worst, k) => (severityRank(k.severity) > severityRank(worst) ? k.severity : worst), "info");
  const confidence = Math.max(...s.kinds.map((k) => k.confidence));
  return {
    rule: SECRETS_RULE_ID,
    category: "hardcoded-secret",
    path,
    line,
    side: "RIGHT",
    severity,
    confidence: Math.round(confidence * 100) / 100,
    message: redactSecrets(redactKnownSecrets(describe(labels), s.values)),
    recommendation: RECOMMENDATION,
    // The redacted line: a fingerprint must not be a hash of a short password.
    // The same line twice in a file is two findings (fingerprints leave line numbers out).
    fingerprint: fingerprint(
      SECRETS_RULE_ID,
      path,
      redactSecrets(redactKnownSecrets(lineText, s.values)) + (occurrence > 1 ? `\u0000#${occurrence}` : ""),
    ),
  };
}

function errorText(err: unknown): string {
  return redactSecrets(errorMessage(err)).slice(0, 200);
}

/** The secrets on the file's added lines, by new-file line number (kinds and exact values). */
async function scanFile(
  file: DiffFile,
  content: string | undefined,
  skipped: SkippedItem[],
): Promise<{ added: Map<number, string>; byLine: Map<number, LineSecrets> }> {
  const added = file.binary ? new Map<number, string>() : addedLines(file);
  const byLine = new Map<number, LineSecrets>();
  if (added.size === 0) return { added, byLine };
  const target = scanTarget(file, content, added);
  const at = (line: number) => {
    let s = byLine.get(line);
    if (!s) byLine.set(line, (s = { kinds: [], values: [] }));
    return s;
  };

  // One scan of the file (formats, secretlint, PEM keys, the generic check); a secret counts when
  // one of its lines was added (the first such line).
  const options = { path: file.path, quotedOnly: CODE_FILE.test(file.path) };
  let found: DetectedSecret[];
  try {
    found = await detectSecrets(target.text, options);
  } catch (err) {
    skipped.push({ path: file.path, reason: `secret scan (secretlint) failed, only our own checks ran: ${errorText(err)}` });
    found = await detectSecrets(target.text, { ...options, withoutSecretlint: true });
  }
  if (found.length > 0) {
    const indexOf = lineIndexer(target.text);
    const testData = isTestData(file.path);
    for (const d of found) {
      const first = indexOf(d.start);
      const last = indexOf(Math.max(d.start, d.end - 1));
      let line: number | undefined;
      for (let i = first; i <= last && line === undefined; i++) {
        const n = target.lineNumbers[i];
        if (n !== undefined && added.has(n)) line = n;
      }
      if (line === undefined) continue;
      const s = at(line);
      // Test data (a password for a test user, a sample JWT) is at most low; a provider's token is live wherever it sits.
      const testValue = testData && severityRank(d.severity) <= severityRank("medium");
      s.kinds.push(testValue ? { label: d.label, severity: "low", confidence: Math.round(d.confidence * 0.6 * 100) / 100 } : d);
      s.values.push(...d.values);
    }
  }
  return { added, byLine };
}

async function analyzeFile(file: DiffFile, input: AnalysisInput, skipped: SkippedItem[], values: Set<string>): Promise<Finding[]> {
  const { added, byLine } = await scanFile(file, input.fileContents?.get(file.path), skipped);
  for (const s of byLine.values()) for (const v of s.values) values.add(v);
  const findings: Finding[] = [];
  const occurrences = new Map<string, number>();
  for (const [line, s] of [...byLine].sort((a, b) => a[0] - b[0])) {
    const text = added.get(line) ?? "";
    const key = text.replace(/\s+/g, " ").trim();
    const n = (occurrences.get(key) ?? 0) + 1;
    occurrences.set(key, n);
    findings.push(toFinding(file.path, line, text, s, n));
  }
  return findings.sort((a, b) => a.line - b.line);
}

/**
 * The secrets analyser: one secretlint run per changed text file plus the generic check, so
 * secrets are found once, whatever the language. A failing scan of one file is reported in
 * `skipped` and costs that file's secretlint results only.
 */
export const secretsAnalyzer: Analyzer = {
  name: "secrets",
  async analyze(input: AnalysisInput): Promise<AnalyzerOutput> {
    const findings: Finding[] = [];
    const skipped: SkippedItem[] = [];
    // The values found are handed back too, so the review can hide them anywhere without scanning again.
    const values = new Set<string>();
    for (const file of input.files) findings.push(...(await analyzeFile(file, input, skipped, values)));
    return { findings, predictions: [], skipped, secretValues: [...values] };
  },
};

/** Hides the found values in the analysis' own texts (messages, predictions, skip reasons); drops a suggested change that shows one. */
export function hideFoundSecrets(analysis: Pick<AnalysisResult, "findings" | "predictions" | "skipped">, found: string[]): void {
  if (found.length === 0) return;
  const hide = (text: string) => redactSecrets(redactKnownSecrets(text, found));
  for (const f of analysis.findings) {
    Object.assign(f, { message: hide(f.message), recommendation: hide(f.recommendation) });
    // A suggestion is committed as written: one that shows a found secret is dropped, never redacted.
    if (f.suggestion && hide(f.suggestion.replacement) !== f.suggestion.replacement) delete f.suggestion;
  }
  for (const p of analysis.predictions)
    Object.assign(p, { prediction: hide(p.prediction), impact: hide(p.impact), recommendation: hide(p.recommendation) });
  for (const s of analysis.skipped) s.reason = hide(s.reason);
}
