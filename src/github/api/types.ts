/** The types every GitHub module shares: the installation Octokit, the structured logger and a repository reference. */
import type { ProbotOctokit } from "probot";

/** An installation-authenticated Octokit (retries and throttling on). */
export type Octokit = InstanceType<typeof ProbotOctokit>;

/** Pino-like structured logger. */
export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child?(bindings: object): Log;
}

export interface RepoRef {
  owner: string;
  repo: string;
}

export function fullName(ref: RepoRef): string {
  return `${ref.owner}/${ref.repo}`;
}
