/**
 * The request object of Node's web frameworks (Express, Fastify, Hapi, Next.js API routes, and
 * Hono's or Azure Functions' `context.req`): its members and accessor methods, the names it goes
 * by, and what upload middleware (multer, express-fileupload, formidable) puts on it.
 */

/** Members of a request that hold what the client sent (Express / Koa / Fastify / Next.js / Hapi). */
export const REQUEST_MEMBERS = [
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
];

/** Accessors that return request data (`req.get("x")`, `await request.json()`). */
export const REQUEST_METHODS = ["get", "header", "param", "json", "text", "formData", "arrayBuffer", "blob", "query"];

/** Express's own accessors, labelled `req.name()`. */
export const EXPRESS_GETTERS = new Set(["get", "header", "param"]);

/** Names a request object goes by when nothing local defines them. */
export const REQUEST_NAMES = new Set(["req", "request", "_req"]);

/** Members of a request object that are the request again (`req.request`, `ctx.req`). */
export const NESTED_REQUEST = new Set(["request", "req"]);

/** Hono's `c.req`, Azure Functions' `context.req`: a framework context's request. */
export const CONTEXT_REQUEST_MEMBER = "req";

/** A handler's second parameter when its first is the request: `(req, res)`, `(request, reply)`. */
export const RESPONSE_PARAM = /^(?:res|reply|response|resp)$/;

/** Receivers that are a request (a file read on one is not the app's own file). */
export const REQUEST_RECEIVER = /^(?:req|request|ctx)$/;

/**
 * Members of an uploaded file (multer's `req.file`, express-fileupload's `req.files.x`, formidable's
 * files) that the upload library chose: where it stored the upload and its size. (`originalname`,
 * `name` and `filename` can be the client's.)
 */
export const UPLOAD_STORED_MEMBERS = new Set(["path", "destination", "tempFilePath", "filepath", "newFilename", "size"]);

/** A source label that is an upload (`req.file`, `req.files.doc`, `files.doc`). */
export const UPLOAD_LABEL = /(?:^|\.)files?(?:$|[.[])/;
