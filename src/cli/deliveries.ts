/** `empathy deliveries list|show|replay`: outgoing webhook deliveries and their dead letters, from the store. */
import { redact, redactDeep } from "../analysis/secrets.js";
import type { WebhookAttemptRecord, WebhookDeliveryRecord, WebhookDeliveryStatus } from "../store/store.js";
import {
  ago,
  formatTime,
  isoTime,
  noExtraArguments,
  oneLine,
  parseCommandArgs,
  parsePositiveInt,
  parseTime,
  table,
  UsageError,
  type CliIo,
  suggest,
} from "./common.js";
import { DATABASE_HELP, DATABASE_OPTION, openOperatorStore } from "./store.js";

const STATUSES: WebhookDeliveryStatus[] = ["pending", "in_flight", "delivered", "dead"];

export const DELIVERIES_USAGE = `Usage: empathy deliveries list [--status STATUS] [--webhook ID] [--since TIME] [--limit N] [--json]
       empathy deliveries show ID [--json]
       empathy deliveries replay (ID... | --since TIME | --all) [--webhook ID] [--json]

Outgoing webhook deliveries (webhooks and integrations in empathy.config.yml) in the app's
outbox. A delivery that failed every retry, or that its endpoint refused, is a dead letter;
replay sends it again (same webhook-id, a fresh set of retries): the running app sends it within
a second or two, a stopped app when it starts. Dead letters of a webhook that was disabled (its
endpoint answered 410 Gone) are not replayed. Safe while the app runs on the same store.

  list                 most recently updated first
    --status STATUS    ${STATUSES.join(", ")}
    --webhook ID       of one webhook (the WEBHOOK column: wh_… or integration:…)
    --since TIME       updated at or after TIME: 2025-01-31, 2025-01-31T14:00Z, or 30m, 2h, 7d ago
    --limit N          at most N deliveries (default 20)
  show ID              one delivery: its events, body and every attempt (secrets redacted)
  replay ID...         the dead letters with these ids
  replay --since TIME  every dead letter that died at or after TIME
  replay --all         every dead letter
    --webhook ID       only those of one webhook
  --json               machine-readable output
${DATABASE_HELP}
  -h, --help           this text
`;

const OPTIONS = {
  status: { type: "string" },
  webhook: { type: "string" },
  since: { type: "string" },
  limit: { type: "string" },
  all: { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  ...DATABASE_OPTION,
} as const;

/** Longest body shown by `deliveries show` without --json. */
const SHOWN_BODY = 4000;

export async function deliveriesCommand(argv: string[], io: CliIo, now = Date.now()): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, DELIVERIES_USAGE);
  if (values.help) {
    io.stdout(DELIVERIES_USAGE);
    return 0;
  }
  const [sub, ...rest] = positionals;
  if (sub !== "list" && sub !== "show" && sub !== "replay") {
    throw new UsageError(
      sub === undefined
        ? "deliveries needs a subcommand: list, show or replay"
        : `unknown deliveries subcommand "${sub}"${suggest(sub, ["list", "show", "replay"])}: list, show or replay`,
      DELIVERIES_USAGE,
    );
  }
  const only = (allowed: string[]) => {
    for (const name of ["status", "webhook", "since", "limit", "all"] as const) {
      if (values[name] !== undefined && !allowed.includes(name))
        throw new UsageError(`--${name} does not go with deliveries ${sub}`, DELIVERIES_USAGE);
    }
  };

  if (sub === "list") {
    only(["status", "webhook", "since", "limit"]);
    noExtraArguments(positionals, 1, DELIVERIES_USAGE, "deliveries list takes options only");
    if (values.status !== undefined && !STATUSES.includes(values.status as WebhookDeliveryStatus)) {
      throw new UsageError(`--status is one of ${STATUSES.join(", ")}`, DELIVERIES_USAGE);
    }
    const since = values.since === undefined ? undefined : parseTime(values.since, now, "--since", DELIVERIES_USAGE);
    const limit = values.limit === undefined ? 20 : parsePositiveInt(values.limit, "--limit", DELIVERIES_USAGE);
    const { store, shown } = await openOperatorStore(io, values.database);
    try {
      const counts = await store.countWebhookDeliveries();
      const list = await store.listWebhookDeliveries({
        status: values.status as WebhookDeliveryStatus | undefined,
        registrationId: values.webhook,
        since,
        limit,
        order: "newest",
      });
      if (values.json) {
        io.stdout(`${JSON.stringify({ store: shown, counts, deliveries: list.map((d) => deliveryJson(d)) }, null, 2)}\n`);
        return 0;
      }
      io.stdout(`Webhook deliveries in ${shown}: ${STATUSES.map((s) => `${counts[s]} ${s.replace("_", " ")}`).join(", ")}\n\n`);
      if (list.length === 0) {
        io.stdout("No delivery matches.\n");
        return 0;
      }
      const rows = list.map((d) => [
        d.id,
        d.status,
        d.eventType + (d.eventIds.length > 1 ? ` (${d.eventIds.length} events)` : ""),
        d.registrationId,
        String(d.totalAttempts),
        `${formatTime(d.updatedAt)} (${ago(d.updatedAt, now)})`,
        lastResult(d),
      ]);
      io.stdout(`${table(["ID", "STATUS", "EVENT", "WEBHOOK", "ATTEMPTS", "UPDATED", "LAST RESULT"], rows)}\n`);
      if (list.length === limit) io.stdout(`\nThe ${limit} most recently updated; --limit N shows more.\n`);
      return 0;
    } finally {
      await store.close();
    }
  }

  if (sub === "show") {
    only([]);
    if (rest.length === 0) throw new UsageError("deliveries show needs a delivery id (msg_…)", DELIVERIES_USAGE);
    noExtraArguments(positionals, 2, DELIVERIES_USAGE, "deliveries show takes one id");
    const { store } = await openOperatorStore(io, values.database);
    try {
      const d = await store.getWebhookDelivery(rest[0]);
      if (!d) {
        io.stderr(`empathy: no webhook delivery ${rest[0]}\n`);
        return 1;
      }
      const attempts = (await store.listWebhookAttempts({ deliveryId: d.id, limit: 1000 })).reverse();
      const state = await store.getWebhookRegistrationState(d.registrationId);
      if (values.json) {
        io.stdout(
          `${JSON.stringify({ ...deliveryJson(d, true), webhook_disabled: state?.disabledAt ? { at: isoTime(state.disabledAt), reason: state.disabledReason } : null, attempts: attempts.map(attemptJson) }, null, 2)}\n`,
        );
        return 0;
      }
      const lines = [
        `Delivery ${d.id}: ${d.eventType}, ${d.status.replace("_", " ")}`,
        `  webhook:      ${d.registrationId}${state?.disabledAt ? ` (disabled ${formatTime(state.disabledAt)}: ${redact(state.disabledReason ?? "")})` : ""}`,
        `  events:       ${d.eventIds.join(", ")}`,
        `  attempts:     ${d.totalAttempts} in all, ${d.attempts} in this round`,
        `  created:      ${formatTime(d.createdAt)} (${ago(d.createdAt, now)})`,
        `  updated:      ${formatTime(d.updatedAt)} (${ago(d.updatedAt, now)})`,
        d.status === "pending"
          ? `  next attempt: ${formatTime(d.nextAttemptAt)} (${ago(d.nextAttemptAt, now)})`
          : `  finished:     ${formatTime(d.finishedAt)}`,
        `  last result:  ${lastResult(d) || "-"}`,
        "",
        "Attempts:",
        ...(attempts.length === 0
          ? ["  none yet"]
          : attempts.map(
              (a) =>
                `  #${a.attempt}  ${formatTime(a.attemptedAt)}  ${a.status.padEnd(9)} ${a.statusCode === null ? "-  " : a.statusCode}  ${a.durationMs} ms${a.error ? `  ${oneLine(redact(a.error), 200)}` : ""}${a.responseExcerpt ? `\n        response: ${oneLine(redact(a.responseExcerpt), 200)}` : ""}`,
            )),
        "",
        d.body === null ? "Body (the event envelope, as sent):" : "Body (as rendered by the payload template):",
        ...indent(truncate(prettyJson(d.body ?? envelopesText(d)), SHOWN_BODY)),
      ];
      if (d.status === "dead") lines.push("", `To send it again: empathy deliveries replay ${d.id}`);
      io.stdout(`${lines.join("\n")}\n`);
      return 0;
    } finally {
      await store.close();
    }
  }

  // replay
  only(["since", "all", "webhook"]);
  if (values.webhook !== undefined && rest.length > 0)
    throw new UsageError("--webhook goes with --since or --all, not with ids", DELIVERIES_USAGE);
  const modes = [rest.length > 0, values.since !== undefined, values.all === true].filter(Boolean).length;
  if (modes !== 1) throw new UsageError("deliveries replay takes delivery ids, or --since TIME, or --all (one of them)", DELIVERIES_USAGE);
  const since = values.since === undefined ? undefined : parseTime(values.since, now, "--since", DELIVERIES_USAGE);
  const { store } = await openOperatorStore(io, values.database);
  try {
    const before = new Map<string, WebhookDeliveryRecord | undefined>();
    for (const id of rest) before.set(id, await store.getWebhookDelivery(id));
    const { replayed, disabled } = await store.replayDeadWebhookDeliveries(
      rest.length > 0 ? { ids: rest } : { since, registrationId: values.webhook },
      Date.now(),
    );
    const refused = [
      ...disabled.map((d) => ({
        id: d.id,
        reason: `its webhook ${d.registrationId} is disabled (${redact(d.reason ?? "disabled")}): fix the endpoint and restart the app to enable it`,
      })),
      ...rest
        .filter((id) => !replayed.includes(id) && !disabled.some((d) => d.id === id))
        .map((id) => {
          const d = before.get(id);
          return { id, reason: d === undefined ? "no such delivery" : `it is ${d.status.replace("_", " ")}, not a dead letter` };
        }),
    ];
    if (values.json) {
      io.stdout(`${JSON.stringify({ replayed, refused }, null, 2)}\n`);
      return refused.length > 0 && rest.length > 0 ? 1 : 0;
    }
    for (const id of replayed)
      io.stdout(
        `Replaying ${id}${before.get(id) ? ` (${before.get(id)!.eventType})` : ""}: back to pending with a fresh set of retries.\n`,
      );
    for (const r of refused) io.stderr(`empathy: ${r.id} not replayed: ${r.reason}\n`);
    if (replayed.length === 0 && refused.length === 0) {
      io.stdout(values.all ? "No dead letter to replay.\n" : `No dead letter since ${formatTime(since)}.\n`);
    } else if (replayed.length > 0) {
      io.stdout(
        "The running app sends them within a second or two (a stopped app, when it starts); a delivery whose webhook is no longer in empathy.config.yml stays pending.\n",
      );
    }
    // By ids, anything not replayed is a failure; in bulk, disabled webhooks' dead letters are only reported.
    return refused.length > 0 && rest.length > 0 ? 1 : 0;
  } finally {
    await store.close();
  }
}

function lastResult(d: WebhookDeliveryRecord): string {
  const code = d.lastStatusCode === null ? "" : `HTTP ${d.lastStatusCode}`;
  const error = d.lastError ? oneLine(redact(d.lastError), 70) : "";
  if (code && error.startsWith(code)) return error;
  return [code, error].filter(Boolean).join(": ");
}

function envelopesText(d: WebhookDeliveryRecord): string {
  const envelopes = JSON.parse(d.envelopes) as unknown[];
  return JSON.stringify(envelopes.length === 1 ? envelopes[0] : envelopes);
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(redactDeep(JSON.parse(text)), null, 2);
  } catch {
    return redact(text);
  }
}

function truncate(text: string, max: number): string {
  return text.length > max
    ? `${text.slice(0, max)}\n… (${(text.length - max).toLocaleString("en-US")} more characters: --json shows all)`
    : text;
}

function indent(text: string): string[] {
  return text.split("\n").map((l) => `  ${l}`);
}

function deliveryJson(d: WebhookDeliveryRecord, full = false) {
  return {
    id: d.id,
    webhook: d.registrationId,
    event_type: d.eventType,
    event_ids: d.eventIds,
    status: d.status,
    attempts: d.totalAttempts,
    round_attempts: d.attempts,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError === null ? null : redact(d.lastError),
    next_attempt_at: d.status === "pending" ? isoTime(d.nextAttemptAt) : null,
    created_at: isoTime(d.createdAt),
    updated_at: isoTime(d.updatedAt),
    finished_at: isoTime(d.finishedAt),
    ...(full ? { body: d.body === null ? null : redact(d.body), events: redactDeep(JSON.parse(d.envelopes) as unknown[]) } : {}),
  };
}

function attemptJson(a: WebhookAttemptRecord) {
  return {
    attempt: a.attempt,
    status: a.status,
    status_code: a.statusCode,
    duration_ms: a.durationMs,
    error: a.error === null ? null : redact(a.error),
    response_excerpt: a.responseExcerpt === null ? null : redact(a.responseExcerpt),
    attempted_at: isoTime(a.attemptedAt),
    next_attempt_at: isoTime(a.nextAttemptAt),
  };
}
