/** The taint engine's internal data shapes: spans, bindings, parameters, frames, scopes, the file index, guards. */
import type { SgNode } from "@ast-grep/napi";
import type { Category } from "../../types.js";
import type { Val } from "./value.js";

export interface Span {
  start: number;
  end: number;
}

export type BindingOp = "=" | "+=" | "iter" | "fn" | "mut" | "decode";

export interface Binding {
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

export interface Param {
  name: string;
  val: Val;
  /** Position in the parameter list (for matching call arguments). */
  index: number;
}

export interface Frame {
  id: number;
  /** The function whose parameters are bound. */
  fn: number;
  params: Map<string, Val>;
}

export interface ScopeInfo {
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

/** The file's nodes the engine asks about, each kind found by one traversal. */
export interface FileIndex {
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

/** What receiverIs looks at in a receiver's text, worked out once per call site. */
export interface ReceiverInfo {
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

/** A call of a name, with what callSites checks read once (the callee when it can be a dotted name). */
export interface CallEntry {
  node: SgNode;
  callee: string | null;
  receiver: ReceiverInfo | null;
}

/** An `if` directly in a block that may guard what follows it (see guarded). */
export interface GuardIf {
  start: number;
  cond: SgNode;
  /** The start of its body, where an exit or a reassignment is looked for. */
  body: string;
  exits: boolean;
}

/** Python calls that run a function passed to them, and `f.delay(...)` calls by callee text (see deferredCalls). */
export interface Runners {
  later: Array<{ node: SgNode; at: number }>;
  delays: Map<string, Array<{ node: SgNode; at: number }>>;
}

export interface BlockGuards {
  items: GuardIf[];
  /** The items by the names their condition mentions (dottedKeys). */
  byKey: Map<string, GuardIf[]>;
}
