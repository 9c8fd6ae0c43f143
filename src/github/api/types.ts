/** The types every GitHub module shares: the installation Octokit, the structured logger and a repository reference. */
import type { ProbotOctokit } from "probot";

/** An installation-authenticated Octokit (retries and throttling on). */
export type Octokit = InstanceType<typeof ProbotOctokit>;

/** The app's structured logger (defined in src/logging/log.ts). */
export type { Log } from "../../logging/log.js";

export interface RepoRef {
  owner: string;
  repo: string;
}

export function fullName(ref: RepoRef): string {
  return `${ref.owner}/${ref.repo}`;
}
