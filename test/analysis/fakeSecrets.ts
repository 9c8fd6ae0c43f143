/**
 * Realistic but fake secrets for the secrets tests. They are assembled at run time (prefix +
 * seeded pseudo-random body; keys generated with node:crypto) so that no secret scanner flags
 * this repository and no value here was ever a real credential.
 */
import { generateKeyPairSync } from "node:crypto";

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
    json = JSON.stringify({ signInAddress: "acme.1password.com", email: `${randomString(10, 68).toLowerCase()}@1passwordserviceaccounts.com`, srpX: randomString(64, 69), pad });
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
  slackWebhook: j("https://hooks.slack.com/services/", "T", randomString(8, 12, UPPER + DIGITS), "/B", randomString(10, 13, UPPER + DIGITS), "/", randomString(24, 14)),
  stripe: j("sk_live_", "51", randomString(30, 15)),
  stripeTest: j("sk_test_", "51", randomString(30, 16)),
  google: j("AIza", "Sy", randomString(33, 17)),
  npm: j("npm_", randomString(36, 18)),
  /** The pre-2021 npm token format: a UUID. */
  npmLegacy: [randomString(8, 19, "0123456789abcdef"), randomString(4, 20, "0123456789abcdef"), "4f1a", "9c3e", randomString(12, 21, "0123456789abcdef")].join("-"),
  /** SendGrid keys are 69 characters: SG. + 22 + . + 43. */
  sendgrid: j("SG.", randomString(22, 22), ".", randomString(43, 23)),
  openai: j("sk-", randomString(20, 24), "T3BlbkFJ", randomString(20, 25)),
  anthropic: j("sk-ant-api03-", randomString(93, 26), "AA"),
  huggingface: j("hf_", randomString(34, 40)),
  pypi: j("pypi-AgEIcHlwaS5vcmc", randomString(60, 41)),
  twilio: j("SK", randomString(32, 42, "0123456789abcdef")),
  azureStorage: j(randomString(86, 43, ALNUM + "+/"), "=="),
  jwt: j(
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
    ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0",
    ".",
    randomString(43, 27),
  ),
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
  const pemBody = (pem: string) => pem.split("\n").filter((l) => !l.startsWith("-----")).join("");
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
