/**
 * The insight pages in a real browser (Debian's Chromium through playwright-core), signed in
 * through the stand-in GitHub, over a SQLite store written by the real engine: the predictions
 * page draws its two uPlot charts (served by the app) with no script error or CSP violation, the
 * repository filter works from the keyboard, a prediction's kind leads to its pattern page, the
 * trust page draws its chart and the breaker, the reviews page lists the reviews; another
 * repository's pattern is a 404. Screenshots: .scratch/dashboard-{predictions,pattern,trust,reviews}.png
 * (not committed).
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { EmpathyOS } from "../../src/engine/empathyOS.js";
import { newPattern, patternId } from "../../src/engine/patterns.js";
import { EventBus } from "../../src/events/bus.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { launchChromium } from "../support/chromium.js";
import { GitHubOAuthStandIn } from "../support/githubOAuthStandIn.js";
import { memoryLog, SECRET, serveForBrowser, type BrowserDashboard } from "./harness.js";
import { engineInsightRules } from "../../src/app.js";

const SCRATCH = resolve(import.meta.dirname ?? process.cwd(), "..", "..", ".scratch");
const DAY = 24 * 3600_000;
const KINDS = ["migration-drop-column", "api-contract-break", "dependency-major-bump"];

/** A deterministic spread: confidence c comes true with probability about c. */
function seeded(seed: number) {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

async function seed(store: SqliteStore, engine: EmpathyOS, now: number) {
  const random = seeded(7);
  const shown = [];
  for (let i = 0; i < 60; i++) {
    const confidence = Math.round((0.15 + random() * 0.8) * 100) / 100;
    const kind = KINDS[i % KINDS.length];
    shown.push({
      fingerprint: `fp${String(i).padStart(3, "0")}`,
      prNumber: 100 + Math.floor(i / 3),
      author: ["alice", "bob", "carol"][i % 3],
      item: {
        id: `pred-${i}`,
        kind,
        prediction: `${kind === "api-contract-break" ? "Clients of GET /orders" : kind === "migration-drop-column" ? "Readers of orders.legacy_total" : "Code using lodash 3"} will break (case ${i}).`,
        confidence,
        severity: "high",
        path: "src/x.ts",
        line: 1,
        fingerprint: `fp${String(i).padStart(3, "0")}`,
      },
    });
  }
  await store.saveShownItems("Octo/App", shown);
  for (let i = 0; i < shown.length; i++) {
    const s = shown[i];
    store.db.prepare("UPDATE shown_items SET created_at = ? WHERE fingerprint = ?").run(now - (60 - i) * DAY, s.fingerprint);
    const confidence = s.item.confidence;
    if (i % 2 === 0)
      await store.savePredictionIssue("Octo/App", s.fingerprint, 200 + i, {
        title: `Prediction (${Math.round(confidence * 100)}%): ${s.item.prediction}`,
        confidence,
        url: `https://github.com/Octo/App/issues/${200 + i}`,
      });
    if (i >= 52) continue; // the newest stay open
    const outcome = random() < confidence ? "accepted" : "rejected";
    const key = i % 2 === 0 ? `issue:${200 + i}` : `finding:${s.prNumber}:${s.fingerprint}`;
    await engine.recordFeedback({
      userId: s.author,
      repo: "Octo/App",
      outcome,
      key,
      patternKey: s.item.kind,
      recordedAt: now - (58 - i) * DAY,
      reason: "browser test",
    });
  }
  // Three rejections in the last day: the breaker is open.
  for (let k = 0; k < 3; k++)
    await engine.recordFeedback({
      userId: "bob",
      repo: "Octo/App",
      outcome: "rejected",
      key: `finding:1:z${k}`,
      recordedAt: now - (3 - k) * 3600_000,
      reason: "t",
    });
  for (const kind of KINDS) {
    const p = (await store.getPattern("Octo/App", kind)) ?? newPattern("Octo/App", kind);
    await store.savePattern({ ...p, learned: true, occurrences: 12, prNumbers: [101, 104, 107, 110, 113, 116, 119] });
  }
  await store.savePattern(newPattern("Secret/Repo", "migration-drop-column"));
  for (let n = 0; n < 12; n++) {
    const reviewedAt = now - n * 5 * 3600_000;
    await store.saveReviewResult("Octo/App", 120 - n, {
      headSha: `h${n}abcdef0`,
      level: ((n % 5) + 1) as number,
      confidence: 0.6 + (n % 4) / 10,
      summary: "s",
      notice: null,
      findingCounts: n % 3 === 0 ? {} : { high: n % 2, medium: 1, low: n % 4 },
      topFindings: [],
      predictions: [],
      summaryCommentId: 1,
      summaryUrl: `https://github.com/Octo/App/pull/${120 - n}#issuecomment-${n}`,
      reviewedAt,
    });
    if (n < 8) {
      const id = (await store.enqueueJob({
        type: "review_pull_request",
        payload: {
          installationId: 1,
          owner: "Octo",
          repo: "App",
          pullNumber: 120 - n,
          headSha: `h${n}abcdef0`,
          deliveryId: `d${n}`,
          action: "synchronize",
        },
      }))!;
      store.db.prepare("UPDATE jobs SET status = 'done', created_at = ? WHERE id = ?").run(reviewedAt - (900 + n * 2300), id);
    }
  }
}

describe("insight pages in Chromium", () => {
  let browser: Browser;
  let github: GitHubOAuthStandIn;
  let dashboard: BrowserDashboard | undefined;
  let store: SqliteStore;
  let url: string;
  let githubHost: string;
  const logs: string[] = [];

  beforeAll(async () => {
    mkdirSync(SCRATCH, { recursive: true });
    store = new SqliteStore(":memory:");
    await seed(store, new EmpathyOS({ eventBus: new EventBus(), state: store }), Date.now());
    github = new GitHubOAuthStandIn({
      clientId: "Iv1.browser",
      clientSecret: "browser-client-secret-0123456789",
      login: "octo-dev",
      installations: [{ id: 1, appId: 42, repos: ["Octo/App", "Octo/Docs"] }],
    });
    const host = await github.listen();
    githubHost = host;
    dashboard = await serveForBrowser(host, {
      bus: new EventBus(),
      secret: async () => SECRET,
      log: memoryLog(logs),
      insights: { reads: store, ...engineInsightRules() },
    });
    url = dashboard.url;
    browser = await launchChromium();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await github?.close();
    await store?.close();
  });

  /** Script errors and CSP violations of a page. */
  function watch(page: Page): string[] {
    const problems: string[] = [];
    page.on("pageerror", (err) => problems.push(err.message));
    page.on("console", (m) => {
      // The 404 asked for below (and Chromium's /favicon.ico) log a failed load; a missing script shows as no chart.
      if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) problems.push(m.text());
    });
    return problems;
  }

  it("draws the charts, filters from the keyboard, and leads to a pattern, the trust and the reviews", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems = watch(page);
    await page.goto(`${url}/dashboard`);
    await page.getByText("Signed in as").waitFor();
    await page.getByRole("navigation", { name: "Dashboard pages" }).getByRole("link", { name: "Predictions" }).click();
    await page.getByRole("heading", { name: "Predictions", level: 1 }).waitFor();
    // Both charts drawn by uPlot, served by the app.
    await page.locator("#accuracy-chart canvas").waitFor();
    await page.locator("#calibration-chart canvas").waitFor();
    expect(await page.locator(".uplot").count()).toBe(2);
    expect(await page.getByRole("table", { name: "Calibration by predicted confidence" }).count()).toBe(1);
    expect(await page.getByRole("img", { name: /Calibration chart/ }).count()).toBe(1);
    await page.screenshot({ path: join(SCRATCH, "dashboard-predictions-top.png") });
    await page.screenshot({ path: join(SCRATCH, "dashboard-predictions.png"), fullPage: true });
    await page.locator("#calibration-chart").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCRATCH, "dashboard-predictions-charts.png") });

    // The repository filter, labelled, from the keyboard: Octo/Docs has no predictions.
    await page.getByLabel("Repository").focus();
    await page.getByLabel("Repository").selectOption("octo/docs");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.getByText("No prediction yet in these repositories.").waitFor();
    expect(page.url()).toContain("repo=octo%2Fdocs");

    // A prediction's kind leads to its pattern.
    await page.goto(`${url}/dashboard/predictions`);
    await page.getByRole("link", { name: "api-contract-break" }).first().click();
    await page.getByRole("heading", { name: "Pattern: api-contract-break" }).waitFor();
    expect(await page.getByRole("link", { name: "Octo/App#119" }).getAttribute("href")).toBe(`http://${githubHost}/Octo/App/pull/119`); // GHE: the stand-in's web address
    await page.screenshot({ path: join(SCRATCH, "dashboard-pattern.png"), fullPage: true });

    // Another repository's pattern: 404.
    const theirs = await page.goto(`${url}/dashboard/patterns/${patternId("Secret/Repo", "migration-drop-column")}`);
    expect(theirs!.status()).toBe(404);

    await page.goto(`${url}/dashboard/trust`);
    await page.locator("#trust-chart canvas").waitFor();
    expect(await page.getByRole("table", { name: /circuit breaker/ }).textContent()).toContain("Open (cautious mode)");
    await page.screenshot({ path: join(SCRATCH, "dashboard-trust.png"), fullPage: true });
    await page.locator("#trust-chart").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCRATCH, "dashboard-trust-chart.png") });

    await page.getByRole("link", { name: "Reviews" }).first().click();
    await page.getByRole("heading", { name: "Reviews", level: 1 }).waitFor();
    expect(await page.getByRole("table", { name: /Pull requests reviewed/ }).textContent()).toContain("Octo/App#120");
    await page.screenshot({ path: join(SCRATCH, "dashboard-reviews.png"), fullPage: true });

    await page.goto(`${url}/dashboard`);
    await page.screenshot({ path: join(SCRATCH, "dashboard-home.png"), fullPage: true });
    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);
});
