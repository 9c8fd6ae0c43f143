/**
 * The app as a real process with a pull request whose Python file aborts the parser: the abort
 * kills one analysis worker, not the app; the pull request is reviewed with the file listed as
 * not analysed, and /health counts the crash.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deeplyNestedPython } from "../analysis/hostileInputs.js";
import { FakeGitHub } from "../helpers/fakeGitHub.js";
import { examplePayload, withRepo } from "../helpers/webhookExamples.js";
import { riskyFiles } from "../github/fixtures.js";
import { appEnv, freePort, health, postWebhook, sign, startApp, waitFor, type AppProcess } from "./appProcess.js";

const SECRET = "isolation-test-secret";

describe("a pull request that crashes the parser", () => {
  let dir: string;
  let app: AppProcess | undefined;
  let close: (() => Promise<void>) | undefined;

  afterAll(async () => {
    app?.child.kill("SIGKILL");
    await close?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it("costs one worker: the review is posted, the app stays up, /health counts the crash", async () => {
    dir = mkdtempSync(join(tmpdir(), "empathy-isolation-"));
    const fake = new FakeGitHub();
    const deep = deeplyNestedPython(515).replace(/\n$/, "").split("\n");
    fake.setFiles([
      {
        filename: "scripts/deep.py",
        status: "added",
        additions: deep.length,
        deletions: 0,
        patch: `@@ -0,0 +1,${deep.length} @@\n${deep.map((l) => `+${l}`).join("\n")}`,
      },
      ...riskyFiles,
    ]);
    const served = await fake.listen();
    close = served.close;
    const port = await freePort();
    app = await startApp(
      appEnv(
        { secret: SECRET, githubHost: served.host, databasePath: join(dir, "empathy.sqlite") },
        {
          EMPATHY_ANALYSIS_WORKERS: "1",
          // The operator lets deep nesting through, so the file reaches the parser and aborts it.
          EMPATHY_MAX_NESTING_DEPTH: "100000",
        },
      ),
      port,
    );
    const payload: any = withRepo(examplePayload("pull_request", "opened"), { owner: fake.owner, repo: fake.repo, installationId: 2 });
    payload.pull_request.number = fake.pull.number;
    payload.pull_request.head.sha = fake.pull.head.sha;
    payload.pull_request.draft = false;
    const body = JSON.stringify(payload);
    expect((await postWebhook(port, { event: "pull_request", id: "crashing", body, signature: sign(body, SECRET) })).status).toBe(200);

    await waitFor(
      () => fake.comments.length === 1 && fake.reviews.length === 1,
      30_000,
      () => `no review:\n${app!.output()}`,
    );
    expect(fake.comments[0].body).toContain("`scripts/deep.py`: not analysed: the analysis process stopped on it");
    expect(fake.reviewComments.map((c) => c.path)).toContain("src/orders/export.js");
    const h = await health(port);
    expect(h.status).toBe("ok");
    expect(h.analysis_pool).toMatchObject({ size: 1, crashes: 1 });
    expect(app.child.exitCode).toBeNull();
    expect(app.output()).toMatch(/analysis worker died; it is replaced/);
    expect(fake.problems).toEqual([]);
  });
});
