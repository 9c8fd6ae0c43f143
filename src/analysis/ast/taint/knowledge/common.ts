/**
 * Knowledge shared by every language: method names whose result is text derived from the
 * receiver, a number or a boolean, or that put a value into a collection; configuration and
 * environment names; file readers, path joins, archive listings, URL parts.
 */

/** Methods that build a string from the receiver and the arguments. */
export const BUILDING_METHODS = new Set([
  "join",
  "concat",
  "format",
  "replace",
  "replaceAll",
  "append",
  "padStart",
  "padEnd",
  "repeat",
  "insert",
  "formatted",
  "resolve",
  "resolveSibling",
  "joinpath",
  "with_name",
]);

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

/** Methods that put a value into a collection or builder: `x.push(v)` makes `x` carry `v`. */
export const MUTATING_METHODS = new Set([
  "push",
  "unshift",
  "append",
  "extend",
  "add",
  "insert",
  "appendleft",
  "update",
  "set",
  "put",
  "WriteString",
]);

/** Methods whose result is the receiver's data, reshaped (a string, a list, a promise, a mapping). */
export const STRING_METHODS = new Set([
  "toString",
  "trim",
  "trimStart",
  "trimEnd",
  "toLowerCase",
  "toUpperCase",
  "toLocaleLowerCase",
  "toLocaleUpperCase",
  "normalize",
  "split",
  "slice",
  "substring",
  "substr",
  "at",
  "charAt",
  "strip",
  "lstrip",
  "rstrip",
  "lower",
  "upper",
  "title",
  "capitalize",
  "casefold",
  "decode",
  "encode",
  "splitlines",
  "rsplit",
  "partition",
  "getvalue",
  "read",
  "read_text",
  "read_bytes",
  "readline",
  "readlines",
  "toString",
  "valueOf",
  "getBytes",
  "toCharArray",
  "then",
  "map",
  "filter",
  "flat",
  "flatMap",
  "reduce",
  "items",
  "keys",
  "values",
  "entries",
  "copy",
  "to_dict",
  "dict",
  "model_dump",
  "getlist",
  "get",
  "pop",
  "first",
  "last",
]);

/** Listings of archive members: their names come from the archive (zip slip). */
export const ARCHIVE_LISTINGS = new Set(["namelist", "infolist", "getmembers", "getnames", "getEntries"]);

/** Path joins build a path from parts: a part from outside makes the result "built" like a concatenation. */
export const PATH_JOIN =
  /(?:^|\.)(?:path\.join|path\.resolve|os\.path\.join|posixpath\.join|filepath\.Join|path\.Join|Paths\.get|Path\.of)$/;

/** Reading a file whose path is constant yields the application's own data, not input. */
export const FILE_READERS = new Set([
  "readFileSync",
  "readFile",
  "open",
  "read_text",
  "read_bytes",
  "require",
  "ReadFile",
  "readAllBytes",
  "readString",
]);

/** Labels of environment reads (os.environ, os.getenv(), process.env, System.getenv(), os.Getenv()). */
export const ENV_LABEL = /(?:environ|getenv|Getenv|LookupEnv|\.env\b|process\.env)/;

/** Names of configuration objects: `settings.MEDIA_ROOT`, `config.cacheDir`, `app.config["X"]`. */
export const CONFIG_NAMES =
  /^(?:settings|config|conf|cfg|CONFIG|SETTINGS|[a-z]\w*_(?:config|conf|settings)|[a-z]\w*(?:Config|Conf|Settings))$/;

/** Members of a URL that name its origin (a check on them is an origin check). */
export const URL_PARTS = new Set(["hostname", "host", "netloc", "scheme", "protocol", "origin", "port", "Host", "Scheme"]);

/**
 * Environment variables that hold a command by convention: the user's pager, editor, shell,
 * browser, compiler. A program runs them on purpose (`pydoc` pipes into `$PAGER`, `git` opens
 * `$EDITOR`); whoever sets them already runs commands as that user.
 */
export const COMMAND_ENV_VARS = [
  "PAGER",
  "MANPAGER",
  "GIT_PAGER",
  "EDITOR",
  "VISUAL",
  "GIT_EDITOR",
  "SHELL",
  "BROWSER",
  "TERMINAL",
  "CC",
  "CXX",
  "CPP",
  "LD",
  "AR",
  "RANLIB",
  "LDSHARED",
  "MAKE",
  "SUDO_ASKPASS",
  "SSH_ASKPASS",
  "GIT_SSH_COMMAND",
  "DIFFTOOL",
  "MERGETOOL",
];

/** A read of one of those: `os.environ["PAGER"]`, `os.environ.get("EDITOR", "vi")`, `process.env.EDITOR`, `os.getenv("CC")`. */
export const COMMAND_ENV_READ = new RegExp(
  `^(?:os\\.environ(?:\\.get)?|environ(?:\\.get)?|os\\.getenv|getenv|process\\.env|System\\.getenv|os\\.Getenv|os\\.LookupEnv)\\s*[\\[.(]\\s*["'\`]?(?:${COMMAND_ENV_VARS.join("|")})["'\`]?\\s*(?:\\]|\\)|,\\s*[^()+]*\\))?$`,
);

/**
 * Members of a path or an archive member that a containment check tests (`ROOT not in p.parents`,
 * `".." in p.parts`, `".." in member.filename`): a check on them checks the value.
 */
export const PATH_PART_MEMBERS = /^(?:parents|parent|parts|filename|name|arcname)$/;
