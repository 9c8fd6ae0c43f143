/**
 * The composition root wires the operator config's integrations: built at start-up, attached,
 * their deliveries registered with the app's WebhookManager, and a wrong section stops start-up.
 */
import { jest } from "@jest/globals";
import type { EmpathyAppOptions, EmpathyHandles } from "../../src/app.js";
import { parseOperatorConfig } from "../../src/config/operatorConfig.js";
import { loadApp } from "../helpers/appUnderTest.js";

async function load(yaml: string, env: NodeJS.ProcessEnv = {}, more: Partial<EmpathyAppOptions> = {}): Promise<EmpathyHandles> {
  const settings = { workerConcurrency: 1, jobMaxAttempts: 1, jobBaseDelayMs: 0 };
  return (await loadApp({ settings, operatorConfig: parseOperatorConfig(yaml, { env }), ...more })).handles;
}

describe("app wiring of integrations", () => {
  it("builds and attaches the configured integrations, sending through the app's webhook manager", async () => {
    const handles = await load(
      "integrations:\n  slack: { webhook_url: '${SLACK_WEBHOOK_URL}', min_confidence: 0.85 }\n  github: { repository: acme/incidents, events: [level_5_transformation] }\n",
      { SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T1/B1/secret" },
    );
    expect(handles.integrations.map((i) => i.name)).toEqual(["slack", "github"]);
    expect(handles.webhooks.list().map((r) => r.id)).toEqual(["integration:slack:level_4_prediction"]);
    // The GitHub integration listens on top of what the app itself subscribes (the systemic-fix issues).
    const baseline = await load("webhooks: []\n");
    expect(handles.bus.handlers.level_5_transformation).toBe((baseline.bus.handlers.level_5_transformation ?? 0) + 1);
    await baseline.webhooks.stop();
    await handles.webhooks.stop();
  });

  it("attaches the listeners given in its options to its bus, once (the engine attaches nothing)", async () => {
    const attach = jest.fn();
    const handles = await load("webhooks: []\n", {}, { integrations: [{ attach }] });
    expect(attach).toHaveBeenCalledTimes(1);
    expect(attach).toHaveBeenCalledWith(handles.bus);
    await handles.webhooks.stop();
  });

  it("starts with none when the section is absent", async () => {
    const handles = await load("webhooks: []\n");
    expect(handles.integrations).toEqual([]);
    await handles.webhooks.stop();
  });
});
