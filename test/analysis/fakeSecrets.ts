/**
 * Realistic but fake secrets for the secrets tests. They are assembled at run time (prefix +
 * seeded pseudo-random body; keys generated with node:crypto) so that no secret scanner flags
 * this repository and no value here was ever a real credential.
 */
import { generateKeyPairSync } from "node:crypto";

export const j = (...parts: string[]) => parts.join("");

/** mulberry32: deterministic, so a failing test fails the same way every time. */
function prng(seed: number): () => number {
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

export const FAKE = {
  awsId: j("AKIA", randomString(16, 1, UPPER + DIGITS)),
  awsSecret: j(randomString(20, 2), "+", randomString(9, 3), "/", randomString(9, 4)),
  github: j("ghp_", randomString(36, 5)),
  /** Fine-grained personal access token: github_pat_ + 82 characters. */
  githubPat: j("github_pat_", randomString(22, 6), "_", randomString(59, 7)),
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
