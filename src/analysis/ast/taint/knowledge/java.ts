/**
 * Java: the Servlet request's accessors, Spring / JAX-RS parameter annotations and request types,
 * the standard library's (and Commons IO's, Spring's) wrappers and builders, and parameter types
 * that carry no text.
 */

/** Methods of HttpServletRequest that return what the client sent. */
export const JAVA_REQUEST_METHODS = new Set([
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

/** Names a request goes by when nothing local defines them. */
export const JAVA_REQUEST_NAMES = new Set(["request", "req", "httpRequest", "servletRequest"]);

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

/** Functions whose result is their arguments' data, reshaped (not sanitised). */
export const WRAPPERS = [
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
];

/** Functions that build a string from their arguments. */
export const BUILDERS = ["String.format", "String.join", "MessageFormat.format", "formatted"];

/** Wrappers whose result is a list of their arguments (an argument vector stays one: `List.of("convert", name)`). */
export const COLLECTIONS = ["Arrays.asList", "List.of"];
export const FIRST_ARG_WRAPPERS: string[] = [];

/** Parameter types that carry no text. */
export const JAVA_SAFE_TYPE =
  /^(?:int|long|short|byte|double|float|boolean|char|Integer|Long|Short|Double|Float|Boolean|UUID|LocalDate|LocalDateTime|Instant)$/;
/** Request parameters by type. */
export const JAVA_REQUEST_TYPE = /\b(?:HttpServletRequest|ServletRequest|HttpRequest|WebRequest|ServerHttpRequest)\b/;
/** `main(String[] args)`: the command line. */
export const JAVA_MAIN_ARGS = /String\s*\[\]|String\.\.\./;
