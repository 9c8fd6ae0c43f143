/**
 * The coordination check of one reviewed pull request head, run as a durable job:
 *
 * - conflicts: every other open pull request of the repository (as last reviewed) that changes
 *   the same table, API path, GraphQL type, protobuf message or nearby lines of a file gives one
 *   `conflict_detected` per pair and resource, and one comment on each of the two pull requests
 *   linking the other;
 * - CODEOWNERS: a head touching paths owned by two or more owners gives one `coordination_request`.
 *
 * Never twice: each event and comment is recorded by key in the store first (events) or after
 * a look for its hidden marker among the pull request's comments (comments), so a retry or a
 * re-review of the same pair writes nothing new.
 */
import { redact } from "../../analysis/secrets.js";
import type { EventBus } from "../../events/bus.js";
import type { CoordinationStore, OpenPullResources } from "../../store/store.js";
import { loadCodeowners, ownersOfPaths } from "./coordinationCodeowners.js";
import { sharedResources, type Resource, type SharedResource } from "./coordinationResources.js";
import type { Log, Octokit, RepoRef } from "../api/types.js";
import { conflictMarker } from "../api/markers.js";

export const COORDINATION_CHECK_JOB = "coordination_check";

export interface CoordinationCheckJob {
  installationId: number;
  owner: string;
  repo: string;
  pullNumber: number;
  headSha: string;
  /** The base branch, where CODEOWNERS is read. */
  baseRef: string;
  author: string;
  /** The changed paths (for CODEOWNERS). */
  paths: string[];
}

export interface CoordinationDeps {
  store: CoordinationStore;
  bus: EventBus;
  auth: (installationId: number) => Promise<Octokit>;
  log: Log;
}

const plain = (label: string) => label.replace(/`/g, "");

export function conflictComment(other: OpenPullResources, shared: SharedResource[], markers: string[]): string {
  const what = shared.map((s) => s.label);
  const list = what.length === 1 ? what[0] : `${what.slice(0, -1).join(", ")} and ${what[what.length - 1]}`;
  const high = shared.some((s) => s.severity === "high");
  return [
    ...markers,
    `**Heads-up:** #${other.prNumber} by @${other.author} also changes ${list}.`,
    "",
    high
      ? "Both pull requests change the same shared resource: agree on the order of merging and check that the second one still works on top of the first (migrations in particular)."
      : "Both pull requests change nearby lines: whoever merges second will likely have to resolve a conflict; a quick word now saves a rebase later.",
    "",
    `<sub>Empathy compares the open pull requests it reviewed. ${other.url}</sub>`,
  ].join("\n");
}

export async function runCoordinationCheck(job: CoordinationCheckJob, deps: CoordinationDeps): Promise<void> {
  const repoName = `${job.owner}/${job.repo}`;
  const ref = { owner: job.owner, repo: job.repo };
  const log = deps.log.child?.({ repo: repoName, pr: job.pullNumber, job: COORDINATION_CHECK_JOB }) ?? deps.log;
  const mine = await deps.store.getOpenPullResources(repoName, job.pullNumber);
  if (!mine || mine.headSha !== job.headSha) {
    log.info({ reason: "a newer head was reviewed, or the pull request closed" }, "coordination check skipped");
    return;
  }
  let octokit: Octokit | undefined;
  const client = async () => (octokit ??= await deps.auth(job.installationId));

  await checkConflicts(repoName, ref, mine, client, deps, log);
  await checkCodeowners(job, repoName, ref, mine, client, deps, log);
}

async function checkConflicts(
  repoName: string,
  ref: RepoRef,
  mine: OpenPullResources,
  client: () => Promise<Octokit>,
  deps: CoordinationDeps,
  log: Log,
): Promise<void> {
  const others = (await deps.store.listOpenPullResources(repoName)).filter((o) => o.prNumber !== mine.prNumber);
  let candidates = others
    .map((other) => ({ other, shared: sharedResources(mine.resources as Resource[], other.resources as Resource[]) }))
    .filter((c) => c.shared.length > 0);
  if (candidates.length === 0) return;

  // A pull request closed while a closed event was missed must not be reported: ask GitHub once.
  const octokit = await client();
  const open = new Set<number>();
  for await (const page of octokit.paginate.iterator(octokit.rest.pulls.list, { ...ref, state: "open", per_page: 100 })) {
    for (const pr of page.data) open.add(pr.number);
  }
  for (const c of candidates) {
    if (!open.has(c.other.prNumber)) await deps.store.deleteOpenPullResources(repoName, c.other.prNumber);
  }
  candidates = candidates.filter((c) => open.has(c.other.prNumber));

  for (const { other, shared } of candidates) {
    const [low, high] = mine.prNumber < other.prNumber ? [mine, other] : [other, mine];
    for (const s of shared) {
      if (!(await deps.store.markCoordinationDone(repoName, `conflict:${low.prNumber}:${high.prNumber}:${s.key}`))) continue;
      // Extra snake_case fields beyond the catalog's (repo, pull requests) go along on the wire.
      const data = {
        agent1: mine.author,
        agent2: other.author,
        resource: plain(s.label),
        severity: s.severity,
        resource_kind: s.kind,
        resource_key: s.key,
        repo: repoName,
        pr_number: mine.prNumber,
        other_pr_number: other.prNumber,
        url: mine.url,
        other_url: other.url,
      };
      deps.bus.emit({ type: "conflict_detected", data });
      log.info({ other: other.prNumber, resource: s.key, severity: s.severity }, "conflict detected");
    }
    await commentOnce(repoName, ref, mine, other, shared, octokit, deps, log);
    await commentOnce(repoName, ref, other, mine, shared, octokit, deps, log);
  }
}

/** One comment on `on` about the resources it shares with `other` that it was not yet told about. */
async function commentOnce(
  repoName: string,
  ref: RepoRef,
  on: OpenPullResources,
  other: OpenPullResources,
  shared: SharedResource[],
  octokit: Octokit,
  deps: CoordinationDeps,
  log: Log,
): Promise<void> {
  const doneKey = (s: SharedResource) => `conflict-comment:${on.prNumber}:${other.prNumber}:${s.key}`;
  const pending: SharedResource[] = [];
  for (const s of shared) if (!(await deps.store.isCoordinationDone(repoName, doneKey(s)))) pending.push(s);
  if (pending.length === 0) return;
  // A comment posted before a crash, not yet recorded: its marker is on GitHub.
  const bodies: string[] = [];
  for await (const page of octokit.paginate.iterator(octokit.rest.issues.listComments, {
    ...ref,
    issue_number: on.prNumber,
    per_page: 100,
  })) {
    for (const c of page.data) bodies.push(c.body ?? "");
  }
  const toPost = pending.filter((s) => !bodies.some((b) => b.includes(conflictMarker(on.prNumber, other.prNumber, s.key))));
  if (toPost.length > 0) {
    const markers = toPost.map((s) => conflictMarker(on.prNumber, other.prNumber, s.key));
    await octokit.rest.issues.createComment({ ...ref, issue_number: on.prNumber, body: redact(conflictComment(other, toPost, markers)) });
    log.info({ on: on.prNumber, other: other.prNumber, resources: toPost.map((s) => s.key) }, "conflict comment posted");
  }
  for (const s of pending) await deps.store.markCoordinationDone(repoName, doneKey(s));
}

async function checkCodeowners(
  job: CoordinationCheckJob,
  repoName: string,
  ref: RepoRef,
  mine: OpenPullResources,
  client: () => Promise<Octokit>,
  deps: CoordinationDeps,
  log: Log,
): Promise<void> {
  const key = `codeowners:${job.pullNumber}:${job.headSha}`;
  if (job.paths.length === 0 || (await deps.store.isCoordinationDone(repoName, key))) return;
  const codeowners = await loadCodeowners(await client(), ref, job.baseRef);
  if (!codeowners) return;
  const owned = ownersOfPaths(codeowners.rules, job.paths);
  owned.delete(`@${job.author}`);
  if (owned.size < 2) return;
  if (!(await deps.store.markCoordinationDone(repoName, key))) return;
  const owners = [...owned.keys()];
  const resources = mine.resources as Resource[];
  const sensitive = resources.some((r) => r.kind !== "region");
  const data = {
    requesting_agent: job.author,
    target_agents: owners,
    topic: `#${job.pullNumber} ${mine.title}: changes code owned by ${owners.join(", ")}`,
    priority: sensitive || owners.length >= 3 ? "high" : "medium",
    repo: repoName,
    pr_number: job.pullNumber,
    url: mine.url,
    commit_sha: job.headSha,
    codeowners_path: codeowners.path,
    owned_paths: Object.fromEntries([...owned].map(([owner, paths]) => [owner, paths.slice(0, 20)])),
  };
  deps.bus.emit({ type: "coordination_request", data });
  log.info({ owners }, "coordination requested");
}
