/**
 * A stand-in for GitHub's sign-in on a loopback port, served as a GitHub Enterprise Server would
 * be (web at the root, the API under /api/v3): the authorize page (which signs in at once and
 * sends the browser back with a code and the state), the code exchange, `/user`, and the user's
 * installations with their repositories. No jest globals, so a script can use it too.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface OAuthStandInOptions {
  clientId: string;
  clientSecret: string;
  login: string;
  /** Per installation id: its app id and its repositories ("owner/name"). */
  installations: { id: number; appId: number; repos: string[] }[];
}

export class GitHubOAuthStandIn {
  private server: Server | null = null;
  private readonly codes = new Set<string>();
  private readonly tokens = new Set<string>();
  /** Requests seen, as "METHOD /path" (no query, no secret). */
  readonly requests: string[] = [];
  /** `GHE_HOST` for the app: 127.0.0.1:PORT (with GHE_PROTOCOL=http). */
  host = "";

  constructor(private readonly o: OAuthStandInOptions) {}

  async listen(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const url = new URL(req.url ?? "/", "http://stand-in");
        this.requests.push(`${req.method} ${url.pathname}`);
        const json = (status: number, body: unknown) => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(body));
        };
        const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ""))?.[1];
        if (req.method === "GET" && url.pathname === "/login/oauth/authorize") {
          if (url.searchParams.get("client_id") !== this.o.clientId) return json(400, { error: "unknown client" });
          const code = randomBytes(10).toString("hex");
          this.codes.add(code);
          const back = new URL(url.searchParams.get("redirect_uri")!);
          back.searchParams.set("code", code);
          back.searchParams.set("state", url.searchParams.get("state") ?? "");
          res.writeHead(302, { location: back.toString() });
          return res.end();
        }
        if (req.method === "POST" && url.pathname === "/login/oauth/access_token") {
          const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
          const code = form.get("code") ?? "";
          if (form.get("client_secret") !== this.o.clientSecret || !this.codes.delete(code))
            return json(200, { error: "bad_verification_code" });
          const t = `ghu_${randomBytes(16).toString("hex")}`;
          this.tokens.add(t);
          return json(200, { access_token: t, token_type: "bearer", expires_in: 28800 });
        }
        const revoke = /^\/api\/v3\/applications\/([^/]+)\/token$/.exec(url.pathname);
        if (req.method === "DELETE" && revoke) {
          const basic = Buffer.from(`${this.o.clientId}:${this.o.clientSecret}`).toString("base64");
          if (req.headers.authorization !== `Basic ${basic}`) return json(401, { message: "Bad credentials" });
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as { access_token?: string };
          const known = this.tokens.delete(body.access_token ?? "");
          res.writeHead(known ? 204 : 404);
          return res.end();
        }
        if (!token || !this.tokens.has(token)) return json(401, { message: "Bad credentials" });
        if (url.pathname === "/api/v3/user") return json(200, { id: 1, login: this.o.login });
        if (url.pathname === "/api/v3/user/installations") {
          return json(200, {
            total_count: this.o.installations.length,
            installations: this.o.installations.map((i) => ({ id: i.id, app_id: i.appId })),
          });
        }
        const m = /^\/api\/v3\/user\/installations\/(\d+)\/repositories$/.exec(url.pathname);
        const inst = m ? this.o.installations.find((i) => i.id === Number(m[1])) : undefined;
        if (inst) return json(200, { total_count: inst.repos.length, repositories: inst.repos.map((full_name) => ({ full_name })) });
        json(404, { message: "Not Found" });
      });
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
