/**
 * What data deletion (DataDeletionStore) matches, shared by the SQLite and PostgreSQL stores so
 * both delete exactly the same rows: a repository named in a JSON value or a text, a person in
 * the fields that hold logins.
 */
import type { DeletionCount } from "./store.js";

/** The repository `owner/name` a deletion is about, lower case; throws on anything else. */
export function parseRepositoryName(repo: string): { full: string; owner: string; name: string } {
  const full = repo.trim().toLowerCase();
  const slash = full.indexOf("/");
  if (slash <= 0 || slash !== full.lastIndexOf("/") || slash === full.length - 1)
    throw new Error(`"${repo}" is not a repository name (owner/name)`);
  return { full, owner: full.slice(0, slash), name: full.slice(slash + 1) };
}

/** The GitHub login a deletion is about (without @), lower case; throws on anything else. */
export function parseLogin(login: string): string {
  const who = login.trim().replace(/^@/, "").toLowerCase();
  if (!/^[a-z\d](?:[a-z\d-]*[a-z\d])?(?:\[bot\])?$/.test(who)) throw new Error(`"${login}" is not a GitHub login`);
  return who;
}

/** Adds a count to a deletion's report, merged with the line of the same table, kind and action. */
export function addCount(counts: DeletionCount[], table: string, what: string, count: number, action: DeletionCount["action"]): void {
  const same = counts.find((c) => c.table === table && c.what === what && c.action === action);
  if (same) same.count += count;
  else counts.push({ table, what, count, action });
}

/** Rows in a repository's own tables (keyed by `repo`), with what they are for people; deleted by `deleteRepositoryData`. */
export const REPOSITORY_TABLES: [table: string, what: string][] = [
  ["reviews", "reviews recorded (pull request, commit, review id)"],
  ["review_results", "review results (level, findings and predictions shown)"],
  ["summaries", "summary comments (ids and shown fingerprints)"],
  ["posted_findings", "inline comments posted"],
  ["shown_items", "findings and predictions shown"],
  ["feedback_log", "feedback received"],
  ["suppressed_findings", "findings dismissed as false positives"],
  ["trust", "trust scores"],
  ["patterns", "learned patterns"],
  ["prediction_issues", "prediction issue links"],
  ["transformation_issues", "transformation issue links"],
  ["issue_policies", "issue policies (issues allowed, installation)"],
  ["open_pull_resources", "open pull requests' coordination records"],
  ["coordination_done", "coordination steps done"],
];

/** What the recorded bus events (the `events` table) are, for people. */
export const RECORDED_EVENTS = "recorded events (the dashboard's history)";

/** Rows per transaction when deleting a repository's or a person's data: writers wait at most one batch. */
export const DELETE_BATCH = 500;

/** What replaces a person's login in rows kept for the repository (a dismissed finding). */
export const DELETED_USER = "(deleted user)";

/** `owner/name` in a text, not as part of a longer name (`owner/name-2`, `x-owner/name`); lower case. */
export function repoMention(full: string): RegExp {
  const escaped = full.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?<![\\w.-])${escaped}(?![\\w-]|\\.[\\w-])`);
}

/** A JSON value that is about the repository: `owner` and `repo` fields that name it, or any text that mentions `owner/name`. */
export function namesRepository(value: unknown, owner: string, name: string, mention: RegExp): boolean {
  if (typeof value === "string") return mention.test(value.toLowerCase());
  if (value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return value.some((v) => namesRepository(v, owner, name, mention));
  const o = value as Record<string, unknown>;
  if (typeof o.owner === "string" && typeof o.repo === "string" && o.owner.toLowerCase() === owner && o.repo.toLowerCase() === name)
    return true;
  return Object.values(o).some((v) => namesRepository(v, owner, name, mention));
}

/**
 * Fields that hold a person's login in job payloads and events: authors, commenters, assignees,
 * reviewers, the user an interaction or trust change is about, coordination's agents.
 */
const PERSON_FIELDS = new Set([
  "author",
  "prAuthor",
  "closedBy",
  "resolvedBy",
  "assignee",
  "assigner",
  "reviewer",
  "requester",
  "requested_by",
  "previous_reviewers",
  "user_id",
  "userId",
  "login",
  "user",
  "sender",
  "agent1",
  "agent2",
  "from_agent",
  "to_agent",
  "requesting_agent",
  "target_agents",
]);
/** Mappings keyed by `@login` (coordination's owned paths per code owner). */
const PERSON_KEYED_FIELDS = new Set(["owned_paths"]);

/** A JSON value that names the person (lower-case login) in a person field, as `login` or `@login`. */
export function namesPerson(value: unknown, login: string, field?: string): boolean {
  if (typeof value === "string") {
    if (field === undefined || !PERSON_FIELDS.has(field)) return false;
    const v = value.toLowerCase();
    return v === login || v === `@${login}`;
  }
  if (value === null || typeof value !== "object") return false;
  // Array elements belong to the field the array is under (target_agents: ["@a", "@b"]).
  if (Array.isArray(value)) return value.some((v) => namesPerson(v, login, field));
  const o = value as Record<string, unknown>;
  if (field !== undefined && PERSON_KEYED_FIELDS.has(field) && Object.keys(o).some((k) => k.toLowerCase() === `@${login}`)) return true;
  return Object.entries(o).some(([k, v]) => namesPerson(v, login, k));
}
