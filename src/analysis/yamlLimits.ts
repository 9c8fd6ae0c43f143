/**
 * Bounded YAML: every YAML the app reads (the operator config, `.github/empathy.yml`, the
 * OpenAPI documents and workflows the predictors read) goes through here, with a size limit
 * checked before parsing and, after parsing, limits on aliases and on what the aliases expand
 * to. A 400-byte "billion laughs" file (anchors that alias each other nine times a level) is
 * refused in microseconds instead of expanding to a billion values in whoever walks the data.
 *
 * The yaml library's own `maxAliasCount` is a heuristic (it multiplies counts of one anchor,
 * not the whole expansion), and code that walks the Document itself bypasses it: here the
 * expanded size and depth are computed exactly, once per node (memoized), in linear time.
 */
import { createRequire } from "node:module";
import type * as Yaml from "yaml";
import type { Document, DocumentOptions, ParseOptions, SchemaOptions } from "yaml";

let yamlModule: typeof Yaml | undefined;

/**
 * The yaml library, loaded on first use: an analysis worker reads YAML only when a change has a
 * workflow or an OpenAPI document (or the rule cache is cold), and loading it costs each worker's
 * start-up ~30 ms.
 */
export function yamlLibrary(): typeof Yaml {
  return (yamlModule ??= createRequire(import.meta.url)("yaml") as typeof Yaml);
}

export interface YamlLimits {
  /** Largest text parsed, in UTF-8 bytes; checked before parsing. */
  maxBytes: number;
  /** Most alias nodes (`*name`) in the document. */
  maxAliases: number;
  /** Most values (scalars and collections) once every alias is expanded. */
  maxNodes: number;
  /** Deepest nesting of collections once aliases are expanded. */
  maxDepth: number;
}

/** The operator's own file: generous, it is trusted, but a mistake must not hang start-up. */
export const OPERATOR_CONFIG_YAML_LIMITS: Readonly<YamlLimits> = Object.freeze({
  maxBytes: 1_048_576,
  maxAliases: 100,
  maxNodes: 100_000,
  maxDepth: 64,
});

/** `.github/empathy.yml` (and the files it `_extends`): written by anyone who can push. */
export const REPO_CONFIG_YAML_LIMITS: Readonly<YamlLimits> = Object.freeze({
  maxBytes: 65_536,
  maxAliases: 50,
  maxNodes: 10_000,
  maxDepth: 32,
});

/**
 * YAML from pull requests (OpenAPI documents, workflows). 1.5 MB is where parsing passes half a
 * second; a large real document has hundreds of thousands of values, and few aliases.
 */
export const PREDICTOR_YAML_LIMITS: Readonly<YamlLimits> = Object.freeze({
  maxBytes: 1_500_000,
  maxAliases: 1_000,
  maxNodes: 2_000_000,
  maxDepth: 200,
});

export type YamlLimitKind = "bytes" | "aliases" | "nodes" | "depth" | "alias_cycle";

/** The text is over a limit; `line` is where it was found (1-based), when known. */
export class YamlLimitError extends Error {
  override readonly name = "YamlLimitError";
  constructor(
    readonly limit: YamlLimitKind,
    message: string,
    readonly line: number | null,
  ) {
    super(message);
  }
}

export type BoundedParseOptions = ParseOptions & DocumentOptions & SchemaOptions;

/**
 * parseDocument, refusing text over the limits with YamlLimitError. A document with syntax
 * errors is returned as is (its `errors` say why): nothing is expanded from it.
 */
export function parseBoundedDocument(text: string, limits: Readonly<YamlLimits>, options: BoundedParseOptions = {}): Document.Parsed {
  // text.length <= bytes, so the cheap test settles most texts before counting bytes.
  if (text.length > limits.maxBytes || Buffer.byteLength(text, "utf8") > limits.maxBytes) {
    throw new YamlLimitError(
      "bytes",
      `is ${formatBytes(Buffer.byteLength(text, "utf8"))}, over the ${formatBytes(limits.maxBytes)} limit`,
      null,
    );
  }
  const doc = yamlLibrary().parseDocument(text, options);
  if (doc.errors.length === 0) checkExpansion(doc, text, limits);
  return doc;
}

/**
 * Like `YAML.parse`, bounded: the first document as plain JS. Throws YamlLimitError over a
 * limit, and the first syntax error (a YAMLParseError) for invalid YAML.
 */
export function parseBoundedYaml(text: string, limits: Readonly<YamlLimits>, options: BoundedParseOptions = {}): unknown {
  const doc = parseBoundedDocument(text, limits, options);
  if (doc.errors.length > 0) throw doc.errors[0];
  // The exact check above replaces the library's heuristic, which could refuse a fine file.
  return doc.toJS({ maxAliasCount: -1 });
}

interface Measure {
  size: number;
  height: number;
}

/** Counts aliases and the expanded size and depth, each node once; throws at the first limit passed. */
function checkExpansion(doc: Document.Parsed, text: string, limits: Readonly<YamlLimits>): void {
  const anchors = new Map<string, unknown>();
  const { isAlias, isMap, isPair, isScalar, isSeq } = yamlLibrary();
  const done = new Map<unknown, Measure>();
  const open = new Set<unknown>();
  let aliases = 0;
  const line = (node: unknown): number | null => {
    const offset = (node as { range?: [number, number, number] } | null)?.range?.[0];
    if (offset === undefined) return null;
    let n = 1;
    for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) n++;
    return n;
  };
  const tooDeep = (node: unknown): never => {
    throw new YamlLimitError("depth", `nests deeper than ${limits.maxDepth} levels${aliasNote(aliases)}`, line(node));
  };

  // Document order: an alias names the last anchor before it, and that node has been entered
  // already (finished, or an ancestor: an alias inside its own anchor is a cycle).
  const measure = (node: unknown, depth: number): Measure => {
    if (node === null || node === undefined) return { size: 0, height: 0 };
    if (depth > limits.maxDepth) tooDeep(node);
    if (isAlias(node)) {
      aliases++;
      if (aliases > limits.maxAliases) {
        throw new YamlLimitError("aliases", `has more than ${limits.maxAliases} aliases (*name)`, line(node));
      }
      const target = anchors.get(node.source);
      if (target === undefined) return { size: 1, height: 0 }; // unresolved: the parser reports it
      if (open.has(target))
        throw new YamlLimitError("alias_cycle", `alias *${node.source} refers to a collection that contains it`, line(node));
      const m = done.get(target) ?? measure(target, depth);
      if (depth + m.height > limits.maxDepth) tooDeep(node);
      return m;
    }
    const anchor = (node as { anchor?: string }).anchor;
    if (typeof anchor === "string") anchors.set(anchor, node);
    const known = done.get(node);
    if (known) return known;
    let result: Measure;
    if (isMap(node) || isSeq(node)) {
      open.add(node);
      let size = 1;
      let height = 0;
      for (const item of node.items as unknown[]) {
        const parts = isPair(item) ? [item.key, item.value] : [item];
        for (const part of parts) {
          const m = measure(part, depth + 1);
          size += m.size;
          if (size > limits.maxNodes) {
            throw new YamlLimitError(
              "nodes",
              `expands to more than ${limits.maxNodes.toLocaleString("en-US")} values${aliasNote(aliases)}`,
              line(part),
            );
          }
          if (m.height + 1 > height) height = m.height + 1;
        }
      }
      open.delete(node);
      result = { size, height };
    } else {
      result = { size: isScalar(node) ? 1 : 0, height: 0 };
    }
    done.set(node, result);
    return result;
  };
  measure(doc.contents, 0);
}

function aliasNote(aliases: number): string {
  return aliases > 0 ? " once its aliases are expanded (an alias bomb?)" : "";
}

/** Whole kilobytes, rounded up (a file just over the limit must not read as equal to it). */
export function formatBytes(n: number): string {
  return n >= 1024 ? `${Math.ceil(n / 1024).toLocaleString("en-US")} KB` : `${n} bytes`;
}
