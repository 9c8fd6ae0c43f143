/** Rate slots in the store (`/empathy review` at most once per pull request per interval, help once per user an hour). */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../src/store/sqlite/index.js";

const MIN = 60_000;
const T = Date.UTC(2025, 0, 1, 21, 40);

describe("claimRateSlot", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "empathy-forced-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("lets the first claim through and refuses others until the interval has passed", async () => {
    const s = new SqliteStore(":memory:");
    expect(await s.claimRateSlot("o/r#7", "comment:1", T, 5 * MIN)).toEqual({ ok: true });
    expect(await s.claimRateSlot("o/r#7", "comment:2", T + 2 * MIN, 5 * MIN)).toEqual({ ok: false, lastAt: T, nextAt: T + 5 * MIN });
    expect(await s.claimRateSlot("o/r#7", "comment:3", T + 5 * MIN - 1, 5 * MIN)).toEqual({ ok: false, lastAt: T, nextAt: T + 5 * MIN });
    // A refused claim did not move the window: the interval counts from the last forced review.
    expect(await s.claimRateSlot("o/r#7", "comment:3", T + 5 * MIN, 5 * MIN)).toEqual({ ok: true });
    expect(await s.claimRateSlot("o/r#7", "comment:1", T + 6 * MIN, 5 * MIN)).toEqual({
      ok: false,
      lastAt: T + 5 * MIN,
      nextAt: T + 10 * MIN,
    });
    await s.close();
  });

  it("lets the claimant through again within its window (a retry or redelivery) without extending it", async () => {
    const s = new SqliteStore(":memory:");
    expect((await s.claimRateSlot("o/r#7", "comment:1", T, 5 * MIN)).ok).toBe(true);
    expect((await s.claimRateSlot("o/r#7", "comment:1", T + 4 * MIN, 5 * MIN)).ok).toBe(true);
    expect(await s.claimRateSlot("o/r#7", "comment:2", T + 4 * MIN, 5 * MIN)).toEqual({ ok: false, lastAt: T, nextAt: T + 5 * MIN });
    expect((await s.claimRateSlot("o/r#7", "comment:2", T + 5 * MIN, 5 * MIN)).ok).toBe(true);
    await s.close();
  });

  it("keys the slot by repository and pull request; an interval of 0 never refuses", async () => {
    const s = new SqliteStore(":memory:");
    expect((await s.claimRateSlot("o/r#7", "a", T, 5 * MIN)).ok).toBe(true);
    expect((await s.claimRateSlot("o/r#8", "b", T, 5 * MIN)).ok).toBe(true);
    expect((await s.claimRateSlot("o/other#7", "c", T, 5 * MIN)).ok).toBe(true);
    expect((await s.claimRateSlot("o/r#7", "d", T, 5 * MIN)).ok).toBe(false);
    expect((await s.claimRateSlot("o/r#9", "e", T, 0)).ok).toBe(true);
    expect((await s.claimRateSlot("o/r#9", "f", T, 0)).ok).toBe(true);
    await s.close();
  });

  it("is held in the file: a second store on it (another process) sees the slot taken", async () => {
    const path = join(dir, "db.sqlite");
    const a = new SqliteStore(path);
    const b = new SqliteStore(path);
    expect((await a.claimRateSlot("o/r#7", "comment:1", T, 5 * MIN)).ok).toBe(true);
    expect(await b.claimRateSlot("o/r#7", "comment:2", T + MIN, 5 * MIN)).toEqual({ ok: false, lastAt: T, nextAt: T + 5 * MIN });
    await a.close();
    await b.close();
  });

  it("processes racing for the same slots: exactly one wins each", async () => {
    const path = join(dir, "race.sqlite");
    await new SqliteStore(path).close(); // migrate once, before the race
    const processes = 4;
    const rounds = 1000;
    const startAt = Date.now() + 1500; // after every process has started
    const outputs = await Promise.all(
      Array.from({ length: processes }, (_, i) =>
        run([
          join("test", "store", "rateSlotClaimer.ts"),
          path,
          `p${i}`,
          String(rounds),
          String((i * rounds) / processes),
          String(startAt),
          String(T),
        ]),
      ),
    );
    const results = outputs.map((out) => JSON.parse(out) as boolean[]);
    for (let round = 0; round < rounds; round++) {
      expect(results.filter((r) => r[round]).length).toBe(1);
    }
  }, 60_000);
});

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", ...args], { cwd: process.cwd(), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`claimer exited with ${code}: ${err}`))));
  });
}
