/**
 * Two webhook managers (two instances) on one SQLite file: a starting instance leaves the
 * deliveries the other holds alone (no requeue at start), and takes back those whose lease
 * expired (a dead instance), sending each; the dead instance's late result is not recorded.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { Receiver, setup, waitFor, type Setup } from "./helpers.js";

describe("webhook managers of two instances on one SQLite file", () => {
  let dir: string;
  let rx: Receiver;
  const stores: SqliteStore[] = [];
  const setups: Setup[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "empathy-webhook-leases-"));
    rx = await new Receiver().listen();
  });

  afterEach(async () => {
    for (const s of setups.splice(0)) await s.manager.stop();
    for (const s of stores.splice(0)) await s.close();
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function instance(instanceId: string, options: Parameters<typeof setup>[0] = {}): Setup {
    const store = new SqliteStore(join(dir, "shared.sqlite"));
    stores.push(store);
    const s = setup({ ...options, store, instanceId, perEndpointConcurrency: 1, stopTimeoutMs: 50 });
    s.manager.register({ eventType: "test", url: rx.url() });
    setups.push(s);
    return s;
  }

  const owners = (s: SqliteStore) =>
    s.db.prepare("SELECT status, lease_owner AS owner, COUNT(*) AS n FROM webhook_deliveries GROUP BY status, lease_owner").all();

  it("a starting instance leaves the deliveries another live instance holds in flight; each is sent once", async () => {
    rx.reply = () => ({ delayMs: 300 });
    const a = instance("A");
    await a.manager.start();
    for (let i = 0; i < 4; i++) a.bus.emit({ type: "test", data: { i } });
    await waitFor(() => rx.requests.length === 1);
    // One on the wire, three claimed ahead: all four held by A.
    expect(owners(a.store)).toEqual([{ status: "in_flight", owner: "A", n: 4 }]);
    const b = instance("B");
    await b.manager.start(); // a rolling deploy
    expect(owners(b.store)).toEqual([{ status: "in_flight", owner: "A", n: 4 }]);
    rx.reply = () => ({});
    await waitFor(async () => (await b.store.countWebhookDeliveries()).delivered === 4, 10_000, "all delivered");
    expect(rx.ids()).toHaveLength(4);
    expect(new Set(rx.ids()).size).toBe(4);
  });

  it("takes back the deliveries of an instance whose leases expired and sends them; the lost attempt's result is not recorded", async () => {
    rx.reply = () => ({ delayMs: 60_000 }); // A's request never gets an answer
    const a = instance("A", { leaseMs: 300 });
    await a.manager.start();
    for (let i = 0; i < 3; i++) a.bus.emit({ type: "test", data: { i } });
    await waitFor(() => rx.requests.length === 1);
    const firstId = rx.ids()[0];
    rx.reply = () => ({});
    // A stops renewing (it hangs, or died): its leases are over when B looks.
    a.store.db.prepare("UPDATE webhook_deliveries SET lease_expires_at = 0 WHERE lease_owner = 'A'").run();
    expect(await a.store.reclaimExpiredWebhookDeliveries(Date.now())).toBe(3);
    const b = instance("B");
    await b.manager.start();
    await waitFor(async () => (await b.store.countWebhookDeliveries()).delivered === 3, 10_000, "all delivered");
    // A's heartbeat finds the two it had claimed ahead no longer its own, and drops them unsent.
    await waitFor(() => a.logs.lines.some((l) => /^webhook delivery leases lost/.test(l.msg ?? "")), 5000, "A to notice");
    expect(a.logs.lines.find((l) => /^webhook delivery leases lost/.test(l.msg ?? ""))?.obj).toEqual({ deliveries: 2, instance_id: "A" });
    await a.manager.stop(); // A's hung request is aborted: it holds nothing any more, so nothing is written
    const rows = await b.store.listWebhookDeliveries({});
    expect(rows.map((d) => [d.status, d.totalAttempts])).toEqual(Array(3).fill(["delivered", 1]));
    // The one A had on the wire went out twice with the same webhook-id (a receiver dedupes by it); the rest once.
    expect(rx.ids().filter((id) => id === firstId)).toHaveLength(2);
    expect(new Set(rx.ids()).size).toBe(3);
    expect(rx.ids()).toHaveLength(4);
    for (const d of rows)
      expect(await b.store.listWebhookAttempts({ deliveryId: d.id })).toEqual([
        expect.objectContaining({ attempt: 1, status: "delivered" }),
      ]);
  });
});
