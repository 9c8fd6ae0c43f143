/**
 * Real webhook payloads from the `@octokit/webhooks-examples` devDependency
 * (v7.6.1, file `api.github.com/index.json`: an array of
 * `{ name, actions, description, examples[], properties }`, 58 events,
 * 329 examples). Only 133 examples carry an `installation`; `withRepo` adds
 * one when asked.
 *
 * Examples available for the events this bot cares about (count in brackets):
 *
 *   pull_request: opened(4) assigned(2) closed(2) converted_to_draft(3)
 *     labeled(2) locked(2) ready_for_review(3) reopened(2)
 *     review_request_removed(1) review_requested(1) synchronize(1)
 *     unassigned(2) unlabeled(2) unlocked(2)
 *     (described but WITHOUT examples: auto_merge_disabled, auto_merge_enabled,
 *     dequeued, edited, enqueued; there is no "merged" action: a merge is
 *     `closed` with `pull_request.merged: true`, and neither `closed`
 *     example is merged, so set `merged` yourself)
 *   issues: opened(4) edited(3) assigned(3) deleted(1) demilestoned(2)
 *     labeled(2) locked(2) milestoned(2) pinned(1) reopened(1) transferred(1)
 *     unassigned(2) unlabeled(2) unlocked(2) unpinned(1)
 *     (described but without examples: closed)
 *   issue_comment: created(5) deleted(2) edited(2)
 *   pull_request_review_thread: resolved(2) unresolved(1)
 *   installation: created(2) deleted(2) new_permissions_accepted(1)
 *     suspend(1) unsuspend(1)
 *   also: pull_request_review submitted(3) dismissed(1);
 *     pull_request_review_comment created(3) deleted(1) edited(1);
 *     installation_repositories added(2) removed(1); push(7, no action);
 *     check_run, check_suite, ...
 *
 * All pull_request/issues examples live in `Codertocat/Hello-World`.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { EmitterWebhookEvent, EmitterWebhookEventName } from "@octokit/webhooks";

interface WebhookDefinition {
  name: string;
  actions: string[];
  description: string;
  examples: Array<Record<string, unknown>>;
}

/** Payload type for an event name like "pull_request" or "pull_request.opened". */
export type ExamplePayload<E extends string> = E extends EmitterWebhookEventName
  ? EmitterWebhookEvent<E>["payload"]
  : Record<string, unknown>;

let definitions: WebhookDefinition[] | undefined;

function load(): WebhookDefinition[] {
  if (!definitions) {
    const require = createRequire(import.meta.url);
    const file = require.resolve("@octokit/webhooks-examples/package.json").replace(/package\.json$/, "api.github.com/index.json");
    definitions = JSON.parse(readFileSync(file, "utf8")) as WebhookDefinition[];
  }
  return definitions;
}

/** Event name → actions that have at least one example (no-action events map to []). */
export function availableExamples(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const d of load()) {
    out[d.name] = [...new Set(d.examples.flatMap((e) => (typeof e.action === "string" ? [e.action] : [])))].sort();
  }
  return out;
}

/**
 * A deep clone of the first example payload of `event` (optionally with
 * `action`, and satisfying `pick`). `event` may also be "event.action".
 * Throws, listing what exists, when nothing matches.
 *
 *   const p = examplePayload("pull_request.opened");
 *   const merged = examplePayload("pull_request", "closed", (p) => p.pull_request.merged === true);
 */
export function examplePayload<E extends EmitterWebhookEventName | (string & {})>(
  event: E,
  action?: string,
  pick?: (payload: ExamplePayload<E>) => boolean,
): ExamplePayload<E> {
  let name: string = event;
  let wanted = action;
  const dot = name.indexOf(".");
  if (dot !== -1) {
    if (action !== undefined && action !== name.slice(dot + 1)) {
      throw new Error(`examplePayload: action given twice ("${name}" and "${action}")`);
    }
    wanted = name.slice(dot + 1);
    name = name.slice(0, dot);
  }
  const defs = load();
  const def = defs.find((d) => d.name === name);
  if (!def) {
    throw new Error(
      `examplePayload: no webhook event "${name}" in @octokit/webhooks-examples. Events: ${defs.map((d) => d.name).join(", ")}`,
    );
  }
  const candidates = def.examples.filter((e) => wanted === undefined || e.action === wanted);
  const found = candidates.find((e) => !pick || pick(structuredClone(e) as ExamplePayload<E>));
  if (!found) {
    const actions = availableExamples()[name];
    const what = `${name}${wanted ? `.${wanted}` : ""}`;
    throw new Error(
      candidates.length
        ? `examplePayload: none of the ${candidates.length} "${what}" examples satisfies the pick predicate`
        : `examplePayload: no example for "${what}". Actions with examples: ${actions.length ? actions.join(", ") : "(none: event has no action)"}`,
    );
  }
  return structuredClone(found) as ExamplePayload<E>;
}

export interface RepoTarget {
  owner: string;
  repo: string;
  /** sets (or adds) payload.installation.id */
  installationId?: number;
}

/**
 * Returns a deep clone of `payload` moved to `owner/repo`: every repository
 * object whose full_name was the payload repository's (repository,
 * pull_request.base.repo, head.repo, ...) gets the new name/full_name/owner.login,
 * an `organization` with the old owner's login is renamed, URLs containing the
 * old `owner/repo` are rewritten, and `installation.id` is set (an
 * `installation` is added when the example had none).
 */
export function withRepo<T>(payload: T, target: RepoTarget): T {
  const clone = structuredClone(payload) as Record<string, unknown>;
  const repository = clone.repository as Record<string, any> | undefined;
  if (repository && typeof repository.full_name === "string") {
    const oldFull: string = repository.full_name;
    const [oldOwner, oldRepo] = oldFull.split("/");
    const newFull = `${target.owner}/${target.repo}`;
    const urlPattern = new RegExp(`([/:])${escapeRegex(oldOwner)}/${escapeRegex(oldRepo)}(?=$|[/.{?#])`, "g");
    const rewrite = (node: unknown): unknown => {
      if (typeof node === "string") return node.includes("/") ? node.replace(urlPattern, `$1${newFull}`) : node;
      if (Array.isArray(node)) return node.map(rewrite);
      if (node && typeof node === "object") {
        const obj = node as Record<string, any>;
        for (const key of Object.keys(obj)) obj[key] = rewrite(obj[key]);
        if (obj.full_name === newFull || obj.full_name === oldFull) {
          obj.full_name = newFull;
          obj.name = target.repo;
          if (obj.owner && typeof obj.owner === "object" && obj.owner.login === oldOwner) {
            obj.owner.login = target.owner;
            for (const k of Object.keys(obj.owner)) {
              if (typeof obj.owner[k] === "string" && k.endsWith("url")) {
                obj.owner[k] = obj.owner[k].replace(new RegExp(`/(users/)?${escapeRegex(oldOwner)}(?=$|[/{?#])`), `/$1${target.owner}`);
              }
            }
          }
        }
        return obj;
      }
      return node;
    };
    rewrite(clone);
    const org = clone.organization as Record<string, unknown> | undefined;
    if (org && org.login === oldOwner) org.login = target.owner;
  }
  if (target.installationId !== undefined) {
    const installation = (clone.installation as Record<string, unknown> | undefined) ?? {};
    clone.installation = {
      ...installation,
      id: target.installationId,
      node_id: installation.node_id ?? Buffer.from(`Installation${target.installationId}`).toString("base64"),
    };
  }
  return clone as T;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

let deliveryCounter = 0;

/**
 * A complete event for `probot.receive(...)`: `{ id, name, payload }` with the
 * example payload moved to `target` (see withRepo).
 *
 *   await probot.receive(exampleEvent("pull_request.opened", { owner: "o", repo: "r", installationId: 1 }));
 */
export function exampleEvent<E extends EmitterWebhookEventName>(
  name: E,
  target?: RepoTarget,
  pick?: (payload: ExamplePayload<E>) => boolean,
): EmitterWebhookEvent<E> {
  const payload = examplePayload(name, undefined, pick);
  return {
    id: `test-delivery-${++deliveryCounter}`,
    name: name.split(".")[0],
    payload: target ? withRepo(payload, target) : payload,
  } as unknown as EmitterWebhookEvent<E>;
}
