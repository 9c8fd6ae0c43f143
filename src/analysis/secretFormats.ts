/**
 * Provider token formats: one table, read by the secret detector and by the redactor (so that
 * every format the detector reports is also hidden in everything the bot writes).
 *
 * This file is a data table, one entry per token format, which is why it is longer than the
 * ~500 lines of issue 14: it is kept whole so that every format is found in one place.
 *
 * The formats are facts about how providers shape their credentials, gathered from public
 * catalogues (gitleaks' default configuration, providers' announcements of their token formats)
 * and written here as our own data. Each entry is:
 *
 * - `anchors`: literal strings a match starts with (or contains, with `back`). The scanner finds
 *   every anchor of every format in one pass over the text, then tries only the formats of the
 *   anchors it met, at their position. A text without anchors costs one regex pass.
 * - `re`: matched at the anchor's position only (sticky), so each attempt is bounded. Every
 *   quantifier is bounded and none is nested: the scan stays linear in the text's length.
 *   A `secret` group, when present, is the part to hide (the rest is context: `AccountKey=`).
 * - `severity`: what a verified match is worth. `critical`: a cloud provider's root key or a
 *   private key; `high`: a credential in its provider's distinctive format; `medium`: a format
 *   with weaker evidence (test-mode keys, short-lived tokens, shapes without a fixed prefix).
 *
 * Linear-time rules for anyone adding a format (test/analysis/secrets.test.ts checks them):
 * bounded quantifiers (`{20,200}`, never `+`, `*` or `{n,}`), no repeated group holding a
 * quantifier, a literal anchor of 2+ characters (or a provider's name with `ignoreCase`), and a
 * fake sample in test/analysis/fakeSecrets.ts (`FORMAT_SAMPLES`).
 */

export type FormatSeverity = "critical" | "high" | "medium";

/** What `refine` may change about one match, once it has looked inside the token. */
export interface Refinement {
  label?: string;
  severity?: FormatSeverity | "low";
  confidence?: number;
  /** false: hidden by the redactor but not reported (public by design, documentation values). */
  report?: boolean;
}

export interface TokenFormat {
  /** Stable identifier, e.g. "github-pat". */
  id: string;
  provider: string;
  /** What a finding calls it ("GitHub personal access token"). Never the value. */
  label: string;
  /** The redaction tag: `[REDACTED:<kind>]`. */
  kind: string;
  /** Literal strings the token starts with (case-sensitive unless `ignoreCase`). */
  anchors: readonly string[];
  /** Matched sticky at the token's start. `secret` group: the part to hide; else the whole match. */
  re: RegExp;
  severity: FormatSeverity;
  /** Default 0.9. */
  confidence?: number;
  /** Anchors (and `re`) are case-insensitive: provider names in a variable's name. */
  ignoreCase?: boolean;
  /**
   * The token starts before its anchor (`…-us12` for Mailchimp, `…:AA…` for Telegram): from the
   * anchor, the scanner walks back over these characters, at most `max` of them.
   */
  back?: { chars: RegExp; max: number };
  /** The character before the token may be a letter or digit (default: no, it must not). */
  left?: false;
  /** Characters that must not follow the token (default `[A-Za-z0-9_-]`); false: no check. */
  right?: RegExp | false;
  /** Must match near the token (its line, up to 160 characters before): the provider's name. */
  context?: RegExp;
  /** Minimum Shannon entropy of the value (default 3.0 for 20+ characters, else 2.5). */
  minEntropy?: number;
  /** Skip the placeholder check (formats whose real values hold long runs, like `AAAAAAAAAA`). */
  runsAllowed?: true;
  /**
   * A look inside the value (`whole`: the whole match; `near`: the text around it; `before`: the
   * text just before it): false rejects it; a refinement changes its label, severity or reporting.
   */
  refine?: (value: string, whole: string, near: string, before: string) => Refinement | false | undefined;
}

// ---------------------------------------------------------------------------------------------
// Check digits and decoders the formats use
// ---------------------------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(s: string): number {
  let c = 0xffffffff;
  for (let i = 0; i < s.length; i++) c = CRC_TABLE[(c ^ s.charCodeAt(i)) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export function base62(n: number, width: number): string {
  let s = "";
  for (let v = n; v > 0; v = Math.floor(v / 62)) s = BASE62[v % 62] + s;
  return s.padStart(width, "0");
}

/**
 * GitHub's and npm's tokens end in a check digit: the CRC32 of the 30 random characters, in
 * base62 (digits, upper, lower), 6 characters. A token that passes it is certainly of the format.
 */
export function hasCrc32Tail(token: string, prefixLength: number): boolean {
  const body = token.slice(prefixLength);
  return body.length === 36 && base62(crc32(body.slice(0, 30)), 6) === body.slice(30);
}

const crcRefinement =
  (prefixLength: number) =>
  (value: string): Refinement | undefined =>
    hasCrc32Tail(value, prefixLength) ? { confidence: 0.99 } : undefined;

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Just before a value: a credential's name and an operator, or `Bearer `. */
const CREDENTIAL_BEFORE =
  /(?:token|key|secret|auth\w{0,20}|bearer|passw(?:or)?d|credentials?|jwt|session|cookie)["'\]]?[ \t]{0,4}(?:=>|[:=(,])[ \t]{0,4}(?:[\w.]{1,40}\([ \t]{0,4})?["'`]?$|bearer[ \t]{1,4}$/i;

/**
 * A JWT is a bearer credential when its header is JSON naming an algorithm. Supabase keys are
 * JWTs: the service role key bypasses row-level security (high); the anon key ships in every
 * browser (public). jwt.io's example token is documentation. A JWT that no credential name or
 * `Bearer` introduces is weak evidence (a sample, a fixture): low.
 */
function refineJwt(value: string, _whole: string, _near: string, before: string): Refinement | false | undefined {
  const [head, body] = value.split(".");
  const header = decodeJson(head);
  if (!header || typeof header.alg !== "string") return false;
  const payload = decodeJson(body);
  if (!payload) return undefined;
  if (payload.role === "service_role") return { label: "Supabase service role key", severity: "high", confidence: 0.9 };
  if (payload.role === "anon") return { report: false };
  if (payload.sub === "1234567890" && payload.name === "John Doe") return { report: false };
  // Expired: no longer a credential (a test fixture, a captured example).
  if (typeof payload.exp === "number" && payload.exp * 1000 < Date.now())
    return { label: "expired JSON Web Token", severity: "low", confidence: 0.3 };
  if (!CREDENTIAL_BEFORE.test(before.slice(-80))) return { severity: "low", confidence: 0.4 };
  return undefined;
}

/** A Discord bot token's first part is the bot's numeric id in base64. */
function refineDiscord(value: string): false | undefined {
  const id = Buffer.from(value.slice(0, value.indexOf(".")), "base64url").toString("latin1");
  return /^\d{17,20}$/.test(id) ? undefined : false;
}

/** Firebase web configs carry a Google API key that is public by design (restricted by referrer). */
function refineGoogleKey(_value: string, _whole: string, near: string): Refinement | undefined {
  return /authDomain|firebaseapp\.com|messagingSenderId|firebase/i.test(near)
    ? { label: "Firebase web API key (public by design)", severity: "low", confidence: 0.4 }
    : undefined;
}

/** Scheme-specific names for a password in a URL (the engine judges the password itself). */
function refineUrl(_value: string, whole: string): Refinement | undefined {
  const scheme = whole.slice(0, whole.indexOf("://")).toLowerCase();
  const labels: Record<string, string> = {
    postgres: "PostgreSQL connection string with a password",
    postgresql: "PostgreSQL connection string with a password",
    mysql: "MySQL connection string with a password",
    mongodb: "MongoDB connection string with a password",
    "mongodb+srv": "MongoDB connection string with a password",
    redis: "Redis URL with a password",
    rediss: "Redis URL with a password",
    amqp: "AMQP URL with a password",
    amqps: "AMQP URL with a password",
  };
  const label = labels[scheme.replace(/^jdbc:/, "")];
  return label ? { label } : undefined;
}

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

/**
 * A provider's name in a variable's name that also says it holds a credential, then an
 * assignment, then a value of the provider's shape: `DATADOG_API_KEY=…`, `okta_token: "…"`,
 * `"twilio_auth_token" => '…'`. `name` starts with the anchor (the provider's name) and ends with
 * the credential word, so `HEROKU_APP_ID = "<uuid>"` is not a key.
 */
function named(name: string, value: string): RegExp {
  return new RegExp(String.raw`${name}[\w.-]{0,20}?["'\]]{0,2}[ \t]{0,4}(?:=>|:=|=|:|,)[ \t]{0,4}["'\x60]?(?<secret>${value})`, "i");
}

const HEX = "[a-f0-9]";
const UUID = "[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}";

/** Shorthand for the many prefix formats: prefix, body, severity. */
function prefixed(
  id: string,
  provider: string,
  label: string,
  kind: string,
  anchors: readonly string[],
  re: RegExp,
  severity: FormatSeverity = "high",
  extra: Partial<TokenFormat> = {},
): TokenFormat {
  return { id, provider, label, kind, anchors, re, severity, ...extra };
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

export const TOKEN_FORMATS: readonly TokenFormat[] = [
  // GitHub. The 2026 installation token (ghs_<app id>_<JWT>) first: the classic shape would stop at its first dot.
  prefixed(
    "github-app-installation-jwt",
    "GitHub",
    "GitHub App installation token",
    "github-token",
    ["ghs_"],
    /ghs_[0-9]{1,20}_[A-Za-z0-9_-]{1,1000}\.[A-Za-z0-9_-]{1,10000}\.[A-Za-z0-9_-]{1,1000}/,
  ),
  prefixed("github-pat", "GitHub", "GitHub personal access token", "github-token", ["ghp_"], /ghp_[A-Za-z0-9_]{36,251}/, "high", {
    refine: crcRefinement(4),
  }),
  prefixed("github-oauth", "GitHub", "GitHub OAuth token", "github-token", ["gho_"], /gho_[A-Za-z0-9_]{36,251}/, "high", {
    refine: crcRefinement(4),
  }),
  prefixed("github-user-to-server", "GitHub", "GitHub App user token", "github-token", ["ghu_"], /ghu_[A-Za-z0-9_]{36,251}/, "high", {
    refine: crcRefinement(4),
  }),
  prefixed("github-installation", "GitHub", "GitHub App installation token", "github-token", ["ghs_"], /ghs_[A-Za-z0-9_]{36,251}/, "high", {
    refine: crcRefinement(4),
  }),
  prefixed("github-refresh", "GitHub", "GitHub refresh token", "github-token", ["ghr_"], /ghr_[A-Za-z0-9_]{36,251}/, "high", {
    refine: crcRefinement(4),
  }),
  prefixed(
    "github-fine-grained-pat",
    "GitHub",
    "GitHub fine-grained personal access token",
    "github-token",
    ["github_pat_"],
    /github_pat_[A-Za-z0-9_]{22,255}/,
  ),
  {
    // `TOKEN:x-oauth-basic@github.com`: the token is the URL's user name.
    id: "github-oauth-basic-url",
    provider: "GitHub",
    label: "GitHub OAuth token in a URL",
    kind: "github-token",
    anchors: [":x-oauth-basic@"],
    back: { chars: /[^\s:/?#@'"`]/, max: 256 },
    re: /(?<secret>[^\s:/?#@'"`]{8,256}):x-oauth-basic@/,
    severity: "high",
    left: false,
    right: false,
  },

  // GitLab
  prefixed("gitlab-pat", "GitLab", "GitLab personal access token", "gitlab-token", ["glpat-"], /glpat-[\w-]{20,300}(?:\.[0-9a-z]{9})?/),
  prefixed("gitlab-pipeline-trigger", "GitLab", "GitLab pipeline trigger token", "gitlab-token", ["glptt-"], /glptt-[0-9a-f]{40}/),
  prefixed("gitlab-runner-registration", "GitLab", "GitLab runner registration token", "gitlab-token", ["GR1348941"], /GR1348941[\w-]{20}/),
  prefixed(
    "gitlab-runner",
    "GitLab",
    "GitLab runner authentication token",
    "gitlab-token",
    ["glrt-"],
    /glrt-[\w-]{20,300}(?:\.[0-9a-z]{9})?/,
  ),
  prefixed("gitlab-ci-job", "GitLab", "GitLab CI/CD job token", "gitlab-token", ["glcbt-"], /glcbt-[0-9a-zA-Z]{1,5}_[\w-]{20}/, "medium"),
  prefixed("gitlab-deploy", "GitLab", "GitLab deploy token", "gitlab-token", ["gldt-"], /gldt-[\w-]{20,300}/),
  prefixed("gitlab-feed", "GitLab", "GitLab feed token", "gitlab-token", ["glft-"], /glft-[\w-]{20,300}/, "medium"),
  prefixed("gitlab-incoming-mail", "GitLab", "GitLab incoming mail token", "gitlab-token", ["glimt-"], /glimt-[\w-]{25,300}/, "medium"),
  prefixed("gitlab-agent", "GitLab", "GitLab Kubernetes agent token", "gitlab-token", ["glagent-"], /glagent-[\w-]{50,300}/),
  prefixed("gitlab-oauth-app-secret", "GitLab", "GitLab OAuth application secret", "gitlab-token", ["gloas-"], /gloas-[\w-]{64,300}/),
  prefixed("gitlab-scim", "GitLab", "GitLab SCIM token", "gitlab-token", ["glsoat-"], /glsoat-[\w-]{20,300}/),
  prefixed(
    "gitlab-feature-flags",
    "GitLab",
    "GitLab feature flag client token",
    "gitlab-token",
    ["glffct-"],
    /glffct-[\w-]{20,300}/,
    "medium",
  ),
  prefixed(
    "gitlab-session",
    "GitLab",
    "GitLab session cookie",
    "gitlab-token",
    ["_gitlab_session="],
    /_gitlab_session=(?<secret>[0-9a-z]{32})/,
    "medium",
    { left: false },
  ),

  // Slack
  prefixed("slack-bot", "Slack", "Slack bot token", "slack-token", ["xoxb-"], /xoxb-[A-Za-z0-9-]{10,250}/),
  prefixed("slack-user", "Slack", "Slack user token", "slack-token", ["xoxp-"], /xoxp-[A-Za-z0-9-]{10,250}/),
  prefixed(
    "slack-config",
    "Slack",
    "Slack configuration token",
    "slack-token",
    ["xoxe.xoxb-", "xoxe.xoxp-", "xoxe-"],
    /xoxe(?:\.xox[bp])?-[A-Za-z0-9-]{10,250}/,
  ),
  prefixed("slack-legacy", "Slack", "Slack token", "slack-token", ["xoxa-", "xoxr-", "xoxo-", "xoxs-"], /xox[aros]-[A-Za-z0-9-]{10,250}/),
  prefixed("slack-app", "Slack", "Slack app-level token", "slack-token", ["xapp-"], /xapp-[A-Za-z0-9-]{10,250}/),
  {
    id: "slack-webhook",
    provider: "Slack",
    label: "Slack incoming webhook URL",
    kind: "slack-webhook",
    anchors: ["hooks.slack.com/"],
    back: { chars: /[A-Za-z:/]/, max: 8 },
    re: /(?:https?:\/\/)?hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9]{2,40}\/[A-Za-z0-9]{2,40}\/[A-Za-z0-9]{8,64}(?:\/[A-Za-z0-9]{1,64})?/i,
    severity: "high",
    confidence: 0.85,
    left: false,
  },

  // Stripe (and the Standard Webhooks signing secret format it shares)
  prefixed(
    "stripe-live",
    "Stripe",
    "Stripe live secret key",
    "stripe-key",
    ["sk_live_", "rk_live_", "sk_prod_", "rk_prod_"],
    /[sr]k_(?:live|prod)_[A-Za-z0-9]{10,247}/,
    "high",
    { confidence: 0.95 },
  ),
  prefixed(
    "stripe-test",
    "Stripe",
    "Stripe test secret key",
    "stripe-key",
    ["sk_test_", "rk_test_"],
    /[sr]k_test_[A-Za-z0-9]{10,247}/,
    "medium",
    { confidence: 0.8 },
  ),
  prefixed(
    "webhook-signing-secret",
    "Stripe",
    "webhook signing secret",
    "webhook-secret",
    ["whsec_"],
    /whsec_[A-Za-z0-9+/=]{24,100}/,
    "high",
    { confidence: 0.85 },
  ),

  // AWS. Access key ids of users, roles and groups (AIDA, AROA…) name things, they do not grant access.
  prefixed(
    "aws-access-key-id",
    "AWS",
    "AWS access key ID",
    "aws-access-key-id",
    ["AKIA", "ASIA", "ABIA", "ACCA", "A3T"],
    /(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}/,
    "high",
    { right: /[A-Za-z0-9]/ },
  ),
  prefixed(
    "aws-unique-id",
    "AWS",
    "AWS unique identifier",
    "aws-access-key-id",
    ["AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA"],
    /(?:AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}/,
    "medium",
    { right: /[A-Za-z0-9]/, refine: () => ({ report: false }) },
  ),
  {
    id: "aws-secret-access-key",
    provider: "AWS",
    label: "AWS secret access key",
    kind: "aws-secret-access-key",
    anchors: ["secret", "aws"],
    ignoreCase: true,
    left: false,
    re: /(?:aws[_-]?secret[_-]?(?:access[_-]?)?key|secret[_-]?access[_-]?key)["'\]]{0,2}[ \t]{0,4}(?:=>|:=|=|:|,)[ \t]{0,4}["']?(?<secret>[A-Za-z0-9/+=]{40})/i,
    right: /[A-Za-z0-9/+=]/,
    severity: "critical",
    confidence: 0.95,
  },

  // Google Cloud
  prefixed("google-api-key", "Google", "Google API key", "google-api-key", ["AIza"], /AIza[\w-]{35}/, "high", {
    confidence: 0.85,
    refine: refineGoogleKey,
  }),
  prefixed("google-oauth-client-secret", "Google", "Google OAuth client secret", "google-oauth-secret", ["GOCSPX-"], /GOCSPX-[\w-]{28}/),
  prefixed(
    "google-oauth-access-token",
    "Google",
    "Google OAuth access token",
    "google-oauth-token",
    ["ya29."],
    /ya29\.[\w-]{30,2000}/,
    "medium",
    { confidence: 0.75 },
  ),
  prefixed(
    "google-oauth-refresh-token",
    "Google",
    "Google OAuth refresh token",
    "google-oauth-token",
    ["1//0"],
    /1\/\/0[\w-]{40,400}/,
    "high",
    { confidence: 0.75 },
  ),

  // Azure
  {
    id: "azure-storage-account-key",
    provider: "Azure",
    label: "Azure storage account key",
    kind: "azure-storage-key",
    anchors: ["AccountKey="],
    re: /AccountKey=(?<secret>[A-Za-z0-9+/]{86}==)/,
    severity: "critical",
    confidence: 0.95,
    left: false,
    right: /[A-Za-z0-9+/=]/,
  },
  {
    id: "azure-shared-access-key",
    provider: "Azure",
    label: "Azure shared access key",
    kind: "azure-key",
    anchors: ["SharedAccessKey=", "SharedAccessSignature="],
    re: /SharedAccess(?:Key|Signature)=(?<secret>[A-Za-z0-9+/%]{40,200}={0,2})/,
    severity: "high",
    left: false,
    right: /[A-Za-z0-9+/=]/,
  },
  {
    id: "azure-ad-client-secret",
    provider: "Azure",
    label: "Azure AD client secret",
    kind: "azure-key",
    anchors: ["Q~"],
    back: { chars: /[\w~.]/, max: 4 },
    re: /[\w~.]{3}\dQ~[\w~.-]{31,34}/,
    severity: "high",
    right: /[\w~.-]/,
  },
  {
    // A shared access signature in a URL: `…?sv=2022-11-02&…&sig=<base64>`.
    id: "azure-sas",
    provider: "Azure",
    label: "Azure shared access signature",
    kind: "azure-key",
    anchors: ["sig="],
    re: /sig=(?<secret>[A-Za-z0-9%+/]{40,120}={0,2})/,
    context: /[?&]sv=\d{4}-\d\d-\d\d/,
    severity: "high",
    confidence: 0.85,
    left: false,
    right: /[A-Za-z0-9%+/=]/,
  },

  // Other clouds and platforms
  prefixed(
    "alibaba-access-key-id",
    "Alibaba Cloud",
    "Alibaba Cloud AccessKey ID",
    "alibaba-key",
    ["LTAI"],
    /LTAI[A-Za-z0-9]{12,20}/,
    "high",
    { confidence: 0.8 },
  ),
  prefixed(
    "digitalocean-pat",
    "DigitalOcean",
    "DigitalOcean personal access token",
    "digitalocean-token",
    ["dop_v1_"],
    /dop_v1_[a-f0-9]{64}/,
  ),
  prefixed(
    "digitalocean-oauth",
    "DigitalOcean",
    "DigitalOcean OAuth token",
    "digitalocean-token",
    ["doo_v1_", "dor_v1_"],
    /do[or]_v1_[a-f0-9]{64}/,
  ),
  prefixed("heroku-api-key", "Heroku", "Heroku API key", "heroku-key", ["HRKU-"], /HRKU-[\w-]{58,60}/),
  {
    id: "heroku-api-key-legacy",
    provider: "Heroku",
    label: "Heroku API key",
    kind: "heroku-key",
    anchors: ["heroku"],
    ignoreCase: true,
    left: false,
    re: named(String.raw`heroku[\w.-]{0,30}?(?:key|token|secret|auth)`, UUID),
    severity: "high",
    confidence: 0.8,
  },
  prefixed(
    "flyio-token",
    "Fly.io",
    "Fly.io access token",
    "flyio-token",
    ["fo1_", "fm1a_", "fm1r_", "fm2_"],
    /(?:fo1_[\w-]{43}|fm[12][ar]?_[A-Za-z0-9+/]{100,2000}={0,3})/,
  ),
  prefixed(
    "vercel-token",
    "Vercel",
    "Vercel access token",
    "vercel-token",
    ["vcp_", "vci_", "vca_", "vcr_", "vck_"],
    /vc[piark]_[A-Za-z0-9]{20,60}/,
  ),
  prefixed(
    "cloudflare-token",
    "Cloudflare",
    "Cloudflare API token",
    "cloudflare-token",
    ["cfk_", "cfut_", "cfat_"],
    /(?:cfk|cfut|cfat)_[A-Za-z0-9]{40,60}/,
  ),
  prefixed(
    "cloudflare-origin-ca-key",
    "Cloudflare",
    "Cloudflare Origin CA key",
    "cloudflare-token",
    ["v1.0-"],
    /v1\.0-[a-f0-9]{24}-[a-f0-9]{146}/,
  ),
  {
    id: "cloudflare-api-key",
    provider: "Cloudflare",
    label: "Cloudflare API key",
    kind: "cloudflare-token",
    anchors: ["cloudflare", "cf_api"],
    ignoreCase: true,
    left: false,
    re: named(String.raw`(?:cloudflare|cf_api)[\w.-]{0,30}?(?:key|token)`, "[a-f0-9]{37}|[\\w-]{40}"),
    severity: "high",
    confidence: 0.8,
  },
  prefixed(
    "tailscale-key",
    "Tailscale",
    "Tailscale key",
    "tailscale-key",
    ["tskey-"],
    /tskey-[a-z]{2,20}-[0-9A-Za-z_]{8,40}-[0-9A-Za-z_]{16,60}/,
  ),
  prefixed(
    "terraform-cloud-token",
    "Terraform Cloud",
    "Terraform Cloud API token",
    "terraform-token",
    [".atlasv1."],
    /[A-Za-z0-9]{14}\.atlasv1\.[\w=-]{60,70}/,
    "high",
    { back: { chars: /[A-Za-z0-9]/, max: 14 } },
  ),
  prefixed("vault-token", "HashiCorp Vault", "HashiCorp Vault token", "vault-token", ["hvs.", "hvb.", "hvr."], /hv[sbr]\.[\w-]{90,300}/),
  prefixed(
    "doppler-token",
    "Doppler",
    "Doppler token",
    "doppler-token",
    ["dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."],
    /dp\.(?:pt|st|sa|ct|scim|audit)\.(?:[a-z0-9_-]{2,35}\.)?[A-Za-z0-9]{40,44}/,
  ),
  prefixed("pulumi-token", "Pulumi", "Pulumi access token", "pulumi-token", ["pul-"], /pul-[a-f0-9]{40}/),
  prefixed(
    "onepassword-service-account",
    "1Password",
    "1Password service account token",
    "onepassword-token",
    ["ops_ey"],
    /ops_ey[A-Za-z0-9+/=]{100,2000}/,
  ),
  prefixed(
    "onepassword-secret-key",
    "1Password",
    "1Password secret key",
    "onepassword-token",
    ["A3-"],
    /A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}/,
  ),
  prefixed("openshift-token", "OpenShift", "OpenShift user token", "openshift-token", ["sha256~"], /sha256~[\w-]{43}/),
  prefixed("scalingo-token", "Scalingo", "Scalingo API token", "scalingo-token", ["tk-us-"], /tk-us-[\w-]{48}/),
  prefixed(
    "planetscale-token",
    "PlanetScale",
    "PlanetScale token",
    "planetscale-token",
    ["pscale_tkn_", "pscale_oauth_"],
    /pscale_(?:tkn|oauth)_[\w=.-]{32,64}/,
  ),
  prefixed(
    "planetscale-password",
    "PlanetScale",
    "PlanetScale database password",
    "planetscale-token",
    ["pscale_pw_"],
    /pscale_pw_[\w=.-]{32,64}/,
  ),
  prefixed("supabase-access-token", "Supabase", "Supabase access token", "supabase-key", ["sbp_"], /sbp_[a-f0-9]{40}/),
  prefixed("supabase-secret-key", "Supabase", "Supabase secret key", "supabase-key", ["sb_secret_"], /sb_secret_[\w-]{28,64}/),
  prefixed("databricks-token", "Databricks", "Databricks access token", "databricks-token", ["dapi"], /dapi[a-f0-9]{32}(?:-\d)?/),
  prefixed(
    "docker-token",
    "Docker",
    "Docker Hub access token",
    "docker-token",
    ["dckr_pat_", "dckr_oat_"],
    /dckr_(?:pat|oat)_[\w-]{27,100}/,
  ),
  prefixed("grafana-cloud", "Grafana", "Grafana Cloud API token", "grafana-token", ["glc_"], /glc_[A-Za-z0-9+/]{32,400}={0,2}/, "high", {
    right: /[A-Za-z0-9+/=]/,
  }),
  prefixed(
    "grafana-service-account",
    "Grafana",
    "Grafana service account token",
    "grafana-token",
    ["glsa_"],
    /glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}/,
  ),
  prefixed("grafana-api-key", "Grafana", "Grafana API key", "grafana-token", ["eyJrIjoi"], /eyJrIjoi[A-Za-z0-9]{70,400}={0,2}/, "high", {
    right: /[A-Za-z0-9=]/,
  }),
  prefixed(
    "dynatrace-token",
    "Dynatrace",
    "Dynatrace API token",
    "dynatrace-token",
    ["dt0c01."],
    /dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}/,
  ),
  prefixed("new-relic-user-key", "New Relic", "New Relic user API key", "newrelic-key", ["NRAK-"], /NRAK-[A-Z0-9]{27}/),
  prefixed("new-relic-insert-key", "New Relic", "New Relic insert key", "newrelic-key", ["NRII-"], /NRII-[\w-]{32}/),
  prefixed("new-relic-license-key", "New Relic", "New Relic license key", "newrelic-key", ["NRAL"], /[a-f0-9]{36}NRAL/, "high", {
    back: { chars: /[a-f0-9]/, max: 36 },
  }),
  prefixed(
    "sentry-org-token",
    "Sentry",
    "Sentry organization token",
    "sentry-token",
    ["sntrys_eyJ"],
    /sntrys_eyJ[A-Za-z0-9+/=_-]{60,600}/,
    "high",
    { right: /[A-Za-z0-9+/=_-]/ },
  ),
  prefixed("sentry-user-token", "Sentry", "Sentry user token", "sentry-token", ["sntryu_"], /sntryu_[a-f0-9]{64}/),
  {
    id: "datadog-key",
    provider: "Datadog",
    label: "Datadog API or application key",
    kind: "datadog-key",
    anchors: ["datadog", "dd_api", "dd_app", "dd-api", "dd-app", "ddapikey", "ddappkey", "ddapplicationkey"],
    ignoreCase: true,
    left: false,
    re: named(String.raw`(?:datadog[\w.-]{0,30}?(?:key|token|secret)|dd[_-]?(?:api|app|application)[_-]?key)`, `${HEX}{40}|${HEX}{32}`),
    severity: "high",
    confidence: 0.8,
  },
  prefixed("prefect-token", "Prefect", "Prefect API key", "prefect-token", ["pnu_"], /pnu_[A-Za-z0-9]{36}/),
  prefixed(
    "harness-token",
    "Harness",
    "Harness access token",
    "harness-token",
    ["pat.", "sat."],
    /[ps]at\.[\w-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}/,
  ),
  prefixed("octopus-deploy-key", "Octopus Deploy", "Octopus Deploy API key", "octopus-key", ["API-"], /API-[A-Z0-9]{26}/, "high", {
    confidence: 0.75,
  }),
  prefixed("infracost-token", "Infracost", "Infracost API token", "infracost-token", ["ico-"], /ico-[A-Za-z0-9]{32}/),
  prefixed("sonarqube-token", "SonarQube", "SonarQube token", "sonar-token", ["sqp_", "squ_", "sqa_"], /sq[pua]_[a-f0-9]{40}/),
  prefixed("buildkite-token", "Buildkite", "Buildkite API token", "buildkite-token", ["bkua_"], /bkua_[a-f0-9]{40}/),
  prefixed("jfrog-api-key", "JFrog", "Artifactory API key", "jfrog-token", ["AKCp"], /AKCp[A-Za-z0-9]{69}/),
  prefixed("jfrog-reference-token", "JFrog", "Artifactory reference token", "jfrog-token", ["cmVmd"], /cmVmd[A-Za-z0-9]{59}/, "high", {
    minEntropy: 4.2,
  }),

  // Developer tools and package registries
  prefixed("npm-token", "npm", "npm access token", "npm-token", ["npm_"], /npm_[A-Za-z0-9]{36}/, "high", { refine: crcRefinement(4) }),
  {
    // .npmrc: `//registry/:_authToken=…` and `_auth=…` (legacy UUID tokens, base64 user:password).
    id: "npmrc-auth",
    provider: "npm",
    label: "npm auth token",
    kind: "npm-token",
    anchors: ["_authToken", "_auth"],
    re: /_auth(?:Token)?[ \t]{0,4}=[ \t]{0,4}["']?(?<secret>[^\s"'$]{8,512})/,
    severity: "high",
    right: false,
  },
  prefixed("pypi-token", "PyPI", "PyPI upload token", "pypi-token", ["pypi-AgE"], /pypi-AgE[\w-]{50,2000}/),
  prefixed("rubygems-token", "RubyGems", "RubyGems API key", "rubygems-token", ["rubygems_"], /rubygems_[a-f0-9]{48}/),
  prefixed("clojars-token", "Clojars", "Clojars deploy token", "clojars-token", ["CLOJARS_"], /CLOJARS_[a-z0-9]{60}/i),
  prefixed("postman-key", "Postman", "Postman API key", "postman-key", ["PMAK-"], /PMAK-[a-f0-9]{24}-[a-f0-9]{34}/i),
  prefixed("readme-key", "ReadMe", "ReadMe API key", "readme-key", ["rdme_"], /rdme_[a-z0-9]{70}/),
  prefixed("linear-key", "Linear", "Linear API key", "linear-key", ["lin_api_"], /lin_api_[A-Za-z0-9]{32,128}/),
  prefixed("linear-oauth", "Linear", "Linear OAuth token", "linear-key", ["lin_oauth_"], /lin_oauth_[a-f0-9]{64}/),
  prefixed("notion-token", "Notion", "Notion integration token", "notion-token", ["ntn_"], /ntn_[0-9]{11}[A-Za-z0-9]{35}/),
  prefixed("notion-token-legacy", "Notion", "Notion integration token", "notion-token", ["secret_"], /secret_[A-Za-z0-9]{43}/, "high", {
    context: /notion/i,
  }),
  prefixed("figma-token", "Figma", "Figma access token", "figma-token", ["figd_"], /figd_[\w-]{40,200}/),
  prefixed("contentful-token", "Contentful", "Contentful personal access token", "contentful-token", ["CFPAT-"], /CFPAT-[\w-]{43}/),
  prefixed("typeform-token", "Typeform", "Typeform API token", "typeform-token", ["tfp_"], /tfp_[\w.=-]{59}/),
  prefixed("frameio-token", "Frame.io", "Frame.io API token", "frameio-token", ["fio-u-"], /fio-u-[\w=-]{64}/),
  prefixed("adobe-client-secret", "Adobe", "Adobe client secret", "adobe-key", ["p8e-"], /p8e-[A-Za-z0-9]{32}/),
  prefixed("atlassian-api-token", "Atlassian", "Atlassian API token", "atlassian-token", ["ATATT3"], /ATATT3[\w=-]{150,250}/),
  prefixed("bitbucket-app-password", "Bitbucket", "Bitbucket app password", "atlassian-token", ["ATBB"], /ATBB[A-Za-z0-9]{32}/),
  {
    id: "atlassian-api-token-legacy",
    provider: "Atlassian",
    label: "Atlassian API token",
    kind: "atlassian-token",
    anchors: ["atlassian", "confluence", "jira"],
    ignoreCase: true,
    left: false,
    re: named(String.raw`(?:atlassian|confluence|jira)[\w.-]{0,30}?(?:key|token|secret|pass)`, "[a-z0-9]{24}"),
    severity: "high",
    confidence: 0.75,
  },
  {
    id: "okta-token",
    provider: "Okta",
    label: "Okta API token",
    kind: "okta-token",
    anchors: ["okta"],
    ignoreCase: true,
    left: false,
    re: named(String.raw`okta[\w.-]{0,30}?(?:key|token|secret)`, "00[\\w-]{40}"),
    severity: "high",
    confidence: 0.8,
  },
  {
    id: "snyk-token",
    provider: "Snyk",
    label: "Snyk API token",
    kind: "snyk-token",
    anchors: ["snyk"],
    ignoreCase: true,
    left: false,
    re: named(String.raw`snyk[\w.-]{0,30}?(?:key|token)`, UUID),
    severity: "high",
    confidence: 0.8,
  },
  {
    id: "algolia-admin-key",
    provider: "Algolia",
    label: "Algolia API key",
    kind: "algolia-key",
    anchors: ["algolia"],
    ignoreCase: true,
    left: false,
    re: named(String.raw`algolia[\w.-]{0,30}?(?:admin|write)[\w.-]{0,20}?key`, `${HEX}{32}`),
    severity: "high",
    confidence: 0.75,
  },

  // AI providers
  prefixed("anthropic-key", "Anthropic", "Anthropic API key", "anthropic-key", ["sk-ant-"], /sk-ant-[\w-]{20,200}/),
  prefixed(
    "openai-key",
    "OpenAI",
    "OpenAI API key",
    "openai-key",
    ["sk-proj-", "sk-svcacct-", "sk-admin-", "sk-None-"],
    /sk-(?:proj|svcacct|admin|None)-[\w-]{20,300}/,
    "high",
    {
      refine: (v) => (v.includes("T3BlbkFJ") ? { confidence: 0.97 } : undefined),
    },
  ),
  prefixed("openai-key-legacy", "OpenAI", "OpenAI API key", "openai-key", ["sk-"], /sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}/, "high", {
    confidence: 0.97,
  }),
  // Many AI and API vendors hand out `sk-` followed by 32+ random characters: a secret key, vendor unknown.
  prefixed("sk-secret-key", "various", "secret API key (sk-…)", "api-key", ["sk-"], /sk-[A-Za-z0-9]{32,100}/, "medium", {
    confidence: 0.6,
    minEntropy: 3.5,
  }),
  prefixed("groq-key", "Groq", "Groq API key", "groq-key", ["gsk_"], /gsk_[A-Za-z0-9]{52}/),
  prefixed("xai-key", "xAI", "xAI API key", "xai-key", ["xai-"], /xai-[A-Za-z0-9]{80}/),
  prefixed("perplexity-key", "Perplexity", "Perplexity API key", "perplexity-key", ["pplx-"], /pplx-[A-Za-z0-9]{48}/),
  prefixed("replicate-token", "Replicate", "Replicate API token", "replicate-token", ["r8_"], /r8_[A-Za-z0-9]{37}/),
  prefixed("huggingface-token", "Hugging Face", "Hugging Face access token", "huggingface-token", ["hf_"], /hf_[A-Za-z0-9]{30,64}/),
  prefixed(
    "huggingface-org-token",
    "Hugging Face",
    "Hugging Face organization token",
    "huggingface-token",
    ["api_org_"],
    /api_org_[A-Za-z]{34}/,
  ),

  // Messaging and email
  prefixed("sendgrid-key", "SendGrid", "SendGrid API key", "sendgrid-key", ["SG."], /SG\.[\w-]{16,32}\.[\w-]{16,64}/),
  prefixed(
    "brevo-key",
    "Brevo",
    "Brevo (Sendinblue) API key",
    "brevo-key",
    ["xkeysib-", "xsmtpsib-"],
    /x(?:keysib|smtpsib)-[a-f0-9]{64}-[A-Za-z0-9]{16}/,
  ),
  prefixed("mailchimp-key", "Mailchimp", "Mailchimp API key", "mailchimp-key", ["-us"], /[a-f0-9]{32}-us\d{1,2}/, "high", {
    back: { chars: /[a-f0-9]/, max: 32 },
  }),
  prefixed("mailgun-key", "Mailgun", "Mailgun API key", "mailgun-key", ["key-"], /key-[a-f0-9]{32}/, "high", {
    context: /mailgun|\bmg[_-]/i,
  }),
  {
    id: "mailgun-key-new",
    provider: "Mailgun",
    label: "Mailgun API key",
    kind: "mailgun-key",
    anchors: ["mailgun"],
    ignoreCase: true,
    left: false,
    re: named(String.raw`mailgun[\w.-]{0,30}?(?:key|token|secret)`, `${HEX}{32}-${HEX}{8}-${HEX}{8}`),
    severity: "high",
    confidence: 0.85,
  },
  prefixed("twilio-api-key", "Twilio", "Twilio API key SID", "twilio-key", ["SK"], /SK[0-9a-fA-F]{32}/, "medium", { confidence: 0.7 }),
  {
    id: "twilio-auth-token",
    provider: "Twilio",
    label: "Twilio auth token",
    kind: "twilio-key",
    anchors: ["twilio"],
    ignoreCase: true,
    left: false,
    re: named(String.raw`twilio[\w.-]{0,30}?(?:auth[_-]?token|secret)`, `${HEX}{32}`),
    severity: "high",
    confidence: 0.8,
  },
  {
    id: "telegram-bot-token",
    provider: "Telegram",
    label: "Telegram bot token",
    kind: "telegram-token",
    anchors: [":AA"],
    back: { chars: /\d/, max: 16 },
    re: /\d{5,16}:AA[\w-]{33}/,
    severity: "high",
  },
  {
    id: "discord-webhook",
    provider: "Discord",
    label: "Discord webhook URL",
    kind: "discord-webhook",
    anchors: ["discord.com/api/webhooks/", "discordapp.com/api/webhooks/"],
    back: { chars: /[A-Za-z:/.]/, max: 12 },
    re: /(?:https?:\/\/)?(?:[a-z]{1,10}\.)?discord(?:app)?\.com\/api\/webhooks\/\d{17,20}\/[\w-]{60,80}/,
    severity: "high",
    left: false,
  },
  {
    id: "teams-webhook",
    provider: "Microsoft Teams",
    label: "Microsoft Teams webhook URL",
    kind: "teams-webhook",
    anchors: [".webhook.office.com/webhookb2/"],
    back: { chars: /[A-Za-z0-9:/.-]/, max: 60 },
    re: /https:\/\/[a-z0-9-]{1,40}\.webhook\.office\.com\/webhookb2\/[a-z0-9-]{36}@[a-z0-9-]{36}\/IncomingWebhook\/[a-z0-9]{32}\/[a-z0-9-]{36}(?:\/[\w-]{1,100})?/i,
    severity: "high",
    left: false,
  },

  // Payments and commerce
  prefixed(
    "shopify-token",
    "Shopify",
    "Shopify access token",
    "shopify-token",
    ["shpat_", "shpca_", "shppa_", "shpss_"],
    /shp(?:at|ca|pa|ss)_[A-Za-z0-9]{32,64}/,
  ),
  prefixed(
    "square-token",
    "Square",
    "Square access token",
    "square-token",
    ["sq0atp-", "EAAA"],
    /(?:sq0atp-[\w-]{22}|EAAA[\w-]{60})/,
    "high",
    { minEntropy: 3.5 },
  ),
  prefixed("square-oauth-secret", "Square", "Square OAuth secret", "square-token", ["sq0csp-"], /sq0csp-[\w-]{43}/),
  prefixed(
    "braintree-token",
    "PayPal Braintree",
    "Braintree access token",
    "braintree-token",
    ["access_token$"],
    /access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}/,
    "high",
    {
      refine: (v) => (v.includes("$sandbox$") ? { severity: "medium", label: "Braintree sandbox access token" } : undefined),
    },
  ),
  prefixed(
    "shippo-token",
    "Shippo",
    "Shippo API token",
    "shippo-token",
    ["shippo_live_", "shippo_test_"],
    /shippo_(?:live|test)_[a-fA-F0-9]{40}/,
  ),
  prefixed("easypost-key", "EasyPost", "EasyPost API key", "easypost-key", ["EZAK", "EZTK"], /EZ[AT]K[A-Za-z0-9]{54}/),
  prefixed(
    "duffel-token",
    "Duffel",
    "Duffel API token",
    "duffel-token",
    ["duffel_live_", "duffel_test_"],
    /duffel_(?:live|test)_[\w=-]{43}/,
  ),
  prefixed(
    "flutterwave-key",
    "Flutterwave",
    "Flutterwave secret key",
    "flutterwave-key",
    ["FLWSECK-", "FLWSECK_TEST-"],
    /FLWSECK(?:_TEST)?-[a-h0-9]{32}-X/i,
  ),
  prefixed("maxmind-license-key", "MaxMind", "MaxMind license key", "maxmind-key", ["_mmk"], /[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk/, "high", {
    back: { chars: /[A-Za-z0-9_]/, max: 36 },
  }),

  // Social and storage
  prefixed("facebook-access-token", "Facebook", "Facebook access token", "facebook-token", ["EAAM", "EAAC"], /EAA[MC][A-Za-z0-9]{100,400}/),
  prefixed("mapbox-secret-token", "Mapbox", "Mapbox secret token", "mapbox-token", ["sk.eyJ"], /sk\.eyJ[\w-]{20,300}\.[\w-]{20,100}/),
  prefixed("dropbox-short-lived", "Dropbox", "Dropbox access token", "dropbox-token", ["sl."], /sl\.(?:u\.)?[\w-]{130,1500}/, "medium", {
    minEntropy: 4,
  }),
  {
    id: "dropbox-long-lived",
    provider: "Dropbox",
    label: "Dropbox long-lived access token",
    kind: "dropbox-token",
    anchors: ["AAAAAAAAAA"],
    back: { chars: /[a-z0-9]/, max: 11 },
    re: /[a-z0-9]{11}AAAAAAAAAA[\w-]{43}/i,
    context: /dropbox/i,
    runsAllowed: true,
    severity: "high",
  },
  {
    id: "twitter-bearer-token",
    provider: "X (Twitter)",
    label: "X (Twitter) bearer token",
    kind: "twitter-token",
    anchors: ["AAAAAAAAAAAAAAAAAAAAA"],
    re: /A{22}[A-Za-z0-9%]{80,100}/,
    context: /twitter|bearer|\bx_/i,
    runsAllowed: true,
    severity: "high",
    right: /[A-Za-z0-9%]/,
  },
  {
    // The token alone has no fixed prefix: the id part, base64 of the bot's numeric id, is the check.
    id: "discord-bot-token",
    provider: "Discord",
    label: "Discord bot token",
    kind: "discord-token",
    anchors: ["discord"],
    ignoreCase: true,
    left: false,
    re: named(String.raw`discord[\w.-]{0,30}?(?:token|secret)`, "[MNO][\\w-]{23,27}\\.[\\w-]{6}\\.[\\w-]{27,38}"),
    severity: "high",
    refine: refineDiscord,
  },
  {
    // discord.js: `client.login("<token>")`.
    id: "discord-bot-token-login",
    provider: "Discord",
    label: "Discord bot token",
    kind: "discord-token",
    anchors: [".login("],
    left: false,
    re: /\.login\([ \t]{0,4}["'`](?<secret>[MNO][\w-]{23,27}\.[\w-]{6}\.[\w-]{27,38})["'`]/,
    severity: "high",
    right: false,
    refine: refineDiscord,
  },

  // Keys and signed tokens
  prefixed(
    "age-secret-key",
    "age",
    "age secret key",
    "private-key",
    ["AGE-SECRET-KEY-1"],
    /AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}/,
    "critical",
    { confidence: 0.95 },
  ),
  prefixed("jwt", "JSON Web Token", "JSON Web Token", "jwt", ["eyJ"], /eyJ[\w-]{10,4000}\.eyJ[\w-]{10,8000}\.[\w-]{10,2000}/, "medium", {
    confidence: 0.6,
    refine: refineJwt,
  }),

  {
    // `scheme://user:password@host`, anywhere: the password is the secret.
    id: "url-credentials",
    provider: "URL",
    label: "password in a URL",
    kind: "url-credentials",
    anchors: ["://"],
    back: { chars: /[A-Za-z0-9+.-]/, max: 20 },
    re: /[A-Za-z][A-Za-z0-9+.-]{1,20}:\/\/(?<user>[^\s:/?#@'"`]{1,256}):(?<secret>[^\s/?#@'"`]{1,256})@(?<host>[^\s/:'"`?#]{1,256})/,
    severity: "medium",
    confidence: 0.75,
    right: false,
    minEntropy: 0,
    refine: refineUrl,
  },
];

/** Providers in the table, for documentation and tests. */
export function providers(): string[] {
  return [...new Set(TOKEN_FORMATS.map((f) => f.provider))].filter((p) => p !== "various" && p !== "URL").sort();
}

/** What may not follow a token unless a format says otherwise: it would be longer than the format allows. */
export const DEFAULT_RIGHT = /[A-Za-z0-9_-]/;
