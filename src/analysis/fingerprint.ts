/**
 * Stable identities for findings and predictions, so the same problem is recognised across
 * pushes: the line number is left out on purpose (code moves), the code itself is kept.
 */
import { createHash } from "node:crypto";

/** Whitespace differences (re-indentation, trailing spaces) must not create a new finding. */
export function normaliseCode(code: string): string {
  return code.replace(/\s+/g, " ").trim();
}

/** sha256 of rule, path and normalised code; first 16 hex characters. */
export function fingerprint(rule: string, path: string, code: string): string {
  return createHash("sha256")
    .update(`${rule}\u0000${path}\u0000${normaliseCode(code)}`)
    .digest("hex")
    .slice(0, 16);
}

/** Prediction ids are derived from the fingerprint so they are stable too. */
export function predictionId(fp: string): string {
  return `pred-${fp.slice(0, 12)}`;
}
