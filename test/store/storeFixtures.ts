/**
 * What the store tests share: webhook delivery and attempt fixtures (the contract's), and a store
 * seeded through the Store API with data of every kind, with a read-back of all of it through
 * the API (`empathy store copy` is checked by comparing the two stores' read-backs).
 */
import { newPattern } from "../../src/engine/patterns.js";
import { newTrustRecord } from "../../src/engine/trust.js";
import type {
  JobRecord,
  JobStatus,
  NewWebhookDelivery,
  NewWebhookEvent,
  ReviewResult,
  Store,
  WebhookAttemptResult,
} from "../../src/store/store.js";

export const delivery = (id: string, over: Partial<NewWebhookDelivery> = {}): NewWebhookDelivery => ({
  id,
  registrationId: "r1",
  eventType: "test",
  eventIds: [`e-${id}`],
  body: "{}",
  status: "pending",
  nextAttemptAt: 1000,
  ...over,
});

/** The events of these deliveries, each once. */
export const eventsOf = (...ds: NewWebhookDelivery[]): NewWebhookEvent[] =>
  [...new Set(ds.flatMap((d) => d.eventIds))].map((id) => ({ id, eventType: "test", envelope: JSON.stringify({ id }) }));

export const enqueue = (s: Store, ds: NewWebhookDelivery[], now = 800) =>
  s.enqueueWebhookEvent({ events: eventsOf(...ds), deliveries: ds, batchItems: [] }, now);

export const result = (deliveryId: string, over: Partial<WebhookAttemptResult> = {}): WebhookAttemptResult => ({
  deliveryId,
  status: "delivered",
  statusCode: 200,
  durationMs: 1,
  error: null,
  responseExcerpt: null,
  nextAttemptAt: null,
  attemptedAt: 1000,
  ...over,
});

/** A stored review result: a level 4 review with findings and a prediction. */
export const reviewResult = (over: Partial<ReviewResult> = {}): ReviewResult => ({
  headSha: "sha",
  level: 4,
  confidence: 0.87,
  summary: "Adds an order export.",
  notice: null,
  findingCounts: { high: 2, low: 1 },
  topFindings: [
    { category: "sql-injection", severity: "high", path: "src/orders/export.js", line: 11, title: "SQL built from request input" },
    { category: "hardcoded-secret", severity: "high", path: "src/orders/export.js", line: 12, title: "A Stripe key in the code" },
    { category: "logging", severity: "low", path: "src/log.js", line: 3, title: "Logs the request body" },
  ],
  predictions: [
    { title: "Dropping column email breaks the v1 client", confidence: 0.87, severity: "high", path: "db/migrations/1.sql", line: 2 },
  ],
  summaryCommentId: 99,
  summaryUrl: "https://github.com/octo-org/shop/pull/12#issuecomment-99",
  reviewedAt: 1_700_000_000_000,
  ...over,
});

/** A fixed time the seed is written at (ms); leases it gives expired long before any test runs. */
export const SEED_TIME = Date.UTC(2025, 0, 31, 14, 0);
const MIN = 60_000;

/** Repositories, users, fingerprints, registrations and slots the seed writes, for the read-back. */
export const SEEDED = {
  repos: ["octo-org/shop", "octo-org/Other"],
  users: ["alice", "bob"],
  reviews: [
    ["octo-org/shop", 12, "sha-a"],
    ["octo-org/shop", 12, "sha-b"],
    ["octo-org/Other", 3, "sha-c"],
  ] as [string, number, string][],
  pulls: [12, 13, 3],
  fingerprints: ["fp-1", "fp-2", "fp-3", "a%c"],
  patternKeys: ["js/sql-injection", "py/exec"],
  feedbackKeys: ["issue:12", "finding:7:fp-1", "issue:14"],
  registrations: ["wh_a", "wh_b", "wh_batch", "wh_gone"],
  slots: ["octo-org/shop#12", "help:alice:octo-org/shop#12"],
  coordination: ["conflict:12:13", "comment:12"],
  secret: "dashboard-session",
};

/** Job payloads about a pull request (they get a subject) and not. */
const reviewPayload = (n: number, extra: Record<string, unknown> = {}) => ({
  installationId: 1,
  owner: "octo-org",
  repo: "shop",
  pullNumber: n,
  headSha: `sha${n}`,
  ...extra,
});

/**
 * Writes data of every kind through the Store API: jobs in every status (one still running
 * under a lease, as a killed instance leaves it; `jobs` more queued ones to fill several pages),
 * reviews, review results, posted findings, summaries, prediction issues (with and without
 * details), issue policies, trust, patterns, feedback (owed events
 * and settled), shown items, suppressions, transformation issues, coordination, rate slots,
 * webhook events, deliveries in every status (one in flight) with their attempts, dedupe keys,
 * batch items, a disabled registration and circuits, a kept secret and recorded bus events.
 */
export async function seedEveryKind(store: Store, options: { jobs?: number } = {}): Promise<void> {
  const T = SEED_TIME;
  // --- jobs: dead, done, retried, running (leased, never released), queued with and without a subject
  const dead = (await store.enqueueJob({ type: "review", payload: reviewPayload(1), dedupeKey: "delivery-1", runAt: T }))!;
  const done = (await store.enqueueJob({
    type: "command",
    payload: { ...reviewPayload(2), command: "explain", author: "alice" },
    dedupeKey: "delivery-2",
    runAt: T + 1,
  }))!;
  const retried = (await store.enqueueJob({ type: "review", payload: reviewPayload(3), runAt: T + 2 }))!;
  const running = (await store.enqueueJob({ type: "review", payload: reviewPayload(4), dedupeKey: "delivery-4", runAt: T + 3 }))!;
  expect((await store.claimJob(T + 10, { owner: "old-instance", expiresAt: T + 20 }))?.id).toBe(dead);
  await store.killJob(dead, "GitHub answered 502", "old-instance");
  expect((await store.claimJob(T + 10))?.id).toBe(done);
  await store.completeJob(done);
  expect((await store.claimJob(T + 10))?.id).toBe(retried);
  await store.retryJob(retried, T + 5 * MIN, "rate limited: wait 60 s");
  expect((await store.claimJob(T + 10, { owner: "killed-instance", expiresAt: T + 30_000 }))?.id).toBe(running);
  await store.enqueueJob({
    type: "feedback",
    payload: { owner: "octo-org", repo: "shop", issue: 7, note: "nul \u0000 inside" },
    runAt: T + 4,
  });
  for (let i = 0; i < (options.jobs ?? 0); i++)
    await store.enqueueJob({ type: "predict", payload: { owner: "octo-org", repo: "shop", n: i }, runAt: T + 100 + i });

  // --- reviews, posted findings, summaries, prediction issues
  for (const [repo, pr, sha] of SEEDED.reviews) await store.saveReview(repo, pr, sha, sha === "sha-a" ? null : 2 ** 40 + pr);
  await store.savePostedFindings("octo-org/shop", 12, [
    { fingerprint: "fp-2", path: "src/b.js", line: 9, commitSha: "sha-b" },
    { fingerprint: "fp-1", path: "src/a.js", line: 3, commitSha: "sha-a" },
  ]);
  await store.saveSummary("octo-org/shop", 12, { commentId: 2 ** 41, lastFingerprints: ["fp-1", "fp-2"], lastSha: "sha-b" });
  await store.saveSummary("octo-org/Other", 3, { commentId: null, lastFingerprints: [], lastSha: null });
  await store.savePredictionIssue("octo-org/shop", "fp-3", 77);
  await store.savePredictionIssue("octo-org/Other", "fp-1", 78, {
    title: "Breaks the v1 client",
    confidence: 0.91,
    url: "https://github.com/octo-org/Other/issues/78",
  });
  await store.saveReviewResult("octo-org/shop", 12, reviewResult({ headSha: "sha-b", notice: "cautious" }));
  await store.saveReviewResult(
    "octo-org/Other",
    3,
    reviewResult({
      headSha: "sha-c",
      level: 1,
      confidence: 0.9,
      findingCounts: {},
      topFindings: [],
      predictions: [],
      summaryCommentId: null,
      summaryUrl: null,
    }),
  );
  await store.saveIssuePolicy("octo-org/shop", { enabled: true, installationId: 2 ** 40 });
  await store.saveIssuePolicy("octo-org/Other", { enabled: false, installationId: 5 });

  // --- engine state: trust, patterns, feedback once per key
  await store.saveTrust({ ...newTrustRecord("bob", "octo-org/Other"), trust: 0.75, milestones: [0.75] });
  const pattern = { ...newPattern("octo-org/shop", "js/sql-injection"), occurrences: 3, prNumbers: [12, 13, 14], learned: true };
  await store.savePattern(pattern);
  await store.savePattern({ ...newPattern("octo-org/shop", "py/exec"), transformed: true });
  const envelope = {
    id: "ev-owed",
    event_type: "trust_decreased",
    timestamp: "2025-01-31T14:00:00Z",
    data: { user_id: "alice", repo: "octo-org/shop" },
  } as never;
  const feedback = (key: string, outcome: "accepted" | "rejected", createdAt: number, trust: number, events: never[]) => ({
    repo: "octo-org/shop",
    key,
    outcome,
    userId: "alice",
    createdAt,
    trust: { ...newTrustRecord("alice", "octo-org/shop"), trust, recentRejections: [T] },
    pattern: { ...pattern, failures: 1 },
    events,
  });
  // Written out of time order: the read-back's order (time, then insertion) must survive.
  await store.saveFeedback(feedback("issue:12", "rejected", T + 100, 0.45, [envelope]));
  await store.saveFeedback(feedback("finding:7:fp-1", "accepted", T + 100, 0.5, []));
  await store.saveFeedback(feedback("issue:14", "rejected", T + 50, 0.4, [envelope]));
  await store.settleFeedback("octo-org/shop", "issue:14");

  // --- shown items, suppressions, transformation issues
  const item = (fingerprint: string, prNumber: number, author: string) => ({
    fingerprint,
    prNumber,
    author,
    item: { rule: "js/sql-injection", fingerprint, message: "é ✓" },
  });
  await store.saveShownItems("octo-org/shop", [item("fp-1", 12, "alice"), item("fp-2", 12, "alice"), item("a%c", 13, "bob")]);
  await store.saveShownItems("octo-org/Other", [item("fp-3", 3, "bob")]);
  await store.suppressFinding("octo-org/shop", "fp-2", "bob");
  await store.saveTransformationIssue("octo-org/shop", "js/sql-injection", 88);

  // --- coordination and rate slots
  await store.saveOpenPullResources("octo-org/shop", {
    prNumber: 12,
    author: "alice",
    headSha: "sha-b",
    url: "https://github.com/octo-org/shop/pull/12",
    title: "Orders",
    resources: [{ kind: "table", name: "orders" }],
  });
  await store.saveOpenPullResources("octo-org/shop", {
    prNumber: 13,
    author: "bob",
    headSha: "sha-d",
    url: "https://github.com/octo-org/shop/pull/13",
    title: "Refunds",
    resources: [],
  });
  for (const key of SEEDED.coordination) await store.markCoordinationDone("octo-org/shop", key);
  await store.claimRateSlot(SEEDED.slots[0], "comment:1", T, 5 * MIN);
  await store.claimRateSlot(SEEDED.slots[1], "comment:2", T + 1000, 5 * MIN);

  // --- webhooks: deliveries delivered, dead, retried, in flight (leased), pending with a dedupe key, a batch waiting
  const ds = [
    delivery("msg_ok", { registrationId: "wh_a", nextAttemptAt: T }),
    delivery("msg_dead", { registrationId: "wh_a", nextAttemptAt: T, body: null }),
    delivery("msg_retry", { registrationId: "wh_b", nextAttemptAt: T }),
    delivery("msg_flight", { registrationId: "wh_b", nextAttemptAt: T + 1 }),
    delivery("msg_keyed", { registrationId: "wh_a", nextAttemptAt: T + 10 * MIN, dedupeKey: "prediction:fp-3" }),
    delivery("msg_template", { registrationId: "wh_gone", status: "dead", body: null, error: "payload template: missing field" }),
  ];
  await store.enqueueWebhookEvent(
    {
      events: [
        ...eventsOf(...ds),
        { id: "e-batched-1", eventType: "test", envelope: '{"id":"e-batched-1"}' },
        { id: "e-batched-2", eventType: "test", envelope: '{"id":"e-batched-2"}' },
      ],
      deliveries: ds,
      batchItems: [
        { registrationId: "wh_batch", eventId: "e-batched-1", eventType: "test" },
        { registrationId: "wh_batch", eventId: "e-batched-2", eventType: "test", dedupeKey: "prediction:fp-9" },
      ],
    },
    T,
  );
  const claimed = await store.claimWebhookDeliveries(["wh_a", "wh_b"], T + 100, 3, { owner: "old-instance", expiresAt: T + 200 });
  expect(claimed.map((d) => d.id).sort()).toEqual(["msg_dead", "msg_ok", "msg_retry"]);
  await store.recordWebhookAttempts([
    result("msg_ok", { statusCode: 204, durationMs: 12.6, responseExcerpt: "ok", attemptedAt: T + 150 }),
    result("msg_dead", {
      status: "dead",
      statusCode: 404,
      durationMs: 3,
      error: "HTTP 404 \u0000",
      responseExcerpt: "gone",
      attemptedAt: T + 160,
    }),
    result("msg_retry", {
      status: "failed",
      statusCode: 503,
      durationMs: 7,
      error: "HTTP 503",
      nextAttemptAt: T + 1000,
      attemptedAt: T + 170,
    }),
  ]);
  const [flight] = await store.claimWebhookDeliveries(["wh_b"], T + 500, 1, { owner: "killed-instance", expiresAt: T + 30_000 });
  expect(flight.id).toBe("msg_flight");
  await store.setWebhookRegistrationDisabled("wh_gone", "410 Gone", T + 300);
  await store.setWebhookRegistrationDisabled("wh_b", "paused", T + 300);
  await store.setWebhookRegistrationDisabled("wh_b", null, T + 400);
  await store.saveWebhookCircuit({ endpointKey: "ep-1", consecutiveFailures: 3, openUntil: T + 60_000 }, T + 300);
  await store.saveWebhookCircuit({ endpointKey: "ep-2", consecutiveFailures: 0, openUntil: null }, T + 300);

  // --- the dashboard's: a kept secret, recorded bus events (with and without a repository)
  await store.getOrCreateSecret(SEEDED.secret, () => "kept-session-key-\u00e9");
  const recorded = (id: string, type: string, repo: string | null, data: Record<string, unknown>, at: number) => ({
    id,
    eventType: type,
    repo,
    timestamp: at,
    envelope: JSON.stringify({ id, event_type: type, timestamp: new Date(at).toISOString(), data }),
  });
  await store.appendEvents([
    recorded("ev-1", "interaction_started", "octo-org/shop", { repo: "octo-org/shop", user_id: "alice", user_input: "é ✓ nul \u0000" }, T),
    recorded("ev-2", "error", null, { error_type: "handler_error" }, T + 1),
    recorded("ev-3", "level_4_prediction", "octo-org/other", { repo: "octo-org/Other", user_id: "bob" }, T + 2),
  ]);
}

/** Everything the seed wrote, read back through the Store API (plain data, comparable with toEqual). */
export async function readEverything(store: Store) {
  const statuses: JobStatus[] = ["queued", "running", "done", "dead"];
  const jobs: Record<string, JobRecord[]> = {};
  for (const status of statuses) jobs[status] = await store.listJobs(status, 100_000);
  const perRepo = async <T>(fn: (repo: string) => Promise<T>) =>
    Object.fromEntries(await Promise.all(SEEDED.repos.map(async (r) => [r, await fn(r)] as const)));
  return {
    jobCounts: await store.countJobs(),
    jobs,
    nextJobRunAt: await store.nextJobRunAt(),
    reviews: await Promise.all(SEEDED.reviews.map(([repo, pr, sha]) => store.getReview(repo, pr, sha))),
    postedFindings: await perRepo((r) => Promise.all(SEEDED.pulls.map((n) => store.listPostedFindings(r, n)))),
    summaries: await perRepo((r) => Promise.all(SEEDED.pulls.map((n) => store.getSummary(r, n)))),
    predictionIssues: await perRepo((r) => Promise.all(SEEDED.fingerprints.map((f) => store.getPredictionIssue(r, f)))),
    recentPredictionIssues: await store.listPredictionIssues({ limit: 100 }),
    reviewResults: await perRepo((r) => Promise.all(SEEDED.pulls.map((n) => store.getReviewResult(r, n)))),
    issuePolicies: await perRepo((r) => store.getIssuePolicy(r)),
    trust: await perRepo((r) => Promise.all(SEEDED.users.map((u) => store.getTrust(u, r)))),
    patterns: await perRepo((r) => store.listPatterns(r)),
    feedback: await perRepo((r) => store.listFeedback(r, 0)),
    owed: await perRepo((r) => Promise.all(SEEDED.feedbackKeys.map((k) => store.owedFeedbackEvents(r, k)))),
    shown: await perRepo((r) => store.findShownItems(r, "", 1000)),
    suppressed: await perRepo((r) => store.listSuppressed(r)),
    transformationIssues: await perRepo((r) => Promise.all(SEEDED.patternKeys.map((k) => store.getTransformationIssue(r, k)))),
    openPulls: await perRepo((r) => store.listOpenPullResources(r)),
    coordination: await perRepo((r) => Promise.all(SEEDED.coordination.map((k) => store.isCoordinationDone(r, k)))),
    deliveryCounts: await store.countWebhookDeliveries(),
    deliveries: await store.listWebhookDeliveries({ limit: 100_000 }),
    attempts: await store.listWebhookAttempts({ limit: 100_000 }),
    // The webhooks page's figures (from webhook_attempt_buckets, which a copy rebuilds rather than copies).
    windowStats: (await store.webhookWindowStats(0)).sort((x, y) => x.registrationId.localeCompare(y.registrationId)),
    batchStats: await store.webhookBatchStats(),
    batchItems: await store.listWebhookBatchItems("wh_batch", 1000),
    registrations: await Promise.all(SEEDED.registrations.map((id) => store.getWebhookRegistrationState(id))),
    circuits: (await store.listWebhookCircuits()).sort((x, y) => x.endpointKey.localeCompare(y.endpointKey)),
    secret: await store.getOrCreateSecret(SEEDED.secret, () => "made again: not kept"),
    events: await store.listEvents({ repos: ["octo-org/shop", "octo-org/other"], includeUnscoped: true, limit: 100 }),
    eventsAfter: await store.eventsAfter("ev-1", { limit: 100 }),
  };
}
