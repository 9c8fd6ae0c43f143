/**
 * Calls: what a call returns — sanitisers, wrappers, builders, sources, file reads, methods of
 * source containers, and local functions evaluated with their parameters bound to the arguments.
 */
import type { SgNode } from "@ast-grep/napi";
import { ownerOf, receiverIs } from "./callSites.js";
import { index, scopeIndex } from "./fileIndex.js";
import { fromMemberSource, memberName, uploadObject } from "./members.js";
import { functionName } from "./params.js";
import { scopeInfo } from "./scopes.js";
import type { TaintEngine } from "./engine.js";
import {
  ARCHIVE_LISTINGS,
  BARE_PATH_JOINS,
  BUILDING_METHODS,
  CONFIG_NAMES,
  containerMethod,
  FILE_READERS,
  GO_CLEAN,
  isBuilder,
  isCollection,
  isFirstArgWrapper,
  isSanitiser,
  isWrapper,
  JQUERY_GETTERS,
  JQUERY_NAMES,
  JQUERY_NO_ARG_GETTERS,
  JQUERY_RECEIVER,
  MEMO_HOOKS,
  NORMALIZE_CALL,
  OUTER_JOIN,
  PATH_JOIN,
  REQUEST_RECEIVER,
  ROOTED_JOIN,
  SAFE_RESULT,
  sourceFunction,
  SPLIT_ON_SLASH,
  STRING_METHODS,
  TORNADO_SOURCES,
  WERKZEUG_GETTERS,
  WERKZEUG_TYPES,
} from "./knowledge/index.js";
import { compact, fld, stripQuotes } from "./nodes.js";
import { CLEAN, clean, concat, derived, join, SAFE, safe, SOURCE, sourced, UNKNOWN, unknown, type Val } from "./value.js";

/**
 * A path the application chose: constant, from its own configured state (`self.cache_file`), or
 * from its environment (`os.environ["CACHE_FILE"]`), which is configuration, not input.
 */
const ownPath = (v: Val): boolean =>
  v.level <= SAFE ||
  (v.level === UNKNOWN && v.state === true) ||
  (v.level === SOURCE &&
    !!v.source &&
    !v.source.remote &&
    /env/i.test(v.source.label) &&
    !/argv|\bargs\b|stdin|input\(/i.test(v.source.label));

export function callParts(
  e: TaintEngine,
  n: SgNode,
  k: string,
): {
  callee: SgNode | null;
  recv: SgNode | null;
  name: string;
  dotted: string;
  args: SgNode[];
  kwargs: Map<string, SgNode>;
  tagged: boolean;
} {
  let callee: SgNode | null = null;
  let recv: SgNode | null = null;
  let name = "";
  let argsNode: SgNode | null = null;
  if (k === "method_invocation") {
    recv = fld(n, "object");
    name = fld(n, "name")?.text() ?? "";
    argsNode = fld(n, "arguments");
  } else if (k === "object_creation_expression") {
    callee = fld(n, "type");
    name = callee ? e.text(callee).replace(/<.*$/s, "") : "";
    argsNode = fld(n, "arguments");
  } else {
    callee = fld(n, "function") ?? fld(n, "constructor");
    argsNode = fld(n, "arguments");
    // TypeScript parses `await f<T>(x)` as a call of `await f`.
    for (let i = 0; callee && i < 3 && /^(?:await_expression|parenthesized_expression|non_null_expression)$/.test(e.kind(callee)); i++)
      callee = e.named(callee)[0] ?? null;
    if (callee) {
      const ck = e.kind(callee);
      if (ck === "member_expression" || ck === "attribute" || ck === "selector_expression") {
        const m = memberName(e, callee, ck);
        recv = m.object;
        name = m.name;
      } else if (ck === "identifier") {
        name = callee.text();
      } else {
        name = e.compactText(callee);
      }
    }
  }
  let dotted = name;
  if (k === "method_invocation") {
    // compact(`${recv}.${name}`): a receiver whose compact text fills the 200 characters is all of it.
    const r = recv ? e.compactText(recv) : "";
    dotted = r.length >= 200 ? r : compact(`${recv ? r + "." : ""}${name}`);
  } else if (callee) dotted = e.compactText(callee);
  const args: SgNode[] = [];
  const kwargs = new Map<string, SgNode>();
  let tagged = false;
  if (argsNode) {
    const ak = e.kind(argsNode);
    if (ak === "template_string") tagged = true;
    else if (ak === "generator_expression") args.push(argsNode);
    else
      for (const a of e.named(argsNode)) {
        if (e.kind(a) === "keyword_argument") {
          const kn = fld(a, "name")?.text();
          const kv = fld(a, "value");
          if (kn && kv) kwargs.set(kn, kv);
        } else args.push(a);
      }
  }
  return { callee, recv, name, dotted, args, kwargs, tagged };
}

/** A call that is a later argument of a `path.join(root, ...)`. */
export function underRoot(e: TaintEngine, n: SgNode): boolean {
  const a = e.parentOf(n);
  const call = a && a.kind() === "arguments" ? e.parentOf(a) : null;
  if (!call || call.kind() !== "call_expression") return false;
  const first = a!.namedChildren()[0];
  return !!first && first.id() !== n.id() && OUTER_JOIN.test(fld(call, "function")?.text() ?? "");
}

export function evalCall(e: TaintEngine, n: SgNode, k: string): Val {
  const { recv, name, dotted, args, kwargs, tagged } = callParts(e, n, k);
  const { category, sanitizers } = e.opts;
  if (tagged) return safe(); // sql`...`, html`...`: the tag escapes its values
  if (isSanitiser(category, dotted, name, sanitizers)) return safe();
  // x.replace(/[^a-z0-9]/g, "") and re.sub(r"[^\w]", "", x) keep only allowed characters.
  if ((name === "replace" || name === "replaceAll" || dotted === "re.sub") && args.length >= 2 && /\[\^/.test(e.text(args[0])))
    return safe();
  // name.replace("/", "") / name.replace(/[\/\\]/g, "_"): with no separator left, the name stays in its directory.
  if (
    category === "path-traversal" &&
    (name === "replace" || name === "replaceAll") &&
    recv &&
    args.length >= 2 &&
    /^(?:["'`]\/["'`]|\/(?:\\\/|\[[^\]]*\/[^\]]*\])\/g?)$/.test(e.text(args[0])) &&
    !/[/\\]/.test(stripQuotes(e.text(args[1])))
  )
    return safe();
  // Quote doubling (name.replace("'", "''")) is SQL string escaping.
  if (
    category === "sql-injection" &&
    (name === "replace" || name === "replaceAll") &&
    args.length >= 2 &&
    /^[a-z]*(["'`])(\\?["'])\1$/i.test(e.text(args[0])) &&
    /(["'])\1|\\/.test(stripQuotes(e.text(args[1])))
  )
    return safe();
  // path.normalize(p).replace(/^(\.\.(\/|\\|$))+/, ""): normalised first, the leading `..` parts are all there is to strip.
  if (
    category === "path-traversal" &&
    (name === "replace" || name === "replaceAll") &&
    recv &&
    args.length >= 2 &&
    NORMALIZE_CALL.test(e.text(recv)) &&
    /^\/\^[\s\S]*\\\.\\\./.test(e.text(args[0])) &&
    /^(["'`])\1$/.test(e.text(args[1]))
  )
    return safe();
  // request.args.get("page", type=int): Werkzeug converts the value (a number, a UUID, a flag) or drops it.
  if (
    e.family === "python" &&
    WERKZEUG_GETTERS.has(name) &&
    recv &&
    WERKZEUG_TYPES.test(kwargs.has("type") ? e.text(kwargs.get("type")!) : "")
  )
    return safe("number");
  // name.split("/").pop(): the last part, no directory in it
  if (category === "path-traversal" && name === "pop" && recv && args.length === 0 && SPLIT_ON_SLASH.test(e.head(recv, 200))) return safe();
  const argVals = () => [...args, ...kwargs.values()].map((a) => e.eval(a));
  // jQuery: $(...) and the chains on it are element collections, not text (`card.append($("<h3>").text(name))`);
  // only getters (`.val()`, `.attr("href")`) return a page's data.
  if (e.family === "js" && JQUERY_NAMES.has(name) && !recv) return safe("object");

  if (recv) {
    const recvText = e.text(recv);
    if (
      e.family === "js" &&
      JQUERY_RECEIVER.test(recvText) &&
      !(JQUERY_GETTERS.has(name) && args.length <= (JQUERY_NO_ARG_GETTERS.has(name) ? 0 : 1))
    )
      return safe("object");
    if (e.family === "python" && recvText === "self" && TORNADO_SOURCES.has(name)) return sourced(e.label(n), true);
    if ((recvText === "this" || recvText === "self") && !isSanitiser(category, dotted, name, sanitizers)) {
      const local = localFunction(e, name);
      if (local) {
        const r = evalLocalCall(e, local, args, true);
        if (r) return r;
      }
    } else if (e.hasMethods() && /^[\w$.#]+$/.test(recvText)) {
      // A method of a class of this file called on an instance: `reports.path_for(name)`, `this.repo.find(id)`.
      const local = localFunction(e, name);
      const owner = local ? ownerOf(e, local) : "";
      if (local && owner && receiverIs(e, recvText, owner)) {
        const r = evalLocalCall(e, local, args, recvText !== owner);
        if (r) return r;
      }
    }
    if (FILE_READERS.has(name) && args.every((a) => ownPath(e.eval(a))) && !REQUEST_RECEIVER.test(recvText)) {
      const rv0 = e.eval(recv);
      // (a path under a directory from the environment, `Path(os.environ["CACHE"]) / key`, is the app's own too)
      if ((rv0.level <= UNKNOWN || ownPath(rv0)) && !rv0.container) return clean("");
    }
    const rv = e.eval(recv);
    if (rv.container) {
      const m = fromMemberSource(e, containerMethod(rv.container, name, e.family), n);
      if (m) return m;
      if (rv.container === "event" || rv.level === SOURCE) return derived(rv);
      if (isWrapper(e.family, dotted, name, true)) return derived(join(argVals()));
      return unknown();
    }
    if (SAFE_RESULT.has(name)) return safe("number");
    if (ARCHIVE_LISTINGS.has(name) && args.length === 0) return sourced(`${e.label(n)} (names inside the archive)`, true);
    // Module functions first (path.join, os.path.join, String.format, fmt.Sprintf): the receiver is a module.
    // `path.join(root, path.join("/", name))`: the inner join resolves every `..` against "/", so the
    // result stays under the root it is then joined to.
    if (
      category === "path-traversal" &&
      e.family === "js" &&
      ROOTED_JOIN.test(dotted) &&
      args.length >= 2 &&
      /^["'`][/\\]["'`]$/.test(e.text(args[0])) &&
      underRoot(e, n)
    )
      return safe();
    // filepath.Clean("/" + name): cleaned as a rooted path, every `..` stops at "/"; joined under a root it stays there.
    if (category === "path-traversal" && e.family === "go" && GO_CLEAN.test(dotted) && args.length === 1) {
      const a = e.eval(args[0]);
      if (a.prefix !== undefined && a.prefix.startsWith("/")) return safe();
    }
    if (PATH_JOIN.test(dotted) && isWrapper(e.family, dotted, name, true)) return concat(argVals());
    if (isFirstArgWrapper(e.family, dotted, name, true)) return derived(e.eval(args[0] ?? null));
    if (isCollection(e.family, dotted, name, true)) return { ...derived(join(argVals())), shape: "array" };
    if (isWrapper(e.family, dotted, name, true)) return derived(join(argVals()));
    if (isBuilder(e.family, dotted, name, true)) return concat(argVals());
    if (BUILDING_METHODS.has(name)) return concat([rv, ...argVals()]);
    const src = fromMemberSource(e, sourceFunction(e.family, dotted, name), n);
    if (src) return src;
    if (rv.level === SOURCE && name === "get" && uploadObject(e, rv, name)) return { ...derived(rv), shape: "object" };
    // ids.map((_, i) => `$${i + 1}`), ids.map(() => "?"): what the callback returns, when nothing of the
    // elements gets into it (placeholders for bound parameters)
    if (
      e.family === "js" &&
      (name === "map" || name === "flatMap") &&
      rv.level >= UNKNOWN &&
      args[0] &&
      e.syntax.functionKinds.has(e.kind(args[0]))
    ) {
      const r = evalLocalCall(e, args[0], [], false);
      if (r && r.level <= SAFE) return { ...r, shape: "array" };
    }
    if (rv.level === SOURCE) return derived(rv);
    if (rv.level <= SAFE && (rv.shape === "object" || rv.shape === "array") && (name === "get" || name === "getOrDefault"))
      return clean("");
    // A getter of the application's configuration (`config.get("x")`, `idleConf.GetOption(...)`): fixed values.
    if (rv.level === CLEAN && /^(?:get|Get)\w*$/.test(name) && CONFIG_NAMES.test(recvText.replace(/^(?:self|this)\./, "")))
      return clean("");
    if (STRING_METHODS.has(name)) return derived(rv);
    return unknown();
  }
  const src = fromMemberSource(e, sourceFunction(e.family, dotted, name), n);
  if (src) return src;
  if (FILE_READERS.has(name) && argVals().every(ownPath)) return clean(""); // the app's own files
  if (name === "URL" && args.length === 2) {
    // new URL("/path", base): the origin is the base's, the path fixed.
    const first = e.eval(args[0]);
    if (first.level <= SAFE || (first.prefix !== undefined && /^\/[^/\\]/.test(first.prefix))) return first;
  }
  if (MEMO_HOOKS.has(name) && args[0] && e.syntax.functionKinds.has(e.kind(args[0]))) {
    const r = evalLocalCall(e, args[0], [], false);
    if (r) return r;
  }
  if (isBuilder(e.family, dotted, name, false)) return concat(argVals());
  if (e.family === "js" && BARE_PATH_JOINS.has(name)) return concat(argVals()); // path.join imported bare
  if (isFirstArgWrapper(e.family, dotted, name, false)) return derived(e.eval(args[0] ?? null));
  if (isCollection(e.family, dotted, name, false)) return { ...derived(join(argVals())), shape: "array" };
  if (isWrapper(e.family, dotted, name, false) || (e.family === "go" && name === "append")) return derived(join(argVals()));
  if (e.family === "go" && /^\[\]|^\(/.test(dotted)) return derived(join(argVals())); // []byte(x), (*T)(x)
  // make([]string, n): an empty slice (what is put in it later is followed through append)
  if (e.family === "go" && name === "make") return clean("", "array");
  const local = localFunction(e, name);
  if (local) return evalLocalCall(e, local, args, false) ?? unknown();
  return unknown();
}

/** Functions declared in this file by name (null when the name is ambiguous). */
export function localFunction(e: TaintEngine, name: string): SgNode | null {
  if (!e.localFns) {
    e.localFns = new Map();
    try {
      for (const f of index(e).functions) {
        const n = functionName(e, f);
        if (!n) continue;
        e.localFns.set(n, e.localFns.has(n) ? null : f);
      }
    } catch {
      /* none */
    }
  }
  return e.localFns.get(name) ?? null;
}

/** The expressions a function returns (an arrow's expression body included). */
export function returnValues(e: TaintEngine, fn: SgNode): SgNode[] {
  const body = fld(fn, "body");
  if (body && e.family === "js" && e.kind(fn) === "arrow_function" && e.kind(body) !== "statement_block") return [body];
  if (e.family === "python" && e.kind(fn) === "lambda" && body) return [body];
  const cached = e.returns.get(fn.id());
  if (cached) return cached;
  const out: SgNode[] = [];
  for (const r of scopeIndex(e).returnsByFn.get(fn.id()) ?? []) {
    const expr = e.named(r)[0];
    if (expr) out.push(expr);
    if (out.length >= 8) break;
  }
  e.returns.set(fn.id(), out);
  return out;
}

/** The value a call to a local function returns, with its parameters bound to the arguments. */
export function evalLocalCall(e: TaintEngine, fn: SgNode, args: SgNode[], viaSelf: boolean): Val | undefined {
  if (e.frames.length >= 3 || e.frames.some((f) => f.fn === fn.id())) return undefined;
  const info = scopeInfo(e, fn);
  const bound = new Map<string, Val>();
  const shift = viaSelf && e.family === "python" && (info.params.has("self") || info.params.has("cls")) ? 1 : 0;
  for (const p of info.params.values()) {
    const a = args[p.index - shift];
    bound.set(p.name, a ? e.eval(a) : p.val);
  }
  const returns = returnValues(e, fn);
  if (returns.length === 0) return undefined;
  e.frames.push({ id: ++e.frameSeq, fn: fn.id(), params: bound });
  try {
    return join(returns.map((r) => e.eval(r)));
  } finally {
    e.frames.pop();
  }
}
