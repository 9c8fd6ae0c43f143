/** Lists every changed file of a pull request (all pages; GitHub lists at most 3,000) as parsed diffs. */
import { parsePatch } from "../../analysis/diff.js";
import type { DiffFile, SkippedItem } from "../../analysis/types.js";
import type { Octokit, RepoRef } from "../api/types.js";

const STATUSES = new Set(["added", "removed", "renamed", "modified"]);

export async function loadPullRequestFiles(
  octokit: Octokit,
  ref: RepoRef,
  pullNumber: number,
  options: { changedFiles: number },
): Promise<{ files: DiffFile[]; skipped: SkippedItem[] }> {
  const files: DiffFile[] = [];
  for await (const page of octokit.paginate.iterator(octokit.rest.pulls.listFiles, { ...ref, pull_number: pullNumber, per_page: 100 })) {
    for (const f of page.data) {
      files.push(
        parsePatch(f.filename, f.patch, {
          status: (STATUSES.has(f.status) ? f.status : "modified") as DiffFile["status"],
          oldPath: f.previous_filename,
          additions: f.additions,
          deletions: f.deletions,
        }),
      );
    }
  }
  const skipped: SkippedItem[] = [];
  if (options.changedFiles > files.length) {
    skipped.push({
      path: "*",
      reason: `${options.changedFiles - files.length} of ${options.changedFiles} changed files were not read (GitHub lists at most 3,000)`,
    });
  }
  return { files, skipped };
}
