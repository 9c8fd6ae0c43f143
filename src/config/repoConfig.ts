/**
 * The repository config, `.github/empathy.yml`: its schema (zod), defaults for every key,
 * and validation that never fails a review: bad values fall back to defaults and are
 * reported as problems (file, key, message) for the summary comment.
 */
import { didYouMean } from "./didYouMean.js";
import { z } from "zod";
import type { AnalysisLimits } from "../analysis/limits.js";
import { SEVERITIES } from "../analysis/types.js";
import { parseBoundedYaml, REPO_CONFIG_YAML_LIMITS, YamlLimitError } from "../analysis/yamlLimits.js";

export const CONFIG_FILE = "empathy.yml";
export const CONFIG_PATH = `.github/${CONFIG_FILE}`;

/** A login or a glob of logins: GitHub's characters (letters, digits, `-`, `_`, `.`, `[bot]`) and the wildcards. */
const authorGlob = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_.*?[\]-]+$/, "must be a login or a glob of logins: letters, digits, -, _, ., [bot], and the wildcards * and ?");

/** One `paths` entry: a glob and the settings its files take (any key left out: a less specific entry's, else the top level's). */
const pathOverride = z
  .object({
    glob: z
      .string({
        error: (issue) =>
          issue.input === undefined
            ? "is required: the files the entry applies to, e.g. services/payments/**"
            : "must be a glob in a string, e.g. services/payments/**",
      })
      .min(1)
      .max(200)
      .describe(
        "Files this entry applies to, from the repository root: `*` any characters within a folder name, `**` any folders, `?` one character, everything else literal; a trailing `/` is the whole folder. E.g. `services/payments/**`, `**/*.sql`.",
      ),
    min_severity: z.enum(SEVERITIES).optional().describe("These files' findings below this severity are not reported."),
    target_level: z
      .number()
      .int()
      .min(1)
      .max(5)
      .optional()
      .describe("Highest empathy level for these files; the pull request acts at the highest level among its files."),
  })
  .strict();

export const repoConfigSchema = z
  .object({
    target_level: z
      .number()
      .int()
      .min(1)
      .max(5)
      .default(5)
      .describe("Highest empathy level the bot may act at (1 reactive … 5 transformative)."),
    review: z
      .object({
        enabled: z.boolean().default(true).describe("Review pull requests at all."),
        drafts: z.boolean().default(false).describe("Review draft pull requests; when false, drafts wait until ready for review."),
        max_inline_comments: z
          .number()
          .int()
          .min(0)
          .max(100)
          .default(20)
          .describe("Most inline comments in one review; the rest go in the summary."),
        min_severity: z
          .enum(SEVERITIES)
          .default("medium")
          .describe("Findings below this severity are not commented on or counted in the summary."),
        labels: z.boolean().default(true).describe("Add `empathy: …` labels to reviewed pull requests."),
        ignore_authors: z
          .array(authorGlob)
          .max(50)
          .default([])
          .describe(
            "Logins whose pull requests are not reviewed at all (no comment, label or check), e.g. `renovate[bot]`, `*-bot`. `*` and `?` are wildcards, everything else literal; case-insensitive.",
          )
          .meta({ examples: [["renovate[bot]", "dependabot[bot]", "*-bot"]] }),
      })
      .strict()
      .default({ enabled: true, drafts: false, max_inline_comments: 20, min_severity: "medium", labels: true, ignore_authors: [] }),
    issues: z
      .object({
        enabled: z.boolean().default(true).describe("Open an issue for each high-confidence prediction."),
        min_confidence: z.number().min(0).max(1).default(0.85).describe("Lowest prediction confidence that opens an issue."),
        labels: z.array(z.string().min(1).max(50)).max(10).default(["empathy: prediction"]).describe("Labels on prediction issues."),
      })
      .strict()
      .default({ enabled: true, min_confidence: 0.85, labels: ["empathy: prediction"] }),
    ignore: z
      .array(z.string().min(1).max(1000))
      .max(200)
      .default([])
      .describe(
        "Globs of files never reviewed (e.g. `docs/**`, `**/*.snap`). Generated, vendored and minified files and lock files are skipped anyway.",
      ),
    analysis: z
      .object({
        large_change_lines: z
          .number()
          .int()
          .min(1)
          .default(1000)
          .describe("Changed lines above which a pull request is predicted hard to review."),
        max_files: z
          .number()
          .int()
          .min(0)
          .max(3000)
          .default(300)
          .describe("Most changed files whose whole content is fetched, so rules see their context."),
        // The limits below can only lower the operator's (EMPATHY_MAX_FILE_BYTES etc.): no default here.
        max_file_bytes: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe(
            "Largest file analysed, in bytes; a larger whole file is analysed from its diff alone. At most the operator's limit (1,000,000 by default).",
          ),
        max_line_length: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe("Files with a longer line (minified or generated) are not analysed. At most the operator's limit (10,000 by default)."),
        max_nesting_depth: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe("Files nested deeper (brackets or indentation) are not analysed. At most the operator's limit (200 by default)."),
        file_time_budget_seconds: z
          .number()
          .min(0.1)
          .optional()
          .describe(
            "Analysis time for one file before it is stopped and listed as not analysed. At most the operator's limit (5 by default).",
          ),
        review_time_budget_seconds: z
          .number()
          .min(1)
          .optional()
          .describe("Analysis time for the whole pull request. At most the operator's limit (60 by default)."),
      })
      .strict()
      .default({ large_change_lines: 1000, max_files: 300 }),
    paths: z
      .array(pathOverride)
      .max(50)
      .default([])
      .describe(
        "Settings for the files of a folder (a monorepo's services): each file takes, key by key, the value of the most specific glob that matches it and sets that key (the longest text before the first wildcard, then the longest glob, then the later entry), else the top-level value. A pull request acts at the highest target_level among its reviewed files.",
      )
      .meta({
        examples: [
          [
            { glob: "services/payments/**", min_severity: "low", target_level: 5 },
            { glob: "docs/**", target_level: 2 },
          ],
        ],
      }),
    checks: z
      .object({
        fail_on: z
          .enum(SEVERITIES)
          .default("high")
          .describe(
            'The "Empathy review" check run fails when a finding is at least this severe, is neutral when there are only findings below it, succeeds when there are none.',
          ),
        code_scanning: z
          .boolean()
          .default(false)
          .describe("Also upload the findings to GitHub code scanning as SARIF (needs the app's `security_events: write` permission)."),
      })
      .strict()
      .default({ fail_on: "high", code_scanning: false }),
    llm: z
      .boolean()
      .default(true)
      .describe(
        "Let the operator's language model (EMPATHY_LLM_URL) phrase answers and the pull request walkthrough from the analysis; false: never send this repository's code or findings to it. Without an operator's model this changes nothing.",
      ),
  })
  .strict();

export type RepoConfig = z.infer<typeof repoConfigSchema>;

/** The limits a repository asks for; they can only lower the operator's (see lowerLimits). */
export function repoAnalysisLimits(config: RepoConfig): Partial<AnalysisLimits> {
  const a = config.analysis;
  const ms = (s: number | undefined) => (s === undefined ? undefined : Math.round(s * 1000));
  return {
    maxFileBytes: a.max_file_bytes,
    maxLineLength: a.max_line_length,
    maxNestingDepth: a.max_nesting_depth,
    fileTimeBudgetMs: ms(a.file_time_budget_seconds),
    reviewTimeBudgetMs: ms(a.review_time_budget_seconds),
  };
}

export interface ConfigProblem {
  file: string;
  key: string;
  message: string;
}

export const DEFAULT_CONFIG: RepoConfig = repoConfigSchema.parse({});

/** The JSON Schema published in schema/empathy.schema.json (editors validate the file with it). */
export function repoConfigJsonSchema(): object {
  return { title: "Empathy bot repository config (.github/empathy.yml)", ...z.toJSONSchema(repoConfigSchema, { io: "input" }) };
}

/**
 * Validates raw config. Each invalid key is reported and replaced by its default, so one
 * wrong value does not throw away the rest of the file.
 */
export function resolveRepoConfig(raw: unknown, file = CONFIG_PATH): { config: RepoConfig; problems: ConfigProblem[] } {
  if (raw === null || raw === undefined) return { config: structuredClone(DEFAULT_CONFIG), problems: [] };
  if (typeof raw !== "object" || Array.isArray(raw)) {
    return {
      config: structuredClone(DEFAULT_CONFIG),
      problems: [{ file, key: "(root)", message: "the file must be a YAML mapping of keys to values" }],
    };
  }
  const problems: ConfigProblem[] = [];
  let candidate: unknown = structuredClone(raw);
  delete (candidate as Record<string, unknown>)._extends;
  // Drop each offending key and validate again, until what is left is valid.
  for (let i = 0; i < 50; i++) {
    const result = repoConfigSchema.safeParse(candidate);
    if (result.success) return { config: result.data, problems };
    for (const issue of result.error.issues) {
      const keys = issue.code === "unrecognized_keys" ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
      for (const path of keys) {
        problems.push({ file, key: path.join(".") || "(root)", message: issueMessage(issue, path) });
        candidate = removePath(candidate, path);
      }
    }
  }
  return { config: structuredClone(DEFAULT_CONFIG), problems };
}

function issueMessage(issue: z.core.$ZodIssue, path: PropertyKey[]): string {
  if (issue.code === "unrecognized_keys") return unknownKeyMessage(String(path[path.length - 1]), knownRepoConfigKeys(path.slice(0, -1)));
  return issue.message;
}

/**
 * "unknown key (did you mean min_severity?); known keys: …", as the operator config says it: the
 * same words in the summary comment, `/empathy config` and `empathy config check`.
 */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const suggestion = didYouMean(key, known);
  return `unknown key${suggestion ? ` (did you mean ${suggestion}?)` : ""}${known.length > 0 ? `; known keys: ${known.join(", ")}` : ""}`;
}

/** The keys the schema knows at a path of mappings (`[]`: the top level; `["review"]`; `["paths", 0]`…). */
export function knownRepoConfigKeys(path: readonly PropertyKey[]): string[] {
  let schema: z.core.$ZodType | undefined = repoConfigSchema;
  for (const segment of [...path, undefined]) {
    // Through `.default()` and `.optional()` to the object inside.
    while (schema && (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional)) schema = schema.def.innerType;
    // A list's element (`paths.0`): the keys of its entries.
    if (schema instanceof z.ZodArray && segment !== undefined && /^\d+$/.test(String(segment))) {
      schema = schema.element;
      continue;
    }
    if (!(schema instanceof z.ZodObject)) return [];
    if (segment === undefined) return Object.keys(schema.shape);
    schema = (schema.shape as Record<string, z.core.$ZodType>)[String(segment)];
  }
  return [];
}

type Mapping = Record<PropertyKey, unknown>;

function removePath(obj: unknown, path: PropertyKey[]): unknown {
  if (path.length === 0) return {};
  let cursor = obj;
  for (const key of path.slice(0, -1)) {
    if (cursor === null || typeof cursor !== "object") return obj;
    cursor = (cursor as Mapping)[key];
  }
  if (cursor !== null && typeof cursor === "object") {
    if (Array.isArray(cursor)) {
      // An invalid array element invalidates the whole array: drop the array.
      return removePath(obj, path.slice(0, -1));
    }
    const key = path[path.length - 1];
    // A required key that is missing (a `paths` entry without its glob): drop what holds it.
    if (!Object.hasOwn(cursor, key)) return removePath(obj, path.slice(0, -1));
    delete (cursor as Mapping)[key];
  }
  return obj;
}

/**
 * One config file's text as the app reads it (src/github/api/repoConfigLoader.ts), with the same
 * words for each file-level problem: bounded YAML (REPO_CONFIG_YAML_LIMITS), an empty file is an
 * empty mapping, anything but a mapping is refused. `raw` is null when the file is refused: the
 * review then runs with the defaults. For `empathy review` and `empathy config check`, which read
 * the file from disk.
 */
export function parseRepoConfigText(text: string, file = CONFIG_PATH): { raw: Record<string, unknown> | null; problems: ConfigProblem[] } {
  let parsed: unknown;
  try {
    parsed = parseBoundedYaml(text, REPO_CONFIG_YAML_LIMITS);
  } catch (error) {
    const why =
      error instanceof YamlLimitError
        ? `the YAML ${error.message}`
        : `invalid YAML: ${String((error as Error).message)
            .split("\n")[0]
            .replace(/:$/, "")}`;
    return { raw: null, problems: [{ file, key: "(file)", message: `could not be read: ${why}` }] };
  }
  if (parsed === null || parsed === undefined) return { raw: {}, problems: [] };
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    return { raw: null, problems: [{ file, key: "(root)", message: "the file must be a YAML mapping of keys to values" }] };
  }
  return { raw: parsed as Record<string, unknown>, problems: [] };
}
