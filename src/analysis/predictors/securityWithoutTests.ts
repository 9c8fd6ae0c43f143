/**
 * Security-sensitive code (authentication, sessions, tokens, crypto, permissions) changed in a
 * pull request that changes no test: a regression there locks users out or lets strangers in,
 * and nothing in the pull request would catch it.
 */
import { isTestFile } from "../paths.js";
import type { SyncAnalyzer, Prediction } from "../types.js";
import { firstChangedLine, makePrediction } from "./predict.js";

/** Whole words of a path (split on separators and camelCase), so "authors.ts" is not "auth". */
function pathWords(path: string): string[] {
  return path
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

const SENSITIVE = new Set([
  "auth",
  "authn",
  "authz",
  "authentication",
  "authenticate",
  "authenticator",
  "authorization",
  "authorize",
  "authorizer",
  "login",
  "logout",
  "signin",
  "session",
  "sessions",
  "token",
  "tokens",
  "password",
  "passwords",
  "passwd",
  "crypto",
  "cryptography",
  "encryption",
  "permission",
  "permissions",
  "acl",
  "acls",
  "oauth",
  "oauth2",
  "jwt",
  "jwks",
  "security",
  "csrf",
  "rbac",
  "saml",
  "sso",
  "mfa",
  "otp",
  "credential",
  "credentials",
]);

const CODE = /\.(?:[cm]?[jt]sx?|py|go|rb|java|kt|kts|scala|cs|php|rs|swift|ex|exs|erl|clj|c|cc|cpp|h|hpp)$/i;

export function isSecuritySensitive(path: string): boolean {
  return CODE.test(path) && !isTestFile(path) && pathWords(path).some((w) => SENSITIVE.has(w));
}

export const securityWithoutTestsPredictor: SyncAnalyzer = {
  name: "security-without-tests",
  analyze(input) {
    const predictions: Prediction[] = [];
    if (input.files.some((f) => isTestFile(f.path))) return { findings: [], predictions };
    for (const file of input.files) {
      if (file.binary || !isSecuritySensitive(file.path)) continue;
      const at = firstChangedLine(file);
      if (!at) continue;
      predictions.push(
        makePrediction({
          kind: "security-change-without-tests",
          path: file.path,
          at,
          prediction: `Security-sensitive code in \`${file.path}\` changes and no test changes with it: a regression here can lock users out or let unauthorised users in, and nothing in this pull request would catch it.`,
          confidence: 0.65,
          severity: "medium",
          impact: "Users who cannot sign in or reach what they are allowed to, or attackers who reach what they are not.",
          tags: ["security", "needs-tests"],
          recommendation:
            "Add or update tests for this change: the allowed case, the denied case (wrong user, expired or tampered token, missing permission) and the edge cases.",
          identity: "", // one per file, stable whatever line changes
        }),
      );
    }
    return { findings: [], predictions };
  },
};
