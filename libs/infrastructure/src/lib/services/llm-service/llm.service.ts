import {
  ConfigError,
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
  type LlmEndpointUsage,
  type LlmRunSummary,
  type LlmHealth,
  type Logger,
  type Metrics,
} from '@test-agent/domain';
import type { DetectedContextWindow } from '../../clients/llm-client/openai-llm-client.adapter';
import { OLLAMA_DEFAULT_CONTEXT, resolveContextWindow, type LlmEndpointWindow } from './context-window';
import { recordChat, type ChatOutcome } from './chat-recording';
import type { LlmEndpoint } from './llm-endpoint';
import type { LlmServiceOptions } from './llm-service.options';
import { PromptTokenAudit } from './prompt-token-audit';
import { ResilientEndpoint } from './resilient-endpoint';
import type { TokenAccuracy, TokenCounts } from './token-accuracy.tracker';

export type { LlmServiceOptions } from './llm-service.options';
export { OLLAMA_DEFAULT_CONTEXT, type LlmEndpointWindow } from './context-window';

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
  private readonly chain: ResilientEndpoint[];
  private readonly audit: PromptTokenAudit<ResilientEndpoint>;
  private readonly log: Logger;
  private readonly usageByEndpoint = new Map<ResilientEndpoint, { answered: number; failed: number }>();
  private readonly estimatedCounts = new Set<string>();
  /** Fallback switches by from, to and reason. */
  private readonly switches = new Map<
    string,
    { from: string; to: string; reason: string; message: string; calls: number }
  >();
  /** The windows, detected once (`contextWindows()`). */
  private windows?: Promise<LlmEndpointWindow[]>;
  private readonly windowByEndpoint = new Map<ResilientEndpoint, number>();

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
    this.audit = new PromptTokenAudit(
      options,
      (m, estimator) => this.estimatePromptTokens(m, estimator),
      this.log,
      metrics,
    );
  }

  /**
   * Runs `work` against the primary endpoint's client under its retries, breaker and concurrency limit (for calls
   * other than chat, e.g. GigaChat's `/tokens/count`, which shares the account's one-request limit).
   * @throws ConfigError when no endpoint is configured; the client's `LlmError` otherwise.
   */
  runOnPrimary<T>(work: (client: LlmClient) => Promise<T>): Promise<T> {
    const primary = this.chain[0];
    if (!primary)
      return Promise.reject(new ConfigError(['no LLM endpoint is configured (set LLM_PROVIDER and LLM_URL)']));
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
    return this.chain.map((e) => ({
      role: e.target.role,
      provider: e.target.provider,
      endpoint: e.label,
      maxConcurrency: e.target.maxConcurrency,
    }));
  }

  /**
   * Running token-count accuracy per endpoint that reported prompt tokens; `countsEstimated` flags an endpoint
   * whose own token counter failed, so that the chunk budgets were fitted with local estimates.
   */
  tokenAccuracy(): TokenAccuracy[] {
    return this.audit.snapshot();
  }

  /** What the prompts sent to `target` were fitted with (the `counts` label of the accuracy metric). */
  private countsOf(target: ResilientEndpoint): TokenCounts {
    if (this.estimatedCounts.has(target.label)) return 'estimated';
    return target.target.client.countTokens ? 'exact' : 'local';
  }

  /**
   * The context window of each endpoint, detected once: what the server tells (vLLM `max_model_len`, Ollama's
   * loaded `context_length` or Modelfile `num_ctx`), else for an Ollama `OLLAMA_CONTEXT_LENGTH`, else the
   * configured `LLM_CONTEXT_WINDOW`, else for an Ollama its default 4,096, else the model profile's. A configured
   * window smaller than the server's applies; a window above the model's own largest context is capped there.
   * Detection failures are logged, never thrown. The result also guides the silent-truncation check.
   */
  contextWindows(): Promise<LlmEndpointWindow[]> {
    this.windows ??= Promise.all(this.chain.map((e) => this.detectWindow(e))).then((all) =>
      all.filter((w): w is LlmEndpointWindow => w !== undefined),
    );
    return this.windows;
  }

  /** The smallest window of the chain: a prompt fitted to it fits every endpoint the call may move to. */
  async chainContextWindow(): Promise<LlmEndpointWindow | undefined> {
    const all = await this.contextWindows();
    return all.reduce<LlmEndpointWindow | undefined>(
      (min, w) => (min === undefined || w.contextWindow < min.contextWindow ? w : min),
      undefined,
    );
  }

  /** Undefined for an endpoint nothing tells a window of (a replayed cassette). */
  private async detectWindow(e: ResilientEndpoint): Promise<LlmEndpointWindow | undefined> {
    const client = e.target.client as { detectContextWindow?: () => Promise<DetectedContextWindow | undefined> };
    let detected: DetectedContextWindow | undefined;
    try {
      detected = await client.detectContextWindow?.();
    } catch (error) {
      this.log.warn('Context window detection failed; using the configured window', {
        endpoint: e.label,
        error: (error as Error).message,
      });
    }
    const resolved = resolveContextWindow({
      detected,
      configured: e.target.configuredContextWindow,
      ollamaContextLength: this.options.ollamaContextLength,
      profile: e.target.profileContextWindow,
    });
    if (!resolved) return undefined;
    const { tokens, source } = resolved;
    if (resolved.assumedOllamaDefault) {
      this.log.warn("Ollama does not report the model's context window; assuming its default", {
        endpoint: e.label,
        contextWindow: OLLAMA_DEFAULT_CONTEXT,
        hint: 'start Ollama with OLLAMA_CONTEXT_LENGTH=<n> and set the same OLLAMA_CONTEXT_LENGTH (or LLM_CONTEXT_WINDOW) for Test Agent',
      });
    }
    // A window the server or the user told is a fact the truncation check may rely on; a profile's is a guess.
    if (source !== 'model profile') this.windowByEndpoint.set(e, tokens);
    this.log.info('LLM context window', { endpoint: e.label, role: e.target.role, contextWindow: tokens, source });
    return { role: e.target.role, endpoint: e.label, contextWindow: tokens, source };
  }

  /**
   * What the chain did so far, for the report: per endpoint its chats answered and failed, its counts and
   * window; which endpoints served; every fallback switch with its reason.
   */
  async runSummary(): Promise<LlmRunSummary> {
    const usage = this.usage();
    const windows = this.windows ? await this.windows : undefined;
    const endpoints = usage.endpoints.map((u) => {
      const w = windows?.find((x) => x.endpoint === u.endpoint);
      return w ? { ...u, contextWindow: w.contextWindow, contextWindowSource: w.source } : u;
    });
    const chain = windows ? await this.chainContextWindow() : undefined;
    return {
      endpoints,
      servedBy: endpoints.filter((e) => e.answered > 0).map((e) => e.endpoint),
      fallbackUsed: usage.fallbackUsed,
      fallbacks: [...this.switches.values()].map((s) => ({ ...s })),
      ...(chain ? { contextWindow: chain.contextWindow } : {}),
    };
  }

  /** Chats answered and failed per endpoint, in chain order; `fallbackUsed` when any but the first answered. */
  usage(): {
    readonly endpoints: readonly LlmEndpointUsage[];
    readonly fallbackUsed: boolean;
    readonly countsEstimated: boolean;
  } {
    const endpoints = this.chain.map((e) => {
      const u = this.usageByEndpoint.get(e) ?? { answered: 0, failed: 0 };
      return {
        role: e.target.role,
        provider: e.target.provider,
        endpoint: e.label,
        answered: u.answered,
        failed: u.failed,
        countsEstimated: this.estimatedCounts.has(e.label),
      };
    });
    return {
      endpoints,
      fallbackUsed: endpoints.slice(1).some((e) => e.answered > 0),
      countsEstimated: this.estimatedCounts.size > 0,
    };
  }

  /**
   * Records that the primary endpoint's token counter failed and counts are local estimates from now on (logged
   * once per endpoint; flagged in `tokenAccuracy()` and `usage()`).
   */
  noteEstimatedCounts(reason: string): void {
    const primary = this.chain[0];
    if (!primary || this.estimatedCounts.has(primary.label)) return;
    this.estimatedCounts.add(primary.label);
    this.log.warn("The endpoint's token counter failed; token counts are local estimates from now on", {
      endpoint: primary.label,
      role: primary.target.role,
      error: reason,
    });
  }

  /** A call moving to the next endpoint: counted (`test_agent_llm_errors_total{reason="fallback"}`) and kept for the report. */
  private noteSwitch(from: string, to: string, e: LlmError): void {
    this.metrics.increment('test_agent_llm_errors_total', { endpoint: from, reason: 'fallback' });
    const key = `${from}\u0000${to}\u0000${e.reason}`;
    const known = this.switches.get(key);
    if (known) known.calls += 1;
    else this.switches.set(key, { from, to, reason: e.reason, message: e.message, calls: 1 });
  }

  private used(endpoint: ResilientEndpoint, outcome: 'answered' | 'failed'): void {
    const u = this.usageByEndpoint.get(endpoint) ?? { answered: 0, failed: 0 };
    u[outcome] += 1;
    this.usageByEndpoint.set(endpoint, u);
  }

  /**
   * Asks each endpoint in order until one answers.
   * @throws ConfigError when no endpoint is configured; LlmUnavailableError when every endpoint failed (its
   * `failures` name each endpoint and why); a replayed cassette failure as recorded.
   */
  async chat(messages: readonly ChatMessage[], options: ChatOptions = {}): Promise<ChatResult> {
    if (!this.configured)
      throw new ConfigError([
        'no LLM endpoint is configured (set LLM_PROVIDER and LLM_URL, or use the offline engine)',
      ]);
    const failures: LlmEndpointFailure[] = [];
    let last: LlmError | undefined;
    for (const [index, endpoint] of this.chain.entries()) {
      try {
        const result = await endpoint.chat(messages, options);
        await this.checkPromptTokens(endpoint, messages, result);
        this.used(endpoint, 'answered');
        if (index > 0)
          this.log.info('LLM fallback endpoint answered', {
            endpoint: endpoint.label,
            role: endpoint.target.role,
            failed: failures.map((f) => f.endpoint),
          });
        this.metrics.increment('test_agent_requests_total', { operation: 'llm.chat', status: 'ok' });
        this.record(messages, options, { response: result, endpoint: result.endpoint });
        return result;
      } catch (e) {
        if (!(e instanceof LlmError)) throw e;
        if (e instanceof LlmReplayedError) throw e;
        last = e;
        this.used(endpoint, 'failed');
        failures.push({ endpoint: endpoint.label, code: e.code, reason: e.reason, message: e.message });
        const next = this.chain[index + 1];
        if (next && !options.signal?.aborted) {
          this.noteSwitch(endpoint.label, next.label, e);
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
  async estimatePromptTokens(
    messages: readonly ChatMessage[],
    estimateTokens = this.options.estimateTokens,
  ): Promise<number> {
    const perMessage = this.options.messageOverheadTokens ?? 4;
    const counts = await Promise.all(messages.map((m) => estimateTokens(m.content)));
    return counts.reduce((sum, n) => sum + n + perMessage, this.options.replyPrimingTokens ?? 3);
  }

  /** @throws LlmContextOverflowError when the answer shows the prompt was silently truncated. */
  private checkPromptTokens(target: ResilientEndpoint, messages: readonly ChatMessage[], result: ChatResult) {
    return this.audit.check(target, {
      endpoint: target.label,
      messages,
      reportedTokens: result.usage?.promptTokens,
      estimator: target.target.estimateTokens ?? this.options.estimateTokens,
      window: () => this.windowByEndpoint.get(target) ?? this.options.contextWindow,
      counts: () => this.countsOf(target),
    });
  }

  private record(messages: readonly ChatMessage[], options: ChatOptions, outcome: ChatOutcome): void {
    if (this.options.cassette) recordChat(this.options.cassette, messages, options, outcome);
  }
}
