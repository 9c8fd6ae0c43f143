/**
 * The app loaded into Probot against the fake GitHub (like test/github/harness.ts), with the
 * routes it adds through `addHandler` served on a loopback port, and Slack's slash command
 * requests built and signed the way Slack documents
 * (https://api.slack.com/authentication/verifying-requests-from-slack).
 */
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import nock from "nock";
import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";
import { empathyApp, type EmpathyHandles } from "../../src/app.js";
import { readSettings } from "../../src/config/env.js";
import { EMPTY_OPERATOR_CONFIG, type OperatorConfig } from "../../src/config/operatorConfig.js";
import { DEFAULT_SLACK_ACCESS, type SlackAccessConfig } from "../../src/config/slackAccessConfig.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { FakeGitHub } from "../helpers/fakeGitHub.js";
import { testPrivateKey } from "../helpers/keys.js";
import { analyseInProcess } from "../helpers/inProcessAnalysis.js";

export const SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
export const RESPONSE_ORIGIN = "https://hooks.slack.com";
export const RESPONSE_PATH = "/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN";
/** The installation the fake's repository has. */
export const INSTALLATION_ID = 2;

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean | void> | boolean | void;

export interface SlackHarness {
  fake: FakeGitHub;
  handles: EmpathyHandles;
  store: SqliteStore;
  logs: string[];
  /** Every request to GitHub, the fake's and the two answered here ("GET /repos/..."). */
  githubRequests(): string[];
  url: string;
  drain(): Promise<number>;
  close(): Promise<void>;
}

/** The workspace commandBody() sends from, and an entry letting it reach the fake's owner (and "someone", for not-installed replies). */
export const TEAM_ID = "T1DC2JH3J";
export const CHANNEL_ID = "C2147483705";
export const OPEN_ACCESS: SlackAccessConfig = {
  reply: "in_channel",
  access: [{ teamId: TEAM_ID, repositories: ["octo-org/*", "someone/*"] }],
};

export async function createSlackHarness(
  options: {
    fake?: FakeGitHub;
    env?: Record<string, string>;
    /** The operator's `slack:` section; default none (nothing reachable). */ slack?: SlackAccessConfig;
  } = {},
): Promise<SlackHarness> {
  const fake = options.fake ?? new FakeGitHub();
  nock.disableNetConnect();
  nock.enableNetConnect((host) => host.startsWith("127.0.0.1"));
  // Two GitHub endpoints the fake does not serve, answered from its state; registered before it.
  const ownRequests: string[] = [];
  const own = nock("https://api.github.com");
  own.on("request", (req: { method: string; path: string }) => ownRequests.push(`${req.method} ${req.path}`));
  own
    .persist()
    .get(`/repos/${fake.owner}/${fake.repo}/installation`)
    .reply(200, { id: INSTALLATION_ID, account: { login: fake.owner } })
    .get(/^\/repos\/[^/]+\/[^/]+\/issues\/comments\/\d+$/)
    .reply((uri) => {
      const id = Number(uri.split("/").pop());
      const c = fake.comments.find((x) => x.id === id);
      return c ? [200, c] : [404, { message: "Not Found" }];
    });
  fake.mountOnNock("https://api.github.com");

  // The Slack and GitHub settings as the runner reads them from these variables.
  const { slack, github } = readSettings({ SLACK_SIGNING_SECRET: SIGNING_SECRET, ...options.env });
  const logs: string[] = [];
  const log = pino({ level: "debug" }, new Writable({ write: (chunk, _e, done) => (logs.push(chunk.toString()), done()) }));
  const probot = new Probot({
    appId: 123,
    privateKey: testPrivateKey(),
    secret: "test-webhook-secret",
    log,
    Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })),
  });
  const handlers: Handler[] = [];
  let handles!: EmpathyHandles;
  const store = new SqliteStore(":memory:");
  await probot.load(
    empathyApp({
      analyse: analyseInProcess,
      store,
      startWorker: false,
      settings: { databaseUrl: undefined, workerConcurrency: 1, jobMaxAttempts: 3, jobBaseDelayMs: 0, slack, github },
      onReady: (h) => (handles = h),
      // Cast: OperatorConfig gains its `slack` field in src/config/operatorConfig.ts.
      operatorConfig: {
        ...EMPTY_OPERATOR_CONFIG,
        webhooks: [],
        warnings: [],
        slack: options.slack ?? DEFAULT_SLACK_ACCESS,
      } as OperatorConfig,
    }),
    { cwd: process.cwd(), addHandler: (h: Handler) => handlers.push(h) },
  );

  const server: Server = createServer(
    (req, res) =>
      void (async () => {
        for (const h of handlers) if (await h(req, res)) return;
        res.writeHead(404).end();
      })(),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    fake,
    handles,
    store,
    logs,
    githubRequests: () => [...ownRequests, ...fake.requests.map((r) => `${r.method} ${r.path}`)],
    url: `http://127.0.0.1:${port}`,
    drain: async () => {
      let total = 0;
      for (let ran = await handles.queue.drain(); ran > 0; ran = await handles.queue.drain()) total += ran;
      await handles.bus.settled();
      return total + (await handles.queue.drain());
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A slash command's form body, with Slack's field names. */
export function commandBody(text: string, overrides: Record<string, string | undefined> = {}): string {
  const fields: Record<string, string | undefined> = {
    token: "gIkuvaNzQIHg97ATvDxqgjtO",
    team_id: TEAM_ID,
    team_domain: "testteamnow",
    channel_id: CHANNEL_ID,
    channel_name: "dev",
    user_id: "U2CERLKJA",
    user_name: "roadrunner",
    command: "/empathy",
    text,
    api_app_id: "A123456",
    response_url: `${RESPONSE_ORIGIN}${RESPONSE_PATH}`,
    trigger_id: `13345224609.738474920.${Math.random().toString(16).slice(2)}`,
    ...overrides,
  };
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) form.set(k, v);
  return form.toString();
}

/** Slack's scheme, computed here on its own: v0= + hex HMAC-SHA256("v0:" + timestamp + ":" + body). */
export function slackSignature(secret: string, timestamp: string, body: string): string {
  return (
    "v0=" +
    createHmac("sha256", secret)
      .update("v0:" + timestamp + ":" + body)
      .digest("hex")
  );
}

export async function postCommand(
  url: string,
  body: string,
  options: { timestamp?: string; signature?: string; secret?: string; contentType?: string; path?: string } = {},
): Promise<{ status: number; json: any }> {
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  const signature = options.signature ?? slackSignature(options.secret ?? SIGNING_SECRET, timestamp, body);
  const res = await fetch(`${url}${options.path ?? "/slack/commands/empathy"}`, {
    method: "POST",
    headers: {
      "content-type": options.contentType ?? "application/x-www-form-urlencoded",
      "x-slack-request-timestamp": timestamp,
      "x-slack-signature": signature,
    },
    body,
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

/** Captures what the job POSTs to the response URL. */
export function captureResponseUrl(): { bodies: any[]; scope: nock.Scope } {
  const bodies: any[] = [];
  const scope = nock(RESPONSE_ORIGIN)
    .persist()
    .post(RESPONSE_PATH, (b) => (bodies.push(b), true))
    .reply(200, "ok");
  return { bodies, scope };
}

/** Every mrkdwn/plain text of a message's blocks, joined. */
export function blockText(message: any): string {
  const out: string[] = [];
  const walk = (v: any) => {
    if (v === null || typeof v !== "object") return;
    if (typeof v.text === "string") out.push(v.text);
    for (const x of Object.values(v)) walk(x);
  };
  walk(message?.blocks ?? []);
  return out.join("\n");
}
