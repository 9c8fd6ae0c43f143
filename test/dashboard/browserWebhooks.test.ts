/**
 * The webhooks page in a real browser (Debian's Chromium through playwright-core), signed in as
 * an administrator through the stand-in GitHub: a dead letter replayed from the page (its
 * "Replay" button, reached with the keyboard) and then delivered, and the endpoint paused and
 * resumed. Screenshot: .scratch/dashboard-webhooks.png (not committed).
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser } from "playwright-core";
import { launchChromium } from "../support/chromium.js";
import { GitHubOAuthStandIn } from "../support/githubOAuthStandIn.js";
import { Receiver, setup, waitFor, type Setup } from "../delivery/helpers.js";
import { memoryLog, SECRET, serveForBrowser, type BrowserDashboard } from "./harness.js";

const SCRATCH = resolve(import.meta.dirname ?? process.cwd(), "..", "..", ".scratch");

describe("webhooks page in Chromium", () => {
  let browser: Browser;
  let github: GitHubOAuthStandIn;
  let dashboard: BrowserDashboard | undefined;
  let url: string;
  let receiver: Receiver;
  let d: Setup;
  const logs: string[] = [];

  beforeAll(async () => {
    mkdirSync(SCRATCH, { recursive: true });
    receiver = await new Receiver().listen();
    receiver.reply = () => ({ status: 503, body: "maintenance" });
    d = setup({ pauseRefreshMs: 50 });
    d.manager.register({ id: "integration:slack:test", eventType: "test", url: receiver.url("/services/T0/B0/secret"), retryCount: 0 });
    d.manager.register({ id: "audit-log", eventType: "*", url: receiver.url("/audit"), retryCount: 1 });
    await d.manager.start();
    github = new GitHubOAuthStandIn({
      clientId: "Iv1.browser",
      clientSecret: "browser-client-secret-0123456789",
      login: "ops-admin",
      installations: [{ id: 1, appId: 42, repos: ["octo/app"] }],
    });
    const host = await github.listen();
    dashboard = await serveForBrowser(
      host,
      { bus: d.bus, secret: async () => SECRET, log: memoryLog(logs), webhooks: d.manager },
      { admins: ["ops-admin"] },
    );
    url = dashboard.url;
    browser = await launchChromium();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await github?.close();
    await d?.manager.stop();
    await receiver?.close();
  });

  it("replays a dead letter from the page, then it is delivered; pauses and resumes the endpoint", async () => {
    d.bus.emit({ type: "test", data: { n: 1 } });
    await waitFor(async () => (await d.manager.counts()).dead >= 1, 5000, "a dead letter");
    receiver.reply = () => ({ status: 200 });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${url}/dashboard/webhooks`);
    await page.getByRole("heading", { name: "Webhooks and integrations" }).waitFor();
    const table = page.getByRole("table", { name: /Registrations/ });
    expect(await table.textContent()).toContain(`http://127.0.0.1:${receiver.port}`);
    expect(await page.content()).not.toContain("/services/T0");
    await page.getByRole("link", { name: "integration:slack:test" }).click();
    await page.getByRole("heading", { name: "Webhook integration:slack:test" }).waitFor();

    // The "Replay" button of the dead letter, from the keyboard.
    const replay = page.getByRole("button", { name: /^Replay msg_/ }).first();
    await replay.focus();
    await page.keyboard.press("Enter");
    await page.getByRole("status").filter({ hasText: "The dead letter was queued again" }).waitFor();
    await waitFor(async () => (await d.manager.counts()).delivered >= 1, 5000, "the replayed dead letter delivered");
    expect(receiver.requests.filter((r) => r.path === "/services/T0/B0/secret").length).toBe(2);
    expect(logs.some((l) => l.includes('"action":"webhook.replay"') && l.includes('"login":"ops-admin"'))).toBe(true);

    // Pause: the next event waits; resume sends it.
    await page.getByRole("button", { name: "Pause" }).click();
    await page.getByRole("status").filter({ hasText: "The endpoint is paused" }).waitFor();
    d.bus.emit({ type: "test", data: { n: 2 } });
    await waitFor(async () => (await d.manager.counts()).pending >= 1, 2000, "queued while paused");
    await page.reload();
    await page.getByRole("button", { name: "Resume" }).waitFor();
    await page.screenshot({ path: join(SCRATCH, "dashboard-webhooks-registration.png"), fullPage: true });
    await page.getByRole("button", { name: "Resume" }).click();
    await page.getByRole("status").filter({ hasText: "The endpoint is resumed" }).waitFor();
    await waitFor(async () => (await d.manager.counts()).pending === 0, 5000, "sent after resume");

    // A POST without the CSRF token is refused.
    const post = await context.request.post(`${url}/dashboard/webhooks/pause`, { form: { registration: "audit-log" }, maxRedirects: 0 });
    expect(post.status()).toBe(403);

    await page.goto(`${url}/dashboard/webhooks`);
    await page.screenshot({ path: join(SCRATCH, "dashboard-webhooks.png"), fullPage: true });
    await context.close();
  }, 60_000);
});
