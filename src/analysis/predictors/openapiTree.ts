/**
 * An OpenAPI document as a tree that keeps line numbers (see openapi.ts): JSON through a small
 * recursive-descent reader, YAML through the bounded YAML parser, and the accessors the
 * comparer reads it with.
 */
import { parseBoundedDocument, PREDICTOR_YAML_LIMITS, yamlLibrary } from "../yamlLimits.js";
import { lineOfOffset } from "./predict.js";

interface YMap {
  t: "map";
  line: number;
  entries: Map<string, { keyLine: number; value: YNode }>;
}
interface YSeq {
  t: "seq";
  line: number;
  items: YNode[];
}
interface YScalar {
  t: "scalar";
  line: number;
  value: unknown;
}
export type YNode = YMap | YSeq | YScalar;

const MAX_JSON_CHARS = 30_000_000;

/** A JSON document as a tree with line numbers: a small recursive-descent reader, far faster than a YAML parser. */
function parseJsonTree(text: string): YNode | undefined {
  let i = 0;
  let line = 1;
  const n = text.length;
  const ws = () => {
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) line++;
      else if (c !== 32 && c !== 9 && c !== 13 && c !== 0xfeff) break;
    }
  };
  const fail = (): never => {
    throw new SyntaxError("bad JSON");
  };
  const str = (): string => {
    const start = ++i;
    let simple = true;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) break;
      if (c === 92) {
        simple = false;
        i++;
      } else if (c === 10) fail();
    }
    if (i >= n) fail();
    const raw = text.slice(start, i++);
    return simple ? raw : (JSON.parse(`"${raw}"`) as string);
  };
  const value = (depth: number): YNode => {
    ws();
    const at = line;
    const c = text[i];
    if (depth > 200) fail();
    if (c === "{") {
      i++;
      const entries = new Map<string, { keyLine: number; value: YNode }>();
      ws();
      if (text[i] === "}") {
        i++;
        return { t: "map", line: at, entries };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        const keyLine = line;
        const k = str();
        ws();
        if (text[i++] !== ":") fail();
        entries.set(k, { keyLine, value: value(depth + 1) });
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") {
          i++;
          return { t: "map", line: at, entries };
        } else fail();
      }
    }
    if (c === "[") {
      i++;
      const items: YNode[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return { t: "seq", line: at, items };
      }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") {
          i++;
          return { t: "seq", line: at, items };
        } else fail();
      }
    }
    if (c === '"') return { t: "scalar", line: at, value: str() };
    const m = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 40));
    if (!m) fail();
    i += m![0].length;
    const v = m![0] === "true" ? true : m![0] === "false" ? false : m![0] === "null" ? null : Number(m![0]);
    return { t: "scalar", line: at, value: v };
  };
  try {
    const root = value(0);
    ws();
    return i >= n ? root : undefined;
  } catch {
    return undefined;
  }
}

/** A YAML or JSON document as a tree that keeps line numbers; undefined when it does not parse. */
export function parseTree(text: string): YNode | undefined {
  if (/^\s*[{[]/.test(text) && text.length <= MAX_JSON_CHARS) {
    const json = parseJsonTree(text);
    if (json) return json;
  }
  // Bounded (size before parsing, aliases and their expansion after): a document over the
  // limits falls back to the diff, like one that does not parse.
  let doc: ReturnType<typeof parseBoundedDocument>;
  try {
    doc = parseBoundedDocument(text, PREDICTOR_YAML_LIMITS, { uniqueKeys: false, prettyErrors: false });
  } catch {
    return undefined;
  }
  if (doc.errors.length > 0) return undefined;
  const lineOf = lineOfOffset(text);
  const { isAlias, isMap, isScalar, isSeq } = yamlLibrary();
  const convert = (node: unknown, fallbackLine: number, depth: number): YNode => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    const line = range ? lineOf(range[0]) : fallbackLine;
    if (depth > 64 || isAlias(node)) return { t: "scalar", line, value: undefined };
    if (isMap(node)) {
      const entries = new Map<string, { keyLine: number; value: YNode }>();
      for (const pair of node.items) {
        const k = isScalar(pair.key) ? pair.key.value : pair.key;
        if (typeof k !== "string" && typeof k !== "number" && typeof k !== "boolean") continue;
        const kr = (pair.key as { range?: [number, number, number] } | null)?.range;
        const keyLine = kr ? lineOf(kr[0]) : line;
        entries.set(String(k), { keyLine, value: convert(pair.value, keyLine, depth + 1) });
      }
      return { t: "map", line, entries };
    }
    if (isSeq(node)) return { t: "seq", line, items: node.items.map((it) => convert(it, line, depth + 1)) };
    return { t: "scalar", line, value: isScalar(node) ? node.value : null };
  };
  return convert(doc.contents, 1, 0);
}

export function get(n: YNode | undefined, key: string): YNode | undefined {
  return n?.t === "map" ? n.entries.get(key)?.value : undefined;
}
export function keyLine(n: YNode | undefined, key: string): number | undefined {
  return n?.t === "map" ? n.entries.get(key)?.keyLine : undefined;
}
export function str(n: YNode | undefined): string | undefined {
  return n?.t === "scalar" && (typeof n.value === "string" || typeof n.value === "number") ? String(n.value) : undefined;
}
export function isTrue(n: YNode | undefined): boolean {
  return n?.t === "scalar" && (n.value === true || n.value === "true");
}
export function scalarItems(n: YNode | undefined): { value: string; line: number }[] {
  if (n?.t !== "seq") return [];
  return n.items.flatMap((i) =>
    i.t === "scalar" && i.value !== null && i.value !== undefined ? [{ value: String(i.value), line: i.line }] : [],
  );
}
