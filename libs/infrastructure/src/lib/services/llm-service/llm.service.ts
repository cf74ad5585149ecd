import {
  ConfigError,
  LlmContextOverflowError,
  LlmError,
  LlmReplayedError,
  LlmUnavailableError,
  noopMetrics,
  silentLogger,
  type ChatMessage,
  type ChatOptions,
  type ChatResult,
  type LlmClient,
  type LlmEndpointFailure,
  type LlmHealth,
  type Logger,
  type Metrics,
} from '@test-agent/domain';
import { cassetteOptions, type CassetteWriter } from '../../clients/llm-client/llm-cassette';
import type { LlmEndpoint } from './llm-endpoint';
import { ResilientEndpoint } from './resilient-endpoint';
import { TokenAccuracyTracker, tokenCountAccuracy, type TokenAccuracy } from './token-accuracy.tracker';

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
   * A reported prompt below `overflowRatio` x the estimate (default 0.5) is a silent truncation (context
   * overflow), when the estimate is at least `overflowMinTokens` (default 256).
   */
  readonly overflowRatio?: number;
  readonly overflowMinTokens?: number;
  /** Records every chat (request and final outcome) to a JSONL cassette. */
  readonly cassette?: CassetteWriter;
  /** Jitter source, 0..1 (tests). */
  readonly random?: () => number;
}

/** Health of one endpoint of the chain. */
export interface LlmEndpointHealth extends LlmHealth {
  readonly role: string;
  readonly provider: string;
  /** True while the endpoint's circuit breaker rejects calls. */
  readonly circuitOpen: boolean;
}

/**
 * The LLM gateway the rest of Test Agent uses, itself an `LlmClient`: an ordered chain of endpoints (primary, then
 * fallbacks — the runbook's rollback from GigaChat to Qwen, done automatically and logged), each with retries,
 * a circuit breaker and a concurrency limit. When every endpoint fails it throws `LlmUnavailableError` naming each
 * endpoint and why; nothing is ever fabricated. Each answer's reported prompt tokens are compared with the local
 * estimate (running accuracy → `test_agent_token_count_accuracy`, warning below 90 %), and a reported prompt far
 * below the estimate — Ollama's silent truncation — is an `LlmContextOverflowError`.
 */
export class LlmService implements LlmClient {
  readonly endpoint: string;
  /** Exact token counts from the primary endpoint, when it offers a counter (GigaChat). */
  readonly countTokens?: (texts: readonly string[]) => Promise<number[]>;
  private readonly chain: ResilientEndpoint[];
  private readonly accuracy = new TokenAccuracyTracker();
  private readonly warnedLowAccuracy = new Set<string>();
  private readonly log: Logger;

  constructor(
    endpoints: readonly LlmEndpoint[],
    private readonly options: LlmServiceOptions,
    logger: Logger = silentLogger,
    private readonly metrics: Metrics = noopMetrics,
  ) {
    this.log = logger.child('llm_service');
    const resilience = {
      maxRetries: options.maxRetries ?? 3,
      baseDelayMs: options.baseDelayMs ?? 500,
      maxDelayMs: options.maxDelayMs ?? 30_000,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 120_000,
      breakerThreshold: options.breakerThreshold ?? 5,
      breakerHalfOpenAfterMs: options.breakerHalfOpenAfterMs ?? 30_000,
      random: options.random ?? Math.random,
    };
    this.chain = endpoints.map((e) => new ResilientEndpoint(e, resilience, this.log, metrics));
    this.endpoint = this.chain.map((e) => e.label).join(' -> ') || 'none';
    const primary = this.chain[0];
    if (primary?.target.client.countTokens) {
      this.countTokens = (texts) => primary.execute((client) => (client.countTokens as NonNullable<LlmClient['countTokens']>).call(client, texts));
    }
  }

  /**
   * Runs `work` against the primary endpoint's client under its retries, breaker and concurrency limit (for calls
   * other than chat, e.g. GigaChat's `/tokens/count`, which shares the account's one-request limit).
   * @throws ConfigError when no endpoint is configured; the client's `LlmError` otherwise.
   */
  runOnPrimary<T>(work: (client: LlmClient) => Promise<T>): Promise<T> {
    const primary = this.chain[0];
    if (!primary) return Promise.reject(new ConfigError(['no LLM endpoint is configured (set LLM_PROVIDER and LLM_URL)']));
    return primary.execute(work);
  }

  /** False when no endpoint is configured (offline engine only). */
  get configured(): boolean {
    return this.chain.length > 0;
  }

  /** The primary endpoint's own client (no resilience around it), if any. */
  get primaryClient(): LlmClient | undefined {
    return this.chain[0]?.target.client;
  }

  /** The chain, in order. */
  get endpoints(): readonly { role: string; provider: string; endpoint: string; maxConcurrency: number }[] {
    return this.chain.map((e) => ({ role: e.target.role, provider: e.target.provider, endpoint: e.label, maxConcurrency: e.target.maxConcurrency }));
  }

  /** Running token-count accuracy per endpoint that reported prompt tokens. */
  tokenAccuracy(): TokenAccuracy[] {
    return this.accuracy.snapshot();
  }

  /**
   * Asks each endpoint in order until one answers.
   * @throws ConfigError when no endpoint is configured; LlmUnavailableError when every endpoint failed (its
   * `failures` name each endpoint and why); a replayed cassette failure as recorded.
   */
  async chat(messages: readonly ChatMessage[], options: ChatOptions = {}): Promise<ChatResult> {
    if (!this.configured) throw new ConfigError(['no LLM endpoint is configured (set LLM_PROVIDER and LLM_URL, or use the offline engine)']);
    const failures: LlmEndpointFailure[] = [];
    let last: LlmError | undefined;
    for (const [index, endpoint] of this.chain.entries()) {
      try {
        const result = await endpoint.chat(messages, options);
        await this.checkPromptTokens(endpoint, messages, result);
        if (index > 0) this.log.info('LLM fallback endpoint answered', { endpoint: endpoint.label, role: endpoint.target.role });
        this.metrics.increment('test_agent_requests_total', { operation: 'llm.chat', status: 'ok' });
        this.record(messages, options, { response: result, endpoint: result.endpoint });
        return result;
      } catch (e) {
        if (!(e instanceof LlmError)) throw e;
        if (e instanceof LlmReplayedError) throw e;
        last = e;
        failures.push({ endpoint: endpoint.label, code: e.code, reason: e.reason, message: e.message });
        const next = this.chain[index + 1];
        if (next && !options.signal?.aborted) {
          this.log.warn('LLM endpoint failed; switching to the next endpoint', {
            from: endpoint.label,
            fromRole: endpoint.target.role,
            to: next.label,
            toRole: next.target.role,
            reason: e.reason,
            error: e.message,
          });
        }
        if (options.signal?.aborted) break;
      }
    }
    const error = new LlmUnavailableError(failures, { cause: last });
    this.metrics.increment('test_agent_llm_errors_total', { endpoint: 'all', reason: 'all-failed' });
    this.metrics.increment('test_agent_requests_total', { operation: 'llm.chat', status: 'error' });
    this.log.error('Every LLM endpoint failed', { failures });
    this.record(messages, options, { error, endpoint: this.endpoint });
    throw error;
  }

  /** Reachability of each endpoint, in chain order (bypasses retries and breakers). */
  async ping(): Promise<LlmEndpointHealth[]> {
    return Promise.all(
      this.chain.map(async (e) => ({
        ...(await e.target.client.health()),
        role: e.target.role,
        provider: e.target.provider,
        circuitOpen: e.circuitOpen,
      })),
    );
  }

  /** The chain is healthy when at least one endpoint is. */
  async health(): Promise<LlmHealth> {
    const started = Date.now();
    const all = await this.ping();
    const first = all.find((h) => h.ok);
    return {
      endpoint: this.endpoint,
      ok: first !== undefined,
      model: first?.model,
      latencyMs: Date.now() - started,
      detail: all.map((h) => `${h.role} ${h.ok ? 'ok' : 'FAILED'}: ${h.detail}`).join('; ') || 'no endpoint configured',
    };
  }

  /** Local estimate of a chat's prompt tokens: content tokens plus the chat template's per-message overhead. */
  async estimatePromptTokens(messages: readonly ChatMessage[], estimateTokens = this.options.estimateTokens): Promise<number> {
    const perMessage = this.options.messageOverheadTokens ?? 4;
    const counts = await Promise.all(messages.map((m) => estimateTokens(m.content)));
    return counts.reduce((sum, n) => sum + n + perMessage, this.options.replyPrimingTokens ?? 3);
  }

  private async checkPromptTokens(target: ResilientEndpoint, messages: readonly ChatMessage[], result: ChatResult): Promise<void> {
    const reported = result.usage?.promptTokens;
    if (reported === undefined || reported <= 0) return;
    const endpoint = target.label;
    const estimate = await this.estimatePromptTokens(messages, target.target.estimateTokens ?? this.options.estimateTokens);
    const ratio = this.options.overflowRatio ?? 0.5;
    if (estimate >= (this.options.overflowMinTokens ?? 256) && reported < estimate * ratio) {
      this.metrics.increment('test_agent_llm_errors_total', { endpoint, reason: 'context-overflow' });
      throw new LlmContextOverflowError(
        endpoint,
        `${endpoint}: the prompt was silently truncated: the server counted ${reported} prompt tokens where ~${estimate} were sent (context window too small; Ollama truncates without an error)`,
        { estimatedTokens: estimate, reportedTokens: reported },
      );
    }
    if (reported < (this.options.accuracyMinTokens ?? 32)) return;
    const sample = tokenCountAccuracy(estimate, reported);
    const running = this.accuracy.record(endpoint, estimate, reported);
    this.metrics.set('test_agent_token_count_accuracy', running, { endpoint });
    const threshold = this.options.accuracyWarnBelow ?? 0.9;
    if (running < threshold) {
      if (!this.warnedLowAccuracy.has(endpoint)) {
        this.warnedLowAccuracy.add(endpoint);
        this.log.warn('Token count accuracy is below the threshold', {
          endpoint,
          accuracy: Number(running.toFixed(4)),
          threshold,
          lastEstimate: estimate,
          lastReported: reported,
          lastAccuracy: Number(sample.toFixed(4)),
        });
      }
    } else {
      this.warnedLowAccuracy.delete(endpoint);
    }
  }

  private record(messages: readonly ChatMessage[], options: ChatOptions, outcome: { response?: ChatResult; error?: LlmError; endpoint: string }): void {
    if (!this.options.cassette) return;
    const r = outcome.response;
    const e = outcome.error;
    this.options.cassette.append({
      v: 1,
      at: new Date().toISOString(),
      endpoint: outcome.endpoint,
      request: { messages: messages.map((m) => ({ role: m.role, content: m.content })), options: cassetteOptions(options) },
      ...(r ? { response: { text: r.text, usage: r.usage, model: r.model, finishReason: r.finishReason, latencyMs: r.latencyMs } } : {}),
      ...(e ? { error: { code: e.code, kind: e.kind === 'timeout' ? 'timeout' : 'external', reason: e.reason, status: e.status, message: e.message } } : {}),
    });
  }
}
