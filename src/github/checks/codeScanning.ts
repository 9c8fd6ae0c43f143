/**
 * Uploads a review's findings to GitHub code scanning (`checks.code_scanning: true`), as the SARIF
 * log the CLI writes (report/sarif.ts), gzip + base64 as the API asks. It needs the optional
 * `security_events: write` permission and code scanning enabled on the repository: without them
 * GitHub answers 403/404, which is said once per repository and never fails the review (the
 * check run and the comments are the review; code scanning is an extra view of it).
 */
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { redact } from "../../analysis/secrets.js";
import type { Finding } from "../../analysis/types.js";
import { buildSarifLog, SARIF_TOOL_NAME, type SarifTool } from "../../report/sarif.js";
import { errorMessage } from "../../text/errorMessage.js";
import { httpStatus } from "../api/errors.js";
import type { Log, Octokit, RepoRef } from "../api/types.js";

/** GitHub's limit on the gzip-compressed SARIF file. */
export const MAX_SARIF_GZIP_BYTES = 10 * 1024 * 1024;

export type UploadOutcome = "uploaded" | "not_allowed" | "too_large" | "failed";

/** The ref code scanning files a pull request's analysis under: the head commit was analysed, not the merge commit. */
export function pullRequestRef(pullNumber: number): string {
  return `refs/pull/${pullNumber}/head`;
}

/** The log as the upload API takes it: gzip, then base64. */
export function encodeSarif(log: unknown): string {
  return gzipSync(Buffer.from(JSON.stringify(log))).toString("base64");
}

let tool: SarifTool | undefined;
/** This package's version and home page (package.json is three folders up from src/github/checks/ and lib/github/checks/). */
function sarifTool(): SarifTool {
  if (tool) return tool;
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
    version?: unknown;
    homepage?: unknown;
  };
  const homepage = typeof pkg.homepage === "string" && /^https?:\/\//.test(pkg.homepage) ? pkg.homepage : undefined;
  tool = { version: typeof pkg.version === "string" ? pkg.version : "0.0.0", ...(homepage ? { informationUri: homepage } : {}) };
  return tool;
}

// Repositories where the upload is not allowed: said once each (per process), then at debug level.
const notAllowedLogged = new Set<string>();

export async function uploadCodeScanning(
  octokit: Octokit,
  ref: RepoRef,
  review: { pullNumber: number; headSha: string; findings: readonly Finding[] },
  log: Log,
): Promise<UploadOutcome> {
  const sarif = encodeSarif(buildSarifLog({ findings: [...review.findings] }, sarifTool()));
  if (sarif.length * 0.75 > MAX_SARIF_GZIP_BYTES) {
    log.warn({ bytes: Math.round(sarif.length * 0.75) }, "code scanning upload skipped: the SARIF log is over GitHub's 10 MB limit");
    return "too_large";
  }
  try {
    const { data } = await octokit.rest.codeScanning.uploadSarif({
      ...ref,
      commit_sha: review.headSha,
      ref: pullRequestRef(review.pullNumber),
      sarif,
      tool_name: SARIF_TOOL_NAME,
    });
    log.info({ sarif_id: data.id, results: review.findings.length }, "code scanning: SARIF uploaded");
    return "uploaded";
  } catch (error) {
    const status = httpStatus(error);
    if (status === 403 || status === 404) {
      const repo = `${ref.owner}/${ref.repo}`;
      const first = !notAllowedLogged.has(repo);
      if (first) {
        if (notAllowedLogged.size >= 10_000) notAllowedLogged.clear();
        notAllowedLogged.add(repo);
      }
      (first ? log.warn : log.debug).call(
        log,
        { status, err: redact(errorMessage(error)) },
        "code scanning upload not allowed: the app needs the `security_events: write` permission and code scanning must be enabled for the repository (checks.code_scanning in .github/empathy.yml); the review is not affected",
      );
      return "not_allowed";
    }
    log.warn({ status, err: redact(errorMessage(error)) }, "code scanning upload failed; the review is not affected");
    return "failed";
  }
}
