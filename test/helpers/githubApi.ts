/**
 * Validates requests against GitHub's REST API description (OpenAPI 3.0.3),
 * as shipped by the `@octokit/openapi` devDependency.
 *
 * Spec file: `@octokit/openapi/generated/api.github.com.json` — the
 * non-dereferenced variant. It parses in ~0.1 s (the `.deref.json` variant is
 * 73 MB and takes ~0.5 s and several hundred MB of heap per jest test file);
 * `$ref`s are resolved lazily here, so nothing is lost by using it. The
 * package's `index.js` is deliberately NOT imported: it `require`s every spec
 * variant (~400 MB).
 *
 * Schema validation is a small built-in OpenAPI-3.0 schema checker (ajv is not
 * installed in this project). It covers every keyword GitHub's request-body
 * and parameter schemas use: type, nullable, enum, required, properties,
 * additionalProperties, items, oneOf/anyOf/allOf, min/maxItems, uniqueItems,
 * min/maxLength, pattern, minimum/maximum, maxProperties, and the formats
 * date-time, date, email and uri. Unknown keywords are ignored.
 *
 * Operations are prepared lazily (on first request to them) and cached.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";

/** An OpenAPI 3.0 schema object (loosely typed: it is JSON from the spec). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Schema = Record<string, any>;

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
  components: Record<string, Record<string, Schema>>;
  info: { version: string };
}

const SPEC_PACKAGE = "@octokit/openapi";
const SPEC_RELATIVE_FILE = "generated/api.github.com.json";
const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/**
 * Constraints GitHub documents (in descriptions or sibling endpoints) but that
 * the OpenAPI description leaves out. Keyed by "METHOD template", then by the
 * location in the request (`body.x[].y`, `query.x`, `path.x`); each schema is
 * applied in addition to the spec's own.
 *
 * - create-review `comments[].side`/`start_side`: typed only `string` in the
 *   spec, but the docs (and `POST .../pulls/{pull_number}/comments`, which
 *   has the same fields with `enum: [LEFT, RIGHT]`) allow only LEFT/RIGHT;
 *   GitHub answers 422 otherwise.
 */
const DOCUMENTED_CONSTRAINTS: Record<string, Record<string, Schema>> = {
  "POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews": {
    "body.comments[].side": { enum: ["LEFT", "RIGHT"] },
    "body.comments[].start_side": { enum: ["LEFT", "RIGHT"] },
  },
};

let loaded: { spec: Spec; file: string; loadMs: number; paths: PathEntry[] } | undefined;

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
  const paths = Object.entries(spec.paths).map(([template, item]) => buildPathEntry(spec, template, item));
  loaded = { spec, file, loadMs: Math.round(performance.now() - started), paths };
  return loaded;
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

function resolve(spec: Spec, schema: Schema): Schema {
  let s = schema;
  for (let hops = 0; s && typeof s.$ref === "string"; hops++) {
    if (hops > 50) throw new Error(`$ref loop at ${schema.$ref}`);
    const ref: string = s.$ref;
    if (!ref.startsWith("#/")) throw new Error(`unsupported $ref ${ref}`);
    let target: unknown = spec;
    for (const raw of ref.slice(2).split("/")) {
      const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
      target = (target as Record<string, unknown> | undefined)?.[key];
    }
    if (!target) throw new Error(`unresolvable $ref ${ref}`);
    s = target as Schema;
  }
  return s;
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
// Per-operation preparation (lazy, cached)

interface PreparedOperation {
  key: string;
  operationId: string;
  pathParams: Map<string, Schema>;
  queryParams: Map<string, { required: boolean; schema: Schema }>;
  /** undefined: operation takes no body */
  body?: { required: boolean; jsonSchema?: Schema; contentTypes: string[] };
  extra: Record<string, Schema>;
}

const prepared = new Map<string, PreparedOperation>();

function prepare(method: string, template: string, op: Schema): PreparedOperation {
  const key = `${method.toUpperCase()} ${template}`;
  const cached = prepared.get(key);
  if (cached) return cached;
  const spec = ensureLoaded().spec;
  const pathParams = new Map<string, Schema>();
  const queryParams = new Map<string, { required: boolean; schema: Schema }>();
  for (const p of (op.parameters ?? []) as Schema[]) {
    const param = resolve(spec, p);
    if (param.in === "path") pathParams.set(param.name, param.schema ?? {});
    if (param.in === "query") queryParams.set(param.name, { required: !!param.required, schema: param.schema ?? {} });
  }
  let body: PreparedOperation["body"];
  if (op.requestBody) {
    const rb = resolve(spec, op.requestBody);
    const content: Record<string, Schema> = rb.content ?? {};
    const jsonType = Object.keys(content).find((t) => /^application\/(.+\+)?json/.test(t));
    body = {
      required: !!rb.required,
      jsonSchema: jsonType ? content[jsonType].schema : undefined,
      contentTypes: Object.keys(content),
    };
  }
  const result: PreparedOperation = {
    key,
    operationId: op.operationId,
    pathParams,
    queryParams,
    body,
    extra: DOCUMENTED_CONSTRAINTS[key] ?? {},
  };
  prepared.set(key, result);
  return result;
}

// ---------------------------------------------------------------------------
// Public validator

/**
 * Checks one request against GitHub's REST API description. Returns a list of
 * human-readable problems; an empty list means the request is valid.
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
  const ctx: Ctx = { spec: ensureLoaded().spec, extra: op.extra, depth: 0 };

  // Path parameters
  for (const [name, value] of Object.entries(found.params)) {
    const schema = op.pathParams.get(name);
    if (!schema) continue;
    checkScalarParam(ctx, schema, value, `path.${name}`, problems);
  }

  // Query parameters
  const query = new Map<string, string[]>();
  const addQuery = (rawKey: string, value: string) => {
    const key = rawKey.replace(/\[\]$/, "");
    query.set(key, [...(query.get(key) ?? []), value]);
  };
  search.forEach((value, key) => addQuery(key, value));
  for (const [key, value] of Object.entries(request.query ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) addQuery(key, String(v));
  }
  for (const [name, values] of query) {
    const param = op.queryParams.get(name);
    if (!param) {
      const known = [...op.queryParams.keys()];
      problems.push(
        `query.${name}: not a query parameter of ${op.operationId}` +
          (known.length ? ` (described: ${known.join(", ")})` : " (it takes none)"),
      );
      continue;
    }
    if (resolve(ctx.spec, param.schema).type === "array") {
      const items = values.flatMap((v) => v.split(","));
      validateAt(ctx, param.schema, items.map((v) => coerce(ctx, resolve(ctx.spec, param.schema).items ?? {}, v)), `query.${name}`, problems);
    } else {
      if (values.length > 1) problems.push(`query.${name}: given ${values.length} times, expected once`);
      checkScalarParam(ctx, param.schema, values[0], `query.${name}`, problems);
    }
  }
  for (const [name, param] of op.queryParams) {
    if (param.required && !query.has(name)) problems.push(`query.${name}: required query parameter is missing`);
  }

  // Body
  let body = request.body;
  const isEmpty =
    body === undefined ||
    body === null ||
    body === "" ||
    (typeof body === "object" && !Array.isArray(body) && !Buffer.isBuffer(body) && Object.keys(body).length === 0);
  if (!op.body) {
    if (!isEmpty) problems.push(`body: ${op.operationId} takes no request body, but one was sent`);
  } else if (op.body.jsonSchema) {
    if (typeof body === "string" || Buffer.isBuffer(body)) {
      const text = body.toString();
      try {
        body = text === "" ? undefined : JSON.parse(text);
      } catch {
        problems.push(`body: expected JSON (${op.body.contentTypes.join(", ")}), got ${JSON.stringify(text.slice(0, 80))}`);
        return problems;
      }
    }
    if (body === undefined || body === null) {
      if (op.body.required) problems.push(`body: required request body is missing`);
    } else {
      validateAt(ctx, op.body.jsonSchema, body, "body", problems);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------
// Schema checker

interface Ctx {
  spec: Spec;
  extra: Record<string, Schema>;
  depth: number;
}

function checkScalarParam(ctx: Ctx, schema: Schema, raw: string, at: string, out: string[]) {
  validateAt(ctx, schema, coerce(ctx, schema, raw), at, out);
}

/** Converts a query/path string to the type its schema expects, when it parses. */
function coerce(ctx: Ctx, schema: Schema, raw: string): unknown {
  const s = resolve(ctx.spec, schema);
  const types = schemaTypes(ctx, s);
  if ((types.has("integer") || types.has("number")) && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (types.has("boolean") && (raw === "true" || raw === "false")) return raw === "true";
  return raw;
}

function schemaTypes(ctx: Ctx, s: Schema): Set<string> {
  const types = new Set<string>();
  if (typeof s.type === "string") types.add(s.type);
  if (Array.isArray(s.type)) s.type.forEach((t: string) => types.add(t));
  for (const k of ["oneOf", "anyOf"]) {
    for (const b of (s[k] ?? []) as Schema[]) schemaTypes(ctx, resolve(ctx.spec, b)).forEach((t) => types.add(t));
  }
  return types;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function show(value: unknown): string {
  const s = JSON.stringify(value);
  return s === undefined ? String(value) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function typeMatches(type: string, value: unknown): boolean {
  switch (type) {
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "array":
      return Array.isArray(value);
    case "string":
      return typeof value === "string";
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean":
      return typeof value === "boolean";
    case "null":
      return value === null;
    default:
      return true;
  }
}

const FORMATS: Record<string, (v: string) => boolean> = {
  "date-time": (v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/i.test(v) && !Number.isNaN(Date.parse(v)),
  date: (v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)),
  email: (v) => /^[^\s@]+@[^\s@]+$/.test(v),
  uri: (v) => {
    try {
      new URL(v);
      return true;
    } catch {
      return false;
    }
  },
};

/** Where `at` is a location like body.comments[0].side, its documented-constraint key is body.comments[].side. */
function constraintKey(at: string): string {
  return at.replace(/\[\d+\]/g, "[]");
}

/** Smallest nesting depth among error locations ("body.a[0].b: ..." has depth 3). */
function errorDepth(errors: string[]): number {
  return Math.min(...errors.map((e) => (e.split(": ")[0].match(/[.[]/g) ?? []).length));
}

/** Validates the value at a new location, adding any DOCUMENTED_CONSTRAINTS for that location. */
function validateAt(ctx: Ctx, schema: Schema, value: unknown, at: string, out: string[]): void {
  const extra = ctx.extra[constraintKey(at)];
  if (extra) validateValue(ctx, extra, value, at, out);
  validateValue(ctx, schema, value, at, out);
}

function validateValue(ctx: Ctx, rawSchema: Schema, value: unknown, at: string, out: string[]): void {
  if (ctx.depth > 100) return;
  const s = resolve(ctx.spec, rawSchema);
  const inner: Ctx = { ...ctx, depth: ctx.depth + 1 };

  if (value === null && s.nullable === true) return;

  if (s.type !== undefined) {
    const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
    if (!types.some((t) => typeMatches(t, value))) {
      out.push(`${at}: must be ${types.join(" or ")}${s.nullable ? " or null" : ""}, got ${describe(value)} ${show(value)}`);
      return;
    }
  }

  if (Array.isArray(s.enum) && !s.enum.some((e: unknown) => e === value)) {
    out.push(`${at}: must be one of ${s.enum.map(show).join(", ")}, got ${show(value)}`);
  }

  if (Array.isArray(s.allOf)) for (const sub of s.allOf) validateValue(inner, sub, value, at, out);

  for (const keyword of ["anyOf", "oneOf"] as const) {
    if (!Array.isArray(s[keyword])) continue;
    const results = (s[keyword] as Schema[]).map((sub) => {
      const errs: string[] = [];
      validateValue(inner, sub, value, at, errs);
      return errs;
    });
    const passing = results.filter((r) => r.length === 0).length;
    if (passing === 0) {
      // The closest alternative is the one whose first error is deepest (it
      // matched furthest into the value), then the one with the fewest errors.
      const closest = results.reduce((a, b) => {
        const d = errorDepth(b) - errorDepth(a);
        return d > 0 || (d === 0 && b.length < a.length) ? b : a;
      });
      out.push(
        `${at}: matches none of the ${results.length} alternatives (${keyword})` +
          (results.length > 1 ? "; closest: " : ": ") +
          closest.slice(0, 5).join("; ") +
          (closest.length > 5 ? `; ... (${closest.length - 5} more)` : ""),
      );
    } else if (keyword === "oneOf" && passing > 1) {
      const which = results.flatMap((r, i) => (r.length === 0 ? [`#${i + 1}`] : []));
      out.push(`${at}: matches ${passing} oneOf alternatives (${which.join(", ")}), expected exactly one: ${show(value)}`);
    }
  }

  if (typeof value === "string") {
    const length = [...value].length;
    if (typeof s.minLength === "number" && length < s.minLength) out.push(`${at}: must be at least ${s.minLength} characters, got ${length}`);
    if (typeof s.maxLength === "number" && length > s.maxLength) out.push(`${at}: must be at most ${s.maxLength} characters, got ${length}`);
    if (typeof s.pattern === "string") {
      let re: RegExp | undefined;
      try {
        re = new RegExp(s.pattern, "u");
      } catch {
        try {
          re = new RegExp(s.pattern);
        } catch {
          re = undefined;
        }
      }
      if (re && !re.test(value)) out.push(`${at}: must match /${s.pattern}/, got ${show(value)}`);
    }
    const format = typeof s.format === "string" ? FORMATS[s.format] : undefined;
    if (format && !format(value)) out.push(`${at}: must be a ${s.format}, got ${show(value)}`);
  }

  if (typeof value === "number") {
    if (typeof s.minimum === "number" && value < s.minimum) out.push(`${at}: must be >= ${s.minimum}, got ${value}`);
    if (typeof s.maximum === "number" && value > s.maximum) out.push(`${at}: must be <= ${s.maximum}, got ${value}`);
  }

  if (Array.isArray(value)) {
    if (typeof s.minItems === "number" && value.length < s.minItems) out.push(`${at}: must have at least ${s.minItems} item(s), got ${value.length}`);
    if (typeof s.maxItems === "number" && value.length > s.maxItems) out.push(`${at}: must have at most ${s.maxItems} item(s), got ${value.length}`);
    if (s.uniqueItems === true) {
      const seen = new Set(value.map((v) => JSON.stringify(v)));
      if (seen.size !== value.length) out.push(`${at}: items must be unique`);
    }
    if (s.items && typeof s.items === "object") {
      value.forEach((item, i) => validateAt(inner, s.items, item, `${at}[${i}]`, out));
    }
  }

  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props: Record<string, Schema> = s.properties ?? {};
    for (const name of (s.required ?? []) as string[]) {
      if (obj[name] === undefined) out.push(`${at}.${name}: required property is missing`);
    }
    if (typeof s.maxProperties === "number" && Object.keys(obj).length > s.maxProperties) {
      out.push(`${at}: must have at most ${s.maxProperties} properties, got ${Object.keys(obj).length}`);
    }
    for (const [name, v] of Object.entries(obj)) {
      if (v === undefined) continue;
      if (props[name]) {
        validateAt(inner, props[name], v, `${at}.${name}`, out);
      } else if (s.additionalProperties === false) {
        const known = Object.keys(props);
        out.push(`${at}.${name}: unknown property (allowed: ${known.length ? known.join(", ") : "none"})`);
      } else if (s.additionalProperties && typeof s.additionalProperties === "object") {
        validateAt(inner, s.additionalProperties, v, `${at}.${name}`, out);
      }
    }
  }
}
