/**
 * The outbox never drops an event. A failed write is retried; a store that stays unavailable
 * fails the job that emitted the events (through its bus scope), and the job's retry emits them
 * again. Failures are injected into a real SQLite store: a wrapper whose outbox write fails N
 * times, and a real "database or disk is full" (SQLITE_FULL, through max_page_count).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EmpathyOS } from "../../src/engine/empathyOS.js";
import { INITIAL_TRUST, REJECT_DELTA } from "../../src/engine/trust.js";
import { EventBus, EventHandlingError } from "../../src/events/bus.js";
import type { AnyEventEnvelope } from "../../src/events/catalog.js";
import { JobQueue } from "../../src/jobs/queue.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { OutboxWriteError } from "../../src/delivery/manager.js";
import { analysis, finding } from "../engine/fixtures.js";
import { captureLog, prediction, Receiver, setup, sleep, waitFor, type Setup } from "./helpers.js";

/** A real store whose outbox writes fail while `failures` > 0 (Infinity: until set back to 0). */
class FlakyStore extends SqliteStore {
  failures = 0;
  writes = 0;
  override async enqueueWebhookEvent(...args: Parameters<SqliteStore["enqueueWebhookEvent"]>): Promise<void> {
    this.writes++;
    if (this.failures > 0) {
      this.failures--;
      throw Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
    }
    return super.enqueueWebhookEvent(...args);
  }
}

const quiet = { info() {}, warn() {}, error() {} };
const bodies = (rx: Receiver) => rx.requests.map((r) => JSON.parse(r.body) as AnyEventEnvelope);

describe("outbox writes that fail", () => {
  let rx: Receiver;
  let store: FlakyStore;
  let s: Setup;
  const queues: JobQueue[] = [];

  beforeEach(async () => {
    rx = await new Receiver().listen();
    store = new FlakyStore(":memory:");
  });
  afterEach(async () => {
    for (const q of queues.splice(0)) await q.stop();
    await s?.manager.stop();
    await rx.close();
  });

  async function start(options: Parameters<typeof setup>[0] = {}, eventType = "test"): Promise<Setup> {
    s = setup({ store, outboxWriteRetries: 2, outboxRetryDelayMs: 10, ...options });
    s.manager.register({ eventType, url: rx.url(), secret: "s3cret" });
    await s.manager.start();
    return s;
  }

  it("are retried: two failures, then the event is written and delivered once, and the emitter never sees a failure", async () => {
    const { bus, logs } = await start();
    store.failures = 2;
    await bus.scope(async () => {
      bus.emit({ type: "test", data: { n: 1 } });
      await bus.flush();
    });
    expect(store.writes).toBe(3);
    await waitFor(() => rx.requests.length === 1);
    await sleep(100);
    expect(bodies(rx).map((e) => e.data)).toEqual([{ n: 1 }]);
    expect(logs.lines.filter((l) => l.msg === "could not write webhook events to the outbox, will retry")).toHaveLength(2);
    expect(logs.lines.filter((l) => l.level === "error")).toEqual([]);
  });

  it("that keep failing fail the emitting scope with the events' ids; nothing is delivered; the retry after recovery delivers once", async () => {
    const { bus, logs } = await start();
    store.failures = Infinity;
    let emitted: AnyEventEnvelope | undefined;
    const job = () =>
      bus.scope(async () => {
        emitted = bus.emit({ type: "test", data: { n: 2 } });
      });
    const error = await job().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(EventHandlingError);
    const cause = (error as EventHandlingError).failures[0];
    expect(cause).toBeInstanceOf(OutboxWriteError);
    expect(cause).toMatchObject({ eventIds: [emitted!.id], attempts: 3 });
    expect((error as Error).message).toMatch(/could not write 1 webhook event to the outbox after 3 attempts: database or disk is full/);
    expect(store.writes).toBe(3);
    // Said clearly in the log, with the event, not just "event handler failed".
    const failure = logs.lines.find((l) => l.msg?.startsWith("could not write webhook events to the outbox: the jobs"));
    expect(failure).toMatchObject({ level: "error", obj: { event_ids: [emitted!.id], event_types: ["test"] } });
    await sleep(100);
    expect(rx.requests).toHaveLength(0);
    expect(await store.countWebhookDeliveries()).toMatchObject({ pending: 0, in_flight: 0, delivered: 0, dead: 0 });

    store.failures = 0;
    await job(); // what the job's retry does: emit again
    await waitFor(() => rx.requests.length === 1);
    await sleep(100);
    expect(bodies(rx).map((e) => e.data)).toEqual([{ n: 2 }]);
  });

  it("fail the scope of every job with an event in the batch, and only those", async () => {
    const { bus } = await start();
    store.failures = Infinity;
    // Two jobs whose events share one batch (one transaction): both fail.
    const a = bus.scope(async () => void bus.emit({ type: "test", data: { job: "a" } }));
    const b = bus.scope(async () => void bus.emit({ type: "test", data: { job: "b" } }));
    const unrelated = bus.scope(async () => void bus.emit({ type: "not_webhooked", data: {} }));
    await expect(a).rejects.toThrow(EventHandlingError);
    await expect(b).rejects.toThrow(EventHandlingError);
    await expect(unrelated).resolves.toBeUndefined(); // no webhook wants it: nothing to keep
    // A job whose events are written later is not failed by the earlier failure.
    store.failures = 0;
    await expect(bus.scope(async () => void bus.emit({ type: "test", data: { job: "c" } }))).resolves.toBeUndefined();
    await waitFor(() => rx.requests.length === 1);
    await sleep(100);
    expect(bodies(rx).map((e) => e.data)).toEqual([{ job: "c" }]);
  });

  it("hold later events back: written together right after the retried write, in emit order", async () => {
    const { bus } = await start({ outboxRetryDelayMs: 300 });
    store.failures = 1;
    bus.emit({ type: "test", data: { n: 1 } });
    await waitFor(() => store.writes === 1, 1000, "the first (failing) write");
    for (let n = 2; n <= 4; n++) bus.emit({ type: "test", data: { n } });
    await sleep(20); // their linger ends while the first batch waits for its retry
    expect(store.writes).toBe(1);
    await waitFor(() => rx.requests.length === 4);
    expect(store.writes).toBe(3); // the failed write, its retry, then one write for the three held back
    const rows = await store.listWebhookDeliveries({ limit: 10 });
    const order = rows.sort((x, y) => (x.id < y.id ? -1 : 1)).map((d) => (JSON.parse(d.envelopes) as AnyEventEnvelope[])[0].data.n);
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it("are waited for by stop(): an event whose write is being retried is in the outbox once stop() returns", async () => {
    const { bus, manager } = await start({ outboxRetryDelayMs: 100 });
    store.failures = 1;
    const job = bus.scope(async () => void bus.emit({ type: "test", data: { n: 1 } }));
    await waitFor(() => store.writes === 1, 1000, "the first (failing) write");
    await manager.stop();
    expect(store.writes).toBe(2);
    expect(await store.countWebhookDeliveries()).toMatchObject({ pending: 1 });
    await expect(job).resolves.toBeUndefined();
  });

  describe("with the job queue: the job that emitted the events fails and is retried", () => {
    function queue(maxAttempts: number): JobQueue {
      const q = new JobQueue({ store, log: quiet, maxAttempts, baseDelayMs: 20, pollIntervalMs: 20, random: () => 0.5 });
      queues.push(q);
      return q;
    }

    it("the job fails while the outbox is unavailable, its retry emits the event again, and it is delivered exactly once", async () => {
      const { bus } = await start();
      const q = queue(5);
      let runs = 0;
      // The wiring the app needs: every job runs in a bus scope.
      q.register("emit", (payload: { n: number }) =>
        bus.scope(async () => {
          runs++;
          bus.emit({ type: "test", data: payload });
        }),
      );
      store.failures = 4; // the first run's write and its 2 retries, then one more on the second run
      await q.enqueue({ type: "emit", payload: { n: 7 } });
      await q.start();
      await waitFor(async () => (await store.listJobs("done")).length === 1, 5000, "the job to complete");
      const [done] = await store.listJobs("done");
      expect(done.attempts).toBe(2);
      expect(runs).toBe(2);
      await waitFor(() => rx.requests.length === 1);
      await sleep(150);
      expect(bodies(rx).map((e) => e.data)).toEqual([{ n: 7 }]);
    });

    it("while the store stays unavailable the job keeps failing and is dead-lettered with the outbox error, never completed", async () => {
      const { bus } = await start();
      const q = queue(3);
      q.register("emit", (payload: { n: number }) => bus.scope(async () => void bus.emit({ type: "test", data: payload })));
      store.failures = Infinity;
      await q.enqueue({ type: "emit", payload: { n: 8 } });
      await q.start();
      await waitFor(async () => (await store.listJobs("dead")).length === 1, 5000, "the job to be dead-lettered");
      const [dead] = await store.listJobs("dead");
      expect(dead.attempts).toBe(3);
      expect(dead.lastError).toMatch(/not kept by a durable listener: could not write 1 webhook event to the outbox after 3 attempts/);
      expect(await store.listJobs("done")).toEqual([]);
      expect(store.writes).toBe(9);
      expect(rx.requests).toHaveLength(0);
    });

    it("a review-like job checks its events are stored before its done marker, so its retry runs and re-emits them", async () => {
      const { bus } = await start({}, "interaction_completed");
      s.manager.register({ eventType: "level_3_proactive_suggestion", url: rx.url("/suggestions"), secret: "s3cret" });
      const engine = new EmpathyOS({ eventBus: bus, state: store });
      const q = queue(5);
      let runs = 0;
      q.register("review", () =>
        bus.scope(async () => {
          if (await store.getReview("o/r", 1, "abc")) return; // "already reviewed": a retry after this point emits nothing
          runs++;
          await engine.interact({
            userId: "alice",
            input: "Add order export",
            context: { repo: "o/r", pr_number: 1, analysis: analysis([finding("js/sql-injection")]) },
          });
          await bus.flush(); // before the marker: a failure here leaves the review to the retry
          await store.saveReview("o/r", 1, "abc", null);
        }),
      );
      store.failures = 3; // the first run's batch and its two retries
      await q.enqueue({ type: "review", payload: {} });
      await q.start();
      await waitFor(async () => (await store.listJobs("done")).length === 1, 5000, "the job to complete");
      expect(runs).toBe(2);
      await waitFor(() => rx.requests.length === 2);
      await sleep(150);
      expect(
        bodies(rx)
          .map((e) => e.event_type)
          .sort(),
      ).toEqual(["interaction_completed", "level_3_proactive_suggestion"]);
    });

    it("a feedback job moves trust once; its retry sends the events the failed attempt owed, under the same ids, each delivered once", async () => {
      const { bus } = await start({}, "trust_decreased");
      s.manager.register({ eventType: "pattern_updated", url: rx.url("/patterns"), secret: "s3cret" });
      s.manager.register({ eventType: "prediction_failure", url: rx.url("/failures"), secret: "s3cret" });
      const engine = new EmpathyOS({ eventBus: bus, state: store });
      const emitted: AnyEventEnvelope[] = [];
      bus.on("*", (e) => void emitted.push(e));
      const q = queue(5);
      const counted: boolean[] = [];
      q.register("feedback", (_payload: unknown, job) =>
        bus.scope(async () => {
          store.failures = job.attempts === 1 ? Infinity : 0; // the disk is full during the first attempt only
          const args = {
            userId: "alice",
            repo: "o/r",
            outcome: "rejected" as const,
            patternKey: "js/sql",
            predictionId: "pred-1",
            key: "issue:12",
          };
          counted.push((await engine.recordFeedback(args)).counted);
        }),
      );
      await q.enqueue({ type: "feedback", payload: {} });
      await q.start();
      await waitFor(async () => (await store.listJobs("done")).length === 1, 5000, "the job to complete");
      expect((await store.listJobs("done"))[0].attempts).toBe(2);
      expect(counted).toEqual([true]); // the first attempt threw at its flush; the retry completes what it counted
      expect(await engine.getTrust("alice", "o/r")).toBeCloseTo(INITIAL_TRUST - REJECT_DELTA, 10); // moved once
      expect(await store.owedFeedbackEvents("o/r", "issue:12")).toEqual([]); // settled
      await waitFor(() => rx.requests.length === 3);
      await sleep(150);
      const delivered = bodies(rx);
      expect(delivered.map((e) => e.event_type).sort()).toEqual(["pattern_updated", "prediction_failure", "trust_decreased"]);
      // The same envelopes as the first attempt's, not new ones.
      const first = emitted.filter((e) => e.event_type !== "error").slice(0, 3);
      expect(delivered.map((e) => e.id).sort()).toEqual(first.map((e) => e.id).sort());

      // A redelivery of the same feedback later changes and sends nothing.
      const again = await bus.scope(() => engine.recordFeedback({ userId: "alice", repo: "o/r", outcome: "rejected", key: "issue:12" }));
      expect(again.counted).toBe(false);
      expect(await engine.getTrust("alice", "o/r")).toBeCloseTo(INITIAL_TRUST - REJECT_DELTA, 10);
      await sleep(150);
      expect(rx.requests).toHaveLength(3);
    });

    it("an event sent again under its id after it reached the outbox is delivered once, also when sent twice in one tick", async () => {
      const { bus } = await start();
      const envelope = bus.envelope({ type: "test", data: { n: 1 } });
      await bus.scope(async () => {
        bus.publish(envelope);
        await bus.flush();
        bus.publish(envelope); // kept already
        const twin = bus.envelope({ type: "test", data: { n: 2 } });
        bus.publish(twin);
        bus.publish(twin); // the same batch
      });
      await waitFor(() => rx.requests.length === 2);
      await sleep(150);
      expect(bodies(rx).map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
      expect(bodies(rx)[0].id).toBe(envelope.id);
    });

    it("a prediction stored before the failure is not sent twice when the retry emits it again (its dedupe key)", async () => {
      const { bus } = await start({}, "level_4_prediction");
      const q = queue(5);
      q.register("predict", (_payload: unknown, job) =>
        bus.scope(async () => {
          if (job.attempts > 1) store.failures = 0; // room again by the retry
          bus.emit({ type: "level_4_prediction", data: prediction("fp1") });
          await bus.flush(); // fp1 is in the outbox
          if (job.attempts === 1) store.failures = Infinity; // then the disk fills up
          bus.emit({ type: "level_4_prediction", data: prediction("fp2") });
        }),
      );
      await q.enqueue({ type: "predict", payload: {} });
      await q.start();
      await waitFor(async () => (await store.listJobs("done")).length === 1, 5000, "the job to complete");
      expect((await store.listJobs("done"))[0].attempts).toBe(2);
      await waitFor(() => rx.requests.length === 2);
      await sleep(150);
      expect(
        bodies(rx)
          .map((e) => e.data.fingerprint)
          .sort(),
      ).toEqual(["fp1", "fp2"]);
    });
  });
});

describe("a real full database (SQLITE_FULL)", () => {
  it("fails the emitting scope instead of dropping the event, and the retry once there is room delivers it once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "empathy-outbox-full-"));
    const rx = await new Receiver().listen();
    const store = new SqliteStore(join(dir, "db.sqlite"));
    const logs = captureLog();
    const bus = new EventBus({ logger: logs.log });
    const s = setup({ store, bus, outboxWriteRetries: 1, outboxRetryDelayMs: 10 });
    try {
      s.manager.register({ eventType: "test", url: rx.url(), secret: "s3cret" });
      await s.manager.start();
      const pages = Number(store.db.pragma("page_count", { simple: true }));
      store.db.pragma(`max_page_count = ${pages}`); // no room for one more page
      const data = { report: "x".repeat(50_000) };
      const job = () => bus.scope(async () => void bus.emit({ type: "test", data }));
      await expect(job()).rejects.toThrow(/could not write 1 webhook event to the outbox after 2 attempts: database or disk is full/);
      store.db.pragma(`max_page_count = ${pages + 10_000}`); // the operator frees space
      await job();
      await waitFor(() => rx.requests.length === 1);
      await sleep(100);
      expect(rx.requests).toHaveLength(1);
      expect((JSON.parse(rx.requests[0].body) as AnyEventEnvelope).data).toEqual(data);
    } finally {
      await s.manager.stop();
      await rx.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
