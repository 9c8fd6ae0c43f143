/**
 * Two app processes on one store (an SQLite file, and a real PostgreSQL database), one GitHub
 * stand-in and one healthy outgoing-webhook endpoint: both started together on a new store
 * (migrated once), a burst of pull requests spread over both, some deliveries sent to both
 * (GitHub retrying through a load balancer), one process killed with SIGKILL in the middle (with
 * webhook requests of its own on the wire) and started again.
 *
 * Reviews: every pull request is reviewed exactly once and no issue is opened twice: a starting
 * process leaves the other's running jobs alone, a dead one's are taken back when their lease
 * expires, and the same X-GitHub-Delivery makes one job whichever process receives it.
 *
 * Outgoing webhooks: no delivery is lost (every outbox row ends delivered, and the endpoint got
 * every one of them), and the endpoint gets each webhook-id exactly once, except a delivery the
 * killed process held in flight at the kill: the endpoint may have got it (it did here, on
 * purpose) without the process living to record the answer, so it is sent again, under the same
 * webhook-id, after its lease expires. Those, and only those, arrive twice, at most once more
 * each; a receiver that dedupes by webhook-id (Standard Webhooks) sees every event once.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { FakeGitHub } from "../helpers/fakeGitHub.js";
import { riskyFiles } from "../github/fixtures.js";
import { startPostgres, type PostgresServer } from "../store/postgresServer.js";
import { FakeGitHubs, pullRequestOpened } from "../support/githubStandIn.js";
import { HookReceiver, hookSecret, writeHookConfig } from "../support/hookReceiver.js";
import { appEnv, freePort, health, instanceId, postWebhook, sign, startApp, waitFor, type AppProcess } from "./appProcess.js";

const SECRET = "multi-instance-secret";
const HOOK_SECRET = hookSecret("multi-instance hook key, 32 byte");
const PULLS = 8;

/** Reads the shared store from the test: the same SQL on both backends. */
interface StoreProbe {
  url: string;
  rows<T>(sql: string): Promise<T[]>;
  close(): Promise<void>;
}

interface Backend {
  name: string;
  open(dir: string): Promise<StoreProbe>;
}

let postgres: PostgresServer | null = null;

const backends: Backend[] = [
  {
    name: "SQLite file",
    async open(dir) {
      const file = join(dir, "shared.sqlite");
      return {
        url: `sqlite:${file}`,
        async rows<T>(sql: string) {
          const db = new Database(file, { readonly: true });
          try {
            return db.prepare(sql).all() as T[];
          } finally {
            db.close();
          }
        },
        async close() {},
      };
    },
  },
  {
    name: "PostgreSQL database",
    async open() {
      postgres = await startPostgres(); // fails the suite if PostgreSQL cannot start: never skipped
      const url = await postgres.createDatabase("multi_instance");
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return {
        url,
        async rows<T>(sql: string) {
          return (await client.query(sql)).rows as T[];
        },
        async close() {
          await client.end();
        },
      };
    },
  },
];

describe.each(backends)("two app processes on one $name", (backend) => {
  let dir: string;
  let github: FakeGitHubs;
  let rx: HookReceiver;
  let store: StoreProbe;
  let env: Record<string, string>;
  const running: AppProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "empathy-multi-"));
    store = await backend.open(dir);
    const fakes = Array.from({ length: PULLS }, (_, i) => {
      const fake = new FakeGitHub({ html_url: `https://github.com/octo-org/shop-${i}/pull/7` });
      fake.repo = `shop-${i}`;
      fake.setFiles(riskyFiles);
      // GitHub answers each review slowly: a process killed meanwhile dies in the middle of one.
      fake.faults.push({ method: "POST", path: /\/pulls\/7\/reviews$/, status: 200, delayMs: 700 });
      return fake;
    });
    github = new FakeGitHubs(fakes);
    const host = await github.listen();
    rx = await new HookReceiver(HOOK_SECRET).listen();
    const config = join(dir, "empathy.config.yml");
    // Requests held by the endpoint until the kill must not time out meanwhile (a live process
    // would then send them again, under the same webhook-id).
    writeHookConfig(config, rx.url("/hook"), { timeoutSeconds: 300 });
    env = appEnv(
      { secret: SECRET, githubHost: host, databasePath: join(dir, "unused.sqlite") },
      {
        DATABASE_URL: store.url,
        EMPATHY_JOB_BASE_DELAY_MS: "50",
        EMPATHY_ANALYSIS_WORKERS: "1",
        // A killed process's claims (jobs and webhook deliveries) are taken back once their lease
        // expires; a live one renews its leases every second.
        EMPATHY_LEASE_SECONDS: "3",
        EMPATHY_CONFIG: config,
        EMPATHY_WEBHOOK_BASE_DELAY_MS: "50",
        EMPATHY_WEBHOOK_POLL_INTERVAL_MS: "200",
        HOOK_SECRET,
        LOG_LEVEL: "info",
      },
    );
  }, 120_000);

  afterAll(async () => {
    for (const app of running) app.child.kill("SIGKILL");
    await Promise.all(running.map((app) => app.exited));
    await rx?.close();
    await github?.close();
    await store?.close();
    await postgres?.stop();
    postgres = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it("reviews every pull request exactly once and loses no webhook delivery, with a process killed in the middle and started again", async () => {
    // The endpoint is slow at first: it receives requests and answers them only after the kill,
    // so the process killed dies with requests on the wire whose answer it never records.
    rx.hold();
    const [portA, portB] = [await freePort(), await freePort()];
    // Both start together on a new store: its migrations run once.
    const started = await Promise.all([startApp(env, portA), startApp(env, portB)]);
    let a = started[0];
    const b = started[1];
    running.push(a, b);
    const killedId = instanceId(a);

    const fakes = github.fakes;
    for (const [i, fake] of fakes.entries()) {
      const body = pullRequestOpened(fake);
      const delivery = { event: "pull_request", id: `burst-${i}`, body, signature: sign(body, SECRET) };
      // Spread over both; every third also to the other one (the same X-GitHub-Delivery twice).
      const first = i % 2 === 0 ? portA : portB;
      expect((await postWebhook(first, delivery)).status).toBe(200);
      if (i % 3 === 0) expect((await postWebhook(first === portA ? portB : portA, delivery)).status).toBe(200);
    }

    // In the middle of the burst, A dies while GitHub is answering one of its reviews and while
    // the endpoint has received requests from A that A holds in flight in the outbox.
    const reviewsAsked = () => fakes.reduce((n, f) => n + f.find("POST", /\/pulls\/7\/reviews$/).length, 0);
    const heldBy = async (owner: string) =>
      (await store.rows<{ id: string }>(`SELECT id FROM webhook_deliveries WHERE status = 'in_flight' AND lease_owner = '${owner}'`)).map(
        (r) => r.id,
      );
    await waitFor(
      async () => reviewsAsked() >= 3 && (await heldBy(killedId)).some((id) => rx.ids().has(id)),
      60_000,
      () =>
        `reviews or webhook requests did not start: ${reviewsAsked()} reviews, ${rx.requests.length} webhook requests\n${a.output()}\n${b.output()}`,
    );
    a.child.kill("SIGKILL");
    await a.exited;
    // What A held when it died (in flight: sent and unanswered, or claimed ahead and not sent yet).
    // Nobody can change these rows before their lease expires, seconds from now.
    const heldAtKill = new Set(await heldBy(killedId));
    const onTheWireAtKill = [...heldAtKill].filter((id) => rx.ids().has(id));
    // In the middle indeed: reviews on the wire at the kill, and pull requests not reviewed yet.
    const reviewedAtKill = github.reviews();
    const inMiddle = reviewsAsked() > reviewedAtKill && reviewedAtKill < PULLS;
    rx.release(); // answers what B is waiting for; A's requests have no one to answer to

    a = await startApp(env, portA); // the same instance comes back, with a new instance id
    running.push(a);
    const outbox = () =>
      store.rows<{ id: string; status: string; owner: string | null }>("SELECT id, status, lease_owner AS owner FROM webhook_deliveries");
    let last: Record<string, number> = {};
    await waitFor(
      async () => {
        const h = await health(portB);
        if (h === null || h.jobs.queued !== 0 || h.jobs.running !== 0 || !fakes.every((f) => f.reviews.length >= 1)) return false;
        const rows = await outbox();
        const received = rx.ids();
        last = {};
        for (const r of rows) {
          const key = received.has(r.id) ? r.status : `${r.status}, not received`;
          last[key] = (last[key] ?? 0) + 1;
        }
        return rows.length > 0 && rows.every((r) => r.status === "delivered" && received.has(r.id));
      },
      120_000,
      () =>
        `jobs or deliveries did not finish: reviews ${fakes.map((f) => f.reviews.length).join(",")}, outbox ${JSON.stringify(last)}\n${a.output()}\n${b.output()}`,
    );

    expect(inMiddle).toBe(true);
    // One job per delivery: a delivery sent to both made one job.
    const jobs = await store.rows<{ key: string; status: string; owner: string | null }>(
      "SELECT dedupe_key AS key, status, lease_owner AS owner FROM jobs WHERE type = 'review_pull_request'",
    );
    expect(jobs.map((j) => j.key).sort()).toEqual(fakes.map((_, i) => `delivery:burst-${i}`).sort());
    expect(jobs.every((j) => j.status === "done" && j.owner === null)).toBe(true);
    expect((await health(portB)).jobs.dead).toBe(0);
    for (const fake of fakes) {
      expect(fake.reviews).toHaveLength(1);
      expect(fake.comments).toHaveLength(1);
      const fingerprints = fake.issues.map((i) => /fingerprint=(\w+)/.exec(i.body)?.[1]);
      expect(new Set(fingerprints).size).toBe(fingerprints.length);
      expect(fake.problems).toEqual([]);
    }
    // The process that stayed took back what the killed one held, once its leases expired.
    expect(b.output() + a.output()).toMatch(/requeued jobs whose lease expired/);
    expect(b.output() + a.output()).toMatch(/requeued webhook deliveries whose lease expired/);

    // Outgoing webhooks. Nothing lost: every outbox row delivered, and received (checked by the
    // wait above), and the endpoint got nothing that is not in the outbox.
    const rows = await outbox();
    expect(rows.every((r) => r.status === "delivered" && r.owner === null)).toBe(true);
    expect([...rx.ids()].sort()).toEqual(rows.map((r) => r.id).sort());
    expect(rx.badSignatures).toBe(0);
    // Nothing sent twice, but what the killed process held in flight: each of those at most once more.
    const counts = rx.counts();
    const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    for (const id of twice)
      expect({ id, held_at_kill: heldAtKill.has(id), received: counts.get(id) }).toEqual({ id, held_at_kill: true, received: 2 });
    // The requests A had on the wire at the kill came again from the living (at-least-once, same webhook-id).
    expect(onTheWireAtKill.length).toBeGreaterThan(0);
    for (const id of onTheWireAtKill) expect(counts.get(id)).toBe(2);
    expect(twice.length).toBeLessThanOrEqual(heldAtKill.size);
    // One event per webhook-id, always the same one under the same webhook-id, and no event in two deliveries.
    const eventOf = new Map<string, string>();
    for (const r of rx.requests) {
      expect(r.envelope?.id).toEqual(expect.any(String));
      expect(eventOf.get(r.webhookId) ?? r.envelope!.id).toBe(r.envelope!.id);
      eventOf.set(r.webhookId, r.envelope!.id);
    }
    expect(new Set(eventOf.values()).size).toBe(eventOf.size);
    // Every pull request's review was announced, and each prediction once (its dedupe key holds
    // across processes even when the killed one's review ran again).
    const envelopes = [...new Map(rx.requests.map((r) => [r.webhookId, r.envelope!])).values()];
    const completed = new Set(envelopes.filter((e) => e.event_type === "interaction_completed").map((e) => e.data.repo));
    expect([...completed].sort()).toEqual(fakes.map((f) => `${f.owner}/${f.repo}`).sort());
    const predictions = envelopes.filter((e) => e.event_type === "level_4_prediction").map((e) => `${e.data.repo}:${e.data.fingerprint}`);
    expect(predictions.length).toBeGreaterThan(0);
    expect(new Set(predictions).size).toBe(predictions.length);

    for (const app of [a, b]) app.child.kill("SIGTERM");
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
  }, 240_000);
});
