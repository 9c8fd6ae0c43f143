/** The store's feedback tables (migration 4): shown items, the feedback log, suppressed findings and systemic-fix issues. */
import { newTrustRecord } from "../../../src/engine/trust.js";
import { SqliteStore } from "../../../src/store/sqlite/index.js";

describe("feedback store (migration 4)", () => {
  let store: SqliteStore;
  beforeEach(() => (store = new SqliteStore(":memory:")));
  afterEach(() => store.close());

  it("remembers shown items and finds them by id prefix, per repository", async () => {
    await store.saveShownItems("o/r", [
      { fingerprint: "abcdef0011223344", prNumber: 7, author: "alice", item: { rule: "js/sql", message: "m" } },
      { fingerprint: "abcdef0099887766", prNumber: 7, author: "alice", item: { kind: "drop", prediction: "p" } },
    ]);
    await store.saveShownItems("o/other", [{ fingerprint: "abcdef0011223344", prNumber: 1, author: "bob", item: {} }]);
    expect((await store.getShownItem("o/r", "abcdef0011223344"))!.item).toEqual({ rule: "js/sql", message: "m" });
    expect(await store.findShownItems("o/r", "abcdef00", 10)).toHaveLength(2);
    expect((await store.findShownItems("o/r", "abcdef0011", 10)).map((i) => i.author)).toEqual(["alice"]);
    expect(await store.findShownItems("o/r", "%", 10)).toEqual([]); // LIKE wildcards are literal
    await store.saveShownItems("o/r", [{ fingerprint: "abcdef0011223344", prNumber: 9, author: "carol", item: { rule: "js/sql" } }]);
    expect((await store.getShownItem("o/r", "abcdef0011223344"))!.prNumber).toBe(9);
  });

  it("records each piece of feedback once and lists it by time", async () => {
    const feedback = (key: string, outcome: "accepted" | "rejected", userId: string, createdAt: number, trust = 0.6) =>
      store.saveFeedback({ repo: "o/r", key, outcome, userId, createdAt, trust: { ...newTrustRecord(userId, "o/r"), trust }, events: [] });
    expect(await feedback("issue:1", "accepted", "a", 10)).toBe(true);
    expect(await feedback("issue:1", "rejected", "a", 11, 0.1)).toBe(false);
    expect((await store.getTrust("a", "o/r"))!.trust).toBe(0.6); // the second call changed nothing
    expect(await feedback("finding:7:ff", "rejected", "b", 5)).toBe(true);
    expect((await store.listFeedback("o/r", 0)).map((e) => [e.key, e.outcome])).toEqual([
      ["finding:7:ff", "rejected"],
      ["issue:1", "accepted"],
    ]);
    expect(await store.listFeedback("o/r", 6)).toHaveLength(1);
    expect(await store.listFeedback("o/x", 0)).toEqual([]);
  });

  it("suppresses fingerprints and stores systemic-fix issues per pattern", async () => {
    await store.suppressFinding("o/r", "ff", "mia");
    await store.suppressFinding("o/r", "ff", "mia");
    expect(await store.listSuppressed("o/r")).toEqual(["ff"]);
    expect(await store.listSuppressed("o/x")).toEqual([]);
    expect(await store.getTransformationIssue("o/r", "js/sql")).toBeUndefined();
    await store.saveTransformationIssue("o/r", "js/sql", 12);
    expect(await store.getTransformationIssue("o/r", "js/sql")).toBe(12);
  });
});
