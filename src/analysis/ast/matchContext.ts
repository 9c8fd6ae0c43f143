/**
 * What surrounds a rule's match (see matchCheck.ts): the function around it, its text, and the
 * identifier words near it (its statement, the names it is assigned to and their uses, its
 * function and that function's callers), which rules with a `context` vocabulary ask about.
 */
import type { SgNode } from "@ast-grep/napi";
import { FAMILY, type AstLanguage } from "./languages.js";
import type { FileWork, Unit } from "./fileWork.js";
import { fld, type TaintEngine } from "./taint/engine.js";
import { SYNTAX } from "./taint/syntax.js";

const WORD_SPLIT = /[^a-z0-9]+/;

/** Lower-case words of identifiers in a text (camelCase and snake_case split), plus adjacent pairs joined. */
export function words(text: string): Set<string> {
  const list = text
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(WORD_SPLIT)
    .filter(Boolean);
  const out = new Set(list);
  for (let i = 0; i + 1 < list.length; i++) out.add(list[i] + list[i + 1]);
  return out;
}

export function contextMatches(vocabulary: readonly string[], found: Set<string>): boolean {
  for (const w of found) for (const e of vocabulary) if (w === e || (e.length >= 5 && w.startsWith(e))) return true;
  return false;
}

export const STATEMENT_KIND =
  /statement$|declaration$|^assignment$|^pair$|^keyword_argument$|^variable_declarator$|^short_var_declaration$|^field_declaration$/;

/**
 * Identifier words around a match: its statement, the names it is assigned to and the statements
 * that use them, its function's name and parameters, and, for a helper, the statements that call
 * it and the functions those are in (two levels: `randomChars` <- `makeInvite` <- `createInvite`).
 */
export function contextWords(
  match: SgNode,
  unit: Unit,
  language: AstLanguage,
  engine: TaintEngine,
): { near: Set<string>; quiet: Set<string>; all: Set<string> } {
  const syntax = SYNTAX[FAMILY[language]];
  let stmt: SgNode = match;
  let bound: string | undefined;
  let cur = engine.parentOf(match);
  for (let i = 0; cur && i < 12; i++) {
    const k = cur.kind() as string;
    if (syntax.functionKinds.has(k)) break;
    bound ??= boundName(cur, k);
    stmt = cur;
    if (STATEMENT_KIND.test(k) && !/^(?:pair|keyword_argument|variable_declarator)$/.test(k)) break;
    cur = engine.parentOf(cur);
  }
  let text = head(unit, stmt, 400);
  // Near (for weak words): the statement, the name it is assigned to, that name's uses, the function's
  // name and the statements calling it. Quiet (for words of a harmless use): the statement, the
  // function's name and the names the value is assigned on to (`boundary = ... token ...`).
  let near = text;
  let quiet = text;
  const fnOf = (n: SgNode): SgNode | null => {
    // The nearest named function: inline callbacks (`Array.from(..., () => pick())`) belong to the one around them.
    let f = engine.parentOf(n);
    for (let i = 0; f && i < 60; i++) {
      if (syntax.functionKinds.has(f.kind() as string) && engine.functionName(f)) return f;
      f = engine.parentOf(f);
    }
    return null;
  };
  const statementOf = (n: SgNode, max: number): string => {
    let s: SgNode | null = n;
    for (let j = 0; s && j < 6 && !STATEMENT_KIND.test(s.kind() as string); j++) s = engine.parentOf(s);
    return head(unit, s ?? n, max);
  };
  const seenFns = new Set<number>();
  const addFunction = (fn: SgNode, depth: number): void => {
    if (seenFns.has(fn.id()) || seenFns.size > 6) return;
    seenFns.add(fn.id());
    const params = fld(fn, "parameters");
    text += ` ${engine.functionName(fn)} ${params ? head(unit, params, 120) : ""}`;
    if (depth >= 2) return;
    // A helper (randomHex) is named for how, its callers for what: `const apiKey = randomHex(40)`.
    for (const call of engine.callSites(fn).slice(0, 3)) {
      text += ` ${statementOf(call, 200)}`;
      const caller = fnOf(call);
      if (caller) addFunction(caller, depth + 1);
    }
  };
  // An inline callback (`Array.from(..., () => Math.random())`) belongs to the statement around it.
  let fn = engine.parentOf(stmt);
  for (let i = 0; fn && i < 40; i++) {
    const fk = fn.kind() as string;
    if (syntax.functionKinds.has(fk) && !fld(fn, "name") && engine.parentOf(fn)?.kind() === "arguments") {
      text += ` ${statementOf(engine.parentOf(fn)!, 300)}`;
      fn = engine.parentOf(fn);
      continue;
    }
    if (syntax.functionKinds.has(fk)) {
      const named = engine.functionName(fn) ? fn : fnOf(fn);
      if (named) addFunction(named, 0);
      // Its function's name is near too (`jitter()`, `shuffle(list)`), and its callers' statements
      // (`const key = this.generate()`).
      if (named) {
        // A method's class names its purpose too (`ApiKeyService.generate`, `ResetTokenGenerator.next`).
        let cls = engine.parentOf(named);
        for (let j = 0; cls && j < 8 && !/^class(?:_declaration|_definition)?$/.test(cls.kind() as string); j++) cls = engine.parentOf(cls);
        const className = cls ? fld(cls, "name")?.text() : undefined;
        if (className) text += ` ${className}`;
        near += ` ${engine.functionName(named)}`;
        quiet += ` ${engine.functionName(named)}`;
        for (const call of engine.callSites(named).slice(0, 3)) near += ` ${statementOf(call, 200)}`;
      }
      break;
    }
    fn = engine.parentOf(fn);
  }
  // What the value is used for: `rnd.nextInt(...)` in newResetToken(), `md.update(password)`.
  if (bound) {
    const scope = (fnOf(match) ??
      (engine.parentOf(stmt) ? engine.parentOf(engine.parentOf(stmt)!) : null) ??
      engine.parentOf(stmt)) as SgNode | null;
    const uses = scope ? usesOf(unit, scope, language, bound) : [];
    const at = stmt.range();
    let n = 0;
    for (let i = 0; i < uses.length && n < 4; i++) {
      const { node: u, start, end } = uses[i];
      if (start >= at.start.index && end <= at.end.index) {
        // Uses inside the statement itself are consecutive: skip past them at once.
        while (i + 1 < uses.length && uses[i + 1].start < at.end.index) i++;
        continue;
      }
      n++;
      const used = statementOf(u, 200);
      text += ` ${used}`;
      near += ` ${used}`;
      const onward = /^\s*(?:(?:const|let|var)\s+)?([\w.]+)\s*(?::\s*[\w.]+\s*)?=(?!=)/.exec(used);
      if (onward) quiet += ` ${onward[1]}`;
      const f = fnOf(u);
      if (f) text += ` ${engine.functionName(f)}`;
    }
  }
  return { near: words(near), quiet: words(quiet), all: words(text) };
}

/** The nearest function around a match (null at the top level). */
export function enclosingFunction(match: SgNode, work: FileWork, engine: TaintEngine): SgNode | null {
  const kinds = SYNTAX[FAMILY[work.language]].functionKinds;
  let fn: SgNode | null = engine.parentOf(match);
  for (let i = 0; fn && i < 200 && !kinds.has(fn.kind() as string); i++) fn = engine.parentOf(fn);
  return fn && kinds.has(fn.kind() as string) ? fn : null;
}

/** `node.text().slice(0, max)` from the unit's text, without copying all of a large node. */
export function head(unit: Unit, node: SgNode, max: number): string {
  const r = node.range();
  return unit.text.slice(r.start.index, Math.min(r.end.index, r.start.index + max));
}

/**
 * The identifiers named `name` inside `scope`, in document order. The first few questions of a
 * unit search the scope; after that every identifier of the unit is indexed once, so a file with
 * many such checks does not search the same large scope again and again.
 */
function usesOf(unit: Unit, scope: SgNode, language: AstLanguage, name: string): Array<{ node: SgNode; start: number; end: number }> {
  const kinds = IDENTIFIER_KINDS[FAMILY[language]];
  const withSpan = (node: SgNode) => {
    const r = node.range();
    return { node, start: r.start.index, end: r.end.index };
  };
  if (++unit.identifierQueries <= 8 && !unit.identifiers) {
    try {
      return scope
        .findAll({ rule: { any: kinds.map((kind) => ({ kind })), regex: `^${name.replace(/[$]/g, "\\$")}$` } } as never)
        .map(withSpan);
    } catch {
      return [];
    }
  }
  if (!unit.identifiers) {
    unit.identifiers = new Map();
    try {
      for (const node of unit.root.findAll({ rule: { any: kinds.map((kind) => ({ kind })) } } as never)) {
        const text = node.text();
        const list = unit.identifiers.get(text);
        if (list) list.push(withSpan(node));
        else unit.identifiers.set(text, [withSpan(node)]);
      }
    } catch {
      /* none */
    }
  }
  const all = unit.identifiers.get(name) ?? [];
  const r = scope.range();
  let lo = 0;
  let hi = all.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (all[mid].start < r.start.index) lo = mid + 1;
    else hi = mid;
  }
  const out: Array<{ node: SgNode; start: number; end: number }> = [];
  for (let i = lo; i < all.length && all[i].end <= r.end.index; i++) out.push(all[i]);
  return out;
}

/** Identifier node kinds per family (plain names and member names: `random`, `this.random`). */
const IDENTIFIER_KINDS: Record<string, string[]> = {
  js: ["identifier", "property_identifier"],
  python: ["identifier"],
  go: ["identifier", "field_identifier"],
  java: ["identifier"],
};

/** The simple name a declaration or assignment binds (`rnd` in `Random rnd = new Random()`, `self.rng = ...`). */
function boundName(n: SgNode, kind: string): string | undefined {
  let target: SgNode | null = null;
  if (kind === "variable_declarator" || kind === "var_spec" || kind === "const_spec") target = fld(n, "name");
  else if (kind === "assignment" || kind === "assignment_expression" || kind === "short_var_declaration" || kind === "assignment_statement")
    target = fld(n, "left");
  if (!target) return undefined;
  const t = target.text().trim();
  const m = /^(?:(?:this|self)\.)?#?([A-Za-z_$][\w$]*)$/.exec(t) ?? /^([A-Za-z_$][\w$]*)\s*(?:,|$)/.exec(t);
  return m && m[1].length >= 2 ? m[1] : undefined;
}
