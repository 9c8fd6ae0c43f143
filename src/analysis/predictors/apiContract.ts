/**
 * Breaking changes to an API contract that clients outside this repository depend on:
 * OpenAPI/Swagger, GraphQL schemas and protobuf definitions. Works from the diff's deleted and
 * added lines: a key deleted and not re-added under the same parent is a removal; a move or an
 * edit that keeps the key is not.
 */
import type { SyncAnalyzer, DiffFile, DiffLine, Prediction, Severity } from "../types.js";
import { changedLines, makePrediction, parentIndex, snippet, Tally, indentOf, type SidedLine } from "./predict.js";

interface Emit {
  (file: DiffFile, at: DiffLine, kind: string, prediction: string, confidence: number, severity: Severity, extraTag: string, recommendation: string): void;
}

// ---------------------------------------------------------------------------------------------
// OpenAPI / Swagger

const OPENAPI_EXT = /\.(?:ya?ml|json)$/i;
const OPENAPI_NAME = /openapi|swagger/i;
const OPENAPI_MARKER = /^\s*["']?(?:openapi|swagger)["']?\s*:/;
const QUOTED_KEY = /^(\s*)(?:-\s+)?(["'])(.+?)\2\s*:(?:\s|$)/;
const PLAIN_KEY = /^(\s*)(?:-\s+)?([^\s"'#:\-{}\[\]][^:#]*?)\s*:(?:\s|$)/;
const METHODS = new Set(["get", "put", "post", "delete", "patch", "head", "options", "trace"]);
const LIST_ITEM = /^\s*-\s*["']?([\w.$-]+)["']?\s*$|^\s*"([\w.$-]+)"\s*,?\s*$/;
const INLINE_REQUIRED = /^\s*["']?required["']?\s*:\s*\[([^\]]*)\]/;
const REQUIRED_TRUE = /^\s*(?:-\s+)?["']?required["']?\s*:\s*true\b/;

function keyOf(text: string): string | undefined {
  const q = QUOTED_KEY.exec(text);
  if (q) return q[3];
  const p = PLAIN_KEY.exec(text);
  return p ? p[2].trim() : undefined;
}

function isOpenApi(file: DiffFile, contents: string | undefined): boolean {
  if (!OPENAPI_EXT.test(file.path)) return false;
  if (OPENAPI_NAME.test(file.path)) return true;
  if (typeof contents === "string") return contents.split(/\r?\n/, 5).some((l) => OPENAPI_MARKER.test(l));
  return file.hunks.some((h) => h.lines.some((l) => OPENAPI_MARKER.test(l.content)));
}

interface KeyEntry {
  s: SidedLine;
  key: string;
  id: string;
  parentKey: string | undefined;
  parentChanged: boolean;
  grandKey: string | undefined;
}

function keyEntry(s: SidedLine): KeyEntry | undefined {
  const key = keyOf(s.line.content);
  if (key === undefined) return undefined;
  const p = parentIndex(s.side, s.index);
  const parent = p >= 0 ? s.side[p] : undefined;
  const g = p >= 0 ? parentIndex(s.side, p) : -1;
  const parentKey = parent ? keyOf(parent.content) : undefined;
  return {
    s,
    key,
    id: `${parentKey ?? "?"}>${key}@${indentOf(s.line.content)}`,
    parentKey,
    parentChanged: parent !== undefined && parent.kind !== "context",
    grandKey: g >= 0 ? keyOf(s.side[g].content) : undefined,
  };
}

/** Names an added line makes required, when it is added to something that already existed. */
function requiredNames(s: SidedLine): string[] {
  const text = s.line.content;
  const p = parentIndex(s.side, s.index);
  const parent = p >= 0 ? s.side[p] : undefined;
  if (!parent) return [];
  const inline = INLINE_REQUIRED.exec(text);
  if (inline) {
    if (parent.kind !== "context") return [];
    return inline[1].split(",").map((x) => x.trim().replace(/^["']|["']$/g, "")).filter(Boolean);
  }
  const item = LIST_ITEM.exec(text);
  if (item && keyOf(parent.content) === "required" && parent.kind === "context") return [item[1] ?? item[2]];
  if (REQUIRED_TRUE.test(text) && parent.kind === "context") {
    const name = /name\s*["']?\s*:\s*["']?([\w.-]+)/.exec(parent.content);
    return [name ? name[1] : "a parameter"];
  }
  return [];
}

function requiredRemovedNames(s: SidedLine): string[] {
  const text = s.line.content;
  const inline = INLINE_REQUIRED.exec(text);
  if (inline) return inline[1].split(",").map((x) => x.trim().replace(/^["']|["']$/g, "")).filter(Boolean);
  const item = LIST_ITEM.exec(text);
  if (item) return [item[1] ?? item[2]];
  if (REQUIRED_TRUE.test(text)) {
    const p = parentIndex(s.side, s.index);
    const name = p >= 0 ? /name\s*["']?\s*:\s*["']?([\w.-]+)/.exec(s.side[p].content) : null;
    return [name ? name[1] : "a parameter"];
  }
  return [];
}

function openApi(file: DiffFile, emit: Emit): void {
  const { added, deleted } = changedLines(file);
  const tally = new Tally();
  const del = deleted.map(keyEntry).filter((e): e is KeyEntry => e !== undefined);
  for (const e of del) tally.add(e.id);
  for (const s of added) {
    const e = keyEntry(s);
    if (e) tally.add(e.id, -1);
  }
  for (const e of del) {
    if (tally.get(e.id) <= 0) continue;
    tally.add(e.id, -1);
    if (e.parentChanged) continue; // its parent is removed too and reported on its own
    if (e.key.startsWith("/")) {
      emit(file, e.s.line, "api-removed-endpoint",
        `The API path \`${e.key}\` is removed: every client still calling it (mobile apps, partner integrations, other services) will get 404 errors.`,
        0.85, "high", "openapi",
        "Deprecate the path first (`deprecated: true`, a Sunset header), keep it working until clients have moved, or publish the change as a new API version.");
    } else if (METHODS.has(e.key.toLowerCase()) && e.parentKey?.startsWith("/")) {
      emit(file, e.s.line, "api-removed-operation",
        `The operation \`${e.key.toUpperCase()} ${e.parentKey}\` is removed: clients still calling it will get 404/405 errors.`,
        0.85, "high", "openapi",
        "Deprecate the operation first and keep it until clients have moved, or version the API.");
    } else if (e.parentKey === "properties") {
      const of = e.grandKey ? ` of \`${e.grandKey}\`` : "";
      emit(file, e.s.line, "api-removed-property",
        `The property \`${e.key}\`${of} is removed from the API schema: clients that read it get nothing back, and clients that send it may be rejected.`,
        0.75, "high", "openapi",
        "Keep the property (mark it `deprecated: true`) until clients stop using it, or introduce a new API version.");
    }
  }

  const wasRequired = new Tally();
  for (const s of deleted) for (const n of requiredRemovedNames(s)) wasRequired.add(n);
  for (const s of added) {
    for (const name of requiredNames(s)) {
      if (wasRequired.get(name) > 0) {
        wasRequired.add(name, -1);
        continue;
      }
      emit(file, s.line, "api-newly-required",
        `\`${name}\` becomes required: existing clients that do not send it will have their requests rejected (400).`,
        0.7, "medium", "openapi",
        "Make it optional with a server-side default, or require it only in a new API version.");
    }
  }
}

// ---------------------------------------------------------------------------------------------
// GraphQL

const GQL_EXT = /\.(?:graphqls?|gql)$/i;
const GQL_TYPE = /^\s*(?:extend\s+)?(type|interface|enum|input|union|scalar)\s+(\w+)/;
const GQL_FIELD = /^(\s+)(\w+)\s*(\([^)]*\))?\s*:\s*([\[A-Z_][\w\[\]!]*)/;
const GQL_ARG = /(\w+)\s*:\s*([\w\[\]!]+)(\s*=)?/g;

function enclosingType(s: SidedLine): { name: string; changed: boolean } | undefined {
  for (let i = s.index - 1; i >= 0 && i >= s.index - 300; i--) {
    const m = GQL_TYPE.exec(s.side[i].content);
    if (m) return { name: m[2], changed: s.side[i].kind !== "context" };
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

function graphql(file: DiffFile, emit: Emit): void {
  const { added, deleted } = changedLines(file);
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
      emit(file, s.line, "api-removed-type",
        `The GraphQL ${t[1]} \`${t[2]}\` is removed: every query, fragment or variable that uses it fails validation for existing clients.`,
        0.85, "high", "graphql",
        "Mark its fields `@deprecated(reason: ...)` first, watch field usage, and remove it only when no client queries it.");
      continue;
    }
    const f = GQL_FIELD.exec(s.line.content);
    if (!f) continue;
    const owner = enclosingType(s);
    const id = fieldId(s, f[2]);
    if (fields.get(id) <= 0 || owner?.changed) continue;
    fields.add(id, -1);
    emit(file, s.line, "api-removed-field",
      `The GraphQL field \`${owner ? `${owner.name}.` : ""}${f[2]}\` is removed: existing clients whose queries select it will fail validation.`,
      0.85, "high", "graphql",
      "Deprecate the field with `@deprecated(reason: ...)`, wait until no client selects it, then remove it.");
  }
  // An argument that becomes non-null, or a new non-null argument without a default.
  for (const s of added) {
    const f = GQL_FIELD.exec(s.line.content);
    if (!f || !f[3]) continue;
    const id = fieldId(s, f[2]);
    if (!oldFields.has(id)) continue;
    const before = args(oldFields.get(id));
    for (const [name, a] of args(f[3])) {
      if (!a.type.endsWith("!") || a.hasDefault) continue;
      const old = before.get(name);
      if (old && old.type.endsWith("!")) continue;
      emit(file, s.line, "api-argument-required",
        `The argument \`${name}\` of \`${f[2]}\` ${old ? "becomes non-null" : "is new and non-null"}: existing queries that do not pass it will fail validation.`,
        0.8, "high", "graphql",
        "Keep the argument nullable or give it a default value, so existing queries stay valid.");
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Protocol Buffers

const PROTO_FIELD = /^\s*(?:optional\s+|required\s+|repeated\s+)?(map\s*<[^>]+>|[\w.]+)\s+(\w+)\s*=\s*(\d+)\s*(?:\[[^\]]*\])?\s*;/;
const PROTO_MESSAGE = /^\s*message\s+(\w+)/;
const PROTO_RPC = /^\s*rpc\s+(\w+)\s*\(/;
const NOT_A_FIELD = /^\s*(?:option|reserved|syntax|package|import|rpc|returns)\b/;

/** Scalar types that share a wire encoding; changing between them keeps old clients decoding. */
const WIRE_GROUPS = [["int32", "uint32", "int64", "uint64", "bool"], ["sint32", "sint64"], ["fixed32", "sfixed32"], ["fixed64", "sfixed64"], ["string", "bytes"]];

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

function protobuf(file: DiffFile, emit: Emit): void {
  const { added, deleted } = changedLines(file);
  const oldF = deleted.map(protoField).filter((f): f is ProtoField => f !== undefined);
  const newF = added.map(protoField).filter((f): f is ProtoField => f !== undefined);
  const newByName = new Map(newF.map((f) => [`${f.message}.${f.name}`, f]));
  const newByNumber = new Map(newF.map((f) => [`${f.message}#${f.number}`, f]));
  const reserved = added.map((s) => s.line.content).filter((t) => /^\s*reserved\b/.test(t)).join(" ");

  for (const o of oldF) {
    const sameName = newByName.get(`${o.message}.${o.name}`);
    if (sameName) {
      if (sameName.number !== o.number)
        emit(file, sameName.s.line, "api-field-number-changed",
          `The field \`${o.message}.${o.name}\` changes number ${o.number} → ${sameName.number}: clients built from the old schema read and write it under the old number, so its data is silently lost or misread.`,
          0.95, "critical", "protobuf",
          "Never change a field number: keep the old field, add a new one with a new number, and `reserved` the old number when it is finally removed.");
      else if (!wireCompatible(o.type, sameName.type))
        emit(file, sameName.s.line, "api-field-type-changed",
          `The field \`${o.message}.${o.name}\` changes type ${o.type} → ${sameName.type}: clients built from the old schema cannot decode it (parse errors or garbage values).`,
          0.85, "critical", "protobuf",
          "Add a new field with the new type and a new number, deprecate the old one, and keep filling both until clients have moved.");
      continue;
    }
    const sameNumber = newByNumber.get(`${o.message}#${o.number}`);
    if (sameNumber) {
      const reused = sameNumber.type !== o.type;
      emit(file, sameNumber.s.line, reused ? "api-field-number-reused" : "api-field-renamed",
        reused
          ? `Field number ${o.number} of \`${o.message}\` is reused for \`${sameNumber.name}\` (${sameNumber.type}, was \`${o.name}\` ${o.type}): old clients decode the new data as the old field, corrupting it or failing to parse.`
          : `The field \`${o.message}.${o.name}\` is renamed to \`${sameNumber.name}\`: the binary format is unchanged, but JSON/text clients and code generated from the old name break.`,
        reused ? 0.9 : 0.6, reused ? "critical" : "medium", "protobuf",
        reused
          ? `Give the new field a new number and add \`reserved ${o.number};\` and \`reserved "${o.name}";\` for the old one.`
          : "Keep the old name (add the new field alongside it) until clients using JSON or generated accessors have moved.");
      continue;
    }
    const isReserved = new RegExp(`\\b${o.number}\\b|"${o.name}"`).test(reserved);
    emit(file, o.s.line, "api-removed-field",
      `The field \`${o.message}.${o.name}\` (= ${o.number}) is removed: clients that read it get default values silently${isReserved ? "" : ", and the number can later be reused by mistake"}.`,
      isReserved ? 0.6 : 0.85, isReserved ? "medium" : "high", "protobuf",
      `Deprecate the field (\`[deprecated = true]\`) before removing it, and reserve its number and name: \`reserved ${o.number};\`.`);
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
    emit(file, s.line, "api-removed-rpc",
      `The RPC \`${m[1]}\` is removed: clients still calling it get UNIMPLEMENTED errors.`,
      0.85, "high", "protobuf",
      "Keep the RPC (deprecated) until no client calls it, or add the replacement alongside it first.");
  }
}

// ---------------------------------------------------------------------------------------------

export const apiContractPredictor: SyncAnalyzer = {
  name: "api-contract",
  analyze(input) {
    const predictions: Prediction[] = [];
    const emit: Emit = (file, at, kind, prediction, confidence, severity, extraTag, recommendation) => {
      predictions.push(
        makePrediction({
          kind,
          path: file.path,
          at,
          prediction,
          confidence,
          severity,
          impact: "Clients built against the current contract (other teams, mobile apps that cannot be updated at once, partners) break until they change.",
          tags: ["api", "breaking-change", extraTag],
          recommendation,
          identity: snippet(at.content, 500),
        }),
      );
    };
    for (const file of input.files) {
      if (file.binary || file.hunks.length === 0) continue;
      if (GQL_EXT.test(file.path)) graphql(file, emit);
      else if (/\.proto$/i.test(file.path)) protobuf(file, emit);
      else if (isOpenApi(file, input.fileContents?.get(file.path))) openApi(file, emit);
    }
    return { findings: [], predictions };
  },
};
