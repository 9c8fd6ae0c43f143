/**
 * Secret detection for findings (`detectSecrets`, async; see secrets.ts): secretlint's recommended
 * preset (loaded on first use) and its table of kinds, the provider-format table, strict PEM
 * private keys and the generic check, merged so that each secret is reported once.
 */
import { scanGeneric } from "./secretGenericScan.js";
import { scanFormats } from "./secretFormatScan.js";
import { SpanIndex } from "./secretMatches.js";
import { isPlaceholderToken, isPlaceholderUrlPassword } from "./secretValues.js";
import type { Severity } from "./types.js";

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
    out.push({
      source: "empathy/pem-private-key",
      messageId: gcp ? "PrivateKeyJSON" : "PrivateKey",
      label: kind.label,
      severity: kind.severity,
      confidence: kind.confidence,
      start,
      end,
      values: [text.slice(start, end)],
      format: true,
    });
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
    out.push({
      source: `empathy/format/${f.source}`,
      messageId: f.source,
      label: f.label,
      severity: f.severity,
      confidence: f.confidence,
      start: f.matchStart,
      end: f.matchEnd,
      values: [f.value],
      format: true,
    });
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
      out.push({
        source: m.ruleId,
        messageId: m.messageId,
        label: kind.label,
        severity: kind.severity,
        confidence: kind.confidence,
        start,
        end,
        values,
        format: true,
      });
    }
  }
  out.push(...findPemKeys(text, out));
  const known = new SpanIndex(out);
  for (const g of scanGeneric(text, { quotedOnly: options.quotedOnly })) {
    // A vendor token assigned to `token = ...`: the vendor kind says more.
    if (known.overlaps(g)) continue;
    out.push({
      source: "empathy/generic",
      messageId: "generic-secret",
      label: g.label,
      severity: g.severity,
      confidence: g.confidence,
      start: g.start,
      end: g.end,
      values: [g.value],
      format: false,
    });
  }
  return out.sort((a, b) => a.start - b.start);
}
