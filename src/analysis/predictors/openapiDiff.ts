/**
 * OpenAPI breaks read from the diff alone (see openapi.ts), when the whole documents are not
 * available or do not parse: a key deleted and not re-added under the same parent is a removal
 * (paths, operations, properties), and so are names newly required, a changed `type:` under an
 * unchanged parent and enum values deleted and not re-added.
 */
import type { DiffFile } from "../types.js";
import type { Emit } from "./contract.js";
import { changedLines, indentOf, parentIndex, Tally, type SidedLine } from "./predict.js";

const QUOTED_KEY = /^(\s*)(?:-\s+)?(["'])(.+?)\2\s*:(?:\s|$)/;
const PLAIN_KEY = /^(\s*)(?:-\s+)?([^\s"'#:\-{}[\]][^:#]*?)\s*:(?:\s|$)/;
export const METHODS = new Set(["get", "put", "post", "delete", "patch", "head", "options", "trace"]);
const LIST_ITEM = /^\s*-\s*["']?([\w.$-]+)["']?\s*$|^\s*"([\w.$-]+)"\s*,?\s*$/;
const INLINE_REQUIRED = /^\s*["']?required["']?\s*:\s*\[([^\]]*)\]/;
const REQUIRED_TRUE = /^\s*(?:-\s+)?["']?required["']?\s*:\s*true\b/;

function keyOf(text: string): string | undefined {
  const q = QUOTED_KEY.exec(text);
  if (q) return q[3];
  const p = PLAIN_KEY.exec(text);
  return p ? p[2].trim() : undefined;
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
    return inline[1]
      .split(",")
      .map((x) => x.trim().replace(/^["']|["']$/g, ""))
      .filter(Boolean);
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
  if (inline)
    return inline[1]
      .split(",")
      .map((x) => x.trim().replace(/^["']|["']$/g, ""))
      .filter(Boolean);
  const item = LIST_ITEM.exec(text);
  if (item) return [item[1] ?? item[2]];
  if (REQUIRED_TRUE.test(text)) {
    const p = parentIndex(s.side, s.index);
    const name = p >= 0 ? /name\s*["']?\s*:\s*["']?([\w.-]+)/.exec(s.side[p].content) : null;
    return [name ? name[1] : "a parameter"];
  }
  return [];
}

export function openApiFromDiff(file: DiffFile, emit: Emit, sides = changedLines(file)): void {
  const { added, deleted } = sides;
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
      emit(
        file,
        e.s.line,
        "api-removed-endpoint",
        `The API path \`${e.key}\` is removed: every client still calling it (mobile apps, partner integrations, other services) will get 404 errors.`,
        0.85,
        "high",
        "openapi",
        "Deprecate the path first (`deprecated: true`, a Sunset header), keep it working until clients have moved, or publish the change as a new API version.",
      );
    } else if (METHODS.has(e.key.toLowerCase()) && e.parentKey?.startsWith("/")) {
      emit(
        file,
        e.s.line,
        "api-removed-operation",
        `The operation \`${e.key.toUpperCase()} ${e.parentKey}\` is removed: clients still calling it will get 404/405 errors.`,
        0.85,
        "high",
        "openapi",
        "Deprecate the operation first and keep it until clients have moved, or version the API.",
      );
    } else if (e.parentKey === "properties") {
      const of = e.grandKey ? ` of \`${e.grandKey}\`` : "";
      emit(
        file,
        e.s.line,
        "api-removed-property",
        `The property \`${e.key}\`${of} is removed from the API schema: clients that read it get nothing back, and clients that send it may be rejected.`,
        0.75,
        "high",
        "openapi",
        "Keep the property (mark it `deprecated: true`) until clients stop using it, or introduce a new API version.",
      );
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
      emit(
        file,
        s.line,
        "api-newly-required",
        `\`${name}\` becomes required: existing clients that do not send it will have their requests rejected (400).`,
        0.7,
        "medium",
        "openapi",
        "Make it optional with a server-side default, or require it only in a new API version.",
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A changed `type:` and removed enum values

const TYPE_LINE = /^\s*["']?type["']?\s*:\s*["']?([\w-]+)["']?\s*,?\s*$/;
const INLINE_ENUM = /^\s*["']?enum["']?\s*:\s*\[([^\]]*)\]/;

export function typesAndEnumsFromDiff(file: DiffFile, emit: Emit, sides = changedLines(file)): void {
  const { added, deleted } = sides;
  const parentOf = (s: SidedLine) => {
    const p = parentIndex(s.side, s.index);
    return p >= 0 ? { key: keyOf(s.side[p].content), changed: s.side[p].kind !== "context" } : undefined;
  };
  // type: one deleted and one added under the same (unchanged) parent, at the same indentation
  const oldTypes = new Map<string, string>();
  for (const s of deleted) {
    const m = TYPE_LINE.exec(s.line.content);
    const parent = m ? parentOf(s) : undefined;
    if (m && parent?.key && !parent.changed) oldTypes.set(`${parent.key}@${indentOf(s.line.content)}`, m[1]);
  }
  for (const s of added) {
    const m = TYPE_LINE.exec(s.line.content);
    const parent = m ? parentOf(s) : undefined;
    if (!m || !parent?.key || parent.changed) continue;
    const before = oldTypes.get(`${parent.key}@${indentOf(s.line.content)}`);
    if (!before || before === m[1] || (before === "integer" && m[1] === "number")) continue;
    emit(
      file,
      s.line,
      "api-type-changed",
      `\`${parent.key}\` changes type ${before} → ${m[1]}: clients that send or parse the old type fail (validation errors, parse errors, wrong values).`,
      0.75,
      "high",
      "openapi",
      "Keep the old type and add a new field with the new type (deprecating the old one), or publish the change as a new API version.",
    );
  }
  // enum values: deleted list items under an unchanged `enum:` and not re-added
  const values = (text: string) =>
    text
      .split(",")
      .map((x) => x.trim().replace(/^["']|["']$/g, ""))
      .filter(Boolean);
  const removed = new Tally();
  const firstDel = new Map<string, SidedLine>();
  for (const s of deleted) {
    const inline = INLINE_ENUM.exec(s.line.content);
    if (inline)
      for (const v of values(inline[1])) {
        removed.add(v);
        if (!firstDel.has(v)) firstDel.set(v, s);
      }
    const item = LIST_ITEM.exec(s.line.content);
    const parent = item ? parentOf(s) : undefined;
    if (item && parent?.key === "enum" && !parent.changed) {
      const v = item[1] ?? item[2];
      removed.add(v);
      if (!firstDel.has(v)) firstDel.set(v, s);
    }
  }
  for (const s of added) {
    const inline = INLINE_ENUM.exec(s.line.content);
    if (inline) for (const v of values(inline[1])) removed.add(v, -1);
    const item = LIST_ITEM.exec(s.line.content);
    if (item) removed.add(item[1] ?? item[2], -1);
  }
  for (const [v, s] of firstDel) {
    if (removed.get(v) <= 0) continue;
    emit(
      file,
      s.line,
      "api-removed-enum-value",
      `The enum value \`${v}\` is removed: clients that send it get their requests rejected (400), and data or cached values holding it no longer validate.`,
      0.7,
      "medium",
      "openapi",
      "Keep accepting the value (document it as deprecated) until clients stop sending it, or map it to its replacement on the server.",
    );
  }
}
