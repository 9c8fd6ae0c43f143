/**
 * A throw-away RSA key for Probot's `appId`/`privateKey` in tests.
 * Generated once per module registry (i.e. once per jest test file, ~50-200 ms).
 */
import { generateKeyPairSync } from "node:crypto";

let cached: string | undefined;

/**
 * RSA 2048 private key, PEM, PKCS#1 ("-----BEGIN RSA PRIVATE KEY-----"),
 * the format GitHub hands out for GitHub Apps.
 */
export function testPrivateKey(): string {
  if (!cached) {
    const { privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs1", format: "pem" },
    });
    cached = privateKey;
  }
  return cached;
}
