import { runAnalysis } from "../../src/analysis/analyze.js";
import { parsePatch } from "../../src/analysis/diff.js";
import { hideFoundSecrets, SECRETS_RULE_ID, secretsAnalyzer } from "../../src/analysis/secretsAnalyzer.js";
import type { AnalysisInput, DiffFile, Finding } from "../../src/analysis/types.js";
import { redactSecrets } from "../../src/analysis/secrets.js";
import { FAKE, leakyPullRequest } from "./fakeSecrets.js";

/** A new file whose every line is added. */
function addedFile(path: string, code: string): DiffFile {
  const lines = code.split("\n");
  return parsePatch(path, `@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}`).join("\n")}`);
}

/** One hunk at line 1 of a modified file: [" " | "+", text] pairs (context or added). */
function editedFile(path: string, lines: [" " | "+", string][]): DiffFile {
  const oldCount = lines.filter(([k]) => k === " ").length;
  return parsePatch(path, `@@ -1,${oldCount} +1,${lines.length} @@\n${lines.map(([k, t]) => `${k}${t}`).join("\n")}`);
}

async function scan(input: AnalysisInput): Promise<Finding[]> {
  const out = await secretsAnalyzer.analyze(input);
  expect(out.skipped ?? []).toEqual([]);
  return out.findings;
}

const scanAdded = (path: string, code: string, whole = false) =>
  scan({ files: [addedFile(path, code)], fileContents: whole ? new Map([[path, code]]) : undefined });

describe("secretsAnalyzer: provider formats on added lines", () => {
  const kinds: [string, string, string, string][] = [
    ["AWS access key ID", "src/aws.ts", `const accessKeyId = "${FAKE.awsId}";`, FAKE.awsId],
    ["AWS secret access key", ".env", `AWS_SECRET_ACCESS_KEY=${FAKE.awsSecret}`, FAKE.awsSecret],
    ["GitHub personal access token", ".github/workflows/ci.yml", `          token: ${FAKE.github}`, FAKE.github],
    ["GitHub fine-grained personal access token", "scripts/release.py", `GITHUB_PAT = "${FAKE.githubPat}"`, FAKE.githubPat],
    ["GitLab personal access token", "deploy.sh", `export GITLAB_TOKEN=${FAKE.gitlab}`, FAKE.gitlab],
    ["Slack bot token", "src/bot.js", `const slack = new WebClient("${FAKE.slack}");`, FAKE.slack],
    ["Slack incoming webhook URL", "notify.py", `requests.post("${FAKE.slackWebhook}", json=msg)`, FAKE.slackWebhook],
    ["Stripe live secret key", "src/pay.ts", `const stripe = new Stripe("${FAKE.stripe}");`, FAKE.stripe],
    ["npm access token", ".github/publish.sh", `npm config set //registry.npmjs.org/:_authToken ${FAKE.npm}`, FAKE.npm],
    ["npm auth token", ".npmrc", `//registry.npmjs.org/:_authToken=${FAKE.npmLegacy}`, FAKE.npmLegacy],
    ["SendGrid API key", "mail.py", `sg = SendGridAPIClient("${FAKE.sendgrid}")`, FAKE.sendgrid],
    ["OpenAI API key", "ai.py", `client = OpenAI(api_key="${FAKE.openai}")`, FAKE.openai],
    ["Anthropic API key", "ai.ts", `new Anthropic({ apiKey: "${FAKE.anthropic}" });`, FAKE.anthropic],
    ["password in a URL", "Makefile", "\tcurl -X POST https://deploy:Wq7Lp2Rz9K@ci.internal.io/hooks/build", "Wq7Lp2Rz9K"],
    [
      "PostgreSQL connection string with a password",
      "src/db.ts",
      `const pool = new Pool({ connectionString: "postgres://app:S3cr3tPw9x@db.internal:5432/app" });`,
      "S3cr3tPw9x",
    ],
    [
      "MongoDB connection string with a password",
      "settings.py",
      `MONGO_URI = "mongodb+srv://svc:Zq8rT4mK2v@cluster0.acme.net/db"`,
      "Zq8rT4mK2v",
    ],
    [
      "MySQL connection string with a password",
      "config/app.properties",
      "spring.datasource.url=jdbc:mysql://shop:Lk29sQ8xWp@mysql.internal:3306/shop",
      "Lk29sQ8xWp",
    ],
  ];

  it.each(kinds)("reports a %s (%s) on its added line, naming the kind, never the value", async (label, path, line, secret) => {
    const findings = await scanAdded(path, ["// setup", line, "// done"].join("\n"));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: SECRETS_RULE_ID, category: "hardcoded-secret", path, line: 2, side: "RIGHT" });
    expect(findings[0].message).toContain(label);
    expect(JSON.stringify(findings)).not.toContain(secret);
  });

  it("rates by evidence: root keys critical, provider formats high, secret-looking names medium, weak values low", async () => {
    const severity = async (path: string, code: string) => (await scanAdded(path, code)).map((f) => f.severity);
    expect(await severity("a.py", `aws_access_key_id = "${FAKE.awsId}"\naws_secret_access_key = "${FAKE.awsSecret}"`)).toEqual([
      "critical",
      "critical",
    ]);
    expect(await severity("deploy/key.pem", FAKE.ecPem)).toEqual(["critical"]);
    expect(await severity("a.ts", `const id = "${FAKE.awsId}";`)).toEqual(["high"]);
    expect(await severity("a.ts", `const stripe = new Stripe("${FAKE.stripe}");`)).toEqual(["high"]);
    expect(await severity("a.ts", `const stripe = new Stripe("${FAKE.stripeTest}");`)).toEqual(["medium"]);
    expect(await severity("a.ts", `const url = "postgres://app:S3cr3tPw9x7Q@db.internal:5432/app";`)).toEqual(["high"]);
    expect(await severity("a.ts", `const password = "q7Z!x2Lm9#Rv4Tp8";`)).toEqual(["medium"]);
    expect(await severity("a.ts", `const password = "welcome2024";`)).toEqual(["low"]);
    const [aws] = await scanAdded("a.ts", `const id = "${FAKE.awsId}";`);
    const [generic] = await scanAdded("a.ts", `const password = "q7Z!x2Lm9#Rv4Tp8";`);
    expect(aws.confidence).toBeGreaterThan(generic.confidence);
  });

  it("writes messages a person can read", async () => {
    expect((await scanAdded("a.yml", `token: ${FAKE.github}`))[0].message).toBe(
      "A GitHub personal access token is committed in the code: anyone who can read the repository can use it.",
    );
    expect((await scanAdded("a.ts", `const id = "${FAKE.awsId}";`))[0].message).toMatch(/^An AWS access key ID is committed/);
  });

  it("reports two secrets on one line once, naming both", async () => {
    const findings = await scanAdded("a.env", `KEYS=${FAKE.github},${FAKE.stripe}`);
    expect(findings).toHaveLength(1);
    expect(findings[0].message).toContain("A GitHub personal access token and a Stripe live secret key are committed");
    expect(findings[0].severity).toBe("high");
  });

  it("finds a secret in a long minified line", async () => {
    const line = `${"var a=1;".repeat(1000)}var k="${FAKE.github}";`;
    expect((await scanAdded("bundle.js", line)).map((f) => f.line)).toEqual([1]);
  });
});

describe("secretsAnalyzer: private keys", () => {
  it.each([
    ["RSA (PKCS#1)", FAKE.rsaPem],
    ["EC (SEC1)", FAKE.ecPem],
    ["PKCS#8", FAKE.pkcs8Pem],
    ["Ed25519", FAKE.ed25519Pem],
  ])("reports a multi-line %s private key once, on its first line", async (_name, pem) => {
    const code = ["// signing key", "const KEY = `", pem, "`;"].join("\n");
    for (const whole of [false, true]) {
      const findings = await scanAdded("src/sign.ts", code, whole);
      expect(findings.map((f) => [f.line, f.severity])).toEqual([[3, "critical"]]);
      expect(findings[0].message).toContain("private key");
      const body = pem.split("\n")[1];
      expect(JSON.stringify(findings)).not.toContain(body);
    }
  });

  it("reports a key whose body this pull request changed, at the first added line", async () => {
    const lines = FAKE.rsaPem.split("\n");
    const file = editedFile("certs/key.pem", [
      [" ", lines[0]],
      ...lines.slice(1, -1).map((l) => ["+", l] as ["+", string]),
      [" ", lines[lines.length - 1]],
    ]);
    const findings = await scan({ files: [file] });
    expect(findings.map((f) => f.line)).toEqual([2]);
  });

  it("reports a GCP service account key file once, on its private_key line", async () => {
    const text = JSON.stringify(FAKE.gcpServiceAccount, null, 2);
    const findings = await scanAdded("deploy/service-account.json", text, true);
    const keyLine = text.split("\n").findIndex((l) => l.includes('"private_key":')) + 1;
    expect(findings.map((f) => f.line)).toEqual([keyLine]);
    expect(findings[0].message).toContain("GCP service account private key");
    expect(JSON.stringify(findings)).not.toContain(FAKE.gcpServiceAccount.private_key.split("\n")[1]);
  });

  it("does not report documentation keys", async () => {
    const doc = ["```", "-----BEGIN RSA PRIVATE KEY-----", "...", "-----END RSA PRIVATE KEY-----", "```"].join("\n");
    expect(await scanAdded("docs/setup.md", doc)).toEqual([]);
  });
});

describe("secretsAnalyzer: only what the pull request adds", () => {
  it("does not report a secret on a context (unchanged) line", async () => {
    const file = editedFile("config/app.yml", [
      [" ", `github_token: ${FAKE.github}`],
      ["+", "log_level: debug"],
      [" ", "port: 8080"],
    ]);
    expect(await scan({ files: [file] })).toEqual([]);
  });

  it("does not report a secret elsewhere in the whole file", async () => {
    const content = ["port: 8080", `github_token: ${FAKE.github}`, "db_password: Hq8#kL2m!Zx9", "log_level: debug"].join("\n");
    // The pull request only adds line 4; lines 2 and 3 were already there.
    const patched = parsePatch("config/app.yml", "@@ -3,1 +3,2 @@\n db_password: Hq8#kL2m!Zx9\n+log_level: debug");
    expect(await scan({ files: [patched], fileContents: new Map([["config/app.yml", content]]) })).toEqual([]);
  });

  it("reports the added line in the whole file's numbering", async () => {
    const content = ["a: 1", "b: 2", `token: ${FAKE.github}`, "c: 3"].join("\n");
    const file = parsePatch("x.yml", `@@ -1,2 +1,3 @@\n a: 1\n b: 2\n+token: ${FAKE.github}`);
    const findings = await scan({ files: [file], fileContents: new Map([["x.yml", content]]) });
    expect(findings.map((f) => f.line)).toEqual([3]);
  });

  it("falls back to the hunks when the whole file does not match the diff (a stale ref)", async () => {
    const file = parsePatch("x.yml", `@@ -1,1 +1,2 @@\n a: 1\n+token: ${FAKE.github}`);
    const stale = "a: 1\nsomething else\n";
    expect((await scan({ files: [file], fileContents: new Map([["x.yml", stale]]) })).map((f) => f.line)).toEqual([2]);
  });

  it("skips binary, removed and hunk-less files without error", async () => {
    const removed = parsePatch("old.env", `@@ -1,1 +0,0 @@\n-TOKEN=${FAKE.github}`);
    const binary: DiffFile = { ...addedFile("img.png", FAKE.github), binary: true };
    const empty: DiffFile = { ...addedFile("e.txt", "x"), hunks: [] };
    expect(await scan({ files: [removed, binary, empty] })).toEqual([]);
  });
});

describe("secretsAnalyzer: the generic check", () => {
  const value = "q7Z!x2Lm9#Rv4Tp8";

  it.each([
    ["src/db.ts", `const password = "${value}";`],
    ["app/settings.py", `DATABASE_PASSWORD = '${value}'`],
    ["config/app.yml", `  password: ${value}`],
    ["config/app.json", `  "client_secret": "${value}",`],
    [".env.production", `API_KEY=${value}`],
    ["src/main/resources/application.properties", `spring.datasource.password=${value}`],
    ["pyproject.toml", `token = "${value}"`],
  ])("reports a high-entropy value assigned to a secret name (%s)", async (path, line) => {
    const findings = await scanAdded(path, line);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: "medium", line: 1 });
    expect(findings[0].message).toContain("password or secret");
    expect(JSON.stringify(findings)).not.toContain(value);
  });

  it("does not report placeholders, examples, env lookups or references", async () => {
    const env = [
      "DB_PASSWORD=changeme",
      "API_KEY=your-api-key-here",
      "GITHUB_TOKEN=${GITHUB_TOKEN}",
      "SECRET_KEY=<generate-one>",
      "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
      "PASSWORD=xxxxxxxxxxxx",
      "TOKEN=****************",
      "CLIENT_SECRET=dummy-secret-Zq8",
      "PASSWORD=test1234Q!",
      "AUTH=fake_Zq8rT4mK2v",
    ].join("\n");
    const ts = [
      "const password = process.env.DB_PASSWORD;",
      'const apiKey = config.get("apiKey");',
      "const token = await getToken(user);",
      "const secret = this.secretFromVault;",
      'const password = "${DB_PASSWORD}";',
      "const auth = { user, password };",
      'if (password === "") throw new Error("missing password");',
      "const token = `Bearer ${accessToken}`;",
      "const url = `postgres://app:${process.env.DB_PASSWORD}@db/app`;",
    ].join("\n");
    const py = [
      'password = os.environ["DB_PASSWORD"]',
      'password = os.getenv("DB_PASSWORD")',
      "api_key = settings.STRIPE_API_KEY",
      "token = get_token()",
      'password = "%(password)s"',
      "secret_key = SECRET_KEY_FROM_ENV",
    ].join("\n");
    const yml = [
      'password: "{{ vault_db_password }}"',
      "token: ${{ secrets.GITHUB_TOKEN }}",
      "api_key: <your-key>",
      "password: EXAMPLE_PASSWORD",
    ].join("\n");
    for (const [path, code] of [
      [".env", env],
      ["src/a.ts", ts],
      ["app/b.py", py],
      ["c.yml", yml],
    ] as const)
      expect(await scanAdded(path, code)).toEqual([]);
  });

  it("reports a vendor token assigned to a secret name once, as the vendor kind", async () => {
    const findings = await scanAdded("src/a.ts", `const token = "${FAKE.github}";`);
    expect(findings).toHaveLength(1);
    expect(findings[0].message).toContain("GitHub personal access token");
    expect(findings[0].message).not.toContain("password or secret");
  });
});

describe("secretsAnalyzer: fingerprints", () => {
  it("do not depend on the secret's value, nor on the line number", async () => {
    const other = `ghp_${"Zq8rT4mK2v".repeat(3)}L1Xc9w`;
    const [a] = await scanAdded("a.yml", `token: ${FAKE.github}`);
    const [b] = await scanAdded("a.yml", `token: ${other}`);
    const [c] = await scanAdded("a.yml", `x: 1\ny: 2\ntoken: ${FAKE.github}`);
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.fingerprint).toBe(c.fingerprint);
    const [d] = await scanAdded("a.yml", `password: q7Z!x2Lm9#Rv4Tp8`);
    const [e] = await scanAdded("a.yml", `password: Hq8#kL2m!Zx9w`);
    expect(d.fingerprint).toBe(e.fingerprint);
  });
});

describe("secrets in the whole analysis", () => {
  it("are found once, not twice, through runAnalysis", async () => {
    const files = [addedFile("src/client.ts", `export const client = new Octokit({ auth: "${FAKE.github}" });`)];
    const result = await runAnalysis({ files });
    const secrets = result.findings.filter((f) => f.category === "hardcoded-secret");
    expect(secrets.map((f) => [f.rule, f.line])).toEqual([[SECRETS_RULE_ID, 1]]);
    expect(JSON.stringify(result)).not.toContain(FAKE.github);
  });

  it("never leak a value into any finding, even with many kinds in one change", async () => {
    const code = [
      `aws_access_key_id = "${FAKE.awsId}"`,
      `aws_secret_access_key = "${FAKE.awsSecret}"`,
      `github = "${FAKE.github}"`,
      `slack = "${FAKE.slack}"`,
      `hook = "${FAKE.slackWebhook}"`,
      `stripe = "${FAKE.stripe}"`,
      `npm = "${FAKE.npm}"`,
      'db = "postgres://app:S3cr3tPw9x@db.internal:5432/app"',
      'password = "q7Z!x2Lm9#Rv4Tp8"',
      `key = """${FAKE.rsaPem}"""`,
    ].join("\n");
    const findings = await scanAdded("settings.py", code, true);
    expect(findings.map((f) => f.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const text = JSON.stringify(findings);
    for (const secret of [
      FAKE.awsId,
      FAKE.awsSecret,
      FAKE.github,
      FAKE.slack,
      FAKE.slackWebhook,
      FAKE.stripe,
      FAKE.npm,
      "S3cr3tPw9x",
      "q7Z!x2Lm9#Rv4Tp8",
      FAKE.rsaPem.split("\n")[1],
    ])
      expect(text).not.toContain(secret);
  });
});

describe("secretsAnalyzer: test data", () => {
  it.each([
    "e2e/login.spec.ts",
    "tests/fixtures/users.ts",
    "cypress/support/users.ts",
    "src/__mocks__/api.ts",
    "test/data.py",
    "src/auth_test.go",
    "src/test/java/LoginTest.java",
  ])("rates a password in %s low", async (path) => {
    const findings = await scanAdded(path, `const admin = { password: "Xk29sLq0aZ7mQ4wR" };`);
    expect(findings.map((f) => f.severity)).toEqual(["low"]);
    expect(findings[0].confidence).toBeLessThan(0.5);
  });

  it("keeps a provider token in an end-to-end suite high: it is live wherever it sits", async () => {
    expect((await scanAdded("e2e/setup.ts", `const token = "${FAKE.github}";`)).map((f) => f.severity)).toEqual(["high"]);
  });
});

describe("secretsAnalyzer: configuration files and provider formats beyond secretlint's", () => {
  it.each([
    [".env.production", "STRIPE_KEY=sk_live_" + "Zq8rT4mK2vL1Xc9wHn3bPq7s", "Stripe live secret key"],
    ["config/app.properties", "datadog.api.key=" + "4f7a9c2e1b8d3f6a0c5e9b2d7f1a3c8e", "Datadog API or application key"],
    [
      "Dockerfile",
      "ENV DO_TOKEN=dop_v1_" + "4f7a9c2e1b8d3f6a0c5e9b2d7f1a3c8e4f7a9c2e1b8d3f6a0c5e9b2d7f1a3c8e",
      "DigitalOcean personal access token",
    ],
    ["deploy.sh", "export PULUMI_ACCESS_TOKEN=pul-" + "4f7a9c2e1b8d3f6a0c5e9b2d7f1a3c8e4f7a9c2e", "Pulumi access token"],
    ["k8s/deploy.yaml", "- name: DB_PASSWORD\n  value: Xk29sLq0aZ7mQ4wR", "password or secret"],
    ["settings.ini", "[db]\npassword = Xk29sLq0aZ7mQ4wR", "password or secret"],
  ])("%s", async (path, code, label) => {
    const findings = await scanAdded(path, code);
    expect(findings).toHaveLength(1);
    expect(findings[0].message).toContain(label);
    expect(JSON.stringify(findings)).not.toMatch(/Xk29sLq0|4f7a9c2e1b8d|Zq8rT4mK2v/);
  });

  it("hands back every value it found, and the redactor alone hides each of them too", async () => {
    for (const { path, text } of leakyPullRequest().files) {
      const out = await secretsAnalyzer.analyze({ files: [addedFile(path, text)], fileContents: new Map([[path, text]]) });
      const redacted = redactSecrets(text);
      for (const v of out.secretValues ?? [])
        for (const part of v.split(/\r?\n|\\n/))
          if (part.trim().length >= 12) expect([path, redacted.includes(part.trim())]).toEqual([path, false]);
    }
  });
});

describe("hideFoundSecrets", () => {
  const finding = (replacement: string): Finding => ({
    rule: "sql-injection",
    category: "sql-injection",
    side: "RIGHT",
    severity: "high",
    confidence: 0.9,
    path: "src/db.js",
    line: 3,
    message: "Query built from request input",
    recommendation: "Pass the values apart",
    fingerprint: replacement.length.toString(16),
    suggestion: { startLine: 3, endLine: 3, replacement },
  });

  it("drops a suggested change that would show a found secret, and keeps the others", () => {
    const leaky = finding(`db.query("SELECT * FROM t WHERE pw = $1", ["Tr0ub4dor-staging-9X2"]);`);
    const clean = finding(`db.query("SELECT * FROM t WHERE id = $1", [id]);`);
    const analysis = { findings: [leaky, clean], predictions: [], skipped: [] };
    hideFoundSecrets(analysis, ["Tr0ub4dor-staging-9X2"]);
    expect(leaky.suggestion).toBeUndefined();
    expect(clean.suggestion?.replacement).toBe(`db.query("SELECT * FROM t WHERE id = $1", [id]);`);
    expect(JSON.stringify(analysis)).not.toContain("Tr0ub4dor");
  });
});
