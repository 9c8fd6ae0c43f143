/**
 * The app as a real process: a job accepted before a crash (SIGKILL in the middle of the
 * review) is done after the restart, and its writes to GitHub happen once. Also: bad
 * signatures and malformed bodies get a 4xx and nothing is done.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeGitHub } from "../helpers/fakeGitHub.js";
import { examplePayload, withRepo } from "../helpers/webhookExamples.js";
import { riskyFiles } from "../github/fixtures.js";
import { eightCharRuns, FAKE, leaks } from "../analysis/fakeSecrets.js";
import { appEnv, freePort, health, postWebhook, sign, startApp, waitFor, type AppProcess } from "./appProcess.js";

const SECRET = "process-test-secret";

describe("the app process", () => {
  let dir: string;
  let fake: FakeGitHub;
  let closeFake: () => Promise<void>;
  let env: Record<string, string>;
  const running: AppProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "empathy-process-"));
    fake = new FakeGitHub();
    fake.setFiles(riskyFiles);
    const served = await fake.listen();
    closeFake = served.close;
    // GitHub Enterprise Server settings point the app at the stand-in.
    env = appEnv(
      { secret: SECRET, githubHost: served.host, databasePath: join(dir, "empathy.sqlite") },
      {
        EMPATHY_JOB_BASE_DELAY_MS: "50",
        // A killed process's claims are taken back once their lease expires.
        EMPATHY_LEASE_SECONDS: "2",
        LOG_LEVEL: "info",
      },
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

  it("answers bad signatures and malformed bodies with a 4xx and does nothing", async () => {
    const port = await freePort();
    const app = await startApp(env, port);
    running.push(app);
    const body = prEvent();
    const bad = await postWebhook(port, { event: "pull_request", id: "bad-sig", body, signature: sign(body, "wrong-secret") });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
    const malformed = "{ not json";
    const broken = await postWebhook(port, { event: "pull_request", id: "bad-json", body: malformed, signature: sign(malformed, SECRET) });
    expect(broken.status).toBe(400);
    const unknown = JSON.stringify({ zen: "Keep it logically awesome." });
    const ping = await postWebhook(port, { event: "watch", id: "unknown-event", body: unknown, signature: sign(unknown, SECRET) });
    expect(ping.status).toBe(200);
    expect((await health(port)).jobs).toEqual({ queued: 0, running: 0, done: 0, dead: 0 });
    expect(fake.writes().filter((r) => !r.path.includes("access_tokens"))).toEqual([]);
    app.child.kill("SIGKILL");
    await app.exited;
  });

  it("writes neither the body nor a secret of a rejected webhook to its log, also in the lines Probot writes itself", async () => {
    const port = await freePort();
    const app = await startApp({ ...env, LOG_LEVEL: "debug" }, port);
    running.push(app);
    const tokens = { github: FAKE.github, slack: FAKE.slack, stripe: FAKE.stripe, huggingface: FAKE.huggingface, awsId: FAKE.awsId };
    const payload = JSON.parse(prEvent());
    payload.pull_request.body = `private-body-marker: rotate ${Object.values(tokens).join(" and ")}`;
    const body = JSON.stringify(payload);
    const bad = await postWebhook(port, { event: "pull_request", id: "bad-sig-secrets", body, signature: sign(body, "wrong-secret") });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    await waitFor(
      async () => /signature/i.test(app.output()),
      5000,
      () => `no log line about the signature:\n${app.output()}`,
    );
    app.child.kill("SIGKILL");
    await app.exited;
    expect(leaks(app.output(), eightCharRuns(tokens))).toEqual([]);
    expect(app.output()).not.toContain("private-body-marker"); // the rejected body is not logged at all
  });

  it("finishes a job interrupted by a crash after the restart, writing to GitHub once", async () => {
    // The review request reaches GitHub, which answers slowly: the app is killed while it waits.
    fake.faults.push({ method: "POST", path: /\/pulls\/7\/reviews$/, status: 200, delayMs: 1500 });
    const port = await freePort();
    const first = await startApp(env, port);
    running.push(first);

    const body = prEvent();
    const ack = await postWebhook(port, { event: "pull_request", id: "crash-delivery", body, signature: sign(body, SECRET) });
    expect(ack.status).toBe(200);

    await waitFor(
      () => fake.find("POST", /\/pulls\/7\/reviews$/).length === 1,
      20_000,
      () => `review never posted:\n${first.output()}`,
    );
    first.child.kill("SIGKILL");
    await first.exited;
    await waitFor(
      () => fake.reviews.length === 1,
      5000,
      () => "the slow review did not land",
    ); // GitHub did record it

    const second = await startApp(env, port);
    running.push(second);
    // GitHub redelivers the same event after the outage: it must not make a second job.
    await postWebhook(port, { event: "pull_request", id: "crash-delivery", body, signature: sign(body, SECRET) });
    await waitFor(
      async () => {
        const h = await health(port);
        return h !== null && h.jobs.queued === 0 && h.jobs.running === 0 && h.jobs.done >= 1;
      },
      30_000,
      () => `jobs did not finish:\n${second.output()}`,
    );
    expect(second.output()).toMatch(/requeued jobs whose lease expired/);
    expect(fake.reviews).toHaveLength(1);
    expect(fake.comments).toHaveLength(1);
    const issueFingerprints = fake.issues.map((i) => /fingerprint=(\w+)/.exec(i.body)?.[1]);
    expect(new Set(issueFingerprints).size).toBe(issueFingerprints.length);
    expect(fake.problems).toEqual([]);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0); // a graceful stop
    expect(second.output()).toMatch(/stopping: the running job has a few seconds to finish[\s\S]*"msg":"stopped"/);
  });
});
