/**
 * Outgoing webhooks in the real app process, configured by an operator config file
 * (EMPATHY_CONFIG): deliveries pending when the process is killed (SIGKILL, some of them in
 * flight) are delivered after the restart, each webhook-id acknowledged once at the receiver.
 * A broken operator config stops start-up with a message naming the file, line and key.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Webhook } from "standardwebhooks";
import { FakeGitHub } from "../helpers/fakeGitHub.js";
import { testPrivateKey } from "../helpers/keys.js";
import { examplePayload, withRepo } from "../helpers/webhookExamples.js";
import { riskyFiles } from "../github/fixtures.js";
import { Receiver } from "../delivery/helpers.js";
import { freePort, health, postWebhook, sign, startApp, waitFor, type AppProcess } from "./appProcess.js";

const SECRET = "process-webhooks-secret";
const HOOK_SECRET = `whsec_${Buffer.from("process test hook key, 32 bytes!").toString("base64")}`;

describe("webhooks in the app process", () => {
  let dir: string;
  let fake: FakeGitHub;
  let closeFake: () => Promise<void>;
  let rx: Receiver;
  let env: Record<string, string>;
  const running: AppProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "empathy-process-webhooks-"));
    fake = new FakeGitHub();
    fake.setFiles(riskyFiles);
    const served = await fake.listen();
    closeFake = served.close;
    rx = await new Receiver().listen();
    const config = join(dir, "empathy.config.yml");
    writeFileSync(
      config,
      [
        "webhooks:",
        '  - event_type: "*"',
        `    url: http://127.0.0.1:${rx.port}/hook?token=\${HOOK_TOKEN}`,
        "    secret: ${HOOK_SECRET}",
        "    timeout_seconds: 60",
        "    retry_count: 5",
        "network:",
        '  allow_private: ["127.0.0.0/8"]',
        "",
      ].join("\n"),
    );
    env = {
      APP_ID: "123",
      PRIVATE_KEY: testPrivateKey(),
      WEBHOOK_SECRET: SECRET,
      GHE_HOST: served.host,
      GHE_PROTOCOL: "http",
      DATABASE_URL: `sqlite:${join(dir, "empathy.sqlite")}`,
      EMPATHY_JOB_BASE_DELAY_MS: "50",
      // A killed process's claims are taken back once their lease expires.
      EMPATHY_LEASE_SECONDS: "3",
      EMPATHY_CONFIG: config,
      EMPATHY_WEBHOOK_BASE_DELAY_MS: "50",
      EMPATHY_WEBHOOK_ENDPOINT_CONCURRENCY: "4",
      HOOK_TOKEN: "hook-t0ken",
      HOOK_SECRET,
      LOG_LEVEL: "info",
    };
  });

  afterAll(async () => {
    for (const app of running) app.child.kill("SIGKILL");
    await rx.close();
    await closeFake();
    rmSync(dir, { recursive: true, force: true });
  });

  function prEvent(): string {
    const payload: any = withRepo(examplePayload("pull_request", "opened"), { owner: fake.owner, repo: fake.repo, installationId: 2 });
    payload.pull_request.number = fake.pull.number;
    payload.pull_request.head.sha = fake.pull.head.sha;
    payload.pull_request.draft = false;
    return JSON.stringify(payload);
  }

  function outbox(): Record<string, number> {
    const db = new Database(join(dir, "empathy.sqlite"), { readonly: true });
    try {
      const rows = db.prepare("SELECT status, COUNT(*) AS n FROM webhook_deliveries GROUP BY status").all() as {
        status: string;
        n: number;
      }[];
      return Object.fromEntries(rows.map((r) => [r.status, r.n]));
    } finally {
      db.close();
    }
  }

  it("delivers after a restart what was pending or in flight when the process was killed", async () => {
    // First run: the receiver accepts connections but never answers.
    rx.reply = () => ({ delayMs: 120_000 });
    const port = await freePort();
    const first = await startApp(env, port);
    running.push(first);
    const body = prEvent();
    const ack = await postWebhook(port, { event: "pull_request", id: "webhooks-delivery-1", body, signature: sign(body, SECRET) });
    expect(ack.status).toBe(200);
    await waitFor(
      () => rx.requests.length >= 4,
      20_000,
      () => `no webhook reached the receiver:\n${first.output()}`,
    );
    // Some deliveries never sent when the process dies: still pending, or claimed ahead by the
    // delivery loop (in flight in the outbox, not yet on the wire).
    const queued = () => Object.values(outbox()).reduce((a, b) => a + b, 0);
    await waitFor(
      () => queued() > rx.requests.length,
      20_000,
      () => `nothing left unsent:\n${JSON.stringify(outbox())}`,
    );
    first.child.kill("SIGKILL");
    await first.exited;
    const before = outbox();
    expect(before.delivered ?? 0).toBe(0);
    const inFlightIds = new Set(rx.ids());
    expect(inFlightIds.size).toBe(4); // the per-endpoint limit

    // Second run: the receiver answers, verifies signatures and dedupes by webhook-id.
    const acknowledged = new Map<string, number>();
    let badSignatures = 0;
    rx.reply = (req) => {
      try {
        new Webhook(HOOK_SECRET).verify(req.body, req.headers as Record<string, string>);
      } catch {
        badSignatures++;
        return { status: 401 };
      }
      const id = String(req.headers["webhook-id"]);
      acknowledged.set(id, (acknowledged.get(id) ?? 0) + 1);
      return { status: 200 };
    };
    const second = await startApp(env, port);
    running.push(second);
    // The review the first process was killed in may run again after the restart (its lease
    // expired) and emit more events: wait until no job is left and every delivery is delivered.
    const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
    await waitFor(
      async () => {
        const jobs = (await health(port))?.jobs;
        const total = sum(outbox());
        return jobs?.queued === 0 && jobs?.running === 0 && acknowledged.size === total && outbox().delivered === total;
      },
      30_000,
      () => `delivered ${acknowledged.size} of ${sum(outbox())} (${JSON.stringify(outbox())}):\n${second.output()}`,
    );
    expect(sum(outbox())).toBeGreaterThanOrEqual(sum(before)); // nothing pending before the kill was lost
    expect([...acknowledged.values()].every((n) => n === 1)).toBe(true);
    expect(badSignatures).toBe(0);
    for (const id of inFlightIds) expect(acknowledged.has(id)).toBe(true); // same webhook-id as before the crash
    expect(rx.requests.every((r) => r.path === "/hook?token=hook-t0ken")).toBe(true);
    const eventTypes = new Set(rx.requests.map((r) => JSON.parse(r.body).event_type));
    expect(eventTypes).toContain("interaction_started");
    expect(eventTypes).toContain("interaction_completed");
    expect(second.output()).toMatch(/requeued webhook deliveries whose lease expired/);
    expect(first.output() + second.output()).not.toContain("hook-t0ken"); // never a full URL in a log
    expect(first.output() + second.output()).not.toContain(HOOK_SECRET);

    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  });

  it("refuses to start with a broken operator config, naming the file, line and key", async () => {
    const config = join(dir, "broken.config.yml");
    writeFileSync(config, ["webhooks:", "  - event_type: level_4_prediction", "    url: ${UNSET_WEBHOOK_URL}", ""].join("\n"));
    const port = await freePort();
    const child = spawn(process.execPath, ["node_modules/probot/bin/probot.js", "run", "./lib/index.js"], {
      env: { PATH: process.env.PATH ?? "", ...env, EMPATHY_CONFIG: config, PORT: String(port), HOST: "127.0.0.1", LOG_FORMAT: "json" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        resolve(null);
      }, 20_000);
      child.once("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(output).toContain("broken.config.yml:3");
    expect(output).toMatch(/webhooks\[0\]\.url/);
    expect(output).toContain("UNSET_WEBHOOK_URL");
  });
});
