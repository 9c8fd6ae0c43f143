/**
 * Attempt results, written in batches. Results are written together, in one transaction,
 * RECORD_FLUSH_MS after the first (or at RECORD_FLUSH_COUNT): the request's slot is free at
 * once, and a burst of deliveries costs a few commits rather than one each. Until written, the
 * delivery stays in flight in the store: a crash meanwhile sends it again after the restart,
 * with the same webhook-id, as for a crash during the request. Reads (logs, counts, replays) and
 * stop() flush first, so they always see every finished attempt.
 */
import type { WebhookAttemptResult, WebhookStore } from "../store/store.js";
import { errorText } from "./redaction.js";
import type { Log } from "../logging/log.js";

/** Attempt results are written together: at most this long after the first of them... */
const RECORD_FLUSH_MS = 5;
/** ...or as soon as this many are waiting. */
const RECORD_FLUSH_COUNT = 64;

export class ResultWriter {
  private results: WebhookAttemptResult[] = [];
  private timer: NodeJS.Timeout | null = null;
  private write: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: WebhookStore,
    private readonly log: Log,
    /** Results were written: a retry's next attempt time is in the store, the delivery loop can plan for it. */
    private readonly onWritten: () => void,
  ) {}

  /** Queues an attempt's result. */
  record(result: WebhookAttemptResult): void {
    this.results.push(result);
    if (this.results.length >= RECORD_FLUSH_COUNT) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), RECORD_FLUSH_MS);
  }

  /** Writes the queued results; resolves once they (and any write before them) are written. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.results;
    if (batch.length === 0) return this.write;
    this.results = [];
    this.write = this.write
      .then(() => this.store.recordWebhookAttempts(batch))
      .then(
        () => this.onWritten(),
        (err: unknown) => this.log.error({ err: errorText(err), attempts: batch.length }, "could not record webhook attempts"),
      );
    return this.write;
  }
}
