/**
 * The webhooks page's store reads (WebhookInsightStore) and the stored pauses, the same on
 * SQLite and on a real PostgreSQL.
 */
import { storeBackends, type StorePair } from "../store/contractBackends.js";
import { postgresForSuite } from "../store/postgresSuite.js";
import { delivery, enqueue, result } from "../store/storeFixtures.js";

const server = postgresForSuite();

describe.each(storeBackends(() => server))("webhook insight reads: %s", (_name, open) => {
  let s: StorePair;
  beforeEach(async () => {
    s = await open();
  });
  afterEach(async () => s.close());

  it("figures over a window, last errors, queue counts, attempts and dead letters a page at a time", async () => {
    const { a, b } = s;
    await enqueue(a, [delivery("d1"), delivery("d2"), delivery("d3"), delivery("x1", { registrationId: "r2" })]);
    await a.claimWebhookDeliveries(["r1", "r2"], 1000, 10);
    await a.recordWebhookAttempts([
      result("d1", { status: "failed", statusCode: 500, error: "HTTP 500", durationMs: 30, nextAttemptAt: 1500, attemptedAt: 900 }),
      result("d2", { durationMs: 10, attemptedAt: 1100 }),
      result("d3", { status: "dead", statusCode: 503, error: "HTTP 503; gave up", durationMs: 20, attemptedAt: 1200 }),
      result("x1", { durationMs: 5, attemptedAt: 1300 }),
    ]);
    await a.claimWebhookDeliveries(["r1"], 2000, 10);
    await a.recordWebhookAttempts([result("d1", { durationMs: 40, attemptedAt: 2000 })]);

    const stats = (await b.webhookWindowStats(1000)).sort((x, y) => x.registrationId.localeCompare(y.registrationId));
    expect(stats).toEqual([
      { registrationId: "r1", attempts: 3, succeeded: 2, deliveries: 3, lastAttemptAt: 2000 },
      { registrationId: "r2", attempts: 1, succeeded: 1, deliveries: 1, lastAttemptAt: 1300 },
    ]);
    expect((await b.webhookDurationSample(1000, 2)).map((d) => d.durationMs)).toEqual([40, 5]);
    expect(await b.webhookLastErrors(1000)).toEqual([{ registrationId: "r1", error: "HTTP 503; gave up", statusCode: 503, at: 1200 }]);
    await enqueue(a, [delivery("d4")], 2100);
    expect(await b.webhookQueueCounts()).toEqual([{ registrationId: "r1", pending: 1, inFlight: 0, dead: 1 }]);

    const first = await b.listWebhookRegistrationAttempts({ registrationId: "r1", limit: 2 });
    expect(first.map((x) => [x.deliveryId, x.attempt, x.status])).toEqual([
      ["d1", 2, "delivered"],
      ["d3", 1, "dead"],
    ]);
    const next = await b.listWebhookRegistrationAttempts({ registrationId: "r1", limit: 2, before: first[1].seq });
    expect(next.map((x) => x.deliveryId)).toEqual(["d2", "d1"]);
    expect(next[1]).toMatchObject({ statusCode: 500, nextAttemptAt: 1500, error: "HTTP 500" });

    await enqueue(a, [delivery("d5", { status: "dead", error: "template error" }), delivery("d6", { status: "dead", error: "bad" })], 1200);
    const dead = await b.listWebhookDeadLetters({ registrationId: "r1", limit: 2 });
    expect(dead).toHaveLength(2);
    const rest = await b.listWebhookDeadLetters({ registrationId: "r1", limit: 2, before: dead[1] });
    expect([...dead, ...rest].map((x) => x.id).sort()).toEqual(["d3", "d5", "d6"]);
    expect(dead[0]).toMatchObject({ registrationId: "r1", eventType: "test" });
  });

  it("keeps pauses per endpoint, beside (never as) a registration's disabled state", async () => {
    const { a, b } = s;
    await a.setWebhookRegistrationDisabled("r1", "410 Gone", 5);
    await a.setWebhookPause("key-1", "alice", 10);
    await a.setWebhookPause("key-2", "bob", 11);
    await a.setWebhookPause("key-1", "carol", 12);
    expect((await b.listWebhookPauses()).sort((x, y) => x.endpointKey.localeCompare(y.endpointKey))).toEqual([
      { endpointKey: "key-1", pausedAt: 12, pausedBy: "carol" },
      { endpointKey: "key-2", pausedAt: 11, pausedBy: "bob" },
    ]);
    await b.setWebhookPause("key-1", null, 13);
    expect(await a.listWebhookPauses()).toEqual([{ endpointKey: "key-2", pausedAt: 11, pausedBy: "bob" }]);
    expect(await a.getWebhookRegistrationState("r1")).toMatchObject({ disabledReason: "410 Gone" });
  });
});
