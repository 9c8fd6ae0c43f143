/**
 * Validates requests against GitHub's REST API description (OpenAPI 3.0.3),
 * as shipped by the `@octokit/openapi` devDependency, with ajv.
 *
 * Spec file: `@octokit/openapi/generated/api.github.com.json` — the
 * non-dereferenced variant. It parses in ~0.1 s (the `.deref.json` variant is
 * 73 MB and takes ~0.5 s and several hundred MB of heap per jest test file).
 * The package's `index.js` is deliberately NOT imported: it `require`s every
 * spec variant (~400 MB).
 *
 * The spec is added to ajv once, as a schema with the id `github`; each
 * operation gets one validator for the whole request (`{ path, query, body }`),
 * whose parts `$ref` into the spec (`github#/paths/.../requestBody/...`), so
 * ajv resolves `#/components/...` itself. Validators are compiled lazily, on
 * the first request to an operation, and cached.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import ajvFormats from "ajv-formats";

/** An OpenAPI 3.0 schema object (loosely typed: it is JSON from the spec). */
type Schema = Record<string, any>;

export interface GitHubRequest {
  method: string;
  /** Path, optionally with a query string; a full URL is accepted too. `/api/v3` (GHES) is stripped. */
  path: string;
  /** Parsed JSON body, or the raw body string (parsed here when the operation takes JSON). */
  body?: unknown;
  /** Extra query parameters (merged with any query string in `path`). */
  query?: Record<string, string | number | boolean | Array<string | number | boolean>>;
}

export interface GitHubOperation {
  /** e.g. "pulls/create-review" */
  operationId: string;
  /** upper-case HTTP method as described, e.g. "POST" */
  method: string;
  /** templated path, e.g. "/repos/{owner}/{repo}/pulls/{pull_number}/reviews" */
  template: string;
  /** decoded path parameters, e.g. { owner: "o", repo: "r", pull_number: "1" } */
  params: Record<string, string>;
}

interface PathEntry {
  template: string;
  regex: RegExp;
  paramNames: string[];
  /** per-segment specificity used to pick the most specific template */
  rank: number[];
  item: Record<string, Schema>;
}

interface Spec {
  paths: Record<string, Record<string, Schema>>;
  info: { version: string };
}

const SPEC_PACKAGE = "@octokit/openapi";
const SPEC_RELATIVE_FILE = "generated/api.github.com.json";
const SPEC_ID = "github";
const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

const LEFT_OR_RIGHT = { enum: ["LEFT", "RIGHT"] };

/**
 * Constraints GitHub documents (in descriptions or sibling endpoints) but that
 * the OpenAPI description leaves out, keyed by "METHOD template". Each is a
 * schema for the whole request (`{ path, query, body }`), applied in addition
 * to the spec's own.
 *
 * - create-review `comments[].side`/`start_side`: typed only `string` in the
 *   spec, but the docs (and `POST .../pulls/{pull_number}/comments`, which
 *   has the same fields with `enum: [LEFT, RIGHT]`) allow only LEFT/RIGHT;
 *   GitHub answers 422 otherwise.
 */
const DOCUMENTED_CONSTRAINTS: Record<string, Schema> = {
  "POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews": {
    properties: {
      body: { properties: { comments: { items: { properties: { side: LEFT_OR_RIGHT, start_side: LEFT_OR_RIGHT } } } } },
    },
  },
};

let loaded: { spec: Spec; file: string; loadMs: number; paths: PathEntry[]; ajv: Ajv } | undefined;

/** Loads (once per module registry, i.e. once per jest test file) and indexes the spec. */
export function loadGitHubSpec(): { file: string; loadMs: number; version: string; pathCount: number } {
  const l = ensureLoaded();
  return { file: l.file, loadMs: l.loadMs, version: l.spec.info.version, pathCount: l.paths.length };
}

function ensureLoaded() {
  if (loaded) return loaded;
  const started = performance.now();
  const require = createRequire(import.meta.url);
  const pkgJson = require.resolve(`${SPEC_PACKAGE}/package.json`);
  const file = pkgJson.replace(/package\.json$/, SPEC_RELATIVE_FILE);
  const spec = JSON.parse(readFileSync(file, "utf8")) as Spec;
  normalizeNullable(spec);
  const paths = Object.entries(spec.paths).map(([template, item]) => buildPathEntry(spec, template, item));
  // strict: false — the spec has OpenAPI and vendor keywords (example, readOnly, x-github...).
  // verbose: errors carry the failing value and schema, for the messages below.
  const ajv = new Ajv({ strict: false, allErrors: true, verbose: true });
  ajvFormats.default(ajv);
  ajv.addFormat("repo.nwo", true); // GitHub's own format ("owner/name"), undocumented: not checked
  ajv.addSchema(spec, SPEC_ID);
  loaded = { spec, file, loadMs: Math.round(performance.now() - started), paths, ajv };
  return loaded;
}

/**
 * Rewrites OpenAPI 3.0 `nullable` as GitHub uses it into a form ajv accepts
 * with the meaning GitHub intends: ajv supports `nullable` only next to
 * `type`, and applies `enum` to null too, while GitHub writes `nullable: true`
 * beside oneOf/anyOf/allOf (or alone) and leaves null out of nullable enums.
 * Walks the whole document (example values are never compiled, so touching
 * one is harmless).
 */
function normalizeNullable(node: unknown): void {
  if (!node || typeof node !== "object") return;
  if (Array.isArray(node)) return node.forEach(normalizeNullable);
  const s = node as Schema;
  for (const value of Object.values(s)) normalizeNullable(value);
  if (s.nullable === undefined) return;
  if (s.nullable === true && Array.isArray(s.enum) && !s.enum.includes(null)) s.enum.push(null);
  if (s.type !== undefined) return;
  const { nullable, ...rest } = s;
  for (const key of Object.keys(s)) delete s[key];
  // null passes; anything else must match the rest (ajv reports only the `else` errors)
  Object.assign(s, nullable === true ? { if: { type: "null" }, else: rest } : rest);
}

function buildPathEntry(spec: Spec, template: string, item: Record<string, Schema>): PathEntry {
  const multiSegment = new Set<string>();
  for (const method of HTTP_METHODS) {
    for (const p of (item[method]?.parameters ?? []) as Schema[]) {
      const param = resolve(spec, p);
      if (param.in === "path" && param["x-multi-segment"]) multiSegment.add(param.name);
    }
  }
  const paramNames: string[] = [];
  const rank: number[] = [];
  const source = template
    .split("/")
    .map((segment) => {
      if (!segment.includes("{")) {
        rank.push(3);
        return escapeRegex(segment);
      }
      const literal = segment.replace(/\{[^}]+\}/g, "");
      let multi = false;
      const re = segment
        .split(/(\{[^}]+\})/)
        .map((part) => {
          const m = /^\{([^}]+)\}$/.exec(part);
          if (!m) return escapeRegex(part);
          paramNames.push(m[1]);
          if (multiSegment.has(m[1])) {
            multi = true;
            return "(.+)";
          }
          return literal ? "([^/]+?)" : "([^/]+)";
        })
        .join("");
      rank.push(multi ? 0 : literal ? 2 : 1);
      return re;
    })
    .join("/");
  return { template, regex: new RegExp(`^${source}$`), paramNames, rank, item };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function compareRank(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (b[i] ?? -1) - (a[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

/** Follows a local `$ref` (parameters are often `#/components/parameters/...`). */
function resolve(spec: Spec, node: Schema): Schema {
  let s = node;
  for (let hops = 0; typeof s?.$ref === "string"; hops++) {
    if (hops > 50) throw new Error(`$ref loop at ${node.$ref}`);
    const ref: string = s.$ref;
    if (!ref.startsWith("#/")) throw new Error(`unsupported $ref ${ref}`);
    const target = ref
      .slice(2)
      .split("/")
      .reduce<unknown>((at, raw) => (at as Record<string, unknown> | undefined)?.[unescapePointer(raw)], spec);
    if (!target) throw new Error(`unresolvable $ref ${ref}`);
    s = target as Schema;
  }
  return s;
}

function escapePointer(s: string): string {
  return s.replace(/~/g, "~0").replace(/\//g, "~1");
}

function unescapePointer(s: string): string {
  return s.replace(/~1/g, "/").replace(/~0/g, "~");
}

/** Splits "/a/b?x=1" (or a full URL) into a path without `/api/v3` and its query. */
function splitPath(input: string): { path: string; search: URLSearchParams } {
  const url = new URL(input, "http://placeholder.invalid");
  let path = url.pathname;
  if (path === "/api/v3" || path.startsWith("/api/v3/")) path = path.slice("/api/v3".length) || "/";
  return { path, search: url.searchParams };
}

interface Match {
  entry: PathEntry;
  params: Record<string, string>;
}

function matchPath(path: string): Match[] {
  const matches: Match[] = [];
  for (const entry of ensureLoaded().paths) {
    const m = entry.regex.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    entry.paramNames.forEach((name, i) => {
      params[name] = safeDecode(m[i + 1]);
    });
    matches.push({ entry, params });
  }
  return matches.sort((a, b) => compareRank(a.entry.rank, b.entry.rank));
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Finds the operation GitHub's description has for this method and path
 * (query string, full URL and `/api/v3` prefix allowed). HEAD matches GET.
 */
export function matchGitHubOperation(method: string, path: string): GitHubOperation | undefined {
  const m = findOperation(method, splitPath(path).path);
  return m && { operationId: m.op.operationId, method: m.method.toUpperCase(), template: m.entry.template, params: m.params };
}

function findOperation(method: string, path: string): (Match & { op: Schema; method: string }) | undefined {
  for (const match of matchPath(path)) {
    let lower = method.toLowerCase();
    if (lower === "head" && !match.entry.item.head) lower = "get";
    const op = match.entry.item[lower];
    if (op) return { ...match, op, method: lower };
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Per-operation validators (lazy, cached)

interface PreparedOperation {
  operationId: string;
  /** resolved parameter schemas, to turn path/query strings into the types they describe */
  pathParams: Map<string, Schema>;
  queryParams: Map<string, Schema>;
  /** undefined: operation takes no body; json: false when it takes only non-JSON bodies (not checked) */
  body?: { json: boolean; contentTypes: string[] };
  /** validates `{ path, query, body? }` */
  validate: ValidateFunction;
}

const prepared = new Map<string, PreparedOperation>();

function prepare(method: string, template: string, op: Schema): PreparedOperation {
  const key = `${method.toUpperCase()} ${template}`;
  const cached = prepared.get(key);
  if (cached) return cached;
  const { spec, ajv } = ensureLoaded();
  /** JSON pointer (as a `$ref` into the spec) of a node of this operation: its own `$ref`, or where it sits */
  const pointer = (node: Schema, at: string) => `${SPEC_ID}${node.$ref ?? `#/paths/${escapePointer(template)}/${method}/${at}`}`;

  const pathParams = new Map<string, Schema>();
  const queryParams = new Map<string, Schema>();
  const pathSchemas: Record<string, Schema> = {};
  const querySchemas: Record<string, Schema> = {};
  const requiredQuery: string[] = [];
  ((op.parameters ?? []) as Schema[]).forEach((p, i) => {
    const param = resolve(spec, p);
    const schema = param.schema ? { $ref: `${pointer(p, `parameters/${i}`)}/schema` } : {};
    if (param.in === "path") {
      pathParams.set(param.name, resolve(spec, param.schema ?? {}));
      pathSchemas[param.name] = schema;
    } else if (param.in === "query") {
      queryParams.set(param.name, resolve(spec, param.schema ?? {}));
      querySchemas[param.name] = schema;
      if (param.required) requiredQuery.push(param.name);
    }
  });

  const request: Schema = {
    type: "object",
    properties: {
      path: { type: "object", properties: pathSchemas },
      query: { type: "object", properties: querySchemas, required: requiredQuery, additionalProperties: false },
    },
    required: [],
  };
  let body: PreparedOperation["body"];
  if (op.requestBody) {
    const rb = resolve(spec, op.requestBody);
    const contentTypes = Object.keys(rb.content ?? {});
    const jsonType = contentTypes.find((t) => /^application\/(.+\+)?json/.test(t));
    body = { json: !!jsonType, contentTypes };
    if (jsonType) {
      request.properties.body = { $ref: `${pointer(op.requestBody, "requestBody")}/content/${escapePointer(jsonType)}/schema` };
      if (rb.required) request.required.push("body");
    }
  }
  const constraints = DOCUMENTED_CONSTRAINTS[key];
  if (constraints) request.allOf = [constraints];

  const result: PreparedOperation = { operationId: op.operationId, pathParams, queryParams, body, validate: ajv.compile(request) };
  prepared.set(key, result);
  return result;
}

/** Turns a path/query string into the type its parameter schema describes, when it parses as one. */
function coerce(schema: Schema, raw: string): unknown {
  if ((schema.type === "integer" || schema.type === "number") && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (schema.type === "boolean" && (raw === "true" || raw === "false")) return raw === "true";
  return raw;
}

// ---------------------------------------------------------------------------
// Public validator

/**
 * Checks one request against GitHub's REST API description. Returns a list of
 * human-readable problems, each naming where in the request it is (e.g.
 * `body.comments[0].side: must be equal to one of the allowed values (LEFT, RIGHT), got "MIDDLE"`);
 * an empty list means the request is valid.
 */
export function validateGitHubRequest(request: GitHubRequest): string[] {
  const method = request.method.toUpperCase();
  const { path, search } = splitPath(request.path);
  const problems: string[] = [];

  const found = findOperation(method, path);
  if (!found) {
    const others = matchPath(path);
    if (others.length === 0) {
      return [`unknown endpoint: no path in GitHub's REST API description matches ${method} ${path}`];
    }
    const best = others[0].entry;
    const allowed = HTTP_METHODS.filter((m) => best.item[m]).map((m) => m.toUpperCase());
    return [`method ${method} is not described for ${best.template} (described: ${allowed.join(", ")})`];
  }
  const op = prepare(found.method, found.entry.template, found.op);

  const pathValues: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(found.params)) pathValues[name] = coerce(op.pathParams.get(name) ?? {}, value);

  const raw = new Map<string, string[]>();
  const addQuery = (key: string, value: string) => {
    const name = key.replace(/\[\]$/, "");
    raw.set(name, [...(raw.get(name) ?? []), value]);
  };
  search.forEach((value, key) => addQuery(key, value));
  for (const [key, value] of Object.entries(request.query ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) addQuery(key, String(v));
  }
  const queryValues: Record<string, unknown> = {};
  for (const [name, values] of raw) {
    const schema = op.queryParams.get(name) ?? {};
    if (schema.type === "array") {
      const items = resolve(ensureLoaded().spec, schema.items ?? {});
      queryValues[name] = values.flatMap((v) => v.split(",")).map((v) => coerce(items, v));
    } else {
      if (values.length > 1) problems.push(`query.${name}: given ${values.length} times, expected once`);
      queryValues[name] = coerce(schema, values[0]);
    }
  }

  const data: Record<string, unknown> = { path: pathValues, query: queryValues };
  let body = request.body;
  const isEmpty =
    body === undefined ||
    body === null ||
    body === "" ||
    (typeof body === "object" && !Array.isArray(body) && !Buffer.isBuffer(body) && Object.keys(body).length === 0);
  if (!op.body) {
    if (!isEmpty) problems.push(`body: ${op.operationId} takes no request body, but one was sent`);
  } else if (op.body.json) {
    if (typeof body === "string" || Buffer.isBuffer(body)) {
      const text = body.toString();
      try {
        body = text === "" ? undefined : JSON.parse(text);
      } catch {
        problems.push(`body: expected JSON (${op.body.contentTypes.join(", ")}), got ${JSON.stringify(text.slice(0, 80))}`);
        return problems;
      }
    }
    if (body !== undefined && body !== null) data.body = body;
  }

  if (!op.validate(data)) problems.push(...describeErrors(op.validate.errors ?? []));
  return [...new Set(problems)];
}

// ---------------------------------------------------------------------------
// ajv errors as "where: what"

/** "/comments/0/side" → "comments[0].side" */
function location(instancePath: string, child?: string): string {
  const segments = instancePath.split("/").slice(1).map(unescapePointer);
  if (child !== undefined) segments.push(child);
  return segments.map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
}

function show(value: unknown): string {
  const s = JSON.stringify(value);
  return s === undefined ? String(value) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function describeErrors(errors: ErrorObject[]): string[] {
  const out: string[] = [];
  for (const e of errors) {
    switch (e.keyword) {
      case "if": // from a nullable schema (see normalizeNullable): its `else` errors say what is wrong
        continue;
      case "required":
        out.push(`${location(e.instancePath, e.params.missingProperty)}: required property is missing`);
        continue;
      case "additionalProperties": {
        const allowed = Object.keys(e.parentSchema?.properties ?? {});
        out.push(`${location(e.instancePath, e.params.additionalProperty)}: unknown property (allowed: ${allowed.join(", ") || "none"})`);
        continue;
      }
    }
    let message = e.message ?? e.keyword;
    if (e.keyword === "enum") message += ` (${(e.params.allowedValues as unknown[]).map(String).join(", ")})`;
    if (e.data === null || typeof e.data !== "object") message += `, got ${show(e.data)}`;
    out.push(`${location(e.instancePath)}: ${message}`);
  }
  return out;
}
