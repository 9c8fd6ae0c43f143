/**
 * Two job queues (two instances) on one SQLite file: a starting instance leaves the other's
 * running jobs alone, the heartbeat keeps a long job's lease, an expired lease is taken back and
 * the instance that lost it writes nothing, a graceful stop releases at once, and a burst of
 * jobs spread over both instances runs each job once.
 */
import { jest } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JobLeaseLostError, JobQueue } from "../../src/jobs/queue.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";

const quiet = () => ({ info: jest.fn(), warn: jest.fn(), error: jest.fn() });

async function waitFor(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("job queues of two instances on one SQLite file", () => {
  let dir: string;
  let storeA: SqliteStore;
  let storeB: SqliteStore;
  const queues: JobQueue[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "empathy-queue-leases-"));
    storeA = new SqliteStore(join(dir, "shared.sqlite"));
    storeB = new SqliteStore(join(dir, "shared.sqlite"));
  });

  afterEach(async () => {
    for (const q of queues.splice(0)) await q.stop();
    await storeA.close();
    await storeB.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function queue(store: SqliteStore, instanceId: string, options: Partial<ConstructorParameters<typeof JobQueue>[0]> = {}) {
    const q = new JobQueue({ store, log: quiet(), instanceId, pollIntervalMs: 20, baseDelayMs: 0, ...options });
    queues.push(q);
    return q;
  }

  const leaseRow = (id: number) =>
    storeB.db.prepare("SELECT status, lease_owner AS owner, lease_expires_at AS expiresAt FROM jobs WHERE id = ?").get(id) as {
      status: string;
      owner: string | null;
      expiresAt: number | null;
    };

  it("a starting instance leaves the job another live instance runs alone (no requeue at start)", async () => {
    const a = queue(storeA, "A");
    const b = queue(storeB, "B");
    const ran: string[] = [];
    let finish!: () => void;
    a.register("review", () => (ran.push("A"), new Promise<void>((resolve) => (finish = resolve))));
    b.register("review", async () => void ran.push("B"));
    const id = (await a.enqueue({ type: "review", payload: { owner: "o", repo: "r", pullNumber: 1 } }))!;
    await a.start();
    await waitFor(() => ran.length === 1, "A to start the job");
    await b.start(); // a rolling deploy: the new instance starts while the old one works
    expect(await b.drain()).toBe(0);
    expect(leaseRow(id)).toMatchObject({ status: "running", owner: "A" });
    finish();
    await waitFor(() => leaseRow(id).status === "done", "the job to finish");
    expect(ran).toEqual(["A"]);
  });

  it("renews a long job's lease while it runs, so nobody takes it back", async () => {
    const a = queue(storeA, "A", { leaseMs: 600 });
    let finish!: () => void;
    a.register("long", () => new Promise<void>((resolve) => (finish = resolve)));
    const id = (await a.enqueue({ type: "long", payload: {} }))!;
    await a.start();
    await waitFor(() => leaseRow(id).status === "running", "the claim");
    const expiries = new Set<number>();
    await waitFor(() => (expiries.add(leaseRow(id).expiresAt!), expiries.size >= 5), "four renewals"); // more than a lease's length
    expect(await storeB.reclaimExpiredJobs(Date.now())).toEqual({ requeued: 0, dead: [] });
    expect(leaseRow(id)).toMatchObject({ status: "running", owner: "A" });
    finish();
    await waitFor(() => leaseRow(id).status === "done", "the job to finish");
  });

  it("takes back a job whose lease expired; the instance that lost it lets go and writes nothing", async () => {
    const logA = quiet();
    const a = queue(storeA, "A", { leaseMs: 300, log: logA });
    const b = queue(storeB, "B");
    const events: string[] = [];
    let reasonA: unknown;
    a.register("review", (_p, _job, signal) => {
      events.push("A started");
      signal.addEventListener("abort", () => ((reasonA = signal.reason), events.push("A let go")));
      return new Promise<void>(() => undefined); // hangs
    });
    b.register("review", async () => void events.push("B ran"));
    const id = (await a.enqueue({ type: "review", payload: { owner: "o", repo: "r", pullNumber: 2 } }))!;
    await a.start();
    await waitFor(() => events.length === 1, "A to start the job");
    // A's heartbeat stalls past the lease (e.g. a blocked event loop): the lease is over when B looks.
    storeB.db.prepare("UPDATE jobs SET lease_expires_at = 0 WHERE id = ?").run(id);
    expect(await storeB.reclaimExpiredJobs(Date.now())).toEqual({ requeued: 1, dead: [] });
    await b.start();
    await waitFor(() => events.includes("A let go"), "A to notice its lease is gone");
    await waitFor(() => leaseRow(id).status === "done", "B to finish the job");
    expect(events).toEqual(["A started", "B ran", "A let go"]);
    expect(reasonA).toBeInstanceOf(JobLeaseLostError);
    expect(await storeB.getJob(id)).toMatchObject({ status: "done", attempts: 2, lastError: null });
    expect(logA.warn).toHaveBeenCalledWith(
      expect.objectContaining({ job_id: id, instance_id: "A" }),
      expect.stringMatching(/^job lease lost/),
    );
  });

  it("a graceful stop releases the running job at once: the other instance runs it without waiting for the lease", async () => {
    const a = queue(storeA, "A", { stopGraceMs: 20, leaseMs: 3_600_000 });
    const b = queue(storeB, "B");
    let started = false;
    a.register("stuck", () => ((started = true), new Promise<void>(() => undefined)));
    const ranB: number[] = [];
    b.register("stuck", async (_p, job) => void ranB.push(job.id));
    const id = (await a.enqueue({ type: "stuck", payload: {} }))!;
    await a.start();
    await waitFor(() => started, "A to start the job");
    await a.stop();
    expect(leaseRow(id)).toEqual({ status: "queued", owner: null, expiresAt: null });
    expect(await b.drain()).toBe(1);
    expect(ranB).toEqual([id]);
  });

  it("runs a burst of jobs spread over both instances each once", async () => {
    const a = queue(storeA, "A", { concurrency: 2 });
    const b = queue(storeB, "B", { concurrency: 2 });
    const runs = new Map<number, string[]>();
    const handler = (who: string) => async (_p: unknown, job: { id: number }) => {
      runs.set(job.id, [...(runs.get(job.id) ?? []), who]);
      await new Promise((r) => setTimeout(r, 2));
    };
    a.register("t", handler("A"));
    b.register("t", handler("B"));
    const ids: number[] = [];
    for (let i = 0; i < 40; i++) ids.push((await (i % 2 ? a : b).enqueue({ type: "t", payload: { i } }))!);
    await Promise.all([a.start(), b.start()]);
    await waitFor(async () => (await storeA.countJobs()).done === 40, "every job done");
    expect([...runs.keys()].sort((x, y) => x - y)).toEqual(ids);
    expect([...runs.values()].every((who) => who.length === 1)).toBe(true);
  });
});
