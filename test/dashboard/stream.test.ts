/**
 * The live stream on a real loopback server, fed by a real EventBus: an event of the viewer's
 * repository arrives with its id, one of another repository does not, filters narrow it,
 * Last-Event-ID resumes from the replay buffer, keep-alives flow, a stream ends when its
 * session is due for a re-check, and a client that does not read is dropped without slowing
 * the bus or the other viewers.
 */
import { connect } from "node:net";
import { EventBus } from "../../src/events/bus.js";
import { envelopeOf, openStream, type SseClient } from "./sseClient.js";
import { request, serve, sessionCookie, type Harness } from "./harness.js";

const STREAM = "/dashboard/events/stream";

describe("dashboard live events (SSE)", () => {
  let h: Harness;
  let bus: EventBus;
  const clients: SseClient[] = [];

  async function open(
    path = STREAM,
    over: Parameters<typeof sessionCookie>[0] | undefined = undefined,
    headers: Record<string, string> = {},
  ) {
    const c = await openStream(`${h.url}${path}`, { cookie: sessionCookie(over ?? { now: h.clock.now }), ...headers });
    clients.push(c);
    return c;
  }

  beforeEach(async () => {
    bus = new EventBus();
    h = await serve({ bus, stream: { keepAliveMs: 100, replay: 200 } });
    h.clock.now = Date.now(); // the stream's end time is checked against this clock
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await h.close();
  });

  it("sends an event of the viewer's repository, with its id, and never one of another repository", async () => {
    const c = await open();
    expect(c.status).toBe(200);
    expect(c.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    expect(c.headers["cache-control"]).toBe("no-store, no-transform");
    await c.waitFor((m) => m.comment === "connected");
    const hidden = bus.emit({
      type: "pattern_learned",
      data: { pattern_id: "p", pattern_name: "secret project", confidence: 0.9, user_id: "u", repo: "other/private" },
    });
    const shown = bus.emit({ type: "test", data: { repo: "Octo/App", note: "hello" } });
    const unscoped = bus.emit({ type: "error", data: { error_type: "x", error_message: "y", context: {} } });
    const m = await c.waitFor((x) => x.id === shown.id);
    expect(envelopeOf(m)).toMatchObject({ id: shown.id, event_type: "test", data: { repo: "Octo/App", note: "hello" } });
    bus.emit({ type: "test", data: { repo: "octo/app", note: "marker" } });
    await c.waitFor((x) => (x.data ?? "").includes("marker"));
    const ids = c.messages.map((x) => x.id);
    expect(ids).not.toContain(hidden.id);
    expect(ids).not.toContain(unscoped.id); // events naming no repository: admins only
    expect(c.messages.some((x) => (x.data ?? "").includes("secret project"))).toBe(false);
  });

  it("sends admins the events that name no repository, still only their repositories otherwise", async () => {
    const c = await open(STREAM, { now: h.clock.now, login: "root-admin" });
    await c.waitFor((m) => m.comment === "connected");
    const hidden = bus.emit({ type: "test", data: { repo: "other/private" } });
    const unscoped = bus.emit({ type: "error", data: { error_type: "x", error_message: "y", context: {} } });
    await c.waitFor((m) => m.id === unscoped.id);
    expect(c.messages.map((m) => m.id)).not.toContain(hidden.id);
  });

  it("filters by event type and repository (query parameters), within the viewer's repositories", async () => {
    const c = await open(`${STREAM}?type=trust_increased&repo=octo/lib&repo=other/private`, {
      now: h.clock.now,
      repos: ["octo/app", "octo/lib"],
    });
    await c.waitFor((m) => m.comment === "connected");
    bus.emit({ type: "test", data: { repo: "octo/lib" } });
    bus.emit({ type: "trust_increased", data: { user_id: "u", old_trust: 0.5, new_trust: 0.6, delta: 0.1, repo: "octo/app" } });
    bus.emit({ type: "trust_increased", data: { user_id: "u", old_trust: 0.5, new_trust: 0.6, delta: 0.1, repo: "other/private" } });
    const want = bus.emit({
      type: "trust_increased",
      data: { user_id: "u", old_trust: 0.6, new_trust: 0.7, delta: 0.1, repo: "octo/lib" },
    });
    await c.waitFor((m) => m.id === want.id);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.messages.filter((m) => m.data)).toHaveLength(1);
  });

  it("redacts payloads: a token in an event never reaches the page", async () => {
    const c = await open();
    await c.waitFor((m) => m.comment === "connected");
    const token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
    const e = bus.emit({ type: "test", data: { repo: "octo/app", note: `leaked ${token}` } });
    const m = await c.waitFor((x) => x.id === e.id);
    expect(m.data).not.toContain(token);
  });

  it("resumes after Last-Event-ID from the replay buffer, and says so when it cannot", async () => {
    const first = bus.emit({ type: "test", data: { repo: "octo/app", n: 1 } });
    const second = bus.emit({ type: "test", data: { repo: "octo/app", n: 2 } });
    bus.emit({ type: "test", data: { repo: "other/private", n: 3 } });
    const fourth = bus.emit({ type: "test", data: { repo: "octo/app", n: 4 } });
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    const c = await open(STREAM, undefined, { "last-event-id": first.id });
    await c.waitFor((m) => m.id === fourth.id);
    expect(c.messages.filter((m) => m.id).map((m) => m.id)).toEqual([second.id, fourth.id]);

    const lost = await open(STREAM, undefined, { "last-event-id": "not-in-the-buffer" });
    await lost.waitFor((m) => m.event === "reset");
  });

  it("keeps the connection alive with comments, and ends it when the session is due for a re-check", async () => {
    const c = await open();
    await c.waitFor((m) => m.comment === "keep-alive");
    h.clock.now += 6 * 60_000;
    await c.ended;
  });

  it("refuses a stream without a session (401: an EventSource cannot follow a sign-in redirect)", async () => {
    const r = await request(`${h.url}${STREAM}`);
    expect(r.status).toBe(401);
  });

  it("drops a client that does not read, without slowing the bus or the other viewers", async () => {
    const reader = await open();
    await reader.waitFor((m) => m.comment === "connected");
    // A client that sends the request and never reads the answer.
    const cookie = sessionCookie({ now: h.clock.now });
    const port = Number(new URL(h.url).port);
    const slow = connect(port, "127.0.0.1");
    slow.pause();
    slow.write(`GET ${STREAM} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie}\r\nAccept: text/event-stream\r\n\r\n`);
    slow.on("error", () => undefined); // the server resets it when it drops it
    await waitUntil(() => h.handler.stream!.size === 2);

    // Batches of 20 events of 16 KB, a millisecond apart, until the silent client is more than the
    // replay ring (200 events) behind: then it is dropped. The reader keeps up all along.
    const big = "x".repeat(16 * 1024);
    let busIdle = true;
    for (let batch = 0; batch < 500 && h.handler.stream!.dropped === 0; batch++) {
      for (let n = 0; n < 20; n++) bus.emit({ type: "test", data: { repo: "octo/app", big, n } });
      // The bus's handler calls finish within the microtask: none waits for a socket.
      await Promise.resolve();
      busIdle &&= bus.pending === 0;
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(h.handler.stream!.dropped).toBe(1);
    expect(busIdle).toBe(true);
    const marker = bus.emit({ type: "test", data: { repo: "octo/app", note: "after the drop" } });
    await reader.waitFor((m) => m.id === marker.id, 15_000);
    expect(h.handler.stream!.size).toBe(1);
    slow.destroy();
  });
});

async function waitUntil(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
