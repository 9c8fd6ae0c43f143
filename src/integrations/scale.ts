/**
 * One table from our severity (with the confidence) to each service's own scale, so that a
 * critical finding is urgent everywhere and an info one nowhere:
 *
 * | severity | JIRA priority | PagerDuty severity | Datadog alert_type | Datadog priority |
 * |----------|---------------|--------------------|--------------------|------------------|
 * | critical | Highest       | critical           | error              | normal           |
 * | high     | High          | error              | error              | normal           |
 * | medium   | Medium        | warning            | warning            | normal           |
 * | low      | Low           | info               | info               | low              |
 * | info     | Lowest        | info               | info               | low              |
 *
 * The row is the event's severity, capped by its confidence as the analysis caps a finding's
 * (src/analysis/evidence.ts): below 0.5 at most `low`, below 0.7 at most `medium`, so an unsure
 * prediction never pages as high. An event without a severity (a learned pattern, a trust
 * milestone, a custom event) is not a finding: it takes the `info` row (and `min_severity` does
 * not filter it). Each service's column can be overridden in the operator config
 * (`jira.priorities`, `pagerduty.severities`, `datadog.alert_types`, `datadog.priorities`), row
 * by row.
 */
import { z } from "zod";
import { SEVERITIES, severityRank, type Severity } from "../analysis/types.js";

export const PAGERDUTY_SEVERITIES = ["critical", "error", "warning", "info"] as const;
export type PagerDutySeverity = (typeof PAGERDUTY_SEVERITIES)[number];
export const DATADOG_ALERT_TYPES = ["error", "warning", "info", "success", "user_update", "recommendation", "snapshot"] as const;
export type DatadogAlertType = (typeof DATADOG_ALERT_TYPES)[number];
export const DATADOG_PRIORITIES = ["normal", "low"] as const;
export type DatadogPriority = (typeof DATADOG_PRIORITIES)[number];

export interface ScaleRow {
  jiraPriority: string;
  pagerDutySeverity: PagerDutySeverity;
  datadogAlertType: DatadogAlertType;
  datadogPriority: DatadogPriority;
}

export const SEVERITY_SCALE: Readonly<Record<Severity, Readonly<ScaleRow>>> = {
  critical: { jiraPriority: "Highest", pagerDutySeverity: "critical", datadogAlertType: "error", datadogPriority: "normal" },
  high: { jiraPriority: "High", pagerDutySeverity: "error", datadogAlertType: "error", datadogPriority: "normal" },
  medium: { jiraPriority: "Medium", pagerDutySeverity: "warning", datadogAlertType: "warning", datadogPriority: "normal" },
  low: { jiraPriority: "Low", pagerDutySeverity: "info", datadogAlertType: "info", datadogPriority: "low" },
  info: { jiraPriority: "Lowest", pagerDutySeverity: "info", datadogAlertType: "info", datadogPriority: "low" },
};

/** The row of an event without a severity. */
export const UNRATED_SEVERITY: Severity = "info";

/** Confidence caps, as for findings: below `below`, the row is at most `atMost`. */
export const CONFIDENCE_CAPS: readonly { below: number; atMost: Severity }[] = [
  { below: 0.5, atMost: "low" },
  { below: 0.7, atMost: "medium" },
];

/** The table row an event takes: its severity (info when it has none), capped by its confidence. */
export function scaleSeverity(severity: Severity | null, confidence: number | null): Severity {
  let row = severity ?? UNRATED_SEVERITY;
  if (confidence !== null && Number.isFinite(confidence)) {
    for (const cap of CONFIDENCE_CAPS) {
      if (confidence < cap.below && severityRank(row) > severityRank(cap.atMost)) row = cap.atMost;
    }
  }
  return row;
}

/** A column of the table with the operator's overrides applied. */
export function scaleColumn<K extends keyof ScaleRow>(
  column: K,
  overrides: Partial<Record<Severity, ScaleRow[K]>> = {},
): Record<Severity, ScaleRow[K]> {
  return Object.fromEntries(SEVERITIES.map((s) => [s, overrides[s] ?? SEVERITY_SCALE[s][column]])) as Record<Severity, ScaleRow[K]>;
}

/** The config key overriding a column: a mapping from our severities to the service's values. */
export function scaleOverrideSetting<T extends z.ZodType<string>>(value: T, what: string) {
  return z
    .record(z.string(), value, { error: `must be a mapping of severities (${SEVERITIES.join(", ")}) to ${what}` })
    .superRefine((map, ctx) => {
      for (const key of Object.keys(map)) {
        if (!(SEVERITIES as readonly string[]).includes(key)) {
          ctx.addIssue({ code: "custom", path: [key], message: `is not a severity; one of ${SEVERITIES.join(", ")}` });
        }
      }
    })
    .transform((map) => map as Partial<Record<Severity, z.infer<T>>>);
}
