/**
 * The repository's issue policy travels with the work (issue 14, item 5): the review job hands
 * the prediction issues their policy in the call (and the job payload); the rule of three's
 * listener reads the policy the review stored, so it holds on any instance and after a restart.
 * No policy, no issue: an event that no review with issues enabled preceded opens nothing.
 */
import { withKnownSecrets } from "../../../src/analysis/secrets.js";
import type { Prediction } from "../../../src/analysis/types.js";
import { EventBus } from "../../../src/events/bus.js";
import type { JobQueue } from "../../../src/jobs/queue.js";
import {
  PREDICTION_ISSUE_JOB,
  PredictionIssues,
  type PredictionIssueJob,
  type PredictionSource,
} from "../../../src/github/predictions/predictionIssues.js";
import {
  TRANSFORMATION_JOB,
  TransformationIssues,
  type TransformationData,
  type TransformationJob,
} from "../../../src/github/predictions/transformation.js";
import { SqliteStore } from "../../../src/store/sqlite/index.js";
import { STRIPE_SECRET } from "../fixtures.js";
import type { NewJob } from "../../../src/store/store.js";

const noLog = { info() {}, warn() {}, error() {}, debug() {} } as never;
const noAuth = async () => {
  throw new Error("no GitHub call expected");
};

/** A queue that keeps what is enqueued, with dedupe keys as the store's. */
function fakeQueue(): { queue: JobQueue; jobs: NewJob[] } {
  const jobs: NewJob[] = [];
  const queue = {
    enqueue: async (job: NewJob) => {
      if (job.dedupeKey !== undefined && jobs.some((j) => j.dedupeKey === job.dedupeKey)) return null;
      jobs.push(job);
      return jobs.length;
    },
  } as unknown as JobQueue;
  return { queue, jobs };
}

const prediction = (over: Partial<Prediction> = {}): Prediction => ({
  id: "pred-1a2b3c4d",
  kind: "migration-drop-column",
  prediction: "Dropping column email breaks the v1 client.",
  confidence: 0.9,
  severity: "high",
  impact: "Every v1 client fails to load orders.",
  tags: ["migration"],
  recommendation: "Deprecate the column first.",
  path: "db/migrations/2_drop_email.sql",
  line: 2,
  side: "RIGHT",
  fingerprint: "fp-email",
  ...over,
});

const source: PredictionSource = {
  installationId: 2,
  repo: "octo-org/shop",
  prNumber: 7,
  url: "https://github.com/octo-org/shop/pull/7",
  commitSha: "a".repeat(40),
  userId: "alice",
};
const policy = { enabled: true, min_confidence: 0.85, labels: ["empathy: prediction", "risk"] };

describe("prediction issues: the policy comes with the review's call", () => {
  it("queues one job per prediction at or over min_confidence, with the labels, the pull request's facts and a dedupe key per repository and fingerprint", async () => {
    const { queue, jobs } = fakeQueue();
    const issues = new PredictionIssues({
      queue,
      store: new SqliteStore(":memory:"),
      auth: noAuth,
      log: noLog,
      now: () => Date.UTC(2026, 0, 1),
    });
    const queued = await issues.queueIssues(
      [prediction(), prediction({ fingerprint: "fp-low", confidence: 0.84 }), prediction({ fingerprint: "fp-edge", confidence: 0.85 })],
      source,
      policy,
    );
    expect(queued).toBe(2);
    expect(jobs.map((j) => [j.type, j.dedupeKey])).toEqual([
      [PREDICTION_ISSUE_JOB, "prediction:octo-org/shop:fp-email"],
      [PREDICTION_ISSUE_JOB, "prediction:octo-org/shop:fp-edge"],
    ]);
    const payload = jobs[0].payload as PredictionIssueJob;
    expect(payload).toMatchObject({ installationId: 2, owner: "octo-org", repo: "shop", labels: ["empathy: prediction", "risk"] });
    // The payload has the shape issue jobs always had (jobs queued by an earlier version run the same way).
    expect(payload.prediction).toEqual({
      prediction_id: "pred-1a2b3c4d",
      prediction: "Dropping column email breaks the v1 client.",
      confidence: 0.9,
      severity: "high",
      tags: ["migration"],
      recommendation: "Deprecate the column first.",
      user_id: "alice",
      timestamp: "2026-01-01T00:00:00.000Z",
      repo: "octo-org/shop",
      pr_number: 7,
      url: "https://github.com/octo-org/shop/pull/7",
      kind: "migration-drop-column",
      impact: "Every v1 client fails to load orders.",
      fingerprint: "fp-email",
      evidence: { path: "db/migrations/2_drop_email.sql", line: 2, side: "RIGHT" },
      commit_sha: "a".repeat(40),
      installation_id: 2,
    });
    // The same prediction on the next push: no second job.
    expect(await issues.queueIssues([prediction()], source, policy)).toBe(0);
    expect(jobs).toHaveLength(2);
  });

  it("queues nothing when the repository's issues are off (its config, or the trust breaker)", async () => {
    const { queue, jobs } = fakeQueue();
    const issues = new PredictionIssues({ queue, store: new SqliteStore(":memory:"), auth: noAuth, log: noLog });
    expect(await issues.queueIssues([prediction({ confidence: 1 })], source, { ...policy, enabled: false })).toBe(0);
    expect(jobs).toEqual([]);
  });

  it("redacts the payload, with the secrets the review's analysis found (its scope)", async () => {
    const { queue, jobs } = fakeQueue();
    const issues = new PredictionIssues({ queue, store: new SqliteStore(":memory:"), auth: noAuth, log: noLog });
    const found = "hunter2-but-a-much-longer-internal-value-1234";
    const leaky = prediction({ prediction: `Deploy fails: the token ${found} is revoked. Also ${STRIPE_SECRET} leaks.` });
    await withKnownSecrets([found], () => issues.queueIssues([leaky], source, policy));
    const text = JSON.stringify(jobs[0].payload);
    expect(text).not.toContain(found);
    expect(text).not.toContain(STRIPE_SECRET);
  });
});

describe("systemic-fix issues: the policy the review stored", () => {
  const transformation = (over: Partial<TransformationData> = {}): TransformationData => ({
    user_id: "alice",
    repo: "octo-org/shop",
    pr_number: 9,
    url: "https://github.com/octo-org/shop/pull/9",
    pattern_id: "pat-1",
    pattern_name: "js/sql-injection",
    occurrences: 3,
    pr_numbers: [7, 8, 9],
    confidence: 0.8,
    proposal: "Use the query builder everywhere.",
    ...over,
  });

  async function emitted(bus: EventBus, data: TransformationData): Promise<void> {
    bus.emit({ type: "level_5_transformation", data });
    await bus.settled();
  }

  it("queues the issue with the installation the review recorded, on another instance and after a restart too", async () => {
    const store = new SqliteStore(":memory:");
    const reviewing = new TransformationIssues({ ...fakeQueue(), store, auth: noAuth, log: noLog });
    await reviewing.recordPolicy("octo-org/shop", { enabled: true, installationId: 2 });

    // Another instance (or this one restarted) on the same store hears the event.
    const { queue, jobs } = fakeQueue();
    const bus = new EventBus();
    new TransformationIssues({ queue, store, auth: noAuth, log: noLog }).subscribe(bus);
    await emitted(bus, transformation());
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ type: TRANSFORMATION_JOB, dedupeKey: "transformation:octo-org/shop:js/sql-injection" });
    expect(jobs[0].payload as TransformationJob).toMatchObject({
      installationId: 2,
      owner: "octo-org",
      repo: "shop",
      transformation: transformation(),
    });
  });

  it("queues nothing without a recorded policy, with issues off, or for an interaction that is not a pull request's review", async () => {
    const store = new SqliteStore(":memory:");
    const { queue, jobs } = fakeQueue();
    const bus = new EventBus();
    const issues = new TransformationIssues({ queue, store, auth: noAuth, log: noLog });
    issues.subscribe(bus);
    await emitted(bus, transformation()); // no review recorded a policy
    await issues.recordPolicy("octo-org/shop", { enabled: false, installationId: 2 }); // the breaker was open
    await emitted(bus, transformation());
    await issues.recordPolicy("octo-org/shop", { enabled: true, installationId: 2 });
    await emitted(bus, transformation({ pr_number: null })); // not a pull request
    await emitted(bus, transformation({ repo: "octo-org/other" })); // another repository
    expect(jobs).toEqual([]);
    await emitted(bus, transformation());
    expect(jobs).toHaveLength(1);
  });
});
