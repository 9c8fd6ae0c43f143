/**
 * A separate process for rateSlots.test.ts: opens the store file, waits for the common start
 * time, then claims the forced-review slot of pull requests 1..rounds as `claimant`, all at the
 * same `now`, starting at pull request `offset` and wrapping around (so processes started at
 * different offsets run into each other), and prints what each claim returned by pull request.
 * Usage: node --import tsx rateSlotClaimer.ts DB CLAIMANT ROUNDS OFFSET START_AT NOW
 */
import { SqliteStore } from "../../src/store/sqlite/index.js";

const [path, claimant, rounds, offset, startAt, now] = process.argv.slice(2);
const n = Number(rounds);
const store = new SqliteStore(path);
while (Date.now() < Number(startAt)); // spin: every process starts claiming at the same moment
const results: boolean[] = new Array(n).fill(false);
for (let k = 0; k < n; k++) {
  const i = (k + Number(offset)) % n;
  results[i] = (await store.claimRateSlot(`o/r#${i + 1}`, claimant, Number(now), 300_000)).ok;
}
await store.close();
process.stdout.write(`${JSON.stringify(results)}\n`);
