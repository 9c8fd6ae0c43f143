/**
 * The reads that let every instance's live stream tail the store's events (src/store/events.ts:
 * eventsAfterSeq, eventSeq, newestEventSeq, onEventsAppended), on SQLite (two stores on one file)
 * and a real PostgreSQL (two pools on one database): events in seq order, paged and bounded; and,
 * under concurrent appends from both instances, a reader that always reads after the last seq it
 * took sees every event exactly once (PostgreSQL appends under a lock so that rows become visible
 * in seq order; without it a row could commit after one with a higher seq and be skipped).
 */
import { jest } from "@jest/globals";
import type { AnyEventEnvelope } from "../../src/events/catalog.js";
import { eventLogRow } from "../../src/events/eventLog.js";
import { MAX_EVENTS_AFTER, type NewStoredEvent } from "../../src/store/store.js";
import { storeBackends, type StorePair } from "./contractBackends.js";
import { postgresForSuite } from "./postgresSuite.js";

jest.setTimeout(120_000);

const server = postgresForSuite();

let ids = 0;
function recorded(data: Record<string, unknown> = {}, id = `tail-${++ids}`): NewStoredEvent {
  const env: AnyEventEnvelope = { id, event_type: "test", timestamp: new Date().toISOString(), data: { repo: "octo/app", ...data } };
  return eventLogRow(env)!;
}

describe.each(storeBackends(() => server, 8))("tailing the event log: %s", (_name, open) => {
  let s: StorePair;
  beforeEach(async () => {
    s = await open();
  });
  afterEach(async () => {
    await s.close();
  });

  it("reads the events after a seq, oldest first, bounded, on either instance", async () => {
    expect(await s.a.newestEventSeq()).toBe(0);
    expect(await s.b.eventsAfterSeq(0, { limit: 10 })).toEqual([]);
    const rows = Array.from({ length: 6 }, (_, i) => recorded({ i }));
    await s.a.appendEvents(rows.slice(0, 3));
    await s.b.appendEvents(rows.slice(3));
    const all = await s.b.eventsAfterSeq(0, { limit: 100 });
    expect(all.map((r) => r.envelope.id)).toEqual(rows.map((r) => r.id));
    const seqs = all.map((r) => r.seq);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(6);
    expect(all[2].envelope).toMatchObject({ id: rows[2].id, event_type: "test", data: { repo: "octo/app", i: 2 } });
    expect(await s.a.newestEventSeq()).toBe(seqs[5]);
    expect(await s.a.eventSeq(rows[3].id)).toBe(seqs[3]);
    expect(await s.b.eventSeq("never-recorded")).toBeUndefined();
    expect((await s.a.eventsAfterSeq(seqs[1], { limit: 2 })).map((r) => r.seq)).toEqual(seqs.slice(2, 4));
    expect(await s.a.eventsAfterSeq(seqs[5], { limit: 10 })).toEqual([]);
    // A limit below one reads one; a seq that is not one is refused.
    expect(await s.a.eventsAfterSeq(0, { limit: 0 })).toHaveLength(1);
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
      await expect(s.a.eventsAfterSeq(bad, { limit: 1 })).rejects.toThrow(RangeError);
  });

  it("reads at most MAX_EVENTS_AFTER events at once, however many are asked for", async () => {
    await s.a.appendEvents(Array.from({ length: MAX_EVENTS_AFTER + 5 }, (_, i) => recorded({ i })));
    const page = await s.b.eventsAfterSeq(0, { limit: 1_000_000 });
    expect(page).toHaveLength(MAX_EVENTS_AFTER);
    expect(await s.b.eventsAfterSeq(page[page.length - 1].seq, { limit: 1_000_000 })).toHaveLength(5);
  });

  it("tells this instance's listeners after each append committed; not the other instance's, not for nothing", async () => {
    const heard: string[] = [];
    const stop = s.a.onEventsAppended(() => heard.push("a"));
    s.b.onEventsAppended(() => heard.push("b"));
    s.a.onEventsAppended(() => {
      throw new Error("a listener that throws breaks neither the write nor the others");
    });
    const seen: number[] = [];
    // Caught and removed below: a read still under way when the store closes must not reject into a later suite.
    const stopSeen = s.a.onEventsAppended(
      () =>
        void s.a.newestEventSeq().then(
          (n) => seen.push(n),
          () => undefined,
        ),
    );
    await s.a.appendEvents([recorded()]);
    await s.a.appendEvents([]);
    expect(heard).toEqual(["a"]);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([await s.b.newestEventSeq()]); // committed when told: the row is readable
    stop();
    stopSeen();
    await s.a.appendEvents([recorded()]);
    expect(heard).toEqual(["a"]);
  });

  it("under concurrent appends from both instances, a reader after its last seq sees every event once", async () => {
    const writers = 8;
    const perWriter = 40;
    const written: string[] = [];
    let writing = true;
    const seen: string[] = [];
    // The reader: always after the last seq it took, as the live stream's poll reads.
    const reader = (async () => {
      let cursor = 0;
      for (;;) {
        const done = !writing;
        const rows = await s.b.eventsAfterSeq(cursor, { limit: 50 });
        for (const r of rows) {
          seen.push(r.envelope.id);
          cursor = r.seq;
        }
        if (done && rows.length === 0) return;
      }
    })();
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let n = 0; n < perWriter; n++) {
          const batch = Array.from({ length: 1 + (n % 3) }, () => recorded({ w, n }));
          written.push(...batch.map((r) => r.id));
          await (w % 2 ? s.a : s.b).appendEvents(batch);
        }
      }),
    );
    writing = false;
    await reader;
    expect(seen).toHaveLength(written.length);
    expect(new Set(seen)).toEqual(new Set(written));
  });
});
