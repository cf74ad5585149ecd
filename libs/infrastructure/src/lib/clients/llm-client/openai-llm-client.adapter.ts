import { performance } from 'node:perf_hooks';
import { silentLogger, type ChatMessage, type ChatOptions, type ChatResult, type LlmClient, type LlmHealth, type Logger } from '@test-agent/domain';
import { chatCompletionBody, parseChatCompletion } from './chat-completion.format';
import { endpointLabel, LlmHttp, pick } from './llm-http.transport';

export interface OpenAiLlmClientOptions {
  /** Server root (`http://vllm:8000`) or its `/v1` base (`http://ollama:11434/v1`): both work. */
  readonly baseUrl: string;
  /** Model to ask for; when absent, the first model of `GET /v1/models` is used. */
  readonly model?: string;
  /** Sent as `Authorization: Bearer` when set (OpenAI, secured vLLM); never logged. */
  readonly apiKey?: string;
  /** Per-request timeout, in milliseconds. */
  readonly timeoutMs: number;
  /** Provider word in the endpoint label (default `openai`). */
  readonly provider?: string;
  readonly logger?: Logger;
}

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
    this.http = new LlmHttp(this.endpoint, { timeoutMs: options.timeoutMs, secrets: () => (options.apiKey ? [options.apiKey] : []) });
    this.model = options.model;
    this.logger = (options.logger ?? silentLogger).child('llm_client');
  }

  private headers(): Record<string, string> {
    return this.options.apiKey ? { Authorization: `Bearer ${this.options.apiKey}` } : {};
  }

  async chat(messages: readonly ChatMessage[], options: ChatOptions = {}): Promise<ChatResult> {
    const model = this.model ?? (await this.servedModels(options.signal))[0];
    const what = 'POST /v1/chat/completions';
    const exchange = await this.http.send({
      method: 'POST',
      url: `${this.root}/v1/chat/completions`,
      what,
      headers: this.headers(),
      json: chatCompletionBody(model, messages, options),
      signal: options.signal,
    });
    if (exchange.status !== 200) throw this.http.httpError(exchange, what);
    const result = parseChatCompletion(this.http.json(exchange, what), this.endpoint, what, model ?? 'unknown', exchange.latencyMs);
    this.logger.debug('LLM answered', { endpoint: this.endpoint, model: result.model, latencyMs: result.latencyMs, usage: result.usage });
    return result;
  }

  /** Model ids from `GET /v1/models`; caches the first one as the model when none was configured. */
  private async servedModels(signal?: AbortSignal): Promise<string[]> {
    const what = 'GET /v1/models';
    const exchange = await this.http.send({ method: 'GET', url: `${this.root}/v1/models`, what, headers: this.headers(), signal });
    if (exchange.status !== 200) throw this.http.httpError(exchange, what);
    const data = pick(this.http.json(exchange, what), 'data');
    const ids = Array.isArray(data) ? data.map((m) => pick(m, 'id')).filter((id): id is string => typeof id === 'string') : [];
    this.model ??= ids[0];
    return ids;
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
      const exchange = await this.http.send({ method: 'GET', url: `${this.root}/health`, what: 'GET /health', headers: this.headers() });
      if (exchange.status === 200) {
        const served = pick(safeJson(exchange.text), 'model');
        return done(true, 'GET /health answered 200', this.model ?? (typeof served === 'string' ? this.http.scrub(served, 100) : undefined));
      }
      if (exchange.status !== 404) return done(false, this.http.httpError(exchange, 'GET /health').message);
      const ids = await this.servedModels();
      if (this.options.model && !ids.includes(this.options.model)) {
        return done(false, `model ${this.options.model} is not served; available: ${this.http.scrub(ids.join(', ')) || 'none'}`);
      }
      return done(true, `GET /v1/models lists ${ids.length} model(s)`);
    } catch (e) {
      return done(false, (e as Error).message);
    }
  }
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
