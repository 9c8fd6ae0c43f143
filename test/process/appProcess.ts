/** Starts the built app (`node lib/main.js`, what `npm start` runs) as a real process against a GitHub stand-in. */
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { createServer } from "node:net";
import { testPrivateKey } from "../helpers/keys.js";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface AppProcess {
  child: ChildProcess;
  port: number;
  output: () => string;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
}

/** The app id the process runs as (APP_ID): the dashboard ignores installations of other apps. */
export const APP_ID = 123;

/** The dashboard's settings: the GitHub App's OAuth credentials, the app's public URL and the admins. */
export interface DashboardEnv {
  clientId: string;
  clientSecret: string;
  /** EMPATHY_PUBLIC_URL, e.g. http://127.0.0.1:PORT (the OAuth callback is built from it). */
  publicUrl: string;
  /** EMPATHY_DASHBOARD_ADMINS: logins allowed on the operator-wide pages. */
  admins?: string[];
}

/**
 * The environment of an app process pointed at a GitHub stand-in (through the GitHub Enterprise
 * Server settings), with its store in `databasePath` and, given `dashboard`, the dashboard on;
 * `extra` adds or overrides variables.
 */
export function appEnv(
  opts: { secret: string; githubHost: string; databasePath: string; dashboard?: DashboardEnv },
  extra: Record<string, string> = {},
): Record<string, string> {
  const d = opts.dashboard;
  return {
    APP_ID: String(APP_ID),
    PRIVATE_KEY: testPrivateKey(),
    WEBHOOK_SECRET: opts.secret,
    GHE_HOST: opts.githubHost,
    GHE_PROTOCOL: "http",
    DATABASE_URL: `sqlite:${opts.databasePath}`,
    ...(d
      ? {
          GITHUB_CLIENT_ID: d.clientId,
          GITHUB_CLIENT_SECRET: d.clientSecret,
          EMPATHY_PUBLIC_URL: d.publicUrl,
          EMPATHY_DASHBOARD_ADMINS: (d.admins ?? []).join(","),
        }
      : {}),
    ...extra,
  };
}

/**
 * Starts `node lib/main.js` (or `args`, e.g. `["--import", "tsx", "bench/scaleApp.ts"]`) on
 * `port` and waits (at most `startupMs`) until `/health` answers.
 */
export async function startApp(
  env: Record<string, string>,
  port: number,
  args: string[] = ["lib/main.js"],
  startupMs = 20_000,
): Promise<AppProcess> {
  let output = "";
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? "", ...env, PORT: String(port), HOST: "127.0.0.1", LOG_FORMAT: "json" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const app = { child, port, output: () => output, exited };
  try {
    await waitFor(
      async () => (await health(port)) !== null,
      startupMs,
      () => `app did not start:\n${output}`,
    );
  } catch (err) {
    child.kill("SIGKILL"); // not left running behind a failed start
    throw err;
  }
  return app;
}

/** The instance id the process logged at start (the owner of its leases in the store). */
export function instanceId(app: AppProcess): string {
  const m = /"instance_id":"([^"]+)"[^\n]*"msg":"instance started"|"msg":"instance started"[^\n]*"instance_id":"([^"]+)"/.exec(
    app.output(),
  );
  if (!m) throw new Error(`no "instance started" line in the output:\n${app.output()}`);
  return m[1] ?? m[2];
}

export async function health(port: number): Promise<any | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    return res.ok ? await res.json() : null;
  } catch {
    return null;
  }
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, message: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(message());
}

export function sign(body: string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export async function postWebhook(port: number, opts: { event: string; id: string; body: string; signature: string }) {
  const started = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": opts.event,
      "x-github-delivery": opts.id,
      "x-hub-signature-256": opts.signature,
    },
    body: opts.body,
  });
  await res.text();
  return { status: res.status, ms: performance.now() - started };
}
