/**
 * Composition root: builds the store, bus, engine, queue, routes and handlers, and wires them:
 * every job handler is registered here, the integrations are attached here, and the settings
 * (read from the environment by the runner) are passed down from here. No logic lives here, and
 * neither signals nor the process's exit: the runner (main.ts) calls `close()`.
 */
import { randomBytes } from "node:crypto";
import type { ApplicationFunction, Probot } from "probot";
import { readSettings, type Settings } from "./config/env.js";
import { cachedRuleSet } from "./analysis/ast/index.js";
import { analyseInPool, type AnalyseChange } from "./analysis/pool/isolated.js";
import { AnalysisPool } from "./analysis/pool/pool.js";
import { loadOperatorConfig, type OperatorConfig } from "./config/operatorConfig.js";
import { EmpathyOS } from "./engine/empathyOS.js";
import { LEVEL_NAMES, type EmpathyLevel } from "./engine/levels.js";
import { patternId } from "./engine/patterns.js";
import { applyOutcome, INITIAL_TRUST, newTrustRecord } from "./engine/trust.js";
import { breakerState, BREAKER_LOOKBACK_MS } from "./github/feedback/feedbackBreaker.js";
import { EventBus } from "./events/bus.js";
import { classifyGitHubError } from "./github/api/errors.js";
import { Coordination } from "./github/coordination/coordination.js";
import { PredictionIssues, PREDICTION_ISSUE_JOB, type PredictionIssueJob } from "./github/predictions/predictionIssues.js";
import { handlePullRequestEvents } from "./github/review/pullRequestEvents.js";
import { buildFeedback, handleFeedbackEvents } from "./github/feedback/feedbackEvents.js";
import { REVIEW_JOB, runReviewJob, type ReviewJobPayload } from "./github/review/reviewJob.js";
import { SelfEvents } from "./github/api/selfEvents.js";
import { registerJobs } from "./jobs/handlers.js";
import { JobQueue } from "./jobs/queue.js";
import { Retention } from "./jobs/retention.js";
import { phraseAnswer } from "./llm/phrase.js";
import { EventLog } from "./events/eventLog.js";
import type { InsightsSource } from "./dashboard/insightsSource.js";
import { dashboardHandler } from "./dashboard/handler.js";
import { attachIntegrations, buildIntegrations, octokitForRepository, type AnyIntegration } from "./integrations/index.js";
import { redactingLog } from "./logging/redactingLog.js";
import { healthHandler, type Lifecycle } from "./server/health.js";
import { GitHubCalls } from "./github/api/githubCalls.js";
import { describePacing, githubPacing, type GitHubPacing } from "./github/api/pacing.js";
import { slackCommands } from "./server/slackCommands.js";
import { openStore } from "./store/open.js";
import { newInstanceId } from "./store/lease.js";
import type { Store } from "./store/store.js";
import { WebhookManager, type WebhookManagerOptions } from "./delivery/manager.js";
import { AppMetrics } from "./metrics/metrics.js";
import { metricsHandler } from "./metrics/handler.js";

export interface EmpathyHandles {
  store: Store;
  bus: EventBus;
  engine: EmpathyOS;
  queue: JobQueue;
  webhooks: WebhookManager;
  /** The analysis worker processes (started lazily: at start-up in the app, at the first review in tests). */
  pool: AnalysisPool;
  /** The integrations enabled in the operator config (attached: their deliveries go through `webhooks`). */
  integrations: AnyIntegration[];
  /**
   * Stops the app gracefully: the dashboard's live streams, retention, then the worker (the
   * running job gets a few seconds, then is released for a later run; queued jobs wait in the
   * store), the bus's pending events, webhook deliveries (requests in flight get a few seconds,
   * the rest wait in the outbox), the analysis workers, the event log's last batch, the store. A second call returns the first one's promise. The runner
   * calls it on SIGTERM/SIGINT, then exits.
   */
  close(): Promise<void>;
}

/** Anything more that listens on the bus (tests, embedders): attached by the app next to the operator config's integrations. */
export interface BusListener {
  attach(bus: EventBus): void;
}

export interface EmpathyAppOptions {
  /** Defaults to the store at settings.databaseUrl. */
  store?: Store;
  /**
   * The settings: the runner's `readSettings(process.env)`; keys left out take their defaults.
   * The app never reads the environment itself.
   */
  settings?: Partial<Settings>;
  /** The variables `${VAR}` in the operator config may name (the runner passes process.env). Default: none. */
  env?: NodeJS.ProcessEnv;
  /** How changes are analysed; default: in the worker pool. Tests may analyse in-process. */
  analyse?: AnalyseChange;
  /** Start the in-process worker (tests drain the queue themselves). Default true. */
  startWorker?: boolean;
  onReady?: (handles: EmpathyHandles) => void;
  /** Defaults to loadOperatorConfig(settings.operatorConfigPath) (EMPATHY_CONFIG, else ./empathy.config.yml, else none). */
  operatorConfig?: OperatorConfig;
  /** Overrides of the webhook manager's options (tests: fetch, lookup, delays). */
  webhookOptions?: Partial<Omit<WebhookManagerOptions, "store" | "log">>;
  /** More listeners on the bus, attached once with the operator config's integrations. */
  integrations?: BusListener[];
}

export function empathyApp(options: EmpathyAppOptions = {}): ApplicationFunction {
  return async (app: Probot, { addHandler }) => {
    // One redaction step for every line this app logs: its modules get this logger, not app.log.
    const log = redactingLog(app.log);
    const settings: Settings = { ...readSettings({}), ...options.settings };
    // The operator's file: any problem in it stops start-up with a message naming file, line and key.
    let operatorConfig: OperatorConfig;
    try {
      operatorConfig = options.operatorConfig ?? loadOperatorConfig(settings.operatorConfigPath, options.env ?? {});
    } catch (err) {
      log.error(`operator config: ${(err as Error).message}`);
      throw err;
    }
    for (const warning of operatorConfig.warnings) log.warn(`operator config: ${warning}`);
    cachedRuleSet(); // a broken rule file in rules/ stops start-up, naming the file, instead of failing each review
    // How Probot paces GitHub calls: shared through Redis (REDIS_URL) or per process. A REDIS_URL
    // that is not a redis:// URL stops start-up here (`npm start` also checks Redis answers).
    let pacing: GitHubPacing;
    try {
      pacing = githubPacing(settings.redisUrl);
    } catch (err) {
      log.error((err as Error).message);
      throw err;
    }
    const pacingLine = describePacing(pacing);
    log.info(pacingLine.fields, pacingLine.message);
    // A PostgreSQL store connects and migrates first: a database it cannot reach stops start-up.
    let store: Store;
    try {
      store = options.store ?? (await openStore(settings.databaseUrl, { poolSize: settings.databasePoolSize }));
    } catch (err) {
      log.error(`store: ${(err as Error).message}`);
      throw err;
    }
    // This process's id: the owner of the leases on the jobs and webhook deliveries it claims, so
    // several instances share one store and take back only what a dead one left (expired leases).
    const instanceId = newInstanceId();
    log.info({ instance_id: instanceId }, "instance started");
    const bus = new EventBus({ logger: log });
    // GitHub calls: one attempt each, time-limited, their outcomes reported by /health (and their rate limit by /metrics).
    const githubCalls = new GitHubCalls();
    // Prometheus metrics, built only when /metrics is on (EMPATHY_METRICS_TOKEN): its own registry, fed by observers.
    const metrics = settings.metricsToken ? new AppMetrics({ store, log, githubRateLimits: () => githubCalls.rateLimits() }) : undefined;
    metrics?.attach(bus);
    // Every envelope the bus carries, recorded for the dashboard's history and resumes: batched, the bus never waits.
    const eventLog = new EventLog(store, { log });
    eventLog.attach(bus);
    // Outgoing webhooks listen on the bus and keep their own outbox and delivery loop: the
    // review path neither knows nor waits for them.
    const webhooks = new WebhookManager(bus, {
      ...settings.webhookTuning,
      // Its start-up prune follows the retention setting (0: never).
      retentionMs: settings.retentionDays > 0 ? settings.retentionDays * 86_400_000 : Number.MAX_SAFE_INTEGER,
      instanceId,
      leaseMs: settings.leaseMs,
      onAttemptSettled: metrics?.attemptSettled,
      ...options.webhookOptions,
      store,
      log,
      network: { allowPrivate: [...operatorConfig.network.allowPrivate, ...(options.webhookOptions?.network?.allowPrivate ?? [])] },
    });
    for (const { condition, conditionSource: _source, location, ...hook } of operatorConfig.webhooks) {
      try {
        if (condition) webhooks.registerConditional({ ...hook, condition });
        else webhooks.register(hook);
      } catch (err) {
        const message = `operator config: ${location}: ${(err as Error).message}`;
        log.error(message);
        throw new Error(message);
      }
    }
    if (operatorConfig.webhooks.length > 0) {
      log.info({ webhooks: webhooks.list().map((w) => ({ id: w.id, event_type: w.eventType, origin: w.origin })) }, "webhooks registered");
    }
    // Integrations from the operator config send through the webhook manager (same outbox,
    // retries and logs); a problem in one stops start-up like a bad webhook does.
    const auth = async (installationId: number) => githubCalls.bound(await app.auth(installationId), { installationId });
    const appAuth = async () => githubCalls.bound(await app.auth());
    let integrations: AnyIntegration[];
    try {
      integrations = buildIntegrations(operatorConfig.integrations, {
        manager: webhooks,
        octokit: octokitForRepository((installationId) => (installationId === undefined ? appAuth() : auth(installationId))),
        log,
        githubUrl: settings.github.webUrl,
        dashboardUrl: settings.dashboard.publicUrl,
      });
      attachIntegrations(integrations, bus);
    } catch (err) {
      const message = `operator config: ${(err as Error).message}`;
      log.error(message);
      throw new Error(message);
    }
    if (integrations.length > 0) log.info({ integrations: integrations.map((i) => i.name) }, "integrations enabled");
    for (const listener of options.integrations ?? []) listener.attach(bus);
    const engine = new EmpathyOS({ eventBus: bus, state: store });
    const queue = new JobQueue({
      store,
      log,
      instanceId,
      leaseMs: settings.leaseMs,
      classify: classifyGitHubError,
      maxAttempts: settings.jobMaxAttempts,
      baseDelayMs: settings.jobBaseDelayMs,
      concurrency: settings.workerConcurrency,
      timeoutMs: settings.jobTimeoutMs,
      // Each job runs in a bus scope: if the events it emitted could not be stored (the webhook
      // outbox), the job fails and its retry emits them again instead of losing them.
      around: (run) => bus.scope(run),
      onJobFinished: metrics?.jobFinished,
    });
    // Untrusted code is parsed in worker processes only: a parser crash, a loop or a memory
    // blow-up costs one worker and one file, never this process.
    const pool = new AnalysisPool({
      size: settings.analysisWorkers,
      maxTasksPerWorker: settings.analysisWorkerMaxTasks,
      memoryMb: settings.analysisWorkerMemoryMb,
      log,
    });
    const analyse = options.analyse ?? ((input, opts) => analyseInPool(pool, input, opts));
    // One instance: it asks GitHub for the app's own login once and remembers it.
    const self = new SelfEvents(app);

    const predictionIssues = new PredictionIssues({ queue, store, auth, log });
    // Coordination: conflicts between open pull requests, CODEOWNERS, handoffs (jobs + webhook handlers).
    const coordination = new Coordination({ queue, store, bus, auth, log, self });
    coordination.handleEvents(app);
    // Feedback from GitHub (prediction issues closed, /empathy commands, resolved threads), rule-of-three issues, trust breaker.
    const feedback = buildFeedback({ queue, store, engine, auth, log, forcedReviewIntervalMs: settings.forcedReviewIntervalMs });
    feedback.transformations.subscribe(bus);
    handleFeedbackEvents(app, queue, self);
    const eventsStored = () => bus.flush();
    const reviewDeps = {
      analyse,
      limits: settings.analysisLimits,
      store,
      engine,
      predictionIssues,
      auth,
      log,
      coordination,
      eventsStored,
      feedback: feedback.feedback,
      transformations: feedback.transformations,
      // The optional language model: the walkthrough in the summary; its token spend per pull request in the store.
      llm: settings.llm ? { settings: settings.llm, spend: store } : undefined,
    };
    handlePullRequestEvents(app, queue, self);
    // For /health/ready: ready once start-up is done and the worker runs, not ready once stopping.
    const lifecycle: Lifecycle = { started: false, workerRunning: false, stopping: false };
    // /empathy in Slack; the route is off without a signing secret (SLACK_SIGNING_SECRET).
    const slack = slackCommands({
      queue,
      store,
      engine,
      auth,
      appAuth,
      review: (payload) => runReviewJob(payload, reviewDeps),
      // Code pasted in a question is analysed like a pull request: in the worker pool.
      analyse,
      // The operator's language model may word the answer's prose, grounded on it, within a budget per asker and day.
      phraseAnswer: settings.llm
        ? (input, budgetKey) => phraseAnswer(input, { settings: settings.llm, repoAllows: true, spend: store, budgetKey, log })
        : undefined,
      log,
      access: operatorConfig.slack,
      settings: { ...settings.slack, gheHost: settings.github.host },
    });
    // Every job type, registered in this one place (the Slack command's even with the route off:
    // jobs queued before a restart still run).
    registerJobs(
      queue,
      {
        // The attempt: a failure the queue retries keeps the check run in progress for the retry; the last one completes it.
        [REVIEW_JOB]: async (payload: ReviewJobPayload, job, signal) => {
          const outcome = await runReviewJob(payload, reviewDeps, signal, { attempt: job.attempts, maxAttempts: settings.jobMaxAttempts });
          metrics?.reviewFinished(outcome);
        },
        [PREDICTION_ISSUE_JOB]: (payload: PredictionIssueJob) => predictionIssues.run(payload),
      },
      feedback.jobs,
      coordination.jobs(),
      slack.jobs(),
    );
    // The web dashboard under /dashboard (off, with a page saying how to turn it on, without the OAuth settings).
    const dashboard = dashboardHandler({
      settings: settings.dashboard,
      bus,
      secret: () => store.getOrCreateSecret("dashboard-session", () => randomBytes(32).toString("base64url")),
      history: store,
      log,
      webhooks,
      // The insight pages read the store and use the engine's own rules (never restated in the dashboard).
      insights: { reads: store, ...engineInsightRules() },
    });
    try {
      addHandler(healthHandler(store, { pool: () => pool.stats(), github: () => githubCalls.health(), lifecycle: () => lifecycle }));
      addHandler(slack.handler);
      addHandler(dashboard);
      addHandler(metricsHandler({ token: settings.metricsToken, metrics, log }));
    } catch {
      // Loaded without Probot's server (e.g. createNodeMiddleware): no extra routes.
    }

    let retention: Retention | undefined;
    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        lifecycle.stopping = true;
        dashboard.close(); // ends the live streams, so the server can close
        await retention?.stop();
        await queue.stop();
        lifecycle.workerRunning = false;
        await bus.settled({ timeoutMs: 5000 });
        await webhooks.stop();
        await pool.destroy();
        await eventLog.close({ timeoutMs: 5000 }); // after the bus's last events, before the store
        metrics?.close();
        await store.close();
      })());

    if (options.startWorker !== false) {
      // The workers load the parsers and rules now, not during the first review.
      pool.start();
      await queue.start();
      lifecycle.workerRunning = true;
      try {
        await webhooks.start();
      } catch (err) {
        // An integration's start-up check (JIRA: the project, its issue types and priorities) failed.
        const message = `operator config: ${(err as Error).message}`;
        log.error(message);
        throw new Error(message);
      }
      // Finished jobs, webhook history, the dashboard's event history and closed pull requests' shown items, pruned hourly in small batches.
      retention = new Retention({ store, retentionDays: settings.retentionDays, log });
      retention.start();
      lifecycle.started = true;
    }
    options.onReady?.({ store, bus, engine, queue, webhooks, pool, integrations, close });
  };
}

/** The engine's own rules the dashboard's insight pages apply to stored rows (the dashboard does not import the engine). */
export function engineInsightRules(): Omit<InsightsSource, "reads"> {
  return {
    trust: {
      initial: INITIAL_TRUST,
      after: (trust, outcome) => applyOutcome({ ...newTrustRecord("", ""), trust }, outcome, 0).newTrust,
    },
    breaker: {
      lookbackMs: BREAKER_LOOKBACK_MS,
      state: (entries, now) =>
        breakerState(
          entries.map((e) => ({ ...e, key: "" })),
          now,
        ),
    },
    patternId,
    levelName: (level) => LEVEL_NAMES[level as EmpathyLevel],
  };
}
