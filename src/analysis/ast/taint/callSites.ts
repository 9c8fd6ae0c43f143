/**
 * Call sites: the calls of a function declared in the file (by name, on `this`/`self`, or on an
 * instance of its class), the class a method belongs to, and calls that run a function later.
 */
import type { SgNode } from "@ast-grep/napi";
import { declaredTypes } from "../textScan.js";
import { WorkLimitReached } from "./budget.js";
import { callIndex } from "./fileIndex.js";
import { functionName } from "./params.js";
import type { TaintEngine } from "./engine.js";
import { DELAY, RUNNER_CALLEE, RUNNERS } from "./knowledge/index.js";
import { escapeRe, fld, PLAIN_NAME } from "./nodes.js";
import type { CallEntry, ReceiverInfo, Runners } from "./types.js";

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
const NOT_A_NAME = new Set([
  "call_expression",
  "call",
  "new_expression",
  "subscript_expression",
  "subscript",
  "index_expression",
  "parenthesized_expression",
  "string",
  "template_string",
]);

export function receiverInfo(text: string): ReceiverInfo {
  const raw =
    text
      .replace(/^(?:this|self|cls)\./, "")
      .split(".")
      .pop() ?? "";
  return {
    text,
    own: /^(?:this|self|cls|super)$/.test(text),
    name: /^[A-Za-z_$#][\w$]*$/.test(raw.replace(/^#/, "")),
    raw,
    last: raw
      .replace(/^[#_]+/, "")
      .replace(/_/g, "")
      .toLowerCase(),
    plain: PLAIN_NAME.test(raw),
  };
}

/** The class a method belongs to (or the variable an object literal of methods is assigned to); "" for a plain function. */
export function ownerOf(e: TaintEngine, fn: SgNode): string {
  // Go: func (s *Store) Read(...) belongs to Store.
  if (e.family === "go" && e.kind(fn) === "method_declaration") {
    const decl = e.named(fld(fn, "receiver"))[0];
    return (fld(decl, "type")?.text() ?? "").replace(/^\*/, "").replace(/\[.*$/s, "");
  }
  let cur = e.parentOf(fn);
  for (let i = 0; cur && i < 4; i++) {
    const k = e.kind(cur);
    if (
      k === "class_declaration" ||
      k === "class_definition" ||
      k === "class" ||
      k === "abstract_class_declaration" ||
      k === "enum_declaration" ||
      k === "record_declaration"
    )
      return fld(cur, "name")?.text() ?? "";
    if (k === "object") {
      const holder = e.parentOf(cur);
      if (holder && e.kind(holder) === "variable_declarator") return fld(holder, "name")?.text() ?? "";
      return "";
    }
    if (e.syntax.functionKinds.has(k)) return "";
    cur = e.parentOf(cur);
  }
  return "";
}

/**
 * Whether a call's receiver is plausibly an instance of `owner`: `this.filesService` for
 * FilesService, `storage` for ReportStorage, or a name declared with that type or built from it
 * (`svc: FilesService`, `FileService svc`, `proxy = new ImageProxy()`, `storage = ReportStorage(...)`).
 */
export function receiverIs(e: TaintEngine, recvText: string, owner: string): boolean {
  return receiverMatches(e, receiverInfo(recvText), owner);
}

export function receiverMatches(e: TaintEngine, r: ReceiverInfo, owner: string): boolean {
  if (r.text === owner) return true;
  if (!r.name) return false;
  const o = owner.toLowerCase();
  if (r.last === o || (r.last.length >= 4 && (o.includes(r.last) || r.last.endsWith(o)))) return true;
  const text = e.source();
  const key = `${r.raw}\u0000${owner}`;
  if (r.plain && PLAIN_NAME.test(owner)) {
    // Every `name = Type`/`Type name` pair of the file, found in one pass (the regex below once per pair was quadratic).
    if (!e.declared) {
      e.budget.spend(1 + (text.length >> 10));
      e.declared = declaredTypes(text);
    }
    return e.declared.has(key);
  }
  let hit = e.receivers.get(key);
  if (hit === undefined) {
    e.budget.spend(1 + (text.length >> 10));
    const re = escapeRe(r.raw);
    const c = escapeRe(owner);
    hit = new RegExp(
      `(?<![\\w$.])${re}\\??\\s*[:=]\\s*(?:new\\s+|await\\s+)?(?:[\\w$]+\\.)?${c}\\b|\\b${c}(?:<[^>\\n]*>)?\\s+${re}\\b`,
    ).test(text);
    e.receivers.set(key, hit);
  }
  return hit;
}

/** Whether a callee's text can match the callee patterns of callSites (else it is not read). */
export function mayBeName(e: TaintEngine, f: SgNode): boolean {
  const k = e.kind(f);
  if (k === "member_expression" || k === "attribute" || k === "selector_expression") {
    const object = fld(f, "object") ?? fld(f, "operand");
    // `a.b().f`, `x[0].f`, `(a).f`: their text has a character no dotted name has.
    if (object && NOT_A_NAME.has(e.kind(object))) return false;
  }
  return true;
}

/** Calls of a function declared in this file (by its name; `this.name(...)`/`self.name(...)` for methods, `service.name(...)` on an instance of its class). */
export function callSites(e: TaintEngine, fn: SgNode): SgNode[] {
  const id = fn.id();
  const cached = e.sites.get(id);
  if (cached) return cached;
  const found: SgNode[] = [];
  const name = functionName(e, fn);
  if (/^[A-Za-z_$][\w$]*$/.test(name) && name !== "constructor" && name !== "__init__") {
    const owner = ownerOf(e, fn);
    try {
      // The callee patterns ast-grep matched, `^PREFIX` + name + `$`, tried on the calls of `name` only.
      const prefix = owner ? METHOD_CALLEE_PREFIX : FUNCTION_CALLEE_PREFIX;
      for (const entry of callsOf(e, name)) {
        e.budget.spend(1);
        if (
          e.family !== "java" &&
          (entry.callee === null || !entry.callee.endsWith(name) || !prefix.test(entry.callee.slice(0, entry.callee.length - name.length)))
        )
          continue;
        if (entry.receiver && !entry.receiver.own && !(owner !== "" && receiverMatches(e, entry.receiver, owner))) continue;
        found.push(entry.node);
        if (found.length >= 20) break;
      }
      if (e.family === "python" && !owner && found.length < 20) found.push(...deferredCalls(e, name));
    } catch {
      found.length = 0;
    }
  }
  e.sites.set(id, found);
  return found;
}

/** The calls of `name` with their callee and receiver read, once per name (functions may share a name). */
export function callsOf(e: TaintEngine, name: string): CallEntry[] {
  const known = e.callEntries.get(name);
  if (known) return known;
  const list: CallEntry[] = [];
  for (const { node } of callIndex(e).callsByName.get(name) ?? []) {
    e.budget.spend(1);
    if (e.family === "java") {
      const recv = fld(node, "object");
      list.push({ node, callee: "", receiver: recv ? receiverInfo(e.text(recv)) : null });
      continue;
    }
    const f = fld(node, "function");
    const callee = f && mayBeName(e, f) ? e.text(f) : null;
    const recv = fld(f, "object") ?? fld(f, "operand");
    list.push({ node, callee, receiver: recv && callee !== null ? receiverInfo(recv.text()) : null });
  }
  e.callEntries.set(name, list);
  return list;
}

/**
 * Python calls that run a function later with the arguments given after it: FastAPI's
 * `background_tasks.add_task(notify, url)`, `executor.submit(fn, x)`, `loop.run_in_executor(None, fn, x)`,
 * `asyncio.to_thread(fn, x)`, and Celery's `notify.delay(url)`.
 */
export function deferredCalls(e: TaintEngine, name: string): SgNode[] {
  const out: SgNode[] = [];
  try {
    if (!e.runners) {
      const runners: Runners = { later: [], delays: new Map() };
      const calls = callIndex(e).callsByName;
      for (const r of RUNNERS)
        for (const c of calls.get(r) ?? []) if (RUNNER_CALLEE.test(e.text(fld(c.node, "function")!))) runners.later.push(c);
      runners.later.sort((a, b) => a.at - b.at);
      for (const c of calls.get(DELAY) ?? []) {
        const t = e.text(fld(c.node, "function")!);
        const list = runners.delays.get(t);
        if (list) list.push(c);
        else runners.delays.set(t, [c]);
      }
      e.runners = runners;
    }
    // The first 20 of both kinds in document order, as one search for either found them.
    const { later } = e.runners;
    const delays = e.runners.delays.get(`${name}.${DELAY}`) ?? [];
    const first: Array<{ node: SgNode; at: number; delay: boolean }> = [];
    for (let i = 0, j = 0; first.length < 20 && (i < later.length || j < delays.length);) {
      if (j >= delays.length || (i < later.length && later[i].at < delays[j].at)) first.push({ ...later[i++], delay: false });
      else first.push({ ...delays[j++], delay: true });
    }
    for (const { node: c, delay } of first) {
      if (delay) {
        out.push(c);
        continue;
      }
      let args = e.runnerArgs.get(c.id());
      if (!args) {
        args = e.named(fld(c, "arguments")).filter((a) => e.kind(a) !== "keyword_argument");
        e.runnerArgs.set(c.id(), args);
      }
      e.budget.spend(1 + args.length);
      const at = args.findIndex((a) => e.size(a) === name.length && a.text() === name);
      if (at < 0) continue;
      e.siteOffsets.set(c.id(), at + 1);
      out.push(c);
    }
  } catch (e) {
    if (e instanceof WorkLimitReached) throw e;
  }
  return out;
}
