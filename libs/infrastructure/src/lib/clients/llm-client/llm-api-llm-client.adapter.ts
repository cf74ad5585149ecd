import { performance } from 'node:perf_hooks';
import {
  LlmResponseError,
  silentLogger,
  type ChatMessage,
  type ChatOptions,
  type ChatResult,
  type LlmClient,
  type LlmHealth,
  type Logger,
} from '@test-agent/domain';
import { usageOf } from './chat-completion.format';
import { endpointLabel, LlmHttp, pick } from './llm-http.transport';
import { OpenAiLlmClient, safeJson, type DetectedContextWindow } from './openai-llm-client.adapter';

export interface LlmApiLlmClientOptions {
  /** Gateway root, e.g. `http://llm-api:8000`. */
  readonly baseUrl: string;
  /** Model to ask for (`qwen2.5:7b`); the gateway's own default when absent. */
  readonly model?: string;
  /** Per-request timeout, in milliseconds (`POST /chat` answers whole: the whole call). */
  readonly timeoutMs: number;
  /**
   * Once `/chat` is missing, `POST /v1/chat/completions` streams (when `stream`) with this longest silence between
   * two pieces, in milliseconds. `POST /chat` itself has no streaming form.
   */
  readonly stream?: boolean;
  readonly idleTimeoutMs?: number;
  readonly logger?: Logger;
}

/**
 * `LlmClient` for the in-house `llm-api` gateway: `POST /chat` (`{"response": ...}`, older servers also report
 * `input_tokens`/`response_tokens`), switching for good to `POST /v1/chat/completions` when `/chat` answers 404;
 * health from `GET /health` (`{"status":"healthy","model",...}`; "unhealthy" while the model loads).
 */
export class LlmApiLlmClient implements LlmClient {
  readonly endpoint: string;
  private readonly http: LlmHttp;
  private readonly root: string;
  private readonly logger: Logger;
  private readonly openAi: OpenAiLlmClient;
  private chatRouteMissing = false;

  constructor(private readonly options: LlmApiLlmClientOptions) {
    this.root = options.baseUrl.replace(/\/+$/, '');
    this.endpoint = endpointLabel('llm-api', this.root);
    this.http = new LlmHttp(this.endpoint, { timeoutMs: options.timeoutMs });
    this.logger = (options.logger ?? silentLogger).child('llm_client');
    this.openAi = new OpenAiLlmClient({
      baseUrl: this.root,
      model: options.model,
      timeoutMs: options.timeoutMs,
      stream: options.stream,
      idleTimeoutMs: options.idleTimeoutMs,
      provider: 'llm-api',
      logger: options.logger,
    });
  }

  async chat(messages: readonly ChatMessage[], options: ChatOptions = {}): Promise<ChatResult> {
    if (this.chatRouteMissing) return this.openAi.chat(messages, options);
    const what = 'POST /chat';
    const exchange = await this.http.send({
      method: 'POST',
      url: `${this.root}/chat`,
      what,
      json: {
        messages: messages.map((m) => ({ role: m.role, content: m.content })),
        ...(options.maxTokens === undefined ? {} : { max_tokens: options.maxTokens }),
        ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
        ...(this.options.model === undefined ? {} : { model: this.options.model }),
        ...(options.stop?.length ? { stop: [...options.stop] } : {}),
      },
      signal: options.signal,
    });
    if (exchange.status === 404) {
      this.chatRouteMissing = true;
      this.logger.info('llm-api has no POST /chat; using POST /v1/chat/completions from now on', {
        endpoint: this.endpoint,
      });
      return this.openAi.chat(messages, options);
    }
    if (exchange.status !== 200) throw this.http.httpError(exchange, what);
    const body = this.http.json(exchange, what);
    const text = pick(body, 'response');
    if (typeof text !== 'string')
      throw new LlmResponseError(this.endpoint, `${this.endpoint}: ${what} answered JSON without a "response" string`);
    return {
      text,
      usage: usageOf(pick(body, 'input_tokens'), pick(body, 'response_tokens'), pick(body, 'total_tokens')),
      model: this.options.model ?? 'unknown',
      finishReason: 'unknown',
      latencyMs: exchange.latencyMs,
      endpoint: this.endpoint,
    };
  }

  /**
   * The gateway's window where it tells it: its `GET /v1/models` (vLLM's `max_model_len` passed through, or an
   * Ollama behind it). The gateway's own routes publish none. Never throws.
   */
  detectContextWindow(): Promise<DetectedContextWindow | undefined> {
    return this.openAi.detectContextWindow();
  }

  async health(): Promise<LlmHealth> {
    const started = performance.now();
    const done = (ok: boolean, detail: string, model?: string): LlmHealth => ({
      endpoint: this.endpoint,
      ok,
      model: model ?? this.options.model,
      latencyMs: Math.round(performance.now() - started),
      detail,
    });
    try {
      const exchange = await this.http.send({ method: 'GET', url: `${this.root}/health`, what: 'GET /health' });
      if (exchange.status === 404) return { ...(await this.openAi.health()), endpoint: this.endpoint };
      const body = safeJson(exchange.text);
      const status = pick(body, 'status');
      const served = pick(body, 'model');
      const model = typeof served === 'string' ? this.http.scrub(served, 100) : undefined;
      if (exchange.status === 200 && (status === undefined || status === 'healthy')) {
        const device = pick(body, 'device');
        return done(
          true,
          `healthy${model ? `, model ${model}` : ''}${typeof device === 'string' ? ` on ${this.http.scrub(device, 100)}` : ''}`,
          model,
        );
      }
      if (status === 'unhealthy')
        return done(false, `unhealthy (HTTP ${exchange.status}; the model may still be loading, 2-5 min)`, model);
      return done(false, this.http.httpError(exchange, 'GET /health').message, model);
    } catch (e) {
      return done(false, (e as Error).message);
    }
  }
}
