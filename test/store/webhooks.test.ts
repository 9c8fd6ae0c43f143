/** The webhook tables of the store (migration 2): outbox, attempts, batches, registration state, circuits. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrations } from "../../src/store/migrations.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import type { NewWebhookDelivery, NewWebhookEvent } from "../../src/store/store.js";

const delivery = (id: string, over: Partial<NewWebhookDelivery> = {}): NewWebhookDelivery => ({
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
const eventsOf = (...ds: NewWebhookDelivery[]): NewWebhookEvent[] =>
  [...new Set(ds.flatMap((d) => d.eventIds))].map((id) => ({ id, eventType: "test", envelope: JSON.stringify({ id }) }));

describe("SqliteStore webhooks", () => {
  let s: SqliteStore;
  beforeEach(() => {
    s = new SqliteStore(":memory:");
  });
  afterEach(() => s.close());

  it("adds the later migrations on top of an existing version 1 database", async () => {
    const dir = mkdtempSync(join(tmpdir(), "empathy-mig-"));
    try {
      const path = join(dir, "db.sqlite");
      // Build a version-1 database by hand, then open it with the current code.
      const Database = (await import("better-sqlite3")).default;
      const db = new Database(path);
      db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
      db.exec(migrations[0].sql);
      db.prepare("INSERT INTO schema_migrations VALUES (1, 'initial', 0)").run();
      db.prepare("INSERT INTO jobs (type, payload, run_at, created_at, updated_at) VALUES ('t', '{}', 0, 0, 0)").run();
      db.close();
      const upgraded = new SqliteStore(path);
      expect(upgraded.schemaVersion()).toBe(migrations[migrations.length - 1].version);
      expect((await upgraded.countJobs()).queued).toBe(1);
      expect(await upgraded.countWebhookDeliveries()).toEqual({ pending: 0, in_flight: 0, delivered: 0, dead: 0 });
      await upgraded.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("enqueues once per delivery id, stores each event once, and claims due deliveries of the given registrations, oldest first", async () => {
    await s.enqueueWebhookEvent(
      {
        events: eventsOf(delivery("a", { nextAttemptAt: 900 }), delivery("b"), delivery("c", { registrationId: "r2" })),
        deliveries: [delivery("a", { nextAttemptAt: 900 }), delivery("b"), delivery("c", { registrationId: "r2" })],
        batchItems: [],
      },
      800,
    );
    await s.enqueueWebhookEvent({ events: eventsOf(delivery("a")), deliveries: [delivery("a")], batchItems: [] }, 800); // the same id again: ignored
    await s.enqueueWebhookEvent(
      { events: eventsOf(delivery("later")), deliveries: [delivery("later", { nextAttemptAt: 5000 })], batchItems: [] },
      800,
    );
    expect((await s.countWebhookDeliveries()).pending).toBe(4);
    const claimed = await s.claimWebhookDeliveries(["r1"], 1000, 10);
    expect(claimed.map((d) => [d.id, d.status, d.attempts, d.totalAttempts])).toEqual([
      ["a", "in_flight", 1, 1],
      ["b", "in_flight", 1, 1],
    ]);
    expect(await s.claimWebhookDeliveries(["r1"], 1000, 10)).toEqual([]);
    expect(await s.nextWebhookDeliveryAt(["r1"])).toBe(5000);
    expect(await s.nextWebhookDeliveryAt(["r2"])).toBe(1000);
    expect(await s.claimWebhookDeliveries(["r1", "r2"], 1000, 1)).toHaveLength(1);
  });

  it("records attempts and moves deliveries to pending, delivered or dead; lists attempts newest first with filters", async () => {
    await s.enqueueWebhookEvent(
      { events: eventsOf(delivery("a"), delivery("b")), deliveries: [delivery("a"), delivery("b")], batchItems: [] },
      1000,
    );
    const [a, b] = await s.claimWebhookDeliveries(["r1"], 1000, 2);
    await s.recordWebhookAttempt({
      deliveryId: a.id,
      status: "failed",
      statusCode: 500,
      durationMs: 12.4,
      error: "HTTP 500",
      responseExcerpt: "no",
      nextAttemptAt: 3000,
      attemptedAt: 1001,
    });
    await s.recordWebhookAttempt({
      deliveryId: b.id,
      status: "dead",
      statusCode: 404,
      durationMs: 3,
      error: "HTTP 404",
      responseExcerpt: null,
      nextAttemptAt: null,
      attemptedAt: 1002,
    });
    expect(await s.getWebhookDelivery("a")).toMatchObject({
      status: "pending",
      nextAttemptAt: 3000,
      lastStatusCode: 500,
      lastError: "HTTP 500",
      finishedAt: null,
    });
    expect(await s.getWebhookDelivery("b")).toMatchObject({ status: "dead", finishedAt: 1002 });
    const [again] = await s.claimWebhookDeliveries(["r1"], 3000, 5);
    expect(again).toMatchObject({ id: "a", attempts: 2, totalAttempts: 2 });
    await s.recordWebhookAttempt({
      deliveryId: "a",
      status: "delivered",
      statusCode: 200,
      durationMs: 4,
      error: null,
      responseExcerpt: "ok",
      nextAttemptAt: null,
      attemptedAt: 3001,
    });
    const attempts = await s.listWebhookAttempts({});
    expect(attempts.map((x) => [x.deliveryId, x.attempt, x.status, x.statusCode, x.durationMs])).toEqual([
      ["a", 2, "delivered", 200, 4],
      ["b", 1, "dead", 404, 3],
      ["a", 1, "failed", 500, 12],
    ]);
    expect(attempts[2]).toMatchObject({ nextAttemptAt: 3000, responseExcerpt: "no", registrationId: "r1", eventType: "test" });
    expect(await s.listWebhookAttempts({ status: "dead" })).toHaveLength(1);
    expect(await s.listWebhookAttempts({ since: 3000 })).toHaveLength(1);
    expect(await s.listWebhookAttempts({ eventType: "other" })).toHaveLength(0);
    expect(await s.listWebhookAttempts({ limit: 2 })).toHaveLength(2);
    expect(await s.countWebhookDeliveries()).toEqual({ pending: 0, in_flight: 0, delivered: 1, dead: 1 });
  });

  it("writes a delivery dead on arrival with its error as attempt 1", async () => {
    await s.enqueueWebhookEvent(
      {
        events: eventsOf(delivery("x", { status: "dead", body: null, error: "payload template: missing field" })),
        deliveries: [delivery("x", { status: "dead", body: null, error: "payload template: missing field" })],
        batchItems: [],
      },
      10,
    );
    expect(await s.getWebhookDelivery("x")).toMatchObject({
      status: "dead",
      totalAttempts: 1,
      lastError: "payload template: missing field",
    });
    expect(await s.listWebhookAttempts({})).toEqual([
      expect.objectContaining({ deliveryId: "x", attempt: 1, status: "dead", error: "payload template: missing field", statusCode: null }),
    ]);
  });

  it("requeues in-flight deliveries whose lease expired, releases one without counting it, and replays dead letters", async () => {
    await s.enqueueWebhookEvent(
      {
        events: eventsOf(delivery("a"), delivery("b"), delivery("c")),
        deliveries: [delivery("a"), delivery("b"), delivery("c")],
        batchItems: [],
      },
      1000,
    );
    await s.claimWebhookDeliveries(["r1"], 1000, 3, { owner: "dead", expiresAt: 1150 });
    await s.releaseWebhookDelivery("a", 1100);
    expect(await s.getWebhookDelivery("a")).toMatchObject({ status: "pending", attempts: 0, totalAttempts: 0 });
    expect(await s.reclaimExpiredWebhookDeliveries(1140)).toBe(0); // leases still live
    expect(await s.reclaimExpiredWebhookDeliveries(1200)).toBe(2);
    // The interrupted attempt (no result ever recorded) is not counted, as with a release.
    expect(await s.getWebhookDelivery("b")).toMatchObject({ status: "pending", attempts: 0, totalAttempts: 0 });
    const claimed = await s.claimWebhookDeliveries(["r1"], 1200, 3);
    for (const d of claimed) {
      await s.recordWebhookAttempt({
        deliveryId: d.id,
        status: "dead",
        statusCode: 400,
        durationMs: 1,
        error: "HTTP 400",
        responseExcerpt: null,
        nextAttemptAt: null,
        attemptedAt: d.id === "a" ? 1300 : 2000,
      });
    }
    expect(await s.replayWebhookDeliveries({ ids: ["a"] }, 2500)).toEqual(["a"]);
    expect(await s.getWebhookDelivery("a")).toMatchObject({ status: "pending", attempts: 0, nextAttemptAt: 2500, finishedAt: null });
    expect((await s.replayWebhookDeliveries({ since: 1500, registrationIds: ["r1"] }, 2600)).sort()).toEqual(["b", "c"]);
    expect(await s.replayWebhookDeliveries({ since: 0, registrationIds: ["other"] }, 2600)).toEqual([]);
    expect(await s.killWebhookDeliveries("r1", "registration disabled", 2700)).toBe(3);
    expect((await s.countWebhookDeliveries()).dead).toBe(3);
  });

  it("keeps batch items until they are flushed into one delivery", async () => {
    const item = (n: number) => ({ registrationId: "r1", eventId: `e${n}`, eventType: "test" });
    const event = (n: number) => ({ id: `e${n}`, eventType: "test", envelope: `{"n":${n}}` });
    await s.enqueueWebhookEvent({ events: [event(1), event(2)], deliveries: [], batchItems: [item(1), item(2)] }, 100);
    await s.enqueueWebhookEvent({ events: [event(3), event(1)], deliveries: [], batchItems: [item(3), item(1)] }, 200);
    expect(await s.webhookBatchStats()).toEqual([{ registrationId: "r1", count: 3, oldestAt: 100 }]);
    const items = await s.listWebhookBatchItems("r1", 2);
    expect(items.map((i) => [i.eventId, i.envelope])).toEqual([
      ["e1", '{"n":1}'],
      ["e2", '{"n":2}'],
    ]);
    await s.flushWebhookBatch(items, delivery("batch", { eventIds: ["e1", "e2"] }), 300);
    expect(await s.webhookBatchStats()).toEqual([{ registrationId: "r1", count: 1, oldestAt: 200 }]);
    expect(await s.getWebhookDelivery("batch")).toMatchObject({
      eventIds: ["e1", "e2"],
      envelopes: '[{"n":1},{"n":2}]',
      status: "pending",
    });
  });

  it("persists registration state and circuits, and prunes old delivered history", async () => {
    expect(await s.getWebhookRegistrationState("r1")).toBeUndefined();
    await s.setWebhookRegistrationDisabled("r1", "410 Gone", 50);
    expect(await s.getWebhookRegistrationState("r1")).toEqual({ id: "r1", disabledAt: 50, disabledReason: "410 Gone" });
    await s.setWebhookRegistrationDisabled("r1", null, 60);
    expect(await s.getWebhookRegistrationState("r1")).toEqual({ id: "r1", disabledAt: null, disabledReason: null });
    await s.saveWebhookCircuit({ endpointKey: "k", consecutiveFailures: 5, openUntil: 9000 }, 1);
    await s.saveWebhookCircuit({ endpointKey: "k", consecutiveFailures: 6, openUntil: 9500 }, 2);
    expect(await s.listWebhookCircuits()).toEqual([{ endpointKey: "k", consecutiveFailures: 6, openUntil: 9500 }]);

    await s.enqueueWebhookEvent(
      {
        events: eventsOf(delivery("old"), delivery("new"), delivery("dead")),
        deliveries: [delivery("old"), delivery("new"), delivery("dead")],
        batchItems: [],
      },
      0,
    );
    for (const d of await s.claimWebhookDeliveries(["r1"], 1000, 3)) {
      const dead = d.id === "dead";
      await s.recordWebhookAttempt({
        deliveryId: d.id,
        status: dead ? "dead" : "delivered",
        statusCode: 200,
        durationMs: 1,
        error: null,
        responseExcerpt: null,
        nextAttemptAt: null,
        attemptedAt: d.id === "new" ? 5000 : 1000,
      });
    }
    expect(await s.pruneWebhookHistory(2000)).toBe(1);
    expect(await s.getWebhookDelivery("old")).toBeUndefined();
    expect(await s.getWebhookDelivery("dead")).toBeDefined(); // dead letters are kept for replay
    expect(await s.listWebhookAttempts({ deliveryId: "old" })).toEqual([]);
    expect(s.db.prepare("SELECT id FROM webhook_events ORDER BY id").all()).toEqual([{ id: "e-dead" }, { id: "e-new" }]);
  });
});
