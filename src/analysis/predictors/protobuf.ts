/**
 * Protocol Buffers breaks: removed fields, changed or reused field numbers, wire-incompatible
 * type changes, removed RPCs. With the whole new file, old and new definitions are parsed and
 * compared message by message; without it, the diff's lines are compared.
 *
 * The parser of .proto files is beside it, in protobufParser.ts.
 */
import type { DiffFile, DiffLine } from "../types.js";
import { emitIssues, type Emit, type Issue } from "./contract.js";
import { changedLines, Tally, indentOf, reconstructOld, sidedLines, type SidedLine } from "./predict.js";
import { parseProto, parseReserved, reservedHas, type ProtoFile } from "./protobufParser.js";

export { parseProto } from "./protobufParser.js";

const PROTO_FIELD = /^\s*(?:optional\s+|required\s+|repeated\s+)?(map\s*<[^>]+>|[\w.]+)\s+(\w+)\s*=\s*(\d+)\s*(?:\[[^\]]*\])?\s*;/;
const PROTO_MESSAGE = /^\s*message\s+(\w+)/;
const PROTO_RPC = /^\s*rpc\s+(\w+)\s*\(/;
const NOT_A_FIELD = /^\s*(?:option|reserved|syntax|package|import|rpc|returns)\b/;

/** Scalar types that share a wire encoding; changing between them keeps old clients decoding. */
const WIRE_GROUPS = [
  ["int32", "uint32", "int64", "uint64", "bool"],
  ["sint32", "sint64"],
  ["fixed32", "sfixed32"],
  ["fixed64", "sfixed64"],
  ["string", "bytes"],
];

function wireCompatible(a: string, b: string): boolean {
  return a === b || WIRE_GROUPS.some((g) => g.includes(a) && g.includes(b));
}

interface ProtoField {
  s: SidedLine;
  message: string;
  type: string;
  name: string;
  number: string;
}

function protoField(s: SidedLine): ProtoField | undefined {
  if (NOT_A_FIELD.test(s.line.content)) return undefined;
  const m = PROTO_FIELD.exec(s.line.content);
  if (!m) return undefined;
  const own = indentOf(s.line.content);
  let message = "?";
  for (let i = s.index - 1; i >= 0 && i >= s.index - 300; i--) {
    const mm = PROTO_MESSAGE.exec(s.side[i].content);
    if (mm && indentOf(s.side[i].content) < own) {
      message = mm[1];
      break;
    }
  }
  return { s, message, type: m[1].replace(/\s+/g, ""), name: m[2], number: m[3] };
}

function protobufFromDiff(file: DiffFile, emit: Emit, sides = changedLines(file)): void {
  const { added, deleted } = sides;
  const oldF = deleted.map(protoField).filter((f): f is ProtoField => f !== undefined);
  const newF = added.map(protoField).filter((f): f is ProtoField => f !== undefined);
  const newByName = new Map(newF.map((f) => [`${f.message}.${f.name}`, f]));
  const newByNumber = new Map(newF.map((f) => [`${f.message}#${f.number}`, f]));
  const reserved = added
    .map((s) => s.line.content)
    .filter((t) => /^\s*reserved\b/.test(t))
    .join(" ");

  for (const o of oldF) {
    const sameName = newByName.get(`${o.message}.${o.name}`);
    if (sameName) {
      if (sameName.number !== o.number)
        emit(
          file,
          sameName.s.line,
          "api-field-number-changed",
          `The field \`${o.message}.${o.name}\` changes number ${o.number} → ${sameName.number}: clients built from the old schema read and write it under the old number, so its data is silently lost or misread.`,
          0.95,
          "critical",
          "protobuf",
          "Never change a field number: keep the old field, add a new one with a new number, and `reserved` the old number when it is finally removed.",
        );
      else if (!wireCompatible(o.type, sameName.type))
        emit(
          file,
          sameName.s.line,
          "api-field-type-changed",
          `The field \`${o.message}.${o.name}\` changes type ${o.type} → ${sameName.type}: clients built from the old schema cannot decode it (parse errors or garbage values).`,
          0.85,
          "critical",
          "protobuf",
          "Add a new field with the new type and a new number, deprecate the old one, and keep filling both until clients have moved.",
        );
      continue;
    }
    const sameNumber = newByNumber.get(`${o.message}#${o.number}`);
    if (sameNumber) {
      const reused = sameNumber.type !== o.type;
      emit(
        file,
        sameNumber.s.line,
        reused ? "api-field-number-reused" : "api-field-renamed",
        reused
          ? `Field number ${o.number} of \`${o.message}\` is reused for \`${sameNumber.name}\` (${sameNumber.type}, was \`${o.name}\` ${o.type}): old clients decode the new data as the old field, corrupting it or failing to parse.`
          : `The field \`${o.message}.${o.name}\` is renamed to \`${sameNumber.name}\`: the binary format is unchanged, but JSON/text clients and code generated from the old name break.`,
        reused ? 0.9 : 0.6,
        reused ? "critical" : "medium",
        "protobuf",
        reused
          ? `Give the new field a new number and add \`reserved ${o.number};\` and \`reserved "${o.name}";\` for the old one.`
          : "Keep the old name (add the new field alongside it) until clients using JSON or generated accessors have moved.",
      );
      continue;
    }
    const isReserved = new RegExp(`\\b${o.number}\\b|"${o.name}"`).test(reserved);
    emit(
      file,
      o.s.line,
      "api-removed-field",
      `The field \`${o.message}.${o.name}\` (= ${o.number}) is removed: clients that read it get default values silently${isReserved ? "" : ", and the number can later be reused by mistake"}.`,
      isReserved ? 0.6 : 0.85,
      isReserved ? "medium" : "high",
      "protobuf",
      `Deprecate the field (\`[deprecated = true]\`) before removing it, and reserve its number and name: \`reserved ${o.number};\`.`,
    );
  }

  const rpcs = new Tally();
  for (const s of deleted) {
    const m = PROTO_RPC.exec(s.line.content);
    if (m) rpcs.add(m[1]);
  }
  for (const s of added) {
    const m = PROTO_RPC.exec(s.line.content);
    if (m) rpcs.add(m[1], -1);
  }
  for (const s of deleted) {
    const m = PROTO_RPC.exec(s.line.content);
    if (!m || rpcs.get(m[1]) <= 0) continue;
    rpcs.add(m[1], -1);
    emit(
      file,
      s.line,
      "api-removed-rpc",
      `The RPC \`${m[1]}\` is removed: clients still calling it get UNIMPLEMENTED errors.`,
      0.85,
      "high",
      "protobuf",
      "Keep the RPC (deprecated) until no client calls it, or add the replacement alongside it first.",
    );
  }

  // A new field taking a number (or name) the message reserves, seen on a context line.
  const oldNumbers = new Set(oldF.map((f) => `${f.message}#${f.number}`));
  for (const f of newF) {
    if (oldNumbers.has(`${f.message}#${f.number}`)) continue; // reported above
    const own = indentOf(f.s.line.content);
    // The message's block around the field: up to its opening line, down to its closing brace.
    const block: DiffLine[] = [];
    for (let i = f.s.index - 1; i >= 0 && i >= f.s.index - 300; i--) {
      const l = f.s.side[i];
      if (indentOf(l.content) < own && /\{\s*$/.test(l.content)) break;
      block.push(l);
    }
    for (let i = f.s.index + 1; i < f.s.side.length && i <= f.s.index + 300; i++) {
      const l = f.s.side[i];
      if (indentOf(l.content) < own && /^\s*\}/.test(l.content)) break;
      block.push(l);
    }
    const hit = block.some((l) => {
      if (l.kind !== "context" || !/^\s*reserved\b/.test(l.content) || indentOf(l.content) !== own) return false;
      const r = parseReserved(l.content.replace(/^\s*reserved\b/, ""));
      return reservedHas(r, Number(f.number)) || r.names.has(f.name);
    });
    if (hit)
      emit(
        file,
        f.s.line,
        "api-field-number-reused",
        REUSED_RESERVED(f.message, f.name, f.number),
        0.9,
        "critical",
        "protobuf",
        REUSED_REC(f.number),
      );
  }
}

const REUSED_RESERVED = (message: string, name: string, number: string) =>
  `The new field \`${message}.${name}\` takes ${number}, which the message reserves for a removed field: old clients and stored data still carry the old field under that number and decode it as the new one, corrupting it or failing to parse.`;
const REUSED_REC = (number: string) =>
  `Never reuse a reserved number: give the new field a number that was never used, and keep \`reserved ${number};\`.`;

// ---------------------------------------------------------------------------------------------
// Whole files

const SCALARS = new Set([
  "double",
  "float",
  "int32",
  "int64",
  "uint32",
  "uint64",
  "sint32",
  "sint64",
  "fixed32",
  "fixed64",
  "sfixed32",
  "sfixed64",
  "bool",
  "string",
  "bytes",
]);

function shortName(type: string): string {
  return type.slice(type.lastIndexOf(".") + 1);
}

/** Whether old readers still decode a field whose type changes from `a` to `b` (enums are int32 on the wire). */
function compatible(a: string, b: string, enums: Set<string>): boolean {
  const norm = (x: string) => (enums.has(shortName(x)) ? "int32" : SCALARS.has(x) ? x : shortName(x));
  return wireCompatible(norm(a), norm(b));
}

function compareProto(o: ProtoFile, n: ProtoFile): Issue[] {
  const issues: Issue[] = [];
  const enums = new Set([...o.enums.keys(), ...n.enums.keys()].map(shortName));
  if (o.pkg && n.pkg && o.pkg.name !== n.pkg.name)
    issues.push({
      kind: "api-package-changed",
      side: "new",
      line: n.pkg.line,
      alt: [{ side: "old", line: o.pkg.line }],
      prediction: `The package changes \`${o.pkg.name}\` → \`${n.pkg.name}\`: every fully-qualified name changes, so old gRPC clients call \`/${o.pkg.name}.Service/Method\` paths that no longer exist (UNIMPLEMENTED), and \`Any\` type URLs stop resolving.`,
      confidence: 0.85,
      severity: "high",
      recommendation: "Keep the package name; put incompatible changes in a new versioned package (`.v2`) served alongside the old one.",
    });
  for (const [name, om] of o.messages) {
    const nm = n.messages.get(name);
    if (!nm) continue;
    const byNumber = new Map(nm.fields.map((f) => [f.number, f]));
    const byName = new Map(nm.fields.map((f) => [f.name, f]));
    const oldNumbers = new Set(om.fields.map((f) => f.number));
    for (const f of om.fields) {
      const same = byNumber.get(f.number);
      if (!same) {
        const moved = byName.get(f.name);
        if (moved && !oldNumbers.has(moved.number)) {
          issues.push({
            kind: "api-field-number-changed",
            side: "new",
            line: moved.line,
            alt: [{ side: "old", line: f.line }],
            prediction: `The field \`${name}.${f.name}\` changes number ${f.number} → ${moved.number}: clients built from the old schema read and write it under the old number, so its data is silently lost or misread.`,
            confidence: 0.95,
            severity: "critical",
            recommendation:
              "Never change a field number: keep the old field, add a new one with a new number, and `reserved` the old number when it is finally removed.",
          });
          continue;
        }
        const isReserved = reservedHas(nm.reserved, f.number) || nm.reserved.names.has(f.name);
        issues.push({
          kind: "api-removed-field",
          side: "old",
          line: f.line,
          prediction: `The field \`${name}.${f.name}\` (= ${f.number}) is removed: clients that read it get default values silently${isReserved ? "" : ", and the number can later be reused by mistake"}.`,
          confidence: isReserved ? 0.6 : 0.85,
          severity: isReserved ? "medium" : "high",
          recommendation: `Deprecate the field (\`[deprecated = true]\`) before removing it, and reserve its number and name: \`reserved ${f.number};\`.`,
        });
        continue;
      }
      const sameLabelShape = (f.label === "repeated") === (same.label === "repeated");
      if (same.name !== f.name) {
        const reused = !compatible(f.type, same.type, enums) || !sameLabelShape;
        issues.push(
          reused
            ? {
                kind: "api-field-number-reused",
                side: "new",
                line: same.line,
                alt: [{ side: "old", line: f.line }],
                prediction: `Field number ${f.number} of \`${name}\` is reused for \`${same.name}\` (${same.type}, was \`${f.name}\` ${f.type}): old clients decode the new data as the old field, corrupting it or failing to parse.`,
                confidence: 0.9,
                severity: "critical",
                recommendation: `Give the new field a new number and add \`reserved ${f.number};\` and \`reserved "${f.name}";\` for the old one.`,
              }
            : {
                kind: "api-field-renamed",
                side: "new",
                line: same.line,
                alt: [{ side: "old", line: f.line }],
                prediction: `The field \`${name}.${f.name}\` is renamed to \`${same.name}\`: the binary format is unchanged, but JSON/text clients and code generated from the old name break.`,
                confidence: 0.6,
                severity: "medium",
                recommendation:
                  "Keep the old name (add the new field alongside it) until clients using JSON or generated accessors have moved.",
              },
        );
        continue;
      }
      if (!compatible(f.type, same.type, enums) || !sameLabelShape)
        issues.push({
          kind: "api-field-type-changed",
          side: "new",
          line: same.typeLine,
          alt: [
            { side: "new", line: same.line },
            { side: "old", line: f.line },
          ],
          prediction: `The field \`${name}.${f.name}\` changes type ${f.label === "repeated" ? "repeated " : ""}${f.type} → ${same.label === "repeated" ? "repeated " : ""}${same.type}: clients built from the old schema cannot decode it (parse errors or garbage values).`,
          confidence: 0.85,
          severity: "critical",
          recommendation:
            "Add a new field with the new type and a new number, deprecate the old one, and keep filling both until clients have moved.",
        });
      else if (same.label === "required" && f.label !== "required")
        issues.push({
          kind: "api-newly-required",
          side: "new",
          line: same.line,
          prediction: `The field \`${name}.${f.name}\` becomes \`required\`: messages from old senders that leave it unset fail to parse.`,
          confidence: 0.85,
          severity: "high",
          recommendation: "Do not add `required` to existing fields; validate in application code instead.",
        });
    }
    for (const f of nm.fields) {
      if (oldNumbers.has(f.number)) continue;
      if (reservedHas(om.reserved, f.number) || om.reserved.names.has(f.name))
        issues.push({
          kind: "api-field-number-reused",
          side: "new",
          line: f.line,
          prediction: REUSED_RESERVED(name, f.name, String(f.number)),
          confidence: 0.9,
          severity: "critical",
          recommendation: REUSED_REC(String(f.number)),
        });
      else if (f.label === "required")
        issues.push({
          kind: "api-newly-required",
          side: "new",
          line: f.line,
          prediction: `The new field \`${name}.${f.name}\` is \`required\`: messages from old senders, which never set it, fail to parse.`,
          confidence: 0.85,
          severity: "high",
          recommendation: "Make it `optional` and validate it in application code.",
        });
    }
  }
  for (const [name, oe] of o.enums) {
    const ne = n.enums.get(name);
    if (!ne) continue;
    const newByNumber = new Map([...ne.values].map(([k, v]) => [v.number, k]));
    for (const [v, ov] of oe.values) {
      const nv = ne.values.get(v);
      if (nv && nv.number !== ov.number)
        issues.push({
          kind: "api-enum-number-changed",
          side: "new",
          line: nv.line,
          alt: [{ side: "old", line: ov.line }],
          prediction: `The enum value \`${name}.${v}\` changes number ${ov.number} → ${nv.number}: old clients and stored data mean a different value by each number, silently swapping meanings.`,
          confidence: 0.9,
          severity: "critical",
          recommendation: "Never renumber enum values: add a new value and deprecate the old one.",
        });
      else if (!nv) {
        const renamed = newByNumber.get(ov.number);
        issues.push({
          kind: "api-removed-enum-value",
          side: "old",
          line: ov.line,
          prediction: renamed
            ? `The enum value \`${name}.${v}\` is renamed to \`${renamed}\`: the binary format is unchanged, but JSON clients and code using the old name break.`
            : `The enum value \`${name}.${v}\` (= ${ov.number}) is removed: old clients still send it and new code sees an unknown value; JSON clients using the name fail to parse.`,
          confidence: renamed ? 0.6 : 0.75,
          severity: "medium",
          recommendation: `Keep the value (with \`[deprecated = true]\`) or reserve it: \`reserved ${ov.number};\` and \`reserved "${v}";\`.`,
        });
      }
    }
  }
  for (const [sname, os] of o.services) {
    const ns = n.services.get(sname);
    if (!ns) {
      issues.push({
        kind: "api-removed-rpc",
        side: "old",
        line: os.line,
        prediction: `The service \`${sname}\` is removed: clients still calling any of its methods get UNIMPLEMENTED errors.`,
        confidence: 0.85,
        severity: "high",
        recommendation: "Keep the service until no client calls it, or serve the replacement alongside it first.",
      });
      continue;
    }
    for (const [rname, or] of os.rpcs) {
      const nr = ns.rpcs.get(rname);
      if (!nr) {
        issues.push({
          kind: "api-removed-rpc",
          side: "old",
          line: or.line,
          prediction: `The RPC \`${rname}\` is removed: clients still calling it get UNIMPLEMENTED errors.`,
          confidence: 0.85,
          severity: "high",
          recommendation: "Keep the RPC (deprecated) until no client calls it, or add the replacement alongside it first.",
        });
        continue;
      }
      const norm = (s: string) =>
        s
          .split(" ")
          .map((w) => (w === "stream" ? w : shortName(w)))
          .join(" ");
      if (norm(or.request) !== norm(nr.request) || norm(or.response) !== norm(nr.response))
        issues.push({
          kind: "api-rpc-signature-changed",
          side: "new",
          line: nr.line,
          alt: [{ side: "old", line: or.line }],
          prediction: `The RPC \`${sname}.${rname}\` changes signature (${or.request} → ${or.response}) to (${nr.request} → ${nr.response}): old clients send and expect messages the server no longer uses, so calls fail to decode or return garbage.`,
          confidence: 0.9,
          severity: "critical",
          recommendation: "Add a new RPC with the new signature and keep the old one until clients have moved.",
        });
    }
  }
  return issues;
}

/** Protobuf breaks of one file: whole files when the content is known and both versions parse, else the diff. */
export function protobufContract(file: DiffFile, content: string | undefined, emit: Emit): void {
  if (content !== undefined) {
    const oldText = reconstructOld(content, file);
    if (oldText !== undefined && oldText.trim() === "") return; // a new .proto breaks no one
    const o = oldText !== undefined ? parseProto(oldText) : undefined;
    const n = o ? parseProto(content) : undefined;
    if (o && n) {
      emitIssues(file, compareProto(o, n), "protobuf", emit);
      return;
    }
  }
  protobufFromDiff(file, emit, sidedLines(file, content));
}
