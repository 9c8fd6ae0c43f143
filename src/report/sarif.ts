/**
 * A review's findings as a SARIF 2.1.0 log, for GitHub code scanning: the CLI's `--format sarif`
 * and the app's upload build it here, from the analysis result alone. One run; a rule for each
 * rule id that has a result, with CWE tags and GitHub's `security-severity`; each result keyed by
 * our line-free fingerprint in `partialFingerprints`, so an alert keeps its identity while the
 * code around it moves.
 *
 * Predictions are left out on purpose: they forecast what a change breaks for someone else (a
 * dropped column's readers, a bumped major version's callers), often anchored on a deleted line
 * that does not exist in the analysed commit, and they already have their own feedback loop
 * (prediction issues). As code scanning alerts they would be defects that cannot be fixed where
 * they point, and be closed as "fixed" by the next push that does not touch the file.
 */
import { redact } from "../analysis/secrets.js";
import { SECURITY_CATEGORIES, severityRank, type AnalysisResult, type Category, type Finding, type Severity } from "../analysis/types.js";

/** The official OASIS schema of the log (errata 01), named in its `$schema`. */
export const SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
export const SARIF_TOOL_NAME = "Empathy bot";
/** Where `uri`s are rooted: the repository's root, as GitHub's upload expects. */
export const SRCROOT = "%SRCROOT%";
/** Our fingerprint's own key in `partialFingerprints` (a versioned name, as SARIF advises). */
export const FINGERPRINT_KEY = "empathyFingerprint/v1";

/**
 * GitHub's scale for `security-severity` (0.1-3.9 low, 4.0-6.9 medium, 7.0-8.9 high, 9.0-10.0
 * critical): a score inside each of our severities' band; info has no band of its own and reads low.
 */
export const SECURITY_SEVERITY: Record<Severity, string> = { critical: "9.5", high: "8.0", medium: "5.5", low: "3.0", info: "1.0" };

/** SARIF's three result levels: what blocks, what warns, what informs. */
const LEVEL: Record<Severity, "error" | "warning" | "note"> = {
  critical: "error",
  high: "error",
  medium: "warning",
  low: "note",
  info: "note",
};

interface CategoryInfo {
  title: string;
  description: string;
  cwe?: string;
}

/** Every finding category: its title, what it means, and its CWE unless a rule names a narrower one (RULE_CWE). */
const CATEGORY: Record<Category, CategoryInfo> = {
  "sql-injection": {
    title: "SQL injection",
    description: "SQL text is built from a runtime value: whoever controls the value can change the query.",
    cwe: "CWE-89",
  },
  "command-injection": {
    title: "Command injection",
    description: "A command line or the program to run is built from a runtime value: whoever controls the value can run commands.",
    cwe: "CWE-78",
  },
  "code-injection": {
    title: "Code injection",
    description: "Code (an expression, a template, a module to load) is built from a runtime value: whoever controls the value runs code.",
    cwe: "CWE-94",
  },
  xss: {
    title: "Cross-site scripting",
    description:
      "HTML or script sent to a browser is built from a runtime value without escaping: whoever controls the value runs script in the page.",
    cwe: "CWE-79",
  },
  "path-traversal": {
    title: "Path traversal",
    description: "A file path is built from a runtime value: `..` or an absolute path in it reaches files outside the intended folder.",
    cwe: "CWE-22",
  },
  "insecure-deserialization": {
    title: "Insecure deserialization",
    description: "Data that may come from outside is read with a format that can build arbitrary objects or run code.",
    cwe: "CWE-502",
  },
  "hardcoded-secret": {
    title: "Hard-coded secret",
    description: "A credential is committed in the code: anyone who can read the repository or its history can use it.",
    cwe: "CWE-798",
  },
  "weak-crypto": {
    title: "Weak cryptography",
    description: "A broken or too weak algorithm, key, mode or verification protects something that depends on it.",
    cwe: "CWE-327",
  },
  ssrf: {
    title: "Server-side request forgery",
    description: "The server requests an address built from a runtime value: whoever controls it reaches internal services.",
    cwe: "CWE-918",
  },
  "open-redirect": {
    title: "Open redirect",
    description: "A redirect's target is built from a runtime value: users can be sent to a site an attacker chooses.",
    cwe: "CWE-601",
  },
  "insecure-tls": {
    title: "Insecure TLS",
    description: "Certificate or host name verification is turned off: the connection can be intercepted.",
    cwe: "CWE-295",
  },
  "insecure-randomness": {
    title: "Insecure randomness",
    description: "A predictable random generator makes a value that must not be guessed (a token, a key, a password).",
    cwe: "CWE-338",
  },
  "debug-leftover": {
    title: "Debug leftover",
    description: "Debugging code or settings are left in the change (a debugger statement, debug mode on).",
    cwe: "CWE-489",
  },
  "missing-tests": { title: "Missing tests", description: "Code changes without a change to its tests." },
  "breaking-change": { title: "Breaking change", description: "The change breaks a contract others rely on." },
  "dependency-risk": { title: "Dependency risk", description: "A dependency change that may break or weaken the code." },
  "large-change": { title: "Large change", description: "The change is too large to review well in one piece." },
};

/**
 * Rules whose file names a narrower CWE than their category's (`metadata.cwe` in rules/): a test
 * checks this table against every rule file, so the two cannot drift apart.
 */
const RULE_CWE: Record<string, string> = {
  "go/code-injection": "CWE-95",
  "java/code-injection": "CWE-95",
  "js/code-injection": "CWE-95",
  "js/code-injection-timer": "CWE-95",
  "py/code-injection": "CWE-95",
  "py/code-injection-codegen": "CWE-95",
  "py/code-injection-expression": "CWE-95",
  "go/template-injection": "CWE-1336",
  "java/template-injection": "CWE-1336",
  "js/template-injection": "CWE-1336",
  "py/template-injection": "CWE-1336",
  "go/jwt-unverified": "CWE-347",
  "java/jwt-unverified": "CWE-347",
  "js/jwt-unverified": "CWE-347",
  "py/jwt-unverified": "CWE-347",
  "js/weak-key": "CWE-326",
  "py/weak-key": "CWE-326",
  "py/weak-password-hasher": "CWE-916",
};

const LANGUAGE: Record<string, string> = { js: "JavaScript", py: "Python", go: "Go", java: "Java" };

/** The CWE a rule's results are tagged with: the rule's own, else its category's. */
export function cweOf(ruleId: string, category: Category): string | undefined {
  return Object.hasOwn(RULE_CWE, ruleId) ? RULE_CWE[ruleId] : CATEGORY[category].cwe;
}

// The part of SARIF 2.1.0 this module writes.
export interface SarifMessage {
  text: string;
  markdown?: string;
}
export interface SarifRule {
  id: string;
  name: string;
  shortDescription: SarifMessage;
  fullDescription: SarifMessage;
  help: SarifMessage;
  helpUri?: string;
  properties: { tags: string[]; "security-severity"?: string };
}
export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: "error" | "warning" | "note";
  message: SarifMessage;
  locations: {
    physicalLocation: {
      artifactLocation: { uri: string; uriBaseId: string };
      region?: { startLine: number; endLine: number };
    };
  }[];
  partialFingerprints: Record<string, string>;
  properties: { severity: Severity; confidence: number; category: Category };
}
export interface SarifLog {
  $schema: string;
  version: "2.1.0";
  runs: {
    tool: { driver: { name: string; version: string; informationUri?: string; rules: SarifRule[] } };
    originalUriBaseIds: Record<string, { description: SarifMessage }>;
    results: SarifResult[];
  }[];
}

/** Who made the log: this package's version, and its home page when the package names one. */
export interface SarifTool {
  version: string;
  informationUri?: string;
}

/**
 * The SARIF log of an analysis' findings (their paths are repository-relative, as in the diff).
 * Deterministic: the same findings give the same text. A finding whose path is not a plain
 * repository-relative path (absolute, `..`, empty parts) has no place in the repository and is
 * left out, as are predictions (see the top of this file).
 */
export function buildSarifLog(analysis: Pick<AnalysisResult, "findings">, tool: SarifTool): SarifLog {
  const placed = analysis.findings
    .map((finding) => ({ finding, uri: repositoryUri(finding.path) }))
    .filter((p): p is { finding: Finding; uri: string } => p.uri !== undefined)
    .sort(
      (a, b) =>
        compare(a.finding.path, b.finding.path) ||
        a.finding.line - b.finding.line ||
        compare(a.finding.rule, b.finding.rule) ||
        compare(a.finding.fingerprint, b.finding.fingerprint),
    );

  // One rule per rule id, in id order; its security-severity is the worst of its results here.
  const byRule = new Map<string, Finding[]>();
  for (const { finding } of placed) {
    const list = byRule.get(finding.rule);
    if (list) list.push(finding);
    else byRule.set(finding.rule, [finding]);
  }
  const ids = [...byRule.keys()].sort(compare);
  const rules = ids.map((id) => ruleDescriptor(id, byRule.get(id)!));
  const index = new Map(ids.map((id, i) => [id, i]));

  const results = placed.map(({ finding: f, uri }): SarifResult => {
    const region = Number.isInteger(f.line) && f.line >= 1 && f.side === "RIGHT" ? { startLine: f.line, endLine: f.line } : undefined;
    return {
      ruleId: f.rule,
      ruleIndex: index.get(f.rule)!,
      level: LEVEL[f.severity],
      message: { text: redact(f.message) },
      // A finding on a deleted line (LEFT) has no line in the analysed commit: the file only.
      locations: [{ physicalLocation: { artifactLocation: { uri, uriBaseId: SRCROOT }, ...(region ? { region } : {}) } }],
      // GitHub matches alerts across commits by primaryLocationLineHash, which it computes only when
      // absent: ours is line-free (rule, path, normalised code), so it is the stabler of the two.
      partialFingerprints: { primaryLocationLineHash: f.fingerprint, [FINGERPRINT_KEY]: f.fingerprint },
      properties: { severity: f.severity, confidence: f.confidence, category: f.category },
    };
  });

  return {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: SARIF_TOOL_NAME,
            version: tool.version,
            ...(tool.informationUri ? { informationUri: tool.informationUri } : {}),
            rules,
          },
        },
        originalUriBaseIds: { [SRCROOT]: { description: { text: "The root of the repository the change belongs to." } } },
        results,
      },
    ],
  };
}

function ruleDescriptor(id: string, findings: Finding[]): SarifRule {
  const first = findings[0];
  const info = CATEGORY[first.category];
  const cwe = cweOf(id, first.category);
  const cweNumber = cwe?.slice("CWE-".length);
  const cweUri = cweNumber ? `https://cwe.mitre.org/data/definitions/${cweNumber}.html` : undefined;
  const security = SECURITY_CATEGORIES.has(first.category);
  const worst = findings.reduce((w, f) => (severityRank(f.severity) > severityRank(w) ? f.severity : w), first.severity);
  const language = LANGUAGE[id.split("/")[0]];
  const recommendation = redact(first.recommendation);
  return {
    id,
    name: pascalCase(id.slice(id.indexOf("/") + 1)),
    shortDescription: { text: language ? `${info.title} (${language})` : info.title },
    fullDescription: { text: cwe ? `${info.description.replace(/\.$/, "")} (${cwe}).` : info.description },
    help: {
      text: cwe ? `${recommendation}\n\n${cwe}: ${cweUri}` : recommendation,
      markdown: cwe ? `${recommendation}\n\n[${cwe}](${cweUri})` : recommendation,
    },
    ...(cweUri ? { helpUri: cweUri } : {}),
    properties: {
      // GitHub reads security-severity only on rules tagged "security".
      tags: [...(security ? ["security"] : ["maintainability"]), ...(cwe ? [`external/cwe/${cwe.toLowerCase()}`] : [])],
      ...(security ? { "security-severity": SECURITY_SEVERITY[worst] } : {}),
    },
  };
}

/** `sql-injection-orm` -> `SqlInjectionOrm`. */
function pascalCase(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join("");
}

/**
 * A repository-relative path as a relative URI (each part percent-encoded: spaces, `#`, `%`,
 * non-ASCII), or undefined when it is not one: absolute, a drive letter, `.`/`..` or empty parts,
 * control characters.
 */
export function repositoryUri(path: string): string | undefined {
  if (typeof path !== "string" || path === "" || [...path].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    return undefined;
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) return undefined;
  const parts = path.split("/");
  if (parts.some((p) => p === "" || p === "." || p === "..")) return undefined;
  return parts.map((p) => encodeURIComponent(p)).join("/");
}

/** Code-point order, the same on every machine (localeCompare is not). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
