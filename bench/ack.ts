/**
 * Webhook acknowledgement latency: bursts of 200 signed pull_request deliveries over HTTP to the
 * real app process, beside a baseline (a bare Node HTTP server in this process answering the
 * same requests): once with the app idle (the pull request was reviewed already), once while
 * its review worker waits on a slow GitHub, and once while every analysis worker is busy on a
 * hostile pull request (files that abort the parser, and large dense files).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeGitHub } from "../test/helpers/fakeGitHub.js";
import { examplePayload, withRepo } from "../test/helpers/webhookExamples.js";
import { riskyFiles } from "../test/github/fixtures.js";
import type { FakeFile } from "../test/helpers/fakeGitHub.js";
import { deeplyNestedPython, functionPairs } from "../test/analysis/hostileInputs.js";
import { appEnv, freePort, health, postWebhook, sign, startApp } from "../test/process/appProcess.js";

const SECRET = "bench-secret";
const DELIVERIES = 200;
const CONCURRENCY = 10;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function burst(port: number, body: string, label: string): Promise<number[]> {
  const times: number[] = [];
  let next = 0;
  const signature = sign(body, SECRET);
  const worker = async () => {
    while (next < DELIVERIES) {
      const id = `bench-${label}-${next++}`;
      const r = await postWebhook(port, { event: "pull_request", id, body, signature });
      if (r.status !== 200) throw new Error(`delivery answered ${r.status}`);
      times.push(r.ms);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return times.sort((a, b) => a - b);
}

function addedFile(filename: string, text: string): FakeFile {
  const lines = text.replace(/\n$/, "").split("\n");
  return {
    filename,
    status: "added",
    additions: lines.length,
    deletions: 0,
    patch: `@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}`).join("\n")}`,
  };
}

/** A pull request that keeps every analysis worker busy: parser aborts (worker replaced each time) and files that use their whole budget. */
function hostileFiles(): FakeFile[] {
  const files: FakeFile[] = [];
  for (let i = 0; i < 6; i++) files.push(addedFile(`scripts/deep${i}.py`, deeplyNestedPython(515)));
  for (let i = 0; i < 6; i++) files.push(addedFile(`src/pairs${i}.js`, functionPairs(2_000 + i)));
  return files;
}

/** The webhook requests' response times the app itself logged. */
function serverResponseTimes(log: string): number[] {
  const times: number[] = [];
  for (const line of log.split("\n")) {
    if (!line.includes('"responseTime"') || !line.includes("/api/github/webhooks")) continue;
    try {
      times.push(JSON.parse(line).responseTime);
    } catch {
      // not a JSON log line
    }
  }
  return times.sort((a, b) => a - b);
}

export async function benchAck(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "empathy-bench-"));
  const fake = new FakeGitHub();
  fake.setFiles(riskyFiles);
  const served = await fake.listen();
  const payload: any = withRepo(examplePayload("pull_request", "opened"), { owner: fake.owner, repo: fake.repo, installationId: 2 });
  payload.pull_request.number = fake.pull.number;
  payload.pull_request.head.sha = fake.pull.head.sha;
  const body = JSON.stringify(payload);

  const baseline = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200);
      res.end("ok");
    });
  });
  await new Promise<void>((r) => baseline.listen(0, "127.0.0.1", r));
  const baselinePort = (baseline.address() as AddressInfo).port;
  await burst(baselinePort, body, "baseline-warmup"); // warm up this process's HTTP client first, as for the app below
  const baselineTimes = await burst(baselinePort, body, "baseline");
  baseline.close();

  const port = await freePort();
  const app = await startApp(
    appEnv(
      { secret: SECRET, githubHost: served.host, databasePath: join(dir, "bench.sqlite") },
      {
        LOG_LEVEL: "info", // pino-http logs each request's server-side responseTime
        // The parser-abort files reach the parser, so workers really crash and are replaced during the burst.
        EMPATHY_MAX_NESTING_DEPTH: "100000",
      },
    ),
    port,
  );
  try {
    const row = (server: string, times: number[]) => ({
      server,
      p50_ms: percentile(times, 50).toFixed(2),
      p99_ms: percentile(times, 99).toFixed(2),
      max_ms: times[times.length - 1].toFixed(2),
    });
    const measure = async (label: string) => {
      const logStart = app.output().length;
      const client = await burst(port, body, label);
      return { client, server: serverResponseTimes(app.output().slice(logStart)) };
    };
    // Warm up (the first review of the pull request), then idle: the same commit is not reviewed again.
    await burst(port, body, "warmup");
    while ((await health(port))?.jobs.queued > 0) await new Promise((r) => setTimeout(r, 100));
    const idle = await measure("idle");
    while ((await health(port))?.jobs.queued > 0) await new Promise((r) => setTimeout(r, 100));

    // Review worker busy: every pull request read takes 30 ms, and a new commit needs a review.
    fake.faults.push({ method: "GET", path: /\/pulls\/7$/, status: 200, delayMs: 30, times: 1_000_000 });
    fake.pull.head.sha = "b".repeat(40);
    payload.pull_request.head.sha = fake.pull.head.sha;
    const busyBody = JSON.stringify(payload);
    const reviewBusy = await (async () => {
      const logStart = app.output().length;
      const client = await burst(port, busyBody, "review-busy");
      return { client, server: serverResponseTimes(app.output().slice(logStart)) };
    })();
    fake.faults.length = 0;
    while ((await health(port))?.jobs.queued > 0) await new Promise((r) => setTimeout(r, 100));

    // Every analysis worker busy on a hostile pull request.
    fake.setFiles(hostileFiles());
    fake.pull.head.sha = "c".repeat(40);
    payload.pull_request.head.sha = fake.pull.head.sha;
    const hostileBody = JSON.stringify(payload);
    await postWebhook(port, { event: "pull_request", id: "bench-hostile", body: hostileBody, signature: sign(hostileBody, SECRET) });
    while (((await health(port))?.analysis_pool?.busy ?? 0) < 1) await new Promise((r) => setTimeout(r, 20));
    const logStart = app.output().length;
    const hostileClient = await burst(port, hostileBody, "hostile");
    const hostileServer = serverResponseTimes(app.output().slice(logStart));
    const after = await health(port);

    console.log(`\nWebhook acknowledgement, ${DELIVERIES} signed deliveries, ${CONCURRENCY} at a time (target: p99 under 50 ms)`);
    console.table([
      row("baseline: bare node:http", baselineTimes),
      row("app idle, server side (pino-http responseTime)", idle.server),
      row("app idle, seen by the client", idle.client),
      row("app, review worker waiting on GitHub, server side", reviewBusy.server),
      row("app, review worker waiting on GitHub, client", reviewBusy.client),
      row("app, analysis workers busy on hostile files, server side", hostileServer),
      row("app, analysis workers busy on hostile files, client", hostileClient),
    ]);
    console.log(
      `analysis pool right after the hostile burst: ${JSON.stringify(after?.analysis_pool)} (busy >= 1: the workers were still on the hostile pull request)`,
    );
  } finally {
    app.child.kill("SIGKILL");
    await app.exited;
    await served.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
