/** The app wires /metrics: off without EMPATHY_METRICS_TOKEN, and with it the queue's, the bus's and the store's figures. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { Probot } from "probot";
import { empathyApp, type EmpathyHandles } from "../../src/app.js";
import { EMPTY_OPERATOR_CONFIG, type OperatorConfig } from "../../src/config/operatorConfig.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { analyseInProcess } from "../helpers/inProcessAnalysis.js";
import { testPrivateKey } from "../helpers/keys.js";
import { valueOf } from "./exposition.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => boolean | void | Promise<boolean | void>;

async function serve(metricsToken: string | undefined) {
  const handlers: Handler[] = [];
  const probot = new Probot({ appId: 123, privateKey: testPrivateKey(), secret: "s", log: pino({ level: "silent" }) });
  let handles!: EmpathyHandles;
  await probot.load(
    empathyApp({
      analyse: analyseInProcess,
      store: new SqliteStore(":memory:"),
      startWorker: false,
      settings: { databaseUrl: undefined, metricsToken },
      operatorConfig: { ...EMPTY_OPERATOR_CONFIG, webhooks: [], warnings: [] } as OperatorConfig,
      onReady: (h) => (handles = h),
    }),
    { cwd: process.cwd(), addHandler: (handler: Handler) => void handlers.push(handler) },
  );
  const server = createServer(
    (req, res) =>
      void (async () => {
        for (const handler of handlers) if (await handler(req, res)) return;
        res.writeHead(404).end();
      })(),
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = async () => {
    await new Promise((r) => server.close(r));
    await handles.close();
  };
  return { handles, base, close };
}

describe("empathyApp: /metrics", () => {
  it("is off without the token", async () => {
    const { base, close } = await serve(undefined);
    try {
      expect((await fetch(`${base}/metrics`, { headers: { authorization: "Bearer x" } })).status).toBe(404);
    } finally {
      await close();
    }
  });

  it("serves the queue's, the bus's and the store's figures with it; two apps in one process keep their own", async () => {
    const one = await serve("tok-1");
    const two = await serve("tok-2");
    try {
      one.handles.queue.register("noop", async () => {});
      await one.handles.queue.enqueue({ type: "noop", payload: {} });
      await one.handles.queue.enqueue({ type: "later", payload: {}, runAt: Date.now() + 60_000 });
      await one.handles.queue.drain();
      one.handles.bus.emit({ type: "test", data: {} });
      await one.handles.bus.settled();
      expect((await fetch(`${one.base}/metrics`, { headers: { authorization: "Bearer tok-2" } })).status).toBe(401);
      const res = await fetch(`${one.base}/metrics`, { headers: { authorization: "Bearer tok-1" } });
      expect(res.status).toBe(200);
      const t = await res.text();
      expect(valueOf(t, "empathy_jobs_finished_total", { job_type: "noop", outcome: "done" })).toBe(1);
      expect(valueOf(t, "empathy_jobs", { status: "queued" })).toBe(1);
      expect(valueOf(t, "empathy_events_total", { event_type: "test" })).toBe(1);
      expect(t).toContain("process_resident_memory_bytes");
      const other = await (await fetch(`${two.base}/metrics`, { headers: { authorization: "Bearer tok-2" } })).text();
      expect(valueOf(other, "empathy_events_total", { event_type: "test" })).toBeUndefined();
    } finally {
      await one.close();
      await two.close();
    }
  });
});
