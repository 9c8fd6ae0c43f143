/** GET /metrics over real HTTP: off without a token, 401 without the right bearer token, the exposition otherwise. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { metricsHandler, type MetricsHandlerOptions } from "../../src/metrics/handler.js";
import { AppMetrics } from "../../src/metrics/metrics.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";

const TOKEN = "s3cret-metrics-token-0123456789";

describe("metricsHandler", () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
  });

  /** A server that calls the handler first and answers 418 when it declines, as Probot falls through to its own routes. */
  async function serve(options: MetricsHandlerOptions): Promise<string> {
    const handler = metricsHandler(options);
    const server = createServer((req, res) => {
      void handler(req, res).then((handled) => {
        if (!handled) res.writeHead(418).end("not mine");
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  function metrics(): AppMetrics {
    return new AppMetrics({ store: new SqliteStore(":memory:"), processMetrics: false });
  }

  it("answers 404 while the token is unset (or empty)", async () => {
    for (const token of [undefined, ""]) {
      const base = await serve({ token, metrics: metrics() });
      const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(404);
      expect(await res.text()).toContain("EMPATHY_METRICS_TOKEN");
    }
  });

  it("answers 401 without the header, with another scheme, or with a wrong token, and never echoes the token", async () => {
    const errors: unknown[] = [];
    const base = await serve({ token: TOKEN, metrics: metrics(), log: { error: (...a: unknown[]) => void errors.push(a) } });
    const tries: Array<Record<string, string>> = [
      {},
      { authorization: TOKEN },
      { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString("base64")}` },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: "Bearer " },
    ];
    for (const headers of tries) {
      const res = await fetch(`${base}/metrics`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(await res.text()).not.toContain(TOKEN);
    }
    expect(errors).toEqual([]);
  });

  it("answers 200 with the text exposition for the right token (scheme case-insensitive); HEAD without a body", async () => {
    const base = await serve({ token: TOKEN, metrics: metrics() });
    const res = await fetch(`${base}/metrics?x=1`, { headers: { authorization: `bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = await res.text();
    for (const name of [
      "empathy_events_total",
      "empathy_jobs_finished_total",
      "empathy_job_duration_seconds",
      "empathy_jobs",
      "empathy_jobs_oldest_queued_age_seconds",
      "empathy_webhook_deliveries",
      "empathy_webhook_attempts_total",
      "empathy_webhook_attempt_duration_seconds",
      "empathy_github_rate_limit_remaining",
      "empathy_github_rate_limit_limit",
    ]) {
      expect(body).toContain(`# TYPE ${name} `);
    }
    expect(body).toContain('empathy_jobs{status="queued"} 0');
    const head = await fetch(`${base}/metrics`, { method: "HEAD", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("leaves other methods and paths to the other handlers", async () => {
    const base = await serve({ token: TOKEN, metrics: metrics() });
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await fetch(`${base}/metrics`, { method: "POST", headers: auth })).status).toBe(418);
    expect((await fetch(`${base}/metricsx`, { headers: auth })).status).toBe(418);
    expect((await fetch(`${base}/health`, { headers: auth })).status).toBe(418);
  });

  it("answers 500, logged without the token, when the exposition fails", async () => {
    const errors: unknown[] = [];
    const failing = { exposition: () => Promise.reject(new Error("boom")) };
    const base = await serve({ token: TOKEN, metrics: failing, log: { error: (...a: unknown[]) => void errors.push(a) } });
    const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(500);
    expect(errors).toHaveLength(1);
    expect(JSON.stringify(errors)).not.toContain(TOKEN);
  });

  it("keeps one registry per app: two in one process do not collide", async () => {
    const a = metrics();
    const b = new AppMetrics({ store: new SqliteStore(":memory:") }); // with the process metrics
    const c = new AppMetrics({ store: new SqliteStore(":memory:") });
    a.jobFinished("review", "done", 1500);
    const [ta, tb, tc] = await Promise.all([a.exposition(), b.exposition(), c.exposition()]);
    expect(ta.body).toContain('empathy_jobs_finished_total{job_type="review",outcome="done"} 1');
    expect(tb.body).not.toContain('job_type="review"');
    expect(tb.body).toContain("process_cpu_user_seconds_total");
    expect(tc.body).toContain("nodejs_eventloop_lag_seconds");
  });
});
