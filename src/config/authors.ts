/**
 * `review.ignore_authors`: pull requests by these logins (Renovate, Dependabot, a team's own
 * bots) are not reviewed at all, so they spend none of the installation's rate limit.
 */
import { wildcardMatch } from "./globs.js";
import type { RepoConfig } from "./repoConfig.js";

/**
 * Whether `login` matches one of the config's globs (`*`, `?`; `[bot]` is literal). GitHub logins
 * are case-insensitive, so the match is too.
 */
export function isIgnoredAuthor(config: Pick<RepoConfig, "review">, login: string): boolean {
  const name = login.toLowerCase();
  return config.review.ignore_authors.some((glob) => wildcardMatch(glob.toLowerCase(), name));
}
