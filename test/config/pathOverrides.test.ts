import type { Finding, Severity } from "../../src/analysis/types.js";
import { keepBySeverity, PathOverrides, pullRequestSettings, settingsForPath } from "../../src/config/pathOverrides.js";
import { resolveRepoConfig, type RepoConfig } from "../../src/config/repoConfig.js";

function configOf(raw: Record<string, unknown>): RepoConfig {
  const { config, problems } = resolveRepoConfig(raw);
  expect(problems).toEqual([]);
  return config;
}

const monorepo = configOf({
  target_level: 3,
  review: { min_severity: "medium" },
  paths: [
    { glob: "services/**", min_severity: "high" },
    { glob: "services/payments/**", min_severity: "low", target_level: 5 },
    { glob: "docs/**", target_level: 1, min_severity: "critical" },
    { glob: "**/*.sql", target_level: 4 },
  ],
});

describe("settingsForPath", () => {
  it("gives files no entry matches the top-level values", () => {
    expect(settingsForPath(monorepo, "src/index.ts")).toEqual({ minSeverity: "medium", targetLevel: 3 });
    expect(settingsForPath(resolveRepoConfig({}).config, "services/payments/api.ts")).toEqual({ minSeverity: "medium", targetLevel: 5 });
  });

  it("takes each key from the most specific entry that sets it (longest literal prefix first)", () => {
    // services/payments/ beats services/ for both keys, whatever the order in the file.
    expect(settingsForPath(monorepo, "services/payments/api.ts")).toEqual({ minSeverity: "low", targetLevel: 5 });
    // services/ sets min_severity only; target_level comes from **/*.sql (the only entry setting it).
    expect(settingsForPath(monorepo, "services/orders/schema.sql")).toEqual({ minSeverity: "high", targetLevel: 4 });
    expect(settingsForPath(monorepo, "services/orders/api.ts")).toEqual({ minSeverity: "high", targetLevel: 3 });
    // services/payments/ (longer prefix) beats **/*.sql for target_level.
    expect(settingsForPath(monorepo, "services/payments/db/001.sql")).toEqual({ minSeverity: "low", targetLevel: 5 });
    expect(settingsForPath(monorepo, "docs/guide.md")).toEqual({ minSeverity: "critical", targetLevel: 1 });
    expect(settingsForPath(monorepo, "db/001.sql")).toEqual({ minSeverity: "medium", targetLevel: 4 });
  });

  it("breaks a tie in prefix by the longer glob, then by the later entry", () => {
    const longer = configOf({
      paths: [
        { glob: "services/*/api/**", target_level: 2 },
        { glob: "services/**", target_level: 4 },
      ],
    });
    expect(settingsForPath(longer, "services/a/api/x.ts").targetLevel).toBe(2);
    expect(settingsForPath(longer, "services/a/web/x.ts").targetLevel).toBe(4);
    const same = configOf({
      paths: [
        { glob: "lib/**", target_level: 2 },
        { glob: "lib/**", target_level: 4 },
      ],
    });
    expect(settingsForPath(same, "lib/x.ts").targetLevel).toBe(4);
  });
});

describe("pullRequestSettings", () => {
  it("acts at the highest target level among the files and analyses down to the lowest minimum severity", () => {
    expect(pullRequestSettings(monorepo, ["docs/guide.md"])).toEqual({ targetLevel: 1, minSeverity: "critical" });
    // Touching services/payments brings that folder's level and severity.
    expect(pullRequestSettings(monorepo, ["docs/guide.md", "services/payments/api.ts"])).toEqual({ targetLevel: 5, minSeverity: "low" });
    expect(pullRequestSettings(monorepo, ["docs/guide.md", "src/index.ts"])).toEqual({ targetLevel: 3, minSeverity: "medium" });
  });

  it("uses the top-level values for a pull request without reviewed files", () => {
    expect(pullRequestSettings(monorepo, [])).toEqual({ targetLevel: 3, minSeverity: "medium" });
  });

  it("stays fast with 50 hostile globs over 3,000 files", () => {
    const hostile = configOf({
      paths: Array.from({ length: 50 }, (_, i) => ({ glob: `**/*a*a*a*a*a*a*a*a*b${i}`, target_level: 1 + (i % 5) })),
    });
    // Paths no literal prefix can rule out: every glob is matched against every file.
    const files = Array.from({ length: 3_000 }, (_, i) => `dir${i}/${"a".repeat(200)}`);
    const started = performance.now();
    expect(pullRequestSettings(hostile, files)).toEqual({ targetLevel: 5, minSeverity: "medium" });
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

describe("keepBySeverity", () => {
  const finding = (path: string, severity: Severity): Finding => ({
    rule: "js/x",
    category: "sql-injection",
    path,
    line: 1,
    side: "RIGHT",
    severity,
    confidence: 0.9,
    message: "m",
    recommendation: "r",
    fingerprint: `${path}:${severity}`,
  });

  it("drops each finding below its own file's minimum severity", () => {
    const findings = [
      finding("services/payments/api.ts", "low"),
      finding("services/orders/api.ts", "medium"),
      finding("services/orders/api.ts", "high"),
      finding("docs/run.sh", "high"),
      finding("docs/run.sh", "critical"),
      finding("src/index.ts", "low"),
      finding("src/index.ts", "medium"),
    ];
    expect(keepBySeverity(monorepo, findings).map((f) => f.fingerprint)).toEqual([
      "services/payments/api.ts:low",
      "services/orders/api.ts:high",
      "docs/run.sh:critical",
      "src/index.ts:medium",
    ]);
    expect(new PathOverrides(resolveRepoConfig({}).config).keepBySeverity(findings)).toHaveLength(5);
  });
});
