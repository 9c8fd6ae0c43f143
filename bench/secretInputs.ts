/** Hostile inputs for the secret scans: near-misses of every format, and texts full of real finds. */
import { TOKEN_FORMATS } from "../src/analysis/secretFormats.js";
import { FAKE } from "../test/analysis/fakeSecrets.js";

export const MB = 1_000_000;
const fill = (unit: string, size: number) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
const anchors = TOKEN_FORMATS.flatMap((f) => f.anchors);

/** [name, text of about `size` characters]; the "thousands of" ones hold real finds. */
export const HOSTILE_SECRET_INPUTS: [string, (size: number) => string][] = [
  ["a 1 MB minified line", (n) => fill("var a=function(b){return b+1};", n)],
  ["every anchor, back to back", (n) => fill(anchors.join(""), n)],
  ["every anchor with a near-miss body", (n) => fill(anchors.map((a) => `${a}${"aB3".repeat(15)}`).join(" "), n)],
  ["one anchor repeated (ghp_)", (n) => fill("ghp_", n)],
  ["one anchor repeated (xoxb-)", (n) => fill("xoxb-", n)],
  ["a run of one letter", (n) => fill("A", n)],
  ["secret names without values", (n) => fill("password=", n)],
  ["quoted names without values", (n) => fill('"password": "', n)],
  ["JWT heads", (n) => fill("eyJaaaaaaaaaaaa.", n)],
  ["URL heads", (n) => fill("a://b:c@", n)],
  ["digits and Telegram heads", (n) => fill("1234567:AA", n)],
  ["provider names", (n) => fill("DATADOG_API_KEY=discord_token=", n)],
  ["unclosed expansions", (n) => fill("${password=", n)],
  // Many real finds: overlap checks must not compare every pair.
  ["thousands of generic secrets", (n) => fill('password="Xk29sLq0aZ7mQ4wR"\n', n)],
  ["thousands of URL passwords", (n) => fill("https://u:Xk29sLq0aZ7m@h.io/ ", n)],
  ["thousands of AWS key pairs", (n) => fill(`${FAKE.awsId} ${FAKE.awsSecret}\n`, n)],
  ["thousands of GitHub tokens", (n) => fill(`${FAKE.github} `, n)],
];
