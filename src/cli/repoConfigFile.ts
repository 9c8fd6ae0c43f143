/**
 * `.github/empathy.yml` read from disk (or from git) by the CLI, validated by the same code and
 * in the same words as the app (src/config/repoConfig.ts), with each problem's line.
 */
import type { Node as YamlNode } from "yaml";
import { CONFIG_PATH, parseRepoConfigText, resolveRepoConfig, type ConfigProblem, type RepoConfig } from "../config/repoConfig.js";
import { parseBoundedDocument, REPO_CONFIG_YAML_LIMITS, yamlLibrary } from "../analysis/yamlLimits.js";

export interface LocatedProblem extends ConfigProblem {
  /** 1-based line of the key, when known. */
  line: number | null;
}

export interface CheckedConfig {
  /** What the app would use: the defaults where the file has a problem. */
  config: RepoConfig;
  problems: LocatedProblem[];
  /** Remarks that are not problems (`_extends`, which only the app can follow). */
  notes: string[];
}

/** Validates a config file's text as the app does; `file` names it in messages. */
export function checkRepoConfigText(text: string, file: string): CheckedConfig {
  const parsed = parseRepoConfigText(text, file);
  if (parsed.raw === null) {
    return {
      config: resolveRepoConfig(null, file).config,
      problems: parsed.problems.map((p) => ({ ...p, line: yamlErrorLine(p.message) })),
      notes: [],
    };
  }
  const notes: string[] = [];
  if (parsed.raw._extends !== undefined) {
    notes.push(
      `_extends: ${JSON.stringify(parsed.raw._extends)} is followed by the app, which reads that file on GitHub (this file's own values win); here this file is checked alone`,
    );
  }
  const resolved = resolveRepoConfig(parsed.raw, file);
  const locate = keyLocator(text);
  // In the file's order, as an editor shows them.
  const problems = resolved.problems.map((p) => ({ ...p, line: locate(p.key) })).sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { config: resolved.config, problems, notes };
}

/** `file:line: key: message`, as the operator config's errors read. */
export function formatProblem(p: LocatedProblem): string {
  return `${p.file}${p.line === null ? "" : `:${p.line}`}: ${p.key}: ${p.message}`;
}

/** The line of a key path such as `review.colour` or `issues.labels.0`, or null. */
function keyLocator(text: string): (key: string) => number | null {
  const { isMap, isSeq, LineCounter } = yamlLibrary();
  const lineCounter = new LineCounter();
  let doc;
  try {
    doc = parseBoundedDocument(text, REPO_CONFIG_YAML_LIMITS, { lineCounter });
  } catch {
    return () => null;
  }
  return (key) => {
    if (key.startsWith("(")) return null;
    let node: unknown = doc.contents;
    let offset: number | undefined;
    for (const segment of key.split(".")) {
      if (isMap(node)) {
        const pair = node.items.find((p) => String((p.key as YamlNode | null)?.toJSON?.() ?? p.key) === segment);
        if (!pair) break;
        offset = (pair.key as YamlNode | null)?.range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && /^\d+$/.test(segment)) {
        const item = node.items[Number(segment)] as YamlNode | undefined;
        if (!item) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else break;
    }
    return offset === undefined ? null : lineCounter.linePos(offset).line;
  };
}

function yamlErrorLine(message: string): number | null {
  const m = /at line (\d+)/.exec(message);
  return m ? Number(m[1]) : null;
}

export { CONFIG_PATH };
