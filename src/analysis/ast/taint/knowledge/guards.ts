/**
 * What a check looks like in source text: calls and operators that validate a value (allow-list
 * membership, regex tests, `is_safe_*` helpers, path containment), statements that check and
 * throw, negations, and the statements that leave a branch (so an `if` guards what follows).
 */

/** A condition that validates a value (an allow-list, a pattern, a containment or origin check). */
export const VALIDATION =
  /\.(?:includes|has|indexOf|contains|containsKey|test|match|matches|fullmatch|startsWith|startswith|isdigit|isalnum|isnumeric|isdecimal|isalpha|isidentifier|isInteger|isSafeInteger|MatchString|is_relative_to|relative_to|IsLocal)\s*\(|\bnot\s+in\b|\bin\s+[A-Za-z_]|\b(?:re\.(?:match|fullmatch|search)|isValid\w*|is_valid\w*|is_safe\w*|isSafe\w*|url_has_allowed_host_and_scheme|isAllowed\w*|is_allowed\w*|validat\w*|allowed\w*|is[A-Z][A-Za-z]*(?=\s*\()|(?<![\w.])is_\w*(?:within|inside|under|safe|sub_?path|relative|contained|child|descendant)\w*(?=\s*\()|(?<![\w.])\w*(?:[wW]ithin|[iI]nside)\w*(?=\s*\()|ALLOWED\w*|whitelist\w*|allowlist\w*|_?check_(?!output\b|call\b)\w+(?=\s*\()|commonpath|commonprefix|slices\.Contains|strings\.Contains(?:Any)?(?=\s*\([^,()]+,\s*["'`](?:\.\.|\/|\\\\))|strings\.HasPrefix|filepath\.Rel)\b/;
/** A split on "/" (`name.split("/")`, `p.rsplit("/", 1)`), whose last part has no directory in it. */
export const SPLIT_ON_SLASH = /\.r?split\s*\(\s*(?:["'`]\/["'`]|\/\\\/\/|\/\[[^\]]*\/[^\]]*\]\/)\s*(?:,\s*\d+\s*)?\)$/;
/** A call made for its check alone, named for where a path may go: `ensure_within_root(p)`, `assertSafePath(full)`, `validate_path(p)`. */
export const STATEMENT_CHECK =
  /^(?:await\s+)?(?:[\w$]+\.)*_?(?:(?:ensure|assert|validate|verify|check|guard|require)_?\w*(?:[wW]ithin|[iI]nside|[uU]nder|[sS]afe|[tT]raversal|[cC]ontained)|(?:validate|verify)_?\w*(?:[pP]ath|[fF]ile[nN]ame))\w*\s*\(/;
/** A condition that reads as a negation (the check fails in its consequence). */
export const NEGATED = /^\s*\(?\s*!(?!=)|^\s*not\s|\bnot\s+in\b|!==?|===?\s*-1\b|<\s*0\b|===?\s*false\b|==\s*False\b|\bis\s+None\b/;
/** Statements that leave the block (so an `if` whose body has one guards what follows it). */
export const EXITS = /\b(?:return|throw|raise|abort|continue|break|exit|panic|redirect)\b|http\.Error|sys\.exit|os\.Exit|\bnext\s*\(/;
