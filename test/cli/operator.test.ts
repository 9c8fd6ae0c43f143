/**
 * `empathy jobs`, `empathy deliveries` and `empathy data delete` on a real SQLite store file:
 * which store (DATABASE_URL as the app reads it), readable and --json output, replays, and no
 * secret in any output.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, type CliIo } from "../../src/cli.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";

const TOKEN = ["gh", "p_", "4fR9tXb2Lq7Wz1Vn8Kc3Hs6Jd0Mp5Ye2Ua9Q"].join("");

async function run(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), readStdin: () => "", cwd, env };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

describe("operator commands", () => {
  let dir: string;
  let dbPath: string;
  let store: SqliteStore;
  let deadJob: number;
  let doneJob: number;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "empathy-operator-"));
    mkdirSync(join(dir, "data"));
    dbPath = join(dir, "data", "empathy.sqlite");
    store = new SqliteStore(dbPath);
    deadJob = (await store.enqueueJob({
      type: "review",
      payload: {
        installationId: 1,
        owner: "octo-org",
        repo: "shop",
        pullNumber: 12,
        headSha: "abc",
        deliveryId: "d1",
        note: `token ${TOKEN}`,
      },
    }))!;
    doneJob = (await store.enqueueJob({ type: "command", payload: { owner: "octo-org", repo: "shop", pullNumber: 3, author: "alice" } }))!;
    await store.claimJob(Date.now());
    await store.killJob(deadJob, `GitHub answered 502 while using ${TOKEN}`);
    await store.claimJob(Date.now());
    await store.completeJob(doneJob);
    const now = Date.now();
    await store.enqueueWebhookEvent(
      {
        events: [
          {
            id: "ev1",
            eventType: "level_4_prediction",
            envelope: JSON.stringify({
              id: "ev1",
              event_type: "level_4_prediction",
              timestamp: "t",
              data: { repo: "octo-org/shop", user_id: "alice", prediction: `leak ${TOKEN}` },
            }),
          },
          { id: "ev2", eventType: "test", envelope: JSON.stringify({ id: "ev2", event_type: "test", timestamp: "t", data: {} }) },
        ],
        deliveries: [
          {
            id: "msg_dead",
            registrationId: "wh_a",
            eventType: "level_4_prediction",
            eventIds: ["ev1"],
            body: null,
            status: "pending",
            nextAttemptAt: now,
          },
          {
            id: "msg_ok",
            registrationId: "wh_a",
            eventType: "test",
            eventIds: ["ev2"],
            body: '{"text":"hello"}',
            status: "pending",
            nextAttemptAt: now,
          },
        ],
        batchItems: [],
      },
      now,
    );
    for (const d of await store.claimWebhookDeliveries(["wh_a"], now, 10)) {
      await store.recordWebhookAttempt({
        deliveryId: d.id,
        status: d.id === "msg_dead" ? "dead" : "delivered",
        statusCode: d.id === "msg_dead" ? 500 : 200,
        durationMs: 12,
        error: d.id === "msg_dead" ? "HTTP 500" : null,
        responseExcerpt: d.id === "msg_dead" ? `upstream said ${TOKEN}` : "ok",
        nextAttemptAt: null,
        attemptedAt: now,
      });
    }
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe("the store", () => {
    it("is the app's: DATABASE_URL from .env over the environment, else the default, else --database; never created by a typo", async () => {
      // The default, ./data/empathy.sqlite, in the app's folder.
      expect((await run(["jobs", "list"], dir)).stdout).toMatch(/^Jobs in data\/empathy\.sqlite: 0 queued, 0 running, 1 done, 1 dead\n/);
      const elsewhere = mkdtempSync(join(tmpdir(), "empathy-operator-cwd-"));
      try {
        const missing = await run(["jobs", "list"], elsewhere);
        expect(missing.code).toBe(2);
        expect(missing.stderr).toBe(
          `empathy: no store at ${join(elsewhere, "data/empathy.sqlite")} (the app's default, DATABASE_URL being unset): run empathy in the app's folder, set DATABASE_URL, or give --database PATH\n`,
        );
        expect((await run(["jobs", "list"], elsewhere, { DATABASE_URL: `sqlite:${dbPath}` })).code).toBe(0);
        // .env wins over the environment, as in the app (src/main.ts).
        writeFileSync(join(elsewhere, ".env"), `APP_ID=1\nDATABASE_URL=${dbPath}\n`);
        expect((await run(["jobs", "list"], elsewhere, { DATABASE_URL: "/nowhere/x.sqlite" })).code).toBe(0);
        writeFileSync(join(elsewhere, ".env"), "DATABASE_URL=./typo.sqlite\n");
        expect((await run(["jobs", "list"], elsewhere)).stderr).toBe(
          `empathy: no store at ${join(elsewhere, "typo.sqlite")} (DATABASE_URL in .env): run empathy in the app's folder, set DATABASE_URL, or give --database PATH\n`,
        );
        expect((await run(["jobs", "list", "--database", dbPath], elsewhere)).code).toBe(0);
        // (port 1 on loopback: refused at once; the password is never shown)
        expect((await run(["jobs", "list", "--database", "postgres://u:p@127.0.0.1:1/db"], elsewhere)).stderr).toMatch(
          /^empathy: postgres:\/\/u@127\.0\.0\.1:1\/db \(--database\) could not be opened as a store: .*ECONNREFUSED/,
        );
        writeFileSync(join(elsewhere, "notes.txt"), "not a database at all, but long enough to be read as a header........\n");
        expect((await run(["jobs", "list", "--database", "notes.txt"], elsewhere)).stderr).toMatch(
          /^empathy: notes\.txt \(--database\) could not be opened as a store: /,
        );
        expect(existsIn(elsewhere)).toEqual([".env", "notes.txt"]);
      } finally {
        rmSync(elsewhere, { recursive: true, force: true });
      }
    });
  });

  describe("jobs", () => {
    it("lists the queue with counts, newest first, filtered; as JSON too; without secrets", async () => {
      const list = await run(["jobs", "list"], dir);
      expect(list.code).toBe(0);
      const lines = list.stdout.split("\n");
      expect(lines[2]).toMatch(/^ID\s+STATUS\s+TYPE\s+ATTEMPTS\s+UPDATED\s+SUBJECT\s+LAST ERROR$/);
      expect(lines.slice(3, 5).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
        [String(doneJob), "done", "command"],
        [String(deadJob), "dead", "review"],
      ]);
      expect(list.stdout).toContain("octo-org/shop#12");
      expect(list.stdout).toContain("GitHub answered 502 while using");
      const dead = await run(["jobs", "list", "--status", "dead", "--json"], dir);
      const json = JSON.parse(dead.stdout);
      expect(json.counts).toEqual({ queued: 0, running: 0, done: 1, dead: 1 });
      expect(json.jobs).toEqual([
        expect.objectContaining({
          id: deadJob,
          type: "review",
          status: "dead",
          attempts: 1,
          repo: "octo-org/shop",
          pull_number: 12,
          last_error: expect.stringMatching(/^GitHub answered 502/),
        }),
      ]);
      expect((await run(["jobs", "list", "--since", "1h", "--type", "command", "--json"], dir)).stdout).toContain(`"id": ${doneJob}`);
      expect(JSON.parse((await run(["jobs", "list", "--since", "2999-01-01", "--json"], dir)).stdout).jobs).toEqual([]);
      expect((await run(["jobs", "list", "--status", "gone"], dir)).stderr).toMatch(
        /^empathy: --status is one of queued, running, done, dead\n/,
      );
      expect((await run(["jobs", "list", "--since", "yesterday"], dir)).stderr).toMatch(
        /^empathy: --since "yesterday" is not a time: give a date \(2025-01-31\)/,
      );
      for (const out of [list.stdout, dead.stdout]) expect(out).not.toContain(TOKEN);
    });

    it("shows one job with its payload, and says how to replay a dead one", async () => {
      const shown = await run(["jobs", "show", String(deadJob)], dir);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(new RegExp(`^Job ${deadJob}: review, dead\n  subject:     octo-org/shop#12\n  attempts:    1\n`));
      expect(shown.stdout).toContain('"deliveryId": "d1"');
      expect(shown.stdout).toContain(`To run it again: empathy jobs replay ${deadJob}`);
      expect(shown.stdout).not.toContain(TOKEN);
      expect(JSON.parse((await run(["jobs", "show", String(deadJob), "--json"], dir)).stdout)).toMatchObject({
        id: deadJob,
        payload: { owner: "octo-org", pullNumber: 12 },
      });
      const none = await run(["jobs", "show", "999"], dir);
      expect(none).toMatchObject({ code: 1, stderr: "empathy: no job 999\n" });
      expect((await run(["jobs", "show", "abc"], dir)).stderr).toMatch(/^empathy: "abc" is not a job id/);
    });

    it("replays a dead job by id, refuses one that is not dead, and replays all since a time", async () => {
      const refused = await run(["jobs", "replay", String(doneJob)], dir);
      expect(refused).toMatchObject({
        code: 1,
        stdout: "",
        stderr: `empathy: job ${doneJob} not replayed: it is done, not dead-lettered\n`,
      });
      const replayed = await run(["jobs", "replay", String(deadJob)], dir);
      expect(replayed.code).toBe(0);
      expect(replayed.stdout).toBe(
        `Requeued job ${deadJob} (review octo-org/shop#12) with a fresh set of attempts.\nThe running app takes them within a second or two; a stopped app, when it starts.\n`,
      );
      expect(await store.getJob(deadJob)).toMatchObject({ status: "queued", attempts: 0 });
      expect((await store.claimJob(Date.now()))?.id).toBe(deadJob);
      await store.killJob(deadJob, "again");
      expect((await run(["jobs", "replay", "--since", "2999-01-01"], dir)).stdout).toMatch(
        /^No job was dead-lettered since 2999-01-01 00:00:00Z\.\n/,
      );
      expect(JSON.parse((await run(["jobs", "replay", "--since", "10m", "--json"], dir)).stdout)).toEqual({
        replayed: [deadJob],
        refused: [],
      });
      expect((await run(["jobs", "replay", "--all"], dir)).stdout).toBe("No dead-lettered job to replay.\n");
      expect((await run(["jobs", "replay"], dir)).stderr).toMatch(
        /^empathy: jobs replay takes job ids, or --since TIME, or --all \(one of them\)/,
      );
      expect((await run(["jobs", "replay", "1", "--all"], dir)).code).toBe(2);
      expect((await run(["jobs", "list", "--all"], dir)).stderr).toMatch(/^empathy: --all does not go with jobs list/);
      expect((await run(["jobs", "lsit"], dir)).stderr).toMatch(
        /^empathy: unknown jobs subcommand "lsit" \(did you mean list\?\): list, show or replay/,
      );
    });
  });

  describe("deliveries", () => {
    it("lists deliveries with counts and shows one with its attempts, without secrets", async () => {
      const list = await run(["deliveries", "list"], dir);
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(
        /^Webhook deliveries in data\/empathy\.sqlite: 0 pending, 0 in flight, 1 delivered, 1 dead\n\nID\s+STATUS\s+EVENT\s+WEBHOOK\s+ATTEMPTS\s+UPDATED\s+LAST RESULT\n/,
      );
      expect(list.stdout).toMatch(/msg_dead\s+dead\s+level_4_prediction\s+wh_a\s+1\s+.*\)  HTTP 500\n/);
      expect(JSON.parse((await run(["deliveries", "list", "--status", "dead", "--json"], dir)).stdout).deliveries).toEqual([
        expect.objectContaining({ id: "msg_dead", status: "dead", webhook: "wh_a", attempts: 1, last_status_code: 500 }),
      ]);
      expect(JSON.parse((await run(["deliveries", "list", "--webhook", "wh_other", "--json"], dir)).stdout).deliveries).toEqual([]);

      const shown = await run(["deliveries", "show", "msg_dead"], dir);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(/^Delivery msg_dead: level_4_prediction, dead\n  webhook:      wh_a\n  events:       ev1\n/);
      expect(shown.stdout).toMatch(/Attempts:\n  #1  \S+ \S+  dead\s+500  12 ms  HTTP 500\n        response: upstream said /);
      expect(shown.stdout).toContain("Body (the event envelope, as sent):");
      expect(shown.stdout).toContain('"repo": "octo-org/shop"');
      expect(shown.stdout).toContain("To send it again: empathy deliveries replay msg_dead");
      const json = JSON.parse((await run(["deliveries", "show", "msg_dead", "--json"], dir)).stdout);
      expect(json).toMatchObject({
        id: "msg_dead",
        events: [{ id: "ev1", data: { repo: "octo-org/shop" } }],
        attempts: [{ attempt: 1, status: "dead", status_code: 500 }],
      });
      for (const out of [list.stdout, shown.stdout, JSON.stringify(json)]) expect(out).not.toContain(TOKEN);
      expect(await run(["deliveries", "show", "msg_nope"], dir)).toMatchObject({
        code: 1,
        stderr: "empathy: no webhook delivery msg_nope\n",
      });
    });

    it("replays a dead letter by id or since a time, and refuses a delivered one or one whose webhook is disabled", async () => {
      expect(await run(["deliveries", "replay", "msg_ok"], dir)).toMatchObject({
        code: 1,
        stderr: "empathy: msg_ok not replayed: it is delivered, not a dead letter\n",
      });
      await store.setWebhookRegistrationDisabled("wh_a", "the endpoint answered 410 Gone", Date.now());
      const disabled = await run(["deliveries", "replay", "msg_dead"], dir);
      expect(disabled.code).toBe(1);
      expect(disabled.stderr).toBe(
        "empathy: msg_dead not replayed: its webhook wh_a is disabled (the endpoint answered 410 Gone): fix the endpoint and restart the app to enable it\n",
      );
      // In bulk, a disabled webhook's dead letters are reported, and are no failure.
      expect((await run(["deliveries", "replay", "--all"], dir)).code).toBe(0);
      await store.setWebhookRegistrationDisabled("wh_a", null, Date.now());
      const replayed = await run(["deliveries", "replay", "--since", "1h"], dir);
      expect(replayed.code).toBe(0);
      expect(replayed.stdout).toMatch(
        /^Replaying msg_dead: back to pending with a fresh set of retries\.\nThe running app sends them within a second or two/,
      );
      expect(await store.getWebhookDelivery("msg_dead")).toMatchObject({ status: "pending", attempts: 0 });
      expect(JSON.parse((await run(["deliveries", "replay", "--all", "--json"], dir)).stdout)).toEqual({ replayed: [], refused: [] });
      expect((await run(["deliveries", "replay", "msg_dead", "--webhook", "wh_a"], dir)).stderr).toMatch(
        /^empathy: --webhook goes with --since or --all, not with ids/,
      );
    });
  });

  describe("data delete", () => {
    it("counts without --yes, deletes with it, and says what went", async () => {
      const dry = await run(["data", "delete", "--repo", "Octo-Org/Shop"], dir);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toMatch(/^Would change in data\/empathy\.sqlite, for repository Octo-Org\/Shop:\n\nWHAT\s+TABLE\s+ROWS\n/);
      expect(dry.stdout).toMatch(/jobs and their payloads \(any status\)\s+jobs\s+2\s+to delete\n/);
      expect(dry.stdout).toMatch(/stored webhook events\s+webhook_events\s+1\s+to delete\n/);
      expect(dry.stdout).toMatch(/\n5 rows to delete\. Nothing was changed: run again with --yes to delete\.\n$/);
      expect(await store.getJob(deadJob)).toBeDefined();

      const done = await run(["data", "delete", "--repo", "Octo-Org/Shop", "--yes", "--json"], dir);
      expect(JSON.parse(done.stdout)).toMatchObject({ subject: "repository Octo-Org/Shop", dry_run: false, deleted: 5, anonymised: 0 });
      expect(await store.getJob(deadJob)).toBeUndefined();
      expect(await store.getWebhookDelivery("msg_dead")).toBeUndefined();
      expect(await store.getWebhookDelivery("msg_ok")).toBeDefined();
      expect((await run(["data", "delete", "--repo", "octo-org/shop", "--yes"], dir)).stdout).toBe(
        "Nothing stored about repository octo-org/shop in data/empathy.sqlite.\n",
      );

      const user = await run(["data", "delete", "--user", "@Alice", "--yes"], dir);
      expect(user.stdout).toBe("Nothing stored about user Alice in data/empathy.sqlite.\n");
    });

    it("refuses what is not a repository or a login, and needs one of them", async () => {
      expect((await run(["data", "delete"], dir)).stderr).toMatch(/^empathy: give one of --repo OWNER\/NAME or --user LOGIN\n/);
      expect((await run(["data", "delete", "--repo", "shop"], dir)).stderr).toMatch(
        /^empathy: --repo "shop" is not a repository: OWNER\/NAME, e.g. octo-org\/shop\n/,
      );
      expect((await run(["data", "delete", "--user", "a b"], dir)).stderr).toMatch(/^empathy: --user "a b" is not a GitHub login\n/);
      expect((await run(["data", "remove", "--user", "x"], dir)).stderr).toMatch(
        /^empathy: unknown data subcommand "remove": the only one is delete\n/,
      );
    });
  });
});

function existsIn(folder: string): string[] {
  return readdirSync(folder).sort();
}
