/**
 * Two app processes on one SQLite file and one GitHub stand-in: both started together on a new
 * file (migrated once), a burst of pull requests spread over both, some deliveries sent to both
 * (GitHub retrying through a load balancer), one process killed with SIGKILL in the middle and
 * started again. Every pull request is reviewed exactly once and no issue is opened twice: a
 * starting process leaves the other's running jobs alone, a dead one's are taken back when their
 * lease expires, and the same X-GitHub-Delivery makes one job whichever process receives it.
 */
import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { FakeGitHub } from "../helpers/fakeGitHub.js";
import { examplePayload, withRepo } from "../helpers/webhookExamples.js";
import { riskyFiles } from "../github/fixtures.js";
import { appEnv, freePort, health, postWebhook, sign, startApp, waitFor, type AppProcess } from "./appProcess.js";

const SECRET = "multi-instance-secret";
const PULLS = 8;

/** One stand-in per repository (each with its pull request #7), behind one server routing by the path's repository. */
class FakeGitHubs {
  readonly byRepo = new Map<string, FakeGitHub>();
  private server: Server | null = null;

  constructor(readonly fakes: FakeGitHub[]) {
    for (const f of fakes) this.byRepo.set(`${f.owner}/${f.repo}`, f);
  }

  async listen(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", async () => {
        const path = (req.url ?? "/").replace(/^\/api\/v3/, "");
        const m = /^\/repos\/([^/]+)\/([^/?]+)/.exec(path);
        const fake = (m && this.byRepo.get(`${m[1]}/${m[2]}`)) || this.fakes[0];
        const r = await fake.handle(req.method ?? "GET", path, Buffer.concat(chunks).toString("utf8"));
        const text = typeof r.body === "string" ? r.body : JSON.stringify(r.body ?? null);
        res.writeHead(r.status, { "content-type": typeof r.body === "string" ? "text/plain; charset=utf-8" : "application/json; charset=utf-8", ...r.headers });
        res.end(text);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as { port: number };
    for (const f of this.fakes) f.baseUrl = `http://127.0.0.1:${port}/api/v3`;
    return `127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe("two app processes on one SQLite file", () => {
  let dir: string;
  let github: FakeGitHubs;
  let env: Record<string, string>;
  const running: AppProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "empathy-multi-"));
    const fakes = Array.from({ length: PULLS }, (_, i) => {
      const fake = new FakeGitHub({ html_url: `https://github.com/octo-org/shop-${i}/pull/7` });
      fake.repo = `shop-${i}`;
      fake.setFiles(riskyFiles);
      // GitHub answers each review slowly: a process killed meanwhile dies in the middle of one.
      fake.faults.push({ method: "POST", path: /\/pulls\/7\/reviews$/, status: 200, delayMs: 700 });
      return fake;
    });
    github = new FakeGitHubs(fakes);
    const host = await github.listen();
    env = appEnv({ secret: SECRET, githubHost: host, databasePath: join(dir, "shared.sqlite") }, {
      EMPATHY_JOB_BASE_DELAY_MS: "50",
      EMPATHY_ANALYSIS_WORKERS: "1",
      // A killed process's claims are taken back by the other once their lease expires.
      EMPATHY_LEASE_SECONDS: "2",
      LOG_LEVEL: "info",
    });
  });

  afterAll(async () => {
    for (const app of running) app.child.kill("SIGKILL");
    await github.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function prEvent(fake: FakeGitHub): string {
    const payload: any = withRepo(examplePayload("pull_request", "opened"), { owner: fake.owner, repo: fake.repo, installationId: 2 });
    payload.pull_request.number = fake.pull.number;
    payload.pull_request.head.sha = fake.pull.head.sha;
    payload.pull_request.draft = false;
    return JSON.stringify(payload);
  }

  it("reviews every pull request exactly once, with a process killed in the middle and started again", async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    // Both start together on a new file: its migrations run once, under SQLite's write lock.
    let [a, b] = await Promise.all([startApp(env, portA), startApp(env, portB)]);
    running.push(a, b);

    const fakes = github.fakes;
    for (const [i, fake] of fakes.entries()) {
      const body = prEvent(fake);
      const delivery = { event: "pull_request", id: `burst-${i}`, body, signature: sign(body, SECRET) };
      // Spread over both; every third also to the other one (the same X-GitHub-Delivery twice).
      const first = i % 2 === 0 ? portA : portB;
      expect((await postWebhook(first, delivery)).status).toBe(200);
      if (i % 3 === 0) expect((await postWebhook(first === portA ? portB : portA, delivery)).status).toBe(200);
    }

    // In the middle of the burst, A dies while GitHub is answering one of its reviews.
    const reviewsAsked = () => fakes.reduce((n, f) => n + f.find("POST", /\/pulls\/7\/reviews$/).length, 0);
    await waitFor(() => reviewsAsked() >= 3, 60_000, () => `reviews did not start:\n${a.output()}\n${b.output()}`);
    a.child.kill("SIGKILL");
    await a.exited;
    // In the middle indeed: reviews on the wire at the kill, and pull requests not reviewed yet.
    const reviewedAtKill = fakes.reduce((n, f) => n + f.reviews.length, 0);
    const inMiddle = reviewsAsked() > reviewedAtKill && reviewedAtKill < PULLS;

    a = await startApp(env, portA); // the same instance comes back, with a new instance id
    running.push(a);
    await waitFor(
      async () => {
        const h = await health(portB);
        return h !== null && h.jobs.queued === 0 && h.jobs.running === 0 && fakes.every((f) => f.reviews.length >= 1);
      },
      120_000,
      () => `jobs did not finish: ${fakes.map((f) => f.reviews.length).join(",")}\n${a.output()}\n${b.output()}`,
    );

    expect(inMiddle).toBe(true);
    // One job per delivery: a delivery sent to both made one job.
    const db = new Database(join(dir, "shared.sqlite"), { readonly: true });
    const jobs = db.prepare("SELECT dedupe_key AS key, status, lease_owner AS owner FROM jobs WHERE type = 'review_pull_request'").all() as { key: string; status: string; owner: string | null }[];
    db.close();
    expect(jobs.map((j) => j.key).sort()).toEqual(fakes.map((_, i) => `delivery:burst-${i}`).sort());
    expect(jobs.every((j) => j.status === "done" && j.owner === null)).toBe(true);
    for (const fake of fakes) {
      expect(fake.reviews).toHaveLength(1);
      expect(fake.comments).toHaveLength(1);
      const fingerprints = fake.issues.map((i) => /fingerprint=(\w+)/.exec(i.body)?.[1]);
      expect(new Set(fingerprints).size).toBe(fingerprints.length);
      expect(fake.problems).toEqual([]);
    }
    // The process that stayed took back what the killed one held, once its leases expired.
    expect(b.output() + a.output()).toMatch(/requeued jobs whose lease expired/);

    for (const app of [a, b]) app.child.kill("SIGTERM");
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
  }, 240_000);
});
