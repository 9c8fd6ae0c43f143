/**
 * The dashboard's part of the store contract (src/store/events.ts), on SQLite (two store instances
 * on one file) and a real PostgreSQL started for this suite (two pools on one database): a kept
 * secret that instances starting together agree on; the recorded bus events, listed newest first
 * by repository, type and page, resumed after an id, pruned by age, and deleted with a
 * repository's or a person's data. `empathy store copy` of both tables is in copy.test.ts.
 */
import { jest } from "@jest/globals";
import type { AnyEventEnvelope } from "../../src/events/catalog.js";
import { eventLogRow } from "../../src/events/eventLog.js";
import { MAX_EVENT_PAGE, MAX_EVENT_QUERY_REPOS, type NewStoredEvent, type Store } from "../../src/store/store.js";
import { storeBackends, type StorePair } from "./contractBackends.js";
import { postgresForSuite } from "./postgresSuite.js";

jest.setTimeout(60_000);

const server = postgresForSuite();

const DAY = 24 * 60 * 60_000;
let ids = 0;

/** An envelope as the event log records it (redacted, repo lower-cased), at a time. */
function recorded(type: string, data: Record<string, unknown>, at = Date.now(), id = `ev-${++ids}`): NewStoredEvent {
  const env: AnyEventEnvelope = { id, event_type: type, timestamp: new Date(at).toISOString(), data };
  return eventLogRow(env)!;
}

describe.each(storeBackends(() => server))("event log and secrets contract: %s", (_name, open) => {
  let s: StorePair;
  beforeEach(async () => {
    s = await open();
  });
  afterEach(async () => {
    await s.close();
  });

  describe("secrets", () => {
    it("keeps the first value: instances asking together all get the same one, and later calls do not make another", async () => {
      let made = 0;
      const create = (tag: string) => () => `value-${tag}-${++made}`;
      const values = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 ? s.a : s.b).getOrCreateSecret("session", create(String(i)))),
      );
      expect(new Set(values).size).toBe(1);
      expect(values[0]).toMatch(/^value-\d+-\d+$/);
      const before = made;
      expect(
        await s.b.getOrCreateSecret("session", () => {
          throw new Error("not asked: a value is kept");
        }),
      ).toBe(values[0]);
      expect(made).toBe(before);
      expect(await s.a.getOrCreateSecret("other", () => "another")).toBe("another"); // names are separate
      expect(await s.sql("SELECT name FROM app_secrets ORDER BY name")).toEqual([{ name: "other" }, { name: "session" }]);
      await expect(s.a.getOrCreateSecret("empty", () => "")).rejects.toThrow(/non-empty/);
      await expect(s.a.getOrCreateSecret("", () => "x")).rejects.toThrow(/name/);
    });
  });

  describe("events", () => {
    /** Seeds events of two repositories, one without a repository, of three types, half through each instance. */
    async function seed(): Promise<string[]> {
      const rows = [
        recorded("interaction_started", { repo: "Octo-Org/Shop", user_id: "alice" }),
        recorded("level_4_prediction", { repo: "octo-org/shop", user_id: "bob" }),
        recorded("error", { error_type: "x" }),
        recorded("interaction_started", { repo: "other/repo", user_id: "carol" }),
        recorded("level_4_prediction", { repo: "octo-org/shop", user_id: "alice" }),
        recorded("trust_increased", { repo: "other/repo", user_id: "alice" }),
      ];
      await s.a.appendEvents(rows.slice(0, 3));
      await s.b.appendEvents(rows.slice(3));
      await s.a.appendEvents([rows[0]]); // an id already recorded: skipped
      await s.b.appendEvents([rows[2], rows[2]]); // and one twice in one batch
      return rows.map((r) => r.id);
    }
    const idsOf = (page: { events: { id: string }[] }) => page.events.map((e) => e.id);

    it("lists newest first, by repository, with or without unscoped events, and by type", async () => {
      const e = await seed();
      expect(idsOf(await s.b.listEvents({ repos: ["octo-org/shop"], includeUnscoped: false, limit: 50 }))).toEqual([e[4], e[1], e[0]]);
      expect(idsOf(await s.a.listEvents({ repos: ["octo-org/shop", "other/repo"], includeUnscoped: true, limit: 50 }))).toEqual(
        [...e].reverse(),
      );
      expect(idsOf(await s.a.listEvents({ repos: [], includeUnscoped: true, limit: 50 }))).toEqual([e[2]]);
      expect(idsOf(await s.a.listEvents({ repos: [], includeUnscoped: false, limit: 50 }))).toEqual([]);
      const typed = await s.a.listEvents({
        repos: ["octo-org/shop", "other/repo"],
        includeUnscoped: true,
        types: ["interaction_started", "error"],
        limit: 50,
      });
      expect(idsOf(typed)).toEqual([e[3], e[2], e[0]]);
      expect(typed.next).toBeUndefined();
      // The envelope as recorded, its repository's name as it was sent.
      expect(typed.events[2]).toEqual({
        id: e[0],
        event_type: "interaction_started",
        timestamp: expect.any(String),
        data: { repo: "Octo-Org/Shop", user_id: "alice" },
      });
      expect(await s.sql("SELECT repo FROM events WHERE id = ?", e[0])).toEqual([{ repo: "octo-org/shop" }]);
      expect(idsOf(await s.a.listEvents({ repos: ["octo-org/shop"], includeUnscoped: false, types: [], limit: 50 }))).toEqual([]);
    });

    it("pages by before/next, bounds the limit, and takes 5,000 repositories per query", async () => {
      const e = await seed();
      const all = [...e].reverse();
      const seen: string[] = [];
      let before: string | undefined;
      let pages = 0;
      do {
        const page = await (pages % 2 ? s.a : s.b).listEvents({
          repos: ["octo-org/shop", "other/repo"],
          includeUnscoped: true,
          before,
          limit: 2,
        });
        seen.push(...idsOf(page));
        expect(page.events.length).toBeLessThanOrEqual(2);
        before = page.next;
        pages++;
      } while (before !== undefined);
      expect(seen).toEqual(all);
      expect(pages).toBe(3);
      expect(await s.a.listEvents({ repos: ["octo-org/shop"], includeUnscoped: false, before: "not-a-seq", limit: 5 })).toEqual({
        events: [],
      });
      expect(idsOf(await s.a.listEvents({ repos: ["octo-org/shop"], includeUnscoped: false, limit: 0 }))).toEqual([e[4]]);

      await s.a.appendEvents(Array.from({ length: MAX_EVENT_PAGE + 20 }, (_, i) => recorded("test", { repo: "big/repo", i })));
      const big = await s.b.listEvents({ repos: ["big/repo"], includeUnscoped: false, limit: 100_000 });
      expect(big.events).toHaveLength(MAX_EVENT_PAGE);
      expect(big.events[0].data.i).toBe(MAX_EVENT_PAGE + 19);
      const rest = await s.b.listEvents({ repos: ["big/repo"], includeUnscoped: false, before: big.next, limit: 100_000 });
      expect(rest.events.map((x) => x.data.i)).toEqual(Array.from({ length: 20 }, (_, i) => 19 - i));
      expect(rest.next).toBeUndefined();

      const many = Array.from({ length: MAX_EVENT_QUERY_REPOS - 1 }, (_, i) => `owner-${i}/repo-${i}`);
      expect(idsOf(await s.a.listEvents({ repos: [...many, "other/repo"], includeUnscoped: false, limit: 10 }))).toEqual([e[5], e[3]]);
      await expect(s.a.listEvents({ repos: [...many, "a/b", "c/d"], includeUnscoped: false, limit: 10 })).rejects.toThrow(/at most 5000/);
    });

    it("resumes after an id, oldest first, bounded; an unknown id is undefined", async () => {
      const e = await seed();
      expect((await s.b.eventsAfter(e[1], { limit: 100 }))!.map((x) => x.id)).toEqual(e.slice(2));
      expect((await s.a.eventsAfter(e[1], { limit: 2 }))!.map((x) => x.id)).toEqual(e.slice(2, 4));
      expect(await s.a.eventsAfter(e[5], { limit: 100 })).toEqual([]);
      expect(await s.a.eventsAfter("never-recorded", { limit: 100 })).toBeUndefined();
    });

    it("prunes events older than the period, oldest first, in batches of at most the limit", async () => {
      const now = Date.now();
      await s.a.appendEvents([
        ...Array.from({ length: 7 }, () => recorded("test", { repo: "o/r" }, now - 40 * DAY)),
        recorded("test", { repo: "o/r" }, now - DAY),
      ]);
      expect(await s.b.pruneEvents(now - 30 * DAY, 5)).toBe(5);
      expect(await s.b.pruneEvents(now - 30 * DAY, 5)).toBe(2);
      expect(await s.b.pruneEvents(now - 30 * DAY, 5)).toBe(0);
      expect((await s.a.listEvents({ repos: ["o/r"], includeUnscoped: false, limit: 10 })).events).toHaveLength(1);
    });

    it("are deleted with a repository's data (matched without regard to case) and with a person's, and no others", async () => {
      const e = await seed();
      // Named by a text only (a systemic-fix issue's body), and by a longer name that is another repository.
      const more = [
        recorded("level_5_transformation", { body: "seen in Octo-Org/Shop#12" }),
        recorded("test", { repo: "octo-org/shop-admin" }),
      ];
      await s.b.appendEvents(more);
      const remaining = async (store: Store) =>
        idsOf(await store.listEvents({ repos: ["octo-org/shop", "octo-org/shop-admin", "other/repo"], includeUnscoped: true, limit: 50 }));
      const dry = await s.a.deleteRepositoryData("octo-org/shop", { dryRun: true });
      expect(dry.find((c) => c.table === "events")).toMatchObject({
        count: 4,
        action: "deleted",
        what: "recorded events (the dashboard's history)",
      });
      expect(await remaining(s.a)).toHaveLength(8);
      const byRepo = await s.b.deleteRepositoryData("OCTO-ORG/shop");
      expect(byRepo.find((c) => c.table === "events")?.count).toBe(4);
      expect(await remaining(s.a)).toEqual([more[1].id, e[5], e[3], e[2]]);
      // alice: user_id of one event left (other/repo's trust change); carol's and the rest stay.
      const byUser = await s.a.deleteUserData("@Alice");
      expect(byUser.find((c) => c.table === "events")?.count).toBe(1);
      expect(await remaining(s.b)).toEqual([more[1].id, e[3], e[2]]);
    });
  });
});
