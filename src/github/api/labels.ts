/** Labels the app puts on pull requests and prediction issues, created with a colour and description when missing. */
import { SECURITY_CATEGORIES, type Finding, type Prediction } from "../../analysis/types.js";
import type { Octokit, RepoRef } from "./types.js";
import { httpStatus } from "./errors.js";

export const LABELS: Record<string, { color: string; description: string }> = {
  "empathy: security": { color: "b60205", description: "Empathy found a security problem" },
  "empathy: prediction": { color: "5319e7", description: "Empathy predicts something will break" },
  "empathy: needs-tests": { color: "fbca04", description: "Sensitive code changed without tests" },
  "empathy: breaking-change": { color: "d93f0b", description: "A contract or schema change may break its users" },
  "empathy: systemic-fix": { color: "0e8a16", description: "A pattern found in three or more pull requests: a systemic fix" },
};

export function labelsFor(findings: Finding[], predictions: Prediction[]): string[] {
  const labels = new Set<string>();
  if (findings.some((f) => SECURITY_CATEGORIES.has(f.category))) labels.add("empathy: security");
  if (predictions.length > 0) labels.add("empathy: prediction");
  if (findings.some((f) => f.category === "missing-tests") || predictions.some((p) => p.tags.includes("needs-tests"))) {
    labels.add("empathy: needs-tests");
  }
  if (predictions.some((p) => p.tags.includes("breaking-change"))) labels.add("empathy: breaking-change");
  return [...labels];
}

/** Creates the label if the repository does not have it yet (a 422 means someone just created it). */
export async function ensureLabel(octokit: Octokit, ref: RepoRef, name: string): Promise<void> {
  try {
    await octokit.rest.issues.getLabel({ ...ref, name });
    return;
  } catch (error) {
    if (httpStatus(error) !== 404) throw error;
  }
  const style = LABELS[name] ?? { color: "ededed", description: "Added by Empathy" };
  try {
    await octokit.rest.issues.createLabel({ ...ref, name, color: style.color, description: style.description });
  } catch (error) {
    if (httpStatus(error) !== 422) throw error;
  }
}

/** Adds the labels the item does not carry yet. */
export async function addLabels(
  octokit: Octokit,
  ref: RepoRef,
  issueNumber: number,
  wanted: string[],
  current: string[],
): Promise<string[]> {
  const missing = wanted.filter((l) => !current.includes(l));
  if (missing.length === 0) return [];
  for (const name of missing) await ensureLabel(octokit, ref, name);
  await octokit.rest.issues.addLabels({ ...ref, issue_number: issueNumber, labels: missing });
  return missing;
}
