import type { CassetteWriter } from '../../clients/llm-client/llm-cassette';

/** Settings of the LLM service. Durations in milliseconds, ratios 0..1. */
export interface LlmServiceOptions {
  /** Local token estimator (the configured tokenizer, sync or async); compared with what servers report. */
  readonly estimateTokens: (text: string) => number | Promise<number>;
  /** Retries per endpoint on 429, 5xx, network errors and truncated bodies (default 3). */
  readonly maxRetries?: number;
  /** Backoff: first delay ceiling (default 500) and largest (default 30 000). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Longest `Retry-After` waited for (default 120 000); longer means "move to the next endpoint". */
  readonly maxRetryAfterMs?: number;
  /** Consecutive failures that open an endpoint's circuit (default 5) and how long it stays open (default 30 000). */
  readonly breakerThreshold?: number;
  readonly breakerHalfOpenAfterMs?: number;
  /** Chat-template tokens added per message (default 4) and for the assistant's turn (default 3) to the estimate. */
  readonly messageOverheadTokens?: number;
  readonly replyPrimingTokens?: number;
  /** Running accuracy below this logs a warning (default 0.9). */
  readonly accuracyWarnBelow?: number;
  /**
   * Prompts the server counts below this many tokens are not sampled for accuracy (default 32): there the chat
   * template's few tokens dominate and the ratio says nothing about the tokenizer.
   */
  readonly accuracyMinTokens?: number;
  /**
   * A reported prompt below `overflowRatio` x the expected count (default 0.75) is a silent truncation (context
   * overflow), when the estimate is at least `overflowMinTokens` (default 256). The expected count is the
   * estimate scaled by the endpoint's running ratio of reported to estimated tokens (its tokenizer's bias,
   * clamped to 0.6..1.5). A call that repeats earlier messages as its prefix (a repair turn) is judged on the
   * part not shared: some servers (Ollama) leave cached prefix tokens out of `prompt_tokens`.
   */
  readonly overflowRatio?: number;
  readonly overflowMinTokens?: number;
  /**
   * The context window the prompts were fitted to, in tokens (when known): a prompt estimated above it that the
   * server reports at or below it was truncated, whatever the ratio says.
   */
  readonly contextWindow?: number;
  /**
   * The context length the Ollama server was started with (`OLLAMA_CONTEXT_LENGTH`), for an Ollama endpoint
   * that does not report the window of its loaded model.
   */
  readonly ollamaContextLength?: number;
  /** Records every chat (request and final outcome) to a JSONL cassette. */
  readonly cassette?: CassetteWriter;
  /** Jitter source, 0..1 (tests). */
  readonly random?: () => number;
}
