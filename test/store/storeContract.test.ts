/**
 * The Store contract beyond the job queue (jobStoreContract.test.ts), run against SQLite (two
 * store instances on one file) and a real PostgreSQL started for this suite (two pools on one
 * database): reviews and their idempotency keys, engine state and feedback once per key,
 * coordination, rate slots, the webhook outbox (claims, leases, renewals, reclaims, releases,
 * attempts once, batches flushed once, replays), retention, operator replays and data deletion.
 * The same expectations as the SQLite-only suites. If PostgreSQL cannot start, the suite fails.
 */
import { jest } from "@jest/globals";
import { newPattern } from "../../src/engine/patterns.js";
import { newTrustRecord } from "../../src/engine/trust.js";
import { storeBackends, type StorePair } from "./contractBackends.js";
import { postgresForSuite } from "./postgresSuite.js";
import { delivery, enqueue, eventsOf, result, reviewResult } from "./storeFixtures.js";

jest.setTimeout(60_000);

const server = postgresForSuite();

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const lease = (owner: string, expiresAt: number) => ({ owner, expiresAt });

describe.each(storeBackends(() => server))("store contract: %s", (_name, open) => {
  let s: StorePair;
  beforeEach(async () => {
    s = await open();
  });
  afterEach(async () => {
    await s.close();
  });

  describe("ping", () => {
    it("answers while the store is open and fails once it is closed", async () => {
      await expect(s.a.ping()).resolves.toBeUndefined();
      await expect(Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? s.a : s.b).ping()))).resolves.toHaveLength(10);
      await s.b.close();
      await expect(s.b.ping()).rejects.toThrow();
      await expect(s.a.ping()).resolves.toBeUndefined(); // the other instance's store is its own
    });
  });

  describe("reviews", () => {
    it("keeps one review per head commit, the first posted finding per fingerprint, summaries and one prediction issue per fingerprint", async () => {
      const { a, b } = s;
      await a.saveReview("o/r", 1, "sha", null);
      await b.saveReview("o/r", 1, "sha", 9);
      expect(await a.getReview("o/r", 1, "sha")).toEqual({ reviewId: 9 });
      expect(await a.getReview("o/r", 1, "other")).toBeUndefined();
      expect(await a.getReview("O/r", 1, "sha")).toBeUndefined(); // names are matched as given
      await a.savePostedFindings("o/r", 1, [
        { fingerprint: "f2", path: "b.js", line: 1, commitSha: "sha" },
        { fingerprint: "f1", path: "a.js", line: 3, commitSha: "sha" },
      ]);
      await b.savePostedFindings("o/r", 1, [{ fingerprint: "f1", path: "a.js", line: 4, commitSha: "sha2" }]);
      await b.savePostedFindings("o/r", 1, []);
      expect(await b.listPostedFindings("o/r", 1)).toEqual([
        { fingerprint: "f1", path: "a.js", line: 3, commitSha: "sha" },
        { fingerprint: "f2", path: "b.js", line: 1, commitSha: "sha" },
      ]);
      expect(await b.listPostedFindings("o/r", 2)).toEqual([]);
      expect(await a.getSummary("o/r", 1)).toBeUndefined();
      await a.saveSummary("o/r", 1, { commentId: 5, lastFingerprints: ["f"], lastSha: "sha" });
      await b.saveSummary("o/r", 1, { commentId: 2 ** 40, lastFingerprints: ["f", "g"], lastSha: null });
      expect(await a.getSummary("o/r", 1)).toEqual({ commentId: 2 ** 40, lastFingerprints: ["f", "g"], lastSha: null });
      await a.savePredictionIssue("o/r", "fp", 42);
      await b.savePredictionIssue("o/r", "fp", 43);
      expect(await a.getPredictionIssue("o/r", "fp")).toBe(43);
      expect(await a.getPredictionIssue("o/other", "fp")).toBeUndefined();
    });

    it("keeps trust and patterns; feedback counts once per key, also when two instances record it at once", async () => {
      const { a, b } = s;
      await a.saveTrust({ ...newTrustRecord("u", "o/r"), trust: 0.6 });
      expect((await b.getTrust("u", "o/r"))?.trust).toBe(0.6);
      expect(await b.getTrust("u", "o/other")).toBeUndefined();
      const pattern = { ...newPattern("o/r", "js/sql-injection"), name: "n", prNumbers: [1] };
      await a.savePattern(pattern);
      await a.savePattern({ ...newPattern("o/r", "a-rule"), name: "first" });
      expect(await b.getPattern("o/r", "js/sql-injection")).toEqual(pattern);
      expect((await b.listPatterns("o/r")).map((p) => p.key)).toEqual(["a-rule", "js/sql-injection"]);

      const envelope = { id: "ev1", event_type: "trust_decreased", timestamp: "2025-01-01T00:00:00Z", data: { user_id: "u" } } as never;
      const feedback = (trust: number, createdAt: number) => ({
        repo: "o/r",
        key: "issue:12",
        outcome: "rejected" as const,
        userId: "u",
        createdAt,
        trust: { ...newTrustRecord("u", "o/r"), trust },
        pattern: { ...pattern, failures: 1 },
        events: [envelope],
      });
      const saved = await Promise.all([a.saveFeedback(feedback(0.4, 100)), b.saveFeedback(feedback(0.3, 100))]);
      expect(saved.filter(Boolean)).toHaveLength(1);
      expect((await a.getTrust("u", "o/r"))?.trust).toBe(saved[0] ? 0.4 : 0.3);
      expect((await a.getPattern("o/r", "js/sql-injection"))?.failures).toBe(1);
      expect(await b.saveFeedback(feedback(0.1, 200))).toBe(false);
      expect((await a.getTrust("u", "o/r"))?.trust).not.toBe(0.1);
      expect(await a.owedFeedbackEvents("o/r", "issue:12")).toEqual([envelope]);
      expect(await a.owedFeedbackEvents("o/r", "issue:13")).toBeUndefined();
      await b.settleFeedback("o/r", "issue:12");
      expect(await a.owedFeedbackEvents("o/r", "issue:12")).toEqual([]);
      await a.saveFeedback({ ...feedback(0.5, 50), key: "finding:7:abc", outcome: "accepted", pattern: undefined, events: [] });
      await a.saveFeedback({ ...feedback(0.5, 300), key: "issue:14", events: [] });
      expect((await b.listFeedback("o/r", 0)).map((f) => [f.key, f.outcome, f.createdAt])).toEqual([
        ["finding:7:abc", "accepted", 50],
        ["issue:12", "rejected", 100],
        ["issue:14", "rejected", 300],
      ]);
      expect((await b.listFeedback("o/r", 100)).map((f) => f.key)).toEqual(["issue:12", "issue:14"]);
    });

    it("finds shown items by id prefix (wildcards taken literally), suppresses once, links transformation issues", async () => {
      const { a, b } = s;
      const item = (fingerprint: string, prNumber = 1) => ({ fingerprint, prNumber, author: "alice", item: { rule: "r", fingerprint } });
      await a.saveShownItems("o/r", [item("abc1"), item("abc2"), item("a%c3"), item("zzz")]);
      await b.saveShownItems("o/r", [item("abc1", 2)]);
      await b.saveShownItems("o/r", []);
      expect(await a.getShownItem("o/r", "abc1")).toEqual(item("abc1", 2));
      expect(await a.getShownItem("o/other", "abc1")).toBeUndefined();
      expect((await a.findShownItems("o/r", "abc")).map((i) => i.fingerprint)).toEqual(["abc1", "abc2"]);
      expect((await a.findShownItems("o/r", "a%")).map((i) => i.fingerprint)).toEqual(["a%c3"]);
      expect((await a.findShownItems("o/r", "a_c")).map((i) => i.fingerprint)).toEqual([]);
      expect(await a.findShownItems("o/r", "", 2)).toHaveLength(2);
      await a.suppressFinding("o/r", "f2", "alice");
      await b.suppressFinding("o/r", "f2", "bob");
      await b.suppressFinding("o/r", "f1", "bob");
      expect(await a.listSuppressed("o/r")).toEqual(["f1", "f2"]);
      expect(await a.getTransformationIssue("o/r", "js/x")).toBeUndefined();
      await a.saveTransformationIssue("o/r", "js/x", 7);
      await b.saveTransformationIssue("o/r", "js/x", 8);
      expect(await a.getTransformationIssue("o/r", "js/x")).toBe(8);
    });

    it("keeps open pull requests' resources and marks a coordination step done once, whoever marks it", async () => {
      const { a, b } = s;
      const record = (prNumber: number, headSha: string) => ({
        prNumber,
        author: "alice",
        headSha,
        url: `u${prNumber}`,
        title: "t",
        resources: [{ kind: "table", name: "orders" }],
      });
      await a.saveOpenPullResources("o/r", record(2, "x"));
      await b.saveOpenPullResources("o/r", record(1, "y"));
      await b.saveOpenPullResources("o/r", record(2, "z"));
      expect(await a.getOpenPullResources("o/r", 2)).toEqual(record(2, "z"));
      expect((await a.listOpenPullResources("o/r")).map((r) => r.prNumber)).toEqual([1, 2]);
      await a.deleteOpenPullResources("o/r", 2);
      expect(await b.getOpenPullResources("o/r", 2)).toBeUndefined();
      const marks = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).markCoordinationDone("o/r", "conflict:1:2")));
      expect(marks.filter(Boolean)).toHaveLength(1);
      expect(await b.isCoordinationDone("o/r", "conflict:1:2")).toBe(true);
      expect(await b.isCoordinationDone("o/r", "conflict:1:3")).toBe(false);
    });
  });

  describe("rate slots", () => {
    const T = Date.UTC(2025, 0, 1, 21, 40);

    it("lets the first claim through, refuses others until the interval has passed, and lets the claimant through again", async () => {
      const { a, b } = s;
      expect(await a.claimRateSlot("o/r#7", "comment:1", T, 5 * MIN)).toEqual({ ok: true });
      expect(await b.claimRateSlot("o/r#7", "comment:2", T + 2 * MIN, 5 * MIN)).toEqual({ ok: false, lastAt: T, nextAt: T + 5 * MIN });
      expect((await b.claimRateSlot("o/r#7", "comment:1", T + 4 * MIN, 5 * MIN)).ok).toBe(true); // a retry of the same request
      expect(await a.claimRateSlot("o/r#7", "comment:3", T + 5 * MIN - 1, 5 * MIN)).toEqual({ ok: false, lastAt: T, nextAt: T + 5 * MIN });
      expect(await a.claimRateSlot("o/r#7", "comment:3", T + 5 * MIN, 5 * MIN)).toEqual({ ok: true });
      expect(await b.claimRateSlot("o/r#7", "comment:1", T + 6 * MIN, 5 * MIN)).toEqual({
        ok: false,
        lastAt: T + 5 * MIN,
        nextAt: T + 10 * MIN,
      });
      expect((await a.claimRateSlot("o/r#8", "x", T, 5 * MIN)).ok).toBe(true);
      expect((await a.claimRateSlot("o/r#9", "e", T, 0)).ok).toBe(true);
      expect((await b.claimRateSlot("o/r#9", "f", T, 0)).ok).toBe(true);
    });

    it("two instances racing for the same slots: exactly one wins each", async () => {
      const slots = Array.from({ length: 40 }, (_, i) => `o/r#${i}`);
      const claims = await Promise.all(
        slots.flatMap((slot) => [
          s.a.claimRateSlot(slot, `a-${slot}`, T, 5 * MIN).then((r) => [slot, r.ok] as const),
          s.b.claimRateSlot(slot, `b-${slot}`, T, 5 * MIN).then((r) => [slot, r.ok] as const),
        ]),
      );
      for (const slot of slots) expect(claims.filter(([x, ok]) => x === slot && ok)).toHaveLength(1);
    });
  });

  describe("webhook deliveries", () => {
    it("enqueues once per delivery id, stores each event once, and claims due deliveries of the given registrations, oldest first", async () => {
      const { a, b } = s;
      await enqueue(a, [delivery("a", { nextAttemptAt: 900 }), delivery("b"), delivery("c", { registrationId: "r2" })]);
      await enqueue(b, [delivery("a")]); // the same id again: ignored
      await enqueue(b, [delivery("later", { nextAttemptAt: 5000 })]);
      expect((await a.countWebhookDeliveries()).pending).toBe(4);
      const claimed = await b.claimWebhookDeliveries(["r1"], 1000, 10);
      expect(claimed.map((d) => [d.id, d.status, d.attempts, d.totalAttempts, d.envelopes])).toEqual([
        ["a", "in_flight", 1, 1, '[{"id":"e-a"}]'],
        ["b", "in_flight", 1, 1, '[{"id":"e-b"}]'],
      ]);
      expect(await a.claimWebhookDeliveries(["r1"], 1000, 10)).toEqual([]);
      expect(await a.claimWebhookDeliveries([], 1000, 10)).toEqual([]);
      expect(await a.nextWebhookDeliveryAt(["r1"])).toBe(5000);
      expect(await a.nextWebhookDeliveryAt(["r2"])).toBe(1000);
      expect(await a.nextWebhookDeliveryAt(["r1", "r2"])).toBe(1000);
      expect(await a.nextWebhookDeliveryAt(["none"])).toBeNull();
      expect(await a.claimWebhookDeliveries(["r1", "r2"], 1000, 1)).toHaveLength(1);
      expect(await a.getWebhookDelivery("nope")).toBeUndefined();
    });

    it("writes a delivery once per registration and dedupe key, and nothing again of an event sent again under its id", async () => {
      const { a, b } = s;
      const keyed = (id: string, registrationId = "r1") =>
        delivery(id, { registrationId, eventIds: [`e-${id}`], dedupeKey: "prediction:fp1" });
      await enqueue(a, [keyed("d1"), keyed("d2"), keyed("d3", "r2")]);
      await enqueue(b, [keyed("d4")]);
      expect((await a.listWebhookDeliveries({})).map((d) => d.id)).toEqual(["d1", "d3"]);
      // The event of d1 sent again with a new delivery: it was kept the first time, nothing is written.
      await b.enqueueWebhookEvent(
        { events: eventsOf(delivery("d1")), deliveries: [delivery("d5", { eventIds: ["e-d1"] })], batchItems: [] },
        900,
      );
      expect((await a.listWebhookDeliveries({})).map((d) => d.id)).toEqual(["d1", "d3"]);
    });

    it("gives each delivery to one instance when both claim at once", async () => {
      const ids = Array.from({ length: 30 }, (_, i) => `d${String(i).padStart(2, "0")}`);
      await enqueue(
        s.a,
        ids.map((id) => delivery(id)),
      );
      const claims = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? s.a : s.b).claimWebhookDeliveries(["r1"], 1000, 3, lease(i % 2 ? "A" : "B", 9000))),
      );
      const got = claims.flat().map((d) => d.id);
      expect(got.sort()).toEqual(ids);
    });

    it("records attempts, moves deliveries to pending, delivered or dead, and lists attempts newest first with filters", async () => {
      const { a, b } = s;
      await enqueue(a, [delivery("a"), delivery("b")], 1000);
      const [x, y] = await a.claimWebhookDeliveries(["r1"], 1000, 2);
      await a.recordWebhookAttempt(
        result(x.id, {
          status: "failed",
          statusCode: 500,
          durationMs: 12.4,
          error: "HTTP 500",
          responseExcerpt: "no\u0000",
          nextAttemptAt: 3000,
          attemptedAt: 1001,
        }),
      );
      await b.recordWebhookAttempt(result(y.id, { status: "dead", statusCode: 404, durationMs: 3, error: "HTTP 404", attemptedAt: 1002 }));
      expect(await b.getWebhookDelivery("a")).toMatchObject({
        status: "pending",
        nextAttemptAt: 3000,
        lastStatusCode: 500,
        lastError: "HTTP 500",
        finishedAt: null,
      });
      expect(await b.getWebhookDelivery("b")).toMatchObject({ status: "dead", finishedAt: 1002 });
      const [again] = await b.claimWebhookDeliveries(["r1"], 3000, 5);
      expect(again).toMatchObject({ id: "a", attempts: 2, totalAttempts: 2 });
      await b.recordWebhookAttempts([result("a", { statusCode: 200, durationMs: 4, responseExcerpt: "ok", attemptedAt: 3001 })]);
      await b.recordWebhookAttempts([]);
      const attempts = await a.listWebhookAttempts({});
      expect(attempts.map((t) => [t.deliveryId, t.attempt, t.status, t.statusCode, t.durationMs])).toEqual([
        ["a", 2, "delivered", 200, 4],
        ["b", 1, "dead", 404, 3],
        ["a", 1, "failed", 500, 12],
      ]);
      expect(attempts[2]).toMatchObject({ nextAttemptAt: 3000, registrationId: "r1", eventType: "test" });
      expect(attempts[2].responseExcerpt).toMatch(/^no/);
      expect(await a.listWebhookAttempts({ status: "dead" })).toHaveLength(1);
      expect(await a.listWebhookAttempts({ since: 3000 })).toHaveLength(1);
      expect(await a.listWebhookAttempts({ deliveryId: "b" })).toHaveLength(1);
      expect(await a.listWebhookAttempts({ eventType: "other" })).toHaveLength(0);
      expect(await a.listWebhookAttempts({ limit: 2 })).toHaveLength(2);
      expect(await a.countWebhookDeliveries()).toEqual({ pending: 0, in_flight: 0, delivered: 1, dead: 1 });
      expect((await a.listWebhookDeliveries({ status: "dead" })).map((d) => d.id)).toEqual(["b"]);
      expect(await a.listWebhookDeliveries({ registrationId: "r2" })).toEqual([]);
      expect((await a.listWebhookDeliveries({ since: 3001 })).map((d) => d.id)).toEqual(["a"]);
      expect((await a.listWebhookDeliveries({ order: "newest", limit: 1 })).map((d) => d.id)).toEqual(["a"]);
    });

    it("writes a delivery dead on arrival with its error as attempt 1", async () => {
      const dead = delivery("x", { status: "dead", body: null, error: "payload template: missing field" });
      await enqueue(s.a, [dead], 10);
      expect(await s.b.getWebhookDelivery("x")).toMatchObject({
        status: "dead",
        totalAttempts: 1,
        lastError: "payload template: missing field",
        body: null,
        finishedAt: 10,
      });
      expect(await s.b.listWebhookAttempts({})).toEqual([
        expect.objectContaining({
          deliveryId: "x",
          attempt: 1,
          status: "dead",
          error: "payload template: missing field",
          statusCode: null,
        }),
      ]);
    });

    it("leases: renewed by the holder, only expired ones taken back (never by their own instance), outcomes and releases only by the holder", async () => {
      const { a, b } = s;
      await enqueue(
        a,
        ["d1", "d2", "d3", "d4"].map((id) => delivery(id, { nextAttemptAt: 100 })),
        100,
      );
      const byA = await a.claimWebhookDeliveries(["r1"], 1000, 2, lease("A", 5000));
      const byB = await b.claimWebhookDeliveries(["r1"], 1000, 5, lease("B", 5000));
      expect([...byA, ...byB].map((d) => d.id).sort()).toEqual(["d1", "d2", "d3", "d4"]);
      expect(await s.leaseOf("webhook_deliveries", byA[0].id)).toEqual({ owner: "A", expiresAt: 5000 });
      expect(await b.renewWebhookDeliveryLeases("B", 8000)).toEqual(byB.map((d) => d.id).sort());
      // At 6000 A's heartbeat is late: its own look leaves its work alone...
      expect(await a.reclaimExpiredWebhookDeliveries(6000, "A")).toBe(0);
      expect(await b.reclaimExpiredWebhookDeliveries(4000, "B")).toBe(0); // ...and nobody takes a live lease
      // ...while another instance takes it back, the interrupted attempt not counted; B's stay in flight.
      expect(await b.reclaimExpiredWebhookDeliveries(6000, "B")).toBe(2);
      expect(await b.getWebhookDelivery(byA[0].id)).toMatchObject({ status: "pending", attempts: 0, totalAttempts: 0 });
      expect(await s.leaseOf("webhook_deliveries", byA[0].id)).toEqual({ owner: null, expiresAt: null });
      expect(await b.getWebhookDelivery(byB[0].id)).toMatchObject({ status: "in_flight", attempts: 1 });
      expect(await a.renewWebhookDeliveryLeases("A", 20_000)).toEqual([]);
      const retaken = await b.claimWebhookDeliveries(["r1"], 6000, 5, lease("B", 12_000));
      expect(retaken.map((d) => d.id).sort()).toEqual(byA.map((d) => d.id).sort());
      // A's late result and release of deliveries B now holds change nothing; B's are recorded once.
      await a.recordWebhookAttempt(result(byA[0].id, { leaseOwner: "A", attemptedAt: 6100 }));
      await a.releaseWebhookDelivery(byA[1].id, 6100, "A");
      expect(await b.getWebhookDelivery(byA[0].id)).toMatchObject({ status: "in_flight" });
      expect(await b.getWebhookDelivery(byA[1].id)).toMatchObject({ status: "in_flight", attempts: 1 });
      expect(await b.listWebhookAttempts({ deliveryId: byA[0].id })).toEqual([]);
      await b.recordWebhookAttempt(result(byA[0].id, { leaseOwner: "B", attemptedAt: 6100 }));
      await b.recordWebhookAttempt(result(byA[0].id, { leaseOwner: "B", attemptedAt: 6200 })); // once only
      expect(await a.getWebhookDelivery(byA[0].id)).toMatchObject({ status: "delivered", totalAttempts: 1, finishedAt: 6100 });
      expect(await a.listWebhookAttempts({ deliveryId: byA[0].id })).toHaveLength(1);
      // The holder's release puts it back without counting the attempt.
      await b.releaseWebhookDelivery(byA[1].id, 6300, "B");
      expect(await a.getWebhookDelivery(byA[1].id)).toMatchObject({ status: "pending", attempts: 0, totalAttempts: 0 });
      await b.releaseWebhookDelivery(byA[1].id, 6300, "B"); // not in flight: nothing
      expect(await a.getWebhookDelivery(byA[1].id)).toMatchObject({ status: "pending", attempts: 0 });
    });

    it("a lease without owner expires after a minute; an expired one is reclaimed due at once", async () => {
      await enqueue(s.a, [delivery("a", { nextAttemptAt: 900 })], 800);
      await s.a.claimWebhookDeliveries(["r1"], 1000, 1);
      expect(await s.b.reclaimExpiredWebhookDeliveries(1000 + MIN - 1)).toBe(0);
      expect(await s.b.reclaimExpiredWebhookDeliveries(1000 + MIN)).toBe(1);
      expect(await s.a.getWebhookDelivery("a")).toMatchObject({ status: "pending", nextAttemptAt: 900 });
    });

    it("replays dead letters, by ids or since a time, and kills a registration's pending deliveries", async () => {
      const { a, b } = s;
      await enqueue(a, [delivery("a"), delivery("b"), delivery("c")], 1000);
      for (const d of await a.claimWebhookDeliveries(["r1"], 1000, 3)) {
        await a.recordWebhookAttempt(
          result(d.id, { status: "dead", statusCode: 400, error: "HTTP 400", attemptedAt: d.id === "a" ? 1300 : 2000 }),
        );
      }
      expect(await b.replayWebhookDeliveries({ ids: ["a", "nope"] }, 2500)).toEqual(["a"]);
      expect(await a.getWebhookDelivery("a")).toMatchObject({
        status: "pending",
        attempts: 0,
        nextAttemptAt: 2500,
        finishedAt: null,
        totalAttempts: 1,
      });
      expect((await b.replayWebhookDeliveries({ since: 1500, registrationIds: ["r1"] }, 2600)).sort()).toEqual(["b", "c"]);
      expect(await b.replayWebhookDeliveries({ since: 0, registrationIds: ["other"] }, 2600)).toEqual([]);
      expect(await b.killWebhookDeliveries("r1", "registration disabled", 2700)).toBe(3);
      expect(await a.getWebhookDelivery("c")).toMatchObject({ status: "dead", lastError: "registration disabled", finishedAt: 2700 });
      expect((await a.countWebhookDeliveries()).dead).toBe(3);
    });

    it("keeps batch items until they are flushed into one delivery, flushed once when both instances flush them", async () => {
      const { a, b } = s;
      const item = (n: number) => ({ registrationId: "r1", eventId: `e${n}`, eventType: "test" });
      const event = (n: number) => ({ id: `e${n}`, eventType: "test", envelope: `{"n":${n}}` });
      await a.enqueueWebhookEvent({ events: [event(1), event(2)], deliveries: [], batchItems: [item(1), item(2)] }, 100);
      await b.enqueueWebhookEvent({ events: [event(3), event(1)], deliveries: [], batchItems: [item(3), item(1)] }, 200);
      expect(await a.webhookBatchStats()).toEqual([{ registrationId: "r1", count: 3, oldestAt: 100 }]);
      const seenByA = await a.listWebhookBatchItems("r1", 2);
      const seenByB = await b.listWebhookBatchItems("r1", 2);
      expect(seenByB).toEqual(seenByA);
      expect(seenByA.map((i) => [i.eventId, i.envelope, i.createdAt])).toEqual([
        ["e1", '{"n":1}', 100],
        ["e2", '{"n":2}', 100],
      ]);
      const batch = (id: string) => delivery(id, { eventIds: ["e2", "e1"], body: null });
      const flushed = await Promise.all([
        a.flushWebhookBatch(seenByA, batch("batch-a"), 300),
        b.flushWebhookBatch(seenByB, batch("batch-b"), 300),
      ]);
      expect(flushed.filter(Boolean)).toHaveLength(1);
      expect(await b.webhookBatchStats()).toEqual([{ registrationId: "r1", count: 1, oldestAt: 200 }]);
      const [sent] = await b.listWebhookDeliveries({});
      expect(sent).toMatchObject({
        id: flushed[0] ? "batch-a" : "batch-b",
        eventIds: ["e2", "e1"],
        envelopes: '[{"n":2},{"n":1}]',
        status: "pending",
      });
      expect(await a.listWebhookBatchItems("none", 10)).toEqual([]);
    });

    it("persists registration state and circuits, and prunes old delivered history but keeps dead letters", async () => {
      const { a, b } = s;
      expect(await a.getWebhookRegistrationState("r1")).toBeUndefined();
      await a.setWebhookRegistrationDisabled("r1", "410 Gone", 50);
      expect(await b.getWebhookRegistrationState("r1")).toEqual({ id: "r1", disabledAt: 50, disabledReason: "410 Gone" });
      await b.setWebhookRegistrationDisabled("r1", null, 60);
      expect(await a.getWebhookRegistrationState("r1")).toEqual({ id: "r1", disabledAt: null, disabledReason: null });
      await a.saveWebhookCircuit({ endpointKey: "k", consecutiveFailures: 5, openUntil: 9000 }, 1);
      await b.saveWebhookCircuit({ endpointKey: "k", consecutiveFailures: 6, openUntil: 9500 }, 2);
      await b.saveWebhookCircuit({ endpointKey: "j", consecutiveFailures: 0, openUntil: null }, 2);
      expect((await a.listWebhookCircuits()).sort((x, y) => x.endpointKey.localeCompare(y.endpointKey))).toEqual([
        { endpointKey: "j", consecutiveFailures: 0, openUntil: null },
        { endpointKey: "k", consecutiveFailures: 6, openUntil: 9500 },
      ]);

      await enqueue(a, [delivery("old"), delivery("new"), delivery("dead")], 0);
      for (const d of await a.claimWebhookDeliveries(["r1"], 1000, 3)) {
        await a.recordWebhookAttempt(
          result(d.id, { status: d.id === "dead" ? "dead" : "delivered", attemptedAt: d.id === "new" ? 5000 : 1000 }),
        );
      }
      expect(await b.pruneWebhookHistory(2000)).toBe(1);
      expect(await a.getWebhookDelivery("old")).toBeUndefined();
      expect(await a.getWebhookDelivery("dead")).toBeDefined();
      expect(await a.listWebhookAttempts({ deliveryId: "old" })).toEqual([]);
      expect((await s.sql<{ id: string }>("SELECT id FROM webhook_events ORDER BY id")).map((r) => r.id)).toEqual(["e-dead", "e-new"]);
    });
  });

  describe("retention", () => {
    const NOW = Date.now();
    const BEFORE = NOW - 30 * DAY;
    const OLD = BEFORE - DAY;
    const YOUNG = BEFORE + DAY;

    async function job(status: "queued" | "running" | "done" | "dead", updatedAt: number): Promise<number> {
      const id = (await s.a.enqueueJob({ type: "t", payload: status }))!;
      await s.sql("UPDATE jobs SET status = ?, updated_at = ?, created_at = ? WHERE id = ?", status, updatedAt, updatedAt, id);
      return id;
    }
    const jobIds = async () => (await s.sql<{ id: number }>("SELECT id FROM jobs ORDER BY id")).map((r) => Number(r.id));

    it("deletes done and dead jobs older than the period in batches of at most the limit, oldest first; keeps queued, running and recent ones", async () => {
      const old = [await job("done", OLD - 2), await job("dead", OLD - 1), await job("done", OLD)];
      const keep = [await job("done", YOUNG), await job("dead", YOUNG), await job("queued", OLD), await job("running", OLD)];
      expect(await s.b.pruneJobs(BEFORE, 2)).toBe(2);
      expect(await jobIds()).toEqual([old[2], ...keep]);
      expect(await s.b.pruneJobs(BEFORE, 2)).toBe(1);
      expect(await s.b.pruneJobs(BEFORE, 2)).toBe(0);
      expect(await jobIds()).toEqual(keep);
    });

    /** Stores deliveries at `at`, then gives each the outcome named by its id's prefix. */
    async function deliveries(at: number, ...ids: string[]): Promise<void> {
      await enqueue(
        s.a,
        ids.map((id) => delivery(id, { nextAttemptAt: 0 })),
        at,
      );
      for (const d of await s.a.claimWebhookDeliveries(["r1"], at, 10_000)) {
        if (d.id.startsWith("pending"))
          await s.a.recordWebhookAttempt(result(d.id, { status: "failed", statusCode: 500, nextAttemptAt: NOW + MIN, attemptedAt: at }));
        else if (!d.id.startsWith("inflight"))
          await s.a.recordWebhookAttempt(result(d.id, { status: d.id.startsWith("dead") ? "dead" : "delivered", attemptedAt: at }));
      }
    }
    const deliveryIds = async () => (await s.sql<{ id: string }>("SELECT id FROM webhook_deliveries ORDER BY id")).map((r) => r.id);
    const eventIds = async () => (await s.sql<{ id: string }>("SELECT id FROM webhook_events ORDER BY id")).map((r) => r.id);
    const attemptsOf = async (id: string) => (await s.b.listWebhookAttempts({ deliveryId: id })).length;

    it("deletes finished deliveries with their attempts, then the events nothing refers to; keeps pending, in-flight, recent and batched ones", async () => {
      await deliveries(OLD, "delivered-old", "dead-old", "pending-old", "inflight-old");
      await deliveries(YOUNG, "delivered-young", "dead-young");
      expect(await s.b.pruneWebhookDeliveries(BEFORE, 500)).toBe(2);
      expect(await deliveryIds()).toEqual(["dead-young", "delivered-young", "inflight-old", "pending-old"]);
      expect([await attemptsOf("delivered-old"), await attemptsOf("dead-old"), await attemptsOf("pending-old")]).toEqual([0, 0, 1]);
      await s.a.enqueueWebhookEvent(
        {
          events: [{ id: "e-batched", eventType: "test", envelope: "{}" }],
          deliveries: [],
          batchItems: [{ registrationId: "r1", eventId: "e-batched", eventType: "test" }],
        },
        OLD,
      );
      expect(await s.b.pruneWebhookEvents(BEFORE, 500)).toBe(2);
      expect(await eventIds()).toEqual(["e-batched", "e-dead-young", "e-delivered-young", "e-inflight-old", "e-pending-old"]);
    });

    it("keeps every event of a batch delivery, not only its first", async () => {
      const events = ["b1", "b2", "b3", "lone"].map((id) => ({ id, eventType: "test", envelope: "{}" }));
      await s.a.enqueueWebhookEvent(
        { events, deliveries: [], batchItems: ["b1", "b2", "b3"].map((eventId) => ({ registrationId: "r1", eventId, eventType: "test" })) },
        OLD,
      );
      const items = await s.a.listWebhookBatchItems("r1", 10);
      await s.a.flushWebhookBatch(items, delivery("batch", { eventIds: ["b1", "b2", "b3"] }), OLD);
      expect(await s.b.pruneWebhookEvents(BEFORE, 500)).toBe(1);
      expect(await eventIds()).toEqual(["b1", "b2", "b3"]);
    });

    it("deletes old attempts of delivered deliveries only: a dead letter and a pending delivery keep their log", async () => {
      await deliveries(OLD, "pending-a", "dead-a", "delivered-a");
      await s.sql("UPDATE webhook_deliveries SET finished_at = ? WHERE id IN ('dead-a', 'delivered-a')", YOUNG);
      expect(await s.b.pruneWebhookDeliveries(BEFORE, 500)).toBe(0);
      expect(await s.b.pruneWebhookAttempts(BEFORE, 500)).toBe(1);
      expect([await attemptsOf("pending-a"), await attemptsOf("dead-a"), await attemptsOf("delivered-a")]).toEqual([1, 1, 0]);
    });

    it("deletes shown items of closed pull requests last shown before the period; keeps open pull requests' and recent ones", async () => {
      const item = (fingerprint: string, prNumber: number) => ({ fingerprint, prNumber, author: "alice", item: { rule: "r" } });
      const shownAt = (fingerprint: string, at: number) =>
        s.sql("UPDATE shown_items SET created_at = ? WHERE fingerprint = ?", at, fingerprint);
      await s.a.saveShownItems("o/r", [item("closed-old", 1), item("closed-young", 1), item("open-old", 2)]);
      await s.a.saveShownItems("o/other", [item("same-number-old", 2)]);
      await s.a.saveOpenPullResources("o/r", { prNumber: 2, author: "alice", headSha: "abc", url: "u", title: "t", resources: [] });
      await shownAt("closed-old", OLD);
      await shownAt("closed-young", YOUNG);
      await shownAt("open-old", OLD);
      await shownAt("same-number-old", OLD);
      expect(await s.b.pruneShownItems(BEFORE, 500)).toBe(2);
      expect((await s.a.findShownItems("o/r", "", 10)).map((i) => i.fingerprint)).toEqual(["closed-young", "open-old"]);
      expect(await s.a.findShownItems("o/other", "", 10)).toEqual([]);
      await s.a.deleteOpenPullResources("o/r", 2);
      expect(await s.b.pruneShownItems(BEFORE, 500)).toBe(1);
      // Showing an item again counts from then.
      await s.a.saveShownItems("o/r", [item("closed-young", 1)]);
      expect(await s.b.pruneShownItems(YOUNG + 1, 500)).toBe(0);
    });
  });

  describe("operator commands", () => {
    it("gets a job, lists the most recently updated first with filters, and replays only dead jobs with a fresh budget", async () => {
      const { a, b } = s;
      const x = (await a.enqueueJob({ type: "review", payload: { n: 1 } }))!;
      const y = (await a.enqueueJob({ type: "command", payload: { n: 2 } }))!;
      const z = (await a.enqueueJob({ type: "review", payload: { n: 3 } }))!;
      const set = (id: number, status: string, updatedAt: number, attempts = 6) =>
        s.sql(
          "UPDATE jobs SET status = ?, updated_at = ?, attempts = ?, last_error = 'boom' WHERE id = ?",
          status,
          updatedAt,
          attempts,
          id,
        );
      await set(x, "dead", 1_000);
      await set(y, "done", 3_000, 1);
      await set(z, "dead", 2_000);
      expect(await b.getJob(x)).toMatchObject({ id: x, type: "review", status: "dead", payload: { n: 1 } });
      expect(await b.getJob(999)).toBeUndefined();
      expect((await b.listRecentJobs({})).map((j) => j.id)).toEqual([y, z, x]);
      expect((await b.listRecentJobs({ status: "dead" })).map((j) => j.id)).toEqual([z, x]);
      expect((await b.listRecentJobs({ type: "review", since: 1_500 })).map((j) => j.id)).toEqual([z]);
      expect((await b.listRecentJobs({ limit: 1 })).map((j) => j.id)).toEqual([y]);
      expect(await b.replayDeadJobs({ ids: [x, y, 999] }, 5_000)).toEqual([x]);
      expect(await a.getJob(x)).toMatchObject({ status: "queued", attempts: 0, runAt: 5_000, lastError: "boom" });
      expect(await a.getJob(y)).toMatchObject({ status: "done" });
      await set(x, "dead", 1_000);
      expect(await b.replayDeadJobs({ since: 1_500 }, 6_000)).toEqual([z]);
      expect(await b.replayDeadJobs({ since: 1_500 }, 6_000)).toEqual([]);
      expect(await b.replayDeadJobs({}, 7_000)).toEqual([x]);
      expect((await a.claimJob(7_000))?.id).toBe(z);
    });

    it("replays dead webhook deliveries by id or since a time, never those of a disabled webhook", async () => {
      const { a, b } = s;
      const now = 10_000;
      await a.enqueueWebhookEvent(
        {
          events: ["e1", "e2", "e3", "e4"].map((id) => ({ id, eventType: "test", envelope: "{}" })),
          deliveries: [
            delivery("m1", { eventIds: ["e1"], status: "dead", error: "HTTP 500" }),
            delivery("m2", { eventIds: ["e2"], status: "dead", error: "HTTP 500", registrationId: "wh_gone" }),
            delivery("m3", { eventIds: ["e3"], status: "dead", error: "HTTP 500", registrationId: "wh_other" }),
            delivery("m4", { eventIds: ["e4"] }),
          ],
          batchItems: [],
        },
        now,
      );
      await a.setWebhookRegistrationDisabled("wh_gone", "410 Gone", now);
      await s.sql("UPDATE webhook_deliveries SET finished_at = 1000 WHERE id = 'm3'");
      expect(await b.replayDeadWebhookDeliveries({ ids: ["m2", "m4", "nope"] }, now)).toEqual({
        replayed: [],
        disabled: [{ id: "m2", registrationId: "wh_gone", reason: "410 Gone" }],
      });
      expect(await b.replayDeadWebhookDeliveries({ since: 5_000, registrationId: "wh_other" }, now)).toEqual({
        replayed: [],
        disabled: [],
      });
      expect(await b.replayDeadWebhookDeliveries({ since: 5_000 }, now + 1)).toEqual({
        replayed: ["m1"],
        disabled: [{ id: "m2", registrationId: "wh_gone", reason: "410 Gone" }],
      });
      expect(await a.getWebhookDelivery("m1")).toMatchObject({ status: "pending", attempts: 0, nextAttemptAt: now + 1, finishedAt: null });
      expect(await a.getWebhookDelivery("m2")).toMatchObject({ status: "dead" });
      expect((await b.replayDeadWebhookDeliveries({}, now + 2)).replayed).toEqual(["m3"]);
      await a.setWebhookRegistrationDisabled("wh_gone", null, now);
      expect(await b.replayDeadWebhookDeliveries({ ids: ["m2"] }, now + 3)).toEqual({ replayed: ["m2"], disabled: [] });
    });
  });

  describe("data deletion", () => {
    const envelope = (id: string, type: string, data: Record<string, unknown>) =>
      JSON.stringify({ id, event_type: type, timestamp: "2025-01-01T00:00:00Z", data });
    const TABLES = [
      "jobs",
      "reviews",
      "posted_findings",
      "summaries",
      "prediction_issues",
      "trust",
      "patterns",
      "webhook_events",
      "webhook_deliveries",
      "webhook_batch_items",
      "webhook_attempts",
      "webhook_dedupe",
      "shown_items",
      "feedback_log",
      "suppressed_findings",
      "transformation_issues",
      "open_pull_resources",
      "coordination_done",
      "rate_slots",
      "review_results",
      "issue_policies",
    ];
    const count = async (table: string, where = "1 = 1", ...args: unknown[]) =>
      Number((await s.sql<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`, ...args))[0].n);
    const census = async () => Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await count(t)] as const)));

    /** Everything the app stores about one pull request of `repo` by `author`, through the store's own methods (half on each instance). */
    async function seedPullRequest(repo: string, author: string, pr: number, marker: string): Promise<void> {
      const [owner, name] = repo.split("/");
      const [st, other] = pr % 2 ? [s.a, s.b] : [s.b, s.a];
      await st.saveReview(repo, pr, `sha-${pr}`, 77);
      await st.saveSummary(repo, pr, { commentId: 5, lastFingerprints: [`fp-${marker}`], lastSha: `sha-${pr}` });
      await st.savePostedFindings(repo, pr, [{ fingerprint: `fp-${marker}`, path: "a.js", line: 1, commitSha: `sha-${pr}` }]);
      await st.saveShownItems(repo, [{ fingerprint: `fp-${marker}`, prNumber: pr, author, item: { message: `finding ${marker}` } }]);
      await st.saveFeedback({
        repo,
        key: `issue:${pr}`,
        outcome: "rejected",
        userId: author,
        createdAt: Date.now(),
        trust: newTrustRecord(author, repo),
        events: [],
      });
      await other.savePattern({ ...newPattern(repo, "js/sql-injection"), name: `pattern ${marker}` });
      await other.suppressFinding(repo, `fp-${marker}`, author);
      await other.savePredictionIssue(repo, `fp-${marker}`, 12);
      await other.saveTransformationIssue(repo, "js/sql-injection", 13);
      await st.saveReviewResult(repo, pr, reviewResult({ headSha: `sha-${pr}`, summary: `summary ${marker}` }));
      await other.saveIssuePolicy(repo, { enabled: true, installationId: 1 });
      await other.saveOpenPullResources(repo, {
        prNumber: pr,
        author,
        headSha: `sha-${pr}`,
        url: `https://github.com/${repo}/pull/${pr}`,
        title: `title ${marker}`,
        resources: [],
      });
      await other.markCoordinationDone(repo, `conflict:${pr}:${pr + 1}:table:orders`);
      await st.claimRateSlot(`forced-review:${repo}#${pr}`, "c1", Date.now(), 1000);
      await st.claimRateSlot(`help:${repo}#${pr}:${author.toLowerCase()}`, "c2", Date.now(), 1000);
      await st.enqueueJob({
        type: "review",
        payload: {
          installationId: 1,
          owner,
          repo: name,
          pullNumber: pr,
          headSha: `sha-${pr}`,
          deliveryId: `d-${marker}`,
          action: "opened",
        },
      });
      await st.enqueueJob({
        type: "command",
        payload: {
          installationId: 1,
          owner,
          repo: name,
          pullNumber: pr,
          commentId: 1,
          author: "reviewer-x",
          prAuthor: author,
          body: "/empathy explain",
          deliveryId: `c-${marker}`,
        },
      });
      const ev1 = `ev-${marker}-1`;
      const ev2 = `ev-${marker}-2`;
      await other.enqueueWebhookEvent(
        {
          events: [
            {
              id: ev1,
              eventType: "level_4_prediction",
              envelope: envelope(ev1, "level_4_prediction", {
                user_id: author,
                repo,
                pr_number: pr,
                prediction: `prediction ${marker}`,
                fingerprint: `fp-${marker}`,
              }),
            },
            {
              id: ev2,
              eventType: "trust_decreased",
              envelope: envelope(ev2, "trust_decreased", { user_id: author, repo, old_trust: 0.5, new_trust: 0.4, delta: -0.1 }),
            },
          ],
          deliveries: [
            delivery(`msg-${marker}-1`, {
              eventIds: [ev1],
              body: null,
              registrationId: "wh_1",
              nextAttemptAt: 0,
              dedupeKey: `level_4_prediction:${repo}:fp-${marker}`,
            }),
            delivery(`msg-${marker}-2`, {
              eventIds: [ev2],
              body: null,
              registrationId: "wh_1",
              nextAttemptAt: 0,
              status: "dead",
              error: `dead ${marker}`,
            }),
          ],
          batchItems: [{ registrationId: "wh_batch", eventId: ev1, eventType: "level_4_prediction" }],
        },
        Date.now(),
      );
    }

    beforeEach(async () => {
      await seedPullRequest("Octo-Org/Shop", "Alice", 1, "SHOPALICEMARKER");
      await seedPullRequest("octo-org/shop", "bob", 2, "SHOPBOBMARKER");
      await seedPullRequest("octo-org/shop-admin", "alice", 3, "ADMINALICEMARKER");
      await seedPullRequest("other/repo", "carol", 4, "OTHERCAROLMARKER");
    });

    it("a dry run counts without changing anything", async () => {
      const before = await census();
      const counts = await s.b.deleteRepositoryData("octo-org/shop", { dryRun: true });
      expect(counts.find((c) => c.table === "reviews")).toMatchObject({ count: 2, action: "deleted" });
      expect(counts.find((c) => c.table === "jobs")).toMatchObject({ count: 4 });
      expect(await census()).toEqual(before);
      const byUser = await s.b.deleteUserData("alice", { dryRun: true });
      expect(byUser.find((c) => c.table === "suppressed_findings")).toMatchObject({ count: 2, action: "anonymised" });
      expect(await census()).toEqual(before);
    });

    it("deletes everything about a repository, matched without regard to case, and nothing of another", async () => {
      const before = await census();
      const counts = await s.b.deleteRepositoryData("OCTO-ORG/shop");
      const n = (table: string) => counts.filter((c) => c.table === table).reduce((x, c) => x + c.count, 0);
      for (const table of [
        "reviews",
        "summaries",
        "posted_findings",
        "shown_items",
        "feedback_log",
        "suppressed_findings",
        "trust",
        "open_pull_resources",
        "coordination_done",
        "prediction_issues",
        "patterns",
        "transformation_issues",
        "webhook_attempts",
        "webhook_batch_items",
        "webhook_dedupe",
        "review_results",
        "issue_policies",
      ]) {
        expect([table, n(table)]).toEqual([table, 2]);
      }
      expect(n("rate_slots")).toBe(4);
      expect(n("jobs")).toBe(4);
      expect(n("webhook_events")).toBe(4);
      expect(n("webhook_deliveries")).toBe(4);
      const after = await census();
      for (const [table, rows] of Object.entries(before)) expect([table, after[table]]).toEqual([table, rows - n(table)]);
      expect(await count("reviews", "lower(repo) = 'octo-org/shop'")).toBe(0);
      expect(await count("reviews", "repo = 'octo-org/shop-admin'")).toBe(1);
      expect(await count("jobs", "payload LIKE '%shop-admin%'")).toBe(2);
      expect(await count("webhook_events", "envelope LIKE '%other/repo%'")).toBe(2);
      expect((await s.a.deleteRepositoryData("octo-org/shop")).every((c) => c.count === 0)).toBe(true);
    });

    it("deletes a person's data in every repository, keeps their dismissals without their name, and leaves other people's", async () => {
      const counts = await s.a.deleteUserData("@ALICE");
      const n = (table: string) => counts.filter((c) => c.table === table).reduce((x, c) => x + c.count, 0);
      expect(n("trust")).toBe(2);
      expect(n("feedback_log")).toBe(2);
      expect(n("shown_items")).toBe(2);
      expect(n("open_pull_resources")).toBe(2);
      expect(n("rate_slots")).toBe(2);
      expect(n("jobs")).toBe(2);
      expect(n("webhook_events")).toBe(4);
      expect(n("webhook_deliveries")).toBe(4);
      expect(counts.find((c) => c.table === "suppressed_findings")).toMatchObject({ count: 2, action: "anonymised" });
      expect(await count("suppressed_findings", "user_id = '(deleted user)'")).toBe(2);
      expect(await count("suppressed_findings")).toBe(4);
      expect(await count("trust", "lower(user_id) = 'alice'")).toBe(0);
      expect(await count("trust", "user_id IN ('bob', 'carol')")).toBe(2);
      expect(await count("shown_items", "author = 'bob'")).toBe(1);
      expect(await count("reviews")).toBe(4);
      expect(await count("open_pull_resources", "title LIKE '%SHOPALICEMARKER%'")).toBe(0);
      expect(await count("open_pull_resources", "title LIKE '%SHOPBOBMARKER%'")).toBe(1);
    });

    it("finds a person only in fields that name people, and refuses names that are not a repository or a login", async () => {
      await s.a.enqueueJob({
        type: "coordination",
        payload: { owner: "o", repo: "r", baseRef: "main", author: "someone", paths: ["main"] },
      });
      await s.a.enqueueJob({
        type: "handoff",
        payload: { kind: "review_requested", owner: "o", repo: "r", reviewer: "@main", requester: "x" },
      });
      const counts = await s.b.deleteUserData("main");
      expect(counts.find((c) => c.table === "jobs")?.count).toBe(1);
      expect(await count("jobs", "payload LIKE '%baseRef%'")).toBe(1);
      await expect(s.a.deleteRepositoryData("shop")).rejects.toThrow(/not a repository name/);
      await expect(s.a.deleteUserData("a b")).rejects.toThrow(/not a GitHub login/);
    });
  });
});
