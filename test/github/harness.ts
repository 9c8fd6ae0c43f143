/** Loads the app into a Probot instance against the fake GitHub, with a captured log. */
import { Writable } from "node:stream";
import nock from "nock";
import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";
import { empathyApp, type EmpathyHandles } from "../../src/app.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import type { Store } from "../../src/store/store.js";
import { FakeGitHub } from "../helpers/fakeGitHub.js";
import { testPrivateKey } from "../helpers/keys.js";
import { examplePayload, withRepo } from "../helpers/webhookExamples.js";
import { analyseInProcess } from "../helpers/inProcessAnalysis.js";
import type { AnalyseChange } from "../../src/analysis/pool/isolated.js";
import type { Settings } from "../../src/config/env.js";

export const WEBHOOK_SECRET = "test-webhook-secret";

export interface Harness {
  probot: Probot;
  fake: FakeGitHub;
  handles: EmpathyHandles;
  logs: string[];
  /** Delivers a pull_request event (GitHub's own example payload, pointed at the fake's pull request). */
  deliver(action: string, options?: { id?: string; sender?: { login: string; type: string } }): Promise<void>;
  /** Runs queued jobs until none is due. */
  drain(): Promise<number>;
}

let deliveries = 0;

export async function createHarness(
  options: { fake?: FakeGitHub; store?: Store; baseUrl?: string; analyse?: AnalyseChange; settings?: Partial<Settings> } = {},
): Promise<Harness> {
  const fake = options.fake ?? new FakeGitHub();
  // No real network; loopback stays open (later suites in this worker run servers on 127.0.0.1,
  // and nock's interception outlives this file within the worker).
  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
  fake.mountOnNock(options.baseUrl ?? "https://api.github.com");
  const logs: string[] = [];
  const log = pino(
    { level: "debug" },
    new Writable({
      write(chunk, _enc, done) {
        logs.push(chunk.toString());
        done();
      },
    }),
  );
  const probot = new Probot({
    appId: 123,
    privateKey: testPrivateKey(),
    secret: WEBHOOK_SECRET,
    log,
    baseUrl: options.baseUrl,
    // Retries are the job queue's business here; throttling would only slow the tests down.
    Octokit: ProbotOctokit.defaults((options: object) => ({ ...options, retry: { enabled: false }, throttle: { enabled: false } })),
  });
  let handles!: EmpathyHandles;
  const store = options.store ?? new SqliteStore(":memory:");
  await probot.load(
    empathyApp({
      analyse: options.analyse ?? analyseInProcess,
      store,
      startWorker: false,
      settings: { databaseUrl: undefined, workerConcurrency: 1, jobMaxAttempts: 4, jobBaseDelayMs: 0, ...options.settings },
      onReady: (h) => (handles = h),
    }),
    { cwd: process.cwd(), addHandler: () => {} },
  );

  const deliver: Harness["deliver"] = async (action, opts = {}) => {
    const payload: any = withRepo(examplePayload("pull_request", action), { owner: fake.owner, repo: fake.repo, installationId: 2 });
    payload.pull_request.number = fake.pull.number;
    payload.number = fake.pull.number;
    payload.pull_request.head.sha = fake.pull.head.sha;
    payload.pull_request.draft = fake.pull.draft;
    if (opts.sender) payload.sender = { ...payload.sender, ...opts.sender };
    await probot.receive({ id: opts.id ?? `delivery-${++deliveries}`, name: "pull_request", payload } as any);
  };

  return {
    probot,
    fake,
    handles,
    logs,
    deliver,
    drain: async () => {
      let total = 0;
      for (let ran = await handles.queue.drain(); ran > 0; ran = await handles.queue.drain()) total += ran;
      await handles.bus.settled();
      total += await handles.queue.drain();
      return total;
    },
  };
}
