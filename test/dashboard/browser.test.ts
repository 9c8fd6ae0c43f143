/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core signs in through a
 * stand-in GitHub (Enterprise Server URLs on a loopback port), sees only its own repositories, and
 * sees an event emitted on the app's bus appear on the events page without a reload; pausing holds
 * events back; a POST without CSRF token is refused. Screenshots go to .scratch/ (not committed).
 */
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import type { Browser } from "playwright-core";
import { dashboardHandler } from "../../src/dashboard/handler.js";
import { EventBus } from "../../src/events/bus.js";
import { launchChromium } from "../support/chromium.js";
import { GitHubOAuthStandIn } from "../support/githubOAuthStandIn.js";
import { memoryLog, SECRET, serveForBrowser, type BrowserDashboard } from "./harness.js";

const SCRATCH = resolve(import.meta.dirname ?? process.cwd(), "..", "..", ".scratch");

describe("dashboard in Chromium", () => {
  let browser: Browser;
  let github: GitHubOAuthStandIn;
  let dashboard: BrowserDashboard | undefined;
  let url: string;
  const bus = new EventBus();
  const logs: string[] = [];

  beforeAll(async () => {
    mkdirSync(SCRATCH, { recursive: true });
    github = new GitHubOAuthStandIn({
      clientId: "Iv1.browser",
      clientSecret: "browser-client-secret-0123456789",
      login: "octocat",
      installations: [
        { id: 1, appId: 42, repos: ["octo/app", "octo/lib"] },
        { id: 2, appId: 77, repos: ["elsewhere/not-ours"] }, // another app's installation
      ],
    });
    const host = await github.listen();
    dashboard = await serveForBrowser(host, { bus, secret: async () => SECRET, log: memoryLog(logs) });
    url = dashboard.url;
    browser = await launchChromium();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await github?.close();
  });

  it("signs in through GitHub, shows only the user's repositories, and shows an event live", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${url}/dashboard`);
    await page.getByText("Signed in as").waitFor();
    expect(github.requests).toEqual(
      expect.arrayContaining([
        "GET /login/oauth/authorize",
        "POST /login/oauth/access_token",
        "GET /api/v3/user",
        "GET /api/v3/user/installations/1/repositories",
      ]),
    );
    expect(github.requests).not.toContain("GET /api/v3/user/installations/2/repositories");
    const repos = await page.locator("ul.repos li").allTextContents();
    expect(repos).toEqual(["octo/app", "octo/lib"]);
    await page.screenshot({ path: join(SCRATCH, "dashboard-overview.png"), fullPage: true });

    await page.getByRole("link", { name: "Live events" }).first().click();
    await page.getByRole("status").filter({ hasText: "Live: connected" }).waitFor();
    bus.emit({ type: "test", data: { repo: "elsewhere/not-ours", note: "must not show" } });
    bus.emit({ type: "level_1_response", data: { user_id: "octocat", repo: "octo/app", pr_number: 12, response: "Thanks, looks good" } });
    const item = page.locator("#live-list li").first();
    await item.waitFor();
    expect(await item.textContent()).toContain("level_1_response");
    expect(await item.textContent()).toContain("octo/app #12");
    expect(await page.locator("#live-list").textContent()).not.toContain("not-ours");

    // The pause button works from the keyboard and holds events back.
    await page.getByRole("button", { name: "Pause" }).focus();
    await page.keyboard.press("Enter");
    expect(await page.getByRole("button", { name: "Resume" }).getAttribute("aria-pressed")).toBe("true");
    bus.emit({ type: "test", data: { repo: "octo/lib", note: "held while paused" } });
    await page.getByRole("status").filter({ hasText: "1 new event(s) held" }).waitFor();
    expect(await page.locator("#live-list li").count()).toBe(1);
    await page.keyboard.press("Enter");
    await page.locator("#live-list li").nth(1).waitFor();
    await page.screenshot({ path: join(SCRATCH, "dashboard-events.png"), fullPage: true });

    // A POST without the CSRF token is refused (checked through the context's request API, with its cookies).
    const post = await context.request.post(`${url}/dashboard/auth/logout`, { form: { nothing: "here" }, maxRedirects: 0 });
    expect(post.status()).toBe(403);
    // The sign-out button carries the token.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Signed out" }).waitFor();
    // Signing out revoked the token at GitHub.
    for (let i = 0; i < 50 && !github.requests.includes("DELETE /api/v3/applications/Iv1.browser/token"); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(github.requests).toContain("DELETE /api/v3/applications/Iv1.browser/token");
    expect(logs.filter((l) => l.startsWith("warn"))).toEqual([]);
    await context.close();
  }, 60_000);

  it("refuses the admin page to a signed-in non-admin, and starts with the skip link for keyboard users", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${url}/dashboard`);
    await page.getByText("Signed in as").waitFor();
    await page.keyboard.press("Tab");
    expect(
      await page.evaluate(
        () => (globalThis as unknown as { document: { activeElement: { textContent: string } } }).document.activeElement.textContent,
      ),
    ).toBe("Skip to content");
    const refused = await context.request.get(`${url}/dashboard/webhooks`);
    expect(refused.status()).toBe(403);
    await page.goto(`${url}/dashboard/webhooks`);
    await page.screenshot({ path: join(SCRATCH, "dashboard-forbidden.png"), fullPage: true });
    await context.close();
  }, 60_000);

  it("shows what to set while the dashboard is off", async () => {
    const off = dashboardHandler({ settings: { admins: [] }, bus, secret: async () => SECRET, log: memoryLog(logs) });
    const offServer = createServer((req, res) => void off(req, res));
    await new Promise<void>((done) => offServer.listen(0, "127.0.0.1", done));
    try {
      const page = await browser.newPage();
      const res = await page.goto(`http://127.0.0.1:${(offServer.address() as AddressInfo).port}/dashboard`);
      expect(res?.status()).toBe(503);
      await page.getByRole("heading", { name: "The dashboard is off" }).waitFor();
      await page.screenshot({ path: join(SCRATCH, "dashboard-off.png"), fullPage: true });
      await page.close();
    } finally {
      offServer.closeAllConnections();
      await new Promise<void>((done) => offServer.close(() => done()));
    }
  }, 60_000);
});
