/** Koa (and Koa-style routers): the `ctx` context's request members and accessors, and what Koa code looks like. */

/** Members of Koa's `ctx` that hold what the client sent. */
export const KOA_MEMBERS = new Set([
  "query",
  "params",
  "querystring",
  "headers",
  "header",
  "cookies",
  "path",
  "url",
  "href",
  "search",
  "originalUrl",
]);

/** `ctx.get("x")`: a request header. */
export const KOA_GETTER = "get";

/** The name of Koa's context parameter. */
export const KOA_CONTEXT_NAME = "ctx";

/** A file that reads like Koa code: `koa` imported, or `ctx.body`/`ctx.request`/`ctx.query` used. */
export const KOA_FILE = /koa|\bctx\.(?:body|request|query|params|status|throw|redirect|cookies|set|get|state|response)\b/;
