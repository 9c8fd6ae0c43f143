import { HOSTILE_SECRET_INPUTS, MB } from "../../bench/secretInputs.js";
import { TOKEN_FORMATS, hasCrc32Tail, providers } from "../../src/analysis/secretFormats.js";
import {
  detectSecrets,
  findGenericSecrets,
  findSecrets,
  isPlaceholder,
  redact,
  redactDeep,
  redactKnownSecrets,
  redactSecrets,
  scanFormats,
  withKnownSecrets,
  shannonEntropy,
} from "../../src/analysis/secrets.js";
import { FAKE, FORMAT_SAMPLES, checkedToken, j, leakyPullRequest, randomString } from "./fakeSecrets.js";

describe("redactSecrets: the output safety net", () => {
  it("knows Hugging Face, PyPI, Twilio and Azure storage keys", () => {
    for (const [text, kind] of [
      [`HF_TOKEN=${FAKE.huggingface}`, "huggingface-token"],
      [`password = ${FAKE.pypi}`, "pypi-token"],
      [`twilio api key ${FAKE.twilio} here`, "twilio-key"],
      [
        `DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=${FAKE.azureStorage};EndpointSuffix=core.windows.net`,
        "azure-storage-key",
      ],
    ] as const) {
      const out = redactSecrets(text);
      expect(out).toContain(`[REDACTED:${kind}]`);
      for (const secret of [FAKE.huggingface, FAKE.pypi, FAKE.twilio, FAKE.azureStorage]) expect(out).not.toContain(secret.slice(3, 11));
    }
  });

  const cases: [string, string, string][] = [
    ["aws-access-key-id", `const id = "${FAKE.awsId}";`, FAKE.awsId],
    ["aws-secret-access-key", `aws_secret_access_key = ${FAKE.awsSecret}`, FAKE.awsSecret],
    ["github-token", `token: ${FAKE.github}`, FAKE.github],
    ["github-token", `GITHUB_PAT=${FAKE.githubPat}`, FAKE.githubPat],
    ["gitlab-token", `gitlab(${JSON.stringify(FAKE.gitlab)})`, FAKE.gitlab],
    ["slack-token", `slack(${JSON.stringify(FAKE.slack)})`, FAKE.slack],
    ["slack-webhook", `url = "${FAKE.slackWebhook}"`, FAKE.slackWebhook],
    ["stripe-key", `Stripe("${FAKE.stripe}")`, FAKE.stripe],
    ["stripe-key", `Stripe("${FAKE.stripeTest}")`, FAKE.stripeTest],
    ["google-api-key", `key=${FAKE.google}&q=1`, FAKE.google],
    ["npm-token", `publish with ${FAKE.npm} please`, FAKE.npm],
    ["sendgrid-key", `sg(${JSON.stringify(FAKE.sendgrid)})`, FAKE.sendgrid],
    ["openai-key", `OpenAI(${JSON.stringify(FAKE.openai)})`, FAKE.openai],
    ["anthropic-key", `Anthropic(${JSON.stringify(FAKE.anthropic)})`, FAKE.anthropic],
    ["jwt", `Authorization: Bearer ${FAKE.jwt}`, FAKE.jwt],
    ["private-key", `key = """${FAKE.pemShort}"""`, FAKE.pemShort],
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

  it("redacts a real PEM private key block, whatever its type", () => {
    for (const pem of [FAKE.rsaPem, FAKE.ecPem, FAKE.pkcs8Pem, FAKE.ed25519Pem]) {
      const out = redactSecrets(`Here is the key:\n${pem}\nthanks`);
      expect(out).toBe("Here is the key:\n[REDACTED:private-key]\nthanks");
    }
  });

  it("redacts only the password of a URL, keeping user and host", () => {
    expect(redactSecrets("mongodb://admin:Zq8rT4mK2v@mongo:27017/db")).toBe("mongodb://admin:[REDACTED:url-credentials]@mongo:27017/db");
  });

  it("redacts a private key block to the end of the text when it is truncated", () => {
    const text = j("before\n-----BEGIN OPENSSH ", "PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nAAAABG5vbmU");
    expect(redactSecrets(text)).toBe("before\n[REDACTED:private-key]");
  });

  it("redacts several secrets in one text, and is idempotent", () => {
    const text = `a=${FAKE.github} b=${FAKE.stripe}`;
    const once = redactSecrets(text);
    expect(once).toBe("a=[REDACTED:github-token] b=[REDACTED:stripe-key]");
    expect(redactSecrets(once)).toBe(once);
  });

  it("redacts every secret in free text: a pull request title and body, a code snippet in a prediction", () => {
    const title = `Rotate key ${FAKE.awsId} before Friday`;
    const body = [
      "## What",
      `Temporarily hardcoding the bot token (${FAKE.slack}) and the webhook ${FAKE.slackWebhook}.`,
      "```yaml",
      `github_token: ${FAKE.github}`,
      "db_password: Hq8#kL2m!Zx9",
      "```",
      `Deploy with https://deploy:Wq7Lp2Rz9K@ci.internal.io/hooks and ${FAKE.npm}.`,
      FAKE.rsaPem,
    ].join("\n");
    const snippet = `stripe.setApiKey("${FAKE.stripe}"); const token = "${FAKE.gitlab}";`;
    const all = [redactSecrets(title), redactSecrets(body), redactSecrets(snippet)].join("\n");
    for (const secret of [
      FAKE.awsId,
      FAKE.slack,
      FAKE.slackWebhook,
      FAKE.github,
      "Hq8#kL2m!Zx9",
      "Wq7Lp2Rz9K",
      FAKE.npm,
      FAKE.stripe,
      FAKE.gitlab,
    ]) {
      expect(all).not.toContain(secret);
    }
    expect(all).not.toMatch(/MII[A-Za-z0-9+/]{20}/);
    expect(all).toContain("Rotate key [REDACTED:aws-access-key-id] before Friday");
  });

  it("prefers the vendor kind over the generic one for the same value", () => {
    expect(findSecrets(`const token = "${FAKE.github}";`).map((f) => f.kind)).toEqual(["github-token"]);
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
    `const x = "[REDACTED]";`,
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

describe("findGenericSecrets: high-entropy values assigned to secret-looking names", () => {
  it("a required variable in a parameter expansion is not a value; a literal default in one still is", () => {
    expect(findGenericSecrets("DATABASE_URL: postgresql://postgres:${POSTGRES_PASSWORD:?Variable not set}@db:5432/app\n")).toEqual([]);
    expect(findGenericSecrets("password: ${DB_PASSWORD:?DB_PASSWORD must be set}\n")).toEqual([]);
    expect(findGenericSecrets(`password=\${DB_PASSWORD:-${FAKE.awsSecret.slice(0, 16)}}\n`)).toHaveLength(1);
  });

  const value = "q7Z!x2Lm9#Rv4Tp8";
  const shapes = [
    `const password = "${value}";`, // JS / TS
    `let apiKey = '${value}'`,
    `PASSWORD = "${value}"`, // Python
    `db.connect(user="app", password="${value}")`, // keyword argument
    `password: str = "${value}"`, // annotated
    `password: "${value}"`, // YAML / JS object
    `"client_secret": "${value}"`, // JSON
    `DB_PASSWORD=${value}`, // .env
    `spring.datasource.password=${value}`, // properties
    `api_key = "${value}"`, // TOML
    `token := "${value}"`, // Go
    `'access_key' => '${value}',`, // PHP
    `private_key: ${value}`, // YAML bare
    `auth = "${value}"`,
    `passwd=${value}`,
    `pwd: "${value}"`,
  ];
  it.each(shapes)("finds the value in %s", (text) => {
    const found = findGenericSecrets(text);
    expect(found).toHaveLength(1);
    expect(text.slice(found[0].start, found[0].end)).toBe(value);
  });

  it("counts only quoted values in code, where a bare value is a reference", () => {
    expect(findGenericSecrets(`password = Xk29sLq0aZ7mQ4wR`, { quotedOnly: true })).toEqual([]);
    expect(findGenericSecrets(`password = "Xk29sLq0aZ7mQ4wR"`, { quotedOnly: true })).toHaveLength(1);
    expect(findGenericSecrets(`PASSWORD=Xk29sLq0aZ7mQ4wR`)).toHaveLength(1);
  });

  const notSecrets = [
    `password = "EXAMPLE_PASSWORD_1"`,
    `api_key = "my-example-key-9f3A"`,
    `token = "xxxxxxxxxxxxxxxxxxxx"`,
    `token = "xxxx-yyyy-Zq81"`,
    `password = "changeme!2024"`,
    `api_key = "your-api-key-here"`,
    `secret = "<client-secret>"`,
    `password = "\${DB_PASSWORD}"`,
    `password: "{{ vault_db_password }}"`,
    `password = "%(db_password)s"`,
    `password = process.env.DB_PASSWORD_PROD`,
    `password = os.environ["DB_PASSWORD"]`,
    `password = os.getenv("DB_PASSWORD", "")`,
    `password = "dummyPass9!"`,
    `password = "Test1234!abc"`,
    `api_key = "fake_key_8Hq2Lm"`,
    `token = "placeholder-9Zk"`,
    `client_secret = "REDACTED-7Hq"`,
    `password = "****************"`,
    `password = "aaaaaaaaaaaa"`,
    `pin_password = "1234567890"`,
    `secret = "Ab1Ab1Ab1Ab1"`.replace("Ab1Ab1Ab1Ab1", "0000000000ab"),
    `password = get_password()`,
    `token = self.auth_token`,
    `api_key = settings.STRIPE_API_KEY`,
    `password = passwordFromVault`,
    `secret: "Passwort"`,
    `private_key: keys/private.pem`,
    `token_type: "Bearer"`,
    `password_hash = "$2b$12$abcdefghijk"`,
  ];
  it.each(notSecrets)("does not flag %s", (text) => {
    expect(findGenericSecrets(text)).toEqual([]);
  });

  it("calls placeholders what the brief lists", () => {
    for (const v of [
      "EXAMPLE",
      "xxxxx",
      "changeme",
      "your-token-here",
      "<token>",
      "${VAR}",
      "{{ x }}",
      "%(x)s",
      "dummy",
      "test",
      "fake",
      "placeholder",
      "redacted",
      "****",
      "aaaaa",
      "123456",
    ])
      expect(isPlaceholder(v)).toBe(true);
    expect(isPlaceholder("q7Z!x2Lm9#Rv4Tp8")).toBe(false);
  });
});

describe("redactKnownSecrets", () => {
  it("hides exact values, longest first, and each line of a multi-line value", () => {
    const secret = "Zq8rT4mK2vL1";
    expect(redactKnownSecrets(`a ${secret} b ${secret}`, [secret])).toBe("a [REDACTED] b [REDACTED]");
    expect(redactKnownSecrets("x abcdefgh123 y", ["abcdefgh", "abcdefgh123"])).toBe("x [REDACTED] y");
    expect(redactKnownSecrets("line2 only: BBBBBBBB22", ["AAAAAAAA11\nBBBBBBBB22"])).toBe("line2 only: [REDACTED]");
  });

  it("ignores values too short to be secrets, and empty input", () => {
    expect(redactKnownSecrets("a b abc", ["a", "abc"])).toBe("a b abc");
    expect(redactKnownSecrets("", ["secret-value"])).toBe("");
  });
});

describe("detectSecrets (the format table, secretlint's recommended preset, PEM keys, the generic check)", () => {
  const kinds: [string, string, string, string][] = [
    ["AWS access key ID", "config.ts", `const id = "${FAKE.awsId}";`, FAKE.awsId],
    ["AWS secret access key", ".env", `AWS_SECRET_ACCESS_KEY=${FAKE.awsSecret}`, FAKE.awsSecret],
    ["GitHub personal access token", "ci.yml", `token: ${FAKE.github}`, FAKE.github],
    ["GitHub fine-grained personal access token", "ci.yml", `token: ${FAKE.githubPat}`, FAKE.githubPat],
    ["GitLab personal access token", "a.sh", `export GL=${FAKE.gitlab}`, FAKE.gitlab],
    ["Slack bot token", "bot.js", `new WebClient("${FAKE.slack}")`, FAKE.slack],
    ["Slack incoming webhook URL", "notify.py", `URL = "${FAKE.slackWebhook}"`, FAKE.slackWebhook],
    ["Stripe live secret key", "pay.ts", `new Stripe("${FAKE.stripe}")`, FAKE.stripe],
    ["Stripe test secret key", "pay.ts", `new Stripe("${FAKE.stripeTest}")`, FAKE.stripeTest],
    ["npm access token", "publish.sh", `NPM_TOKEN=${FAKE.npm}`, FAKE.npm],
    ["npm auth token", ".npmrc", `//registry.npmjs.org/:_authToken=${FAKE.npmLegacy}`, FAKE.npmLegacy],
    ["SendGrid API key", "mail.py", `sg = SendGridAPIClient("${FAKE.sendgrid}")`, FAKE.sendgrid],
    ["OpenAI API key", "ai.py", `client = OpenAI(api_key="${FAKE.openai}")`, FAKE.openai],
    ["Anthropic API key", "ai.ts", `new Anthropic({ apiKey: "${FAKE.anthropic}" })`, FAKE.anthropic],
    ["password in a URL", "deploy.sh", "curl https://deploy:Wq7Lp2Rz9K@ci.internal.io/hooks", "Wq7Lp2Rz9K"],
    [
      "PostgreSQL connection string with a password",
      "db.ts",
      `const url = "postgres://app:S3cr3tPw9x@db.internal:5432/app";`,
      "S3cr3tPw9x",
    ],
    ["MongoDB connection string with a password", "db.py", `MONGO = "mongodb+srv://svc:Zq8rT4mK2v@cluster0.acme.net/db"`, "Zq8rT4mK2v"],
    ["MySQL connection string with a password", "app.properties", "db.url=mysql://shop:Lk29sQ8xWp@mysql.internal:3306/shop", "Lk29sQ8xWp"],
    ["private key", "key.pem", FAKE.rsaPem, FAKE.rsaPem],
    // Short keys secretlint's own rule misses (P-256 in SEC1 form, Ed25519): the PEM supplement.
    ["private key", "ec.pem", FAKE.ecPem, FAKE.ecPem],
    ["private key", "ed.pem", FAKE.ed25519Pem, FAKE.ed25519Pem],
    ["private key", "sign.ts", `const KEY = "${FAKE.ecPem.replace(/\n/g, "\\n")}";`, FAKE.ecPem.split("\n")[1]],
  ];

  it.each(kinds)("finds: %s (%s)", async (label, path, text, secret) => {
    const found = await detectSecrets(text, { path });
    expect(found.map((f) => f.label)).toEqual([label]);
    expect(found[0].values.some((v) => v.includes(secret) || secret.includes(v))).toBe(true);
    expect(redactKnownSecrets(text, found[0].values)).not.toContain(secret);
    expect(found[0].label).not.toContain(secret);
  });

  it("finds a GCP service account key file, pointing at its private key", async () => {
    const text = JSON.stringify(FAKE.gcpServiceAccount, null, 2);
    const found = await detectSecrets(text, { path: "deploy/sa.json" });
    expect(found.map((f) => f.label).sort()).toEqual(["GCP service account private key", "private key"]);
    const gcp = found.find((f) => f.messageId === "PrivateKeyJSON")!;
    expect(text.slice(gcp.start, gcp.end)).toBe('"private_key"');
  });

  it.each([
    ["docs.md", `const id = "AKIAIOSFODNN7EXAMPLE"; // AWS docs`],
    ["ci.yml", `token: ghp_${"x".repeat(36)}`],
    ["db.ts", `const url = "postgres://postgres:postgres@localhost:5432/app";`],
    ["db.ts", "const url = `postgres://app:${process.env.DB_PASSWORD}@db:5432/app`;"],
    ["db.ts", `const url = "postgres://app:password@db.internal:5432/app";`],
    ["a.sh", "curl https://user:pass@example.com/x"],
    ["README.md", j("```\n-----BEGIN RSA ", "PRIVATE KEY-----\n...\n-----END RSA ", "PRIVATE KEY-----\n```")],
    [".env", "GITHUB_TOKEN=${GITHUB_TOKEN}"],
  ])("leaves placeholders alone (%s: %s)", async (path, text) => {
    expect(await detectSecrets(text, { path })).toEqual([]);
  });

  it("returns nothing for empty text", async () => {
    expect(await detectSecrets("")).toEqual([]);
  });
});

describe("the redactor knows every format the detector reports", () => {
  const others = [
    "shopify",
    "grafanaCloud",
    "grafanaServiceAccount",
    "groq",
    "linear",
    "notion",
    "onePassword",
    "vault",
    "vercel",
    "databricks",
    "docker",
    "figma",
    "cloudflare",
    "tailscale",
    "githubAppJwt",
    "githubApp",
    "githubUser",
  ] as const;

  it.each(others)("%s: detected by secretlint and hidden whole by the redactor", async (name) => {
    const value = FAKE[name];
    const text = `const key = "${value}";\n`;
    const found = await detectSecrets(text, { path: "src/keys.ts" });
    expect(found.length).toBeGreaterThan(0);
    const out = redactSecrets(text);
    for (const d of found) for (const v of d.values) expect(out).not.toContain(v.slice(-12));
    expect(out).not.toContain(value.slice(6, 14));
  });

  it("hides the token of a `TOKEN:x-oauth-basic@github.com` URL, which is its user name", () => {
    const out = redactSecrets(`git clone ${FAKE.githubOauthUrl}`);
    expect(out).not.toContain(FAKE.githubOauthUrl.slice(8, 40));
    expect(out).toContain("@github.com/acme/lib.git");
  });

  it("hides .npmrc auth tokens of any format (the legacy UUID too)", () => {
    const out = redactSecrets(
      `//registry.npmjs.org/:_authToken=${FAKE.npmLegacy}\n_auth=${Buffer.from(`u:${FAKE.password}`).toString("base64")}`,
    );
    expect(out).not.toContain(FAKE.npmLegacy.slice(0, 8));
    expect(out.match(/\[REDACTED:npm-token\]/g)).toHaveLength(2);
  });

  it("every value secretlint finds in the pull request fixture is hidden by the redactor alone", async () => {
    for (const file of leakyPullRequest().files) {
      const found = await detectSecrets(file.text, { path: file.path });
      const out = redactSecrets(file.text);
      for (const d of found)
        for (const v of d.values)
          for (const part of v.split(/\r?\n|\\n/))
            if (part.trim().length >= 12) expect([file.path, out.includes(part.trim())]).toEqual([file.path, false]);
    }
  });
});

describe("redact: the one step at every boundary", () => {
  it("hides the values found in the pull request under review, only inside that review's scope", async () => {
    const value = "Qm4pL8sTz0vWkR2n"; // no vendor shape: only the found values hide it
    const text = `staging logs in with ${value}`;
    expect(redact(text)).toBe(text);
    const found: string[] = [];
    const inside = withKnownSecrets(found, async () => {
      const before = redact(text);
      found.push(value); // the review fills the list once its analysis is done
      await new Promise((r) => setTimeout(r, 1));
      return [before, redact(text)];
    });
    const other = withKnownSecrets(["something-else-entirely"], async () => {
      await new Promise((r) => setTimeout(r, 2));
      return redact(text);
    });
    expect(await inside).toEqual([text, "staging logs in with [REDACTED]"]);
    expect(await other).toBe(text); // a concurrent job does not see another's values
    expect(redact(text)).toBe(text);
  });

  it("is applied before any cut: a token cut short is no longer recognised, so the cut comes after", () => {
    const text = `Rotate ${FAKE.github} before the release, please`;
    expect(redactSecrets(text.slice(0, 28))).toContain(FAKE.github.slice(0, 20)); // why: cut first, and the head shows
    expect(redact(text).slice(0, 28)).not.toContain(FAKE.github.slice(4, 12));
  });

  it("redactDeep redacts every string of a record (keys too) and leaves other values alone", () => {
    const when = new Date(0);
    const out = redactDeep({ title: `fix ${FAKE.github}`, n: 3, list: [FAKE.stripe, null, true], nested: { [FAKE.npm]: "k" }, when });
    expect(JSON.stringify(out)).not.toMatch(new RegExp([FAKE.github, FAKE.stripe, FAKE.npm].map((v) => v.slice(4, 12)).join("|")));
    expect(out.n).toBe(3);
    expect(out.list[1]).toBeNull();
    expect(out.when).toBe(when);
  });
});

describe("the format table: one source for the detector and the redactor", () => {
  it("covers the common providers, each format with a fake sample", () => {
    expect(TOKEN_FORMATS.length).toBeGreaterThanOrEqual(140);
    for (const p of [
      "GitHub",
      "GitLab",
      "Slack",
      "Stripe",
      "Twilio",
      "SendGrid",
      "Mailgun",
      "Mailchimp",
      "npm",
      "PyPI",
      "Hugging Face",
      "OpenAI",
      "Anthropic",
      "AWS",
      "Google",
      "Azure",
      "Shopify",
      "Datadog",
      "DigitalOcean",
      "Heroku",
      "Postman",
      "Doppler",
      "Pulumi",
      "Linear",
      "Notion",
      "Databricks",
      "Docker",
      "Grafana",
      "HashiCorp Vault",
      "Vercel",
      "Cloudflare",
      "Sentry",
      "New Relic",
      "Atlassian",
      "Discord",
      "Telegram",
      "Square",
      "PayPal Braintree",
      "Okta",
      "Dropbox",
      "Figma",
      "PlanetScale",
      "Supabase",
      "Terraform Cloud",
      "age",
    ])
      expect(providers()).toContain(p);
    expect(TOKEN_FORMATS.filter((f) => !FORMAT_SAMPLES[f.id]).map((f) => f.id)).toEqual([]);
    expect(new Set(TOKEN_FORMATS.map((f) => f.id)).size).toBe(TOKEN_FORMATS.length);
  });

  it("has linear-time patterns only: bounded quantifiers, no repeated group holding a quantifier, real anchors", () => {
    for (const f of TOKEN_FORMATS) {
      // Character classes and escapes hold no quantifiers; what is left must be bounded.
      const bare = f.re.source.replace(/\\./g, "x").replace(/\[[^\]]*\]/g, "c");
      expect([f.id, /[+*]|\{\d+,\}/.test(bare)]).toEqual([f.id, false]);
      expect([f.id, /\([^()]*(?:\{\d|[+*])[^()]*\)(?:\{|[+*])/.test(bare)]).toEqual([f.id, false]);
      for (const a of f.anchors) expect([f.id, a.length >= 2]).toEqual([f.id, true]);
    }
  });

  it.each(TOKEN_FORMATS.map((f) => [f.id, f] as const))(
    "%s: found with its exact value, reported under its label, hidden by the redactor",
    async (id, f) => {
      const { text, value } = FORMAT_SAMPLES[id];
      const found = scanFormats(text).find((m) => m.source === id);
      expect(found?.value).toBe(value);
      const redacted = redactSecrets(text);
      expect(redacted).toContain(`[REDACTED:${f.kind}]`);
      expect(redacted).not.toContain(value.slice(Math.floor(value.length / 2) - 4, Math.floor(value.length / 2) + 4));
      const detected = await detectSecrets(text, { path: "src/keys.ts", quotedOnly: true });
      if (found?.report === false) return;
      expect(detected.map((d) => d.messageId)).toContain(id);
      for (const d of detected) for (const v of d.values) expect(redacted).not.toContain(v);
    },
  );

  it("rates root keys critical, provider formats high, weaker shapes medium", async () => {
    const severity = async (id: string) =>
      (await detectSecrets(FORMAT_SAMPLES[id].text, { withoutSecretlint: true })).find((d) => d.messageId === id)?.severity;
    for (const id of ["aws-secret-access-key", "azure-storage-account-key", "age-secret-key"]) expect(await severity(id)).toBe("critical");
    for (const id of ["github-pat", "gitlab-pat", "slack-bot", "stripe-live", "npm-token", "openai-key", "aws-access-key-id"])
      expect(await severity(id)).toBe("high");
    for (const id of ["stripe-test", "jwt", "google-oauth-access-token", "sk-secret-key"]) expect(await severity(id)).toBe("medium");
  });

  it("raises confidence when a GitHub or npm token's CRC32 check digit is right, and still reports one whose tail is off", async () => {
    const good = checkedToken("ghp_", 300);
    expect(hasCrc32Tail(good, 4)).toBe(true);
    expect(hasCrc32Tail(FAKE.github, 4)).toBe(false);
    const [checked] = await detectSecrets(`token: ${good}`, { withoutSecretlint: true });
    const [unchecked] = await detectSecrets(`token: ${FAKE.github}`, { withoutSecretlint: true });
    expect([checked.confidence, checked.severity]).toEqual([0.99, "high"]);
    expect([unchecked.confidence, unchecked.severity]).toEqual([0.9, "high"]);
    expect(scanFormats(`NPM_TOKEN=${checkedToken("npm_", 301)}`)[0].confidence).toBe(0.99);
  });

  it("makes an AWS key pair critical: the id, and a 40-character secret beside it even without a name", async () => {
    const secret = j(randomString(18, 310), "/", randomString(21, 311));
    const text = `session = boto3.Session(\n    "${FAKE.awsId}",\n    "${secret}",\n)`;
    const found = await detectSecrets(text, { withoutSecretlint: true, quotedOnly: true });
    expect(found.map((d) => [d.label, d.severity])).toEqual([
      ["AWS access key ID", "critical"],
      ["AWS secret access key", "critical"],
    ]);
    expect(redactSecrets(text)).not.toContain(secret);
    expect((await detectSecrets(`const id = "${FAKE.awsId}";`, { withoutSecretlint: true })).map((d) => d.severity)).toEqual(["high"]);
  });

  it("reads JWTs: a Supabase service role key is high, the anon key and jwt.io's example are public (hidden, not reported)", async () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const jwt = (payload: object) => j(part({ alg: "HS256", typ: "JWT" }), ".", part(payload), ".", randomString(43, 320));
    const service = jwt({ iss: "supabase", ref: "abcdefghijklmnop", role: "service_role", iat: 1700000000 });
    const anon = jwt({ iss: "supabase", ref: "abcdefghijklmnop", role: "anon", iat: 1700000000 });
    expect((await detectSecrets(`SUPABASE_KEY=${service}`, { withoutSecretlint: true })).map((d) => [d.label, d.severity])).toEqual([
      ["Supabase service role key", "high"],
    ]);
    for (const t of [anon, FAKE.jwt]) {
      expect(await detectSecrets(`const key = "${t}";`, { withoutSecretlint: true, quotedOnly: true })).toEqual([]);
      expect(redactSecrets(`key ${t}`)).toBe("key [REDACTED:jwt]");
    }
    // A JWT nothing calls a credential (a sample in a list), or one that has expired: low.
    const plain = jwt({ sub: "user-42", iat: 1700000000 });
    expect((await detectSecrets(`const samples = ["${plain}"];`, { withoutSecretlint: true })).map((d) => d.severity)).toEqual(["low"]);
    expect(
      (await detectSecrets(`headers = {"Authorization": "Bearer ${plain}"}`, { withoutSecretlint: true })).map((d) => d.severity),
    ).toEqual(["medium"]);
    expect(
      (await detectSecrets(`token = "${jwt({ sub: "user-42", exp: 1500000000 })}"`, { withoutSecretlint: true })).map((d) => [
        d.label,
        d.severity,
      ]),
    ).toEqual([["expired JSON Web Token", "low"]]);
    // Not a JWT: the header does not decode to JSON with an algorithm.
    expect(scanFormats(j("eyJ", randomString(30, 321), ".eyJ", randomString(30, 322), ".", randomString(30, 323)))).toEqual([]);
  });

  it("rates a Firebase web config's API key low (public by design) and a password for localhost low", async () => {
    const firebase = `const firebaseConfig = {\n  apiKey: "${FAKE.google}",\n  authDomain: "acme.firebaseapp.com",\n};`;
    expect((await detectSecrets(firebase, { withoutSecretlint: true, quotedOnly: true })).map((d) => d.severity)).toEqual(["low"]);
    expect(
      (
        await detectSecrets(`const url = "postgres://app:Zq8rT4mK2vL1@localhost:5432/app";`, { withoutSecretlint: true, quotedOnly: true })
      ).map((d) => d.severity),
    ).toEqual(["low"]);
    expect(
      (
        await detectSecrets(`const url = "postgres://app:Zq8rT4mK2vL1@db.acme.io:5432/app";`, { withoutSecretlint: true, quotedOnly: true })
      ).map((d) => [d.label, d.severity]),
    ).toEqual([["PostgreSQL connection string with a password", "high"]]);
  });

  it("names a provider token used as a URL's password by its provider", async () => {
    const text = `git push https://x-access-token:${FAKE.githubUser}@github.com/acme/site.git`;
    expect((await detectSecrets(text, { withoutSecretlint: true })).map((d) => d.label)).toEqual(["GitHub App user token"]);
    expect(redactSecrets(text)).not.toContain(FAKE.githubUser.slice(4, 12));
  });

  it.each([
    ["a prefix alone", `if (key.startsWith("sk_live_")) throw new Error("live key");`],
    ["a pattern", "const re = /ghp_[A-Za-z0-9]{36}/;"],
    ["a token inside a longer word", `const id = "x${FAKE.github}";`],
    ["a token cut short", `token: ${FAKE.github.slice(0, 30)}`],
    ["a token run on too long", `token: ${FAKE.github}${randomString(230, 330)}`],
    ["placeholders", `token: ghp_${"x".repeat(36)} key: AKIAIOSFODNN7EXAMPLE stripe: sk_live_${"0".repeat(24)}`],
    ["a documentation body", `token = "glpat-your-token-goes-here-123"`],
    ["a Mailgun-like key with no Mailgun around", `const cacheKey = "key-${randomString(32, 331, "0123456789abcdef")}";`],
    ["AWS ids of users and roles", `"RoleId": "AROA${randomString(16, 332, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}"`],
    ["an IPv6 address", "listen [2001:db8::AAAA:1]:443"],
    [
      "base64 image data",
      `src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="`,
    ],
  ])("does not report %s", async (_name, text) => {
    expect(await detectSecrets(text, { path: "src/a.ts", quotedOnly: true })).toEqual([]);
  });
});

describe("secrets in configuration files and scripts", () => {
  const value = "Xk29sLq0aZ7mQ4wR";
  it.each([
    [".env", `DB_PASSWORD=${value}`],
    ["config/app.properties", `spring.datasource.password=${value}`],
    ["config/app.properties", `mail.smtp.password: ${value}`],
    ["settings.ini", `[database]\npassword = ${value}`],
    ["setup.cfg", `[pypi]\nusername = __token__\npassword = ${value}`],
    ["config.toml", `[server]\napi_key = "${value}"`],
    ["notes.txt", `the staging password: ${value}`],
    ["app.conf", `[upstream]\napi_token = ${value}`],
    ["values.yaml", `database:\n  password: ${value}`],
    ["config.yml", `api:\n  secret_key: "${value}"`],
    ["app.json", `{ "auth": { "client_secret": "${value}" } }`],
    [".npmrc", `//npm.acme.io/:_password=${Buffer.from(value).toString("base64")}`],
    [".pypirc", `[pypi]\npassword: ${value}`],
    ["Dockerfile", `ENV DB_PASSWORD=${value}`],
    ["Dockerfile", `ENV DB_PASSWORD ${value}`],
    ["Dockerfile", `ARG API_TOKEN="${value}"`],
    ["deploy.sh", `export API_TOKEN="${value}"`],
    ["deploy.sh", `curl -u deploy:${value} https://ci.acme.io/api`],
    ["deploy.sh", `mysql --password ${value} -h db.acme.io`],
    ["k8s/deployment.yaml", `env:\n  - name: DB_PASSWORD\n    value: "${value}"`],
    ["docker-compose.yml", `environment:\n  - POSTGRES_PASSWORD=${value}`],
    ["anywhere.md", `connect with amqp://orders:${value}@mq.acme.io/vhost`],
  ])("%s: %s", async (path, text) => {
    const found = await detectSecrets(text, { path, withoutSecretlint: true });
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((d) => d.severity === "medium" || d.severity === "high")).toBe(true);
    const out = redactSecrets(text);
    expect(out).not.toContain(value);
    expect(out).not.toContain(Buffer.from(value).toString("base64"));
  });

  it.each([
    ["Go libpq DSN", "src/db.go", `db, err := sql.Open("postgres", "host=db.acme.io user=app password=${value} dbname=orders")`],
    ["ADO.NET connection string", "src/Db.cs", `var cs = "Server=db.acme.io;Database=orders;User Id=sa;Password=${value};";`],
    ["JDBC URL parameters", "src/Db.java", `String url = "jdbc:postgresql://db.acme.io/orders?user=app&password=${value}";`],
    ["JDBC getConnection", "src/Db.java", `Connection c = DriverManager.getConnection(url, "app", "${value}");`],
    ["JavaMail PasswordAuthentication", "src/Mail.java", `return new PasswordAuthentication("bot@acme.io", "${value}".toCharArray());`],
    ["smtplib login", "mail.py", `server.login("bot@acme.io", "${value}")`],
    ["requests basic auth", "api.py", `requests.get(url, auth=("svc", "${value}"))`],
    ["a bearer header", "src/api.ts", `fetch(url, { headers: { Authorization: "Bearer ${value}Qz" } });`],
    ["a basic header", "src/api.ts", `headers["Authorization"] = "Basic ${Buffer.from(`svc:${value}`).toString("base64")}";`],
  ])("finds a password in %s", async (_name, path, text) => {
    const found = await detectSecrets(text, { path, quotedOnly: true, withoutSecretlint: true });
    expect(found.map((d) => d.severity)).toEqual(["medium"]);
    expect(redactKnownSecrets(text, found[0].values)).not.toContain(value);
    expect(redactSecrets(text)).not.toContain(value);
  });
});

describe("known false alarms stay away", () => {
  it.each([
    ["${VAR}", ".env", "API_TOKEN=${API_TOKEN}"],
    ["${VAR:?msg}", "docker-compose.yml", "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"],
    ["${VAR:-default}", "docker-compose.yml", "API_TOKEN: ${API_TOKEN:-dev}"],
    ["$VAR", "deploy.sh", 'curl -H "Authorization: Bearer $API_TOKEN" https://api.acme.io'],
    ["%(var)s", "app.ini", "password = %(db_password)s"],
    ["{{ var }}", "values.yaml", "password: {{ .Values.db.password }}"],
    ["{var}", "src/fmt.py", 'password = "{db_password}"'],
    ["<your-token>", "README.md", "token: <your-token>"],
    ["changeme", ".env", "DB_PASSWORD=changeme"],
    ["xxx", ".env", "API_KEY=xxxxxxxxxxxxxxxx"],
    ["********", "config.yml", "password: ********"],
    ["os.environ[...]", "settings.py", 'SECRET_KEY = os.environ["SECRET_KEY"]'],
    ["process.env.X", "src/config.ts", "const apiKey = process.env.API_KEY;"],
    ["getenv(...)", "main.go", 'password := os.Getenv("DB_PASSWORD")'],
    [
      "AWS's documented keys",
      "docs.md",
      "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nAWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ],
    ["a route", "src/routes.tsx", '<Link to="/recover-password">Forgot your password?</Link>\n<Route path="/reset-password/:token" />'],
    ["a label", "src/Login.tsx", '<label htmlFor="password">Password</label>\nconst passwordLabel = "Enter your password";'],
    [
      "a field or column name",
      "models.py",
      'password = models.CharField(max_length=128)\ncolumns = {"password": "VARCHAR(255)", "api_key": "api_key_hash"}',
    ],
    [
      "an i18n string",
      "src/i18n/es.ts",
      'export default { password: "Contraseña", token_expired: "Tu sesión ha caducado", secret: "Geheimnis" };',
    ],
    ["a form input name", "src/Form.tsx", '<input type="password" name="new_password" autoComplete="new-password" />'],
    ["a type name", "src/types.ts", 'type Creds = { password: string; token: AccessToken };\nconst apiKey: ApiKeyType = "ApiKeyType";'],
    ["a test-data generator", "src/factories.ts", "export const randomPassword = () => `${Math.random().toString(36).slice(2)}Aa1!`;"],
    ["a validation rule", "app/Http/Requests/Register.php", "'password' => 'required|string|min:8|confirmed',"],
    ["a validation pattern", "src/validate.ts", 'const rules = { password: "^(?=.*[A-Z])(?=.*\\\\d).{8,}$" };'],
    ["a camelCase name", "src/keys.ts", 'const apiKey = "GoogleMapsKey";'],
    ["a base64 placeholder", "k8s/secret.yaml", "data:\n  password: cGFzc3dvcmQ="],
  ])("%s", async (_name, path, text) => {
    const quotedOnly = /\.(?:[jt]sx?|py|go|php)$/.test(path);
    expect(await detectSecrets(text, { path, quotedOnly })).toEqual([]);
  });

  it("rates plain test data low: a guessable password", async () => {
    expect(
      (await detectSecrets(`const user = { password: "admin123" };`, { quotedOnly: true, withoutSecretlint: true })).map((d) => d.severity),
    ).toEqual(["low"]);
  });
});

describe("hostile input: the scans finish on a megabyte of near-misses (timings: npm run bench:secrets)", () => {
  it.each(HOSTILE_SECRET_INPUTS)("%s", async (name, make) => {
    // A 1 MB line of almost nothing found; half a megabyte when it holds tens of thousands of secrets.
    const text = make(/^thousands/.test(name) ? MB / 2 : MB);
    expect(typeof redactSecrets(text)).toBe("string");
    const found = await detectSecrets(text, { path: "x.env", withoutSecretlint: true });
    if (/^thousands/.test(name)) expect(found.length).toBeGreaterThan(100); // each one found, none dropped by the overlap checks
    await detectSecrets(text, { path: "x.ts", quotedOnly: true, withoutSecretlint: true });
  });
});
