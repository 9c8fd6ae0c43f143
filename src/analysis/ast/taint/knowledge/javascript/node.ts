/**
 * Node.js and the JavaScript language: functions that pass their arguments' data through
 * (wrappers), build a string from them (builders) or a list of them (collections), and the
 * `process` object's sources.
 */

/** Functions whose result is their arguments' data, reshaped (not sanitised). */
export const WRAPPERS = [
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
];

/** Functions that build a string from their arguments (format strings, joins): the result is "built". */
export const BUILDERS = ["util.format", "format", "sprintf", "vsprintf", "concat"];

/** Wrappers whose result is a list of their arguments. */
export const COLLECTIONS = ["Array.from", "Array.of"];

/** Wrappers whose result is their first argument's data, the rest being options. */
export const FIRST_ARG_WRAPPERS: string[] = [];

/** `process.argv`, `process.env`: the command line and the environment (local sources). */
export const PROCESS_MEMBERS = new Set(["argv", "env"]);

/** The global that holds them. */
export const PROCESS_NAME = "process";

/** Path joins imported bare (`import { join } from "path"`): `join(a, b)`, `resolve(a, b)` build a path. */
export const BARE_PATH_JOINS = new Set(["join", "resolve"]);

/** `path.join(root, path.join("/", name))`: a join or normalisation of a rooted path (see evalCall). */
export const ROOTED_JOIN = /^(?:path\.)?(?:posix\.)?(?:join|normalize)$/;
/** The join a call is an argument of (see underRoot). */
export const OUTER_JOIN = /^(?:path\.)?(?:posix\.)?join$/;
/** `path.normalize(p)` as the receiver of a `.replace` that strips leading `..` parts. */
export const NORMALIZE_CALL = /^(?:path\.)?(?:posix\.)?normalize\s*\(/;

/** adm-zip's `entry.entryName`: a name inside an archive, chosen by whoever made it (zip slip). */
export const ARCHIVE_ENTRY_NAME = "entryName";
