/**
 * Bindings per language family: the names a definition binds (declarations, assignments with
 * destructuring, `+=`, loop variables, `x.push(v)`, Go decoders' `&target`) and what each binds to.
 */
import type { SgNode } from "@ast-grep/napi";
import { operatorOf } from "./expressions.js";
import type { TaintEngine } from "./engine.js";
import { GO_DECODER_CALL, MUTATING_METHODS } from "./knowledge/index.js";
import { fld } from "./nodes.js";
import type { Binding } from "./types.js";

export function bindings(e: TaintEngine, d: SgNode): Binding[] {
  const k = e.kind(d);
  const out: Binding[] = [];
  const end = e.span(d).end;
  const f = (name: string) => fld(d, name);
  switch (e.family) {
    case "js": {
      if (k === "variable_declarator") {
        const value = f("value");
        jsPattern(e, f("name"), [], (name, path) => out.push({ name, node: d, op: "=", value: value ?? undefined, path, point: end }));
      } else if (k === "assignment_expression") {
        const value = f("right");
        jsPattern(e, f("left"), [], (name, path) => out.push({ name, node: d, op: "=", value: value ?? undefined, path, point: end }));
      } else if (k === "augmented_assignment_expression") {
        const left = f("left");
        if (left && e.kind(left) === "identifier") {
          const op = f("operator")?.text() ?? operatorOf(e, d, left, f("right"));
          out.push({
            name: left.text(),
            node: d,
            op: op === "+=" ? "+=" : "=",
            value: (op === "+=" ? f("right") : null) ?? undefined,
            path: [],
            point: end,
          });
        }
      } else if (k === "for_in_statement") {
        const right = f("right");
        const rs = right ? e.span(right).end : end;
        const isIn = d.children().some((c) => !c.isNamed() && c.text() === "in");
        jsPattern(e, f("left"), [], (name, path) =>
          out.push({ name, node: d, op: isIn ? "=" : "iter", value: isIn ? undefined : (right ?? undefined), path, point: rs }),
        );
      } else if (k === "function_declaration") {
        const nm = f("name");
        if (nm) out.push({ name: nm.text(), node: d, op: "fn", path: [], point: e.span(d).start });
      } else if (k === "call_expression") {
        const obj = fld(f("function"), "object");
        if (obj && e.kind(obj) === "identifier") out.push({ name: obj.text(), node: d, op: "mut", value: d, path: [], point: end });
      }
      break;
    }
    case "python": {
      if (k === "assignment" || k === "augmented_assignment") {
        const right = f("right");
        if (!right) break;
        const op = k === "augmented_assignment" ? (f("operator")?.text() ?? "+=") : "=";
        pyTargets(e, f("left"), (name, tupleIndex) =>
          out.push({ name, node: d, op: op === "+=" ? "+=" : "=", value: right, path: [], tupleIndex, point: end }),
        );
      } else if (k === "for_statement") {
        const right = f("right");
        const rs = right ? e.span(right).end : end;
        pyTargets(e, f("left"), (name) => out.push({ name, node: d, op: "iter", value: right ?? undefined, path: [], point: rs }));
      } else if (k === "as_pattern") {
        // with open(path) as fh: / async with httpx.AsyncClient() as client:
        const parts = e.named(d);
        const value = parts[0];
        const target = parts.find((c) => e.kind(c) === "as_pattern_target");
        const inner = target ? (e.named(target)[0] ?? null) : null;
        if (value && inner && e.kind(e.parentOf(d) ?? d) === "with_item")
          pyTargets(e, inner, (name) => out.push({ name, node: d, op: "=", value, path: [], point: end }));
      } else if (k === "named_expression") {
        const nm = f("name");
        if (nm) out.push({ name: nm.text(), node: d, op: "=", value: f("value") ?? undefined, path: [], point: end });
      } else if (k === "function_definition") {
        const nm = f("name");
        if (nm) out.push({ name: nm.text(), node: d, op: "fn", path: [], point: e.span(d).start });
      } else if (k === "call") {
        const obj = fld(f("function"), "object");
        if (obj && e.kind(obj) === "identifier") out.push({ name: obj.text(), node: d, op: "mut", value: d, path: [], point: end });
      }
      break;
    }
    case "go": {
      if (k === "short_var_declaration" || k === "assignment_statement") {
        const left = e.named(f("left"));
        const right = f("right");
        const op = k === "assignment_statement" ? (f("operator")?.text() ?? operatorOf(e, d, f("left"), right)) : ":=";
        const rights = e.named(right);
        left.forEach((l, i) => {
          if (e.kind(l) !== "identifier" || l.text() === "_") return;
          const value = rights.length === left.length ? rights[i] : rights[0];
          out.push({ name: l.text(), node: d, op: op === "+=" ? "+=" : "=", value, path: [], point: end });
        });
      } else if (k === "var_spec" || k === "const_spec") {
        const names = d.fieldChildren("name" as never) as unknown as SgNode[];
        const values = e.named(f("value"));
        names.forEach((nm, i) => {
          if (values.length === 0) out.push({ name: nm.text(), node: d, op: "=", value: undefined, path: [], point: end });
          else
            out.push({
              name: nm.text(),
              node: d,
              op: "=",
              value: values.length === names.length ? values[i] : values[0],
              path: [],
              point: end,
            });
        });
      } else if (k === "range_clause") {
        const right = f("right");
        const left = e.named(f("left"));
        const rs = right ? e.span(right).end : end;
        left.forEach((l, i) => {
          if (e.kind(l) !== "identifier" || l.text() === "_") return;
          // for i, v := range xs: the index is a number, the value an element.
          if (i === 0 && left.length > 1) out.push({ name: l.text(), node: d, op: "fn", path: [], point: rs });
          else out.push({ name: l.text(), node: d, op: "iter", value: right ?? undefined, path: [], point: rs });
        });
      } else if (k === "call_expression") {
        const fn = f("function");
        const callee = fn?.text() ?? "";
        if (GO_DECODER_CALL.test(callee)) {
          // json.Unmarshal(body, &reg): `reg` now holds what was decoded.
          for (const a of e.named(f("arguments"))) {
            const inner = e.kind(a) === "unary_expression" && e.head(a, 1) === "&" ? e.named(a)[0] : null;
            if (inner && e.kind(inner) === "identifier")
              out.push({ name: inner.text(), node: d, op: "decode", value: d, path: [], point: end });
          }
        }
        const obj = fld(fn, "operand");
        if (obj && e.kind(obj) === "identifier" && MUTATING_METHODS.has(fld(fn, "field")?.text() ?? ""))
          out.push({ name: obj.text(), node: d, op: "mut", value: d, path: [], point: end });
      }
      break;
    }
    case "java": {
      if (k === "variable_declarator") {
        const nm = f("name");
        if (nm) out.push({ name: nm.text(), node: d, op: "=", value: f("value") ?? undefined, path: [], point: end });
      } else if (k === "assignment_expression") {
        const left = f("left");
        const op = f("operator")?.text() ?? operatorOf(e, d, left, f("right"));
        if (left && e.kind(left) === "identifier")
          out.push({ name: left.text(), node: d, op: op === "+=" ? "+=" : "=", value: f("right") ?? undefined, path: [], point: end });
      } else if (k === "enhanced_for_statement") {
        const nm = f("name");
        const value = f("value");
        if (nm)
          out.push({ name: nm.text(), node: d, op: "iter", value: value ?? undefined, path: [], point: value ? e.span(value).end : end });
      } else if (k === "method_invocation") {
        const obj = f("object");
        const nm = f("name")?.text() ?? "";
        if (obj && e.kind(obj) === "identifier" && MUTATING_METHODS.has(nm))
          out.push({ name: obj.text(), node: d, op: "mut", value: d, path: [], point: end });
      }
      break;
    }
  }
  // A definition's own right-hand side does not see it.
  for (const b of out) if (b.value && b.op !== "mut") b.exclude = e.span(b.value);
  return out;
}

/** Names bound by a JavaScript pattern, with the member path to each. */
export function jsPattern(e: TaintEngine, p: SgNode | null, path: string[], add: (name: string, path: string[]) => void): void {
  if (!p) return;
  const k = e.kind(p);
  switch (k) {
    case "identifier":
    case "shorthand_property_identifier_pattern":
      add(p.text(), path);
      return;
    case "object_pattern":
      for (const c of e.named(p)) {
        const ck = e.kind(c);
        if (ck === "shorthand_property_identifier_pattern") add(c.text(), [...path, c.text()]);
        else if (ck === "pair_pattern") {
          const key =
            fld(c, "key")
              ?.text()
              .replace(/^["']|["']$/g, "") ?? "[]";
          jsPattern(e, fld(c, "value"), [...path, key], add);
        } else if (ck === "object_assignment_pattern") {
          const left = fld(c, "left");
          if (left) jsPattern(e, left, [...path, left.text()], (n) => add(n, [...path, left.text()]));
        } else if (ck === "rest_pattern") jsPattern(e, e.named(c)[0] ?? null, path, add);
      }
      return;
    case "array_pattern":
      for (const c of e.named(p)) jsPattern(e, e.kind(c) === "rest_pattern" ? (e.named(c)[0] ?? null) : c, [...path, "[]"], add);
      return;
    case "assignment_pattern":
      jsPattern(e, fld(p, "left"), path, add);
      return;
    default:
      return; // member targets (obj.x = ...) are not tracked
  }
}

export function pyTargets(e: TaintEngine, left: SgNode | null, add: (name: string, tupleIndex?: number) => void): void {
  if (!left) return;
  const k = e.kind(left);
  if (k === "identifier") add(left.text());
  else if (k === "pattern_list" || k === "tuple_pattern" || k === "list_pattern" || k === "expression_list") {
    e.named(left).forEach((c, i) => {
      if (e.kind(c) === "identifier") add(c.text(), i);
      else if (e.kind(c) === "list_splat_pattern") {
        const inner = e.named(c)[0];
        if (inner) add(inner.text(), i);
      }
    });
  }
}
