/**
 * The store methods behind the operator commands (OperatorStore) and data deletion
 * (DataDeletionStore), on a real SQLite file: replays touch only dead letters, and deleting a
 * repository's or a person's data removes every row about them, leaves everyone else's, and
 * leaves no copy in the file or its write-ahead log.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newPattern } from "../../src/engine/patterns.js";
import { newTrustRecord } from "../../src/engine/trust.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import type { NewWebhookDelivery } from "../../src/store/store.js";

const envelope = (id: string, type: string, data: Record<string, unknown>) =>
  JSON.stringify({ id, event_type: type, timestamp: "2025-01-01T00:00:00Z", data });
const delivery = (id: string, eventIds: string[], over: Partial<NewWebhookDelivery> = {}): NewWebhookDelivery => ({
  id,
  registrationId: "wh_1",
  eventType: "test",
  eventIds,
  body: null,
  status: "pending",
  nextAttemptAt: 0,
  ...over,
});

/** Everything the app stores about one pull request of `repo` by `author`, through the store's own methods. */
async function seedPullRequest(s: SqliteStore, repo: string, author: string, pr: number, marker: string): Promise<void> {
  const [owner, name] = repo.split("/");
  await s.saveReview(repo, pr, `sha-${pr}`, 77);
  await s.saveSummary(repo, pr, { commentId: 5, lastFingerprints: [`fp-${marker}`], lastSha: `sha-${pr}` });
  await s.savePostedFindings(repo, pr, [{ fingerprint: `fp-${marker}`, path: "a.js", line: 1, commitSha: `sha-${pr}` }]);
  await s.saveShownItems(repo, [{ fingerprint: `fp-${marker}`, prNumber: pr, author, item: { message: `finding ${marker}` } }]);
  await s.saveFeedback({
    repo,
    key: `issue:${pr}`,
    outcome: "rejected",
    userId: author,
    createdAt: Date.now(),
    trust: newTrustRecord(author, repo),
    events: [],
  });
  await s.savePattern({ ...newPattern(repo, "js/sql-injection"), name: `pattern ${marker}` });
  await s.suppressFinding(repo, `fp-${marker}`, author);
  await s.savePredictionIssue(repo, `fp-${marker}`, 12);
  await s.saveTransformationIssue(repo, "js/sql-injection", 13);
  await s.saveOpenPullResources(repo, {
    prNumber: pr,
    author,
    headSha: `sha-${pr}`,
    url: `https://github.com/${repo}/pull/${pr}`,
    title: `title ${marker}`,
    resources: [],
  });
  await s.markCoordinationDone(repo, `conflict:${pr}:${pr + 1}:table:orders`);
  await s.claimRateSlot(`forced-review:${repo}#${pr}`, "c1", Date.now(), 1000);
  await s.claimRateSlot(`help:${repo}#${pr}:${author.toLowerCase()}`, "c2", Date.now(), 1000);
  await s.enqueueJob({
    type: "review",
    payload: { installationId: 1, owner, repo: name, pullNumber: pr, headSha: `sha-${pr}`, deliveryId: `d-${marker}`, action: "opened" },
  });
  await s.enqueueJob({
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
  await s.enqueueWebhookEvent(
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
        delivery(`msg-${marker}-1`, [ev1], { dedupeKey: `level_4_prediction:${repo}:fp-${marker}` }),
        delivery(`msg-${marker}-2`, [ev2], { status: "dead", error: `dead ${marker}` }),
      ],
      batchItems: [{ registrationId: "wh_batch", eventId: ev1, eventType: "level_4_prediction" }],
    },
    Date.now(),
  );
}

function count(s: SqliteStore, table: string, where = "1 = 1", ...args: unknown[]): number {
  return (s.db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`).get(...args) as { n: number }).n;
}

/** Every table with rows, and how many. */
function census(s: SqliteStore): Record<string, number> {
  const tables = (
    s.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'")
      .all() as { name: string }[]
  ).map((t) => t.name);
  return Object.fromEntries(tables.map((t) => [t, count(s, t)]).filter(([, n]) => (n as number) > 0));
}

describe("SqliteStore operator methods", () => {
  let s: SqliteStore;
  beforeEach(() => {
    s = new SqliteStore(":memory:");
  });
  afterEach(() => s.close());

  it("gets a job, lists the most recently updated first with filters, and replays only dead jobs with a fresh budget", async () => {
    const a = (await s.enqueueJob({ type: "review", payload: { n: 1 } }))!;
    const b = (await s.enqueueJob({ type: "command", payload: { n: 2 } }))!;
    const c = (await s.enqueueJob({ type: "review", payload: { n: 3 } }))!;
    const set = (id: number, status: string, updatedAt: number, attempts = 6) =>
      s.db
        .prepare("UPDATE jobs SET status = ?, updated_at = ?, attempts = ?, last_error = 'boom' WHERE id = ?")
        .run(status, updatedAt, attempts, id);
    set(a, "dead", 1_000);
    set(b, "done", 3_000, 1);
    set(c, "dead", 2_000);
    expect(await s.getJob(a)).toMatchObject({ id: a, type: "review", status: "dead", payload: { n: 1 } });
    expect(await s.getJob(999)).toBeUndefined();
    expect((await s.listRecentJobs({})).map((j) => j.id)).toEqual([b, c, a]);
    expect((await s.listRecentJobs({ status: "dead" })).map((j) => j.id)).toEqual([c, a]);
    expect((await s.listRecentJobs({ type: "review", since: 1_500 })).map((j) => j.id)).toEqual([c]);
    expect((await s.listRecentJobs({ limit: 1 })).map((j) => j.id)).toEqual([b]);

    // By ids: a done job is left alone.
    expect(await s.replayDeadJobs({ ids: [a, b, 999] }, 5_000)).toEqual([a]);
    expect(await s.getJob(a)).toMatchObject({ status: "queued", attempts: 0, runAt: 5_000, lastError: "boom" });
    expect(await s.getJob(b)).toMatchObject({ status: "done" });
    // Since a time: only those dead-lettered at or after it.
    set(a, "dead", 1_000);
    expect(await s.replayDeadJobs({ since: 1_500 }, 6_000)).toEqual([c]);
    expect(await s.replayDeadJobs({ since: 1_500 }, 6_000)).toEqual([]);
    expect(await s.replayDeadJobs({}, 7_000)).toEqual([a]);
    // A replayed job is claimed like any other.
    expect((await s.claimJob(7_000))?.id).toBe(c);
  });

  it("replays dead webhook deliveries by id or since a time, never those of a disabled webhook", async () => {
    const now = 10_000;
    await s.enqueueWebhookEvent(
      {
        events: ["e1", "e2", "e3", "e4"].map((id) => ({ id, eventType: "test", envelope: envelope(id, "test", {}) })),
        deliveries: [
          delivery("m1", ["e1"], { status: "dead", error: "HTTP 500" }),
          delivery("m2", ["e2"], { status: "dead", error: "HTTP 500", registrationId: "wh_gone" }),
          delivery("m3", ["e3"], { status: "dead", error: "HTTP 500", registrationId: "wh_other" }),
          delivery("m4", ["e4"]),
        ],
        batchItems: [],
      },
      now,
    );
    await s.setWebhookRegistrationDisabled("wh_gone", "410 Gone", now);
    s.db.prepare("UPDATE webhook_deliveries SET finished_at = 1000 WHERE id = 'm3'").run();

    expect(await s.replayDeadWebhookDeliveries({ ids: ["m2", "m4", "nope"] }, now)).toEqual({
      replayed: [],
      disabled: [{ id: "m2", registrationId: "wh_gone", reason: "410 Gone" }],
    });
    expect(await s.replayDeadWebhookDeliveries({ since: 5_000, registrationId: "wh_other" }, now)).toEqual({ replayed: [], disabled: [] });
    expect(await s.replayDeadWebhookDeliveries({ since: 5_000 }, now + 1)).toEqual({
      replayed: ["m1"],
      disabled: [{ id: "m2", registrationId: "wh_gone", reason: "410 Gone" }],
    });
    expect(await s.getWebhookDelivery("m1")).toMatchObject({ status: "pending", attempts: 0, nextAttemptAt: now + 1, finishedAt: null });
    expect(await s.getWebhookDelivery("m2")).toMatchObject({ status: "dead" });
    expect((await s.replayDeadWebhookDeliveries({}, now + 2)).replayed).toEqual(["m3"]);
    // Enabled again, its dead letter goes too.
    await s.setWebhookRegistrationDisabled("wh_gone", null, now);
    expect(await s.replayDeadWebhookDeliveries({ ids: ["m2"] }, now + 3)).toEqual({ replayed: ["m2"], disabled: [] });
  });
});

describe("SqliteStore data deletion", () => {
  let dir: string;
  let path: string;
  let s: SqliteStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "empathy-delete-"));
    path = join(dir, "empathy.sqlite");
    s = new SqliteStore(path);
    await seedPullRequest(s, "Octo-Org/Shop", "Alice", 1, "SHOPALICEMARKER");
    await seedPullRequest(s, "octo-org/shop", "bob", 2, "SHOPBOBMARKER");
    await seedPullRequest(s, "octo-org/shop-admin", "alice", 3, "ADMINALICEMARKER");
    await seedPullRequest(s, "other/repo", "carol", 4, "OTHERCAROLMARKER");
  });
  afterEach(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The store's file and its write-ahead log, as bytes an attacker with the disk would read. */
  const fileBytes = () =>
    [path, `${path}-wal`]
      .filter(existsSync)
      .map((p) => readFileSync(p).toString("latin1"))
      .join("");

  it("a dry run counts without changing anything", async () => {
    const before = census(s);
    const counts = await s.deleteRepositoryData("octo-org/shop", { dryRun: true });
    expect(counts.find((c) => c.table === "reviews")).toMatchObject({ count: 2, action: "deleted" });
    expect(census(s)).toEqual(before);
  });

  it("deletes everything about a repository, matched without regard to case, and nothing of another", async () => {
    const before = census(s);
    const counts = await s.deleteRepositoryData("OCTO-ORG/shop");
    const n = (table: string) => counts.filter((c) => c.table === table).reduce((a, c) => a + c.count, 0);
    // Two pull requests of octo-org/shop: every kind of row, from each.
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
    ]) {
      expect([table, n(table)]).toEqual([table, 2]);
    }
    expect(n("patterns")).toBe(2); // one pattern key, under each spelling of the name
    expect(n("transformation_issues")).toBe(2);
    expect(n("rate_slots")).toBe(4);
    expect(n("jobs")).toBe(4);
    expect(n("webhook_events")).toBe(4);
    expect(n("webhook_deliveries")).toBe(4);
    expect(n("webhook_attempts")).toBe(2); // the dead letters' logs
    expect(n("webhook_batch_items")).toBe(2);
    expect(n("webhook_dedupe")).toBe(2);
    // Every row deleted is gone, and the others' are all there.
    const after = census(s);
    for (const [table, rows] of Object.entries(before)) expect([table, after[table] ?? 0]).toEqual([table, rows - n(table)]);
    expect(count(s, "reviews", "lower(repo) = 'octo-org/shop'")).toBe(0);
    expect(count(s, "reviews", "repo = 'octo-org/shop-admin'")).toBe(1);
    expect(count(s, "jobs", "payload LIKE '%shop-admin%'")).toBe(2);
    expect(count(s, "webhook_events", "envelope LIKE '%other/repo%'")).toBe(2);
    // Not even in the file's free pages or its write-ahead log.
    const bytes = fileBytes();
    expect(bytes).not.toContain("SHOPALICEMARKER");
    expect(bytes).not.toContain("SHOPBOBMARKER");
    expect(bytes).toContain("ADMINALICEMARKER");
    // Done: a second run finds nothing.
    expect((await s.deleteRepositoryData("octo-org/shop")).every((c) => c.count === 0)).toBe(true);
  });

  it("deletes a person's data in every repository, keeps their dismissals for the repository without their name, and leaves other people's", async () => {
    const counts = await s.deleteUserData("@ALICE");
    const n = (table: string) => counts.filter((c) => c.table === table).reduce((a, c) => a + c.count, 0);
    expect(n("trust")).toBe(2);
    expect(n("feedback_log")).toBe(2);
    expect(n("shown_items")).toBe(2);
    expect(n("open_pull_resources")).toBe(2);
    expect(n("rate_slots")).toBe(2); // help slots; the forced-review slots name no one
    expect(n("jobs")).toBe(2); // commands on her pull requests (prAuthor); review jobs name no person
    expect(n("webhook_events")).toBe(4);
    expect(n("webhook_deliveries")).toBe(4);
    expect(counts.find((c) => c.table === "suppressed_findings")).toMatchObject({ count: 2, action: "anonymised" });
    expect(count(s, "suppressed_findings", "user_id = '(deleted user)'")).toBe(2);
    expect(count(s, "suppressed_findings")).toBe(4);
    expect(count(s, "trust", "lower(user_id) = 'alice'")).toBe(0);
    expect(count(s, "trust", "user_id IN ('bob', 'carol')")).toBe(2);
    expect(count(s, "shown_items", "author = 'bob'")).toBe(1);
    // The repositories' own records stay: reviews and summaries name pull requests, not people.
    expect(count(s, "reviews")).toBe(4);
    const bytes = fileBytes();
    expect(bytes).not.toMatch(/"user_id":"alice"/i);
    expect(bytes).not.toContain("title SHOPALICEMARKER");
    expect(bytes).toContain("title SHOPBOBMARKER");
  });

  it("finds a person only in fields that name people, not in any text that equals their login", async () => {
    await s.enqueueJob({ type: "coordination", payload: { owner: "o", repo: "r", baseRef: "main", author: "someone", paths: ["main"] } });
    await s.enqueueJob({
      type: "handoff",
      payload: { kind: "review_requested", owner: "o", repo: "r", reviewer: "@main", requester: "x" },
    });
    const counts = await s.deleteUserData("main");
    expect(counts.find((c) => c.table === "jobs")?.count).toBe(1);
    expect(count(s, "jobs", "payload LIKE '%baseRef%'")).toBe(1);
  });

  it("refuses names that are not a repository or a login", async () => {
    await expect(s.deleteRepositoryData("shop")).rejects.toThrow(/not a repository name/);
    await expect(s.deleteUserData("a b")).rejects.toThrow(/not a GitHub login/);
  });
});
