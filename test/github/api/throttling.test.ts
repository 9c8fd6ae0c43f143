/**
 * GitHub's write pacing shared across instances (REDIS_URL), against a real Redis
 * (test/support/redisServer.ts) and a loopback stand-in for GitHub:
 *
 * - two processes, each started the way `npm start` starts the app (Probot's `run`, which reads
 *   REDIS_URL), write for the same installation at once: both are clients of one write limiter
 *   kept in Redis (bottleneck's `b_…` keys), which counts every write of both and gave them
 *   consecutive one-second slots of a single schedule;
 * - REDIS_URL is read as Probot reads it and logged by host only; a wrong or unreachable one
 *   stops `npm start` with one clear line, no stack trace;
 * - the app started with REDIS_URL says so and is ready.
 *
 * No assertion depends on how fast the machine is: the schedule is checked on the limiter's own
 * arithmetic in Redis (each write's slot starts at least minTime after the previous one's).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { checkRedis, describePacing, githubPacing, RedisUrlError } from "../../../src/github/api/pacing.js";
import { testPrivateKey } from "../../helpers/keys.js";
import { appEnv, freePort, startApp, waitFor, type AppProcess } from "../../process/appProcess.js";
import { startRedis, type RedisServer } from "../../support/redisServer.js";

const ROOT = resolve(import.meta.dirname ?? process.cwd(), "..", "..", "..");
const INSTALLATION = 2;
const WRITES_PER_INSTANCE = 3;

/** A GitHub stand-in: installation tokens and label creation (a write that is not a notification). */
class StandInGitHub {
  readonly writes: Array<{ instance: string; name: string }> = [];
  private server: Server | null = null;

  async listen(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const path = (req.url ?? "/").replace(/^\/api\/v3/, "");
        const reply = (status: number, body: unknown) => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(body));
        };
        if (req.method === "POST" && path === `/app/installations/${INSTALLATION}/access_tokens`) {
          return reply(201, { token: "ghs_standin", expires_at: "2999-01-01T00:00:00Z", permissions: {}, repository_selection: "all" });
        }
        if (req.method === "POST" && path === "/repos/o/r/labels") {
          const { name } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { name: string };
          this.writes.push({ instance: name.split("-")[0], name });
          return reply(201, { id: this.writes.length, name });
        }
        reply(404, { message: "Not Found" });
      });
    });
    await new Promise<void>((done) => this.server!.listen(0, "127.0.0.1", done));
    return `127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  }
}

/**
 * One instance: Probot's `run` as src/main.ts calls it (REDIS_URL, GHE_HOST... from the
 * environment) with an app that, told "go" on stdin, sends its writes for the installation at
 * once through `app.auth(installation)`, the client the app's jobs use; it stays up (a live
 * client of the limiter, its heartbeat going) until told "exit". Lines for the test start with
 * "@@" (Probot's log shares standard output).
 */
const INSTANCE_SCRIPT = `
import { run } from ${JSON.stringify(pathToFileURL(join(ROOT, "node_modules", "probot", "lib", "index.js")).href)};
const say = (line) => process.stdout.write("@@" + JSON.stringify(line) + "\\n");
let probot;
await run((app) => { probot = app; });
const octokit = await probot.auth(${INSTALLATION});
say({ ready: true });
const commands = [];
let wake = () => {};
process.stdin.on("data", (d) => { commands.push(...String(d).split("\\n").filter(Boolean)); wake(); });
const command = async (name) => { while (!commands.includes(name)) await new Promise((w) => (wake = w)); };
await command("go");
const names = Array.from({ length: Number(process.env.WRITES) }, (_, n) => process.env.INSTANCE + "-" + n);
const results = await Promise.all(names.map((name) => octokit.request("POST /repos/{owner}/{repo}/labels", { owner: "o", repo: "r", name })));
say({ done: results.map((r) => r.status) });
await command("exit");
process.exit(0);
`;

interface Instance {
  child: ChildProcess;
  output: () => string;
  lines: () => Array<Record<string, unknown>>;
  exited: Promise<number | null>;
}

function startInstance(dir: string, env: Record<string, string>): Instance {
  const child = spawn(process.execPath, [join(dir, "instance.mjs")], {
    cwd: dir, // no .env of this repository
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  const lines = () => [...output.matchAll(/^@@(.*)$/gm)].map((m) => JSON.parse(m[1]) as Record<string, unknown>);
  return { child, output: () => output, lines, exited };
}

describe("GitHub write pacing shared through Redis", () => {
  let redis: RedisServer;
  let github: StandInGitHub;
  let githubHost: string;
  let dir: string;

  beforeAll(async () => {
    redis = await startRedis();
    github = new StandInGitHub();
    githubHost = await github.listen();
    dir = mkdtempSync(join(tmpdir(), "empathy-pacing-"));
    writeFileSync(join(dir, "instance.mjs"), INSTANCE_SCRIPT);
  }, 60_000);

  afterAll(async () => {
    await github?.close();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("two instances writing for one installation are clients of one write limiter in Redis that schedules all their writes", async () => {
    const client = redis.client();
    expect(await client.keys("b_*")).toEqual([]);
    const instances: Instance[] = [];
    try {
      for (const name of ["a", "b"]) {
        instances.push(
          startInstance(dir, {
            APP_ID: "123",
            PRIVATE_KEY: testPrivateKey(),
            WEBHOOK_SECRET: "secret",
            GHE_HOST: githubHost,
            GHE_PROTOCOL: "http",
            REDIS_URL: redis.url,
            PORT: String(await freePort()),
            HOST: "127.0.0.1",
            LOG_LEVEL: "warn",
            INSTANCE: name,
            WRITES: String(WRITES_PER_INSTANCE),
          }),
        );
      }
      for (const i of instances)
        await waitFor(
          () => i.lines().some((l) => l.ready),
          30_000,
          () => `an instance did not start:\n${i.output()}`,
        );
      for (const i of instances) i.child.stdin!.write("go\n");
      for (const i of instances)
        await waitFor(
          () => i.lines().some((l) => l.done),
          60_000,
          () => `an instance did not finish its writes:\n${i.output()}`,
        );
      for (const i of instances) expect(i.lines().find((l) => l.done)).toEqual({ done: Array(WRITES_PER_INSTANCE).fill(201) });
      // ioredis came from this project's dependencies, not from a temporary npx install.
      for (const i of instances) expect(i.output()).not.toContain("[NPXI]");
      await expectOneSharedSchedule(client);
      for (const i of instances) i.child.stdin!.write("exit\n");
      for (const i of instances) expect(await i.exited).toBe(0);
    } finally {
      for (const i of instances) if (i.child.exitCode === null) i.child.kill("SIGKILL");
    }
  }, 120_000);

  /**
   * Read while both instances still run: a limiter forgets a client that stopped (no heartbeat
   * for 10 s), and how long that takes must not matter here.
   */
  async function expectOneSharedSchedule(client: ReturnType<RedisServer["client"]>) {
    // GitHub got every write of both instances.
    expect(github.writes.filter((w) => w.instance === "a")).toHaveLength(WRITES_PER_INSTANCE);
    expect(github.writes.filter((w) => w.instance === "b")).toHaveLength(WRITES_PER_INSTANCE);

    // Probot's throttling kept its limiters in Redis, keyed by installation: its write limiter
    // and its limiter of all requests.
    const keys = await client.keys("b_*");
    const limiters = new Set(
      keys.map(
        (k) =>
          /^b_(.+?)_(settings|job_weights|job_expirations|job_clients|client_running|client_num_queued|client_last_registered|client_last_seen)$/.exec(
            k,
          )?.[1] ?? k,
      ),
    );
    expect([...limiters].sort()).toEqual(expect.arrayContaining([`octokit-write-${INSTALLATION}`, `octokit-global-${INSTALLATION}`]));
    const write = `b_octokit-write-${INSTALLATION}`;
    const settings = await client.hgetall(`${write}_settings`);
    // Both instances registered with that one limiter...
    expect(await client.zcard(`${write}_client_last_seen`)).toBe(2);
    // ...which paces at most one write at a time, a second apart...
    expect({ maxConcurrent: settings.maxConcurrent, minTime: settings.minTime }).toEqual({ maxConcurrent: "1", minTime: "1000" });
    // ...counted all six writes...
    expect(Number(settings.done)).toBe(2 * WRITES_PER_INSTANCE);
    expect(Number(settings.running)).toBe(0);
    // ...and gave them six consecutive slots of one schedule: each registration moves the next
    // free slot at least minTime past the previous one, from the limiter's creation (Redis time).
    expect(Number(settings.nextRequest) - Number(settings.lastReservoirRefresh)).toBeGreaterThanOrEqual(
      2 * WRITES_PER_INSTANCE * Number(settings.minTime),
    );
  }

  describe("REDIS_URL", () => {
    it("unset or blank: per-process pacing, said so at start", () => {
      expect(githubPacing(undefined)).toEqual({ mode: "process" });
      expect(githubPacing("  ")).toEqual({ mode: "process" });
      expect(describePacing({ mode: "process" })).toEqual({
        fields: { write_pacing: "process" },
        message: expect.stringMatching(/^GitHub write pacing: per process \(REDIS_URL is not set\)/),
      });
    });

    it("a redis:// or rediss:// URL: shared pacing, logged by host and port only", () => {
      const pacing = githubPacing("redis://empathy:s3cret-pw@redis.internal:6380/2");
      expect(pacing).toMatchObject({ mode: "redis", host: "redis.internal:6380" });
      const line = describePacing(pacing);
      expect(line).toEqual({
        fields: { write_pacing: "redis", redis: "redis.internal:6380" },
        message: "GitHub write pacing: shared by every instance through Redis at redis.internal:6380",
      });
      expect(JSON.stringify(line)).not.toMatch(/s3cret|empathy:/);
      expect(githubPacing("rediss://:pw@cache.example.com")).toMatchObject({ mode: "redis", host: "cache.example.com:6379" });
    });

    it.each([
      ["not a URL", "s3cret-password", /^REDIS_URL is not a URL/],
      [
        "another scheme",
        "http://user:s3cret-password@redis:6379",
        /^REDIS_URL must start with redis:\/\/ or rediss:\/\/ \(it starts with http:\/\/\)$/,
      ],
      ["no host", "redis://", /^REDIS_URL has no host/],
    ])("%s is refused with a clear message that does not repeat it", (_label, value, message) => {
      let error: unknown;
      try {
        githubPacing(value);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(RedisUrlError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain("s3cret");
    });

    it("checkRedis: a Redis that answers passes; a closed port or a wrong password is one clear error naming the host only", async () => {
      await checkRedis(githubPacing(redis.url) as { mode: "redis"; host: string; url: string });
      const closed = await freePort();
      await expect(
        checkRedis(
          { mode: "redis", host: `127.0.0.1:${closed}`, url: `redis://:s3cret@127.0.0.1:${closed}` },
          { attempts: 2, retryDelayMs: 10 },
        ),
      ).rejects.toThrow(
        new RedisUrlError(
          `REDIS_URL: Redis at 127.0.0.1:${closed} did not answer (connect ECONNREFUSED 127.0.0.1:${closed}; 2 attempts). GitHub write pacing is shared through it: start Redis or fix REDIS_URL (or unset it to pace per process)`,
        ),
      );
      const guarded = await startRedis({ password: "right-password" });
      try {
        await checkRedis(githubPacing(guarded.url) as { mode: "redis"; host: string; url: string }, { attempts: 1 });
        const wrong = githubPacing(`redis://:s3cret-wrong@127.0.0.1:${guarded.port}`) as { mode: "redis"; host: string; url: string };
        const error = await checkRedis(wrong, { attempts: 1 }).then(
          () => null,
          (err: Error) => err,
        );
        expect(error).toBeInstanceOf(RedisUrlError);
        expect(error!.message).toMatch(
          new RegExp(`^REDIS_URL: Redis at 127\\.0\\.0\\.1:${guarded.port} did not answer \\((WRONGPASS|NOAUTH|ERR)`),
        );
        expect(error!.message).not.toContain("s3cret");
      } finally {
        await guarded.stop();
      }
    }, 60_000);
  });

  describe("the app process (`npm start`: node lib/main.js)", () => {
    let app: AppProcess | undefined;
    afterEach(async () => {
      if (app && app.child.exitCode === null) {
        app.child.kill("SIGTERM");
        await app.exited;
      }
      app = undefined;
    });

    it("with an unreachable REDIS_URL stops at once with one clear line: no stack trace, no password", async () => {
      const closed = await freePort();
      const child = spawn(process.execPath, ["lib/main.js"], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? "",
          ...appEnv({ secret: "s", githubHost, databasePath: join(dir, "unreachable.sqlite") }),
          REDIS_URL: `redis://:s3cret-pw@127.0.0.1:${closed}/0`,
          PORT: String(await freePort()),
          HOST: "127.0.0.1",
          LOG_FORMAT: "json",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout!.on("data", (d) => (output += d));
      child.stderr!.on("data", (d) => (output += d));
      const code = await new Promise<number | null>((done) => child.once("exit", (c) => done(c)));
      expect(code).toBe(1);
      const lines = output.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0])).toMatchObject({
        level: 50,
        msg: expect.stringMatching(new RegExp(`^REDIS_URL: Redis at 127\\.0\\.0\\.1:${closed} did not answer \\(connect ECONNREFUSED`)),
      });
      expect(output).not.toMatch(/s3cret|\n\s+at /);
    }, 60_000);

    it("with a reachable REDIS_URL says its pacing is shared (host only) and is live and ready", async () => {
      const guarded = await startRedis({ password: "s3cret-pw" });
      try {
        const port = await freePort();
        app = await startApp(
          appEnv({ secret: "s", githubHost, databasePath: join(dir, "reachable.sqlite") }, { REDIS_URL: guarded.url }),
          port,
        );
        await waitFor(
          () => /"write_pacing":"redis"/.test(app!.output()),
          10_000,
          () => app!.output(),
        );
        const line = app
          .output()
          .split("\n")
          .find((l) => l.includes('"write_pacing"'))!;
        expect(JSON.parse(line)).toMatchObject({
          write_pacing: "redis",
          redis: `127.0.0.1:${guarded.port}`,
          msg: `GitHub write pacing: shared by every instance through Redis at 127.0.0.1:${guarded.port}`,
        });
        expect(app.output()).not.toContain("s3cret");
        expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
        const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
        expect({ status: ready.status, body: await ready.json() }).toEqual({
          status: 200,
          body: { status: "ready", checks: { startup: "done", worker: "running", store: "ok" } },
        });
      } finally {
        if (app && app.child.exitCode === null) {
          app.child.kill("SIGTERM");
          await app.exited;
        }
        await guarded.stop();
      }
    }, 60_000);
  });
});
