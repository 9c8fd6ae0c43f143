/**
 * Identifiers and scopes: a name's value from the definitions reaching its use (straight-line
 * code replaces, branches add), its parameters (bound by a call, or from the callers), the
 * enclosing scopes, or a global; and each scope's definitions and parameters.
 */
import type { SgNode } from "@ast-grep/napi";
import { WorkLimitReached } from "./budget.js";
import { bindings } from "./bindings.js";
import { callSites, ownerOf } from "./callSites.js";
import { callParts } from "./calls.js";
import { definitionsUnder, outerScope, scopeIndex, scopeNodeOf } from "./fileIndex.js";
import { guarded } from "./guards.js";
import { member } from "./members.js";
import { params } from "./params.js";
import type { TaintEngine } from "./engine.js";
import { CONFIG_NAMES, globalContainer } from "./knowledge/index.js";
import { fld } from "./nodes.js";
import type { Binding, Param, ScopeInfo, Span } from "./types.js";
import { clean, concat, containerVal, derived, join, SAFE, safe, SOURCE, sourced, UNKNOWN, unknown, type Val } from "./value.js";

const MAX_DEFS_PER_SCOPE = 4000;

export function evalIdentifier(e: TaintEngine, n: SgNode): Val {
  const name = n.text();
  // Constants keep their name as text: it stands for a fixed base (`join(__dirname, x)`, `API_URL + path`).
  if (e.syntax.constantNames.has(name)) return clean(name);
  const useSpan = e.span(n);
  let scope: SgNode | null = scopeNodeOf(e, n);
  let innermost = true;
  while (scope) {
    const info = scopeInfo(e, scope);
    const all = info.defs.get(name) ?? [];
    e.budget.spend(1 + all.length);
    const defs = all.filter((d) => !innermost || (d.point <= useSpan.start && !(d.exclude && e.contains(d.exclude, useSpan))));
    if (defs.length > 0) {
      const v = innermost ? combine(e, defs, useSpan) : join(defs.map((d) => evalBinding(e, d)));
      return guarded(e, v, name, n, info);
    }
    const p = info.params.get(name);
    if (p) return guarded(e, paramValue(e, p, info), name, n, info);
    scope = outerScope(e, scope);
    innermost = false;
  }
  const c = globalContainer(e.family, name);
  if (c) return containerVal(c, c === "location" ? SOURCE : UNKNOWN, c === "location" ? { label: "location", remote: true } : undefined);
  if (/^[A-Z][A-Z0-9_]*$/.test(name) && name.length > 1) return clean(name); // a constant by convention
  // The application's configuration module (Django's settings, a config object imported from elsewhere): fixed values.
  if (CONFIG_NAMES.test(name)) return clean(name);
  return unknown();
}

/** A parameter's value: bound by the call being evaluated, else what the function's callers in this file pass. */
export function paramValue(e: TaintEngine, p: Param, info: ScopeInfo): Val {
  const top = e.frames[e.frames.length - 1];
  if (top && top.fn === info.node.id()) return top.params.get(p.name) ?? unknown();
  if (p.val.level !== UNKNOWN || p.val.container || e.callSiteDepth >= 2) return p.val;
  const sites = callSites(e, info.node);
  if (sites.length === 0) return p.val;
  const offset = e.family === "python" && info.params.has("self") ? 1 : e.family === "python" && info.params.has("cls") ? 1 : 0;
  const owner = ownerOf(e, info.node);
  const saved = e.frames;
  e.frames = [];
  e.callSiteDepth++;
  try {
    const values = sites.slice(0, 6).map((c) => {
      const { args, recv } = callParts(e, c, e.kind(c));
      // self.method(a) and storage.method(a) pass `a` to the parameter after `self`; Class.method(obj, a) passes obj to self.
      const shift = recv && (e.size(recv) !== owner.length || recv.text() !== owner) ? offset : 0;
      const a = args[p.index - shift + (e.siteOffsets.get(c.id()) ?? 0)];
      return a ? e.eval(a) : unknown();
    });
    const v = join(values);
    if (v.source) v.source = { ...v.source, label: v.source.label };
    return v;
  } finally {
    e.callSiteDepth--;
    e.frames = saved;
  }
}

/** Definitions reaching a use, in order: one in the same straight-line code replaces the earlier ones. */
export function combine(e: TaintEngine, defs: Binding[], use: Span): Val {
  e.budget.spend(defs.length);
  const sorted = [...defs].sort((a, b) => a.point - b.point);
  let live: Binding[] = [];
  for (const d of sorted) {
    if (dominates(e, d, use)) live = [d];
    else live.push(d);
  }
  return join(live.map((d) => evalBinding(e, d)));
}

/** Whether a definition runs whenever the use runs (no branch or loop around it that the use is outside of). */
export function dominates(e: TaintEngine, d: Binding, use: Span): boolean {
  // The branches around a definition do not depend on the use: found once per definition.
  let inside = e.branchChildren.get(d);
  if (!inside) {
    inside = [];
    let child = d.node;
    let cur = e.parentOf(d.node);
    for (let i = 0; cur && i < 40; i++) {
      const k = e.kind(cur);
      if (e.syntax.functionKinds.has(k)) break;
      if (e.syntax.branchKinds.has(k)) inside.push(e.span(child));
      child = cur;
      cur = e.parentOf(cur);
    }
    e.branchChildren.set(d, inside);
  }
  return inside.every((s) => e.contains(s, use));
}

/**
 * A definition's value, memoised per category and frame like eval(): `x += a` in a branch
 * reads every earlier definition of `x`, so without it N such lines took 2^N evaluations.
 * A value computed across a cut (a cycle, the depth limit) is not kept, as eval() does not
 * keep those either: computing it again may give more.
 */
export function evalBinding(e: TaintEngine, d: Binding): Val {
  const key = `${e.opts.category}|${e.frameId()}`;
  let memo = e.bindingValues.get(d);
  const hit = memo?.get(key);
  if (hit) return hit;
  e.budget.spend(1);
  const cuts = e.cuts;
  const v = computeBinding(e, d);
  if (e.cuts === cuts) {
    if (!memo) e.bindingValues.set(d, (memo = new Map()));
    memo.set(key, v);
  }
  return v;
}

export function computeBinding(e: TaintEngine, d: Binding): Val {
  switch (d.op) {
    case "fn":
      return safe("function");
    case "iter":
      return derived(applyPath(e, e.eval(d.value), d.path, d.node));
    case "+=":
      return concat([valueBefore(e, d), e.eval(d.value)]);
    case "decode": {
      // What a decoder or binder reads: its receiver chain (json.NewDecoder(r.Body), a gin context) and its other arguments.
      const call = d.value;
      if (!call) return unknown();
      const fn = fld(call, "function");
      const parts: Val[] = [];
      let recv = fld(fn, "operand");
      for (let i = 0; recv && i < 4; i++) {
        const rv = e.eval(recv);
        if (rv.container === "goContext" || rv.container === "goRequest") return sourced(e.label(call), true);
        parts.push(rv);
        if (e.kind(recv) !== "call_expression") break;
        for (const a of e.named(fld(recv, "arguments"))) parts.push(e.eval(a));
        recv = fld(fld(recv, "function"), "operand");
      }
      for (const a of e.named(fld(call, "arguments"))) if (e.head(a, 1) !== "&") parts.push(e.eval(a));
      const v = join(parts);
      return v.level === SOURCE ? derived(v) : v.level <= SAFE ? v : unknown();
    }
    case "mut": {
      const call = d.value;
      const args = call ? callParts(e, call, e.kind(call)).args : [];
      const before = valueBefore(e, d);
      const added = args.map((a) => e.eval(a));
      const v = concat([before, ...added]);
      return { ...v, shape: before.shape };
    }
    default: {
      if (!d.value) return unknown();
      if (d.tupleIndex !== undefined) {
        const vk = e.kind(d.value);
        if (vk === "expression_list" || vk === "tuple" || vk === "pattern_list" || vk === "list") {
          const items = e.named(d.value);
          if (items.length > 1) return applyPath(e, e.eval(items[d.tupleIndex] ?? null), d.path, d.node);
        }
        return derived(applyPath(e, e.eval(d.value), d.path, d.node));
      }
      return applyPath(e, e.eval(d.value), d.path, d.node);
    }
  }
}

export function applyPath(e: TaintEngine, v: Val, path: string[], at: SgNode): Val {
  let cur = v;
  for (const p of path) cur = member(e, cur, p, at);
  return cur;
}

/** The value a name had just before definition `d` (for `+=` and `x.push(v)`). */
export function valueBefore(e: TaintEngine, d: Binding): Val {
  const scope = scopeNodeOf(e, d.node);
  const info = scopeInfo(e, scope);
  const at = e.span(d.node).start;
  const all = info.defs.get(d.name) ?? [];
  e.budget.spend(all.length);
  const defs = all.filter((o) => o !== d && o.point <= at);
  if (defs.length > 0) return combine(e, defs, { start: at, end: at });
  const p = info.params.get(d.name);
  return p ? p.val : clean("");
}

export function scopeInfo(e: TaintEngine, scope: SgNode): ScopeInfo {
  const id = scope.id();
  let info = e.scopes.get(id);
  if (info) return info;
  const span = e.span(scope);
  info = { node: scope, span, defs: new Map(), params: new Map() };
  e.scopes.set(id, info);
  try {
    const index = scopeIndex(e);
    if (definitionsUnder(e, span, index.defSpans) <= MAX_DEFS_PER_SCOPE) {
      for (const d of index.defsByScope.get(id) ?? []) {
        for (const b of bindings(e, d)) {
          const list = info.defs.get(b.name);
          if (list) list.push(b);
          else info.defs.set(b.name, [b]);
        }
      }
    }
    if (id !== e.root.id()) for (const p of params(e, scope)) info.params.set(p.name, p);
  } catch (e) {
    if (e instanceof WorkLimitReached) throw e;
    if (process.env.TAINT_DEBUG) console.error(e); /* partial information is still information */
  }
  return info;
}
