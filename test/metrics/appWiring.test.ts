/** The app wires /metrics: off without EMPATHY_METRICS_TOKEN, and with it the queue's, the bus's and the store's figures. */
import { serveApp } from "../helpers/appUnderTest.js";
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
});
