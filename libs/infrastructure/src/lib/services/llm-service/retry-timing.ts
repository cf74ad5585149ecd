/** Backoff settings, in milliseconds. */
export interface BackoffOptions {
  /** First delay ceiling (attempt 1). */
  readonly baseDelayMs: number;
  /** Largest delay ceiling. */
  readonly maxDelayMs: number;
}

/**
 * Delay before retry number `attempt` (1-based), in milliseconds. A server's `Retry-After` is honoured exactly;
 * otherwise exponential backoff with "equal jitter": a uniform pick in [ceiling/2, ceiling] where
 * ceiling = min(maxDelayMs, baseDelayMs * 2^(attempt-1)), so retries spread out but never collapse to zero.
 */
export function retryDelayMs(
  attempt: number,
  retryAfterMs: number | undefined,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
