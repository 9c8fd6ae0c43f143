/**
 * The figures of the dashboard's webhooks page, from the store (so every instance's deliveries
 * count): per registration and per integration, over a window (default the last hour),
 * deliveries per minute, success rate, p50/p95 attempt latency, last error, circuit state
 * (paused, open, probing or closed, as stored), and what waits in the outbox; per registration,
 * its attempts and dead letters a page at a time. Every query is bounded (see WebhookInsightStore).
 */
import type { WebhookAttemptRecord, WebhookStore } from "../store/store.js";
import type { WebhookDeadLetter, WebhookInsightStore, WebhookLastError } from "../store/webhookInsights.js";
import type { EndpointPauses } from "./pauses.js";
import type { Entry, Registry } from "./registry.js";
import type { DeliveryLogEntry, DeliveryLogStatus } from "./types.js";

export const DEFAULT_WINDOW_MS = 60 * 60_000;
/** Attempts read for the latency percentiles, newest first. */
export const DURATION_SAMPLE = 20_000;

export type CircuitView =
  | { state: "closed" | "open" | "probing"; consecutiveFailures: number; openUntil: number | null }
  | { state: "paused"; consecutiveFailures: number; openUntil: number | null; pausedAt: number; pausedBy: string };

export interface WebhookFigures {
  attempts: number;
  succeeded: number;
  deliveries: number;
  deliveriesPerMinute: number;
  /** Succeeded attempts / attempts, 0..1; null without attempts. */
  successRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  lastAttemptAt: number | null;
  lastError: Omit<WebhookLastError, "registrationId"> | null;
  pending: number;
  inFlight: number;
  dead: number;
}

export interface RegistrationView {
  id: string;
  eventType: string;
  /** scheme://host:port: never the path or query. */
  origin: string;
  /** The integration's name for `integration:<name>:<event type>` ids. */
  integration: string | null;
  disabled: boolean;
  disabledReason: string | null;
  circuit: CircuitView;
  figures: WebhookFigures;
  /** Registrations sending to the same URL (a pause applies to all of them), itself included. */
  sameEndpoint: string[];
}

export interface IntegrationView {
  name: string;
  origins: string[];
  registrationIds: string[];
  /** The most serious of its registrations' circuits. */
  circuit: CircuitView["state"];
  figures: WebhookFigures;
}

export interface WebhooksOverview {
  windowMs: number;
  at: number;
  registrations: RegistrationView[];
  integrations: IntegrationView[];
  /** The latency figures come from the newest DURATION_SAMPLE attempts only. */
  sampled: boolean;
}

export interface AttemptView {
  seq: number;
  deliveryId: string;
  eventType: string;
  attempt: number;
  status: DeliveryLogStatus;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseExcerpt: string | null;
  attemptedAt: number;
  nextAttemptAt: number | null;
}

export interface RegistrationLog {
  attempts: AttemptView[];
  /** The cursor of the next page of attempts, if there may be one. */
  nextAttempts: number | null;
  deadLetters: WebhookDeadLetter[];
  nextDead: { finishedAt: number; id: string } | null;
}

const SEVERITY: CircuitView["state"][] = ["closed", "probing", "open", "paused"];

export class WebhookInsights {
  constructor(
    private readonly store: WebhookStore & WebhookInsightStore,
    private readonly registry: Registry,
    private readonly pauses: EndpointPauses,
    private readonly now: () => number,
  ) {}

  async overview(windowMs = DEFAULT_WINDOW_MS): Promise<WebhooksOverview> {
    const at = this.now();
    const since = at - windowMs;
    const [stats, sample, errors, queues, circuits, pauses] = await Promise.all([
      this.store.webhookWindowStats(since),
      this.store.webhookDurationSample(since, DURATION_SAMPLE),
      this.store.webhookLastErrors(since),
      this.store.webhookQueueCounts(),
      this.store.listWebhookCircuits(),
      this.store.listWebhookPauses(),
    ]);
    const durations = new Map<string, number[]>();
    for (const d of sample)
      (durations.get(d.registrationId) ?? durations.set(d.registrationId, []).get(d.registrationId)!).push(d.durationMs);
    const statsOf = new Map(stats.map((s) => [s.registrationId, s]));
    const errorOf = new Map(errors.map((e) => [e.registrationId, e]));
    const queueOf = new Map(queues.map((q) => [q.registrationId, q]));
    const circuitOf = new Map(circuits.map((c) => [c.endpointKey, c]));
    const pauseOf = new Map(pauses.map((p) => [p.endpointKey, p]));
    const entries = [...this.registry.all()].sort((a, b) => a.id.localeCompare(b.id));
    const figuresOf = (ids: string[]): WebhookFigures =>
      figures(
        ids.map((id) => ({ stats: statsOf.get(id), error: errorOf.get(id), queue: queueOf.get(id), durations: durations.get(id) ?? [] })),
        windowMs,
      );
    const registrations: RegistrationView[] = entries.map((r) => {
      const c = circuitOf.get(r.endpointKey);
      const base = { consecutiveFailures: c?.consecutiveFailures ?? 0, openUntil: c?.openUntil ?? null };
      const pause = pauseOf.get(r.endpointKey) ?? this.pauses.get(r.endpointKey);
      const circuit: CircuitView = pause
        ? { state: "paused", ...base, pausedAt: pause.pausedAt, pausedBy: pause.pausedBy }
        : { state: base.openUntil === null ? "closed" : base.openUntil > at ? "open" : "probing", ...base };
      return {
        id: r.id,
        eventType: r.eventType,
        origin: r.origin,
        integration: integrationOf(r.id),
        disabled: r.disabled,
        disabledReason: r.disabledReason,
        circuit,
        figures: figuresOf([r.id]),
        sameEndpoint: entries.filter((o) => o.endpointKey === r.endpointKey).map((o) => o.id),
      };
    });
    const byIntegration = new Map<string, RegistrationView[]>();
    for (const r of registrations) if (r.integration) byIntegration.set(r.integration, [...(byIntegration.get(r.integration) ?? []), r]);
    const integrations = [...byIntegration].map(([name, regs]) => ({
      name,
      origins: [...new Set(regs.map((r) => r.origin))],
      registrationIds: regs.map((r) => r.id),
      circuit: regs.map((r) => r.circuit.state).reduce((a, b) => (SEVERITY.indexOf(b) > SEVERITY.indexOf(a) ? b : a), "closed"),
      figures: figuresOf(regs.map((r) => r.id)),
    }));
    return { windowMs, at, registrations, integrations, sampled: sample.length >= DURATION_SAMPLE };
  }

  /** A registration's attempts and dead letters, newest first, a page of each. */
  async log(
    id: string,
    page: { attemptsBefore?: number; deadBefore?: { finishedAt: number; id: string }; limit?: number } = {},
  ): Promise<RegistrationLog> {
    const limit = Math.min(Math.max(page.limit ?? 50, 1), 200);
    const reg = this.registry.get(id);
    const [attempts, dead] = await Promise.all([
      this.store.listWebhookRegistrationAttempts({ registrationId: id, before: page.attemptsBefore, limit: limit + 1 }),
      this.store.listWebhookDeadLetters({ registrationId: id, before: page.deadBefore, limit: limit + 1 }),
    ]);
    const shown = attempts.slice(0, limit);
    const deadShown = dead.slice(0, limit);
    const lastDead = deadShown[deadShown.length - 1];
    return {
      attempts: shown.map((a) => ({
        seq: a.seq,
        deliveryId: a.deliveryId,
        eventType: a.eventType,
        attempt: a.attempt,
        status: accepted(reg, a.status, a.statusCode) ? "accepted" : a.status,
        statusCode: a.statusCode,
        durationMs: a.durationMs,
        error: a.error,
        responseExcerpt: a.responseExcerpt,
        attemptedAt: a.attemptedAt,
        nextAttemptAt: a.nextAttemptAt,
      })),
      nextAttempts: attempts.length > limit ? shown[shown.length - 1].seq : null,
      deadLetters: deadShown,
      nextDead: dead.length > limit ? { finishedAt: lastDead.finishedAt, id: lastDead.id } : null,
    };
  }
}

function accepted(reg: Entry | undefined, status: string, statusCode: number | null): boolean {
  return status === "delivered" && statusCode !== null && reg?.acceptedStatuses.has(statusCode) === true;
}

/** An attempt as getDeliveryLogs lists it ("accepted" told apart from "delivered" by its registration). */
export function toLogEntry(r: WebhookAttemptRecord, reg: Entry | undefined): DeliveryLogEntry {
  return {
    deliveryId: r.deliveryId,
    webhookId: r.deliveryId,
    registrationId: r.registrationId,
    origin: reg?.origin ?? null,
    eventType: r.eventType,
    attempt: r.attempt,
    status: accepted(reg, r.status, r.statusCode) ? "accepted" : r.status,
    statusCode: r.statusCode,
    durationMs: r.durationMs,
    error: r.error,
    responseExcerpt: r.responseExcerpt,
    attemptedAt: new Date(r.attemptedAt).toISOString(),
    nextAttemptAt: r.nextAttemptAt === null ? null : new Date(r.nextAttemptAt).toISOString(),
  };
}

export function integrationOf(id: string): string | null {
  return /^integration:([^:]+):/.exec(id)?.[1] ?? null;
}

interface Parts {
  stats?: { attempts: number; succeeded: number; deliveries: number; lastAttemptAt: number };
  error?: WebhookLastError;
  queue?: { pending: number; inFlight: number; dead: number };
  durations: number[];
}

/** The figures of one registration, or of several together (an integration). */
export function figures(parts: Parts[], windowMs: number): WebhookFigures {
  const sum = (f: (p: Parts) => number | undefined) => parts.reduce((n, p) => n + (f(p) ?? 0), 0);
  const attempts = sum((p) => p.stats?.attempts);
  const succeeded = sum((p) => p.stats?.succeeded);
  const deliveries = sum((p) => p.stats?.deliveries);
  const sorted = parts.flatMap((p) => p.durations).sort((a, b) => a - b);
  const last = parts.map((p) => p.stats?.lastAttemptAt).filter((t): t is number => t !== undefined);
  const error = parts
    .map((p) => p.error)
    .filter((e): e is WebhookLastError => e !== undefined)
    .sort((a, b) => b.at - a.at)[0];
  return {
    attempts,
    succeeded,
    deliveries,
    deliveriesPerMinute: deliveries / (windowMs / 60_000),
    successRate: attempts === 0 ? null : succeeded / attempts,
    p50Ms: percentile(sorted, 0.5),
    p95Ms: percentile(sorted, 0.95),
    lastAttemptAt: last.length === 0 ? null : Math.max(...last),
    lastError: error ? { error: error.error, statusCode: error.statusCode, at: error.at } : null,
    pending: sum((p) => p.queue?.pending),
    inFlight: sum((p) => p.queue?.inFlight),
    dead: sum((p) => p.queue?.dead),
  };
}

/** Nearest-rank percentile of sorted values; null for none. */
export function percentile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
