/**
 * Realistic but fake secrets for the secrets tests. They are assembled at run time (prefix +
 * seeded pseudo-random body; keys generated with node:crypto) so that no secret scanner flags
 * this repository and no value here was ever a real credential.
 */
import { generateKeyPairSync } from "node:crypto";
import { base62, crc32 } from "../../src/analysis/secretFormats.js";

export const j = (...parts: string[]) => parts.join("");

/** mulberry32: deterministic, so a failing test fails the same way every time. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const ALNUM = UPPER + LOWER + DIGITS;

export function randomString(length: number, seed: number, alphabet = ALNUM): string {
  const next = prng(seed);
  let s = "";
  for (let i = 0; i < length; i++) s += alphabet[Math.floor(next() * alphabet.length)];
  return s;
}

const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey;
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
const rsaPem = rsa.export({ type: "pkcs1", format: "pem" }).toString().trim();
const ecPem = ec.export({ type: "sec1", format: "pem" }).toString().trim();
const pkcs8Pem = rsa.export({ type: "pkcs8", format: "pem" }).toString().trim();
const ed25519Pem = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString().trim();

/** A 1Password service account token body: base64 of a JSON object, sized so it ends in "fQ==". */
function onePasswordBody(): string {
  let pad = "";
  let json = "";
  do {
    json = JSON.stringify({
      signInAddress: "acme.1password.com",
      email: `${randomString(10, 68).toLowerCase()}@1passwordserviceaccounts.com`,
      srpX: randomString(64, 69),
      pad,
    });
    pad += "x";
  } while (json.length % 3 !== 1);
  return Buffer.from(json).toString("base64");
}

export const FAKE = {
  awsId: j("AKIA", randomString(16, 1, UPPER + DIGITS)),
  awsSecret: j(randomString(20, 2), "+", randomString(9, 3), "/", randomString(9, 4)),
  github: j("ghp_", randomString(36, 5)),
  /** Fine-grained personal access token: github_pat_ + 82 characters. */
  githubPat: j("github_pat_", randomString(22, 6), "_", randomString(59, 7)),
  /** GitHub App installation token (ghs_) and user-to-server token (ghu_). */
  githubApp: j("ghs_", randomString(36, 50)),
  githubUser: j("ghu_", randomString(36, 51)),
  /** The app installation token format announced for 2026: ghs_<app id>_<JWT>. */
  githubAppJwt: j("ghs_", "123456", "_", "eyJhbGciOiJSUzI1NiJ9", ".", "eyJ", randomString(60, 53), ".", randomString(86, 54)),
  /** The other formats secretlint's recommended preset reports. */
  shopify: j("shpat_", randomString(32, 60)),
  grafanaCloud: j("glc_", randomString(48, 61)),
  grafanaServiceAccount: j("glsa_", randomString(32, 62), "_", randomString(8, 63, "0123456789abcdef")),
  groq: j("gsk_", randomString(52, 64)),
  linear: j("lin_api_", randomString(40, 65)),
  notion: j("ntn_", randomString(11, 66, DIGITS), randomString(35, 67)),
  onePassword: j("ops_", onePasswordBody()),
  vault: j("hvs.", randomString(95, 69)),
  vercel: j("vcp_", randomString(40, 70)),
  databricks: j("dapi", randomString(32, 71, "0123456789abcdef")),
  docker: j("dckr_pat_", randomString(27, 72)),
  figma: j("figd_", randomString(45, 73)),
  cloudflare: j("cfut_", randomString(40, 74), randomString(8, 75, "0123456789abcdef")),
  tailscale: j("tskey-", "auth-", randomString(12, 76), "-", randomString(30, 77)),
  githubOauthUrl: j("https://", randomString(40, 78, "0123456789abcdef"), ":x-oauth-basic@github.com/acme/lib.git"),
  /** A password only the generic check finds (no vendor shape). */
  password: j("Zr8", randomString(13, 55), "w2"),
  gitlab: j("glpat-", randomString(20, 8)),
  slack: j("xoxb-", randomString(10, 9, DIGITS), "-", randomString(12, 10, DIGITS), "-", randomString(24, 11)),
  slackWebhook: j(
    "https://hooks.slack.com/services/",
    "T",
    randomString(8, 12, UPPER + DIGITS),
    "/B",
    randomString(10, 13, UPPER + DIGITS),
    "/",
    randomString(24, 14),
  ),
  stripe: j("sk_live_", "51", randomString(30, 15)),
  stripeTest: j("sk_test_", "51", randomString(30, 16)),
  google: j("AIza", "Sy", randomString(33, 17)),
  npm: j("npm_", randomString(36, 18)),
  /** The pre-2021 npm token format: a UUID. */
  npmLegacy: [
    randomString(8, 19, "0123456789abcdef"),
    randomString(4, 20, "0123456789abcdef"),
    "4f1a",
    "9c3e",
    randomString(12, 21, "0123456789abcdef"),
  ].join("-"),
  /** SendGrid keys are 69 characters: SG. + 22 + . + 43. */
  sendgrid: j("SG.", randomString(22, 22), ".", randomString(43, 23)),
  openai: j("sk-", randomString(20, 24), "T3BlbkFJ", randomString(20, 25)),
  anthropic: j("sk-ant-api03-", randomString(93, 26), "AA"),
  huggingface: j("hf_", randomString(34, 40)),
  pypi: j("pypi-AgEIcHlwaS5vcmc", randomString(60, 41)),
  twilio: j("SK", randomString(32, 42, "0123456789abcdef")),
  azureStorage: j(randomString(86, 43, ALNUM + "+/"), "=="),
  jwt: j("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0", ".", randomString(43, 27)),
  /** A truncated block (the redactor must hide it; secretlint wants a plausible body). */
  pemShort: j("-----BEGIN RSA ", "PRIVATE KEY-----\nMIIEowIBAAKCAQEA1c7+9z5Pad\nq8rT\n-----END RSA ", "PRIVATE KEY-----"),
  rsaPem,
  ecPem,
  pkcs8Pem,
  ed25519Pem,
  /** A password inside a URL (database, registry, git remote). */
  urlPassword: j("Pq7", randomString(17, 52), "x9"),
  gcpServiceAccount: {
    type: "service_account",
    project_id: "acme-prod-4821",
    private_key_id: randomString(40, 28, "0123456789abcdef"),
    private_key: `${pkcs8Pem}\n`,
    client_email: "deployer@acme-prod-4821.iam.gserviceaccount.com",
    client_id: randomString(21, 29, DIGITS),
    token_uri: "https://oauth2.googleapis.com/token",
  },
};

const HEX = "0123456789abcdef";
const UPPER_DIGITS = UPPER + DIGITS;
const LOWER_DIGITS = LOWER + DIGITS;
const URLSAFE = ALNUM + "_-";
const uuid = (seed: number) => [8, 4, 4, 4, 12].map((n, i) => randomString(n, seed + i, HEX)).join("-");
const jwtPart = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");

/** A GitHub-style token whose last 6 characters are the CRC32 check digit of the 30 before them. */
export function checkedToken(prefix: string, seed: number): string {
  const body = randomString(30, seed);
  return prefix + body + base62(crc32(body), 6);
}

/**
 * One fake per format of the table (src/analysis/secretFormats.ts), by format id: `text` as it
 * would be committed, `value` the part that must never be shown. A test checks that every
 * format has one, that the detector reports it under the format's label and that the redactor
 * hides it.
 */
export const FORMAT_SAMPLES: Record<string, { text: string; value: string }> = Object.fromEntries(
  (
    [
      ["github-app-installation-jwt", FAKE.githubAppJwt],
      ["github-pat", FAKE.github],
      ["github-oauth", j("gho_", randomString(36, 101))],
      ["github-user-to-server", FAKE.githubUser],
      ["github-installation", FAKE.githubApp],
      ["github-refresh", j("ghr_", randomString(36, 102))],
      ["github-fine-grained-pat", FAKE.githubPat],
      ["github-oauth-basic-url", FAKE.githubOauthUrl.slice(8, 48), `git clone ${FAKE.githubOauthUrl}`],
      ["gitlab-pat", FAKE.gitlab],
      ["gitlab-pipeline-trigger", j("glptt-", randomString(40, 103, HEX))],
      ["gitlab-runner-registration", j("GR1348941", randomString(20, 104, URLSAFE))],
      ["gitlab-runner", j("glrt-", randomString(20, 105))],
      ["gitlab-ci-job", j("glcbt-", "64", "_", randomString(20, 106))],
      ["gitlab-deploy", j("gldt-", randomString(20, 107))],
      ["gitlab-feed", j("glft-", randomString(20, 108))],
      ["gitlab-incoming-mail", j("glimt-", randomString(25, 109))],
      ["gitlab-agent", j("glagent-", randomString(50, 110))],
      ["gitlab-oauth-app-secret", j("gloas-", randomString(64, 111))],
      ["gitlab-scim", j("glsoat-", randomString(20, 112))],
      ["gitlab-feature-flags", j("glffct-", randomString(20, 113))],
      ["gitlab-session", randomString(32, 114, LOWER_DIGITS), (v: string) => `Cookie: _gitlab_session=${v}`],
      ["slack-bot", FAKE.slack],
      [
        "slack-user",
        j(
          "xoxp-",
          randomString(11, 115, DIGITS),
          "-",
          randomString(12, 116, DIGITS),
          "-",
          randomString(13, 117, DIGITS),
          "-",
          randomString(32, 118, HEX),
        ),
      ],
      ["slack-config", j("xoxe.xoxp-1-", randomString(163, 119, UPPER_DIGITS))],
      ["slack-legacy", j("xoxa-2-", randomString(30, 120))],
      [
        "slack-app",
        j("xapp-1-A0", randomString(9, 121, UPPER_DIGITS), "-", randomString(13, 122, DIGITS), "-", randomString(64, 123, HEX)),
      ],
      ["slack-webhook", FAKE.slackWebhook],
      ["stripe-live", FAKE.stripe],
      ["stripe-test", FAKE.stripeTest],
      ["webhook-signing-secret", j("whsec_", randomString(32, 124))],
      ["aws-access-key-id", FAKE.awsId],
      ["aws-unique-id", j("AROA", randomString(16, 125, UPPER_DIGITS))],
      ["aws-secret-access-key", FAKE.awsSecret, (v: string) => `aws_secret_access_key = ${v}`],
      ["google-api-key", FAKE.google],
      ["google-oauth-client-secret", j("GOCSPX-", randomString(28, 126, URLSAFE))],
      ["google-oauth-access-token", j("ya29.", randomString(120, 127, URLSAFE))],
      ["google-oauth-refresh-token", j("1//0g", randomString(90, 128, URLSAFE))],
      [
        "azure-storage-account-key",
        FAKE.azureStorage,
        (v: string) => `DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=${v};EndpointSuffix=core.windows.net`,
      ],
      [
        "azure-shared-access-key",
        j(randomString(43, 129, ALNUM + "+/"), "="),
        (v: string) => `Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=${v}`,
      ],
      ["azure-ad-client-secret", j(randomString(3, 130), "8Q~", randomString(34, 131, URLSAFE + "~."))],
      [
        "azure-sas",
        j(randomString(43, 132), "%3D"),
        (v: string) => `https://acme.blob.core.windows.net/c?sv=2022-11-02&ss=b&sp=rl&se=2030-01-01T00:00:00Z&spr=https&sig=${v}`,
      ],
      ["alibaba-access-key-id", j("LTAI", randomString(20, 133))],
      ["digitalocean-pat", j("dop_v1_", randomString(64, 134, HEX))],
      ["digitalocean-oauth", j("doo_v1_", randomString(64, 135, HEX))],
      ["heroku-api-key", j("HRKU-AA", randomString(58, 136, URLSAFE))],
      ["heroku-api-key-legacy", uuid(137), (v: string) => `HEROKU_API_KEY=${v}`],
      ["flyio-token", j("fo1_", randomString(43, 140, URLSAFE))],
      ["vercel-token", FAKE.vercel],
      ["cloudflare-token", FAKE.cloudflare],
      ["cloudflare-origin-ca-key", j("v1.0-", randomString(24, 141, HEX), "-", randomString(146, 142, HEX))],
      ["cloudflare-api-key", randomString(37, 143, HEX), (v: string) => `CLOUDFLARE_API_KEY=${v}`],
      ["tailscale-key", FAKE.tailscale],
      ["terraform-cloud-token", j(randomString(14, 144), ".atlasv1.", randomString(67, 145, URLSAFE))],
      ["vault-token", FAKE.vault],
      ["doppler-token", j("dp.pt.", randomString(43, 146))],
      ["pulumi-token", j("pul-", randomString(40, 147, HEX))],
      ["onepassword-service-account", FAKE.onePassword],
      [
        "onepassword-secret-key",
        j(
          "A3-",
          randomString(6, 148, UPPER_DIGITS),
          "-",
          randomString(11, 149, UPPER_DIGITS),
          "-",
          randomString(5, 150, UPPER_DIGITS),
          "-",
          randomString(5, 151, UPPER_DIGITS),
          "-",
          randomString(5, 152, UPPER_DIGITS),
        ),
      ],
      ["openshift-token", j("sha256~", randomString(43, 153, URLSAFE))],
      ["scalingo-token", j("tk-us-", randomString(48, 154, URLSAFE))],
      ["planetscale-token", j("pscale_tkn_", randomString(43, 155))],
      ["planetscale-password", j("pscale_pw_", randomString(43, 156))],
      ["supabase-access-token", j("sbp_", randomString(40, 157, HEX))],
      ["supabase-secret-key", j("sb_secret_", randomString(31, 158, URLSAFE))],
      ["databricks-token", FAKE.databricks],
      ["docker-token", FAKE.docker],
      ["grafana-cloud", FAKE.grafanaCloud],
      ["grafana-service-account", FAKE.grafanaServiceAccount],
      ["grafana-api-key", j("eyJrIjoi", randomString(80, 159))],
      ["dynatrace-token", j("dt0c01.", randomString(24, 160, UPPER_DIGITS), ".", randomString(64, 161, UPPER_DIGITS))],
      ["new-relic-user-key", j("NRAK-", randomString(27, 162, UPPER_DIGITS))],
      ["new-relic-insert-key", j("NRII-", randomString(32, 163, URLSAFE))],
      ["new-relic-license-key", j(randomString(36, 164, HEX), "NRAL")],
      ["sentry-org-token", j("sntrys_eyJ", randomString(120, 165, ALNUM + "+/"), "_", randomString(43, 166))],
      ["sentry-user-token", j("sntryu_", randomString(64, 167, HEX))],
      ["datadog-key", randomString(32, 168, HEX), (v: string) => `DD_API_KEY=${v}`],
      ["prefect-token", j("pnu_", randomString(36, 169))],
      ["harness-token", j("pat.", randomString(22, 170, URLSAFE), ".", randomString(24, 171), ".", randomString(20, 172))],
      ["octopus-deploy-key", j("API-", randomString(26, 173, UPPER_DIGITS))],
      ["infracost-token", j("ico-", randomString(32, 174))],
      ["sonarqube-token", j("squ_", randomString(40, 175, HEX))],
      ["buildkite-token", j("bkua_", randomString(40, 176, HEX))],
      ["jfrog-api-key", j("AKCp", randomString(69, 177))],
      ["jfrog-reference-token", j("cmVmd", randomString(59, 178))],
      ["npm-token", FAKE.npm],
      ["npmrc-auth", FAKE.npmLegacy, (v: string) => `//registry.npmjs.org/:_authToken=${v}`],
      ["pypi-token", FAKE.pypi],
      ["rubygems-token", j("rubygems_", randomString(48, 179, HEX))],
      ["clojars-token", j("CLOJARS_", randomString(60, 180, LOWER_DIGITS))],
      ["postman-key", j("PMAK-", randomString(24, 181, HEX), "-", randomString(34, 182, HEX))],
      ["readme-key", j("rdme_", randomString(70, 183, LOWER_DIGITS))],
      ["linear-key", FAKE.linear],
      ["linear-oauth", j("lin_oauth_", randomString(64, 184, HEX))],
      ["notion-token", FAKE.notion],
      ["notion-token-legacy", j("secret_", randomString(43, 185)), (v: string) => `NOTION_TOKEN=${v}`],
      ["figma-token", FAKE.figma],
      ["contentful-token", j("CFPAT-", randomString(43, 186, URLSAFE))],
      ["typeform-token", j("tfp_", randomString(59, 187, URLSAFE))],
      ["frameio-token", j("fio-u-", randomString(64, 188, URLSAFE))],
      ["adobe-client-secret", j("p8e-", randomString(32, 189))],
      ["atlassian-api-token", j("ATATT3xFfGF0", randomString(170, 190, URLSAFE), "=", randomString(8, 191, "0123456789ABCDEF"))],
      ["bitbucket-app-password", j("ATBB", randomString(32, 192))],
      ["atlassian-api-token-legacy", randomString(24, 193, LOWER_DIGITS), (v: string) => `JIRA_API_TOKEN=${v}`],
      ["okta-token", j("00", randomString(40, 194, URLSAFE)), (v: string) => `OKTA_API_TOKEN=${v}`],
      ["snyk-token", uuid(195), (v: string) => `SNYK_TOKEN=${v}`],
      ["algolia-admin-key", randomString(32, 200, HEX), (v: string) => `ALGOLIA_ADMIN_KEY=${v}`],
      ["anthropic-key", FAKE.anthropic],
      ["openai-key", j("sk-proj-", randomString(74, 201, URLSAFE), "T3BlbkFJ", randomString(74, 202, URLSAFE))],
      ["openai-key-legacy", FAKE.openai],
      ["sk-secret-key", j("sk-", randomString(48, 203))],
      ["groq-key", FAKE.groq],
      ["xai-key", j("xai-", randomString(80, 204))],
      ["perplexity-key", j("pplx-", randomString(48, 205))],
      ["replicate-token", j("r8_", randomString(37, 206))],
      ["huggingface-token", FAKE.huggingface],
      ["huggingface-org-token", j("api_org_", randomString(34, 207, UPPER + LOWER))],
      ["sendgrid-key", FAKE.sendgrid],
      ["brevo-key", j("xkeysib-", randomString(64, 208, HEX), "-", randomString(16, 209))],
      ["mailchimp-key", j(randomString(32, 210, HEX), "-us14")],
      ["mailgun-key", j("key-", randomString(32, 211, HEX)), (v: string) => `MAILGUN_API_KEY=${v}`],
      [
        "mailgun-key-new",
        j(randomString(32, 212, HEX), "-", randomString(8, 213, HEX), "-", randomString(8, 214, HEX)),
        (v: string) => `MAILGUN_API_KEY=${v}`,
      ],
      ["twilio-api-key", FAKE.twilio],
      ["twilio-auth-token", randomString(32, 215, HEX), (v: string) => `TWILIO_AUTH_TOKEN=${v}`],
      ["telegram-bot-token", j(randomString(10, 216, DIGITS), ":AA", randomString(33, 217, URLSAFE))],
      ["discord-webhook", j("https://discord.com/api/webhooks/", randomString(18, 218, DIGITS), "/", randomString(68, 219, URLSAFE))],
      [
        "teams-webhook",
        j(
          "https://acme.webhook.office.com/webhookb2/",
          uuid(220),
          "@",
          uuid(226),
          "/IncomingWebhook/",
          randomString(32, 232, HEX),
          "/",
          uuid(233),
        ),
      ],
      ["shopify-token", FAKE.shopify],
      ["square-token", j("EAAA", randomString(60, 240, URLSAFE))],
      ["square-oauth-secret", j("sq0csp-", randomString(43, 241, URLSAFE))],
      ["braintree-token", j("access_token$production$", randomString(16, 242, LOWER_DIGITS), "$", randomString(32, 243, HEX))],
      ["shippo-token", j("shippo_live_", randomString(40, 244, HEX))],
      ["easypost-key", j("EZAK", randomString(54, 245))],
      ["duffel-token", j("duffel_live_", randomString(43, 246, URLSAFE))],
      ["flutterwave-key", j("FLWSECK-", randomString(32, 247, "abcdefgh0123456789"), "-X")],
      ["maxmind-license-key", j(randomString(6, 248), "_", randomString(29, 249), "_mmk")],
      ["facebook-access-token", j("EAAC", randomString(150, 250))],
      ["mapbox-secret-token", j("sk.eyJ", randomString(60, 251, URLSAFE), ".", randomString(22, 252, URLSAFE))],
      ["dropbox-short-lived", j("sl.", randomString(135, 253, URLSAFE))],
      [
        "dropbox-long-lived",
        j(randomString(11, 254, LOWER_DIGITS), "AAAAAAAAAA", randomString(43, 255, URLSAFE)),
        (v: string) => `DROPBOX_ACCESS_TOKEN=${v}`,
      ],
      ["twitter-bearer-token", j("A".repeat(22), randomString(90, 256)), (v: string) => `TWITTER_BEARER_TOKEN=${v}`],
      [
        "discord-bot-token",
        j(
          Buffer.from(randomString(18, 257, DIGITS)).toString("base64url"),
          ".",
          randomString(6, 258, URLSAFE),
          ".",
          randomString(38, 259, URLSAFE),
        ),
        (v: string) => `DISCORD_TOKEN=${v}`,
      ],
      [
        "discord-bot-token-login",
        j(
          Buffer.from(randomString(19, 262, DIGITS))
            .toString("base64url")
            .slice(0, 26),
          ".",
          randomString(6, 263, URLSAFE),
          ".",
          randomString(38, 264, URLSAFE),
        ),
        (v: string) => `client.login("${v}");`,
      ],
      ["age-secret-key", j("AGE-SECRET-KEY-1", randomString(58, 260, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"))],
      [
        "jwt",
        j(
          jwtPart({ alg: "HS256", typ: "JWT" }),
          ".",
          jwtPart({ sub: "svc-billing", role: "admin", iat: 1767225600 }),
          ".",
          randomString(43, 261, URLSAFE),
        ),
      ],
      ["url-credentials", FAKE.urlPassword, (v: string) => `DATABASE_URL=postgres://orders:${v}@db.internal.acme.io:5432/orders`],
    ] as [string, string, string | ((v: string) => string) | undefined][]
  ).map(([id, value, text]) => [id, { value, text: typeof text === "function" ? text(value) : (text ?? `const key = "${value}";`) }]),
);

/**
 * Every provider token above, placed the way they end up in real pull requests: Dockerfiles,
 * workflows, code, `.env`, YAML, `.npmrc` and a GCP key file. `tokens` names each value whose
 * every 8-character run must stay out of everything the app writes (for PEM keys, the body
 * lines; for URLs, the password).
 */
export function leakyPullRequest(): { files: { path: string; text: string }[]; tokens: Record<string, string> } {
  const F = FAKE;
  const url = (scheme: string, user: string, host: string, rest = "") => j(scheme, "://", user, ":", F.urlPassword, "@", host, rest);
  const sa = JSON.stringify(F.gcpServiceAccount, null, 2);
  const files = [
    {
      path: "Dockerfile",
      text: [
        "FROM node:20-slim",
        `ARG HF_TOKEN=${F.huggingface}`,
        `ENV NPM_TOKEN=${F.npm}`,
        `RUN curl -fsSL -H "Authorization: token ${F.github}" https://api.github.com/repos/acme/private/tarball | tar xz`,
        `RUN pip download --index-url ${url("https", "__token__", "pypi.acme.io", "/simple")} acme-core`,
        `RUN echo "${F.pypi}" > /root/.pypirc-token`,
        "COPY . /app",
        'CMD ["node", "/app/server.js"]',
      ].join("\n"),
    },
    {
      path: ".github/workflows/deploy.yml",
      text: [
        "name: deploy",
        "on: push",
        "jobs:",
        "  deploy:",
        "    runs-on: ubuntu-latest",
        "    env:",
        `      GITLAB_TOKEN: ${F.gitlab}`,
        `      SLACK_BOT_TOKEN: ${F.slack}`,
        `      STRIPE_SECRET_KEY: ${F.stripe}`,
        `      GH_APP_TOKEN: ${F.githubApp}`,
        `      GH_INSTALLATION_TOKEN: ${F.githubAppJwt}`,
        "    steps:",
        "      - uses: actions/checkout@v4",
        `      - run: curl -X POST -d 'text=deployed' ${F.slackWebhook}`,
        `      - run: git push https://x-access-token:${F.githubUser}@github.com/acme/site.git HEAD:main`,
      ].join("\n"),
    },
    {
      path: "src/clients.ts",
      text: [
        'import OpenAI from "openai";',
        'import Anthropic from "@anthropic-ai/sdk";',
        `const openai = new OpenAI({ apiKey: "${F.openai}" });`,
        `const claude = new Anthropic({ apiKey: "${F.anthropic}" });`,
        `export const aws = { accessKeyId: "${F.awsId}", secretAccessKey: "${F.awsSecret}" };`,
        `export const session = "${F.jwt}";`,
        `export const db = "${url("postgres", "app", "db.internal.acme.io", ":5432/orders")}";`,
        `export const twilioKey = "${F.twilio}";`,
        "export { openai, claude };",
      ].join("\n"),
    },
    {
      path: ".env",
      text: [
        `AWS_ACCESS_KEY_ID=${F.awsId}`,
        `AWS_SECRET_ACCESS_KEY=${F.awsSecret}`,
        `SENDGRID_API_KEY=${F.sendgrid}`,
        `TWILIO_API_KEY=${F.twilio}`,
        `AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName=acmeprod;AccountKey=${F.azureStorage};EndpointSuffix=core.windows.net`,
        `DATABASE_URL=${url("mysql", "orders", "mysql.internal.acme.io", "/orders")}`,
        `GITHUB_TOKEN=${F.githubPat}`,
      ].join("\n"),
    },
    {
      path: "config/app.yaml",
      text: [
        "service: orders",
        "publishing:",
        `  pypi_token: ${F.pypi}`,
        `  github_pat: ${F.githubPat}`,
        "signing:",
        "  private_key: |",
        ...F.rsaPem.split("\n").map((l) => `    ${l}`),
        `db_password: "${F.password}"`,
        `broker_url: ${url("amqp", "orders", "mq.internal.acme.io", "/vhost")}`,
      ].join("\n"),
    },
    {
      path: ".npmrc",
      text: ["registry=https://registry.npmjs.org/", `//registry.npmjs.org/:_authToken=${F.npm}`, "always-auth=true"].join("\n"),
    },
    { path: "deploy/gcp-service-account.json", text: sa },
    { path: "deploy/tls/server.key", text: F.ecPem },
  ];
  const pemBody = (pem: string) =>
    pem
      .split("\n")
      .filter((l) => !l.startsWith("-----"))
      .join("");
  const tokens: Record<string, string> = {
    githubClassic: F.github,
    githubFineGrained: F.githubPat,
    githubApp: F.githubApp,
    githubUser: F.githubUser,
    githubAppJwt: F.githubAppJwt.slice(0, 60),
    password: F.password,
    gitlab: F.gitlab,
    slack: F.slack,
    slackWebhook: F.slackWebhook.slice(F.slackWebhook.indexOf("/T")),
    stripe: F.stripe,
    npm: F.npm,
    pypi: F.pypi,
    huggingface: F.huggingface,
    openai: F.openai,
    anthropic: F.anthropic,
    awsId: F.awsId,
    awsSecret: F.awsSecret,
    gcpKeyId: F.gcpServiceAccount.private_key_id,
    gcpKey: pemBody(F.pkcs8Pem),
    azureStorage: F.azureStorage,
    twilio: F.twilio,
    sendgrid: F.sendgrid,
    rsaPem: pemBody(F.rsaPem),
    ecPem: pemBody(F.ecPem),
    jwt: F.jwt,
    urlPassword: F.urlPassword,
  };
  return { files, tokens };
}

/** Every 8-character run of each token, by token name (what a leak check looks for). */
export function eightCharRuns(tokens: Record<string, string>): Map<string, string> {
  const runs = new Map<string, string>();
  for (const [name, value] of Object.entries(tokens)) for (let i = 0; i + 8 <= value.length; i++) runs.set(value.slice(i, i + 8), name);
  return runs;
}

/** The token runs found in a text, as `name: …run…` (empty: no leak). */
export function leaks(text: string, runs: Map<string, string>): string[] {
  const found = new Map<string, string>();
  for (const [run, name] of runs) if (!found.has(name) && text.includes(run)) found.set(name, run);
  return [...found].map(([name, run]) => `${name}: ${run}`);
}
