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
  type LlmEndpointUsage,
  type LlmRunSummary,
  type LlmHealth,
  type Logger,
  type Metrics,
} from '@test-agent/domain';
import { createHash } from 'node:crypto';
import { cassetteOptions, type CassetteWriter } from '../../clients/llm-client/llm-cassette';
import type { LlmEndpoint } from './llm-endpoint';
import { ResilientEndpoint } from './resilient-endpoint';
import type { DetectedContextWindow } from '../../clients/llm-client/openai-llm-client.adapter';
import {
  TokenAccuracyTracker,
  tokenCountAccuracy,
  type TokenAccuracy,
  type TokenCounts,
} from './token-accuracy.tracker';

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

/** The context window one endpoint's prompts must fit, and where that number came from. */
export interface LlmEndpointWindow {
  readonly role: string;
  readonly endpoint: string;
  readonly contextWindow: number;
  /** `vLLM GET /v1/models max_model_len`, `Ollama GET /api/ps context_length`, `LLM_CONTEXT_WINDOW`, `model profile`, ... */
  readonly source: string;
}

/**
 * The window assumed for an Ollama when neither it nor the user tells it: its own default is 2,048 or 4,096 by
 * version (newer ones choose by VRAM); a smaller real window still shows as a silent truncation and a refit.
 */
export const OLLAMA_DEFAULT_CONTEXT = 4_096;

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
  private readonly usageByEndpoint = new Map<ResilientEndpoint, { answered: number; failed: number }>();
  private readonly estimatedCounts = new Set<string>();
  /** Per endpoint: digests of the message prefixes it was sent (to recognise a cached prefix). */
  private readonly prefixes = new Map<ResilientEndpoint, Set<string>>();
  /** Per endpoint: running sum and count of reported / estimated prompt tokens on unshared prompts. */
  private readonly bias = new Map<ResilientEndpoint, { sum: number; samples: number }>();
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
    const primary = this.chain[0];
    if (primary?.target.client.countTokens) {
      this.countTokens = (texts) =>
        primary.execute((client) => (client.countTokens as NonNullable<LlmClient['countTokens']>).call(client, texts));
    }
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
    return this.accuracy.snapshot();
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
    const configured = e.target.configuredContextWindow;
    let tokens: number;
    let source: string;
    if (detected?.tokens !== undefined) {
      tokens = detected.tokens;
      source = detected.source ?? 'the server';
      if (configured !== undefined && configured < tokens) {
        tokens = configured;
        source = `LLM_CONTEXT_WINDOW (the server allows ${detected.tokens}: ${source})`;
      }
    } else if (detected?.ollama && this.options.ollamaContextLength !== undefined) {
      tokens = this.options.ollamaContextLength;
      source = 'OLLAMA_CONTEXT_LENGTH';
    } else if (configured !== undefined) {
      tokens = configured;
      source = 'LLM_CONTEXT_WINDOW';
    } else if (detected?.ollama) {
      tokens = OLLAMA_DEFAULT_CONTEXT;
      source = `Ollama's default (${OLLAMA_DEFAULT_CONTEXT}; the model is not loaded and OLLAMA_CONTEXT_LENGTH is not set)`;
      this.log.warn("Ollama does not report the model's context window; assuming its default", {
        endpoint: e.label,
        contextWindow: tokens,
        hint: 'start Ollama with OLLAMA_CONTEXT_LENGTH=<n> and set the same OLLAMA_CONTEXT_LENGTH (or LLM_CONTEXT_WINDOW) for Test Agent',
      });
    } else if (e.target.profileContextWindow !== undefined) {
      tokens = e.target.profileContextWindow;
      source = 'model profile';
    } else {
      return undefined;
    }
    if (detected?.modelMaxTokens !== undefined && tokens > detected.modelMaxTokens) {
      tokens = detected.modelMaxTokens;
      source = `${source}, capped at the model's ${detected.modelMaxTokens}`;
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

  private async checkPromptTokens(
    target: ResilientEndpoint,
    messages: readonly ChatMessage[],
    result: ChatResult,
  ): Promise<void> {
    const estimator = target.target.estimateTokens ?? this.options.estimateTokens;
    const prefix = await this.sharedPrefixTokens(target, messages, estimator);
    this.remember(target, messages);
    const reported = result.usage?.promptTokens;
    if (reported === undefined || reported <= 0) return;
    const endpoint = target.label;
    const estimate = await this.estimatePromptTokens(messages, estimator);
    // Only a substantial shared prefix (a repair turn repeating the first prompt, not just the system message) counts.
    const shared = prefix >= 0.25 * estimate ? prefix : 0;
    const ratio = this.options.overflowRatio ?? 0.75;
    const bias = this.bias.get(target);
    const scale = bias ? Math.min(1.5, Math.max(0.6, bias.sum / bias.samples)) : 1;
    const window = this.windowByEndpoint.get(target) ?? this.options.contextWindow;
    // A prompt larger than the window reported at or below it; or, with no window configured, reported at exactly
    // a usual window size (Ollama's default num_ctx is 2,048 or 4,096) while the estimate is larger.
    const overWindow =
      window !== undefined
        ? estimate * scale > window && reported <= window
        : USUAL_WINDOWS.has(reported) && estimate * scale > reported;
    // A prompt repeating an earlier one as its prefix may be reported without the cached prefix: judge what is new.
    const expected = (shared > 0 ? Math.max(0, estimate - shared) : estimate) * scale;
    // With the window known (told by the server or the user), a prompt that fits it by our own count (10 % margin
    // for the tokenizers' disagreement) had nothing to be cut for: a low count then is the server's tokenizer.
    const mayExceed = window === undefined || estimate * scale * 1.1 > window;
    const belowRatio = mayExceed && reported < expected * ratio;
    if (estimate >= (this.options.overflowMinTokens ?? 256) && (belowRatio || overWindow)) {
      this.metrics.increment('test_agent_llm_errors_total', { endpoint, reason: 'context-overflow' });
      throw new LlmContextOverflowError(
        endpoint,
        `${endpoint}: the prompt was silently truncated: the server counted ${reported} prompt tokens where ~${estimate} were sent (context window too small; Ollama truncates without an error)`,
        { estimatedTokens: estimate, reportedTokens: reported },
      );
    }
    // A prompt whose prefix may have been cached says nothing reliable about the tokenizer.
    if (shared > 0 && reported < estimate * 0.9) return;
    if (reported < (this.options.accuracyMinTokens ?? 32)) return;
    if (shared === 0) {
      const b = bias ?? { sum: 0, samples: 0 };
      b.sum += reported / estimate;
      b.samples += 1;
      this.bias.set(target, b);
    }
    const sample = tokenCountAccuracy(estimate, reported);
    const counts = this.countsOf(target);
    const running = this.accuracy.record(endpoint, estimate, reported, counts);
    this.metrics.set('test_agent_token_count_accuracy', running, { endpoint, counts });
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
          counts,
        });
      }
    } else {
      this.warnedLowAccuracy.delete(endpoint);
    }
  }

  /** Estimated tokens of the longest run of leading messages this endpoint was already sent (0: none). */
  private async sharedPrefixTokens(
    target: ResilientEndpoint,
    messages: readonly ChatMessage[],
    estimator: (text: string) => number | Promise<number>,
  ): Promise<number> {
    const seen = this.prefixes.get(target);
    if (!seen || messages.length < 2) return 0;
    const digests = prefixDigests(messages);
    let k = 0;
    for (let i = digests.length - 2; i >= 0; i--) {
      if (seen.has(digests[i])) {
        k = i + 1;
        break;
      }
    }
    if (k === 0) return 0;
    return this.estimatePromptTokens(messages.slice(0, k), estimator);
  }

  private remember(target: ResilientEndpoint, messages: readonly ChatMessage[]): void {
    let seen = this.prefixes.get(target);
    if (!seen) this.prefixes.set(target, (seen = new Set()));
    if (seen.size > MAX_REMEMBERED_PREFIXES) seen.clear();
    for (const d of prefixDigests(messages)) seen.add(d);
  }

  private record(
    messages: readonly ChatMessage[],
    options: ChatOptions,
    outcome: { response?: ChatResult; error?: LlmError; endpoint: string },
  ): void {
    if (!this.options.cassette) return;
    const r = outcome.response;
    const e = outcome.error;
    this.options.cassette.append({
      v: 1,
      at: new Date().toISOString(),
      endpoint: outcome.endpoint,
      request: {
        messages: messages.map((m) => ({ role: m.role, content: m.content })),
        options: cassetteOptions(options),
      },
      ...(r
        ? {
            response: {
              text: r.text,
              usage: r.usage,
              model: r.model,
              finishReason: r.finishReason,
              latencyMs: r.latencyMs,
            },
          }
        : {}),
      ...(e
        ? {
            error: {
              code: e.code,
              kind: e.kind === 'timeout' ? 'timeout' : 'external',
              reason: e.reason,
              status: e.status,
              message: e.message,
            },
          }
        : {}),
    });
  }
}

/** Context sizes servers are commonly run with: a reported prompt of exactly one of them is likely cut there. */
const USUAL_WINDOWS = new Set([2_048, 4_096, 8_192, 16_384, 32_768, 65_536, 131_072]);

/** Prefix digests remembered per endpoint before the memory starts afresh. */
const MAX_REMEMBERED_PREFIXES = 10_000;

/** Digest of messages[0..i] for each i: equal digests mean equal leading messages. */
function prefixDigests(messages: readonly ChatMessage[]): string[] {
  const hash = createHash('sha1');
  return messages.map((m) => {
    hash.update(`${m.role}\u0000${m.content.length}\u0000${m.content}\u0000`);
    return hash.copy().digest('base64');
  });
}
