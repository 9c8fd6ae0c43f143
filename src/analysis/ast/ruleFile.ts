/**
 * One rule file (see ruleSet.ts): its YAML read and checked against the schema (zod, loaded only
 * when a file is validated), then built into an `AstRule` with its regexes, globs and sink
 * references compiled. A bad file is a `RuleFileError` naming the file and what is wrong.
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import type { NapiConfig } from "@ast-grep/napi";
import picomatch from "picomatch";
import type { z as Zod } from "zod";
import { CATEGORIES, SEVERITIES, type Category, type Severity } from "../types.js";
import { yamlLibrary } from "../yamlLimits.js";
import { languagesOfRule } from "./languages.js";
import type { AstRule, SinkRef, TaintSpec } from "./ruleTypes.js";

export class RuleFileError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = "RuleFileError";
  }
}

const AST_GREP_SEVERITIES = ["hint", "info", "warning", "error", "off"] as const;
const SEVERITY_FROM_AST_GREP: Record<string, Severity> = { hint: "info", info: "low", warning: "medium", error: "high", off: "info" };

/**
 * The schema of a rule file. zod is loaded only when rule files are validated: a worker that
 * reads the validated rules from the cache starts without it (~65 ms of CPU).
 */
function ruleFileSchemaWith(z: typeof Zod) {
  const regexString = z.string().refine((s) => toRegExp(s) !== undefined, { message: "not a valid regular expression" });

  const sinkString = z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*(?:\[(?:-?\d+|\d+:|\*)\])?$/, "a metavariable name, optionally with [i], [-1], [i:] or [*]");

  const taintSchema = z
    .object({
      sink: z.union([sinkString, z.array(sinkString).min(1)]),
      keywords: z.array(z.string()).optional(),
      policy: z.enum(["source", "built", "any"]),
      sources: z.enum(["remote", "all"]).optional(),
      unknownConfidence: z.number().min(0).max(1).optional(),
      localConfidence: z.number().min(0).max(1).optional(),
      sanitizers: z.array(z.string()).optional(),
      literal: regexString.optional(),
      literalFor: z.enum(["unknown", "always"]).optional(),
      fixedPrefixSafe: z.boolean().optional(),
      localWhenBuilt: z.boolean().optional(),
      joinSinks: z.boolean().optional(),
      safePrefix: regexString.optional(),
      keywordsMarked: regexString
        .refine((s) => s.includes("NAME"), { message: "must contain NAME (where the keyword's name goes)" })
        .optional(),
      objectKeys: z.array(z.string().min(1)).optional(),
      skipArrays: z.boolean().optional(),
      literalUnlessFile: regexString.optional(),
      unknownUnlessFile: regexString.optional(),
    })
    .strict();

  const metadataSchema = z
    .object({
      category: z.enum(CATEGORIES as unknown as [Category, ...Category[]]),
      severity: z.enum(SEVERITIES as unknown as [Severity, ...Severity[]]).optional(),
      confidence: z.number().min(0).max(1),
      recommendation: z.string().min(1),
      taint: taintSchema.optional(),
      context: z
        .object({
          words: z.array(z.string().min(1)).min(1),
          weak: z.array(z.string().min(1)).optional(),
          unless: z.array(z.string().min(1)).optional(),
        })
        .strict()
        .optional(),
      fileContains: regexString.optional(),
      triggers: regexString.optional(),
      aliases: z
        .object({ definition: regexString, patterns: z.array(z.string().includes("$ALIAS")).min(1) })
        .strict()
        .optional(),
      cwe: z.union([z.string(), z.array(z.string())]).optional(),
      skipInTests: z.boolean().optional(),
      secondary: z.boolean().optional(),
      deferTo: z.array(z.enum(CATEGORIES as unknown as [Category, ...Category[]])).optional(),
      guardedBy: regexString.optional(),
      constant: z
        .object({ value: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "a metavariable name"), regex: regexString })
        .strict()
        .optional(),
    })
    .strict();

  const ruleObject = z.record(z.string(), z.unknown()).refine((r) => Object.keys(r).length > 0, { message: "must not be empty" });

  return z
    .object({
      id: z.string().regex(/^[a-z]+\/[a-z0-9-]+$/, 'an id like "js/sql-injection"'),
      language: z.string(),
      severity: z.enum(AST_GREP_SEVERITIES),
      message: z.string().min(1),
      note: z.string().optional(),
      url: z.string().optional(),
      rule: ruleObject,
      constraints: z.record(z.string(), ruleObject).optional(),
      utils: z.record(z.string(), ruleObject).optional(),
      files: z.array(z.string()).optional(),
      ignores: z.array(z.string()).optional(),
      metadata: metadataSchema,
    })
    .strict();
}

let ruleFileSchema: ReturnType<typeof ruleFileSchemaWith> | undefined;

function ruleFileSchemaNow(): ReturnType<typeof ruleFileSchemaWith> {
  return (ruleFileSchema ??= ruleFileSchemaWith((createRequire(import.meta.url)("zod") as { z: typeof Zod }).z));
}

/** `(?i)` at the start (Rust/ast-grep style) means case-insensitive. */
export function toRegExp(source: string): RegExp | undefined {
  try {
    const m = /^\(\?([a-z]+)\)/.exec(source);
    const flags = m ? [...new Set(m[1].replace(/[^ims]/g, ""))].join("") : "";
    return new RegExp(m ? source.slice(m[0].length) : source, flags);
  } catch {
    return undefined;
  }
}

function describeZodError(err: Zod.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join(".") : "(file)"}: ${i.message}`)
    .join("; ");
}

function parseSink(s: string): SinkRef {
  const m = /^([A-Z_][A-Z0-9_]*)(?:\[(-?\d+|\d+:|\*)\])?$/.exec(s)!;
  const idx = m[2];
  if (idx === undefined) return { name: m[1] };
  if (idx === "*") return { name: m[1], index: { from: 0 } };
  if (idx.endsWith(":")) return { name: m[1], index: { from: Number(idx.slice(0, -1)) } };
  return { name: m[1], index: { at: Number(idx) } };
}

/** Every `$NAME` / `$$$NAME` a rule mentions (in patterns, constraints and utils). */
function metavariables(value: unknown, out = new Set<string>()): Set<string> {
  if (typeof value === "string") {
    for (const m of value.matchAll(/\$(?:\$\$)?([A-Z_][A-Z0-9_]*)/g)) out.add(m[1]);
  } else if (Array.isArray(value)) {
    for (const v of value) metavariables(v, out);
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      out.add(k); // constraint keys name metavariables too
      metavariables(v, out);
    }
  }
  return out;
}

/**
 * A rule regex with ASCII classes: `\w`, `\s`, `\d` as `(?-u:\w)`... (inside `[...]` as their
 * ASCII ranges). napi compiles a rule on every search, once per file, and Rust's Unicode `\w`
 * makes a regex about twenty times as costly to compile as its ASCII form: with these classes
 * the per-file matcher costs a fraction of what it did. Code is matched on ASCII names; a
 * non-ASCII letter is no longer a `\w`.
 */
export function asciiClasses(regex: string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < regex.length; i++) {
    const c = regex[i];
    if (c === "\\" && i + 1 < regex.length) {
      const e = regex[++i];
      if (e === "w" || e === "s" || e === "d") {
        if (inClass) out += e === "w" ? "0-9A-Za-z_" : e === "s" ? "\\t\\n\\x0B\\f\\r " : "0-9";
        else out += `(?-u:\\${e})`;
      } else out += c + e;
      continue;
    }
    if (!inClass && c === "[") {
      inClass = true;
      out += c;
      // `[]...]` and `[^]...]`: a leading `]` is a literal
      if (regex[i + 1] === "^") out += regex[++i];
      if (regex[i + 1] === "]") out += regex[++i];
      continue;
    }
    if (inClass && c === "]") inClass = false;
    out += c;
  }
  return out;
}

/** The rule object with every `regex:` in ASCII form (see asciiClasses). */
function withAsciiRegexes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withAsciiRegexes);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = k === "regex" && typeof v === "string" ? asciiClasses(v) : withAsciiRegexes(v);
    return out;
  }
  return value;
}

export type RuleFileData = Zod.infer<ReturnType<typeof ruleFileSchemaWith>>;

/** Reads and validates one rule file. Throws RuleFileError. */
export function readRuleFile(path: string, displayPath = path): AstRule {
  return buildRule(parseRuleText(readRuleText(path, displayPath), displayPath), displayPath);
}

export function readRuleText(path: string, displayPath: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new RuleFileError(displayPath, `cannot be read: ${(err as Error).message}`);
  }
}

/** A rule file's YAML, checked against the schema. Throws RuleFileError. */
export function parseRuleText(text: string, displayPath: string): RuleFileData {
  const docs = yamlLibrary().parseAllDocuments(text, { prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const nonEmpty = list.filter((d) => d.contents !== null);
  if (nonEmpty.length !== 1) throw new RuleFileError(displayPath, `must hold exactly one rule (found ${nonEmpty.length} YAML documents)`);
  const doc = nonEmpty[0];
  if (doc.errors.length > 0) throw new RuleFileError(displayPath, `invalid YAML: ${doc.errors[0].message}`);
  const parsed = ruleFileSchemaNow().safeParse(doc.toJS());
  if (!parsed.success) throw new RuleFileError(displayPath, describeZodError(parsed.error));
  return parsed.data;
}

/** The rule a validated file describes (regexes and globs compiled). Throws RuleFileError. */
export function buildRule(raw: RuleFileData, displayPath: string): AstRule {
  const languages = languagesOfRule(raw.language);
  if (!languages)
    throw new RuleFileError(displayPath, `language: "${raw.language}" is not supported (JavaScript, TypeScript, Tsx, Python, Go, Java)`);
  const m = raw.metadata;

  let taint: TaintSpec | undefined;
  if (m.taint) {
    const t = m.taint;
    const sinks = (Array.isArray(t.sink) ? t.sink : [t.sink]).map(parseSink);
    const known = metavariables([raw.rule, raw.utils ?? {}]);
    for (const s of sinks) {
      if (!known.has(s.name))
        throw new RuleFileError(displayPath, `metadata.taint.sink: metavariable $${s.name} does not appear in the rule`);
    }
    taint = {
      sinks,
      keywords: t.keywords ?? [],
      policy: t.policy,
      sources: t.sources ?? "all",
      unknownConfidence: t.unknownConfidence ?? Math.max(0.3, m.confidence - 0.3),
      localConfidence: t.localConfidence ?? Math.max(0.3, m.confidence - 0.15),
      sanitizers: t.sanitizers ?? [],
      literal: t.literal !== undefined ? toRegExp(t.literal) : undefined,
      literalFor: t.literalFor ?? "unknown",
      fixedPrefixSafe: t.fixedPrefixSafe ?? false,
      localWhenBuilt: t.localWhenBuilt ?? false,
      joinSinks: t.joinSinks ?? false,
      safePrefix: t.safePrefix !== undefined ? toRegExp(t.safePrefix) : undefined,
      keywordsMarked: t.keywordsMarked,
      objectKeys: t.objectKeys ?? [],
      skipArrays: t.skipArrays ?? false,
      literalUnlessFile: t.literalUnlessFile !== undefined ? toRegExp(t.literalUnlessFile) : undefined,
      unknownUnlessFile: t.unknownUnlessFile !== undefined ? toRegExp(t.unknownUnlessFile) : undefined,
    };
  }

  if (m.constant && !metavariables([raw.rule, raw.utils ?? {}]).has(m.constant.value))
    throw new RuleFileError(displayPath, `metadata.constant.value: metavariable $${m.constant.value} does not appear in the rule`);
  const config: NapiConfig = { rule: withAsciiRegexes(raw.rule) as NapiConfig["rule"] };
  if (raw.constraints) config.constraints = withAsciiRegexes(raw.constraints) as NapiConfig["constraints"];
  if (raw.utils) config.utils = withAsciiRegexes(raw.utils) as NapiConfig["utils"];

  return {
    id: raw.id,
    file: displayPath,
    language: raw.language,
    languages,
    category: m.category,
    severity: m.severity ?? SEVERITY_FROM_AST_GREP[raw.severity],
    confidence: m.confidence,
    message: raw.message.trim(),
    recommendation: m.recommendation.trim(),
    config,
    configs: {},
    taint,
    context: m.context
      ? {
          words: m.context.words.map((w) => w.toLowerCase()),
          weak: (m.context.weak ?? []).map((w) => w.toLowerCase()),
          unless: (m.context.unless ?? []).map((w) => w.toLowerCase()),
        }
      : undefined,
    fileContains: m.fileContains !== undefined ? toRegExp(m.fileContains) : undefined,
    triggers: m.triggers !== undefined ? toRegExp(m.triggers) : undefined,
    aliases: m.aliases ? { definition: toRegExp(m.aliases.definition)!, patterns: m.aliases.patterns } : undefined,
    files: raw.files ? picomatch(raw.files, { dot: true }) : undefined,
    ignores: raw.ignores ? picomatch(raw.ignores, { dot: true }) : undefined,
    skipInTests: m.skipInTests ?? false,
    secondary: m.secondary ? [m.category, ...(m.deferTo ?? [])] : undefined,
    guardedBy: m.guardedBy !== undefined ? toRegExp(m.guardedBy) : undefined,
    constant: m.constant ? { name: m.constant.value, regex: toRegExp(m.constant.regex)! } : undefined,
  };
}
