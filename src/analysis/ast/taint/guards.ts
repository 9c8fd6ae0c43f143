/**
 * Guards: an allow-list or validation check before a use (an `if` that exits, an assert, a check
 * call, a try/except) or around it makes the value safe; checking a name derived from it counts.
 */
import type { SgNode } from "@ast-grep/napi";
import { dottedKeys } from "../textScan.js";
import type { TaintEngine } from "./engine.js";
import { EXITS, NEGATED, PATH_PART_MEMBERS, STATEMENT_CHECK, URL_PARTS, VALIDATION } from "./knowledge/index.js";
import { DOTTED_NAME, escapeRe, fld } from "./nodes.js";
import type { Binding, BlockGuards, GuardIf, ScopeInfo } from "./types.js";
import { safe, UNKNOWN, type Val } from "./value.js";

/** Whether a condition's text tests the value of `name` itself (not a property of it, like `req.method`). */
export function testsValue(e: TaintEngine, text: string, name: string): boolean {
  const re = new RegExp(`(?<![\\w$.])${escapeRe(name)}(?![\\w$])`, "g");
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (/\blen\(\s*$/.test(text.slice(Math.max(0, m.index - 6), m.index))) continue; // len(x) checks a size
    const rest = text.slice(m.index + name.length);
    const prop = /^\s*(?:\?\.|\.)\s*([A-Za-z_$][\w$]*)\s*(\()?/.exec(rest);
    // (a path's parents and parts: `ROOT not in p.parents`, `".." in p.parts`; an archive member's
    // name: `".." in member.filename` checks the member `zf.extract(member)` writes)
    if (!prop || prop[2] || URL_PARTS.has(prop[1]) || PATH_PART_MEMBERS.test(prop[1])) return true;
  }
  return false;
}

export function validates(e: TaintEngine, cond: SgNode | null, names: readonly string[]): boolean {
  if (!cond || e.size(cond) >= 400) return false;
  let c = e.conditions.get(cond.id());
  if (!c) {
    const text = cond.text();
    c = { text, keys: dottedKeys(text) };
    e.conditions.set(cond.id(), c);
  }
  const t = c.text;
  if (/\btypeof\b/.test(t)) return false;
  // Every pattern below needs a name in the condition, as a dotted name: skip the regexes when none is.
  if (names.every((n) => DOTTED_NAME.test(n) && !c.keys.has(n))) return false;
  const key = `${cond.id()}|${names.join("\u0000")}`;
  const known = e.validated.get(key);
  if (known !== undefined) return known;
  e.budget.spend(names.length);
  const v = validatesText(e, t, names);
  e.validated.set(key, v);
  return v;
}

export function validatesText(e: TaintEngine, t: string, names: readonly string[]): boolean {
  // x === "admin", "asc" == x: the value itself compared with a literal.
  const lit = `(?:["'\`][^"'\`]+["'\`]|-?\\d+)`;
  for (const n of names) {
    const v = `${escapeRe(n)}(?:\\.(?:hostname|host|origin|protocol|scheme|netloc|port))?`;
    if (new RegExp(`(?<![\\w$.])(?<!\\w\\s*\\()${v}\\s*(?:===?|!==?)\\s*${lit}|${lit}\\s*(?:===?|!==?)\\s*${v}(?![\\w$.(\\[])`).test(t))
      return true;
    // The URL's origin or host compared with the expected one (`target.origin !== APP_ORIGIN`,
    // `urlparse(next).netloc != request.host`, `u.Host != r.Host`): an origin check, whatever it is compared with.
    const part = `(?:(?<![\\w$.])${escapeRe(n)}|\\(\\s*${escapeRe(n)}\\s*\\))\\s*\\??\\.\\s*(?:origin|host|hostname|netloc|Host|Hostname\\(\\)|getHost\\(\\))`;
    if (
      new RegExp(
        `${part}\\s*(?:===?|!==?)|(?:===?|!==?)\\s*${part}(?![\\w$.(\\[])|${part}\\s*\\.\\s*(?:equals|equalsIgnoreCase)\\s*\\(`,
      ).test(t)
    )
      return true;
  }
  return VALIDATION.test(t) && names.some((n) => testsValue(e, t, n));
}

/** Variables defined from `name` in the same scope (`parsed = urlparse(url)`): checking them checks it. */
export function derivedNames(e: TaintEngine, name: string, info: ScopeInfo): string[] {
  const key = `${info.node.id()}|${name}`;
  const hit = e.derived.get(key);
  if (hit) return hit;
  const re = new RegExp(`(?<![\\w$.])${escapeRe(name)}(?![\\w$])`);
  const out: string[] = [];
  const consider = (n: string, defs: Binding[]) => {
    if (n === name || out.length >= 8) return;
    e.budget.spend(1);
    if (defs.some((d) => d.op === "=" && d.value && re.test(e.head(d.value, 300)))) out.push(n);
  };
  // A value that mentions a dotted name has it among its dottedKeys: only those are tested.
  if (DOTTED_NAME.test(name)) for (const n of derivedIndex(e, info).get(name) ?? []) consider(n, info.defs.get(n)!);
  else for (const [n, defs] of info.defs) consider(n, defs);
  e.derived.set(key, out);
  return out;
}

/** The names a scope defines, by the dotted names their values mention, in definition order. */
export function derivedIndex(e: TaintEngine, info: ScopeInfo): Map<string, string[]> {
  let index = e.derivedIndexes.get(info.node.id());
  if (index) return index;
  e.budget.spend(info.defs.size);
  index = new Map();
  for (const [n, defs] of info.defs) {
    const keys = new Set<string>();
    for (const d of defs) if (d.op === "=" && d.value) dottedKeys(e.head(d.value, 300), keys);
    for (const k of keys) {
      const list = index.get(k);
      if (list) list.push(n);
      else index.set(k, [n]);
    }
  }
  e.derivedIndexes.set(info.node.id(), index);
  return index;
}

/** An allow-list check guarding the use makes the value safe. */
export function guarded(e: TaintEngine, v: Val, name: string, use: SgNode, info: ScopeInfo): Val {
  if (v.level < UNKNOWN || v.container) return v;
  const names = [name, ...derivedNames(e, name, info)];
  // Any check found makes the value safe, whichever is found first.
  let child = use;
  let cur = e.parentOf(use);
  for (let i = 0; cur && i < 30; i++) {
    const k = e.kind(cur);
    if (k === "if_statement") {
      // (an `if` around many uses is asked about by each: its parts are read once)
      let parts = e.ifParts.get(cur.id());
      if (!parts) {
        parts = { cond: fld(cur, "condition"), cons: fld(cur, "consequence") };
        e.ifParts.set(cur.id(), parts);
      }
      const { cond, cons } = parts;
      if (cond && validates(e, cond, names)) {
        const negated = NEGATED.test(cond.text());
        if (cons && e.contains(cons, use) && !negated) return { ...safe(), text: v.text };
        if (cons && !e.contains(cons, use) && !e.contains(cond, use) && negated) return { ...safe(), text: v.text };
      }
    }
    if ((e.syntax.blockKinds.has(k) || k === "block") && firstGuard(e, cur, name, names, info) < e.span(child).start)
      return { ...safe(), text: v.text };
    if (cur.id() === info.node.id()) break;
    child = cur;
    cur = e.parentOf(cur);
  }
  return v;
}

/**
 * Where the first `if` of a block that checks `names` and then leaves (return, raise, abort) or
 * replaces the value (`x = "/"`) starts; Infinity if none. Kept per block and name, so a block
 * of N statements is not walked again for every use in it.
 */
export function firstGuard(e: TaintEngine, block: SgNode, name: string, names: readonly string[], info: ScopeInfo): number {
  const key = `${block.id()}|${info.node.id()}|${name}`;
  const hit = e.guardedFrom.get(key);
  if (hit !== undefined) return hit;
  const guards = guardsOf(e, block);
  let candidates = guards.items;
  // A condition that tests a dotted name mentions it (validates' patterns all need it): only those are checked.
  if (names.every((n) => DOTTED_NAME.test(n))) {
    const set = new Set<GuardIf>();
    for (const n of names) for (const g of guards.byKey.get(n) ?? []) set.add(g);
    candidates = [...set];
  }
  e.budget.spend(1 + candidates.length);
  const reassigns = new RegExp(`(?<![\\w$.])${escapeRe(name)}\\s*=(?!=)`);
  let first = Infinity;
  for (const g of candidates) {
    if (g.start >= first || !validates(e, g.cond, names)) continue;
    if (g.exits || reassigns.test(g.body)) first = g.start;
  }
  e.guardedFrom.set(key, first);
  return first;
}

/** The `if` statements directly in a block that can guard anything (a short condition, a body). */
export function guardsOf(e: TaintEngine, block: SgNode): BlockGuards {
  let guards = e.blockGuards.get(block.id());
  if (guards) return guards;
  const children = block.children();
  e.budget.spend(1 + (children.length >> 4));
  guards = { items: [], byKey: new Map() };
  for (const sib of children) {
    if (e.kind(sib) === "try_statement" && e.family === "python") {
      // try: target.relative_to(ROOT)  except ValueError: abort(400) — the try body is the check.
      const tryBody = fld(sib, "body");
      const handlers = sib.children().filter((c) => c.kind() === "except_clause");
      if (!tryBody || handlers.length === 0 || e.size(tryBody) >= 400) continue;
      const t = tryBody.text();
      if (!VALIDATION.test(t)) continue;
      const body = handlers.map((h) => e.head(h, 300)).join("\n");
      const g: GuardIf = { start: e.span(sib).start, cond: tryBody, body, exits: handlers.every((h) => EXITS.test(e.head(h, 300))) };
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
    const sk = e.kind(sib);
    if ((sk === "assert_statement" || (sk === "expression_statement" && STATEMENT_CHECK.test(e.head(sib, 120)))) && e.size(sib) < 400) {
      const t = sib.text();
      if (sk === "expression_statement" || VALIDATION.test(t)) {
        const g: GuardIf = { start: e.span(sib).start, cond: sib, body: "", exits: true };
        guards.items.push(g);
        for (const k of dottedKeys(t)) {
          const list = guards.byKey.get(k);
          if (list) list.push(g);
          else guards.byKey.set(k, [g]);
        }
      }
      continue;
    }
    if (e.kind(sib) !== "if_statement") continue;
    const cond = fld(sib, "condition");
    const cons = fld(sib, "consequence");
    // validates() is false for these: no condition, a long one, a typeof check.
    if (!cond || !cons || e.size(cond) >= 400) continue;
    const t = cond.text();
    if (/\btypeof\b/.test(t)) continue;
    const body = e.head(cons, 300);
    const g: GuardIf = { start: e.span(sib).start, cond, body, exits: EXITS.test(body) };
    guards.items.push(g);
    for (const k of dottedKeys(t)) {
      const list = guards.byKey.get(k);
      if (list) list.push(g);
      else guards.byKey.set(k, [g]);
    }
  }
  e.blockGuards.set(block.id(), guards);
  return guards;
}
