/**
 * The health endpoints on a real HTTP server: /health/live (liveness, reads nothing),
 * /health/ready (readiness: start-up done, worker running, store answering within a time limit;
 * 503 with a JSON reason otherwise) and /health (the detailed status, unchanged).
 */
import { createServer, type Server } from "node:http";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { healthHandler, type HealthSources, type HealthStore, type Lifecycle } from "../../src/server/health.js";

const RUNNING: Lifecycle = { started: true, workerRunning: true, stopping: false };

/** Serves the handler as Probot's server would (a request no handler takes is a 404). */
async function serve(store: HealthStore, sources: HealthSources): Promise<{ url: string; close: () => Promise<void> }> {
  const handler = healthHandler(store, sources);
  const server: Server = createServer(
    (req, res) =>
      void (async () => {
        try {
          if (await handler(req, res)) return;
          res.writeHead(404).end();
        } catch {
          res.writeHead(500).end();
        }
      })(),
  );
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((done) => server.close(() => done()));
    },
  };
}

async function get(url: string, method = "GET") {
  const res = await fetch(url, { method });
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type"), body: text ? JSON.parse(text) : null, text };
}

/** A store whose every read fails (or never answers), for what must not depend on it. */
function brokenStore(how: "throws" | "hangs"): HealthStore {
  const fail = () =>
    how === "throws"
      ? Promise.reject(new Error("connect to postgres://empathy:Hx7-q2LmZr9vKp4W@db.internal:5432/empathy failed: ECONNREFUSED"))
      : new Promise<never>(() => undefined);
  return { countJobs: fail, countWebhookDeliveries: fail, listJobs: fail, ping: fail } as unknown as HealthStore;
}

describe("health endpoints", () => {
  let store: SqliteStore;
  let lifecycle: Lifecycle;
  let server: Awaited<ReturnType<typeof serve>>;

  beforeEach(async () => {
    store = new SqliteStore(":memory:");
    lifecycle = { ...RUNNING };
    server = await serve(store, { lifecycle: () => lifecycle });
  });

  afterEach(async () => {
    await server.close();
    await store.close();
  });

  describe("GET /health/live", () => {
    it("is 200 while the process answers, whatever the store does", async () => {
      expect(await get(`${server.url}/health/live`)).toMatchObject({ status: 200, type: "application/json", body: { status: "ok" } });
      for (const how of ["throws", "hangs"] as const) {
        const broken = await serve(brokenStore(how), { lifecycle: () => ({ started: false, workerRunning: false, stopping: true }) });
        try {
          expect(await get(`${broken.url}/health/live`)).toMatchObject({ status: 200, body: { status: "ok" } });
        } finally {
          await broken.close();
        }
      }
    });
  });

  describe("GET /health/ready", () => {
    it("is 200 once started, with the worker running and the store answering", async () => {
      expect(await get(`${server.url}/health/ready`)).toEqual({
        status: 200,
        type: "application/json",
        body: { status: "ready", checks: { startup: "done", worker: "running", store: "ok" } },
        text: expect.any(String),
      });
    });

    it("is 503 with the reason while starting, without the worker, and once stopping", async () => {
      lifecycle = { started: false, workerRunning: false, stopping: false };
      expect(await get(`${server.url}/health/ready`)).toMatchObject({
        status: 503,
        body: {
          status: "not_ready",
          reason: "starting: the store and the job worker are not ready yet",
          checks: { startup: "pending", worker: "stopped", store: "not checked" },
        },
      });
      lifecycle = { started: true, workerRunning: false, stopping: false };
      expect(await get(`${server.url}/health/ready`)).toMatchObject({
        status: 503,
        body: { status: "not_ready", reason: "the job worker is not running", checks: { startup: "done", worker: "stopped" } },
      });
      lifecycle = { started: true, workerRunning: true, stopping: true };
      expect(await get(`${server.url}/health/ready`)).toMatchObject({
        status: 503,
        body: { status: "not_ready", reason: "stopping: this instance takes no new work", checks: { startup: "stopping" } },
      });
    });

    it("is 503 when the store fails, with its error (secrets redacted)", async () => {
      const broken = await serve(brokenStore("throws"), { lifecycle: () => RUNNING });
      try {
        const r = await get(`${broken.url}/health/ready`);
        expect(r).toMatchObject({
          status: 503,
          body: {
            status: "not_ready",
            reason: expect.stringMatching(/^the store did not answer: connect to postgres:\/\/empathy:\[REDACTED/),
            checks: { startup: "done", worker: "running", store: "failed" },
          },
        });
        expect(r.text).not.toContain("Hx7-q2LmZr9vKp4W");
      } finally {
        await broken.close();
      }
    });

    it("is 503 when the store does not answer within its time limit", async () => {
      const broken = await serve(brokenStore("hangs"), { lifecycle: () => RUNNING, storeTimeoutMs: 50 });
      try {
        expect(await get(`${broken.url}/health/ready`)).toMatchObject({
          status: 503,
          body: { status: "not_ready", reason: "the store did not answer: no answer within 50 ms", checks: { store: "failed" } },
        });
      } finally {
        await broken.close();
      }
    });

    it("asks the store's ping() alone (no table is read)", async () => {
      const calls: string[] = [];
      const pinged = Object.assign(brokenStore("throws"), {
        ping: async () => {
          calls.push("ping");
        },
      });
      const s = await serve(pinged, { lifecycle: () => RUNNING });
      try {
        expect(await get(`${s.url}/health/ready`)).toMatchObject({ status: 200, body: { status: "ready" } });
        expect(calls).toEqual(["ping"]);
      } finally {
        await s.close();
      }
    });

    it("without a lifecycle source, is the store's answer alone", async () => {
      const s = await serve(store, {});
      try {
        expect(await get(`${s.url}/health/ready`)).toMatchObject({
          status: 200,
          body: { status: "ready", checks: { startup: "not tracked", worker: "not tracked", store: "ok" } },
        });
      } finally {
        await s.close();
      }
    });
  });

  describe("GET /health (unchanged)", () => {
    it("is 200 with the job and delivery counts and the recent dead letters", async () => {
      const id = (await store.enqueueJob({ type: "review", payload: { owner: "o", repo: "r", pull_number: 7 } }))!;
      await store.claimJob(Date.now());
      await store.killJob(id, "boom: postgres://empathy:Hx7-q2LmZr9vKp4W@db.internal:5432/empathy refused");
      const r = await get(`${server.url}/health`);
      expect(r).toMatchObject({
        status: 200,
        body: {
          status: "ok",
          jobs: { queued: 0, running: 0, done: 0, dead: 1 },
          webhooks: expect.any(Object),
          dead_letters: [{ id, type: "review", attempts: 1, error: expect.stringMatching(/^boom: postgres:/) }],
        },
      });
      expect(r.text).not.toContain("Hx7-q2LmZr9vKp4W");
    });

    it("says degraded (still 200) while GitHub does not answer", async () => {
      const s = await serve(store, {
        github: () => ({
          status: "degraded",
          consecutive_failures: 3,
          failing_since: "2025-01-01T00:00:00.000Z",
          last_error: "ETIMEDOUT",
          last_success: null,
        }),
      });
      try {
        expect(await get(`${s.url}/health`)).toMatchObject({
          status: 200,
          body: { status: "degraded", github: { consecutive_failures: 3 } },
        });
      } finally {
        await s.close();
      }
    });
  });

  it("answers HEAD like GET without a body, and leaves other methods and paths to the next handler", async () => {
    lifecycle = { started: false, workerRunning: false, stopping: false };
    expect(await get(`${server.url}/health/live`, "HEAD")).toMatchObject({ status: 200, text: "" });
    expect(await get(`${server.url}/health/ready`, "HEAD")).toMatchObject({ status: 503, text: "" });
    expect(await get(`${server.url}/health`, "HEAD")).toMatchObject({ status: 200, text: "" });
    expect((await get(`${server.url}/health/ready`, "POST")).status).toBe(404);
    for (const path of ["/health/", "/health/other", "/healthz", "/health/live/x"])
      expect((await get(`${server.url}${path}`)).status).toBe(404);
    expect((await get(`${server.url}/health/ready?verbose=1`)).status).toBe(503);
  });
});
