/** The app wires /metrics: off without EMPATHY_METRICS_TOKEN, and with it the queue's, the bus's and the store's figures. */
import nock from "nock";
import { REVIEW_JOB } from "../../src/github/api/jobs.js";
import { serveApp } from "../helpers/appUnderTest.js";
import { FakeGitHub } from "../helpers/fakeGitHub.js";
import { valueOf } from "./exposition.js";

const serve = (metricsToken: string | undefined) => serveApp({ settings: { metricsToken } });

describe("empathyApp: /metrics", () => {
  it("is off without the token", async () => {
    const { base, close } = await serve(undefined);
    try {
      expect((await fetch(`${base}/metrics`, { headers: { authorization: "Bearer x" } })).status).toBe(404);
    } finally {
      await close();
    }
  });

  it("serves the queue's, the bus's and the store's figures with it; two apps in one process keep their own", async () => {
    const one = await serve("tok-1");
    const two = await serve("tok-2");
    try {
      one.handles.queue.register("noop", async () => {});
      await one.handles.queue.enqueue({ type: "noop", payload: {} });
      await one.handles.queue.enqueue({ type: "later", payload: {}, runAt: Date.now() + 60_000 });
      await one.handles.queue.drain();
      one.handles.bus.emit({ type: "test", data: {} });
      await one.handles.bus.settled();
      expect((await fetch(`${one.base}/metrics`, { headers: { authorization: "Bearer tok-2" } })).status).toBe(401);
      const res = await fetch(`${one.base}/metrics`, { headers: { authorization: "Bearer tok-1" } });
      expect(res.status).toBe(200);
      const t = await res.text();
      expect(valueOf(t, "empathy_jobs_finished_total", { job_type: "noop", outcome: "done" })).toBe(1);
      expect(valueOf(t, "empathy_jobs", { status: "queued" })).toBe(1);
      expect(valueOf(t, "empathy_events_total", { event_type: "test" })).toBe(1);
      expect(t).toContain("process_resident_memory_bytes");
      const other = await (await fetch(`${two.base}/metrics`, { headers: { authorization: "Bearer tok-2" } })).text();
      expect(valueOf(other, "empathy_events_total", { event_type: "test" })).toBeUndefined();
    } finally {
      await one.close();
      await two.close();
    }
  });

  it("counts the review jobs that reviewed a commit apart from those with nothing to review", async () => {
    const fake = new FakeGitHub();
    nock.disableNetConnect();
    nock.enableNetConnect((host) => host.startsWith("127.0.0.1")); // /metrics is on loopback
    fake.mountOnNock("https://api.github.com");
    const app = await serve("tok");
    try {
      const job = { installationId: 1, owner: fake.owner, repo: fake.repo, pullNumber: fake.pull.number, action: "opened" };
      await app.handles.queue.enqueue({ type: REVIEW_JOB, payload: { ...job, headSha: fake.pull.head.sha, deliveryId: "d-1" } });
      await app.handles.queue.drain();
      // The same commit again: already reviewed, nothing to do.
      await app.handles.queue.enqueue({ type: REVIEW_JOB, payload: { ...job, headSha: fake.pull.head.sha, deliveryId: "d-2" } });
      await app.handles.queue.drain();
      expect(fake.problems).toEqual([]);
      const t = await (await fetch(`${app.base}/metrics`, { headers: { authorization: "Bearer tok" } })).text();
      expect(valueOf(t, "empathy_reviews_total", { outcome: "reviewed" })).toBe(1);
      expect(valueOf(t, "empathy_reviews_total", { outcome: "skipped" })).toBe(1);
      expect(valueOf(t, "empathy_jobs_finished_total", { job_type: REVIEW_JOB, outcome: "done" })).toBe(2);
    } finally {
      await app.close();
      nock.cleanAll();
      nock.enableNetConnect();
    }
  });
});
