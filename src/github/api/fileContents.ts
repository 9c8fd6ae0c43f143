/**
 * Whole files at the head commit, so rules see the code around a change. Bounded: at most
 * `maxFiles` files of at most `maxFileBytes` each; anything else is analysed from the diff alone.
 */
import type { DiffFile, SkippedItem } from "../../analysis/types.js";
import type { Octokit, RepoRef } from "./types.js";
import { httpStatus } from "./errors.js";

/** The contents API returns at most this much inline (base64); bigger files are read from the diff. */
const CONTENTS_API_INLINE_LIMIT = 1_000_000;
const PARALLEL_REQUESTS = 4;

/** Reads one file at a commit; undefined when it is absent, not a file, or too large. */
export async function readFileAt(
  octokit: Octokit,
  ref: RepoRef,
  path: string,
  commitSha: string,
  maxBytes: number,
): Promise<string | undefined> {
  try {
    const { data } = await octokit.rest.repos.getContent({ ...ref, path, ref: commitSha });
    if (Array.isArray(data) || data.type !== "file" || !("content" in data)) return undefined;
    if (data.size > Math.min(maxBytes, CONTENTS_API_INLINE_LIMIT) || !data.content) return undefined;
    const text = Buffer.from(data.content, "base64").toString("utf8");
    return text.includes("\u0000") ? undefined : text;
  } catch (error) {
    if (httpStatus(error) === 404) return undefined;
    throw error;
  }
}

export async function loadFileContents(
  octokit: Octokit,
  ref: RepoRef,
  commitSha: string,
  files: DiffFile[],
  limits: { maxFiles: number; maxFileBytes: number },
): Promise<{ contents: Map<string, string>; skipped: SkippedItem[] }> {
  const wanted = files.filter((f) => f.status !== "removed" && !f.binary && f.hunks.some((h) => h.lines.some((l) => l.kind === "add")));
  const chosen = wanted.slice(0, limits.maxFiles);
  const contents = new Map<string, string>();
  for (let i = 0; i < chosen.length; i += PARALLEL_REQUESTS) {
    const batch = chosen.slice(i, i + PARALLEL_REQUESTS);
    const texts = await Promise.all(batch.map((f) => readFileAt(octokit, ref, f.path, commitSha, limits.maxFileBytes)));
    batch.forEach((f, j) => {
      if (texts[j] !== undefined) contents.set(f.path, texts[j]!);
    });
  }
  const skipped: SkippedItem[] = [];
  if (wanted.length > chosen.length) {
    skipped.push({
      path: "*",
      reason: `${wanted.length - chosen.length} file(s) analysed from the diff alone, without their whole content (limit \`analysis.max_files\`: ${limits.maxFiles})`,
    });
  }
  return { contents, skipped };
}
