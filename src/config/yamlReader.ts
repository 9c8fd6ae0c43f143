/**
 * The operator config's YAML reader: parses the file under the YAML limits, turns it into plain
 * values with the line of every key and value (for error messages that name file, line and key),
 * and applies `${VAR}` interpolation from the environment it is given, remembering interpolated
 * values so that no message or warning ever shows one.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Document, type Node as YamlNode } from "yaml";
import { formatPath, type TemplatePathSegment } from "../delivery/template.js";
import { OPERATOR_CONFIG_YAML_LIMITS, parseBoundedDocument, YamlLimitError } from "../analysis/yamlLimits.js";
import type { OperatorConfigIssue } from "./operatorConfig.js";

export class YamlReader {
  readonly issues: OperatorConfigIssue[] = [];
  private readonly lineCounter = new LineCounter();
  /** Null when the text is over a YAML limit (an issue says which). */
  private readonly doc: Document.Parsed | null = null;
  private readonly valueLines = new Map<string, number>();
  private readonly keyLines = new Map<string, number>();
  private readonly interpolated = new Set<string>();
  /** Paths whose value could not be read (an interpolation error): no second error there. */
  readonly failedPaths = new Set<string>();

  constructor(
    private readonly text: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    try {
      // Aliases are expanded by toJs below, not by the library: the bounds must hold first.
      this.doc = parseBoundedDocument(text, OPERATOR_CONFIG_YAML_LIMITS, {
        lineCounter: this.lineCounter,
        prettyErrors: false,
        uniqueKeys: true,
      });
    } catch (err) {
      if (!(err instanceof YamlLimitError)) throw err;
      this.issues.push({ line: err.line, key: "", message: `the YAML ${err.message}; the file is not read` });
    }
  }

  read(): unknown {
    if (this.doc === null) return null;
    if (this.doc.errors.length > 0) {
      const sourceLines = this.text.split(/\r?\n/);
      for (const err of this.doc.errors.slice(0, 3)) {
        const line = err.linePos?.[0]?.line ?? this.lineCounter.linePos(err.pos[0]).line;
        const message = err.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
        // `{ key: ${VAR} }`: in a flow mapping or list, "{" and "," end a plain value.
        const hint = /[{[][^'"]*\$\{/.test(sourceLines[line - 1] ?? "")
          ? " (inside { } or [ ], quote values that hold ${VAR}: '${VAR}')"
          : "";
        this.issues.push({ line, key: "", message: `invalid YAML: ${message}${hint}` });
      }
      return null;
    }
    if (this.doc.contents === null) return null;
    return this.toJs(this.doc.contents, [], 0);
  }

  private line(offset: number | undefined): number | null {
    return offset === undefined ? null : this.lineCounter.linePos(offset).line;
  }

  private toJs(node: YamlNode | null, segments: TemplatePathSegment[], depth: number): unknown {
    const path = formatPath("", segments);
    if (node === null) return null;
    if (depth > 64) {
      this.issues.push({ line: this.line(node.range?.[0]), key: path, message: "nested too deeply" });
      return null;
    }
    const line = this.line(node.range?.[0]);
    if (line !== null && !this.valueLines.has(path)) this.valueLines.set(path, line);
    if (isAlias(node)) {
      const target = node.resolve(this.doc!);
      return target ? this.toJs(target as YamlNode, segments, depth + 1) : null;
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const keyNode = pair.key as YamlNode | null;
        const key = isScalar(keyNode) ? keyNode.value : undefined;
        const keyLine = this.line(keyNode?.range?.[0]) ?? line;
        if (typeof key !== "string" && typeof key !== "number") {
          this.issues.push({ line: keyLine, key: path, message: "keys must be strings" });
          continue;
        }
        const name = String(key);
        const childSegments = [...segments, name];
        const childPath = formatPath("", childSegments);
        if (keyLine !== null) this.keyLines.set(childPath, keyLine);
        if (keyLine !== null && pair.value === null) this.valueLines.set(childPath, keyLine);
        const value = this.toJs(pair.value as YamlNode | null, childSegments, depth + 1);
        Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    if (isSeq(node)) {
      return node.items.map((item, i) => this.toJs(item as YamlNode | null, [...segments, i], depth + 1));
    }
    if (isScalar(node)) {
      const value = node.value;
      if (typeof value === "string") return this.interpolate(value, segments, line);
      if (typeof value === "bigint") return Number(value);
      if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
      return value ?? null;
    }
    return null;
  }

  /** `${VAR}`, `${VAR:-default}`, `$${` → `${`. */
  private interpolate(text: string, segments: TemplatePathSegment[], line: number | null): string | undefined {
    if (!text.includes("${")) return text;
    const key = formatPath("", segments);
    let out = "";
    let i = 0;
    while (i < text.length) {
      if (text.startsWith("$${", i)) {
        out += "${";
        i += 3;
        continue;
      }
      if (text.startsWith("${", i)) {
        const close = text.indexOf("}", i + 2);
        const inner = close === -1 ? null : text.slice(i + 2, close);
        const m = inner === null ? null : /^([A-Za-z_][A-Za-z0-9_]*)(?::-([^]*))?$/.exec(inner);
        if (!m) {
          this.issues.push({
            line,
            key,
            message: "malformed ${...} reference: write ${NAME} (letters, digits, _), ${NAME:-default}, or $${ for a literal ${",
          });
          this.failedPaths.add(key);
          return undefined;
        }
        const [, name, fallback] = m;
        const value = this.env[name];
        if (value !== undefined && !(fallback !== undefined && value === "")) {
          out += value;
          if (value.length >= 4) this.interpolated.add(value);
        } else if (fallback !== undefined) {
          out += fallback;
        } else {
          this.issues.push({ line, key, message: `environment variable ${name} is not set` });
          this.failedPaths.add(key);
          return undefined;
        }
        i = close + 1;
        continue;
      }
      out += text[i];
      i++;
    }
    return out;
  }

  /** The line of a path: its own value, else the nearest ancestor's. */
  lineOf(segments: readonly TemplatePathSegment[]): number | null {
    for (let n = segments.length; n >= 0; n--) {
      const line = this.valueLines.get(formatPath("", segments.slice(0, n)));
      if (line !== undefined) return line;
    }
    return this.text.trim() === "" ? null : 1;
  }

  /** True when an interpolation failed at or below this path. */
  failedUnder(segments: readonly TemplatePathSegment[]): boolean {
    const prefix = formatPath("", segments);
    for (const path of this.failedPaths) if (path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`)) return true;
    return false;
  }

  keyLineOf(segments: readonly TemplatePathSegment[]): number | null {
    return this.keyLines.get(formatPath("", segments)) ?? this.lineOf(segments);
  }

  /** Removes interpolated values (secrets) from a message. */
  redact(message: string): string {
    let out = message;
    for (const value of [...this.interpolated].sort((a, b) => b.length - a.length)) out = out.split(value).join("[redacted]");
    return out;
  }
}
