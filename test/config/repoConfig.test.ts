import { readFileSync } from "node:fs";
import { lowerLimits } from "../../src/analysis/limits.js";
import {
  DEFAULT_CONFIG,
  parseRepoConfigText,
  repoAnalysisLimits,
  repoConfigJsonSchema,
  resolveRepoConfig,
} from "../../src/config/repoConfig.js";
import { readSettings } from "../../src/config/env.js";

describe("repository config", () => {
  it("has a default for every key", () => {
    expect(DEFAULT_CONFIG).toEqual({
      target_level: 5,
      review: { enabled: true, drafts: false, max_inline_comments: 20, min_severity: "medium", labels: true },
      issues: { enabled: true, min_confidence: 0.85, labels: ["empathy: prediction"] },
      ignore: [],
      analysis: { large_change_lines: 1000, max_files: 300 },
    });
    expect(resolveRepoConfig(null)).toEqual({ config: DEFAULT_CONFIG, problems: [] });
  });

  it("lets a repository lower the operator's analysis limits, never raise them", () => {
    const operator = {
      maxFileBytes: 1_000_000,
      maxLineLength: 10_000,
      maxNestingDepth: 200,
      fileTimeBudgetMs: 5_000,
      reviewTimeBudgetMs: 60_000,
    };
    const { config } = resolveRepoConfig({
      analysis: {
        max_file_bytes: 50_000_000,
        max_line_length: 500,
        max_nesting_depth: 1000,
        file_time_budget_seconds: 1.5,
        review_time_budget_seconds: 600,
      },
    });
    expect(lowerLimits(operator, repoAnalysisLimits(config))).toEqual({
      maxFileBytes: 1_000_000, // asked for more: the operator's stays
      maxLineLength: 500,
      maxNestingDepth: 200,
      fileTimeBudgetMs: 1_500,
      reviewTimeBudgetMs: 60_000,
    });
    expect(lowerLimits(operator, repoAnalysisLimits(DEFAULT_CONFIG))).toEqual(operator);
  });

  it("keeps valid keys, reports each invalid one by key, and falls back to its default", () => {
    const { config, problems } = resolveRepoConfig({
      _extends: ".github",
      target_level: 3,
      review: { max_inline_comments: "lots", drafts: true, colour: "red" },
      issues: { min_confidence: 1.5 },
    });
    expect(config.target_level).toBe(3);
    expect(config.review).toEqual({ ...DEFAULT_CONFIG.review, drafts: true });
    expect(config.issues.min_confidence).toBe(0.85);
    expect(problems).toEqual([
      { file: ".github/empathy.yml", key: "review.max_inline_comments", message: expect.stringMatching(/expected number/) },
      {
        file: ".github/empathy.yml",
        key: "review.colour",
        message: "unknown key; known keys: enabled, drafts, max_inline_comments, min_severity, labels",
      },
      { file: ".github/empathy.yml", key: "issues.min_confidence", message: expect.stringMatching(/<=1/) },
    ]);
  });

  it("says which key was meant for a mistyped one, at any level, as the operator config does", () => {
    const { config, problems } = resolveRepoConfig({
      targetLevel: 2,
      review: { min_severty: "high", "max-inline-comments": 3 },
      ignroe: ["docs/**"],
      analysis: { large_change: 5 },
    });
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(problems.map((p) => [p.key, p.message]).sort()).toEqual([
      [
        "analysis.large_change",
        "unknown key (did you mean large_change_lines?); known keys: large_change_lines, max_files, max_file_bytes, max_line_length, max_nesting_depth, file_time_budget_seconds, review_time_budget_seconds",
      ],
      ["ignroe", "unknown key (did you mean ignore?); known keys: target_level, review, issues, ignore, analysis"],
      [
        "review.max-inline-comments",
        "unknown key (did you mean max_inline_comments?); known keys: enabled, drafts, max_inline_comments, min_severity, labels",
      ],
      [
        "review.min_severty",
        "unknown key (did you mean min_severity?); known keys: enabled, drafts, max_inline_comments, min_severity, labels",
      ],
      ["targetLevel", "unknown key (did you mean target_level?); known keys: target_level, review, issues, ignore, analysis"],
    ]);
    // Nothing close: no guess.
    expect(resolveRepoConfig({ colour: "red" }).problems[0].message).toBe(
      "unknown key; known keys: target_level, review, issues, ignore, analysis",
    );
  });

  it("reads a file's text as the app does: bounded YAML, an empty file is a file, anything but a mapping refused", () => {
    expect(parseRepoConfigText("target_level: 3\n")).toEqual({ raw: { target_level: 3 }, problems: [] });
    expect(parseRepoConfigText("")).toEqual({ raw: {}, problems: [] });
    expect(parseRepoConfigText("- a\n- b\n")).toEqual({
      raw: null,
      problems: [{ file: ".github/empathy.yml", key: "(root)", message: "the file must be a YAML mapping of keys to values" }],
    });
    expect(parseRepoConfigText("review: [\n", "x.yml").problems).toEqual([
      { file: "x.yml", key: "(file)", message: expect.stringMatching(/^could not be read: invalid YAML: /) },
    ]);
    expect(parseRepoConfigText(`ignore: ["${"a".repeat(70_000)}"]\n`).problems[0].message).toBe(
      "could not be read: the YAML is 69 KB, over the 64 KB limit",
    );
  });

  it("rejects a file that is not a mapping", () => {
    expect(resolveRepoConfig("just text").problems[0]).toMatchObject({ key: "(root)" });
  });

  it("publishes its JSON Schema in schema/empathy.schema.json, in sync with the zod schema", () => {
    const published = JSON.parse(readFileSync(new URL("../../schema/empathy.schema.json", import.meta.url), "utf8"));
    expect(published).toEqual(JSON.parse(JSON.stringify(repoConfigJsonSchema())));
    expect(Object.keys(published.properties)).toEqual(["target_level", "review", "issues", "ignore", "analysis"]);
  });
});

describe("process settings", () => {
  it("reads defaults and rejects bad numbers with the variable's name", () => {
    expect(readSettings({})).toMatchObject({
      databaseUrl: undefined,
      workerConcurrency: 1,
      jobMaxAttempts: 6,
      jobBaseDelayMs: 2000,
      jobTimeoutMs: 300_000,
      forcedReviewIntervalMs: 300_000,
      analysisWorkerMaxTasks: 2000,
      analysisWorkerMemoryMb: 1024,
      analysisLimits: {
        maxFileBytes: 1_000_000,
        maxLineLength: 10_000,
        maxNestingDepth: 200,
        fileTimeBudgetMs: 5_000,
        reviewTimeBudgetMs: 60_000,
      },
    });
    expect(readSettings({}).analysisWorkers).toBeGreaterThanOrEqual(1);
    expect(readSettings({ EMPATHY_ANALYSIS_WORKERS: "3", EMPATHY_FILE_TIME_BUDGET_SECONDS: "2" })).toMatchObject({
      analysisWorkers: 3,
      analysisLimits: { fileTimeBudgetMs: 2000 },
    });
    expect(() => readSettings({ EMPATHY_MAX_NESTING_DEPTH: "0" })).toThrow(/EMPATHY_MAX_NESTING_DEPTH/);
    expect(() => readSettings({ EMPATHY_WORKER_CONCURRENCY: "many" })).toThrow(/EMPATHY_WORKER_CONCURRENCY/);
  });
});
