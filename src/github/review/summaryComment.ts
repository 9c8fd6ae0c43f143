/** The one summary comment per pull request: found again by its hidden marker and edited in place. */
import { redact } from "../../analysis/secrets.js";
import { SUMMARY_MARKER } from "../api/markers.js";
import type { Octokit, RepoRef } from "../api/types.js";
import { httpStatus } from "../api/errors.js";

async function findSummaryComment(octokit: Octokit, ref: RepoRef, issueNumber: number): Promise<number | null> {
  for await (const page of octokit.paginate.iterator(octokit.rest.issues.listComments, {
    ...ref,
    issue_number: issueNumber,
    per_page: 100,
  })) {
    const found = page.data.find((c) => (c.body ?? "").includes(SUMMARY_MARKER));
    if (found) return found.id;
  }
  return null;
}

/** Creates or updates the summary; `knownId` comes from the store and is verified by the update itself. */
export async function upsertSummaryComment(
  octokit: Octokit,
  ref: RepoRef,
  issueNumber: number,
  markdown: string,
  knownId: number | null,
): Promise<{ id: number; url: string }> {
  // The write boundary: whatever rendered the markdown, it is redacted whole here.
  const body = `${SUMMARY_MARKER}\n${redact(markdown)}`;
  if (knownId !== null) {
    try {
      const { data } = await octokit.rest.issues.updateComment({ ...ref, comment_id: knownId, body });
      return { id: data.id, url: data.html_url };
    } catch (error) {
      if (httpStatus(error) !== 404) throw error; // deleted by someone: find or create again
    }
  }
  const existing = await findSummaryComment(octokit, ref, issueNumber);
  if (existing !== null) {
    const { data } = await octokit.rest.issues.updateComment({ ...ref, comment_id: existing, body });
    return { id: data.id, url: data.html_url };
  }
  const { data } = await octokit.rest.issues.createComment({ ...ref, issue_number: issueNumber, body });
  return { id: data.id, url: data.html_url };
}
