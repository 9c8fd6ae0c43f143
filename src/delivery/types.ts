/** Types shared by the delivery parts and their callers: a delivery log entry, the attempt observer. */
import type { WebhookAttemptStatus } from "../store/store.js";

export type DeliveryLogStatus = WebhookAttemptStatus | "accepted";

export interface DeliveryLogEntry {
  deliveryId: string;
  /** The Standard Webhooks webhook-id: the delivery id. */
  webhookId: string;
  registrationId: string;
  /** Origin of the registration's URL, when it is registered. */
  origin: string | null;
  eventType: string;
  attempt: number;
  /**
   * delivered; accepted (a 2xx the registration names as "taken for later processing": Teams
   * Workflows' 202; whether it was then posted is not reported back); failed (another attempt is
   * scheduled); dead.
   */
  status: DeliveryLogStatus;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** At most 4 KB of the response body. */
  responseExcerpt: string | null;
  /** ISO 8601 */
  attemptedAt: string;
  /** ISO 8601, when another attempt is scheduled. */
  nextAttemptAt: string | null;
}

export interface DeliveryLogQuery {
  eventType?: string;
  status?: DeliveryLogStatus;
  deliveryId?: string;
  since?: Date | number | string;
  limit?: number;
}

/** One settled attempt, as an observer (metrics) sees it: no body, no URL, no secret. */
export interface SettledAttempt {
  registrationId: string;
  /** As in the delivery log: "accepted" is a 2xx the registration names as taken for later processing. */
  status: DeliveryLogStatus;
  statusCode: number | null;
  /** From the request's start to its answer (or failure), as recorded in the attempt. */
  durationMs: number;
}

/** Optional observers of the delivery loop, given with the WebhookManager's options. */
export interface DeliveryObservers {
  /** Called synchronously once per settled attempt (not for one released by a stop); must be cheap. A throw is logged. */
  onAttemptSettled?: (attempt: SettledAttempt) => void;
}
