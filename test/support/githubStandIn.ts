/**
 * A GitHub stand-in for many repositories on one loopback server: one FakeGitHub per repository
 * (each with its pull request), the request routed by the repository in its path. Used by the
 * multi-instance process test and by `npm run bench:scale`; no jest globals, so a plain tsx
 * script can import it. Given a GitHubOAuthStandIn, the same host also serves the sign-in and
 * the user endpoints the dashboard calls (as one GitHub Enterprise Server does).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { FakeGitHub } from "../helpers/fakeGitHub.js";
import { examplePayload, withRepo } from "../helpers/webhookExamples.js";
import type { GitHubOAuthStandIn } from "./githubOAuthStandIn.js";

export class FakeGitHubs {
  readonly byRepo = new Map<string, FakeGitHub>();
  private server: Server | null = null;

  constructor(
    readonly fakes: FakeGitHub[],
    readonly oauth?: GitHubOAuthStandIn,
  ) {
    for (const f of fakes) this.byRepo.set(`${f.owner}/${f.repo}`, f);
  }

  /** Serves on a loopback port; returns the `GHE_HOST` (127.0.0.1:PORT) the app is given. */
  async listen(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on(
        "end",
        () =>
          void (async () => {
            // Sign-in and the user's own endpoints (a user token, never the app's): the OAuth stand-in's.
            if (this.oauth?.owns(req.url ?? "/"))
              return this.oauth.serve(req.method ?? "GET", req.url ?? "/", req.headers, Buffer.concat(chunks), res);
            const path = (req.url ?? "/").replace(/^\/api\/v3/, "");
            const m = /^\/repos\/([^/]+)\/([^/?]+)/.exec(path);
            const fake = (m && this.byRepo.get(`${m[1]}/${m[2]}`)) || this.fakes[0];
            const r = await fake.handle(req.method ?? "GET", path, Buffer.concat(chunks).toString("utf8"));
            const text = typeof r.body === "string" ? r.body : JSON.stringify(r.body ?? null);
            if (res.destroyed) return; // its client was killed meanwhile
            res.writeHead(r.status, {
              "content-type": typeof r.body === "string" ? "text/plain; charset=utf-8" : "application/json; charset=utf-8",
              ...r.headers,
            });
            res.end(text);
          })(),
      );
    });
    // Many app processes keep connections open: no limit on them here.
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as AddressInfo;
    for (const f of this.fakes) f.baseUrl = `http://127.0.0.1:${port}/api/v3`;
    if (this.oauth) this.oauth.host = `127.0.0.1:${port}`;
    return `127.0.0.1:${port}`;
  }

  /** Reviews GitHub recorded, in all repositories. */
  reviews(): number {
    return this.fakes.reduce((n, f) => n + f.reviews.length, 0);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A `pull_request.opened` webhook body (GitHub's own example payload) for the fake's pull request. */
export function pullRequestOpened(fake: FakeGitHub, installationId = 2): string {
  const payload: any = withRepo(examplePayload("pull_request", "opened"), { owner: fake.owner, repo: fake.repo, installationId });
  payload.pull_request.number = fake.pull.number;
  payload.pull_request.head.sha = fake.pull.head.sha;
  payload.pull_request.draft = false;
  return JSON.stringify(payload);
}
