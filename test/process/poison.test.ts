/**
 * A poison job with the app as a real process: a review whose GitHub call never answers is
 * running when the process is killed, again and again. After its attempts it ends in the dead
 * letters (in /health and the log, with repository and pull request), and the pull request
 * delivered behind it is reviewed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeGitHub } from "../helpers/fakeGitHub.js";
import { examplePayload, withRepo } from "../helpers/webhookExamples.js";
import { riskyFiles } from "../github/fixtures.js";
import { appEnv, freePort, health, postWebhook, sign, startApp, waitFor, type AppProcess } from "./appProcess.js";

const SECRET = "poison-test-secret";

describe("a job that takes the process down", () => {
  let dir: string;
  let fake: FakeGitHub;
  let closeFake: () => Promise<void>;
  const running: AppProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "empathy-poison-"));
    fake = new FakeGitHub();
    fake.setFiles(riskyFiles);
  });

  afterAll(async () => {
    for (const app of running) app.child.kill("SIGKILL");
    await closeFake?.();
    rmSync(dir, { recursive: true, force: true });
  });

  function prEvent(number: number): string {
    const payload: any = withRepo(examplePayload("pull_request", "opened"), { owner: fake.owner, repo: fake.repo, installationId: 2 });
    payload.number = number;
    payload.pull_request.number = number;
    payload.pull_request.head.sha = number === fake.pull.number ? fake.pull.head.sha : "6".repeat(40);
    payload.pull_request.draft = false;
    return JSON.stringify(payload);
  }

  it("is dead-lettered after its attempts, and the queue moves on", async () => {
    const served = await fake.listen();
    closeFake = served.close;
    const env = appEnv(
      { secret: SECRET, githubHost: served.host, databasePath: join(dir, "empathy.sqlite") },
      {
        EMPATHY_JOB_MAX_ATTEMPTS: "2",
        EMPATHY_JOB_BASE_DELAY_MS: "50",
        EMPATHY_ANALYSIS_WORKERS: "1",
        // A killed process's job is taken back once its lease expires.
        EMPATHY_LEASE_SECONDS: "2",
        LOG_LEVEL: "info",
      },
    );
    // Pull request 66: GitHub never answers for it (the process is killed while it waits).
    fake.faults.push({ method: "GET", path: /\/pulls\/66$/, status: 200, delayMs: 600_000, times: 100 });
    const poisonCalls = () => fake.find("GET", /\/pulls\/66$/).length;
    const port = await freePort();

    for (let attempt = 1; attempt <= 2; attempt++) {
      const app = await startApp(env, port);
      running.push(app);
      if (attempt === 1) {
        for (const [id, number] of [
          ["poison", 66],
          ["normal", fake.pull.number],
        ] as const) {
          const body = prEvent(number);
          expect((await postWebhook(port, { event: "pull_request", id, body, signature: sign(body, SECRET) })).status).toBe(200);
        }
      }
      await waitFor(
        () => poisonCalls() === attempt,
        20_000,
        () => `attempt ${attempt} never started:\n${app.output()}`,
      );
      app.child.kill("SIGKILL");
      await app.exited;
    }
    // The killed process's job keeps its lease for a while: a restarted process does not wait for
    // it, it may review the normal pull request meanwhile (once).
    expect(fake.comments.length).toBeLessThanOrEqual(1);

    const last = await startApp(env, port);
    running.push(last);
    await waitFor(
      () => fake.comments.length === 1,
      30_000,
      () => `the pull request behind it was not reviewed:\n${last.output()}`,
    );
    await waitFor(
      async () => (await health(port))?.jobs.running === 0,
      10_000,
      () => `jobs still running:\n${last.output()}`,
    );
    expect(poisonCalls()).toBe(2); // never claimed a third time
    const h = await health(port);
    expect(h.jobs).toMatchObject({ dead: 1, queued: 0 });
    expect(h.dead_letters).toEqual([
      expect.objectContaining({
        type: "review_pull_request",
        repo: `${fake.owner}/${fake.repo}`,
        pull_number: 66,
        attempts: 2,
        error: expect.stringMatching(/process stopped while running this job/),
      }),
    ]);
    expect(h.analysis_pool).toMatchObject({ size: 1, crashes: 0 });
    expect(last.output()).toMatch(/job dead-lettered: the process stopped while running it on every attempt/);
    expect(last.output()).toMatch(/"pull_number":66/);
    last.child.kill("SIGTERM");
    expect(await last.exited).toBe(0);
  });
});
