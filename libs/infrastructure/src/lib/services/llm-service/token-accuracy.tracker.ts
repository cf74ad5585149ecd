/** Running token-count accuracy of one endpoint. */
export interface TokenAccuracy {
  readonly endpoint: string;
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

/** Keeps the running (mean) accuracy of local prompt-token estimates per endpoint. */
export class TokenAccuracyTracker {
  private readonly byEndpoint = new Map<string, { samples: number; sum: number }>();

  /** Adds one sample; returns the endpoint's running accuracy after it. */
  record(endpoint: string, estimate: number, actual: number): number {
    const entry = this.byEndpoint.get(endpoint) ?? { samples: 0, sum: 0 };
    entry.samples += 1;
    entry.sum += tokenCountAccuracy(estimate, actual);
    this.byEndpoint.set(endpoint, entry);
    return entry.sum / entry.samples;
  }

  snapshot(): TokenAccuracy[] {
    return [...this.byEndpoint].map(([endpoint, e]) => ({ endpoint, samples: e.samples, accuracy: e.sum / e.samples }));
  }
}
