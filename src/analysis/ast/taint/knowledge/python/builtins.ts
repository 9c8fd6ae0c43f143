/**
 * Python and its standard library: functions that pass their arguments' data through (wrappers),
 * build a string or a list from them, the `os` / `sys` sources, `input()`, data read from a socket,
 * and pathlib's name-only members.
 */

/** Functions whose result is their arguments' data, reshaped (not sanitised). */
export const WRAPPERS = [
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
];

/** Functions that build a string from their arguments. */
export const BUILDERS = ["format"];

/** Wrappers whose result is a list of their arguments. */
export const COLLECTIONS = ["list", "tuple", "sorted", "reversed"];

/** Wrappers whose result is their first argument's data, the rest being options: compile(source, "<rule>", "exec"). */
export const FIRST_ARG_WRAPPERS = ["compile", "ast.parse"];

/** `os.environ`: the environment (a local source). */
export const OS_ENVIRON = "environ";
/** `os.getenv("X")`, `os.getenvb(b"X")`. */
export const OS_GETENV = new Set(["getenv", "getenvb"]);
/** `sys.argv`, `sys.stdin`: the command line and standard input. */
export const SYS_MEMBERS = new Set(["argv", "stdin"]);

/** `input()`, `raw_input()`: what the user types. */
export const INPUT_FUNCTIONS = new Set(["input", "raw_input"]);

/** What a network peer sent: conn.recv(4096), sock.recvfrom(...), await websocket.recv(). */
export const RECV_METHOD = /^(?:recv|recvfrom|recv_string|recv_json)$/;
export const RECV_RECEIVER = /(?:^|\.)(?:\w*sock\w*|conn|connection|client|client_socket|ws|websocket|request)\.\w+$/i;

/** PurePath(upload.filename).name, Path(p).name: the last part only, no directories. */
export const PATH_NAME_MEMBERS = new Set(["name", "stem", "suffix"]);
export const PATHLIB_CALL = /^(?:pathlib\.)?(?:Pure)?(?:Posix|Windows)?Path\s*\(/;

/** Names of the method's own object in a parameter list (skipped when matching arguments). */
export const SELF_NAMES = new Set(["self", "cls"]);
