/**
 * Reads `.github/empathy.yml` the way Probot's `context.config` does (the same requests, the
 * same `_extends` rules, the same deep merge), but parses each file itself, bounded
 * (src/analysis/yamlLimits.ts): anyone who can push writes this file, and Probot's loader has no
 * size limit and only a heuristic alias limit. A file that is too large, an alias bomb, invalid
 * YAML or not a mapping is a config problem in the summary, and the review goes on with the
 * defaults. GitHub being unavailable (5xx) is thrown, for the queue to retry.
 */
import merge from "deepmerge";
import { CONFIG_PATH, parseRepoConfigText, resolveRepoConfig, type ConfigProblem, type RepoConfig } from "../../config/repoConfig.js";
import { formatBytes, REPO_CONFIG_YAML_LIMITS } from "../../analysis/yamlLimits.js";
import type { Log, Octokit, RepoRef } from "./types.js";
import { httpStatus } from "./errors.js";
import { errorMessage } from "../../text/errorMessage.js";

/** Files read for one config: the repository's, else its owner's `.github`, then what they extend. */
const MAX_CONFIG_FILES = 5;

// @probot/octokit-plugin-config's syntax: `repo`, `owner/repo`, `owner/repo:path/file.yml`.
const EXTENDS = /^(?:([a-z\d](?:[a-z\d]|-(?=[a-z\d])){0,38})\/)?([-_.\w\d]+)(?::([-_./\w\d]+\.ya?ml))?$/i;

interface ConfigLocation {
  owner: string;
  repo: string;
  path: string;
}

/** A file-level problem: the whole config falls back to the defaults. */
class ConfigFileProblem extends Error {
  constructor(
    readonly file: string,
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

export async function loadRepoConfig(
  octokit: Octokit,
  ref: RepoRef,
  log: Log,
  _deliveryId = "job",
): Promise<{ config: RepoConfig; problems: ConfigProblem[] }> {
  let raw: unknown;
  try {
    raw = await readConfigChain(octokit, { owner: ref.owner, repo: ref.repo, path: CONFIG_PATH }, ref);
  } catch (error) {
    // GitHub being unavailable is retried by the queue; a broken file is the user's to fix.
    if (!(error instanceof ConfigFileProblem)) {
      if ((httpStatus(error) ?? 0) >= 500) throw error;
      const message = errorMessage(error).split("\n")[0];
      log.warn({ problem: message }, "repository config unreadable; using defaults");
      return resolveWith(undefined, [{ file: CONFIG_PATH, key: "(file)", message: `could not be read: ${message}` }]);
    }
    // Never the file's content: only what is wrong with it.
    log.warn({ file: error.file, problem: error.message }, "repository config refused; using defaults");
    return resolveWith(undefined, [{ file: error.file, key: error.key, message: error.message }]);
  }
  return resolveWith(raw, []);
}

function resolveWith(raw: unknown, problems: ConfigProblem[]) {
  const resolved = resolveRepoConfig(raw);
  return { config: resolved.config, problems: [...problems, ...resolved.problems] };
}

/** Probot's order: the repository's file, else the owner's `.github` repository's, then each `_extends`. */
async function readConfigChain(octokit: Octokit, first: ConfigLocation, home: RepoRef): Promise<unknown> {
  const files: { at: ConfigLocation; config: Record<string, unknown> | null }[] = [
    { at: first, config: await readConfigFile(octokit, first, home) },
  ];
  if (files[0].config === null && first.repo !== ".github") {
    const org = { owner: first.owner, repo: ".github", path: first.path };
    files.push({ at: org, config: await readConfigFile(octokit, org, home) });
  }
  let last = files[files.length - 1];
  while (last.config !== null && last.config._extends !== undefined) {
    const value = last.config._extends;
    delete last.config._extends;
    const next = extendsLocation(value, last.at, home);
    if (files.some((f) => f.at.owner === next.owner && f.at.repo === next.repo && f.at.path === next.path)) {
      throw new ConfigFileProblem(
        fileLabel(last.at, home),
        "_extends",
        `could not be read: _extends ${JSON.stringify(value)} leads back to a file already read`,
      );
    }
    if (files.length >= MAX_CONFIG_FILES) {
      throw new ConfigFileProblem(
        fileLabel(last.at, home),
        "_extends",
        `could not be read: more than ${MAX_CONFIG_FILES} files through _extends`,
      );
    }
    last = { at: next, config: await readConfigFile(octokit, next, home) };
    files.push(last);
  }
  const configs = files.map((f) => f.config).filter((c): c is Record<string, unknown> => c !== null);
  if (configs.length === 0) return null;
  // The base first, the repository's own file last: its values win; lists are concatenated.
  return merge.all([{}, ...configs.reverse()]);
}

function extendsLocation(value: unknown, from: ConfigLocation, home: RepoRef): ConfigLocation {
  const match = typeof value === "string" ? EXTENDS.exec(value) : null;
  if (!match) {
    throw new ConfigFileProblem(
      fileLabel(from, home),
      "_extends",
      `could not be read: _extends ${JSON.stringify(value)} is not \`repo\`, \`owner/repo\` or \`owner/repo:path.yml\``,
    );
  }
  return { owner: match[1] || from.owner, repo: match[2], path: match[3] || from.path };
}

/** `.github/empathy.yml` for the repository's own file, `owner/repo:path` for others. */
function fileLabel(at: ConfigLocation, home: RepoRef): string {
  return at.owner === home.owner && at.repo === home.repo && at.path === CONFIG_PATH ? CONFIG_PATH : `${at.owner}/${at.repo}:${at.path}`;
}

/** One file, from the default branch: null when there is none (404); a mapping; or a ConfigFileProblem. */
async function readConfigFile(octokit: Octokit, at: ConfigLocation, home: RepoRef): Promise<Record<string, unknown> | null> {
  const file = fileLabel(at, home);
  let data: unknown;
  let contentType: string | undefined;
  try {
    const response = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", { ...at, mediaType: { format: "raw" } });
    data = response.data;
    contentType = String(response.headers["content-type"] ?? "");
  } catch (error) {
    if (httpStatus(error) === 404) return null;
    throw error;
  }
  if (contentType === "application/json; charset=utf-8") {
    throw new ConfigFileProblem(file, "(file)", "could not be read: it is a directory or a submodule, not a file");
  }
  const text = typeof data === "string" ? data : data instanceof ArrayBuffer || ArrayBuffer.isView(data) ? decode(data, file) : null;
  if (text === null) throw new ConfigFileProblem(file, "(file)", "could not be read: GitHub did not send its text");
  // The same reading as `empathy config check` (an empty file is a file: Probot does not look further).
  const { raw, problems } = parseRepoConfigText(text, file);
  if (raw === null) throw new ConfigFileProblem(file, problems[0].key, problems[0].message);
  return raw;
}

function decode(data: ArrayBuffer | ArrayBufferView, file: string): string {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // Checked here too: a large body is not turned into a string only to be refused.
  if (bytes.byteLength > REPO_CONFIG_YAML_LIMITS.maxBytes) {
    const limit = formatBytes(REPO_CONFIG_YAML_LIMITS.maxBytes);
    throw new ConfigFileProblem(file, "(file)", `could not be read: the YAML is ${formatBytes(bytes.byteLength)}, over the ${limit} limit`);
  }
  return new TextDecoder("utf-8").decode(bytes);
}
