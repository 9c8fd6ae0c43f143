/**
 * The operator config, `empathy.config.yml`: server-side settings that must not live in a
 * repository (webhook URLs, secrets, network policy, integrations). Read once at start-up; any
 * problem stops start-up with `OperatorConfigError`, whose message names the file, line and key:
 *
 *     empathy.config.yml:7: webhooks[0].url: environment variable SLACK_WEBHOOK_URL is not set
 *
 * Location: `loadOperatorConfig(path, env)` with the path of the settings (`$EMPATHY_CONFIG`),
 * else `./empathy.config.yml` if it exists, else an empty config (no webhooks). A path given
 * explicitly must exist. `env` is what `${VAR}` reads (the runner passes the process's).
 *
 * ```yaml
 * webhooks:
 *   - event_type: level_4_prediction      # or "*"
 *     url: ${SLACK_WEBHOOK_URL}
 *     headers: { Content-Type: application/json }
 *     payload_template: { text: "Prediction: {prediction} ({confidence:.0%})" }
 *     condition: 'confidence > 0.85 && "security" in tags'
 *     secret: ${EMPATHY_WEBHOOK_SECRET}
 *     verify_ssl: true            # default true      (limits and defaults: src/delivery/options.ts,
 *     timeout_seconds: 5          # default 5, at most 300     the same for register() and
 *     retry_count: 3              # default 3, 0..20           the integrations)
 *     batch_size: 10              # default 1 (no batching), at most 1000
 *     batch_timeout_seconds: 5    # default 5, at most 3600
 * network:
 *   allow_private: ["127.0.0.0/8"]   # CIDRs (or single addresses) the SSRF guard lets through
 * integrations:                      # src/integrations: slack, datadog, jira, pagerduty, teams, discord, github
 *   slack: { bot_token: '${SLACK_BOT_TOKEN}', channel: '#alerts', min_confidence: 0.85 }
 *   pagerduty: { routing_key: '${PD_KEY}', region: eu }   # min_severity: high unless set (others: medium)
 * ```
 *
 * - `${VAR}` in any string value is replaced by the environment variable; `${VAR:-default}`
 *   uses the default when VAR is unset or empty; `$${` is a literal `${`. An unset variable is
 *   an error naming the variable, the key and the line. Interpolated values never appear in an
 *   error message or a warning (they are redacted if they would).
 * - Numbers and booleans may come from a variable (`timeout_seconds: ${TIMEOUT}`): numeric and
 *   true/false strings are accepted for numeric and boolean keys.
 * - Keys are the catalog's snake_case; an unknown key is an error (with a did-you-mean).
 * - `payload_template` is compiled at load (src/delivery/template.ts), so a malformed
 *   placeholder stops start-up with its path in the template.
 * - `condition` is a CEL expression (https://cel.dev, via @marcbachmann/cel-js; never eval),
 *   parsed and type-checked at load by the one compiler of conditions (src/delivery/condition.ts,
 *   also behind `registerConditional`). It is evaluated against the event's data plus the
 *   envelope's `event_type` (always the envelope's: it wins over a data field of that name) and
 *   `id`, `timestamp` (where the data has no field of that name).
 *   JSON numbers are CEL doubles: comparisons with int literals work (`level >= 4`), but
 *   arithmetic mixes need a double literal or a conversion (`level + 1.0`, `int(level) + 1`).
 *   A condition that fails at evaluation (a missing field, a type error) or returns anything
 *   but a boolean counts as false: the webhook does not fire.
 * - Conditions are bounded (src/delivery/celCondition.ts): `matches()` runs on RE2 (linear
 *   time; a literal pattern RE2 refuses stops start-up), loops nest at most 2 deep, the data a
 *   condition reads is capped, and a run past its time budget counts as false.
 * - The YAML itself is bounded (src/analysis/yamlLimits.ts): a file over 1 MB, with more than 100
 *   aliases or expanding to more than 100,000 values stops start-up, before anything expands.
 */
import { didYouMean } from "./didYouMean.js";
import { existsSync, readFileSync } from "node:fs";
import ipaddr from "ipaddr.js";
import { z } from "zod";
import { EVENT_TYPES } from "../events/catalog.js";
import { integrationKeys, integrationsSchema, type IntegrationsConfig } from "../integrations/index.js";
import { compileTemplate, formatPath, TemplateError, type TemplatePathSegment } from "../delivery/template.js";
import { EMPATHY_SIGNATURE_HEADER, SigningError, standardWebhookKey } from "../delivery/signing.js";
import { compileCondition, ConditionError, type EventCondition } from "../delivery/condition.js";
import { EVENT_TYPE_MESSAGE, EVENT_TYPE_PATTERN, settingsFromConfig, webhookConfigKeys } from "../delivery/options.js";
import { YamlReader } from "./yamlReader.js";
import { DEFAULT_SLACK_ACCESS, SLACK_KNOWN_KEYS, slackAccessConfigSchema, type SlackAccessConfig } from "./slackAccessConfig.js";

export const OPERATOR_CONFIG_FILE = "empathy.config.yml";

/** One webhook registration, in the camelCase of `WebhookManager.register`'s options. */
export interface WebhookRegistrationConfig {
  eventType: string;
  url: string;
  headers: Record<string, string>;
  /** The template as written (a JSON value), already checked to compile; undefined: send the envelope. */
  payloadTemplate?: unknown;
  secret?: string;
  verifySsl: boolean;
  timeoutSeconds: number;
  retryCount: number;
  batchSize: number;
  batchTimeoutSeconds: number;
  /** Compiled by src/delivery/condition.ts. */
  condition?: EventCondition;
  conditionSource?: string;
  /** Where it was declared, `file:line`, for log lines. */
  location: string;
}

export interface OperatorConfig {
  /** The file read; null when there was none. */
  file: string | null;
  webhooks: WebhookRegistrationConfig[];
  network: { allowPrivate: string[] };
  /** Per-service settings (slack, datadog, jira, pagerduty, teams, discord, github), interpolated and checked; see src/integrations/index.ts. */
  integrations: IntegrationsConfig;
  /** The `slack:` section: which Slack workspaces/channels reach which repositories (src/config/slackAccessConfig.ts). */
  slack: SlackAccessConfig;
  /** Non-fatal remarks, formatted like errors (`file:line: key: message`). */
  warnings: string[];
}

export interface OperatorConfigIssue {
  line: number | null;
  /** The key's path, e.g. `webhooks[0].url`. */
  key: string;
  message: string;
}

export class OperatorConfigError extends Error {
  override readonly name = "OperatorConfigError";
  readonly file: string;
  readonly issues: readonly OperatorConfigIssue[];

  constructor(file: string, issues: readonly OperatorConfigIssue[]) {
    super(issues.map((issue) => formatIssue(file, issue)).join("\n"));
    this.file = file;
    this.issues = issues;
  }
}

function formatIssue(file: string, issue: OperatorConfigIssue): string {
  const where = issue.line === null ? file : `${file}:${issue.line}`;
  return issue.key === "" ? `${where}: ${issue.message}` : `${where}: ${issue.key}: ${issue.message}`;
}

export const EMPTY_OPERATOR_CONFIG: OperatorConfig = Object.freeze({
  file: null,
  webhooks: [],
  network: { allowPrivate: [] },
  integrations: {},
  slack: DEFAULT_SLACK_ACCESS,
  warnings: [],
}) as OperatorConfig;

// ---------------------------------------------------------------------------------------------
// Loading

/** `path`: settings.operatorConfigPath (EMPATHY_CONFIG); `env`: the variables `${VAR}` may name. */
export function loadOperatorConfig(path: string | undefined, env: NodeJS.ProcessEnv): OperatorConfig {
  const file = path ?? (existsSync(OPERATOR_CONFIG_FILE) ? OPERATOR_CONFIG_FILE : undefined);
  if (file === undefined)
    return {
      ...EMPTY_OPERATOR_CONFIG,
      network: { allowPrivate: [] },
      webhooks: [],
      integrations: {},
      slack: DEFAULT_SLACK_ACCESS,
      warnings: [],
    };
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message =
      code === "ENOENT" ? "file not found" : code === "EISDIR" ? "is a directory, not a file" : `cannot be read (${code ?? "error"})`;
    throw new OperatorConfigError(file, [{ line: null, key: "", message }]);
  }
  return parseOperatorConfig(text, { file, env });
}

export interface ParseOptions {
  /** Name used in messages; default `empathy.config.yml`. */
  file?: string;
  /** The variables `${VAR}` may name (the runner passes the process's). */
  env: NodeJS.ProcessEnv;
}

export function parseOperatorConfig(text: string, options: ParseOptions): OperatorConfig {
  const file = options.file ?? OPERATOR_CONFIG_FILE;
  const reader = new YamlReader(text, options.env);
  const raw = reader.read();
  const issues = [...reader.issues];
  const warnings: OperatorConfigIssue[] = [];

  if (issues.length === 0 && raw !== null && (typeof raw !== "object" || Array.isArray(raw))) {
    issues.push({ line: reader.lineOf([]), key: "", message: "the file must be a mapping (webhooks:, network:, integrations:)" });
  }
  let result: OperatorConfig | null = null;
  if (issues.length === 0) {
    const input = raw ?? {};
    const parsed = configSchema.safeParse(input);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) issues.push(...zodIssue(issue, input, reader));
    }
    const webhooks: WebhookRegistrationConfig[] = [];
    const rawHooks = (input as Record<string, unknown>).webhooks;
    if (Array.isArray(rawHooks)) {
      rawHooks.forEach((hook, i) => {
        const built = checkWebhook(hook, i, reader, issues, warnings, file);
        const out = parsed.success ? parsed.data.webhooks?.[i] : undefined;
        if (built && out) webhooks.push({ ...built, ...camelWebhook(out) } as WebhookRegistrationConfig);
      });
    }
    const allowPrivate: string[] = [];
    const rawNetwork = (input as Record<string, unknown>).network;
    const rawAllow =
      rawNetwork !== null && typeof rawNetwork === "object" ? (rawNetwork as Record<string, unknown>).allow_private : undefined;
    if (Array.isArray(rawAllow)) {
      rawAllow.forEach((cidr, i) => {
        if (typeof cidr !== "string") return;
        const normalized = normalizeCidr(cidr);
        const segments = ["network", "allow_private", i];
        if (normalized === null) {
          issues.push({
            line: reader.lineOf(segments),
            key: formatPath("", segments),
            message: `"${cidr}" is not a CIDR (e.g. 10.0.0.0/8, fd00::/8) or an IP address`,
          });
        } else allowPrivate.push(normalized);
      });
    }
    // Integration keys that are accepted but no longer do anything.
    const rawJira = ((input as Record<string, unknown>).integrations as Record<string, unknown> | null | undefined)?.jira;
    if (rawJira !== null && typeof rawJira === "object" && (rawJira as Record<string, unknown>).priority_threshold !== undefined) {
      const segments = ["integrations", "jira", "priority_threshold"];
      warnings.push({
        line: reader.lineOf(segments),
        key: formatPath("", segments),
        message:
          "is no longer used: the priority follows the severity and confidence (see the README's mapping table); map severities to priorities with priorities:",
      });
    }
    if (issues.length === 0 && parsed.success) {
      result = {
        file,
        webhooks,
        network: { allowPrivate },
        integrations: parsed.data.integrations ?? {},
        slack: parsed.data.slack ?? DEFAULT_SLACK_ACCESS,
        warnings: [],
      };
    }
  }
  if (issues.length > 0 || result === null) {
    const seen = new Set<string>();
    const unique = issues
      .map((issue) => ({ ...issue, message: reader.redact(issue.message), key: reader.redact(issue.key) }))
      .filter((issue) => {
        const id = `${issue.line}|${issue.key}|${issue.message}`;
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      })
      .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    throw new OperatorConfigError(file, unique.length > 0 ? unique : [{ line: null, key: "", message: "invalid config" }]);
  }
  result.warnings = warnings.map((w) => reader.redact(formatIssue(file, w)));
  return result;
}

// ---------------------------------------------------------------------------------------------
// Schema

const nullToUndefined = (v: unknown): unknown => (v === null ? undefined : v);

const webhookSchema = z
  .object(
    {
      event_type: z.string({ error: 'must be an event type name or "*"' }).regex(EVENT_TYPE_PATTERN, EVENT_TYPE_MESSAGE),
      url: z.string({ error: "must be a URL" }),
      headers: z.preprocess(
        nullToUndefined,
        z
          .record(z.string(), z.union([z.string(), z.number(), z.boolean()], { error: "header values must be strings" }), {
            error: "must be a mapping of header names to values",
          })
          .optional(),
      ),
      payload_template: z.unknown().optional(),
      condition: z.string({ error: "must be a CEL expression in a string" }).optional(),
      secret: z.string({ error: "must be a string" }).min(1, "must not be empty").optional(),
      // verify_ssl, timeout_seconds, retry_count, batch_size, batch_timeout_seconds: one definition (src/delivery/options.ts).
      ...webhookConfigKeys,
    },
    { error: "each webhook must be a mapping (event_type:, url:, ...)" },
  )
  .strict();

const networkSchema = z
  .object({
    allow_private: z.preprocess(
      nullToUndefined,
      z.array(z.string({ error: "must be a CIDR string" }), { error: "must be a list of CIDRs" }).optional(),
    ),
  })
  .strict();

const configSchema = z
  .object({
    webhooks: z.preprocess(nullToUndefined, z.array(webhookSchema, { error: "must be a list of webhooks" }).optional()),
    network: z.preprocess(nullToUndefined, networkSchema.optional()),
    integrations: z.preprocess(nullToUndefined, integrationsSchema.optional()),
    slack: z.preprocess(nullToUndefined, slackAccessConfigSchema.optional()),
  })
  .strict();

type WebhookInput = z.infer<typeof webhookSchema>;

const KNOWN_KEYS: Record<string, readonly string[]> = {
  "": Object.keys(configSchema.shape),
  webhook: Object.keys(webhookSchema.shape),
  network: Object.keys(networkSchema.shape),
  slack: SLACK_KNOWN_KEYS.slack,
  slackAccess: SLACK_KNOWN_KEYS.access,
};

function knownKeysAt(path: readonly PropertyKey[]): readonly string[] {
  if (path.length === 0) return KNOWN_KEYS[""];
  if (path[0] === "webhooks" && path.length === 2) return KNOWN_KEYS.webhook;
  if (path[0] === "network" && path.length === 1) return KNOWN_KEYS.network;
  if (path[0] === "slack" && path.length === 1) return KNOWN_KEYS.slack;
  if (path[0] === "slack" && path[1] === "access" && path.length === 3) return KNOWN_KEYS.slackAccess;
  if (path[0] === "integrations" && path.length === 1) return integrationKeys();
  if (path[0] === "integrations" && path.length === 2) return integrationKeys(String(path[1]));
  return [];
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const seg of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[seg as string];
  }
  return current;
}

function zodIssue(issue: z.core.$ZodIssue, input: unknown, reader: YamlReader): OperatorConfigIssue[] {
  const segments = issue.path.map((p) => (typeof p === "number" ? p : String(p)));
  if (issue.code === "unrecognized_keys") {
    const known = knownKeysAt(issue.path);
    return issue.keys.map((key) => {
      const keySegments = [...segments, key];
      const suggestion = didYouMean(key, known);
      return {
        line: reader.keyLineOf(keySegments),
        key: formatPath("", keySegments),
        message: `unknown key${suggestion ? ` (did you mean ${suggestion}?)` : ""}${known.length > 0 ? `; known keys: ${known.join(", ")}` : ""}`,
      };
    });
  }
  const key = formatPath("", segments);
  if (reader.failedPaths.has(key)) return [];
  const missing = valueAt(input, issue.path) === undefined && issue.code === "invalid_type";
  return [{ line: reader.lineOf(segments), key, message: missing ? "is required" : issue.message }];
}

function camelWebhook(w: WebhookInput): Omit<WebhookRegistrationConfig, "condition" | "conditionSource" | "location"> {
  const out: Omit<WebhookRegistrationConfig, "condition" | "conditionSource" | "location"> = {
    eventType: w.event_type,
    url: w.url,
    headers: Object.fromEntries(Object.entries(w.headers ?? {}).map(([k, v]) => [k, String(v)])),
    ...settingsFromConfig(w),
  };
  if (w.payload_template !== undefined && w.payload_template !== null) out.payloadTemplate = w.payload_template;
  if (w.secret !== undefined) out.secret = w.secret;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Checks beyond the schema: URL, headers, template, condition, secret

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const RESERVED_HEADERS = new Set([
  EMPATHY_SIGNATURE_HEADER.toLowerCase(),
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
  "content-length",
  "host",
  "transfer-encoding",
  "connection",
]);
const CATALOG = new Set<string>(EVENT_TYPES);

function checkWebhook(
  hook: unknown,
  i: number,
  reader: YamlReader,
  issues: OperatorConfigIssue[],
  warnings: OperatorConfigIssue[],
  file: string,
): Pick<WebhookRegistrationConfig, "condition" | "conditionSource" | "location"> | null {
  if (hook === null || typeof hook !== "object" || Array.isArray(hook)) return null;
  const h = hook as Record<string, unknown>;
  const base: TemplatePathSegment[] = ["webhooks", i];
  const at = (...rest: TemplatePathSegment[]) => ({ line: reader.lineOf([...base, ...rest]), key: formatPath("", [...base, ...rest]) });
  const before = issues.length;
  const out: Pick<WebhookRegistrationConfig, "condition" | "conditionSource" | "location"> = {
    location: `${file}:${reader.lineOf(base) ?? 1}`,
  };

  if (typeof h.event_type === "string" && h.event_type !== "*" && !CATALOG.has(h.event_type)) {
    const suggestion = didYouMean(h.event_type, EVENT_TYPES);
    warnings.push({
      ...at("event_type"),
      message: `"${h.event_type}" is not a catalog event type${suggestion ? ` (did you mean ${suggestion}?)` : ""}; it fires only for custom events of that name`,
    });
  }

  if (typeof h.url === "string") {
    let url: URL | null = null;
    try {
      url = new URL(h.url);
    } catch {
      url = null;
    }
    if (url === null || (url.protocol !== "https:" && url.protocol !== "http:")) {
      issues.push({ ...at("url"), message: "must be an absolute http:// or https:// URL" });
    } else if (url.protocol === "http:" && !/^(?:localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(url.hostname)) {
      warnings.push({ ...at("url"), message: "plain http: payloads and signatures travel unencrypted" });
    }
  }

  if (h.headers !== null && typeof h.headers === "object" && !Array.isArray(h.headers)) {
    for (const [name, value] of Object.entries(h.headers as Record<string, unknown>)) {
      if (!HEADER_NAME.test(name)) issues.push({ ...at("headers", name), message: "is not a valid HTTP header name" });
      else if (RESERVED_HEADERS.has(name.toLowerCase()))
        issues.push({ ...at("headers", name), message: "is set by the bot itself and cannot be configured" });
      if (typeof value === "string" && /[\r\n\0]/.test(value))
        issues.push({ ...at("headers", name), message: "header values must not contain line breaks" });
    }
  }

  if (h.payload_template !== undefined && h.payload_template !== null && !reader.failedUnder([...base, "payload_template"])) {
    try {
      compileTemplate(h.payload_template, { root: formatPath("", [...base, "payload_template"]) });
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      const segments = [...base, "payload_template", ...err.segments];
      issues.push({ line: reader.lineOf(segments), key: formatPath("", segments), message: err.detail });
    }
  }

  if (typeof h.secret === "string" && h.secret !== "") {
    try {
      standardWebhookKey(h.secret);
    } catch (err) {
      if (!(err instanceof SigningError)) throw err;
      issues.push({ ...at("secret"), message: err.message.replace(/^the webhook secret/, "the secret") });
    }
  }

  if (h.verify_ssl === false) warnings.push({ ...at("verify_ssl"), message: "TLS certificates of this endpoint are not verified" });

  if (typeof h.condition === "string") {
    try {
      out.condition = compileCondition(h.condition);
      out.conditionSource = h.condition;
    } catch (err) {
      if (!(err instanceof ConditionError)) throw err;
      issues.push({ ...at("condition"), message: err.message });
    }
  }
  return issues.length === before ? out : null;
}

function normalizeCidr(text: string): string | null {
  const value = text.trim();
  try {
    if (value.includes("/")) {
      const [addr, bits] = ipaddr.parseCIDR(value);
      return `${addr.toString()}/${bits}`;
    }
    if (!ipaddr.isValid(value)) return null;
    const addr = ipaddr.parse(value);
    return `${addr.toString()}/${addr.kind() === "ipv4" ? 32 : 128}`;
  } catch {
    return null;
  }
}
