/**
 * What the webhooks page needs of the app's WebhookManager (src/delivery/manager.ts), declared
 * here because the dashboard does not import delivery/: the manager matches it as it is
 * (`dashboardHandler({ …, webhooks: manager })`). Times are ms since the epoch.
 */

export type CircuitState = "closed" | "open" | "probing" | "paused";

export interface Figures {
  attempts: number;
  succeeded: number;
  deliveries: number;
  deliveriesPerMinute: number;
  successRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  lastAttemptAt: number | null;
  lastError: { error: string; statusCode: number | null; at: number } | null;
  pending: number;
  inFlight: number;
  dead: number;
}

export interface RegistrationFigures {
  id: string;
  eventType: string;
  /** scheme://host:port only. */
  origin: string;
  integration: string | null;
  disabled: boolean;
  disabledReason: string | null;
  circuit: { state: CircuitState; consecutiveFailures: number; openUntil: number | null; pausedAt?: number; pausedBy?: string };
  figures: Figures;
  sameEndpoint: string[];
}

export interface IntegrationFigures {
  name: string;
  origins: string[];
  registrationIds: string[];
  circuit: CircuitState;
  figures: Figures;
}

export interface Overview {
  windowMs: number;
  at: number;
  registrations: RegistrationFigures[];
  integrations: IntegrationFigures[];
  sampled: boolean;
}

export interface AttemptRow {
  seq: number;
  deliveryId: string;
  eventType: string;
  attempt: number;
  status: string;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseExcerpt: string | null;
  attemptedAt: number;
  nextAttemptAt: number | null;
}

export interface DeadLetterRow {
  id: string;
  eventType: string;
  totalAttempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: number;
  finishedAt: number;
}

export interface RegistrationLogPage {
  attempts: AttemptRow[];
  nextAttempts: number | null;
  deadLetters: DeadLetterRow[];
  nextDead: { finishedAt: number; id: string } | null;
}

export interface WebhooksSource {
  overview(windowMs?: number): Promise<Overview>;
  registrationLog(
    id: string,
    page?: { attemptsBefore?: number; deadBefore?: { finishedAt: number; id: string }; limit?: number },
  ): Promise<RegistrationLogPage>;
  replayDeadLetter(deliveryId: string): Promise<void>;
  replayDeadLetters(options: { since?: number; registrationIds?: string[] }): Promise<string[]>;
  pause(id: string, by: string): Promise<string[]>;
  resume(id: string, by: string): Promise<string[]>;
}
