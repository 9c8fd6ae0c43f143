import { SqliteStore } from "../../src/store/sqlite.js";

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
    expect(await store.recordFeedbackOnce("o/r", { key: "issue:1", outcome: "accepted", userId: "a", createdAt: 10 })).toBe(true);
    expect(await store.recordFeedbackOnce("o/r", { key: "issue:1", outcome: "rejected", userId: "a", createdAt: 11 })).toBe(false);
    expect(await store.recordFeedbackOnce("o/r", { key: "finding:7:ff", outcome: "rejected", userId: "b", createdAt: 5 })).toBe(true);
    expect((await store.listFeedback("o/r", 0)).map((e) => [e.key, e.outcome])).toEqual([["finding:7:ff", "rejected"], ["issue:1", "accepted"]]);
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
