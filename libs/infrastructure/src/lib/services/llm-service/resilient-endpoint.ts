import {
  BrokenCircuitError,
  bulkhead,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  DelegateBackoff,
  handleWhen,
  retry,
  type BulkheadPolicy,
  type CircuitBreakerPolicy,
  type IRetryBackoffContext,
  type RetryPolicy,
} from 'cockatiel';
import {
  LlmCircuitOpenError,
  LlmError,
  LlmTimeoutError,
  type ChatMessage,
  type ChatOptions,
  type ChatResult,
  type LlmClient,
  type Logger,
  type Metrics,
} from '@test-agent/domain';
import type { LlmEndpoint } from './llm-endpoint';
import { retryDelayMs } from './retry-timing';

/** Resilience settings of one endpoint. Durations in milliseconds. */
export interface ResilienceOptions {
  /** Retries after the first attempt, on 429, 5xx, network errors and truncated bodies. */
  readonly maxRetries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the endpoint counts as failed (the chain moves on). */
  readonly maxRetryAfterMs: number;
  /** Consecutive failures (5xx, network, timeout, bad body) that open the circuit. */
  readonly breakerThreshold: number;
  /** How long an open circuit rejects calls before letting one through. */
  readonly breakerHalfOpenAfterMs: number;
  readonly random: () => number;
}

/** Smallest answer a timed-out chat is retried with, in tokens. */
export const MIN_RETRY_MAX_TOKENS = 256;

const BREAKING_REASONS = new Set(['server-error', 'network', 'timeout', 'bad-response']);

/**
 * One endpoint wrapped in cockatiel policies, outermost first: retry (exponential backoff with jitter, or the
 * server's `Retry-After`) → circuit breaker → bulkhead (at most `maxConcurrency` requests in flight, the rest
 * queue). The per-request timeout is the adapter's. Every failed attempt counts in `test_agent_llm_errors_total`.
 */
export class ResilientEndpoint {
  private readonly retry: RetryPolicy;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly bulkhead: BulkheadPolicy;

  constructor(
    readonly target: LlmEndpoint,
    private readonly options: ResilienceOptions,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    this.bulkhead = bulkhead(Math.max(1, target.maxConcurrency), Number.MAX_SAFE_INTEGER);
    this.breaker = circuitBreaker(
      handleWhen((e) => e instanceof LlmError && BREAKING_REASONS.has(e.reason)),
      { halfOpenAfter: options.breakerHalfOpenAfterMs, breaker: new ConsecutiveBreaker(options.breakerThreshold) },
    );
    this.breaker.onBreak(() =>
      this.logger.warn('LLM endpoint circuit opened', {
        endpoint: this.label,
        role: target.role,
        threshold: options.breakerThreshold,
      }),
    );
    this.breaker.onReset(() =>
      this.logger.info('LLM endpoint circuit closed', { endpoint: this.label, role: target.role }),
    );
    this.retry = retry(
      handleWhen(
        (e) =>
          e instanceof LlmError &&
          e.retryable &&
          (e.retryAfterMs === undefined || e.retryAfterMs <= options.maxRetryAfterMs),
      ),
      {
        maxAttempts: options.maxRetries,
        backoff: new DelegateBackoff((context: IRetryBackoffContext<unknown>) => {
          const error = 'error' in context.result ? context.result.error : undefined;
          return retryDelayMs(
            context.attempt,
            error instanceof LlmError ? error.retryAfterMs : undefined,
            options,
            options.random,
          );
        }),
      },
    );
    this.retry.onRetry((event) => {
      const error = 'error' in event ? event.error : undefined;
      this.logger.warn('LLM request failed; retrying', {
        endpoint: this.label,
        role: target.role,
        attempt: event.attempt,
        delayMs: Math.round(event.delay),
        reason: error instanceof LlmError ? error.reason : undefined,
        status: error instanceof LlmError ? error.status : undefined,
        error: error instanceof Error ? error.message : undefined,
      });
    });
  }

  get label(): string {
    return this.target.client.endpoint;
  }

  /** True while the circuit rejects calls. */
  get circuitOpen(): boolean {
    return this.breaker.state === CircuitState.Open;
  }

  /**
   * One chat under the policies. A timed-out attempt (no first byte, a stream gone silent, a whole answer too
   * slow) is retried with half the answer's `maxTokens` (never below `MIN_RETRY_MAX_TOKENS`): a slow model
   * finishes a shorter answer sooner.
   */
  chat(messages: readonly ChatMessage[], options: ChatOptions): Promise<ChatResult> {
    let maxTokens = options.maxTokens;
    return this.execute(async (client) => {
      try {
        return await client.chat(messages, maxTokens === options.maxTokens ? options : { ...options, maxTokens });
      } catch (e) {
        if (e instanceof LlmTimeoutError && e.retryable && maxTokens !== undefined) {
          const smaller = Math.max(MIN_RETRY_MAX_TOKENS, Math.floor(maxTokens / 2));
          if (smaller < maxTokens) {
            this.logger.warn('LLM request timed out; the retry asks for a shorter answer', {
              endpoint: this.label,
              role: this.target.role,
              maxTokens,
              retryMaxTokens: smaller,
              error: e.message,
            });
            maxTokens = smaller;
          }
        }
        throw e;
      }
    }, options.signal);
  }

  /** Runs one call to the endpoint's client under its retry, breaker and concurrency limit. */
  async execute<T>(work: (client: LlmClient) => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await this.retry.execute(
        () =>
          this.breaker.execute(() =>
            this.bulkhead.execute(async () => {
              try {
                return await work(this.target.client);
              } catch (e) {
                if (e instanceof LlmError)
                  this.metrics.increment('test_agent_llm_errors_total', { endpoint: this.label, reason: e.reason });
                throw e;
              }
            }),
          ),
        signal,
      );
    } catch (e) {
      if (e instanceof BrokenCircuitError) {
        this.metrics.increment('test_agent_llm_errors_total', { endpoint: this.label, reason: 'circuit-open' });
        throw new LlmCircuitOpenError(
          this.label,
          `${this.label}: circuit open after ${this.options.breakerThreshold} consecutive failures; not called (retried after ${Math.round(this.options.breakerHalfOpenAfterMs / 1000)} s)`,
        );
      }
      throw e;
    }
  }
}
