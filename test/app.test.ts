/** The composition root: every job type registered once, and close() for the runner (signals and exit are main.ts's). */
import type { EmpathyHandles } from "../src/app.js";
import { loadApp, serveApp } from "./helpers/appUnderTest.js";

const load = async (): Promise<EmpathyHandles> => (await loadApp()).handles;

describe("empathyApp", () => {
  it("registers every job type of every feature", async () => {
    const handles = await load();
    // The queue keeps its handlers private: read here only to list the types the root registered.
    const types = [...(handles.queue as unknown as { handlers: Map<string, unknown> }).handlers.keys()].sort();
    expect(types).toEqual([
      "coordination_check",
      "coordination_handoff",
      "coordination_pr_closed",
      "feedback_issue_closed",
      "feedback_thread_resolved",
      "pr_comment_command",
      "prediction_issue",
      "review_pull_request",
      "slack_command",
      "transformation_issue",
    ]);
    await handles.close();
  });

  it("closes in order (worker, the bus's pending events, deliveries, analysis workers, store), once however often it is called", async () => {
    const handles = await load();
    const calls: string[] = [];
    const spy = <T extends object>(target: T, method: keyof T & string, name: string) => {
      const original = (target[method] as (...args: unknown[]) => unknown).bind(target);
      (target as Record<string, unknown>)[method] = (...args: unknown[]) => (calls.push(name), original(...args));
    };
    spy(handles.queue, "stop", "queue");
    spy(handles.bus, "settled", "bus");
    spy(handles.webhooks, "stop", "webhooks");
    spy(handles.pool, "destroy", "pool");
    spy(handles.store, "close", "store");
    const first = handles.close();
    expect(handles.close()).toBe(first);
    await first;
    expect(calls).toEqual(["queue", "bus", "webhooks", "pool", "store"]);
  });

  it("records the bus's events in the store for the dashboard's history", async () => {
    const handles = await load();
    const sent = handles.bus.emit({ type: "app_test_event", data: { repo: "Octo/Shop", note: "recorded" } });
    // The event log writes in batches (every ~100 ms): wait for this one.
    let page = await handles.store.listEvents({ repos: ["octo/shop"], includeUnscoped: false, limit: 10 });
    for (let i = 0; i < 50 && page.events.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      page = await handles.store.listEvents({ repos: ["octo/shop"], includeUnscoped: false, limit: 10 });
    }
    expect(page.events.map((e) => e.id)).toEqual([sent.id]);
    await handles.close();
  });

  it("serves /dashboard: without the OAuth settings, a page that says how to turn it on", async () => {
    const { base, close } = await serveApp();
    try {
      const res = await fetch(`${base}/dashboard`);
      expect(res.status).toBe(503);
      const body = await res.text();
      expect(body).toContain("GITHUB_CLIENT_ID");
      expect(body).toContain("EMPATHY_PUBLIC_URL");
    } finally {
      await close();
    }
  });
});
