/**
 * Parameters per language family: what each parameter of a function holds on entry — request
 * data by decorator, annotation, type or framework convention (route handlers, Lambda, GraphQL,
 * tRPC, Django views, FastAPI markers...), a request container, a number, or unknown.
 */
import type { SgNode } from "@ast-grep/napi";
import { jsPattern } from "./bindings.js";
import { ownerOf } from "./callSites.js";
import { member } from "./members.js";
import type { TaintEngine } from "./engine.js";
import {
  ADD_LISTENER,
  CLASS_NAME,
  CLI_COMMAND_DECORATOR,
  CLI_CONTEXT_PARAM,
  CONVERTED_CAPTURE,
  DEPENDENCY_NAME,
  DEPENDENCY_TYPE,
  DEPENDS,
  ENTRY_EVENT,
  enumClass,
  EVENT_MEMBERS_PATTERN,
  EVENT_NAME,
  EVENT_PARAM,
  FASTAPI_MARKERS,
  FORM_DATA_TYPE,
  globalContainer,
  GO_CONTEXT_TYPE,
  GO_REQUEST_TYPE,
  GO_SAFE_TYPE,
  GRAPHQL_ROOT_TYPE,
  JAVA_MAIN_ARGS,
  JAVA_REQUEST_TYPE,
  JAVA_SAFE_TYPE,
  JAVA_SOURCE_ANNOTATIONS,
  KOA_CONTEXT_NAME,
  LAMBDA_CONTEXT_PARAM,
  LAMBDA_EVENT_TYPE,
  LAMBDA_HANDLER_NAME,
  LITERAL_TYPE,
  MESSAGE_EVENT,
  NEST_REQUEST_DECORATOR,
  NEST_SOURCE_DECORATOR,
  NEXT_PAGE_PROPS,
  NEXT_ROUTE_HANDLER,
  ON,
  ONMESSAGE,
  PATTERN_ARG,
  pyGraphql,
  pyLambda,
  REQUEST_PARAM_NAMES,
  REQUEST_TYPE,
  RESPONSE_PARAM,
  ROUTE_DECORATOR,
  SAFE_PARAM_TYPE,
  SELF_NAMES,
  SOCKET_ON,
  TRPC_INPUT,
  TRPC_PROCEDURE,
  TYPED_CAPTURE,
  UPLOAD_FILE_TYPE,
  VIEW_CLASS,
  VIEW_RESPONSE,
} from "./knowledge/index.js";
import { fld } from "./nodes.js";
import type { Param } from "./types.js";
import { containerVal, safe, SOURCE, sourced, unknown, type Val } from "./value.js";

export function functionName(e: TaintEngine, fn: SgNode): string {
  const nm = fld(fn, "name");
  if (nm) return nm.text();
  const parent = e.parentOf(fn);
  if (!parent) return "";
  const pk = e.kind(parent);
  if (pk === "variable_declarator") return fld(parent, "name")?.text() ?? "";
  if (pk === "assignment_expression") return fld(parent, "left")?.text() ?? "";
  if (pk === "pair") return fld(parent, "key")?.text() ?? "";
  // class fields holding arrow functions: remove = async (name) => { ... }
  if (pk === "public_field_definition" || pk === "field_definition") return (fld(parent, "name") ?? fld(parent, "property"))?.text() ?? "";
  // export const handler = middy(async (event) => ...) / exports.handler = wrap(...)
  if (pk === "arguments") {
    const call = e.parentOf(parent);
    const holder = call ? e.parentOf(call) : null;
    if (holder && e.kind(holder) === "variable_declarator") return fld(holder, "name")?.text() ?? "";
    if (holder && e.kind(holder) === "assignment_expression") return fld(holder, "left")?.text() ?? "";
  }
  return "";
}

export function params(e: TaintEngine, fn: SgNode): Param[] {
  switch (e.family) {
    case "js":
      return jsParams(e, fn);
    case "python":
      return pyParams(e, fn);
    case "go":
      return goParams(e, fn);
    case "java":
      return javaParams(e, fn);
  }
}

/** A function passed to `addEventListener("message", fn)` or assigned to `onmessage`: its event carries another window's data. */
export function isMessageListener(e: TaintEngine, fn: SgNode): boolean {
  const parent = e.parentOf(fn);
  if (!parent) return false;
  const pk = e.kind(parent);
  if (pk === "arguments") {
    const call = e.parentOf(parent);
    const first = e.named(parent)[0];
    const fn = fld(call, "function");
    // (the callee's end and a short first argument are all that is looked at: a chain or a callback is not read)
    const callee = fn ? e.tail(fn, 32) : "";
    if (!call || !first) return false;
    const arg = e.head(first, 40);
    // window.addEventListener("message", ...); archive readers: extract.on("entry", (header, stream) => ...)
    // socket.on("chat", (msg) => ...), ws.on("message", (data) => ...): what a connected client sends
    if (SOCKET_ON.test(callee) && EVENT_NAME.test(arg)) return true;
    return (ADD_LISTENER.test(callee) && MESSAGE_EVENT.test(arg)) || (ON.test(callee) && ENTRY_EVENT.test(arg));
  }
  if (pk === "assignment_expression") return ONMESSAGE.test(fld(parent, "left")?.text() ?? "");
  return false;
}

/** A function in a GraphQL resolver map: `Query: { user: (parent, args) => ... }` (also `Mutation`, `Subscription`). */
export function isGraphqlResolver(e: TaintEngine, fn: SgNode): boolean {
  let cur = e.parentOf(fn);
  // (a pair `user: (...) => ...`, or a method `user(parent, args) { ... }` in the object)
  if (cur && e.kind(cur) === "pair") cur = e.parentOf(cur);
  else if (e.kind(fn) !== "method_definition") return false;
  if (!cur || e.kind(cur) !== "object") return false;
  const holder = e.parentOf(cur);
  return !!holder && e.kind(holder) === "pair" && GRAPHQL_ROOT_TYPE.test(fld(holder, "key")?.text() ?? "");
}

/** A tRPC procedure body: `publicProcedure.input(schema).query(({ input }) => ...)`. */
export function isTrpcProcedure(e: TaintEngine, fn: SgNode): boolean {
  const args = e.parentOf(fn);
  if (!args || e.kind(args) !== "arguments") return false;
  const call = e.parentOf(args);
  const callee = call ? fld(call, "function") : null;
  return !!callee && TRPC_PROCEDURE.test(e.head(callee, 2000));
}

export function jsParams(e: TaintEngine, fn: SgNode): Param[] {
  const list = fld(fn, "parameters");
  const single = fld(fn, "parameter");
  const raw = list ? e.named(list) : single ? [single] : [];
  // Unwrap TypeScript's required/optional parameters and defaults to their pattern.
  const patterns = raw.map((p) => {
    const k = e.kind(p);
    if (k === "required_parameter" || k === "optional_parameter") return fld(p, "pattern") ?? p;
    if (k === "assignment_pattern") return fld(p, "left") ?? p;
    return p;
  });
  const names = patterns.map((p) => (e.kind(p) === "identifier" ? p.text() : ""));
  const fnName = functionName(e, fn);
  const lambdaName = LAMBDA_HANDLER_NAME.test(fnName);
  const second = names[1] ?? "";
  const messageListener = isMessageListener(e, fn);
  const graphqlResolver = names.length >= 2 && isGraphqlResolver(e, fn);
  const trpcProcedure = patterns.length >= 1 && e.kind(patterns[0]) === "object_pattern" && isTrpcProcedure(e, fn);
  const nextRoute = NEXT_ROUTE_HANDLER.test(fnName) && e.kind(fn) !== "method_definition";
  const out: Param[] = [];
  patterns.forEach((p, i) => {
    const k = e.kind(p);
    const decl = raw[i];
    const declText = e.head(decl, 200);
    const typeText = fld(decl, "type")?.text() ?? "";
    let base: Val;
    // NestJS: @Body() dto, @Query("q") q, @Param("id") id, @Headers() h; @Req() req.
    // (GraphQL resolvers' @Args("x") and WebSocket gateways' @MessageBody() too)
    if (NEST_SOURCE_DECORATOR.test(declText)) base = sourced(`@${declText.slice(1).split("(")[0]}() ${names[i] || "parameter"}`, true);
    else if (NEST_REQUEST_DECORATOR.test(declText)) base = containerVal("request");
    // Next.js route handlers: export async function GET(request, { params })
    else if (nextRoute && i === 0) base = containerVal("request");
    else if (nextRoute && i === 1) base = sourced("the route's params", true);
    else if (FORM_DATA_TYPE.test(typeText)) base = sourced(`${names[i] || "formData"} (form data)`, true);
    else if (i === 0 && messageListener)
      base = containerVal("event", SOURCE, { label: "data from another window, a socket client or an archive entry", remote: true });
    else if (
      i === 0 &&
      // (a destructured event names an event's members: `({ body, pathParameters }, context)`)
      ((k === "identifier" && EVENT_PARAM.test(p.text())) || (k === "object_pattern" && EVENT_MEMBERS_PATTERN.test(e.head(p, 300)))) &&
      (lambdaName || LAMBDA_CONTEXT_PARAM.test(second) || LAMBDA_EVENT_TYPE.test(typeText))
    )
      base = containerVal("event", SOURCE, { label: "the event payload", remote: true });
    else if (k === "identifier" && globalContainer("js", p.text()) === "request") base = containerVal("request");
    // (a `ctx` parameter is Koa's context in a file that looks like Koa code, not any tool's context object)
    else if (k === "identifier" && p.text() === KOA_CONTEXT_NAME && e.koaLike()) base = containerVal("koa");
    // (req, res) by another name: the parameter before `res` of a handler is its request
    else if (i === 0 && (k === "object_pattern" || k === "identifier") && RESPONSE_PARAM.test(second)) base = containerVal("request");
    // Next.js pages: export default function Page({ params, searchParams }): the URL's
    else if (i === 0 && k === "object_pattern" && NEXT_PAGE_PROPS.test(e.head(p, 200))) base = containerVal("url");
    // GraphQL resolvers: Query: { user: (parent, args) => ... }: the arguments are the client's
    else if (i === 1 && graphqlResolver) base = sourced("the GraphQL arguments", true);
    else base = unknown();
    if (k === "identifier") out.push({ name: p.text(), val: base, index: i });
    else
      jsPattern(e, p, [], (name, path) => {
        let v = base;
        for (const step of path) v = member(e, v, step, p);
        // tRPC: procedure.input(schema).query(({ input, ctx }) => ...): `input` is what the client sent
        if (i === 0 && trpcProcedure && path.length === 1 && path[0] === TRPC_INPUT) v = sourced("the tRPC input", true);
        out.push({ name, val: v, index: i });
      });
  });
  return out;
}

export function pyParams(e: TaintEngine, fn: SgNode): Param[] {
  const list = fld(fn, "parameters");
  const items = e.named(list);
  const fnName = functionName(e, fn);
  // Route handlers: @app.route("/x/<name>"), @app.get("/items/{id}"), @router.post(...), @api_view.
  let decorated = false;
  let cliCommand = false;
  // Flask / Werkzeug converters: @app.route("/reports/<int:year>") hands the view a number (or a UUID)
  const converted = new Set<string>();
  const parent = e.parentOf(fn);
  if (parent && e.kind(parent) === "decorated_definition") {
    decorated = e.named(parent).some((c) => e.kind(c) === "decorator" && ROUTE_DECORATOR.test(c.text()));
    // click / Typer commands: @click.argument("expr"), @cli.command(): the parameters are the command line
    cliCommand = !decorated && e.named(parent).some((c) => e.kind(c) === "decorator" && CLI_COMMAND_DECORATOR.test(c.text()));
    if (decorated)
      for (const c of e.named(parent))
        if (e.kind(c) === "decorator") for (const m of c.text().matchAll(CONVERTED_CAPTURE)) converted.add(m[1] ?? m[2]);
  }
  // Django views: def detail(request, slug) / def get(self, request, pk) in a *View class: the
  // parameters after `request` are the URL's captures, when the function answers the request.
  const plain = items.map((p) => (e.kind(p) === "identifier" ? p.text() : (fld(p, "name")?.text() ?? "")));
  const at = plain[0] === "request" ? 0 : plain[0] === "self" && plain[1] === "request" && VIEW_CLASS.test(ownerOf(e, fn)) ? 1 : -1;
  const body = fld(fn, "body");
  const djangoView = at >= 0 && (at === 1 || ownerOf(e, fn) === "") && VIEW_RESPONSE.test(body ? e.head(body, 4000) : "");
  // GraphQL resolvers (Graphene `resolve_x(root, info, **args)`, Ariadne, Strawberry): the parameters after `info` are the client's arguments
  const infoAt = plain.indexOf(pyGraphql.INFO_PARAM);
  const graphql =
    infoAt >= 0 &&
    infoAt <= 1 &&
    (pyGraphql.RESOLVER_NAME.test(fnName) ||
      (!!parent &&
        e.kind(parent) === "decorated_definition" &&
        e.named(parent).some((c) => e.kind(c) === "decorator" && pyGraphql.RESOLVER_DECORATOR.test(c.text()))));
  const names: string[] = [];
  const out: Param[] = [];
  items.forEach((p) => {
    const k = e.kind(p);
    let name = "";
    let def: SgNode | null = null;
    let typeText = "";
    if (k === "identifier") name = p.text();
    else if (k === "typed_parameter") {
      name =
        e
          .named(p)
          .find((c) => e.kind(c) === "identifier")
          ?.text() ?? "";
      typeText = fld(p, "type")?.text() ?? "";
    } else if (k === "default_parameter" || k === "typed_default_parameter") {
      name = fld(p, "name")?.text() ?? "";
      def = fld(p, "value");
      typeText = fld(p, "type")?.text() ?? "";
    } else return;
    names.push(name);
    const i = names.length - 1;
    const marker = def && e.kind(def) === "call" ? (fld(def, "function")?.text() ?? "") : "";
    const markerName = marker.split(".").pop() ?? "";
    let val: Val;
    if (SELF_NAMES.has(name)) val = unknown();
    else if (converted.has(name)) val = safe("number");
    else if (SAFE_PARAM_TYPE.test(typeText)) val = safe("number");
    // Literal["a", "b"] or an Enum of this file: the framework accepts only the listed values.
    else if (LITERAL_TYPE.test(typeText) || (CLASS_NAME.test(typeText) && enumClass(typeText).test(e.source()))) val = safe();
    // (Request, HttpRequest, WSGIRequest, func.HttpRequest)
    else if (REQUEST_PARAM_NAMES.has(name) || REQUEST_TYPE.test(typeText)) val = containerVal("request");
    else if (
      i === 0 &&
      (name === pyLambda.EVENT_PARAM || pyLambda.HANDLER_NAME.test(fnName)) &&
      (pyLambda.HANDLER_NAME.test(fnName) || pyLambda.CONTEXT_PARAM.test(list?.text() ?? ""))
    )
      val = containerVal("event", SOURCE, { label: "the event payload", remote: true });
    // (an UploadFile is a file object for paths: its `.filename` is the client's text)
    else if (UPLOAD_FILE_TYPE.test(typeText) && e.opts.category === "path-traversal")
      val = { ...sourced(`parameter ${name}`, true), shape: "object" };
    // Query(..., pattern=r"^[a-z0-9-]+$"), Annotated[str, Path(regex=...)], constr(pattern=...): FastAPI rejects anything else
    else if ((FASTAPI_MARKERS.has(markerName) && PATTERN_ARG.test(e.head(def!, 300))) || PATTERN_ARG.test(typeText)) val = safe();
    else if (FASTAPI_MARKERS.has(markerName) || FASTAPI_MARKERS.has(typeText.split("[")[0])) val = sourced(`parameter ${name}`, true);
    else if (markerName === DEPENDS || DEPENDENCY_TYPE.test(typeText) || DEPENDENCY_NAME.test(name)) val = unknown();
    else if (decorated) val = sourced(`route parameter ${name}`, true);
    else if (graphql && i > infoAt) val = sourced(`GraphQL argument ${name}`, true);
    else if (cliCommand && name !== CLI_CONTEXT_PARAM) val = sourced(`command-line argument ${name}`, false);
    // (ids, pages and dates are usually `<int:...>` captures: numbers, not text; slugs and UUIDs `<slug:...>` / `<uuid:...>`)
    else if (djangoView && i > at && (!def || e.kind(def) === "none") && !TYPED_CAPTURE.test(name))
      val = sourced(`URL parameter ${name}`, true);
    else val = unknown();
    out.push({ name, val, index: i });
  });
  return out;
}

export function goParams(e: TaintEngine, fn: SgNode): Param[] {
  const list = fld(fn, "parameters");
  const out: Param[] = [];
  for (const decl of e.named(list)) {
    if (e.kind(decl) !== "parameter_declaration" && e.kind(decl) !== "variadic_parameter_declaration") continue;
    const type = fld(decl, "type")?.text() ?? "";
    let val: Val = unknown();
    if (GO_SAFE_TYPE.test(type)) val = safe("number");
    else if (GO_REQUEST_TYPE.test(type)) val = containerVal("goRequest");
    else if (GO_CONTEXT_TYPE.test(type)) val = containerVal("goContext");
    for (const nm of decl.fieldChildren("name" as never) as unknown as SgNode[]) out.push({ name: nm.text(), val, index: out.length });
  }
  return out;
}

export function javaParams(e: TaintEngine, fn: SgNode): Param[] {
  const list = fld(fn, "parameters");
  const out: Param[] = [];
  const fnName = functionName(e, fn);
  const k = e.kind(fn);
  const items = list ? e.named(list) : [];
  // x -> ... lambdas: a bare identifier parameter
  if (k === "lambda_expression" && list && e.kind(list) === "identifier") return [{ name: list.text(), val: unknown(), index: 0 }];
  for (const p of items) {
    const pk = e.kind(p);
    if (pk === "identifier") {
      out.push({ name: p.text(), val: unknown(), index: out.length });
      continue;
    }
    if (pk !== "formal_parameter" && pk !== "spread_parameter") continue;
    const name =
      fld(p, "name")?.text() ??
      e
        .named(p)
        .filter((c) => e.kind(c) === "identifier")
        .pop()
        ?.text() ??
      "";
    const type = fld(p, "type")?.text() ?? "";
    const annotations = e
      .named(p)
      .filter((c) => e.kind(c) === "modifiers")
      .flatMap((m) => e.named(m))
      .map((a) => (fld(a, "name")?.text() ?? "").split(".").pop() ?? "");
    let val: Val = unknown();
    if (JAVA_SAFE_TYPE.test(type)) val = safe("number");
    else if (annotations.some((a) => JAVA_SOURCE_ANNOTATIONS.has(a))) val = sourced(`parameter ${name}`, true);
    else if (JAVA_REQUEST_TYPE.test(type)) val = containerVal("javaRequest");
    else if (fnName === "main" && JAVA_MAIN_ARGS.test(type)) val = sourced("args", false);
    out.push({ name, val, index: out.length });
  }
  return out;
}
