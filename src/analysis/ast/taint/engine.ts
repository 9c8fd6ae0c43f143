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
 *
 * This file holds the engine's state, its public API (valueOf, objectLiteralOf, parentOf,
 * callSites, functionName), the node helpers and the memoised eval() every module calls. The
 * evaluator's parts are functions taking the engine, one module per concern:
 *   expressions.ts  the dispatch on a node's kind; operators, literals, strings, collections
 *   members.ts      `obj.name`, `obj[key]`, source containers' members
 *   calls.ts        calls: sanitisers, wrappers, sources, local functions
 *   scopes.ts       identifiers, definitions reaching a use, parameters' values, scope info
 *   bindings.ts     what each definition binds, per language family
 *   params.ts       what each parameter holds on entry, per language family and framework
 *   guards.ts       allow-list and validation checks that make a value safe
 *   fileIndex.ts    the one-traversal index of functions, definitions, returns and calls
 *   callSites.ts    the calls of a local function, and the class a method belongs to
 * Library and framework knowledge is data in knowledge/ (one file per framework family or
 * language, assembled by knowledge/index.ts); syntax.ts has each family's tree-sitter kinds.
 */
import type { SgNode } from "@ast-grep/napi";
import { FAMILY, type AstLanguage, type Family } from "../languages.js";
import { TaintBudget, WorkLimitReached } from "./budget.js";
import { callSites } from "./callSites.js";
import { evalNode } from "./expressions.js";
import { scopeNodeOf } from "./fileIndex.js";
import { COMMAND_ENV_READ, KOA_FILE } from "./knowledge/index.js";
import { functionName } from "./params.js";
import { scopeInfo } from "./scopes.js";
import { syntaxFor, type FamilySyntax } from "./syntax.js";
import type { BlockGuards, Binding, CallEntry, EvalOptions, FileIndex, Frame, Runners, ScopeInfo, Span } from "./types.js";
import { CLEAN, SAFE, SOURCE, UNKNOWN, clean, unknown, type Container, type Val } from "./value.js";

export { DEFAULT_MAX_TAINT_STEPS, TaintBudget } from "./budget.js";
export type { EvalOptions } from "./types.js";
export { fld } from "./nodes.js";
import { MAX_LABEL } from "./nodes.js";

export interface TaintEngineOptions {
  /** The budget to charge (shared across the units of a file); default: a new one of `maxSteps`. */
  budget?: TaintBudget;
  /** The work limit when no budget is given (default DEFAULT_MAX_TAINT_STEPS). */
  maxSteps?: number;
}

const MAX_DEPTH = 48;

export class TaintEngine {
  // State shared with the evaluator's modules (internal: not part of the engine's API).
  readonly syntax: FamilySyntax;
  readonly spans = new Map<number, Span>();
  readonly kinds = new Map<number, string>();
  readonly scopes = new Map<number, ScopeInfo>();
  readonly cache = new Map<string, Val>();
  /** Calls into local functions being evaluated, innermost last (their parameters bound to the arguments). */
  frames: Frame[] = [];
  frameSeq = 0;
  callSiteDepth = 0;
  localFns?: Map<string, SgNode | null>;
  readonly sites = new Map<number, SgNode[]>();
  readonly visiting = new Set<string>();
  depth = 0;
  /** Evaluations cut short (a cycle, the depth limit): results computed across one are not memoised. */
  cuts = 0;
  opts: EvalOptions = { category: "sql-injection", sanitizers: [] };
  fileIndex?: FileIndex;
  /** Definitions and returns found by index(), in document order, for scopeIndex. */
  readonly indexed: { defs: SgNode[]; returns: SgNode[] } = { defs: [], returns: [] };
  scopesIndexed = false;
  callsIndexed = false;
  /** Parents asked for so far (see parentOf). */
  readonly parents = new Map<number, SgNode | null>();
  parentTime = 0;
  parentsMapped = false;
  readonly outer = new Map<number, SgNode | null>();
  readonly bindingValues = new Map<Binding, Map<string, Val>>();
  readonly branchChildren = new Map<Binding, Span[]>();
  readonly returns = new Map<number, SgNode[]>();
  readonly derived = new Map<string, string[]>();
  readonly derivedIndexes = new Map<number, Map<string, string[]>>();
  readonly blockGuards = new Map<number, BlockGuards>();
  readonly guardedFrom = new Map<string, number>();
  readonly conditions = new Map<number, { text: string; keys: Set<string> }>();
  readonly validated = new Map<string, boolean>();
  readonly ifParts = new Map<number, { cond: SgNode | null; cons: SgNode | null }>();
  readonly receivers = new Map<string, boolean>();
  readonly callEntries = new Map<string, CallEntry[]>();
  declared?: Set<string>;
  /** Where a call's arguments start when the function is passed, not called (`add_task(fn, a)`: 1). */
  readonly siteOffsets = new Map<number, number>();
  /** Calls that run a function given as an argument, and `x.delay(...)` calls by callee text. */
  runners?: Runners;
  readonly runnerArgs = new Map<number, SgNode[]>();
  rootText?: string;
  rootStart = 0;
  methods?: boolean;
  koa?: boolean;
  readonly budget: TaintBudget;

  readonly family: Family;

  constructor(
    readonly language: AstLanguage,
    readonly root: SgNode,
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
      const info = scopeInfo(this, scopeNodeOf(this, n));
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

  kind(n: SgNode): string {
    const id = n.id();
    let k = this.kinds.get(id);
    if (k === undefined) {
      k = n.kind() as string;
      this.kinds.set(id, k);
    }
    return k;
  }

  span(n: SgNode): Span {
    const id = n.id();
    let s = this.spans.get(id);
    if (!s) {
      const r = n.range();
      s = { start: r.start.index, end: r.end.index };
      this.spans.set(id, s);
    }
    return s;
  }

  contains(outer: SgNode | Span, inner: SgNode | Span): boolean {
    const a = "start" in outer ? outer : this.span(outer);
    const b = "start" in inner ? inner : this.span(inner);
    return a.start <= b.start && b.end <= a.end;
  }

  named(n: SgNode | null | undefined): SgNode[] {
    if (!n) return [];
    return n.namedChildren().filter((c) => {
      const k = this.kind(c);
      return k !== "comment" && k !== "line_comment" && k !== "block_comment";
    });
  }

  label(n: SgNode): string {
    // Only the start is shown: read as much of a large node as that needs, not all of it.
    const size = this.size(n);
    for (let want = MAX_LABEL * 2; ; want *= 4) {
      const t = this.head(n, want).replace(/\s+/g, " ");
      if (t.length > MAX_LABEL) return `${t.slice(0, MAX_LABEL - 1)}…`;
      if (want >= size) return t;
    }
  }

  /** `compact(n.text())` without reading more of a large node than the result needs. */
  compactText(n: SgNode): string {
    const size = this.size(n);
    for (let want = 400; ; want *= 4) {
      const t = this.head(n, want).replace(/\s+/g, "");
      if (t.length >= 200 || want >= size) return t.slice(0, 200);
    }
  }

  /** The source of the root, and where it starts (node offsets are UTF-16 offsets in the parsed text). */
  source(): string {
    if (this.rootText === undefined) {
      this.rootText = this.root.text();
      this.rootStart = this.span(this.root).start;
    }
    return this.rootText;
  }

  /** A node's length in characters, without reading its text. */
  size(n: SgNode): number {
    const s = this.span(n);
    return s.end - s.start;
  }

  /** The first `max` characters of a node's text (`n.text().slice(0, max)`), without copying the rest. */
  head(n: SgNode, max: number): string {
    const s = this.span(n);
    const src = this.source();
    return src.slice(s.start - this.rootStart, Math.min(s.end, s.start + max) - this.rootStart);
  }

  /** The last `max` characters of a node's text. */
  tail(n: SgNode, max: number): string {
    const s = this.span(n);
    const src = this.source();
    return src.slice(Math.max(s.start, s.end - max) - this.rootStart, s.end - this.rootStart);
  }

  /** A node's whole text, charged to the budget when it is large (a chain or a callback read per evaluation). */
  text(n: SgNode): string {
    const size = this.size(n);
    if (size > 1024) this.budget.spend(size >> 10);
    return n.text();
  }

  // -------------------------------------------------------------------------------------------
  // evaluation

  eval(n: SgNode | null | undefined): Val {
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
      v = evalNode(this, n);
      // An environment variable that holds a command by convention (PAGER, EDITOR, CC) is meant to be run.
      if (
        v.level === SOURCE &&
        v.source &&
        !v.source.remote &&
        this.opts.category === "command-injection" &&
        this.size(n) <= 80 &&
        COMMAND_ENV_READ.test(this.text(n))
      )
        v = clean(this.text(n));
    } finally {
      this.depth--;
      this.visiting.delete(key);
    }
    this.cache.set(key, v);
    return v;
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

  mapParents(): void {
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

  frameId(): number {
    return this.frames.length ? this.frames[this.frames.length - 1].id : 0;
  }

  /** Whether the file reads like Koa (or Koa-style router) code: `koa` imported, or `ctx.body`/`ctx.request`/`ctx.query` used. */
  koaLike(): boolean {
    if (this.koa === undefined) this.koa = KOA_FILE.test(this.source());
    return this.koa;
  }

  /** Whether the file declares classes or methods at all (else no call on an instance can reach one). */
  hasMethods(): boolean {
    if (this.methods === undefined) this.methods = /\bclass\s+[A-Za-z_$]|\bfunc\s*\(/.test(this.source());
    return this.methods;
  }

  /** Calls of a function declared in this file (see callSites.ts). */
  callSites(fn: SgNode): SgNode[] {
    return callSites(this, fn);
  }

  /** The name a function is declared or assigned under ("" if none). */
  functionName(fn: SgNode): string {
    return functionName(this, fn);
  }
}

export type { Val, Container };
export { CLEAN, SAFE, UNKNOWN, SOURCE };
