/**
 * Bounded CEL: the engine behind webhook conditions (condition.ts compiles them, for the operator
 * config's `condition:` and `registerConditional({ condition: "…" })`). A condition runs on every event, over data
 * that pull requests shape (titles, paths, code), so whatever the operator writes, one
 * evaluation stays cheap:
 *
 * - `matches()` runs on RE2 (re2js, a port of Go's regexp): time linear in the input whatever
 *   the pattern, and the syntax CEL specifies. A literal pattern RE2 refuses (backreferences,
 *   lookaround) is refused at load.
 * - At load: at most 1,000 syntax nodes, list and map literals of at most 200 entries, and
 *   comprehensions (`all`, `exists`, `exists_one`, `map`, `filter`) and `cel.bind` nested at
 *   most 2 deep (each level multiplies the work by a list's length).
 * - At evaluation: the data is at most 256 KB of JSON with lists of at most 1,000 items, and the
 *   run has a time budget (100 ms): past it, V8 stops it (node:vm's timeout, which interrupts
 *   any JavaScript, regexes included); stopped twice in a row, the condition counts as false.
 *   The caller is told (a `report` callback) so it can log it, without the data.
 */
import vm from "node:vm";
import { Environment } from "@marcbachmann/cel-js";
import { RE2JS } from "re2js";

export const CONDITION_LIMITS = Object.freeze({
  maxAstNodes: 1_000,
  maxDepth: 32,
  maxListElements: 200,
  maxMapEntries: 200,
  maxCallArguments: 16,
  maxSourceLength: 10_000,
  /** Comprehensions and cel.bind inside one another. */
  maxNesting: 2,
  maxPatternLength: 1_000,
  /** JSON characters of the data one evaluation sees. */
  maxDataChars: 256 * 1024,
  /** Items of any list in that data. */
  maxDataListLength: 1_000,
  timeBudgetMs: 100,
});

/** The expression cannot be used: syntax, types, a bound, an invalid pattern. */
export class CelConditionError extends Error {
  override readonly name = "CelConditionError";
}

/** Why an evaluation was not run to the end (it then counts as false). Never holds event data. */
export interface ConditionSkip {
  reason: "time_budget" | "data_limit";
  message: string;
}
export type ConditionSkipReporter = (skip: ConditionSkip) => void;

/** True only when the expression evaluates to true, within the bounds. */
export type CelPredicate = (context: Record<string, unknown>, report?: ConditionSkipReporter) => boolean;

export interface CelCompileOptions {
  /** Default CONDITION_LIMITS.timeBudgetMs. */
  timeBudgetMs?: number;
}

// ---------------------------------------------------------------------------------------------
// The environment: cel-js with matches() on RE2

/** What `matches` calls are renamed to (cel-js does not let a built-in overload be replaced). */
const RE2_MATCHES = "re2_matches";
const LOOP_MACROS = new Set(["all", "exists", "exists_one", "map", "filter"]);

const patternCache = new Map<string, RE2JS>();

function re2(pattern: string): RE2JS {
  let re = patternCache.get(pattern);
  if (re) return re;
  if (pattern.length > CONDITION_LIMITS.maxPatternLength) {
    throw new Error(`matches(): the pattern is longer than ${CONDITION_LIMITS.maxPatternLength} characters`);
  }
  re = RE2JS.compile(pattern);
  // Patterns may come from data: keep the cache small rather than clever.
  if (patternCache.size >= 256) patternCache.clear();
  patternCache.set(pattern, re);
  return re;
}

let environment: Environment | undefined;
/** False when this cel-js no longer lets matches() be routed to RE2 (then matches() is refused). */
let re2Routed = true;

function cel(): Environment {
  if (environment) return environment;
  environment = new Environment({
    unlistedVariablesAreDyn: true,
    homogeneousAggregateLiterals: false,
    limits: {
      maxAstNodes: CONDITION_LIMITS.maxAstNodes,
      maxDepth: CONDITION_LIMITS.maxDepth,
      maxListElements: CONDITION_LIMITS.maxListElements,
      maxMapEntries: CONDITION_LIMITS.maxMapEntries,
      maxCallArguments: CONDITION_LIMITS.maxCallArguments,
    },
  });
  environment.registerFunction(`string.${RE2_MATCHES}(string): bool`, (text: string, pattern: string) => re2(pattern).test(text));
  // The rename below relies on cel-js's syntax tree: prove it works once, never run a
  // backtracking regex if it stops working. "(?i)" is RE2 syntax that V8's RegExp refuses.
  try {
    const probe = environment.parse('"A".matches("(?i)a")');
    rewrite(probe.ast, 0);
    re2Routed = probe.check().valid && probe({}) === true;
  } catch {
    re2Routed = false;
  }
  return environment;
}

function celProblem(err: unknown): string {
  const e = err as { summary?: string; message?: string; range?: { start: number } };
  const summary = e.summary ?? String(e.message ?? err).split("\n")[0];
  return e.range ? `${summary} (at character ${e.range.start + 1})` : summary;
}

// ---------------------------------------------------------------------------------------------
// Load-time checks on the syntax tree

interface CelNode {
  op: string;
  args: unknown;
  start?: number;
}

function isNode(value: unknown): value is CelNode {
  return value !== null && typeof value === "object" && typeof (value as CelNode).op === "string" && "args" in (value as object);
}

function at(node: CelNode): string {
  return typeof node.start === "number" ? ` (at character ${node.start + 1})` : "";
}

/**
 * Walks the tree (the shapes cel-js documents in ASTNodeArgsMap): renames `x.matches(p)` to the
 * RE2 function, checks literal patterns, and counts how deep loops nest (a loop's receiver is
 * evaluated once: only its arguments are inside it). Returns how many matches() it renamed.
 */
function rewrite(node: unknown, nesting: number): number {
  if (Array.isArray(node)) {
    let renamed = 0;
    for (const item of node) renamed += rewrite(item, nesting);
    return renamed;
  }
  if (!isNode(node) || node.op === "value" || node.op === "id") return 0;
  const args = node.args;
  if (node.op === "rcall" && Array.isArray(args) && typeof args[0] === "string" && Array.isArray(args[2])) {
    const [name, receiver, fnArgs] = args as [string, unknown, unknown[]];
    const isBind = name === "bind" && isNode(receiver) && receiver.op === "id" && receiver.args === "cel";
    const loops = (LOOP_MACROS.has(name) && (fnArgs.length === 2 || fnArgs.length === 3)) || (isBind && fnArgs.length === 3);
    if (loops && nesting + 1 > CONDITION_LIMITS.maxNesting) {
      throw new CelConditionError(
        `comprehensions (all, exists, exists_one, map, filter) and cel.bind nest at most ${CONDITION_LIMITS.maxNesting} deep; ${name}() here is ${nesting + 1} deep${at(node)}`,
      );
    }
    let renamed = 0;
    if (name === "matches" && fnArgs.length === 1) {
      checkLiteralPattern(fnArgs[0]);
      (args as unknown[])[0] = RE2_MATCHES;
      renamed = 1;
    }
    return renamed + rewrite(receiver, nesting) + rewrite(fnArgs, loops ? nesting + 1 : nesting);
  }
  return rewrite(Array.isArray(args) ? args : [args], nesting);
}

function checkLiteralPattern(arg: unknown): void {
  if (!isNode(arg) || arg.op !== "value" || typeof arg.args !== "string") return; // computed: checked when it runs
  const pattern = arg.args;
  if (pattern.length > CONDITION_LIMITS.maxPatternLength) {
    throw new CelConditionError(`matches(): the pattern is longer than ${CONDITION_LIMITS.maxPatternLength} characters${at(arg)}`);
  }
  try {
    RE2JS.compile(pattern);
  } catch (err) {
    const detail = String((err as Error).message ?? err).replace(/^error parsing regexp: /, "");
    throw new CelConditionError(
      `matches(): ${JSON.stringify(pattern)} is not an RE2 pattern (${detail}); RE2 has no backreferences or lookaround${at(arg)}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// The time budget

// A script in its own context that calls back into this realm: node:vm's timeout stops
// whatever JavaScript runs under it, the callback included.
const budgetContext = vm.createContext(Object.create(null) as object, {
  name: "cel-condition",
  codeGeneration: { strings: false, wasm: false },
});
const budgetScript = new vm.Script("run()", { filename: "cel-condition-budget.js" });
let budgetTask: (() => unknown) | null = null;
(budgetContext as Record<string, unknown>).run = () => budgetTask?.();

function withinBudget(task: () => unknown, ms: number): unknown {
  const previous = budgetTask;
  budgetTask = task;
  try {
    return budgetScript.runInContext(budgetContext, { timeout: ms });
  } finally {
    budgetTask = previous;
  }
}

function isTimeout(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "ERR_SCRIPT_EXECUTION_TIMEOUT";
}

/** The longest list anywhere in JSON data. */
function longestList(value: unknown, depth = 0): number {
  if (value === null || typeof value !== "object" || depth > 100) return 0;
  let longest = 0;
  if (Array.isArray(value)) {
    longest = value.length;
    for (const item of value) longest = Math.max(longest, longestList(item, depth + 1));
  } else {
    for (const item of Object.values(value)) longest = Math.max(longest, longestList(item, depth + 1));
  }
  return longest;
}

// ---------------------------------------------------------------------------------------------
// Compiling

/**
 * Compiles a CEL condition; throws CelConditionError (syntax or type error, a result that is
 * not a bool, a bound passed, a pattern RE2 refuses). The predicate returns false when the
 * evaluation fails, gives anything but true, or passes a bound (then `report` is called).
 */
export function compileCel(source: string, options: CelCompileOptions = {}): CelPredicate {
  if (typeof source !== "string" || source.trim() === "") throw new CelConditionError("the CEL expression is empty");
  if (source.length > CONDITION_LIMITS.maxSourceLength) {
    throw new CelConditionError(`the CEL expression is longer than ${CONDITION_LIMITS.maxSourceLength} characters`);
  }
  const budgetMs = Math.max(1, Math.ceil(options.timeBudgetMs ?? CONDITION_LIMITS.timeBudgetMs));
  const env = cel();

  // Messages come from the expression as written (before matches() is renamed).
  let written: ReturnType<Environment["parse"]>;
  try {
    written = env.parse(source);
  } catch (err) {
    throw new CelConditionError(`invalid CEL expression: ${celProblem(err)}`);
  }
  const checked = written.check();
  if (!checked.valid) throw new CelConditionError(`invalid CEL expression: ${celProblem(checked.error)}`);
  if (checked.type !== undefined && checked.type !== "bool" && checked.type !== "dyn") {
    throw new CelConditionError(`the CEL expression must give a bool, it gives ${checked.type}`);
  }

  const program = env.parse(source);
  if (rewrite(program.ast, 0) > 0 && !re2Routed) {
    throw new CelConditionError("matches() is unavailable: this version of @marcbachmann/cel-js cannot run it on RE2");
  }
  const rechecked = program.check();
  if (!rechecked.valid) throw new CelConditionError(`invalid CEL expression: ${celProblem(rechecked.error)}`);

  return (context, report) => {
    let json: string | undefined;
    try {
      json = JSON.stringify(context);
    } catch {
      return false;
    }
    if (json === undefined) return false;
    if (json.length > CONDITION_LIMITS.maxDataChars) {
      report?.({
        reason: "data_limit",
        message: `was not evaluated: the event data is over ${CONDITION_LIMITS.maxDataChars / 1024} KB of JSON`,
      });
      return false;
    }
    // Plain objects of this realm: cel-js compares constructors, and bus data may be a
    // structured clone from another realm (a VM sandbox).
    const data = JSON.parse(json) as Record<string, unknown>;
    if (longestList(data) > CONDITION_LIMITS.maxDataListLength) {
      report?.({
        reason: "data_limit",
        message: `was not evaluated: the event data has a list of more than ${CONDITION_LIMITS.maxDataListLength} items`,
      });
      return false;
    }
    // A pause (garbage collection, a busy machine) can eat a budget: a second run tells that
    // apart from a condition that really is too slow, which then costs two budgets an event.
    for (let attempt = 1; ; attempt++) {
      try {
        return withinBudget(() => program(data), budgetMs) === true;
      } catch (err) {
        if (!isTimeout(err)) return false;
        if (attempt >= 2) {
          report?.({ reason: "time_budget", message: `was stopped after its ${budgetMs} ms time budget, twice in a row` });
          return false;
        }
      }
    }
  };
}
