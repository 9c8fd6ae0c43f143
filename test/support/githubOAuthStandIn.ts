/**
 * A stand-in for GitHub's sign-in on a loopback port, served as a GitHub Enterprise Server would
 * be (web at the root, the API under /api/v3): the authorize page (which signs in at once and
 * sends the browser back with a code and the state), the code exchange, `/user`, and the user's
 * installations with their repositories. It listens on its own, or another stand-in hands it
 * the requests it owns (`owns`, `serve`: FakeGitHubs does, so one host serves both the REST API
 * the app calls and the sign-in the dashboard uses). No jest globals, so a script can use it too.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface StandInInstallation {
  id: number;
  appId: number;
  /** Its repositories ("owner/name") the user can access. */
  repos: string[];
}

export interface OAuthStandInOptions {
  clientId: string;
  clientSecret: string;
  /** The user the authorize page signs in (until `signInAs` says otherwise). */
  login: string;
  /** That user's installations (their app ids and the repositories the user can access). */
  installations: StandInInstallation[];
  /** Other users, by login, with their own installations: `signInAs` picks who signs in next. */
  users?: Record<string, StandInInstallation[]>;
}

/** The paths this stand-in answers when another server delegates to it. */
const OWNED = /^\/login\/oauth\/|^\/api\/v3\/user(?:\/|$)|^\/api\/v3\/applications\//;

export class GitHubOAuthStandIn {
  private server: Server | null = null;
  /** Unused codes and live tokens, each with the login it signs in. */
  private readonly codes = new Map<string, string>();
  private readonly tokens = new Map<string, string>();
  /** Requests seen, as "METHOD /path" (no query, no secret). */
  readonly requests: string[] = [];
  /** `GHE_HOST` for the app: 127.0.0.1:PORT (with GHE_PROTOCOL=http). */
  host = "";
  /** Who the authorize page signs in next (a browser at GitHub is signed in as someone). */
  signInAs: string;

  constructor(private readonly o: OAuthStandInOptions) {
    this.signInAs = o.login;
  }

  private installationsOf(login: string): StandInInstallation[] {
    return login === this.o.login ? this.o.installations : (this.o.users?.[login] ?? []);
  }

  /** Whether a request path (with or without query) is one this stand-in answers. */
  owns(path: string): boolean {
    return OWNED.test(new URL(path, "http://stand-in").pathname);
  }

  /** Answers one request whose body was read already. */
  serve(method: string, path: string, headers: IncomingHttpHeaders, body: Buffer, res: ServerResponse): void {
    const url = new URL(path, "http://stand-in");
    this.requests.push(`${method} ${url.pathname}`);
    const json = (status: number, data: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(data));
    };
    const token = /^Bearer (.+)$/.exec(String(headers.authorization ?? ""))?.[1];
    if (method === "GET" && url.pathname === "/login/oauth/authorize") {
      if (url.searchParams.get("client_id") !== this.o.clientId) return json(400, { error: "unknown client" });
      const code = randomBytes(10).toString("hex");
      this.codes.set(code, this.signInAs);
      const back = new URL(url.searchParams.get("redirect_uri")!);
      back.searchParams.set("code", code);
      back.searchParams.set("state", url.searchParams.get("state") ?? "");
      res.writeHead(302, { location: back.toString() });
      return void res.end();
    }
    if (method === "POST" && url.pathname === "/login/oauth/access_token") {
      const form = new URLSearchParams(body.toString("utf8"));
      const code = form.get("code") ?? "";
      const login = this.codes.get(code);
      if (form.get("client_secret") !== this.o.clientSecret || login === undefined) return json(200, { error: "bad_verification_code" });
      this.codes.delete(code); // a code is good once
      const t = `ghu_${randomBytes(16).toString("hex")}`;
      this.tokens.set(t, login);
      return json(200, { access_token: t, token_type: "bearer", expires_in: 28800 });
    }
    const revoke = /^\/api\/v3\/applications\/([^/]+)\/token$/.exec(url.pathname);
    if (method === "DELETE" && revoke) {
      const basic = Buffer.from(`${this.o.clientId}:${this.o.clientSecret}`).toString("base64");
      if (headers.authorization !== `Basic ${basic}`) return json(401, { message: "Bad credentials" });
      const data = JSON.parse(body.toString("utf8") || "{}") as { access_token?: string };
      const known = this.tokens.delete(data.access_token ?? "");
      res.writeHead(known ? 204 : 404);
      return void res.end();
    }
    const login = token === undefined ? undefined : this.tokens.get(token);
    if (login === undefined) return json(401, { message: "Bad credentials" });
    const installations = this.installationsOf(login);
    if (url.pathname === "/api/v3/user") return json(200, { id: 1, login });
    if (url.pathname === "/api/v3/user/installations") {
      return json(200, {
        total_count: installations.length,
        installations: installations.map((i) => ({ id: i.id, app_id: i.appId })),
      });
    }
    const m = /^\/api\/v3\/user\/installations\/(\d+)\/repositories$/.exec(url.pathname);
    const inst = m ? installations.find((i) => i.id === Number(m[1])) : undefined;
    if (inst) return json(200, { total_count: inst.repos.length, repositories: inst.repos.map((full_name) => ({ full_name })) });
    json(404, { message: "Not Found" });
  }

  async listen(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => this.serve(req.method ?? "GET", req.url ?? "/", req.headers, Buffer.concat(chunks), res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.host = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.host;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
