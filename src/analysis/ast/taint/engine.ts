/**
 * The taint engine: what an expression at a sink may carry, computed within its function.
 *
 * It evaluates the expression over an abstract value (see value.ts): literals are clean,
 * sanitisers and number conversions make a value safe, known sources (request members,
 * `process.argv`, `os.environ`, `input()`, serverless events, route parameters...) make it
 * tainted, and everything else is "unknown". Identifiers are resolved to the definitions that
 * reach the use in the same function (assignments, declarations with destructuring, `+=`,
 * `x.push(v)`, loop variables), following straight-line code: a definition in the same block
 * replaces the ones before it, one in a branch or loop adds to them. Identifiers the function
 * does not define come from its parameters, the enclosing functions, the module, or a global
 * (a request object, `process`, `location`). An allow-list check (`if (!ALLOWED.includes(x))
 * return`, `if x not in ALLOWED: abort(400)`, a regex test) before the use makes it safe.
 *
 * Calls within the file are followed both ways: a local function's (or method's) return value
 * with its parameters bound to the arguments, and a parameter's value from what the file's
 * callers pass to it, methods included when called on `this`/`self` or on an instance of their
 * class (`this.filesService.remove(name)`, `storage.open_report(name)`, `h.store.Read(name)`).
 *
 * Not handled: fields of objects assigned member by member, aliasing, flows across files.
 *
 * Cost: the file is indexed once (its functions, definitions, returns and calls, each list from
 * one traversal), so looking up a scope's definitions or a function's callers does not search
 * the tree again; results are cached; and the work of the evaluation itself is counted against a
 * budget (see TaintBudget): a file built to make propagation explode stops at the limit instead
 * of running for minutes, and says so.
 */
import type { SgNode } from "@ast-grep/napi";
import type { Category } from "../../types.js";
import { FAMILY, type AstLanguage, type Family } from "../languages.js";
import {
  BUILDING_METHODS,
  FASTAPI_MARKERS,
  JAVA_SOURCE_ANNOTATIONS,
  COMMAND_ENV_READ,
  LAMBDA_EVENT_MEMBERS,
  MODULE_CONTAINERS,
  MUTATING_METHODS,
  SAFE_RESULT,
  UPLOAD_STORED_MEMBERS,
  containerMember,
  containerMethod,
  globalContainer,
  isBuilder,
  isCollection,
  isFirstArgWrapper,
  isSanitiser,
  isWrapper,
  sourceFunction,
  type MemberSource,
} from "./knowledge.js";
import { GO_DECODERS, syntaxFor, type FamilySyntax } from "./syntax.js";
import { declaredTypes, dottedKeys } from "../textScan.js";
import { CLEAN, MAX_TEXT, SAFE, SOURCE, UNKNOWN, clean, concat, containerVal, derived, join, safe, sourced, unknown, type Container, type Val } from "./value.js";

interface Span {
  start: number;
  end: number;
}

type BindingOp = "=" | "+=" | "iter" | "fn" | "mut" | "decode";

interface Binding {
  name: string;
  /** The defining node (declarator, assignment, loop, call). */
  node: SgNode;
  op: BindingOp;
  /** The expression assigned (for "mut": the call; values are its arguments). */
  value?: SgNode;
  /** Member path from the value to the bound name (destructuring): ["query", "id"], "[]" for an element. */
  path: string[];
  /** Position in a tuple/expression list on the right, for `a, b = x, y`. */
  tupleIndex?: number;
  /** Byte offset from which the binding is in effect. */
  point: number;
  /** Uses inside this span do not see the binding (its own right-hand side). */
  exclude?: Span;
}

interface Param {
  name: string;
  val: Val;
  /** Position in the parameter list (for matching call arguments). */
  index: number;
}

interface Frame {
  id: number;
  /** The function whose parameters are bound. */
  fn: number;
  params: Map<string, Val>;
}

interface ScopeInfo {
  node: SgNode;
  span: Span;
  defs: Map<string, Binding[]>;
  params: Map<string, Param>;
}

export interface EvalOptions {
  category: Category;
  /** Extra sanitiser names the rule declares. */
  sanitizers: readonly string[];
}

/**
 * Work units a file may spend on taint propagation: about one per expression evaluated,
 * definition or call site looked at, plus one per kilobyte of text read from a large node.
 * Measured: corpus files use under 100, large real files a few thousand (uglify-js's 640 KB
 * compress.js: 4,000), a 500 KB file of 3,200 request-to-query flows through two functions each
 * about 110,000. A file that reaches the limit is cut short and reported as such.
 */
export const DEFAULT_MAX_TAINT_STEPS = 1_000_000;

/** Thrown inside the engine when the budget is spent; never escapes the public methods. */
class WorkLimitReached extends Error {}

/** The propagation work allowed for one file, shared by the engines of its parsed units. */
export class TaintBudget {
  steps = 0;
  /** Set once the limit was reached: no more propagation for this file. */
  stopped = false;

  constructor(readonly max: number = DEFAULT_MAX_TAINT_STEPS) {}

  spend(n: number): void {
    this.steps += n;
    if (this.steps > this.max) {
      this.stopped = true;
      throw new WorkLimitReached();
    }
  }
}

export interface TaintEngineOptions {
  /** The budget to charge (shared across the units of a file); default: a new one of `maxSteps`. */
  budget?: TaintBudget;
  /** The work limit when no budget is given (default DEFAULT_MAX_TAINT_STEPS). */
  maxSteps?: number;
}

/** The file's nodes the engine asks about, each kind found by one traversal. */
interface FileIndex {
  functions: SgNode[];
  /** Definitions by the scope (function or root) they bind in, in document order. */
  defsByScope: Map<number, SgNode[]>;
  /** Every definition's span in document order (for the per-scope size limit). */
  defSpans: Span[];
  /** Return statements by the function they return from, in document order. */
  returnsByFn: Map<number, SgNode[]>;
  /** Calls by the last name of their callee (`f` in `a.b.f(x)`, `await f(x)`), in document order, with their position. */
  callsByName: Map<string, Array<{ node: SgNode; at: number }>>;
  /** Each function's span and the function around it (index into `functions`, -1: the root). */
  fnSpans: Span[];
  fnParent: number[];
  /** From `segStart[i]` on (up to the next start), `segFn[i]` is the innermost function (-1: none). */
  segStart: number[];
  segFn: number[];
}

const MAX_DEPTH = 48;
const MAX_DEFS_PER_SCOPE = 4000;
const MAX_LABEL = 60;

const STRING_METHODS = new Set([
  "toString",
  "trim",
  "trimStart",
  "trimEnd",
  "toLowerCase",
  "toUpperCase",
  "toLocaleLowerCase",
  "toLocaleUpperCase",
  "normalize",
  "split",
  "slice",
  "substring",
  "substr",
  "at",
  "charAt",
  "strip",
  "lstrip",
  "rstrip",
  "lower",
  "upper",
  "title",
  "capitalize",
  "casefold",
  "decode",
  "encode",
  "splitlines",
  "rsplit",
  "partition",
  "getvalue",
  "read",
  "read_text",
  "read_bytes",
  "readline",
  "readlines",
  "toString",
  "valueOf",
  "getBytes",
  "toCharArray",
  "then",
  "map",
  "filter",
  "flat",
  "flatMap",
  "reduce",
  "items",
  "keys",
  "values",
  "entries",
  "copy",
  "to_dict",
  "dict",
  "model_dump",
  "getlist",
  "get",
  "pop",
  "first",
  "last",
]);

const VALIDATION =
  /\.(?:includes|has|indexOf|contains|containsKey|test|match|matches|fullmatch|startsWith|startswith|isdigit|isalnum|isnumeric|isdecimal|isalpha|isidentifier|isInteger|isSafeInteger|MatchString|is_relative_to|relative_to|IsLocal)\s*\(|\bnot\s+in\b|\bin\s+[A-Za-z_]|\b(?:re\.(?:match|fullmatch|search)|isValid\w*|is_valid\w*|is_safe\w*|isSafe\w*|url_has_allowed_host_and_scheme|isAllowed\w*|is_allowed\w*|validat\w*|allowed\w*|is[A-Z][A-Za-z]*(?=\s*\()|(?<![\w.])is_\w*(?:within|inside|under|safe|sub_?path|relative|contained|child|descendant)\w*(?=\s*\()|(?<![\w.])\w*(?:[wW]ithin|[iI]nside)\w*(?=\s*\()|ALLOWED\w*|whitelist\w*|allowlist\w*|_?check_(?!output\b|call\b)\w+(?=\s*\()|commonpath|commonprefix|slices\.Contains|strings\.Contains(?:Any)?(?=\s*\([^,()]+,\s*["'`](?:\.\.|\/|\\\\))|strings\.HasPrefix|filepath\.Rel)\b/;
/** A split on "/" (`name.split("/")`, `p.rsplit("/", 1)`), whose last part has no directory in it. */
const SPLIT_ON_SLASH = /\.r?split\s*\(\s*(?:["'`]\/["'`]|\/\\\/\/|\/\[[^\]]*\/[^\]]*\]\/)\s*(?:,\s*\d+\s*)?\)$/;
/** A call made for its check alone, named for where a path may go: `ensure_within_root(p)`, `assertSafePath(full)`, `validate_path(p)`. */
const STATEMENT_CHECK = /^(?:await\s+)?(?:[\w$]+\.)*_?(?:(?:ensure|assert|validate|verify|check|guard|require)_?\w*(?:[wW]ithin|[iI]nside|[uU]nder|[sS]afe|[tT]raversal|[cC]ontained)|(?:validate|verify)_?\w*(?:[pP]ath|[fF]ile[nN]ame))\w*\s*\(/;
const NEGATED = /^\s*\(?\s*!(?!=)|^\s*not\s|\bnot\s+in\b|!==?|===?\s*-1\b|<\s*0\b|===?\s*false\b|==\s*False\b|\bis\s+None\b/;
const EXITS = /\b(?:return|throw|raise|abort|continue|break|exit|panic|redirect)\b|http\.Error|sys\.exit|os\.Exit|\bnext\s*\(/;

/** A node's child in a tree-sitter field (napi's typed `field` wants a known kind map). */
export function fld(n: SgNode | null | undefined, name: string): SgNode | null {
  if (!n) return null;
  return (n as unknown as { field(name: string): SgNode | null }).field(name) ?? null;
}

/** Listings of archive members: their names come from the archive (zip slip). */
const ARCHIVE_LISTINGS = new Set(["namelist", "infolist", "getmembers", "getnames", "getEntries"]);

/** Path joins build a path from parts: a part from outside makes the result "built" like a concatenation. */
const PATH_JOIN = /(?:^|\.)(?:path\.join|path\.resolve|os\.path\.join|posixpath\.join|filepath\.Join|path\.Join|Paths\.get|Path\.of)$/;

/** Reading a file whose path is constant yields the application's own data, not input. */
const FILE_READERS = new Set(["readFileSync", "readFile", "open", "read_text", "read_bytes", "require", "ReadFile", "readAllBytes", "readString"]);
/**
 * A path the application chose: constant, from its own configured state (`self.cache_file`), or
 * from its environment (`os.environ["CACHE_FILE"]`), which is configuration, not input.
 */
const ownPath = (v: Val): boolean =>
  v.level <= SAFE || (v.level === UNKNOWN && v.state === true) || (v.level === SOURCE && !!v.source && !v.source.remote && /env/i.test(v.source.label) && !/argv|\bargs\b|stdin|input\(/i.test(v.source.label));

/** Labels of environment reads (os.environ, os.getenv(), process.env, System.getenv(), os.Getenv()). */
const ENV_LABEL = /(?:environ|getenv|Getenv|LookupEnv|\.env\b|process\.env)/;

/** Tornado's RequestHandler accessors (`self.get_argument("q")`). */
const TORNADO_SOURCES = new Set(["get_argument", "get_arguments", "get_query_argument", "get_query_arguments", "get_body_argument", "get_body_arguments", "get_cookie", "get_secure_cookie", "get_signed_cookie", "decode_argument"]);

/** A Go call that fills its `&target` argument (json.Unmarshal, a decoder, gin's ShouldBindJSON). */
const GO_DECODER_CALL = new RegExp(`(?:^|\\.)(?:${GO_DECODERS})$`);

/** Names of configuration objects: `settings.MEDIA_ROOT`, `config.cacheDir`, `app.config["X"]`. */
const CONFIG_NAMES = /^(?:settings|config|conf|cfg|CONFIG|SETTINGS|[a-z]\w*_(?:config|conf|settings)|[a-z]\w*(?:Config|Conf|Settings))$/;

/** jQuery methods that read from the page when called without the value to set. */
const JQUERY_GETTERS = new Set(["text", "html", "val", "attr", "prop", "data", "css"]);

const URL_PARTS = new Set(["hostname", "host", "netloc", "scheme", "protocol", "origin", "port", "Host", "Scheme"]);

/** Rust's (ast-grep's) Unicode `\\w` and `\\s`, for JavaScript regexes with the `u` flag. */
const RW = "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}";
const RS = "\\p{White_Space}";
/**
 * What may come before a function's name in a call of it: callSites used to ask ast-grep for
 * callees matching `^(?:await\s+)?(?:[\w$.#]+\.)?NAME$` (methods) or
 * `^(?:await\s+)?(?:this\.|self\.|cls\.)?NAME$` (functions), once per function.
 */
const METHOD_CALLEE_PREFIX = new RegExp(`^(?:await${RS}+)?(?:[${RW}$.#]+\\.)?$`, "u");
const FUNCTION_CALLEE_PREFIX = new RegExp(`^(?:await${RS}+)?(?:this\\.|self\\.|cls\\.)?$`, "u");

/** Callee objects whose text always has a character a dotted name (`[\\w$.#]`) has not. */
const NOT_A_NAME = new Set(["call_expression", "call", "new_expression", "subscript_expression", "subscript", "index_expression", "parenthesized_expression", "string", "template_string"]);

/** Python functions that run a function passed to them (see deferredCalls). */
const RUNNERS = ["add_task", "submit", "run_in_executor", "to_thread", "call_soon", "start_soon", "run_sync", "spawn"];
const RUNNER_CALLEE = new RegExp(`(?:^|\\.)(?:${RUNNERS.join("|")})$`);

/** Names the plain-name indexes answer for; others are searched for in full (and charged for it). */
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DOTTED_NAME = /^[\w$]+(?:\.[\w$]+)*$/;

/** What receiverIs looks at in a receiver's text, worked out once per call site. */
interface ReceiverInfo {
  text: string;
  /** `this`, `self`, `cls` or `super`: the method's own object. */
  own: boolean;
  /** Whether the last part (`svc` in `this.svc`, `raw`) is a name at all. */
  name: boolean;
  raw: string;
  /** The name lower-cased without `#`, leading `_` or `_` (compared with the class name). */
  last: string;
  plain: boolean;
}

function receiverInfo(text: string): ReceiverInfo {
  const raw = text.replace(/^(?:this|self|cls)\./, "").split(".").pop() ?? "";
  return {
    text,
    own: /^(?:this|self|cls|super)$/.test(text),
    name: /^[A-Za-z_$#][\w$]*$/.test(raw.replace(/^#/, "")),
    raw,
    last: raw.replace(/^[#_]+/, "").replace(/_/g, "").toLowerCase(),
    plain: PLAIN_NAME.test(raw),
  };
}

/** A call of a name, with what callSites checks read once (the callee when it can be a dotted name). */
interface CallEntry {
  node: SgNode;
  callee: string | null;
  receiver: ReceiverInfo | null;
}

/** An `if` directly in a block that may guard what follows it (see guarded). */
interface GuardIf {
  start: number;
  cond: SgNode;
  /** The start of its body, where an exit or a reassignment is looked for. */
  body: string;
  exits: boolean;
}

/** Python calls that run a function passed to them, and `f.delay(...)` calls by callee text (see deferredCalls). */
interface Runners {
  later: Array<{ node: SgNode; at: number }>;
  delays: Map<string, Array<{ node: SgNode; at: number }>>;
}

interface BlockGuards {
  items: GuardIf[];
  /** The items by the names their condition mentions (dottedKeys). */
  byKey: Map<string, GuardIf[]>;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function compact(text: string): string {
  return text.replace(/\s+/g, "").slice(0, 200);
}

function stripQuotes(text: string): string {
  return text.replace(/^[a-zA-Z]{0,3}("""|'''|"|'|`)/, "").replace(/("""|'''|"|'|`)$/, "");
}

export class TaintEngine {
  private readonly syntax: FamilySyntax;
  private readonly spans = new Map<number, Span>();
  private readonly kinds = new Map<number, string>();
  private readonly scopes = new Map<number, ScopeInfo>();
  private readonly cache = new Map<string, Val>();
  /** Calls into local functions being evaluated, innermost last (their parameters bound to the arguments). */
  private frames: Frame[] = [];
  private frameSeq = 0;
  private callSiteDepth = 0;
  private localFns?: Map<string, SgNode | null>;
  private readonly sites = new Map<number, SgNode[]>();
  private readonly visiting = new Set<string>();
  private depth = 0;
  /** Evaluations cut short (a cycle, the depth limit): results computed across one are not memoised. */
  private cuts = 0;
  private opts: EvalOptions = { category: "sql-injection", sanitizers: [] };
  private fileIndex?: FileIndex;
  /** Definitions and returns found by index(), in document order, for scopeIndex. */
  private readonly indexed: { defs: SgNode[]; returns: SgNode[] } = { defs: [], returns: [] };
  private scopesIndexed = false;
  private callsIndexed = false;
  /** Parents asked for so far (see parentOf). */
  private readonly parents = new Map<number, SgNode | null>();
  private parentTime = 0;
  private parentsMapped = false;
  private readonly outer = new Map<number, SgNode | null>();
  private readonly bindingValues = new Map<Binding, Map<string, Val>>();
  private readonly branchChildren = new Map<Binding, Span[]>();
  private readonly returns = new Map<number, SgNode[]>();
  private readonly derived = new Map<string, string[]>();
  private readonly derivedIndexes = new Map<number, Map<string, string[]>>();
  private readonly blockGuards = new Map<number, BlockGuards>();
  private readonly guardedFrom = new Map<string, number>();
  private readonly conditions = new Map<number, { text: string; keys: Set<string> }>();
  private readonly validated = new Map<string, boolean>();
  private readonly ifParts = new Map<number, { cond: SgNode | null; cons: SgNode | null }>();
  private readonly receivers = new Map<string, boolean>();
  private readonly callEntries = new Map<string, CallEntry[]>();
  private declared?: Set<string>;
  readonly budget: TaintBudget;

  readonly family: Family;

  constructor(
    readonly language: AstLanguage,
    private readonly root: SgNode,
    options: TaintEngineOptions = {},
  ) {
    this.family = FAMILY[language];
    this.syntax = syntaxFor(language);
    this.budget = options.budget ?? new TaintBudget(options.maxSteps);
  }

  /** Whether the work limit was reached: values asked for since are not computed (unknown). */
  get stopped(): boolean {
    return this.budget.stopped;
  }

  /** The abstract value of `node` for a sink of `options.category`. Never throws. */
  valueOf(node: SgNode, options: EvalOptions): Val {
    if (this.budget.stopped) return unknown();
    this.opts = options;
    this.depth = 0;
    this.visiting.clear();
    this.frames = [];
    this.callSiteDepth = 0;
    try {
      return this.eval(node);
    } catch (e) {
      if (process.env.TAINT_DEBUG && !(e instanceof WorkLimitReached)) console.error(e);
      return unknown();
    }
  }

  /**
   * The object (dict) literal a node is, or the one a name is bound to by its only definition
   * reaching the use (`const options = { host, port }; http.get(options)`); null otherwise.
   */
  objectLiteralOf(n: SgNode): SgNode | null {
    try {
      const k = this.kind(n);
      if (k === "object" || k === "dictionary") return n;
      if (k !== "identifier") return null;
      const use = this.span(n);
      const info = this.scopeInfo(this.scopeNodeOf(n));
      const defs = (info.defs.get(n.text()) ?? []).filter((d) => d.point <= use.start);
      if (defs.length !== 1 || defs[0].op !== "=" || defs[0].path.length > 0 || !defs[0].value) return null;
      const vk = this.kind(defs[0].value);
      return vk === "object" || vk === "dictionary" ? defs[0].value : null;
    } catch {
      return null;
    }
  }

  // -------------------------------------------------------------------------------------------
  // node helpers (each napi call crosses into native code: cache what is asked often)

  private kind(n: SgNode): string {
    const id = n.id();
    let k = this.kinds.get(id);
    if (k === undefined) {
      k = n.kind() as string;
      this.kinds.set(id, k);
    }
    return k;
  }

  private span(n: SgNode): Span {
    const id = n.id();
    let s = this.spans.get(id);
    if (!s) {
      const r = n.range();
      s = { start: r.start.index, end: r.end.index };
      this.spans.set(id, s);
    }
    return s;
  }

  private contains(outer: SgNode | Span, inner: SgNode | Span): boolean {
    const a = "start" in outer ? outer : this.span(outer);
    const b = "start" in inner ? inner : this.span(inner);
    return a.start <= b.start && b.end <= a.end;
  }

  private named(n: SgNode | null | undefined): SgNode[] {
    if (!n) return [];
    return n.namedChildren().filter((c) => {
      const k = this.kind(c);
      return k !== "comment" && k !== "line_comment" && k !== "block_comment";
    });
  }

  private label(n: SgNode): string {
    // Only the start is shown: read as much of a large node as that needs, not all of it.
    const size = this.size(n);
    for (let want = MAX_LABEL * 2; ; want *= 4) {
      const t = this.head(n, want).replace(/\s+/g, " ");
      if (t.length > MAX_LABEL) return `${t.slice(0, MAX_LABEL - 1)}…`;
      if (want >= size) return t;
    }
  }

  /** `compact(n.text())` without reading more of a large node than the result needs. */
  private compactText(n: SgNode): string {
    const size = this.size(n);
    for (let want = 400; ; want *= 4) {
      const t = this.head(n, want).replace(/\s+/g, "");
      if (t.length >= 200 || want >= size) return t.slice(0, 200);
    }
  }

  /** The source of the root, and where it starts (node offsets are UTF-16 offsets in the parsed text). */
  private source(): string {
    if (this.rootText === undefined) {
      this.rootText = this.root.text();
      this.rootStart = this.span(this.root).start;
    }
    return this.rootText;
  }

  /** A node's length in characters, without reading its text. */
  private size(n: SgNode): number {
    const s = this.span(n);
    return s.end - s.start;
  }

  /** The first `max` characters of a node's text (`n.text().slice(0, max)`), without copying the rest. */
  private head(n: SgNode, max: number): string {
    const s = this.span(n);
    const src = this.source();
    return src.slice(s.start - this.rootStart, Math.min(s.end, s.start + max) - this.rootStart);
  }

  /** The last `max` characters of a node's text. */
  private tail(n: SgNode, max: number): string {
    const s = this.span(n);
    const src = this.source();
    return src.slice(Math.max(s.start, s.end - max) - this.rootStart, s.end - this.rootStart);
  }

  /** A node's whole text, charged to the budget when it is large (a chain or a callback read per evaluation). */
  private text(n: SgNode): string {
    const size = this.size(n);
    if (size > 1024) this.budget.spend(size >> 10);
    return n.text();
  }

  // -------------------------------------------------------------------------------------------
  // evaluation

  private eval(n: SgNode | null | undefined): Val {
    if (!n) return unknown();
    const frame = this.frames.length ? this.frames[this.frames.length - 1].id : 0;
    const key = `${n.id()}|${this.opts.category}|${frame}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    if (this.visiting.has(key) || this.depth > MAX_DEPTH) {
      this.cuts++;
      return unknown();
    }
    this.budget.spend(1);
    this.visiting.add(key);
    this.depth++;
    let v: Val;
    try {
      v = this.evalNode(n);
      // An environment variable that holds a command by convention (PAGER, EDITOR, CC) is meant to be run.
      if (v.level === SOURCE && v.source && !v.source.remote && this.opts.category === "command-injection" && this.size(n) <= 80 && COMMAND_ENV_READ.test(this.text(n))) v = clean(this.text(n));
    } finally {
      this.depth--;
      this.visiting.delete(key);
    }
    this.cache.set(key, v);
    return v;
  }

  private evalNode(n: SgNode): Val {
    const k = this.kind(n);
    const s = this.syntax;
    if (s.stringKinds.has(k)) return this.evalString(n, k);
    // (clean() keeps the first MAX_TEXT characters: only those are read)
    if (s.constantKinds.has(k)) return clean(k === "true" || k === "false" || /null|none|nil|undefined/.test(k) ? "" : this.head(n, MAX_TEXT), "number");
    if (s.functionKinds.has(k) || k === "method_reference") return safe("function");
    switch (k) {
      case "identifier":
      case "shorthand_property_identifier":
        return this.evalIdentifier(n);
      case "this":
      case "self":
      case "super":
        return unknown();
      case "parenthesized_expression":
      case "await_expression":
      case "await":
      case "non_null_expression":
      case "as_expression":
      case "satisfies_expression":
      case "type_assertion":
      case "spread_element":
      case "list_splat":
      case "dictionary_splat":
      case "expression_statement":
      case "jsx_expression":
      case "template_substitution":
      case "interpolation":
      case "variadic_argument":
        return this.evalFirstExpression(n);
      case "cast_expression":
        return this.eval(fld(n, "value"));
      case "member_expression":
      case "attribute":
      case "selector_expression":
      case "field_access":
        return this.evalMember(n, k);
      case "subscript_expression":
      case "subscript":
      case "index_expression":
      case "array_access":
      case "slice_expression":
        return this.evalSubscript(n, k);
      case "call_expression":
      case "call":
      case "new_expression":
      case "method_invocation":
      case "object_creation_expression":
        return this.evalCall(n, k);
      case "binary_expression":
      case "binary_operator":
        return this.evalBinary(n);
      case "boolean_operator":
        return join([this.eval(fld(n, "left")), this.eval(fld(n, "right"))]);
      case "unary_expression":
      case "not_operator":
      case "unary_operator":
        return this.evalUnary(n);
      case "comparison_operator":
      case "instanceof_expression":
      case "update_expression":
        return safe("number");
      case "ternary_expression":
        return this.evalConditional(fld(n, "condition"), fld(n, "consequence"), fld(n, "alternative"));
      case "conditional_expression": {
        const parts = this.named(n);
        return this.evalConditional(parts[1] ?? null, parts[0] ?? null, parts[2] ?? null);
      }
      case "assignment_expression":
      case "augmented_assignment_expression":
      case "assignment":
      case "named_expression":
        return this.eval((fld(n, "right") ?? fld(n, "value")));
      case "sequence_expression":
      case "expression_list": {
        const parts = this.named(n);
        return k === "sequence_expression" ? this.eval(parts[parts.length - 1]) : join(parts.map((p) => this.eval(p)));
      }
      case "array":
      case "list":
      case "tuple":
      case "set":
      case "array_initializer":
      case "array_creation_expression":
      case "literal_value":
      case "composite_literal":
        return this.evalCollection(n, "array");
      case "object":
      case "dictionary":
        return this.evalCollection(n, "object");
      case "pair":
        return this.eval(fld(n, "value"));
      case "keyed_element": {
        const parts = this.named(n);
        return this.eval(parts[parts.length - 1]);
      }
      case "literal_element":
        return this.evalFirstExpression(n);
      case "keyword_argument":
        return this.eval(fld(n, "value"));
      case "list_comprehension":
      case "generator_expression":
      case "set_comprehension":
      case "dictionary_comprehension":
        return derived(this.eval(fld(n, "body")));
      case "type_conversion_expression":
        return derived(this.eval(fld(n, "operand")));
      case "string_fragment":
      case "string_content":
      case "escape_sequence":
        return clean(this.head(n, MAX_TEXT));
      default:
        return unknown();
    }
  }

  /** `cond ? a : b`; an allow-list check in `cond` on `a` makes `a` safe (`ALLOWED.includes(x) ? x : "en"`). */
  private evalConditional(cond: SgNode | null, a: SgNode | null, b: SgNode | null): Val {
    const guardedBranch = (branch: SgNode | null, positive: boolean): Val => {
      const v = this.eval(branch);
      // (a name, or a member read like `req.params.lang`)
      if (v.level < UNKNOWN || !branch || !cond || !(this.kind(branch) === "identifier" || (this.size(branch) <= 80 && DOTTED_NAME.test(branch.text())))) return v;
      if (this.validates(cond, [branch.text()]) && NEGATED.test(cond.text()) !== positive) return { ...safe(), text: v.text };
      return v;
    };
    return join([guardedBranch(a, true), guardedBranch(b, false)]);
  }

  private evalFirstExpression(n: SgNode): Val {
    const parts = this.named(n).filter((c) => !/^(?:type_annotation|type_arguments|format_specifier|type_conversion)$/.test(this.kind(c)));
    return parts.length ? this.eval(parts[0]) : unknown();
  }

  private evalString(n: SgNode, k: string): Val {
    if (k === "concatenated_string") return concat(this.named(n).map((c) => this.eval(c)));
    const children = this.named(n);
    const dynamic = children.some((c) => {
      const ck = this.kind(c);
      return ck === "template_substitution" || ck === "interpolation";
    });
    if (!dynamic) {
      // A long literal: its closing quote is past what clean() keeps, so only the start is read.
      if (this.size(n) <= 1000) return clean(stripQuotes(n.text()));
      return clean(this.head(n, 1000).replace(/^[a-zA-Z]{0,3}("""|'''|"|'|`)/, ""));
    }
    const parts: Val[] = [];
    for (const c of children) {
      const ck = this.kind(c);
      if (ck === "template_substitution" || ck === "interpolation") parts.push(this.evalFirstExpression(c));
      else if (ck === "string_fragment" || ck === "string_content" || ck === "escape_sequence") parts.push(clean(this.head(c, MAX_TEXT)));
    }
    return concat(parts);
  }

  private evalCollection(n: SgNode, shape: "array" | "object"): Val {
    const values: Val[] = [];
    for (const c of this.named(n)) {
      const ck = this.kind(c);
      if (ck === "shorthand_property_identifier") values.push(this.eval(c));
      else if (ck === "pair" || ck === "keyed_element" || ck === "spread_element" || ck === "dictionary_splat" || ck === "literal_element") values.push(this.eval(c));
      else if (ck === "method_definition" || ck === "type_identifier" || ck === "dimensions" || ck === "generic_type" || ck === "slice_type" || ck === "map_type" || ck === "qualified_type") continue;
      else if (ck === "literal_value" || ck === "array_initializer") values.push(this.evalCollection(c, shape));
      else values.push(this.eval(c));
    }
    if (values.length === 0) return clean("", shape);
    const v = join(values);
    return { level: v.level, built: v.built, text: v.level === CLEAN ? "" : v.text, prefix: undefined, source: v.source, shape };
  }

  private evalUnary(n: SgNode): Val {
    const op = (fld(n, "operator"))?.text() ?? n.child(0)?.text() ?? "";
    const arg = (fld(n, "argument") ?? fld(n, "operand"));
    // Go: &x and *x are the value itself; <-ch is unknown.
    if (op === "&" || op === "*") return this.eval(arg ?? this.named(n)[0]);
    if (op === "<-") return unknown();
    return safe("number"); // !x, -x, typeof x, not x, ~x
  }

  private evalBinary(n: SgNode): Val {
    const left = fld(n, "left");
    const right = fld(n, "right");
    const op = (fld(n, "operator"))?.text() ?? this.operatorOf(n, left, right);
    switch (op) {
      case "+": {
        const l = this.eval(left);
        const r = this.eval(right);
        // count + 1 is arithmetic: a number with something that is not text.
        const numeric = (v: Val, other: Val) => v.shape === "number" && v.level === CLEAN && other.text === "" && other.level !== SOURCE;
        if (numeric(l, r) || numeric(r, l)) return safe("number");
        // [prog] + args: a list joined to a list is a list, not text
        if (l.shape === "array" || r.shape === "array") return { ...concat([l, r]), built: false, shape: "array" };
        return concat([l, r]);
      }
      case "%": {
        const l = this.eval(left);
        // Python "...%s..." % value: formatting when the left side is a string.
        if (left && this.syntax.stringKinds.has(this.kind(left))) return concat([l, this.eval(right)]);
        // A format string held in a variable or constant (PAGE % query); numbers are arithmetic.
        return l.shape !== "number" && (l.level >= UNKNOWN || l.text !== "") ? concat([l, this.eval(right)]) : safe("number");
      }
      case "||":
      case "??":
      case "&&":
      case "or":
      case "and":
        return join([this.eval(left), this.eval(right)]);
      case "/": {
        // pathlib: Path(base) / name keeps the name.
        if (this.family === "python") {
          const l = this.eval(left);
          const r = this.eval(right);
          return l.level >= UNKNOWN || r.level >= UNKNOWN ? concat([l, r]) : safe("number");
        }
        return safe("number");
      }
      default:
        return safe("number"); // arithmetic, comparisons, bit operations
    }
  }

  private operatorOf(n: SgNode, left: SgNode | null, right: SgNode | null): string {
    const ls = left ? this.span(left).end : -1;
    const rs = right ? this.span(right).start : -1;
    for (const c of n.children()) {
      if (c.isNamed()) continue;
      const s = this.span(c);
      if (s.start >= ls && s.end <= rs) return c.text();
    }
    return "";
  }

  // -------------------------------------------------------------------------------------------
  // members and calls

  private memberName(n: SgNode, k: string): { object: SgNode | null; name: string } {
    switch (k) {
      case "member_expression":
        return { object: fld(n, "object"), name: (fld(n, "property"))?.text() ?? "" };
      case "attribute":
        return { object: fld(n, "object"), name: (fld(n, "attribute"))?.text() ?? "" };
      case "selector_expression":
        return { object: fld(n, "operand"), name: (fld(n, "field"))?.text() ?? "" };
      case "field_access":
        return { object: fld(n, "object"), name: (fld(n, "field"))?.text() ?? "" };
      default:
        return { object: null, name: "" };
    }
  }

  private fromMemberSource(m: MemberSource | undefined, at: SgNode): Val | undefined {
    if (!m) return undefined;
    if (m.container) return containerVal(m.container);
    // An address from the environment (`${process.env.USER_SERVICE_URL}/users/${id}`) is a configured origin,
    // like `settings.USER_SERVICE`: its name stands for it, so a path put after it keeps the origin fixed.
    if (m.source && !m.source.remote && (this.opts.category === "ssrf" || this.opts.category === "open-redirect") && ENV_LABEL.test(m.source.label)) return clean(this.label(at));
    // A deserialiser handed the environment's value (`joblib.load(os.environ["MODEL_PATH"])`) loads the operator's own file.
    if (m.source && !m.source.remote && this.opts.category === "insecure-deserialization" && ENV_LABEL.test(m.source.label)) return clean("");
    if (m.source) return sourced(this.label(at), m.source.remote);
    return undefined;
  }

  /** `base.name` for an evaluated base. */
  private member(base: Val, name: string, at: SgNode): Val {
    if (base.container) {
      const m = this.fromMemberSource(containerMember(base.container, name), at);
      if (m) return m;
      if (base.level === SOURCE) return derived(base);
      return unknown();
    }
    if (SAFE_RESULT.has(name)) return safe("number");
    // PurePath(upload.filename).name, Path(p).name: the last part only, no directories.
    if (this.opts.category === "path-traversal" && this.family === "python" && (name === "name" || name === "stem" || name === "suffix") && /^(?:pathlib\.)?(?:Pure)?(?:Posix|Windows)?Path\s*\(/.test(this.head(at, 60))) return safe();
    if (base.level === UNKNOWN && !base.state && LAMBDA_EVENT_MEMBERS.has(name)) return sourced(this.label(at), true);
    // Hono's `c.req`, Azure Functions' `context.req`: a framework context's request.
    if (name === "req" && base.level === UNKNOWN && !base.state && this.family === "js") return containerVal("request");
    // app.config["UPLOAD_DIR"], current_app.config, this.config.cacheDir: the application's configuration.
    if (base.level !== SOURCE && CONFIG_NAMES.test(name) && /^(?:app|current_app|self|this|flask\.current_app)\.\w+$/.test(this.text(at))) return clean(at.text());
    // Angular: this.route.snapshot.queryParamMap / paramMap / queryParams (the page URL).
    if (/^(?:queryParamMap|paramMap|queryParams|fragment)$/.test(name) && /route/i.test(this.head(at, 80))) return sourced(this.label(at), true);
    // Names inside an archive are chosen by whoever made it (zip slip): adm-zip's entry.entryName.
    if (name === "entryName" && base.level >= UNKNOWN) return sourced(this.label(at), true);
    // An upload (`request.files["data"]`, its `.stream`, FastAPI's `upload.file`) is a file object, not a
    // path: `pd.read_csv(request.files["data"])` reads the upload. Its `.filename` is the client's text.
    if (base.level === SOURCE && this.uploadObject(base, name)) return { ...derived(base), shape: "object" };
    if (base.level === SOURCE) {
      const v = derived(base);
      // Name the source by the longest plain member chain: `req.query.file`, not `req.query`.
      const t = this.size(at) <= MAX_LABEL ? at.text() : "";
      if (v.source && t && t.startsWith(v.source.label) && /^[\w$.\[\]'"]+$/.test(t)) v.source = { ...v.source, label: t };
      return v;
    }
    if (base.level <= SAFE) return base.level === CLEAN ? clean("") : safe();
    return unknown();
  }

  /** For paths: whether `base[name]` / `base.name` is an uploaded file object (see member). */
  private uploadObject(base: Val, name: string): boolean {
    if (this.opts.category !== "path-traversal" || this.family !== "python") return false;
    if (base.shape === "object") return name === "stream" || name === "file";
    return !!base.source && /(?:^|\.)(?:files|FILES)$/.test(base.source.label) && name !== "getlist";
  }

  private evalMember(n: SgNode, k: string): Val {
    const { object, name } = this.memberName(n, k);
    if (!object) return unknown();
    // `self.request` / `this.request` (class-based views) is the request.
    if ((name === "request" || name === "req") && this.size(object) <= 4 && /^(?:self|this)$/.test(object.text())) return containerVal(this.family === "java" ? "javaRequest" : "request");
    // A module's request object by its full name: `flask.request.args` after `import flask`.
    const moduleContainer = MODULE_CONTAINERS[this.family]?.[name === "request" && this.size(n) <= 40 ? n.text() : ""];
    if (moduleContainer) return containerVal(moduleContainer);
    const ov = this.eval(object);
    // req.file.path (multer), files.doc.filepath (formidable): where the upload library stored the upload, its own name
    if (this.family === "js" && ov.level === SOURCE && ov.source && UPLOAD_STORED_MEMBERS.has(name) && /(?:^|\.)files?(?:$|[.\[])/.test(ov.source.label)) return safe();
    // Tables.AUDIT, Status.ACTIVE, constants.TABLE_NAME: an upper-case member of a name this file does
    // not define is another module's constant or an enum value (a request's GET/POST/FILES are containers).
    if (ov.level === UNKNOWN && !ov.container && !ov.source && /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/.test(name) && name.length >= 2 && this.kind(object) === "identifier" && !/^(?:self|this|cls|req|request|ctx|event|r|c)$/.test(object.text())) return clean("");
    const v = this.member(ov, name, n);
    // self.cache_file, this.dir: the object's own state, set up from configuration.
    if (v.level === UNKNOWN && !v.container) {
      const ok = this.kind(object);
      if (ok === "this" || ok === "self" || (ok === "identifier" && object.text() === "self")) return { ...v, state: true };
    }
    // A check on the member itself guards it too: `if (!validator.isURL(req.query.u)) return`.
    if (v.level === SOURCE && !v.container) {
      const text = this.size(n) <= 80 ? n.text() : "";
      if (text && /^[\w$.]+$/.test(text)) return this.guarded(v, text, n, this.scopeInfo(this.scopeNodeOf(n)));
    }
    return v;
  }

  private evalSubscript(n: SgNode, k: string): Val {
    const object = (fld(n, "object") ?? fld(n, "value") ?? fld(n, "operand") ?? fld(n, "array"));
    if (!object) return unknown();
    const base = this.eval(object);
    if (k === "slice_expression") return derived(base);
    const index = (fld(n, "index") ?? fld(n, "subscript"));
    // A lookup in a literal map or list is an allow-list: the result is one of its values.
    if (base.level <= SAFE && (base.shape === "object" || base.shape === "array")) return base.level === CLEAN ? clean("") : safe();
    // name.split("/")[-1], name.rsplit("/", 1)[-1]: the last part, no directory in it
    if (this.opts.category === "path-traversal" && index && /^-1$/.test(this.text(index)) && SPLIT_ON_SLASH.test(this.head(object, 200))) return safe();
    const key = index && this.syntax.stringKinds.has(this.kind(index)) ? stripQuotes(this.text(index)) : "[]";
    return this.member(base, key, n);
  }

  private callParts(n: SgNode, k: string): { callee: SgNode | null; recv: SgNode | null; name: string; dotted: string; args: SgNode[]; kwargs: Map<string, SgNode>; tagged: boolean } {
    let callee: SgNode | null = null;
    let recv: SgNode | null = null;
    let name = "";
    let argsNode: SgNode | null = null;
    if (k === "method_invocation") {
      recv = fld(n, "object");
      name = (fld(n, "name"))?.text() ?? "";
      argsNode = fld(n, "arguments");
    } else if (k === "object_creation_expression") {
      callee = fld(n, "type");
      name = callee ? this.text(callee).replace(/<.*$/s, "") : "";
      argsNode = fld(n, "arguments");
    } else {
      callee = fld(n, "function") ?? fld(n, "constructor");
      argsNode = fld(n, "arguments");
      // TypeScript parses `await f<T>(x)` as a call of `await f`.
      for (let i = 0; callee && i < 3 && /^(?:await_expression|parenthesized_expression|non_null_expression)$/.test(this.kind(callee)); i++) callee = this.named(callee)[0] ?? null;
      if (callee) {
        const ck = this.kind(callee);
        if (ck === "member_expression" || ck === "attribute" || ck === "selector_expression") {
          const m = this.memberName(callee, ck);
          recv = m.object;
          name = m.name;
        } else if (ck === "identifier") {
          name = callee.text();
        } else {
          name = this.compactText(callee);
        }
      }
    }
    let dotted = name;
    if (k === "method_invocation") {
      // compact(`${recv}.${name}`): a receiver whose compact text fills the 200 characters is all of it.
      const r = recv ? this.compactText(recv) : "";
      dotted = r.length >= 200 ? r : compact(`${recv ? r + "." : ""}${name}`);
    } else if (callee) dotted = this.compactText(callee);
    const args: SgNode[] = [];
    const kwargs = new Map<string, SgNode>();
    let tagged = false;
    if (argsNode) {
      const ak = this.kind(argsNode);
      if (ak === "template_string") tagged = true;
      else if (ak === "generator_expression") args.push(argsNode);
      else
        for (const a of this.named(argsNode)) {
          if (this.kind(a) === "keyword_argument") {
            const kn = (fld(a, "name"))?.text();
            const kv = fld(a, "value");
            if (kn && kv) kwargs.set(kn, kv);
          } else args.push(a);
        }
    }
    return { callee, recv, name, dotted, args, kwargs, tagged };
  }

  /** A call that is a later argument of a `path.join(root, ...)`. */
  private underRoot(n: SgNode): boolean {
    const a = this.parentOf(n);
    const call = a && a.kind() === "arguments" ? this.parentOf(a) : null;
    if (!call || call.kind() !== "call_expression") return false;
    const first = a!.namedChildren()[0];
    return !!first && first.id() !== n.id() && /^(?:path\.)?(?:posix\.)?join$/.test(fld(call, "function")?.text() ?? "");
  }

  private evalCall(n: SgNode, k: string): Val {
    const { recv, name, dotted, args, kwargs, tagged } = this.callParts(n, k);
    const { category, sanitizers } = this.opts;
    if (tagged) return safe(); // sql`...`, html`...`: the tag escapes its values
    if (isSanitiser(category, dotted, name, sanitizers)) return safe();
    // x.replace(/[^a-z0-9]/g, "") and re.sub(r"[^\w]", "", x) keep only allowed characters.
    if ((name === "replace" || name === "replaceAll" || dotted === "re.sub") && args.length >= 2 && /\[\^/.test(this.text(args[0]))) return safe();
    // name.replace("/", "") / name.replace(/[\/\\]/g, "_"): with no separator left, the name stays in its directory.
    if (category === "path-traversal" && (name === "replace" || name === "replaceAll") && recv && args.length >= 2 && /^(?:["'`]\/["'`]|\/(?:\\\/|\[[^\]]*\/[^\]]*\])\/g?)$/.test(this.text(args[0])) && !/[/\\]/.test(stripQuotes(this.text(args[1])))) return safe();
    // Quote doubling (name.replace("'", "''")) is SQL string escaping.
    if (category === "sql-injection" && (name === "replace" || name === "replaceAll") && args.length >= 2 && /^[a-z]*(["'`])(\\?["'])\1$/i.test(this.text(args[0])) && /(["'])\1|\\/.test(stripQuotes(this.text(args[1])))) return safe();
    // path.normalize(p).replace(/^(\.\.(\/|\\|$))+/, ""): normalised first, the leading `..` parts are all there is to strip.
    if (category === "path-traversal" && (name === "replace" || name === "replaceAll") && recv && args.length >= 2 && /^(?:path\.)?(?:posix\.)?normalize\s*\(/.test(this.text(recv)) && /^\/\^[\s\S]*\\\.\\\./.test(this.text(args[0])) && /^(["'`])\1$/.test(this.text(args[1]))) return safe();
    // request.args.get("page", type=int): Werkzeug converts the value (a number, a UUID, a flag) or drops it.
    if (this.family === "python" && (name === "get" || name === "getlist") && recv && /^(?:int|float|bool|uuid\.UUID|UUID)$/.test(kwargs.has("type") ? this.text(kwargs.get("type")!) : "")) return safe("number");
    // name.split("/").pop(): the last part, no directory in it
    if (category === "path-traversal" && name === "pop" && recv && args.length === 0 && SPLIT_ON_SLASH.test(this.head(recv, 200))) return safe();
    const argVals = () => [...args, ...kwargs.values()].map((a) => this.eval(a));
    // jQuery: $(...) and the chains on it are element collections, not text (`card.append($("<h3>").text(name))`);
    // only getters (`.val()`, `.attr("href")`) return a page's data.
    if (this.family === "js" && (name === "$" || name === "jQuery") && !recv) return safe("object");

    if (recv) {
      const recvText = this.text(recv);
      if (this.family === "js" && /^(?:\$|jQuery)\s*\(/.test(recvText) && !(JQUERY_GETTERS.has(name) && args.length <= (name === "text" || name === "html" || name === "val" ? 0 : 1))) return safe("object");
      if (this.family === "python" && recvText === "self" && TORNADO_SOURCES.has(name)) return sourced(this.label(n), true);
      if ((recvText === "this" || recvText === "self") && !isSanitiser(category, dotted, name, sanitizers)) {
        const local = this.localFunction(name);
        if (local) {
          const r = this.evalLocalCall(local, args, true);
          if (r) return r;
        }
      } else if (this.hasMethods() && /^[\w$.#]+$/.test(recvText)) {
        // A method of a class of this file called on an instance: `reports.path_for(name)`, `this.repo.find(id)`.
        const local = this.localFunction(name);
        const owner = local ? this.ownerOf(local) : "";
        if (local && owner && this.receiverIs(recvText, owner)) {
          const r = this.evalLocalCall(local, args, recvText !== owner);
          if (r) return r;
        }
      }
      if (FILE_READERS.has(name) && args.every((a) => ownPath(this.eval(a))) && !/^(?:req|request|ctx)$/.test(recvText)) {
        const rv0 = this.eval(recv);
        // (a path under a directory from the environment, `Path(os.environ["CACHE"]) / key`, is the app's own too)
        if ((rv0.level <= UNKNOWN || ownPath(rv0)) && !rv0.container) return clean("");
      }
      const rv = this.eval(recv);
      if (rv.container) {
        const m = this.fromMemberSource(containerMethod(rv.container, name, this.family), n);
        if (m) return m;
        if (rv.container === "event" || rv.level === SOURCE) return derived(rv);
        if (isWrapper(this.family, dotted, name, true)) return derived(join(argVals()));
        return unknown();
      }
      if (SAFE_RESULT.has(name)) return safe("number");
      if (ARCHIVE_LISTINGS.has(name) && args.length === 0) return sourced(`${this.label(n)} (names inside the archive)`, true);
      // Module functions first (path.join, os.path.join, String.format, fmt.Sprintf): the receiver is a module.
      // `path.join(root, path.join("/", name))`: the inner join resolves every `..` against "/", so the
      // result stays under the root it is then joined to.
      if (category === "path-traversal" && this.family === "js" && /^(?:path\.)?(?:posix\.)?(?:join|normalize)$/.test(dotted) && args.length >= 2 && /^["'`][/\\]["'`]$/.test(this.text(args[0])) && this.underRoot(n)) return safe();
      // filepath.Clean("/" + name): cleaned as a rooted path, every `..` stops at "/"; joined under a root it stays there.
      if (category === "path-traversal" && this.family === "go" && /^(?:filepath|path)\.Clean$/.test(dotted) && args.length === 1) {
        const a = this.eval(args[0]);
        if (a.prefix !== undefined && a.prefix.startsWith("/")) return safe();
      }
      if (PATH_JOIN.test(dotted) && isWrapper(this.family, dotted, name, true)) return concat(argVals());
      if (isFirstArgWrapper(this.family, dotted, name, true)) return derived(this.eval(args[0] ?? null));
      if (isCollection(this.family, dotted, name, true)) return { ...derived(join(argVals())), shape: "array" };
      if (isWrapper(this.family, dotted, name, true)) return derived(join(argVals()));
      if (isBuilder(this.family, dotted, name, true)) return concat(argVals());
      if (BUILDING_METHODS.has(name)) return concat([rv, ...argVals()]);
      const src = this.fromMemberSource(sourceFunction(this.family, dotted, name), n);
      if (src) return src;
      if (rv.level === SOURCE && name === "get" && this.uploadObject(rv, name)) return { ...derived(rv), shape: "object" };
      // ids.map((_, i) => `$${i + 1}`), ids.map(() => "?"): what the callback returns, when nothing of the
      // elements gets into it (placeholders for bound parameters)
      if (this.family === "js" && (name === "map" || name === "flatMap") && rv.level >= UNKNOWN && args[0] && this.syntax.functionKinds.has(this.kind(args[0]))) {
        const r = this.evalLocalCall(args[0], [], false);
        if (r && r.level <= SAFE) return { ...r, shape: "array" };
      }
      if (rv.level === SOURCE) return derived(rv);
      if (rv.level <= SAFE && (rv.shape === "object" || rv.shape === "array") && (name === "get" || name === "getOrDefault")) return clean("");
      // A getter of the application's configuration (`config.get("x")`, `idleConf.GetOption(...)`): fixed values.
      if (rv.level === CLEAN && /^(?:get|Get)\w*$/.test(name) && CONFIG_NAMES.test(recvText.replace(/^(?:self|this)\./, ""))) return clean("");
      if (STRING_METHODS.has(name)) return derived(rv);
      return unknown();
    }
    const src = this.fromMemberSource(sourceFunction(this.family, dotted, name), n);
    if (src) return src;
    if (FILE_READERS.has(name) && argVals().every(ownPath)) return clean(""); // the app's own files
    if (name === "URL" && args.length === 2) {
      // new URL("/path", base): the origin is the base's, the path fixed.
      const first = this.eval(args[0]);
      if (first.level <= SAFE || (first.prefix !== undefined && /^\/[^/\\]/.test(first.prefix))) return first;
    }
    if ((name === "useMemo" || name === "computed") && args[0] && this.syntax.functionKinds.has(this.kind(args[0]))) {
      const r = this.evalLocalCall(args[0], [], false);
      if (r) return r;
    }
    if (isBuilder(this.family, dotted, name, false)) return concat(argVals());
    if (this.family === "js" && (name === "join" || name === "resolve")) return concat(argVals()); // path.join imported bare
    if (isFirstArgWrapper(this.family, dotted, name, false)) return derived(this.eval(args[0] ?? null));
    if (isCollection(this.family, dotted, name, false)) return { ...derived(join(argVals())), shape: "array" };
    if (isWrapper(this.family, dotted, name, false) || (this.family === "go" && name === "append")) return derived(join(argVals()));
    if (this.family === "go" && /^\[\]|^\(/.test(dotted)) return derived(join(argVals())); // []byte(x), (*T)(x)
    // make([]string, n): an empty slice (what is put in it later is followed through append)
    if (this.family === "go" && name === "make") return clean("", "array");
    const local = this.localFunction(name);
    if (local) return this.evalLocalCall(local, args, false) ?? unknown();
    return unknown();
  }

  // -------------------------------------------------------------------------------------------
  // identifiers, scopes, definitions

  /**
   * The nearest function around `n` (or the root), found from the function index by position:
   * walking up parent() costs the depth of the tree for every step.
   */
  private scopeNodeOf(n: SgNode): SgNode {
    const idx = this.index();
    const s = this.span(n);
    const id = n.id();
    // The innermost function at n's start, then out until one holds all of n and is not n itself.
    let lo = 0;
    let hi = idx.segStart.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (idx.segStart[mid] <= s.start) lo = mid + 1;
      else hi = mid;
    }
    let f = lo > 0 ? idx.segFn[lo - 1] : -1;
    while (f >= 0 && (idx.fnSpans[f].end < s.end || idx.functions[f].id() === id)) f = idx.fnParent[f];
    return f >= 0 ? idx.functions[f] : this.root;
  }

  private outerScope(scope: SgNode): SgNode | null {
    const id = scope.id();
    if (id === this.root.id()) return null;
    let o = this.outer.get(id);
    if (o === undefined) {
      o = this.scopeNodeOf(scope);
      this.outer.set(id, o);
    }
    return o;
  }

  /**
   * A node's parent, kept per node. napi's parent() descends from the root each time (tree-sitter
   * keeps no parent pointers), so it costs the node's depth: in a deep tree (a long else-if or
   * `.then()` chain) the uses of N sinks cost N times the depth. Once the time spent in it passes
   * what mapping every node's parent in one pass costs (about 1 ms per KB), that map is made.
   */
  parentOf(n: SgNode): SgNode | null {
    const id = n.id();
    const known = this.parents.get(id);
    if (known !== undefined) return known;
    const t0 = performance.now();
    const p = n.parent();
    this.parentTime += performance.now() - t0;
    this.parents.set(id, p);
    if (!this.parentsMapped && this.parentTime > 10 + this.source().length / 1000) this.mapParents();
    return p;
  }

  private mapParents(): void {
    this.parentsMapped = true;
    try {
      // Top down with children(): no node's text is read (a rule matching every node by `regex` reads them all).
      const stack: SgNode[] = [this.root];
      while (stack.length) {
        const p = stack.pop()!;
        for (const c of p.children()) {
          this.parents.set(c.id(), p);
          stack.push(c);
        }
      }
    } catch {
      /* parent() still answers */
    }
  }

  private frameId(): number {
    return this.frames.length ? this.frames[this.frames.length - 1].id : 0;
  }

  private evalIdentifier(n: SgNode): Val {
    const name = n.text();
    // Constants keep their name as text: it stands for a fixed base (`join(__dirname, x)`, `API_URL + path`).
    if (this.syntax.constantNames.has(name)) return clean(name);
    const useSpan = this.span(n);
    let scope: SgNode | null = this.scopeNodeOf(n);
    let innermost = true;
    while (scope) {
      const info = this.scopeInfo(scope);
      const all = info.defs.get(name) ?? [];
      this.budget.spend(1 + all.length);
      const defs = all.filter((d) => !innermost || (d.point <= useSpan.start && !(d.exclude && this.contains(d.exclude, useSpan))));
      if (defs.length > 0) {
        const v = innermost ? this.combine(defs, useSpan) : join(defs.map((d) => this.evalBinding(d)));
        return this.guarded(v, name, n, info);
      }
      const p = info.params.get(name);
      if (p) return this.guarded(this.paramValue(p, info), name, n, info);
      scope = this.outerScope(scope);
      innermost = false;
    }
    const c = globalContainer(this.family, name);
    if (c) return containerVal(c, c === "location" ? SOURCE : UNKNOWN, c === "location" ? { label: "location", remote: true } : undefined);
    if (/^[A-Z][A-Z0-9_]*$/.test(name) && name.length > 1) return clean(name); // a constant by convention
    // The application's configuration module (Django's settings, a config object imported from elsewhere): fixed values.
    if (CONFIG_NAMES.test(name)) return clean(name);
    return unknown();
  }

  /** A parameter's value: bound by the call being evaluated, else what the function's callers in this file pass. */
  private paramValue(p: Param, info: ScopeInfo): Val {
    const top = this.frames[this.frames.length - 1];
    if (top && top.fn === info.node.id()) return top.params.get(p.name) ?? unknown();
    if (p.val.level !== UNKNOWN || p.val.container || this.callSiteDepth >= 2) return p.val;
    const sites = this.callSites(info.node);
    if (sites.length === 0) return p.val;
    const offset = this.family === "python" && info.params.has("self") ? 1 : this.family === "python" && info.params.has("cls") ? 1 : 0;
    const owner = this.ownerOf(info.node);
    const saved = this.frames;
    this.frames = [];
    this.callSiteDepth++;
    try {
      const values = sites.slice(0, 6).map((c) => {
        const { args, recv } = this.callParts(c, this.kind(c));
        // self.method(a) and storage.method(a) pass `a` to the parameter after `self`; Class.method(obj, a) passes obj to self.
        const shift = recv && (this.size(recv) !== owner.length || recv.text() !== owner) ? offset : 0;
        const a = args[p.index - shift + (this.siteOffsets.get(c.id()) ?? 0)];
        return a ? this.eval(a) : unknown();
      });
      const v = join(values);
      if (v.source) v.source = { ...v.source, label: v.source.label };
      return v;
    } finally {
      this.callSiteDepth--;
      this.frames = saved;
    }
  }

  /** The class a method belongs to (or the variable an object literal of methods is assigned to); "" for a plain function. */
  private ownerOf(fn: SgNode): string {
    // Go: func (s *Store) Read(...) belongs to Store.
    if (this.family === "go" && this.kind(fn) === "method_declaration") {
      const decl = this.named(fld(fn, "receiver"))[0];
      return (fld(decl, "type")?.text() ?? "").replace(/^\*/, "").replace(/\[.*$/s, "");
    }
    let cur = this.parentOf(fn);
    for (let i = 0; cur && i < 4; i++) {
      const k = this.kind(cur);
      if (k === "class_declaration" || k === "class_definition" || k === "class" || k === "abstract_class_declaration" || k === "enum_declaration" || k === "record_declaration") return fld(cur, "name")?.text() ?? "";
      if (k === "object") {
        const holder = this.parentOf(cur);
        if (holder && this.kind(holder) === "variable_declarator") return fld(holder, "name")?.text() ?? "";
        return "";
      }
      if (this.syntax.functionKinds.has(k)) return "";
      cur = this.parentOf(cur);
    }
    return "";
  }

  private rootText?: string;
  private rootStart = 0;
  private methods?: boolean;

  private koa?: boolean;

  /** Whether the file reads like Koa (or Koa-style router) code: `koa` imported, or `ctx.body`/`ctx.request`/`ctx.query` used. */
  private koaLike(): boolean {
    if (this.koa === undefined) this.koa = /koa|\bctx\.(?:body|request|query|params|status|throw|redirect|cookies|set|get|state|response)\b/.test(this.source());
    return this.koa;
  }

  /** Whether the file declares classes or methods at all (else no call on an instance can reach one). */
  private hasMethods(): boolean {
    if (this.methods === undefined) this.methods = /\bclass\s+[A-Za-z_$]|\bfunc\s*\(/.test(this.source());
    return this.methods;
  }

  /**
   * Whether a call's receiver is plausibly an instance of `owner`: `this.filesService` for
   * FilesService, `storage` for ReportStorage, or a name declared with that type or built from it
   * (`svc: FilesService`, `FileService svc`, `proxy = new ImageProxy()`, `storage = ReportStorage(...)`).
   */
  private receiverIs(recvText: string, owner: string): boolean {
    return this.receiverMatches(receiverInfo(recvText), owner);
  }

  private receiverMatches(r: ReceiverInfo, owner: string): boolean {
    if (r.text === owner) return true;
    if (!r.name) return false;
    const o = owner.toLowerCase();
    if (r.last === o || (r.last.length >= 4 && (o.includes(r.last) || r.last.endsWith(o)))) return true;
    const text = this.source();
    const key = `${r.raw}\u0000${owner}`;
    if (r.plain && PLAIN_NAME.test(owner)) {
      // Every `name = Type`/`Type name` pair of the file, found in one pass (the regex below once per pair was quadratic).
      if (!this.declared) {
        this.budget.spend(1 + (text.length >> 10));
        this.declared = declaredTypes(text);
      }
      return this.declared.has(key);
    }
    let hit = this.receivers.get(key);
    if (hit === undefined) {
      this.budget.spend(1 + (text.length >> 10));
      const re = escapeRe(r.raw);
      const c = escapeRe(owner);
      hit = new RegExp(`(?<![\\w$.])${re}\\??\\s*[:=]\\s*(?:new\\s+|await\\s+)?(?:[\\w$]+\\.)?${c}\\b|\\b${c}(?:<[^>\\n]*>)?\\s+${re}\\b`).test(text);
      this.receivers.set(key, hit);
    }
    return hit;
  }

  /** The file's functions and how they nest (see FileIndex), found once. */
  private index(): FileIndex {
    if (this.fileIndex) return this.fileIndex;
    const idx: FileIndex = { functions: [], defsByScope: new Map(), defSpans: [], returnsByFn: new Map(), callsByName: new Map(), fnSpans: [], fnParent: [], segStart: [], segFn: [] };
    this.fileIndex = idx;
    try {
      // Functions, definitions and returns in one traversal (scopeIndex files the latter two).
      for (const n of this.root.findAll(this.syntax.indexRule)) {
        const k = this.kind(n);
        if (this.syntax.functionKinds.has(k)) idx.functions.push(n);
        if (k === "return_statement") this.indexed.returns.push(n);
        else if (this.syntax.defKinds.has(k)) this.indexed.defs.push(n);
      }
    } catch (e) {
      if (process.env.TAINT_DEBUG) console.error(e); /* partial information is still information */
    }
    // Functions nest: one sweep gives each its parent and the innermost function at every position.
    const stack: number[] = [];
    const segment = (at: number) => {
      const fn = stack.length ? stack[stack.length - 1] : -1;
      if (idx.segStart.length && idx.segStart[idx.segStart.length - 1] === at) idx.segFn[idx.segFn.length - 1] = fn;
      else {
        idx.segStart.push(at);
        idx.segFn.push(fn);
      }
    };
    idx.functions.forEach((f, i) => {
      const span = this.span(f);
      idx.fnSpans.push(span);
      while (stack.length && idx.fnSpans[stack[stack.length - 1]].end <= span.start) segment(idx.fnSpans[stack.pop()!].end);
      idx.fnParent.push(stack.length ? stack[stack.length - 1] : -1);
      stack.push(i);
      segment(span.start);
    });
    while (stack.length) segment(idx.fnSpans[stack.pop()!].end);
    return idx;
  }

  /** The index with each definition and return filed under the function it belongs to, found once. */
  private scopeIndex(): FileIndex {
    const idx = this.index();
    if (this.scopesIndexed) return idx;
    this.scopesIndexed = true;
    try {
      const { defs, returns: rets } = this.indexed;
      // One sweep in document order gives each definition and return the innermost function
      // around it (what scopeInfo and returnValues used to find by searching each function).
      type Item = { node: SgNode; span: Span; role: 0 | 1 | 2 }; // a function, a definition, a return
      const fnIds = new Set(idx.functions.map((f) => f.id()));
      const items: Item[] = idx.functions.map((f, i) => ({ node: f, span: idx.fnSpans[i], role: 0 as const }));
      const declarations = new Set<number>();
      for (const d of defs) {
        idx.defSpans.push(this.span(d));
        // A function declaration is a definition too: it binds its name in the enclosing scope.
        if (fnIds.has(d.id())) declarations.add(d.id());
        else items.push({ node: d, span: this.span(d), role: 1 });
      }
      for (const r of rets) items.push({ node: r, span: this.span(r), role: 2 });
      items.sort((a, b) => a.span.start - b.span.start || b.span.end - a.span.end || a.role - b.role);
      const push = (map: Map<number, SgNode[]>, key: number, node: SgNode) => {
        const list = map.get(key);
        if (list) list.push(node);
        else map.set(key, [node]);
      };
      const open: Item[] = [];
      const rootId = this.root.id();
      for (const it of items) {
        while (open.length && it.span.end > open[open.length - 1].span.end) open.pop();
        const scope = open.length ? open[open.length - 1].node.id() : rootId;
        if (it.role === 2) push(idx.returnsByFn, scope, it.node);
        else if (it.role === 1) push(idx.defsByScope, scope, it.node);
        else {
          if (declarations.has(it.node.id())) push(idx.defsByScope, scope, it.node);
          open.push(it);
        }
      }
    } catch (e) {
      if (process.env.TAINT_DEBUG) console.error(e); /* partial information is still information */
    }
    return idx;
  }

  /** The index with the file's calls by name, found once. */
  private callIndex(): FileIndex {
    const idx = this.index();
    if (this.callsIndexed) return idx;
    this.callsIndexed = true;
    try {
      const callKind = this.family === "java" ? "method_invocation" : this.family === "python" ? "call" : "call_expression";
      this.root.findAll({ rule: { kind: callKind } } as never).forEach((c, at) => {
        const name = this.calleeName(c);
        if (!name) return;
        const list = idx.callsByName.get(name);
        if (list) list.push({ node: c, at });
        else idx.callsByName.set(name, [{ node: c, at }]);
      });
    } catch (e) {
      if (process.env.TAINT_DEBUG) console.error(e); /* partial information is still information */
    }
    return idx;
  }

  /** The name a call's callee ends with (`f` for `f(x)`, `a.b.f(x)`, `await f(x)`, Java's `o.f(x)`), or "". */
  private calleeName(c: SgNode): string {
    if (this.family === "java") return fld(c, "name")?.text() ?? "";
    let f = fld(c, "function");
    for (let i = 0; f && i < 3; i++) {
      switch (this.kind(f)) {
        case "identifier":
          return f.text();
        case "member_expression":
          return fld(f, "property")?.text() ?? "";
        case "attribute":
          return fld(f, "attribute")?.text() ?? "";
        case "selector_expression":
          return fld(f, "field")?.text() ?? "";
        case "await_expression":
          f = this.named(f)[0] ?? null;
          continue;
        default:
          // Other callees can end in a name only when short (a dotted name is a member expression above).
          return this.size(f) <= 1000 ? (/[A-Za-z_$][\w$]*$/.exec(f.text())?.[0] ?? "") : "";
      }
    }
    return "";
  }

  /** Whether a callee's text can match the callee patterns of callSites (else it is not read). */
  private mayBeName(f: SgNode): boolean {
    const k = this.kind(f);
    if (k === "member_expression" || k === "attribute" || k === "selector_expression") {
      const object = fld(f, "object") ?? fld(f, "operand");
      // `a.b().f`, `x[0].f`, `(a).f`: their text has a character no dotted name has.
      if (object && NOT_A_NAME.has(this.kind(object))) return false;
    }
    return true;
  }

  /** Calls of a function declared in this file (by its name; `this.name(...)`/`self.name(...)` for methods, `service.name(...)` on an instance of its class). */
  callSites(fn: SgNode): SgNode[] {
    const id = fn.id();
    const cached = this.sites.get(id);
    if (cached) return cached;
    const found: SgNode[] = [];
    const name = this.functionName(fn);
    if (/^[A-Za-z_$][\w$]*$/.test(name) && name !== "constructor" && name !== "__init__") {
      const owner = this.ownerOf(fn);
      try {
        // The callee patterns ast-grep matched, `^PREFIX` + name + `$`, tried on the calls of `name` only.
        const prefix = owner ? METHOD_CALLEE_PREFIX : FUNCTION_CALLEE_PREFIX;
        for (const e of this.callsOf(name)) {
          this.budget.spend(1);
          if (this.family !== "java" && (e.callee === null || !e.callee.endsWith(name) || !prefix.test(e.callee.slice(0, e.callee.length - name.length)))) continue;
          if (e.receiver && !e.receiver.own && !(owner !== "" && this.receiverMatches(e.receiver, owner))) continue;
          found.push(e.node);
          if (found.length >= 20) break;
        }
        if (this.family === "python" && !owner && found.length < 20) found.push(...this.deferredCalls(name));
      } catch {
        found.length = 0;
      }
    }
    this.sites.set(id, found);
    return found;
  }

  /** The calls of `name` with their callee and receiver read, once per name (functions may share a name). */
  private callsOf(name: string): CallEntry[] {
    const known = this.callEntries.get(name);
    if (known) return known;
    const list: CallEntry[] = [];
    for (const { node } of this.callIndex().callsByName.get(name) ?? []) {
      this.budget.spend(1);
      if (this.family === "java") {
        const recv = fld(node, "object");
        list.push({ node, callee: "", receiver: recv ? receiverInfo(this.text(recv)) : null });
        continue;
      }
      const f = fld(node, "function");
      const callee = f && this.mayBeName(f) ? this.text(f) : null;
      const recv = fld(f, "object") ?? fld(f, "operand");
      list.push({ node, callee, receiver: recv && callee !== null ? receiverInfo(recv.text()) : null });
    }
    this.callEntries.set(name, list);
    return list;
  }

  /** Where a call's arguments start when the function is passed, not called (`add_task(fn, a)`: 1). */
  private readonly siteOffsets = new Map<number, number>();
  /** Calls that run a function given as an argument, and `x.delay(...)` calls by callee text. */
  private runners?: Runners;
  private readonly runnerArgs = new Map<number, SgNode[]>();

  /**
   * Python calls that run a function later with the arguments given after it: FastAPI's
   * `background_tasks.add_task(notify, url)`, `executor.submit(fn, x)`, `loop.run_in_executor(None, fn, x)`,
   * `asyncio.to_thread(fn, x)`, and Celery's `notify.delay(url)`.
   */
  private deferredCalls(name: string): SgNode[] {
    const out: SgNode[] = [];
    try {
      if (!this.runners) {
        const runners: Runners = { later: [], delays: new Map() };
        const calls = this.callIndex().callsByName;
        for (const r of RUNNERS) for (const c of calls.get(r) ?? []) if (RUNNER_CALLEE.test(this.text(fld(c.node, "function")!))) runners.later.push(c);
        runners.later.sort((a, b) => a.at - b.at);
        for (const c of calls.get("delay") ?? []) {
          const t = this.text(fld(c.node, "function")!);
          const list = runners.delays.get(t);
          if (list) list.push(c);
          else runners.delays.set(t, [c]);
        }
        this.runners = runners;
      }
      // The first 20 of both kinds in document order, as one search for either found them.
      const { later } = this.runners;
      const delays = this.runners.delays.get(`${name}.delay`) ?? [];
      const first: Array<{ node: SgNode; at: number; delay: boolean }> = [];
      for (let i = 0, j = 0; first.length < 20 && (i < later.length || j < delays.length); ) {
        if (j >= delays.length || (i < later.length && later[i].at < delays[j].at)) first.push({ ...later[i++], delay: false });
        else first.push({ ...delays[j++], delay: true });
      }
      for (const { node: c, delay } of first) {
        if (delay) {
          out.push(c);
          continue;
        }
        let args = this.runnerArgs.get(c.id());
        if (!args) {
          args = this.named(fld(c, "arguments")).filter((a) => this.kind(a) !== "keyword_argument");
          this.runnerArgs.set(c.id(), args);
        }
        this.budget.spend(1 + args.length);
        const at = args.findIndex((a) => this.size(a) === name.length && a.text() === name);
        if (at < 0) continue;
        this.siteOffsets.set(c.id(), at + 1);
        out.push(c);
      }
    } catch (e) {
      if (e instanceof WorkLimitReached) throw e;
    }
    return out;
  }

  /** Functions declared in this file by name (null when the name is ambiguous). */
  private localFunction(name: string): SgNode | null {
    if (!this.localFns) {
      this.localFns = new Map();
      try {
        for (const f of this.index().functions) {
          const n = this.functionName(f);
          if (!n) continue;
          this.localFns.set(n, this.localFns.has(n) ? null : f);
        }
      } catch {
        /* none */
      }
    }
    return this.localFns.get(name) ?? null;
  }

  /** The expressions a function returns (an arrow's expression body included). */
  private returnValues(fn: SgNode): SgNode[] {
    const body = fld(fn, "body");
    if (body && this.family === "js" && this.kind(fn) === "arrow_function" && this.kind(body) !== "statement_block") return [body];
    if (this.family === "python" && this.kind(fn) === "lambda" && body) return [body];
    const cached = this.returns.get(fn.id());
    if (cached) return cached;
    const out: SgNode[] = [];
    for (const r of this.scopeIndex().returnsByFn.get(fn.id()) ?? []) {
      const e = this.named(r)[0];
      if (e) out.push(e);
      if (out.length >= 8) break;
    }
    this.returns.set(fn.id(), out);
    return out;
  }

  /** The value a call to a local function returns, with its parameters bound to the arguments. */
  private evalLocalCall(fn: SgNode, args: SgNode[], viaSelf: boolean): Val | undefined {
    if (this.frames.length >= 3 || this.frames.some((f) => f.fn === fn.id())) return undefined;
    const info = this.scopeInfo(fn);
    const bound = new Map<string, Val>();
    const shift = viaSelf && this.family === "python" && (info.params.has("self") || info.params.has("cls")) ? 1 : 0;
    for (const p of info.params.values()) {
      const a = args[p.index - shift];
      bound.set(p.name, a ? this.eval(a) : p.val);
    }
    const returns = this.returnValues(fn);
    if (returns.length === 0) return undefined;
    this.frames.push({ id: ++this.frameSeq, fn: fn.id(), params: bound });
    try {
      return join(returns.map((r) => this.eval(r)));
    } finally {
      this.frames.pop();
    }
  }

  /** Definitions reaching a use, in order: one in the same straight-line code replaces the earlier ones. */
  private combine(defs: Binding[], use: Span): Val {
    this.budget.spend(defs.length);
    const sorted = [...defs].sort((a, b) => a.point - b.point);
    let live: Binding[] = [];
    for (const d of sorted) {
      if (this.dominates(d, use)) live = [d];
      else live.push(d);
    }
    return join(live.map((d) => this.evalBinding(d)));
  }

  /** Whether a definition runs whenever the use runs (no branch or loop around it that the use is outside of). */
  private dominates(d: Binding, use: Span): boolean {
    // The branches around a definition do not depend on the use: found once per definition.
    let inside = this.branchChildren.get(d);
    if (!inside) {
      inside = [];
      let child = d.node;
      let cur = this.parentOf(d.node);
      for (let i = 0; cur && i < 40; i++) {
        const k = this.kind(cur);
        if (this.syntax.functionKinds.has(k)) break;
        if (this.syntax.branchKinds.has(k)) inside.push(this.span(child));
        child = cur;
        cur = this.parentOf(cur);
      }
      this.branchChildren.set(d, inside);
    }
    return inside.every((s) => this.contains(s, use));
  }

  /**
   * A definition's value, memoised per category and frame like eval(): `x += a` in a branch
   * reads every earlier definition of `x`, so without it N such lines took 2^N evaluations.
   * A value computed across a cut (a cycle, the depth limit) is not kept, as eval() does not
   * keep those either: computing it again may give more.
   */
  private evalBinding(d: Binding): Val {
    const key = `${this.opts.category}|${this.frameId()}`;
    let memo = this.bindingValues.get(d);
    const hit = memo?.get(key);
    if (hit) return hit;
    this.budget.spend(1);
    const cuts = this.cuts;
    const v = this.computeBinding(d);
    if (this.cuts === cuts) {
      if (!memo) this.bindingValues.set(d, (memo = new Map()));
      memo.set(key, v);
    }
    return v;
  }

  private computeBinding(d: Binding): Val {
    switch (d.op) {
      case "fn":
        return safe("function");
      case "iter":
        return derived(this.applyPath(this.eval(d.value), d.path, d.node));
      case "+=":
        return concat([this.valueBefore(d), this.eval(d.value)]);
      case "decode": {
        // What a decoder or binder reads: its receiver chain (json.NewDecoder(r.Body), a gin context) and its other arguments.
        const call = d.value;
        if (!call) return unknown();
        const fn = fld(call, "function");
        const parts: Val[] = [];
        let recv = fld(fn, "operand");
        for (let i = 0; recv && i < 4; i++) {
          const rv = this.eval(recv);
          if (rv.container === "goContext" || rv.container === "goRequest") return sourced(this.label(call), true);
          parts.push(rv);
          if (this.kind(recv) !== "call_expression") break;
          for (const a of this.named(fld(recv, "arguments"))) parts.push(this.eval(a));
          recv = fld(fld(recv, "function"), "operand");
        }
        for (const a of this.named(fld(call, "arguments"))) if (this.head(a, 1) !== "&") parts.push(this.eval(a));
        const v = join(parts);
        return v.level === SOURCE ? derived(v) : v.level <= SAFE ? v : unknown();
      }
      case "mut": {
        const call = d.value;
        const args = call ? this.callParts(call, this.kind(call)).args : [];
        const before = this.valueBefore(d);
        const added = args.map((a) => this.eval(a));
        const v = concat([before, ...added]);
        return { ...v, shape: before.shape };
      }
      default: {
        if (!d.value) return unknown();
        if (d.tupleIndex !== undefined) {
          const vk = this.kind(d.value);
          if (vk === "expression_list" || vk === "tuple" || vk === "pattern_list" || vk === "list") {
            const items = this.named(d.value);
            if (items.length > 1) return this.applyPath(this.eval(items[d.tupleIndex] ?? null), d.path, d.node);
          }
          return derived(this.applyPath(this.eval(d.value), d.path, d.node));
        }
        return this.applyPath(this.eval(d.value), d.path, d.node);
      }
    }
  }

  private applyPath(v: Val, path: string[], at: SgNode): Val {
    let cur = v;
    for (const p of path) cur = this.member(cur, p, at);
    return cur;
  }

  /** The value a name had just before definition `d` (for `+=` and `x.push(v)`). */
  private valueBefore(d: Binding): Val {
    const scope = this.scopeNodeOf(d.node);
    const info = this.scopeInfo(scope);
    const at = this.span(d.node).start;
    const all = info.defs.get(d.name) ?? [];
    this.budget.spend(all.length);
    const defs = all.filter((o) => o !== d && o.point <= at);
    if (defs.length > 0) return this.combine(defs, { start: at, end: at });
    const p = info.params.get(d.name);
    return p ? p.val : clean("");
  }

  /** An allow-list check guarding the use makes the value safe. */
  /** Whether a condition's text tests the value of `name` itself (not a property of it, like `req.method`). */
  private testsValue(text: string, name: string): boolean {
    const re = new RegExp(`(?<![\\w$.])${escapeRe(name)}(?![\\w$])`, "g");
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      if (/\blen\(\s*$/.test(text.slice(Math.max(0, m.index - 6), m.index))) continue; // len(x) checks a size
      const rest = text.slice(m.index + name.length);
      const prop = /^\s*(?:\?\.|\.)\s*([A-Za-z_$][\w$]*)\s*(\()?/.exec(rest);
      // (a path's parents and parts: `ROOT not in p.parents`, `".." in p.parts`; an archive member's
      // name: `".." in member.filename` checks the member `zf.extract(member)` writes)
      if (!prop || prop[2] || URL_PARTS.has(prop[1]) || /^(?:parents|parent|parts|filename|name|arcname)$/.test(prop[1])) return true;
    }
    return false;
  }

  private validates(cond: SgNode | null, names: readonly string[]): boolean {
    if (!cond || this.size(cond) >= 400) return false;
    let c = this.conditions.get(cond.id());
    if (!c) {
      const text = cond.text();
      c = { text, keys: dottedKeys(text) };
      this.conditions.set(cond.id(), c);
    }
    const t = c.text;
    if (/\btypeof\b/.test(t)) return false;
    // Every pattern below needs a name in the condition, as a dotted name: skip the regexes when none is.
    if (names.every((n) => DOTTED_NAME.test(n) && !c.keys.has(n))) return false;
    const key = `${cond.id()}|${names.join("\u0000")}`;
    const known = this.validated.get(key);
    if (known !== undefined) return known;
    this.budget.spend(names.length);
    const v = this.validatesText(t, names);
    this.validated.set(key, v);
    return v;
  }

  private validatesText(t: string, names: readonly string[]): boolean {
    // x === "admin", "asc" == x: the value itself compared with a literal.
    const lit = `(?:["'\`][^"'\`]+["'\`]|-?\\d+)`;
    for (const n of names) {
      const v = `${escapeRe(n)}(?:\\.(?:hostname|host|origin|protocol|scheme|netloc|port))?`;
      if (new RegExp(`(?<![\\w$.])(?<!\\w\\s*\\()${v}\\s*(?:===?|!==?)\\s*${lit}|${lit}\\s*(?:===?|!==?)\\s*${v}(?![\\w$.(\\[])`).test(t)) return true;
      // The URL's origin or host compared with the expected one (`target.origin !== APP_ORIGIN`,
      // `urlparse(next).netloc != request.host`, `u.Host != r.Host`): an origin check, whatever it is compared with.
      const part = `(?:(?<![\\w$.])${escapeRe(n)}|\\(\\s*${escapeRe(n)}\\s*\\))\\s*\\??\\.\\s*(?:origin|host|hostname|netloc|Host|Hostname\\(\\)|getHost\\(\\))`;
      if (new RegExp(`${part}\\s*(?:===?|!==?)|(?:===?|!==?)\\s*${part}(?![\\w$.(\\[])|${part}\\s*\\.\\s*(?:equals|equalsIgnoreCase)\\s*\\(`).test(t)) return true;
    }
    return VALIDATION.test(t) && names.some((n) => this.testsValue(t, n));
  }

  /** Variables defined from `name` in the same scope (`parsed = urlparse(url)`): checking them checks it. */
  private derivedNames(name: string, info: ScopeInfo): string[] {
    const key = `${info.node.id()}|${name}`;
    const hit = this.derived.get(key);
    if (hit) return hit;
    const re = new RegExp(`(?<![\\w$.])${escapeRe(name)}(?![\\w$])`);
    const out: string[] = [];
    const consider = (n: string, defs: Binding[]) => {
      if (n === name || out.length >= 8) return;
      this.budget.spend(1);
      if (defs.some((d) => d.op === "=" && d.value && re.test(this.head(d.value, 300)))) out.push(n);
    };
    // A value that mentions a dotted name has it among its dottedKeys: only those are tested.
    if (DOTTED_NAME.test(name)) for (const n of this.derivedIndex(info).get(name) ?? []) consider(n, info.defs.get(n)!);
    else for (const [n, defs] of info.defs) consider(n, defs);
    this.derived.set(key, out);
    return out;
  }

  /** The names a scope defines, by the dotted names their values mention, in definition order. */
  private derivedIndex(info: ScopeInfo): Map<string, string[]> {
    let index = this.derivedIndexes.get(info.node.id());
    if (index) return index;
    this.budget.spend(info.defs.size);
    index = new Map();
    for (const [n, defs] of info.defs) {
      const keys = new Set<string>();
      for (const d of defs) if (d.op === "=" && d.value) dottedKeys(this.head(d.value, 300), keys);
      for (const k of keys) {
        const list = index.get(k);
        if (list) list.push(n);
        else index.set(k, [n]);
      }
    }
    this.derivedIndexes.set(info.node.id(), index);
    return index;
  }

  /** An allow-list check guarding the use makes the value safe. */
  private guarded(v: Val, name: string, use: SgNode, info: ScopeInfo): Val {
    if (v.level < UNKNOWN || v.container) return v;
    const names = [name, ...this.derivedNames(name, info)];
    // Any check found makes the value safe, whichever is found first.
    let child = use;
    let cur = this.parentOf(use);
    for (let i = 0; cur && i < 30; i++) {
      const k = this.kind(cur);
      if (k === "if_statement") {
        // (an `if` around many uses is asked about by each: its parts are read once)
        let parts = this.ifParts.get(cur.id());
        if (!parts) {
          parts = { cond: fld(cur, "condition"), cons: fld(cur, "consequence") };
          this.ifParts.set(cur.id(), parts);
        }
        const { cond, cons } = parts;
        if (cond && this.validates(cond, names)) {
          const negated = NEGATED.test(cond.text());
          if (cons && this.contains(cons, use) && !negated) return { ...safe(), text: v.text };
          if (cons && !this.contains(cons, use) && !this.contains(cond, use) && negated) return { ...safe(), text: v.text };
        }
      }
      if ((this.syntax.blockKinds.has(k) || k === "block") && this.firstGuard(cur, name, names, info) < this.span(child).start) return { ...safe(), text: v.text };
      if (cur.id() === info.node.id()) break;
      child = cur;
      cur = this.parentOf(cur);
    }
    return v;
  }

  /**
   * Where the first `if` of a block that checks `names` and then leaves (return, raise, abort) or
   * replaces the value (`x = "/"`) starts; Infinity if none. Kept per block and name, so a block
   * of N statements is not walked again for every use in it.
   */
  private firstGuard(block: SgNode, name: string, names: readonly string[], info: ScopeInfo): number {
    const key = `${block.id()}|${info.node.id()}|${name}`;
    const hit = this.guardedFrom.get(key);
    if (hit !== undefined) return hit;
    const guards = this.guardsOf(block);
    let candidates = guards.items;
    // A condition that tests a dotted name mentions it (validates' patterns all need it): only those are checked.
    if (names.every((n) => DOTTED_NAME.test(n))) {
      const set = new Set<GuardIf>();
      for (const n of names) for (const g of guards.byKey.get(n) ?? []) set.add(g);
      candidates = [...set];
    }
    this.budget.spend(1 + candidates.length);
    const reassigns = new RegExp(`(?<![\\w$.])${escapeRe(name)}\\s*=(?!=)`);
    let first = Infinity;
    for (const g of candidates) {
      if (g.start >= first || !this.validates(g.cond, names)) continue;
      if (g.exits || reassigns.test(g.body)) first = g.start;
    }
    this.guardedFrom.set(key, first);
    return first;
  }

  /** The `if` statements directly in a block that can guard anything (a short condition, a body). */
  private guardsOf(block: SgNode): BlockGuards {
    let guards = this.blockGuards.get(block.id());
    if (guards) return guards;
    const children = block.children();
    this.budget.spend(1 + (children.length >> 4));
    guards = { items: [], byKey: new Map() };
    for (const sib of children) {
      if (this.kind(sib) === "try_statement" && this.family === "python") {
        // try: target.relative_to(ROOT)  except ValueError: abort(400) — the try body is the check.
        const tryBody = fld(sib, "body");
        const handlers = sib.children().filter((c) => c.kind() === "except_clause");
        if (!tryBody || handlers.length === 0 || this.size(tryBody) >= 400) continue;
        const t = tryBody.text();
        if (!VALIDATION.test(t)) continue;
        const body = handlers.map((h) => this.head(h, 300)).join("\n");
        const g: GuardIf = { start: this.span(sib).start, cond: tryBody, body, exits: handlers.every((h) => EXITS.test(this.head(h, 300))) };
        guards.items.push(g);
        for (const k of dottedKeys(t)) {
          const list = guards.byKey.get(k);
          if (list) list.push(g);
          else guards.byKey.set(k, [g]);
        }
        continue;
      }
      // assert target.is_relative_to(ROOT); ensure_within_root(target); validatePath(full): a check that
      // raises (or throws) when it fails guards what follows it
      const sk = this.kind(sib);
      if ((sk === "assert_statement" || (sk === "expression_statement" && STATEMENT_CHECK.test(this.head(sib, 120)))) && this.size(sib) < 400) {
        const t = sib.text();
        if (sk === "expression_statement" || VALIDATION.test(t)) {
          const g: GuardIf = { start: this.span(sib).start, cond: sib, body: "", exits: true };
          guards.items.push(g);
          for (const k of dottedKeys(t)) {
            const list = guards.byKey.get(k);
            if (list) list.push(g);
            else guards.byKey.set(k, [g]);
          }
        }
        continue;
      }
      if (this.kind(sib) !== "if_statement") continue;
      const cond = fld(sib, "condition");
      const cons = fld(sib, "consequence");
      // validates() is false for these: no condition, a long one, a typeof check.
      if (!cond || !cons || this.size(cond) >= 400) continue;
      const t = cond.text();
      if (/\btypeof\b/.test(t)) continue;
      const body = this.head(cons, 300);
      const g: GuardIf = { start: this.span(sib).start, cond, body, exits: EXITS.test(body) };
      guards.items.push(g);
      for (const k of dottedKeys(t)) {
        const list = guards.byKey.get(k);
        if (list) list.push(g);
        else guards.byKey.set(k, [g]);
      }
    }
    this.blockGuards.set(block.id(), guards);
    return guards;
  }

  private scopeInfo(scope: SgNode): ScopeInfo {
    const id = scope.id();
    let info = this.scopes.get(id);
    if (info) return info;
    const span = this.span(scope);
    info = { node: scope, span, defs: new Map(), params: new Map() };
    this.scopes.set(id, info);
    try {
      const index = this.scopeIndex();
      if (this.definitionsUnder(span, index.defSpans) <= MAX_DEFS_PER_SCOPE) {
        for (const d of index.defsByScope.get(id) ?? []) {
          for (const b of this.bindings(d)) {
            const list = info.defs.get(b.name);
            if (list) list.push(b);
            else info.defs.set(b.name, [b]);
          }
        }
      }
      if (id !== this.root.id()) for (const p of this.params(scope)) info.params.set(p.name, p);
    } catch (e) {
      if (e instanceof WorkLimitReached) throw e;
      if (process.env.TAINT_DEBUG) console.error(e); /* partial information is still information */
    }
    return info;
  }

  /** How many definitions lie within a span (the scope's and its nested functions'), by binary search. */
  private definitionsUnder(span: Span, defs: readonly Span[]): number {
    const firstFrom = (pos: number) => {
      let lo = 0;
      let hi = defs.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (defs[mid].start < pos) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    let lo = firstFrom(span.start);
    // Definitions that start where the scope does but end after it are around it.
    while (lo < defs.length && defs[lo].start === span.start && defs[lo].end > span.end) lo++;
    return Math.max(0, firstFrom(span.end) - lo);
  }

  // -------------------------------------------------------------------------------------------
  // bindings per family

  private bindings(d: SgNode): Binding[] {
    const k = this.kind(d);
    const out: Binding[] = [];
    const end = this.span(d).end;
    const f = (name: string) => fld(d, name);
    switch (this.family) {
      case "js": {
        if (k === "variable_declarator") {
          const value = f("value");
          this.jsPattern(f("name"), [], (name, path) => out.push({ name, node: d, op: "=", value: value ?? undefined, path, point: end }));
        } else if (k === "assignment_expression") {
          const value = f("right");
          this.jsPattern(f("left"), [], (name, path) => out.push({ name, node: d, op: "=", value: value ?? undefined, path, point: end }));
        } else if (k === "augmented_assignment_expression") {
          const left = f("left");
          if (left && this.kind(left) === "identifier") {
            const op = f("operator")?.text() ?? this.operatorOf(d, left, f("right"));
            out.push({ name: left.text(), node: d, op: op === "+=" ? "+=" : "=", value: (op === "+=" ? f("right") : null) ?? undefined, path: [], point: end });
          }
        } else if (k === "for_in_statement") {
          const right = f("right");
          const rs = right ? this.span(right).end : end;
          const isIn = d.children().some((c) => !c.isNamed() && c.text() === "in");
          this.jsPattern(f("left"), [], (name, path) =>
            out.push({ name, node: d, op: isIn ? "=" : "iter", value: isIn ? undefined : (right ?? undefined), path, point: rs }),
          );
        } else if (k === "function_declaration") {
          const nm = f("name");
          if (nm) out.push({ name: nm.text(), node: d, op: "fn", path: [], point: this.span(d).start });
        } else if (k === "call_expression") {
          const obj = fld(f("function"), "object");
          if (obj && this.kind(obj) === "identifier") out.push({ name: obj.text(), node: d, op: "mut", value: d, path: [], point: end });
        }
        break;
      }
      case "python": {
        if (k === "assignment" || k === "augmented_assignment") {
          const right = f("right");
          if (!right) break;
          const op = k === "augmented_assignment" ? (f("operator")?.text() ?? "+=") : "=";
          this.pyTargets(f("left"), (name, tupleIndex) =>
            out.push({ name, node: d, op: op === "+=" ? "+=" : "=", value: right, path: [], tupleIndex, point: end }),
          );
        } else if (k === "for_statement") {
          const right = f("right");
          const rs = right ? this.span(right).end : end;
          this.pyTargets(f("left"), (name) => out.push({ name, node: d, op: "iter", value: right ?? undefined, path: [], point: rs }));
        } else if (k === "as_pattern") {
          // with open(path) as fh: / async with httpx.AsyncClient() as client:
          const parts = this.named(d);
          const value = parts[0];
          const target = parts.find((c) => this.kind(c) === "as_pattern_target");
          const inner = target ? (this.named(target)[0] ?? null) : null;
          if (value && inner && this.kind(this.parentOf(d) ?? d) === "with_item") this.pyTargets(inner, (name) => out.push({ name, node: d, op: "=", value, path: [], point: end }));
        } else if (k === "named_expression") {
          const nm = f("name");
          if (nm) out.push({ name: nm.text(), node: d, op: "=", value: f("value") ?? undefined, path: [], point: end });
        } else if (k === "function_definition") {
          const nm = f("name");
          if (nm) out.push({ name: nm.text(), node: d, op: "fn", path: [], point: this.span(d).start });
        } else if (k === "call") {
          const obj = fld(f("function"), "object");
          if (obj && this.kind(obj) === "identifier") out.push({ name: obj.text(), node: d, op: "mut", value: d, path: [], point: end });
        }
        break;
      }
      case "go": {
        if (k === "short_var_declaration" || k === "assignment_statement") {
          const left = this.named(f("left"));
          const right = f("right");
          const op = k === "assignment_statement" ? (f("operator")?.text() ?? this.operatorOf(d, f("left"), right)) : ":=";
          const rights = this.named(right);
          left.forEach((l, i) => {
            if (this.kind(l) !== "identifier" || l.text() === "_") return;
            const value = rights.length === left.length ? rights[i] : rights[0];
            out.push({ name: l.text(), node: d, op: op === "+=" ? "+=" : "=", value, path: [], point: end });
          });
        } else if (k === "var_spec" || k === "const_spec") {
          const names = d.fieldChildren("name" as never) as unknown as SgNode[];
          const values = this.named(f("value"));
          names.forEach((nm, i) => {
            if (values.length === 0) out.push({ name: nm.text(), node: d, op: "=", value: undefined, path: [], point: end });
            else out.push({ name: nm.text(), node: d, op: "=", value: values.length === names.length ? values[i] : values[0], path: [], point: end });
          });
        } else if (k === "range_clause") {
          const right = f("right");
          const left = this.named(f("left"));
          const rs = right ? this.span(right).end : end;
          left.forEach((l, i) => {
            if (this.kind(l) !== "identifier" || l.text() === "_") return;
            // for i, v := range xs: the index is a number, the value an element.
            if (i === 0 && left.length > 1) out.push({ name: l.text(), node: d, op: "fn", path: [], point: rs });
            else out.push({ name: l.text(), node: d, op: "iter", value: right ?? undefined, path: [], point: rs });
          });
        } else if (k === "call_expression") {
          const fn = f("function");
          const callee = fn?.text() ?? "";
          if (GO_DECODER_CALL.test(callee)) {
            // json.Unmarshal(body, &reg): `reg` now holds what was decoded.
            for (const a of this.named(f("arguments"))) {
              const inner = this.kind(a) === "unary_expression" && this.head(a, 1) === "&" ? this.named(a)[0] : null;
              if (inner && this.kind(inner) === "identifier") out.push({ name: inner.text(), node: d, op: "decode", value: d, path: [], point: end });
            }
          }
          const obj = fld(fn, "operand");
          if (obj && this.kind(obj) === "identifier" && MUTATING_METHODS.has(fld(fn, "field")?.text() ?? "")) out.push({ name: obj.text(), node: d, op: "mut", value: d, path: [], point: end });
        }
        break;
      }
      case "java": {
        if (k === "variable_declarator") {
          const nm = f("name");
          if (nm) out.push({ name: nm.text(), node: d, op: "=", value: f("value") ?? undefined, path: [], point: end });
        } else if (k === "assignment_expression") {
          const left = f("left");
          const op = f("operator")?.text() ?? this.operatorOf(d, left, f("right"));
          if (left && this.kind(left) === "identifier") out.push({ name: left.text(), node: d, op: op === "+=" ? "+=" : "=", value: f("right") ?? undefined, path: [], point: end });
        } else if (k === "enhanced_for_statement") {
          const nm = f("name");
          const value = f("value");
          if (nm) out.push({ name: nm.text(), node: d, op: "iter", value: value ?? undefined, path: [], point: value ? this.span(value).end : end });
        } else if (k === "method_invocation") {
          const obj = f("object");
          const nm = f("name")?.text() ?? "";
          if (obj && this.kind(obj) === "identifier" && MUTATING_METHODS.has(nm)) out.push({ name: obj.text(), node: d, op: "mut", value: d, path: [], point: end });
        }
        break;
      }
    }
    // A definition's own right-hand side does not see it.
    for (const b of out) if (b.value && b.op !== "mut") b.exclude = this.span(b.value);
    return out;
  }

  /** Names bound by a JavaScript pattern, with the member path to each. */
  private jsPattern(p: SgNode | null, path: string[], add: (name: string, path: string[]) => void): void {
    if (!p) return;
    const k = this.kind(p);
    switch (k) {
      case "identifier":
      case "shorthand_property_identifier_pattern":
        add(p.text(), path);
        return;
      case "object_pattern":
        for (const c of this.named(p)) {
          const ck = this.kind(c);
          if (ck === "shorthand_property_identifier_pattern") add(c.text(), [...path, c.text()]);
          else if (ck === "pair_pattern") {
            const key = (fld(c, "key"))?.text().replace(/^["']|["']$/g, "") ?? "[]";
            this.jsPattern(fld(c, "value"), [...path, key], add);
          } else if (ck === "object_assignment_pattern") {
            const left = fld(c, "left");
            if (left) this.jsPattern(left, [...path, left.text()], (n) => add(n, [...path, left.text()]));
          } else if (ck === "rest_pattern") this.jsPattern(this.named(c)[0] ?? null, path, add);
        }
        return;
      case "array_pattern":
        for (const c of this.named(p)) this.jsPattern(this.kind(c) === "rest_pattern" ? (this.named(c)[0] ?? null) : c, [...path, "[]"], add);
        return;
      case "assignment_pattern":
        this.jsPattern(fld(p, "left"), path, add);
        return;
      default:
        return; // member targets (obj.x = ...) are not tracked
    }
  }

  private pyTargets(left: SgNode | null, add: (name: string, tupleIndex?: number) => void): void {
    if (!left) return;
    const k = this.kind(left);
    if (k === "identifier") add(left.text());
    else if (k === "pattern_list" || k === "tuple_pattern" || k === "list_pattern" || k === "expression_list") {
      this.named(left).forEach((c, i) => {
        if (this.kind(c) === "identifier") add(c.text(), i);
        else if (this.kind(c) === "list_splat_pattern") {
          const inner = this.named(c)[0];
          if (inner) add(inner.text(), i);
        }
      });
    }
  }

  // -------------------------------------------------------------------------------------------
  // parameters per family

  functionName(fn: SgNode): string {
    const nm = fld(fn, "name");
    if (nm) return nm.text();
    const parent = this.parentOf(fn);
    if (!parent) return "";
    const pk = this.kind(parent);
    if (pk === "variable_declarator") return (fld(parent, "name"))?.text() ?? "";
    if (pk === "assignment_expression") return (fld(parent, "left"))?.text() ?? "";
    if (pk === "pair") return (fld(parent, "key"))?.text() ?? "";
    // class fields holding arrow functions: remove = async (name) => { ... }
    if (pk === "public_field_definition" || pk === "field_definition") return (fld(parent, "name") ?? fld(parent, "property"))?.text() ?? "";
    // export const handler = middy(async (event) => ...) / exports.handler = wrap(...)
    if (pk === "arguments") {
      const call = this.parentOf(parent);
      const holder = (call ? this.parentOf(call) : null);
      if (holder && this.kind(holder) === "variable_declarator") return (fld(holder, "name"))?.text() ?? "";
      if (holder && this.kind(holder) === "assignment_expression") return (fld(holder, "left"))?.text() ?? "";
    }
    return "";
  }

  private params(fn: SgNode): Param[] {
    switch (this.family) {
      case "js":
        return this.jsParams(fn);
      case "python":
        return this.pyParams(fn);
      case "go":
        return this.goParams(fn);
      case "java":
        return this.javaParams(fn);
    }
  }

  /** A function passed to `addEventListener("message", fn)` or assigned to `onmessage`: its event carries another window's data. */
  private isMessageListener(fn: SgNode): boolean {
    const parent = this.parentOf(fn);
    if (!parent) return false;
    const pk = this.kind(parent);
    if (pk === "arguments") {
      const call = this.parentOf(parent);
      const first = this.named(parent)[0];
      const fn = fld(call, "function");
      // (the callee's end and a short first argument are all that is looked at: a chain or a callback is not read)
      const callee = fn ? this.tail(fn, 32) : "";
      if (!call || !first) return false;
      const arg = this.head(first, 40);
      // window.addEventListener("message", ...); archive readers: extract.on("entry", (header, stream) => ...)
      // socket.on("chat", (msg) => ...), ws.on("message", (data) => ...): what a connected client sends
      if (/(?:^|[.\s])(?:socket|ws|websocket|io)\.on$/i.test(callee) && /^["'`]/.test(arg)) return true;
      return (/addEventListener$/.test(callee) && /^["'`]message["'`]$/.test(arg)) || (/\.on$/.test(callee) && /^["'`]entry["'`]$/.test(arg));
    }
    if (pk === "assignment_expression") return /(?:^|\.)onmessage$/.test(fld(parent, "left")?.text() ?? "");
    return false;
  }

  /** A function in a GraphQL resolver map: `Query: { user: (parent, args) => ... }` (also `Mutation`, `Subscription`). */
  private isGraphqlResolver(fn: SgNode): boolean {
    let cur = this.parentOf(fn);
    // (a pair `user: (...) => ...`, or a method `user(parent, args) { ... }` in the object)
    if (cur && this.kind(cur) === "pair") cur = this.parentOf(cur);
    else if (this.kind(fn) !== "method_definition") return false;
    if (!cur || this.kind(cur) !== "object") return false;
    const holder = this.parentOf(cur);
    return !!holder && this.kind(holder) === "pair" && /^["']?(?:Query|Mutation|Subscription)["']?$/.test(fld(holder, "key")?.text() ?? "");
  }

  /** A tRPC procedure body: `publicProcedure.input(schema).query(({ input }) => ...)`. */
  private isTrpcProcedure(fn: SgNode): boolean {
    const args = this.parentOf(fn);
    if (!args || this.kind(args) !== "arguments") return false;
    const call = this.parentOf(args);
    const callee = call ? fld(call, "function") : null;
    return !!callee && /\.input\s*\([\s\S]*\.(?:query|mutation|subscription)$/.test(this.head(callee, 2000));
  }

  private jsParams(fn: SgNode): Param[] {
    const list = fld(fn, "parameters");
    const single = fld(fn, "parameter");
    const raw = list ? this.named(list) : single ? [single] : [];
    // Unwrap TypeScript's required/optional parameters and defaults to their pattern.
    const patterns = raw.map((p) => {
      const k = this.kind(p);
      if (k === "required_parameter" || k === "optional_parameter") return fld(p, "pattern") ?? p;
      if (k === "assignment_pattern") return fld(p, "left") ?? p;
      return p;
    });
    const names = patterns.map((p) => (this.kind(p) === "identifier" ? p.text() : ""));
    const fnName = this.functionName(fn);
    const lambdaName = /^(?:handler|lambdaHandler|lambda_handler)$|(?:^|\.)handler$/.test(fnName);
    const second = names[1] ?? "";
    const messageListener = this.isMessageListener(fn);
    const graphqlResolver = names.length >= 2 && this.isGraphqlResolver(fn);
    const trpcProcedure = patterns.length >= 1 && this.kind(patterns[0]) === "object_pattern" && this.isTrpcProcedure(fn);
    const nextRoute = /^(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)$/.test(fnName) && this.kind(fn) !== "method_definition";
    const out: Param[] = [];
    patterns.forEach((p, i) => {
      const k = this.kind(p);
      const decl = raw[i];
      const declText = this.head(decl, 200);
      const typeText = fld(decl, "type")?.text() ?? "";
      let base: Val;
      // NestJS: @Body() dto, @Query("q") q, @Param("id") id, @Headers() h; @Req() req.
      // (GraphQL resolvers' @Args("x") and WebSocket gateways' @MessageBody() too)
      if (/^@(?:Body|Query|Param|Headers|Cookies|UploadedFiles?|HostParam|Args|MessageBody)\b/.test(declText)) base = sourced(`@${declText.slice(1).split("(")[0]}() ${names[i] || "parameter"}`, true);
      else if (/^@(?:Req|Request)\b/.test(declText)) base = containerVal("request");
      // Next.js route handlers: export async function GET(request, { params })
      else if (nextRoute && i === 0) base = containerVal("request");
      else if (nextRoute && i === 1) base = sourced("the route's params", true);
      else if (/\bFormData\b/.test(typeText)) base = sourced(`${names[i] || "formData"} (form data)`, true);
      else if (i === 0 && messageListener) base = containerVal("event", SOURCE, { label: "data from another window, a socket client or an archive entry", remote: true });
      else if (
        i === 0 &&
        // (a destructured event names an event's members: `({ body, pathParameters }, context)`)
        ((k === "identifier" && /^(?:event|evt|_event)$/.test(p.text())) ||
          (k === "object_pattern" && /\b(?:body|queryStringParameters|pathParameters|multiValueQueryStringParameters|headers|Records|requestContext|rawPath|rawQueryString|detail)\b/.test(this.head(p, 300)))) &&
        (lambdaName || /^(?:context|ctx|_context|lambdaContext)$/.test(second) || /APIGateway|S3Event|SQSEvent|SNSEvent|EventBridge|DynamoDBStreamEvent|LambdaFunctionURLEvent/.test(typeText))
      )
        base = containerVal("event", SOURCE, { label: "the event payload", remote: true });
      else if (k === "identifier" && globalContainer("js", p.text()) === "request") base = containerVal("request");
      // (a `ctx` parameter is Koa's context in a file that looks like Koa code, not any tool's context object)
      else if (k === "identifier" && p.text() === "ctx" && this.koaLike()) base = containerVal("koa");
      // (req, res) by another name: the parameter before `res` of a handler is its request
      else if (i === 0 && (k === "object_pattern" || k === "identifier") && /^(?:res|reply|response|resp)$/.test(second)) base = containerVal("request");
      // Next.js pages: export default function Page({ params, searchParams }): the URL's
      else if (i === 0 && k === "object_pattern" && /\bsearchParams\b/.test(this.head(p, 200))) base = containerVal("url");
      // GraphQL resolvers: Query: { user: (parent, args) => ... }: the arguments are the client's
      else if (i === 1 && graphqlResolver) base = sourced("the GraphQL arguments", true);
      else base = unknown();
      if (k === "identifier") out.push({ name: p.text(), val: base, index: i });
      else
        this.jsPattern(p, [], (name, path) => {
          let v = base;
          for (const step of path) v = this.member(v, step, p);
          // tRPC: procedure.input(schema).query(({ input, ctx }) => ...): `input` is what the client sent
          if (i === 0 && trpcProcedure && path.length === 1 && path[0] === "input") v = sourced("the tRPC input", true);
          out.push({ name, val: v, index: i });
        });
    });
    return out;
  }

  private pyParams(fn: SgNode): Param[] {
    const list = fld(fn, "parameters");
    const items = this.named(list);
    const fnName = this.functionName(fn);
    // Route handlers: @app.route("/x/<name>"), @app.get("/items/{id}"), @router.post(...), @api_view.
    let decorated = false;
    let cliCommand = false;
    // Flask / Werkzeug converters: @app.route("/reports/<int:year>") hands the view a number (or a UUID)
    const converted = new Set<string>();
    const parent = this.parentOf(fn);
    if (parent && this.kind(parent) === "decorated_definition") {
      decorated = this.named(parent).some((c) => this.kind(c) === "decorator" && /\.(?:route|get|post|put|patch|delete|api_route|websocket)\s*\(|@api_view\b|@route\b/.test(c.text()));
      // click / Typer commands: @click.argument("expr"), @cli.command(): the parameters are the command line
      cliCommand = !decorated && this.named(parent).some((c) => this.kind(c) === "decorator" && /^@(?:click\.(?:argument|option|command)|\w+\.command)\s*\(/.test(c.text()));
      if (decorated) for (const c of this.named(parent)) if (this.kind(c) === "decorator") for (const m of c.text().matchAll(/<(?:int|float|uuid)(?:\([^)]*\))?:(\w+)>|\{(\w+):(?:int|float|uuid)\}/g)) converted.add(m[1] ?? m[2]);
    }
    // Django views: def detail(request, slug) / def get(self, request, pk) in a *View class: the
    // parameters after `request` are the URL's captures, when the function answers the request.
    const plain = items.map((p) => (this.kind(p) === "identifier" ? p.text() : (fld(p, "name")?.text() ?? "")));
    const at = plain[0] === "request" ? 0 : plain[0] === "self" && plain[1] === "request" && /View(?:Set)?$|APIView$|Resource$/.test(this.ownerOf(fn)) ? 1 : -1;
    const body = fld(fn, "body");
    const djangoView =
      at >= 0 &&
      (at === 1 || this.ownerOf(fn) === "") &&
      /\b(?:render|redirect|HttpResponse\w*|JsonResponse|Response|FileResponse|StreamingHttpResponse|get_object_or_404)\s*\(/.test(body ? this.head(body, 4000) : "");
    // GraphQL resolvers (Graphene `resolve_x(root, info, **args)`, Ariadne, Strawberry): the parameters after `info` are the client's arguments
    const infoAt = plain.indexOf("info");
    const graphql = infoAt >= 0 && infoAt <= 1 && (/^resolve_/.test(fnName) || (!!parent && this.kind(parent) === "decorated_definition" && this.named(parent).some((c) => this.kind(c) === "decorator" && /@(?:strawberry\.(?:field|mutation)|\w+\.field\s*\()/.test(c.text()))));
    const names: string[] = [];
    const out: Param[] = [];
    items.forEach((p) => {
      const k = this.kind(p);
      let name = "";
      let def: SgNode | null = null;
      let typeText = "";
      if (k === "identifier") name = p.text();
      else if (k === "typed_parameter") {
        name = this.named(p).find((c) => this.kind(c) === "identifier")?.text() ?? "";
        typeText = (fld(p, "type"))?.text() ?? "";
      } else if (k === "default_parameter" || k === "typed_default_parameter") {
        name = (fld(p, "name"))?.text() ?? "";
        def = fld(p, "value");
        typeText = (fld(p, "type"))?.text() ?? "";
      } else return;
      names.push(name);
      const i = names.length - 1;
      const marker = def && this.kind(def) === "call" ? ((fld(def, "function"))?.text() ?? "") : "";
      const markerName = marker.split(".").pop() ?? "";
      let val: Val;
      if (name === "self" || name === "cls") val = unknown();
      else if (converted.has(name)) val = safe("number");
      else if (/^(?:int|float|bool|complex|Decimal|UUID|uuid\.UUID|date|datetime|time|timedelta|conint|confloat|PositiveInt|NonNegativeInt)\b/.test(typeText)) val = safe("number");
      // Literal["a", "b"] or an Enum of this file: the framework accepts only the listed values.
      else if (/^(?:typing\.)?Literal\[/.test(typeText) || (/^[A-Z]\w*$/.test(typeText) && new RegExp(`\\bclass\\s+${typeText}\\s*\\((?:\\s*(?:str|int)\\s*,)?\\s*(?:enum\\.)?(?:Str|Int)?Enum\\b`).test(this.source()))) val = safe();
      // (Request, HttpRequest, WSGIRequest, func.HttpRequest)
      else if (name === "request" || name === "req" || /(?:\b|Http|WSGI|ASGI)Request\b/.test(typeText)) val = containerVal("request");
      else if (i === 0 && (name === "event" || /handler$/i.test(fnName)) && (/handler$/i.test(fnName) || /context/.test(list?.text() ?? ""))) val = containerVal("event", SOURCE, { label: "the event payload", remote: true });
      // (an UploadFile is a file object for paths: its `.filename` is the client's text)
      else if (/^UploadFile\b/.test(typeText) && this.opts.category === "path-traversal") val = { ...sourced(`parameter ${name}`, true), shape: "object" };
      // Query(..., pattern=r"^[a-z0-9-]+$"), Annotated[str, Path(regex=...)], constr(pattern=...): FastAPI rejects anything else
      else if ((FASTAPI_MARKERS.has(markerName) && /\b(?:regex|pattern)\s*=/.test(this.head(def!, 300))) || /\b(?:regex|pattern)\s*=/.test(typeText)) val = safe();
      else if (FASTAPI_MARKERS.has(markerName) || FASTAPI_MARKERS.has(typeText.split("[")[0])) val = sourced(`parameter ${name}`, true);
      else if (markerName === "Depends" || /Session|Depends|BackgroundTasks|Response|Connection|Engine/.test(typeText) || /^(?:db|session|conn|background_tasks|current_user|user|settings)$/.test(name)) val = unknown();
      else if (decorated) val = sourced(`route parameter ${name}`, true);
      else if (graphql && i > infoAt) val = sourced(`GraphQL argument ${name}`, true);
      else if (cliCommand && name !== "ctx") val = sourced(`command-line argument ${name}`, false);
      // (ids, pages and dates are usually `<int:...>` captures: numbers, not text; slugs and UUIDs `<slug:...>` / `<uuid:...>`)
      else if (djangoView && i > at && (!def || this.kind(def) === "none") && !/^(?:pk|id|\w+_id|\w+_pk|year|month|day|page|num|number|count|index|version|slug|\w+_slug|uuid|\w+_uuid)$/.test(name)) val = sourced(`URL parameter ${name}`, true);
      else val = unknown();
      out.push({ name, val, index: i });
    });
    return out;
  }

  private goParams(fn: SgNode): Param[] {
    const list = fld(fn, "parameters");
    const out: Param[] = [];
    for (const decl of this.named(list)) {
      if (this.kind(decl) !== "parameter_declaration" && this.kind(decl) !== "variadic_parameter_declaration") continue;
      const type = (fld(decl, "type"))?.text() ?? "";
      let val: Val = unknown();
      if (/^(?:u?int(?:8|16|32|64)?|float(?:32|64)|bool|byte|rune|time\.Duration|time\.Time|uuid\.UUID)$/.test(type)) val = safe("number");
      else if (/\*?\s*http\.Request\b/.test(type)) val = containerVal("goRequest");
      else if (/gin\.Context|echo\.Context|fiber\.Ctx|fasthttp\.RequestCtx|iris\.Context|buffalo\.Context/.test(type)) val = containerVal("goContext");
      for (const nm of decl.fieldChildren("name" as never) as unknown as SgNode[]) out.push({ name: nm.text(), val, index: out.length });
    }
    return out;
  }

  private javaParams(fn: SgNode): Param[] {
    const list = fld(fn, "parameters");
    const out: Param[] = [];
    const fnName = this.functionName(fn);
    const k = this.kind(fn);
    const items = list ? this.named(list) : [];
    // x -> ... lambdas: a bare identifier parameter
    if (k === "lambda_expression" && list && this.kind(list) === "identifier") return [{ name: list.text(), val: unknown(), index: 0 }];
    for (const p of items) {
      const pk = this.kind(p);
      if (pk === "identifier") {
        out.push({ name: p.text(), val: unknown(), index: out.length });
        continue;
      }
      if (pk !== "formal_parameter" && pk !== "spread_parameter") continue;
      const name = (fld(p, "name"))?.text() ?? this.named(p).filter((c) => this.kind(c) === "identifier").pop()?.text() ?? "";
      const type = (fld(p, "type"))?.text() ?? "";
      const annotations = this.named(p)
        .filter((c) => this.kind(c) === "modifiers")
        .flatMap((m) => this.named(m))
        .map((a) => ((fld(a, "name"))?.text() ?? "").split(".").pop() ?? "");
      let val: Val = unknown();
      if (/^(?:int|long|short|byte|double|float|boolean|char|Integer|Long|Short|Double|Float|Boolean|UUID|LocalDate|LocalDateTime|Instant)$/.test(type)) val = safe("number");
      else if (annotations.some((a) => JAVA_SOURCE_ANNOTATIONS.has(a))) val = sourced(`parameter ${name}`, true);
      else if (/\b(?:HttpServletRequest|ServletRequest|HttpRequest|WebRequest|ServerHttpRequest)\b/.test(type)) val = containerVal("javaRequest");
      else if (fnName === "main" && /String\s*\[\]|String\.\.\./.test(type)) val = sourced("args", false);
      out.push({ name, val, index: out.length });
    }
    return out;
  }
}

export type { Val, Container };
export { CLEAN, SAFE, UNKNOWN, SOURCE };
