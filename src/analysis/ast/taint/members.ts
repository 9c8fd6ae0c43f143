/**
 * Members and subscripts: `obj.name` and `obj["name"]` of an evaluated object, source containers'
 * members (request, process, location...), configuration, uploads, and checks on a member itself.
 */
import type { SgNode } from "@ast-grep/napi";
import { scopeNodeOf } from "./fileIndex.js";
import { guarded } from "./guards.js";
import { scopeInfo } from "./scopes.js";
import type { TaintEngine } from "./engine.js";
import {
  ANGULAR_ROUTE,
  ANGULAR_ROUTE_MEMBERS,
  ARCHIVE_ENTRY_NAME,
  CONFIG_HOLDER,
  CONFIG_NAMES,
  containerMember,
  CONTEXT_REQUEST_MEMBER,
  ENV_LABEL,
  LAMBDA_EVENT_MEMBERS,
  type MemberSource,
  MODULE_CONTAINERS,
  PATH_NAME_MEMBERS,
  PATHLIB_CALL,
  SAFE_RESULT,
  SPLIT_ON_SLASH,
  UPLOAD_FILE_MEMBERS,
  UPLOAD_LABEL,
  UPLOAD_STORED_MEMBERS,
  UPLOADS_LABEL,
} from "./knowledge/index.js";
import { fld, MAX_LABEL, stripQuotes } from "./nodes.js";
import { CLEAN, clean, containerVal, derived, SAFE, safe, SOURCE, sourced, UNKNOWN, unknown, type Val } from "./value.js";

export function memberName(e: TaintEngine, n: SgNode, k: string): { object: SgNode | null; name: string } {
  switch (k) {
    case "member_expression":
      return { object: fld(n, "object"), name: fld(n, "property")?.text() ?? "" };
    case "attribute":
      return { object: fld(n, "object"), name: fld(n, "attribute")?.text() ?? "" };
    case "selector_expression":
      return { object: fld(n, "operand"), name: fld(n, "field")?.text() ?? "" };
    case "field_access":
      return { object: fld(n, "object"), name: fld(n, "field")?.text() ?? "" };
    default:
      return { object: null, name: "" };
  }
}

export function fromMemberSource(e: TaintEngine, m: MemberSource | undefined, at: SgNode): Val | undefined {
  if (!m) return undefined;
  if (m.container) return containerVal(m.container);
  // An address from the environment (`${process.env.USER_SERVICE_URL}/users/${id}`) is a configured origin,
  // like `settings.USER_SERVICE`: its name stands for it, so a path put after it keeps the origin fixed.
  if (m.source && !m.source.remote && (e.opts.category === "ssrf" || e.opts.category === "open-redirect") && ENV_LABEL.test(m.source.label))
    return clean(e.label(at));
  // A deserialiser handed the environment's value (`joblib.load(os.environ["MODEL_PATH"])`) loads the operator's own file.
  if (m.source && !m.source.remote && e.opts.category === "insecure-deserialization" && ENV_LABEL.test(m.source.label)) return clean("");
  if (m.source) return sourced(e.label(at), m.source.remote);
  return undefined;
}

/** `base.name` for an evaluated base. */
export function member(e: TaintEngine, base: Val, name: string, at: SgNode): Val {
  if (base.container) {
    const m = fromMemberSource(e, containerMember(base.container, name), at);
    if (m) return m;
    if (base.level === SOURCE) return derived(base);
    return unknown();
  }
  if (SAFE_RESULT.has(name)) return safe("number");
  // PurePath(upload.filename).name, Path(p).name: the last part only, no directories.
  if (e.opts.category === "path-traversal" && e.family === "python" && PATH_NAME_MEMBERS.has(name) && PATHLIB_CALL.test(e.head(at, 60)))
    return safe();
  if (base.level === UNKNOWN && !base.state && LAMBDA_EVENT_MEMBERS.has(name)) return sourced(e.label(at), true);
  // Hono's `c.req`, Azure Functions' `context.req`: a framework context's request.
  if (name === CONTEXT_REQUEST_MEMBER && base.level === UNKNOWN && !base.state && e.family === "js") return containerVal("request");
  // app.config["UPLOAD_DIR"], current_app.config, this.config.cacheDir: the application's configuration.
  if (base.level !== SOURCE && CONFIG_NAMES.test(name) && CONFIG_HOLDER.test(e.text(at))) return clean(at.text());
  // Angular: this.route.snapshot.queryParamMap / paramMap / queryParams (the page URL).
  if (ANGULAR_ROUTE_MEMBERS.test(name) && ANGULAR_ROUTE.test(e.head(at, 80))) return sourced(e.label(at), true);
  // Names inside an archive are chosen by whoever made it (zip slip): adm-zip's entry.entryName.
  if (name === ARCHIVE_ENTRY_NAME && base.level >= UNKNOWN) return sourced(e.label(at), true);
  // An upload (`request.files["data"]`, its `.stream`, FastAPI's `upload.file`) is a file object, not a
  // path: `pd.read_csv(request.files["data"])` reads the upload. Its `.filename` is the client's text.
  if (base.level === SOURCE && uploadObject(e, base, name)) return { ...derived(base), shape: "object" };
  if (base.level === SOURCE) {
    const v = derived(base);
    // Name the source by the longest plain member chain: `req.query.file`, not `req.query`.
    const t = e.size(at) <= MAX_LABEL ? at.text() : "";
    if (v.source && t && t.startsWith(v.source.label) && /^[\w$.[\]'"]+$/.test(t)) v.source = { ...v.source, label: t };
    return v;
  }
  if (base.level <= SAFE) return base.level === CLEAN ? clean("") : safe();
  return unknown();
}

/** For paths: whether `base[name]` / `base.name` is an uploaded file object (see member). */
export function uploadObject(e: TaintEngine, base: Val, name: string): boolean {
  if (e.opts.category !== "path-traversal" || e.family !== "python") return false;
  if (base.shape === "object") return UPLOAD_FILE_MEMBERS.has(name);
  return !!base.source && UPLOADS_LABEL.test(base.source.label) && name !== "getlist";
}

export function evalMember(e: TaintEngine, n: SgNode, k: string): Val {
  const { object, name } = memberName(e, n, k);
  if (!object) return unknown();
  // `self.request` / `this.request` (class-based views) is the request.
  if ((name === "request" || name === "req") && e.size(object) <= 4 && /^(?:self|this)$/.test(object.text()))
    return containerVal(e.family === "java" ? "javaRequest" : "request");
  // A module's request object by its full name: `flask.request.args` after `import flask`.
  const moduleContainer = MODULE_CONTAINERS[e.family]?.[name === "request" && e.size(n) <= 40 ? n.text() : ""];
  if (moduleContainer) return containerVal(moduleContainer);
  const ov = e.eval(object);
  // req.file.path (multer), files.doc.filepath (formidable): where the upload library stored the upload, its own name
  if (e.family === "js" && ov.level === SOURCE && ov.source && UPLOAD_STORED_MEMBERS.has(name) && UPLOAD_LABEL.test(ov.source.label))
    return safe();
  // Tables.AUDIT, Status.ACTIVE, constants.TABLE_NAME: an upper-case member of a name this file does
  // not define is another module's constant or an enum value (a request's GET/POST/FILES are containers).
  if (
    ov.level === UNKNOWN &&
    !ov.container &&
    !ov.source &&
    /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/.test(name) &&
    name.length >= 2 &&
    e.kind(object) === "identifier" &&
    !/^(?:self|this|cls|req|request|ctx|event|r|c)$/.test(object.text())
  )
    return clean("");
  const v = member(e, ov, name, n);
  // self.cache_file, this.dir: the object's own state, set up from configuration.
  if (v.level === UNKNOWN && !v.container) {
    const ok = e.kind(object);
    if (ok === "this" || ok === "self" || (ok === "identifier" && object.text() === "self")) return { ...v, state: true };
  }
  // A check on the member itself guards it too: `if (!validator.isURL(req.query.u)) return`.
  if (v.level === SOURCE && !v.container) {
    const text = e.size(n) <= 80 ? n.text() : "";
    if (text && /^[\w$.]+$/.test(text)) return guarded(e, v, text, n, scopeInfo(e, scopeNodeOf(e, n)));
  }
  return v;
}

export function evalSubscript(e: TaintEngine, n: SgNode, k: string): Val {
  const object = fld(n, "object") ?? fld(n, "value") ?? fld(n, "operand") ?? fld(n, "array");
  if (!object) return unknown();
  const base = e.eval(object);
  if (k === "slice_expression") return derived(base);
  const index = fld(n, "index") ?? fld(n, "subscript");
  // A lookup in a literal map or list is an allow-list: the result is one of its values.
  if (base.level <= SAFE && (base.shape === "object" || base.shape === "array")) return base.level === CLEAN ? clean("") : safe();
  // name.split("/")[-1], name.rsplit("/", 1)[-1]: the last part, no directory in it
  if (e.opts.category === "path-traversal" && index && /^-1$/.test(e.text(index)) && SPLIT_ON_SLASH.test(e.head(object, 200)))
    return safe();
  const key = index && e.syntax.stringKinds.has(e.kind(index)) ? stripQuotes(e.text(index)) : "[]";
  return member(e, base, key, n);
}
