/** Delivery tuning from the environment (operators rarely need it; tests shorten the delays). */
import type { WebhookTuning } from "./manager.js";

const VARIABLES: { name: string; key: keyof WebhookTuning; min: number; max: number }[] = [
  { name: "EMPATHY_WEBHOOK_BASE_DELAY_MS", key: "baseDelayMs", min: 0, max: 3_600_000 },
  { name: "EMPATHY_WEBHOOK_MAX_DELAY_MS", key: "maxDelayMs", min: 0, max: 86_400_000 },
  { name: "EMPATHY_WEBHOOK_CONCURRENCY", key: "concurrency", min: 1, max: 256 },
  { name: "EMPATHY_WEBHOOK_ENDPOINT_CONCURRENCY", key: "perEndpointConcurrency", min: 1, max: 256 },
  { name: "EMPATHY_WEBHOOK_BREAKER_THRESHOLD", key: "breakerThreshold", min: 1, max: 1000 },
  { name: "EMPATHY_WEBHOOK_BREAKER_COOLOFF_MS", key: "breakerCooloffMs", min: 0, max: 86_400_000 },
  { name: "EMPATHY_WEBHOOK_POLL_INTERVAL_MS", key: "pollIntervalMs", min: 10, max: 60_000 },
];

export function webhookTuningFromEnv(env: NodeJS.ProcessEnv = process.env): WebhookTuning {
  const tuning: WebhookTuning = {};
  for (const { name, key, min, max } of VARIABLES) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
    }
    tuning[key] = value;
  }
  return tuning;
}
