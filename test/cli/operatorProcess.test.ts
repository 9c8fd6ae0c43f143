/**
 * The operator commands as processes, against the store of a running app process (the same
 * SQLite file, both writing): a dead-lettered review job replayed and run by the app, webhook
 * dead letters replayed and delivered by it, and a repository's data deleted while it runs.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeGitHub } from "../helpers/fakeGitHub.js";
import { examplePayload, withRepo } from "../helpers/webhookExamples.js";
import { riskyFiles } from "../github/fixtures.js";
import { Receiver } from "../delivery/helpers.js";
import { appEnv, freePort, health, postWebhook, sign, startApp, waitFor, type AppProcess } from "../process/appProcess.js";

const SECRET = "operator-cli-secret";
const BIN = join(process.cwd(), "bin/empathy.js");

describe("operator commands beside a running app", () => {
  let dir: string;
  let fake: FakeGitHub;
  let closeFake: () => Promise<void>;
  let rx: Receiver;
  let env: Record<string, string>;
  let app: AppProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "empathy-operator-process-"));
    fake = new FakeGitHub();
    fake.setFiles(riskyFiles);
    const served = await fake.listen();
    closeFake = served.close;
    rx = await new Receiver().listen();
    const config = join(dir, "empathy.config.yml");
    writeFileSync(
      config,
      [
        "webhooks:",
        '  - event_type: "*"',
        `    url: http://127.0.0.1:${rx.port}/hook`,
        "network:",
        '  allow_private: ["127.0.0.0/8"]',
        "",
      ].join("\n"),
    );
    env = appEnv(
      { secret: SECRET, githubHost: served.host, databasePath: join(dir, "empathy.sqlite") },
      {
        EMPATHY_CONFIG: config,
        EMPATHY_JOB_BASE_DELAY_MS: "50",
        EMPATHY_WEBHOOK_BASE_DELAY_MS: "50",
        EMPATHY_ANALYSIS_WORKERS: "1",
        LOG_LEVEL: "info",
      },
    );
  });

  afterAll(async () => {
    app?.child.kill("SIGKILL");
    await rx.close();
    await closeFake();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The CLI as a process (not blocking this one: the app calls the GitHub stand-in and the receiver served here). */
  function empathy(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? "", DATABASE_URL: env.DATABASE_URL },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
  }

  async function json(...args: string[]): Promise<any> {
    const r = await empathy(...args, "--json");
    if (r.status !== 0) throw new Error(`empathy ${args.join(" ")}: exit ${r.status}\n${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  function prEvent(): string {
    const payload: any = withRepo(examplePayload("pull_request", "opened"), { owner: fake.owner, repo: fake.repo, installationId: 2 });
    payload.pull_request.number = fake.pull.number;
    payload.pull_request.head.sha = fake.pull.head.sha;
    payload.pull_request.draft = false;
    return JSON.stringify(payload);
  }

  it("lists and replays dead jobs and webhook dead letters, which the app then runs and sends, and deletes a repository's data", async () => {
    // GitHub says the pull request is not there (once): the review job is dead-lettered at once.
    fake.faults.push({ method: "GET", path: /\/pulls\/7$/, status: 404, times: 1 });
    // The endpoint refuses everything: each delivery is a dead letter at once.
    rx.reply = () => ({ status: 400, body: "bad request" });
    const port = await freePort();
    app = await startApp(env, port);
    const body = prEvent();
    expect((await postWebhook(port, { event: "pull_request", id: "operator-cli-1", body, signature: sign(body, SECRET) })).status).toBe(
      200,
    );

    let dead: any[] = [];
    await waitFor(
      async () => (dead = (await json("jobs", "list", "--status", "dead")).jobs).length === 1,
      20_000,
      () => `no dead job:\n${app!.output()}`,
    );
    expect(dead[0]).toMatchObject({
      type: "review_pull_request",
      repo: "octo-org/shop",
      pull_number: 7,
      last_error: expect.stringMatching(/404|Not Found|fault/i),
    });
    expect(fake.comments).toHaveLength(0);

    // Replayed: the running app picks it up and reviews the pull request.
    const replay = await empathy("jobs", "replay", String(dead[0].id));
    expect(replay.status).toBe(0);
    expect(replay.stdout).toMatch(new RegExp(`^Requeued job ${dead[0].id} \\(review_pull_request octo-org/shop#7\\)`));
    await waitFor(
      async () => (await json("jobs", "show", String(dead[0].id))).status === "done",
      30_000,
      () => `the replayed job did not run:\n${app!.output()}`,
    );
    expect(fake.comments.length).toBeGreaterThan(0);

    // Its events went to the endpoint, which refused them: dead letters.
    let letters: any[] = [];
    await waitFor(
      async () =>
        (letters = (await json("deliveries", "list", "--status", "dead", "--limit", "1000")).deliveries).length > 0 &&
        (await json("deliveries", "list", "--status", "pending")).deliveries.length === 0,
      20_000,
      () => `no dead letters:\n${app!.output()}`,
    );
    const shown = await json("deliveries", "show", letters[0].id);
    expect(shown.attempts).toEqual([expect.objectContaining({ status: "dead", status_code: 400 })]);

    // The endpoint is fixed; every dead letter of the last 10 minutes is replayed and delivered, same webhook-ids.
    const before = rx.requests.length;
    rx.reply = () => ({ status: 200 });
    const replayed = await json("deliveries", "replay", "--since", "10m");
    expect(replayed.replayed.sort()).toEqual(letters.map((l) => l.id).sort());
    await waitFor(
      async () => (await json("deliveries", "list", "--status", "delivered", "--limit", "1000")).deliveries.length === letters.length,
      20_000,
      () => `not delivered:\n${app!.output()}`,
    );
    const resent = rx.requests.slice(before).map((r) => String(r.headers["webhook-id"]));
    expect(resent.sort()).toEqual(letters.map((l) => l.id).sort());

    // A repository's data deleted while the app runs; the app goes on.
    const deleted = await empathy("data", "delete", "--repo", "octo-org/shop", "--yes");
    expect(deleted.status).toBe(0);
    expect(deleted.stdout).toMatch(/^Changed in empathy\.sqlite, for repository octo-org\/shop:\n/);
    expect(deleted.stdout).toMatch(/reviews recorded .*\s+reviews\s+1\s+deleted/);
    expect(deleted.stdout).toMatch(/stored webhook events\s+webhook_events\s+\d+\s+deleted/);
    expect((await json("jobs", "list")).jobs.filter((j: any) => j.repo === "octo-org/shop")).toEqual([]);
    expect((await json("deliveries", "list")).deliveries).toEqual([]);
    expect((await empathy("data", "delete", "--repo", "octo-org/shop")).stdout).toMatch(/^Nothing stored about repository octo-org\/shop/);
    expect(await health(port)).toMatchObject({ status: "ok" });
    expect(app.output()).not.toMatch(/SQLITE_BUSY|database is locked/);
    app.child.kill("SIGINT");
    expect(await app.exited).toBe(0);
  }, 120_000);
});
