/**
 * One definition of each webhook registration option: its type, its limits, its default and the
 * message a bad value gets. Used by `register()` (camelCase, values as given in code), by the
 * operator config's `webhooks:` entries and by the integrations' config sections (snake_case
 * YAML, where a number or a boolean may come from a `${VAR}` string): both built from the same
 * fields below, so a limit cannot differ between them.
 *
 * The limits are the ones documented for operators: retries 0..20 (with the default backoff,
 * 20 retries already span about a day), batches of at most 1,000 events, a request timeout of at
 * most 300 s, a batch timeout of at most 3,600 s.
 */
import { z } from "zod";

/** Event type names a registration may name: a catalog or custom type, or "*" for every event. */
export const EVENT_TYPE_PATTERN = /^(?:\*|[A-Za-z0-9_][A-Za-z0-9_.:/-]*)$/;
export const EVENT_TYPE_MESSAGE = 'must be an event type name (letters, digits, _ . : / -) or "*"';

const seconds = (max: number) =>
  z.number({ error: "must be a number of seconds" }).gt(0, "must be more than 0 seconds").max(max, `must be at most ${max} seconds`);
const integer = (min: number, max: number) =>
  z
    .number({ error: "must be a whole number" })
    .int("must be a whole number")
    .min(min, `must be from ${min} to ${max}`)
    .max(max, `must be from ${min} to ${max}`);

export const WEBHOOK_DEFAULTS = Object.freeze({
  verifySsl: true,
  timeoutSeconds: 5,
  retryCount: 3,
  batchSize: 1,
  batchTimeoutSeconds: 5,
});

/** The fields, without defaults (the config sections say "optional"; `webhookSettingsSchema` adds the defaults). */
const FIELDS = {
  /** false accepts any TLS certificate (this registration only). */
  verifySsl: z.boolean({ error: "must be true or false" }),
  /** Per attempt. */
  timeoutSeconds: seconds(300),
  /** Retries after the first attempt. */
  retryCount: integer(0, 20),
  /** Events per request; 1 sends each event alone. */
  batchSize: integer(1, 1000),
  /** A partial batch is sent this long after its first event. */
  batchTimeoutSeconds: seconds(3600),
};

/** A registration's delivery settings, defaults applied (what `register()` checks its options with). */
export const webhookSettingsSchema = z.object({
  verifySsl: FIELDS.verifySsl.default(WEBHOOK_DEFAULTS.verifySsl),
  timeoutSeconds: FIELDS.timeoutSeconds.default(WEBHOOK_DEFAULTS.timeoutSeconds),
  retryCount: FIELDS.retryCount.default(WEBHOOK_DEFAULTS.retryCount),
  batchSize: FIELDS.batchSize.default(WEBHOOK_DEFAULTS.batchSize),
  batchTimeoutSeconds: FIELDS.batchTimeoutSeconds.default(WEBHOOK_DEFAULTS.batchTimeoutSeconds),
});
export type WebhookSettings = z.output<typeof webhookSettingsSchema>;

/** A service's rate limit, as integrations give it (registration.ts's PaceOptions). */
export const paceSchema = z.object({
  concurrency: z.number().int().min(1).max(1000).optional(),
  intervalMs: z.number().min(0).max(3_600_000).default(0),
});
const PACE_MESSAGES: Record<string, string> = {
  concurrency: "must be an integer from 1 to 1000",
  intervalMs: "must be a number from 0 to 3600000",
};

// --- the snake_case keys of the YAML sections ---

const toNumber = (v: unknown): unknown => (typeof v === "string" && /^\s*-?\d+(?:\.\d+)?\s*$/.test(v) ? Number(v) : v);
const toBoolean = (v: unknown): unknown =>
  typeof v === "string" && /^\s*(?:true|false)\s*$/i.test(v) ? v.trim().toLowerCase() === "true" : v;

/** The delivery settings as YAML keys (optional: the defaults are applied by `webhookSettingsSchema`). */
export const webhookConfigKeys = {
  verify_ssl: z.preprocess(toBoolean, FIELDS.verifySsl).optional(),
  timeout_seconds: z.preprocess(toNumber, FIELDS.timeoutSeconds).optional(),
  retry_count: z.preprocess(toNumber, FIELDS.retryCount).optional(),
  batch_size: z.preprocess(toNumber, FIELDS.batchSize).optional(),
  batch_timeout_seconds: z.preprocess(toNumber, FIELDS.batchTimeoutSeconds).optional(),
};

/** The checked YAML keys → the settings, defaults applied. */
export function settingsFromConfig(c: {
  verify_ssl?: boolean;
  timeout_seconds?: number;
  retry_count?: number;
  batch_size?: number;
  batch_timeout_seconds?: number;
}): WebhookSettings {
  return webhookSettingsSchema.parse({
    verifySsl: c.verify_ssl,
    timeoutSeconds: c.timeout_seconds,
    retryCount: c.retry_count,
    batchSize: c.batch_size,
    batchTimeoutSeconds: c.batch_timeout_seconds,
  });
}

// --- register(): the same schema, its first problem as a sentence ---

/** The settings of `register()`'s options (null: the default); a string naming the option and the problem when one is wrong. */
export function parseSettings(options: Partial<Record<keyof WebhookSettings, unknown>>): WebhookSettings | string {
  const input = Object.fromEntries(Object.keys(FIELDS).map((k) => [k, options[k as keyof WebhookSettings] ?? undefined]));
  const parsed = webhookSettingsSchema.safeParse(input);
  return parsed.success ? parsed.data : problem(parsed.error, input, "");
}

/** A pace's numbers (undefined when it has none); a string naming the option and the problem when one is wrong. */
export function parsePace(pace: { concurrency?: unknown; intervalMs?: unknown }): z.output<typeof paceSchema> | string {
  const input = { concurrency: pace.concurrency ?? undefined, intervalMs: pace.intervalMs ?? undefined };
  const parsed = paceSchema.safeParse(input);
  return parsed.success ? parsed.data : problem(parsed.error, input, "pace.", PACE_MESSAGES);
}

function problem(error: z.ZodError, input: Record<string, unknown>, prefix: string, messages: Record<string, string> = {}): string {
  const issue = error.issues[0];
  const key = String(issue.path[0]);
  return `${prefix}${key} ${messages[key] ?? issue.message}, got ${JSON.stringify(input[key])}`;
}
