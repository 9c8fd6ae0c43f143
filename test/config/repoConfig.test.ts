import { readFileSync } from "node:fs";
import { lowerLimits } from "../../src/analysis/limits.js";
import { DEFAULT_CONFIG, repoAnalysisLimits, repoConfigJsonSchema, resolveRepoConfig } from "../../src/config/repoConfig.js";
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
    const operator = { maxFileBytes: 1_000_000, maxLineLength: 10_000, maxNestingDepth: 200, fileTimeBudgetMs: 5_000, reviewTimeBudgetMs: 60_000 };
    const { config } = resolveRepoConfig({
      analysis: { max_file_bytes: 50_000_000, max_line_length: 500, max_nesting_depth: 1000, file_time_budget_seconds: 1.5, review_time_budget_seconds: 600 },
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
      { file: ".github/empathy.yml", key: "review.colour", message: "unknown key" },
      { file: ".github/empathy.yml", key: "issues.min_confidence", message: expect.stringMatching(/<=1/) },
    ]);
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
      analysisLimits: { maxFileBytes: 1_000_000, maxLineLength: 10_000, maxNestingDepth: 200, fileTimeBudgetMs: 5_000, reviewTimeBudgetMs: 60_000 },
    });
    expect(readSettings({}).analysisWorkers).toBeGreaterThanOrEqual(1);
    expect(readSettings({ EMPATHY_ANALYSIS_WORKERS: "3", EMPATHY_FILE_TIME_BUDGET_SECONDS: "2" })).toMatchObject({ analysisWorkers: 3, analysisLimits: { fileTimeBudgetMs: 2000 } });
    expect(() => readSettings({ EMPATHY_MAX_NESTING_DEPTH: "0" })).toThrow(/EMPATHY_MAX_NESTING_DEPTH/);
    expect(() => readSettings({ EMPATHY_WORKER_CONCURRENCY: "many" })).toThrow(/EMPATHY_WORKER_CONCURRENCY/);
  });
});
