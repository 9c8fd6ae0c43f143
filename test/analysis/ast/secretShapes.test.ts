/**
 * Hard-coded secrets in the shapes Go and Java code (and setters anywhere) use: the generic
 * check of src/analysis/secrets.ts through the secrets analyser. Values are random, made for
 * these tests.
 */
import { parsePatch } from "../../../src/analysis/diff.js";
import { findGenericSecrets } from "../../../src/analysis/secrets.js";
import { secretsAnalyzer } from "../../../src/analysis/secretsAnalyzer.js";
import { addedFilePatch } from "./helpers.js";

async function secretLines(path: string, code: string): Promise<number[]> {
  const out = await secretsAnalyzer.analyze({ files: [parsePatch(path, addedFilePatch(code))], fileContents: new Map([[path, code]]) });
  return out.findings.map((f) => f.line);
}

describe("generic secrets: Go and Java shapes", () => {
  it.each([
    ["Go []byte conversion", 'var jwtKey = []byte("q8Zr3vT1pXk9LwY2sB7nHc4m")', "q8Zr3vT1pXk9LwY2sB7nHc4m"],
    ["Go := with []byte", 'hmacSecret := []byte("hJ7kL2mN9pQ4rS6tV8wX")', "hJ7kL2mN9pQ4rS6tV8wX"],
    ["Go typed var", 'var apiSecret string = "Vt9kq2LmZ8xR4wPb7NcY"', "Vt9kq2LmZ8xR4wPb7NcY"],
    ["Go os.Setenv", 'os.Setenv("DB_PASSWORD", "Xq7vR2pLm9sT4wZk")', "Xq7vR2pLm9sT4wZk"],
    ["Java setter", 'cfg.setPassword("Rk8#vQ2z!Lm4pX9w");', "Rk8#vQ2z!Lm4pX9w"],
    ["Java builder", '.password("Hn4@wQ8s!Zt2kLp7")', "Hn4@wQ8s!Zt2kLp7"],
    ["Java properties", 'props.put("mail.smtp.password", "Gv7$kP2m!Qx9rT3z");', "Gv7$kP2m!Qx9rT3z"],
    ["a getenv default", 'String key = System.getenv().getOrDefault("API_TOKEN", "Tz8pQ2wLk5mN7vXc");', "Tz8pQ2wLk5mN7vXc"],
    ["Python bytes", "app.secret_key = b'Wq9zL2kT7vP4mX8s'", "Wq9zL2kT7vP4mX8s"],
    ["Python config item", 'app.config["SECRET_KEY"] = "Xq7vR2pLm9sT4wZk"', "Xq7vR2pLm9sT4wZk"],
    ["a JS setter", 'sgMail.setApiKey("Pq3mZ8vL2kX7wR4tN9sB");', "Pq3mZ8vL2kX7wR4tN9sB"],
  ])("%s", (_name, text, value) => {
    const found = findGenericSecrets(text, { quotedOnly: true });
    expect(found.map((f) => text.slice(f.start, f.end))).toEqual([value]);
  });

  it.each([
    'cfg.setPassword(System.getenv("DB_PASSWORD"));',
    'cfg.setPassword("changeme");',
    'user.hashPassword("Rk8#vQ2z!Lm4pX9w")',
    'if (!encoder.matches(checkPassword("Rk8#vQ2z!Lm4pX9w"), stored)) {}',
    'var jwtKey = []byte(os.Getenv("JWT_KEY"))',
    'var keyName = []byte("signing-key-name")',
    'token := r.Header.Get("X-Auth-Token")',
    'props.put("mail.smtp.password", passwordFromVault);',
    'System.setProperty("javax.net.ssl.trustStorePassword", "changeit");',
  ])("not a secret: %s", (text) => {
    expect(findGenericSecrets(text, { quotedOnly: true })).toEqual([]);
  });

  it("reports the Go key and the Java datasource password on their lines, and a repeated line twice", async () => {
    const go = ["package auth", "", 'var jwtKey = []byte("q8Zr3vT1pXk9LwY2sB7nHc4m")', ""].join("\n");
    expect(await secretLines("auth/jwt.go", go)).toEqual([3]);
    const java = [
      "class DataSourceConfig {",
      "  DataSource primary() {",
      "    HikariConfig cfg = new HikariConfig();",
      '    cfg.setPassword("Rk8#vQ2z!Lm4pX9w");',
      "    return new HikariDataSource(cfg);",
      "  }",
      "  DataSource replica() {",
      "    HikariConfig cfg = new HikariConfig();",
      '    cfg.setPassword("Rk8#vQ2z!Lm4pX9w");',
      "    return new HikariDataSource(cfg);",
      "  }",
      "}",
    ].join("\n");
    const out = await secretsAnalyzer.analyze({
      files: [parsePatch("src/DataSourceConfig.java", addedFilePatch(java))],
      fileContents: new Map([["src/DataSourceConfig.java", java]]),
    });
    expect(out.findings.map((f) => f.line)).toEqual([4, 9]);
    expect(new Set(out.findings.map((f) => f.fingerprint)).size).toBe(2);
  });
});
