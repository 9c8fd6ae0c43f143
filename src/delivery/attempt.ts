/**
 * One attempt at a claimed delivery: render its body (render.ts: a body that cannot be rendered
 * is dead at once), sign it (X-Empathy-Signature and Standard Webhooks; the webhook-id is the
 * delivery id, the same on every attempt), send it through the SSRF-guarded transport (no
 * redirects followed), classify the outcome and record it.
 *
 * 2xx: delivered. 410: the registration is disabled (persisted) and its deliveries dead-lettered.
 * Other 4xx but 408/425/429: dead letter at once. 429/503: `Retry-After` honoured. Otherwise
 * exponential backoff with jitter up to `retryCount` retries, then dead letter. A registration's
 * `interpretResponse` reads the service's own failure signals, and its pace the rate-limit
 * headers. Logs and stored errors name an endpoint by its origin only and never contain a
 * secret or the configured headers (redaction.ts).
 */
import type { WebhookAttemptStatus, WebhookDeliveryRecord, WebhookStore } from "../store/store.js";
import type { Breaker } from "./breaker.js";
import { backoffDelay, classifyStatus, interpretOutcome, type Classified } from "./outcome.js";
import type { Pacer } from "./pacer.js";
import type { Entry, Registry } from "./registry.js";
import { errorName, errorText, networkErrorText, redactForRegistration } from "./redaction.js";
import { requestBody } from "./render.js";
import type { ResultWriter } from "./results.js";
import type { Scheduler } from "./scheduler.js";
import type { Tuning } from "./settings.js";
import { signRequest } from "./signing.js";
import { SsrfError } from "./ssrf.js";
import type { WebhookTransport } from "./transport.js";
import type { DeliveryLogStatus, DeliveryObservers } from "./types.js";
import type { Log } from "../logging/log.js";

export interface AttemptDeps extends DeliveryObservers {
  store: WebhookStore;
  log: Log;
  registry: Registry;
  transport: WebhookTransport;
  results: ResultWriter;
  breaker: Breaker;
  pacer: Pacer;
  scheduler: () => Scheduler;
  tuning: Tuning;
  instanceId: string;
  now: () => number;
  random: () => number;
}

interface Answer {
  outcome: Classified;
  statusCode: number | null;
  excerpt: string | null;
  durationMs: number;
  attemptedAt: number;
}

const dead = (error: string): Classified => ({ kind: "dead", retryAfterMs: null, circuit: "none", error });

export class Attempts {
  constructor(private readonly deps: AttemptDeps) {}

  /** Sends the delivery once and records what came of it. */
  readonly run = async (delivery: WebhookDeliveryRecord): Promise<void> => {
    const { registry, store, transport, instanceId } = this.deps;
    const scheduler = this.deps.scheduler();
    const reg = registry.get(delivery.registrationId);
    if (!reg) {
      await store.releaseWebhookDelivery(delivery.id, this.deps.now(), instanceId);
      return;
    }
    const attemptedAt = this.deps.now();
    const started = performance.now();
    let statusCode: number | null = null;
    let excerpt: string | null = null;
    let outcome: Classified;
    try {
      const rendered = requestBody(reg, delivery);
      if (rendered.error !== undefined) outcome = dead(rendered.error);
      else {
        const result = await transport.send({
          url: reg.url,
          headers: headers(reg, delivery.id, rendered.body, attemptedAt),
          body: rendered.body,
          timeoutMs: reg.timeoutMs,
          verifySsl: reg.verifySsl,
          signal: scheduler.signal,
        });
        statusCode = result.status;
        excerpt = result.excerpt === "" ? null : result.excerpt;
        outcome = classifyStatus(result.status, result.retryAfter, this.deps.now());
        const responseHeaders: Record<string, string> =
          result.headers ?? (result.retryAfter === null ? {} : { "retry-after": result.retryAfter });
        const info = { status: result.status, headers: responseHeaders, body: result.excerpt, attempt: delivery.attempts };
        if (reg.interpretResponse) outcome = interpretOutcome(outcome, info, reg.interpretResponse);
        if (this.deps.pacer.hold(reg, info)) {
          // Held: what the key had claimed ahead goes back to the outbox until the window resets.
          if (scheduler.holdsReady(reg.paceKey)) await scheduler.releaseReady((_, k) => k === reg.paceKey);
          // A 429 the pace honours says the service is there and counting: not an endpoint failure for the breaker.
          if (result.status === 429) outcome = { ...outcome, circuit: "alive" };
        }
      }
    } catch (err) {
      if (scheduler.signal.aborted && !scheduler.isRunning) {
        // Stopping: the attempt does not count; the next process sends it again (same webhook-id).
        await store.releaseWebhookDelivery(delivery.id, this.deps.now(), instanceId);
        return;
      }
      outcome = this.classifyError(err, reg, scheduler.signal);
    }
    const durationMs = performance.now() - started;
    await this.settle(reg, delivery, { outcome, statusCode, excerpt, durationMs, attemptedAt });
  };

  private classifyError(err: unknown, reg: Entry, stop: AbortSignal): Classified {
    if (err instanceof SsrfError) return dead(err.message);
    const name = errorName(err);
    if (name === "TimeoutError" || (name === "AbortError" && !stop.aborted)) {
      return { kind: "retry", retryAfterMs: null, circuit: "failure", error: `timed out after ${reg.timeoutMs / 1000} s` };
    }
    return { kind: "retry", retryAfterMs: null, circuit: "failure", error: networkErrorText(err) };
  }

  /** The outcome's status (retry budget and Retry-After cap applied), recorded, logged; then the 410 and the breaker. */
  private async settle(reg: Entry, delivery: WebhookDeliveryRecord, a: Answer): Promise<void> {
    const { log, tuning } = this.deps;
    const { outcome } = a;
    let status: WebhookAttemptStatus;
    let error = outcome.error === null ? null : redactForRegistration(outcome.error, reg);
    let nextAttemptAt: number | null = null;
    if (outcome.kind === "delivered") status = "delivered";
    else if (outcome.kind !== "retry") status = "dead";
    else if (delivery.attempts > reg.retryCount) {
      status = "dead";
      error = `${error}; gave up after ${delivery.attempts} attempt${delivery.attempts === 1 ? "" : "s"}`;
    } else if (outcome.retryAfterMs !== null && outcome.retryAfterMs > tuning.maxRetryAfterMs) {
      status = "dead";
      error = `${error}; Retry-After of ${Math.round(outcome.retryAfterMs / 1000)} s is longer than the ${Math.round(tuning.maxRetryAfterMs / 1000)} s allowed`;
    } else {
      status = "failed";
      const wait = outcome.retryAfterMs ?? backoffDelay(delivery.attempts, tuning.baseDelayMs, tuning.maxDelayMs, this.deps.random);
      nextAttemptAt = this.deps.now() + wait;
    }

    this.deps.results.record({
      deliveryId: delivery.id,
      leaseOwner: this.deps.instanceId,
      status,
      statusCode: a.statusCode,
      durationMs: a.durationMs,
      error,
      responseExcerpt: a.excerpt === null ? null : redactForRegistration(a.excerpt, reg, 4096),
      nextAttemptAt,
      attemptedAt: a.attemptedAt,
    });

    const fields = {
      delivery_id: delivery.id,
      registration_id: reg.id,
      origin: reg.origin,
      event_type: delivery.eventType,
      attempt: delivery.totalAttempts,
      status_code: a.statusCode,
      duration_ms: Math.round(a.durationMs),
    };
    const accepted = status === "delivered" && a.statusCode !== null && reg.acceptedStatuses.has(a.statusCode);
    this.observe(reg, accepted ? "accepted" : status, a);
    if (accepted) {
      log.debug({ ...fields, outcome: "accepted" }, "webhook accepted: the service processes it later and does not report the outcome");
    } else if (status === "delivered") log.debug(fields, "webhook delivered");
    else if (status === "failed")
      log.warn({ ...fields, err: error, retry_in_ms: nextAttemptAt! - this.deps.now() }, "webhook delivery failed, will retry");
    else log.error({ ...fields, err: error }, "webhook delivery dead-lettered");

    const scheduler = this.deps.scheduler();
    if (outcome.kind === "gone") await this.disable(reg, error ?? "410 Gone");
    await this.deps.breaker.update(reg, outcome, async () => {
      // A paused endpoint keeps nothing claimed: what was claimed ahead goes back to the outbox.
      if (scheduler.holdsReady())
        await scheduler.releaseReady((d) => this.deps.registry.get(d.registrationId)?.endpointKey === reg.endpointKey);
    });
  }

  private observe(reg: Entry, status: DeliveryLogStatus, a: Answer): void {
    if (!this.deps.onAttemptSettled) return;
    try {
      this.deps.onAttemptSettled({ registrationId: reg.id, status, statusCode: a.statusCode, durationMs: a.durationMs });
    } catch (err) {
      this.deps.log.error({ err: errorText(err) }, "webhook attempt observer failed");
    }
  }

  /** 410 Gone: the registration is disabled (persisted) and its deliveries dead-lettered. */
  private async disable(reg: Entry, reason: string): Promise<void> {
    const { store, registry, log } = this.deps;
    const now = this.deps.now();
    registry.setDisabled(reg, reason);
    // Its deliveries claimed ahead go back first, so that they are dead-lettered with the rest.
    await this.deps.scheduler().releaseReady((d) => d.registrationId === reg.id);
    await store.setWebhookRegistrationDisabled(reg.id, reason, now);
    const killed = await store.killWebhookDeliveries(reg.id, `registration disabled: ${reason}`, now);
    log.error(
      { registration_id: reg.id, origin: reg.origin, dead_lettered: killed },
      "webhook registration disabled: the endpoint answered 410 Gone",
    );
  }
}

/** The request headers: the registration's, then the signature headers (which a registration cannot override). */
function headers(reg: Entry, id: string, body: string, attemptedAt: number): Record<string, string> {
  const out: Record<string, string> = { "content-type": "application/json", "user-agent": "empathy-bot-webhooks/1" };
  for (const [k, v] of Object.entries(reg.headers)) out[k.toLowerCase()] = v;
  const signed = signRequest({ id, timestamp: Math.floor(attemptedAt / 1000), body, secret: reg.secret });
  for (const [k, v] of Object.entries(signed)) out[k.toLowerCase()] = v;
  return out;
}
