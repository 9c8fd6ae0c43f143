import { findSecrets, redactSecrets, shannonEntropy } from "../../src/analysis/secrets.js";

// Test values are assembled at run time so this file itself does not look like it leaks keys.
const j = (...parts: string[]) => parts.join("");
const GH = j("ghp_", "R8kq2ZtY7mN4vB1xW9cD3fH6jL0pS5aE2gU8");
const GH_PAT = j("github_pat_", "11AQ7XKZI0Rb9Tq2_Lw8vN3mP6yH1sD4fG7jK0cV5xB2nM9qW4eR8tY");
const AWS_ID = j("AKIA", "Q3EGTZ7LJ5NOW2XH");
const AWS_SECRET = j("k8Jd2+Lq9/Zx7Vb4Nm1Tq6Wr3Ys5Ua0Pc8Ef2Gh", "7");
const SLACK = j("xoxb-", "2931857340-4829301845-ZkT8qLm2Rv9Xw3Yp");
const SLACK_HOOK = j("https://hooks.slack.com/services/", "T0AB1CD2E/B0FG3HI4J/", "aB3dE5gH7jK9mN1pQ3sT5vW7");
const STRIPE = j("sk_live_", "51HqLmZ2eZvKYlo2C8nQ4wR7tY");
const GOOGLE = j("AIza", "SyD4kT9mQ2vX7bN1cR5fH8jL3pW6sZ0aE9u");
const JWT = j(
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
  ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0",
  ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
);
const PEM = j("-----BEGIN RSA ", "PRIVATE KEY-----\nMIIEowIBAAKCAQEA1c7+9z5Pad\nq8rT\n-----END RSA ", "PRIVATE KEY-----");

describe("findSecrets / redactSecrets", () => {
  const cases: [string, string, string][] = [
    ["aws-access-key-id", `const id = "${AWS_ID}";`, AWS_ID],
    ["aws-secret-access-key", `aws_secret_access_key = ${AWS_SECRET}`, AWS_SECRET],
    ["github-token", `token: ${GH}`, GH],
    ["github-token", `GITHUB_PAT=${GH_PAT}`, GH_PAT],
    ["slack-token", `slack(${JSON.stringify(SLACK)})`, SLACK],
    ["slack-webhook", `url = "${SLACK_HOOK}"`, SLACK_HOOK],
    ["stripe-secret-key", `Stripe("${STRIPE}")`, STRIPE],
    ["google-api-key", `key=${GOOGLE}&q=1`, GOOGLE],
    ["jwt", `Authorization: Bearer ${JWT}`, JWT],
    ["private-key", `key = """${PEM}"""`, PEM],
    ["url-credentials", "DATABASE_URL=postgres://app:S3cr3tPw9x@db.internal:5432/app", "S3cr3tPw9x"],
    ["generic-secret", `const password = "Tr0ub4dor&3x";`, "Tr0ub4dor&3x"],
    ["generic-secret", `"client_secret": "8f2Kq9ZxW4mT7vB1nR6yL3pH"`, "8f2Kq9ZxW4mT7vB1nR6yL3pH"],
    ["generic-secret", "API_KEY=a8f5f167f44f4964e6c998dee827110c", "a8f5f167f44f4964e6c998dee827110c"],
    ["generic-secret", `db_password: 'xK9#mP2$vL7q'`, "xK9#mP2$vL7q"],
  ];

  it.each(cases)("finds and redacts %s in %s", (kind, text, secret) => {
    const found = findSecrets(text);
    expect(found.map((f) => f.kind)).toEqual([kind]);
    expect(text.slice(found[0].start, found[0].end)).toBe(secret);
    const redacted = redactSecrets(text);
    expect(redacted).toContain(`[REDACTED:${kind}]`);
    expect(redacted).not.toContain(secret);
  });

  it("redacts only the password of a URL, keeping user and host", () => {
    expect(redactSecrets("mongodb://admin:Zq8rT4mK2v@mongo:27017/db")).toBe("mongodb://admin:[REDACTED:url-credentials]@mongo:27017/db");
  });

  it("redacts a private key block to the end of the text when it is truncated", () => {
    const text = j("before\n-----BEGIN OPENSSH ", "PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nAAAABG5vbmU");
    expect(redactSecrets(text)).toBe("before\n[REDACTED:private-key]");
  });

  it("redacts several secrets in one text, and is idempotent", () => {
    const text = `a=${GH} b=${STRIPE}`;
    const once = redactSecrets(text);
    expect(once).toBe("a=[REDACTED:github-token] b=[REDACTED:stripe-secret-key]");
    expect(redactSecrets(once)).toBe(once);
  });

  it("prefers the vendor kind over the generic one for the same value", () => {
    expect(findSecrets(`const token = "${GH}";`).map((f) => f.kind)).toEqual(["github-token"]);
  });

  const safe = [
    `password = "changeme123"`,
    `api_key = "YOUR_API_KEY_HERE"`,
    `token: \${GITHUB_TOKEN}`,
    `password = process.env.DB_PASSWORD`,
    `password = os.environ["DB_PASSWORD"]`,
    `password = os.getenv("DB_PASSWORD")`,
    `secret: "<your-secret>"`,
    `token = "xxxxxxxxxxxxxxxxxxxxxxxx"`,
    `aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`,
    `const id = "AKIAIOSFODNN7EXAMPLE";`,
    `password: string;`,
    `const token = generateToken(32);`,
    `tokenType: "access_token"`,
    `passwordHash = hash(password)`,
    `password: "Password must have at least 8 characters"`,
    `const accessToken = req.headers.authorization;`,
    `token: "GITHUB_TOKEN"`,
    `postgres://user:\${DB_PASS}@localhost/db`,
    `postgres://postgres:postgres@localhost/db`,
    `https://user:password@example.com`,
    `const apiKey = config.get("apiKey");`,
    `-----BEGIN PUBLIC KEY-----`,
    `const x = "[REDACTED:generic-secret]";`,
  ];

  it.each(safe)("does not flag %s", (text) => {
    expect(findSecrets(text)).toEqual([]);
    expect(redactSecrets(text)).toBe(text);
  });

  it("handles empty and non-string input", () => {
    expect(findSecrets("")).toEqual([]);
    expect(redactSecrets("")).toBe("");
    expect(findSecrets(undefined as unknown as string)).toEqual([]);
  });

  it("computes Shannon entropy", () => {
    expect(shannonEntropy("aaaa")).toBe(0);
    expect(shannonEntropy("abcd")).toBeCloseTo(2);
  });
});

describe("documentation values", () => {
  it.each([
    `const pkcs1Begin = "-----BEGIN RSA PRIVATE KEY-----";`,
    j('privateKey: "-----BEGIN ', 'PRIVATE KEY-----\\n...",'),
    `createTokenAuth("ghp_PersonalAccessToken01245678900000000")`,
    `clientSecret: "1234567890abcdef1234567890abcdef12345678"`,
    `"token": "jsonwebtoken123"`,
    `url.password = credentials?.password || ''`,
    `PWD: '/Users/someone'`,
    `new URL('https://abc:xyz@example.com')`,
  ])("are not secrets: %s", (text) => {
    expect(findSecrets(text)).toEqual([]);
  });
});
