import { isSecuritySensitive, securityWithoutTestsPredictor } from "../../../src/analysis/predictors/securityWithoutTests.js";
import { file, predict } from "./helpers.js";

const change = (path: string) => file(path, [" const a = 1;", "-const ttl = 3600;", "+const ttl = 86400;"], 20);

describe("securityWithoutTests predictor", () => {
  it("predicts for a security-sensitive file changed without tests", () => {
    const preds = predict(securityWithoutTestsPredictor, [change("src/middleware/auth.ts"), change("README.md")]);
    expect(preds).toHaveLength(1);
    expect(preds[0]).toMatchObject({
      kind: "security-change-without-tests",
      path: "src/middleware/auth.ts",
      line: 21,
      side: "RIGHT",
      tags: ["security", "needs-tests"],
    });
  });

  it("anchors on a deleted line when the file only loses lines", () => {
    const [p] = predict(securityWithoutTestsPredictor, [file("app/session_store.py", [" x = 1", "-y = 2"], 5)]);
    expect(p).toMatchObject({ side: "LEFT", line: 6 });
  });

  it.each([
    "test/auth.test.ts",
    "src/__tests__/login.ts",
    "src/auth/jwt.spec.ts",
    "tests/test_login.py",
    "app/auth_test.py",
    "pkg/auth/token_test.go",
  ])("stays quiet when a test changes too (%s)", (testPath) => {
    expect(predict(securityWithoutTestsPredictor, [change("src/auth/jwt.ts"), change(testPath)])).toEqual([]);
  });

  it("recognises security areas by whole words", () => {
    for (const p of [
      "src/auth/index.ts",
      "lib/oauthCallback.js",
      "app/permissions.py",
      "src/AuthService.ts",
      "pkg/crypto/aes.go",
      "src/routes/login.tsx",
      "src/acl.rb",
    ])
      expect(isSecuritySensitive(p)).toBe(true);
    for (const p of ["src/authors.ts", "lib/oracle.js", "docs/auth.md", "src/tokenizer.ts", "test/auth.test.ts", "src/auth/logo.png"])
      expect(isSecuritySensitive(p)).toBe(false);
  });
});
