/**
 * The dashboard handler on a real loopback server (as Probot's server would run it: a request no
 * handler takes is a 404), a log that keeps its lines, a clock the test moves, and sessions
 * minted with the handler's own keys (the stream tests need no OAuth round trip).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { EventBus } from "../../src/events/bus.js";
import { deriveKeys } from "../../src/dashboard/crypto.js";
import { dashboardHandler, type DashboardDeps, type DashboardHandler } from "../../src/dashboard/handler.js";
import { encodeSession, newSessionId, SESSION_COOKIE, type Session } from "../../src/dashboard/session.js";
import type { DashboardSettings } from "../../src/dashboard/settings.js";
import type { Log } from "../../src/logging/log.js";

export const SECRET = "test-session-secret-0123456789abcdefghijklmnop";
export const CLIENT_SECRET = "client-secret-5f1e2d3c4b5a69788796a5b4c3d2e1f0";
export const USER_TOKEN = "ghu_UserTokenNeverShown0123456789abcdef";

export function settings(over: Partial<DashboardSettings> = {}): DashboardSettings {
  return {
    clientId: "Iv1.client123",
    clientSecret: CLIENT_SECRET,
    publicUrl: "https://empathy.example.com",
    admins: ["root-admin"],
    appId: 42,
    ...over,
  };
}

export interface Harness {
  url: string;
  handler: DashboardHandler;
  bus: EventBus;
  logs: string[];
  clock: { now: number };
  close(): Promise<void>;
}

export function memoryLog(lines: string[]): Log {
  const write = (level: string) => (obj: object, msg?: string) =>
    void lines.push(`${level} ${msg ?? ""} ${JSON.stringify(obj, (_k, v: unknown) => (v instanceof Error ? v.message : v))}`);
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

export async function serve(over: Partial<DashboardDeps> = {}, s: Partial<DashboardSettings> = {}): Promise<Harness> {
  const logs: string[] = [];
  const clock = { now: Date.parse("2026-12-05T06:00:00Z") };
  const bus = new EventBus();
  const handler = dashboardHandler({
    settings: settings(s),
    bus,
    secret: async () => SECRET,
    log: memoryLog(logs),
    now: () => clock.now,
    ...over,
  });
  const server: Server = createServer((req, res) => {
    handler(req, res).then(
      (taken) => taken || res.writeHead(404).end("no handler"),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    handler,
    bus: (over.bus as EventBus | undefined) ?? bus,
    logs,
    clock,
    close: async () => {
      handler.close();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

/** A session cookie ("name=value") as the handler would set it after a sign-in. */
export function sessionCookie(over: Partial<Session> & { now: number }, secret = SECRET): string {
  const { now, ...rest } = over;
  const s: Session = {
    sid: newSessionId(),
    uid: 7,
    login: "octocat",
    token: USER_TOKEN,
    issuedAt: now,
    expiresAt: now + 3600_000,
    checkedAt: now,
    repos: ["octo/app"],
    truncated: false,
    ...rest,
  };
  const value = encodeSession(deriveKeys(secret), s);
  if (!value) throw new Error("session too big for a test cookie");
  return `${SESSION_COOKIE}=${value}`;
}

/** GET/POST without following redirects. */
export async function request(
  url: string,
  init: { method?: string; cookie?: string; headers?: Record<string, string>; body?: string } = {},
) {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.cookie) headers.cookie = init.cookie;
  if (init.body !== undefined) headers["content-type"] ??= "application/x-www-form-urlencoded";
  const res = await fetch(url, { method: init.method ?? "GET", headers, body: init.body, redirect: "manual" });
  return { status: res.status, headers: res.headers, text: await res.text(), setCookies: res.headers.getSetCookie() };
}

/** "name=value" of a Set-Cookie line. */
export function cookiePair(setCookie: string | undefined): string {
  return (setCookie ?? "").split(";")[0];
}

/** The OAuth client the browser suites' stand-in GitHub knows. */
export const BROWSER_CLIENT = { clientId: "Iv1.browser", clientSecret: "browser-client-secret-0123456789" } as const;

export interface BrowserDashboard {
  url: string;
  handler: DashboardHandler;
  close(): Promise<void>;
}

/**
 * The dashboard for a browser suite: on a loopback server whose URL is its public URL, signing in
 * through the stand-in GitHub at `gheHost` (GitHub Enterprise Server URLs over http), on the real clock.
 */
export async function serveForBrowser(
  gheHost: string,
  deps: Omit<DashboardDeps, "settings">,
  over: Partial<DashboardSettings> = {},
): Promise<BrowserDashboard> {
  const ref: { handler?: DashboardHandler } = {};
  const server = createServer((req, res) => {
    void ref.handler!(req, res).then((taken) => taken || res.writeHead(404, { "content-type": "text/plain" }).end("not found"));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const handler = (ref.handler = dashboardHandler({
    settings: { ...BROWSER_CLIENT, publicUrl: url, gheHost, gheProtocol: "http", admins: [], appId: 42, ...over },
    ...deps,
  }));
  return {
    url,
    handler,
    close: async () => {
      handler.close();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
