/**
 * `npm run bench:scale`: how reviews and outgoing webhook deliveries scale with the number of app
 * instances sharing one PostgreSQL database (1, 2 and 4), with the SQLite single instance beside
 * them. Everything is local and real: a throwaway PostgreSQL 15 (test/store/postgresServer.ts),
 * a GitHub stand-in on loopback (one repository per pull request, answering every call a review
 * makes, at once), a webhook endpoint on loopback, and the app instances as processes
 * (bench/scaleApp.ts: the built app with Probot's GitHub call pacing off; see there why).
 *
 * Each run, on a new database:
 *  1. reviews: 200 `pull_request.opened` webhooks (GitHub's own example payload, signed with the
 *     webhook secret as GitHub signs), spread round-robin over the instances as a load balancer
 *     would, 8 in flight at a time; timed from the first until GitHub has all 200 reviews. The
 *     webhook endpoint answers 400 meanwhile, so every event the reviews emit is dead-lettered at
 *     its first attempt and waits in the outbox;
 *  2. deliveries: the endpoint answers 200 and `empathy deliveries replay --all` puts the whole
 *     backlog back; timed from the first to the last delivery the endpoint acknowledges: the
 *     instances' delivery loops draining one shared outbox.
 *
 * Figures are printed, not judged: on a 2-core machine four instances share two cores with
 * their analysis workers, PostgreSQL and this process (which plays GitHub and the endpoint).
 * BENCH_PULLS changes the number of pull requests (default 200).
 */
import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeGitHub } from "../test/helpers/fakeGitHub.js";
import { riskyFiles } from "../test/github/fixtures.js";
import { startPostgres, type PostgresServer } from "../test/store/postgresServer.js";
import { FakeGitHubs, pullRequestOpened } from "../test/support/githubStandIn.js";
import { HookReceiver, hookSecret, writeHookConfig } from "../test/support/hookReceiver.js";
import { appEnv, freePort, health, postWebhook, sign, startApp, waitFor, type AppProcess } from "../test/process/appProcess.js";

const PULLS = Number(process.env.BENCH_PULLS ?? 200);
const SECRET = "bench-scale-secret";
const HOOK_SECRET = hookSecret("bench scale hook key, 32 bytes!!");
const SENDERS = 8;
const ENTRY = ["--import", "tsx", "bench/scaleApp.ts"];
const LIMIT_MS = 30 * 60_000;

interface Result {
  backend: string;
  instances: number;
  reviewSeconds: number;
  reviewsPerMinute: number;
  deliveries: number;
  drainSeconds: number;
  deliveriesPerSecond: number;
  /** Sanity: pull requests not reviewed exactly once, deliveries the endpoint acknowledged twice. */
  reviewedTwice: number;
  deliveredTwice: number;
  /** Share of the machine's CPU (all cores) that processes other than this bench's used during the run. */
  othersCpu: number;
  /** CPU this bench's processes (apps, workers, PostgreSQL, stand-ins) spent per review, and per delivery in the drain. */
  cpuPerReview: number;
  cpuPerDelivery: number;
}

/** CPU ticks of a process and the children it reaped (utime, stime, cutime, cstime), and its parent. */
function procStat(pid: number): { ppid: number; ticks: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) };
  } catch {
    return null; // gone meanwhile
  }
}

/**
 * CPU ticks so far: the machine's busy time, and this bench's (this process, the app instances
 * and their analysis workers, PostgreSQL's server processes), to tell how much of the machine
 * other work took while a run was measured. Linux only; zeros elsewhere.
 */
function cpuTicks(roots: number[]): { machine: number; ours: number } {
  try {
    const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const machine = cpu.slice(0, 8).reduce((a, b) => a + b, 0) - cpu[3] - cpu[4]; // all but idle and iowait
    const stats = new Map<number, { ppid: number; ticks: number }>();
    for (const name of readdirSync("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      const st = procStat(Number(name));
      if (st) stats.set(Number(name), st);
    }
    const ours = (pid: number): boolean => {
      for (let p = pid, hops = 0; p > 1 && hops < 64; p = stats.get(p)?.ppid ?? 0, hops++) if (roots.includes(p)) return true;
      return false;
    };
    let sum = 0;
    for (const [pid, st] of stats) if (ours(pid)) sum += st.ticks;
    return { machine, ours: sum };
  } catch {
    return { machine: 0, ours: 0 };
  }
}

/** PostgreSQL's postmaster on `port` (it runs detached from this process). */
function postmasterPid(port: number): number | null {
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
      if (cmd[0].endsWith("/postgres") && cmd.some((arg, i) => arg === "-p" && cmd[i + 1] === String(port))) return Number(name);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

function counts(h: any): { jobs: Record<string, number>; webhooks: Record<string, number> } {
  return { jobs: h?.jobs ?? {}, webhooks: h?.webhooks ?? {} };
}

async function replayAll(databaseUrl: string): Promise<void> {
  const child = spawn(process.execPath, ["bin/empathy.js", "deliveries", "replay", "--all", "--json", "--database", databaseUrl], {
    env: { PATH: process.env.PATH ?? "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`empathy deliveries replay --all exited with ${code}:\n${output}`);
}

async function measure(backend: string, instances: number, databaseUrl: string, roots: number[]): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), "empathy-scale-"));
  const fakes = Array.from({ length: PULLS }, (_, i) => {
    const fake = new FakeGitHub({ html_url: `https://github.com/octo-org/shop-${i}/pull/7` });
    fake.repo = `shop-${i}`;
    fake.setFiles(riskyFiles);
    return fake;
  });
  const github = new FakeGitHubs(fakes);
  const host = await github.listen();
  const rx = await new HookReceiver(HOOK_SECRET).listen();
  rx.status = 400; // phase 1: every delivery dead-lettered at once, kept for phase 2
  const config = join(dir, "empathy.config.yml");
  writeHookConfig(config, rx.url("/hook"));
  const env = appEnv(
    { secret: SECRET, githubHost: host, databasePath: join(dir, "unused.sqlite") },
    {
      DATABASE_URL: databaseUrl,
      EMPATHY_CONFIG: config,
      EMPATHY_ANALYSIS_WORKERS: "1",
      EMPATHY_WEBHOOK_POLL_INTERVAL_MS: "100",
      HOOK_SECRET,
      LOG_LEVEL: "warn",
    },
  );
  const apps: AppProcess[] = [];
  try {
    const ports = await Promise.all(Array.from({ length: instances }, () => freePort()));
    apps.push(...(await Promise.all(ports.map((port) => startApp(env, port, ENTRY, 120_000)))));
    const outputs = () => apps.map((a, i) => `--- instance ${i + 1}\n${a.output().slice(-4000)}`).join("\n");

    // Phase 1: reviews.
    const cpuBefore = cpuTicks(roots);
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        while (next < PULLS) {
          const i = next++;
          const body = pullRequestOpened(fakes[i]);
          const r = await postWebhook(ports[i % instances], {
            event: "pull_request",
            id: `scale-${i}`,
            body,
            signature: sign(body, SECRET),
          });
          if (r.status !== 200) throw new Error(`webhook ${i} answered ${r.status}`);
        }
      }),
    );
    await waitFor(
      () => github.reviews() >= PULLS,
      LIMIT_MS,
      () => `reviews did not finish: ${github.reviews()} of ${PULLS}\n${outputs()}`,
    );
    const reviewSeconds = (performance.now() - started) / 1000;
    // Everything settled: no job left, every delivery dead-lettered (the endpoint said 400).
    let last: ReturnType<typeof counts> = { jobs: {}, webhooks: {} };
    await waitFor(
      async () => {
        last = counts(await health(ports[0]));
        return (
          last.jobs.queued === 0 && last.jobs.running === 0 && (last.webhooks.pending ?? 0) === 0 && (last.webhooks.in_flight ?? 0) === 0
        );
      },
      LIMIT_MS,
      () => `jobs or deliveries did not settle: ${JSON.stringify(last)}\n${outputs()}`,
    );
    const cpuReviewed = cpuTicks(roots);
    const deliveries = last.webhooks.dead ?? 0;
    if (deliveries === 0) throw new Error(`no webhook delivery was made: ${JSON.stringify(last)}\n${outputs()}`);

    // Phase 2: the backlog of deliveries, drained by every instance from the one outbox.
    rx.status = 200;
    await replayAll(databaseUrl);
    await waitFor(
      () => rx.counts(200).size >= deliveries,
      LIMIT_MS,
      () => `deliveries did not finish: ${rx.counts(200).size} of ${deliveries}\n${outputs()}`,
    );
    const acknowledged = rx.requests.filter((r) => r.status === 200);
    const drainSeconds = (Math.max(...acknowledged.map((r) => r.at)) - Math.min(...acknowledged.map((r) => r.at))) / 1000;
    const cpuAfter = cpuTicks(roots);
    const wallSeconds = (performance.now() - started) / 1000;
    const clockTicks = 100; // USER_HZ on Linux
    const cpuPerReview = (cpuReviewed.ours - cpuBefore.ours) / clockTicks / PULLS;
    const cpuPerDelivery = (cpuAfter.ours - cpuReviewed.ours) / clockTicks / deliveries;
    const othersCpu =
      Math.max(0, cpuAfter.machine - cpuBefore.machine - (cpuAfter.ours - cpuBefore.ours)) /
      (wallSeconds * clockTicks * availableParallelism());

    return {
      backend,
      instances,
      reviewSeconds,
      reviewsPerMinute: (PULLS / reviewSeconds) * 60,
      deliveries,
      drainSeconds,
      deliveriesPerSecond: deliveries / drainSeconds,
      reviewedTwice: fakes.filter((f) => f.reviews.length !== 1).length,
      deliveredTwice: [...rx.counts(200).values()].filter((n) => n > 1).length,
      othersCpu,
      cpuPerReview,
      cpuPerDelivery,
    };
  } finally {
    for (const app of apps) app.child.kill("SIGTERM");
    await Promise.all(apps.map((app) => app.exited));
    await rx.close();
    await github.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function table(results: Result[]): string {
  const base = results.find((r) => r.backend === "PostgreSQL" && r.instances === 1)!;
  const rows = [
    [
      "backend",
      "instances",
      "reviews",
      "time (s)",
      "reviews/min",
      "ratio",
      "deliveries",
      "drain (s)",
      "deliveries/s",
      "ratio",
      "reviewed ≠1×",
      "acked 2×",
      "CPU s/review",
      "CPU ms/delivery",
      "others' CPU",
    ],
    ...results.map((r) => [
      r.backend,
      String(r.instances),
      String(PULLS),
      r.reviewSeconds.toFixed(1),
      r.reviewsPerMinute.toFixed(0),
      `${(r.reviewsPerMinute / base.reviewsPerMinute).toFixed(2)}×`,
      String(r.deliveries),
      r.drainSeconds.toFixed(1),
      r.deliveriesPerSecond.toFixed(0),
      `${(r.deliveriesPerSecond / base.deliveriesPerSecond).toFixed(2)}×`,
      String(r.reviewedTwice),
      String(r.deliveredTwice),
      r.cpuPerReview.toFixed(2),
      (r.cpuPerDelivery * 1000).toFixed(1),
      `${(r.othersCpu * 100).toFixed(0)}%`,
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return rows.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ")).join("\n");
}

const results: Result[] = [];
let postgres: PostgresServer | null = null;
try {
  postgres = await startPostgres();
  for (const instances of [1, 2, 4]) {
    const url = await postgres.createDatabase(`scale_${instances}`);
    console.error(`PostgreSQL × ${instances}: ${PULLS} pull requests…`);
    results.push(await measure("PostgreSQL", instances, url, [process.pid, postmasterPid(postgres.port) ?? process.pid]));
  }
} finally {
  await postgres?.stop();
}
const sqliteDir = mkdtempSync(join(tmpdir(), "empathy-scale-sqlite-"));
try {
  console.error(`SQLite × 1: ${PULLS} pull requests…`);
  results.push(await measure("SQLite", 1, `sqlite:${join(sqliteDir, "empathy.sqlite")}`, [process.pid]));
} finally {
  rmSync(sqliteDir, { recursive: true, force: true });
}

console.log(
  `\nScale-out: ${PULLS} pull requests against a GitHub stand-in on loopback (no write pacing), ${availableParallelism()} cores, ` +
    `Node ${process.version}; each instance: 1 job at a time (EMPATHY_WORKER_CONCURRENCY default), 1 analysis worker; ` +
    `PostgreSQL 15 throwaway server (fsync=off), SQLite in WAL mode (synchronous=NORMAL).\n` +
    `reviews/min: ${PULLS} webhooks spread over the instances, until GitHub has every review; deliveries/s: the outbox backlog those reviews left ` +
    `(every event, one delivery each) replayed at once and drained by all instances. Ratios are to PostgreSQL × 1. ` +
    `"reviewed ≠1×": pull requests not reviewed exactly once; "acked 2×": deliveries the endpoint acknowledged twice; ` +
    `"CPU s/review", "CPU ms/delivery": CPU time this bench's processes spent per review (phase 1, deliveries dead-lettered included) and per delivery drained (phase 2, the replay command included), ` +
    `a figure other work on the machine hardly changes; "others' CPU": the share of the machine's CPU that processes other than this bench's (apps, workers, PostgreSQL, stand-ins) took during the run: above a few %, other work skewed the figures.\n`,
);
console.log(table(results));
