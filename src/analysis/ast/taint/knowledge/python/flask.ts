/**
 * Flask, Quart and Werkzeug (and the route decorators other Python frameworks share with them):
 * the request's members and methods, route decorators and URL converters, `type=` conversions,
 * uploaded files, and the module-level `request` objects.
 */
import type { Container } from "../../value.js";

/** Members of Flask's request that hold what the client sent. */
export const REQUEST_MEMBERS = ["args", "form", "values", "json", "data", "view_args", "full_path", "query_string", "stream"];

/** Methods of Flask's request that return what the client sent (`request.get_json()`). */
export const REQUEST_METHODS = ["get_json", "get_data", "json", "form", "body", "stream"];

/**
 * Route decorators: @app.route("/x/<name>"), @app.get("/items/{id}"), @router.post(...), DRF's
 * @api_view, Bottle's @route: the view's parameters are the URL's.
 */
export const ROUTE_DECORATOR = /\.(?:route|get|post|put|patch|delete|api_route|websocket)\s*\(|@api_view\b|@route\b/;

/** Converters: @app.route("/reports/<int:year>"), "/items/{id:int}" hand the view a number (or a UUID). */
export const CONVERTED_CAPTURE = /<(?:int|float|uuid)(?:\([^)]*\))?:(\w+)>|\{(\w+):(?:int|float|uuid)\}/g;

/** `request.args.get("page", type=int)`: Werkzeug converts the value (a number, a UUID, a flag) or drops it. */
export const WERKZEUG_TYPES = /^(?:int|float|bool|uuid\.UUID|UUID)$/;
export const WERKZEUG_GETTERS = new Set(["get", "getlist"]);

/** An upload (`request.files["data"]`): a file object; its `.stream` and FastAPI's `upload.file` too. */
export const UPLOAD_FILE_MEMBERS = new Set(["stream", "file"]);
export const UPLOADS_LABEL = /(?:^|\.)(?:files|FILES)$/;

/** Module attributes that are a source container (`flask.request.args` after `import flask`). */
export const MODULE_CONTAINERS: Readonly<Record<string, Container>> = {
  "flask.request": "request",
  "quart.request": "request",
  "bottle.request": "request",
  "sanic.request": "request",
};

/** `app.config["UPLOAD_DIR"]`, `current_app.config`, `this.config.cacheDir`: the holder of an application's configuration. */
export const CONFIG_HOLDER = /^(?:app|current_app|self|this|flask\.current_app)\.\w+$/;
