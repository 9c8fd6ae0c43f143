/**
 * /dashboard/webhooks against a real WebhookManager on an in-memory store delivering to a
 * loopback receiver: the figures for an administrator (403 for others), the delivery log, a dead
 * letter replayed from a POST with the CSRF token and then delivered, a POST without it refused,
 * pause keeping deliveries queued and resume sending them, and the audit lines.
 */
import { Receiver, setup, waitFor, type Setup } from "../delivery/helpers.js";
import { request, serve, sessionCookie, type Harness } from "./harness.js";

const csrfOf = (page: string) => /name="_csrf" value="([^"]+)"/.exec(page)![1];
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe("dashboard webhooks page", () => {
  let h: Harness;
  let receiver: Receiver;
  let d: Setup;
  let hook: string;
  let admin: string;

  beforeEach(async () => {
    receiver = await new Receiver().listen();
    receiver.reply = () => ({ status: 502, body: "upstream <b>down</b>" });
    d = setup({ pauseRefreshMs: 50 });
    hook = d.manager.register({
      id: "integration:slack:test",
      eventType: "test",
      url: receiver.url("/services/T0/B0/tok3n?key=s3cret"),
      retryCount: 0,
    });
    await d.manager.start();
    h = await serve({ webhooks: d.manager });
    admin = sessionCookie({ now: h.clock.now, login: "root-admin" });
  });
  afterEach(async () => {
    await h.close();
    await d.manager.stop();
    await receiver.close();
  });

  const deadLetter = async () => {
    d.bus.emit({ type: "test", data: { n: 1 } });
    await waitFor(async () => (await d.manager.counts()).dead === 1, 5000, "a dead letter");
    return (await d.store.listWebhookDeliveries({ status: "dead" }))[0].id;
  };
  const page = (cookie = admin) => request(`${h.url}/dashboard/webhooks/registration?id=${encodeURIComponent(hook)}`, { cookie });
  const post = (action: string, fields: Record<string, string>, cookie = admin) =>
    request(`${h.url}/dashboard/webhooks/${action}`, { method: "POST", cookie, body: form(fields) });

  it("shows an administrator the figures by origin only, and refuses everyone else (403)", async () => {
    const id = await deadLetter();
    const overview = await request(`${h.url}/dashboard/webhooks`, { cookie: admin });
    expect(overview.status).toBe(200);
    expect(overview.text).toContain(`http://127.0.0.1:${receiver.port}`);
    expect(overview.text).toContain(">slack <");
    expect(overview.text).toMatch(/<th scope="col">Success rate<\/th>/);
    expect(overview.text).toContain("0.0 %");
    for (const secret of ["tok3n", "s3cret", "/services/"]) expect(overview.text).not.toContain(secret);

    const detail = await page();
    expect(detail.status).toBe(200);
    expect(detail.text).toContain(id);
    expect(detail.text).toContain("upstream &lt;b&gt;down&lt;/b&gt;"); // the response excerpt, escaped
    expect(detail.text).toMatch(/<button type="submit">Replay<span class="sr-only"> msg_/);
    expect(detail.text).toContain("Replay all since");
    expect(detail.text).toContain('<label for="replay-since">');
    expect(detail.text).toContain(">Pause</button>");
    for (const secret of ["tok3n", "s3cret"]) expect(detail.text).not.toContain(secret);

    const user = sessionCookie({ now: h.clock.now, login: "octocat" });
    expect((await request(`${h.url}/dashboard/webhooks`, { cookie: user })).status).toBe(403);
    expect((await page(user)).status).toBe(403);
    const userToken = csrfOf((await request(`${h.url}/dashboard`, { cookie: user })).text);
    const refused = await post("replay", { _csrf: userToken, registration: hook, delivery: id }, user);
    expect(refused.status).toBe(403);
    expect((await d.manager.counts()).dead).toBe(1);
    expect((await request(`${h.url}/dashboard/webhooks/registration?id=nope`, { cookie: admin })).status).toBe(404);
  });

  it("replays a dead letter from a POST with the CSRF token (then delivered), refuses one without, and logs who did it", async () => {
    const id = await deadLetter();
    receiver.reply = () => ({ status: 200 });
    const token = csrfOf((await page()).text);

    const noToken = await post("replay", { registration: hook, delivery: id });
    expect(noToken.status).toBe(403);
    const badToken = await post("replay", { _csrf: `${token}x`, registration: hook, delivery: id });
    expect(badToken.status).toBe(403);
    expect((await d.manager.counts()).dead).toBe(1);

    const ok = await post("replay", { _csrf: token, registration: hook, delivery: id });
    expect(ok.status).toBe(302);
    expect(ok.headers.get("location")).toBe(`/dashboard/webhooks/registration?id=${encodeURIComponent(hook)}&notice=replayed`);
    await waitFor(async () => (await d.manager.counts()).delivered === 1, 5000, "the replayed dead letter delivered");
    const audit = h.logs.filter((l) => l.includes('"audit":"dashboard"'));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toContain('"login":"root-admin"');
    expect(audit[0]).toContain('"action":"webhook.replay"');
    expect(audit[0]).toContain(`"delivery_id":"${id}"`);
    expect(audit[0]).toContain(`"registration_id":"${hook}"`);
    for (const secret of ["tok3n", "s3cret", '"n":1']) expect(h.logs.join("\n")).not.toContain(secret);

    const after = await request(`${h.url}${ok.headers.get("location")}`, { cookie: admin });
    expect(after.text).toContain("The dead letter was queued again");
    // Replaying it again: no longer a dead letter.
    const again = await post("replay", { _csrf: token, registration: hook, delivery: id });
    expect(again.headers.get("location")).toContain("notice=replay-failed");
    expect(h.logs.some((l) => l.includes('"outcome":"refused"'))).toBe(true);
  });

  it("replays every dead letter since a time", async () => {
    await deadLetter();
    d.bus.emit({ type: "test", data: { n: 2 } });
    await waitFor(async () => (await d.manager.counts()).dead === 2, 5000, "two dead letters");
    receiver.reply = () => ({ status: 200 });
    const token = csrfOf((await page()).text);
    expect((await post("replay-since", { _csrf: token, since: "yesterday" })).headers.get("location")).toBe(
      "/dashboard/webhooks?notice=bad-time",
    );
    const future = new Date(Date.now() + 3600_000).toISOString().slice(0, 16);
    expect((await post("replay-since", { _csrf: token, since: future })).headers.get("location")).toContain("notice=replay-none");
    const since = new Date(Date.now() - 3600_000).toISOString().slice(0, 16);
    const ok = await post("replay-since", { _csrf: token, since, registration: hook });
    expect(ok.headers.get("location")).toContain("notice=replayed-all&n=2");
    await waitFor(async () => (await d.manager.counts()).delivered === 2, 5000, "both delivered");
    expect(h.logs.some((l) => l.includes('"action":"webhook.replay_since"') && l.includes('"replayed":2'))).toBe(true);
  });

  it("pauses an endpoint (deliveries stay queued) and resumes it (they are sent), each logged with who did it", async () => {
    receiver.reply = () => ({ status: 200 });
    const token = csrfOf((await page()).text);
    const paused = await post("pause", { _csrf: token, registration: hook });
    expect(paused.status).toBe(302);
    expect(paused.headers.get("location")).toContain("notice=paused");
    for (let i = 0; i < 3; i++) d.bus.emit({ type: "test", data: { n: i } });
    await waitFor(async () => (await d.manager.counts()).pending === 3, 2000, "three queued");
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.requests).toHaveLength(0);
    const shown = await page();
    expect(shown.text).toContain(">Resume</button>");
    expect(shown.text).toMatch(/Paused<\/span> <span class="muted">by root-admin/);

    const resumed = await post("resume", { _csrf: token, registration: hook });
    expect(resumed.headers.get("location")).toContain("notice=resumed");
    await waitFor(async () => (await d.manager.counts()).delivered === 3, 5000, "sent after resume");
    const audit = h.logs.filter((l) => l.includes('"audit":"dashboard"'));
    expect(audit.map((l) => /"action":"([^"]+)"/.exec(l)![1])).toEqual(["webhook.pause", "webhook.resume"]);
    expect(audit.every((l) => l.includes('"login":"root-admin"') && l.includes(`"registration_id":"${hook}"`))).toBe(true);
  });
});
