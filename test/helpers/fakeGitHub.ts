/**
 * A small stateful stand-in for the parts of GitHub's REST API the app uses: a pull request
 * with its files, reviews, issue comments, labels, issues and the repository config file.
 * It answers through nock (in-process tests) or as a real HTTP server on loopback (tests
 * that start the app as a process). Every request it receives is checked against GitHub's
 * REST API description, and review comments are checked against the diff like GitHub does
 * (a line outside the hunks is a 422).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import nock from "nock";
import { validateGitHubRequest } from "./githubApi.js";

export interface FakeFile {
  filename: string;
  status?: "added" | "removed" | "modified" | "renamed";
  patch?: string;
  additions?: number;
  deletions?: number;
  previous_filename?: string;
}

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: any;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface FakeFault {
  method: string;
  path: RegExp;
  status: number;
  headers?: Record<string, string>;
  /** How many matching requests fail (default 1). */
  times?: number;
  /** Instead of failing, wait this long before answering normally. */
  delayMs?: number;
}

let nextId = 1000;

/** Lines of a GitHub `patch` a review comment may use (RIGHT: new-file lines, LEFT: old-file lines). */
function anchors(patch: string | undefined): { RIGHT: Set<number>; LEFT: Set<number> } {
  const RIGHT = new Set<number>();
  const LEFT = new Set<number>();
  let oldLine = 0;
  let newLine = 0;
  for (const line of (patch ?? "").split("\n")) {
    const h = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (h) {
      oldLine = Number(h[1]);
      newLine = Number(h[2]);
    } else if (line.startsWith("+")) RIGHT.add(newLine++);
    else if (line.startsWith("-")) LEFT.add(oldLine++);
    else if (line.startsWith("\\")) continue;
    else {
      RIGHT.add(newLine++);
      LEFT.add(oldLine++);
    }
  }
  return { RIGHT, LEFT };
}

/** Whether lines start..end of one side are all in one hunk of a patch (GitHub's rule for a comment over several lines). */
function inOneHunk(patch: string | undefined, side: "LEFT" | "RIGHT", start: number, end: number): boolean {
  const hunks: Array<Set<number>> = [];
  let oldLine = 0;
  let newLine = 0;
  for (const line of (patch ?? "").split("\n")) {
    const h = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (h) {
      oldLine = Number(h[1]);
      newLine = Number(h[2]);
      hunks.push(new Set());
      continue;
    }
    if (hunks.length === 0 || line.startsWith("\\")) continue;
    const hunk = hunks[hunks.length - 1];
    if (!line.startsWith("-")) {
      if (side === "RIGHT") hunk.add(newLine);
      newLine++;
    }
    if (!line.startsWith("+")) {
      if (side === "LEFT") hunk.add(oldLine);
      oldLine++;
    }
  }
  return hunks.some((lines) => {
    for (let n = start; n <= end; n++) if (!lines.has(n)) return false;
    return true;
  });
}

export class FakeGitHub {
  owner = "octo-org";
  repo = "shop";
  appSlug = "empathy-test";
  pull: any;
  files: FakeFile[] = [];
  /** Raw text of .github/empathy.yml, or null for none. */
  configYaml: string | null = null;
  /** Whole files at the head commit (path -> text), served by the contents API. */
  contents = new Map<string, string>();
  /** The same file in the owner's `.github` repository (what `_extends: .github` reads). */
  orgConfigYaml: string | null = null;
  reviews: any[] = [];
  reviewComments: any[] = [];
  comments: any[] = [];
  labels = new Map<string, { name: string; color: string; description?: string }>();
  issues: any[] = [];
  /** Other pull requests of the repository (listed by `GET /pulls`, read by `GET /pulls/{n}`). */
  otherPulls: any[] = [];
  /** Comments on issues and pull requests other than `pull` (number -> comments). */
  issueComments = new Map<number, any[]>();
  /** Whole files on the base branch (path -> text), served by the contents API at `base.ref` or `base.sha`. */
  baseContents = new Map<string, string>();
  /** Collaborator permissions by login ("admin", "maintain", "write", "triage", "read"); others are not collaborators (404). */
  permissions = new Map<string, string>();
  requests: FakeRequest[] = [];
  problems: string[] = [];
  faults: FakeFault[] = [];
  baseUrl = "https://api.github.com";
  private server: Server | null = null;

  constructor(pull: Partial<Record<string, any>> = {}) {
    this.pull = {
      number: 7,
      state: "open",
      draft: false,
      title: "Add order export",
      body: "Exports orders as CSV for the finance team.",
      user: { login: "alice", type: "User" },
      head: { sha: "a".repeat(40), ref: "feature" },
      base: { sha: "b".repeat(40), ref: "main" },
      labels: [],
      changed_files: 0,
      html_url: "https://github.com/octo-org/shop/pull/7",
      ...pull,
    };
  }

  get repoPath(): string {
    return `/repos/${this.owner}/${this.repo}`;
  }

  setFiles(files: FakeFile[]): void {
    this.files = files;
    this.pull.changed_files = files.length;
  }

  /** Requests by method and path regex. */
  find(method: string, path: RegExp): FakeRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  /** Writes: every POST, PATCH, PUT and DELETE received. */
  writes(): FakeRequest[] {
    return this.requests.filter((r) => r.method !== "GET");
  }

  // --- transports ---

  /** Answers every request to baseUrl through nock. */
  mountOnNock(baseUrl = "https://api.github.com"): nock.Scope {
    this.baseUrl = baseUrl;
    const origin = new URL(baseUrl).origin;
    const prefix = new URL(baseUrl).pathname.replace(/\/$/, "");
    const scope = nock(origin).persist();
    for (const method of ["get", "post", "patch", "put", "delete"] as const) {
      scope[method](/.*/).reply(async (uri, body) => {
        const r = await this.handle(method.toUpperCase(), uri.slice(prefix.length), typeof body === "string" ? body : JSON.stringify(body));
        return [r.status, r.body as any, r.headers ?? {}];
      });
    }
    return scope;
  }

  /** Serves on a loopback port; the app reaches it with GHE_HOST=127.0.0.1:PORT GHE_PROTOCOL=http. */
  async listen(): Promise<{ host: string; close: () => Promise<void> }> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on(
        "end",
        () =>
          void (async () => {
            const path = (req.url ?? "/").replace(/^\/api\/v3/, "");
            const r = await this.handle(req.method ?? "GET", path, Buffer.concat(chunks).toString("utf8"));
            const text = typeof r.body === "string" ? r.body : JSON.stringify(r.body ?? null);
            res.writeHead(r.status, {
              "content-type": typeof r.body === "string" ? "text/plain; charset=utf-8" : "application/json; charset=utf-8",
              ...r.headers,
            });
            res.end(text);
          })(),
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}/api/v3`;
    return {
      host: `127.0.0.1:${port}`,
      close: () =>
        new Promise((resolve) => {
          this.server!.close(() => resolve());
          this.server!.closeAllConnections();
        }),
    };
  }

  // --- the API ---

  async handle(method: string, pathWithQuery: string, rawBody: string): Promise<Reply> {
    const url = new URL(pathWithQuery, "http://x");
    const path = decodeURIComponent(url.pathname);
    const body = rawBody ? safeJson(rawBody) : undefined;
    this.requests.push({ method, path, query: url.searchParams, body });
    for (const p of validateGitHubRequest({ method, path: pathWithQuery, body: rawBody || undefined }))
      this.problems.push(`${method} ${path}: ${p}`);

    const fault = this.faults.find((f) => f.method === method && f.path.test(path) && (f.times ?? 1) > 0);
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      // Unref: a request left waiting (its client was killed) must not keep the test process alive.
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs).unref());
      else return { status: fault.status, body: { message: `fault injected (${fault.status})` }, headers: fault.headers };
    }
    return this.route(method, path, url.searchParams, body);
  }

  private route(method: string, path: string, query: URLSearchParams, body: any): Reply {
    const repo = this.repoPath;
    const pr = `${repo}/pulls/${this.pull.number}`;
    const issue = `${repo}/issues/${this.pull.number}`;
    const key = `${method} ${path}`;

    if (method === "POST" && /^\/app\/installations\/\d+\/access_tokens$/.test(path)) {
      return { status: 201, body: { token: "ghs_installationtoken", expires_at: new Date(Date.now() + 3600_000).toISOString() } };
    }
    if (key === "GET /app") return { status: 200, body: { id: 1, slug: this.appSlug, name: "Empathy test" } };
    if (key === `GET ${pr}`) return { status: 200, body: this.pull };
    if (key === `GET ${repo}/pulls`) {
      const state = query.get("state") ?? "open";
      return this.page(
        [this.pull, ...this.otherPulls].filter((p) => state === "all" || p.state === state),
        query,
      );
    }
    const otherPull = new RegExp(`^${repo}/pulls/(\\d+)$`).exec(path);
    if (method === "GET" && otherPull) {
      const found = this.otherPulls.find((p) => p.number === Number(otherPull[1]));
      return found ? { status: 200, body: found } : notFound();
    }
    const issueComments = new RegExp(`^${repo}/issues/(\\d+)/comments$`).exec(path);
    if (issueComments && Number(issueComments[1]) !== this.pull.number && (method === "GET" || method === "POST")) {
      const n = Number(issueComments[1]);
      const list = this.issueComments.get(n) ?? [];
      this.issueComments.set(n, list);
      if (method === "GET") return this.page(list, query);
      const c = {
        id: nextId++,
        body: body.body,
        html_url: `https://github.com/${this.owner}/${this.repo}/issues/${n}#issuecomment-${nextId}`,
        user: { login: `${this.appSlug}[bot]`, type: "Bot" },
      };
      list.push(c);
      return { status: 201, body: c };
    }
    if (key === `GET ${pr}/files`)
      return this.page(
        this.files.map((f) => ({ status: "modified", additions: 1, deletions: 0, ...f, sha: "0".repeat(40) })),
        query,
      );
    if (key === `GET ${repo}/contents/.github/empathy.yml`) {
      return this.configYaml === null
        ? notFound()
        : { status: 200, body: this.configYaml, headers: { "content-type": "text/plain; charset=utf-8" } };
    }
    if (key === `GET /repos/${this.owner}/.github/contents/.github/empathy.yml`) {
      return this.orgConfigYaml === null
        ? notFound()
        : { status: 200, body: this.orgConfigYaml, headers: { "content-type": "text/plain; charset=utf-8" } };
    }
    const content = new RegExp(`^${repo}/contents/(.+)$`).exec(path);
    const atBase = content ? this.baseContents.get(content[1]) : undefined;
    if (method === "GET" && content && atBase !== undefined && [this.pull.base.ref, this.pull.base.sha].includes(query.get("ref"))) {
      const name = content[1].slice(content[1].lastIndexOf("/") + 1);
      return {
        status: 200,
        body: {
          type: "file",
          encoding: "base64",
          size: Buffer.byteLength(atBase),
          name,
          path: content[1],
          content: Buffer.from(atBase).toString("base64"),
          sha: "2".repeat(40),
        },
      };
    }
    if (method === "GET" && content) {
      const text = this.contents.get(content[1]);
      if (text === undefined || query.get("ref") !== this.pull.head.sha) return notFound();
      const name = content[1].slice(content[1].lastIndexOf("/") + 1);
      return {
        status: 200,
        body: {
          type: "file",
          encoding: "base64",
          size: Buffer.byteLength(text),
          name,
          path: content[1],
          content: Buffer.from(text).toString("base64"),
          sha: "1".repeat(40),
        },
      };
    }
    if (key === `GET ${pr}/reviews`) return this.page(this.reviews, query);
    if (key === `POST ${pr}/reviews`) return this.createReview(body);
    if (key === `GET ${issue}/comments`) return this.page(this.comments, query);
    if (key === `POST ${issue}/comments`) {
      const c = {
        id: nextId++,
        body: body.body,
        html_url: `https://github.com/${this.owner}/${this.repo}/pull/${this.pull.number}#issuecomment-${nextId}`,
        user: { login: `${this.appSlug}[bot]`, type: "Bot" },
      };
      this.comments.push(c);
      return { status: 201, body: c };
    }
    const editComment = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(path);
    if (method === "PATCH" && editComment) {
      const c = this.comments.find((x) => x.id === Number(editComment[1]));
      if (!c) return notFound();
      c.body = body.body;
      return { status: 200, body: c };
    }
    const label = /^\/repos\/[^/]+\/[^/]+\/labels\/(.+)$/.exec(path);
    if (method === "GET" && label) {
      const l = this.labels.get(label[1]);
      return l ? { status: 200, body: { id: 1, ...l } } : notFound();
    }
    if (key === `POST ${repo}/labels`) {
      if (this.labels.has(body.name)) return { status: 422, body: { message: "Validation Failed", errors: [{ code: "already_exists" }] } };
      this.labels.set(body.name, { name: body.name, color: body.color, description: body.description });
      return { status: 201, body: { id: nextId++, ...body } };
    }
    if (key === `POST ${issue}/labels`) {
      for (const name of body.labels) {
        if (!this.labels.has(name)) this.labels.set(name, { name, color: "ededed" });
        if (!this.pull.labels.some((l: any) => l.name === name)) this.pull.labels.push({ name });
      }
      return { status: 200, body: this.pull.labels };
    }
    if (key === `GET ${repo}/issues`) {
      const wanted = query.get("labels");
      return this.page(
        this.issues.filter((i) => !wanted || i.labels.some((l: any) => l.name === wanted)),
        query,
      );
    }
    const permission = new RegExp(`^${repo}/collaborators/([^/]+)/permission$`).exec(path);
    if (method === "GET" && permission) {
      const role = this.permissions.get(permission[1]);
      if (!role) return notFound();
      const legacy =
        role === "admin"
          ? "admin"
          : role === "maintain" || role === "write"
            ? "write"
            : role === "triage" || role === "read"
              ? "read"
              : "none";
      return { status: 200, body: { permission: legacy, role_name: role, user: { login: permission[1], id: 1, type: "User" } } };
    }
    if (key === `POST ${repo}/issues`) {
      const i = {
        id: nextId++,
        number: 100 + this.issues.length,
        title: body.title,
        body: body.body,
        state: "open",
        labels: (body.labels ?? []).map((name: string) => ({ name })),
        html_url: `https://github.com/${this.owner}/${this.repo}/issues/${100 + this.issues.length}`,
      };
      this.issues.push(i);
      return { status: 201, body: i };
    }
    return notFound();
  }

  private createReview(body: any): Reply {
    const files = new Map(this.files.map((f) => [f.filename, anchors(f.patch)]));
    for (const c of body.comments ?? []) {
      const side: "LEFT" | "RIGHT" = c.side ?? "RIGHT";
      if (!files.get(c.path)?.[side].has(c.line)) {
        return { status: 422, body: { message: "Unprocessable Entity", errors: ["Line could not be resolved"] } };
      }
      // A comment over several lines (a suggestion): start_line before line, on the same side, in the same hunk.
      if (c.start_line !== undefined) {
        const patch = this.files.find((f) => f.filename === c.path)?.patch;
        if (c.start_line >= c.line || (c.start_side ?? side) !== side || !inOneHunk(patch, side, c.start_line, c.line)) {
          const error = "pull_request_review_thread.start_line must be part of the same hunk as the line.";
          return { status: 422, body: { message: "Unprocessable Entity", errors: [error] } };
        }
      }
    }
    const review = {
      id: nextId++,
      body: body.body,
      commit_id: body.commit_id,
      state: "COMMENTED",
      user: { login: `${this.appSlug}[bot]` },
    };
    this.reviews.push(review);
    for (const c of body.comments ?? []) this.reviewComments.push({ ...c, review_id: review.id, commit_id: body.commit_id });
    return { status: 200, body: review };
  }

  /** GitHub-style pagination with a Link header. */
  private page(items: unknown[], query: URLSearchParams): Reply {
    const perPage = Number(query.get("per_page") ?? 30);
    const page = Number(query.get("page") ?? 1);
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (page * perPage < items.length) {
      const next = new URLSearchParams(query);
      next.set("page", String(page + 1));
      headers.link = `<${this.baseUrl}${this.currentPath}?${next}>; rel="next"`;
    }
    return { status: 200, body: slice, headers };
  }

  private get currentPath(): string {
    return this.requests[this.requests.length - 1].path;
  }
}

function notFound(): Reply {
  return { status: 404, body: { message: "Not Found" } };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
