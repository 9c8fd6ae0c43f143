/**
 * The one "render or dead-letter" path: a delivery's request body from its event(s) and its
 * registration (the payload template, the payload builder, or the envelope(s) as they are).
 * A body that cannot be rendered is never retried: every caller (the outbox writer, the batch
 * flush, an attempt) dead-letters the delivery with the error returned here.
 */
import type { NewWebhookDelivery, WebhookDeliveryRecord } from "../store/store.js";
import type { Registration } from "./registration.js";
import type { Registry } from "./registry.js";
import { errorText } from "./redaction.js";
import { batchTemplateData, eventTemplateData, type TemplateEnvelope } from "./template.js";
import type { Log } from "../logging/log.js";

/** A body, or why there is none (the delivery's dead-letter error). */
export type Rendered = { body: string; error?: undefined } | { body?: undefined; error: string };

/** What the outbox stores: a body rendered now, or null (sent as the envelope, or built at each attempt). */
export type Stored = { body: string | null; error?: undefined } | { body?: undefined; error: string };

type BodySource = Pick<Registration, "template" | "buildPayload">;

/**
 * The request body: the builder's output (a string as is, anything else as JSON), else the
 * template rendered over the event (a batch: `{ events, count, … }`), else the envelope (a
 * batch: the array of them).
 */
export function render(reg: BodySource, envelopes: readonly TemplateEnvelope[], options: { id: string; batch: boolean }): Rendered {
  const { batch } = options;
  if (reg.buildPayload) {
    // Run at each attempt: its body, which may hold a service key, is never stored.
    try {
      const payload = reg.buildPayload(batch ? [...envelopes] : envelopes[0]);
      if (payload === undefined) return { error: "payload builder: returned nothing" };
      return { body: typeof payload === "string" ? payload : JSON.stringify(payload) };
    } catch (err) {
      return { error: `payload builder: ${errorText(err)}` };
    }
  }
  if (!reg.template) return { body: JSON.stringify(batch ? envelopes : envelopes[0]) };
  try {
    const data = batch ? batchTemplateData(envelopes, { id: options.id }) : eventTemplateData(envelopes[0]);
    return { body: JSON.stringify(reg.template.render(data)) };
  } catch (err) {
    return { error: `payload template: ${errorText(err)}` };
  }
}

/**
 * The body written with a new delivery: a template is rendered now (so one that fails
 * dead-letters the delivery on arrival); without one the envelope itself is the body, not
 * stored twice, and a builder runs at each attempt.
 */
export function bodyToStore(reg: BodySource, envelopes: readonly TemplateEnvelope[], options: { id: string; batch: boolean }): Stored {
  return reg.template ? render(reg, envelopes, options) : { body: null };
}

/** The body of a claimed delivery: the stored one, else rendered from its stored envelope(s). */
export function requestBody(reg: BodySource & Pick<Registration, "batchSize">, delivery: WebhookDeliveryRecord): Rendered {
  if (delivery.body !== null) return { body: delivery.body };
  const batch = delivery.eventIds.length > 1 || reg.batchSize > 1;
  // The stored envelopes are the body already (an array; one event: its only item).
  if (!reg.template && !reg.buildPayload) return { body: batch ? delivery.envelopes : delivery.envelopes.slice(1, -1) };
  return render(reg, JSON.parse(delivery.envelopes) as TemplateEnvelope[], { id: delivery.id, batch });
}

/** A delivery written dead (its body could not be rendered): logged like any dead letter. */
export function logDeadOnArrival(log: Log, registry: Registry, d: NewWebhookDelivery): void {
  const reg = registry.get(d.registrationId);
  log.error(
    { delivery_id: d.id, registration_id: d.registrationId, origin: reg?.origin, event_type: d.eventType, err: d.error },
    "webhook delivery dead-lettered",
  );
}
