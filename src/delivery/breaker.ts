/**
 * The circuit breaker, per endpoint: consecutive failures count up; at breakerThreshold the
 * circuit opens and the endpoint is left alone for breakerCooloffMs, then probed with one
 * delivery (a failed probe opens it again at once). Any answer that shows the endpoint alive
 * closes it. Its state is kept in the store, so a restart does not hammer a dead endpoint.
 */
import type { WebhookStore } from "../store/store.js";
import type { Classified } from "./outcome.js";
import type { Registration } from "./registration.js";
import type { Tuning } from "./settings.js";
import type { Log } from "../logging/log.js";

interface Circuit {
  failures: number;
  openUntil: number | null;
  probing: boolean;
}

/** What the scheduler may do with an endpoint now. */
export type CircuitState = "closed" | "open" | "probe";

export class Breaker {
  private readonly circuits = new Map<string, Circuit>();

  constructor(
    private readonly store: WebhookStore,
    private readonly log: Log,
    private readonly tuning: Pick<Tuning, "breakerThreshold" | "breakerCooloffMs">,
    private readonly now: () => number,
  ) {}

  /** Reads the circuits the store kept (a previous process's). */
  async load(): Promise<void> {
    for (const c of await this.store.listWebhookCircuits()) {
      this.circuits.set(c.endpointKey, { failures: c.consecutiveFailures, openUntil: c.openUntil, probing: false });
    }
  }

  /** closed: send; open: leave alone (cooling off, or its probe is out); probe: its cool-off is over, one delivery may go. */
  state(endpointKey: string, now: number): CircuitState {
    const circuit = this.circuits.get(endpointKey);
    if (circuit?.openUntil == null) return "closed";
    return circuit.openUntil > now || circuit.probing ? "open" : "probe";
  }

  isProbing(endpointKey: string): boolean {
    return this.circuits.get(endpointKey)?.probing === true;
  }

  /** The probe of an open circuit is out. */
  startProbe(endpointKey: string): void {
    const circuit = this.circuits.get(endpointKey);
    if (circuit) circuit.probing = true;
  }

  /** When the next cool-off ends (the delivery loop wakes then), or null. */
  nextWake(now: number): number | null {
    let next: number | null = null;
    for (const c of this.circuits.values())
      if (c.openUntil !== null && c.openUntil > now) next = next === null ? c.openUntil : Math.min(next, c.openUntil);
    return next;
  }

  /**
   * Counts an attempt's outcome and persists the circuit if it changed. When the circuit is open
   * afterwards, `whileOpen` runs first (a paused endpoint keeps nothing claimed ahead).
   */
  async update(reg: Pick<Registration, "endpointKey" | "origin">, outcome: Classified, whileOpen: () => Promise<void>): Promise<void> {
    const key = reg.endpointKey;
    const circuit = this.circuits.get(key) ?? { failures: 0, openUntil: null, probing: false };
    const wasProbe = circuit.probing;
    circuit.probing = false;
    if (outcome.circuit === "none") {
      this.circuits.set(key, circuit);
      return;
    }
    const before = { failures: circuit.failures, openUntil: circuit.openUntil };
    if (outcome.circuit === "failure") {
      circuit.failures += 1;
      if (wasProbe || circuit.failures >= this.tuning.breakerThreshold) {
        circuit.openUntil = this.now() + this.tuning.breakerCooloffMs;
        if (before.openUntil === null || wasProbe) {
          this.log.warn(
            { origin: reg.origin, consecutive_failures: circuit.failures, cooloff_ms: this.tuning.breakerCooloffMs },
            wasProbe ? "webhook endpoint probe failed: circuit stays open" : "webhook endpoint circuit opened: pausing deliveries",
          );
        }
      }
    } else {
      circuit.failures = 0;
      circuit.openUntil = null;
      if (before.openUntil !== null) this.log.info({ origin: reg.origin }, "webhook endpoint circuit closed: deliveries resume");
    }
    this.circuits.set(key, circuit);
    if (circuit.openUntil !== null) await whileOpen();
    if (before.failures !== circuit.failures || before.openUntil !== circuit.openUntil) {
      await this.store.saveWebhookCircuit(
        { endpointKey: key, consecutiveFailures: circuit.failures, openUntil: circuit.openUntil },
        this.now(),
      );
    }
  }
}
