/**
 * What the taint engine knows about libraries: sanitisers per category, functions that pass
 * data through (wrappers), methods whose result is a number or a boolean, and the members of
 * source objects (requests, process, location, serverless events) per language family.
 *
 * Names are matched against a call's callee: an entry with a dot matches the end of the dotted
 * callee (`path.basename` matches `path.basename(x)` and `require("path").basename` does not
 * matter); an entry without a dot matches the last segment (`basename`).
 */
import type { Category } from "../../types.js";
import type { Family } from "../languages.js";
import type { Container } from "./value.js";

/** Conversions and hashes whose result carries no attacker-chosen text, for every category. */
const SAFE_FOR_ALL = [
  "parseInt",
  "parseFloat",
  "Number",
  "Boolean",
  "Number.parseInt",
  "Number.parseFloat",
  "Math.floor",
  "Math.ceil",
  "Math.round",
  "Math.abs",
  "Math.min",
  "Math.max",
  "isNaN",
  "int",
  "float",
  "bool",
  "len",
  "abs",
  "round",
  "ord",
  "uuid.UUID",
  "UUID",
  "digest",
  "hexdigest",
  "strconv.Atoi",
  "strconv.ParseInt",
  "strconv.ParseUint",
  "strconv.ParseFloat",
  "strconv.ParseBool",
  "strconv.Itoa",
  "Integer.parseInt",
  "Integer.valueOf",
  "Long.parseLong",
  "Long.valueOf",
  "Double.parseDouble",
  "UUID.fromString",
  "uuid.Parse",
];

const BY_CATEGORY: Partial<Record<Category, string[]>> = {
  "sql-injection": [
    "escape",
    "escapeLiteral",
    "escapeIdentifier",
    "escapeId",
    "escape_string",
    "escape_literal",
    "quote_ident",
    "quote_literal",
    "mysql.format",
    "SqlString.format",
    "sqlstring.format",
    "sql.Identifier",
    "sql.Literal",
    "Identifier",
    "Literal",
    "literal",
    "pq.QuoteIdentifier",
    "pq.QuoteLiteral",
  ],
  "command-injection": [
    "shlex.quote",
    "pipes.quote",
    "quote",
    "shellescape",
    "shellEscape",
    "shell_escape",
    "escapeshellarg",
    "escapeShellArg",
    "shellQuote.quote",
    "shq",
    // names the library makes up for a temporary file (`tempfile.mkstemp()`): no input in them
    "tempfile.mkstemp",
    "tempfile.mkdtemp",
    "tempfile.mktemp",
    "mkstemp",
    "mkdtemp",
    "mktemp",
  ],
  xss: [
    "DOMPurify.sanitize",
    "sanitize",
    "sanitizeHtml",
    "sanitizeHTML",
    "escape",
    "escapeHtml",
    "escapeHTML",
    "escape_html",
    "htmlEscape",
    "he.encode",
    "he.escape",
    "encodeURIComponent",
    "encodeURI",
    "html.escape",
    "markupsafe.escape",
    "conditional_escape",
    "format_html",
    "format_html_join",
    "json_script",
    // templates rendered with autoescaping
    "render_template",
    "render_to_string",
    "bleach.linkify",
    "bleach.clean",
    "nh3.clean",
    "filterXSS",
    "xss",
    "html.EscapeString",
    "template.HTMLEscapeString",
    "template.JSEscapeString",
    "StringEscapeUtils.escapeHtml4",
    "HtmlUtils.htmlEscape",
    "Encode.forHtml",
    "encodeForHTML",
  ],
  "path-traversal": [
    "path.basename",
    "basename",
    "os.path.basename",
    "secure_filename",
    "safe_join",
    "filepath.Base",
    "path.Base",
    "FilenameUtils.getName",
    "getFileName",
    "sanitizeFilename",
    "sanitize_filename",
    // Django's and slug helpers keep letters, digits, `-`, `_` and `.`: no separator
    "get_valid_filename",
    "slugify",
    "filenamify",
    "encodeURIComponent",
    // an extension has no directory in it
    "filepath.Ext",
    "path.Ext",
    "path.extname",
    "extname",
    "FilenameUtils.getExtension",
    "tempfile.mkstemp",
    "tempfile.mkdtemp",
    "tempfile.mktemp",
    "mkstemp",
    "mkdtemp",
    "mktemp",
  ],
  ssrf: ["encodeURIComponent", "quote", "urllib.parse.quote", "url.QueryEscape", "url.PathEscape"],
  "open-redirect": ["encodeURIComponent", "url_for", "reverse"],
};

/** Names that say "this makes it safe" in codebases' own helpers (sanitizeInput, escapeValue, cleanHtml). */
const SANITISER_NAME = /^(?:sanitiz|sanitis|escape|purify|clean_?html|strip_?tags|encodeFor|htmlspecialchars|htmlentities|validate_?path|safe_?path)/i;

/** Categories where a sanitiser of one kind does not make the value safe (code, deserialisation). */
const NO_GENERIC_SANITISER: ReadonlySet<Category> = new Set(["code-injection", "insecure-deserialization"]);

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
const WRAPPERS: Record<Family, string[]> = {
  js: [
    "String",
    "decodeURIComponent",
    "decodeURI",
    "unescape",
    "atob",
    "JSON.parse",
    "Buffer.from",
    "Object.keys",
    "Object.values",
    "Object.entries",
    "Object.assign",
    "Array.from",
    "Array.of",
    "path.join",
    "path.resolve",
    "path.normalize",
    "path.dirname",
    "join",
    "resolve",
    "url.parse",
    "url.resolve",
    "querystring.parse",
    "qs.parse",
    "URL",
    "URLSearchParams",
    "structuredClone",
    "Promise.resolve",
    // Markdown to HTML keeps the raw HTML in the input
    "marked",
    "marked.parse",
    "marked.marked",
    "markdown.toHTML",
    "converter.makeHtml",
  ],
  python: [
    "str",
    "bytes",
    "os.path.join",
    "os.path.abspath",
    "os.path.realpath",
    "os.path.dirname",
    "os.path.normpath",
    "os.path.expanduser",
    "posixpath.join",
    "Path",
    "pathlib.Path",
    "PurePath",
    "unquote",
    "unquote_plus",
    "urllib.parse.unquote",
    "urllib.parse.unquote_plus",
    "urljoin",
    "urlparse",
    "b64decode",
    "urlsafe_b64decode",
    "base64.b64decode",
    "base64.urlsafe_b64decode",
    "json.loads",
    "dedent",
    // shlex.split(cmd) is the command's words
    "shlex.split",
    "list",
    "tuple",
    "dict",
    "sorted",
    "reversed",
    // min(int(limit), 100): one of its arguments
    "min",
    "max",
  ],
  go: [
    "fmt.Sprint",
    "fmt.Sprintln",
    "strings.TrimSpace",
    "strings.ToLower",
    "strings.ToUpper",
    "strings.Trim",
    "strings.TrimPrefix",
    "strings.TrimSuffix",
    "strings.Title",
    "filepath.Join",
    "filepath.Clean",
    "filepath.Abs",
    "filepath.Dir",
    "path.Join",
    "path.Clean",
    "url.QueryUnescape",
    "url.PathUnescape",
    "url.Parse",
    "string",
    "[]byte",
    // reading a body reads its data: io.ReadAll(r.Body)
    "io.ReadAll",
    "ioutil.ReadAll",
    "strings.Fields",
    "strings.Split",
  ],
  java: [
    "String.valueOf",
    "URLDecoder.decode",
    "Paths.get",
    "Path.of",
    "File",
    "URI.create",
    "URI",
    "URL",
    "String",
    "StringBuilder",
    "Objects.toString",
    "Arrays.asList",
    "List.of",
    // reading a request's stream reads its data
    "IOUtils.toString",
    "IOUtils.toByteArray",
    "StreamUtils.copyToString",
    "StreamUtils.copyToByteArray",
  ],
};

/** Functions that build a string from their arguments (format strings, joins): the result is "built". */
const BUILDERS: Record<Family, string[]> = {
  js: ["util.format", "format", "sprintf", "vsprintf", "concat"],
  python: ["format"],
  go: ["fmt.Sprintf", "strings.Join", "strings.Replace", "strings.ReplaceAll", "strings.Repeat"],
  java: ["String.format", "String.join", "MessageFormat.format", "formatted"],
};

/** With a receiver only dotted entries count (`path.join`, not `arr.join`); without one, only bare names. */
function listed(list: readonly string[], dotted: string, last: string, hasReceiver: boolean): boolean {
  return list.some((e) => (e.includes(".") ? hasReceiver && nameMatches(e, dotted, last) : !hasReceiver && e === last));
}

/** Wrappers whose result is a list of their arguments (an argument vector stays one: `List.of("convert", name)`). */
const COLLECTIONS: Record<Family, string[]> = {
  js: ["Array.from", "Array.of"],
  python: ["list", "tuple", "sorted", "reversed"],
  go: [],
  java: ["Arrays.asList", "List.of"],
};

export function isCollection(family: Family, dotted: string, last: string, hasReceiver: boolean): boolean {
  return listed(COLLECTIONS[family], dotted, last, hasReceiver);
}

/** Wrappers whose result is their first argument's data, the rest being options: compile(source, "<rule>", "exec"). */
const FIRST_ARG_WRAPPERS: Record<Family, string[]> = {
  js: [],
  python: ["compile", "ast.parse"],
  go: [],
  java: [],
};

export function isFirstArgWrapper(family: Family, dotted: string, last: string, hasReceiver: boolean): boolean {
  return listed(FIRST_ARG_WRAPPERS[family], dotted, last, hasReceiver);
}

export function isWrapper(family: Family, dotted: string, last: string, hasReceiver: boolean): boolean {
  return listed(WRAPPERS[family], dotted, last, hasReceiver);
}

export function isBuilder(family: Family, dotted: string, last: string, hasReceiver: boolean): boolean {
  return listed(BUILDERS[family], dotted, last, hasReceiver);
}

/** Methods that build a string from the receiver and the arguments. */
export const BUILDING_METHODS = new Set(["join", "concat", "format", "replace", "replaceAll", "append", "padStart", "padEnd", "repeat", "insert", "formatted", "resolve", "resolveSibling", "joinpath", "with_name"]);

/** Methods and members whose result is a number or a boolean (nothing to inject). */
export const SAFE_RESULT = new Set([
  "length",
  "size",
  "count",
  "indexOf",
  "lastIndexOf",
  "includes",
  "startsWith",
  "endsWith",
  "startswith",
  "endswith",
  "test",
  "has",
  "isdigit",
  "isalnum",
  "isnumeric",
  "isdecimal",
  "isalpha",
  "isidentifier",
  "contains",
  "containsKey",
  "equals",
  "equalsIgnoreCase",
  "matches",
  "compareTo",
  "hashCode",
  "isEmpty",
  "isBlank",
  "exists",
  "getTime",
  "toFixed",
  "localeCompare",
  "search",
  "find_index",
  "Len",
  "digest",
  "hexdigest",
]);

/**
 * Members of an uploaded file (multer's `req.file`, express-fileupload's `req.files.x`, formidable's
 * files) that the upload library chose: where it stored the upload and its size. (`originalname`,
 * `name` and `filename` can be the client's.)
 */
export const UPLOAD_STORED_MEMBERS = new Set(["path", "destination", "tempFilePath", "filepath", "newFilename", "size"]);

/** Methods that put a value into a collection or builder: `x.push(v)` makes `x` carry `v`. */
export const MUTATING_METHODS = new Set(["push", "unshift", "append", "extend", "add", "insert", "appendleft", "update", "set", "put", "WriteString"]);

export interface MemberSource {
  /** A source value (label for messages) */
  source?: { label: string; remote: boolean };
  /** Or another container (e.g. `req.nextUrl`, `window.location`). */
  container?: Container;
}

/** Express / Koa / Fastify / Next.js / Hapi, and Flask / Django / Starlette members (one request object per language). */
const REQUEST_MEMBERS = new Set([
  "args",
  "form",
  "values",
  "json",
  "data",
  "view_args",
  "GET",
  "POST",
  "META",
  "COOKIES",
  "FILES",
  "query_params",
  "path_params",
  "full_path",
  "query_string",
  "stream",
  "match_info",
  "params",
  "query",
  "body",
  "headers",
  "cookies",
  "signedCookies",
  "files",
  "file",
  "url",
  "originalUrl",
  "path",
  "hostname",
  "payload",
  "querystring",
  "search",
  "rawBody",
  "raw",
  "searchParams",
  "href",
  // Bottle, Pyramid, Falcon, aiohttp, Azure Functions, Tornado
  "forms",
  "matchdict",
  "json_body",
  "media",
  "rel_url",
  "referrer",
  "route_params",
  "arguments",
  "body_arguments",
  "query_arguments",
]);
const REQUEST_METHODS = new Set(["get", "header", "param", "json", "text", "formData", "arrayBuffer", "blob", "query"]);
const KOA_MEMBERS = new Set(["query", "params", "querystring", "headers", "header", "cookies", "path", "url", "href", "search", "originalUrl"]);
const LOCATION_MEMBERS = new Set(["href", "hash", "search", "pathname"]);
const DOCUMENT_MEMBERS = new Set(["URL", "documentURI", "baseURI", "referrer", "cookie"]);
const PY_REQUEST_METHODS = new Set([
  "get_json",
  "get_data",
  "json",
  "form",
  "body",
  "get_argument",
  "get_query_argument",
  "get_body_argument",
  "get_arguments",
  "stream",
]);
/** Python-only request methods (`request.post(...)` in JavaScript is the `request` HTTP client). */
const PY_ONLY_REQUEST_METHODS = new Set(["get_param", "get_param_as_list", "post", "get_full_path", "build_absolute_uri"]);
const GO_REQUEST_MEMBERS = new Set(["Form", "PostForm", "MultipartForm", "Header", "Body", "Host", "RequestURI", "Trailer"]);
const GO_REQUEST_METHODS = new Set(["FormValue", "PostFormValue", "FormFile", "Cookie", "Cookies", "Referer", "UserAgent", "MultipartReader", "PathValue"]);
const GO_URL_MEMBERS = new Set(["Path", "RawQuery", "RawPath", "Fragment", "Host", "Opaque"]);
const GO_URL_METHODS = new Set(["Query", "String", "EscapedPath", "RequestURI", "Hostname"]);
const GO_CONTEXT_METHODS = new Set([
  "Query",
  "DefaultQuery",
  "GetQuery",
  "QueryArray",
  "QueryMap",
  "Param",
  "Params",
  "PostForm",
  "DefaultPostForm",
  "GetPostForm",
  "PostFormArray",
  "GetHeader",
  "FormValue",
  "FormParams",
  "QueryParam",
  "QueryParams",
  "QueryString",
  "Cookie",
  "Body",
  "GetRawData",
  "FormFile",
]);
const JAVA_REQUEST_METHODS = new Set([
  "getParameter",
  "getParameterValues",
  "getParameterMap",
  "getParameterNames",
  "getHeader",
  "getHeaders",
  "getQueryString",
  "getCookies",
  "getInputStream",
  "getReader",
  "getPathInfo",
  "getRequestURI",
  "getRequestURL",
  "getPart",
  "getParts",
  "getRemoteUser",
]);

/** A member (`obj.name` or `obj["name"]`) of a source container. */
export function containerMember(c: Container, name: string): MemberSource | undefined {
  switch (c) {
    case "request":
      if (name === "nextUrl") return { container: "url" };
      if (name === "request" || name === "req") return { container: "request" };
      return REQUEST_MEMBERS.has(name) ? { source: { label: `request.${name}`, remote: true } } : undefined;
    case "koa":
      if (name === "request" || name === "req") return { container: "request" };
      return KOA_MEMBERS.has(name) ? { source: { label: `ctx.${name}`, remote: true } } : undefined;
    case "url":
      return ["searchParams", "search", "pathname", "href", "hash", "query", "params"].includes(name) ? { source: { label: `url.${name}`, remote: true } } : undefined;
    case "process":
      return name === "argv" || name === "env" ? { source: { label: `process.${name}`, remote: false } } : undefined;
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
      return name === "environ" ? { source: { label: "os.environ", remote: false } } : undefined;
    case "sys":
      return name === "argv" || name === "stdin" ? { source: { label: `sys.${name}`, remote: false } } : undefined;
    case "goRequest":
      if (name === "URL") return { container: "goUrl" };
      return GO_REQUEST_MEMBERS.has(name) ? { source: { label: `r.${name}`, remote: true } } : undefined;
    case "goUrl":
      return GO_URL_MEMBERS.has(name) ? { source: { label: `r.URL.${name}`, remote: true } } : undefined;
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
      if (name === "get" || name === "header" || name === "param") return { source: { label: `req.${name}()`, remote: true } };
      // Python's request object answers the Flask / Django / Starlette / Tornado / Falcon / aiohttp accessors.
      if (PY_REQUEST_METHODS.has(name) || (family === "python" && PY_ONLY_REQUEST_METHODS.has(name))) return { source: { label: `request.${name}()`, remote: true } };
      return REQUEST_METHODS.has(name) ? { source: { label: `request.${name}()`, remote: true } } : undefined;
    case "koa":
      return name === "get" ? { source: { label: "ctx.get()", remote: true } } : undefined;
    case "url":
      return name === "toString" ? { source: { label: "url", remote: true } } : undefined;
    case "location":
      return name === "toString" ? { source: { label: "location", remote: true } } : undefined;
    case "os":
      return name === "getenv" || name === "getenvb" ? { source: { label: `os.${name}()`, remote: false } } : undefined;
    case "goOs":
      return name === "Getenv" || name === "LookupEnv" ? { source: { label: `os.${name}()`, remote: false } } : undefined;
    case "goRequest":
      return GO_REQUEST_METHODS.has(name) ? { source: { label: `r.${name}()`, remote: true } } : undefined;
    case "goUrl":
      return GO_URL_METHODS.has(name) ? { source: { label: `r.URL.${name}()`, remote: true } } : undefined;
    case "goContext":
      return GO_CONTEXT_METHODS.has(name) ? { source: { label: `c.${name}()`, remote: true } } : undefined;
    case "javaRequest":
      return JAVA_REQUEST_METHODS.has(name) ? { source: { label: `request.${name}()`, remote: true } } : undefined;
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
      if (dotted === "input" || dotted === "raw_input") return { source: { label: `${dotted}()`, remote: false } };
      if (dotted === "getenv" || dotted.endsWith("os.getenv")) return { source: { label: "os.getenv()", remote: false } };
      // argparse: `args = parser.parse_args()` holds the command line
      if (last === "parse_args" || last === "parse_known_args") return { source: { label: "the command-line arguments", remote: false } };
      // what a network peer sent: conn.recv(4096), sock.recvfrom(...), await websocket.recv()
      if (/^(?:recv|recvfrom|recv_string|recv_json)$/.test(last) && /(?:^|\.)(?:\w*sock\w*|conn|connection|client|client_socket|ws|websocket|request)\.\w+$/i.test(dotted)) return { source: { label: `${dotted}() (network data)`, remote: true } };
      return undefined;
    case "go":
      if (dotted === "mux.Vars") return { source: { label: "mux.Vars(r)", remote: true } };
      if (dotted === "chi.URLParam" || dotted === "chi.URLParamFromCtx") return { source: { label: "chi.URLParam()", remote: true } };
      if (dotted === "os.Getenv") return { source: { label: "os.Getenv()", remote: false } };
      return undefined;
    case "java":
      if (dotted === "System.getenv") return { source: { label: "System.getenv()", remote: false } };
      return undefined;
    case "js":
      if (last === "useSearchParams" || last === "useParams" || last === "useRouter") return { source: { label: `${last}()`, remote: true } };
      return undefined;
  }
}

/** Identifiers that name a source container when nothing local defines them. */
export function globalContainer(family: Family, name: string): Container | undefined {
  switch (family) {
    case "js":
      if (name === "req" || name === "request" || name === "_req") return "request";
      if (name === "process") return "process";
      if (name === "location") return "location";
      if (name === "window" || name === "globalThis" || name === "self") return "window";
      if (name === "document") return "document";
      return undefined;
    case "python":
      if (name === "request" || name === "req") return "request";
      if (name === "os") return "os";
      if (name === "sys") return "sys";
      return undefined;
    case "go":
      if (name === "os") return "goOs";
      return undefined;
    case "java":
      if (name === "request" || name === "req" || name === "httpRequest" || name === "servletRequest") return "javaRequest";
      if (name === "System") return "javaSystem";
      return undefined;
  }
}

/**
 * Members that only an API Gateway / Lambda function URL event has: read from any object, they are
 * the request (`module.exports.getUser = async (event) => event.pathParameters.id`).
 */
export const LAMBDA_EVENT_MEMBERS = new Set(["queryStringParameters", "pathParameters", "multiValueQueryStringParameters", "rawQueryString", "rawPath"]);

/** Spring / JAX-RS annotations whose parameter is request data. */
export const JAVA_SOURCE_ANNOTATIONS = new Set([
  "RequestParam",
  "PathVariable",
  "RequestBody",
  "RequestHeader",
  "CookieValue",
  "ModelAttribute",
  "RequestPart",
  "QueryParam",
  "PathParam",
  "FormParam",
  "HeaderParam",
  "CookieParam",
  "MatrixParam",
]);

/** FastAPI parameter markers whose value comes from the request. */
export const FASTAPI_MARKERS = new Set(["Query", "Body", "Form", "Path", "Header", "Cookie", "File", "UploadFile"]);

/**
 * Modules whose local names are resolved before the rules run (see ../imports.ts): `import
 * subprocess as proc`, `from os import system as run`, `const child = require("child_process")`,
 * `import { exec as run } from "child_process"`. A use of such a name as a callee or a receiver is
 * read as the module's own name (`proc.run(...)` as `subprocess.run(...)`), so the rules and the
 * taint engine, which know the modules by name, see through the renaming.
 */
export const IMPORT_MODULES: Partial<Record<Family, ReadonlySet<string>>> = {
  python: new Set([
    "os",
    "os.path",
    "subprocess",
    "commands",
    "pty",
    "pickle",
    "cPickle",
    "_pickle",
    "dill",
    "cloudpickle",
    "marshal",
    "shelve",
    "jsonpickle",
    "joblib",
    "torch",
    "yaml",
    "flask",
    "quart",
    "bottle",
    "markupsafe",
    "jinja2",
    "django.utils.safestring",
    "django.http",
    "sqlalchemy",
    "jwt",
    "builtins",
  ]),
  js: new Set(["child_process", "fs", "fs.promises", "fs-extra", "vm", "path", "node-serialize", "jsonwebtoken"]),
};

/**
 * Names imported bare that say too little without their module (`from pickle import loads`:
 * `loads(data)` could be json's): their uses are read as `module.name` too, renamed or not.
 */
export const QUALIFY_BARE: Readonly<Record<string, ReadonlySet<string>>> = {
  pickle: new Set(["loads", "load", "Unpickler"]),
  cPickle: new Set(["loads", "load", "Unpickler"]),
  _pickle: new Set(["loads", "load", "Unpickler"]),
  dill: new Set(["loads", "load"]),
  cloudpickle: new Set(["loads", "load"]),
  marshal: new Set(["loads", "load"]),
  shelve: new Set(["open"]),
  jsonpickle: new Set(["decode", "loads"]),
  joblib: new Set(["load"]),
  torch: new Set(["load"]),
  yaml: new Set(["load", "load_all", "unsafe_load", "unsafe_load_all", "full_load", "full_load_all"]),
  jwt: new Set(["decode"]),
  // `from os.path import join`: join(BASE, name) is a path join
  "os.path": new Set(["join", "abspath", "realpath", "normpath"]),
  // `from subprocess import run`: a local `run` is not a subprocess
  subprocess: new Set(["run", "call", "Popen", "check_output", "check_call"]),
  // JavaScript: `import { join } from "path"` (join is too common a name to be read as path.join)
  path: new Set(["join", "resolve", "normalize"]),
};

/** Module attributes that are a source container (`flask.request.args` after `import flask`). */
export const MODULE_CONTAINERS: Partial<Record<Family, Readonly<Record<string, Container>>>> = {
  python: { "flask.request": "request", "quart.request": "request", "bottle.request": "request", "sanic.request": "request" },
};

/**
 * Environment variables that hold a command by convention: the user's pager, editor, shell,
 * browser, compiler. A program runs them on purpose (`pydoc` pipes into `$PAGER`, `git` opens
 * `$EDITOR`); whoever sets them already runs commands as that user.
 */
export const COMMAND_ENV_VARS = [
  "PAGER", "MANPAGER", "GIT_PAGER", "EDITOR", "VISUAL", "GIT_EDITOR", "SHELL", "BROWSER", "TERMINAL",
  "CC", "CXX", "CPP", "LD", "AR", "RANLIB", "LDSHARED", "MAKE", "SUDO_ASKPASS", "SSH_ASKPASS", "GIT_SSH_COMMAND",
  "DIFFTOOL", "MERGETOOL",
];

/** A read of one of those: `os.environ["PAGER"]`, `os.environ.get("EDITOR", "vi")`, `process.env.EDITOR`, `os.getenv("CC")`. */
export const COMMAND_ENV_READ = new RegExp(
  `^(?:os\\.environ(?:\\.get)?|environ(?:\\.get)?|os\\.getenv|getenv|process\\.env|System\\.getenv|os\\.Getenv|os\\.LookupEnv)\\s*[\\[.(]\\s*["'\`]?(?:${COMMAND_ENV_VARS.join("|")})["'\`]?\\s*(?:\\]|\\)|,\\s*[^()+]*\\))?$`,
);
