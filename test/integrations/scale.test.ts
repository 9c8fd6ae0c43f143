/**
 * The one severity table (README "Severity on each service's scale"): each service's column, the
 * confidence caps, events without a severity, and the operator's overrides.
 */
import { alertType, datadogEvent, datadogPriority } from "../../src/integrations/datadog.js";
import { jiraFields, jiraPriority } from "../../src/integrations/jira.js";
import { pagerDutyEvent, pagerDutySeverity } from "../../src/integrations/pagerduty.js";
import { scaleColumn, scaleSeverity, SEVERITY_SCALE } from "../../src/integrations/scale.js";
import { parseIntegrationsConfig } from "../../src/integrations/index.js";
import { predictionEnvelope } from "./helpers.js";

const ROWS = ["critical", "high", "medium", "low", "info"] as const;

describe("the severity table", () => {
  it("maps each severity to every service's scale, as the README's table says", () => {
    expect(ROWS.map((s) => [jiraPriority(s, 0.95), pagerDutySeverity(s, 0.95), alertType(s, 0.95), datadogPriority(s, 0.95)])).toEqual([
      ["Highest", "critical", "error", "normal"],
      ["High", "error", "error", "normal"],
      ["Medium", "warning", "warning", "normal"],
      ["Low", "info", "info", "low"],
      ["Lowest", "info", "info", "low"],
    ]);
    expect(Object.keys(SEVERITY_SCALE).sort()).toEqual([...ROWS].sort());
  });

  it("caps the row by confidence (an unsure prediction never pages as high), and gives events without a severity the info row", () => {
    expect(scaleSeverity("critical", 0.85)).toBe("critical");
    expect(scaleSeverity("critical", 0.69)).toBe("medium");
    expect(scaleSeverity("high", 0.49)).toBe("low");
    expect(scaleSeverity("info", 0.2)).toBe("info"); // a cap never raises
    expect(scaleSeverity("high", null)).toBe("high");
    expect(scaleSeverity(null, null)).toBe("info");
    // The services follow: a critical prediction at 0.6 is a warning, not a page-worthy critical.
    const unsure = predictionEnvelope({ severity: "critical", confidence: 0.6 });
    expect(pagerDutyEvent(unsure, { routingKey: "k" }).payload!.severity).toBe("warning");
    expect(jiraFields(unsure, { projectKey: "ENG" }).priority).toEqual({ name: "Medium" });
    expect(datadogEvent(unsure).alert_type).toBe("warning");
  });

  it("takes the operator's overrides row by row", () => {
    expect(scaleColumn("jiraPriority", { critical: "P1", high: "P2" })).toEqual({
      critical: "P1",
      high: "P2",
      medium: "Medium",
      low: "Low",
      info: "Lowest",
    });
    const config = parseIntegrationsConfig({
      jira: { site: "acme", email: "a@b.c", api_token: "t", project_key: "ENG", priorities: { critical: "P1" } },
      pagerduty: { routing_key: "k", severities: { high: "critical" } },
      datadog: { api_key: "k", alert_types: { medium: "info" }, priorities: { high: "low" } },
    });
    expect(config.jira!.priorities).toEqual({ critical: "P1" });
    expect(config.pagerduty!.severities).toEqual({ high: "critical" });
    expect(config.datadog!.alert_types).toEqual({ medium: "info" });
    expect(() => parseIntegrationsConfig({ pagerduty: { routing_key: "k", severities: { urgent: "critical" } } })).toThrow(
      "integrations.pagerduty.severities.urgent: is not a severity; one of info, low, medium, high, critical",
    );
    expect(() => parseIntegrationsConfig({ pagerduty: { routing_key: "k", severities: { high: "sev1" } } })).toThrow(
      "integrations.pagerduty.severities.high: must be one of critical, error, warning, info",
    );
    expect(() => parseIntegrationsConfig({ datadog: { api_key: "k", priorities: { high: "urgent" } } })).toThrow(
      "integrations.datadog.priorities.high: must be one of normal, low",
    );
  });
});
