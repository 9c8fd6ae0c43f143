/**
 * nock scopes whose requests are checked against GitHub's REST API description.
 *
 *   const api = githubApiRecorder();
 *   api.scope("https://api.github.com")
 *     .post("/repos/o/r/issues").reply(201, { number: 1 });
 *   ... run the app ...
 *   api.assertValid();   // throws, listing every request GitHub would reject
 *   expect(api.find("POST", "/repos/{owner}/{repo}/issues")[0].body).toMatchObject({ title: "x" });
 *
 * Every request a recorder's scopes answer is recorded (method, path, query,
 * parsed body, matched operation) and validated with validateGitHubRequest.
 * Requests to a recorder's hosts that no interceptor matched are recorded too
 * (`matched: false`) and, by default, count as problems.
 */
import nock from "nock";
import { matchGitHubOperation, validateGitHubRequest, type GitHubOperation } from "./githubApi.js";

export interface RecordedGitHubRequest {
  /** upper-case, e.g. "POST" */
  method: string;
  /** path as sent, without the query string (includes /api/v3 on GHES) */
  path: string;
  query: Record<string, string | string[]>;
  /** parsed JSON body; the raw string when it is not JSON; undefined when empty */
  body: unknown;
  url: string;
  /** the operation in GitHub's description this request maps to, if any */
  operation?: GitHubOperation;
  /** problems found by validateGitHubRequest (plus "no interceptor matched") */
  problems: string[];
  /** false when no nock interceptor matched (nock answered with an error) */
  matched: boolean;
}

export interface GitHubApiRecorderOptions {
  /** Count requests to the recorder's hosts that no interceptor matched as problems (default true). */
  failOnUnmatched?: boolean;
}

export interface GitHubApiRecorder {
  /** `nock(basePath, options)` with the validating listener attached. */
  scope(basePath: string | URL, options?: nock.Options): nock.Scope;
  /** Attaches the validating listener to a scope created elsewhere. */
  attach<S extends nock.Scope>(scope: S): S;
  /** Every request seen so far, in order. */
  readonly requests: RecordedGitHubRequest[];
  /** One line per problem: "POST /path: problem". */
  readonly problems: string[];
  /** Requests by method and either the path as sent (no query) or the spec template. */
  find(method: string, pathOrTemplate: string): RecordedGitHubRequest[];
  /** Throws an Error listing each invalid request and its problems. */
  assertValid(): void;
  /** Forgets recorded requests (listeners stay attached). */
  reset(): void;
  /** Stops recording unmatched requests (scopes keep their listeners until nock.cleanAll()). */
  dispose(): void;
}

type NoMatchListener = (req: { method?: string; path?: string }, options?: NoMatchOptions, body?: string) => void;
interface NoMatchOptions {
  href?: string;
  protocol?: string;
  hostname?: string;
  host?: string;
  port?: string | number;
  path?: string;
  method?: string;
}

const liveRecorders = new Set<NoMatchListener>();
let globalListenerInstalled = false;

function installGlobalListener() {
  if (globalListenerInstalled) return;
  globalListenerInstalled = true;
  nock.emitter.on("no match", (req: { method?: string; path?: string }, options?: NoMatchOptions, body?: string) => {
    for (const listener of liveRecorders) listener(req, options, body);
  });
}

function originOf(basePath: string): string {
  try {
    return new URL(basePath).origin;
  } catch {
    return basePath;
  }
}

function parseBody(body: string | undefined): unknown {
  if (body === undefined || body === "") return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

function parseQuery(search: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  search.forEach((value, key) => {
    const prev = query[key];
    query[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  });
  return query;
}

/** Creates a recorder; see the module comment for usage. */
export function githubApiRecorder(options: GitHubApiRecorderOptions = {}): GitHubApiRecorder {
  const failOnUnmatched = options.failOnUnmatched ?? true;
  const requests: RecordedGitHubRequest[] = [];
  const origins = new Set<string>();

  const record = (method: string, url: URL, rawBody: string | undefined, matched: boolean) => {
    const pathWithQuery = url.pathname + url.search;
    const body = parseBody(rawBody);
    const problems = validateGitHubRequest({ method, path: pathWithQuery, body: rawBody ?? undefined });
    if (!matched && failOnUnmatched) problems.unshift("no nock interceptor matched this request");
    requests.push({
      method: method.toUpperCase(),
      path: url.pathname,
      query: parseQuery(url.searchParams),
      body,
      url: url.href,
      operation: matchGitHubOperation(method, pathWithQuery),
      problems,
      matched,
    });
  };

  const onNoMatch: NoMatchListener = (req, opts, body) => {
    const href = opts?.href;
    if (!href) return;
    const url = new URL(href);
    if (!origins.has(url.origin)) return;
    record(opts?.method ?? req.method ?? "GET", url, body, false);
  };
  installGlobalListener();
  liveRecorders.add(onNoMatch);

  const attach = <S extends nock.Scope>(scope: S): S => {
    const basePath = (scope as unknown as { basePath?: string }).basePath;
    if (basePath) origins.add(originOf(basePath));
    scope.on("request", (req: { method: string; path: string }, interceptor: { basePath?: string }, body: string) => {
      const base = interceptor?.basePath ?? basePath ?? "https://api.github.com";
      record(req.method, new URL(req.path, base), body, true);
    });
    return scope;
  };

  const describeRequest = (r: RecordedGitHubRequest) =>
    `${r.method} ${r.path}${Object.keys(r.query).length ? `?${new URLSearchParams(r.query as Record<string, string>).toString()}` : ""}`;

  return {
    scope(basePath, nockOptions) {
      return attach(nock(basePath, nockOptions));
    },
    attach,
    get requests() {
      return requests;
    },
    get problems() {
      return requests.flatMap((r) => r.problems.map((p) => `${describeRequest(r)}: ${p}`));
    },
    find(method, pathOrTemplate) {
      const m = method.toUpperCase();
      return requests.filter(
        (r) =>
          r.method === m &&
          (r.path === pathOrTemplate || r.path.replace(/^\/api\/v3(?=\/)/, "") === pathOrTemplate || r.operation?.template === pathOrTemplate),
      );
    },
    assertValid() {
      const bad = requests.filter((r) => r.problems.length > 0);
      if (bad.length === 0) return;
      const lines = bad.flatMap((r) => [
        `  ${describeRequest(r)}${r.operation ? `  [${r.operation.operationId}: ${r.operation.method} ${r.operation.template}]` : ""}`,
        ...r.problems.map((p) => `    - ${p}`),
      ]);
      throw new Error(
        `${bad.length} of ${requests.length} GitHub API request(s) do not match GitHub's REST API description:\n${lines.join("\n")}`,
      );
    },
    reset() {
      requests.length = 0;
    },
    dispose() {
      liveRecorders.delete(onNoMatch);
    },
  };
}
