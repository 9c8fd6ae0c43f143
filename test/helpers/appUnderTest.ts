/**
 * The app as the composition-root tests load it: in Probot, on an in-memory SQLite store, with
 * in-process analysis and no worker, no operator config unless given; and, for the routes it adds
 * (/dashboard, /metrics, /health…), served on a loopback port.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { Probot } from "probot";
import { empathyApp, type EmpathyAppOptions, type EmpathyHandles } from "../../src/app.js";
import { EMPTY_OPERATOR_CONFIG, type OperatorConfig } from "../../src/config/operatorConfig.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { analyseInProcess } from "./inProcessAnalysis.js";
import { testPrivateKey } from "./keys.js";

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => boolean | void | Promise<boolean | void>;

/** Loads the app; `options` replace the defaults (settings are merged key by key). */
export async function loadApp(options: Partial<EmpathyAppOptions> = {}): Promise<{ handles: EmpathyHandles; handlers: RouteHandler[] }> {
  const handlers: RouteHandler[] = [];
  const probot = new Probot({ appId: 123, privateKey: testPrivateKey(), secret: "s", log: pino({ level: "silent" }) });
  let handles!: EmpathyHandles;
  await probot.load(
    empathyApp({
      analyse: analyseInProcess,
      store: new SqliteStore(":memory:"),
      startWorker: false,
      operatorConfig: { ...EMPTY_OPERATOR_CONFIG, webhooks: [], warnings: [] } as OperatorConfig,
      ...options,
      settings: { databaseUrl: undefined, ...options.settings },
      onReady: (h) => (handles = h),
    }),
    { cwd: process.cwd(), addHandler: (handler: RouteHandler) => void handlers.push(handler) },
  );
  return { handles, handlers };
}

/** Loads the app and serves its routes on 127.0.0.1 (a request no route takes is a 404); `close` stops both. */
export async function serveApp(
  options: Partial<EmpathyAppOptions> = {},
): Promise<{ handles: EmpathyHandles; base: string; close(): Promise<void> }> {
  const { handles, handlers } = await loadApp(options);
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
