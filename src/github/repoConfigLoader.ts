/** Reads `.github/empathy.yml` through Probot's context.config, so `_extends` works, and validates it. */
import { Context } from "probot";
import { CONFIG_FILE, CONFIG_PATH, resolveRepoConfig, type ConfigProblem, type RepoConfig } from "../config/repoConfig.js";
import type { Log, Octokit, RepoRef } from "./types.js";

export async function loadRepoConfig(
  octokit: Octokit,
  ref: RepoRef,
  log: Log,
  deliveryId = "job",
): Promise<{ config: RepoConfig; problems: ConfigProblem[] }> {
  const event = { id: deliveryId, name: "push", payload: { repository: { owner: { login: ref.owner }, name: ref.repo } } };
  const context = new Context(event as any, octokit, log as any);
  let raw: unknown;
  try {
    raw = await context.config(CONFIG_FILE);
  } catch (error: any) {
    // GitHub being unavailable is retried by the queue; a broken file is the user's to fix.
    if (typeof error?.status === "number" && error.status >= 500) throw error;
    const message = String(error?.message ?? error).split("\n")[0];
    log.warn({ problem: message }, "repository config unreadable; using defaults");
    return resolveWith(undefined, [{ file: CONFIG_PATH, key: "(file)", message: `could not be read: ${message}` }]);
  }
  return resolveWith(raw, []);
}

function resolveWith(raw: unknown, problems: ConfigProblem[]) {
  const resolved = resolveRepoConfig(raw);
  return { config: resolved.config, problems: [...problems, ...resolved.problems] };
}
