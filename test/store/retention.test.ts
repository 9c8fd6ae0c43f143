/** The store's retention deletes (migration 7): only what is old and finished goes, in bounded batches. */
import { SqliteStore } from "../../src/store/sqlite/index.js";
import type { NewWebhookDelivery } from "../../src/store/store.js";

const DAY = 24 * 60 * 60_000;
const NOW = Date.now();
const BEFORE = NOW - 30 * DAY;
const OLD = BEFORE - DAY;
const YOUNG = BEFORE + DAY;

const delivery = (id: string, over: Partial<NewWebhookDelivery> = {}): NewWebhookDelivery => ({
  id,
  registrationId: "r1",
  eventType: "test",
  eventIds: [`e-${id}`],
  body: "{}",
  status: "pending",
  nextAttemptAt: 0,
  ...over,
});

describe("SqliteStore retention", () => {
  let s: SqliteStore;
  beforeEach(() => {
    s = new SqliteStore(":memory:");
  });
  afterEach(() => s.close());

  /** A job in a status, last updated at a time. */
  async function job(status: "queued" | "running" | "done" | "dead", updatedAt: number, payload: unknown = status): Promise<number> {
    const id = (await s.enqueueJob({ type: "t", payload }))!;
    s.db.prepare("UPDATE jobs SET status = ?, updated_at = ?, created_at = ? WHERE id = ?").run(status, updatedAt, updatedAt, id);
    return id;
  }

  const jobIds = () => (s.db.prepare("SELECT id FROM jobs ORDER BY id").all() as { id: number }[]).map((r) => r.id);

  it("deletes done and dead jobs older than the period, and keeps queued, running and recent ones", async () => {
    const oldDone = await job("done", OLD);
    const oldDead = await job("dead", OLD);
    const keep = [await job("done", YOUNG), await job("dead", YOUNG), await job("queued", OLD), await job("running", OLD)];
    expect(await s.pruneJobs(BEFORE, 500)).toBe(2);
    expect(jobIds()).toEqual(keep);
    expect(jobIds()).not.toContain(oldDone);
    expect(jobIds()).not.toContain(oldDead);
    expect(await s.pruneJobs(BEFORE, 500)).toBe(0);
  });

  it("prunes a large table in several batches of at most the limit, oldest first", async () => {
    const insert = s.db.prepare(
      "INSERT INTO jobs (type, payload, status, run_at, created_at, updated_at) VALUES ('t', '{}', 'done', 0, ?, ?)",
    );
    s.db.transaction(() => {
      for (let i = 0; i < 1234; i++) insert.run(OLD - i, OLD - i);
    })();
    const queued = await job("queued", OLD);
    const batches: number[] = [];
    for (let n = await s.pruneJobs(BEFORE, 500); ; n = await s.pruneJobs(BEFORE, 500)) {
      batches.push(n);
      if (n < 500) break;
    }
    expect(batches).toEqual([500, 500, 234]);
    expect(jobIds()).toEqual([queued]);
  });

  it("finds each batch by an index, not a table scan", () => {
    const plan = (sql: string) =>
      (s.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(0, 500) as { detail: string }[]).map((r) => r.detail).join(" | ");
    expect(plan("SELECT id FROM jobs WHERE status IN ('done', 'dead') AND updated_at < ? ORDER BY updated_at LIMIT ?")).toMatch(
      /USING (COVERING )?INDEX jobs_finished/,
    );
    expect(plan("SELECT rowid FROM shown_items WHERE created_at < ? ORDER BY created_at LIMIT ?")).toMatch(
      /USING (COVERING )?INDEX shown_items_time/,
    );
    expect(plan("SELECT id FROM webhook_events WHERE created_at < ? ORDER BY created_at LIMIT ?")).toMatch(
      /USING (COVERING )?INDEX webhook_events_time/,
    );
  });

  describe("webhook history", () => {
    /** Stores deliveries at `at`, then gives each the outcome named by its id's prefix. */
    async function deliveries(at: number, ...ids: string[]): Promise<void> {
      const ds = ids.map((id) => delivery(id));
      await s.enqueueWebhookEvent(
        { events: ds.map((d) => ({ id: d.eventIds[0], eventType: "test", envelope: "{}" })), deliveries: ds, batchItems: [] },
        at,
      );
      for (const d of await s.claimWebhookDeliveries(["r1"], at, 10_000)) {
        if (d.id.startsWith("pending")) {
          await s.recordWebhookAttempt({
            deliveryId: d.id,
            status: "failed",
            statusCode: 500,
            durationMs: 1,
            error: "500",
            responseExcerpt: null,
            nextAttemptAt: NOW + 60_000,
            attemptedAt: at,
          });
        } else if (!d.id.startsWith("inflight")) {
          const status = d.id.startsWith("dead") ? "dead" : "delivered";
          await s.recordWebhookAttempt({
            deliveryId: d.id,
            status,
            statusCode: 200,
            durationMs: 1,
            error: null,
            responseExcerpt: null,
            nextAttemptAt: null,
            attemptedAt: at,
          });
        }
      }
    }
    const deliveryIds = () => (s.db.prepare("SELECT id FROM webhook_deliveries ORDER BY id").all() as { id: string }[]).map((r) => r.id);
    const eventIds = () => (s.db.prepare("SELECT id FROM webhook_events ORDER BY id").all() as { id: string }[]).map((r) => r.id);
    const attemptsOf = (id: string) =>
      (s.db.prepare("SELECT COUNT(*) AS n FROM webhook_attempts WHERE delivery_id = ?").get(id) as { n: number }).n;

    it("deletes delivered deliveries and dead letters finished before the period, with their attempts; keeps pending, in-flight and recent ones", async () => {
      await deliveries(OLD, "delivered-old", "dead-old", "pending-old", "inflight-old");
      await deliveries(YOUNG, "delivered-young", "dead-young");
      expect(await s.pruneWebhookDeliveries(BEFORE, 500)).toBe(2);
      expect(deliveryIds()).toEqual(["dead-young", "delivered-young", "inflight-old", "pending-old"]);
      expect(attemptsOf("delivered-old")).toBe(0);
      expect(attemptsOf("dead-old")).toBe(0);
      expect(attemptsOf("pending-old")).toBe(1); // a delivery still being retried keeps its log

      // Events go once nothing refers to them; a batch item's event stays too.
      await s.enqueueWebhookEvent(
        {
          events: [{ id: "e-batched", eventType: "test", envelope: "{}" }],
          deliveries: [],
          batchItems: [{ registrationId: "r1", eventId: "e-batched", eventType: "test" }],
        },
        OLD,
      );
      expect(await s.pruneWebhookEvents(BEFORE, 500)).toBe(2);
      expect(eventIds()).toEqual(["e-batched", "e-dead-young", "e-delivered-young", "e-inflight-old", "e-pending-old"]);
    });

    it("keeps every event of a batch delivery, not only its first, and finds events through the first-event index", async () => {
      const events = ["b1", "b2", "b3", "lone"].map((id) => ({ id, eventType: "test", envelope: "{}" }));
      await s.enqueueWebhookEvent(
        { events, deliveries: [], batchItems: ["b1", "b2", "b3"].map((eventId) => ({ registrationId: "r1", eventId, eventType: "test" })) },
        OLD,
      );
      const items = await s.listWebhookBatchItems("r1", 10);
      await s.flushWebhookBatch(items, delivery("batch", { eventIds: ["b1", "b2", "b3"] }), OLD);
      expect(await s.pruneWebhookEvents(BEFORE, 500)).toBe(1);
      expect(eventIds()).toEqual(["b1", "b2", "b3"]);
      const plan = (
        s.db.prepare("EXPLAIN QUERY PLAN SELECT 1 FROM webhook_deliveries d WHERE json_extract(d.event_ids, '$[0]') = +?").all("x") as {
          detail: string;
        }[]
      )
        .map((r) => r.detail)
        .join(" | ");
      expect(plan).toMatch(/SEARCH d USING (COVERING )?INDEX webhook_deliveries_first_event/);
    });

    it("deletes old attempts of delivered deliveries only: a dead letter and a pending delivery keep their log", async () => {
      await deliveries(OLD, "pending-a", "dead-a", "delivered-a");
      // Each finishes recently, after an old failed attempt.
      s.db.prepare("UPDATE webhook_deliveries SET finished_at = ? WHERE id IN ('dead-a', 'delivered-a')").run(YOUNG);
      expect(await s.pruneWebhookDeliveries(BEFORE, 500)).toBe(0);
      expect(await s.pruneWebhookAttempts(BEFORE, 500)).toBe(1);
      expect([attemptsOf("pending-a"), attemptsOf("dead-a"), attemptsOf("delivered-a")]).toEqual([1, 1, 0]);
    });

    it("pruneWebhookHistory (the webhook manager's start-up prune) goes through every batch and keeps dead letters", async () => {
      const ids = Array.from({ length: 1234 }, (_, i) => `delivered-${String(i).padStart(4, "0")}`);
      for (let i = 0; i < ids.length; i += 200) await deliveries(OLD, ...ids.slice(i, i + 200));
      await deliveries(OLD, "dead-old");
      expect(await s.pruneWebhookHistory(BEFORE)).toBe(1234);
      expect(deliveryIds()).toEqual(["dead-old"]);
      expect(eventIds()).toEqual(["e-dead-old"]);
      expect((s.db.prepare("SELECT COUNT(*) AS n FROM webhook_attempts").get() as { n: number }).n).toBe(1);
    });

    it("lists deliveries newest first when asked", async () => {
      await deliveries(OLD, "delivered-1");
      await deliveries(YOUNG, "delivered-2");
      expect((await s.listWebhookDeliveries({ order: "newest" })).map((d) => d.id)).toEqual(["delivered-2", "delivered-1"]);
      expect((await s.listWebhookDeliveries({})).map((d) => d.id)).toEqual(["delivered-1", "delivered-2"]);
    });
  });

  describe("shown items", () => {
    const item = (fingerprint: string, prNumber: number) => ({ fingerprint, prNumber, author: "alice", item: { rule: "r" } });
    const shownAt = (fingerprint: string, at: number) =>
      s.db.prepare("UPDATE shown_items SET created_at = ? WHERE fingerprint = ?").run(at, fingerprint);
    const open = (repo: string, prNumber: number) =>
      s.saveOpenPullResources(repo, { prNumber, author: "alice", headSha: "abc", url: "u", title: "t", resources: [] });

    it("deletes items of closed pull requests last shown before the period; keeps open pull requests' and recent ones", async () => {
      await s.saveShownItems("o/r", [item("closed-old", 1), item("closed-young", 1), item("open-old", 2)]);
      await s.saveShownItems("o/other", [item("same-number-old", 2)]); // pull request 2 of another repository is not open
      await open("o/r", 2);
      shownAt("closed-old", OLD);
      shownAt("closed-young", YOUNG);
      shownAt("open-old", OLD);
      shownAt("same-number-old", OLD);
      expect(await s.pruneShownItems(BEFORE, 500)).toBe(2);
      expect((await s.findShownItems("o/r", "", 10)).map((i) => i.fingerprint)).toEqual(["closed-young", "open-old"]);
      expect(await s.findShownItems("o/other", "", 10)).toEqual([]);

      // Closed later: its items go once they are old.
      await s.deleteOpenPullResources("o/r", 2);
      expect(await s.pruneShownItems(BEFORE, 500)).toBe(1);
      expect(await s.getShownItem("o/r", "open-old")).toBeUndefined();
    });

    it("counts from when an item was last shown: showing it again keeps it", async () => {
      await s.saveShownItems("o/r", [item("again", 1)]);
      shownAt("again", OLD);
      await s.saveShownItems("o/r", [item("again", 1)]);
      expect(await s.pruneShownItems(BEFORE, 500)).toBe(0);
      expect(await s.getShownItem("o/r", "again")).toBeDefined();
    });
  });
});
