/**
 * The dashboard of the app as a real process (`node lib/main.js`), in a real browser (Debian's
 * Chromium through playwright-core), against one loopback GitHub stand-in that serves both the
 * REST API the app calls and the sign-in the dashboard uses. A user signs in and sees only the
 * repositories they can access; a pull request webhook delivered to the process is reviewed and
 * its events appear on /dashboard/events without a reload (another repository's never do); an
 * outgoing webhook that failed (a dead letter) is replayed from /dashboard/webhooks and then
 * delivered; a non-admin is refused the webhooks page; a POST without CSRF token is refused.
 * Every page reachable from the navigation passes axe-core's WCAG 2 A/AA rules and is walked
 * with the Tab key (every control reached in order, its focus visible).
 * The tests run in order as one story (the reviews of the second make the dead letters of the
 * third and the data of the pages checked last). Screenshots: .scratch/process-*.png (not committed).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { riskyFiles } from "../github/fixtures.js";
import { FakeGitHub } from "../helpers/fakeGitHub.js";
import { APP_ID, appEnv, freePort, health, postWebhook, sign, startApp, waitFor, type AppProcess } from "../process/appProcess.js";
import { axeViolations, walkWithTab } from "../support/axe.js";
import { launchChromium } from "../support/chromium.js";
import { FakeGitHubs, pullRequestOpened } from "../support/githubStandIn.js";
import { GitHubOAuthStandIn } from "../support/githubOAuthStandIn.js";
import { HookReceiver, hookSecret } from "../support/hookReceiver.js";

const SCRATCH = resolve(import.meta.dirname ?? process.cwd(), "..", "..", ".scratch");
const SECRET = "browser-process-webhook-secret";
const HOOK_SECRET = hookSecret("browser process hook key, 32 b!");
const CLIENT_ID = "Iv1.processdashboard";
const CLIENT_SECRET = "process-dashboard-client-secret-0123456789";

describe("the dashboard of the app process in Chromium", () => {
  let dir: string;
  let ours: FakeGitHub;
  let theirs: FakeGitHub;
  let oauth: GitHubOAuthStandIn;
  let github: FakeGitHubs;
  let rx: HookReceiver;
  let app: AppProcess;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SCRATCH, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), "empathy-browser-process-"));
    ours = new FakeGitHub({ html_url: "https://github.com/octo-org/shop/pull/7" });
    theirs = new FakeGitHub({ html_url: "https://github.com/other-org/vault/pull/7" });
    theirs.owner = "other-org";
    theirs.repo = "vault";
    for (const f of [ours, theirs]) f.setFiles(riskyFiles);
    // octocat can access octo-org/shop only (and an installation of another app, ignored);
    // ops-admin, an administrator, both repositories.
    oauth = new GitHubOAuthStandIn({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      login: "octocat",
      installations: [
        { id: 2, appId: APP_ID, repos: ["octo-org/shop"] },
        { id: 9, appId: APP_ID + 1, repos: ["elsewhere/other-app"] },
      ],
      users: {
        "ops-admin": [
          { id: 2, appId: APP_ID, repos: ["octo-org/shop"] },
          { id: 3, appId: APP_ID, repos: ["other-org/vault"] },
        ],
      },
    });
    github = new FakeGitHubs([ours, theirs], oauth);
    const host = await github.listen();
    // The endpoint fails until the test lets it accept: each review's interaction_completed
    // dies (one retry, 50 ms apart) and becomes a dead letter.
    rx = await new HookReceiver(HOOK_SECRET).listen();
    rx.status = 503;
    const config = join(dir, "empathy.config.yml");
    writeFileSync(
      config,
      [
        "webhooks:",
        "  - event_type: interaction_completed",
        `    url: ${rx.url("/hook")}`,
        "    secret: ${HOOK_SECRET}",
        "    timeout_seconds: 5",
        "    retry_count: 1",
        "network:",
        '  allow_private: ["127.0.0.0/8"]',
        "",
      ].join("\n"),
    );
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const env = appEnv(
      {
        secret: SECRET,
        githubHost: host,
        databasePath: join(dir, "empathy.sqlite"),
        dashboard: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, publicUrl: url, admins: ["ops-admin"] },
      },
      {
        EMPATHY_CONFIG: config,
        HOOK_SECRET,
        EMPATHY_JOB_BASE_DELAY_MS: "50",
        EMPATHY_ANALYSIS_WORKERS: "1",
        // A failing delivery dies fast: retried once after 50 ms, the loop polling often.
        EMPATHY_WEBHOOK_BASE_DELAY_MS: "50",
        EMPATHY_WEBHOOK_MAX_DELAY_MS: "100",
        EMPATHY_WEBHOOK_POLL_INTERVAL_MS: "100",
        EMPATHY_WEBHOOK_BREAKER_COOLOFF_MS: "100",
        LOG_LEVEL: "info",
      },
    );
    [app, browser] = await Promise.all([startApp(env, port), launchChromium()]);
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    if (app) {
      app.child.kill("SIGTERM");
      await app.exited;
    }
    await rx?.close();
    await github?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A browser signed in at GitHub as `login` (the stand-in signs in whoever it is told). */
  async function signedIn(login: string, options: { bypassCSP?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
    oauth.signInAs = login;
    const context = await browser.newContext(options);
    const page = await context.newPage();
    await page.goto(`${url}/dashboard`);
    await page.getByText("Signed in as").waitFor();
    expect(await page.locator(".signout strong").textContent()).toBe(login);
    return { context, page };
  }

  function outbox(): Record<string, number> {
    const db = new Database(join(dir, "empathy.sqlite"), { readonly: true });
    try {
      const rows = db.prepare("SELECT status, COUNT(*) AS n FROM webhook_deliveries GROUP BY status").all() as {
        status: string;
        n: number;
      }[];
      return Object.fromEntries(rows.map((r) => [r.status, r.n]));
    } finally {
      db.close();
    }
  }

  const idle = async () => {
    const jobs = (await health(app.port))?.jobs;
    return jobs?.queued === 0 && jobs?.running === 0;
  };

  async function deliverPullRequest(fake: FakeGitHub, installationId: number, id: string) {
    const body = pullRequestOpened(fake, installationId);
    const ack = await postWebhook(app.port, { event: "pull_request", id, body, signature: sign(body, SECRET) });
    expect(ack.status).toBe(200);
  }

  it("signs in through GitHub and shows only the user's own repositories", async () => {
    const { context, page } = await signedIn("octocat");
    expect(oauth.requests).toEqual(
      expect.arrayContaining([
        "GET /login/oauth/authorize",
        "POST /login/oauth/access_token",
        "GET /api/v3/user",
        "GET /api/v3/user/installations",
        "GET /api/v3/user/installations/2/repositories",
      ]),
    );
    // The other app's installation is not even asked for its repositories.
    expect(oauth.requests).not.toContain("GET /api/v3/user/installations/9/repositories");
    expect(await page.locator("ul.repos li").allTextContents()).toEqual(["octo-org/shop"]);
    // The sign-in went to the process's own callback, and the REST stand-in saw none of it.
    expect(github.fakes.flatMap((f) => f.requests).filter((r) => /^\/(user|login|applications)/.test(r.path))).toEqual([]);
    await page.screenshot({ path: join(SCRATCH, "process-overview.png"), fullPage: true });
    await context.close();
  }, 60_000);

  it("shows a delivered pull request's events live, without a reload, and never another repository's", async () => {
    const { context, page } = await signedIn("octocat");
    await page.getByRole("link", { name: "Live events" }).first().click();
    await page.getByRole("status").filter({ hasText: "Live: connected" }).waitFor();
    // A mark on this document: still there after the events arrive means no reload happened.
    await page.evaluate("window.__sameDocument = true");

    // First a pull request of a repository octocat cannot see, reviewed to the end.
    await deliverPullRequest(theirs, 3, "browser-process-theirs");
    await waitFor(
      async () => theirs.reviews.length >= 1 && (await idle()),
      60_000,
      () => `the other repository's pull request was not reviewed:\n${app.output()}`,
    );
    // Then one of octocat's: its review's events reach the page.
    await deliverPullRequest(ours, 2, "browser-process-ours");
    const completed = page.locator("#live-list li").filter({ hasText: "interaction_completed" });
    await completed.first().waitFor({ timeout: 60_000 });
    // The review job ran to the end: GitHub got its review.
    await waitFor(
      () => ours.reviews.length >= 1,
      30_000,
      () => `octo-org/shop was not reviewed:\n${app.output()}`,
    );
    const live = (await page.locator("#live-list").textContent()) ?? "";
    expect(live).toContain("interaction_started");
    expect(live).toContain("octo-org/shop #7");
    // The other repository's events came first on the bus: had they been let through, they would show.
    expect(live).not.toContain("other-org/vault");
    expect(await page.evaluate("window.__sameDocument === true")).toBe(true);
    await page.screenshot({ path: join(SCRATCH, "process-events-live.png"), fullPage: true });
    await context.close();
  }, 120_000);

  it("replays a dead letter from the webhooks page, and then it is delivered", async () => {
    // Both reviews' interaction_completed were refused by the endpoint (503, twice each): dead letters.
    await waitFor(
      () => (outbox().dead ?? 0) >= 2,
      30_000,
      () => `no dead letters: ${JSON.stringify(outbox())}\n${app.output()}`,
    );
    const refused = rx.counts(503);
    expect([...refused.values()].every((n) => n === 2)).toBe(true); // first try and one retry
    rx.status = 200;

    const { context, page } = await signedIn("ops-admin");
    await page.getByRole("link", { name: "Webhooks" }).first().click();
    await page.getByRole("heading", { name: "Webhooks and integrations" }).waitFor();
    const table = page.getByRole("table", { name: /Registrations/ });
    expect(await table.textContent()).toContain(`http://127.0.0.1:${rx.port}`);
    await page.screenshot({ path: join(SCRATCH, "process-webhooks.png"), fullPage: true });
    await table.getByRole("link").first().click();
    await page.getByRole("heading", { name: /^Webhook / }).waitFor();

    // The first dead letter's "Replay" button, from the keyboard.
    const replay = page.getByRole("button", { name: /^Replay msg_/ }).first();
    const label = (await replay.getAttribute("aria-label")) ?? (await replay.textContent()) ?? "";
    const deliveryId = /msg_[A-Za-z0-9_.:-]+/.exec(label)?.[0];
    expect(refused.has(deliveryId!)).toBe(true); // the button names a delivery the endpoint refused
    await replay.focus();
    await page.keyboard.press("Enter");
    await page.getByRole("status").filter({ hasText: "The dead letter was queued again" }).waitFor();
    await waitFor(
      () => rx.counts(200).get(deliveryId!) === 1 && (outbox().delivered ?? 0) === 1,
      30_000,
      () => `the replayed dead letter was not delivered: ${JSON.stringify(outbox())}\n${app.output()}`,
    );
    expect(rx.badSignatures).toBe(0);
    expect(outbox().dead).toBe(refused.size - 1); // only the one replayed left the dead letters
    expect(app.output()).toMatch(/"action":"webhook\.replay"[^\n]*"login":"ops-admin"|"login":"ops-admin"[^\n]*"action":"webhook\.replay"/);
    await page.reload();
    await page.screenshot({ path: join(SCRATCH, "process-webhook-registration.png"), fullPage: true });
    await context.close();
  }, 90_000);

  it("refuses the webhooks pages and actions to a signed-in non-admin", async () => {
    const { context, page } = await signedIn("octocat");
    expect(await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Webhooks" }).count()).toBe(0);
    expect((await context.request.get(`${url}/dashboard/webhooks`)).status()).toBe(403);
    expect((await context.request.get(`${url}/dashboard/webhooks/registration?id=webhook-0`)).status()).toBe(403);
    // With a valid CSRF token of their own session, the action is still an admin's only.
    const csrf = await page.locator('.signout input[name="_csrf"]').getAttribute("value");
    const replayAll = await context.request.post(`${url}/dashboard/webhooks/replay-since`, {
      form: { _csrf: csrf!, since: "2000-01-01T00:00" },
      maxRedirects: 0,
    });
    expect(replayAll.status()).toBe(403);
    // The insight pages and the stored history show octocat's repository, never the other one reviewed.
    for (const path of ["/dashboard/predictions", "/dashboard/reviews", "/dashboard/events"]) {
      await page.goto(`${url}${path}`);
      const text = (await page.locator("main").textContent()) ?? "";
      expect(text).toContain("octo-org/shop");
      expect(text).not.toContain("other-org/vault");
    }
    const response = await page.goto(`${url}/dashboard/webhooks`);
    expect(response?.status()).toBe(403);
    await page.screenshot({ path: join(SCRATCH, "process-forbidden.png"), fullPage: true });
    expect(app.output()).toContain("not an administrator");
    await context.close();
  }, 60_000);

  it("refuses a POST without its CSRF token", async () => {
    const { context, page } = await signedIn("ops-admin");
    const before = outbox();
    const replayAll = await context.request.post(`${url}/dashboard/webhooks/replay-since`, {
      form: { since: "2000-01-01T00:00" },
      maxRedirects: 0,
    });
    expect(replayAll.status()).toBe(403);
    const wrong = await context.request.post(`${url}/dashboard/auth/logout`, { form: { _csrf: "not-the-token" }, maxRedirects: 0 });
    expect(wrong.status()).toBe(403);
    expect(outbox()).toEqual(before); // nothing replayed
    // Still signed in: the refused sign-out did nothing.
    await page.reload();
    await page.getByText("Signed in as").waitFor();
    expect(app.output()).toContain("bad or missing CSRF token");
    await context.close();
  }, 60_000);

  it("has labelled controls, enough contrast and keyboard navigation with a visible focus on every page", async () => {
    await waitFor(idle, 30_000, () => `jobs still running:\n${app.output()}`);
    // Axe's source is injected into the page: the dashboard's CSP would refuse the inline script.
    const { context, page } = await signedIn("ops-admin", { bypassCSP: true });
    const paths = new Map<string, string>([
      ["overview", "/dashboard"],
      ["events", "/dashboard/events"],
      ["webhooks", "/dashboard/webhooks"],
      ["predictions", "/dashboard/predictions"],
      ["trust", "/dashboard/trust"],
      ["reviews", "/dashboard/reviews"],
    ]);
    // Pages reached from others: a registration's, and a pattern's (linked from the predictions page).
    await page.goto(`${url}/dashboard/webhooks`);
    const registration = await page
      .getByRole("table", { name: /Registrations/ })
      .getByRole("link")
      .first()
      .getAttribute("href");
    paths.set("webhook-registration", registration!);
    await page.goto(`${url}/dashboard/predictions`);
    // The reviews predicted a dropped column: its kind links to the pattern's page.
    paths.set("pattern", (await page.locator('main a[href*="/dashboard/patterns/"]').first().getAttribute("href"))!);

    const problems: Record<string, unknown> = {};
    for (const [name, path] of paths) problems[name] = await accessibilityProblems(page, name, path, 200);
    await context.close();
    // What a non-admin sees: the navigation without the webhooks entry, and the refusal page.
    const other = await signedIn("octocat", { bypassCSP: true });
    problems["overview (non-admin)"] = await accessibilityProblems(other.page, "overview-non-admin", "/dashboard", 200);
    problems["forbidden (non-admin)"] = await accessibilityProblems(other.page, "forbidden", "/dashboard/webhooks", 403);
    await other.context.close();
    expect(Object.fromEntries(Object.entries(problems).filter(([, p]) => p !== null))).toEqual({});
  }, 180_000);

  /** A page's axe violations and Tab walk faults, or null when it has none; a screenshot either way. */
  async function accessibilityProblems(page: Page, name: string, path: string, status: number) {
    const response = await page.goto(`${url}${path}`);
    expect(response?.status()).toBe(status);
    if (name === "events") await page.getByRole("status").filter({ hasText: "Live: connected" }).waitFor();
    const walk = await walkWithTab(page);
    const violations = await axeViolations(page);
    await page.screenshot({ path: join(SCRATCH, `process-a11y-${name}.png`), fullPage: true });
    const inOrder = walk.reached.length === walk.controls.length && walk.reached.every((index, i) => index === i);
    if (violations.length === 0 && inOrder && walk.invisibleFocus.length === 0 && walk.focusVisibleRule && walk.controls.length > 0)
      return null;
    return {
      violations,
      outOfOrder: inOrder
        ? []
        : walk.reached.map((index, i) => ({ expected: walk.controls[i]?.name, got: walk.controls[index]?.name ?? index })),
      invisibleFocus: walk.invisibleFocus,
      focusVisibleRule: walk.focusVisibleRule,
      controls: walk.controls.length,
    };
  }

  it("finds an unlabelled control, poor contrast, a control out of order and an invisible focus where they are", async () => {
    // The checks above can fail: the same helpers on a page with each fault.
    const page = await browser.newPage();
    await page.setContent(`<!doctype html><html lang="en"><head><title>Faults</title>
<style>:focus-visible { outline: 2px solid #0969da; } #plain:focus { outline: none; }</style></head>
<body><main><h1>Faults</h1>
<a href="#a">First</a>
<input type="text" name="unlabelled">
<p style="color:#bbbbbb;background:#ffffff">Low contrast text</p>
<button id="plain">No focus ring</button>
<button tabindex="-1">Mouse only</button>
<a href="#b" tabindex="3">Jumps the queue</a>
</main></body></html>`);
    const walk = await walkWithTab(page);
    expect(walk.controls.map((c) => c.name)).toEqual([
      'a "First"',
      'input "unlabelled"',
      'button #plain "No focus ring"',
      'a "Jumps the queue"',
    ]);
    expect(walk.reached).toEqual([3, 0, 1, 2]); // the positive tabindex comes first: out of document order
    expect(walk.invisibleFocus).toEqual([expect.stringContaining("No focus ring")]);
    expect(walk.focusVisibleRule).toBe(true);
    const rules = (await axeViolations(page)).map((v) => v.rule).sort();
    expect(rules).toEqual(expect.arrayContaining(["color-contrast", "label"]));
    await page.close();
  }, 60_000);
});
