/**
 * The syntax the taint engine needs from each language family: which nodes are functions,
 * blocks and branches, which bind names (declarations, assignments, loops, `x.push(v)`), and
 * the tree-sitter kinds of literals. Kept apart from the evaluator so a family is one table.
 */
import { kind as kindId, type NapiConfig } from "@ast-grep/napi";
import { FAMILY, NAPI_LANG, type AstLanguage, type Family } from "../languages.js";
import { GO_DECODERS, MUTATING_METHODS } from "./knowledge/index.js";

export interface FamilySyntax {
  functionKinds: ReadonlySet<string>;
  /** Statement containers: a definition directly in one reaches what follows in it. */
  blockKinds: ReadonlySet<string>;
  /** Constructs that run a part conditionally or repeatedly. */
  branchKinds: ReadonlySet<string>;
  /** Finds every node that may bind a name, in one traversal. */
  defRule: NapiConfig;
  functionRule: NapiConfig;
  /** Functions, definitions and return statements in one traversal (the engine's file index). */
  indexRule: NapiConfig;
  /** The kinds defRule finds (a call among them is one of its mutating or decoding calls). */
  defKinds: ReadonlySet<string>;
  stringKinds: ReadonlySet<string>;
  /** Literals that are not strings: numbers, booleans, null. */
  constantKinds: ReadonlySet<string>;
  constantNames: ReadonlySet<string>;
}

const mutating = `^(?:${[...MUTATING_METHODS].join("|")})$`;

const kinds = (list: string[]): NapiConfig => ({ rule: { any: list.map((kind) => ({ kind })) } }) as NapiConfig;

const JS_FUNCTIONS = [
  "function_declaration",
  "function_expression",
  "arrow_function",
  "method_definition",
  "generator_function_declaration",
  "generator_function",
  "function",
];
const PY_FUNCTIONS = ["function_definition", "lambda"];
const GO_FUNCTIONS = ["function_declaration", "method_declaration", "func_literal"];
const JAVA_FUNCTIONS = ["method_declaration", "constructor_declaration", "lambda_expression", "compact_constructor_declaration"];

export const SYNTAX: Record<Family, Omit<FamilySyntax, "indexRule" | "defKinds">> = {
  js: {
    functionKinds: new Set(JS_FUNCTIONS),
    blockKinds: new Set(["statement_block", "program", "class_body", "switch_body"]),
    branchKinds: new Set([
      "if_statement",
      "else_clause",
      "for_statement",
      "for_in_statement",
      "while_statement",
      "do_statement",
      "switch_case",
      "switch_default",
      "try_statement",
      "catch_clause",
      "ternary_expression",
    ]),
    defRule: {
      rule: {
        any: [
          { kind: "variable_declarator" },
          { kind: "assignment_expression" },
          { kind: "augmented_assignment_expression" },
          { kind: "for_in_statement" },
          { kind: "function_declaration" },
          {
            kind: "call_expression",
            has: { field: "function", kind: "member_expression", has: { field: "property", regex: mutating } },
          },
        ],
      },
    } as NapiConfig,
    functionRule: kinds(JS_FUNCTIONS),
    stringKinds: new Set(["string", "template_string"]),
    constantKinds: new Set(["number", "true", "false", "null", "undefined", "regex"]),
    constantNames: new Set(["undefined", "NaN", "Infinity", "__dirname", "__filename"]),
  },
  python: {
    functionKinds: new Set(PY_FUNCTIONS),
    blockKinds: new Set(["block", "module"]),
    branchKinds: new Set([
      "if_statement",
      "elif_clause",
      "else_clause",
      "for_statement",
      "while_statement",
      "try_statement",
      "except_clause",
      "finally_clause",
      "conditional_expression",
      "match_statement",
      "case_clause",
      "with_statement",
    ]),
    defRule: {
      rule: {
        any: [
          { kind: "assignment" },
          { kind: "augmented_assignment" },
          { kind: "for_statement" },
          { kind: "named_expression" },
          { kind: "function_definition" },
          { kind: "as_pattern", inside: { kind: "with_item" } },
          {
            kind: "call",
            has: { field: "function", kind: "attribute", has: { field: "attribute", regex: mutating } },
          },
        ],
      },
    } as NapiConfig,
    functionRule: kinds(PY_FUNCTIONS),
    stringKinds: new Set(["string", "concatenated_string"]),
    constantKinds: new Set(["integer", "float", "true", "false", "none", "ellipsis"]),
    constantNames: new Set(["__file__", "__name__"]),
  },
  go: {
    functionKinds: new Set(GO_FUNCTIONS),
    blockKinds: new Set(["block", "statement_list", "source_file"]),
    branchKinds: new Set([
      "if_statement",
      "for_statement",
      "expression_switch_statement",
      "type_switch_statement",
      "expression_case",
      "type_case",
      "default_case",
      "select_statement",
      "communication_case",
    ]),
    defRule: {
      rule: {
        any: [
          { kind: "short_var_declaration" },
          { kind: "assignment_statement" },
          { kind: "var_spec" },
          { kind: "const_spec" },
          { kind: "range_clause" },
          {
            kind: "call_expression",
            has: { field: "function", kind: "selector_expression", has: { field: "field", regex: mutating } },
          },
          // json.NewDecoder(r.Body).Decode(&reg), json.Unmarshal(body, &reg), c.ShouldBindJSON(&req)
          {
            kind: "call_expression",
            has: { field: "function", regex: `(?:^|\\.)(?:${GO_DECODERS})$` },
          },
        ],
      },
    } as NapiConfig,
    functionRule: kinds(GO_FUNCTIONS),
    stringKinds: new Set(["interpreted_string_literal", "raw_string_literal"]),
    constantKinds: new Set(["int_literal", "float_literal", "imaginary_literal", "rune_literal", "true", "false", "nil", "iota"]),
    constantNames: new Set(["nil", "true", "false", "iota"]),
  },
  java: {
    functionKinds: new Set(JAVA_FUNCTIONS),
    blockKinds: new Set(["block", "program", "class_body", "constructor_body", "switch_block_statement_group"]),
    branchKinds: new Set([
      "if_statement",
      "for_statement",
      "enhanced_for_statement",
      "while_statement",
      "do_statement",
      "try_statement",
      "catch_clause",
      "finally_clause",
      "switch_block_statement_group",
      "switch_rule",
      "ternary_expression",
    ]),
    defRule: {
      rule: {
        any: [
          { kind: "variable_declarator" },
          { kind: "assignment_expression" },
          { kind: "enhanced_for_statement" },
          { kind: "method_invocation", has: { field: "name", regex: mutating } },
        ],
      },
    } as NapiConfig,
    functionRule: kinds(JAVA_FUNCTIONS),
    stringKinds: new Set(["string_literal", "text_block"]),
    constantKinds: new Set([
      "decimal_integer_literal",
      "hex_integer_literal",
      "octal_integer_literal",
      "binary_integer_literal",
      "decimal_floating_point_literal",
      "true",
      "false",
      "null_literal",
      "character_literal",
      "class_literal",
    ]),
    constantNames: new Set([]),
  },
};

/** Drops kinds a grammar does not have (JavaScript has no `as_expression`, TypeScript no JSX). */
function onlyKnownKinds(value: unknown, lang: string): unknown {
  if (Array.isArray(value)) {
    return value
      .filter(
        (v) =>
          !(
            v &&
            typeof v === "object" &&
            typeof (v as { kind?: unknown }).kind === "string" &&
            kindId(lang, (v as { kind: string }).kind) === 0
          ),
      )
      .map((v) => onlyKnownKinds(v, lang));
  }
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = onlyKnownKinds(v, lang);
    return out;
  }
  return value;
}

const perLanguage = new Map<AstLanguage, FamilySyntax>();

/** The family's syntax with its queries restricted to the kinds `language`'s grammar has. */
export function syntaxFor(language: AstLanguage): FamilySyntax {
  let s = perLanguage.get(language);
  if (!s) {
    const base = SYNTAX[FAMILY[language]];
    const lang = NAPI_LANG[language];
    const defRule = onlyKnownKinds(base.defRule, lang) as NapiConfig;
    const functionRule = onlyKnownKinds(base.functionRule, lang) as NapiConfig;
    const alternatives = (config: NapiConfig) => (config.rule as { any?: Array<{ kind?: string }> }).any ?? [];
    const indexRule = {
      rule: { any: [...alternatives(functionRule), ...alternatives(defRule), { kind: "return_statement" }] },
    } as NapiConfig;
    const defKinds = new Set(alternatives(defRule).flatMap((a) => (a.kind ? [a.kind] : [])));
    s = { ...base, defRule, functionRule, indexRule, defKinds };
    perLanguage.set(language, s);
  }
  return s;
}
