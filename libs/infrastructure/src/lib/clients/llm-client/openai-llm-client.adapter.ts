import { performance } from 'node:perf_hooks';
import {
  silentLogger,
  type ChatMessage,
  type ChatOptions,
  type ChatResult,
  type LlmClient,
  type LlmHealth,
  type Logger,
} from '@test-agent/domain';
import { chatCompletionBody, requestChatCompletion } from './chat-completion.format';
import { endpointLabel, LlmHttp, pick } from './llm-http.transport';

export interface OpenAiLlmClientOptions {
  /** Server root (`http://vllm:8000`) or its `/v1` base (`http://ollama:11434/v1`): both work. */
  readonly baseUrl: string;
  /** Model to ask for; when absent, the first model of `GET /v1/models` is used. */
  readonly model?: string;
  /** Sent as `Authorization: Bearer` when set (OpenAI, secured vLLM); never logged. */
  readonly apiKey?: string;
  /** Per-request timeout, in milliseconds (streamed answers: until the first byte). */
  readonly timeoutMs: number;
  /** Stream answers (SSE, `stream: true` with `stream_options.include_usage`); default false (the configuration turns it on). */
  readonly stream?: boolean;
  /** Streamed answers: the longest silence between two pieces, in milliseconds (default 60 000). */
  readonly idleTimeoutMs?: number;
  /** Provider word in the endpoint label (default `openai`). */
  readonly provider?: string;
  readonly logger?: Logger;
}

/** What a server says about its context window (or that it is an Ollama that said nothing). */
export interface DetectedContextWindow {
  /** The window prompts must fit, in tokens, when the server told it. */
  readonly tokens?: number;
  /** Where it was read: `vLLM GET /v1/models max_model_len`, `Ollama GET /api/ps context_length`, ... */
  readonly source?: string;
  /** The server is Ollama (its window then defaults to OLLAMA_CONTEXT_LENGTH, else Ollama's own default). */
  readonly ollama?: boolean;
  /** The model's own largest context (Ollama `model_info.<arch>.context_length`): a cap, not the window in use. */
  readonly modelMaxTokens?: number;
}

/** Detection requests are small: they get at most this long, in milliseconds. */
export const DETECTION_TIMEOUT_MS = 10_000;

/**
 * `LlmClient` for OpenAI-compatible servers (vLLM, Ollama `/v1`, OpenAI, LM Studio): `POST /v1/chat/completions`,
 * health from `GET /health` (vLLM) or else `GET /v1/models`.
 */
export class OpenAiLlmClient implements LlmClient {
  readonly endpoint: string;
  private readonly http: LlmHttp;
  private readonly root: string;
  private model?: string;
  private readonly logger: Logger;

  constructor(private readonly options: OpenAiLlmClientOptions) {
    this.root = options.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.endpoint = endpointLabel(options.provider ?? 'openai', this.root);
    this.http = new LlmHttp(this.endpoint, {
      timeoutMs: options.timeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
      secrets: () => (options.apiKey ? [options.apiKey] : []),
    });
    this.model = options.model;
    this.logger = (options.logger ?? silentLogger).child('llm_client');
  }

  private headers(): Record<string, string> {
    return this.options.apiKey ? { Authorization: `Bearer ${this.options.apiKey}` } : {};
  }

  async chat(messages: readonly ChatMessage[], options: ChatOptions = {}): Promise<ChatResult> {
    const model = this.model ?? (await this.servedModels(options.signal))[0];
    const stream = this.options.stream ?? false;
    const result = await requestChatCompletion(
      this.http,
      {
        method: 'POST',
        url: `${this.root}/v1/chat/completions`,
        what: `POST /v1/chat/completions${stream ? ' (stream)' : ''}`,
        headers: this.headers(),
        json: chatCompletionBody(model, messages, options, { stream, includeUsage: true }),
        signal: options.signal,
      },
      (r) => this.http.send(r),
      (r, onData) => this.http.stream(r, onData),
      model ?? 'unknown',
    );
    this.logger.debug('LLM answered', {
      endpoint: this.endpoint,
      model: result.model,
      latencyMs: result.latencyMs,
      usage: result.usage,
      streamed: stream,
    });
    return result;
  }

  /** Model ids from `GET /v1/models`; caches the first one as the model when none was configured. */
  private async servedModels(signal?: AbortSignal): Promise<string[]> {
    const what = 'GET /v1/models';
    const exchange = await this.http.send({
      method: 'GET',
      url: `${this.root}/v1/models`,
      what,
      headers: this.headers(),
      signal,
    });
    if (exchange.status !== 200) throw this.http.httpError(exchange, what);
    const data = pick(this.http.json(exchange, what), 'data');
    const ids = Array.isArray(data)
      ? data.map((m) => pick(m, 'id')).filter((id): id is string => typeof id === 'string')
      : [];
    this.model ??= ids[0];
    return ids;
  }

  /**
   * The context window the server runs the model with, where it tells it: vLLM's `GET /v1/models` lists
   * `max_model_len`; Ollama's `GET /api/ps` gives the loaded model's `context_length` (the window actually
   * allocated), else `POST /api/show` its Modelfile's `num_ctx` and the model's largest context (`model_info`).
   * Undefined when none of these answers (OpenAI, LM Studio, a proxy). Never throws.
   */
  async detectContextWindow(): Promise<DetectedContextWindow | undefined> {
    const get = async (method: 'GET' | 'POST', route: string, json?: unknown): Promise<unknown> => {
      try {
        const exchange = await this.http.send({
          method,
          url: `${this.root}${route}`,
          what: `${method} ${route}`,
          headers: this.headers(),
          json,
          timeoutMs: Math.min(DETECTION_TIMEOUT_MS, this.options.timeoutMs),
        });
        return exchange.status === 200 ? safeJson(exchange.text) : undefined;
      } catch {
        return undefined;
      }
    };
    const models = pick(await get('GET', '/v1/models'), 'data');
    const list = Array.isArray(models) ? models : [];
    this.model ??= list.map((m) => pick(m, 'id')).find((id): id is string => typeof id === 'string');
    const served = list.find((m) => pick(m, 'id') === this.model) ?? list[0];
    const maxModelLen = positive(pick(served, 'max_model_len'));
    if (maxModelLen !== undefined) return { tokens: maxModelLen, source: 'vLLM GET /v1/models max_model_len' };
    if (this.model === undefined) return undefined;
    const show = await get('POST', '/api/show', { model: this.model });
    if (show === undefined) return undefined; // not an Ollama
    const info = pick(show, 'model_info');
    const modelMaxTokens =
      info !== null && typeof info === 'object'
        ? Object.entries(info as Record<string, unknown>)
            .map(([k, v]) => (k.endsWith('.context_length') ? positive(v) : undefined))
            .find((v) => v !== undefined)
        : undefined;
    const loaded = pick(await get('GET', '/api/ps'), 'models');
    const running = (Array.isArray(loaded) ? loaded : []).find(
      (m) => pick(m, 'name') === this.model || pick(m, 'model') === this.model,
    );
    const allocated = positive(pick(running, 'context_length'));
    if (allocated !== undefined)
      return { tokens: allocated, source: 'Ollama GET /api/ps context_length', ollama: true, modelMaxTokens };
    const parameters = pick(show, 'parameters');
    const numCtx =
      typeof parameters === 'string' ? positive(Number(/^\s*num_ctx\s+(\d+)\s*$/m.exec(parameters)?.[1])) : undefined;
    if (numCtx !== undefined)
      return { tokens: numCtx, source: 'Ollama POST /api/show num_ctx', ollama: true, modelMaxTokens };
    return { ollama: true, modelMaxTokens };
  }

  async health(): Promise<LlmHealth> {
    const started = performance.now();
    const done = (ok: boolean, detail: string, model = this.model): LlmHealth => ({
      endpoint: this.endpoint,
      ok,
      model,
      latencyMs: Math.round(performance.now() - started),
      detail,
    });
    try {
      const exchange = await this.http.send({
        method: 'GET',
        url: `${this.root}/health`,
        what: 'GET /health',
        headers: this.headers(),
      });
      if (exchange.status === 200) {
        const served = pick(safeJson(exchange.text), 'model');
        return done(
          true,
          'GET /health answered 200',
          this.model ?? (typeof served === 'string' ? this.http.scrub(served, 100) : undefined),
        );
      }
      if (exchange.status !== 404) return done(false, this.http.httpError(exchange, 'GET /health').message);
      const ids = await this.servedModels();
      if (this.options.model && !ids.includes(this.options.model)) {
        return done(
          false,
          `model ${this.options.model} is not served; available: ${this.http.scrub(ids.join(', ')) || 'none'}`,
        );
      }
      return done(true, `GET /v1/models lists ${ids.length} model(s)`);
    } catch (e) {
      return done(false, (e as Error).message);
    }
  }
}

/** A positive integer, or undefined. */
function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

/** Parses JSON when it is JSON; undefined otherwise (health bodies may be empty). */
export function safeJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
