import { readFileSync } from "node:fs";
import { DEFAULT_CONFIG, repoConfigJsonSchema, resolveRepoConfig } from "../../src/config/repoConfig.js";
import { readSettings } from "../../src/config/env.js";

describe("repository config", () => {
  it("has a default for every key", () => {
    expect(DEFAULT_CONFIG).toEqual({
      target_level: 5,
      review: { enabled: true, drafts: false, max_inline_comments: 20, min_severity: "low", labels: true },
      issues: { enabled: true, min_confidence: 0.85, labels: ["empathy: prediction"] },
      ignore: [],
      analysis: { large_change_lines: 1000, max_files: 300, max_file_bytes: 1_000_000 },
    });
    expect(resolveRepoConfig(null)).toEqual({ config: DEFAULT_CONFIG, problems: [] });
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
    expect(readSettings({})).toEqual({ databaseUrl: undefined, workerConcurrency: 1, jobMaxAttempts: 6, jobBaseDelayMs: 2000 });
    expect(() => readSettings({ EMPATHY_WORKER_CONCURRENCY: "many" })).toThrow(/EMPATHY_WORKER_CONCURRENCY/);
  });
});
