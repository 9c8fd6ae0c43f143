/**
 * The file index: the file's functions, definitions, returns and calls, each found by one
 * traversal, and the innermost function (scope) around a node found from it by position.
 */
import type { SgNode } from "@ast-grep/napi";
import type { TaintEngine } from "./engine.js";
import { fld } from "./nodes.js";
import type { FileIndex, Span } from "./types.js";

/**
 * The nearest function around `n` (or the root), found from the function index by position:
 * walking up parent() costs the depth of the tree for every step.
 */
export function scopeNodeOf(e: TaintEngine, n: SgNode): SgNode {
  const idx = index(e);
  const s = e.span(n);
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
  return f >= 0 ? idx.functions[f] : e.root;
}

export function outerScope(e: TaintEngine, scope: SgNode): SgNode | null {
  const id = scope.id();
  if (id === e.root.id()) return null;
  let o = e.outer.get(id);
  if (o === undefined) {
    o = scopeNodeOf(e, scope);
    e.outer.set(id, o);
  }
  return o;
}

/** The file's functions and how they nest (see FileIndex), found once. */
export function index(e: TaintEngine): FileIndex {
  if (e.fileIndex) return e.fileIndex;
  const idx: FileIndex = {
    functions: [],
    defsByScope: new Map(),
    defSpans: [],
    returnsByFn: new Map(),
    callsByName: new Map(),
    fnSpans: [],
    fnParent: [],
    segStart: [],
    segFn: [],
  };
  e.fileIndex = idx;
  try {
    // Functions, definitions and returns in one traversal (scopeIndex files the latter two).
    for (const n of e.root.findAll(e.syntax.indexRule)) {
      const k = e.kind(n);
      if (e.syntax.functionKinds.has(k)) idx.functions.push(n);
      if (k === "return_statement") e.indexed.returns.push(n);
      else if (e.syntax.defKinds.has(k)) e.indexed.defs.push(n);
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
    const span = e.span(f);
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
export function scopeIndex(e: TaintEngine): FileIndex {
  const idx = index(e);
  if (e.scopesIndexed) return idx;
  e.scopesIndexed = true;
  try {
    const { defs, returns: rets } = e.indexed;
    // One sweep in document order gives each definition and return the innermost function
    // around it (what scopeInfo and returnValues used to find by searching each function).
    type Item = { node: SgNode; span: Span; role: 0 | 1 | 2 }; // a function, a definition, a return
    const fnIds = new Set(idx.functions.map((f) => f.id()));
    const items: Item[] = idx.functions.map((f, i) => ({ node: f, span: idx.fnSpans[i], role: 0 as const }));
    const declarations = new Set<number>();
    for (const d of defs) {
      idx.defSpans.push(e.span(d));
      // A function declaration is a definition too: it binds its name in the enclosing scope.
      if (fnIds.has(d.id())) declarations.add(d.id());
      else items.push({ node: d, span: e.span(d), role: 1 });
    }
    for (const r of rets) items.push({ node: r, span: e.span(r), role: 2 });
    items.sort((a, b) => a.span.start - b.span.start || b.span.end - a.span.end || a.role - b.role);
    const push = (map: Map<number, SgNode[]>, key: number, node: SgNode) => {
      const list = map.get(key);
      if (list) list.push(node);
      else map.set(key, [node]);
    };
    const open: Item[] = [];
    const rootId = e.root.id();
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
export function callIndex(e: TaintEngine): FileIndex {
  const idx = index(e);
  if (e.callsIndexed) return idx;
  e.callsIndexed = true;
  try {
    const callKind = e.family === "java" ? "method_invocation" : e.family === "python" ? "call" : "call_expression";
    e.root.findAll({ rule: { kind: callKind } } as never).forEach((c, at) => {
      const name = calleeName(e, c);
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
export function calleeName(e: TaintEngine, c: SgNode): string {
  if (e.family === "java") return fld(c, "name")?.text() ?? "";
  let f = fld(c, "function");
  for (let i = 0; f && i < 3; i++) {
    switch (e.kind(f)) {
      case "identifier":
        return f.text();
      case "member_expression":
        return fld(f, "property")?.text() ?? "";
      case "attribute":
        return fld(f, "attribute")?.text() ?? "";
      case "selector_expression":
        return fld(f, "field")?.text() ?? "";
      case "await_expression":
        f = e.named(f)[0] ?? null;
        continue;
      default:
        // Other callees can end in a name only when short (a dotted name is a member expression above).
        return e.size(f) <= 1000 ? (/[A-Za-z_$][\w$]*$/.exec(f.text())?.[0] ?? "") : "";
    }
  }
  return "";
}

/** How many definitions lie within a span (the scope's and its nested functions'), by binary search. */
export function definitionsUnder(e: TaintEngine, span: Span, defs: readonly Span[]): number {
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
