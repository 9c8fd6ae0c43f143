/**
 * Operating the app as a real process: while GitHub keeps failing, `/health` says so; the first
 * Ctrl-C (SIGINT) stops it within seconds although a job is waiting on GitHub, and the job it
 * let go runs again after the restart.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeGitHub } from "../helpers/fakeGitHub.js";
import { examplePayload, withRepo } from "../helpers/webhookExamples.js";
import { riskyFiles } from "../github/fixtures.js";
import { appEnv, freePort, health, postWebhook, sign, startApp, waitFor, type AppProcess } from "./appProcess.js";

const SECRET = "operate-test-secret";

describe("operating the app process", () => {
  let dir: string;
  let fake: FakeGitHub;
  let closeFake: () => Promise<void>;
  let env: Record<string, string>;
  const running: AppProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "empathy-operate-"));
    fake = new FakeGitHub();
    fake.setFiles(riskyFiles);
    const served = await fake.listen();
    closeFake = served.close;
    env = appEnv(
      { secret: SECRET, githubHost: served.host, databasePath: join(dir, "empathy.sqlite") },
      { EMPATHY_JOB_BASE_DELAY_MS: "50" },
    );
  });

  afterAll(async () => {
    for (const app of running) app.child.kill("SIGKILL");
    await closeFake();
    rmSync(dir, { recursive: true, force: true });
  });

  function prEvent(): string {
    const payload: any = withRepo(examplePayload("pull_request", "opened"), { owner: fake.owner, repo: fake.repo, installationId: 2 });
    payload.pull_request.number = fake.pull.number;
    payload.pull_request.head.sha = fake.pull.head.sha;
    payload.pull_request.draft = false;
    return JSON.stringify(payload);
  }

  it("reports GitHub as degraded while its calls fail, stops on the first SIGINT with a job waiting on GitHub, and runs that job after the restart", async () => {
    // Every read of the pull request fails (GitHub's 503), then one hangs.
    fake.faults.push({ method: "GET", path: /\/pulls\/7$/, status: 503, times: 3 });
    fake.faults.push({ method: "GET", path: /\/pulls\/7$/, status: 200, delayMs: 120_000 });
    const port = await freePort();
    const first = await startApp(env, port);
    running.push(first);
    const body = prEvent();
    expect((await postWebhook(port, { event: "pull_request", id: "operate-1", body, signature: sign(body, SECRET) })).status).toBe(200);

    await waitFor(
      async () => (await health(port))?.status === "degraded",
      20_000,
      () => `never degraded:\n${first.output()}`,
    );
    const degraded = await health(port);
    expect(degraded.github).toMatchObject({ status: "degraded", consecutive_failures: 3 });
    expect(degraded.github.last_error).toMatch(/^HTTP 503/);
    expect(first.output()).toMatch(/job failed, will retry/); // each failed attempt says why, at once

    // The fourth attempt waits on GitHub (the hanging read); the first Ctrl-C still stops the process.
    await waitFor(
      async () => (await health(port))?.jobs.running === 1,
      10_000,
      () => `the job did not start again:\n${first.output()}`,
    );
    first.child.kill("SIGINT");
    expect(await first.exited).toBe(0); // without the release it would wait on the 120 s read (and the test time out)
    expect(first.output()).toMatch(/job released: it runs again after the restart/);

    // After the restart the released job runs again, against a GitHub that answers.
    const second = await startApp(env, port);
    running.push(second);
    let lastHealth: any = null;
    await waitFor(
      async () => {
        const h = (lastHealth = await health(port));
        return h !== null && h.jobs.queued === 0 && h.jobs.running === 0 && fake.comments.length > 0;
      },
      30_000,
      () => `the released job did not finish: ${JSON.stringify(lastHealth?.jobs)} ${JSON.stringify(lastHealth?.dead_letters)}`,
    );
    expect(await health(port)).toMatchObject({ status: "ok", jobs: { dead: 0 } });
    second.child.kill("SIGINT");
    expect(await second.exited).toBe(0);
  }, 90_000);
});
