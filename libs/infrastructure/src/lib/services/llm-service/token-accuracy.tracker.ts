/**
 * What the prompts sent to an endpoint were fitted with: `exact` its own counter (GigaChat `/tokens/count`),
 * `estimated` the local tokenizer because that counter failed, `local` the local tokenizer because the endpoint
 * has no counter. The `counts` label of `test_agent_token_count_accuracy`: estimated samples are a series of
 * their own, never mixed into an exact one.
 */
export type TokenCounts = 'exact' | 'estimated' | 'local';

/** Running token-count accuracy of one endpoint. */
export interface TokenAccuracy {
  readonly endpoint: string;
  readonly counts: TokenCounts;
  /** Responses that reported prompt tokens. */
  readonly samples: number;
  /** Mean of 1 - |estimate - actual| / actual over the samples, 0..1. */
  readonly accuracy: number;
}

/**
 * Accuracy of one estimate against the server's count: 1 - |estimate - actual| / actual, floored at 0.
 * `actual` must be positive.
 */
export function tokenCountAccuracy(estimate: number, actual: number): number {
  return Math.max(0, 1 - Math.abs(estimate - actual) / actual);
}

/** Keeps the running (mean) accuracy of local prompt-token estimates per endpoint and kind of counts. */
export class TokenAccuracyTracker {
  private readonly series = new Map<string, { endpoint: string; counts: TokenCounts; samples: number; sum: number }>();

  /** Adds one sample; returns the running accuracy of the endpoint's series for `counts` after it. */
  record(endpoint: string, estimate: number, actual: number, counts: TokenCounts = 'local'): number {
    const key = `${counts}\u0000${endpoint}`;
    const entry = this.series.get(key) ?? { endpoint, counts, samples: 0, sum: 0 };
    entry.samples += 1;
    entry.sum += tokenCountAccuracy(estimate, actual);
    this.series.set(key, entry);
    return entry.sum / entry.samples;
  }

  snapshot(): TokenAccuracy[] {
    return [...this.series.values()].map((e) => ({
      endpoint: e.endpoint,
      counts: e.counts,
      samples: e.samples,
      accuracy: e.sum / e.samples,
    }));
  }
}
