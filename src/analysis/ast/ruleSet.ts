/**
 * Loading the AST rules: one ast-grep YAML rule file per rule (see rules/README.md), read and
 * validated once, compiled into one matcher per language. A bad rule file is an error that
 * names the file and says what is wrong; rules for a language whose grammar is not available
 * on this machine are left out (and said so), not an error.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { kind as kindId, parse as parseNapi, type NapiConfig } from "@ast-grep/napi";
import picomatch from "picomatch";
import { parseAllDocuments } from "yaml";
import type { z as Zod } from "zod";
import { CATEGORIES, SEVERITIES, type Category, type Severity } from "../types.js";
import { AST_LANGUAGES, NAPI_LANG, languageSupport, languagesOfRule, type AstLanguage } from "./languages.js";

/** Which non-literal values reach a sink before it is a finding. */
export type TaintPolicy = "source" | "built" | "any";

/** A reference to the value(s) a sink consumes: `SQL`, `ARGS[0]`, `ARGS[-1]`, `ARGS[1:]`, `ARGS[*]`. */
export interface SinkRef {
  name: string;
  /** undefined: the single metavariable; otherwise positions in a `$$$` list (named nodes, keyword arguments excluded). */
  index?: { from: number; to?: number } | { at: number };
}

export interface TaintSpec {
  sinks: SinkRef[];
  /** Keyword arguments (Python) that also carry the sink value, e.g. `url` in `requests.get(url=...)`. */
  keywords: string[];
  policy: TaintPolicy;
  /** "remote": only data from the network (requests, events, the URL) counts as a source. */
  sources: "remote" | "all";
  unknownConfidence: number;
  localConfidence: number;
  sanitizers: string[];
  /** Text the literal parts of the value must contain (e.g. SQL keywords, an HTML tag). */
  literal?: RegExp;
  literalFor: "unknown" | "always";
  /** The sink values are parts of one output (fmt.Fprintf(w, format, args...)): judge them together. */
  joinSinks: boolean;
  /** With `sources: remote`, a local source (argv, env) still counts when it is built into a larger value (a path under a base directory). */
  localWhenBuilt: boolean;
  /** A value that starts with a fixed literal origin (`/path`, `https://host/`) is safe (SSRF, redirects). */
  fixedPrefixSafe: boolean;
  /** A value whose literal start matches this is safe (`$("#" + id)` is a selector, not HTML). */
  safePrefix?: RegExp;
  /** Python keyword arguments whose name, put for `NAME` in this regex, occurs in the file (`{{ NAME|safe }}` in a template string). */
  keywordsMarked?: string;
  /** When the sink value is an object literal (or a name bound to one), the values of these keys are the sink (`http.get({ host })`). */
  objectKeys: string[];
  /** A list (array) value is not a finding: a program's argument list is not a command line (`subprocess.run(["ls", d])`). */
  skipArrays: boolean;
  /** The `literal` check is dropped when the file's text matches this (`text/html` set for a response written with fmt.Fprintf). */
  literalUnlessFile?: RegExp;
  /**
   * In files matching this, a value that is not from a known source is no finding: the file produces
   * what it reads (`pickle.dump` next to `pickle.load`: a cache, a round trip), only outside input counts.
   */
  unknownUnlessFile?: RegExp;
}

export interface ContextSpec {
  /** Words (from identifiers near the match: names, keys, function) that make the use security-relevant. */
  words: string[];
  /**
   * Words that say little alone (`id`, `key`, `code`): they count only in the match's own statement,
   * the name it is assigned to and the statements using that name, not in the function's or callers' names.
   */
  weak: string[];
  /**
   * Words that name a use that needs no secrecy (`jitter`, `boundary`, `shuffle`, `checksum`): in the
   * match's statement, its function's name or the names the value is assigned on to, they make it no finding.
   */
  unless: string[];
}

/** Local names that stand for the rule's callee (`const run = promisify(exec)`), and the patterns to match their calls. */
export interface AliasSpec {
  /** Matches the value a local name is defined as; the name is the identifier before `=` on that line. */
  definition: RegExp;
  /** Patterns with `$ALIAS` where the name goes, e.g. `$ALIAS($CMD)`. */
  patterns: string[];
}

export interface AstRule {
  id: string;
  /** Repository-relative path of the rule file. */
  file: string;
  /** The `language:` of the file, as written. */
  language: string;
  languages: AstLanguage[];
  category: Category;
  severity: Severity;
  confidence: number;
  message: string;
  recommendation: string;
  config: NapiConfig;
  /** The config per grammar: alternatives using node kinds a grammar lacks (JSX in TypeScript) are left out there. */
  configs: Partial<Record<AstLanguage, NapiConfig>>;
  taint?: TaintSpec;
  context?: ContextSpec;
  aliases?: AliasSpec;
  /** The rule can only match in files whose text matches this (its API names): other files skip it. */
  triggers?: RegExp;
  /** The rule applies only to files whose text matches (an import, e.g. `child_process`). */
  fileContains?: RegExp;
  files?: (path: string) => boolean;
  ignores?: (path: string) => boolean;
  /** The rule does not run in test files (tests turn TLS checks off against their own local servers). */
  skipInTests?: boolean;
  /**
   * Reported only when no rule of these categories (its own, and those listed with `deferTo`) has a
   * sink in the same function: a value prepared for a sink, not the sink.
   */
  secondary?: Category[];
  /** The rule does not report in a function whose `if` conditions match this (a containment check the author wrote). */
  guardedBy?: RegExp;
  /** A metavariable whose value, resolved through constants (`ALGO = "aes-128-ecb"`), must match `regex`; rules without it bound are not checked. */
  constant?: { name: string; regex: RegExp };
}

export interface CompiledLanguage {
  language: AstLanguage;
  rules: AstRule[];
  /** One traversal finds every candidate of every rule (and ERROR nodes). */
  prefilter: NapiConfig;
  /** The matcher for the rules a file can trigger (see `matcherFor`), cached by rule subset. */
  subsets: Map<string, NapiConfig>;
}

/** The rules of `compiled` whose triggers occur in `text`, and the combined matcher for them. */
export function matcherFor(compiled: CompiledLanguage, text: string): { indices: number[]; config: NapiConfig } {
  const indices: number[] = [];
  compiled.rules.forEach((r, i) => {
    if (!r.triggers || r.triggers.test(text)) indices.push(i);
  });
  const key = indices.join(",");
  let config = compiled.subsets.get(key);
  if (!config) {
    config = combine(compiled.language, compiled.rules, indices);
    compiled.subsets.set(key, config);
  }
  return { indices, config };
}

export interface RuleSet {
  dir: string;
  rules: AstRule[];
  byLanguage: Map<AstLanguage, CompiledLanguage>;
  /** Rules left out because their language does not work here, and why. */
  unavailable: Array<{ file: string; reason: string }>;
}

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

  const sinkString = z.string().regex(/^[A-Z_][A-Z0-9_]*(?:\[(?:-?\d+|\d+:|\*)\])?$/, "a metavariable name, optionally with [i], [-1], [i:] or [*]");

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
      keywordsMarked: regexString.refine((s) => s.includes("NAME"), { message: "must contain NAME (where the keyword's name goes)" }).optional(),
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
        .object({ words: z.array(z.string().min(1)).min(1), weak: z.array(z.string().min(1)).optional(), unless: z.array(z.string().min(1)).optional() })
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
      constant: z.object({ value: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "a metavariable name"), regex: regexString }).strict().optional(),
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

type RuleFileData = Zod.infer<ReturnType<typeof ruleFileSchemaWith>>;

/** Reads and validates one rule file. Throws RuleFileError. */
export function readRuleFile(path: string, displayPath = path): AstRule {
  return buildRule(parseRuleText(readRuleText(path, displayPath), displayPath), displayPath);
}

function readRuleText(path: string, displayPath: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new RuleFileError(displayPath, `cannot be read: ${(err as Error).message}`);
  }
}

/** A rule file's YAML, checked against the schema. Throws RuleFileError. */
function parseRuleText(text: string, displayPath: string): RuleFileData {
  const docs = parseAllDocuments(text, { prettyErrors: true });
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
function buildRule(raw: RuleFileData, displayPath: string): AstRule {
  const languages = languagesOfRule(raw.language);
  if (!languages) throw new RuleFileError(displayPath, `language: "${raw.language}" is not supported (JavaScript, TypeScript, Tsx, Python, Go, Java)`);
  const m = raw.metadata;

  let taint: TaintSpec | undefined;
  if (m.taint) {
    const t = m.taint;
    const sinks = (Array.isArray(t.sink) ? t.sink : [t.sink]).map(parseSink);
    const known = metavariables([raw.rule, raw.utils ?? {}]);
    for (const s of sinks) {
      if (!known.has(s.name)) throw new RuleFileError(displayPath, `metadata.taint.sink: metavariable $${s.name} does not appear in the rule`);
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

/** Rule files under a directory (recursively), sorted for a stable order. */
export function ruleFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/i.test(name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** The repository's `rules/` directory, found upwards from this module (works from src/ and lib/). */
export function defaultRulesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, "rules");
    if (existsSync(join(dir, "package.json")) && existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error("rules/ directory not found next to package.json");
}

/** The metavariable prefix of rule `i` in its language's combined matcher. */
export function metavarPrefix(i: number): string {
  return `R${i}_`;
}

const METAVAR = /\$(\$\$)?([A-Z][A-Z0-9_]*)/g;

/**
 * Makes rule `i` safe to combine with the others: its utils get a prefix (and `matches:` follows),
 * and so do the metavariables in its patterns, so no two rules bind the same name.
 */
function namespaced(value: unknown, i: number, utilNames: ReadonlySet<string>, key = ""): unknown {
  if (typeof value === "string") {
    return key === "pattern" || key === "context" ? value.replace(METAVAR, (_m, dollars: string | undefined, name: string) => `$${dollars ?? ""}${metavarPrefix(i)}${name}`) : value;
  }
  if (Array.isArray(value)) return value.map((v) => namespaced(v, i, utilNames, key));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === "matches" && typeof v === "string" && utilNames.has(v) ? `r${i}__${v}` : namespaced(v, i, utilNames, k);
    }
    return out;
  }
  return value;
}

/** The name rule `i` binds on every node it matches in the combined matcher. */
export function hitMarker(i: number): string {
  return `${metavarPrefix(i)}_HIT`;
}

/**
 * One matcher for all rules of a language, run in one traversal: a node matches when any rule
 * (or an ERROR node) matches, and then carries, for every rule that matches it, that rule's
 * marker metavariable and its own (prefixed) metavariables. napi compiles a config on every call,
 * so asking each candidate "does rule i match" would cost a compilation per question.
 */
function combine(language: AstLanguage, rules: AstRule[], indices: readonly number[]): NapiConfig {
  const any: unknown[] = [];
  const markers: unknown[] = [];
  const utils: Record<string, unknown> = {};
  for (const i of indices) {
    const r = rules[i];
    const config = r.configs[language] ?? r.config;
    const names = new Set(Object.keys(config.utils ?? {}));
    // The rule is a util referenced twice (to find candidates, and in its marker): napi compiles a
    // config on every search, and a util is compiled once where an inline copy is compiled twice.
    const name = `r${i}___rule`;
    utils[name] = namespaced(config.rule, i, names);
    any.push({ matches: name });
    markers.push({ any: [{ all: [{ matches: name }, { pattern: `$${hitMarker(i)}` }] }, { pattern: "$_ANY" }] });
    for (const [k, v] of Object.entries(config.utils ?? {})) utils[`r${i}__${k}`] = namespaced(v, i, names);
  }
  any.push({ kind: "ERROR" });
  return { rule: { all: [{ any }, ...markers] }, ...(Object.keys(utils).length ? { utils } : {}) } as NapiConfig;
}

function compileLanguage(language: AstLanguage, rules: AstRule[]): CompiledLanguage {
  const all = rules.map((_, i) => i);
  const prefilter = combine(language, rules, all);
  return { language, rules, prefilter, subsets: new Map([[all.join(","), prefilter]]) };
}

/** Whether a rule object names a node kind the grammar does not have. */
function usesUnknownKind(value: unknown, lang: string): boolean {
  if (Array.isArray(value)) return value.some((v) => usesUnknownKind(v, lang));
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === "kind" && typeof v === "string" && kindId(lang, v) === 0) return true;
      if (usesUnknownKind(v, lang)) return true;
    }
  }
  return false;
}

/** Leaves out `any:` alternatives and `not:` conditions that need kinds the grammar lacks. */
function pruneForGrammar(value: unknown, lang: string): unknown {
  if (Array.isArray(value)) return value.map((v) => pruneForGrammar(v, lang));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === "any" && Array.isArray(v)) {
        const kept = v.filter((alt) => !usesUnknownKind(alt, lang));
        out[k] = kept.length > 0 ? kept.map((alt) => pruneForGrammar(alt, lang)) : v;
      } else if (k === "not" && usesUnknownKind(v, lang)) {
        continue;
      } else out[k] = pruneForGrammar(v, lang);
    }
    return out;
  }
  return value;
}

/** Checks that ast-grep accepts the rule for a language (patterns parse, kinds exist) and records its config there. */
function checkCompiles(rule: AstRule, language: AstLanguage): void {
  const lang = NAPI_LANG[language];
  const config = usesUnknownKind(rule.config, lang) ? (pruneForGrammar(rule.config, lang) as NapiConfig) : rule.config;
  try {
    parseNapi(lang, "").root().findAll(config);
  } catch (err) {
    throw new RuleFileError(rule.file, `ast-grep rejects the rule for ${language}: ${(err as Error)?.message ?? err}`);
  }
  rule.configs[language] = config;
}

/**
 * Loads, validates and compiles every rule under `dir`. Throws RuleFileError on the first bad file.
 * `cacheDir`: where validated rules are cached (see ruleCacheFile); by default only the shipped
 * rules are, under node_modules/.cache/empathy-bot.
 */
export function loadRuleSet(dir: string = defaultRulesDir(), options: { cacheDir?: string } = {}): RuleSet {
  const root = resolve(dir);
  const base = dirname(root);
  const support = languageSupport();
  const files = ruleFiles(root).map((path) => {
    const display = relative(base, path).split(sep).join("/");
    return { display, text: readRuleText(path, display) };
  });
  // The shipped rules are validated once per content and grammars, then read from the cache.
  const cacheDir = options.cacheDir ?? (root === resolve(defaultRulesDir()) ? join(dirname(root), "node_modules", ".cache", "empathy-bot") : undefined);
  const cacheFile = cacheDir === undefined ? undefined : ruleCacheFile(cacheDir, root, files, [...support.available]);
  let validated = cacheFile ? readRuleCache(cacheFile) : undefined;
  let rules = validated && builtOrUndefined(validated);
  if (!validated || !rules) {
    validated = validateRules(files, support);
    if (cacheFile) writeRuleCache(cacheFile, validated);
    rules = built(validated);
  }
  const byLanguage = new Map<AstLanguage, CompiledLanguage>();
  for (const lang of AST_LANGUAGES) {
    if (!support.available.has(lang)) continue;
    const own = rules.filter((r) => r.languages.includes(lang));
    if (own.length > 0) byLanguage.set(lang, compileLanguage(lang, own));
  }
  return { dir: root, rules, byLanguage, unavailable: validated.unavailable };
}

/** What validation keeps of each rule file: its data, and the config each grammar accepted. */
interface ValidatedRules {
  rules: Array<{ display: string; raw: RuleFileData; configs: Partial<Record<AstLanguage, NapiConfig>> }>;
  unavailable: RuleSet["unavailable"];
}

function built(validated: ValidatedRules): AstRule[] {
  return validated.rules.map(({ display, raw, configs }) => {
    const rule = buildRule(raw, display);
    return { ...rule, languages: rule.languages.filter((l) => configs[l] !== undefined), configs };
  });
}

/** Rules from a cache file, or undefined when it does not hold what validation wrote. */
function builtOrUndefined(validated: ValidatedRules): AstRule[] | undefined {
  try {
    return built(validated);
  } catch {
    return undefined;
  }
}

function validateRules(files: Array<{ display: string; text: string }>, support: ReturnType<typeof languageSupport>): ValidatedRules {
  const out: ValidatedRules = { rules: [], unavailable: [] };
  const seen = new Map<string, string>();
  for (const { display, text } of files) {
    const raw = parseRuleText(text, display);
    const rule = buildRule(raw, display);
    const other = seen.get(rule.id);
    if (other) throw new RuleFileError(display, `id "${rule.id}" is already used by ${other}`);
    seen.set(rule.id, display);
    const usable = rule.languages.filter((l) => support.available.has(l));
    if (usable.length === 0) {
      out.unavailable.push({ file: display, reason: support.problems.get(rule.languages[0]) ?? `${rule.language} is not available` });
      continue;
    }
    // The rule's own language must accept it; the languages it extends to (TypeScript for a
    // JavaScript rule) may lack a construct (JSX in .ts files) and then simply do not run it.
    const own = usable[0];
    checkCompiles(rule, own);
    for (const l of usable.slice(1)) {
      try {
        checkCompiles(rule, l);
      } catch {
        /* not run in that language */
      }
    }
    out.rules.push({ display, raw, configs: rule.configs });
  }
  return out;
}

/**
 * The validated rules, cached: parsing ~100 YAML files and compiling each rule for each grammar
 * is most of an analysis worker's start-up (~0.3 s of CPU), and every worker of every process
 * did it again. The file name holds a hash of the rule files, the grammars available and this
 * module's cache format, so an edited rule or grammar is validated afresh; a cache that cannot
 * be read or written is ignored.
 */
const RULE_CACHE_FORMAT = 1;

function ruleCacheFile(cacheDir: string, root: string, files: Array<{ display: string; text: string }>, languages: string[]): string {
  const hash = createHash("sha256").update(JSON.stringify([RULE_CACHE_FORMAT, root, languages.sort(), files])).digest("hex").slice(0, 32);
  return join(cacheDir, `rules-${hash}.json`);
}

function readRuleCache(file: string): ValidatedRules | undefined {
  try {
    const data = JSON.parse(readFileSync(file, "utf8")) as ValidatedRules;
    return Array.isArray(data?.rules) && Array.isArray(data.unavailable) ? data : undefined;
  } catch {
    return undefined;
  }
}

function writeRuleCache(file: string, rules: ValidatedRules): void {
  try {
    const dir = dirname(file);
    mkdirSync(dir, { recursive: true });
    // Older caches are of rules that changed since.
    for (const name of readdirSync(dir)) if (/^rules-[0-9a-f]+\.json$/.test(name) && name !== basename(file)) rmSync(join(dir, name), { force: true });
    // Written aside and renamed: a worker starting meanwhile reads the old file or the new one, never half of one.
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(rules));
    renameSync(temp, file);
  } catch {
    /* a read-only install: validated at every start, as before */
  }
}

const cache = new Map<string, RuleSet>();

/** `loadRuleSet`, once per directory per process. */
export function cachedRuleSet(dir: string = defaultRulesDir()): RuleSet {
  const key = resolve(dir);
  let set = cache.get(key);
  if (!set) {
    set = loadRuleSet(key);
    cache.set(key, set);
  }
  return set;
}
