/**
 * Composition root: builds the store, bus, engine, queue, routes and handlers, and wires
 * them. No logic lives here.
 */
import type { ApplicationFunction, Probot } from "probot";
import { readSettings, type Settings } from "./config/env.js";
import { EmpathyOS } from "./engine/empathyOS.js";
import { EventBus } from "./events/bus.js";
import { classifyGitHubError } from "./github/errors.js";
import { PredictionIssues, PREDICTION_ISSUE_JOB, type PredictionIssueJob } from "./github/predictionIssues.js";
import { handlePullRequestEvents } from "./github/pullRequestEvents.js";
import { REVIEW_JOB, runReviewJob, type ReviewJobPayload } from "./github/reviewJob.js";
import { SelfEvents } from "./github/selfEvents.js";
import { JobQueue } from "./jobs/queue.js";
import { healthHandler } from "./server/health.js";
import { openStore } from "./store/open.js";
import type { Store } from "./store/store.js";

export interface EmpathyHandles {
  store: Store;
  bus: EventBus;
  engine: EmpathyOS;
  queue: JobQueue;
}

export interface EmpathyAppOptions {
  /** Defaults to the store at DATABASE_URL. */
  store?: Store;
  settings?: Settings;
  /** Start the in-process worker (tests drain the queue themselves). Default true. */
  startWorker?: boolean;
  onReady?: (handles: EmpathyHandles) => void;
}

export function empathyApp(options: EmpathyAppOptions = {}): ApplicationFunction {
  return async (app: Probot, { addHandler }) => {
    const settings = options.settings ?? readSettings();
    const store = options.store ?? openStore(settings.databaseUrl);
    const bus = new EventBus({ logger: app.log });
    const engine = new EmpathyOS({ eventBus: bus, state: store });
    const queue = new JobQueue({
      store,
      log: app.log,
      classify: classifyGitHubError,
      maxAttempts: settings.jobMaxAttempts,
      baseDelayMs: settings.jobBaseDelayMs,
      concurrency: settings.workerConcurrency,
    });
    const auth = (installationId: number) => app.auth(installationId);

    const predictionIssues = new PredictionIssues({ queue, store, auth, log: app.log });
    predictionIssues.subscribe(bus);

    queue.register(REVIEW_JOB, async (payload: ReviewJobPayload) => {
      await runReviewJob(payload, { store, engine, predictionIssues, auth, log: app.log });
    });
    queue.register(PREDICTION_ISSUE_JOB, (payload: PredictionIssueJob) => predictionIssues.run(payload));

    handlePullRequestEvents(app, queue, new SelfEvents(app));
    try {
      addHandler(healthHandler(store));
    } catch {
      // Loaded without Probot's server (e.g. createNodeMiddleware): no extra routes.
    }

    if (options.startWorker !== false) {
      await queue.start();
      // A deploy's SIGTERM lets the running job finish; anything queued waits in the store.
      const shutdown = async (signal: string) => {
        app.log.info({ signal }, "stopping: finishing the running job");
        await queue.stop();
        await bus.settled({ timeoutMs: 5000 });
        await store.close();
        process.exit(0);
      };
      process.once("SIGTERM", shutdown);
      process.once("SIGINT", shutdown);
    }
    options.onReady?.({ store, bus, engine, queue });
  };
}
