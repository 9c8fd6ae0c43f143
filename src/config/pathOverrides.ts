/**
 * `paths` in `.github/empathy.yml`: settings per folder, for a monorepo whose payments service
 * wants every low finding while its docs want questions only.
 *
 * A file takes, key by key, the value of the most specific entry that matches it and sets that
 * key, else the top-level value (`review.min_severity`, `target_level`). Most specific: the
 * longest literal text before the first wildcard (`services/payments/` beats `services/` beats
 * `**`), then the longest glob, then the later entry in the file.
 *
 * A pull request is one review: it acts at the highest target level among its files (touching
 * `services/payments/` brings that folder's level), and each finding is kept or dropped by its
 * own file's minimum severity.
 */
import { severityRank, type Severity } from "../analysis/types.js";
import { compilePathGlob, pathGlobMatch, type PathGlob } from "./globs.js";
import type { RepoConfig } from "./repoConfig.js";

export interface PathSettings {
  minSeverity: Severity;
  targetLevel: number;
}

export interface PullRequestSettings {
  /** The highest target level among the files: the level the engine acts at. */
  targetLevel: number;
  /** The lowest minimum severity among the files: what the analysis must keep for keepBySeverity to judge. */
  minSeverity: Severity;
}

type Config = Pick<RepoConfig, "paths" | "target_level" | "review">;

interface Entry {
  glob: PathGlob;
  order: number;
  minSeverity?: Severity;
  targetLevel?: number;
}

/** The config's entries, most specific first, compiled once for all the files of a review. */
export class PathOverrides {
  private readonly entries: Entry[];
  private readonly defaults: PathSettings;

  constructor(config: Config) {
    this.defaults = { minSeverity: config.review.min_severity, targetLevel: config.target_level };
    this.entries = config.paths
      .map((p, order) => ({ glob: compilePathGlob(p.glob), order, minSeverity: p.min_severity, targetLevel: p.target_level }))
      .sort(
        (a, b) => b.glob.literalPrefix.length - a.glob.literalPrefix.length || b.glob.glob.length - a.glob.glob.length || b.order - a.order,
      );
  }

  /** The settings of one file (a repository path, `services/payments/api.ts`). */
  forPath(path: string): PathSettings {
    let minSeverity: Severity | undefined;
    let targetLevel: number | undefined;
    for (const entry of this.entries) {
      if (minSeverity !== undefined && targetLevel !== undefined) break;
      if ((entry.minSeverity === undefined || minSeverity !== undefined) && (entry.targetLevel === undefined || targetLevel !== undefined))
        continue; // it could set nothing still unset: no need to match it
      if (!pathGlobMatch(entry.glob, path)) continue;
      minSeverity ??= entry.minSeverity;
      targetLevel ??= entry.targetLevel;
    }
    return { minSeverity: minSeverity ?? this.defaults.minSeverity, targetLevel: targetLevel ?? this.defaults.targetLevel };
  }

  /** The pull request's values from its reviewed files' paths; none: the top-level values. */
  forPullRequest(paths: readonly string[]): PullRequestSettings {
    if (paths.length === 0 || this.entries.length === 0) return { ...this.defaults };
    let targetLevel = 0;
    let minSeverity: Severity | undefined;
    for (const path of paths) {
      const s = this.forPath(path);
      targetLevel = Math.max(targetLevel, s.targetLevel);
      if (minSeverity === undefined || severityRank(s.minSeverity) < severityRank(minSeverity)) minSeverity = s.minSeverity;
    }
    return { targetLevel, minSeverity: minSeverity! };
  }

  /** Drops what is below its own file's minimum severity (findings carry their path). */
  keepBySeverity<T extends { path: string; severity: Severity }>(items: readonly T[]): T[] {
    const cache = new Map<string, number>();
    return items.filter((item) => {
      let min = cache.get(item.path);
      if (min === undefined) cache.set(item.path, (min = severityRank(this.forPath(item.path).minSeverity)));
      return severityRank(item.severity) >= min;
    });
  }
}

/** The settings of one file. */
export function settingsForPath(config: Config, path: string): PathSettings {
  return new PathOverrides(config).forPath(path);
}

/** The pull request's target level and the analysis' minimum severity, from its reviewed files. */
export function pullRequestSettings(config: Config, paths: readonly string[]): PullRequestSettings {
  return new PathOverrides(config).forPullRequest(paths);
}

/** Findings (or anything with a path and a severity) at or above their own file's minimum severity. */
export function keepBySeverity<T extends { path: string; severity: Severity }>(config: Config, items: readonly T[]): T[] {
  return new PathOverrides(config).keepBySeverity(items);
}
