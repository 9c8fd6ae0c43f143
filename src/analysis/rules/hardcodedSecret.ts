/** Secrets added in any text file. The message names the kind of secret, never its value. */
import { isTestFile } from "../paths.js";
import { findSecrets, type SecretKind } from "../secrets.js";
import type { Severity } from "../types.js";
import type { Rule } from "./types.js";

const LABEL: Record<SecretKind, string> = {
  "aws-access-key-id": "AWS access key id",
  "aws-secret-access-key": "AWS secret access key",
  "github-token": "GitHub token",
  "slack-token": "Slack token",
  "slack-webhook": "Slack webhook URL",
  "stripe-secret-key": "Stripe live secret key",
  "google-api-key": "Google API key",
  "private-key": "private key",
  jwt: "JSON Web Token",
  "url-credentials": "password in a URL",
  "generic-secret": "password or secret",
};

/** Vendor formats are near-certain; a high-entropy value named "password" less so. */
const CONFIDENCE: Record<SecretKind, number> = {
  "aws-access-key-id": 0.9,
  "aws-secret-access-key": 0.9,
  "github-token": 0.95,
  "slack-token": 0.9,
  "slack-webhook": 0.9,
  "stripe-secret-key": 0.95,
  "google-api-key": 0.85,
  "private-key": 0.95,
  jwt: 0.7,
  "url-credentials": 0.75,
  "generic-secret": 0.6,
};

const CRITICAL = new Set<SecretKind>(["aws-access-key-id", "aws-secret-access-key", "github-token", "stripe-secret-key", "private-key"]);

export const hardcodedSecret: Rule = {
  id: "secrets/hardcoded-secret",
  category: "hardcoded-secret",
  severity: "high",
  confidence: 0.6,
  languages: "any",
  message: "A secret is committed in the code.",
  recommendation:
    "Revoke and rotate the secret now (it is in the git history), then load it from the environment or a secret manager instead of the code.",
  match(line, ctx) {
    const found = findSecrets(line);
    if (found.length === 0) return false;
    const kinds = [...new Set(found.map((f) => f.kind))];
    const severity: Severity = kinds.some((k) => CRITICAL.has(k)) ? "critical" : "high";
    return {
      message: `A ${kinds.map((k) => LABEL[k]).join(", ")} is committed in the code: anyone who can read the repository can use it.`,
      // Test fixtures often hold deliberate throwaway keys: still reported, with less certainty.
      confidence: Math.max(...kinds.map((k) => CONFIDENCE[k])) - (isTestFile(ctx.path) ? 0.25 : 0),
      severity,
    };
  },
};
