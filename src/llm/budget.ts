/**
 * The token budget of one pull request (or whatever the caller keys it by), held across
 * instances and jobs: a review, a re-review after a push and `/empathy explain` on the same pull
 * request all spend from it. Each call reserves its most (the prompt's estimate plus the
 * completion's cap) before it is sent, in one atomic step that refuses to go over the limit, and
 * settles to the real count afterwards; so even calls racing on several instances never spend
 * more than the budget, bar the provider counting a prompt above our estimate.
 *
 * The store keeps the spend (an `llm_token_spend` row per key, in the app's store); this file
 * holds the interface, the estimate and an in-memory spend for the CLI and tests.
 */

export interface LlmSpendStore {
  /**
   * Adds `tokens` to `key`'s spend, atomically, only if the total stays at most `limit`; false
   * (and nothing added) when it would not.
   */
  reserveLlmTokens(key: string, tokens: number, limit: number, now: number): Promise<boolean>;
  /** Adds `delta` (negative: gives back) to `key`'s spend: a reservation settled with the real count. */
  adjustLlmTokens(key: string, delta: number, now: number): Promise<void>;
}

/** Tokens in a text when the provider does not say: about four characters each (OpenAI's rule of thumb). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** The spend in this process's memory: one process's jobs only (the CLI, tests). */
export class MemoryLlmSpend implements LlmSpendStore {
  readonly spent = new Map<string, number>();

  reserveLlmTokens(key: string, tokens: number, limit: number): Promise<boolean> {
    const now = this.spent.get(key) ?? 0;
    if (now + tokens > limit) return Promise.resolve(false);
    this.spent.set(key, now + tokens);
    return Promise.resolve(true);
  }

  adjustLlmTokens(key: string, delta: number): Promise<void> {
    this.spent.set(key, Math.max(0, (this.spent.get(key) ?? 0) + delta));
    return Promise.resolve();
  }
}
