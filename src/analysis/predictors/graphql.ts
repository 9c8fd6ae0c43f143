/**
 * GraphQL schema breaks. With the whole new file, old and new schemas are parsed and compared
 * (types, fields, arguments, input fields, enum values, union members); without it, the diff's
 * lines are compared.
 *
 * The schema parser is beside it, in graphqlSchema.ts.
 */
import type { DiffFile } from "../types.js";
import { emitIssues, type Emit, type Issue } from "./contract.js";
import { changedLines, reconstructOld, sidedLines, Tally, type SidedLine } from "./predict.js";
import { parseSchema, type GqlType } from "./graphqlSchema.js";

export { parseSchema } from "./graphqlSchema.js";

export const GQL_EXT = /\.(?:graphqls?|gql)$/i;
const GQL_TYPE = /^\s*(?:extend\s+)?(type|interface|enum|input|union|scalar)\s+(\w+)/;
const GQL_FIELD = /^(\s+)(\w+)\s*(\([^)]*\))?\s*:\s*([[A-Z_][\w[\]!]*)/;
const GQL_ARG = /(\w+)\s*:\s*([\w[\]!]+)(\s*=)?/g;

function enclosingType(s: SidedLine): { name: string; kind: string; changed: boolean } | undefined {
  for (let i = s.index - 1; i >= 0 && i >= s.index - 300; i--) {
    const m = GQL_TYPE.exec(s.side[i].content);
    if (m) return { name: m[2], kind: m[1], changed: s.side[i].kind !== "context" };
    if (/^\s*}/.test(s.side[i].content)) return undefined; // left the block: not in a type
  }
  return undefined;
}

function args(text: string | undefined): Map<string, { type: string; hasDefault: boolean }> {
  const out = new Map<string, { type: string; hasDefault: boolean }>();
  if (!text) return out;
  GQL_ARG.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = GQL_ARG.exec(text)) !== null) out.set(m[1], { type: m[2], hasDefault: m[3] !== undefined });
  return out;
}

function graphqlFromDiff(file: DiffFile, emit: Emit, sides = changedLines(file)): void {
  const { added, deleted } = sides;
  const types = new Tally();
  const fields = new Tally();
  const oldFields = new Map<string, string | undefined>(); // field id -> old argument list
  const fieldId = (s: SidedLine, name: string) => `${enclosingType(s)?.name ?? "?"}.${name}`;

  for (const s of deleted) {
    const t = GQL_TYPE.exec(s.line.content);
    if (t) types.add(t[2]);
    const f = GQL_FIELD.exec(s.line.content);
    if (f) {
      fields.add(fieldId(s, f[2]));
      oldFields.set(fieldId(s, f[2]), f[3]);
    }
  }
  for (const s of added) {
    const t = GQL_TYPE.exec(s.line.content);
    if (t) types.add(t[2], -1);
    const f = GQL_FIELD.exec(s.line.content);
    if (f) fields.add(fieldId(s, f[2]), -1);
  }
  for (const s of deleted) {
    const t = GQL_TYPE.exec(s.line.content);
    if (t && types.get(t[2]) > 0) {
      types.add(t[2], -1);
      emit(
        file,
        s.line,
        "api-removed-type",
        `The GraphQL ${t[1]} \`${t[2]}\` is removed: every query, fragment or variable that uses it fails validation for existing clients.`,
        0.85,
        "high",
        "graphql",
        "Mark its fields `@deprecated(reason: ...)` first, watch field usage, and remove it only when no client queries it.",
      );
      continue;
    }
    const f = GQL_FIELD.exec(s.line.content);
    if (!f) continue;
    const owner = enclosingType(s);
    const id = fieldId(s, f[2]);
    if (fields.get(id) <= 0 || owner?.changed) continue;
    fields.add(id, -1);
    emit(
      file,
      s.line,
      "api-removed-field",
      `The GraphQL field \`${owner ? `${owner.name}.` : ""}${f[2]}\` is removed: existing clients whose queries select it will fail validation.`,
      0.85,
      "high",
      "graphql",
      "Deprecate the field with `@deprecated(reason: ...)`, wait until no client selects it, then remove it.",
    );
  }
  // An argument that becomes non-null, or a new non-null argument without a default.
  for (const s of added) {
    const f = GQL_FIELD.exec(s.line.content);
    if (!f) continue;
    const id = fieldId(s, f[2]);
    if (!oldFields.has(id)) continue;
    const before = args(oldFields.get(id));
    for (const [name, a] of args(f[3])) {
      if (!a.type.endsWith("!") || a.hasDefault) continue;
      const old = before.get(name);
      if (old && old.type.endsWith("!")) continue;
      emit(
        file,
        s.line,
        "api-argument-required",
        `The argument \`${name}\` of \`${f[2]}\` ${old ? "becomes non-null" : "is new and non-null"}: existing queries that do not pass it will fail validation.`,
        0.8,
        "high",
        "graphql",
        "Keep the argument nullable or give it a default value, so existing queries stay valid.",
      );
    }
    // Removed arguments, and a field whose type changes.
    const after = args(f[3]);
    for (const name of before.keys())
      if (!after.has(name))
        emit(
          file,
          s.line,
          "api-removed-argument",
          `The argument \`${name}\` of \`${f[2]}\` is removed: existing queries that pass it will fail validation.`,
          0.85,
          "high",
          "graphql",
          "Keep the argument (mark it `@deprecated`) and ignore it on the server until clients stop sending it.",
        );
  }
  const oldTypes = new Map<string, string>();
  for (const s of deleted) {
    const f = GQL_FIELD.exec(s.line.content);
    if (f) oldTypes.set(fieldId(s, f[2]), f[4]);
  }
  for (const s of added) {
    const f = GQL_FIELD.exec(s.line.content);
    if (!f) continue;
    const before = oldTypes.get(fieldId(s, f[2]));
    if (!before) continue;
    const owner = enclosingType(s);
    const verdict =
      owner?.kind === "input"
        ? inputChange(parseTypeRef(before), parseTypeRef(f[4]))
        : outputChange(parseTypeRef(before), parseTypeRef(f[4]));
    if (verdict === "safe") continue;
    const issue = typeChangeIssue(`${owner ? `${owner.name}.` : ""}${f[2]}`, before, f[4], verdict, owner?.kind === "input");
    emit(file, s.line, issue.kind, issue.prediction, issue.confidence, issue.severity, "graphql", issue.recommendation);
  }
  // Enum values: bare names inside an unchanged enum block, deleted and not re-added.
  const values = new Tally();
  const enumValue = (s: SidedLine) => {
    const m = /^\s+([A-Z_][A-Z0-9_]*)\s*(?:@.*)?$/.exec(s.line.content);
    const owner = m ? enclosingType(s) : undefined;
    return m && owner?.kind === "enum" && !owner.changed ? `${owner.name}.${m[1]}` : undefined;
  };
  for (const s of deleted) {
    const v = enumValue(s);
    if (v) values.add(v);
  }
  for (const s of added) {
    const v = enumValue(s);
    if (v) values.add(v, -1);
  }
  for (const s of deleted) {
    const v = enumValue(s);
    if (!v || values.get(v) <= 0) continue;
    values.add(v, -1);
    emit(file, s.line, "api-removed-enum-value", ENUM_REMOVED(v), 0.8, "high", "graphql", ENUM_REC);
  }
}

const ENUM_REMOVED = (v: string) =>
  `The enum value \`${v}\` is removed: queries and variables that send it fail validation, and clients that switch over the enum lose a case they may still hold in stored data.`;
const ENUM_REC = "Deprecate the value with `@deprecated(reason: ...)` and keep accepting it until clients stop sending it.";

// ---------------------------------------------------------------------------------------------
// Type references

interface TypeRef {
  nonNull: boolean;
  list?: TypeRef;
  name?: string;
}

export function parseTypeRef(text: string): TypeRef {
  const t = text.replace(/\s+/g, "");
  const nonNull = t.endsWith("!");
  const core = nonNull ? t.slice(0, -1) : t;
  if (core.startsWith("[") && core.endsWith("]")) return { nonNull, list: parseTypeRef(core.slice(1, -1)) };
  return { nonNull, name: core };
}

type Verdict = "safe" | "loosened" | "tightened" | "breaking";

/** Output positions: adding non-null is safe; removing it may surprise clients; another type breaks them. */
export function outputChange(o: TypeRef, n: TypeRef): Verdict {
  let loosened = false;
  if (n.nonNull && !o.nonNull) n = { ...n, nonNull: false };
  else if (o.nonNull && !n.nonNull) {
    loosened = true;
    o = { ...o, nonNull: false };
  }
  if (o.list && n.list) {
    const inner = outputChange(o.list, n.list);
    return inner === "breaking" ? "breaking" : loosened || inner === "loosened" ? "loosened" : "safe";
  }
  if (o.list || n.list || o.name !== n.name) return "breaking";
  return loosened ? "loosened" : "safe";
}

/** Input positions: removing non-null is safe; adding it makes the value required; another type breaks. */
export function inputChange(o: TypeRef, n: TypeRef): Verdict {
  let tightened = false;
  if (o.nonNull && !n.nonNull) o = { ...o, nonNull: false };
  else if (n.nonNull && !o.nonNull) {
    tightened = true;
    n = { ...n, nonNull: false };
  }
  if (o.list && n.list) {
    const inner = inputChange(o.list, n.list);
    return inner === "breaking" ? "breaking" : tightened || inner === "tightened" ? "tightened" : "safe";
  }
  if (o.list || n.list || o.name !== n.name) return "breaking";
  return tightened ? "tightened" : "safe";
}

function typeChangeIssue(what: string, from: string, to: string, verdict: Verdict, input: boolean): Omit<Issue, "side" | "line"> {
  if (verdict === "loosened")
    return {
      kind: "api-type-changed",
      prediction: `The GraphQL field \`${what}\` becomes nullable (${from} → ${to}): clients that assume a value (generated non-null types, no null checks) crash or misbehave when it is null.`,
      confidence: 0.6,
      severity: "medium",
      recommendation: "Keep the field non-null, or add a new nullable field and deprecate the old one.",
    };
  if (verdict === "tightened")
    return {
      kind: input ? "api-newly-required" : "api-argument-required",
      prediction: `\`${what}\` becomes non-null (${from} → ${to}): existing clients that send null or leave it out fail validation.`,
      confidence: 0.8,
      severity: "high",
      recommendation: "Keep it nullable, or give it a default value, so existing operations stay valid.",
    };
  return {
    kind: "api-type-changed",
    prediction: `\`${what}\` changes type ${from} → ${to}: ${input ? "existing operations that send the old type" : "existing queries that select it (and the clients' generated types)"} fail validation or parse the wrong shape.`,
    confidence: 0.85,
    severity: "high",
    recommendation: "Add a new field with the new type, deprecate the old one with `@deprecated`, and remove it once no client uses it.",
  };
}

// ---------------------------------------------------------------------------------------------
// Whole schemas

const FIELD_REC = "Deprecate the field with `@deprecated(reason: ...)`, wait until no client selects it, then remove it.";

function compareSchemas(o: Map<string, GqlType>, n: Map<string, GqlType>): Issue[] {
  const issues: Issue[] = [];
  for (const [name, ot] of o) {
    const nt = n.get(name);
    if (!nt) {
      issues.push({
        kind: "api-removed-type",
        side: "old",
        line: ot.line,
        prediction: `The GraphQL ${ot.kind} \`${name}\` is removed: every query, fragment or variable that uses it fails validation for existing clients.`,
        confidence: 0.85,
        severity: "high",
        recommendation:
          "Mark its fields `@deprecated(reason: ...)` first, watch field usage, and remove it only when no client queries it.",
      });
      continue;
    }
    if (nt.kind !== ot.kind) continue;
    const input = ot.kind === "input";
    for (const [fname, of] of ot.fields) {
      const nf = nt.fields.get(fname);
      const what = `${name}.${fname}`;
      if (!nf) {
        issues.push({
          kind: "api-removed-field",
          side: "old",
          line: of.line,
          prediction: input
            ? `The input field \`${what}\` is removed: existing operations that send it fail validation.`
            : `The GraphQL field \`${what}\` is removed: existing clients whose queries select it will fail validation.`,
          confidence: 0.85,
          severity: "high",
          recommendation: FIELD_REC,
        });
        continue;
      }
      const verdict = input
        ? inputChange(parseTypeRef(of.type), parseTypeRef(nf.type))
        : outputChange(parseTypeRef(of.type), parseTypeRef(nf.type));
      if (verdict !== "safe" && !(verdict === "tightened" && nf.hasDefault))
        issues.push({
          side: "new",
          line: nf.line,
          alt: [{ side: "old", line: of.line }],
          ...typeChangeIssue(what, of.type, nf.type, verdict, input),
        });
      for (const [aname, oa] of of.args) {
        const na = nf.args.get(aname);
        if (!na) {
          issues.push({
            kind: "api-removed-argument",
            side: "old",
            line: oa.line,
            alt: [{ side: "new", line: nf.line }],
            prediction: `The argument \`${aname}\` of \`${what}\` is removed: existing queries that pass it will fail validation.`,
            confidence: 0.85,
            severity: "high",
            recommendation: "Keep the argument (mark it `@deprecated`) and ignore it on the server until clients stop sending it.",
          });
          continue;
        }
        const v = inputChange(parseTypeRef(oa.type), parseTypeRef(na.type));
        if (v === "breaking")
          issues.push({ side: "new", line: na.line, ...typeChangeIssue(`${what}(${aname})`, oa.type, na.type, v, true) });
        else if (v === "tightened" && !na.hasDefault)
          issues.push({
            kind: "api-argument-required",
            side: "new",
            line: na.line,
            prediction: `The argument \`${aname}\` of \`${what}\` becomes non-null: existing queries that do not pass it will fail validation.`,
            confidence: 0.8,
            severity: "high",
            recommendation: "Keep the argument nullable or give it a default value, so existing queries stay valid.",
          });
      }
      for (const [aname, na] of nf.args)
        if (!of.args.has(aname) && na.type.endsWith("!") && !na.hasDefault)
          issues.push({
            kind: "api-argument-required",
            side: "new",
            line: na.line,
            prediction: `The argument \`${aname}\` of \`${what}\` is new and non-null: existing queries that do not pass it will fail validation.`,
            confidence: 0.8,
            severity: "high",
            recommendation: "Keep the argument nullable or give it a default value, so existing queries stay valid.",
          });
    }
    if (input)
      for (const [fname, nf] of nt.fields)
        if (!ot.fields.has(fname) && nf.type.endsWith("!") && !nf.hasDefault)
          issues.push({
            kind: "api-newly-required",
            side: "new",
            line: nf.line,
            prediction: `The input field \`${name}.${fname}\` is new and non-null: existing operations that do not send it fail validation.`,
            confidence: 0.85,
            severity: "high",
            recommendation: "Make it nullable or give it a default value.",
          });
    for (const [v, line] of ot.values)
      if (!nt.values.has(v))
        issues.push({
          kind: "api-removed-enum-value",
          side: "old",
          line,
          prediction: ENUM_REMOVED(`${name}.${v}`),
          confidence: 0.8,
          severity: "high",
          recommendation: ENUM_REC,
        });
    for (const [m, line] of ot.members)
      if (!nt.members.has(m))
        issues.push({
          kind: "api-removed-union-member",
          side: "old",
          line,
          alt: [{ side: "new", line: nt.line }],
          prediction: `\`${m}\` is no longer part of the union \`${name}\`: queries with \`... on ${m}\` inside it fail validation, and clients stop receiving those results.`,
          confidence: 0.75,
          severity: "medium",
          recommendation: "Keep the member until clients no longer query it, or add the replacement first.",
        });
  }
  return issues;
}

/** GraphQL breaks of one file: whole schemas when the content is known and both versions parse, else the diff. */
export function graphqlContract(file: DiffFile, content: string | undefined, emit: Emit): void {
  if (content !== undefined) {
    const oldText = reconstructOld(content, file);
    if (oldText !== undefined && oldText.trim() === "") return; // a new schema file breaks no one
    const o = oldText !== undefined ? parseSchema(oldText) : undefined;
    const n = o ? parseSchema(content) : undefined;
    if (o && n) {
      emitIssues(file, compareSchemas(o, n), "graphql", emit);
      return;
    }
  }
  graphqlFromDiff(file, emit, sidedLines(file, content));
}
