/**
 * What a loaded AST rule is (see ruleSet.ts): the rule with its taint, context, alias and guard
 * specifications, the compiled rules of one language, and the rule set.
 */
import type { NapiConfig } from "@ast-grep/napi";
import type { Category, Severity } from "../types.js";
import type { AstLanguage } from "./languages.js";

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

export interface RuleSet {
  dir: string;
  rules: AstRule[];
  byLanguage: Map<AstLanguage, CompiledLanguage>;
  /** Rules left out because their language does not work here, and why. */
  unavailable: Array<{ file: string; reason: string }>;
}
