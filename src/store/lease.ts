/**
 * Leases: every claim in the store (a job, a webhook delivery) names the instance holding it and
 * when its lease expires. The holder's heartbeat renews it every third of its length while the
 * work runs; only an expired lease is taken back, by any instance; a graceful stop releases its
 * claims at once. One id per process (the app makes one at start and gives it to the job queue
 * and the webhook manager).
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";

/** Default lease of a claim (EMPATHY_LEASE_SECONDS): how long a dead instance's work waits before another takes it. */
export const DEFAULT_LEASE_DURATION_MS = 30_000;

/** A new instance id: host and pid for people reading the store, a random part for uniqueness. */
export function newInstanceId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}
