import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
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
      review: { enabled: true, drafts: false, max_inline_comments: 20, min_severity: "medium", labels: true, ignore_authors: [] },
      issues: { enabled: true, min_confidence: 0.85, labels: ["empathy: prediction"] },
      ignore: [],
      analysis: { large_change_lines: 1000, max_files: 300 },
      paths: [],
      checks: { fail_on: "high", code_scanning: false },
      llm: true,
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
        message: "unknown key; known keys: enabled, drafts, max_inline_comments, min_severity, labels, ignore_authors",
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
      ["ignroe", "unknown key (did you mean ignore?); known keys: target_level, review, issues, ignore, analysis, paths, checks, llm"],
      [
        "review.max-inline-comments",
        "unknown key (did you mean max_inline_comments?); known keys: enabled, drafts, max_inline_comments, min_severity, labels, ignore_authors",
      ],
      [
        "review.min_severty",
        "unknown key (did you mean min_severity?); known keys: enabled, drafts, max_inline_comments, min_severity, labels, ignore_authors",
      ],
      [
        "targetLevel",
        "unknown key (did you mean target_level?); known keys: target_level, review, issues, ignore, analysis, paths, checks, llm",
      ],
    ]);
    // Nothing close: no guess.
    expect(resolveRepoConfig({ colour: "red" }).problems[0].message).toBe(
      "unknown key; known keys: target_level, review, issues, ignore, analysis, paths, checks, llm",
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
    expect(Object.keys(published.properties)).toEqual(["target_level", "review", "issues", "ignore", "analysis", "paths", "checks", "llm"]);
  });
});

describe("repository config: ignore_authors, paths and checks", () => {
  it("keeps valid values of the three keys", () => {
    const raw = {
      review: { ignore_authors: ["renovate[bot]", "*-bot", "Dependabot[bot]"] },
      paths: [
        { glob: "services/payments/**", min_severity: "low", target_level: 5 },
        { glob: "docs/**", target_level: 2 },
      ],
      checks: { fail_on: "medium", code_scanning: true },
    };
    const { config, problems } = resolveRepoConfig(raw);
    expect(problems).toEqual([]);
    expect(config.review.ignore_authors).toEqual(raw.review.ignore_authors);
    expect(config.paths).toEqual(raw.paths);
    expect(config.checks).toEqual({ fail_on: "medium", code_scanning: true });
    expect(resolveRepoConfig({ checks: { code_scanning: true } }).config.checks).toEqual({ fail_on: "high", code_scanning: true });
  });

  it("refuses unbounded lists: 10,000 author patterns or paths entries, a 101-character login glob", () => {
    const many = Array.from({ length: 10_000 }, (_, i) => `bot-${i}`);
    const authors = resolveRepoConfig({ review: { ignore_authors: many, drafts: true } });
    expect(authors.config.review).toEqual({ ...DEFAULT_CONFIG.review, drafts: true });
    expect(authors.problems).toEqual([
      { file: ".github/empathy.yml", key: "review.ignore_authors", message: expect.stringMatching(/<=50/) },
    ]);
    expect(resolveRepoConfig({ review: { ignore_authors: many.slice(0, 50) } }).problems).toEqual([]);

    const paths = resolveRepoConfig({ paths: many.slice(0, 51).map((glob) => ({ glob, target_level: 1 })) });
    expect(paths.config.paths).toEqual([]);
    expect(paths.problems.map((p) => p.key)).toEqual(["paths"]);

    const long = resolveRepoConfig({ review: { ignore_authors: ["a".repeat(101)] } });
    expect(long.config.review.ignore_authors).toEqual([]);
    expect(long.problems[0]).toMatchObject({ key: "review.ignore_authors.0", message: expect.stringMatching(/<=100/) });
    expect(resolveRepoConfig({ paths: [{ glob: `${"a/".repeat(100)}**` }] }).problems[0]).toMatchObject({ key: "paths.0.glob" });
  });

  it("says what is wrong in an author glob or a paths entry, and keeps the rest of the file", () => {
    const { config, problems } = resolveRepoConfig({
      target_level: 3,
      review: { ignore_authors: ["renovate bot"] },
      checks: { fail_on: "severe", code_scanning: "yes" },
    });
    expect(config).toEqual({ ...DEFAULT_CONFIG, target_level: 3 });
    expect(problems.map((p) => [p.key, p.message])).toEqual([
      ["review.ignore_authors.0", expect.stringMatching(/^must be a login or a glob of logins/)],
      ["checks.fail_on", expect.stringMatching(/info.*low.*medium.*high.*critical/)],
      ["checks.code_scanning", expect.stringMatching(/expected boolean/)],
    ]);

    // A mistyped key in an entry: reported with a did-you-mean, the entry kept without it.
    const typo = resolveRepoConfig({ paths: [{ glob: "services/**", min_severty: "low", target_level: 4 }] });
    expect(typo.config.paths).toEqual([{ glob: "services/**", target_level: 4 }]);
    expect(typo.problems).toEqual([
      {
        file: ".github/empathy.yml",
        key: "paths.0.min_severty",
        message: "unknown key (did you mean min_severity?); known keys: glob, min_severity, target_level",
      },
    ]);
    // A bad value in an entry: that key falls back (to the top level's), the entry stays.
    const level = resolveRepoConfig({ paths: [{ glob: "services/**", target_level: 9, min_severity: "low" }] });
    expect(level.config.paths).toEqual([{ glob: "services/**", min_severity: "low" }]);
    expect(level.problems.map((p) => p.key)).toEqual(["paths.0.target_level"]);
  });

  it("drops a paths list with an entry without a glob once, instead of looping on the missing key", () => {
    const { config, problems } = resolveRepoConfig({ target_level: 2, paths: [{ glob: "docs/**", target_level: 1 }, { target_level: 5 }] });
    expect(config).toEqual({ ...DEFAULT_CONFIG, target_level: 2 });
    expect(problems).toEqual([
      {
        file: ".github/empathy.yml",
        key: "paths.1.glob",
        message: "is required: the files the entry applies to, e.g. services/payments/**",
      },
    ]);
    // Not a list at all, or an entry that is not a mapping.
    expect(resolveRepoConfig({ paths: "services/**" }).problems.map((p) => p.key)).toEqual(["paths"]);
    expect(resolveRepoConfig({ paths: ["services/**"] }).problems.map((p) => p.key)).toEqual(["paths.0"]);
  });

  it("the published JSON Schema validates the new keys as the app does", () => {
    const ajv = new Ajv2020({ allErrors: true });
    const validate = ajv.compile(JSON.parse(readFileSync(new URL("../../schema/empathy.schema.json", import.meta.url), "utf8")));
    const good = {
      review: { ignore_authors: ["renovate[bot]", "*-bot"] },
      paths: [{ glob: "services/payments/**", min_severity: "low", target_level: 5 }],
      checks: { fail_on: "critical", code_scanning: false },
    };
    expect(validate(good)).toBe(true);
    for (const bad of [
      { review: { ignore_authors: Array.from({ length: 51 }, (_, i) => `u${i}`) } },
      { review: { ignore_authors: ["renovate bot"] } },
      { paths: [{ target_level: 5 }] },
      { paths: [{ glob: "a/**", target_level: 6 }] },
      { paths: [{ glob: "a/**", colour: "red" }] },
      { checks: { fail_on: "severe" } },
    ]) {
      expect(validate(bad)).toBe(false);
      expect(resolveRepoConfig(bad).problems.length).toBeGreaterThan(0);
    }
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
