/** Tornado: the request's argument members and the RequestHandler accessors (`self.get_argument("q")`). */

/** Members of Tornado's request that hold what the client sent. */
export const REQUEST_MEMBERS = ["arguments", "body_arguments", "query_arguments"];

/** Methods on a request object that return request data. */
export const REQUEST_METHODS = ["get_argument", "get_query_argument", "get_body_argument", "get_arguments"];

/** RequestHandler accessors, called on `self`. */
export const TORNADO_SOURCES = new Set([
  "get_argument",
  "get_arguments",
  "get_query_argument",
  "get_query_arguments",
  "get_body_argument",
  "get_body_arguments",
  "get_cookie",
  "get_secure_cookie",
  "get_signed_cookie",
  "decode_argument",
]);
