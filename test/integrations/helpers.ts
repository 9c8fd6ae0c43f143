/**
 * Helpers for the integration tests: events as the engine emits them, a WebhookManager whose
 * requests nock can answer (the global fetch, a public address for every host name, so the
 * SSRF guard passes without DNS), and a look at everything the store holds.
 */
import nock from "nock";
import type { EventBus } from "../../src/events/bus.js";
import type { EventEnvelope } from "../../src/events/catalog.js";
import type { SqliteStore } from "../../src/store/sqlite/index.js";
import type { FetchLike } from "../../src/delivery/transport.js";
import { setup, type Setup } from "../delivery/helpers.js";

export { waitFor, sleep, Receiver, captureLog } from "../delivery/helpers.js";

export type PredictionData = EventEnvelope<"level_4_prediction">["data"];

export function predictionData(overrides: Partial<PredictionData> = {}): PredictionData {
  return {
    prediction_id: "pred-3f2a9c1b",
    prediction:
      'Dropping the column "legacy_id" breaks the mobile client, which still reads it. Every app version before 5.2 will crash on login.',
    confidence: 0.92,
    severity: "high",
    tags: ["breaking-change", "database"],
    recommendation: "Keep the column one more release and stop reading it in the client first.",
    user_id: "alice",
    timestamp: "2025-03-01T10:00:00.000Z",
    repo: "octo-org/shop",
    pr_number: 42,
    url: "https://github.com/octo-org/shop/pull/42",
    kind: "migration-drop-column",
    impact: "Mobile clients before 5.2 crash on login",
    fingerprint: "9c1b3f2a7d4e5f60",
    evidence: { path: "db/migrate/20250301_drop_legacy_id.sql", line: 3, side: "RIGHT" },
    ...overrides,
  };
}

/** An envelope as the bus makes it (for the builders, which never need the bus). */
export function predictionEnvelope(overrides: Partial<PredictionData> = {}): EventEnvelope<"level_4_prediction"> {
  return { id: "evt-1", event_type: "level_4_prediction", timestamp: "2025-03-01T10:00:00.000Z", data: predictionData(overrides) };
}

export function emitPrediction(bus: EventBus, overrides: Partial<PredictionData> = {}) {
  return bus.emit({ type: "level_4_prediction", data: predictionData(overrides) });
}

/** The global fetch (which nock intercepts), without undici's pinned dispatcher. */
export const nockFetch: FetchLike = (url, init) => {
  const { dispatcher: _dispatcher, ...rest } = init;
  return fetch(url, rest as RequestInit);
};

/** Every host name resolves to a public address: the SSRF guard lets it through, nock answers. */
export const publicLookup = async () => [{ address: "203.0.114.10", family: 4 }];

/** A manager with short delays whose requests go to nock. */
export function nockedManager(options: Parameters<typeof setup>[0] = {}): Setup {
  return setup({ fetch: nockFetch, lookup: publicLookup, ...options });
}

/** Everything the webhook tables hold, as text (to check that no secret is stored). */
export function storedText(store: SqliteStore): string {
  const tables = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'webhook_%'").all() as {
    name: string;
  }[];
  return JSON.stringify(tables.map(({ name }) => store.db.prepare(`SELECT * FROM ${name}`).all()));
}

export function disableNet(): void {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
}

export function cleanNock(): void {
  nock.cleanAll();
  nock.enableNetConnect();
}
