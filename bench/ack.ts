/**
 * Webhook acknowledgement latency: a burst of 200 signed pull_request deliveries over HTTP to
 * the real app process while its worker is busy reviewing (the GitHub stand-in answers slowly),
 * beside a baseline: a bare Node HTTP server in this process answering the same requests.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeGitHub } from "../test/helpers/fakeGitHub.js";
import { testPrivateKey } from "../test/helpers/keys.js";
import { examplePayload, withRepo } from "../test/helpers/webhookExamples.js";
import { riskyFiles } from "../test/github/fixtures.js";
import { freePort, health, postWebhook, sign, startApp } from "../test/process/appProcess.js";

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
  // Every pull request read takes 30 ms, so the worker is busy for the whole burst.
  fake.faults.push({ method: "GET", path: /\/pulls\/7$/, status: 200, delayMs: 30, times: 1_000_000 });
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
    {
      APP_ID: "123",
      PRIVATE_KEY: testPrivateKey(),
      WEBHOOK_SECRET: SECRET,
      GHE_HOST: served.host,
      GHE_PROTOCOL: "http",
      DATABASE_URL: `sqlite:${join(dir, "bench.sqlite")}`,
      LOG_LEVEL: "info", // pino-http logs each request's server-side responseTime
    },
    port,
  );
  try {
    // Warm up, then start the burst while the worker is busy with the warm-up jobs.
    await burst(port, body, "warmup");
    const logStart = app.output().length;
    const appTimes = await burst(port, body, "measured");
    const jobs = (await health(port))?.jobs;
    const serverTimes = serverResponseTimes(app.output().slice(logStart));
    console.log(`\nWebhook acknowledgement, ${DELIVERIES} signed deliveries, ${CONCURRENCY} at a time (target: p99 under 50 ms)`);
    console.table([
      { server: "baseline: bare node:http", p50_ms: percentile(baselineTimes, 50).toFixed(2), p99_ms: percentile(baselineTimes, 99).toFixed(2), max_ms: baselineTimes[baselineTimes.length - 1].toFixed(2) },
      { server: "Empathy app, server side (pino-http responseTime)", p50_ms: percentile(serverTimes, 50).toFixed(2), p99_ms: percentile(serverTimes, 99).toFixed(2), max_ms: serverTimes[serverTimes.length - 1].toFixed(2) },
      { server: "Empathy app (worker busy), seen by the client", p50_ms: percentile(appTimes, 50).toFixed(2), p99_ms: percentile(appTimes, 99).toFixed(2), max_ms: appTimes[appTimes.length - 1].toFixed(2) },
    ]);
    console.log(`jobs after the burst: ${JSON.stringify(jobs)} (the worker was still busy)`);
  } finally {
    app.child.kill("SIGKILL");
    await app.exited;
    await served.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
