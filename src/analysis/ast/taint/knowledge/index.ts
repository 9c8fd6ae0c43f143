/**
 * What the taint engine knows about libraries and frameworks, assembled from the files beside this
 * one (one per framework family or language): sanitisers per category, functions that pass data
 * through (wrappers), methods whose result is a number or a boolean, the members of source objects
 * (requests, process, location, serverless events) per language family, and the lookups over them
 * that the evaluator asks.
 *
 * Names are matched against a call's callee: an entry with a dot matches the end of the dotted
 * callee (`path.basename` matches `path.basename(x)` and `require("path").basename` does not
 * matter); an entry without a dot matches the last segment (`basename`).
 */
import type { Category } from "../../../types.js";
import type { Family } from "../../languages.js";
import type { Container } from "../value.js";
import { BY_CATEGORY, NO_GENERIC_SANITISER, SAFE_FOR_ALL, SANITISER_NAME } from "./sanitisers.js";
import * as node from "./javascript/node.js";
import * as express from "./javascript/express.js";
import { KOA_GETTER, KOA_MEMBERS } from "./javascript/koa.js";
import { DOCUMENT_MEMBERS, LOCATION_MEMBERS, URL_MEMBERS, WINDOW_NAMES } from "./javascript/browser.js";
import { NAVIGATION_HOOKS, NEXT_URL_MEMBER } from "./javascript/next.js";
import * as python from "./python/builtins.js";
import * as flask from "./python/flask.js";
import * as django from "./python/django.js";
import * as fastapi from "./python/fastapi.js";
import * as tornado from "./python/tornado.js";
import * as micro from "./python/microframeworks.js";
import { ARGPARSE_CALLS } from "./python/cli.js";
import * as go from "./go.js";
import * as java from "./java.js";

export * from "./common.js";
export * from "./guards.js";
export * from "./modules.js";
export { GO_CHI_PARAMS, GO_CLEAN, GO_CONTEXT_TYPE, GO_DECODERS, GO_DECODER_CALL, GO_REQUEST_TYPE, GO_SAFE_TYPE } from "./go.js";
export { JAVA_MAIN_ARGS, JAVA_REQUEST_TYPE, JAVA_SAFE_TYPE, JAVA_SOURCE_ANNOTATIONS } from "./java.js";
export * from "./javascript/browser.js";
export * from "./javascript/events.js";
export * from "./javascript/graphql.js";
export { KOA_CONTEXT_NAME, KOA_FILE } from "./javascript/koa.js";
export * from "./javascript/lambda.js";
export * from "./javascript/nest.js";
export { FORM_DATA_TYPE, NEXT_PAGE_PROPS, NEXT_ROUTE_HANDLER } from "./javascript/next.js";
export { ARCHIVE_ENTRY_NAME, BARE_PATH_JOINS, NORMALIZE_CALL, OUTER_JOIN, ROOTED_JOIN } from "./javascript/node.js";
export { CONTEXT_REQUEST_MEMBER, REQUEST_RECEIVER, RESPONSE_PARAM, UPLOAD_LABEL, UPLOAD_STORED_MEMBERS } from "./javascript/express.js";
export { CLI_COMMAND_DECORATOR, CLI_CONTEXT_PARAM } from "./python/cli.js";
export {
  CONFIG_HOLDER,
  CONVERTED_CAPTURE,
  ROUTE_DECORATOR,
  UPLOADS_LABEL,
  UPLOAD_FILE_MEMBERS,
  WERKZEUG_GETTERS,
  WERKZEUG_TYPES,
} from "./python/flask.js";
export { TYPED_CAPTURE, VIEW_CLASS, VIEW_RESPONSE } from "./python/django.js";
export {
  CLASS_NAME,
  DEPENDENCY_NAME,
  DEPENDENCY_TYPE,
  DEPENDS,
  FASTAPI_MARKERS,
  LITERAL_TYPE,
  PATTERN_ARG,
  REQUEST_PARAM_NAMES,
  REQUEST_TYPE,
  SAFE_PARAM_TYPE,
  UPLOAD_FILE_TYPE,
  enumClass,
} from "./python/fastapi.js";
export { TORNADO_SOURCES } from "./python/tornado.js";
export { PATHLIB_CALL, PATH_NAME_MEMBERS, SELF_NAMES } from "./python/builtins.js";
export * as pyGraphql from "./python/graphql.js";
export * as pyLambda from "./python/lambda.js";
export * from "./python/tasks.js";

function nameMatches(entry: string, dotted: string, last: string): boolean {
  if (!entry.includes(".")) return entry === last;
  return dotted === entry || dotted.endsWith(`.${entry}`);
}

/** Whether calling `dotted` (last segment `last`) sanitises a value for `category`. */
export function isSanitiser(category: Category, dotted: string, last: string, extra: readonly string[]): boolean {
  for (const e of SAFE_FOR_ALL) if (nameMatches(e, dotted, last)) return true;
  for (const e of BY_CATEGORY[category] ?? []) if (nameMatches(e, dotted, last)) return true;
  for (const e of extra) if (nameMatches(e, dotted, last)) return true;
  return !NO_GENERIC_SANITISER.has(category) && SANITISER_NAME.test(last);
}

/** Functions whose result is their arguments' data, reshaped (not sanitised). */
const WRAPPERS: Record<Family, string[]> = { js: node.WRAPPERS, python: python.WRAPPERS, go: go.WRAPPERS, java: java.WRAPPERS };

/** Functions that build a string from their arguments (format strings, joins): the result is "built". */
const BUILDERS: Record<Family, string[]> = { js: node.BUILDERS, python: python.BUILDERS, go: go.BUILDERS, java: java.BUILDERS };

/** Wrappers whose result is a list of their arguments (an argument vector stays one: `List.of("convert", name)`). */
const COLLECTIONS: Record<Family, string[]> = {
  js: node.COLLECTIONS,
  python: python.COLLECTIONS,
  go: go.COLLECTIONS,
  java: java.COLLECTIONS,
};

/** Wrappers whose result is their first argument's data, the rest being options: compile(source, "<rule>", "exec"). */
const FIRST_ARG_WRAPPERS: Record<Family, string[]> = {
  js: node.FIRST_ARG_WRAPPERS,
  python: python.FIRST_ARG_WRAPPERS,
  go: go.FIRST_ARG_WRAPPERS,
  java: java.FIRST_ARG_WRAPPERS,
};

/** With a receiver only dotted entries count (`path.join`, not `arr.join`); without one, only bare names. */
function listed(list: readonly string[], dotted: string, last: string, hasReceiver: boolean): boolean {
  return list.some((e) => (e.includes(".") ? hasReceiver && nameMatches(e, dotted, last) : !hasReceiver && e === last));
}

export function isCollection(family: Family, dotted: string, last: string, hasReceiver: boolean): boolean {
  return listed(COLLECTIONS[family], dotted, last, hasReceiver);
}

export function isFirstArgWrapper(family: Family, dotted: string, last: string, hasReceiver: boolean): boolean {
  return listed(FIRST_ARG_WRAPPERS[family], dotted, last, hasReceiver);
}

export function isWrapper(family: Family, dotted: string, last: string, hasReceiver: boolean): boolean {
  return listed(WRAPPERS[family], dotted, last, hasReceiver);
}

export function isBuilder(family: Family, dotted: string, last: string, hasReceiver: boolean): boolean {
  return listed(BUILDERS[family], dotted, last, hasReceiver);
}

export interface MemberSource {
  /** A source value (label for messages) */
  source?: { label: string; remote: boolean };
  /** Or another container (e.g. `req.nextUrl`, `window.location`). */
  container?: Container;
}

/** Members of the request object, one per language: Express / Koa / Fastify / Next.js / Hapi, and Flask / Django / Starlette / Bottle / Pyramid / Falcon / aiohttp / Azure Functions / Tornado. */
const REQUEST_MEMBERS = new Set([
  ...flask.REQUEST_MEMBERS,
  ...django.REQUEST_MEMBERS,
  ...fastapi.REQUEST_MEMBERS,
  ...express.REQUEST_MEMBERS,
  ...micro.REQUEST_MEMBERS,
  ...tornado.REQUEST_MEMBERS,
]);
const REQUEST_METHODS = new Set(express.REQUEST_METHODS);
/** Python's request object answers the Flask / Django / Starlette / Tornado / Falcon / aiohttp accessors. */
const PY_REQUEST_METHODS = new Set([...flask.REQUEST_METHODS, ...tornado.REQUEST_METHODS]);
/** Python-only request methods (`request.post(...)` in JavaScript is the `request` HTTP client). */
const PY_ONLY_REQUEST_METHODS = new Set([...micro.PY_ONLY_REQUEST_METHODS, ...django.PY_ONLY_REQUEST_METHODS]);

/** A member (`obj.name` or `obj["name"]`) of a source container. */
export function containerMember(c: Container, name: string): MemberSource | undefined {
  switch (c) {
    case "request":
      if (name === NEXT_URL_MEMBER) return { container: "url" };
      if (express.NESTED_REQUEST.has(name)) return { container: "request" };
      return REQUEST_MEMBERS.has(name) ? { source: { label: `request.${name}`, remote: true } } : undefined;
    case "koa":
      if (express.NESTED_REQUEST.has(name)) return { container: "request" };
      return KOA_MEMBERS.has(name) ? { source: { label: `ctx.${name}`, remote: true } } : undefined;
    case "url":
      return URL_MEMBERS.has(name) ? { source: { label: `url.${name}`, remote: true } } : undefined;
    case "process":
      return node.PROCESS_MEMBERS.has(name) ? { source: { label: `process.${name}`, remote: false } } : undefined;
    case "location":
      return LOCATION_MEMBERS.has(name) ? { source: { label: `location.${name}`, remote: true } } : undefined;
    case "window":
      if (name === "location") return { container: "location" };
      if (name === "document") return { container: "document" };
      return name === "name" ? { source: { label: "window.name", remote: true } } : undefined;
    case "document":
      if (name === "location") return { container: "location" };
      return DOCUMENT_MEMBERS.has(name) ? { source: { label: `document.${name}`, remote: true } } : undefined;
    case "event":
      return { source: { label: "the event payload", remote: true } };
    case "os":
      return name === python.OS_ENVIRON ? { source: { label: "os.environ", remote: false } } : undefined;
    case "sys":
      return python.SYS_MEMBERS.has(name) ? { source: { label: `sys.${name}`, remote: false } } : undefined;
    case "goRequest":
      if (name === "URL") return { container: "goUrl" };
      return go.GO_REQUEST_MEMBERS.has(name) ? { source: { label: `r.${name}`, remote: true } } : undefined;
    case "goUrl":
      return go.GO_URL_MEMBERS.has(name) ? { source: { label: `r.URL.${name}`, remote: true } } : undefined;
    case "goContext":
      return name === "Request" ? { container: "goRequest" } : undefined;
    case "goOs":
      return name === "Args" ? { source: { label: "os.Args", remote: false } } : undefined;
    default:
      return undefined;
  }
}

/** A method call on a source container (`req.get("x")`, `request.get_json()`, `r.FormValue("x")`). */
export function containerMethod(c: Container, name: string, family?: Family): MemberSource | undefined {
  switch (c) {
    case "request":
      if (express.EXPRESS_GETTERS.has(name)) return { source: { label: `req.${name}()`, remote: true } };
      if (PY_REQUEST_METHODS.has(name) || (family === "python" && PY_ONLY_REQUEST_METHODS.has(name)))
        return { source: { label: `request.${name}()`, remote: true } };
      return REQUEST_METHODS.has(name) ? { source: { label: `request.${name}()`, remote: true } } : undefined;
    case "koa":
      return name === KOA_GETTER ? { source: { label: "ctx.get()", remote: true } } : undefined;
    case "url":
      return name === "toString" ? { source: { label: "url", remote: true } } : undefined;
    case "location":
      return name === "toString" ? { source: { label: "location", remote: true } } : undefined;
    case "os":
      return python.OS_GETENV.has(name) ? { source: { label: `os.${name}()`, remote: false } } : undefined;
    case "goOs":
      return go.GO_OS_GETENV.has(name) ? { source: { label: `os.${name}()`, remote: false } } : undefined;
    case "goRequest":
      return go.GO_REQUEST_METHODS.has(name) ? { source: { label: `r.${name}()`, remote: true } } : undefined;
    case "goUrl":
      return go.GO_URL_METHODS.has(name) ? { source: { label: `r.URL.${name}()`, remote: true } } : undefined;
    case "goContext":
      return go.GO_CONTEXT_METHODS.has(name) ? { source: { label: `c.${name}()`, remote: true } } : undefined;
    case "javaRequest":
      return java.JAVA_REQUEST_METHODS.has(name) ? { source: { label: `request.${name}()`, remote: true } } : undefined;
    case "javaSystem":
      return name === "getenv" ? { source: { label: "System.getenv()", remote: false } } : undefined;
    case "sys":
      return undefined;
    default:
      return undefined;
  }
}

/** Free functions that return source data. */
export function sourceFunction(family: Family, dotted: string, last: string): MemberSource | undefined {
  switch (family) {
    case "python":
      if (python.INPUT_FUNCTIONS.has(dotted)) return { source: { label: `${dotted}()`, remote: false } };
      if (dotted === "getenv" || dotted.endsWith("os.getenv")) return { source: { label: "os.getenv()", remote: false } };
      // argparse: `args = parser.parse_args()` holds the command line
      if (ARGPARSE_CALLS.has(last)) return { source: { label: "the command-line arguments", remote: false } };
      // what a network peer sent: conn.recv(4096), sock.recvfrom(...), await websocket.recv()
      if (python.RECV_METHOD.test(last) && python.RECV_RECEIVER.test(dotted))
        return { source: { label: `${dotted}() (network data)`, remote: true } };
      return undefined;
    case "go":
      if (dotted === go.GO_ROUTE_PARAMS) return { source: { label: "mux.Vars(r)", remote: true } };
      if (go.GO_CHI_PARAMS.has(dotted)) return { source: { label: "chi.URLParam()", remote: true } };
      if (dotted === "os.Getenv") return { source: { label: "os.Getenv()", remote: false } };
      return undefined;
    case "java":
      if (dotted === "System.getenv") return { source: { label: "System.getenv()", remote: false } };
      return undefined;
    case "js":
      if (NAVIGATION_HOOKS.has(last)) return { source: { label: `${last}()`, remote: true } };
      return undefined;
  }
}

/** Identifiers that name a source container when nothing local defines them. */
export function globalContainer(family: Family, name: string): Container | undefined {
  switch (family) {
    case "js":
      if (express.REQUEST_NAMES.has(name)) return "request";
      if (name === node.PROCESS_NAME) return "process";
      if (name === "location") return "location";
      if (WINDOW_NAMES.has(name)) return "window";
      if (name === "document") return "document";
      return undefined;
    case "python":
      if (fastapi.REQUEST_PARAM_NAMES.has(name)) return "request";
      if (name === "os") return "os";
      if (name === "sys") return "sys";
      return undefined;
    case "go":
      if (name === "os") return "goOs";
      return undefined;
    case "java":
      if (java.JAVA_REQUEST_NAMES.has(name)) return "javaRequest";
      if (name === "System") return "javaSystem";
      return undefined;
  }
}

/** Module attributes that are a source container (`flask.request.args` after `import flask`). */
export const MODULE_CONTAINERS: Partial<Record<Family, Readonly<Record<string, Container>>>> = { python: flask.MODULE_CONTAINERS };
