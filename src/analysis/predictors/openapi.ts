/**
 * OpenAPI / Swagger contract breaks. With the whole new file, the old one is rebuilt from the
 * diff and both documents are compared structurally (paths, operations, parameters, request
 * bodies, responses and schemas, with the direction data flows in). Without it, the diff's
 * deleted and added lines are compared: a key deleted and not re-added under the same parent is
 * a removal; a move or an edit that keeps the key is not.
 *
 * This file holds the structural comparison; beside it: openapiTree.ts (the documents as trees
 * with line numbers) and openapiDiff.ts (the diff-only checks).
 */
import type { DiffFile } from "../types.js";
import { emitIssues, type Emit, type Issue } from "./contract.js";
import { METHODS, openApiFromDiff, typesAndEnumsFromDiff } from "./openapiDiff.js";
import { get, isTrue, keyLine, parseTree, scalarItems, str, type YNode } from "./openapiTree.js";
import { reconstructOld, sidedLines } from "./predict.js";

export { parseTree } from "./openapiTree.js";

const OPENAPI_EXT = /\.(?:ya?ml|json)$/i;
const OPENAPI_NAME = /openapi|swagger/i;
const OPENAPI_MARKER = /^\s*["']?(?:openapi|swagger)["']?\s*:/;

export function isOpenApi(file: DiffFile, contents: string | undefined): boolean {
  if (!OPENAPI_EXT.test(file.path)) return false;
  if (OPENAPI_NAME.test(file.path)) return true;
  if (typeof contents === "string")
    return (
      contents.split(/\r?\n/, 5).some((l) => OPENAPI_MARKER.test(l)) || /^\s*\{\s*"(?:openapi|swagger)"\s*:/.test(contents.slice(0, 200))
    );
  return file.hunks.some((h) => h.lines.some((l) => OPENAPI_MARKER.test(l.content)));
}

type Direction = "request" | "response" | "both";

const OPENAPI_REC = {
  removed:
    "Deprecate it first (`deprecated: true`, a Sunset header), keep it working until clients have moved, or publish the change as a new API version.",
  property: "Keep the property (mark it `deprecated: true`) until clients stop using it, or introduce a new API version.",
  required: "Make it optional with a server-side default, or require it only in a new API version.",
  type: "Keep the old type and add a new field with the new type (deprecating the old one), or publish the change as a new API version.",
  enumValue:
    "Keep accepting the value (document it as deprecated) until clients stop sending it, or map it to its replacement on the server.",
};

class OpenApiComparer {
  readonly issues: Issue[] = [];

  compare(o: YNode, n: YNode): void {
    this.paths(get(o, "paths"), get(n, "paths"));
    // Named schemas (OpenAPI 3 components, Swagger 2 definitions): used in both directions.
    for (const [a, b] of [
      [get(get(o, "components"), "schemas"), get(get(n, "components"), "schemas")],
      [get(o, "definitions"), get(n, "definitions")],
    ]) {
      if (a?.t !== "map" || b?.t !== "map") continue;
      for (const [name, e] of a.entries) {
        const ne = b.entries.get(name);
        if (ne) this.schema(e.value, ne.value, name, "both", 0);
      }
    }
    const oc = get(o, "components");
    const nc = get(n, "components");
    const op = get(oc, "parameters");
    const np = get(nc, "parameters");
    if (op?.t === "map" && np?.t === "map")
      for (const [name, e] of op.entries) {
        const ne = np.entries.get(name);
        if (ne) this.parameter(e.value, ne.value, `parameter \`${name}\``, true);
      }
  }

  private paths(o: YNode | undefined, n: YNode | undefined): void {
    if (o?.t !== "map" || n?.t !== "map") return;
    const norm = (p: string) => p.replace(/\{[^}]*\}/g, "{}").replace(/\/+$/, "");
    const byNorm = new Map<string, YNode>();
    for (const [k, e] of n.entries) byNorm.set(norm(k), e.value);
    for (const [path, e] of o.entries) {
      if (!path.startsWith("/")) continue;
      const now = n.entries.get(path)?.value ?? byNorm.get(norm(path));
      if (!now) {
        this.issues.push({
          kind: "api-removed-endpoint",
          side: "old",
          line: e.keyLine,
          prediction: `The API path \`${path}\` is removed: every client still calling it (mobile apps, partner integrations, other services) will get 404 errors.`,
          confidence: 0.85,
          severity: "high",
          recommendation: OPENAPI_REC.removed,
        });
        continue;
      }
      this.pathItem(path, e.value, now);
    }
  }

  private pathItem(path: string, o: YNode, n: YNode): void {
    this.parameters(get(o, "parameters"), get(n, "parameters"), `\`${path}\``);
    for (const m of METHODS) {
      const oo = get(o, m);
      if (!oo) continue;
      const nn = get(n, m);
      const where = `${m.toUpperCase()} ${path}`;
      if (!nn) {
        this.issues.push({
          kind: "api-removed-operation",
          side: "old",
          line: keyLine(o, m) ?? oo.line,
          prediction: `The operation \`${where}\` is removed: clients still calling it will get 404/405 errors.`,
          confidence: 0.85,
          severity: "high",
          recommendation: "Deprecate the operation first and keep it until clients have moved, or version the API.",
        });
        continue;
      }
      this.operation(where, oo, nn);
    }
  }

  private operation(where: string, o: YNode, n: YNode): void {
    this.parameters(get(o, "parameters"), get(n, "parameters"), `\`${where}\``);
    const ob = get(o, "requestBody");
    const nb = get(n, "requestBody");
    if (nb && isTrue(get(nb, "required")) && !(ob && isTrue(get(ob, "required"))) && !str(get(nb, "$ref"))) {
      this.issues.push({
        kind: "api-newly-required",
        side: "new",
        line: keyLine(nb, "required") ?? nb.line,
        prediction: `\`${where}\` now requires a request body: existing clients that call it without one will have their requests rejected (400).`,
        confidence: ob ? 0.8 : 0.85,
        severity: "high",
        recommendation: OPENAPI_REC.required,
      });
    }
    if (ob && nb) this.content(get(ob, "content"), get(nb, "content"), `request body of \`${where}\``, "request");
    const or = get(o, "responses");
    const nr = get(n, "responses");
    if (or?.t === "map" && nr?.t === "map")
      for (const [code, e] of or.entries) {
        const ne = nr.entries.get(code);
        if (!ne) continue;
        const label = `response ${code} of \`${where}\``;
        this.content(get(e.value, "content"), get(ne.value, "content"), label, "response");
        this.schema(get(e.value, "schema"), get(ne.value, "schema"), label, "response", 0); // Swagger 2
      }
  }

  private content(o: YNode | undefined, n: YNode | undefined, where: string, dir: Direction): void {
    if (o?.t !== "map" || n?.t !== "map") return;
    for (const [media, e] of o.entries) {
      const ne = n.entries.get(media);
      if (!ne) {
        if (dir === "request" && n.entries.size > 0)
          this.issues.push({
            kind: "api-removed-media-type",
            side: "old",
            line: e.keyLine,
            prediction: `The ${where} no longer accepts \`${media}\`: clients that send it get 415 Unsupported Media Type.`,
            confidence: 0.75,
            severity: "medium",
            recommendation: "Keep accepting the old media type until clients have moved.",
          });
        continue;
      }
      this.schema(get(e.value, "schema"), get(ne.value, "schema"), where, dir, 0);
    }
  }

  private parameters(o: YNode | undefined, n: YNode | undefined, where: string): void {
    if (n?.t !== "seq") return;
    const keyOfParam = (p: YNode) => str(get(p, "$ref")) ?? `${str(get(p, "in")) ?? "?"}:${str(get(p, "name")) ?? "?"}`;
    const old = new Map<string, YNode>();
    if (o?.t === "seq") for (const p of o.items) old.set(keyOfParam(p), p);
    for (const p of n.items) {
      const before = old.get(keyOfParam(p));
      if (before) this.parameter(before, p, where, false);
      else this.newParameter(p, where);
    }
  }

  private newParameter(p: YNode, where: string): void {
    const name = str(get(p, "name"));
    const place = str(get(p, "in"));
    if (!name || place === "path" || !isTrue(get(p, "required")) || get(get(p, "schema"), "default") || get(p, "default")) return;
    this.issues.push({
      kind: "api-newly-required",
      side: "new",
      line: keyLine(p, "required") ?? p.line,
      alt: [{ side: "new", line: keyLine(p, "name") ?? p.line }],
      prediction:
        `The new ${place ?? ""} parameter \`${name}\` of ${where} is required: existing calls that do not pass it will be rejected (400).`.replace(
          "new  parameter",
          "new parameter",
        ),
      confidence: 0.85,
      severity: "high",
      recommendation: OPENAPI_REC.required,
    });
  }

  private parameter(o: YNode, n: YNode, where: string, named: boolean): void {
    const name = str(get(n, "name")) ?? "a parameter";
    const place = str(get(n, "in"));
    if (isTrue(get(n, "required")) && !isTrue(get(o, "required")) && place !== "path")
      this.issues.push({
        kind: "api-newly-required",
        side: "new",
        line: keyLine(n, "required") ?? n.line,
        prediction: `The parameter \`${name}\` of ${where} becomes required: existing calls that do not pass it will be rejected (400).`,
        confidence: 0.8,
        severity: "high",
        recommendation: OPENAPI_REC.required,
      });
    // Swagger 2 keeps the type on the parameter; OpenAPI 3 in its schema.
    this.typeChange(o, n, `parameter \`${name}\` of ${where}`, "request");
    this.schema(get(o, "schema"), get(n, "schema"), `parameter \`${name}\` of ${where}`, "request", 0);
    void named;
  }

  private typeChange(o: YNode, n: YNode, where: string, dir: Direction): void {
    const ot = str(get(o, "type"));
    const nt = str(get(n, "type"));
    if (!ot || !nt || ot === nt) return;
    if (ot === "integer" && nt === "number" && dir === "request") return; // accepts more
    this.issues.push({
      kind: "api-type-changed",
      side: "new",
      line: get(n, "type")?.line ?? n.line,
      alt: [{ side: "old", line: get(o, "type")?.line ?? o.line }],
      prediction: `${cap(where)} changes type ${ot} → ${nt}: ${dir === "response" ? "clients that parse the old type fail or read wrong values" : dir === "request" ? "clients that send the old type get their requests rejected" : "clients that send or parse the old type fail (validation errors, parse errors, wrong values)"}.`,
      confidence: 0.85,
      severity: "high",
      recommendation: OPENAPI_REC.type,
    });
  }

  private schema(o: YNode | undefined, n: YNode | undefined, where: string, dir: Direction, depth: number): void {
    if (o?.t !== "map" || n?.t !== "map" || depth > 30) return;
    if (str(get(o, "$ref")) || str(get(n, "$ref"))) return; // compared where it is defined
    this.typeChange(o, n, where, dir);

    const op = get(o, "properties");
    const np = get(n, "properties");
    if (op?.t === "map" && np?.t === "map") {
      const removed = [...op.entries.keys()].filter((k) => !np.entries.has(k));
      const addedKeys = [...np.entries.keys()].filter((k) => !op.entries.has(k));
      const shape = (v: YNode) => `${str(get(v, "type")) ?? ""}|${str(get(v, "$ref")) ?? ""}|${str(get(v, "format")) ?? ""}`;
      const unpaired = new Set(addedKeys);
      for (const k of removed) {
        const e = op.entries.get(k)!;
        // A rename: one added property of the same shape, with a similar name (or the only change).
        const candidates = [...unpaired].filter((a) => shape(np.entries.get(a)!.value) === shape(e.value));
        const similar = candidates.filter((a) => similarNames(k, a));
        const to =
          similar.length === 1
            ? similar[0]
            : removed.length === 1 && addedKeys.length === 1 && candidates.length === 1
              ? candidates[0]
              : undefined;
        if (to !== undefined) {
          unpaired.delete(to);
          this.issues.push({
            kind: "api-renamed-property",
            side: "new",
            line: np.entries.get(to)!.keyLine,
            alt: [{ side: "old", line: e.keyLine }],
            prediction: `The property \`${k}\` of ${where} appears renamed to \`${to}\`: clients that ${dir === "request" ? "send" : dir === "response" ? "read" : "read or send"} \`${k}\` break.`,
            confidence: dir === "request" ? 0.65 : 0.8,
            severity: "high",
            recommendation: `Return (and accept) both \`${k}\` and \`${to}\` for a deprecation period, or introduce a new API version.`,
          });
          continue;
        }
        this.issues.push({
          kind: "api-removed-property",
          side: "old",
          line: e.keyLine,
          prediction:
            dir === "request"
              ? `The property \`${k}\` of ${where} is removed: clients that still send it have it silently ignored (or rejected when additional properties are not allowed).`
              : `The property \`${k}\` of ${where} is removed from the API: clients that read it get nothing back${dir === "both" ? ", and clients that send it may be rejected" : ""}.`,
          confidence: dir === "request" ? 0.55 : dir === "response" ? 0.8 : 0.75,
          severity: dir === "request" ? "medium" : "high",
          recommendation: OPENAPI_REC.property,
        });
      }
      for (const [k, e] of op.entries) {
        const ne = np.entries.get(k);
        if (ne) this.schema(e.value, ne.value, `${where}.${k}`, dir, depth + 1);
      }
    }

    if (dir !== "response") {
      const before = new Set(scalarItems(get(o, "required")).map((r) => r.value));
      for (const r of scalarItems(get(n, "required"))) {
        if (before.has(r.value)) continue;
        if (np?.t === "map" && np.entries.has(r.value) && get(np.entries.get(r.value)!.value, "default")) continue;
        this.issues.push({
          kind: "api-newly-required",
          side: "new",
          line: r.line,
          prediction: `\`${r.value}\` of ${where} becomes required: existing clients that do not send it will have their requests rejected (400).`,
          confidence: dir === "request" ? 0.8 : 0.7,
          severity: dir === "request" ? "high" : "medium",
          recommendation: OPENAPI_REC.required,
        });
      }
      const now = new Set(scalarItems(get(n, "enum")).map((v) => v.value));
      if (now.size > 0)
        for (const v of scalarItems(get(o, "enum"))) {
          if (now.has(v.value)) continue;
          this.issues.push({
            kind: "api-removed-enum-value",
            side: "old",
            line: v.line,
            alt: [{ side: "new", line: get(n, "enum")?.line ?? n.line }],
            prediction: `The value \`${v.value}\` is removed from the enum of ${where}: clients that send it get their requests rejected (400), and stored data holding it no longer validates.`,
            confidence: dir === "request" ? 0.8 : 0.7,
            severity: "medium",
            recommendation: OPENAPI_REC.enumValue,
          });
        }
    }

    this.schema(get(o, "items"), get(n, "items"), `${where}[]`, dir, depth + 1);
    this.schema(get(o, "additionalProperties"), get(n, "additionalProperties"), `${where}{}`, dir, depth + 1);
    for (const k of ["allOf", "oneOf", "anyOf"]) {
      const a = get(o, k);
      const b = get(n, k);
      if (a?.t === "seq" && b?.t === "seq" && a.items.length === b.items.length)
        a.items.forEach((it, i) => this.schema(it, b.items[i], where, dir, depth + 1));
    }
  }
}

/** Names that read as a rename of each other: one contains the other, or a few edits apart. */
function similarNames(a: string, b: string): boolean {
  const x = a.toLowerCase().replace(/[_-]/g, "");
  const y = b.toLowerCase().replace(/[_-]/g, "");
  if (x.length >= 3 && y.length >= 3 && (x.includes(y) || y.includes(x))) return true;
  return editDistance(x, y) <= Math.max(1, Math.floor(Math.min(x.length, y.length) / 3));
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 10) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** OpenAPI breaks of one file: whole documents when the content is known and both versions parse, else the diff. */
export function openApiContract(file: DiffFile, content: string | undefined, emit: Emit): void {
  if (content !== undefined) {
    const oldText = reconstructOld(content, file);
    const o = oldText !== undefined && oldText.trim() !== "" ? parseTree(oldText) : undefined;
    const n = o ? parseTree(content) : undefined;
    if (oldText !== undefined && oldText.trim() === "") return; // a new file breaks no one
    if (o && n) {
      const c = new OpenApiComparer();
      c.compare(o, n);
      emitIssues(file, c.issues, "openapi", emit);
      return;
    }
  }
  const sides = sidedLines(file, content);
  openApiFromDiff(file, emit, sides);
  typesAndEnumsFromDiff(file, emit, sides);
}
