/**
 * Expression evaluation: the dispatch on a node's kind (evalNode) and the operators, literals,
 * strings, collections and conditionals. Members, calls and identifiers have modules of their own.
 */
import type { SgNode } from "@ast-grep/napi";
import { evalCall } from "./calls.js";
import { validates } from "./guards.js";
import { evalMember, evalSubscript } from "./members.js";
import { evalIdentifier } from "./scopes.js";
import type { TaintEngine } from "./engine.js";
import { NEGATED } from "./knowledge/index.js";
import { DOTTED_NAME, fld, stripQuotes } from "./nodes.js";
import { CLEAN, clean, concat, derived, join, MAX_TEXT, safe, SOURCE, UNKNOWN, unknown, type Val } from "./value.js";

export function evalNode(e: TaintEngine, n: SgNode): Val {
  const k = e.kind(n);
  const s = e.syntax;
  if (s.stringKinds.has(k)) return evalString(e, n, k);
  // (clean() keeps the first MAX_TEXT characters: only those are read)
  if (s.constantKinds.has(k))
    return clean(k === "true" || k === "false" || /null|none|nil|undefined/.test(k) ? "" : e.head(n, MAX_TEXT), "number");
  if (s.functionKinds.has(k) || k === "method_reference") return safe("function");
  switch (k) {
    case "identifier":
    case "shorthand_property_identifier":
      return evalIdentifier(e, n);
    case "this":
    case "self":
    case "super":
      return unknown();
    case "parenthesized_expression":
    case "await_expression":
    case "await":
    case "non_null_expression":
    case "as_expression":
    case "satisfies_expression":
    case "type_assertion":
    case "spread_element":
    case "list_splat":
    case "dictionary_splat":
    case "expression_statement":
    case "jsx_expression":
    case "template_substitution":
    case "interpolation":
    case "variadic_argument":
      return evalFirstExpression(e, n);
    case "cast_expression":
      return e.eval(fld(n, "value"));
    case "member_expression":
    case "attribute":
    case "selector_expression":
    case "field_access":
      return evalMember(e, n, k);
    case "subscript_expression":
    case "subscript":
    case "index_expression":
    case "array_access":
    case "slice_expression":
      return evalSubscript(e, n, k);
    case "call_expression":
    case "call":
    case "new_expression":
    case "method_invocation":
    case "object_creation_expression":
      return evalCall(e, n, k);
    case "binary_expression":
    case "binary_operator":
      return evalBinary(e, n);
    case "boolean_operator":
      return join([e.eval(fld(n, "left")), e.eval(fld(n, "right"))]);
    case "unary_expression":
    case "not_operator":
    case "unary_operator":
      return evalUnary(e, n);
    case "comparison_operator":
    case "instanceof_expression":
    case "update_expression":
      return safe("number");
    case "ternary_expression":
      return evalConditional(e, fld(n, "condition"), fld(n, "consequence"), fld(n, "alternative"));
    case "conditional_expression": {
      const parts = e.named(n);
      return evalConditional(e, parts[1] ?? null, parts[0] ?? null, parts[2] ?? null);
    }
    case "assignment_expression":
    case "augmented_assignment_expression":
    case "assignment":
    case "named_expression":
      return e.eval(fld(n, "right") ?? fld(n, "value"));
    case "sequence_expression":
    case "expression_list": {
      const parts = e.named(n);
      return k === "sequence_expression" ? e.eval(parts[parts.length - 1]) : join(parts.map((p) => e.eval(p)));
    }
    case "array":
    case "list":
    case "tuple":
    case "set":
    case "array_initializer":
    case "array_creation_expression":
    case "literal_value":
    case "composite_literal":
      return evalCollection(e, n, "array");
    case "object":
    case "dictionary":
      return evalCollection(e, n, "object");
    case "pair":
      return e.eval(fld(n, "value"));
    case "keyed_element": {
      const parts = e.named(n);
      return e.eval(parts[parts.length - 1]);
    }
    case "literal_element":
      return evalFirstExpression(e, n);
    case "keyword_argument":
      return e.eval(fld(n, "value"));
    case "list_comprehension":
    case "generator_expression":
    case "set_comprehension":
    case "dictionary_comprehension":
      return derived(e.eval(fld(n, "body")));
    case "type_conversion_expression":
      return derived(e.eval(fld(n, "operand")));
    case "string_fragment":
    case "string_content":
    case "escape_sequence":
      return clean(e.head(n, MAX_TEXT));
    default:
      return unknown();
  }
}

/** `cond ? a : b`; an allow-list check in `cond` on `a` makes `a` safe (`ALLOWED.includes(x) ? x : "en"`). */
export function evalConditional(e: TaintEngine, cond: SgNode | null, a: SgNode | null, b: SgNode | null): Val {
  const guardedBranch = (branch: SgNode | null, positive: boolean): Val => {
    const v = e.eval(branch);
    // (a name, or a member read like `req.params.lang`)
    if (
      v.level < UNKNOWN ||
      !branch ||
      !cond ||
      !(e.kind(branch) === "identifier" || (e.size(branch) <= 80 && DOTTED_NAME.test(branch.text())))
    )
      return v;
    if (validates(e, cond, [branch.text()]) && NEGATED.test(cond.text()) !== positive) return { ...safe(), text: v.text };
    return v;
  };
  return join([guardedBranch(a, true), guardedBranch(b, false)]);
}

export function evalFirstExpression(e: TaintEngine, n: SgNode): Val {
  const parts = e.named(n).filter((c) => !/^(?:type_annotation|type_arguments|format_specifier|type_conversion)$/.test(e.kind(c)));
  return parts.length ? e.eval(parts[0]) : unknown();
}

export function evalString(e: TaintEngine, n: SgNode, k: string): Val {
  if (k === "concatenated_string") return concat(e.named(n).map((c) => e.eval(c)));
  const children = e.named(n);
  const dynamic = children.some((c) => {
    const ck = e.kind(c);
    return ck === "template_substitution" || ck === "interpolation";
  });
  if (!dynamic) {
    // A long literal: its closing quote is past what clean() keeps, so only the start is read.
    if (e.size(n) <= 1000) return clean(stripQuotes(n.text()));
    return clean(e.head(n, 1000).replace(/^[a-zA-Z]{0,3}("""|'''|"|'|`)/, ""));
  }
  const parts: Val[] = [];
  for (const c of children) {
    const ck = e.kind(c);
    if (ck === "template_substitution" || ck === "interpolation") parts.push(evalFirstExpression(e, c));
    else if (ck === "string_fragment" || ck === "string_content" || ck === "escape_sequence") parts.push(clean(e.head(c, MAX_TEXT)));
  }
  return concat(parts);
}

export function evalCollection(e: TaintEngine, n: SgNode, shape: "array" | "object"): Val {
  const values: Val[] = [];
  for (const c of e.named(n)) {
    const ck = e.kind(c);
    if (ck === "shorthand_property_identifier") values.push(e.eval(c));
    else if (ck === "pair" || ck === "keyed_element" || ck === "spread_element" || ck === "dictionary_splat" || ck === "literal_element")
      values.push(e.eval(c));
    else if (
      ck === "method_definition" ||
      ck === "type_identifier" ||
      ck === "dimensions" ||
      ck === "generic_type" ||
      ck === "slice_type" ||
      ck === "map_type" ||
      ck === "qualified_type"
    )
      continue;
    else if (ck === "literal_value" || ck === "array_initializer") values.push(evalCollection(e, c, shape));
    else values.push(e.eval(c));
  }
  if (values.length === 0) return clean("", shape);
  const v = join(values);
  return { level: v.level, built: v.built, text: v.level === CLEAN ? "" : v.text, prefix: undefined, source: v.source, shape };
}

export function evalUnary(e: TaintEngine, n: SgNode): Val {
  const op = fld(n, "operator")?.text() ?? n.child(0)?.text() ?? "";
  const arg = fld(n, "argument") ?? fld(n, "operand");
  // Go: &x and *x are the value itself; <-ch is unknown.
  if (op === "&" || op === "*") return e.eval(arg ?? e.named(n)[0]);
  if (op === "<-") return unknown();
  return safe("number"); // !x, -x, typeof x, not x, ~x
}

export function evalBinary(e: TaintEngine, n: SgNode): Val {
  const left = fld(n, "left");
  const right = fld(n, "right");
  const op = fld(n, "operator")?.text() ?? operatorOf(e, n, left, right);
  switch (op) {
    case "+": {
      const l = e.eval(left);
      const r = e.eval(right);
      // count + 1 is arithmetic: a number with something that is not text.
      const numeric = (v: Val, other: Val) => v.shape === "number" && v.level === CLEAN && other.text === "" && other.level !== SOURCE;
      if (numeric(l, r) || numeric(r, l)) return safe("number");
      // [prog] + args: a list joined to a list is a list, not text
      if (l.shape === "array" || r.shape === "array") return { ...concat([l, r]), built: false, shape: "array" };
      return concat([l, r]);
    }
    case "%": {
      const l = e.eval(left);
      // Python "...%s..." % value: formatting when the left side is a string.
      if (left && e.syntax.stringKinds.has(e.kind(left))) return concat([l, e.eval(right)]);
      // A format string held in a variable or constant (PAGE % query); numbers are arithmetic.
      return l.shape !== "number" && (l.level >= UNKNOWN || l.text !== "") ? concat([l, e.eval(right)]) : safe("number");
    }
    case "||":
    case "??":
    case "&&":
    case "or":
    case "and":
      return join([e.eval(left), e.eval(right)]);
    case "/": {
      // pathlib: Path(base) / name keeps the name.
      if (e.family === "python") {
        const l = e.eval(left);
        const r = e.eval(right);
        return l.level >= UNKNOWN || r.level >= UNKNOWN ? concat([l, r]) : safe("number");
      }
      return safe("number");
    }
    default:
      return safe("number"); // arithmetic, comparisons, bit operations
  }
}

export function operatorOf(e: TaintEngine, n: SgNode, left: SgNode | null, right: SgNode | null): string {
  const ls = left ? e.span(left).end : -1;
  const rs = right ? e.span(right).start : -1;
  for (const c of n.children()) {
    if (c.isNamed()) continue;
    const s = e.span(c);
    if (s.start >= ls && s.end <= rs) return c.text();
  }
  return "";
}
