/**
 * Paces: where each paced key (a Slack channel, a PagerDuty routing key, a Discord webhook...)
 * stands against its service's rate limit: the earliest next start (its interval) and a hold read
 * from an answer's rate-limit headers, during which the key is left alone.
 */
import type { ResponseInfo } from "./outcome.js";
import type { Registration } from "./registration.js";
import type { Log } from "../logging/log.js";

interface PaceState {
  nextAt: number;
  holdUntil: number;
}

export class Pacer {
  private readonly paces = new Map<string, PaceState>();

  constructor(
    private readonly log: Log,
    /** The longest hold honoured (maxRetryAfterMs). */
    private readonly maxHoldMs: number,
    private readonly now: () => number,
  ) {}

  /** The key waits for its interval or a hold (the delivery loop wakes when it ends: nextWake). */
  isWaiting(key: string, now: number): boolean {
    const state = this.paces.get(key);
    return state !== undefined && Math.max(state.nextAt, state.holdUntil) > now;
  }

  /** A request of the key starts now: the next may start `intervalMs` later. */
  started(key: string, intervalMs: number): void {
    if (intervalMs <= 0) return;
    const state = this.state(key);
    state.nextAt = Math.max(state.nextAt, this.now() + intervalMs);
  }

  /** When the next wait ends (the delivery loop wakes then), or null. */
  nextWake(now: number): number | null {
    let next: number | null = null;
    for (const p of this.paces.values()) {
      const until = Math.max(p.nextAt, p.holdUntil);
      if (until > now) next = next === null ? until : Math.min(next, until);
    }
    return next;
  }

  /**
   * A paced registration's reading of an answer's rate-limit headers: true when it holds the
   * key (until the service's window resets; the caller puts back what the key had claimed ahead).
   */
  hold(reg: Pick<Registration, "pace" | "paceKey" | "origin" | "id">, info: ResponseInfo & { attempt: number }): boolean {
    const read = reg.pace?.holdAfter;
    if (!read) return false;
    let ms: unknown;
    try {
      ms = read(info);
    } catch {
      return false;
    }
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms <= 0) return false;
    const now = this.now();
    const until = now + Math.min(Math.ceil(ms), this.maxHoldMs);
    const state = this.state(reg.paceKey);
    if (until > state.holdUntil) {
      if (state.holdUntil <= now) {
        // Refused (429): worth an info line; a window used up before the limit (Discord, Datadog) is routine.
        const fields = { origin: reg.origin, registration_id: reg.id, status_code: info.status, hold_ms: until - now };
        if (info.status === 429) this.log.info(fields, "webhook endpoint rate limit: holding deliveries until its window resets");
        else this.log.debug(fields, "webhook endpoint rate limit window used up: holding deliveries until it resets");
      }
      state.holdUntil = until;
    }
    return true;
  }

  private state(key: string): PaceState {
    let state = this.paces.get(key);
    if (!state) {
      state = { nextAt: 0, holdUntil: 0 };
      this.paces.set(key, state);
    }
    return state;
  }
}
