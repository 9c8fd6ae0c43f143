/**
 * Leases in the store, with two store instances on one SQLite file (as two processes have): every
 * claim records its owner and expiry; a live lease is never taken back, an expired one is, by
 * either instance; an outcome is written only by the lease's holder; a batch is flushed once.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { migrations } from "../../src/store/migrations.js";
import type { NewWebhookDelivery } from "../../src/store/store.js";

describe("leases on one SQLite file shared by two store instances", () => {
  let dir: string;
  let a: SqliteStore;
  let b: SqliteStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "empathy-leases-"));
    a = new SqliteStore(join(dir, "shared.sqlite"));
    b = new SqliteStore(join(dir, "shared.sqlite"));
  });

  afterEach(async () => {
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const lease = (owner: string, expiresAt: number) => ({ owner, expiresAt });
  const leaseOf = (s: SqliteStore, table: "jobs" | "webhook_deliveries", id: number | string) =>
    s.db.prepare(`SELECT lease_owner AS owner, lease_expires_at AS expiresAt FROM ${table} WHERE id = ?`).get(id);

  it("migrates the file once: the second instance finds it at the latest version", () => {
    const last = migrations[migrations.length - 1].version;
    expect(a.schemaVersion()).toBe(last);
    expect(b.schemaVersion()).toBe(last);
    expect(a.db.prepare("SELECT COUNT(*) AS n FROM schema_migrations").get()).toEqual({ n: migrations.length });
  });

  it("gives each job to one instance, recording the owner and expiry of its lease", async () => {
    for (let i = 0; i < 10; i++) await a.enqueueJob({ type: "t", payload: { i }, runAt: 100 });
    const taken: Record<string, number[]> = { A: [], B: [] };
    for (let round = 0; round < 5; round++) {
      taken.A.push((await a.claimJob(1000, lease("A", 5000)))!.id);
      taken.B.push((await b.claimJob(1000, lease("B", 5000)))!.id);
    }
    expect(await a.claimJob(1000, lease("A", 5000))).toBeNull();
    expect(new Set([...taken.A, ...taken.B]).size).toBe(10);
    expect(leaseOf(b, "jobs", taken.A[0])).toEqual({ owner: "A", expiresAt: 5000 });
    expect(leaseOf(a, "jobs", taken.B[0])).toEqual({ owner: "B", expiresAt: 5000 });
  });

  it("takes back only expired leases, whoever looks; the heartbeat keeps a lease live", async () => {
    const first = (await a.enqueueJob({ type: "t", payload: 1, runAt: 100 }))!;
    const second = (await a.enqueueJob({ type: "t", payload: 2, runAt: 100 }))!;
    await a.claimJob(1000, lease("A", 5000));
    await b.claimJob(1000, lease("B", 5000));
    // B's heartbeat renews B's lease only.
    expect(await b.renewJobLeases("B", 9000)).toEqual([second]);
    // At 6000, A's lease is over (A died), B's is live: only A's job goes back, taken back by B.
    expect(await b.reclaimExpiredJobs(6000, 5)).toEqual({ requeued: 1, dead: [] });
    expect((await b.getJob(first))?.status).toBe("queued");
    expect(await b.getJob(second)).toMatchObject({ status: "running" });
    expect(leaseOf(a, "jobs", second)).toEqual({ owner: "B", expiresAt: 9000 });
    // A, back from a stall, cannot write the outcome of a job it no longer holds, nor renew it.
    expect(await a.completeJob(first, "A")).toBe(false);
    expect(await a.renewJobLeases("A", 20_000)).toEqual([]);
    const again = await b.claimJob(6000, lease("B", 12_000));
    expect(again).toMatchObject({ id: first, attempts: 2 });
    expect(await a.completeJob(first, "A")).toBe(false);
    expect(await b.completeJob(first, "B")).toBe(true);
    expect(await b.getJob(first)).toMatchObject({ status: "done" });
    expect(leaseOf(a, "jobs", first)).toEqual({ owner: null, expiresAt: null });
  });

  it("never takes back its own leases: a late heartbeat is not a dead instance", async () => {
    const job = (await a.enqueueJob({ type: "t", payload: 1, runAt: 100 }))!;
    await a.claimJob(1000, lease("A", 5000));
    await enqueueDeliveries(["d1"]);
    await a.claimWebhookDeliveries(["r1"], 1000, 1, lease("A", 5000));
    // At 6000 A's heartbeat is late: A's own look leaves its work alone...
    expect(await a.reclaimExpiredJobs(6000, 5, "A")).toEqual({ requeued: 0, dead: [] });
    expect(await a.reclaimExpiredWebhookDeliveries(6000, "A")).toBe(0);
    expect(await a.getJob(job)).toMatchObject({ status: "running" });
    expect(leaseOf(a, "jobs", job)).toEqual({ owner: "A", expiresAt: 5000 });
    // ...while another instance takes it back.
    expect(await b.reclaimExpiredJobs(6000, 5, "B")).toEqual({ requeued: 1, dead: [] });
    expect(await b.reclaimExpiredWebhookDeliveries(6000, "B")).toBe(1);
  });

  it("dead-letters an expired job that has used its attempts instead of requeueing it", async () => {
    const id = (await a.enqueueJob({ type: "poison", payload: {}, runAt: 100 }))!;
    for (let attempt = 1; attempt <= 3; attempt++) {
      await a.claimJob(1000, lease("A", 2000));
      const { dead } = await b.reclaimExpiredJobs(2000, 3);
      expect(dead.map((j) => j.id)).toEqual(attempt === 3 ? [id] : []);
    }
    expect(await b.getJob(id)).toMatchObject({ status: "dead", attempts: 3 });
  });

  it("runs jobs about one pull request one at a time, on any instance", async () => {
    const pr = { owner: "O", repo: "r", pullNumber: 7 };
    const review = (await a.enqueueJob({ type: "review", payload: pr, runAt: 100 }))!;
    const again = (await b.enqueueJob({ type: "review", payload: { ...pr, owner: "o" }, runAt: 100 }))!;
    const other = (await b.enqueueJob({ type: "review", payload: { ...pr, pullNumber: 8 }, runAt: 100 }))!;
    expect((await a.claimJob(1000, lease("A", 5000)))?.id).toBe(review);
    // B passes over the second job of o/r#7 while A runs the first.
    expect((await b.claimJob(1000, lease("B", 5000)))?.id).toBe(other);
    expect(await b.claimJob(1000, lease("B", 5000))).toBeNull();
    expect(await b.nextJobRunAt()).toBeNull();
    await a.completeJob(review, "A");
    expect(await b.nextJobRunAt()).not.toBeNull();
    expect((await b.claimJob(1000, lease("B", 5000)))?.id).toBe(again);
  });

  const delivery = (id: string): NewWebhookDelivery => ({
    id,
    registrationId: "r1",
    eventType: "e",
    eventIds: [`ev-${id}`],
    body: "{}",
    status: "pending",
    nextAttemptAt: 100,
  });

  async function enqueueDeliveries(ids: string[]) {
    await a.enqueueWebhookEvent(
      { events: ids.map((id) => ({ id: `ev-${id}`, eventType: "e", envelope: "{}" })), deliveries: ids.map(delivery), batchItems: [] },
      100,
    );
  }

  it("gives each webhook delivery to one instance; only the holder records its attempt", async () => {
    await enqueueDeliveries(["d1", "d2", "d3", "d4"]);
    const byA = await a.claimWebhookDeliveries(["r1"], 1000, 2, lease("A", 5000));
    const byB = await b.claimWebhookDeliveries(["r1"], 1000, 5, lease("B", 5000));
    expect(
      byA
        .map((d) => d.id)
        .concat(byB.map((d) => d.id))
        .sort(),
    ).toEqual(["d1", "d2", "d3", "d4"]);
    expect(leaseOf(b, "webhook_deliveries", byA[0].id)).toEqual({ owner: "A", expiresAt: 5000 });
    expect((await b.renewWebhookDeliveryLeases("B", 8000)).sort()).toEqual(byB.map((d) => d.id).sort());
    // A dies: at 6000 its two deliveries come back (attempt not counted); B's stay in flight.
    expect(await b.reclaimExpiredWebhookDeliveries(6000)).toBe(2);
    expect(await b.getWebhookDelivery(byA[0].id)).toMatchObject({ status: "pending", attempts: 0, totalAttempts: 0 });
    expect(await b.getWebhookDelivery(byB[0].id)).toMatchObject({ status: "in_flight", attempts: 1 });
    const retaken = await b.claimWebhookDeliveries(["r1"], 6000, 5, lease("B", 12_000));
    expect(retaken.map((d) => d.id).sort()).toEqual(byA.map((d) => d.id).sort());
    // A's late result for a delivery B now holds is not recorded; B's is.
    const result = (id: string, owner: string) => ({
      deliveryId: id,
      leaseOwner: owner,
      status: "delivered" as const,
      statusCode: 200,
      durationMs: 1,
      error: null,
      responseExcerpt: null,
      nextAttemptAt: null,
      attemptedAt: 6100,
    });
    await a.recordWebhookAttempt(result(byA[0].id, "A"));
    await a.releaseWebhookDelivery(byA[1].id, 6100, "A");
    expect(await b.getWebhookDelivery(byA[0].id)).toMatchObject({ status: "in_flight" });
    expect(await b.getWebhookDelivery(byA[1].id)).toMatchObject({ status: "in_flight" });
    expect(await b.listWebhookAttempts({ deliveryId: byA[0].id })).toEqual([]);
    await b.recordWebhookAttempt(result(byA[0].id, "B"));
    expect(await a.getWebhookDelivery(byA[0].id)).toMatchObject({ status: "delivered", totalAttempts: 1 });
    expect(await a.listWebhookAttempts({ deliveryId: byA[0].id })).toHaveLength(1);
  });

  it("flushes a batch once when both instances flush the same items", async () => {
    await a.enqueueWebhookEvent(
      {
        events: ["e1", "e2"].map((id) => ({ id, eventType: "e", envelope: "{}" })),
        deliveries: [],
        batchItems: ["e1", "e2"].map((eventId) => ({ registrationId: "r1", eventId, eventType: "e" })),
      },
      100,
    );
    const seenByA = await a.listWebhookBatchItems("r1", 10);
    const seenByB = await b.listWebhookBatchItems("r1", 10);
    expect(seenByB).toEqual(seenByA);
    const batch = (id: string): NewWebhookDelivery => ({ ...delivery(id), eventIds: ["e1", "e2"], body: null });
    expect(await a.flushWebhookBatch(seenByA, batch("batch-a"), 200)).toBe(true);
    expect(await b.flushWebhookBatch(seenByB, batch("batch-b"), 200)).toBe(false);
    expect((await b.listWebhookDeliveries({})).map((d) => d.id)).toEqual(["batch-a"]);
    expect(await b.webhookBatchStats()).toEqual([]);
  });
});
