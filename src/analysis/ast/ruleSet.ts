/**
 * Loading the AST rules: one ast-grep YAML rule file per rule (see rules/README.md), read and
 * validated once, compiled into one matcher per language. A bad rule file is an error that
 * names the file and says what is wrong; rules for a language whose grammar is not available
 * on this machine are left out (and said so), not an error.
 *
 * This file loads, validates per grammar and caches the rule set; beside it: ruleTypes.ts (what a
 * rule is), ruleFile.ts (reading and validating one rule file) and ruleMatcher.ts (the combined
 * matcher of a language's rules).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { kind as kindId, parse as parseNapi, type NapiConfig } from "@ast-grep/napi";
import { AST_LANGUAGES, NAPI_LANG, languageSupport, type AstLanguage } from "./languages.js";
import { buildRule, parseRuleText, readRuleText, RuleFileError, type RuleFileData } from "./ruleFile.js";
import { compileLanguage } from "./ruleMatcher.js";
import type { AstRule, CompiledLanguage, RuleSet } from "./ruleTypes.js";

export type { AliasSpec, AstRule, CompiledLanguage, ContextSpec, RuleSet, SinkRef, TaintPolicy, TaintSpec } from "./ruleTypes.js";
export { asciiClasses, readRuleFile, RuleFileError, toRegExp } from "./ruleFile.js";
export { hitMarker, matcherFor, metavarPrefix } from "./ruleMatcher.js";

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
  const cacheDir =
    options.cacheDir ?? (root === resolve(defaultRulesDir()) ? join(dirname(root), "node_modules", ".cache", "empathy-bot") : undefined);
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
  const hash = createHash("sha256")
    .update(JSON.stringify([RULE_CACHE_FORMAT, root, languages.sort(), files]))
    .digest("hex")
    .slice(0, 32);
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
    for (const name of readdirSync(dir))
      if (/^rules-[0-9a-f]+\.json$/.test(name) && name !== basename(file)) rmSync(join(dir, name), { force: true });
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
